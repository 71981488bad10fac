import {
  AuthError,
  ConfigurationError,
  createAuthGuard,
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  type AuthContext,
  type AuthErrorCode,
  type AuthRefusal,
  type AuthStrategy,
  type RequestBody,
  type RouteKit,
  type WireReply,
} from '@gatehouse/auth-core';
import { createSecretSealer } from '@gatehouse/auth-core/crypto';
import { accessHashCookie, createAccessHashManager } from '@gatehouse/strategy-access-hash-cookie';
import { createHmacKeyManager, hmacSession, hmacSignature, renderAuthenticateUserSuccess, signAuthenticateUser } from '@gatehouse/strategy-hmac-signature';
import { createNvxHashManager, createNvxRoutes, nvxHash, renderNvxStatus, renderNvxSuccess } from '@gatehouse/strategy-nvx-hash';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import gatehouse, { authenticate, errorBridge, notFound, routeKit, type RefusalRenderer } from './index.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** A Fastify app with the gatehouse plugin registered. */
async function createApp(options: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(options);
  apps.push(app);
  await app.register(gatehouse);
  return app;
}

/** Listens on 127.0.0.1, port 0, and returns the base URL. */
async function listen(app: FastifyInstance): Promise<string> {
  return app.listen({ port: 0, host: '127.0.0.1' });
}

/** Checks a response against a rendered reply: status, JSON content type and the body byte for byte. */
async function expectReply(response: Response, reply: WireReply<unknown>): Promise<void> {
  expect(response.status).toBe(reply.httpStatus);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(await response.text()).toBe(JSON.stringify(reply.body));
}

const refusal = (code: AuthErrorCode): AuthRefusal => ({ type: 'rejected', error: new AuthError(code) });
const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const form = (body: string, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body,
});

async function nvxSetup() {
  const store = createMemoryCredentialStore();
  const strategy = nvxHash({ store });
  const manager = createNvxHashManager({ store });
  const issue = async (): Promise<{ hash: string; id: string }> => {
    const issued = await manager.issue({ id: '1', accountType: 'master' }, { title: 'Integration Key' });
    if (!issued.ok) throw issued.error;
    return issued.value;
  };
  const { hash, id } = await issue();
  return { strategy, issue, hash, credentialId: id };
}

async function accessHashSetup() {
  const store = createMemoryCredentialStore();
  const strategy = accessHashCookie({ store });
  const manager = createAccessHashManager({ store });
  const issue = async (ip: string): Promise<string> => {
    const issued = await manager.issue('admin', { name: `from ${ip}`, ip });
    if (!issued.ok) throw issued.error;
    return issued.value.hash;
  };
  return { strategy, issue };
}

async function hmacSetup() {
  const store = createMemoryCredentialStore();
  const sealer = createSecretSealer([new Uint8Array(32).fill(7)]);
  const verifier = hmacSignature({ store, sealer, ephemeralStore: createMemoryEphemeralStore() });
  const sessions = hmacSession({ store });
  const manager = createHmacKeyManager({ store, sealer, permissions: ['Trading', 'Withdraw'] });
  const issued = await manager.issue('1', { permissions: ['Trading'], userName: 'demo' });
  if (!issued.ok) throw issued.error;
  const key = issued.value;
  let nonce = 0;
  const signed = (): Record<string, string> =>
    signAuthenticateUser({ apiKey: key.APIKey, apiSecret: key.APISecret, userId: key.UserId, nonce: `n-${++nonce}` }).headers;
  return { verifier, sessions, manager, key, signed };
}

describe('authenticate', () => {
  it("refuses a request without credentials in the strategy's own envelope and never runs the handler", async () => {
    const { strategy } = await nvxSetup();
    const handler = vi.fn();
    const app = await createApp();
    app.post('/v2/tracker/list', { preHandler: authenticate(strategy) }, handler);
    const url = await listen(app);
    await expectReply(await fetch(`${url}/v2/tracker/list`, { method: 'POST' }), strategy.renderRefusal({ type: 'absent' }));
    expect(handler).not.toHaveBeenCalled();
  });

  it('lets a good credential through and exposes who it is as request.auth, typed; null where no authenticate ran', async () => {
    const { strategy, hash, credentialId } = await nvxSetup();
    const app = await createApp();
    app.get('/v2/tracker/list', { preHandler: authenticate(strategy) }, async (request) => {
      expectTypeOf(request.auth).toEqualTypeOf<AuthContext | null>();
      return { principal: request.auth?.principal.id, credential: request.auth?.credential.id, strategyId: request.auth?.strategyId };
    });
    app.get('/open', async (request) => ({ auth: request.auth }));
    const url = await listen(app);
    const response = await fetch(`${url}/v2/tracker/list`, { headers: { authorization: `NVX ${hash}` } });
    expect(await response.json()).toEqual({ principal: '1', credential: credentialId, strategyId: 'nvx-hash' });
    expect(await (await fetch(`${url}/open`)).json()).toEqual({ auth: null });
  });

  it("reads a hash in the JSON body Fastify parsed, and the handler keeps request.body", async () => {
    const { strategy, hash } = await nvxSetup();
    const app = await createApp();
    app.post('/v2/tracker/list', { preHandler: authenticate(strategy) }, async (request) => ({ body: request.body, id: request.auth?.principal.id }));
    const url = await listen(app);
    expect(await (await fetch(`${url}/v2/tracker/list`, json({ hash, limit: 5 }))).json()).toEqual({ body: { hash, limit: 5 }, id: '1' });
    await expectReply(await fetch(`${url}/v2/tracker/list`, json({ hash: 'f'.repeat(32) }, { authorization: `NVX ${hash}` })), strategy.renderRefusal(refusal('CREDENTIALS_AMBIGUOUS')));
  });

  it('refuses a parsed body over maxBodyBytes with Navixy code 9 and HTTP 412', async () => {
    const { strategy, hash } = await nvxSetup();
    const app = await createApp();
    app.post('/v2/tracker/list', { preHandler: authenticate(strategy, { maxBodyBytes: 64 }) }, async () => ({ ok: true }));
    const url = await listen(app);
    const response = await fetch(`${url}/v2/tracker/list`, json({ hash, padding: 'x'.repeat(200) }));
    expect(response.status).toBe(412);
    await expectReply(response, strategy.renderRefusal(refusal('REQUEST_TOO_LARGE')));
  });

  it('sees the path as received inside a prefixed plugin, so a user key is refused on the panel API', async () => {
    const { strategy, hash } = await nvxSetup();
    const app = await createApp();
    await app.register(
      async (panel) => {
        panel.get('/tariff/list', { preHandler: authenticate(strategy) }, async () => ({ ok: true }));
      },
      { prefix: '/v2/panel' },
    );
    const url = await listen(app);
    await expectReply(
      await fetch(`${url}/v2/panel/tariff/list`, { headers: { authorization: `NVX ${hash}` } }),
      strategy.renderRefusal(refusal('CREDENTIALS_NOT_ACCEPTED_HERE')),
    );
  });

  it('with optional: passes a request without credentials with request.auth null, and still refuses a wrong one', async () => {
    const { strategy } = await nvxSetup();
    const app = await createApp();
    app.get('/v2/public', { preHandler: authenticate(strategy, { optional: true }) }, async (request) => ({ auth: request.auth }));
    const url = await listen(app);
    expect(await (await fetch(`${url}/v2/public`)).json()).toEqual({ auth: null });
    await expectReply(await fetch(`${url}/v2/public`, { headers: { authorization: `NVX ${'0'.repeat(32)}` } }), strategy.renderRefusal(refusal('CREDENTIALS_INVALID')));
  });

  it('with require: refuses a credential without every permission with SCOPE_DENIED in the APEX envelope', async () => {
    const { verifier, sessions, manager, signed } = await hmacSetup();
    const app = await createApp();
    app.post('/AuthenticateUser', { preHandler: authenticate(verifier) }, async (request, reply) => {
      const session = await manager.startSession(request.auth as AuthContext);
      if (!session.ok) throw session.error;
      const rendered = renderAuthenticateUserSuccess(session.value.token, { userId: request.auth?.principal.id ?? '', userName: 'demo' });
      return reply.code(rendered.httpStatus).send(rendered.body);
    });
    app.post('/ap/SendOrder', { preHandler: authenticate(sessions, { require: 'Trading' }) }, async () => ({ result: true }));
    app.post('/ap/Withdraw', { preHandler: authenticate(sessions, { require: ['Trading', 'Withdraw'] }) }, async () => ({ result: true }));
    const url = await listen(app);
    const login = (await (await fetch(`${url}/AuthenticateUser`, { method: 'POST', headers: signed() })).json()) as { Authenticated: boolean; SessionToken: string };
    expect(login.Authenticated).toBe(true);
    const headers = { aptoken: login.SessionToken };
    expect(await (await fetch(`${url}/ap/SendOrder`, { method: 'POST', headers })).json()).toEqual({ result: true });
    await expectReply(await fetch(`${url}/ap/Withdraw`, { method: 'POST', headers }), sessions.renderRefusal(refusal('SCOPE_DENIED')));
  });

  it('answers AuthenticateUser refusals in the APEX envelope, reading the four values from a JSON body too', async () => {
    const { verifier, key, signed } = await hmacSetup();
    const app = await createApp();
    app.post('/AuthenticateUser', { preHandler: authenticate(verifier) }, async (request) => ({ user: request.auth?.principal.id }));
    const url = await listen(app);
    await expectReply(await fetch(`${url}/AuthenticateUser`, { method: 'POST' }), verifier.renderRefusal({ type: 'absent' }));
    expect(await (await fetch(`${url}/AuthenticateUser`, json(signed()))).json()).toEqual({ user: key.UserId });
    await expectReply(
      await fetch(`${url}/AuthenticateUser`, json({ ...signed(), Signature: '0'.repeat(64) })),
      verifier.renderRefusal(refusal('CREDENTIALS_INVALID')),
    );
  });

  it('throws a ConfigurationError naming the option for a bad strategy, a misspelt option or a bad client IP source', async () => {
    const { strategy } = await nvxSetup();
    const option = (build: () => unknown): string | undefined => {
      try {
        build();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return (error as ConfigurationError).option;
      }
      return undefined;
    };
    expect(option(() => authenticate({} as typeof strategy))).toBe('strategy');
    expect(option(() => authenticate(strategy, { requires: 'x' } as never))).toBe('requires');
    expect(option(() => authenticate(strategy, { optional: 'yes' as unknown as boolean }))).toBe('optional');
    expect(option(() => authenticate(strategy, { clientIp: 'proxy' as 'socket' }))).toBe('clientIp');
    expect(option(() => authenticate(strategy, { clientIp: { header: 'x real ip' } }))).toBe('clientIp.header');
    expect(option(() => authenticate(strategy, { clientIp: { trustedProxies: ['not-an-ip'] } }))).toBe('clientIp.trustedProxies');
    expect(option(() => authenticate(strategy, { clientIp: { header: 'x-real-ip', trustedProxies: ['10.0.0.1'] } as never }))).toBe('clientIp');
    expect(option(() => authenticate(strategy, { maxBodyBytes: 1.5 }))).toBe('maxBodyBytes');
  });
});

describe('client IP (access hashes bound to one IP)', () => {
  const FORWARDED = { 'x-forwarded-for': '203.0.113.9' };
  const cookie = (hash: string, headers: Record<string, string> = {}): RequestInit => ({ headers: { cookie: `access_hash=${hash}`, ...headers } });

  async function setup(options: Parameters<typeof authenticate>[1], server: FastifyServerOptions = {}) {
    const { strategy, issue } = await accessHashSetup();
    const app = await createApp(server);
    app.get('/api/v1/system/status', { preHandler: authenticate(strategy, options) }, async (request) => ({
      error: '',
      msg: { user: request.auth?.principal.id },
      status: 'success',
    }));
    return { strategy, issue, url: await listen(app) };
  }

  it("'socket' (the default) uses the TCP peer and ignores X-Forwarded-For", async () => {
    const { strategy, issue, url } = await setup(undefined, { trustProxy: true });
    expect((await fetch(`${url}/api/v1/system/status`, cookie(await issue('127.0.0.1'), FORWARDED))).status).toBe(200);
    await expectReply(await fetch(`${url}/api/v1/system/status`, cookie(await issue('203.0.113.9'), FORWARDED)), strategy.renderRefusal(refusal('IP_NOT_ALLOWED')));
    await expectReply(await fetch(`${url}/api/v1/system/status`), strategy.renderRefusal({ type: 'absent' }));
  });

  it("'framework' uses request.ip under Fastify's trustProxy setting", async () => {
    const { strategy, issue, url } = await setup({ clientIp: 'framework' }, { trustProxy: '127.0.0.1' });
    expect(await (await fetch(`${url}/api/v1/system/status`, cookie(await issue('203.0.113.9'), FORWARDED))).json()).toEqual({
      error: '',
      msg: { user: 'admin' },
      status: 'success',
    });
    await expectReply(await fetch(`${url}/api/v1/system/status`, cookie(await issue('127.0.0.1'), FORWARDED)), strategy.renderRefusal(refusal('IP_NOT_ALLOWED')));
  });

  it("'framework' without trustProxy is the socket address", async () => {
    const { strategy, issue, url } = await setup({ clientIp: 'framework' });
    await expectReply(await fetch(`${url}/api/v1/system/status`, cookie(await issue('203.0.113.9'), FORWARDED)), strategy.renderRefusal(refusal('IP_NOT_ALLOWED')));
    expect((await fetch(`${url}/api/v1/system/status`, cookie(await issue('127.0.0.1'), FORWARDED))).status).toBe(200);
  });

  it('{ trustedProxies } reads X-Forwarded-For behind the listed proxies only', async () => {
    const trusted = await setup({ clientIp: { trustedProxies: ['127.0.0.1'] } });
    expect((await fetch(`${trusted.url}/api/v1/system/status`, cookie(await trusted.issue('203.0.113.9'), FORWARDED))).status).toBe(200);
    const untrusted = await setup({ clientIp: { trustedProxies: ['10.0.0.1'] } });
    await expectReply(
      await fetch(`${untrusted.url}/api/v1/system/status`, cookie(await untrusted.issue('203.0.113.9'), FORWARDED)),
      untrusted.strategy.renderRefusal(refusal('IP_NOT_ALLOWED')),
    );
  });

  it('{ header } reads the platform header, and without it the client IP is unknown and the hash refused', async () => {
    const { strategy, issue, url } = await setup({ clientIp: { header: 'x-real-ip' } });
    expect((await fetch(`${url}/api/v1/system/status`, cookie(await issue('198.51.100.4'), { 'x-real-ip': '198.51.100.4' }))).status).toBe(200);
    await expectReply(await fetch(`${url}/api/v1/system/status`, cookie(await issue('127.0.0.1'))), strategy.renderRefusal(refusal('IP_NOT_ALLOWED')));
  });
});

const bodyOf = (body: RequestBody): unknown =>
  body.type === 'json' ? body.value : body.type === 'form' ? Object.fromEntries(body.fields) : { type: body.type };

/** A small Navixy-flavoured kit built from core's RouteKit type. */
function testKit(strategy: AuthStrategy): RouteKit {
  const guard = createAuthGuard(strategy);
  return {
    id: 'nvx-hash',
    basePaths: ['/v2'],
    renderRefusal: (refused) => strategy.renderRefusal(refused),
    routes: [
      {
        methods: ['POST'],
        path: '/echo/:id',
        summary: 'the parameter and the body as the kit read them',
        handle: async ({ auth, params }) => renderNvxSuccess({ id: params['id'], body: bodyOf(await auth.body()), ip: auth.clientIp }),
      },
      {
        methods: ['GET', 'POST'],
        path: '/api/key/list',
        summary: 'an API key -> its own id',
        handle: async ({ auth }) => {
          const decision = await guard(auth);
          return decision.type === 'refused' ? decision.reply : renderNvxSuccess({ list: [decision.auth?.credential.id] });
        },
      },
      { methods: ['POST'], path: '/store/down', summary: 'a store that cannot be reached', handle: () => Promise.reject(new AuthError('STORE_UNAVAILABLE')) },
      { methods: ['POST'], path: '/bug', summary: 'a handler that fails', handle: () => Promise.reject(new Error('boom')) },
    ],
  };
}

describe('routeKit', () => {
  it("answers the kit's routes in its envelope with path parameters and the body, and leaves other paths to the app", async () => {
    const { strategy, hash, credentialId } = await nvxSetup();
    const app = await createApp();
    await app.register(routeKit(testKit(strategy)));
    app.get('/v2/tracker/list', async () => ({ mine: true }));
    const url = await listen(app);
    await expectReply(await fetch(`${url}/v2/echo/a%20b`, json({ login: 'demo' })), renderNvxSuccess({ id: 'a b', body: { login: 'demo' }, ip: '127.0.0.1' }));
    await expectReply(await fetch(`${url}/v2/echo/1`, form('login=a&login=b')), renderNvxSuccess({ id: '1', body: { login: ['a', 'b'] }, ip: '127.0.0.1' }));
    await expectReply(
      await fetch(`${url}/v2/echo/2`, json({ login: 'x' }, { 'content-type': 'application/vnd.api+json; charset=utf-8' })),
      renderNvxSuccess({ id: '2', body: { login: 'x' }, ip: '127.0.0.1' }),
    );
    await expectReply(await fetch(`${url}/v2/api/key/list`, { headers: { authorization: `NVX ${hash}` } }), renderNvxSuccess({ list: [credentialId] }));
    await expectReply(await fetch(`${url}/v2/api/key/list`), strategy.renderRefusal({ type: 'absent' }));
    expect(await (await fetch(`${url}/v2/tracker/list`)).json()).toEqual({ mine: true });
    const head = await fetch(`${url}/v2/api/key/list`, { method: 'HEAD', headers: { authorization: `NVX ${hash}` } });
    expect(head.status).toBe(200);
  });

  it("answers a known path with another method with 405 and an Allow header, in the kit's envelope", async () => {
    const { strategy } = await nvxSetup();
    const app = await createApp();
    await app.register(routeKit(testKit(strategy)));
    const url = await listen(app);
    const response = await fetch(`${url}/v2/echo/1`, { method: 'DELETE' });
    expect(response.headers.get('allow')).toBe('POST');
    await expectReply(response, strategy.renderRefusal(refusal('METHOD_NOT_ALLOWED')));
  });

  it('answers a failing store with 503 in the envelope and a failing handler with INTERNAL_ERROR, telling onError', async () => {
    const { strategy } = await nvxSetup();
    const onError = vi.fn();
    const app = await createApp();
    await app.register(routeKit(testKit(strategy), { onError }));
    const url = await listen(app);
    await expectReply(await fetch(`${url}/v2/store/down`, { method: 'POST' }), strategy.renderRefusal(refusal('STORE_UNAVAILABLE')));
    await expectReply(await fetch(`${url}/v2/bug`, { method: 'POST' }), strategy.renderRefusal(refusal('INTERNAL_ERROR')));
    expect(onError).toHaveBeenCalledTimes(2);
    expect((onError.mock.calls[1]?.[0] as Error).message).toBe('boom');
  });

  it("answers a body over maxBodyBytes with Navixy code 9 and HTTP 412 from the kit's own context", async () => {
    const { strategy } = await nvxSetup();
    const app = await createApp();
    await app.register(routeKit(testKit(strategy), { maxBodyBytes: 64 }));
    const url = await listen(app);
    await expectReply(await fetch(`${url}/v2/echo/1`, json({ padding: 'x'.repeat(100) })), strategy.renderRefusal(refusal('REQUEST_TOO_LARGE')));
    await expectReply(await fetch(`${url}/v2/echo/1`, form(`a=${'x'.repeat(100)}`)), strategy.renderRefusal(refusal('REQUEST_TOO_LARGE')));
  });

  it('hands strategies the raw bytes: repeated urlencoded fields and repeated JSON keys that disagree with the header are refused as ambiguous', async () => {
    const { strategy, hash } = await nvxSetup();
    const other = 'f'.repeat(32);
    const app = await createApp();
    await app.register(routeKit(testKit(strategy)));
    const url = await listen(app);
    const ambiguous = strategy.renderRefusal(refusal('CREDENTIALS_AMBIGUOUS'));
    // Fastify itself has no urlencoded parser: without the kit's, this body would be a 415.
    await expectReply(await fetch(`${url}/v2/api/key/list`, form(`hash=${hash}&hash=${other}`)), ambiguous);
    await expectReply(await fetch(`${url}/v2/api/key/list`, json(`{"hash":"${hash}","hash":"${other}"}`, { authorization: `NVX ${hash}` })), ambiguous);
    expect((await fetch(`${url}/v2/api/key/list`, form(`hash=${hash}`))).status).toBe(200);
  });

  it('applies its clientIp option', async () => {
    const { strategy } = await nvxSetup();
    const app = await createApp();
    await app.register(routeKit(testKit(strategy), { clientIp: { header: 'x-real-ip' } }));
    const url = await listen(app);
    await expectReply(await fetch(`${url}/v2/echo/7`, json({}, { 'x-real-ip': '192.0.2.1' })), renderNvxSuccess({ id: '7', body: {}, ip: '192.0.2.1' }));
  });

  it('keeps its parsers to its own context: the application keeps Fastify\'s JSON parser', async () => {
    const { strategy } = await nvxSetup();
    const app = await createApp();
    await app.register(routeKit(testKit(strategy)));
    app.post('/mine', async (request) => ({ parsed: request.body }));
    const url = await listen(app);
    expect(await (await fetch(`${url}/mine`, json({ a: 1 }))).json()).toEqual({ parsed: { a: 1 } });
    expect((await fetch(`${url}/mine`, form('a=1'))).status).toBe(415);
  });

  it('refuses to be registered under a prefix (its paths are absolute), and a bad kit or onError at construction', async () => {
    const { strategy } = await nvxSetup();
    const app = await createApp();
    await expect(app.register(routeKit(testKit(strategy)), { prefix: '/v2' })).rejects.toThrow(expect.objectContaining({ option: 'prefix' }));
    expect(() => routeKit({ ...testKit(strategy), basePaths: [] })).toThrow(expect.objectContaining({ option: 'basePaths' }));
    expect(() => routeKit(testKit(strategy), { onError: 'log' as unknown as () => void })).toThrow(expect.objectContaining({ option: 'onError' }));
  });
});

describe("a strategy package's own kit (createNvxRoutes)", () => {
  it("serves login and key management in Navixy's envelope, with the application's routes and the bridge around it", async () => {
    const store = createMemoryCredentialStore();
    const strategy = nvxHash({ store });
    const manager = createNvxHashManager({ store });
    const verifyLogin = async (login: string, password: string) => (login === 'demo' && password === 'secret' ? { id: '1', accountType: 'master' as const } : null);
    const app = await createApp();
    await app.register(routeKit(createNvxRoutes({ strategy, manager, verifyLogin })));
    await app.register(async (v2) => {
      await v2.register(errorBridge(strategy));
      v2.post('/tracker/list', { preHandler: authenticate(strategy) }, async (request) => ({ success: true, list: [], user_id: request.auth?.principal.id }));
    }, { prefix: '/v2' });
    const url = await listen(app);

    const login = (await (await fetch(`${url}/v2/user/auth`, json({ login: 'demo', password: 'secret' }))).json()) as { success: boolean; hash: string };
    expect(login).toEqual({ success: true, hash: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const session = { authorization: `NVX ${login.hash}` };
    const created = (await (await fetch(`${url}/v2/api/key/create`, form('title=Integration', session))).json()) as { value: { hash: string } };
    expect(created).toMatchObject({ success: true, value: { title: 'Integration' } });
    expect(await (await fetch(`${url}/v2/tracker/list`, { method: 'POST', headers: { authorization: `NVX ${created.value.hash}` } })).json()).toEqual({ success: true, list: [], user_id: '1' });
    await expectReply(await fetch(`${url}/v2/user/auth`, form('login=demo&password=wrong')), renderNvxStatus(4));
    // The kit's parsers keep the bytes: both values of a repeated field reach the kit, which refuses to guess.
    await expectReply(await fetch(`${url}/v2/user/auth`, form('login=demo&login=other&password=secret')), renderNvxStatus(7));
    await expectReply(await fetch(`${url}/v2/user/auth`, { method: 'DELETE' }), strategy.renderRefusal(refusal('METHOD_NOT_ALLOWED')));
    await expectReply(await fetch(`${url}/v2/no/such/call`), strategy.renderRefusal(refusal('ROUTE_NOT_FOUND')));
  });
});

describe('notFound and errorBridge', () => {
  async function v2App(strategy: RefusalRenderer & AuthStrategy, options: FastifyServerOptions = {}, onError?: (error: unknown) => void) {
    const app = await createApp(options);
    await app.register(
      async (v2) => {
        await v2.register(errorBridge(strategy, onError === undefined ? {} : { onError }));
        v2.post('/tracker/list', { preHandler: authenticate(strategy) }, async () => ({ ok: true }));
        v2.post('/open', async (request) => ({ body: request.body }));
        v2.post('/validated', { schema: { body: { type: 'object', required: ['tracker_id'] } } }, async () => ({ ok: true }));
        v2.get('/bug', async () => {
          throw new Error('boom');
        });
        v2.get('/store', async () => {
          throw new AuthError('STORE_UNAVAILABLE');
        });
      },
      { prefix: '/v2' },
    );
    app.get('/other', async () => ({ other: true }));
    return listen(app);
  }

  it("answers an unknown route under the mount with ROUTE_NOT_FOUND in the scheme's envelope, and nothing outside it", async () => {
    const { strategy } = await nvxSetup();
    const url = await v2App(strategy);
    const reply = strategy.renderRefusal(refusal('ROUTE_NOT_FOUND'));
    expect(reply.httpStatus).toBe(404);
    await expectReply(await fetch(`${url}/v2/no/such/call`, { method: 'POST' }), reply);
    const outside = await fetch(`${url}/nothing`);
    expect(outside.status).toBe(404);
    expect(await outside.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it("a body over Fastify's bodyLimit is Navixy code 9 with HTTP 412", async () => {
    const { strategy, hash } = await nvxSetup();
    const url = await v2App(strategy, { bodyLimit: 100 });
    const response = await fetch(`${url}/v2/tracker/list`, json({ hash, padding: 'x'.repeat(200) }));
    expect(response.status).toBe(412);
    await expectReply(response, strategy.renderRefusal(refusal('REQUEST_TOO_LARGE')));
  });

  it('an unparsable or empty JSON body and an unsupported media type are REQUEST_MALFORMED; a failed schema PARAMETER_INVALID', async () => {
    const { strategy } = await nvxSetup();
    const url = await v2App(strategy);
    const malformed = strategy.renderRefusal(refusal('REQUEST_MALFORMED'));
    await expectReply(await fetch(`${url}/v2/open`, json('{"hash":')), malformed);
    await expectReply(await fetch(`${url}/v2/open`, json('')), malformed);
    await expectReply(await fetch(`${url}/v2/open`, form('a=1')), malformed);
    await expectReply(await fetch(`${url}/v2/validated`, json({})), strategy.renderRefusal(refusal('PARAMETER_INVALID')));
    expect(await (await fetch(`${url}/v2/validated`, json({ tracker_id: 1 }))).json()).toEqual({ ok: true });
  });

  it('answers a thrown error with INTERNAL_ERROR and a thrown AuthError as itself, telling onError of every 5xx', async () => {
    const { strategy } = await nvxSetup();
    const onError = vi.fn();
    const url = await v2App(strategy, {}, onError);
    await expectReply(await fetch(`${url}/v2/bug`), strategy.renderRefusal(refusal('INTERNAL_ERROR')));
    expect((onError.mock.calls[0]?.[0] as Error).message).toBe('boom');
    await expectReply(await fetch(`${url}/v2/store`), strategy.renderRefusal(refusal('STORE_UNAVAILABLE')));
    expect(onError).toHaveBeenCalledTimes(2);
  });

  it('logs an INTERNAL_ERROR with request.log.error when no onError is given', async () => {
    const { strategy } = await nvxSetup();
    const lines: string[] = [];
    const url = await v2App(strategy, { logger: { level: 'error', stream: { write: (line: string) => void lines.push(line) } } });
    await expectReply(await fetch(`${url}/v2/bug`), strategy.renderRefusal(refusal('INTERNAL_ERROR')));
    expect(lines.join('')).toContain('boom');
  });

  it('answers in the PUQ envelope for the access-hash scheme (413 for a body over the limit, 404 for no route)', async () => {
    const { strategy, issue } = await accessHashSetup();
    const hash = await issue('127.0.0.1');
    const app = await createApp({ bodyLimit: 50 });
    await app.register(async (api) => {
      await api.register(errorBridge(strategy));
      api.post('/vpn/accounts', { preHandler: authenticate(strategy) }, async () => ({ ok: true }));
    }, { prefix: '/api/v1' });
    const url = await listen(app);
    await expectReply(
      await fetch(`${url}/api/v1/vpn/accounts`, json({ name: 'x'.repeat(100) }, { cookie: `access_hash=${hash}` })),
      strategy.renderRefusal(refusal('REQUEST_TOO_LARGE')),
    );
    await expectReply(await fetch(`${url}/api/v1/none`), strategy.renderRefusal(refusal('ROUTE_NOT_FOUND')));
  });

  it('answers in the APEX envelope for AuthenticateUser (a malformed JSON body), with notFound as the root handler', async () => {
    const { verifier } = await hmacSetup();
    const app = await createApp();
    await app.register(errorBridge(verifier));
    app.post('/AuthenticateUser', { preHandler: authenticate(verifier) }, async () => ({ ok: true }));
    const url = await listen(app);
    await expectReply(await fetch(`${url}/AuthenticateUser`, json('{"APIKey"')), verifier.renderRefusal(refusal('REQUEST_MALFORMED')));
    await expectReply(await fetch(`${url}/GetNothing`, { method: 'POST' }), verifier.renderRefusal(refusal('ROUTE_NOT_FOUND')));
  });

  it('notFound is a not-found handler of its own', async () => {
    const { strategy } = await nvxSetup();
    const app = await createApp();
    await app.register(async (v2) => {
      v2.setNotFoundHandler(notFound(strategy));
    }, { prefix: '/v2' });
    const url = await listen(app);
    await expectReply(await fetch(`${url}/v2/none`), strategy.renderRefusal(refusal('ROUTE_NOT_FOUND')));
  });

  it('throws a ConfigurationError naming renderer for something that cannot render a refusal', () => {
    expect(() => notFound({} as RefusalRenderer)).toThrow(expect.objectContaining({ option: 'renderer' }));
    expect(() => errorBridge(null as unknown as RefusalRenderer)).toThrow(expect.objectContaining({ option: 'renderer' }));
    expect(() => errorBridge({ renderRefusal: () => ({ httpStatus: 500, headers: {}, body: null }) }, { onError: 1 as unknown as () => void })).toThrow(
      expect.objectContaining({ option: 'onError' }),
    );
  });
});
