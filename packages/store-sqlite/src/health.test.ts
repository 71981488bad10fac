import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTemporaryFolders, temporaryDatabasePath } from './fixtures/helpers.js';
import { openSqliteStores } from './index.js';

afterAll(removeTemporaryFolders);

describe('health()', () => {
  it('is ok on a working database and records the probe as a committed write', async () => {
    const path = temporaryDatabasePath();
    const stores = openSqliteStores(path, { clock: { now: () => 1_234 } });
    expect(await stores.credentials.health()).toEqual({ status: 'ok' });
    expect(await stores.ephemeral.health()).toEqual({ status: 'ok' });
    const reader = new Database(path, { readonly: true });
    expect(reader.prepare('SELECT checked_at FROM health_probe').pluck().get()).toBe(1_234);
    reader.close();
    stores.close();
  });

  it('is unavailable, naming the cause, when every write fails but reads still work (a read-only database)', async () => {
    const stores = openSqliteStores(temporaryDatabasePath());
    stores.database.pragma('query_only = ON');
    expect(await stores.credentials.findByDigest('x')).toBeNull(); // reads work: a read probe would say ok
    const health = await stores.credentials.health();
    expect(health).toEqual({ status: 'unavailable', reason: expect.stringMatching(/^SQLite: .*readonly/) });
    expect(await stores.ephemeral.health()).toEqual(health);
    stores.database.pragma('query_only = OFF');
    expect(await stores.credentials.health()).toEqual({ status: 'ok' }); // and recovers with the database
    stores.close();
  });

  it('is unavailable within the busy timeout while another connection holds the write lock, then ok again', async () => {
    const path = temporaryDatabasePath();
    const stores = openSqliteStores(path, { busyTimeoutInMilliseconds: 0 });
    const writer = new Database(path);
    writer.exec('BEGIN IMMEDIATE');
    expect(await stores.ephemeral.health()).toEqual({ status: 'unavailable', reason: expect.stringMatching(/locked/) });
    writer.exec('ROLLBACK');
    writer.close();
    expect(await stores.ephemeral.health()).toEqual({ status: 'ok' });
    stores.close();
  });

  it('is unavailable, not a rejection, after close()', async () => {
    const stores = openSqliteStores(':memory:');
    stores.close();
    await expect(stores.credentials.health()).resolves.toEqual({ status: 'unavailable', reason: expect.stringMatching(/not open/) });
  });
});
