import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError, createAuthGuard, createMemoryCredentialStore, createRouteKitHandler, type AuthEvent, type CredentialStore } from '@gatehouse/auth-core';
import { createNodeRequestAdapter, writeNodeReply } from '@gatehouse/auth-core/node';
import { accessHashCookieV2, accessHashInProcessDriver, runProfile, type AccessHashFixtures, type CaseResult } from '@gatehouse/conformance';
import { createHttpDriver } from '@gatehouse/conformance/http';
import { describeConformance } from '@gatehouse/conformance/vitest';
import { describe, expect, it } from 'vitest';
import { accessHashCookie, createAccessHashManager, createAccessHashRoutes, renderAccessHashError, renderAccessHashSuccess, type AccessHashManager } from './index.js';

/** The address the kit's requests come from, and the one every `accessHash` is bound to. */
const CLIENT_IP = '203.0.113.7';
/** The address every `foreignAccessHash` is bound to. */
const FOREIGN_IP = '198.51.100.23';

/** A store whose lookups fail, as a database that is down or timing out. */
function failingStore(): CredentialStore {
  const store = createMemoryCredentialStore();
  return {
    ...store,
    findByDigest: async () => {
      throw new Error('database unavailable');
    },
  };
}

/**
 * Issues fresh access hashes for one conformance case, for a new owner: one bound to the client IP, one bound
 * to a foreign IP, and one issued and revoked. Remembers which owner each hash has, for `revoke`.
 */
function fixtureFactory(manager: AccessHashManager): { setup: () => Promise<AccessHashFixtures>; revoke: (hash: string) => Promise<void> } {
  const ownerOf = new Map<string, string>();
  let owners = 0;
  const issue = async (ownerId: string, name: string, ip: string): Promise<string> => {
    const issued = await manager.issue(ownerId, { name, ip });
    if (!issued.ok) throw new Error(`issue failed: ${issued.error.code}`);
    ownerOf.set(issued.value.hash, ownerId);
    return issued.value.hash;
  };
  const revoke = async (hash: string): Promise<void> => {
    const ownerId = ownerOf.get(hash);
    if (ownerId === undefined) throw new Error('revoke: not a hash of these fixtures');
    const revoked = await manager.revoke(ownerId, { token: hash });
    if (!revoked.ok) throw new Error(`revoke failed: ${revoked.error.code}`);
  };
  return {
    revoke,
    async setup() {
      const ownerId = `owner-${++owners}`;
      const accessHash = await issue(ownerId, 'monitoring', CLIENT_IP);
      const foreignAccessHash = await issue(ownerId, 'office', FOREIGN_IP);
      const revokedAccessHash = await issue(ownerId, 'old laptop', CLIENT_IP);
      await revoke(revokedAccessHash);
      return { accessHash, clientIp: CLIENT_IP, foreignAccessHash, foreignIp: FOREIGN_IP, revokedAccessHash, trustedProxies: 'none' };
    },
  };
}

function inProcessDriver(): ReturnType<typeof accessHashInProcessDriver> {
  const store = createMemoryCredentialStore();
  const { setup, revoke } = fixtureFactory(createAccessHashManager({ store }));
  return accessHashInProcessDriver({
    strategy: accessHashCookie({ store }),
    render: renderAccessHashError,
    setup,
    storeFailure: async () => ({ strategy: accessHashCookie({ store: failingStore() }) }),
    revoke,
  });
}

const wireDifferences = (results: readonly CaseResult[]): string[] => results.flatMap((result) => result.wireDifferences.map((difference) => `${result.id}: ${difference}`));

describe('accessHashCookie against access-hash-cookie@2', () => {
  describeConformance({ profile: 'access-hash-cookie@2', driver: inProcessDriver(), parameters: { refusal_status: 'by-kind' } });

  // The defaults are Gatehouse's choices; its statuses (401, 400, 403, 503 by kind) are checked exactly once declared.
  for (const parameters of [{}, { refusal_status: 'by-kind' }]) {
    it(`passes every case with zero wire differences under ${JSON.stringify(parameters)}`, async () => {
      const results = await runProfile(accessHashCookieV2, inProcessDriver(), { parameters });
      expect(results.filter((result) => result.status === 'failed')).toEqual([]);
      expect(wireDifferences(results)).toEqual([]);
      // In-process there is no connection to frame requests on.
      expect(results.filter((result) => result.status === 'skipped').map((result) => result.id)).toEqual(['AHC-DESYNC-001', 'AHC-DESYNC-002']);
    });
  }
});

describe('accessHashCookie and its route kit over HTTP, against access-hash-cookie@2', () => {
  it('passes with hashes the kit makes and deletes through POST/DELETE /api/v1/access-hashes, zero wire differences, nothing left behind', async () => {
    const store = createMemoryCredentialStore();
    const strategy = accessHashCookie({ store });
    const manager = createAccessHashManager({ store });
    const adminToken = 'conformance-admin-token';
    const routes = createRouteKitHandler(
      createAccessHashRoutes({ manager, authorize: async (request) => (request.header('authorization') === `Bearer ${adminToken}` ? 'admin' : new AuthError('CREDENTIALS_MISSING')) }),
    );
    const guard = createAuthGuard(strategy);
    const toAuthRequest = createNodeRequestAdapter();
    const server: Server = createServer((req, res) => {
      void (async () => {
        const auth = toAuthRequest(req);
        const managed = await routes(auth);
        if (managed !== null) return writeNodeReply(res, managed);
        const decision = await guard(auth);
        writeNodeReply(res, decision.type === 'refused' ? decision.reply : renderAccessHashSuccess({ version: '1.0' }));
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const parameters = { refusal_status: 'by-kind' };
      const handle = await createHttpDriver('access-hash-cookie@2', { baseUrl, fixtures: { management_path: '/api/v1/access-hashes', admin_token: adminToken }, parameters });
      let results: CaseResult[];
      try {
        results = await runProfile(accessHashCookieV2, handle.driver, { capabilities: handle.capabilities, parameters });
      } finally {
        await handle.cleanup();
      }
      expect(results.filter((result) => result.status === 'failed')).toEqual([]);
      expect(wireDifferences(results)).toEqual([]);
      const ran = new Set(results.filter((result) => result.status === 'passed').map((result) => result.id));
      for (const id of ['AHC-REVOKE-001', 'AHC-HASH-003', 'AHC-DESYNC-001', 'AHC-DESYNC-002', 'AHC-IP-002', 'AHC-IP-009']) expect(ran).toContain(id);
      const left = await manager.list('admin');
      expect(left.ok && left.value).toEqual([]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 60_000);
});

describe('accessHashCookie against the AuthStrategy contract', () => {
  const store = createMemoryCredentialStore();
  const manager = createAccessHashManager({ store });
  const events: AuthEvent[] = [];
  let hash: Promise<string> | undefined;
  const issue = async (): Promise<string> => {
    const issued = await manager.issue('contract-owner', { name: 'contract', ip: CLIENT_IP });
    if (!issued.ok) throw new Error(`issue failed: ${issued.error.code}`);
    return issued.value.hash;
  };
  describeConformance({
    profile: 'strategy-contract@1',
    strategy: accessHashCookie({ store, onEvent: (event) => events.push(event) }),
    credentialed: async () => {
      // One access hash bound to CLIENT_IP, in a fresh request from that address every time.
      const accessHash = await (hash ??= issue());
      return {
        request: new Request('https://vpn.example.com/api/v1/system/status', { headers: { cookie: `theme=dark; access_hash=${accessHash}` } }),
        remoteAddress: CLIENT_IP,
        secrets: [accessHash],
      };
    },
    events: () => events,
  });
});
