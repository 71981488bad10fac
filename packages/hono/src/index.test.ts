import { AuthError, ConfigurationError, type AuthContext } from '@gatehouse/auth-core';
import { renderAuthenticateUserSuccess, type HmacPrincipal } from '@gatehouse/strategy-hmac-signature';
import type { NvxPrincipal } from '@gatehouse/strategy-nvx-hash';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { accessHashScheme, hmacScheme, nvxScheme, nvxTestKit, unwrap, WIRE } from '@gatehouse/adapter-fixtures/schemes';
import { authenticate, errorBridge, notFound, routeKit, type AuthEnv } from './index.js';

const nvxHeader = (hash: string): Record<string, string> => ({ authorization: `NVX ${hash}` });
const json = (value: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });

async function expectReply(response: Response | Promise<Response>, status: number, body: string): Promise<void> {
  const settled = await response;
  expect({ status: settled.status, body: await settled.text() }).toEqual({ status, body });
  expect(settled.headers.get('content-type')).toMatch(/^application\/json/);
}

describe('authenticate', () => {
  it('lets an accepted request through with c.get("auth") typed as the strategy principal', async () => {
    const { strategy, apiKey } = await nvxScheme();
    const app = new Hono().get('/v2/tracker/list', authenticate(strategy), (c) => {
      const auth = c.get('auth');
      expectTypeOf(auth).toEqualTypeOf<AuthContext<NvxPrincipal>>();
      return c.json({ user: auth.principal.id, kind: auth.credential.kind, strategy: auth.strategyId });
    });
    const response = await app.request('/v2/tracker/list', { headers: nvxHeader(apiKey) });
    expect(await response.json()).toEqual({ user: 'user-1', kind: 'api-key', strategy: 'nvx-hash' });
  });

  it('types c.get("auth") for routes of an app declared with AuthEnv after app.use', async () => {
    const { strategy, apiKey } = await nvxScheme();
    const app = new Hono<AuthEnv<NvxPrincipal>>();
    app.use('/v2/*', authenticate(strategy));
    app.get('/v2/tracker/list', (c) => c.json({ accountType: c.get('auth').principal.attributes?.['accountType'] }));
    expect(await (await app.request('/v2/tracker/list', { headers: nvxHeader(apiKey) })).json()).toEqual({ accountType: 'master' });
    expect((await app.request('/v2/tracker/list')).status).toBe(400);
  });

  it("refuses a request without credentials in the scheme's own envelope, and the handler never runs", async () => {
    const nvx = await nvxScheme();
    const puq = await accessHashScheme();
    const apex = await hmacScheme();
    const handler = vi.fn((c: { text(text: string): Response }) => c.text('reached'));
    const app = new Hono()
      .get('/v2/tracker/list', authenticate(nvx.strategy), handler)
      .get('/api/v1/system/status', authenticate(puq.strategy), handler)
      .post('/AuthenticateUser', authenticate(apex.verifier), handler)
      .post('/ap/GetUserInfo', authenticate(apex.sessions), handler);
    await expectReply(app.request('/v2/tracker/list'), 400, WIRE.nvxWrongHash);
    await expectReply(app.request('/v2/tracker/list', { headers: nvxHeader('0'.repeat(32)) }), 400, WIRE.nvxWrongHash);
    await expectReply(app.request('/api/v1/system/status'), 401, WIRE.accessHashRequired);
    await expectReply(app.request('/AuthenticateUser', { method: 'POST' }), 401, WIRE.authenticateUserMissing);
    await expectReply(app.request('/ap/GetUserInfo', { method: 'POST', headers: { aptoken: 'f'.repeat(64) } }), 401, WIRE.apexNotAuthorized);
    expect(handler).not.toHaveBeenCalled();
  });

  it('keeps headers an earlier middleware prepared with c.header() on a refusal', async () => {
    const { strategy } = await nvxScheme();
    const app = new Hono();
    app.use(async (c, next) => {
      c.header('x-request-id', 'r-1');
      await next();
    });
    app.get('/v2/tracker/list', authenticate(strategy), (c) => c.text('reached'));
    const response = await app.request('/v2/tracker/list');
    expect(response.headers.get('x-request-id')).toBe('r-1');
    await expectReply(response, 400, WIRE.nvxWrongHash);
  });

  it('optional: a request without credentials passes with auth null, a wrong credential is still refused', async () => {
    const { strategy, apiKey } = await nvxScheme();
    const app = new Hono().get('/v2/news', authenticate(strategy, { optional: true }), (c) => {
      const auth = c.get('auth');
      expectTypeOf(auth).toEqualTypeOf<AuthContext<NvxPrincipal> | null>();
      return c.json({ user: auth?.principal.id ?? null });
    });
    expect(await (await app.request('/v2/news')).json()).toEqual({ user: null });
    expect(await (await app.request('/v2/news', { headers: nvxHeader(apiKey) })).json()).toEqual({ user: 'user-1' });
    await expectReply(app.request('/v2/news', { headers: nvxHeader('a'.repeat(32)) }), 400, WIRE.nvxWrongHash);
  });

  it('require: a credential without the permission is refused with SCOPE_DENIED in the envelope', async () => {
    const apex = await hmacScheme();
    const app = new Hono()
      .post('/AuthenticateUser', authenticate(apex.verifier), async (c) => {
        const session = unwrap(await apex.manager.startSession(c.get('auth')));
        const reply = renderAuthenticateUserSuccess(session.token, { userId: c.get('auth').principal.id, userName: 'demo' });
        return c.json(reply.body, 200);
      })
      .post('/ap/SendOrder', authenticate(apex.sessions, { require: 'Trading' }), (c) => c.json({ result: true }))
      .post('/ap/Deposit', authenticate(apex.sessions, { require: ['Deposit'] }), (c) => {
        expectTypeOf(c.get('auth')).toEqualTypeOf<AuthContext<HmacPrincipal>>();
        return c.json({ result: true, user: c.get('auth').principal.id });
      });
    const login = await app.request('/AuthenticateUser', { method: 'POST', headers: apex.signed().headers });
    const { SessionToken } = (await login.json()) as { SessionToken: string };
    await expectReply(app.request('/ap/SendOrder', { method: 'POST', headers: { aptoken: SessionToken } }), 403, WIRE.apexNotAuthorized);
    expect(await (await app.request('/ap/Deposit', { method: 'POST', headers: { aptoken: SessionToken } })).json()).toEqual({ result: true, user: '1' });
  });

  it('lets the handler read the body with c.req.json() after authentication read the hash from it', async () => {
    const { strategy, apiKey } = await nvxScheme();
    const app = new Hono().post('/v2/tracker/list', authenticate(strategy), async (c) => c.json({ got: await c.req.json(), user: c.get('auth').principal.id }));
    const response = await app.request('/v2/tracker/list', json({ hash: apiKey, labels: ['a'] }));
    expect(await response.json()).toEqual({ got: { hash: apiKey, labels: ['a'] }, user: 'user-1' });
  });

  it('authenticates from a body an earlier middleware already read through Hono (c.req.json(), c.req.text())', async () => {
    const nvx = await nvxScheme();
    const apex = await hmacScheme();
    const app = new Hono();
    app.use('/v2/*', async (c, next) => {
      await c.req.json();
      await next();
    });
    app.use('/AuthenticateUser', async (c, next) => {
      await c.req.text();
      await next();
    });
    app.post('/v2/tracker/list', authenticate(nvx.strategy), async (c) => c.json({ got: await c.req.json(), user: c.get('auth').principal.id }));
    app.post('/AuthenticateUser', authenticate(apex.verifier), async (c) => c.json({ key: c.get('auth').credential.id, body: await c.req.json() }));
    const response = await app.request('/v2/tracker/list', json({ hash: nvx.apiKey }));
    expect(await response.json()).toEqual({ got: { hash: nvx.apiKey }, user: 'user-1' });
    await expectReply(app.request('/v2/tracker/list', json({ hash: 'b'.repeat(32) })), 400, WIRE.nvxWrongHash);
    const signed = apex.signed().body;
    const accepted = await app.request('/AuthenticateUser', json(signed));
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ body: signed });
  });

  it('fails closed with INTERNAL_ERROR when an earlier middleware consumed c.req.raw and Hono kept no copy', async () => {
    const { strategy, apiKey } = await nvxScheme();
    const app = new Hono();
    app.use(async (c, next) => {
      await c.req.raw.text();
      await next();
    });
    app.post('/v2/tracker/list', authenticate(strategy), (c) => c.text('reached'));
    await expectReply(app.request('/v2/tracker/list', { ...json({ hash: apiKey }), headers: { ...nvxHeader(apiKey), 'content-type': 'application/json' } }), 500, WIRE.nvxUnexpected);
  });

  it('refuses a body over maxBodyBytes as REQUEST_TOO_LARGE (Navixy code 9, HTTP 412)', async () => {
    const { strategy, apiKey } = await nvxScheme();
    const app = new Hono().post('/v2/tracker/list', authenticate(strategy, { maxBodyBytes: 64 }), (c) => c.text('reached'));
    await expectReply(app.request('/v2/tracker/list', json({ hash: apiKey, padding: 'x'.repeat(64) })), 412, WIRE.nvxTooLarge);
    expect((await app.request('/v2/tracker/list', json({ hash: apiKey }))).status).toBe(200);
  });

  it('works in a sub-app mounted with app.route() and under basePath(), judging the full request path', async () => {
    const { strategy, apiKey, panelHash } = await nvxScheme();
    const panel = new Hono().get('/tariff/list', authenticate(strategy), (c) => c.json({ kind: c.get('auth').credential.kind }));
    const v2 = new Hono().get('/tracker/list', authenticate(strategy), (c) => c.json({ kind: c.get('auth').credential.kind })).route('/panel', panel);
    const app = new Hono().route('/v2', v2);
    expect(await (await app.request('/v2/tracker/list', { headers: nvxHeader(apiKey) })).json()).toEqual({ kind: 'api-key' });
    expect(await (await app.request('/v2/panel/tariff/list', { headers: nvxHeader(panelHash) })).json()).toEqual({ kind: 'panel-session' });
    // The strategy sees /v2/panel/..., not the sub-app's /tariff/list: an API key is refused there.
    await expectReply(app.request('/v2/panel/tariff/list', { headers: nvxHeader(apiKey) }), 403, WIRE.nvxAccessDenied);

    const based = new Hono().basePath('/v2').get('/panel/tariff/list', authenticate(strategy), (c) => c.json({ kind: c.get('auth').credential.kind }));
    expect(await (await based.request('/v2/panel/tariff/list', { headers: nvxHeader(panelHash) })).json()).toEqual({ kind: 'panel-session' });
    await expectReply(based.request('/v2/panel/tariff/list', { headers: nvxHeader(apiKey) }), 403, WIRE.nvxAccessDenied);
  });

  it('throws a ConfigurationError naming the option for misuse', async () => {
    const { strategy } = await nvxScheme();
    const named = (run: () => unknown): string | undefined => {
      try {
        run();
      } catch (error) {
        if (error instanceof ConfigurationError) return error.option;
        throw error;
      }
      return undefined;
    };
    expect(named(() => authenticate(strategy, { clientIp: 'framework' }))).toBe('clientIp');
    expect(named(() => authenticate(strategy, { clientIp: { header: 'x real ip' } }))).toBe('clientIp.header');
    expect(named(() => authenticate(strategy, { clientIp: { trustedProxies: ['10.0.0.300'] } }))).toBe('clientIp.trustedProxies');
    expect(named(() => authenticate(strategy, { clientIp: {} as { header: string } }))).toBe('clientIp');
    expect(named(() => authenticate(strategy, { clientIp: { header: 'x-real-ip', trustedProxies: ['10.0.0.1'] } as { header: string } }))).toBe('clientIp');
    expect(named(() => authenticate(strategy, { getConnInfo: 'node' as never }))).toBe('getConnInfo');
    expect(named(() => authenticate(strategy, { maxBodyBytes: -1 }))).toBe('maxBodyBytes');
    expect(named(() => authenticate(strategy, { require: [''] }))).toBe('require');
    expect(named(() => authenticate(strategy, { required: 'Trading' } as never))).toBe('required');
    expect(named(() => routeKit({} as never, { optional: true } as never))).toBe('optional');
    expect(named(() => authenticate({ id: 'x' } as never))).toBe('strategy');
    expect(named(() => routeKit({} as never))).toBe('kit');
    expect(named(() => notFound({} as never))).toBe('renderer');
    expect(named(() => errorBridge(strategy, { onError: 'log' as never }))).toBe('onError');
    expect(named(() => authenticate(strategy, { clientIp: { header: 'x-real-ip' } }))).toBeUndefined();
  });
});

describe('authenticate: the client IP', () => {
  it("refuses an IP-bound credential when the runtime gives no address ('socket' without bindings or getConnInfo)", async () => {
    const { strategy, boundTo } = await accessHashScheme();
    const hash = await boundTo('127.0.0.1');
    const app = new Hono().get('/api/v1/system/status', authenticate(strategy), (c) => c.text('reached'));
    await expectReply(app.request('/api/v1/system/status', { headers: { cookie: `access_hash=${hash}` } }), 403, WIRE.accessHashWrongIp);
  });

  it('takes the socket address from the getConnInfo option the application passes', async () => {
    const { strategy, boundTo } = await accessHashScheme();
    const hash = await boundTo('203.0.113.9');
    const getConnInfo = vi.fn(() => ({ remote: { address: '203.0.113.9', addressType: 'IPv4' as const } }));
    const elsewhere = () => ({ remote: { address: '198.51.100.1', addressType: 'IPv4' as const } });
    const app = new Hono()
      .get('/here', authenticate(strategy, { getConnInfo }), (c) => c.json({ id: c.get('auth').credential.id }))
      .get('/elsewhere', authenticate(strategy, { getConnInfo: elsewhere }), (c) => c.text('reached'))
      .get('/throws', authenticate(strategy, { getConnInfo: () => { throw new TypeError('not this runtime'); } }), (c) => c.text('reached'));
    const headers = { cookie: `access_hash=${hash}` };
    expect((await app.request('/here', { headers })).status).toBe(200);
    expect(getConnInfo).toHaveBeenCalledOnce();
    await expectReply(app.request('/elsewhere', { headers }), 403, WIRE.accessHashWrongIp);
    await expectReply(app.request('/throws', { headers }), 403, WIRE.accessHashWrongIp);
  });

  it('reads { header } when the platform guarantees it, and fails closed on a list of addresses', async () => {
    const { strategy, boundTo } = await accessHashScheme();
    const hash = await boundTo('203.0.113.9');
    const app = new Hono().get('/status', authenticate(strategy, { clientIp: { header: 'cf-connecting-ip' } }), (c) => c.text('ok'));
    const cookie = `access_hash=${hash}`;
    expect((await app.request('/status', { headers: { cookie, 'cf-connecting-ip': '203.0.113.9' } })).status).toBe(200);
    await expectReply(app.request('/status', { headers: { cookie, 'cf-connecting-ip': '203.0.113.9, 198.51.100.1' } }), 403, WIRE.accessHashWrongIp);
    await expectReply(app.request('/status', { headers: { cookie, 'x-forwarded-for': '203.0.113.9' } }), 403, WIRE.accessHashWrongIp);
  });
});

describe('routeKit', () => {
  it("answers the kit's routes, GET and POST, in the kit's envelope", async () => {
    const { strategy, manager } = await nvxScheme();
    const app = new Hono();
    app.use(routeKit(nvxTestKit(strategy, manager)));
    const login = await app.request('/v2/user/auth', json({ login: 'demo', password: 'secret' }));
    expect(login.status).toBe(200);
    const { hash } = (await login.json()) as { hash: string };
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    expect((await app.request('/v2/user/auth?login=demo&password=secret')).status).toBe(200);
    await expectReply(app.request('/v2/api/key/list', { headers: nvxHeader(hash) }), 200, '{"success":true,"list":[{"title":"Integration Key"}]}');
    await expectReply(app.request('/v2/api/key/list'), 400, WIRE.nvxWrongHash);
    await expectReply(app.request('/v2/user/auth', json({ login: 'demo' })), 400, WIRE.nvxInvalidParameters);
  });

  it('answers a known path with another method with 405 and an Allow header in the envelope', async () => {
    const { strategy, manager } = await nvxScheme();
    const app = new Hono();
    app.use(routeKit(nvxTestKit(strategy, manager)));
    const response = await app.request('/v2/api/key/list', { method: 'DELETE' });
    expect(response.headers.get('allow')).toBe('GET, HEAD');
    await expectReply(response, 405, WIRE.nvxWrongFormat);
  });

  it("passes every other request on to the application's own routes, then to notFound in the envelope", async () => {
    const { strategy, manager, apiKey } = await nvxScheme();
    const app = new Hono();
    app.use(routeKit(nvxTestKit(strategy, manager)));
    app.get('/v2/tracker/list', authenticate(strategy), (c) => c.json({ success: true, list: [] }));
    app.get('/healthz', (c) => c.text('ok'));
    app.all('/v2/*', notFound(strategy));
    await expectReply(app.request('/v2/tracker/list', { headers: nvxHeader(apiKey) }), 200, '{"success":true,"list":[]}');
    expect(await (await app.request('/healthz')).text()).toBe('ok');
    await expectReply(app.request('/v2/no/such/call', { method: 'POST' }), 404, WIRE.nvxWrongFormat);
    expect((await app.request('/elsewhere')).status).toBe(404);
  });

  it('serves the kit from a sub-app mounted at its base path, and under basePath()', async () => {
    const { strategy, manager } = await nvxScheme();
    const kit = nvxTestKit(strategy, manager);
    const v2 = new Hono();
    v2.use(routeKit(kit));
    v2.all('*', notFound(kit));
    const app = new Hono().route('/v2', v2);
    expect((await app.request('/v2/user/auth?login=demo&password=secret')).status).toBe(200);
    await expectReply(app.request('/v2/unknown'), 404, WIRE.nvxWrongFormat);
    const based = new Hono().basePath('/v2');
    based.use(routeKit(kit));
    expect((await based.request('/v2/user/auth?login=demo&password=secret')).status).toBe(200);
  });

  it('answers a route that throws with INTERNAL_ERROR in the envelope and tells onError', async () => {
    const { strategy, manager } = await nvxScheme();
    const onError = vi.fn();
    const failure = new Error('the account store is down');
    const app = new Hono();
    app.use(routeKit(nvxTestKit(strategy, manager, failure), { onError }));
    await expectReply(app.request('/v2/user/auth'), 500, WIRE.nvxUnexpected);
    expect(onError).toHaveBeenCalledWith(failure);
  });
});

describe('notFound', () => {
  it("answers ROUTE_NOT_FOUND in each scheme's envelope as the app's notFound handler", async () => {
    const puq = await accessHashScheme();
    const apex = await hmacScheme();
    const app = new Hono();
    app.notFound(notFound(puq.strategy));
    await expectReply(app.request('/api/v1/nothing'), 404, WIRE.accessHashNotFound);
    const ap = new Hono();
    ap.notFound(notFound(apex.sessions));
    await expectReply(ap.request('/ap/Nothing', { method: 'POST' }), 404, '{"result":false,"errormsg":"Resource Not Found","errorcode":104,"detail":null}');
  });
});

describe('errorBridge', () => {
  it("answers hono/body-limit's overflow as REQUEST_TOO_LARGE (Navixy code 9, HTTP 412), with bodyLimitError or through onError", async () => {
    const { strategy, apiKey } = await nvxScheme();
    const bridge = errorBridge(strategy);
    const reached = vi.fn();
    const app = new Hono();
    app.onError(bridge);
    app.post('/v2/own', bodyLimit({ maxSize: 32, onError: bridge.bodyLimitError }), authenticate(strategy), (c) => {
      reached();
      return c.text('reached');
    });
    app.post('/v2/default', bodyLimit({ maxSize: 32 }), authenticate(strategy), (c) => c.text('reached'));
    const big = { ...json({ padding: 'x'.repeat(64) }), headers: { ...nvxHeader(apiKey), 'content-type': 'application/json' } };
    await expectReply(app.request('/v2/own', big), 412, WIRE.nvxTooLarge);
    await expectReply(app.request('/v2/default', big), 412, WIRE.nvxTooLarge);
    expect(reached).not.toHaveBeenCalled();
    expect((await app.request('/v2/own', { ...json({}), headers: { ...nvxHeader(apiKey), 'content-type': 'application/json' } })).status).toBe(200);
  });

  it('answers a body that does not parse as REQUEST_MALFORMED, whoever parsed it', async () => {
    const { strategy, apiKey } = await nvxScheme();
    const app = new Hono();
    app.onError(errorBridge(strategy));
    app.post('/v2/tracker/list', authenticate(strategy), async (c) => c.json(await c.req.json()));
    app.post('/v2/validated', () => {
      throw new HTTPException(400, { message: 'Malformed JSON in request body' });
    });
    const broken = { method: 'POST', headers: { ...nvxHeader(apiKey), 'content-type': 'text/plain' }, body: '{"labels":' };
    await expectReply(app.request('/v2/tracker/list', broken), 400, WIRE.nvxWrongFormat);
    await expectReply(app.request('/v2/validated', { method: 'POST' }), 400, WIRE.nvxWrongFormat);
  });

  it('answers any other thrown error with INTERNAL_ERROR in the envelope and logs it; an AuthError as itself', async () => {
    const nvx = await nvxScheme();
    const apex = await hmacScheme();
    const onError = vi.fn();
    const bug = new RangeError('bug');
    const app = new Hono();
    app.onError(errorBridge(nvx.strategy, { onError }));
    app.get('/v2/bug', () => {
      throw bug;
    });
    app.get('/v2/store', () => {
      throw new AuthError('STORE_UNAVAILABLE');
    });
    app.get('/v2/forbidden', () => {
      throw new AuthError('SCOPE_DENIED');
    });
    await expectReply(app.request('/v2/bug'), 500, WIRE.nvxUnexpected);
    expect(onError).toHaveBeenCalledWith(bug);
    await expectReply(app.request('/v2/store'), 503, WIRE.nvxDatabaseUnavailable);
    await expectReply(app.request('/v2/forbidden'), 403, WIRE.nvxAccessDenied);
    expect(onError).toHaveBeenCalledTimes(2);

    const ap = new Hono();
    ap.onError(errorBridge(apex.sessions, { onError: () => undefined }));
    ap.post('/ap/GetUserInfo', () => {
      throw new Error('bug');
    });
    await expectReply(ap.request('/ap/GetUserInfo', { method: 'POST' }), 500, WIRE.apexOperationFailed);
  });

  it("maps HTTPException 404 and 405 to the scheme's codes and keeps an application's own 4xx HTTPException", async () => {
    const { strategy } = await nvxScheme();
    const app = new Hono();
    app.onError(errorBridge(strategy));
    app.get('/v2/missing', () => {
      throw new HTTPException(404);
    });
    app.get('/v2/method', () => {
      throw new HTTPException(405);
    });
    app.get('/v2/teapot', () => {
      throw new HTTPException(418, { res: new Response('short and stout', { status: 418 }) });
    });
    await expectReply(app.request('/v2/missing'), 404, WIRE.nvxWrongFormat);
    await expectReply(app.request('/v2/method'), 405, WIRE.nvxWrongFormat);
    const teapot = await app.request('/v2/teapot');
    expect({ status: teapot.status, body: await teapot.text() }).toEqual({ status: 418, body: 'short and stout' });
  });

  it("applies to a sub-app's routes only when set on the sub-app", async () => {
    const { strategy } = await nvxScheme();
    const v2 = new Hono();
    v2.onError(errorBridge(strategy, { onError: () => undefined }));
    v2.get('/bug', () => {
      throw new Error('bug');
    });
    const app = new Hono().route('/v2', v2);
    app.get('/other', () => {
      throw new Error('bug');
    });
    await expectReply(app.request('/v2/bug'), 500, WIRE.nvxUnexpected);
    const other = await app.request('/other');
    expect(other.status).toBe(500);
    expect(await other.text()).toBe('Internal Server Error');
  });
});
