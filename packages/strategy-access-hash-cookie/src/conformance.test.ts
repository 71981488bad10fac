import { createMemoryCredentialStore, type AuthEvent, type CredentialStore } from '@gatehouse/auth-core';
import type { AccessHashFixtures } from '@gatehouse/conformance';
import { describeConformance } from '@gatehouse/conformance/vitest';
import { describe } from 'vitest';
import { accessHashCookie, createAccessHashManager, renderAccessHashError, type AccessHashManager } from './index.js';

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

describe('accessHashCookie against access-hash-cookie@1', () => {
  const store = createMemoryCredentialStore();
  const { setup, revoke } = fixtureFactory(createAccessHashManager({ store }));
  describeConformance({
    profile: 'access-hash-cookie@1',
    strategy: accessHashCookie({ store }),
    render: renderAccessHashError,
    setup,
    storeFailure: async () => ({ strategy: accessHashCookie({ store: failingStore() }) }),
    revoke,
  });
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
