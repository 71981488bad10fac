import { ConfigurationError } from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import { newRecord, testPool, uniqueSchema } from './fixtures/helpers.js';
import { applyPostgresMigrations, openPostgresStores, POSTGRES_SCHEMA_VERSION } from './index.js';

const pool = testPool();

async function tablesOf(schema: string): Promise<string[]> {
  const { rows } = await pool.query<{ name: string; persistence: string }>(
    `SELECT c.relname AS name, c.relpersistence AS persistence FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY c.relname`,
    [schema],
  );
  return rows.map((row) => `${row.name}${row.persistence === 'u' ? ' (unlogged)' : ''}`);
}

describe('openPostgresStores', () => {
  it('creates the schema and its tables on first open, all of them logged (crash-safe)', async () => {
    const schema = uniqueSchema('open');
    const stores = await openPostgresStores(pool, { schema });
    expect(await tablesOf(schema)).toEqual(['credentials', 'ephemeral', 'health_probe', 'schema_migrations']);
    const { rows } = await pool.query(`SELECT version FROM "${schema}".schema_migrations`);
    expect(rows).toEqual([{ version: POSTGRES_SCHEMA_VERSION }]);
    await stores.close();
  });

  it('migrates once when ten instances open a new schema at the same moment, and all of them work', async () => {
    const schema = uniqueSchema('race');
    const all = await Promise.all(Array.from({ length: 10 }, () => openPostgresStores(pool, { schema })));
    const { rows } = await pool.query(`SELECT version FROM "${schema}".schema_migrations`);
    expect(rows).toEqual([{ version: 1 }]);
    const record = newRecord();
    expect(await all[0]?.credentials.insert(record)).toEqual({ type: 'inserted' });
    expect((await all[9]?.credentials.findById(record.id))?.digest).toBe(record.digest);
  });

  it('reopening keeps the data and takes no lock (another session holding the migration lock does not block it)', async () => {
    const schema = uniqueSchema('reopen');
    const first = await openPostgresStores(pool, { schema });
    const record = newRecord();
    await first.credentials.insert(record);
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`gatehouse:migrate:${schema}`]);
      const second = await openPostgresStores(pool, { schema, connectTimeoutInMilliseconds: 1000, queryTimeoutInMilliseconds: 1000 });
      expect(await second.credentials.findById(record.id)).not.toBeNull();
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
  });

  it('refuses a schema written by a newer release, with a clear message, and changes nothing', async () => {
    const schema = uniqueSchema('newer');
    await openPostgresStores(pool, { schema });
    await pool.query(`INSERT INTO "${schema}".schema_migrations (version) VALUES (99)`);
    await pool.query(`CREATE TABLE "${schema}".future (x text); INSERT INTO "${schema}".future VALUES ('keep me')`);
    await expect(openPostgresStores(pool, { schema })).rejects.toThrow(
      new RegExp(`schema "${schema}" has version 99, but this version of @gatehouse/store-postgres only knows versions up to 1.*upgrade.*Nothing was changed`, 's'),
    );
    expect((await pool.query(`SELECT x FROM "${schema}".future`)).rows).toEqual([{ x: 'keep me' }]);
    expect((await pool.query(`SELECT max(version) AS v FROM "${schema}".schema_migrations`)).rows).toEqual([{ v: 99 }]);
  });

  it("with migrations: 'verify', opens an up-to-date schema, refuses a missing one without creating anything", async () => {
    const schema = uniqueSchema('verify');
    await expect(openPostgresStores(pool, { schema, migrations: 'verify' })).rejects.toThrow(/is at version 0, but this release needs 1\. Apply the migrations first/);
    expect((await pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount).toBe(0);
    await applyPostgresMigrations(pool, { schema });
    const stores = await openPostgresStores(pool, { schema, migrations: 'verify' });
    expect(await stores.ephemeral.setIfAbsent('k', 60)).toBe(true);
  });

  it('rolls a failed migration back: a table in the way leaves the schema as it was', async () => {
    const schema = uniqueSchema('inway');
    await pool.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".ephemeral (unrelated text); INSERT INTO "${schema}".ephemeral VALUES ('keep me')`);
    await expect(openPostgresStores(pool, { schema })).rejects.toThrow(/schema migration 1 failed in .*rolled back.*already exists/s);
    expect(await tablesOf(schema)).toEqual(['ephemeral']);
    expect((await pool.query(`SELECT unrelated FROM "${schema}".ephemeral`)).rows).toEqual([{ unrelated: 'keep me' }]);
  });

  it('leaves a pool it was given open on close(), and ends a pool it built', async () => {
    const given = await openPostgresStores(pool, { schema: uniqueSchema('given') });
    await given.close();
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);

    const built = await openPostgresStores(pool.options.connectionString as string, { schema: uniqueSchema('built') });
    expect(built.pool).not.toBe(pool);
    await built.close();
    await built.close(); // idempotent
    expect(built.pool.ended).toBe(true);
    await expect(built.credentials.findById('x')).rejects.toThrow();
  });

  it('keeps node-postgres global type parsers untouched: the adopter still gets bigint columns as strings', async () => {
    await openPostgresStores(pool, { schema: uniqueSchema('types') });
    expect((await pool.query('SELECT 9007199254740993::bigint AS big')).rows).toEqual([{ big: '9007199254740993' }]);
  });

  it('refuses invalid options with ConfigurationError naming the option, before connecting', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ schema: 'Gatehouse' }, 'schema'],
      [{ schema: 'a"; DROP TABLE x; --' }, 'schema'],
      [{ schema: '1abc' }, 'schema'],
      [{ schema: 'x'.repeat(64) }, 'schema'],
      [{ migrations: 'yes' }, 'migrations'],
      [{ queryTimeoutInMilliseconds: 0 }, 'queryTimeoutInMilliseconds'],
      [{ connectTimeoutInMilliseconds: 1.5 }, 'connectTimeoutInMilliseconds'],
      [{ maxConnections: -1 }, 'maxConnections'],
      [{ touchIntervalInSeconds: -1 }, 'touchIntervalInSeconds'],
      [{ clock: Date }, 'clock'],
      [{ sweepEveryWrites: 0 }, 'sweepEveryWrites'],
      [{ queryTimeout: 100 }, 'queryTimeout'],
    ];
    for (const [options, option] of cases) {
      const attempt = openPostgresStores('postgres://nobody@127.0.0.1:1/none', options as never);
      await expect(attempt).rejects.toBeInstanceOf(ConfigurationError);
      await expect(attempt).rejects.toMatchObject({ option });
    }
    await expect(openPostgresStores('' as never)).rejects.toMatchObject({ option: 'connection' });
    await expect(openPostgresStores(42 as never)).rejects.toMatchObject({ option: 'connection' });
  });
});

describe('query plans at scale', () => {
  it('finds by digest and by id through unique indexes, and lists an owner through the owner index', async () => {
    const schema = uniqueSchema('plans');
    const stores = await openPostgresStores(pool, { schema });
    // Enough rows that the planner prefers the indexes.
    await pool.query(
      `INSERT INTO "${schema}".credentials (id, digest, strategy, kind, owner_id, label, hint, scopes, allowed_ips, attributes, created_at)
       SELECT 'id' || n, 'digest' || n, 'nvx-hash', 'api-key', 'owner' || (n % 1000), '', '', '[]', '[]', '{}', n
       FROM generate_series(1, 20000) AS n`,
    );
    await pool.query(`ANALYZE "${schema}".credentials`);
    const plan = async (sql: string, values: unknown[]): Promise<string> =>
      (await pool.query(`EXPLAIN ${sql}`, values)).rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n');
    expect(await plan(`SELECT * FROM "${schema}".credentials WHERE digest = $1`, ['digest5'])).toMatch(/Index Scan using credentials_digest/);
    expect(await plan(`SELECT * FROM "${schema}".credentials WHERE id = $1`, ['id5'])).toMatch(/Index Scan using credentials_pkey/);
    expect(await plan(`SELECT * FROM "${schema}".credentials WHERE owner_id = $1`, ['owner5'])).toMatch(/credentials_owner/);
    expect((await stores.credentials.findByDigest('digest20000'))?.id).toBe('id20000');
    expect(await stores.credentials.listByOwner('owner7')).toHaveLength(20);
  });
});
