import type { SqlDatabase } from './accounts.js';

/** A VPN account of the demo's control panel (the resource behind `/api/v1/accounts`; not a login). */
export interface VpnAccount {
  readonly id: number;
  readonly username: string;
  readonly enabled: boolean;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What {@link VpnAccountStore.update} may change. */
export interface VpnAccountPatch {
  readonly username?: string;
  readonly enabled?: boolean;
}

/** The outcome of a write that can collide with an existing username. */
export type VpnAccountWrite =
  | { readonly type: 'ok'; readonly account: VpnAccount }
  | { readonly type: 'not-found' }
  | { readonly type: 'username-taken' };

/** Counts for `system/status`. */
export interface VpnAccountCounts {
  readonly total: number;
  readonly enabled: number;
}

/**
 * The demo's VPN accounts, kept in the same SQLite file as the credentials. Every method may throw when the
 * database fails; callers turn that into a 503.
 */
export interface VpnAccountStore {
  list(): Promise<VpnAccount[]>;
  findById(id: number): Promise<VpnAccount | null>;
  create(input: { readonly username: string; readonly enabled: boolean }, now: number): Promise<VpnAccountWrite>;
  update(id: number, patch: VpnAccountPatch, now: number): Promise<VpnAccountWrite>;
  /** `false` when there was no such account. */
  delete(id: number): Promise<boolean>;
  counts(): Promise<VpnAccountCounts>;
}

interface VpnAccountRow {
  id: number;
  username: string;
  enabled: number;
  created_at: number;
  updated_at: number;
}

const toAccount = (row: VpnAccountRow): VpnAccount =>
  Object.freeze({ id: row.id, username: row.username, enabled: row.enabled === 1, createdAt: row.created_at, updatedAt: row.updated_at });

const isUniqueViolation = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';

/** Opens (and migrates) the demo's VPN account table. */
export function openVpnAccountStore(database: SqlDatabase): VpnAccountStore {
  database.exec(`
    CREATE TABLE IF NOT EXISTS demo_vpn_accounts (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      username TEXT NOT NULL UNIQUE,
      enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`);
  const all = database.prepare('SELECT * FROM demo_vpn_accounts ORDER BY id');
  const byId = database.prepare('SELECT * FROM demo_vpn_accounts WHERE id = ?');
  const insert = database.prepare('INSERT INTO demo_vpn_accounts (username, enabled, created_at, updated_at) VALUES (?, ?, ?, ?)');
  const update = database.prepare(
    'UPDATE demo_vpn_accounts SET username = COALESCE(?, username), enabled = COALESCE(?, enabled), updated_at = ? WHERE id = ?',
  );
  const remove = database.prepare('DELETE FROM demo_vpn_accounts WHERE id = ?');
  const counts = database.prepare('SELECT COUNT(*) AS total, COALESCE(SUM(enabled), 0) AS enabled FROM demo_vpn_accounts');

  const find = (id: number): VpnAccount | null => {
    const row = byId.get(id) as VpnAccountRow | undefined;
    return row === undefined ? null : toAccount(row);
  };

  // better-sqlite3 is synchronous; the methods are async so that a thrown database error becomes a rejected
  // promise the routes handle like any other store failure.
  return {
    async list() {
      return (all.all() as VpnAccountRow[]).map(toAccount);
    },
    async findById(id) {
      return find(id);
    },
    async create(input, now) {
      try {
        const id = Number(insert.run(input.username, input.enabled ? 1 : 0, now, now).lastInsertRowid);
        const account = find(id);
        if (account === null) throw new Error('demo_vpn_accounts: inserted row not found');
        return { type: 'ok', account };
      } catch (error) {
        if (isUniqueViolation(error)) return { type: 'username-taken' };
        throw error;
      }
    },
    async update(id, patch, now) {
      try {
        const enabled = patch.enabled === undefined ? null : patch.enabled ? 1 : 0;
        const changed = update.run(patch.username ?? null, enabled, now, id).changes;
        const account = changed === 0 ? null : find(id);
        return account === null ? { type: 'not-found' } : { type: 'ok', account };
      } catch (error) {
        if (isUniqueViolation(error)) return { type: 'username-taken' };
        throw error;
      }
    },
    async delete(id) {
      return remove.run(id).changes > 0;
    },
    async counts() {
      const row = counts.get() as { total: number; enabled: number };
      return { total: row.total, enabled: row.enabled };
    },
  };
}
