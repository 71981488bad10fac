import { existsSync, readFileSync } from 'node:fs';
import { ConfigurationError, createManualClock } from '@gatehouse/auth-core';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { newRecord, removeTemporaryFolders, temporaryDatabasePath } from './fixtures/helpers.js';
import { openSqliteStores, SQLITE_SCHEMA_VERSION, type SqliteStoresOptions } from './index.js';
import { migrate } from './schema.js';

afterAll(removeTemporaryFolders);

function schemaObjects(db: Database.Database): string[] {
  return (
    db.prepare("SELECT type || ' ' || name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY 1").pluck().all() as string[]
  );
}

describe('options', () => {
  it.each<[string, unknown, unknown]>([
    ['path', '', {}],
    ['path', 42, {}],
    ['options', ':memory:', null],
    ['clock', ':memory:', { clock: {} }],
    ['clock', ':memory:', { clock: null }],
    ['touchIntervalInSeconds', ':memory:', { touchIntervalInSeconds: -1 }],
    ['touchIntervalInSeconds', ':memory:', { touchIntervalInSeconds: Number.NaN }],
    ['touchIntervalInSeconds', ':memory:', { touchIntervalInSeconds: '60' }],
    ['busyTimeoutInMilliseconds', ':memory:', { busyTimeoutInMilliseconds: -1 }],
    ['busyTimeoutInMilliseconds', ':memory:', { busyTimeoutInMilliseconds: 1.5 }],
    ['busyTimeoutInMilliseconds', ':memory:', { busyTimeoutInMilliseconds: 2 ** 31 }],
    ['sweepEveryWrites', ':memory:', { sweepEveryWrites: 0 }],
    ['sweepEveryWrites', ':memory:', { sweepEveryWrites: 2.5 }],
  ])('rejects an invalid `%s` at construction with a ConfigurationError naming it', (option, path, options) => {
    const open = (): unknown => openSqliteStores(path as string, options as SqliteStoresOptions);
    expect(open).toThrow(ConfigurationError);
    expect(open).toThrow(`\`${option}\``);
    try {
      open();
    } catch (error) {
      expect((error as ConfigurationError).option).toBe(option);
    }
  });

  it('accepts valid options, including a touch interval of 0 and a busy timeout of 0', () => {
    const stores = openSqliteStores(':memory:', {
      clock: createManualClock(0),
      touchIntervalInSeconds: 0,
      busyTimeoutInMilliseconds: 0,
      sweepEveryWrites: 1,
    });
    expect(stores.database.pragma('busy_timeout', { simple: true })).toBe(0);
    stores.close();
  });
});

describe('opening', () => {
  it('sets journal_mode WAL, synchronous NORMAL, foreign_keys ON and the busy timeout on a file', () => {
    const stores = openSqliteStores(temporaryDatabasePath(), { busyTimeoutInMilliseconds: 1234 });
    const pragma = (name: string): unknown => stores.database.pragma(name, { simple: true });
    expect(pragma('journal_mode')).toBe('wal');
    expect(pragma('synchronous')).toBe(1); // NORMAL
    expect(pragma('foreign_keys')).toBe(1);
    expect(pragma('busy_timeout')).toBe(1234);
    stores.close();
  });

  it('opens :memory: with the same schema and a short default busy timeout (25 ms): a locked write fails fast', () => {
    const stores = openSqliteStores(':memory:');
    expect(stores.database.memory).toBe(true);
    expect(stores.database.pragma('busy_timeout', { simple: true })).toBe(25);
    expect(stores.database.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    expect(schemaObjects(stores.database)).toEqual([
      'index credentials_digest',
      'index credentials_owner',
      'index credentials_parent',
      'index ephemeral_expires_at',
      'table credentials',
      'table ephemeral',
      'table health_probe',
    ]);
    stores.close();
  });

  it('throws a clear error when the file cannot be opened', () => {
    expect(() => openSqliteStores('/nonexistent-folder/for/sure/gatehouse.db')).toThrow(/unable to open|directory does not exist/i);
  });
});

describe('migrations', () => {
  it('migrations run once: user_version becomes 2 and reopening is a no-op that keeps the data', async () => {
    const path = temporaryDatabasePath();
    const first = openSqliteStores(path);
    expect(SQLITE_SCHEMA_VERSION).toBe(2);
    expect(first.database.pragma('user_version', { simple: true })).toBe(2);
    const record = newRecord();
    await first.credentials.insert(record);
    const schema = schemaObjects(first.database);
    first.close();

    // Another connection holds the write lock: a reopen that tried to migrate would fail with SQLITE_BUSY.
    const writer = new Database(path);
    writer.exec('BEGIN IMMEDIATE');
    const second = openSqliteStores(path, { busyTimeoutInMilliseconds: 0 });
    expect(second.database.pragma('user_version', { simple: true })).toBe(2);
    expect(schemaObjects(second.database)).toEqual(schema);
    expect(await second.credentials.findById(record.id)).not.toBeNull();
    migrate(second.database, path); // running the migrations again is a no-op too
    await expect(second.credentials.insert(newRecord())).rejects.toThrow(/locked|busy/i); // the lock is real
    writer.exec('ROLLBACK');
    writer.close();
    second.close();
  });

  it('brings a database of the first release (version 1) to version 2, keeping its records and counters', async () => {
    const path = temporaryDatabasePath();
    const first = openSqliteStores(path);
    const record = newRecord();
    await first.credentials.insert(record);
    await first.ephemeral.increment('failures:10.0.0.1', 900);
    // What a version-1 file looks like: no health_probe table.
    first.database.exec('DROP TABLE health_probe');
    first.database.pragma('user_version = 1');
    first.close();

    const second = openSqliteStores(path);
    expect(second.database.pragma('user_version', { simple: true })).toBe(2);
    expect(await second.credentials.findById(record.id)).not.toBeNull();
    expect(await second.ephemeral.get('failures:10.0.0.1')).toBe(1);
    expect(await second.credentials.health()).toEqual({ status: 'ok' });
    second.close();
  });

  it('refuses a database whose schema is newer than the code, with a clear message, and leaves it unchanged', () => {
    const path = temporaryDatabasePath();
    const raw = new Database(path);
    raw.exec("CREATE TABLE future (x); INSERT INTO future VALUES ('keep me')");
    raw.pragma('user_version = 99');
    raw.close();
    const before = readFileSync(path);

    expect(() => openSqliteStores(path)).toThrow(
      /schema version 99, but this version of @gatehouse\/store-sqlite only knows versions up to 2.*upgrade/s,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(99);
    expect(check.prepare('SELECT x FROM future').pluck().get()).toBe('keep me');
    check.close();
  });

  it('rolls a failed migration back without touching existing data', () => {
    const path = temporaryDatabasePath();
    const raw = new Database(path);
    raw.exec("CREATE TABLE credentials (unrelated TEXT); INSERT INTO credentials VALUES ('keep me')");
    raw.close();

    expect(() => openSqliteStores(path)).toThrow(/schema migration 1 failed.*rolled back.*already exists/s);
    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(0);
    expect(check.prepare('SELECT unrelated FROM credentials').pluck().all()).toEqual(['keep me']);
    expect(schemaObjects(check)).toEqual(['table credentials']); // no half-made ephemeral table
    check.close();
  });
});

describe('durability and errors', () => {
  it('keeps credentials and ephemeral values across close and reopen', async () => {
    const path = temporaryDatabasePath();
    const clock = createManualClock(0);
    const first = openSqliteStores(path, { clock });
    const record = newRecord({ attributes: { listable: true } });
    await first.credentials.insert(record);
    await first.credentials.touch(record.id, 5);
    await first.ephemeral.setIfAbsent('nonce', 60);
    await first.ephemeral.increment('rate', 60);
    await first.ephemeral.increment('rate', 60);
    first.close();
    expect(existsSync(path)).toBe(true);

    const second = openSqliteStores(path, { clock });
    expect(await second.credentials.findByDigest(record.digest)).toEqual({ ...record, lastUsedAt: 5, revokedAt: null });
    expect(await second.ephemeral.setIfAbsent('nonce', 60)).toBe(false);
    expect(await second.ephemeral.get('rate')).toBe(2);
    second.close();
  });

  it('close is idempotent, and every method called after it rejects instead of throwing', async () => {
    const stores = openSqliteStores(':memory:');
    stores.close();
    expect(() => stores.close()).not.toThrow();
    const { credentials, ephemeral } = stores;
    const calls: Array<() => Promise<unknown>> = [
      () => credentials.insert(newRecord()),
      () => credentials.insert(newRecord(), { maxActivePerOwner: 1, now: 0 }),
      () => credentials.findByDigest('d'),
      () => credentials.findById('i'),
      () => credentials.listByOwner('o'),
      () => credentials.update('i', { label: 'x' }),
      () => credentials.revoke('i', 1),
      () => credentials.touch('i', 1),
      () => credentials.deleteInactive(1),
      () => ephemeral.setIfAbsent('k', 1),
      () => ephemeral.increment('k', 1),
      () => ephemeral.setIfGreater('k', 1, 1),
      () => ephemeral.get('k'),
      () => ephemeral.delete('k'),
    ];
    for (const call of calls) {
      let pending: Promise<unknown> | undefined;
      expect(() => {
        pending = call();
      }).not.toThrow();
      await expect(pending).rejects.toThrow(/not open/);
    }
  });

  it('rejects a touch after close even when the debounce would have skipped it', async () => {
    const stores = openSqliteStores(':memory:');
    const record = newRecord();
    await stores.credentials.insert(record);
    await stores.credentials.touch(record.id, 1_000);
    await stores.credentials.touch(record.id, 1_001); // skipped without asking SQLite
    stores.close();
    await expect(stores.credentials.touch(record.id, 1_002)).rejects.toThrow(/not open/);
  });

  it('turns an SQLite error into a rejected promise', async () => {
    const stores = openSqliteStores(':memory:');
    const broken = { ...newRecord(), label: null } as unknown as Parameters<typeof stores.credentials.insert>[0];
    await expect(stores.credentials.insert(broken)).rejects.toThrow(/NOT NULL/);
    stores.close();
  });
});
