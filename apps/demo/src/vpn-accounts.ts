import type { JsonValue } from '@gatehouse/auth-core';
import { formatAccessHashDate } from '@gatehouse/strategy-access-hash-cookie';
import { fromDatabase, type SqlDatabase } from './accounts.js';

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
 * The demo's VPN accounts, kept in the same SQLite file as the credentials. When the database fails every method
 * throws `AuthError('STORE_UNAVAILABLE')`, which the API answers with HTTP 503 in its envelope.
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

  /** A write; a username another account has is an answer, not a failure. */
  const write = (run: () => VpnAccountWrite): VpnAccountWrite =>
    fromDatabase(() => {
      try {
        return run();
      } catch (error) {
        if (isUniqueViolation(error)) return { type: 'username-taken' };
        throw error;
      }
    });

  // better-sqlite3 is synchronous; the methods are async so that callers treat them like any other store.
  return {
    async list() {
      return (fromDatabase(() => all.all()) as VpnAccountRow[]).map(toAccount);
    },
    async findById(id) {
      return fromDatabase(() => find(id));
    },
    async create(input, now) {
      return write(() => {
        const id = Number(insert.run(input.username, input.enabled ? 1 : 0, now, now).lastInsertRowid);
        const account = find(id);
        if (account === null) throw new Error('demo_vpn_accounts: inserted row not found');
        return { type: 'ok', account };
      });
    },
    async update(id, patch, now) {
      return write(() => {
        const enabled = patch.enabled === undefined ? null : patch.enabled ? 1 : 0;
        const changed = update.run(patch.username ?? null, enabled, now, id).changes;
        const account = changed === 0 ? null : find(id);
        return account === null ? { type: 'not-found' } : { type: 'ok', account };
      });
    },
    async delete(id) {
      return fromDatabase(() => remove.run(id).changes > 0);
    },
    async counts() {
      const row = fromDatabase(() => counts.get()) as { total: number; enabled: number };
      return { total: row.total, enabled: row.enabled };
    },
  };
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ACCOUNT_FIELDS = new Set(['username', 'enabled']);

/** A VPN account as the panel API shows it (dates as in "API Access Hashs": ISO 8601 with the offset). */
export function showVpnAccount(account: VpnAccount): { id: number; username: string; enabled: boolean; created: string; updated: string } {
  return {
    id: account.id,
    username: account.username,
    enabled: account.enabled,
    created: formatAccessHashDate(account.createdAt),
    updated: formatAccessHashDate(account.updatedAt),
  };
}

/** A VPN account id from the path, or `null` (answered 404 like an unknown id). */
export function parseVpnAccountId(text: string | undefined): number | null {
  if (text === undefined || !/^[1-9][0-9]{0,14}$/.test(text)) return null;
  return Number(text);
}

/**
 * Validates a VPN account body: only `username` (letters, digits, `._-`, at most 64) and `enabled`, each of the
 * right type; `create` needs the username, `update` at least one field. `null` for anything else.
 */
export function readVpnAccountFields(body: { readonly [key: string]: JsonValue }, mode: 'create' | 'update'): VpnAccountPatch | null {
  if (Object.keys(body).some((key) => !ACCOUNT_FIELDS.has(key))) return null;
  const { username, enabled } = body;
  if (username !== undefined && (typeof username !== 'string' || !USERNAME.test(username))) return null;
  if (enabled !== undefined && typeof enabled !== 'boolean') return null;
  if (mode === 'create' ? username === undefined : username === undefined && enabled === undefined) return null;
  return { ...(username === undefined ? {} : { username: username as string }), ...(enabled === undefined ? {} : { enabled: enabled as boolean }) };
}
