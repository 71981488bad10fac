import {
  createFetchRequestAdapter,
  createManualClock,
  createMemoryCredentialStore,
  type AuthEvent,
  type CredentialStore,
} from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import { accessHashCookie, createAccessHashManager, isValidAccessHashName, type AccessHashManager, type CreatedAccessHash } from './index.js';

const CLIENT_IP = '203.0.113.7';
const toAuthRequest = createFetchRequestAdapter();

function setup(maxHashesPerOwner?: number, store: CredentialStore = createMemoryCredentialStore()) {
  const events: AuthEvent[] = [];
  const clock = createManualClock(Date.UTC(2022, 10, 18, 9, 38, 37));
  const manager = createAccessHashManager({ store, clock, onEvent: (event) => events.push(event), ...(maxHashesPerOwner === undefined ? {} : { maxHashesPerOwner }) });
  const strategy = accessHashCookie({ store, clock });
  /** The outcome type (or rejection code) of presenting `hash` from `ip`. */
  const use = async (hash: string, ip = CLIENT_IP): Promise<string> => {
    const outcome = await strategy.authenticate(toAuthRequest(new Request('http://x/api/v1/system/status', { headers: { cookie: `access_hash=${hash}` } }), { remoteAddress: ip }));
    return outcome.type === 'rejected' ? outcome.error.code : outcome.type;
  };
  return { store, events, clock, manager, use };
}

async function issue(manager: AccessHashManager, name = 'monitoring', ip = CLIENT_IP, ownerId = 'admin'): Promise<CreatedAccessHash> {
  const issued = await manager.issue(ownerId, { name, ip });
  if (!issued.ok) throw issued.error;
  return issued.value;
}

const failing = async (): Promise<never> => {
  throw new Error('down');
};

describe('createAccessHashManager: issue and list', () => {
  it('issues an 80-hex hash bound to one normalised IP, and stores only its digest', async () => {
    const { manager, store } = setup();
    const issued = await manager.issue('admin', { name: 'test2', ip: ' ::ffff:1.1.1.1 ' });
    expect(issued).toMatchObject({ ok: true, value: { name: 'test2', ip: '1.1.1.1', created: '2022-11-18T09:38:37+00:00' } });
    if (!issued.ok) return;
    expect(issued.value.hash).toMatch(/^[0-9a-f]{80}$/);
    const record = await store.findById(issued.value.id);
    expect(JSON.stringify(record)).not.toContain(issued.value.hash);
    expect(record?.allowedIps).toEqual(['1.1.1.1']);
  });

  it('lists name, IP, created and last login, never the hash', async () => {
    const { manager } = setup();
    const issued = await issue(manager, 'TEST', '79.184.10.59');
    const listed = await manager.list('admin');
    expect(listed).toEqual({ ok: true, value: [{ id: issued.id, name: 'TEST', ip: '79.184.10.59', hint: issued.hash.slice(0, 4), created: '2022-11-18T09:38:37+00:00', lastLogin: null }] });
    expect(JSON.stringify(listed)).not.toContain(issued.hash);
  });

  it('refuses a bad IP, a CIDR, or a bad name with PARAMETER_INVALID', async () => {
    const { manager } = setup();
    for (const ip of ['', '1.1.1', '10.0.0.0/8', 'example.com', '1.2.3.4%eth0', '[127.0.0.1]', '0.0.0.0', '::', '255.255.255.255', '224.0.0.1', 'ff02::1', 42, null]) {
      expect(await manager.issue('admin', { name: 'x', ip })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    for (const name of ['', ' ', 'x'.repeat(256), 'a\nb', 'a\u202eb', 'a\u200bb', '\ue000', 7, null]) {
      expect(isValidAccessHashName(name)).toBe(false);
      expect(await manager.issue('admin', { name, ip: '1.1.1.1' })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    expect(await manager.list('admin')).toEqual({ ok: true, value: [] });
  });

  it('accepts names of 1 to 255 printable code points, by the one rule for labels', async () => {
    const { manager } = setup();
    for (const name of ['x', 'é'.repeat(255), '😀'.repeat(255), 'Büro VPN', '👩\u200d💻 laptop']) {
      expect(isValidAccessHashName(name)).toBe(true);
      expect(await manager.issue('admin', { name, ip: '1.1.1.1' })).toMatchObject({ ok: true, value: { name } });
    }
  });

  it('refuses an input that is not an object, or an empty owner id, with PARAMETER_INVALID', async () => {
    const { manager } = setup();
    const untyped = manager as unknown as { issue: (owner: unknown, input: unknown) => ReturnType<AccessHashManager['issue']>; list: (owner: unknown) => ReturnType<AccessHashManager['list']> };
    expect(await untyped.issue('admin', null)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await untyped.issue('admin', 'x')).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await untyped.issue('', { name: 'x', ip: '1.1.1.1' })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await untyped.issue(7, { name: 'x', ip: '1.1.1.1' })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await untyped.list(7)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
  });

  it('refuses hashes past maxHashesPerOwner, atomically', async () => {
    const { manager } = setup(5);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => manager.issue('admin', { name: `h${i}`, ip: '1.1.1.1' })));
    expect(results.filter((result) => result.ok)).toHaveLength(5);
    expect(results.find((result) => !result.ok)).toMatchObject({ error: { code: 'LIMIT_EXCEEDED' } });
    // The limit is per owner.
    expect((await manager.issue('other', { name: 'h', ip: '1.1.1.1' })).ok).toBe(true);
  });

  it('refuses a bad limit at construction, naming the option', () => {
    expect(() => createAccessHashManager({ store: createMemoryCredentialStore(), maxHashesPerOwner: 0 })).toThrow(/`maxHashesPerOwner`/);
    expect(() => createAccessHashManager({ store: createMemoryCredentialStore(), maxHashesPerOwner: 1.5 })).toThrow(/`maxHashesPerOwner`/);
  });
});

describe('createAccessHashManager: revoke', () => {
  it("revokes only the owner's own live hashes, by id", async () => {
    const { manager, use } = setup();
    const issued = await issue(manager);
    expect(await manager.revoke('someone-else', { id: issued.id })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await use(issued.hash)).toBe('authenticated');
    expect(await manager.revoke('admin', { id: issued.id })).toEqual({ ok: true, value: undefined });
    expect(await use(issued.hash)).toBe('CREDENTIALS_INVALID');
    expect(await manager.revoke('admin', { id: issued.id })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.revoke('admin', { id: 'ah_unknown' })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.list('admin')).toEqual({ ok: true, value: [] });
  });

  it('revokes by the hash itself ({ token })', async () => {
    const { manager, use } = setup();
    const issued = await issue(manager);
    const kept = await issue(manager, 'kept');
    expect(await manager.revoke('someone-else', { token: issued.hash })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.revoke('admin', { token: issued.hash })).toEqual({ ok: true, value: undefined });
    expect(await use(issued.hash)).toBe('CREDENTIALS_INVALID');
    expect(await use(kept.hash)).toBe('authenticated');
    expect(await manager.revoke('admin', { token: issued.hash })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.revoke('admin', { token: '0'.repeat(80) })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
  });

  it('refuses a malformed reference with PARAMETER_INVALID', async () => {
    const { manager } = setup();
    const issued = await issue(manager);
    const untyped = manager as unknown as { revoke: (owner: unknown, reference: unknown) => ReturnType<AccessHashManager['revoke']> };
    for (const reference of [null, 'ah_x', {}, { id: 1 }, { id: '' }, { id: 'x'.repeat(101) }, { id: issued.id, token: issued.hash }, { token: issued.hash.toUpperCase() }, { token: issued.hash.slice(1) }, { token: 7 }]) {
      expect(await untyped.revoke('admin', reference)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    expect(await untyped.revoke('', { id: issued.id })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await manager.list('admin')).toMatchObject({ ok: true, value: [{ id: issued.id }] });
  });
});

describe('createAccessHashManager: rotate', () => {
  it('rotates to a new hash with the same name and IP; without an overlap the old one stops at once', async () => {
    const { manager, use, events } = setup();
    const old = await issue(manager, 'office', '::ffff:198.51.100.4');
    const rotated = await manager.rotate('admin', { id: old.id });
    if (!rotated.ok) throw rotated.error;
    expect(rotated.value).toMatchObject({ name: 'office', ip: '198.51.100.4', created: '2022-11-18T09:38:37+00:00' });
    expect(rotated.value.hash).toMatch(/^[0-9a-f]{80}$/);
    expect(rotated.value.hash).not.toBe(old.hash);
    expect(rotated.value.id).not.toBe(old.id);
    expect(await use(old.hash, '198.51.100.4')).toBe('CREDENTIALS_INVALID');
    expect(await use(rotated.value.hash, '198.51.100.4')).toBe('authenticated');
    // The new hash is bound to the same IP, and only to it.
    expect(await use(rotated.value.hash, CLIENT_IP)).toBe('IP_NOT_ALLOWED');
    expect(await manager.list('admin')).toMatchObject({ ok: true, value: [{ id: rotated.value.id, name: 'office', ip: '198.51.100.4' }] });
    expect(events.map((event) => [event.type, event.type === 'credential-created' || event.type === 'credential-revoked' ? event.credentialId : null])).toEqual([
      ['credential-created', old.id],
      ['credential-created', rotated.value.id],
      ['credential-revoked', old.id],
    ]);
    expect(JSON.stringify(events)).not.toContain(rotated.value.hash);
  });

  it('rotates without an overlap at the limit, and the limit still holds afterwards', async () => {
    const { manager, use, clock } = setup(2);
    const first = await issue(manager, 'first');
    clock.advanceBySeconds(1);
    await issue(manager, 'second');
    clock.advanceBySeconds(1);
    const rotated = await manager.rotate('admin', { id: first.id }, { overlapInSeconds: 0 });
    expect(rotated).toMatchObject({ ok: true, value: { name: 'first' } });
    if (!rotated.ok) return;
    expect(await use(rotated.value.hash)).toBe('authenticated');
    expect(await use(first.hash)).toBe('CREDENTIALS_INVALID');
    expect(await manager.list('admin')).toMatchObject({ ok: true, value: [{ name: 'second' }, { name: 'first' }] });
    expect(await manager.issue('admin', { name: 'third', ip: CLIENT_IP })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
  });

  it('with an overlap, both hashes work until the overlap ends, then only the new one', async () => {
    const { manager, use, clock, events } = setup();
    const old = await issue(manager, 'monitoring');
    clock.advanceBySeconds(1);
    const rotated = await manager.rotate('admin', { token: old.hash }, { overlapInSeconds: 3600 });
    if (!rotated.ok) throw rotated.error;
    expect(rotated.value).toMatchObject({ name: 'monitoring', ip: CLIENT_IP });
    expect(await use(old.hash)).toBe('authenticated');
    expect(await use(rotated.value.hash)).toBe('authenticated');
    expect(await manager.list('admin')).toMatchObject({ ok: true, value: [{ id: old.id }, { id: rotated.value.id }] });
    clock.advanceBySeconds(3599);
    expect(await use(old.hash)).toBe('authenticated');
    clock.advanceBySeconds(1);
    expect(await use(old.hash)).toBe('CREDENTIALS_INVALID');
    expect(await use(rotated.value.hash)).toBe('authenticated');
    expect(await manager.list('admin')).toMatchObject({ ok: true, value: [{ id: rotated.value.id }] });
    // The old hash is no longer live, so it can be neither rotated nor revoked.
    expect(await manager.rotate('admin', { id: old.id })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.revoke('admin', { id: old.id })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(events.map((event) => event.type)).toEqual(['credential-created', 'credential-created']);
  });

  it('never extends an overlap already running: rotating the old hash again keeps the earlier end', async () => {
    const { manager, use, clock, store } = setup();
    const old = await issue(manager);
    const start = clock.now();
    expect((await manager.rotate('admin', { id: old.id }, { overlapInSeconds: 60 })).ok).toBe(true);
    clock.advanceBySeconds(10);
    expect((await manager.rotate('admin', { id: old.id }, { overlapInSeconds: 3600 })).ok).toBe(true);
    expect((await store.findById(old.id))?.expiresAt).toBe(start + 60_000);
    clock.advanceBySeconds(49);
    expect(await use(old.hash)).toBe('authenticated');
    clock.advanceBySeconds(1);
    expect(await use(old.hash)).toBe('CREDENTIALS_INVALID');
    // A shorter overlap the second time does shorten it.
    const other = await issue(manager, 'other');
    expect((await manager.rotate('admin', { id: other.id }, { overlapInSeconds: 3600 })).ok).toBe(true);
    expect((await manager.rotate('admin', { id: other.id }, { overlapInSeconds: 60 })).ok).toBe(true);
    expect((await store.findById(other.id))?.expiresAt).toBe(clock.now() + 60_000);
  });

  it('refuses a rotation with an overlap at the limit with LIMIT_EXCEEDED, and changes nothing', async () => {
    const { manager, use, clock } = setup(2);
    const first = await issue(manager, 'first');
    clock.advanceBySeconds(1);
    await issue(manager, 'second');
    expect(await manager.rotate('admin', { id: first.id }, { overlapInSeconds: 60 })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    clock.advanceBySeconds(86_400);
    expect(await use(first.hash)).toBe('authenticated');
    expect(await manager.list('admin')).toMatchObject({ ok: true, value: [{ name: 'first' }, { name: 'second' }] });
  });

  it("refuses to rotate a hash that is not the owner's, or no longer live, with CREDENTIAL_NOT_FOUND", async () => {
    const { manager, use } = setup();
    const issued = await issue(manager);
    expect(await manager.rotate('someone-else', { id: issued.id })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.rotate('someone-else', { token: issued.hash })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await use(issued.hash)).toBe('authenticated');
    await manager.revoke('admin', { id: issued.id });
    expect(await manager.rotate('admin', { id: issued.id })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.list('admin')).toEqual({ ok: true, value: [] });
  });

  it('refuses a bad overlap or a malformed reference with PARAMETER_INVALID', async () => {
    const { manager, use } = setup();
    const issued = await issue(manager);
    const untyped = manager as unknown as { rotate: (owner: unknown, reference: unknown, options?: unknown) => ReturnType<AccessHashManager['rotate']> };
    for (const overlapInSeconds of [-1, 1.5, 30 * 86_400 + 1, Number.NaN, Number.POSITIVE_INFINITY, '60']) {
      expect(await untyped.rotate('admin', { id: issued.id }, { overlapInSeconds })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    // Options that are not an object: `rotate(owner, hash, 3600)` must not quietly mean "no overlap".
    for (const options of [null, 60, 0, '3600', true]) {
      expect(await untyped.rotate('admin', { id: issued.id }, options), String(options)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    expect(await untyped.rotate('admin', { token: 'abc' })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await untyped.rotate('admin', { id: 42 })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await use(issued.hash)).toBe('authenticated');
    expect(await manager.list('admin')).toMatchObject({ ok: true, value: [{ id: issued.id }] });
    // 30 days is the longest overlap.
    expect(await manager.rotate('admin', { id: issued.id }, { overlapInSeconds: 30 * 86_400 })).toMatchObject({ ok: true });
  });

  it('answers CREDENTIAL_NOT_FOUND for a hash revoked while it was being rotated, and leaves no new hash live', async () => {
    for (const overlapInSeconds of [0, 60]) {
      const inner = createMemoryCredentialStore();
      let revokeDuringInsert: string | null = null;
      // A revoke of the old hash that lands between the rotation's lookup and its last step.
      const racing: CredentialStore = {
        ...inner,
        insert: async (record, options) => {
          const result = await inner.insert(record, options);
          if (revokeDuringInsert !== null) await inner.revoke(revokeDuringInsert, Date.UTC(2022, 10, 18, 9, 38, 37));
          return result;
        },
      };
      const { manager, use, events } = setup(undefined, racing);
      const old = await issue(manager);
      revokeDuringInsert = old.id;
      events.length = 0;
      expect(await manager.rotate('admin', { id: old.id }, { overlapInSeconds }), String(overlapInSeconds)).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
      expect(await manager.list('admin')).toEqual({ ok: true, value: [] });
      expect(await inner.listByOwner('admin', { activeAt: Date.UTC(2022, 10, 18, 9, 38, 37) })).toEqual([]);
      expect(await use(old.hash)).toBe('CREDENTIALS_INVALID');
      // The replacement was created and revoked again, and never handed out.
      expect(events.map((event) => event.type)).toEqual(['credential-created', 'credential-revoked']);
      expect(events[0]).toMatchObject({ credentialId: events[1]?.type === 'credential-revoked' ? events[1].credentialId : 'none' });
    }
  });

  it('lets only one of two concurrent rotations of one hash succeed', async () => {
    const { manager, use } = setup();
    const old = await issue(manager);
    const results = await Promise.all([manager.rotate('admin', { id: old.id }), manager.rotate('admin', { id: old.id })]);
    const succeeded = results.filter((result) => result.ok);
    expect(succeeded).toHaveLength(1);
    expect(results.find((result) => !result.ok)).toMatchObject({ error: { code: 'CREDENTIAL_NOT_FOUND' } });
    const listed = await manager.list('admin');
    expect(listed.ok && listed.value.map((row) => row.id)).toEqual([(succeeded[0] as { value: CreatedAccessHash }).value.id]);
    expect(await use(old.hash)).toBe('CREDENTIALS_INVALID');
  });
});

describe('createAccessHashManager: store failures and events', () => {
  it('reports a failing store as STORE_UNAVAILABLE, never as an empty list or a throw', async () => {
    const { manager } = setup(undefined, { ...createMemoryCredentialStore(), listByOwner: failing, insert: failing, findById: failing, findByDigest: failing });
    expect(await manager.list('admin')).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    expect(await manager.issue('admin', { name: 'x', ip: '1.1.1.1' })).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    expect(await manager.revoke('admin', { id: 'ah_x' })).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    expect(await manager.revoke('admin', { token: '0'.repeat(80) })).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    expect(await manager.rotate('admin', { id: 'ah_x' })).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
  });

  it('reports a store that fails in the middle of a rotation as STORE_UNAVAILABLE', async () => {
    const store = createMemoryCredentialStore();
    const { manager } = setup(undefined, store);
    const old = await issue(manager);
    const broken = setup(undefined, { ...store, revoke: failing, update: failing });
    expect(await broken.manager.rotate('admin', { id: old.id })).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    expect(await broken.manager.rotate('admin', { id: old.id }, { overlapInSeconds: 60 })).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
  });

  it('leaves no new hash behind when revoking the old one fails: the limit still holds', async () => {
    const store = createMemoryCredentialStore();
    const { manager, use } = setup(2, store);
    const first = await issue(manager, 'first');
    const second = await issue(manager, 'second');
    const live = async () => {
      const listed = await manager.list('admin');
      return listed.ok ? listed.value.map((row) => row.id).sort() : listed;
    };
    // The store fails to revoke the old hash, and only that one: the new hash was already inserted.
    const flaky = setup(2, { ...store, revoke: async (id, at) => (id === first.id ? failing() : store.revoke(id, at)) });
    expect(await flaky.manager.rotate('admin', { id: first.id })).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    expect(await live()).toEqual([first.id, second.id].sort());
    expect(await store.listByOwner('admin', { activeAt: Date.UTC(2022, 10, 18, 9, 38, 37) })).toHaveLength(2);
    expect(await use(first.hash)).toBe('authenticated');
    expect(flaky.events.map((event) => event.type)).toEqual(['credential-created', 'credential-revoked']);
    // The same when setting the overlap's end fails.
    const flakyUpdate = setup(3, { ...store, update: failing });
    expect(await flakyUpdate.manager.rotate('admin', { id: first.id }, { overlapInSeconds: 60 })).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    expect(await live()).toEqual([first.id, second.id].sort());
    expect((await store.findById(first.id))?.expiresAt).toBeNull();
  });

  it('reports created and revoked events without the hash', async () => {
    const { manager, events } = setup();
    const issued = await issue(manager);
    await manager.revoke('admin', { id: issued.id });
    expect(events.map((event) => event.type)).toEqual(['credential-created', 'credential-revoked']);
    expect(events).toMatchObject([{ strategyId: 'access-hash-cookie', ownerId: 'admin', credentialId: issued.id, credentialKind: 'access-hash' }, { credentialId: issued.id }]);
    expect(JSON.stringify(events)).not.toContain(issued.hash);
  });
});
