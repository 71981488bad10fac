import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { CREDENTIAL_SQL } from './credential-store.js';
import { EPHEMERAL_SQL } from './ephemeral-store.js';
import { newRecord, removeTemporaryFolders, temporaryDatabasePath } from './fixtures/helpers.js';
import { openSqliteStores } from './index.js';

afterAll(removeTemporaryFolders);

describe('indexes and scale', () => {
  const stores = openSqliteStores(':memory:');
  afterAll(() => stores.close());
  /** The query plan of the exact statement a store method runs (plans do not depend on bound values). */
  const plan = (sql: string): string => {
    const statement = stores.database.prepare(`EXPLAIN QUERY PLAN ${sql}`);
    const named = [...sql.matchAll(/@(\w+)/g)].map((match) => match[1] as string);
    const rows =
      named.length > 0
        ? statement.all(Object.fromEntries(named.map((name) => [name, 1])))
        : statement.all(...Array.from(sql.matchAll(/\?/g), () => 1));
    return (rows as Array<{ detail: string }>).map((row) => row.detail).join('\n');
  };

  it.each<[string, string, RegExp]>([
    ['findByDigest', CREDENTIAL_SQL.findByDigest, /SEARCH credentials USING INDEX credentials_digest \(digest=\?\)/],
    ['findById', CREDENTIAL_SQL.findById, /SEARCH credentials USING INDEX sqlite_autoindex_credentials_1 \(id=\?\)/],
    ['insert conflict check', CREDENTIAL_SQL.exists, /credentials_digest/],
    ['the maxActivePerOwner count', CREDENTIAL_SQL.countActive, /USING INDEX credentials_owner \(owner_id=\? AND strategy=\? AND kind=\?\)/],
    ['listByOwner', CREDENTIAL_SQL.listByOwner, /SEARCH credentials USING INDEX credentials_owner \(owner_id=\?\)/],
    ['the revoke cascade', CREDENTIAL_SQL.revokeTree, /USING INDEX credentials_parent \(parent_id=\?\)/],
    ['the ephemeral sweep', EPHEMERAL_SQL.sweep, /SEARCH ephemeral USING (COVERING )?INDEX ephemeral_expires_at \(expires_at<\?\)/],
  ])('%s searches an index, never scans the table', (_name, sql, expected) => {
    const detail = plan(sql);
    expect(detail).toMatch(expected);
    expect(detail).not.toMatch(/SCAN credentials(?! USING)|SCAN ephemeral(?! USING)/);
  });

  it('inserts 100k records in one transaction and still finds each sampled one by digest (timings logged, never asserted)', async () => {
    const scale = openSqliteStores(temporaryDatabasePath());
    const { credentials, database } = scale;
    const total = 100_000;
    const insertStart = performance.now();
    const pending: Array<Promise<unknown>> = [];
    database.exec('BEGIN');
    for (let i = 0; i < total; i++) {
      // Each call runs its statement synchronously before returning its promise, so all of them land in this
      // one transaction.
      pending.push(credentials.insert(newRecord({ id: `scale-${i}`, digest: `scale-digest-${i}`, ownerId: `owner-${i % 5_000}` })));
    }
    database.exec('COMMIT');
    const results = await Promise.all(pending);
    const insertMs = performance.now() - insertStart;
    expect(results.every((result) => (result as { type: string }).type === 'inserted')).toBe(true);

    const lookups = 1_000;
    const lookupStart = performance.now();
    for (let i = 0; i < lookups; i++) {
      const found = await credentials.findByDigest(`scale-digest-${(i * 97) % total}`);
      expect(found?.id).toBe(`scale-${(i * 97) % total}`);
    }
    const lookupMs = (performance.now() - lookupStart) / lookups;
    console.info(
      `[store-sqlite] ${total} inserts in one transaction: ${insertMs.toFixed(0)} ms; findByDigest: ${(lookupMs * 1000).toFixed(1)} µs per lookup`,
    );
    expect(await credentials.listByOwner('owner-42')).toHaveLength(total / 5_000);
    scale.close();
  }, 120_000);
});
