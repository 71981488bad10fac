// The server scripts/runtime-smoke.mjs starts under Bun or Deno (never Node): auth-core and the three strategies,
// with memory stores, served twice on 127.0.0.1 — through @gatehouse/hono on Hono (`Bun.serve` / `Deno.serve`
// with `app.fetch`), and through auth-core's Fetch adapter alone (`createFetchRequestAdapter`, `createAuthGuard`,
// `toFetchResponse`). It issues one credential of each scheme, checks what needs no HTTP in-process, then prints
// one JSON line (ports, credentials, those checks) and serves until it is killed. The networked stores are
// checked against the PostgreSQL and Redis servers whose URLs it is given as arguments. The runtime-smoke script
// copies this file into a project whose node_modules link the workspace packages, so their built dist/ runs.
import {
  createAuthGuard,
  createFetchRequestAdapter,
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  renderSuccess,
  toFetchResponse,
} from '@gatehouse/auth-core';
import { CRYPTO_BACKEND, createSecretDigester, createSecretSealer, generateHexToken, hashPassword, randomBytes, verifyPassword } from '@gatehouse/auth-core/crypto';
import { authenticate, errorBridge, notFound, routeKit } from '@gatehouse/hono';
import { withAuth } from '@gatehouse/next';
import { accessHashCookie, createAccessHashManager } from '@gatehouse/strategy-access-hash-cookie';
import {
  createApexRoutes,
  createHmacKeyManager,
  hmacSession,
  hmacSignature,
  renderAuthenticateUserError,
  renderAuthenticateUserSuccess,
} from '@gatehouse/strategy-hmac-signature';
import { applyPostgresMigrations, openPostgresStores } from '@gatehouse/store-postgres';
import { openRedisEphemeralStore } from '@gatehouse/store-redis';
import { createNvxHashManager, nvxHash } from '@gatehouse/strategy-nvx-hash';
import { Hono } from 'hono';

const runtime = typeof globalThis.Bun !== 'undefined' ? 'bun' : typeof globalThis.Deno !== 'undefined' ? 'deno' : null;
if (runtime === null) throw new Error('runtime-smoke-server runs under Bun or Deno');
// Hono's helper that reads the socket peer from what each runtime hands app.fetch (Bun's server, Deno's info).
const { getConnInfo } = await import(runtime === 'bun' ? 'hono/bun' : 'hono/deno');
// The PostgreSQL and Redis servers the smoke client started.
const [postgresUrl, redisUrl] = runtime === 'bun' ? globalThis.Bun.argv.slice(2) : globalThis.Deno.args;

const store = createMemoryCredentialStore();
const ephemeralStore = createMemoryEphemeralStore();
const sealer = createSecretSealer([randomBytes(32)]);
const issued = (result) => {
  if (!result.ok) throw result.error;
  return result.value;
};

// Navixy: an API key of a master user.
const nvx = nvxHash({ store });
const nvxKey = issued(await createNvxHashManager({ store }).issue({ id: '1', accountType: 'master' }, { title: 'runtime smoke' }));
// PUQ panel: an access hash bound to the loopback address the smoke client connects from.
const accessHash = accessHashCookie({ store });
const boundHash = issued(await createAccessHashManager({ store }).issue('admin', { name: 'runtime smoke', ip: '127.0.0.1' }));
// APEX: an API key whose AuthenticateUser signature opens an aptoken session.
const hmacKeys = createHmacKeyManager({ store, sealer, permissions: ['Trading'] });
const apexKey = issued(await hmacKeys.issue('7', { permissions: ['Trading'], userName: 'smoke' }));
const authenticateUser = hmacSignature({ store, sealer, ephemeralStore });
const sessions = hmacSession({ store });
const kit = createApexRoutes({
  authenticateUser,
  sessions: hmacSession({ store, sessionKinds: ['api', 'web'] }),
  manager: hmacKeys,
  verifyLogin: async () => null,
});

const app = new Hono();
app.onError(errorBridge(kit));
app.use(routeKit(kit, { getConnInfo })); // POST /AuthenticateUser
app.post('/ap/GetUserInfo', authenticate(sessions, { getConnInfo }), (c) => c.json({ UserId: Number(c.get('auth').principal.id) }));
app.post('/v2/tracker/list', authenticate(nvx, { getConnInfo }), (c) => toFetchResponse(renderSuccess(nvx, { list: [], user_id: c.get('auth').principal.id })));
app.get('/api/status', authenticate(accessHash, { getConnInfo }), (c) => toFetchResponse(renderSuccess(accessHash, { owner: c.get('auth').principal.id })));
// Without getConnInfo, the adapter looks for @hono/node-server's socket, which neither runtime has.
app.get('/no-peer/api/status', authenticate(accessHash), (c) => toFetchResponse(renderSuccess(accessHash, { owner: c.get('auth').principal.id })));
app.all('/v2/*', notFound(nvx));

const toAuthRequest = createFetchRequestAdapter();
const guards = { nvx: createAuthGuard(nvx), accessHash: createAuthGuard(accessHash), sessions: createAuthGuard(sessions) };
const guarded = async (guard, request, respond) => {
  const decision = await guard(request);
  return decision.type === 'refused' ? toFetchResponse(decision.reply) : respond(decision.auth);
};
/** The same routes on the Fetch adapter alone; `remoteAddress` is what the runtime says the peer is. */
async function handleFetch(request, remoteAddress) {
  const { pathname } = new URL(request.url);
  // /no-peer/…: the address is left out, as where a runtime does not expose the peer.
  const authRequest = toAuthRequest(request, pathname.startsWith('/no-peer/') ? {} : { remoteAddress });
  if (pathname === '/AuthenticateUser' && request.method === 'POST') {
    const outcome = await authenticateUser.authenticate(authRequest);
    if (outcome.type !== 'authenticated') return toFetchResponse(authenticateUser.renderRefusal(outcome));
    const session = await hmacKeys.startSession(outcome);
    if (!session.ok) return toFetchResponse(renderAuthenticateUserError(session.error));
    return toFetchResponse(renderAuthenticateUserSuccess(session.value.token, { userId: outcome.principal.id, userName: 'smoke' }));
  }
  if (pathname === '/ap/GetUserInfo') return guarded(guards.sessions, authRequest, (auth) => Response.json({ UserId: Number(auth.principal.id) }));
  if (pathname === '/v2/tracker/list') return guarded(guards.nvx, authRequest, (auth) => toFetchResponse(renderSuccess(nvx, { list: [], user_id: auth.principal.id })));
  if (pathname === '/api/status' || pathname === '/no-peer/api/status') {
    return guarded(guards.accessHash, authRequest, (auth) => toFetchResponse(renderSuccess(accessHash, { owner: auth.principal.id })));
  }
  return new Response(null, { status: 404 });
}

// In-process checks, reported to the client with the ports.
const checks = [];
const check = async (name, run) => {
  try {
    checks.push({ name, ok: true, detail: await run() });
  } catch (error) {
    checks.push({ name, ok: false, detail: error instanceof Error ? `${error.name}: ${error.message}` : `threw ${String(error)}` });
  }
};
await check('native crypto build', () => {
  const resolved = import.meta.resolve('@gatehouse/auth-core/crypto');
  if (CRYPTO_BACKEND !== 'node' || !/\/dist\/native\/crypto\.js$/.test(resolved)) throw new Error(`CRYPTO_BACKEND ${CRYPTO_BACKEND}, ${resolved}`);
  return `CRYPTO_BACKEND 'node' from ${resolved.replace(/^.*\/packages\//, 'packages/')}`;
});
await check('scrypt password hashes (hashPassword, verifyPassword)', async () => {
  const stored = await hashPassword('correct horse');
  if (!(await verifyPassword('correct horse', stored)) || (await verifyPassword('wrong horse', stored))) throw new Error('verifyPassword disagrees with hashPassword');
  return `${stored.slice(0, stored.indexOf('$', 8))} verifies, a wrong password does not`;
});
await check('@gatehouse/next withAuth with a Web Request (no Next.js server)', async () => {
  const POST = withAuth(nvx, async (_request, { auth }) => Response.json({ success: true, user_id: auth.principal.id }));
  const call = (hash) => POST(new Request('http://127.0.0.1/v2/tracker/list', { method: 'POST', headers: { authorization: `NVX ${hash}` } }), { params: Promise.resolve({}) });
  const [valid, wrong] = [await call(nvxKey.hash), await call('0'.repeat(32))];
  const wrongBody = await wrong.json();
  if (valid.status !== 200 || wrong.status === 200 || wrongBody.status?.code !== 3) throw new Error(`answered ${valid.status} and ${wrong.status} ${JSON.stringify(wrongBody)}`);
  return `${valid.status} for the key, ${wrong.status} ${JSON.stringify(wrongBody)} for a wrong one`;
});

const credentialRecord = (id, digest) => ({ id, digest, strategy: 'smoke', kind: 'api-key', ownerId: 'u1', parentId: null, label: 'smoke', hint: id.slice(0, 4),
  scopes: [], allowedIps: [], sealedSecret: null, attributes: {}, createdAt: Date.now(), expiresAt: null });
await check('@gatehouse/store-postgres (pg) on PostgreSQL', async () => {
  const schema = `runtime_smoke_${runtime}`;
  await applyPostgresMigrations(postgresUrl, { schema });
  const stores = await openPostgresStores(postgresUrl, { schema, migrations: 'verify' });
  try {
    const id = `pg-${generateHexToken(16)}`;
    const digest = createSecretDigester()(generateHexToken(16));
    const inserted = await stores.credentials.insert(credentialRecord(id, digest), { now: Date.now() });
    const found = await stores.credentials.findByDigest(digest);
    const nonce = [await stores.ephemeral.setIfAbsent('nonce:1', 60), await stores.ephemeral.setIfAbsent('nonce:1', 60)];
    const health = await stores.credentials.health();
    if (inserted.type !== 'inserted' || found?.id !== id || nonce.join() !== 'true,false' || health.status !== 'ok') {
      throw new Error(`insert ${inserted.type}, found ${found?.id}, nonce ${nonce}, health ${health.status}`);
    }
    return 'migrations applied, a credential inserted and found by digest, a nonce counted once, health ok';
  } finally {
    await stores.close();
  }
});
await check('@gatehouse/store-redis (ioredis) on Redis', async () => {
  const ephemeral = await openRedisEphemeralStore(redisUrl, { keyPrefix: `runtime-smoke:${runtime}:` });
  try {
    const nonce = [await ephemeral.setIfAbsent('nonce:1', 60), await ephemeral.setIfAbsent('nonce:1', 60)];
    const counted = [await ephemeral.increment('failures', 900), await ephemeral.increment('failures', 900)];
    const health = await ephemeral.health();
    if (nonce.join() !== 'true,false' || counted.join() !== '1,2' || health.status !== 'ok') throw new Error(`nonce ${nonce}, counter ${counted}, health ${health.status}`);
    return 'a nonce counted once, a counter incremented, health ok';
  } finally {
    await ephemeral.close();
  }
});

const listen = (handler) => {
  if (runtime === 'bun') return globalThis.Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: handler }).port;
  return globalThis.Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, handler).addr.port;
};
const ports = {
  hono: listen(app.fetch),
  fetch: listen(
    runtime === 'bun'
      ? (request, server) => handleFetch(request, () => server.requestIP(request)?.address ?? null)
      : (request, info) => handleFetch(request, info.remoteAddr.hostname),
  ),
};
const version = runtime === 'bun' ? globalThis.Bun.version : globalThis.Deno.version.deno;
console.log(
  JSON.stringify({
    runtime,
    version,
    ports,
    checks,
    credentials: { nvxHash: nvxKey.hash, accessHash: boundHash.hash, apex: { APIKey: apexKey.APIKey, APISecret: apexKey.APISecret, Nonce: apexKey.Nonce, UserId: apexKey.UserId } },
  }),
);
