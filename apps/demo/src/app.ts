import type { HttpBindings } from '@hono/node-server';
import { createNodeRequestAdapter } from '@gatehouse/auth-core/node';
import { Hono } from 'hono';
import type { DemoContext, DemoVariables } from './context.js';
import { ACCESS_HASH_ROUTES, mountAccessHashRoutes } from './routes/access-hash.js';
import { API_V1_BASE_PATH, type ApiRoute } from './routes/api-v1.js';
import { hmacIndexLines, mountHmacRoutes } from './routes/hmac.js';
import { mountNvxRoutes, NVX_BASE_PATH, NVX_ROUTES } from './routes/nvx.js';
import { NAVIXY_AUTHENTICATION, NAVIXY_ERRORS, NAVIXY_HASH_KINDS, PUQ_ACCESS_HASHES } from './sources.js';
import { mountWebSession, WEB_SESSION_ROUTES } from './web-session.js';
import { mountWebUi } from './web/ui.js';

/** The Hono environment of the demo: Node bindings plus per-request variables. */
export type DemoEnv = { Bindings: HttpBindings; Variables: DemoVariables };

const showApiRoute = (route: ApiRoute): string =>
  `  ${route.methods.join(',').padEnd(6)} ${`${API_V1_BASE_PATH}${route.path}`.padEnd(26)} ${route.needs}`;

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
    await next();
    // Set on the finished response, so replies the routes build as Fetch responses (toFetchResponse) carry them
    // too; a handler that set its own value keeps it.
    if (!c.res.headers.has('x-content-type-options')) c.header('X-Content-Type-Options', 'nosniff');
    if (!c.res.headers.has('cache-control')) c.header('Cache-Control', 'no-store');
  });

  app.get('/healthz', (c) => {
    if (!context.isHealthy()) return c.json({ status: 'unavailable' }, 503);
    return c.json({ status: 'ok' });
  });

  // The plain-text list of every API route; the web interface's landing page (GET /) shows it too.
  const routeIndex = [
    'Gatehouse demo',
    '',
    'GET /healthz  liveness and database check',
    'GET /api      this list (also on the landing page GET /)',
    '',
    'Web interface (HTML forms, the session cookie below, a CSRF token in every form): /login, /keys (NVX API keys of the master user),',
    '/access-hashes (panel administrator), /hmac-keys (APEX API keys of master users and sub-users).',
    '',
    `Navixy hash API (${NAVIXY_AUTHENTICATION}; ${NAVIXY_HASH_KINDS}; ${NAVIXY_ERRORS}):`,
    'GET or POST; parameters in the query, a form or a JSON body; hash in Authorization: NVX <hash>, body field hash or query hash.',
    ...NVX_ROUTES.map((route) => `  ${`${NVX_BASE_PATH}${route.path}`.padEnd(26)} ${route.needs}`),
    '',
    'Demo login session (JSON bodies; the session cookie is HttpOnly, SameSite=Strict, and Secure with the __Host- prefix over https;',
    'writes need Content-Type: application/json and, when an Origin is sent, this server\'s own origin):',
    ...WEB_SESSION_ROUTES.map(showApiRoute),
    '',
    `PUQ VPN panel API (${PUQ_ACCESS_HASHES}):`,
    '  every reply is {"error":"","msg":...,"status":"success"} or {"error":"<text>","msg":"","status":"error"}.',
    'Access hashes are managed by the panel administrator (admin) with the session cookie; each hash works only from its own IP,',
    'sent as Cookie access_hash=<hash>, e.g.  curl -b "access_hash=<hash>" -X GET http://<host>:<port>/api/v1/system/status',
    ...ACCESS_HASH_ROUTES.map(showApiRoute),
    '',
    ...hmacIndexLines(context.config.hmacNoncePolicy),
  ].join('\n');
  app.get('/api', (c) => c.text(routeIndex));

  const nvx = mountNvxRoutes(app, context);
  const sessions = mountWebSession(app, context);
  const accessHashes = mountAccessHashRoutes(app, context, sessions);
  const hmac = mountHmacRoutes(app, context);
  mountWebUi(app, context, { sessions, nvx: nvx.manager, accessHashes: accessHashes.manager, hmac: hmac.manager, routeIndex });

  app.notFound((c) => c.json({ error: 'Not found' }, 404));
  app.onError((error, c) => {
    console.error('demo: unhandled error', error instanceof Error ? error.message : error);
    return c.json({ error: 'Internal server error' }, 500);
  });
  return app;
}
