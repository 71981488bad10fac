import { AuthError } from '@gatehouse/auth-core';
import { openSqliteStores } from '@gatehouse/store-sqlite';
import { startPostgres, type PostgresServer } from '@gatehouse/test-servers';
import type Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openAccountDirectory } from './accounts.js';
import { loadConfig } from './config.js';
import { postgresDemoSql, sqliteDemoSql, type DemoSql } from './sql.js';
import { openVpnAccountStore } from './vpn-accounts.js';

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const resource of opened.splice(0)) await resource.close();
});

/** A database the test can break and mend: its calls fail, as on a failing disk or a stopped server, while broken. */
interface Breakable {
  readonly sql: DemoSql;
  break(): Promise<void>;
  mend(): Promise<void>;
}

/** A real SQLite database whose statements throw while broken. */
function breakableSqlite(): Breakable {
  const stores = openSqliteStores(':memory:');
  opened.push(stores);
  let broken = false;
  const database = new Proxy(stores.database, {
    get(target, property) {
      if (property === 'prepare' && broken) {
        return () => {
          throw Object.assign(new Error('SQLITE_IOERR: disk I/O error'), { code: 'SQLITE_IOERR' });
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Database.Database;
  return {
    sql: sqliteDemoSql(database),
    break: async () => void (broken = true),
    mend: async () => void (broken = false),
  };
}

let postgres: PostgresServer;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(() => postgres.close());

let databases = 0;
/** A fresh database on a real PostgreSQL server that the test stops and starts again. */
async function breakablePostgres(): Promise<Breakable> {
  databases += 1;
  const name = `demo_${databases}`;
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: postgres.url.replace(/\/postgres$/, `/${name}`), connectionTimeoutMillis: 1000 });
  pool.on('error', () => undefined);
  opened.push({ close: () => pool.end() });
  return { sql: postgresDemoSql(pool, 1000), break: () => postgres.stop(), mend: () => postgres.start() };
}

const isStoreUnavailable = (error: unknown): boolean => error instanceof AuthError && error.code === 'STORE_UNAVAILABLE';

describe.each([
  ['SQLite', breakableSqlite],
  ['PostgreSQL', breakablePostgres],
] as const)("the demo's own tables on %s", (_engine, open) => {
  it('the password check throws AuthError STORE_UNAVAILABLE when its database fails (what the route kits answer with 503), and answers null for a wrong password otherwise', async () => {
    const database = await open();
    const accounts = await openAccountDirectory(database.sql, 10);
    const config = { ...loadConfig({ GATEHOUSE_DB: ':memory:', GATEHOUSE_KEK: 'ab'.repeat(32) }), passwordCostExponent: 10 };
    expect((await accounts.createDemoAccounts(config, Date.now())).map((account) => account.login)).toEqual(['demo', 'demo-sub', 'admin']);
    expect(await accounts.createDemoAccounts(config, Date.now())).toEqual([]);
    const [master, sub] = await accounts.list();
    expect(sub?.parentId).toBe(master?.id);
    expect(await accounts.verifyLogin('demo', 'demo-password')).toMatchObject({ login: 'demo', role: 'master' });
    expect(await accounts.verifyLogin('demo', 'wrong')).toBeNull();
    expect(await accounts.verifyLogin('nobody', 'demo-password')).toBeNull();

    await database.break();
    await expect(accounts.verifyLogin('demo', 'demo-password')).rejects.toSatisfy(isStoreUnavailable);
    await expect(accounts.verifyLogin('nobody', 'x')).rejects.toSatisfy(isStoreUnavailable);
    await expect(accounts.findById(1)).rejects.toSatisfy(isStoreUnavailable);
    await expect(accounts.list()).rejects.toSatisfy(isStoreUnavailable);

    await database.mend();
    expect(await accounts.findById(master?.id ?? 0)).toMatchObject({ login: 'demo' });
  }, 30_000);

  it('every VPN account method throws AuthError STORE_UNAVAILABLE when the database fails; a taken username stays an answer', async () => {
    const database = await open();
    const vpn = await openVpnAccountStore(database.sql);
    const created = await vpn.create({ username: 'alice', enabled: true }, 1);
    expect(created).toMatchObject({ type: 'ok', account: { username: 'alice', enabled: true, createdAt: 1, updatedAt: 1 } });
    expect(await vpn.create({ username: 'alice', enabled: false }, 2)).toEqual({ type: 'username-taken' });
    expect(await vpn.update(99, { enabled: false }, 2)).toEqual({ type: 'not-found' });
    expect(await vpn.counts()).toEqual({ total: 1, enabled: 1 });

    await database.break();
    for (const [name, call] of [
      ['list', () => vpn.list()],
      ['findById', () => vpn.findById(1)],
      ['create', () => vpn.create({ username: 'bob', enabled: true }, 3)],
      ['update', () => vpn.update(1, { enabled: false }, 3)],
      ['delete', () => vpn.delete(1)],
      ['counts', () => vpn.counts()],
    ] as const) {
      await expect(call(), name).rejects.toSatisfy(isStoreUnavailable);
    }

    await database.mend();
    expect(await vpn.counts()).toEqual({ total: 1, enabled: 1 });
  }, 30_000);
});
