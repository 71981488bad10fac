import type { HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createFetchRequestAdapter, type AuthRequest } from '@gatehouse/auth-core';
import { Hono } from 'hono';
import { contextStorage } from 'hono/context-storage';
import type { DemoContext, DemoVariables } from './context.js';
import { mountPanelApi } from './routes/access-hash.js';
import { mountApexApi } from './routes/hmac.js';
import { mountNvxApi } from './routes/nvx.js';
import { MAX_BODY_BYTES, type GatehouseMountOptions } from './routes/common.js';
import { createWebSessions } from './web-session.js';
import { mountWebUi } from './web/ui.js';

/** The Hono environment of the demo: Node bindings plus per-request variables. */
export type DemoEnv = { Bindings: HttpBindings; Variables: DemoVariables };

/**
 * An `AuthRequest` built on first use, so it reads the request as it is by then: `hono/body-limit` replaces a
 * chunked body with the bytes it counted.
 */
function builtOnFirstUse(build: () => AuthRequest): AuthRequest {
  let built: AuthRequest | undefined;
  const request = (): AuthRequest => (built ??= build());
  return {
    get method() {
      return request().method;
    },
    get url() {
      return request().url;
    },
    get path() {
      return request().path;
    },
    get clientIp() {
      return request().clientIp;
    },
    query: (name) => request().query(name),
    queryValues: (name) => request().queryValues(name),
    header: (name) => request().header(name),
    headerValues: (name) => request().headerValues(name),
    cookie: (name) => request().cookie(name),
    cookieValues: (name) => request().cookieValues(name),
    body: () => request().body(),
  };
}

/**
 * Builds the demo's HTTP application: the three APIs (each a @gatehouse/hono mount of its strategy package's route
 * kit plus the demo's own resources), the web interface, `/healthz` and the route index `/api`.
 */
export function createApp(context: DemoContext): Hono<DemoEnv> {
  const { trustedProxies } = context.config;
  // The client IP: the socket's peer, or X-Forwarded-For read right to left behind GATEHOUSE_TRUSTED_PROXIES.
  const gatehouse: GatehouseMountOptions = {
    clientIp: trustedProxies.length > 0 ? { trustedProxies } : 'socket',
    getConnInfo,
    maxBodyBytes: MAX_BODY_BYTES,
  };
  const toAuthRequest = createFetchRequestAdapter({ trustedProxies, maxBodyBytes: MAX_BODY_BYTES });
  const app = new Hono<DemoEnv>();

  app.use(async (c, next) => {
    await next();
    // Set on the finished response, so replies the routes build as Fetch responses (toFetchResponse) carry them
    // too; a handler that set its own value keeps it.
    if (!c.res.headers.has('x-content-type-options')) c.header('X-Content-Type-Options', 'nosniff');
    if (!c.res.headers.has('cache-control')) c.header('Cache-Control', 'no-store');
  });
  // The access-hash kit's `authorize` runs outside Hono's handler chain and finds the request's context here.
  app.use(contextStorage());
  app.use(async (c, next) => {
    c.set('request', builtOnFirstUse(() => toAuthRequest(c.req.raw, { remoteAddress: () => getConnInfo(c).remote.address ?? null })));
    await next();
  });

  // Readiness: every store must be able to write (a read-only or locked database answers reads but would fail
  // every login, nonce and failure count). The reason goes to the log, not to the caller.
  app.get('/healthz', async (c) => {
    const health = await context.health();
    if (health.status === 'ok') return c.json({ status: 'ok' });
    context.log(`healthz: unavailable: ${health.reason}`);
    return c.json({ status: 'unavailable' }, 503);
  });

  const sessions = createWebSessions(context);
  const nvx = mountNvxApi(app, context, gatehouse);
  const panel = mountPanelApi(app, context, sessions, gatehouse);
  const apex = mountApexApi(app, context, gatehouse);

  // The plain-text list of every API route, from the route kits' summaries and the demo's own routes; the web
  // interface's landing page (GET /) shows it too.
  const routeIndex = [
    'Gatehouse demo',
    '',
    'GET /healthz  readiness: 200 while every store can write, else 503',
    'GET /api      this list (also on the landing page GET /)',
    '',
    'Web interface (HTML forms, the session cookie below, a CSRF token in every form): /login, /keys (NVX API keys of the master user),',
    '/access-hashes (panel administrator), /hmac-keys (APEX API keys of master users and sub-users).',
    '',
    ...nvx.indexLines,
    '',
    ...panel.indexLines,
    '',
    ...apex.indexLines,
  ].join('\n');
  app.get('/api', (c) => c.text(routeIndex));

  mountWebUi(app, context, { sessions, nvx: nvx.manager, accessHashes: panel.manager, hmac: apex.manager, routeIndex });

  app.notFound((c) => c.json({ error: 'Not found' }, 404));
  app.onError((error, c) => {
    console.error('demo: unhandled error', error instanceof Error ? error.message : error);
    return c.json({ error: 'Internal server error' }, 500);
  });
  return app;
}
