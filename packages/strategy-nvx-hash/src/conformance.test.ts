import { createMemoryCredentialStore, createRouteKitHandler, type AuthEvent, type CredentialStore, type ManageResult } from '@gatehouse/auth-core';
import { nvxInProcessDriver, type NvxFixtures } from '@gatehouse/conformance';
import { describeConformance } from '@gatehouse/conformance/vitest';
import { describe } from 'vitest';
import { createNvxHashManager, createNvxRoutes, nvxHash, renderNvxError, type NvxHashManager, type NvxOwner, type NvxSession } from './index.js';

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

async function apiKeyOf(manager: NvxHashManager, owner: NvxOwner, title: string): Promise<string> {
  const issued = await manager.issue(owner, { title });
  if (!issued.ok) throw new Error(`issue failed: ${issued.error.code}`);
  return issued.value.hash;
}

async function sessionOf(started: Promise<ManageResult<NvxSession>>): Promise<NvxSession> {
  const result = await started;
  if (!result.ok) throw new Error(`session failed: ${result.error.code}`);
  return result.value;
}

/** Issues fresh hashes of every kind for one conformance case: a new master user, sub-user and panel account. */
function fixtureFactory(manager: NvxHashManager): () => Promise<NvxFixtures> {
  let accounts = 0;
  return async () => {
    accounts++;
    const master: NvxOwner = { id: `master-${accounts}`, accountType: 'master' };
    const apiKey = await apiKeyOf(manager, master, 'Integration Key');
    const revokedApiKey = await apiKeyOf(manager, master, 'Compromised Key');
    const revoked = await manager.revoke(master, { token: revokedApiKey });
    if (!revoked.ok) throw new Error(`revoke failed: ${revoked.error.code}`);
    const userSession = await sessionOf(manager.startUserSession(master));
    const ended = await sessionOf(manager.startUserSession(master));
    const endedResult = await manager.endSession({ id: ended.credentialId, kind: 'user-session', scopes: [] });
    if (!endedResult.ok) throw new Error(`endSession failed: ${endedResult.error.code}`);
    const subUser = await sessionOf(manager.startUserSession({ id: `sub-${accounts}`, accountType: 'sub' }));
    const panel = await sessionOf(manager.startPanelSession(`panel-${accounts}`));
    return {
      apiKey,
      userSessionHash: userSession.hash,
      subUserSessionHash: subUser.hash,
      panelSessionHash: panel.hash,
      revokedApiKey,
      endedSessionHash: ended.hash,
    };
  };
}

// Gatehouse's own choices are nvx-hash@2's defaults: only query_hash follows allowQueryHash.
for (const allowQueryHash of [false, true]) {
  describe(`nvxHash with allowQueryHash: ${allowQueryHash}, with its key routes`, () => {
    const store = createMemoryCredentialStore();
    const manager = createNvxHashManager({ store });
    const strategy = nvxHash({ store, allowQueryHash });
    describeConformance({
      profile: 'nvx-hash@2',
      driver: nvxInProcessDriver({
        strategy,
        render: renderNvxError,
        setup: fixtureFactory(manager),
        routes: createRouteKitHandler(createNvxRoutes({ strategy, manager, verifyLogin: async () => null })),
        storeFailure: async () => ({ strategy: nvxHash({ store: failingStore(), allowQueryHash }) }),
      }),
      parameters: { query_hash: allowQueryHash ? 'enabled' : 'disabled' },
      strictWire: true,
    });
  });
}

describe('nvxHash against the AuthStrategy contract', () => {
  const store = createMemoryCredentialStore();
  const manager = createNvxHashManager({ store });
  const events: AuthEvent[] = [];
  let key: Promise<string> | undefined;
  describeConformance({
    profile: 'strategy-contract@1',
    strategy: nvxHash({ store, onEvent: (event) => events.push(event) }),
    credentialed: async () => {
      // One API key of one master user, in a fresh request every time.
      const apiKey = await (key ??= apiKeyOf(manager, { id: 'contract-user', accountType: 'master' }, 'Contract Key'));
      return {
        request: new Request('https://api.example.com/v2/tracker/list', { headers: { authorization: `NVX ${apiKey}` } }),
        secrets: [apiKey],
      };
    },
    events: () => events,
  });
});
