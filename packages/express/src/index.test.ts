import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import {
  AuthError,
  ConfigurationError,
  createAuthGuard,
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  type AuthContext,
  type AuthErrorCode,
  type AuthRefusal,
  type RequestBody,
  type RouteKit,
  type WireReply,
} from '@gatehouse/auth-core';
import { createSecretSealer } from '@gatehouse/auth-core/crypto';
import { accessHashCookie, createAccessHashManager } from '@gatehouse/strategy-access-hash-cookie';
import { createHmacKeyManager, hmacSession, hmacSignature, renderAuthenticateUserSuccess, signAuthenticateUser } from '@gatehouse/strategy-hmac-signature';
import { createNvxHashManager, createNvxRoutes, nvxHash, renderNvxStatus, renderNvxSuccess } from '@gatehouse/strategy-nvx-hash';
import express from 'express';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { authenticate, errorBridge, notFound, routeKit, type RefusalRenderer } from './index.js';

// The same suite runs on Express 5 (`express`) and Express 4 (the `express4` alias of express@4).
const express4 = createRequire(import.meta.url)('express4') as typeof express;
const EXPRESS = [
  ['Express 5', express],
  ['Express 4', express4],
] as const;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
});

/** Listens on 127.0.0.1, port 0, and returns the base URL. */
async function listen(app: express.Express): Promise<string> {
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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

/** Navixy-style hashes (API keys) in a memory store. */
async function nvxSetup() {
  const store = createMemoryCredentialStore();
  const strategy = nvxHash({ store });
  const manager = createNvxHashManager({ store });
  const issued = await manager.issue({ id: '1', accountType: 'master' }, { title: 'Integration Key' });
  if (!issued.ok) throw issued.error;
  return { strategy, manager, hash: issued.value.hash, credentialId: issued.value.id };
}

/** PUQ access hashes, one per client IP. */
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

/** APEX API keys (`AuthenticateUser`) and their `aptoken` sessions. */
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

describe.each(EXPRESS)('%s: authenticate', (_name, createExpress) => {
  it('refuses a request without credentials in the strategy\'s own envelope and never runs the handler', async () => {
    const { strategy } = await nvxSetup();
    const handler = vi.fn();
    const app = createExpress();
    app.post('/v2/tracker/list', authenticate(strategy), handler);
    const url = await listen(app);
    await expectReply(await fetch(`${url}/v2/tracker/list`, { method: 'POST' }), strategy.renderRefusal({ type: 'absent' }));
    expect(handler).not.toHaveBeenCalled();
  });

  it('lets a good credential through and exposes who it is as req.auth, typed', async () => {
    const { strategy, hash, credentialId } = await nvxSetup();
    const app = createExpress();
    app.get('/v2/tracker/list', authenticate(strategy), (req, res) => {
      expectTypeOf(req.auth).toEqualTypeOf<AuthContext | null | undefined>();
      res.json({ principal: req.auth?.principal.id, credential: req.auth?.credential.id, strategyId: req.auth?.strategyId });
    });
    const url = await listen(app);
    const response = await fetch(`${url}/v2/tracker/list`, { headers: { authorization: `NVX ${hash}` } });
    expect(await response.json()).toEqual({ principal: '1', credential: credentialId, strategyId: 'nvx-hash' });
  });

  it('reads a hash in the JSON body when express.json() ran before it, and the handler keeps req.body', async () => {
    const { strategy, hash } = await nvxSetup();
    const app = createExpress();
    app.use(createExpress.json());
    app.post('/v2/tracker/list', authenticate(strategy), (req, res) => res.json({ body: req.body as unknown, id: req.auth?.principal.id }));
    const url = await listen(app);
    const response = await fetch(`${url}/v2/tracker/list`, json({ hash, limit: 5 }));
    expect(await response.json()).toEqual({ body: { hash, limit: 5 }, id: '1' });
  });

  it('reads a hash in the JSON body itself when no parser ran, and express.json() after it still gives req.body', async () => {
    const { strategy, hash } = await nvxSetup();
    const app = createExpress();
    app.post('/v2/tracker/list', authenticate(strategy), createExpress.json(), (req, res) => res.json({ body: req.body as unknown, id: req.auth?.principal.id }));
    const url = await listen(app);
    const response = await fetch(`${url}/v2/tracker/list`, json({ hash, limit: 5 }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ body: { hash, limit: 5 }, id: '1' });
  });

  it('reads a urlencoded hash before and after express.urlencoded(), leaving the fields on req.body', async () => {
    const { strategy, hash } = await nvxSetup();
    const app = createExpress();
    const echo: express.RequestHandler = (req, res) => {
      res.json({ body: req.body as unknown, id: req.auth?.principal.id });
    };
    app.post('/v2/before', createExpress.urlencoded({ extended: false }), authenticate(strategy), echo);
    app.post('/v2/after', authenticate(strategy), createExpress.urlencoded({ extended: false }), echo);
    const url = await listen(app);
    for (const path of ['/v2/before', '/v2/after']) {
      const response = await fetch(`${url}${path}`, form(`hash=${hash}&tracker_id=7`));
      expect(await response.json()).toEqual({ body: { hash, tracker_id: '7' }, id: '1' });
    }
  });

  it('leaves a body of another type in the stream, for express.text() after it', async () => {
    const { strategy, hash } = await nvxSetup();
    const app = createExpress();
    app.post('/v2/notes', authenticate(strategy), createExpress.text(), (req, res) => res.json({ id: req.auth?.principal.id, body: req.body ?? null }));
    app.use(errorBridge(strategy, { onError: () => undefined }));
    const url = await listen(app);
    const response = await fetch(`${url}/v2/notes`, { method: 'POST', headers: { authorization: `NVX ${hash}`, 'content-type': 'text/plain' }, body: 'a note' });
    expect(await response.json()).toEqual({ id: '1', body: 'a note' });
  });

  it('reads the exact bytes that express.raw() left, so two different hashes in one form are refused as ambiguous', async () => {
    const { strategy, hash } = await nvxSetup();
    const other = 'f'.repeat(32);
    const app = createExpress();
    app.post('/v2/tracker/list', createExpress.raw({ type: '*/*' }), authenticate(strategy), (_req, res) => res.json({ ok: true }));
    const url = await listen(app);
    await expectReply(await fetch(`${url}/v2/tracker/list`, form(`hash=${hash}&hash=${other}`)), strategy.renderRefusal(refusal('CREDENTIALS_AMBIGUOUS')));
    expect(await (await fetch(`${url}/v2/tracker/list`, form(`hash=${hash}`))).json()).toEqual({ ok: true });
  });

  it('refuses a body it read over maxBodyBytes with Navixy code 9 and HTTP 412', async () => {
    const { strategy, hash } = await nvxSetup();
    const app = createExpress();
    app.post('/v2/tracker/list', authenticate(strategy, { maxBodyBytes: 64 }), (_req, res) => res.json({ ok: true }));
    const url = await listen(app);
    const response = await fetch(`${url}/v2/tracker/list`, json({ hash, padding: 'x'.repeat(200) }));
    await expectReply(response, strategy.renderRefusal(refusal('REQUEST_TOO_LARGE')));
    expect(response.status).toBe(412);
  });

  it('sees the path as received under an express.Router() mount, so a user key is refused on the panel API', async () => {
    const { strategy, hash } = await nvxSetup();
    const panel = createExpress.Router();
    panel.get('/tariff/list', authenticate(strategy), (_req, res) => res.json({ ok: true }));
    const user = createExpress.Router();
    user.get('/tracker/list', authenticate(strategy), (req, res) => res.json({ id: req.auth?.principal.id }));
    const app = createExpress();
    app.use('/v2/panel', panel);
    app.use('/v2', user);
    const url = await listen(app);
    const headers = { authorization: `NVX ${hash}` };
    await expectReply(await fetch(`${url}/v2/panel/tariff/list`, { headers }), strategy.renderRefusal(refusal('CREDENTIALS_NOT_ACCEPTED_HERE')));
    expect(await (await fetch(`${url}/v2/tracker/list`, { headers })).json()).toEqual({ id: '1' });
  });

  it('with optional: passes a request without credentials with req.auth null, and still refuses a wrong one', async () => {
    const { strategy } = await nvxSetup();
    const app = createExpress();
    app.get('/v2/public', authenticate(strategy, { optional: true }), (req, res) => res.json({ auth: req.auth }));
    const url = await listen(app);
    expect(await (await fetch(`${url}/v2/public`)).json()).toEqual({ auth: null });
    await expectReply(
      await fetch(`${url}/v2/public`, { headers: { authorization: `NVX ${'0'.repeat(32)}` } }),
      strategy.renderRefusal(refusal('CREDENTIALS_INVALID')),
    );
  });

  it('with require: refuses a credential without every permission with SCOPE_DENIED in the APEX envelope', async () => {
    const { verifier, sessions, manager, signed } = await hmacSetup();
    const app = createExpress();
    app.post('/AuthenticateUser', authenticate(verifier), async (req, res) => {
      const session = await manager.startSession(req.auth as AuthContext);
      if (!session.ok) throw session.error;
      const reply = renderAuthenticateUserSuccess(session.value.token, { userId: req.auth?.principal.id ?? '', userName: 'demo' });
      res.status(reply.httpStatus).json(reply.body);
    });
    app.post('/ap/SendOrder', authenticate(sessions, { require: 'Trading' }), (_req, res) => res.json({ result: true }));
    app.post('/ap/Withdraw', authenticate(sessions, { require: ['Trading', 'Withdraw'] }), (_req, res) => res.json({ result: true }));
    const url = await listen(app);
    const login = (await (await fetch(`${url}/AuthenticateUser`, { method: 'POST', headers: signed() })).json()) as { Authenticated: boolean; SessionToken: string };
    expect(login.Authenticated).toBe(true);
    const headers = { aptoken: login.SessionToken };
    expect(await (await fetch(`${url}/ap/SendOrder`, { method: 'POST', headers })).json()).toEqual({ result: true });
    await expectReply(await fetch(`${url}/ap/Withdraw`, { method: 'POST', headers }), sessions.renderRefusal(refusal('SCOPE_DENIED')));
  });

  it('answers AuthenticateUser refusals in the APEX envelope, reading the four values from a JSON body too', async () => {
    const { verifier, key, signed } = await hmacSetup();
    const app = createExpress();
    app.post('/AuthenticateUser', authenticate(verifier), (req, res) => res.json({ user: req.auth?.principal.id }));
    const url = await listen(app);
    await expectReply(await fetch(`${url}/AuthenticateUser`, { method: 'POST' }), verifier.renderRefusal({ type: 'absent' }));
    const values = signed();
    expect(await (await fetch(`${url}/AuthenticateUser`, json(values))).json()).toEqual({ user: key.UserId });
    await expectReply(
      await fetch(`${url}/AuthenticateUser`, json({ ...signed(), Signature: '0'.repeat(64) })),
      verifier.renderRefusal(refusal('CREDENTIALS_INVALID')),
    );
  });

  it('throws a ConfigurationError naming the option for a bad strategy, guard option or client IP source', async () => {
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
    expect(option(() => authenticate(strategy, { optional: 'yes' as unknown as boolean }))).toBe('optional');
    expect(option(() => authenticate(strategy, { clientIp: 'proxy' as 'socket' }))).toBe('clientIp');
    expect(option(() => authenticate(strategy, { clientIp: { header: 'x real ip' } }))).toBe('clientIp.header');
    expect(option(() => authenticate(strategy, { clientIp: { trustedProxies: ['not-an-ip'] } }))).toBe('clientIp.trustedProxies');
    expect(option(() => authenticate(strategy, { clientIp: { header: 'x-real-ip', trustedProxies: ['10.0.0.1'] } as never }))).toBe('clientIp');
    expect(option(() => authenticate(strategy, { maxBodyBytes: -1 }))).toBe('maxBodyBytes');
  });
});

describe.each(EXPRESS)('%s: client IP (access hashes bound to one IP)', (_name, createExpress) => {
  const FORWARDED = { 'x-forwarded-for': '203.0.113.9' };

  async function app(options: Parameters<typeof authenticate>[1], configure?: (app: express.Express) => void) {
    const { strategy, issue } = await accessHashSetup();
    const application = createExpress();
    configure?.(application);
    application.get('/api/v1/system/status', authenticate(strategy, options), (req, res) => {
      res.json({ error: '', msg: { user: req.auth?.principal.id }, status: 'success' });
    });
    return { strategy, issue, url: await listen(application) };
  }
  const cookie = (hash: string, headers: Record<string, string> = {}): RequestInit => ({ headers: { cookie: `access_hash=${hash}`, ...headers } });

  it("'socket' (the default) uses the TCP peer and ignores X-Forwarded-For", async () => {
    const { strategy, issue, url } = await app(undefined);
    const local = await issue('127.0.0.1');
    const remote = await issue('203.0.113.9');
    expect((await fetch(`${url}/api/v1/system/status`, cookie(local, FORWARDED))).status).toBe(200);
    await expectReply(await fetch(`${url}/api/v1/system/status`, cookie(remote, FORWARDED)), strategy.renderRefusal(refusal('IP_NOT_ALLOWED')));
    await expectReply(await fetch(`${url}/api/v1/system/status`), strategy.renderRefusal({ type: 'absent' }));
  });

  it("'framework' uses req.ip under the application's trust proxy setting", async () => {
    const { strategy, issue, url } = await app({ clientIp: 'framework' }, (application) => application.set('trust proxy', 'loopback'));
    const remote = await issue('203.0.113.9');
    const local = await issue('127.0.0.1');
    expect(await (await fetch(`${url}/api/v1/system/status`, cookie(remote, FORWARDED))).json()).toEqual({ error: '', msg: { user: 'admin' }, status: 'success' });
    await expectReply(await fetch(`${url}/api/v1/system/status`, cookie(local, FORWARDED)), strategy.renderRefusal(refusal('IP_NOT_ALLOWED')));
  });

  it("'framework' without trust proxy is the socket address", async () => {
    const { strategy, issue, url } = await app({ clientIp: 'framework' });
    await expectReply(await fetch(`${url}/api/v1/system/status`, cookie(await issue('203.0.113.9'), FORWARDED)), strategy.renderRefusal(refusal('IP_NOT_ALLOWED')));
    expect((await fetch(`${url}/api/v1/system/status`, cookie(await issue('127.0.0.1'), FORWARDED))).status).toBe(200);
  });

  it('{ trustedProxies } reads X-Forwarded-For behind the listed proxies only', async () => {
    const trusted = await app({ clientIp: { trustedProxies: ['127.0.0.1'] } });
    expect((await fetch(`${trusted.url}/api/v1/system/status`, cookie(await trusted.issue('203.0.113.9'), FORWARDED))).status).toBe(200);
    const untrusted = await app({ clientIp: { trustedProxies: ['10.0.0.1'] } });
    await expectReply(
      await fetch(`${untrusted.url}/api/v1/system/status`, cookie(await untrusted.issue('203.0.113.9'), FORWARDED)),
      untrusted.strategy.renderRefusal(refusal('IP_NOT_ALLOWED')),
    );
  });

  it('{ header } reads the platform header, and without it the client IP is unknown and the hash refused', async () => {
    const { strategy, issue, url } = await app({ clientIp: { header: 'x-real-ip' } });
    const remote = await issue('198.51.100.4');
    expect((await fetch(`${url}/api/v1/system/status`, cookie(remote, { 'x-real-ip': '198.51.100.4' }))).status).toBe(200);
    const local = await issue('127.0.0.1');
    await expectReply(await fetch(`${url}/api/v1/system/status`, cookie(local)), strategy.renderRefusal(refusal('IP_NOT_ALLOWED')));
  });
});

/** A small Navixy-flavoured kit built from core's RouteKit type. */
function testKit(strategy: RefusalRenderer & Parameters<typeof createAuthGuard>[0]): RouteKit {
  const guard = createAuthGuard(strategy);
  const bodyOf = (body: RequestBody): unknown =>
    body.type === 'json' ? body.value : body.type === 'form' ? Object.fromEntries(body.fields) : { type: body.type };
  return {
    id: 'nvx-hash',
    basePaths: ['/v2'],
    renderRefusal: (refusal) => strategy.renderRefusal(refusal),
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
      {
        methods: ['POST'],
        path: '/store/down',
        summary: 'a store that cannot be reached',
        handle: () => Promise.reject(new AuthError('STORE_UNAVAILABLE')),
      },
      {
        methods: ['POST'],
        path: '/bug',
        summary: 'a handler that fails',
        handle: () => Promise.reject(new Error('boom')),
      },
    ],
  };
}

describe.each(EXPRESS)('%s: routeKit', (_name, createExpress) => {
  it('answers the kit\'s routes in its envelope with path parameters and the body, and passes other paths on', async () => {
    const { strategy, hash, credentialId } = await nvxSetup();
    const app = createExpress();
    app.use(routeKit(testKit(strategy)));
    app.get('/v2/tracker/list', (_req, res) => res.json({ mine: true }));
    const url = await listen(app);
    await expectReply(
      await fetch(`${url}/v2/echo/a%20b`, json({ login: 'demo' })),
      renderNvxSuccess({ id: 'a b', body: { login: 'demo' }, ip: '127.0.0.1' }),
    );
    await expectReply(await fetch(`${url}/v2/api/key/list`, { headers: { authorization: `NVX ${hash}` } }), renderNvxSuccess({ list: [credentialId] }));
    await expectReply(await fetch(`${url}/v2/api/key/list`), strategy.renderRefusal({ type: 'absent' }));
    expect(await (await fetch(`${url}/v2/tracker/list`)).json()).toEqual({ mine: true });
  });

  it('reads the body express.json() left before it, and the form fields itself without a parser', async () => {
    const { strategy } = await nvxSetup();
    const app = createExpress();
    app.use(createExpress.json());
    app.use(routeKit(testKit(strategy)));
    const url = await listen(app);
    await expectReply(await fetch(`${url}/v2/echo/1`, json({ login: 'demo' })), renderNvxSuccess({ id: '1', body: { login: 'demo' }, ip: '127.0.0.1' }));
    await expectReply(await fetch(`${url}/v2/echo/1`, form('login=a&login=b')), renderNvxSuccess({ id: '1', body: { login: ['a', 'b'] }, ip: '127.0.0.1' }));
  });

  it('answers a known path with another method with 405 and an Allow header, in the kit\'s envelope', async () => {
    const { strategy } = await nvxSetup();
    const app = createExpress();
    app.use(routeKit(testKit(strategy)));
    const url = await listen(app);
    const response = await fetch(`${url}/v2/echo/1`, { method: 'DELETE' });
    expect(response.headers.get('allow')).toBe('POST');
    await expectReply(response, strategy.renderRefusal(refusal('METHOD_NOT_ALLOWED')));
  });

  it('answers a failing store with 503 in the envelope and a failing handler with INTERNAL_ERROR, telling onError', async () => {
    const { strategy } = await nvxSetup();
    const onError = vi.fn();
    const app = createExpress();
    app.use(routeKit(testKit(strategy), { onError }));
    const url = await listen(app);
    await expectReply(await fetch(`${url}/v2/store/down`, { method: 'POST' }), strategy.renderRefusal(refusal('STORE_UNAVAILABLE')));
    await expectReply(await fetch(`${url}/v2/bug`, { method: 'POST' }), strategy.renderRefusal(refusal('INTERNAL_ERROR')));
    expect(onError).toHaveBeenCalledTimes(2);
    expect((onError.mock.calls[1]?.[0] as Error).message).toBe('boom');
  });

  it('matches the full path inside a router mounted anywhere, and its clientIp option applies', async () => {
    const { strategy } = await nvxSetup();
    const router = createExpress.Router();
    router.use(routeKit(testKit(strategy), { clientIp: { header: 'x-real-ip' } }));
    const app = createExpress();
    app.use('/v2', router);
    const url = await listen(app);
    await expectReply(
      await fetch(`${url}/v2/echo/7`, json({}, { 'x-real-ip': '192.0.2.1' })),
      renderNvxSuccess({ id: '7', body: {}, ip: '192.0.2.1' }),
    );
  });

  it('throws a ConfigurationError naming the option for a bad kit or onError', () => {
    expect(() => routeKit({ id: 'x', basePaths: [], routes: [], renderRefusal: () => ({ httpStatus: 500, headers: {}, body: null }) })).toThrow(
      expect.objectContaining({ option: 'basePaths' }),
    );
    expect(() => routeKit(testKit(nvxHash({ store: createMemoryCredentialStore() })), { onError: 'log' as unknown as () => void })).toThrow(
      expect.objectContaining({ option: 'onError' }),
    );
  });
});

describe.each(EXPRESS)("%s: a strategy package's own kit (createNvxRoutes)", (_name, createExpress) => {
  it('serves login and key management in Navixy\'s envelope, with the application\'s routes and notFound around it', async () => {
    const store = createMemoryCredentialStore();
    const strategy = nvxHash({ store });
    const manager = createNvxHashManager({ store });
    const verifyLogin = async (login: string, password: string) => (login === 'demo' && password === 'secret' ? { id: '1', accountType: 'master' as const } : null);
    const app = createExpress();
    app.use(routeKit(createNvxRoutes({ strategy, manager, verifyLogin })));
    const v2 = createExpress.Router();
    v2.post('/tracker/list', authenticate(strategy), (req, res) => res.json({ success: true, list: [], user_id: req.auth?.principal.id }));
    v2.use(notFound(strategy), errorBridge(strategy));
    app.use('/v2', v2);
    const url = await listen(app);

    const login = (await (await fetch(`${url}/v2/user/auth`, json({ login: 'demo', password: 'secret' }))).json()) as { success: boolean; hash: string };
    expect(login).toEqual({ success: true, hash: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const session = { authorization: `NVX ${login.hash}` };
    const created = (await (await fetch(`${url}/v2/api/key/create`, form('title=Integration', session))).json()) as { value: { hash: string } };
    expect(created).toMatchObject({ success: true, value: { title: 'Integration' } });
    expect(await (await fetch(`${url}/v2/tracker/list`, { method: 'POST', headers: { authorization: `NVX ${created.value.hash}` } })).json()).toEqual({ success: true, list: [], user_id: '1' });
    await expectReply(await fetch(`${url}/v2/user/auth`, form('login=demo&password=wrong')), renderNvxStatus(4));
    await expectReply(await fetch(`${url}/v2/user/auth`, form('login=demo&login=other&password=secret')), renderNvxStatus(7));
    await expectReply(await fetch(`${url}/v2/user/auth`, { method: 'DELETE' }), strategy.renderRefusal(refusal('METHOD_NOT_ALLOWED')));
    await expectReply(await fetch(`${url}/v2/no/such/call`), strategy.renderRefusal(refusal('ROUTE_NOT_FOUND')));
  });
});

describe.each(EXPRESS)('%s: notFound and errorBridge', (_name, createExpress) => {
  it('notFound answers what no route served under the mount in the scheme\'s envelope, and nothing outside it', async () => {
    const { strategy } = await nvxSetup();
    const v2 = createExpress.Router();
    v2.get('/tracker/list', (_req, res) => res.json({ ok: true }));
    v2.use(notFound(strategy));
    const app = createExpress();
    app.use('/v2', v2);
    const url = await listen(app);
    const reply = strategy.renderRefusal(refusal('ROUTE_NOT_FOUND'));
    expect(reply.httpStatus).toBe(404);
    await expectReply(await fetch(`${url}/v2/no/such/call`, { method: 'POST' }), reply);
    const outside = await fetch(`${url}/other`);
    expect(outside.status).toBe(404);
    expect(outside.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it("a body over express.json()'s limit is Navixy code 9 with HTTP 412, never Express's HTML page", async () => {
    const { strategy, hash } = await nvxSetup();
    const app = createExpress();
    app.use('/v2', createExpress.json({ limit: 100 }));
    app.post('/v2/tracker/list', authenticate(strategy), (_req, res) => res.json({ ok: true }));
    app.use('/v2', errorBridge(strategy));
    const url = await listen(app);
    const response = await fetch(`${url}/v2/tracker/list`, json({ hash, padding: 'x'.repeat(200) }));
    expect(response.status).toBe(412);
    await expectReply(response, strategy.renderRefusal(refusal('REQUEST_TOO_LARGE')));
  });

  it('an unparsable body, an unsupported charset and an unsupported encoding are REQUEST_MALFORMED', async () => {
    const { strategy } = await nvxSetup();
    const app = createExpress();
    app.use(createExpress.json());
    app.post('/v2/tracker/list', (_req, res) => res.json({ ok: true }));
    app.use(errorBridge(strategy));
    const url = await listen(app);
    const malformed = strategy.renderRefusal(refusal('REQUEST_MALFORMED'));
    await expectReply(await fetch(`${url}/v2/tracker/list`, json('{"hash":')), malformed);
    await expectReply(await fetch(`${url}/v2/tracker/list`, json('{}', { 'content-type': 'application/json; charset=koi8-r' })), malformed);
    await expectReply(await fetch(`${url}/v2/tracker/list`, json('{}', { 'content-encoding': 'x-unknown' })), malformed);
  });

  it('answers in the PUQ envelope for the access-hash scheme (413 for a body over the limit)', async () => {
    const { strategy, issue } = await accessHashSetup();
    const hash = await issue('127.0.0.1');
    const app = createExpress();
    app.use(createExpress.json({ limit: 50 }));
    app.post('/api/v1/vpn/accounts', authenticate(strategy), (_req, res) => res.json({ ok: true }));
    app.use(notFound(strategy), errorBridge(strategy));
    const url = await listen(app);
    await expectReply(
      await fetch(`${url}/api/v1/vpn/accounts`, json({ name: 'x'.repeat(100) }, { cookie: `access_hash=${hash}` })),
      strategy.renderRefusal(refusal('REQUEST_TOO_LARGE')),
    );
    await expectReply(await fetch(`${url}/api/v1/none`), strategy.renderRefusal(refusal('ROUTE_NOT_FOUND')));
  });

  it('answers in the APEX envelope for AuthenticateUser (a malformed JSON body)', async () => {
    const { verifier } = await hmacSetup();
    const app = createExpress();
    app.use(createExpress.json());
    app.post('/AuthenticateUser', authenticate(verifier), (_req, res) => res.json({ ok: true }));
    app.use(errorBridge(verifier));
    const url = await listen(app);
    await expectReply(await fetch(`${url}/AuthenticateUser`, json('{"APIKey"')), verifier.renderRefusal(refusal('REQUEST_MALFORMED')));
  });

  it('answers a thrown error with INTERNAL_ERROR, a thrown AuthError or a 404/405 error as itself, and tells onError of every 5xx', async () => {
    const { strategy } = await nvxSetup();
    const onError = vi.fn();
    const app = createExpress();
    app.get('/v2/bug', () => {
      throw new Error('boom');
    });
    app.get('/v2/async-bug', async () => {
      await Promise.resolve();
      throw new Error('async boom');
    });
    app.get('/v2/store', () => {
      throw new AuthError('STORE_UNAVAILABLE');
    });
    app.get('/v2/gone', () => {
      throw Object.assign(new Error('Not Found'), { status: 404 });
    });
    app.get('/v2/method', () => {
      throw Object.assign(new Error('Method Not Allowed'), { statusCode: 405 });
    });
    app.use(errorBridge(strategy, { onError }));
    const url = await listen(app);
    await expectReply(await fetch(`${url}/v2/bug`), strategy.renderRefusal(refusal('INTERNAL_ERROR')));
    expect((onError.mock.calls[0]?.[0] as Error).message).toBe('boom');
    await expectReply(await fetch(`${url}/v2/store`), strategy.renderRefusal(refusal('STORE_UNAVAILABLE')));
    await expectReply(await fetch(`${url}/v2/gone`), strategy.renderRefusal(refusal('ROUTE_NOT_FOUND')));
    await expectReply(await fetch(`${url}/v2/method`), strategy.renderRefusal(refusal('METHOD_NOT_ALLOWED')));
    // Every 5xx is told (the bug and the failing store), no 4xx.
    expect(onError).toHaveBeenCalledTimes(2);
    if (createExpress === express) {
      // Express 5 passes a rejected promise on to the error chain; Express 4 cannot see it.
      await expectReply(await fetch(`${url}/v2/async-bug`), strategy.renderRefusal(refusal('INTERNAL_ERROR')));
      expect(onError).toHaveBeenCalledTimes(3);
    }
  });

  it('leaves an error after the response started to Express', async () => {
    const { strategy } = await nvxSetup();
    const app = createExpress();
    app.get('/v2/stream', (_req, res, next) => {
      res.status(200).write('partial');
      next(new Error('late'));
    });
    app.use(errorBridge(strategy, { onError: () => undefined }));
    app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.end(' and ended by the next error handler');
    });
    const url = await listen(app);
    const response = await fetch(`${url}/v2/stream`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('partial and ended by the next error handler');
  });

  it('throws a ConfigurationError naming renderer for something that cannot render a refusal', () => {
    expect(() => notFound({} as RefusalRenderer)).toThrow(expect.objectContaining({ option: 'renderer' }));
    expect(() => errorBridge(null as unknown as RefusalRenderer)).toThrow(expect.objectContaining({ option: 'renderer' }));
    expect(() => errorBridge({ renderRefusal: () => ({ httpStatus: 500, headers: {}, body: null }) }, { onError: 1 as unknown as () => void })).toThrow(
      expect.objectContaining({ option: 'onError' }),
    );
  });
});
