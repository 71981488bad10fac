import { ConfigurationError, type AuthEventListener, type FailureThrottleSetting } from '@gatehouse/auth-core';
import type { CredentialOptions, StrategyGuardOptions } from '@gatehouse/auth-core/strategy';

/**
 * The strategy id, stored with every access hash.
 *
 * @example
 * ```ts
 * const records = await store.listByOwner('admin', { strategy: ACCESS_HASH_STRATEGY_ID });
 * ```
 */
export const ACCESS_HASH_STRATEGY_ID = 'access-hash-cookie';
/**
 * The kind of credential this package issues.
 *
 * @example
 * ```ts
 * if (auth.credential.kind === ACCESS_HASH_KIND) console.log('an access hash');
 * ```
 */
export const ACCESS_HASH_KIND = 'access-hash';
/**
 * An access hash is 40 random bytes, 80 lower-case hex characters, as the example hash of the
 * PUQ VPN control panel (PUQVPNCP) documentation, "API Access Hashs" (revision 8, 2023-10-16).
 *
 * @example
 * ```ts
 * const hashLength = ACCESS_HASH_BYTES * 2; // 80
 * ```
 */
export const ACCESS_HASH_BYTES = 40;
/**
 * The cookie the PUQ VPN control panel's "API Access Hashs" documentation names: `access_hash`.
 *
 * @example
 * ```ts
 * const hash = request.cookie(ACCESS_HASH_DEFAULT_COOKIE);
 * ```
 */
export const ACCESS_HASH_DEFAULT_COOKIE = 'access_hash';

/**
 * Options of the verifying strategy {@link accessHashCookie}.
 *
 * @example
 * ```ts
 * const options: AccessHashCookieOptions = { store, cookieName: 'access_hash' };
 * ```
 */
export interface AccessHashCookieOptions extends CredentialOptions, StrategyGuardOptions {
  /** The cookie that carries the hash. Default `access_hash`. */
  readonly cookieName?: string;
  /**
   * Refuse an IP after `maxFailures` rejected hashes in `windowInSeconds` and, with `maxFailuresPerCredential`,
   * a hash after that many uses from IPs it is not bound to, with HTTP 429. Off unless given.
   */
  readonly failureThrottle?: FailureThrottleSetting;
}

/**
 * Options of the management face {@link createAccessHashManager}.
 *
 * @example
 * ```ts
 * const options: AccessHashManagerOptions = { store, maxHashesPerOwner: 50 };
 * ```
 */
export interface AccessHashManagerOptions extends CredentialOptions {
  /** Live access hashes per owner. Default 100. */
  readonly maxHashesPerOwner?: number;
  /** Receives a `credential-created` event for each hash issued and a `credential-revoked` event for each revoked. */
  readonly onEvent?: AuthEventListener;
}

/**
 * Checks a cookie name: an RFC 6265 token.
 *
 * @example
 * ```ts
 * resolveCookieName(undefined); // 'access_hash'
 * ```
 */
export function resolveCookieName(cookieName: string | undefined): string {
  const name = cookieName ?? ACCESS_HASH_DEFAULT_COOKIE;
  if (typeof name !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
    throw new ConfigurationError('cookieName', 'must be a cookie name (an RFC 6265 token)');
  }
  return name;
}
