import { createMemoryCredentialStore, type CredentialStore, type NewCredentialRecord } from '@gatehouse/auth-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, newRecord, seededRandom, pathFor, removeTemporaryFolders, temporaryDatabasePath } from './fixtures/helpers.js';
import { openSqliteStores, type SqliteStores, type SqliteStoresOptions } from './index.js';

const opened: SqliteStores[] = [];
afterEach(() => {
  for (const stores of opened.splice(0)) stores.close();
});
afterAll(removeTemporaryFolders);

describe.each(BACKENDS)('credential store on %s', (backend) => {
  function open(options: SqliteStoresOptions = {}, path: string = pathFor(backend)): SqliteStores {
    const stores = openSqliteStores(path, options);
    opened.push(stores);
    return stores;
  }
  const store = (options: SqliteStoresOptions = {}): CredentialStore => open(options).credentials;

  describe('insert and find', () => {
    it('stores a record that findById and findByDigest return with lastUsedAt and revokedAt null', async () => {
      const credentials = store();
      const record = newRecord({
        parentId: 'parent-1',
        scopes: ['read', 'write'],
        allowedIps: ['192.0.2.1', '2001:db8::1'],
        sealedSecret: 'v1.sealed',
        attributes: { version: 2, listable: true, note: 'x', nothing: null },
        expiresAt: 99_999,
      });
      expect(await credentials.insert(record)).toEqual({ type: 'inserted' });
      const expected = { ...record, lastUsedAt: null, revokedAt: null };
      expect(await credentials.findById(record.id)).toEqual(expected);
      expect(await credentials.findByDigest(record.digest)).toEqual(expected);
    });

    it('returns null for an unknown id or digest', async () => {
      const credentials = store();
      expect(await credentials.findById('nope')).toBeNull();
      expect(await credentials.findByDigest('nope')).toBeNull();
    });

    it('returns fresh frozen records with frozen, parsed arrays and attributes', async () => {
      const credentials = store();
      const record = newRecord({ scopes: ['a'], attributes: { n: 1 } });
      await credentials.insert(record);
      const first = await credentials.findById(record.id);
      const second = await credentials.findById(record.id);
      expect(first).not.toBe(second);
      expect(Array.isArray(first?.scopes)).toBe(true);
      expect(Object.isFrozen(first)).toBe(true);
      expect(Object.isFrozen(first?.scopes)).toBe(true);
      expect(Object.isFrozen(first?.allowedIps)).toBe(true);
      expect(Object.isFrozen(first?.attributes)).toBe(true);
      expect(() => (first?.scopes as string[]).push('admin')).toThrow(TypeError);
    });

    it('returns conflict on a duplicate id or digest and keeps the first record', async () => {
      const credentials = store();
      const record = newRecord();
      await credentials.insert(record);
      expect(await credentials.insert(newRecord({ id: record.id }))).toEqual({ type: 'conflict' });
      expect(await credentials.insert(newRecord({ digest: record.digest }))).toEqual({ type: 'conflict' });
      expect(await credentials.insert(newRecord({ digest: record.digest }), { maxActivePerOwner: 5, now: 0 })).toEqual({
        type: 'conflict',
      });
      expect(await credentials.findById(record.id)).toMatchObject({ label: record.label });
      expect(await credentials.listByOwner(record.ownerId)).toHaveLength(1);
    });
  });

  describe('maxActivePerOwner', () => {
    it('refuses the insert once the owner has that many active records of the strategy and kind', async () => {
      const credentials = store();
      for (let i = 0; i < 3; i++) {
        expect(await credentials.insert(newRecord(), { maxActivePerOwner: 3, now: 5_000 })).toEqual({ type: 'inserted' });
      }
      const refused = newRecord();
      expect(await credentials.insert(refused, { maxActivePerOwner: 3, now: 5_000 })).toEqual({
        type: 'limit-exceeded',
        limit: 3,
      });
      expect(await credentials.findById(refused.id)).toBeNull();
    });

    it('counts only unrevoked records unexpired at `now` of the same owner, strategy and kind', async () => {
      const credentials = store();
      const now = 10_000;
      const revoked = newRecord();
      await credentials.insert(revoked);
      await credentials.revoke(revoked.id, 1);
      await credentials.insert(newRecord({ expiresAt: now })); // expired exactly at now
      await credentials.insert(newRecord({ expiresAt: now - 1 }));
      await credentials.insert(newRecord({ ownerId: 'owner-2' }));
      await credentials.insert(newRecord({ strategy: 'hmac-signature' }));
      await credentials.insert(newRecord({ kind: 'user-session' }));
      expect(await credentials.insert(newRecord({ expiresAt: now + 1 }), { maxActivePerOwner: 2, now })).toEqual({
        type: 'inserted',
      });
      expect(await credentials.insert(newRecord(), { maxActivePerOwner: 2, now })).toEqual({ type: 'inserted' });
      expect(await credentials.insert(newRecord(), { maxActivePerOwner: 2, now })).toEqual({
        type: 'limit-exceeded',
        limit: 2,
      });
      // Later, the record that expires at now + 1 no longer counts.
      expect(await credentials.insert(newRecord(), { maxActivePerOwner: 2, now: now + 1 })).toEqual({ type: 'inserted' });
    });

    it('rejects (does not throw) when `now` is missing', async () => {
      const credentials = store();
      const pending = credentials.insert(newRecord(), { maxActivePerOwner: 1 });
      await expect(pending).rejects.toThrow(TypeError);
    });

    it('holds under 100 parallel inserts (Promise.all): exactly 20 are stored', async () => {
      const credentials = store();
      const results = await Promise.all(
        Array.from({ length: 100 }, () => credentials.insert(newRecord({ ownerId: 'busy' }), { maxActivePerOwner: 20, now: 1 })),
      );
      expect(results.filter((result) => result.type === 'inserted')).toHaveLength(20);
      expect(results.filter((result) => result.type === 'limit-exceeded')).toHaveLength(80);
      expect(await credentials.listByOwner('busy')).toHaveLength(20);
    });
  });

  describe('listByOwner', () => {
    it('lists the owner’s records oldest first, then by id', async () => {
      const credentials = store();
      const c = newRecord({ id: 'c', createdAt: 5 });
      const a = newRecord({ id: 'a', createdAt: 5 });
      const b = newRecord({ id: 'b', createdAt: 1 });
      for (const record of [c, a, b]) await credentials.insert(record);
      await credentials.insert(newRecord({ ownerId: 'someone-else', createdAt: 0 }));
      expect((await credentials.listByOwner('owner-1')).map((record) => record.id)).toEqual(['b', 'a', 'c']);
      expect(await credentials.listByOwner('nobody')).toEqual([]);
    });

    it('filters by strategy, kind and activeAt', async () => {
      const credentials = store();
      const key = newRecord();
      const session = newRecord({ kind: 'user-session' });
      const hmac = newRecord({ strategy: 'hmac-signature' });
      const expired = newRecord({ expiresAt: 100 });
      const revoked = newRecord();
      for (const record of [key, session, hmac, expired, revoked]) await credentials.insert(record);
      await credentials.revoke(revoked.id, 50);
      const ids = async (filter: Parameters<CredentialStore['listByOwner']>[1]): Promise<string[]> =>
        (await credentials.listByOwner('owner-1', filter)).map((record) => record.id);
      expect(await ids({ strategy: 'hmac-signature' })).toEqual([hmac.id]);
      expect(await ids({ kind: 'user-session' })).toEqual([session.id]);
      expect(await ids({ strategy: 'nvx-hash', kind: 'api-key' })).toEqual([key.id, expired.id, revoked.id]);
      expect(await ids({ activeAt: 100 })).toEqual([key.id, session.id, hmac.id]);
      expect(await ids({ activeAt: 99 })).toEqual([key.id, session.id, hmac.id, expired.id]);
      expect(await ids({})).toHaveLength(5);
    });
  });

  describe('update', () => {
    it('patches only the given fields and returns the updated record', async () => {
      const credentials = store();
      const record = newRecord({ sealedSecret: 'sealed', expiresAt: 500, attributes: { a: 1 } });
      await credentials.insert(record);
      await credentials.touch(record.id, 42);
      const updated = await credentials.update(record.id, { label: 'Renamed', scopes: ['admin'] });
      expect(updated).toEqual({ ...record, label: 'Renamed', scopes: ['admin'], lastUsedAt: 42, revokedAt: null });
      expect(await credentials.findById(record.id)).toEqual(updated);
      const cleared = await credentials.update(record.id, {
        sealedSecret: null,
        expiresAt: null,
        allowedIps: ['192.0.2.7'],
        attributes: { b: true },
      });
      expect(cleared).toMatchObject({
        label: 'Renamed',
        scopes: ['admin'],
        sealedSecret: null,
        expiresAt: null,
        allowedIps: ['192.0.2.7'],
        attributes: { b: true },
        lastUsedAt: 42,
      });
      expect(Object.isFrozen(cleared)).toBe(true);
    });

    it('returns the record unchanged for an empty patch and null for an unknown id', async () => {
      const credentials = store();
      const record = newRecord();
      await credentials.insert(record);
      expect(await credentials.update(record.id, {})).toEqual({ ...record, lastUsedAt: null, revokedAt: null });
      expect(await credentials.update('nope', { label: 'x' })).toBeNull();
      expect(await credentials.update('nope', {})).toBeNull();
    });
  });

  describe('revoke', () => {
    it('revokes the record and its descendants transitively, and nothing else', async () => {
      const credentials = store();
      const root = newRecord();
      const child = newRecord({ parentId: root.id, kind: 'user-session' });
      const grandchild = newRecord({ parentId: child.id, kind: 'user-session' });
      const sibling = newRecord();
      const siblingChild = newRecord({ parentId: sibling.id });
      for (const record of [root, child, grandchild, sibling, siblingChild]) await credentials.insert(record);
      expect(await credentials.revoke(root.id, 777)).toBe(true);
      for (const record of [root, child, grandchild]) expect((await credentials.findById(record.id))?.revokedAt).toBe(777);
      for (const record of [sibling, siblingChild]) expect((await credentials.findById(record.id))?.revokedAt).toBeNull();
    });

    it('returns false for an unknown or already revoked record, and keeps the first revocation time', async () => {
      const credentials = store();
      const record = newRecord();
      await credentials.insert(record);
      expect(await credentials.revoke('nope', 1)).toBe(false);
      expect(await credentials.revoke(record.id, 1)).toBe(true);
      expect(await credentials.revoke(record.id, 2)).toBe(false);
      expect((await credentials.findById(record.id))?.revokedAt).toBe(1);
    });

    it('keeps an already revoked descendant’s time; a record derived from it later is born revoked at that time', async () => {
      const credentials = store();
      const root = newRecord();
      const child = newRecord({ parentId: root.id });
      const grandchild = newRecord({ parentId: child.id });
      for (const record of [root, child, grandchild]) await credentials.insert(record);
      await credentials.revoke(child.id, 10);
      await credentials.update(grandchild.id, { label: 'still revoked' });
      expect((await credentials.findById(grandchild.id))?.revokedAt).toBe(10);
      const other = newRecord({ parentId: child.id });
      await credentials.insert(other);
      expect((await credentials.findById(other.id))?.revokedAt).toBe(10);
      expect(await credentials.revoke(root.id, 20)).toBe(true);
      expect((await credentials.findById(child.id))?.revokedAt).toBe(10);
      expect((await credentials.findById(other.id))?.revokedAt).toBe(10);
    });

    it('terminates on a parent cycle (a record that is its own parent)', async () => {
      const credentials = store();
      const loop = newRecord({ id: 'loop', parentId: 'loop' });
      await credentials.insert(loop);
      expect(await credentials.revoke('loop', 5)).toBe(true);
      expect((await credentials.findById('loop'))?.revokedAt).toBe(5);
    });
  });

  describe('touch', () => {
    it('writes lastUsedAt at most once per interval', async () => {
      const credentials = store({ touchIntervalInSeconds: 60 });
      const record = newRecord();
      await credentials.insert(record);
      await credentials.touch(record.id, 1_000);
      expect((await credentials.findById(record.id))?.lastUsedAt).toBe(1_000);
      await credentials.touch(record.id, 60_999);
      expect((await credentials.findById(record.id))?.lastUsedAt).toBe(1_000);
      await credentials.touch(record.id, 500); // never backwards
      expect((await credentials.findById(record.id))?.lastUsedAt).toBe(1_000);
      await credentials.touch(record.id, 61_000);
      expect((await credentials.findById(record.id))?.lastUsedAt).toBe(61_000);
    });

    it('writes on every later use with an interval of 0, and ignores an unknown id', async () => {
      const credentials = store({ touchIntervalInSeconds: 0 });
      const record = newRecord();
      await credentials.insert(record);
      await credentials.touch(record.id, 5);
      await credentials.touch(record.id, 6);
      expect((await credentials.findById(record.id))?.lastUsedAt).toBe(6);
      await credentials.touch(record.id, 4);
      expect((await credentials.findById(record.id))?.lastUsedAt).toBe(6);
      await expect(credentials.touch('nope', 1)).resolves.toBeUndefined();
      expect(await credentials.findById('nope')).toBeNull();
    });

    it('touches a record again after it was deleted and a record with the same id was inserted', async () => {
      const credentials = store();
      const record = newRecord({ expiresAt: 10 });
      await credentials.insert(record);
      await credentials.touch(record.id, 1_000);
      expect(await credentials.deleteInactive(11)).toBe(1);
      await credentials.insert(record);
      await credentials.touch(record.id, 1_001);
      expect((await credentials.findById(record.id))?.lastUsedAt).toBe(1_001);
    });
  });

  describe('deleteInactive', () => {
    it('deletes records revoked or expired before `before` and returns how many', async () => {
      const credentials = store();
      const active = newRecord();
      const expiredEarly = newRecord({ expiresAt: 100 });
      const expiredAtBefore = newRecord({ expiresAt: 200 });
      const revokedEarly = newRecord();
      const revokedLateExpiredEarly = newRecord({ expiresAt: 50 });
      for (const record of [active, expiredEarly, expiredAtBefore, revokedEarly, revokedLateExpiredEarly]) {
        await credentials.insert(record);
      }
      await credentials.revoke(revokedEarly.id, 150);
      await credentials.revoke(revokedLateExpiredEarly.id, 300); // expired at 50, before `before`: deleted although revoked later
      expect(await credentials.deleteInactive(200)).toBe(3);
      const left = (await credentials.listByOwner('owner-1')).map((record) => record.id);
      expect(left).toEqual([active.id, expiredAtBefore.id]);
      expect(await credentials.findByDigest(expiredEarly.digest)).toBeNull();
      expect(await credentials.deleteInactive(200)).toBe(0);
    });
  });

  it('behaves exactly like the memory store on a random sequence of operations', async () => {
    const sqlite = store({ touchIntervalInSeconds: 1 });
    const memory = createMemoryCredentialStore({ touchIntervalInSeconds: 1 });
    const random = seededRandom(12_345);
    const seen = new Set<string>();
    // Ids are fresh or reuse a live record's id (a conflict); a parent is always an older id, so no cycles
    // (the memory store loops forever on one) and no deleted id comes back (see README, "Differences").
    const ids: string[] = ['id-0'];
    for (let step = 0; step < 600; step++) {
      const id = ids[random(ids.length)] as string;
      const time = random(5_000);
      const operation = random(8);
      let call: (s: CredentialStore) => Promise<unknown>;
      if (operation === 0 || operation === 1) {
        const fresh = `id-${ids.length}`;
        const newId = random(4) === 0 && (await memory.findById(id)) !== null ? id : fresh;
        if (newId === fresh) ids.push(fresh);
        const record: NewCredentialRecord = newRecord({
          id: newId,
          digest: `d-${random(40)}`,
          ownerId: `o-${random(2)}`,
          kind: random(2) === 0 ? 'api-key' : 'user-session',
          parentId: random(2) === 0 || newId !== fresh ? null : (ids[random(ids.length - 1)] as string),
          createdAt: random(50),
          expiresAt: random(3) === 0 ? null : random(5_000),
        });
        const options = random(2) === 0 ? {} : { maxActivePerOwner: random(4), now: time };
        call = (s) => s.insert(record, options);
      } else if (operation === 2) call = (s) => s.revoke(id, time);
      else if (operation === 3) call = (s) => s.touch(id, time);
      else if (operation === 4) {
        const patch = random(2) === 0 ? { label: `l${step}` } : { expiresAt: null, scopes: [`s${step}`] };
        call = (s) => s.update(id, patch);
      } else if (operation === 5) {
        const before = random(2_000);
        call = (s) => s.deleteInactive(before);
      } else if (operation === 6) {
        const owner = `o-${random(2)}`;
        const filter = random(2) === 0 ? {} : { activeAt: time };
        call = (s) => s.listByOwner(owner, filter);
      } else {
        const digest = `d-${random(40)}`;
        call = (s) => s.findByDigest(digest);
      }
      const expected = await call(memory);
      expect(await call(sqlite), `step ${step}`).toEqual(expected);
      const summary: unknown =
        typeof expected === 'object' && expected !== null && 'type' in expected ? expected.type : JSON.stringify(expected);
      seen.add(`${operation}:${String(summary).slice(0, 20)}`);
    }
    // The sequence reached every outcome worth comparing.
    for (const outcome of ['inserted', 'conflict', 'limit-exceeded']) expect(seen).toContain(`0:${outcome}`);
    expect(seen).toContain('2:true');
    expect(seen).toContain('2:false');
    expect([...seen].some((entry) => entry.startsWith('5:') && entry !== '5:0')).toBe(true);
    for (const owner of ['o-0', 'o-1']) expect(await sqlite.listByOwner(owner)).toEqual(await memory.listByOwner(owner));
  });
});

describe('credential store across connections', () => {
  it('debounces touch across two connections to one file', async () => {
    const path = temporaryDatabasePath();
    const first = openSqliteStores(path, { touchIntervalInSeconds: 60 });
    const second = openSqliteStores(path, { touchIntervalInSeconds: 60 });
    opened.push(first, second);
    const record = newRecord();
    await first.credentials.insert(record);
    await first.credentials.touch(record.id, 1_000);
    await second.credentials.touch(record.id, 30_000);
    expect((await second.credentials.findById(record.id))?.lastUsedAt).toBe(1_000);
    await second.credentials.touch(record.id, 61_000);
    expect((await first.credentials.findById(record.id))?.lastUsedAt).toBe(61_000);
  });
});
