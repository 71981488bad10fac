import type { HttpBindings } from '@hono/node-server';
import { createNodeRequestAdapter } from '@gatehouse/auth-core/node';
import { Hono } from 'hono';
import type { DemoContext, DemoVariables } from './context.js';
import { mountNvxRoutes, NVX_BASE_PATH, NVX_ROUTES } from './routes/nvx.js';

/** The Hono environment of the demo: Node bindings plus per-request variables. */
export type DemoEnv = { Bindings: HttpBindings; Variables: DemoVariables };

/**
 * Builds the demo's HTTP application. Each scheme's routes are mounted here as they are added.
 */
export function createApp(context: DemoContext): Hono<DemoEnv> {
  const toAuthRequest = createNodeRequestAdapter({
    trustedProxies: context.config.trustedProxies,
    maxBodyBytes: 64 * 1024,
  });
  const app = new Hono<DemoEnv>();

  app.use('*', async (c, next) => {
    c.set('auth', toAuthRequest(c.env.incoming));
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Cache-Control', 'no-store');
    await next();
  });

  app.get('/healthz', (c) => {
    if (!context.isHealthy()) return c.json({ status: 'unavailable' }, 503);
    return c.json({ status: 'ok' });
  });

  app.get('/', (c) =>
    c.text(
      [
        'Gatehouse demo',
        '',
        'GET /healthz  liveness and database check',
        '',
        `Navixy hash API (GET or POST; parameters in the query, a form or a JSON body; hash in Authorization: NVX <hash>, body field hash or query hash):`,
        ...NVX_ROUTES.map((route) => `  ${`${NVX_BASE_PATH}${route.path}`.padEnd(26)} ${route.needs}`),
      ].join('\n'),
    ),
  );

  mountNvxRoutes(app, context);

  app.notFound((c) => c.json({ error: 'Not found' }, 404));
  app.onError((error, c) => {
    console.error('demo: unhandled error', error instanceof Error ? error.message : error);
    return c.json({ error: 'Internal server error' }, 500);
  });
  return app;
}
