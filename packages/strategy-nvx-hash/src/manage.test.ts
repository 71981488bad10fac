import {
  createAuthGuard,
  createFetchRequestAdapter,
  createManualClock,
  createMemoryCredentialStore,
  firstOf,
  type AuthContext,
  type AuthEvent,
  type CredentialInfo,
  type CredentialStore,
} from '@gatehouse/auth-core';
import { createSecretSealer } from '@gatehouse/auth-core/crypto';
import { describe, expect, it } from 'vitest';
import { createNvxHashManager, isValidNvxTitle, nvxHash, type NvxHashManagerOptions, type NvxOwner } from './index.js';

const master: NvxOwner = { id: 'user-1', accountType: 'master' };
const sub: NvxOwner = { id: 'user-2', accountType: 'sub' };
const toAuthRequest = createFetchRequestAdapter();
const HOUR = 3600;

function setup(overrides: Partial<NvxHashManagerOptions> = {}, store: CredentialStore = createMemoryCredentialStore()) {
  const clock = createManualClock(Date.UTC(2026, 10, 1, 12, 0, 36));
  const events: AuthEvent[] = [];
  const manager = createNvxHashManager({ store, clock, onEvent: (event) => events.push(event), ...overrides });
  const strategy = nvxHash({ store, clock });
  /** Whether `hash` authenticates on a user resource right now. */
  const works = async (hash: string): Promise<boolean> =>
    (await strategy.authenticate(toAuthRequest(new Request('http://x/v2/tracker/list', { headers: { authorization: `NVX ${hash}` } })))).type === 'authenticated';
  return { store, clock, events, manager, works };
}

async function issueKey(manager: ReturnType<typeof setup>['manager'], title = 'CI', owner: NvxOwner = master) {
  const issued = await manager.issue(owner, { title });
  if (!issued.ok) throw issued.error;
  return issued.value;
}

async function listed(manager: ReturnType<typeof setup>['manager'], owner: NvxOwner = master) {
  const result = await manager.list(owner);
  if (!result.ok) throw result.error;
  return result.value;
}

const caller = (principalId: string, accountType: 'master' | 'sub' | 'panel', kind: string) => ({
  principal: { id: principalId, attributes: { accountType } },
  credential: { id: 'c', kind, scopes: [] } as CredentialInfo,
});

describe('createNvxHashManager: issue', () => {
  it('issues a 32-hex key titled as asked and stores only its digest', async () => {
    const { manager, store } = setup();
    const issued = await issueKey(manager, 'Integration Key');
    expect(issued.hash).toMatch(/^[0-9a-f]{32}$/);
    expect(issued.title).toBe('Integration Key');
    const record = await store.findById(issued.id);
    expect(record).toMatchObject({ strategy: 'nvx-hash', kind: 'api-key', ownerId: 'user-1', label: 'Integration Key', attributes: { accountType: 'master' } });
    expect(JSON.stringify(record)).not.toContain(issued.hash);
    expect(record?.sealedSecret).toBeNull();
  });

  it('issues no keys for sub-users or panel accounts: OPERATION_NOT_PERMITTED', async () => {
    const { manager } = setup();
    expect(await manager.issue(sub, { title: 'mine' })).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
    expect(await manager.issue({ id: 'admin', accountType: 'panel' }, { title: 'mine' })).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
  });

  it('refuses an owner or input that is not one with PARAMETER_INVALID', async () => {
    const { manager } = setup();
    for (const owner of [null, 'user-1', { id: '', accountType: 'master' }, { id: 'user-1', accountType: 'root' }, { accountType: 'master' }]) {
      expect(await manager.issue(owner as never, { title: 'CI' })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    for (const input of [null, undefined, 'CI', {}]) {
      expect(await manager.issue(master, input as never)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
  });

  it('refuses the 21st key with LIMIT_EXCEEDED', async () => {
    const { manager } = setup();
    for (let i = 0; i < 20; i++) expect((await manager.issue(master, { title: `key ${i}` })).ok).toBe(true);
    expect(await manager.issue(master, { title: 'key 21' })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
  });

  it('issues exactly 20 keys out of 100 parallel requests', async () => {
    const { manager } = setup();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => manager.issue(master, { title: `key ${i}` })));
    expect(results.filter((result) => result.ok)).toHaveLength(20);
    expect(await listed(manager)).toHaveLength(20);
  });

  it('frees a slot when a key is revoked', async () => {
    const { manager } = setup({ maxApiKeysPerUser: 1 });
    const first = await issueKey(manager, 'one');
    expect((await manager.issue(master, { title: 'two' })).ok).toBe(false);
    expect((await manager.revoke(master, { token: first.hash })).ok).toBe(true);
    expect((await manager.issue(master, { title: 'two' })).ok).toBe(true);
  });

  it('accepts titles of 1 to 255 printable code points and refuses the rest with PARAMETER_INVALID', async () => {
    const { manager } = setup();
    for (const good of ['a', 'x'.repeat(255), 'Intégration 🔑 Key', '日本語のキー', '🔑'.repeat(255), '👩\u200d💻 laptop key']) {
      expect(isValidNvxTitle(good)).toBe(true);
    }
    for (const bad of ['', '   ', 'x'.repeat(256), 'a\nb', 'tab\there', 'nul\u0000', 'rtl\u202eoverride', 'lone\ud800', '\u200b', 'a\u2028b', 'a\u200fb', 'a\u061cb', 'private\ue000', 42, null, ['a']]) {
      expect(isValidNvxTitle(bad)).toBe(false);
      expect(await manager.issue(master, { title: bad })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    expect((await manager.issue(master, { title: '🔑'.repeat(255) })).ok).toBe(true);
  });
});

describe('createNvxHashManager: list', () => {
  it('lists keys masked by default: the first 4 characters and 28 stars', async () => {
    const { manager } = setup();
    const issued = await issueKey(manager);
    const keys = await listed(manager);
    expect(keys).toEqual([{ id: issued.id, hash: `${issued.hash.slice(0, 4)}${'*'.repeat(28)}`, title: 'CI', createdAt: issued.createdAt, lastUsedAt: null }]);
  });

  it('lists the full hash in the revealable mode, kept sealed at rest', async () => {
    const sealer = createSecretSealer([new Uint8Array(32).fill(7)]);
    const { manager, store } = setup({ listing: { mode: 'revealable', sealer } });
    const issued = await issueKey(manager);
    expect((await listed(manager))[0]?.hash).toBe(issued.hash);
    const record = await store.findById(issued.id);
    expect(record?.sealedSecret).toMatch(/^gh1\./);
    expect(JSON.stringify(record)).not.toContain(issued.hash);
  });

  it('lists only the live API keys of the owner, oldest first: no sessions, no revoked keys, no other owner', async () => {
    const { manager, clock } = setup();
    const first = await issueKey(manager, 'first');
    clock.advanceBySeconds(1);
    const second = await issueKey(manager, 'second');
    const gone = await issueKey(manager, 'gone');
    await manager.revoke(master, { id: gone.id });
    await manager.startUserSession(master);
    await issueKey(manager, 'theirs', { id: 'user-3', accountType: 'master' });
    expect((await listed(manager)).map((key) => key.id)).toEqual([first.id, second.id]);
  });

  it('lists nothing for a sub-user: OPERATION_NOT_PERMITTED', async () => {
    const { manager } = setup();
    expect(await manager.list(sub)).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
  });

  it('refuses a revealable listing without a sealer, naming the option', () => {
    expect(() => setup({ listing: { mode: 'revealable' } as never })).toThrow(/`listing`/);
    expect(() => setup({ listing: { mode: 'open' } as never })).toThrow(/`listing`/);
  });
});

describe('createNvxHashManager: revoke', () => {
  it('revokes by key hash (api/key/delete?key_hash=), in either hex case, and the key stops working at once', async () => {
    const { manager, works } = setup();
    const issued = await issueKey(manager);
    expect(await works(issued.hash)).toBe(true);
    expect(await manager.revoke(master, { token: issued.hash.toUpperCase() })).toEqual({ ok: true, value: undefined });
    expect(await works(issued.hash)).toBe(false);
    expect(await manager.revoke(master, { token: issued.hash })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
  });

  it('revokes by id for user interfaces', async () => {
    const { manager } = setup();
    const issued = await issueKey(manager);
    expect((await manager.revoke(master, { id: issued.id })).ok).toBe(true);
    expect(await manager.revoke(master, { id: issued.id })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
  });

  it("does not revoke another user's key, and says not found", async () => {
    const { manager } = setup();
    const issued = await issueKey(manager);
    const other: NvxOwner = { id: 'user-3', accountType: 'master' };
    expect(await manager.revoke(other, { token: issued.hash })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.revoke(other, { id: issued.id })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await listed(manager)).toHaveLength(1);
  });

  it('does not revoke a session hash as if it were an API key', async () => {
    const { manager, works } = setup();
    const started = await manager.startUserSession(master);
    if (!started.ok) throw started.error;
    expect(await manager.revoke(master, { token: started.value.hash })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.revoke(master, { id: started.value.credentialId })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await works(started.value.hash)).toBe(false); // a session hash is not for resources, revoked or not
  });

  it('refuses a token that is not a 32-hex key hash, or a reference that is neither an id nor a token, with PARAMETER_INVALID', async () => {
    const { manager } = setup();
    for (const reference of [{ token: 'nope' }, { token: 'a'.repeat(31) }, { token: `${'a'.repeat(31)}g` }, { token: 'a'.repeat(64) }, {}, { id: 'x', token: 'y' }, { id: '' }, null, 'nvx_1']) {
      expect(await manager.revoke(master, reference as never), JSON.stringify(reference)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    expect(await manager.revoke(master, { token: '882fb333405d006df0d5a3f410115e92' })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
  });

  it('lets only a master owner revoke: OPERATION_NOT_PERMITTED for a sub-user', async () => {
    const { manager } = setup();
    const issued = await issueKey(manager);
    expect(await manager.revoke({ id: 'user-1', accountType: 'sub' }, { id: issued.id })).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
  });

  it('reports created and revoked events without the hash', async () => {
    const { manager, events } = setup();
    const issued = await issueKey(manager);
    await manager.revoke(master, { token: issued.hash });
    expect(events).toMatchObject([
      { type: 'credential-created', strategyId: 'nvx-hash', ownerId: 'user-1', credentialId: issued.id, credentialKind: 'api-key' },
      { type: 'credential-revoked', strategyId: 'nvx-hash', ownerId: 'user-1', credentialId: issued.id, credentialKind: 'api-key' },
    ]);
    expect(JSON.stringify(events)).not.toContain(issued.hash);
  });
});

describe('createNvxHashManager: rotate', () => {
  it('gives a new hash with the same title, and with no overlap the old hash stops at once', async () => {
    const { manager, works, events } = setup();
    const old = await issueKey(manager, 'Integration Key');
    const rotated = await manager.rotate(master, { token: old.hash });
    if (!rotated.ok) throw rotated.error;
    expect(rotated.value.hash).toMatch(/^[0-9a-f]{32}$/);
    expect(rotated.value.hash).not.toBe(old.hash);
    expect(rotated.value.id).not.toBe(old.id);
    expect(rotated.value.title).toBe('Integration Key');
    expect(await works(old.hash)).toBe(false);
    expect(await works(rotated.value.hash)).toBe(true);
    expect((await listed(manager)).map((key) => key.id)).toEqual([rotated.value.id]);
    expect(events.slice(1).map((event) => [event.type, 'credentialId' in event ? event.credentialId : null])).toEqual([
      ['credential-created', rotated.value.id],
      ['credential-revoked', old.id],
    ]);
  });

  it('rotates a key at the limit with no overlap, and the limit still holds afterwards', async () => {
    const { manager, works } = setup({ maxApiKeysPerUser: 3 });
    const keys = [await issueKey(manager, 'a'), await issueKey(manager, 'b'), await issueKey(manager, 'c')];
    const rotated = await manager.rotate(master, { id: keys[1]!.id }, { overlapInSeconds: 0 });
    if (!rotated.ok) throw rotated.error;
    expect(rotated.value.title).toBe('b');
    expect(await works(keys[1]!.hash)).toBe(false);
    expect(await works(rotated.value.hash)).toBe(true);
    expect(await listed(manager)).toHaveLength(3);
    expect(await manager.issue(master, { title: 'd' })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
  });

  it('with an overlap, keeps both hashes working until the overlap ends, then only the new one', async () => {
    const { manager, works, clock, store } = setup();
    const old = await issueKey(manager, 'Integration Key');
    const rotated = await manager.rotate(master, { token: old.hash }, { overlapInSeconds: HOUR });
    if (!rotated.ok) throw rotated.error;
    expect(await works(old.hash)).toBe(true);
    expect(await works(rotated.value.hash)).toBe(true);
    expect((await store.findById(old.id))?.expiresAt).toBe(clock.now() + HOUR * 1000);
    expect((await listed(manager)).map((key) => key.title)).toEqual(['Integration Key', 'Integration Key']);
    clock.advanceBySeconds(HOUR - 1);
    expect(await works(old.hash)).toBe(true);
    clock.advanceBySeconds(1);
    expect(await works(old.hash)).toBe(false);
    expect(await works(rotated.value.hash)).toBe(true);
    expect((await listed(manager)).map((key) => key.id)).toEqual([rotated.value.id]);
  });

  it('refuses a rotation with an overlap at the limit with LIMIT_EXCEEDED, and changes nothing', async () => {
    const { manager, works, store } = setup({ maxApiKeysPerUser: 2 });
    const old = await issueKey(manager, 'a');
    await issueKey(manager, 'b');
    expect(await manager.rotate(master, { id: old.id }, { overlapInSeconds: HOUR })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    expect(await works(old.hash)).toBe(true);
    expect((await store.findById(old.id))?.expiresAt).toBeNull();
    expect(await listed(manager)).toHaveLength(2);
  });

  it('never lengthens the overlap of a key already rotated', async () => {
    const { manager, store, clock } = setup();
    const old = await issueKey(manager);
    await manager.rotate(master, { id: old.id }, { overlapInSeconds: HOUR });
    const again = await manager.rotate(master, { id: old.id }, { overlapInSeconds: 24 * HOUR });
    expect(again.ok).toBe(true);
    expect((await store.findById(old.id))?.expiresAt).toBe(clock.now() + HOUR * 1000);
  });

  it('stores the new key sealed too in the revealable listing mode', async () => {
    const sealer = createSecretSealer([new Uint8Array(32).fill(7)]);
    const { manager, store } = setup({ listing: { mode: 'revealable', sealer } });
    const old = await issueKey(manager);
    const rotated = await manager.rotate(master, { id: old.id });
    if (!rotated.ok) throw rotated.error;
    const record = await store.findById(rotated.value.id);
    expect(record?.sealedSecret).toMatch(/^gh1\./);
    expect(JSON.stringify(record)).not.toContain(rotated.value.hash);
    expect((await listed(manager)).map((key) => key.hash)).toEqual([rotated.value.hash]);
  });

  it('refuses an overlap that is not a whole number of seconds up to 30 days with PARAMETER_INVALID', async () => {
    const { manager, works } = setup();
    const old = await issueKey(manager);
    for (const overlapInSeconds of [-1, 1.5, 30 * 86_400 + 1, Number.NaN, '60' as never]) {
      expect(await manager.rotate(master, { id: old.id }, { overlapInSeconds }), String(overlapInSeconds)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    expect(await works(old.hash)).toBe(true);
    expect(await listed(manager)).toHaveLength(1);
  });

  it('refuses options that are not an object (a bare number of seconds, null, a string) with PARAMETER_INVALID', async () => {
    const { manager, works } = setup();
    const old = await issueKey(manager);
    const untyped = manager as unknown as { rotate: (owner: unknown, reference: unknown, options?: unknown) => ReturnType<typeof manager.rotate> };
    for (const options of [3600, 0, null, '3600', true]) {
      expect(await untyped.rotate(master, { id: old.id }, options), String(options)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    expect(await works(old.hash)).toBe(true);
    expect((await listed(manager)).map((key) => key.id)).toEqual([old.id]);
  });

  it("does not rotate another user's key, a revoked key or a session: CREDENTIAL_NOT_FOUND", async () => {
    const { manager } = setup();
    const issued = await issueKey(manager);
    expect(await manager.rotate({ id: 'user-3', accountType: 'master' }, { id: issued.id })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    const started = await manager.startUserSession(master);
    if (!started.ok) throw started.error;
    expect(await manager.rotate(master, { token: started.value.hash })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    await manager.revoke(master, { id: issued.id });
    expect(await manager.rotate(master, { id: issued.id })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
  });

  it('lets only a master owner rotate: OPERATION_NOT_PERMITTED for a sub-user', async () => {
    const { manager } = setup();
    const issued = await issueKey(manager);
    expect(await manager.rotate({ id: 'user-1', accountType: 'sub' }, { id: issued.id })).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
  });

  it('lets only one of two racing rotations of the same key win, leaving one new key', async () => {
    const { manager } = setup();
    const old = await issueKey(manager);
    const results = await Promise.all([manager.rotate(master, { id: old.id }), manager.rotate(master, { id: old.id })]);
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.find((result) => !result.ok)).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await listed(manager)).toHaveLength(1);
  });
});

describe('createNvxHashManager: who manages keys', () => {
  it('lets only a master user session manage keys: not an API key, not a sub-user, not a panel hash', () => {
    const { manager } = setup();
    expect(manager.keyManager(caller('user-1', 'master', 'user-session'))).toEqual({ ok: true, value: master });
    expect(manager.keyManager(caller('user-1', 'master', 'api-key'))).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
    expect(manager.keyManager(caller('user-2', 'sub', 'user-session'))).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
    expect(manager.keyManager(caller('admin', 'panel', 'panel-session'))).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
    expect(manager.keyManager(null)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(manager.keyManager(undefined)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
  });

  it("takes the AuthContext a guard hands to the route as it is, behind firstOf too", async () => {
    const store = createMemoryCredentialStore();
    const manager = createNvxHashManager({ store });
    const strategy = nvxHash({ store });
    const session = await manager.startUserSession(master);
    const key = await manager.issue(master, { title: 'Integration Key' });
    if (!session.ok || !key.ok) throw new Error('setup failed');
    const request = (hash: string) =>
      toAuthRequest(new Request('http://localhost/v2/api/key/create', { method: 'POST', headers: { authorization: `NVX ${hash}` } }));
    for (const guard of [createAuthGuard(strategy), createAuthGuard(firstOf([strategy]))]) {
      const signedIn = await guard(request(session.value.hash));
      const withKey = await guard(request(key.value.hash));
      if (signedIn.type !== 'allowed' || withKey.type !== 'allowed') throw new Error('expected both to be allowed');
      // What req.auth (Express) and request.auth (Fastify) are typed as: AuthContext, any strategy's principal.
      const auth: AuthContext | null = signedIn.auth;
      expect(manager.keyManager(auth)).toEqual({ ok: true, value: master });
      expect(manager.keyManager(withKey.auth)).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
    }
  });
});

describe('createNvxHashManager: a failing store', () => {
  it('reports STORE_UNAVAILABLE from every method, never a throw or an empty answer', async () => {
    const store = createMemoryCredentialStore();
    const fail = async (): Promise<never> => {
      throw new Error('SQLITE_BUSY');
    };
    const broken: CredentialStore = { ...store, insert: fail, listByOwner: fail, findByDigest: fail, findById: fail, update: fail, revoke: fail };
    const manager = createNvxHashManager({ store: broken });
    const session: CredentialInfo = { id: 'x', kind: 'user-session', scopes: [] };
    const unavailable = { ok: false, error: { code: 'STORE_UNAVAILABLE' } };
    expect(await manager.issue(master, { title: 'CI' })).toMatchObject(unavailable);
    expect(await manager.list(master)).toMatchObject(unavailable);
    expect(await manager.revoke(master, { token: '882fb333405d006df0d5a3f410115e92' })).toMatchObject(unavailable);
    expect(await manager.revoke(master, { id: 'nvx_x' })).toMatchObject(unavailable);
    expect(await manager.rotate(master, { id: 'nvx_x' })).toMatchObject(unavailable);
    expect(await manager.startUserSession(master)).toMatchObject(unavailable);
    expect(await manager.startPanelSession('admin-1')).toMatchObject(unavailable);
    expect(await manager.renewSession(session)).toMatchObject(unavailable);
    expect(await manager.endSession(session)).toMatchObject(unavailable);
    expect(await manager.endUserSessions('user-1')).toMatchObject(unavailable);
  });

  it('reports STORE_UNAVAILABLE when the store fails half-way through a rotation', async () => {
    const store = createMemoryCredentialStore();
    const { manager } = setup({}, store);
    const old = await issueKey(manager);
    const failingUpdate = createNvxHashManager({ store: { ...store, update: async () => { throw new Error('SQLITE_BUSY'); } } });
    expect(await failingUpdate.rotate(master, { id: old.id }, { overlapInSeconds: HOUR })).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    // The replacement nobody saw is revoked again: it holds no slot.
    expect((await listed(manager)).map((key) => key.id)).toEqual([old.id]);
    const failingRevoke = createNvxHashManager({ store: { ...store, revoke: async () => { throw new Error('SQLITE_BUSY'); } } });
    expect(await failingRevoke.rotate(master, { id: old.id })).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
  });
});

describe('createNvxHashManager: sessions', () => {
  it('starts a user session that expires after 30 days by default', async () => {
    const { manager, clock } = setup();
    const started = await manager.startUserSession(master);
    if (!started.ok) throw started.error;
    expect(started.value.hash).toMatch(/^[0-9a-f]{32}$/);
    expect(started.value.expiresAt - clock.now()).toBe(30 * 86_400_000);
  });

  it('starts a panel session that expires after 1 day by default', async () => {
    const { manager, clock } = setup();
    const started = await manager.startPanelSession('admin-1');
    if (!started.ok) throw started.error;
    expect(started.value.expiresAt - clock.now()).toBe(86_400_000);
  });

  it('refuses to start a session for an account that is not one with PARAMETER_INVALID', async () => {
    const { manager } = setup();
    expect(await manager.startUserSession({ id: 'admin', accountType: 'panel' })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await manager.startUserSession({ id: '', accountType: 'master' })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await manager.startUserSession(null as never)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await manager.startPanelSession('')).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await manager.startPanelSession(7 as never)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
  });

  it('renews and ends only live sessions, never API keys', async () => {
    const { manager, clock } = setup();
    const issued = await issueKey(manager);
    const keyInfo = { id: issued.id, kind: 'api-key', scopes: [] };
    expect(await manager.endSession(keyInfo)).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
    expect(await manager.renewSession(keyInfo)).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
    const started = await manager.startUserSession(master);
    if (!started.ok) throw started.error;
    const info = { id: started.value.credentialId, kind: 'user-session', scopes: [] };
    clock.advanceBySeconds(HOUR);
    expect(await manager.renewSession(info)).toEqual({ ok: true, value: { expiresAt: clock.now() + 30 * 86_400_000 } });
    expect((await manager.endSession(info)).ok).toBe(true);
    expect(await manager.endSession(info)).toMatchObject({ ok: false, error: { code: 'CREDENTIALS_INVALID' } });
    expect(await manager.renewSession(info)).toMatchObject({ ok: false, error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('ends every session of a user after a password change, returns how many, and keeps API keys', async () => {
    const { manager, works, events } = setup();
    const issued = await issueKey(manager);
    await manager.startUserSession(master);
    await manager.startUserSession(master);
    await manager.startUserSession(sub);
    expect(await manager.endUserSessions('user-1')).toEqual({ ok: true, value: 2 });
    expect(await manager.endUserSessions('user-1')).toEqual({ ok: true, value: 0 });
    expect(events.filter((event) => event.type === 'credential-revoked')).toHaveLength(2);
    expect(await works(issued.hash)).toBe(true);
    expect(await manager.endUserSessions('' as never)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
  });

  it('refuses bad options at construction, naming them', () => {
    const store = createMemoryCredentialStore();
    expect(() => createNvxHashManager({ store, maxApiKeysPerUser: -1 })).toThrow(/`maxApiKeysPerUser`/);
    expect(() => createNvxHashManager({ store, userSessionMaxAgeInSeconds: 0 })).toThrow(/`userSessionMaxAgeInSeconds`/);
    expect(() => createNvxHashManager({ store, panelSessionMaxAgeInSeconds: 1.5 })).toThrow(/`panelSessionMaxAgeInSeconds`/);
  });
});
