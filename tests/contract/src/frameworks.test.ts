// The request adapters inside real frameworks on real sockets: Express 5 with its body parser before and after
// authentication and under a sub-router, and Hono reading the body after authentication. The glue here is the
// few lines an application writes with auth-core alone.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  createAuthGuard,
  createFetchRequestAdapter,
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  toFetchResponse,
  type AuthContext,
  type AuthStrategy,
  type Principal,
} from '@gatehouse/auth-core';
import { createSecretSealer, randomBytes } from '@gatehouse/auth-core/crypto';
import { createNodeRequestAdapter, writeNodeReply } from '@gatehouse/auth-core/node';
import { createHmacKeyManager, hmacSignature, signAuthenticateUser } from '@gatehouse/strategy-hmac-signature';
import { createNvxHashManager, nvxHash } from '@gatehouse/strategy-nvx-hash';
import { serve } from '@hono/node-server';
import express, { type NextFunction, type Request as ExpressRequest, type Response as ExpressResponse } from 'express';
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const store = createMemoryCredentialStore();
const sealer = createSecretSealer([randomBytes(32)]);
const nvx = nvxHash({ store });
const hmac = hmacSignature({ store, sealer, ephemeralStore: createMemoryEphemeralStore(), noncePolicy: 'unique' });
let apiKey = '';
let otherKey = '';
let sessionHash = '';
let hmacKey: { APIKey: string; APISecret: string; UserId: string } = { APIKey: '', APISecret: '', UserId: '' };

beforeAll(async () => {
  const nvxManager = createNvxHashManager({ store });
  const owner = { id: '1', accountType: 'master' } as const;
  const first = await nvxManager.issue(owner, { title: 'frameworks' });
  const second = await nvxManager.issue(owner, { title: 'other' });
  if (!first.ok || !second.ok) throw new Error('could not issue NVX keys');
  apiKey = first.value.hash;
  otherKey = second.value.hash;
  const session = await nvxManager.startUserSession(owner);
  if (!session.ok) throw new Error('could not start a session');
  sessionHash = session.value.hash;
  const issued = await createHmacKeyManager({ store, sealer }).issue('7', { permissions: ['Trading'] });
  if (!issued.ok) throw new Error('could not issue an HMAC key');
  hmacKey = issued.value;
});

let nonce = 0;
const signedBody = (): Record<string, string> =>
  signAuthenticateUser({ apiKey: hmacKey.APIKey, apiSecret: hmacKey.APISecret, userId: hmacKey.UserId, nonce: `n${++nonce}` }).body;

/** Express middleware from auth-core alone: the Node adapter, the guard, the strategy's own reply. */
function expressAuth(strategy: AuthStrategy<Principal>) {
  const toAuthRequest = createNodeRequestAdapter();
  const guard = createAuthGuard(strategy);
  return (req: ExpressRequest, res: ExpressResponse, next: NextFunction): void => {
    guard(toAuthRequest(req)).then((decision) => {
      if (decision.type === 'refused') return writeNodeReply(res, decision.reply);
      res.locals['auth'] = decision.auth;
      next();
    }, next);
  };
}

const echo = (req: ExpressRequest, res: ExpressResponse): void => {
  const auth = res.locals['auth'] as AuthContext | null;
  res.json({ principal: auth?.principal.id ?? null, strategyId: auth?.strategyId ?? null, body: req.body ?? null });
};

async function listen(handler: Parameters<typeof import('node:http').createServer>[1]): Promise<{ server: Server; base: string }> {
  const { createServer } = await import('node:http');
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const postJson = (url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('Express 5', () => {
  let servers: Server[] = [];
  let parserFirst = '';
  let authFirst = '';
  let mounted = '';

  beforeAll(async () => {
    const a = express();
    a.use(express.json());
    a.post('/v2/tracker/list', expressAuth(nvx), echo);
    a.post('/AuthenticateUser', expressAuth(hmac), echo);
    const b = express();
    b.post('/v2/tracker/list', expressAuth(nvx), express.json(), echo);
    b.post('/AuthenticateUser', expressAuth(hmac), express.json(), echo);
    const c = express();
    const router = express.Router();
    router.use(express.json());
    router.post('/panel/tariff/list', expressAuth(nvx), echo);
    router.post('/tracker/list', expressAuth(nvx), echo);
    router.post('/api/key/list', expressAuth(nvx), echo);
    c.use('/v2', router);
    const started = await Promise.all([a, b, c].map((app) => listen(app)));
    servers = started.map((entry) => entry.server);
    [parserFirst, authFirst, mounted] = started.map((entry) => entry.base) as [string, string, string];
  });
  afterAll(() => Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))))); 

  it('authenticates the NVX body hash after express.json() ran, and the handler keeps req.body', async () => {
    const response = await postJson(`${parserFirst}/v2/tracker/list`, { hash: apiKey, extra: 1 });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ principal: '1', strategyId: 'nvx-hash', body: { hash: apiKey, extra: 1 } });
  });

  it('authenticates the NVX header hash on a JSON POST after express.json() ran, and still refuses a disagreeing body hash', async () => {
    const ok = await postJson(`${parserFirst}/v2/tracker/list`, { extra: 1 }, { authorization: `NVX ${apiKey}` });
    expect(ok.status).toBe(200);
    const ambiguous = await postJson(`${parserFirst}/v2/tracker/list`, { hash: otherKey }, { authorization: `NVX ${apiKey}` });
    expect(ambiguous.status).toBe(400);
    expect(await ambiguous.json()).toEqual({ success: false, status: { code: 3, description: 'Wrong hash' } });
  });

  it('authenticates the HMAC JSON body after express.json() ran', async () => {
    const response = await postJson(`${parserFirst}/AuthenticateUser`, signedBody());
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ principal: '7', strategyId: 'hmac-signature' });
  });

  it('authenticates when express.json() comes after, and the handler still gets req.body', async () => {
    const nvxReply = await postJson(`${authFirst}/v2/tracker/list`, { hash: apiKey, extra: 2 });
    expect(await nvxReply.json()).toEqual({ principal: '1', strategyId: 'nvx-hash', body: { hash: apiKey, extra: 2 } });
    const body = signedBody();
    const hmacReply = await postJson(`${authFirst}/AuthenticateUser`, body);
    expect(hmacReply.status).toBe(200);
    expect(await hmacReply.json()).toMatchObject({ principal: '7', body });
  });

  it('classifies paths as received under a sub-router: a key is refused on /v2/panel/, accepted on /v2/tracker/', async () => {
    const panel = await postJson(`${mounted}/v2/panel/tariff/list`, { hash: apiKey });
    expect(panel.status).toBe(403);
    expect(await panel.json()).toEqual({ success: false, status: { code: 11, description: 'Access denied' } });
    expect((await postJson(`${mounted}/v2/tracker/list`, { hash: apiKey })).status).toBe(200);
  });

  it('accepts a user session hash on a key-management route under a sub-router, refuses it on a resource route', async () => {
    const keys = await postJson(`${mounted}/v2/api/key/list`, { hash: sessionHash });
    expect(keys.status).toBe(200);
    expect(await keys.json()).toMatchObject({ principal: '1', strategyId: 'nvx-hash' });
    expect((await postJson(`${mounted}/v2/tracker/list`, { hash: sessionHash })).status).toBe(403);
  });

  it('answers a missing hash in the Navixy envelope', async () => {
    const response = await postJson(`${parserFirst}/v2/tracker/list`, {});
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ success: false, status: { code: 3, description: 'Wrong hash' } });
  });
});

describe('Hono', () => {
  let server: ReturnType<typeof serve>;
  let base = '';

  beforeAll(async () => {
    const toAuthRequest = createFetchRequestAdapter();
    type Env = { Variables: { auth: AuthContext | null } };
    const app = new Hono<Env>();
    const protect = (strategy: AuthStrategy<Principal>) => {
      const guard = createAuthGuard(strategy);
      return createMiddleware<Env>(async (c, next) => {
        const decision = await guard(toAuthRequest(c.req.raw, { remoteAddress: '127.0.0.1' }));
        if (decision.type === 'refused') return toFetchResponse(decision.reply);
        c.set('auth', decision.auth);
        await next();
      });
    };
    app.post('/v2/tracker/list', protect(nvx), async (c) => c.json({ principal: c.get('auth')?.principal.id, body: await c.req.json() }));
    app.post('/AuthenticateUser', protect(hmac), async (c) => c.json({ principal: c.get('auth')?.principal.id, body: await c.req.json() }));
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
        base = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('lets the handler read c.req.json() after the NVX body hash was authenticated', async () => {
    const response = await postJson(`${base}/v2/tracker/list`, { hash: apiKey, extra: 3 });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ principal: '1', body: { hash: apiKey, extra: 3 } });
  });

  it('lets the handler read c.req.json() after the HMAC JSON body was authenticated', async () => {
    const body = signedBody();
    const response = await postJson(`${base}/AuthenticateUser`, body);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ principal: '7', body });
  });
});
