import { createManualClock, createMemoryCredentialStore, type AuthEvent, type CredentialStore } from '@gatehouse/auth-core';
import { createSecretSealer } from '@gatehouse/auth-core/crypto';
import { describe, expect, it } from 'vitest';
import { createHmacKeyManager, exportHmacKeyJson, type HmacKeyManager } from './index.js';

const sealer = createSecretSealer([new Uint8Array(32).fill(3)]);

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

function setup() {
  const store = createMemoryCredentialStore();
  const clock = createManualClock(NOW);
  const events: AuthEvent[] = [];
  const manager = createHmacKeyManager({ store, sealer, clock, permissions: ['Trading', 'Deposit', 'Withdraw'], onEvent: (event) => events.push(event) });
  return { store, clock, events, manager };
}

describe('createHmacKeyManager: issue, list, revoke', () => {
  it('returns APIKey, APISecret, Nonce and UserId once, and stores the secret only sealed', async () => {
    const { manager, store } = setup();
    const created = await manager.issue('1', { permissions: ['Trading', 'Deposit'], allowedIps: ['203.0.113.0/24'] });
    if (!created.ok) throw created.error;
    expect(created.value).toMatchObject({ UserId: '1', Permissions: ['Trading', 'Deposit'], AllowedIps: ['203.0.113.0/24'] });
    expect(created.value.APIKey).toMatch(/^[0-9a-f]{32}$/);
    expect(created.value.APISecret).toMatch(/^[0-9a-f]{64}$/);
    expect(created.value.Nonce).toMatch(/^[1-9][0-9]{11}$/);
    const record = await store.findById(created.value.id);
    const stored = JSON.stringify(record);
    expect(stored).not.toContain(created.value.APISecret);
    expect(stored).not.toContain(created.value.APIKey);
    expect(record?.sealedSecret).toMatch(/^gh1\./);
  });

  it('exports the key as JSON for download', async () => {
    const { manager } = setup();
    const created = await manager.issue('1', { permissions: ['Trading'] });
    if (!created.ok) throw created.error;
    expect(JSON.parse(exportHmacKeyJson(created.value))).toEqual({
      APIKey: created.value.APIKey,
      APISecret: created.value.APISecret,
      Nonce: created.value.Nonce,
      UserId: '1',
      Permissions: ['Trading'],
      AllowedIps: [],
    });
  });

  it('lists keys without secrets', async () => {
    const { manager } = setup();
    const created = await manager.issue('1', { permissions: ['Withdraw'], label: 'bot' });
    if (!created.ok) throw created.error;
    const listed = await manager.list('1');
    expect(listed).toMatchObject({ ok: true, value: [{ id: created.value.id, apiKeyHint: created.value.APIKey.slice(0, 4), label: 'bot', permissions: ['Withdraw'] }] });
    expect(JSON.stringify(listed)).not.toContain(created.value.APISecret);
    expect(JSON.stringify(listed)).not.toContain(created.value.APIKey);
  });

  it('refuses unknown permissions, bad IPs and bad labels with PARAMETER_INVALID', async () => {
    const { manager } = setup();
    for (const input of [
      { permissions: ['Admin'] },
      { permissions: 'Trading' },
      { allowedIps: ['not-an-ip'] },
      { allowedIps: ['10.0.0.0/33'] },
      { allowedIps: ['fe80::1%eth0'] },
      { label: 'a\u0000b' },
      { label: 'a\u202eb' },
      { label: 'x'.repeat(256) },
      { label: 7 },
      { userName: '' },
      { userName: '   ' },
      { userName: 'a\u200bb' },
      { userName: 'y'.repeat(256) },
    ]) {
      expect(await manager.issue('1', input)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    expect(await manager.issue('no spaces', {})).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await manager.issue('1', { userName: { name: 'x' } as never })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await manager.issue('1', undefined as never)).toMatchObject({ ok: true });
    expect(await manager.issue('1', null as never)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await manager.issue('1', 'Trading' as never)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
  });

  it('accepts an empty label, and printable labels and user names of up to 255 characters', async () => {
    const { manager, store } = setup();
    for (const input of [{ label: '' }, { label: 'x'.repeat(255) }, { label: 'Bot 🤖‍', userName: 'Zoë' }, { userName: 'z'.repeat(255) }]) {
      const issued = await manager.issue('1', input);
      if (!issued.ok) throw issued.error;
      const record = await store.findById(issued.value.id);
      expect(record?.label).toBe(input.label ?? '');
      expect(record?.attributes['userName']).toBe(input.userName);
    }
  });

  it('refuses a user id that is not 1 to 64 letters, digits, _ or -, in every method', async () => {
    const { manager } = setup();
    for (const userId of ['', 'no spaces', 'x'.repeat(65), 7 as never]) {
      expect(await manager.issue(userId, {})).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
      expect(await manager.list(userId)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
      expect(await manager.revoke(userId, { id: 'hk_x' })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
      expect(await manager.rotate(userId, { id: 'hk_x' })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
  });

  it('refuses the 21st key of a user', async () => {
    const { manager } = setup();
    const results = await Promise.all(Array.from({ length: 25 }, () => manager.issue('1', {})));
    expect(results.filter((result) => result.ok)).toHaveLength(20);
    expect(results.find((result) => !result.ok)).toMatchObject({ error: { code: 'LIMIT_EXCEEDED' } });
  });

  it("removes only the user's own keys, by APIKey or id", async () => {
    const { manager } = setup();
    const created = await manager.issue('1', {});
    if (!created.ok) throw created.error;
    expect(await manager.revoke('2', { token: created.value.APIKey })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.revoke('1', { token: 'nope' })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect((await manager.revoke('1', { token: created.value.APIKey })).ok).toBe(true);
    expect(await manager.revoke('1', { id: created.value.id })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    const second = await manager.issue('1', {});
    if (!second.ok) throw second.error;
    expect(await manager.revoke('2', { id: second.value.id })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect((await manager.revoke('1', { id: second.value.id })).ok).toBe(true);
    expect(await manager.list('1')).toEqual({ ok: true, value: [] });
  });

  it('refuses a reference that is neither { id } nor { token: <APIKey> } with PARAMETER_INVALID', async () => {
    const { manager } = setup();
    const created = await manager.issue('1', {});
    if (!created.ok) throw created.error;
    for (const reference of [null, 'hk_1', {}, { id: '' }, { id: 7 }, { id: created.value.id, token: created.value.APIKey }, { token: 'nope' }, { token: created.value.APIKey.toUpperCase() }]) {
      expect(await manager.revoke('1', reference as never)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
      expect(await manager.rotate('1', reference as never)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    expect((await manager.list('1')).ok && (await manager.list('1'))).toMatchObject({ value: [{ id: created.value.id }] });
  });

  it('does not treat a session as a key: revoke and rotate by a session id are CREDENTIAL_NOT_FOUND', async () => {
    const { manager } = setup();
    const created = await manager.issue('1', { permissions: ['Trading'] });
    if (!created.ok) throw created.error;
    const session = await manager.startSession({ principal: { id: '1' }, credential: { id: created.value.id, kind: 'api-key', scopes: [] } });
    if (!session.ok) throw session.error;
    expect(await manager.revoke('1', { id: session.value.credentialId })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.rotate('1', { id: session.value.credentialId })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
  });

  it('retries an id or digest collision with fresh values, and gives up with INTERNAL_ERROR after three', async () => {
    for (const [conflicts, expected] of [[2, { ok: true }], [3, { ok: false, error: { code: 'INTERNAL_ERROR' } }]] as const) {
      const inner = createMemoryCredentialStore();
      let left: number = conflicts;
      const digests: string[] = [];
      const store: CredentialStore = {
        ...inner,
        insert: async (record, insertOptions) => {
          digests.push(record.digest);
          if (left-- > 0) return { type: 'conflict' };
          return inner.insert(record, insertOptions);
        },
      };
      const manager = createHmacKeyManager({ store, sealer });
      expect(await manager.issue('1', {})).toMatchObject(expected);
      expect(new Set(digests).size).toBe(digests.length);
    }
  });

  it('refuses a rotation overlap that is not a whole number of seconds from 0 to 30 days', async () => {
    const { manager } = setup();
    const created = await manager.issue('1', {});
    if (!created.ok) throw created.error;
    for (const overlapInSeconds of [-1, 1.5, 30 * 86_400 + 1, Number.NaN, '60' as never]) {
      expect(await manager.rotate('1', { id: created.value.id }, { overlapInSeconds })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    // Options that are not an object: `rotate(userId, key, 3600)` must not quietly mean "no overlap".
    const untyped = manager as unknown as { rotate: (userId: unknown, reference: unknown, options?: unknown) => ReturnType<HmacKeyManager['rotate']> };
    for (const options of [3600, 0, null, '3600', true]) {
      expect(await untyped.rotate('1', { id: created.value.id }, options), String(options)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    expect(await manager.rotate('2', { id: created.value.id })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    const rotated = await manager.rotate('1', { id: created.value.id }, { overlapInSeconds: 60 });
    expect(rotated).toMatchObject({ ok: true, value: { id: created.value.id, UserId: '1' } });
    expect(rotated.ok && 'APIKey' in rotated.value).toBe(false);
  });

  it('reports a failing store as STORE_UNAVAILABLE from every method, never a throw or an empty answer', async () => {
    const fail = async (): Promise<never> => { throw new Error('down'); };
    const down = { ...createMemoryCredentialStore(), insert: fail, listByOwner: fail, findById: fail, findByDigest: fail, revoke: fail, update: fail };
    const manager = createHmacKeyManager({ store: down, sealer });
    const unavailable = { ok: false, error: { code: 'STORE_UNAVAILABLE' } };
    expect(await manager.issue('1', {})).toMatchObject(unavailable);
    expect(await manager.list('1')).toMatchObject(unavailable);
    expect(await manager.revoke('1', { id: 'hk_1' })).toMatchObject(unavailable);
    expect(await manager.revoke('1', { token: 'ab'.repeat(16) })).toMatchObject(unavailable);
    expect(await manager.rotate('1', { id: 'hk_1' })).toMatchObject(unavailable);
    expect(await manager.startSession({ principal: { id: '1' }, credential: { id: 'hk_1', kind: 'api-key', scopes: [] } })).toMatchObject(unavailable);
    expect(await manager.endSession({ id: 'hs_1', kind: 'session', scopes: [] })).toMatchObject(unavailable);
    expect(await manager.startWebSession({ userId: '1', userName: 'alice' })).toMatchObject(unavailable);
    expect(await manager.endSession({ id: 'hw_1', kind: 'web-session', scopes: [] })).toMatchObject(unavailable);
  });

  it('refuses a malformed caller or credential in startSession and endSession with PARAMETER_INVALID', async () => {
    const { manager } = setup();
    for (const caller of [null, {}, { principal: { id: '1' } }, { principal: null, credential: { id: 'hk_1', kind: 'api-key' } }, { principal: { id: 1 }, credential: { id: 'hk_1', kind: 'api-key' } }]) {
      expect(await manager.startSession(caller as never)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    for (const credential of [null, {}, { id: 7, kind: 'session' }]) {
      expect(await manager.endSession(credential as never)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
  });

  it('reports created and revoked events without secrets', async () => {
    const { manager, events } = setup();
    const created = await manager.issue('1', {});
    if (!created.ok) throw created.error;
    await manager.revoke('1', { id: created.value.id });
    expect(events.map((event) => event.type)).toEqual(['credential-created', 'credential-revoked']);
    expect(JSON.stringify(events)).not.toContain(created.value.APISecret);
  });

  it('refuses bad options at construction, naming them', () => {
    const store = createMemoryCredentialStore();
    expect(() => createHmacKeyManager({ store } as never)).toThrow(/`sealer`/);
    expect(() => createHmacKeyManager({ store, sealer, permissions: ['bad name'] })).toThrow(/`permissions`/);
    expect(() => createHmacKeyManager({ store, sealer, maxKeysPerUser: 0 })).toThrow(/`maxKeysPerUser`/);
    expect(() => createHmacKeyManager({ store, sealer, webSessionMaxAgeInSeconds: 0 })).toThrow(/`webSessionMaxAgeInSeconds`/);
    expect(() => createHmacKeyManager({ store, sealer, webSessionMaxAgeInSeconds: 1.5 })).toThrow(/`webSessionMaxAgeInSeconds`/);
    expect(() => createHmacKeyManager({ store, sealer, maxWebSessionsPerUser: 0 })).toThrow(/`maxWebSessionsPerUser`/);
  });
});

describe('createHmacKeyManager: web sessions', () => {
  it('starts a web session: a 64-hex token stored only as a digest, kind web-session, no permissions, ending after 12 hours', async () => {
    const { manager, store } = setup();
    const started = await manager.startWebSession({ userId: '1', userName: 'alice' });
    if (!started.ok) throw started.error;
    expect(started.value.token).toMatch(/^[0-9a-f]{64}$/);
    expect(started.value.expiresAt).toBe(NOW + 12 * 3600 * 1000);
    const record = await store.findById(started.value.credentialId);
    expect(record).toMatchObject({ strategy: 'hmac-signature', kind: 'web-session', ownerId: '1', parentId: null, scopes: [], allowedIps: [], attributes: { userName: 'alice' } });
    expect(JSON.stringify(record)).not.toContain(started.value.token);
    const other = await manager.startWebSession({ userId: '1', userName: 'alice' });
    expect(other.ok && other.value.token).not.toBe(started.value.token);
  });

  it('takes the lifetime from webSessionMaxAgeInSeconds', async () => {
    const manager = createHmacKeyManager({ store: createMemoryCredentialStore(), sealer, clock: createManualClock(NOW), webSessionMaxAgeInSeconds: 600 });
    expect(await manager.startWebSession({ userId: '1', userName: 'alice' })).toMatchObject({ ok: true, value: { expiresAt: NOW + 600_000 } });
  });

  it('keeps at most 20 live web sessions per user, ending the oldest, apart from API sessions and other users', async () => {
    const { manager, store, clock } = setup();
    const ids: string[] = [];
    for (let i = 0; i < 21; i++) {
      const started = await manager.startWebSession({ userId: '1', userName: 'alice' });
      if (!started.ok) throw started.error;
      ids.push(started.value.credentialId);
      clock.advanceBySeconds(1);
    }
    const live = await store.listByOwner('1', { strategy: 'hmac-signature', kind: 'web-session', activeAt: clock.now() });
    expect(live.map((record) => record.id)).toEqual(ids.slice(1));
    expect((await manager.startWebSession({ userId: '2', userName: 'bob' })).ok).toBe(true);
    expect(await store.listByOwner('2', { kind: 'web-session', activeAt: clock.now() })).toHaveLength(1);
  });

  it('refuses a user id or name it cannot store with PARAMETER_INVALID', async () => {
    const { manager } = setup();
    for (const user of [null, {}, { userId: '1' }, { userId: '', userName: 'a' }, { userId: 'a b', userName: 'a' }, { userId: 1, userName: 'a' }, { userId: '1', userName: '' }, { userId: '1', userName: 'a\u202eb' }, { userId: '1', userName: 'x'.repeat(256) }]) {
      expect(await manager.startWebSession(user as never), JSON.stringify(user)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
  });

  it('ends a web session with endSession; a web session cannot start an API session', async () => {
    const { manager, store } = setup();
    const started = await manager.startWebSession({ userId: '1', userName: 'alice' });
    if (!started.ok) throw started.error;
    const credential = { id: started.value.credentialId, kind: 'web-session', scopes: [] };
    expect(await manager.startSession({ principal: { id: '1' }, credential })).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
    expect(await manager.endSession({ ...credential, kind: 'session' })).toMatchObject({ ok: false, error: { code: 'CREDENTIALS_INVALID' } });
    expect(await manager.endSession(credential)).toEqual({ ok: true, value: undefined });
    expect((await store.findById(credential.id))?.revokedAt).toBe(NOW);
    expect(await manager.endSession(credential)).toMatchObject({ ok: false, error: { code: 'CREDENTIALS_INVALID' } });
    expect(await manager.endSession({ ...credential, kind: 'api-key' })).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
  });
});

describe('createHmacKeyManager: API sessions', () => {
  async function keyOf(manager: HmacKeyManager) {
    const created = await manager.issue('1', { permissions: ['Trading'] });
    if (!created.ok) throw created.error;
    return created.value;
  }

  it('starts a session that ends after sessionMaxAgeInSeconds, or when the credential that started it ends if sooner', async () => {
    const { manager } = setup();
    const key = await keyOf(manager);
    const caller = (expiresAt?: number | null) => ({ principal: { id: '1' }, credential: { id: key.id, kind: 'api-key', scopes: ['Trading'], ...(expiresAt === undefined ? {} : { expiresAt }) } });
    expect(await manager.startSession(caller())).toMatchObject({ ok: true, value: { expiresAt: NOW + 86_400_000 } });
    expect(await manager.startSession(caller(null))).toMatchObject({ ok: true, value: { expiresAt: NOW + 86_400_000 } });
    expect(await manager.startSession(caller(NOW + 600_000))).toMatchObject({ ok: true, value: { expiresAt: NOW + 600_000 } });
    // A later end does not lengthen the session.
    expect(await manager.startSession(caller(NOW + 2 * 86_400_000))).toMatchObject({ ok: true, value: { expiresAt: NOW + 86_400_000 } });
    // A credential that has already ended starts nothing.
    expect(await manager.startSession(caller(NOW))).toMatchObject({ ok: false, error: { code: 'CREDENTIALS_INVALID' } });
    for (const expiresAt of ['soon', Number.NaN, {}]) {
      expect(await manager.startSession(caller(expiresAt as never)), String(expiresAt)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
  });
});

describe('createHmacKeyManager: rotate', () => {
  async function atTheLimit(manager: HmacKeyManager) {
    const keys = await Promise.all(Array.from({ length: 20 }, () => manager.issue('1', { permissions: ['Trading'], label: 'bot', userName: 'demo' })));
    return keys.map((key) => {
      if (!key.ok) throw key.error;
      return key.value;
    });
  }

  it('rotates a key of a user at the key limit without an overlap, and the limit still holds', async () => {
    const { manager, store } = setup();
    const keys = await atTheLimit(manager);
    const first = keys[0]!;
    const before = await store.findById(first.id);
    const rotated = await manager.rotate('1', { id: first.id }, { overlapInSeconds: 0 });
    expect(rotated).toMatchObject({ ok: true, value: { id: first.id, UserId: '1', previousSecretValidUntil: null } });
    const after = await store.findById(first.id);
    // Same record: same APIKey digest, nonce, permissions, label; a new sealed secret and no previous one.
    expect(after).toMatchObject({ digest: before?.digest, scopes: ['Trading'], label: 'bot', attributes: { nonce: first.Nonce, userName: 'demo' } });
    expect(after?.sealedSecret).not.toBe(before?.sealedSecret);
    expect(after?.attributes).not.toHaveProperty('previousSealedSecret');
    expect(rotated.ok && rotated.value.APISecret).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated.ok && rotated.value.APISecret).not.toBe(first.APISecret);
    const listed = await manager.list('1');
    expect(listed.ok && listed.value).toHaveLength(20);
    expect(await manager.issue('1', {})).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
  });

  it('rotates a key at the limit with an overlap too: the APIKey stays, so no second key counts against the limit', async () => {
    const { manager, store } = setup();
    const keys = await atTheLimit(manager);
    const last = keys[19]!;
    const rotated = await manager.rotate('1', { token: last.APIKey }, { overlapInSeconds: 3_600 });
    expect(rotated).toMatchObject({ ok: true, value: { id: last.id, previousSecretValidUntil: NOW + 3_600_000 } });
    expect((await store.findById(last.id))?.attributes).toMatchObject({ previousSecretExpiresAt: NOW + 3_600_000 });
    const listed = await manager.list('1');
    expect(listed.ok && listed.value).toHaveLength(20);
    expect(await manager.issue('1', {})).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
  });

  it('keeps only the secret just replaced through a second rotation within the overlap', async () => {
    const { manager, store } = setup();
    const [key] = await atTheLimit(manager);
    await manager.rotate('1', { id: key!.id }, { overlapInSeconds: 600 });
    const middle = (await store.findById(key!.id))?.sealedSecret;
    await manager.rotate('1', { id: key!.id }, { overlapInSeconds: 60 });
    expect((await store.findById(key!.id))?.attributes).toMatchObject({ previousSealedSecret: middle, previousSecretExpiresAt: NOW + 60_000 });
    await manager.rotate('1', { id: key!.id });
    expect((await store.findById(key!.id))?.attributes).not.toHaveProperty('previousSealedSecret');
  });

  it('refuses to rotate a revoked key, or another user\'s', async () => {
    const { manager } = setup();
    const [key, other] = await atTheLimit(manager);
    expect((await manager.revoke('1', { id: key!.id })).ok).toBe(true);
    expect(await manager.rotate('1', { id: key!.id })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.rotate('1', { token: key!.APIKey })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.rotate('2', { token: other!.APIKey })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
  });

  it('reports a credential-rotated event with ids only, and never puts the new secret in the store or in an event', async () => {
    const { manager, store, events } = setup();
    const [key] = await atTheLimit(manager);
    events.length = 0;
    const rotated = await manager.rotate('1', { id: key!.id }, { overlapInSeconds: 60 });
    if (!rotated.ok) throw rotated.error;
    expect(events).toEqual([{ type: 'credential-rotated', strategyId: 'hmac-signature', at: NOW, ownerId: '1', credentialId: key!.id, credentialKind: 'api-key' }]);
    expect(JSON.stringify(await store.findById(key!.id))).not.toContain(rotated.value.APISecret);
    expect(JSON.stringify(events)).not.toContain(rotated.value.APISecret);
    expect(JSON.stringify(events)).not.toContain(key!.APISecret);
    expect(JSON.stringify(events)).not.toContain(key!.APIKey);
  });

  it('refuses with CREDENTIAL_NOT_FOUND a key revoked while it was being rotated, and hands out no secret', async () => {
    for (const overlapInSeconds of [0, 60]) {
      const inner = createMemoryCredentialStore();
      // A revoke that lands between the rotation's lookup and its update: the update still finds the record.
      const racing: CredentialStore = {
        ...inner,
        update: async (id, patch) => {
          await inner.revoke(id, NOW);
          return inner.update(id, patch);
        },
      };
      const events: AuthEvent[] = [];
      const manager = createHmacKeyManager({ store: racing, sealer, clock: createManualClock(NOW), onEvent: (event) => events.push(event) });
      const created = await manager.issue('1', {});
      if (!created.ok) throw created.error;
      events.length = 0;
      expect(await manager.rotate('1', { id: created.value.id }, { overlapInSeconds }), String(overlapInSeconds)).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
      expect(events).toEqual([]);
      expect(await manager.list('1')).toEqual({ ok: true, value: [] });
    }
  });

  it('reports STORE_UNAVAILABLE and leaves the secret as it was when the store fails before the secret changes', async () => {
    const { manager, store } = setup();
    const [key] = await atTheLimit(manager);
    const before = await store.findById(key!.id);
    const broken = createHmacKeyManager({ store: { ...store, listByOwner: async () => { throw new Error('down'); } }, sealer, clock: createManualClock(NOW) });
    for (const overlapInSeconds of [0, 60]) {
      expect(await broken.rotate('1', { id: key!.id }, { overlapInSeconds })).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    }
    expect(await store.findById(key!.id)).toEqual(before);
  });
});
