import { AuthError } from '@gatehouse/auth-core';
import { hashPassword, verifyPassword } from '@gatehouse/auth-core/crypto';
import type { DemoConfig } from './config.js';

/** The roles of the demo's own user directory. */
export type AccountRole = 'master' | 'sub' | 'panel';

/** A demo login account (the application's users, not a Gatehouse credential). */
export interface Account {
  readonly id: number;
  readonly login: string;
  readonly role: AccountRole;
  /** The master user a sub-user belongs to. */
  readonly parentId: number | null;
  readonly createdAt: number;
}

/** The minimal database surface the directory needs (a better-sqlite3 Database satisfies it). */
export interface SqlDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): {
    run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
  };
}

interface AccountRow {
  id: number;
  login: string;
  role: AccountRole;
  parent_id: number | null;
  password_hash: string;
  created_at: number;
}

/**
 * Runs a database call of the demo's own tables. A failing database is `STORE_UNAVAILABLE` (HTTP 503 in every
 * scheme's envelope, as the route kits answer it), never mistaken for a bug (`INTERNAL_ERROR`) or a wrong password.
 *
 * @example
 * ```ts
 * const row = fromDatabase(() => byLogin.get(login));
 * ```
 */
export function fromDatabase<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw new AuthError('STORE_UNAVAILABLE', { cause: error });
  }
}

const toAccount = (row: AccountRow): Account =>
  Object.freeze({ id: row.id, login: row.login, role: row.role, parentId: row.parent_id, createdAt: row.created_at });

/** The demo's user directory, kept in the same SQLite file as the credentials. */
export interface AccountDirectory {
  /** Creates the three demo accounts when the directory is empty; returns the accounts it created. */
  createDemoAccounts(config: DemoConfig, now: number): Promise<Account[]>;
  /** Throws `AuthError('STORE_UNAVAILABLE')` when the database fails (so do the methods below). */
  list(): Account[];
  findById(id: number): Account | null;
  /**
   * Checks a login and password. Unknown logins cost one scrypt too, so timing does not tell a wrong login
   * from a wrong password. The password check of every login form and route kit.
   */
  verifyLogin(login: string, password: string): Promise<Account | null>;
}

/** Opens (and migrates) the demo's account table. */
export function openAccountDirectory(database: SqlDatabase, passwordCostExponent: number): AccountDirectory {
  database.exec(`
    CREATE TABLE IF NOT EXISTS demo_accounts (
      id INTEGER PRIMARY KEY,
      login TEXT NOT NULL UNIQUE,
      role TEXT NOT NULL CHECK (role IN ('master', 'sub', 'panel')),
      parent_id INTEGER REFERENCES demo_accounts(id),
      password_hash TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`);
  const insert = database.prepare(
    'INSERT INTO demo_accounts (login, role, parent_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const byLogin = database.prepare('SELECT * FROM demo_accounts WHERE login = ?');
  const byId = database.prepare('SELECT * FROM demo_accounts WHERE id = ?');
  const all = database.prepare('SELECT * FROM demo_accounts ORDER BY id');
  const count = database.prepare('SELECT COUNT(*) AS n FROM demo_accounts');
  let dummyHash: Promise<string> | undefined;

  return {
    async createDemoAccounts(config, now) {
      if ((count.get() as { n: number }).n > 0) return [];
      const cost = { costExponent: config.passwordCostExponent };
      const [masterHash, subHash, panelHash] = await Promise.all([
        hashPassword(config.accounts.master.password, cost),
        hashPassword(config.accounts.sub.password, cost),
        hashPassword(config.accounts.panel.password, cost),
      ]);
      if ((count.get() as { n: number }).n > 0) return [];
      database.exec('BEGIN IMMEDIATE');
      try {
        const master = Number(insert.run(config.accounts.master.login, 'master', null, masterHash, now).lastInsertRowid);
        insert.run(config.accounts.sub.login, 'sub', master, subHash, now);
        insert.run(config.accounts.panel.login, 'panel', null, panelHash, now);
        database.exec('COMMIT');
      } catch (error) {
        database.exec('ROLLBACK');
        throw error;
      }
      return (all.all() as AccountRow[]).map(toAccount);
    },
    list() {
      return (fromDatabase(() => all.all()) as AccountRow[]).map(toAccount);
    },
    findById(id) {
      const row = fromDatabase(() => byId.get(id)) as AccountRow | undefined;
      return row === undefined ? null : toAccount(row);
    },
    async verifyLogin(login, password) {
      if (typeof login !== 'string' || typeof password !== 'string' || login.length > 255 || password.length > 1024) {
        return null;
      }
      const row = fromDatabase(() => byLogin.get(login)) as AccountRow | undefined;
      if (row === undefined) {
        dummyHash ??= hashPassword('gatehouse-dummy-password', { costExponent: passwordCostExponent });
        await verifyPassword(password, await dummyHash);
        return null;
      }
      return (await verifyPassword(password, row.password_hash)) ? toAccount(row) : null;
    },
  };
}
