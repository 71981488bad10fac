import {
  ConfigurationError,
  type AuthEventListener,
  type EphemeralStore,
  type FailureThrottleSetting,
} from '@gatehouse/auth-core';
import type { CredentialOptions, StrategyGuardOptions } from '@gatehouse/auth-core/strategy';
import { type SecretSealer } from '@gatehouse/auth-core/crypto';

/**
 * The strategy id, stored with every key and session this package issues.
 *
 * @example
 * ```ts
 * await store.listByOwner(userId, { strategy: HMAC_STRATEGY_ID });
 * ```
 */
export const HMAC_STRATEGY_ID = 'hmac-signature';
/**
 * APIKey: 16 random bytes, 32 hex characters.
 *
 * @example
 * ```ts
 * new RegExp(`^[0-9a-f]{${HMAC_API_KEY_BYTES * 2}}$`).test(apiKey);
 * ```
 */
export const HMAC_API_KEY_BYTES = 16;
/**
 * APISecret: 32 random bytes, 64 hex characters (an HMAC-SHA256 key of the hash's block-relevant size).
 *
 * @example
 * ```ts
 * apiSecret.length === HMAC_API_SECRET_BYTES * 2; // true for a secret this package issued
 * ```
 */
export const HMAC_API_SECRET_BYTES = 32;
/**
 * Session token (`aptoken`): 32 random bytes, 64 hex characters.
 *
 * @example
 * ```ts
 * session.token.length === HMAC_SESSION_TOKEN_BYTES * 2; // true
 * ```
 */
export const HMAC_SESSION_TOKEN_BYTES = 32;
/**
 * API keys whose opened secret the `AuthenticateUser` verifier keeps ready, by default.
 *
 * @example
 * ```ts
 * hmacSignature({ store, sealer, ephemeralStore, secretCacheSize: 4 * HMAC_DEFAULT_SECRET_CACHE_SIZE });
 * ```
 */
export const HMAC_DEFAULT_SECRET_CACHE_SIZE = 1024;

/**
 * How nonces are checked:
 * - `issued`: the nonce shown when the key was created, reusable, as KiiEx documents it ("Authenticate with API
 *   Key"). The signature is then a static value: anyone who sees one `AuthenticateUser` request can replay it.
 *   Only for compatibility with clients that sign once and reuse the signature.
 * - `increasing`: a decimal integer strictly above the last one accepted for the key (a unix time works).
 * - `unique`: any value, each accepted once per key within `nonceRetentionInSeconds`.
 *
 * @example
 * ```ts
 * const policy: HmacNoncePolicy = 'unique';
 * ```
 */
export type HmacNoncePolicy = 'issued' | 'increasing' | 'unique';

/**
 * Options of the `AuthenticateUser` verifier {@link hmacSignature}.
 *
 * @example
 * ```ts
 * const options: HmacSignatureOptions = { store, sealer, ephemeralStore, noncePolicy: 'unique' };
 * ```
 */
export interface HmacSignatureOptions extends CredentialOptions, StrategyGuardOptions {
  /** Opens the sealed API secrets (`createSecretSealer` with your key-encryption keys). */
  readonly sealer: SecretSealer;
  /** Default `unique` (replay-safe). `issued` reproduces the KiiEx documentation's fixed nonce and is replayable. */
  readonly noncePolicy?: HmacNoncePolicy;
  /** Where `unique` and `increasing` remember nonces. Required unless `noncePolicy` is `issued`. */
  readonly ephemeralStore?: EphemeralStore;
  /** How long a `unique` nonce is remembered. Default 86,400 (a day); at least twice the timestamp tolerance. */
  readonly nonceRetentionInSeconds?: number;
  /**
   * The hardened mode: a `Timestamp` header (unix seconds) is required, signed with the other values (see
   * {@link authenticateUserMessage}), and rejected more than `toleranceInSeconds` (default 300) away from now.
   */
  readonly timestamp?: { readonly toleranceInSeconds?: number };
  /**
   * Refuse an IP after `maxFailures` rejected attempts in `windowInSeconds` and, with `maxFailuresPerCredential`,
   * a key after that many refused attempts that named it (wrong signature, UserId, IP or nonce), from whatever
   * IPs. Off unless given.
   */
  readonly failureThrottle?: FailureThrottleSetting;
  /**
   * How many API keys' secrets are kept opened in memory (as prepared HMAC keys) after a successful lookup, so
   * a repeat `AuthenticateUser` skips decrypting the sealed secret. Default 1024; 0 opens the sealed secret on
   * every request. A rotated secret is never served from the cache (entries are tied to the sealed value).
   * As many lookup digests of `APIKey`s that signed correctly are remembered too: an `APIKey` is an identifier
   * sent in clear with every request, not a secret, so hashing it again on each request buys nothing.
   */
  readonly secretCacheSize?: number;
}

/**
 * The kinds of session token the `aptoken` header carries:
 * - `api`: from a signed `AuthenticateUser` (`manager.startSession`), with its API key's permissions;
 * - `web`: from a password login such as `WebAuthenticateUser` (`manager.startWebSession`), with no permissions,
 *   for managing the user's API keys.
 *
 * @example
 * ```ts
 * const keyManagement = hmacSession({ store, sessionKinds: ['api', 'web'] satisfies HmacSessionKind[] });
 * ```
 */
export type HmacSessionKind = 'api' | 'web';

/**
 * Options of the session verifier {@link hmacSession} (the `aptoken` header).
 *
 * @example
 * ```ts
 * const options: HmacSessionOptions = { store, idleTimeoutInSeconds: 1800, sessionKinds: ['api', 'web'] };
 * ```
 */
export interface HmacSessionOptions extends CredentialOptions, StrategyGuardOptions {
  /** The header that carries the session token. Default `aptoken`. */
  readonly headerName?: string;
  /**
   * A session unused this long ends (either kind). Default 1,800 (30 minutes); at least 120. Keep it well above
   * the store's touch interval (the store records use at most once per interval).
   */
  readonly idleTimeoutInSeconds?: number;
  /**
   * Which session tokens are accepted. Default `['api']`: API-key sessions only, so a route guarded by it never
   * lets a web session (which carries no permissions) in. A live token of a kind not listed is refused with
   * `CREDENTIALS_NOT_ACCEPTED_HERE`. The route kit (`createApexRoutes`) needs `['api', 'web']`.
   */
  readonly sessionKinds?: readonly HmacSessionKind[];
  /**
   * Refuse an IP after `maxFailures` rejected tokens in `windowInSeconds` and, with `maxFailuresPerCredential`,
   * a session after that many uses from IPs its key does not allow. Off unless given.
   */
  readonly failureThrottle?: FailureThrottleSetting;
}

/**
 * Options of the management face {@link createHmacKeyManager}.
 *
 * @example
 * ```ts
 * const options: HmacKeyManagerOptions = { store, sealer, permissions: ['Trading', 'Deposit', 'Withdraw'] };
 * ```
 */
export interface HmacKeyManagerOptions extends CredentialOptions {
  /**
   * Seals each API secret for storage: HMAC needs the secret back to verify a signature, so it is kept encrypted, not
   * digested.
   */
  readonly sealer: SecretSealer;
  /** The permission names keys may carry. Default: any name of letters, digits, `_` and `-`. */
  readonly permissions?: readonly string[];
  /** Live keys per user. Default 20. */
  readonly maxKeysPerUser?: number;
  /** Absolute lifetime of a session token. Default 86,400 (a day). */
  readonly sessionMaxAgeInSeconds?: number;
  /** Live sessions per user; at the limit a new session ends the oldest. Default 100. */
  readonly maxSessionsPerUser?: number;
  /** Absolute lifetime of a web session token (`startWebSession`). Default 43,200 (12 hours). */
  readonly webSessionMaxAgeInSeconds?: number;
  /** Live web sessions per user; at the limit a new one ends the oldest. Default 20. */
  readonly maxWebSessionsPerUser?: number;
  /**
   * Receives a `credential-created`, `credential-revoked` or `credential-rotated` event for each API key issued,
   * revoked or given a new secret.
   */
  readonly onEvent?: AuthEventListener;
}

/** Checks a positive whole number of seconds. */
export function positiveSeconds(value: number | undefined, fallback: number, option: string, minimum = 1): number {
  const seconds = value ?? fallback;
  if (!Number.isSafeInteger(seconds) || seconds < minimum) {
    throw new ConfigurationError(option, `must be a whole number of seconds, at least ${minimum}`);
  }
  return seconds;
}

/** Checks that a sealer was given. */
export function requireSealer(sealer: SecretSealer | undefined): SecretSealer {
  if (sealer === undefined || sealer === null || typeof sealer.open !== 'function' || typeof sealer.seal !== 'function') {
    throw new ConfigurationError('sealer', 'is required: API secrets are stored sealed under a key-encryption key (createSecretSealer)');
  }
  return sealer;
}
