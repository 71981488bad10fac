import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createAuthGuard,
  createFetchRequestAdapter,
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  createRouteKitHandler,
  type AuthEvent,
  type CredentialStore,
} from '@gatehouse/auth-core';
import { createSecretSealer, randomBytes } from '@gatehouse/auth-core/crypto';
import { createNodeRequestAdapter, writeNodeReply } from '@gatehouse/auth-core/node';
import {
  hmacInProcessDriver,
  hmacSignatureScheme,
  hmacSignatureV2,
  runProfile,
  type HmacFixtures,
  type HmacInProcessDriverOptions,
  type HmacKeyFixture,
} from '@gatehouse/conformance';
import { createHttpDriver } from '@gatehouse/conformance/http';
import { describeConformance } from '@gatehouse/conformance/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApexRoutes,
  createHmacKeyManager,
  hmacSession,
  hmacSignature,
  renderApexError,
  renderAuthenticateUserError,
  renderApexSuccess,
  renderAuthenticateUserSuccess,
  requirePermission,
  signAuthenticateUser,
  type HmacKeyManager,
  type HmacNoncePolicy,
} from './index.js';

/** The address the kit's requests come from. */
const CLIENT_IP = '203.0.113.7';
/** The only address the IP-restricted key allows. */
const ALLOWED_IP = '198.51.100.23';
/** The permission `SendOrder` needs: the main key has it, the limited key does not. */
const PERMISSION = 'Trading';
const PERMISSION_PATH = '/ap/SendOrder';

/** A store whose lookups fail, as a database that is down or timing out. */
function failingStore(): CredentialStore {
  const store = createMemoryCredentialStore();
  const down = async (): Promise<never> => {
    throw new Error('database unavailable');
  };
  return { ...store, findByDigest: down, findById: down };
}

async function issueKey(
  manager: HmacKeyManager,
  userId: string,
  input: { readonly permissions?: readonly string[]; readonly allowedIps?: readonly string[] },
): Promise<HmacKeyFixture> {
  const created = await manager.issue(userId, { ...input, label: 'conformance', userName: `user${userId}` });
  if (!created.ok) throw new Error(`issue failed: ${created.error.code}`);
  return { apiKey: created.value.APIKey, apiSecret: created.value.APISecret, userId: created.value.UserId, nonce: created.value.Nonce };
}

/**
 * The package assembled as a server would: `hmacSignature` behind `POST /AuthenticateUser` (exchanging the
 * outcome for a session with `manager.startSession`), `hmacSession` behind every other call with
 * `requirePermission(…, 'Trading')` on `/ap/SendOrder`, the package's renderers, and fresh keys per case.
 */
function serverFor(noncePolicy: HmacNoncePolicy): HmacInProcessDriverOptions {
  const store = createMemoryCredentialStore();
  const sealer = createSecretSealer([randomBytes(32)]);
  const ephemeralStore = createMemoryEphemeralStore();
  const manager = createHmacKeyManager({ store, sealer, permissions: ['Trading', 'Deposit', 'Withdraw'] });
  const verifierOptions = { sealer, noncePolicy, ...(noncePolicy === 'issued' ? {} : { ephemeralStore }) };
  const owners = new Map<string, string>();
  const issue = async (userId: string, input: { readonly permissions?: readonly string[]; readonly allowedIps?: readonly string[] }): Promise<HmacKeyFixture> => {
    const key = await issueKey(manager, userId, input);
    owners.set(key.apiKey, userId);
    return key;
  };
  let users = 0;
  return {
    authenticate: {
      strategy: hmacSignature({ store, ...verifierOptions }),
      render: renderAuthenticateUserError,
      startSession: async (outcome) => {
        const started = await manager.startSession(outcome);
        return started.ok ? started.value.token : started.error;
      },
      renderSuccess: (token, outcome) =>
        renderAuthenticateUserSuccess(token, { userId: outcome.principal.id, userName: String(outcome.principal.attributes?.['userName'] ?? '') }),
    },
    session: {
      strategy: hmacSession({ store }),
      render: renderApexError,
      authorize: (outcome) => requirePermission(outcome, PERMISSION),
    },
    async setup(): Promise<HmacFixtures> {
      users++;
      const userId = String(100 + users);
      const otherUserId = String(5000 + users);
      const main = await issue(userId, { permissions: [PERMISSION] });
      await issue(otherUserId, { permissions: [PERMISSION] });
      const ipRestrictedKey = { ...(await issue(userId, { permissions: [PERMISSION], allowedIps: [ALLOWED_IP] })), allowedIp: ALLOWED_IP };
      const limitedKey = await issue(userId, { permissions: [] });
      return { ...main, otherUserId, ipRestrictedKey, limitedKey, permissionPath: PERMISSION_PATH, clientIp: CLIENT_IP };
    },
    storeFailure: async () => ({
      authenticate: { strategy: hmacSignature({ store: failingStore(), ...verifierOptions }) },
      session: { strategy: hmacSession({ store: failingStore() }) },
    }),
    async revokeKey(apiKey) {
      const userId = owners.get(apiKey);
      if (userId === undefined) throw new Error('revokeKey: not a key of these fixtures');
      const removed = await manager.revoke(userId, { token: apiKey });
      if (!removed.ok) throw new Error(`revoke failed: ${removed.error.code}`);
    },
  };
}

// Gatehouse's own choices are hmac-signature@2's defaults: only the nonce policy is declared, and a wire
// difference fails the test (strictWire), so the package matches the documents and its declared choices exactly.
for (const noncePolicy of ['unique', 'increasing', 'issued'] as const) {
  describe(`hmacSignature + hmacSession with noncePolicy '${noncePolicy}' against hmac-signature@2`, () => {
    describeConformance({ scheme: hmacSignatureScheme, driver: hmacInProcessDriver(serverFor(noncePolicy)), parameters: { nonce_policy: noncePolicy }, strictWire: true });
  });
}

/** The APEX route kit and two application calls (`GetUserInfo`, `SendOrder` needing `Trading`) on node:http. */
function serveApex(noncePolicy: HmacNoncePolicy): Promise<{ server: Server; manager: HmacKeyManager }> {
  const store = createMemoryCredentialStore();
  const sealer = createSecretSealer([randomBytes(32)]);
  const ephemeralStore = createMemoryEphemeralStore();
  const manager = createHmacKeyManager({ store, sealer, permissions: ['Trading', 'Deposit', 'Withdraw'] });
  const kit = createApexRoutes({
    authenticateUser: hmacSignature({ store, sealer, noncePolicy, ...(noncePolicy === 'issued' ? {} : { ephemeralStore }) }),
    sessions: hmacSession({ store, sessionKinds: ['api', 'web'] }),
    manager,
    verifyLogin: async (userName, password) => (userName === 'alice' && password === 'alice-password' ? { userId: '7', userName: 'alice' } : null),
  });
  const answerKit = createRouteKitHandler(kit);
  const application = hmacSession({ store });
  const anySession = createAuthGuard(application);
  const trading = createAuthGuard(application, { require: PERMISSION });
  const toAuthRequest = createNodeRequestAdapter();
  const server = createServer((req, res) => {
    void (async () => {
      const request = toAuthRequest(req);
      const kitReply = await answerKit(request);
      if (kitReply !== null) return writeNodeReply(res, kitReply);
      const guard = request.path === PERMISSION_PATH ? trading : request.path === '/ap/GetUserInfo' ? anySession : null;
      if (guard === null) return writeNodeReply(res, { httpStatus: 404, headers: {}, body: { result: false, errormsg: 'Resource Not Found', errorcode: 104, detail: null } });
      const decision = await guard(request);
      if (decision.type === 'refused') return writeNodeReply(res, decision.reply);
      return writeNodeReply(res, renderApexSuccess({ UserId: decision.auth?.principal.id ?? null, result: true }));
    })();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, manager })));
}

for (const noncePolicy of ['unique', 'increasing'] as const) {
  describe(`createApexRoutes on node:http with noncePolicy '${noncePolicy}' against hmac-signature@2 over HTTP`, () => {
    let server: Server;
    let manager: HmacKeyManager;
    beforeAll(async () => {
      ({ server, manager } = await serveApex(noncePolicy));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('passes every case it can run, with zero wire differences, the kit making and removing its own keys through the routes', async () => {
      const { port } = server.address() as AddressInfo;
      const parameters = { nonce_policy: noncePolicy };
      const handle = await createHttpDriver(hmacSignatureScheme, {
        baseUrl: `http://127.0.0.1:${port}`,
        fixtures: { login: 'alice', password: 'alice-password', permission: PERMISSION, permission_path: PERMISSION_PATH },
        parameters,
      });
      try {
        const results = await runProfile(hmacSignatureV2, handle.driver, { capabilities: handle.capabilities, parameters });
        expect(results.filter((result) => result.status === 'failed')).toEqual([]);
        expect(results.filter((result) => result.wire === 'differs')).toEqual([]);
        const ran = results.filter((result) => result.status === 'passed').map((result) => result.id);
        expect(ran).toEqual(expect.arrayContaining(['HMAC-KEY-002', 'HMAC-SESSION-006', 'HMAC-IP-001', 'HMAC-IP-002', 'HMAC-PERM-001', 'HMAC-DESYNC-001', 'HMAC-REQ-010']));
      } finally {
        await handle.cleanup();
      }
      const left = await manager.list('7');
      expect(left.ok && left.value).toEqual([]);
    }, 120_000);
  });
}

describe('hmacSignature (AuthenticateUser) against the AuthStrategy contract', () => {
  const store = createMemoryCredentialStore();
  const sealer = createSecretSealer([randomBytes(32)]);
  const manager = createHmacKeyManager({ store, sealer });
  const events: AuthEvent[] = [];
  let key: Promise<HmacKeyFixture> | undefined;
  let nonce = Date.now();
  describeConformance({
    profile: 'strategy-contract@1',
    strategy: hmacSignature({ store, sealer, ephemeralStore: createMemoryEphemeralStore(), noncePolicy: 'unique', onEvent: (event) => events.push(event) }),
    credentialed: async () => {
      // One key of one user, signed anew with a fresh nonce every time (the unique policy refuses replays).
      const { apiKey, apiSecret, userId } = await (key ??= issueKey(manager, '7', { permissions: ['Trading'] }));
      const signed = signAuthenticateUser({ apiKey, apiSecret, userId, nonce: ++nonce });
      return {
        request: new Request('https://api.example.com/AuthenticateUser', { method: 'POST', headers: signed.headers }),
        secrets: [apiKey, signed.signature, apiSecret],
      };
    },
    events: () => events,
  });
});

describe('hmacSession (aptoken) against the AuthStrategy contract', () => {
  const store = createMemoryCredentialStore();
  const sealer = createSecretSealer([randomBytes(32)]);
  const manager = createHmacKeyManager({ store, sealer });
  const verifier = hmacSignature({ store, sealer, noncePolicy: 'issued' });
  const toAuthRequest = createFetchRequestAdapter();
  const events: AuthEvent[] = [];
  let token: Promise<string> | undefined;
  const signIn = async (): Promise<string> => {
    const { apiKey, apiSecret, userId, nonce } = await issueKey(manager, '8', { permissions: ['Trading'] });
    const signed = signAuthenticateUser({ apiKey, apiSecret, userId, nonce });
    const outcome = await verifier.authenticate(toAuthRequest(new Request('https://api.example.com/AuthenticateUser', { method: 'POST', headers: signed.headers }), { remoteAddress: CLIENT_IP }));
    if (outcome.type !== 'authenticated') throw new Error(`AuthenticateUser failed: ${outcome.type}`);
    const started = await manager.startSession(outcome);
    if (!started.ok) throw new Error(`startSession failed: ${started.error.code}`);
    return started.value.token;
  };
  describeConformance({
    profile: 'strategy-contract@1',
    strategy: hmacSession({ store, onEvent: (event) => events.push(event) }),
    credentialed: async () => {
      // One session of one key, sent in a fresh request every time.
      const aptoken = await (token ??= signIn());
      return { request: new Request('https://api.example.com/ap/GetUserInfo', { method: 'POST', headers: { aptoken } }), secrets: [aptoken] };
    },
    events: () => events,
  });
});
