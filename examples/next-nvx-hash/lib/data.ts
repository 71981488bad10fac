// The demo's accounts and resources: in your application they come from your own database.
import { hashPassword, verifyPassword } from '@gatehouse/auth-core/crypto';

/** An account as your user store keeps it: what the route kit needs to know, and the password's scrypt hash. */
interface StoredAccount<A> {
  readonly account: A;
  readonly passwordHash: string;
}

/** Navixy users: a master user (may create API keys) and a sub-user. */
export const users = new Map<string, StoredAccount<{ id: string; accountType: 'master' | 'sub' }>>([
  ['demo', { account: { id: '1', accountType: 'master' }, passwordHash: await hashPassword('demo-password') }],
  ['demo-sub', { account: { id: '2', accountType: 'sub' }, passwordHash: await hashPassword('demo-password') }],
]);

/** Admin panel accounts. */
export const panelAccounts = new Map<string, StoredAccount<{ id: string }>>([
  ['admin', { account: { id: 'panel-1' }, passwordHash: await hashPassword('admin-password') }],
]);

const NO_SUCH_ACCOUNT = await hashPassword('no such account');

/**
 * The account whose login and password these are, or `null`. An unknown login is checked against a hash too, so
 * the time taken does not tell which logins exist.
 */
export async function checkPassword<A>(accounts: ReadonlyMap<string, StoredAccount<A>>, login: string, password: string): Promise<A | null> {
  const stored = accounts.get(login);
  const matches = await verifyPassword(password, stored?.passwordHash ?? NO_SUCH_ACCOUNT);
  return matches && stored !== undefined ? stored.account : null;
}

/** `tracker/list` (shaped like Navixy's, trimmed). */
export const trackers = [
  { id: 123451, label: 'Delivery van 1', group_id: 0, source: { device_id: '356173065441111', model: 'telfmb920', blocked: false } },
  { id: 123452, label: 'Delivery van 2', group_id: 0, source: { device_id: '356173065442222', model: 'telfmb920', blocked: false } },
  { id: 123453, label: 'Trailer 7', group_id: 1, source: { device_id: '862531040733333', model: 'qlgv300', blocked: true } },
];

/** `panel/tariff/list`. */
export const tariffs = [
  { id: 1, name: 'Basic', active: true, type: 'monitoring', price: 5, max_trackers: 10 },
  { id: 2, name: 'Fleet', active: true, type: 'monitoring', price: 9, max_trackers: 500 },
];
