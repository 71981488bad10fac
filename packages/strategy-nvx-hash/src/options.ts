import { ConfigurationError, type AuthEventListener, type FailureThrottleSetting } from '@gatehouse/auth-core';
import type { CredentialOptions, StrategyGuardOptions } from '@gatehouse/auth-core/strategy';
import type { SecretSealer } from '@gatehouse/auth-core/crypto';

/**
 * The strategy id, stored with every credential this package issues.
 *
 * @example
 * ```ts
 * const keys = await store.listByOwner(userId, { strategy: NVX_STRATEGY_ID, kind: 'api-key', activeAt: Date.now() });
 * ```
 */
export const NVX_STRATEGY_ID = 'nvx-hash';
/**
 * A hash is 16 random bytes, 32 hex characters, such as `22eac1c27af4be7b9d04da2ce1af111b` in the Navixy API docs,
 * "Authentication" (https://www.navixy.com/docs/navixy-api/user-api/authentication).
 *
 * @example
 * ```ts
 * import { isHexString } from '@gatehouse/auth-core/crypto';
 * isHexString('22eac1c27af4be7b9d04da2ce1af111b', NVX_HASH_BYTES * 2); // true: the shape of a hash
 * ```
 */
export const NVX_HASH_BYTES = 16;
/**
 * Navixy's limit of API keys per user (Navixy API docs, "Authentication":
 * https://www.navixy.com/docs/navixy-api/user-api/authentication); what `maxApiKeysPerUser` defaults to.
 *
 * @example
 * ```ts
 * // Allow twice Navixy's limit.
 * const manager = createNvxHashManager({ store, maxApiKeysPerUser: 2 * NVX_DEFAULT_MAX_API_KEYS });
 * ```
 */
export const NVX_DEFAULT_MAX_API_KEYS = 20;

/**
 * The kinds of hash: API keys never expire; user sessions come from `user/auth`; panel sessions from
 * `panel/account/auth` and are valid only under `/panel/`.
 *
 * @example
 * ```ts
 * const kind: NvxCredentialKind = 'api-key';
 * ```
 */
export type NvxCredentialKind = 'api-key' | 'user-session' | 'panel-session';

/**
 * The kind of account a hash belongs to. Sub-users have no API keys (Navixy API docs, "Authentication":
 * https://www.navixy.com/docs/navixy-api/user-api/authentication).
 *
 * @example
 * ```ts
 * const type: NvxAccountType = 'sub';
 * ```
 */
export type NvxAccountType = 'master' | 'sub' | 'panel';

/**
 * The key-management and session routes, relative to `basePath`, where a user session hash is accepted by
 * default. Navixy recommends API keys for every other call and keeps session hashes for signing in and managing
 * keys (Navixy API docs, "Authentication": https://www.navixy.com/docs/navixy-api/user-api/authentication; Navixy
 * docs Q&A, "User session hash vs admin panel hash vs API key":
 * https://navixy.com/docs/qna/apis/user-session-hash-vs-admin-panel-hash-vs-api-key).
 *
 * @example
 * ```ts
 * NVX_DEFAULT_USER_SESSION_PATHS.includes('/api/key/create'); // true
 * ```
 */
export const NVX_DEFAULT_USER_SESSION_PATHS: readonly string[] = Object.freeze([
  '/api/key/create',
  '/api/key/list',
  '/api/key/delete',
  '/user/session/renew',
  '/user/logout',
]);

/**
 * Options of the verifying strategy {@link nvxHash}.
 *
 * @example
 * ```ts
 * const options: NvxHashOptions = { store, allowQueryHash: false };
 * ```
 */
export interface NvxHashOptions extends CredentialOptions, StrategyGuardOptions {
  /** The API's base path. Default `/v2`. Panel routes are those under `<basePath>/panel/`. */
  readonly basePath?: string;
  /**
   * Accept a hash in the query string (`?hash=`). Default `false`: the Navixy API docs, "Authentication"
   * (https://www.navixy.com/docs/navixy-api/user-api/authentication), allow it for testing only, and credentials
   * in URLs end up in logs (OWASP ASVS 14.2.1). When off, a query hash is rejected
   * rather than ignored, so a client relying on it learns why.
   */
  readonly allowQueryHash?: boolean;
  /**
   * Where user session hashes are accepted: `key-management` (default; only `userSessionPaths`) or
   * `everywhere` (every user route, as Navixy did before deprecating session hashes for the API).
   */
  readonly userSessionScope?: 'key-management' | 'everywhere';
  /** Paths (relative to `basePath`) that accept a user session hash. Default {@link NVX_DEFAULT_USER_SESSION_PATHS}. */
  readonly userSessionPaths?: readonly string[];
  /** Refuse an IP after `maxFailures` rejected hashes in `windowInSeconds` (code 15). Off unless given. */
  readonly failureThrottle?: FailureThrottleSetting;
}

/**
 * Options of the management face {@link createNvxHashManager}.
 *
 * @example
 * ```ts
 * const options: NvxHashManagerOptions = { store, listing: { mode: 'revealable', sealer } };
 * ```
 */
export interface NvxHashManagerOptions extends CredentialOptions {
  /**
   * How the manager's `list` shows hashes: `masked` (default: the first 4 characters, then `*`) or `revealable` (the
   * full hash, as Navixy's UI shows it; keys are then also stored sealed under the key-encryption key).
   */
  readonly listing?: { readonly mode: 'masked' } | { readonly mode: 'revealable'; readonly sealer: SecretSealer };
  /** Live API keys per master user. Default 20, Navixy's limit. */
  readonly maxApiKeysPerUser?: number;
  /** Lifetime of a user session hash, renewable. Default 30 days. */
  readonly userSessionMaxAgeInSeconds?: number;
  /** Lifetime of a panel session hash, renewable. Default 1 day: a panel hash can do everything. */
  readonly panelSessionMaxAgeInSeconds?: number;
  /**
   * Receives a `credential-created` event for each hash issued (keys and sessions) and a `credential-revoked` event for
   * each revoked.
   */
  readonly onEvent?: AuthEventListener;
}

/** Checks a positive whole number of seconds. */
export function positiveSeconds(value: number | undefined, fallback: number, option: string): number {
  const seconds = value ?? fallback;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) throw new ConfigurationError(option, 'must be a positive whole number of seconds');
  return seconds;
}

/** Normalises a base path option: leading slash, no trailing slash. */
export function resolveBasePath(basePath: string | undefined): string {
  const value = basePath ?? '/v2';
  if (typeof value !== 'string' || !/^(\/[A-Za-z0-9._~-]+)*\/?$/.test(value)) {
    throw new ConfigurationError('basePath', 'must be a path such as /v2');
  }
  return value.replace(/\/+$/, '').toLowerCase();
}
