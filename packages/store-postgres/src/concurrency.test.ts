// Several application instances share one database: each has its own pool (its own connections), as separate
// processes would. What must hold across them is checked here.
import { describe, expect, it } from 'vitest';
import { newRecord, testPool, uniqueSchema } from './fixtures/helpers.js';
import { openPostgresStores, type PostgresStores } from './index.js';

const pools = [testPool({ max: 10 }), testPool({ max: 10 }), testPool({ max: 10 }), testPool({ max: 10 })];

async function instances(schema: string): Promise<PostgresStores[]> {
  return Promise.all(pools.map((pool) => openPostgresStores(pool, { schema })));
}

describe('four instances on one schema', () => {
  it('hold maxActivePerOwner: 100 parallel inserts for one owner, 25 per instance, store exactly 20', async () => {
    const stores = await instances(uniqueSchema('limit'));
    const now = Date.UTC(2030, 0, 2);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        stores[index % 4]!.credentials.insert(newRecord({ ownerId: 'shared-owner' }), { maxActivePerOwner: 20, now }),
      ),
    );
    expect(results.filter((result) => result.type === 'inserted')).toHaveLength(20);
    expect(results.filter((result) => result.type === 'limit-exceeded')).toHaveLength(80);
    expect(await stores[3]!.credentials.listByOwner('shared-owner')).toHaveLength(20);
  });

  it('limit one owner without holding up another: a held lock on owner A does not block owner B', async () => {
    const schema = uniqueSchema('owners');
    const [a, b] = await instances(schema);
    const now = Date.UTC(2030, 0, 2);
    const holder = await pools[0]!.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [JSON.stringify([`"${schema}"`, 'owner-a', 'nvx-hash', 'api-key'])]);
      const blocked = a!.credentials.insert(newRecord({ ownerId: 'owner-a' }), { maxActivePerOwner: 20, now });
      expect(await b!.credentials.insert(newRecord({ ownerId: 'owner-b' }), { maxActivePerOwner: 20, now })).toEqual({ type: 'inserted' });
      await holder.query('ROLLBACK');
      expect(await blocked).toEqual({ type: 'inserted' });
    } finally {
      holder.release();
    }
  });

  it('revoke a record once: of 20 parallel revokes across instances exactly one returns true, and the children are revoked', async () => {
    const stores = await instances(uniqueSchema('revoke'));
    const parent = newRecord();
    const child = newRecord({ parentId: parent.id, kind: 'user-session' });
    const grandchild = newRecord({ parentId: child.id, kind: 'user-session' });
    for (const record of [parent, child, grandchild]) await stores[0]!.credentials.insert(record);
    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => stores[index % 4]!.credentials.revoke(parent.id, 1000 + index)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const revokedAt = (await stores[2]!.credentials.findById(parent.id))?.revokedAt;
    expect((await stores[1]!.credentials.findById(child.id))?.revokedAt).toBe(revokedAt);
    expect((await stores[3]!.credentials.findById(grandchild.id))?.revokedAt).toBe(revokedAt);
  });

  it('see a revocation made by another instance on their next read', async () => {
    const [a, b] = await instances(uniqueSchema('visible'));
    const record = newRecord();
    await a!.credentials.insert(record);
    expect((await b!.credentials.findByDigest(record.digest))?.revokedAt).toBeNull();
    await a!.credentials.revoke(record.id, 5);
    expect((await b!.credentials.findByDigest(record.digest))?.revokedAt).toBe(5);
  });

  it('accept a nonce once: 100 parallel setIfAbsent calls across instances, exactly one true', async () => {
    const stores = await instances(uniqueSchema('nonce'));
    const results = await Promise.all(Array.from({ length: 100 }, (_, index) => stores[index % 4]!.ephemeral.setIfAbsent('nonce:k:1', 600)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('count together: 100 parallel increments across instances end at 100, each value returned once', async () => {
    const stores = await instances(uniqueSchema('count'));
    const values = await Promise.all(Array.from({ length: 100 }, (_, index) => stores[index % 4]!.ephemeral.increment('failures:ip', 900)));
    expect([...values].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, index) => index + 1));
    expect(await stores[0]!.ephemeral.get('failures:ip')).toBe(100);
  });

  it('accept an increasing nonce once: 100 parallel setIfGreater with the same value, exactly one true', async () => {
    const stores = await instances(uniqueSchema('greater'));
    const results = await Promise.all(Array.from({ length: 100 }, (_, index) => stores[index % 4]!.ephemeral.setIfGreater('hw:k', 1_700_000_000_123, null)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('debounce touch across instances: 40 touches within the interval write the row once, the next interval once more', async () => {
    const schema = uniqueSchema('touch');
    const stores = await instances(schema);
    const record = newRecord();
    await stores[0]!.credentials.insert(record);
    // Count row writes with a trigger: the stored value alone would not show a rewrite of the same value.
    await pools[0]!.query(`
      CREATE TABLE "${schema}".writes (n int NOT NULL);
      INSERT INTO "${schema}".writes VALUES (0);
      CREATE FUNCTION "${schema}".count_write() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN UPDATE "${schema}".writes SET n = n + 1; RETURN NEW; END $$;
      CREATE TRIGGER count_write AFTER UPDATE ON "${schema}".credentials FOR EACH ROW EXECUTE FUNCTION "${schema}".count_write();
    `);
    const writes = async (): Promise<number> => (await pools[0]!.query(`SELECT n FROM "${schema}".writes`)).rows[0].n;
    for (let round = 0; round < 10; round++) await Promise.all(stores.map((store) => store.credentials.touch(record.id, 1_000_000 + round)));
    expect((await stores[1]!.credentials.findById(record.id))?.lastUsedAt).toBe(1_000_000);
    expect(await writes()).toBe(1);
    await Promise.all(stores.map((store) => store.credentials.touch(record.id, 1_000_000 + 60_000)));
    expect((await stores[2]!.credentials.findById(record.id))?.lastUsedAt).toBe(1_060_000);
    expect(await writes()).toBe(2);
  });

  it('revoke a record while another instance derives a session from it (insert first): the session is revoked too', async () => {
    const schema = uniqueSchema('derive_first');
    const [store] = await instances(schema);
    const key = newRecord();
    await store!.credentials.insert(key);
    const session = newRecord({ parentId: key.id, kind: 'user-session' });
    // Another instance's insert of the session, caught between its parent check and its commit.
    const other = await pools[1]!.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT 1 FROM "${schema}".credentials WHERE id = $1 FOR SHARE`, [key.id]);
      await other.query(
        `INSERT INTO "${schema}".credentials (id, digest, strategy, kind, owner_id, parent_id, label, hint, scopes, allowed_ips, attributes, created_at)
         VALUES ($1, $2, 'nvx-hash', 'user-session', 'owner-1', $3, '', '', '[]', '[]', '{}', 1)`,
        [session.id, session.digest, key.id],
      );
      const revoking = store!.credentials.revoke(key.id, 7);
      await new Promise((resolve) => setTimeout(resolve, 100)); // the revoke is now waiting for the row lock
      await other.query('COMMIT');
      expect(await revoking).toBe(true);
    } finally {
      other.release();
    }
    expect((await store!.credentials.findById(session.id))?.revokedAt).toBe(7);
  });

  it('derive a session from a record another instance is revoking (revoke first): the session is stored revoked', async () => {
    const schema = uniqueSchema('derive_second');
    const [store] = await instances(schema);
    const key = newRecord();
    await store!.credentials.insert(key);
    // Another instance's revoke, caught between its update and its commit.
    const other = await pools[1]!.connect();
    let inserting: Promise<unknown> | undefined;
    try {
      await other.query('BEGIN');
      await other.query(`UPDATE "${schema}".credentials SET revoked_at = 9 WHERE id = $1`, [key.id]);
      inserting = store!.credentials.insert(newRecord({ parentId: key.id, kind: 'user-session', id: 'derived-second' }));
      await new Promise((resolve) => setTimeout(resolve, 100)); // the insert is now waiting for the row lock
      await other.query('COMMIT');
      expect(await inserting).toEqual({ type: 'inserted' });
    } finally {
      other.release();
    }
    expect((await store!.credentials.findById('derived-second'))?.revokedAt).toBe(9);
  });
});
