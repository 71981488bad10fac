import { AuthError } from '@gatehouse/auth-core';
import { openSqliteStores } from '@gatehouse/store-sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { openAccountDirectory, type SqlDatabase } from './accounts.js';
import { loadConfig } from './config.js';
import { openVpnAccountStore } from './vpn-accounts.js';

const opened: { close(): void }[] = [];
afterEach(() => {
  for (const stores of opened.splice(0)) stores.close();
});

/** A real SQLite database whose statements throw, as a failing disk does, while `failing.now` is true. */
function breakableDatabase(): { database: SqlDatabase; failing: { now: boolean } } {
  const stores = openSqliteStores(':memory:');
  opened.push(stores);
  const failing = { now: false };
  const fail = (): never => {
    throw Object.assign(new Error('SQLITE_IOERR: disk I/O error'), { code: 'SQLITE_IOERR' });
  };
  const database: SqlDatabase = {
    exec: (sql) => stores.database.exec(sql),
    prepare(sql) {
      const statement = stores.database.prepare(sql);
      return {
        run: (...params) => (failing.now ? fail() : statement.run(...params)),
        get: (...params) => (failing.now ? fail() : statement.get(...params)),
        all: (...params) => (failing.now ? fail() : statement.all(...params)),
      };
    },
  };
  return { database, failing };
}

const isStoreUnavailable = (error: unknown): boolean => error instanceof AuthError && error.code === 'STORE_UNAVAILABLE';

describe("the demo's own stores", () => {
  it('the password check throws AuthError STORE_UNAVAILABLE when its database fails (what the route kits answer with 503), and answers null for a wrong password otherwise', async () => {
    const { database, failing } = breakableDatabase();
    const accounts = openAccountDirectory(database, 10);
    await accounts.createDemoAccounts({ ...loadConfig({ GATEHOUSE_DB: ':memory:', GATEHOUSE_KEK: 'ab'.repeat(32) }), passwordCostExponent: 10 }, Date.now());
    expect(await accounts.verifyLogin('demo', 'demo-password')).toMatchObject({ login: 'demo', role: 'master' });
    expect(await accounts.verifyLogin('demo', 'wrong')).toBeNull();
    expect(await accounts.verifyLogin('nobody', 'demo-password')).toBeNull();

    failing.now = true;
    await expect(accounts.verifyLogin('demo', 'demo-password')).rejects.toSatisfy(isStoreUnavailable);
    await expect(accounts.verifyLogin('nobody', 'x')).rejects.toSatisfy(isStoreUnavailable);
    expect(() => accounts.findById(1)).toThrow(AuthError);
    expect(() => accounts.list()).toThrow(expect.objectContaining({ code: 'STORE_UNAVAILABLE' }));

    failing.now = false;
    expect(accounts.findById(1)).toMatchObject({ login: 'demo' });
  });

  it('every VPN account method throws AuthError STORE_UNAVAILABLE when the database fails; a taken username stays an answer', async () => {
    const { database, failing } = breakableDatabase();
    const vpn = openVpnAccountStore(database);
    const created = await vpn.create({ username: 'alice', enabled: true }, 1);
    expect(created).toMatchObject({ type: 'ok', account: { username: 'alice' } });
    expect(await vpn.create({ username: 'alice', enabled: false }, 2)).toEqual({ type: 'username-taken' });

    failing.now = true;
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

    failing.now = false;
    expect(await vpn.counts()).toEqual({ total: 1, enabled: 1 });
  });
});
