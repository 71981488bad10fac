import type {
  CredentialRecord,
  CredentialStore,
  InsertCredentialOptions,
  NewCredentialRecord,
} from '@gatehouse/auth-core';
import type { ConformanceCase, ConformanceProfile } from '../case.js';
import { expectHealthy } from './store-health.js';
import { check, deepEqual, expectEqual, fail, show } from '../check.js';

/**
 * What the `credential-store@1` profile needs: a factory of fresh, empty stores (one per case) whose touch
 * interval is the default 60 seconds.
 *
 * @example
 * ```ts
 * const driver: CredentialStoreDriver = { createStore: () => createMemoryCredentialStore() };
 * ```
 */
export interface CredentialStoreDriver {
  /** A fresh, empty store; called once per case. */
  createStore(): CredentialStore | Promise<CredentialStore>;
}

const REF = '@gatehouse/auth-core CredentialStore';
// A time well in the future, so a store that consults the wall clock instead of the `now`/`at` it is given
// decides differently from one that follows the contract.
const T0 = Date.UTC(2030, 0, 1);
const STRATEGY = 'conformance';
const KIND = 'api-key';
const OWNER = 'owner-1';

const RECORD_FIELDS = [
  'id',
  'digest',
  'strategy',
  'kind',
  'ownerId',
  'parentId',
  'label',
  'hint',
  'scopes',
  'allowedIps',
  'sealedSecret',
  'attributes',
  'createdAt',
  'expiresAt',
  'lastUsedAt',
  'revokedAt',
] as const satisfies readonly (keyof CredentialRecord)[];

type Make = (overrides?: Partial<NewCredentialRecord>) => NewCredentialRecord;

/** Record factory with unique ids, digests and strictly increasing `createdAt`. */
function records(prefix = 'cred'): Make {
  let n = 0;
  return (overrides = {}) => {
    n++;
    return {
      id: `${prefix}-${String(n).padStart(4, '0')}`,
      // 64 lower-case hex characters, like a SHA-256 lookup digest, unique per record.
      digest: `dead${((n * 2_654_435_761) >>> 0).toString(16).padStart(8, '0').repeat(6)}${n.toString(16).padStart(12, '0')}`,
      strategy: STRATEGY,
      kind: KIND,
      ownerId: OWNER,
      parentId: null,
      label: `Key ${n}`,
      hint: `h${n}`.slice(0, 4),
      scopes: ['read'],
      allowedIps: [],
      sealedSecret: null,
      attributes: {},
      createdAt: T0 + n,
      expiresAt: null,
      ...overrides,
    };
  };
}

function stored(record: NewCredentialRecord, changes: Partial<CredentialRecord> = {}): CredentialRecord {
  return { ...record, lastUsedAt: null, revokedAt: null, ...changes };
}

function expectRecord(actual: CredentialRecord | null, expected: CredentialRecord, what: string): void {
  check(actual !== null && typeof actual === 'object', `${what}: expected record ${expected.id}, got ${show(actual)}`);
  for (const field of RECORD_FIELDS) {
    check(
      deepEqual(actual[field], expected[field]),
      () => `${what}: field \`${field}\` of ${expected.id} is ${show(actual[field])}, expected ${show(expected[field])}`,
    );
  }
}

async function insertOk(
  store: CredentialStore,
  record: NewCredentialRecord,
  options?: InsertCredentialOptions,
  what = `insert of ${record.id}`,
): Promise<void> {
  const result = await store.insert(record, options);
  check(result?.type === 'inserted', () => `${what}: expected {"type":"inserted"}, got ${show(result)}`);
}

async function insertRefused(
  store: CredentialStore,
  record: NewCredentialRecord,
  options: InsertCredentialOptions,
  what: string,
): Promise<void> {
  const result = await store.insert(record, options);
  check(
    result?.type === 'limit-exceeded' && result.limit === options.maxActivePerOwner,
    () => `${what}: expected {"type":"limit-exceeded","limit":${options.maxActivePerOwner}}, got ${show(result)}`,
  );
  check((await store.findById(record.id)) === null, `${what}: the refused record ${record.id} was stored anyway`);
}

async function ids(store: CredentialStore, ownerId: string, filter?: Parameters<CredentialStore['listByOwner']>[1]): Promise<string[]> {
  const list = await store.listByOwner(ownerId, filter);
  check(Array.isArray(list), `listByOwner returned ${show(list)}, expected an array`);
  return list.map((record) => record.id);
}

async function fetchRecord(store: CredentialStore, id: string, what: string): Promise<CredentialRecord> {
  const record = await store.findById(id);
  if (record === null) fail(`${what}: findById(${show(id)}) returned null`);
  return record;
}

type Case = ConformanceCase<CredentialStoreDriver>;

function must(id: string, title: string, run: Case['run']): Case {
  return { id, level: 'MUST', ref: REF, title, run };
}

function should(id: string, title: string, run: Case['run']): Case {
  return { id, level: 'SHOULD', ref: REF, title, run };
}

const LIMIT = { maxActivePerOwner: 20, now: T0 + 1_000 } as const;

const cases: readonly Case[] = [
  must('CS-INSERT-001', 'insert then findByDigest returns the record with every field, lastUsedAt and revokedAt null', async (driver) => {
    const store = await driver.createStore();
    const record = records()({
      label: 'Integration',
      hint: 'c915',
      scopes: ['read', 'write'],
      allowedIps: ['203.0.113.7'],
      sealedSecret: 'gh1.k1.bm9uY2U.Y2lwaGVy',
      attributes: { title: 'Integration', uses: 3, enabled: true, note: null },
      expiresAt: T0 + 86_400_000,
    });
    await insertOk(store, record);
    expectRecord(await store.findByDigest(record.digest), stored(record), 'findByDigest');
  }),

  must('CS-INSERT-002', 'insert then findById returns the record with every field, lastUsedAt and revokedAt null', async (driver) => {
    const store = await driver.createStore();
    const record = records()({ scopes: ['read', 'write'], allowedIps: ['2001:db8::1'], attributes: { n: 1 } });
    await insertOk(store, record);
    expectRecord(await store.findById(record.id), stored(record), 'findById');
  }),

  must('CS-INSERT-003', 'preserves unicode labels, array order, empty arrays, attributes of every type and parentId exactly', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    const parent = make({
      label: 'Clé 🔑 für Zähler — 日本語 e\u0301 ‮rtl',
      hint: 'ab12',
      scopes: ['write', 'read', 'trading:*', 'émoji🙂'],
      allowedIps: ['203.0.113.7', '2001:db8::1', '198.51.100.0'],
      attributes: { title: 'Ключ', count: 3, ratio: 0.25, negative: -7, enabled: false, on: true, note: null, 'ключ 🔑': 'значение' },
    });
    const child = make({
      parentId: parent.id,
      kind: 'user-session',
      label: 'x'.repeat(255),
      scopes: [],
      allowedIps: [],
      attributes: {},
      sealedSecret: 'gh1.k1.' + 'A'.repeat(200),
      expiresAt: T0 + 30 * 86_400_000,
    });
    await insertOk(store, parent);
    await insertOk(store, child);
    for (const record of [parent, child]) {
      expectRecord(await store.findById(record.id), stored(record), 'findById');
      expectRecord(await store.findByDigest(record.digest), stored(record), 'findByDigest');
    }
    const listed = await store.listByOwner(OWNER);
    check(listed.length === 2, () => `listByOwner: expected 2 records, got ${listed.length}`);
    expectRecord(listed[0] ?? null, stored(parent), 'listByOwner[0]');
    expectRecord(listed[1] ?? null, stored(child), 'listByOwner[1]');
  }),

  must('CS-INSERT-004', 'refuses a second record with the same id as a conflict and leaves the first unchanged', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    const first = make();
    const second = { ...make({ ownerId: 'owner-2', label: 'Intruder' }), id: first.id };
    await insertOk(store, first);
    expectEqual(await store.insert(second), { type: 'conflict' }, 'insert with a duplicate id');
    expectRecord(await store.findById(first.id), stored(first), 'findById after the conflict');
    check((await store.findByDigest(second.digest)) === null, 'the conflicting record is findable by its digest');
    expectEqual(await ids(store, 'owner-2'), [], 'listByOwner of the conflicting owner');
  }),

  must('CS-INSERT-005', 'refuses a second record with the same digest as a conflict and leaves the first unchanged', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    const first = make();
    const second = { ...make({ ownerId: 'owner-2', label: 'Intruder' }), digest: first.digest };
    await insertOk(store, first);
    expectEqual(await store.insert(second), { type: 'conflict' }, 'insert with a duplicate digest');
    expectRecord(await store.findByDigest(first.digest), stored(first), 'findByDigest after the conflict');
    check((await store.findById(second.id)) === null, 'the conflicting record is findable by its id');
    expectEqual(await ids(store, 'owner-2'), [], 'listByOwner of the conflicting owner');
  }),

  must('CS-FIND-001', 'findByDigest returns null for an unknown digest', async (driver) => {
    const store = await driver.createStore();
    check((await store.findByDigest('0'.repeat(64))) === null, 'findByDigest on an empty store did not return null');
    const record = records()();
    await insertOk(store, record);
    const unknown = record.digest.slice(0, -1) + (record.digest.endsWith('0') ? '1' : '0');
    check((await store.findByDigest(unknown)) === null, 'findByDigest of a digest differing in its last character did not return null');
  }),

  must('CS-FIND-002', 'findById returns null for an unknown id', async (driver) => {
    const store = await driver.createStore();
    check((await store.findById('missing')) === null, 'findById on an empty store did not return null');
    const record = records()();
    await insertOk(store, record);
    check((await store.findById(`${record.id}x`)) === null, 'findById of an unknown id did not return null');
    check((await store.findById('')) === null, 'findById of the empty string did not return null');
  }),

  must('CS-FIND-003', 'never finds a record by its id through findByDigest, or by its digest through findById', async (driver) => {
    const store = await driver.createStore();
    const record = records()();
    await insertOk(store, record);
    check((await store.findByDigest(record.id)) === null, 'findByDigest(record.id) found a record');
    check((await store.findById(record.digest)) === null, 'findById(record.digest) found a record');
  }),

  must('CS-LIMIT-001', 'with maxActivePerOwner 20, inserts 1 to 20 succeed and the 21st returns limit-exceeded', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    for (let i = 1; i <= 20; i++) await insertOk(store, make(), LIMIT, `insert #${i} under the limit`);
    await insertRefused(store, make(), LIMIT, 'insert #21');
    check((await ids(store, OWNER)).length === 20, 'listByOwner does not hold exactly 20 records');
  }),

  must('CS-LIMIT-002', 'revoked records do not count toward maxActivePerOwner', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    const first = Array.from({ length: 20 }, () => make());
    for (const record of first) await insertOk(store, record, LIMIT);
    for (const record of first.slice(0, 3)) check(await store.revoke(record.id, T0 + 500), `revoke(${record.id}) returned false`);
    for (let i = 1; i <= 3; i++) await insertOk(store, make(), LIMIT, `insert #${i} after 3 revocations`);
    await insertRefused(store, make(), LIMIT, 'insert #4 after 3 revocations');
  }),

  must('CS-LIMIT-003', 'records expired at `now` (expiresAt <= now) do not count toward maxActivePerOwner', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    const expiresAt = T0 + 10_000;
    for (let i = 0; i < 20; i++) await insertOk(store, make({ expiresAt }), LIMIT);
    await insertRefused(store, make(), { maxActivePerOwner: 20, now: expiresAt - 1 }, 'insert one millisecond before the 20 expire');
    await insertOk(store, make(), { maxActivePerOwner: 20, now: expiresAt }, 'insert at the instant the 20 expire');
  }),

  must('CS-LIMIT-004', 'maxActivePerOwner counts only the same owner, strategy and kind', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    for (let i = 0; i < 20; i++) await insertOk(store, make(), LIMIT);
    await insertOk(store, make({ ownerId: 'owner-2' }), LIMIT, 'insert for another owner');
    await insertOk(store, make({ kind: 'user-session' }), LIMIT, 'insert of another kind');
    await insertOk(store, make({ strategy: 'other-strategy' }), LIMIT, 'insert for another strategy');
    await insertRefused(store, make(), LIMIT, 'insert #21 for the same owner, strategy and kind');
  }),

  must('CS-LIMIT-005', 'maxActivePerOwner holds under 100 parallel inserts: exactly 20 are inserted', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    const batch = Array.from({ length: 100 }, () => make());
    const results = await Promise.all(batch.map((record) => store.insert(record, LIMIT)));
    const inserted = results.filter((result) => result?.type === 'inserted').length;
    const refused = results.filter((result) => result?.type === 'limit-exceeded').length;
    check(inserted === 20 && refused === 80, `100 parallel inserts with limit 20: ${inserted} inserted, ${refused} limit-exceeded (expected 20 and 80)`);
    const listed = await ids(store, OWNER);
    check(listed.length === 20, `listByOwner after 100 parallel inserts holds ${listed.length} records, expected 20`);
  }),

  must('CS-LIMIT-006', 'without maxActivePerOwner no limit applies', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    for (let i = 1; i <= 25; i++) await insertOk(store, make(), i % 2 === 0 ? { now: T0 } : undefined, `unlimited insert #${i}`);
  }),

  must('CS-LIMIT-007', 'maxActivePerOwner 0 refuses every insert (sub-users may hold no API keys)', async (driver) => {
    const store = await driver.createStore();
    await insertRefused(store, records()(), { maxActivePerOwner: 0, now: T0 }, 'insert with limit 0');
  }),

  must('CS-LIMIT-008', 'refuses a maxActivePerOwner that is not a non-negative integer instead of switching the limit off', async (driver) => {
    const store = await driver.createStore();
    for (const limit of [Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY]) {
      let refused = false;
      try {
        const result = await store.insert(records(`bad-limit-${String(limit)}`)(), { maxActivePerOwner: limit, now: T0 });
        refused = result.type !== 'inserted';
      } catch {
        refused = true;
      }
      check(refused, `insert with maxActivePerOwner ${String(limit)} was accepted`);
    }
  }),

  must('CS-LIST-001', 'listByOwner returns records oldest first (by createdAt), whatever the insert order', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    for (const createdAt of [T0 + 30, T0 + 10, T0 + 40, T0 + 20]) await insertOk(store, make({ createdAt, id: `created-${createdAt - T0}` }));
    expectEqual(await ids(store, OWNER), ['created-10', 'created-20', 'created-30', 'created-40'], 'listByOwner order');
  }),

  must('CS-LIST-002', 'listByOwner returns only that owner\'s records, and [] for an unknown owner', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    const mine = [make(), make()];
    const theirs = make({ ownerId: 'owner-2' });
    for (const record of [mine[0]!, theirs, mine[1]!]) await insertOk(store, record);
    expectEqual(await ids(store, OWNER), mine.map((record) => record.id), 'listByOwner(owner-1)');
    expectEqual(await ids(store, 'owner-2'), [theirs.id], 'listByOwner(owner-2)');
    expectEqual(await ids(store, 'nobody'), [], 'listByOwner of an unknown owner');
  }),

  must('CS-LIST-003', 'listByOwner filters by strategy and by kind', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    const a = make();
    const b = make({ kind: 'user-session' });
    const c = make({ strategy: 'other-strategy' });
    const d = make({ strategy: 'other-strategy', kind: 'user-session' });
    for (const record of [a, b, c, d]) await insertOk(store, record);
    expectEqual(await ids(store, OWNER, { strategy: STRATEGY }), [a.id, b.id], 'filter { strategy }');
    expectEqual(await ids(store, OWNER, { kind: 'user-session' }), [b.id, d.id], 'filter { kind }');
    expectEqual(await ids(store, OWNER, { strategy: 'other-strategy', kind: KIND }), [c.id], 'filter { strategy, kind }');
    expectEqual(await ids(store, OWNER, { kind: 'nothing' }), [], 'filter on an unknown kind');
  }),

  must('CS-LIST-004', 'listByOwner with activeAt leaves out revoked records and records expired at that time', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    const active = make();
    const later = make({ expiresAt: T0 + 5_001 });
    const expiring = make({ expiresAt: T0 + 5_000 });
    const revoked = make();
    for (const record of [active, later, expiring, revoked]) await insertOk(store, record);
    check(await store.revoke(revoked.id, T0 + 100), 'revoke returned false');
    expectEqual(await ids(store, OWNER, { activeAt: T0 + 5_000 }), [active.id, later.id], 'filter { activeAt }');
    expectEqual(await ids(store, OWNER, { activeAt: T0 + 50 }), [active.id, later.id, expiring.id], 'filter { activeAt } before the revocation');
    expectEqual(await ids(store, OWNER), [active.id, later.id, expiring.id, revoked.id], 'no filter');
  }),

  must('CS-UPDATE-001', 'update changes only the given fields and returns the updated record', async (driver) => {
    const store = await driver.createStore();
    const record = records()({ scopes: ['read'], attributes: { a: 1 }, expiresAt: T0 + 1_000_000 });
    await insertOk(store, record);
    await store.touch(record.id, T0 + 50);
    const touched = stored(record, { lastUsedAt: T0 + 50 });
    const renamed = await store.update(record.id, { label: 'Renamed' });
    expectRecord(renamed, { ...touched, label: 'Renamed' }, 'update({ label }) result');
    expectRecord(await store.findById(record.id), { ...touched, label: 'Renamed' }, 'findById after update({ label })');
    const patch = {
      scopes: ['write', 'admin'],
      allowedIps: ['198.51.100.1'],
      attributes: { b: 'two', c: false },
      sealedSecret: 'gh1.k2.bm9uY2U.bmV3',
      expiresAt: T0 + 2_000_000,
    };
    const expected = { ...touched, label: 'Renamed', ...patch };
    expectRecord(await store.update(record.id, patch), expected, 'update of every patchable field, result');
    expectRecord(await store.findByDigest(record.digest), expected, 'findByDigest after the update');
  }),

  must('CS-UPDATE-002', 'update of an unknown id returns null and creates nothing', async (driver) => {
    const store = await driver.createStore();
    const result = await store.update('missing', { label: 'Ghost' });
    check(result === null, `update of an unknown id returned ${show(result)}`);
    check((await store.findById('missing')) === null, 'update of an unknown id created a record');
  }),

  must('CS-UPDATE-003', 'update can set expiresAt and sealedSecret back to null', async (driver) => {
    const store = await driver.createStore();
    const record = records()({ expiresAt: T0 + 1_000, sealedSecret: 'gh1.k1.bm9uY2U.c2VhbGVk' });
    await insertOk(store, record);
    const cleared = stored(record, { expiresAt: null, sealedSecret: null });
    expectRecord(await store.update(record.id, { expiresAt: null, sealedSecret: null }), cleared, 'update to null, result');
    expectRecord(await store.findById(record.id), cleared, 'findById after the update to null');
  }),

  must('CS-REVOKE-001', 'revoke sets revokedAt to `at`, returns true, and the record stays findable', async (driver) => {
    const store = await driver.createStore();
    const record = records()();
    await insertOk(store, record);
    const result = await store.revoke(record.id, T0 + 777);
    check(result === true, `revoke of an active record returned ${show(result)}`);
    expectRecord(await store.findById(record.id), stored(record, { revokedAt: T0 + 777 }), 'findById after revoke');
    expectRecord(await store.findByDigest(record.digest), stored(record, { revokedAt: T0 + 777 }), 'findByDigest after revoke');
  }),

  must('CS-REVOKE-002', 'revoke returns false the second time (keeping the first revokedAt) and for unknown ids', async (driver) => {
    const store = await driver.createStore();
    const record = records()();
    await insertOk(store, record);
    check((await store.revoke(record.id, T0 + 1)) === true, 'first revoke returned false');
    const again = await store.revoke(record.id, T0 + 2);
    check(again === false, `second revoke returned ${show(again)}`);
    const found = await fetchRecord(store, record.id, 'after the second revoke');
    check(found.revokedAt === T0 + 1, `second revoke changed revokedAt to ${show(found.revokedAt)}`);
    const unknown = await store.revoke('missing', T0 + 3);
    check(unknown === false, `revoke of an unknown id returned ${show(unknown)}`);
  }),

  must('CS-REVOKE-003', 'revoke cascades to children and grandchildren (parentId) but not to siblings or unrelated records', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    const root = make();
    const child = make({ parentId: root.id, kind: 'user-session' });
    const grandchild = make({ parentId: child.id, kind: 'user-session' });
    const otherRoot = make();
    const otherChild = make({ parentId: otherRoot.id, kind: 'user-session' });
    const unrelated = make({ ownerId: 'owner-2' });
    for (const record of [root, child, grandchild, otherRoot, otherChild, unrelated]) await insertOk(store, record);
    check((await store.revoke(root.id, T0 + 900)) === true, 'revoke of the root returned false');
    for (const [role, record] of [['root', root], ['child', child], ['grandchild', grandchild]] as const) {
      const found = await fetchRecord(store, record.id, 'after the cascade');
      check(found.revokedAt === T0 + 900, `the ${role} ${record.id} has revokedAt ${show(found.revokedAt)}, expected ${T0 + 900}`);
    }
    for (const [role, record] of [['other root', otherRoot], ['other root\'s child', otherChild], ['unrelated record', unrelated]] as const) {
      const found = await fetchRecord(store, record.id, 'after the cascade');
      check(found.revokedAt === null, `the ${role} ${record.id} was revoked by the cascade`);
    }
  }),

  must('CS-REVOKE-004', 'revoking a child leaves its parent and its siblings active', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    const parent = make();
    const child = make({ parentId: parent.id, kind: 'user-session' });
    const sibling = make({ parentId: parent.id, kind: 'user-session' });
    for (const record of [parent, child, sibling]) await insertOk(store, record);
    check((await store.revoke(child.id, T0 + 5)) === true, 'revoke of the child returned false');
    for (const record of [parent, sibling]) {
      const found = await fetchRecord(store, record.id, 'after revoking a child');
      check(found.revokedAt === null, `${record.id} was revoked when its ${record === parent ? 'child' : 'sibling'} was`);
    }
  }),

  must('CS-REVOKE-005', 'a record derived from a revoked record is stored revoked, at its parent\'s revokedAt, and is not active', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    const root = make();
    await insertOk(store, root);
    check((await store.revoke(root.id, T0 + 50)) === true, 'revoke of the root returned false');
    const child = make({ parentId: root.id, kind: 'user-session' });
    await insertOk(store, child);
    const grandchild = make({ parentId: child.id, kind: 'user-session' });
    await insertOk(store, grandchild);
    for (const [role, record] of [['child', child], ['grandchild', grandchild]] as const) {
      const found = await fetchRecord(store, record.id, `after inserting the ${role} of a revoked record`);
      check(found.revokedAt === T0 + 50, `the ${role} of a revoked record was stored with revokedAt ${show(found.revokedAt)}, expected ${T0 + 50}`);
    }
    const active = await ids(store, root.ownerId, { kind: 'user-session', activeAt: T0 + 100 });
    check(active.length === 0, `listByOwner(activeAt) returned ${show(active)} for records derived from a revoked one`);
  }),

  must('CS-REVOKE-006', 'a revoke racing 20 parallel derivations from the same record leaves none of them active', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    const root = make();
    await insertOk(store, root);
    const children = Array.from({ length: 20 }, () => make({ parentId: root.id, kind: 'user-session' }));
    const [revoked] = await Promise.all([store.revoke(root.id, T0 + 60), ...children.map((child) => store.insert(child))]);
    check(revoked === true, `revoke returned ${show(revoked)}`);
    for (const child of children) {
      const found = await fetchRecord(store, child.id, 'after the race');
      check(found.revokedAt !== null, `${child.id}, derived while its parent was being revoked, is active`);
    }
  }),

  must('CS-TOUCH-001', 'touch sets lastUsedAt, ignores a second touch within 60 s and records one after 60 s', async (driver) => {
    const store = await driver.createStore();
    const record = records()();
    await insertOk(store, record);
    const first = T0 + 10_000;
    await store.touch(record.id, first);
    expectRecord(await store.findById(record.id), stored(record, { lastUsedAt: first }), 'after the first touch');
    await store.touch(record.id, first + 59_000);
    expectRecord(await store.findById(record.id), stored(record, { lastUsedAt: first }), 'after a touch 59 s later');
    await store.touch(record.id, first + 61_000);
    expectRecord(await store.findById(record.id), stored(record, { lastUsedAt: first + 61_000 }), 'after a touch 61 s later');
  }),

  must('CS-TOUCH-002', 'touch of an unknown id resolves without throwing and creates nothing', async (driver) => {
    const store = await driver.createStore();
    try {
      await store.touch('missing', T0);
    } catch (error) {
      fail(`touch of an unknown id threw: ${error instanceof Error ? error.message : String(error)}`);
    }
    check((await store.findById('missing')) === null, 'touch of an unknown id created a record');
  }),

  must('CS-DELETE-001', 'deleteInactive(before) deletes only records revoked or expired before `before` and returns the count', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    const before = T0 + 1_000;
    const active = make();
    const future = make({ expiresAt: T0 + 10_000_000 });
    const expiredEarly = make({ expiresAt: T0 + 100 });
    const revokedEarly = make();
    const expiredLate = make({ expiresAt: T0 + 5_000 });
    const revokedLate = make();
    for (const record of [active, future, expiredEarly, revokedEarly, expiredLate, revokedLate]) await insertOk(store, record);
    await store.revoke(revokedEarly.id, T0 + 200);
    await store.revoke(revokedLate.id, T0 + 6_000);
    const count = await store.deleteInactive(before);
    check(count === 2, `deleteInactive returned ${show(count)}, expected 2`);
    for (const record of [expiredEarly, revokedEarly]) {
      check((await store.findById(record.id)) === null, `${record.id} (inactive before \`before\`) is still findable by id`);
      check((await store.findByDigest(record.digest)) === null, `${record.id} (inactive before \`before\`) is still findable by digest`);
    }
    for (const record of [active, future, expiredLate, revokedLate]) await fetchRecord(store, record.id, 'after deleteInactive');
    expectEqual(await ids(store, OWNER), [active.id, future.id, expiredLate.id, revokedLate.id], 'listByOwner after deleteInactive');
    const none = await store.deleteInactive(T0 + 2_000);
    check(none === 0, `a second deleteInactive with nothing to delete returned ${show(none)}`);
  }),

  should('CS-DELETE-002', 'deleteInactive keeps records that became inactive exactly at `before`', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    const expired = make({ expiresAt: T0 + 1_000 });
    const revoked = make();
    for (const record of [expired, revoked]) await insertOk(store, record);
    await store.revoke(revoked.id, T0 + 1_000);
    const count = await store.deleteInactive(T0 + 1_000);
    check(count === 0, `deleteInactive(${T0 + 1_000}) deleted ${show(count)} records that became inactive at that instant`);
  }),

  should('CS-DELETE-003', 'deleteInactive frees the id and digest of deleted records for new inserts', async (driver) => {
    const store = await driver.createStore();
    const make = records();
    const old = make({ expiresAt: T0 + 10 });
    await insertOk(store, old);
    check((await store.deleteInactive(T0 + 1_000)) === 1, 'deleteInactive did not delete the expired record');
    const reborn = { ...make(), id: old.id, digest: old.digest };
    await insertOk(store, reborn, undefined, 'insert reusing a deleted id and digest');
    expectRecord(await store.findByDigest(old.digest), stored(reborn), 'findByDigest of the reused digest');
  }),

  should('CS-DELETE-004', 'deleteInactive deletes a record that expired before `before` even if it was revoked later', async (driver) => {
    const store = await driver.createStore();
    const record = records()({ expiresAt: T0 + 100 });
    await insertOk(store, record);
    check(await store.revoke(record.id, T0 + 5_000), 'revoke of an expired but unrevoked record returned false');
    const count = await store.deleteInactive(T0 + 1_000);
    check(count === 1, `deleteInactive(T0 + 1000) returned ${show(count)} for a record expired at T0 + 100 and revoked at T0 + 5000, expected 1`);
    check((await store.findById(record.id)) === null, 'the record expired before `before` is still findable');
  }),

  should('CS-COPY-001', 'records returned by the store cannot be used to change it (copies or frozen)', async (driver) => {
    const store = await driver.createStore();
    const record = records()({ scopes: ['read'], allowedIps: ['203.0.113.7'], attributes: { a: 1 } });
    // A deep copy taken before the insert, so a store that keeps the caller's arrays cannot move the expectation.
    const expected = structuredClone(stored(record));
    await insertOk(store, record);
    const tryMutate = (target: CredentialRecord | null): void => {
      if (target === null) return;
      const loose = target as unknown as { scopes: string[]; allowedIps: string[]; attributes: Record<string, unknown>; label: string };
      for (const mutate of [
        () => loose.scopes.push('admin'),
        () => loose.allowedIps.splice(0, 1),
        () => (loose.attributes['a'] = 2),
        () => (loose.label = 'changed'),
      ]) {
        try {
          mutate();
        } catch {
          // Frozen records throw in strict mode; that is a fine way to conform.
        }
      }
    };
    tryMutate(await store.findById(record.id));
    tryMutate(await store.findByDigest(record.digest));
    const list = await store.listByOwner(OWNER);
    for (const item of list) tryMutate(item);
    try {
      list.length = 0;
    } catch {
      // A frozen list is fine too.
    }
    expectRecord(await store.findById(record.id), expected, 'after mutating returned records');
    expectEqual(await ids(store, OWNER), [record.id], 'listByOwner after mutating a returned list');
  }),

  should('CS-COPY-002', 'insert and update copy their input: changing the caller\'s arrays afterwards changes nothing', async (driver) => {
    const store = await driver.createStore();
    const scopes = ['read'];
    const attributes: Record<string, string | number | boolean | null> = { a: 1 };
    const record = records()({ scopes, attributes });
    await insertOk(store, record);
    scopes.push('admin');
    attributes['a'] = 2;
    expectRecord(await store.findById(record.id), stored(record, { scopes: ['read'], attributes: { a: 1 } }), 'after mutating the inserted arrays');
    const patchScopes = ['write'];
    await store.update(record.id, { scopes: patchScopes });
    patchScopes.push('admin');
    const found = await fetchRecord(store, record.id, 'after update');
    expectEqual(found.scopes, ['write'], 'scopes after mutating the patch array');
  }),

  must('CS-HEALTH-001', 'health() resolves {"status":"ok"} on a working store, before and after writes', async (driver) => {
    const store = await driver.createStore();
    await expectHealthy(store, 'on a new store');
    const record = records()({});
    await insertOk(store, record);
    await store.revoke(record.id, T0);
    await expectHealthy(store, 'after an insert and a revoke');
    await fetchRecord(store, record.id, 'after health()');
  }),
];

/**
 * The `credential-store@1` profile: everything a {@link CredentialStore} promises (lookups, the atomic
 * per-owner limit under parallel inserts, listing order and filters, patches, cascading revocation, debounced
 * touch, clean-up), checked against a fresh store per case.
 *
 * @example
 * ```ts
 * import { credentialStoreV1, runProfile } from '@gatehouse/conformance';
 * const results = await runProfile(credentialStoreV1, { createStore: () => createMemoryCredentialStore() });
 * ```
 */
export const credentialStoreV1: ConformanceProfile<CredentialStoreDriver> = Object.freeze({
  id: 'credential-store@1',
  title: 'CredentialStore conformance (credential-store@1)',
  cases,
});
