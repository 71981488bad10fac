import {
  createManualClock,
  createMemoryCredentialStore,
  createSecretSealer,
  type AuthEvent,
  type CredentialInfo,
} from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import { createNvxHashManager, isValidNvxTitle, type NvxHashManagerOptions, type NvxOwner } from './index.js';

const master: NvxOwner = { id: 'user-1', accountType: 'master' };
const sub: NvxOwner = { id: 'user-2', accountType: 'sub' };

function setup(overrides: Partial<NvxHashManagerOptions> = {}) {
  const store = createMemoryCredentialStore();
  const clock = createManualClock(Date.UTC(2026, 10, 1, 12, 0, 36));
  const events: AuthEvent[] = [];
  const manager = createNvxHashManager({ store, clock, onEvent: (event) => events.push(event), ...overrides });
  return { store, clock, events, manager };
}

const caller = (principalId: string, accountType: 'master' | 'sub' | 'panel', kind: string) => ({
  principal: { id: principalId, attributes: { accountType } },
  credential: { id: 'c', kind, scopes: [] } as CredentialInfo,
});

describe('createNvxHashManager: API keys', () => {
  it('creates a 32-hex key titled as asked and stores only its digest', async () => {
    const { manager, store } = setup();
    const created = await manager.createApiKey(master, 'Integration Key');
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    expect(created.value.hash).toMatch(/^[0-9a-f]{32}$/);
    expect(created.value.title).toBe('Integration Key');
    const record = await store.findById(created.value.id);
    expect(JSON.stringify(record)).not.toContain(created.value.hash);
    expect(record?.sealedSecret).toBeNull();
  });

  it('lists keys masked by default: the first 4 characters and 28 stars', async () => {
    const { manager } = setup();
    const created = await manager.createApiKey(master, 'CI');
    const listed = await manager.listApiKeys(master);
    expect(listed).toHaveLength(1);
    expect(created.ok && listed[0]?.hash).toBe(created.ok ? `${created.value.hash.slice(0, 4)}${'*'.repeat(28)}` : '');
  });

  it('lists the full hash in the revealable mode, kept sealed at rest', async () => {
    const sealer = createSecretSealer([new Uint8Array(32).fill(7)]);
    const { manager, store } = setup({ listing: { mode: 'revealable', sealer } });
    const created = await manager.createApiKey(master, 'CI');
    if (!created.ok) throw created.error;
    expect((await manager.listApiKeys(master))[0]?.hash).toBe(created.value.hash);
    const record = await store.findById(created.value.id);
    expect(record?.sealedSecret).toMatch(/^gh1\./);
    expect(JSON.stringify(record)).not.toContain(created.value.hash);
  });

  it('refuses a revealable listing without a sealer, naming the option', () => {
    expect(() => setup({ listing: { mode: 'revealable' } as never })).toThrow(/`listing`/);
  });

  it('refuses the 21st key with LIMIT_EXCEEDED', async () => {
    const { manager } = setup();
    for (let i = 0; i < 20; i++) expect((await manager.createApiKey(master, `key ${i}`)).ok).toBe(true);
    expect(await manager.createApiKey(master, 'key 21')).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
  });

  it('creates exactly 20 keys out of 100 parallel requests', async () => {
    const { manager } = setup();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => manager.createApiKey(master, `key ${i}`)));
    expect(results.filter((result) => result.ok)).toHaveLength(20);
    expect(await manager.listApiKeys(master)).toHaveLength(20);
  });

  it('frees a slot when a key is deleted', async () => {
    const { manager } = setup({ maxApiKeysPerUser: 1 });
    const first = await manager.createApiKey(master, 'one');
    expect((await manager.createApiKey(master, 'two')).ok).toBe(false);
    if (first.ok) await manager.deleteApiKey(master, first.value.hash);
    expect((await manager.createApiKey(master, 'two')).ok).toBe(true);
  });

  it('creates no keys for sub-users (seed 001)', async () => {
    const { manager } = setup();
    expect(await manager.createApiKey(sub, 'mine')).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
  });

  it('lets only a master user session manage keys: not an API key, not a sub-user, not a panel hash', () => {
    const { manager } = setup();
    expect(manager.keyManager(caller('user-1', 'master', 'user-session'))).toEqual({ ok: true, value: master });
    expect(manager.keyManager(caller('user-1', 'master', 'api-key'))).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
    expect(manager.keyManager(caller('user-2', 'sub', 'user-session'))).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
    expect(manager.keyManager(caller('admin', 'panel', 'panel-session'))).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
  });

  it('accepts titles of 1 to 255 printable characters and refuses the rest with PARAMETER_INVALID', async () => {
    const { manager } = setup();
    for (const good of ['a', 'x'.repeat(255), 'Intégration 🔑 Key', '日本語のキー']) expect(isValidNvxTitle(good)).toBe(true);
    for (const bad of ['', '   ', 'x'.repeat(256), 'a\nb', 'tab\there', 'nul\u0000', 'rtl\u202eoverride', 'lone\ud800', '\u200b', 'a\u2028b', 'a\u200fb', 'a\u061cb', 'private\ue000', 42, null, ['a']]) {
      expect(isValidNvxTitle(bad)).toBe(false);
      expect(await manager.createApiKey(master, bad)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    expect(isValidNvxTitle('🔑'.repeat(255))).toBe(true);
    expect(isValidNvxTitle('👩\u200d💻 laptop key')).toBe(true);
  });

  it("does not delete another user's key, and says not found", async () => {
    const { manager } = setup();
    const created = await manager.createApiKey(master, 'CI');
    if (!created.ok) throw created.error;
    expect(await manager.deleteApiKey({ id: 'user-3', accountType: 'master' }, created.value.hash)).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.listApiKeys(master)).toHaveLength(1);
  });

  it('refuses a malformed key_hash with PARAMETER_INVALID and an unknown one with CREDENTIAL_NOT_FOUND', async () => {
    const { manager } = setup();
    expect(await manager.deleteApiKey(master, 'nope')).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await manager.deleteApiKey(master, '882fb333405d006df0d5a3f410115e92')).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
  });

  it('deletes by id for user interfaces', async () => {
    const { manager } = setup();
    const created = await manager.createApiKey(master, 'CI');
    if (!created.ok) throw created.error;
    expect((await manager.deleteApiKeyById(master, created.value.id)).ok).toBe(true);
    expect(await manager.deleteApiKeyById(master, created.value.id)).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
  });

  it('reports created and revoked events without the hash', async () => {
    const { manager, events } = setup();
    const created = await manager.createApiKey(master, 'CI');
    if (!created.ok) throw created.error;
    await manager.deleteApiKey(master, created.value.hash);
    expect(events.map((event) => event.type)).toEqual(['credential-created', 'credential-revoked']);
    expect(JSON.stringify(events)).not.toContain(created.value.hash);
  });
});

describe('createNvxHashManager: a failing store', () => {
  it('reports STORE_UNAVAILABLE as a result or a thrown AuthError, never as an empty answer', async () => {
    const store = createMemoryCredentialStore();
    const fail = async (): Promise<never> => { throw new Error('SQLITE_BUSY'); };
    const broken = { ...store, insert: fail, listByOwner: fail, findByDigest: fail, findById: fail };
    const manager = createNvxHashManager({ store: broken });
    expect(await manager.createApiKey(master, 'CI')).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    expect(await manager.deleteApiKey(master, '882fb333405d006df0d5a3f410115e92')).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    expect(await manager.renewSession({ id: 'x', kind: 'user-session', scopes: [] })).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    await expect(manager.listApiKeys(master)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(manager.startUserSession(master)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});

describe('createNvxHashManager: sessions', () => {
  it('starts a user session that expires after 30 days by default', async () => {
    const { manager, clock } = setup();
    const session = await manager.startUserSession(master);
    expect(session.hash).toMatch(/^[0-9a-f]{32}$/);
    expect(session.expiresAt - clock.now()).toBe(30 * 86_400_000);
  });

  it('starts a panel session that expires after 1 day by default', async () => {
    const { manager, clock } = setup();
    const session = await manager.startPanelSession('admin-1');
    expect(session.expiresAt - clock.now()).toBe(86_400_000);
  });

  it('renews and ends only live sessions, never API keys', async () => {
    const { manager, clock } = setup();
    const created = await manager.createApiKey(master, 'CI');
    if (!created.ok) throw created.error;
    const keyInfo = { id: created.value.id, kind: 'api-key', scopes: [] };
    expect(await manager.endSession(keyInfo)).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
    expect(await manager.renewSession(keyInfo)).toMatchObject({ ok: false });
    const session = await manager.startUserSession(master);
    const info = { id: session.credentialId, kind: 'user-session', scopes: [] };
    clock.advanceBySeconds(3600);
    expect(await manager.renewSession(info)).toEqual({ ok: true, value: { expiresAt: clock.now() + 30 * 86_400_000 } });
    expect((await manager.endSession(info)).ok).toBe(true);
    expect(await manager.endSession(info)).toMatchObject({ ok: false, error: { code: 'CREDENTIALS_INVALID' } });
    expect((await manager.renewSession(info)).ok).toBe(false);
  });

  it('ends every session of a user after a password change, and returns how many', async () => {
    const { manager } = setup();
    await manager.startUserSession(master);
    await manager.startUserSession(master);
    await manager.startUserSession(sub);
    expect(await manager.endUserSessions('user-1')).toBe(2);
    expect(await manager.endUserSessions('user-1')).toBe(0);
  });

  it('refuses bad options at construction, naming them', () => {
    const store = createMemoryCredentialStore();
    expect(() => createNvxHashManager({ store, maxApiKeysPerUser: -1 })).toThrow(/`maxApiKeysPerUser`/);
    expect(() => createNvxHashManager({ store, userSessionMaxAgeInSeconds: 0 })).toThrow(/`userSessionMaxAgeInSeconds`/);
    expect(() => createNvxHashManager({ store, panelSessionMaxAgeInSeconds: 1.5 })).toThrow(/`panelSessionMaxAgeInSeconds`/);
  });
});
