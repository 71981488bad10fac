import type { Clock } from './clock.js';
import { ConfigurationError, isAuthErrorCode, type AuthErrorCode } from './errors.js';
import { authenticated, rejected, type AuthOutcome, type Principal } from './outcome.js';
import { touchQuietly } from './manage.js';
import { isCredentialActive, type CredentialRecord, type CredentialStore } from './stores.js';

/**
 * Options of {@link createCredentialLookup}.
 *
 * @example
 * ```ts
 * const options: CredentialLookupOptions = { store, digest, clock, strategyId: 'nvx-hash', kinds: ['api-key'] };
 * ```
 */
export interface CredentialLookupOptions {
  /** Where credential records are looked up by digest. */
  readonly store: CredentialStore;
  /** The lookup digest of a presented secret (see `createSecretDigester`). */
  readonly digest: (secret: string) => string;
  /** The clock that decides expiry and idle time. */
  readonly clock: Clock;
  /** Only records issued by this strategy id are found. */
  readonly strategyId: string;
  /** Only records of these kinds are found. */
  readonly kinds: readonly string[];
  /**
   * The code for a live record of another strategy or kind (a token that is real, but not of this scheme).
   * Default `CREDENTIALS_INVALID`, the same answer as an unknown credential; `CREDENTIALS_NOT_ACCEPTED_HERE`
   * where two schemes share one header and a composition must tell "not mine" from "wrong".
   */
  readonly foreignCode?: AuthErrorCode;
  /**
   * Sessions end after this long without use: a record last used (or created) that long ago is
   * `CREDENTIALS_EXPIRED`. Keep it well above the store's touch interval. Default: no idle limit.
   */
  readonly idleTimeoutInSeconds?: number;
}

/**
 * A live record found for a presented secret, and the time it was judged live at.
 *
 * @example
 * ```ts
 * const found: FoundCredential = { type: 'found', record, now: clock.now() };
 * ```
 */
export interface FoundCredential {
  /** Tells a found credential from a `rejected` outcome. */
  readonly type: 'found';
  /** The record the presented secret belongs to: unrevoked, unexpired, of this strategy and kind. */
  readonly record: CredentialRecord;
  /**
   * The time, in epoch milliseconds, at which the record was judged live; use it for whatever else the strategy checks.
   */
  readonly now: number;
}

/**
 * The `rejected` member of {@link AuthOutcome}.
 *
 * @example
 * ```ts
 * const found: FoundCredential | RejectedOutcome = await lookup.find(hash);
 * if (found.type === 'rejected') return found; // already the strategy's answer
 * ```
 */
export type RejectedOutcome = Extract<AuthOutcome<never>, { readonly type: 'rejected' }>;

/**
 * The verify skeleton every strategy shares: find the record by the digest of what was presented, answer a failing
 * store with `STORE_UNAVAILABLE`, refuse unknown, revoked, expired and foreign records with one answer, and on
 * success record the use without letting a failing store change the outcome.
 *
 * @example
 * ```ts
 * const found = await credentials.find(hash);
 * if (found.type === 'rejected') return found;
 * return credentials.grant(found, { id: found.record.ownerId });
 * ```
 */
export interface CredentialLookup {
  /** Finds the live record for a presented secret. */
  find(secret: string): Promise<FoundCredential | RejectedOutcome>;
  /** The same, for a digest already computed (e.g. remembered for an identifier sent in clear). */
  findByDigest(digest: string): Promise<FoundCredential | RejectedOutcome>;
  /**
   * The `authenticated` outcome for a found record: its id, kind, scopes and expiry as the credential, after a
   * quiet, debounced `touch`.
   */
  grant<P extends Principal>(found: FoundCredential, principal: P): AuthOutcome<P>;
}

/**
 * Creates the verify skeleton for one strategy's records. A strategy keeps only what is its own: where the secret
 * travels, its format, and the checks after the record is found (route, IP, signature, nonce).
 *
 * @example
 * ```ts
 * import { createCredentialLookup, resolveCredentialOptions } from '@gatehouse/auth-core/strategy';
 * const credentials = createCredentialLookup({ ...resolveCredentialOptions(options), strategyId: 'my-scheme', kinds: ['api-key'] });
 * ```
 */
export function createCredentialLookup(options: CredentialLookupOptions): CredentialLookup {
  const { store, digest, clock, strategyId } = options;
  if (store === null || typeof store !== 'object' || typeof store.findByDigest !== 'function') throw new ConfigurationError('store', 'must be a CredentialStore');
  if (typeof digest !== 'function') throw new ConfigurationError('digest', 'must be a function (see createSecretDigester)');
  if (clock === null || typeof clock !== 'object' || typeof clock.now !== 'function') throw new ConfigurationError('clock', 'must have a now() method');
  if (options.foreignCode !== undefined && !isAuthErrorCode(options.foreignCode)) throw new ConfigurationError('foreignCode', 'must be an AuthErrorCode');
  if (typeof strategyId !== 'string' || strategyId === '') throw new ConfigurationError('strategyId', 'must be a non-empty string');
  if (!Array.isArray(options.kinds) || options.kinds.length === 0 || options.kinds.some((kind) => typeof kind !== 'string')) {
    throw new ConfigurationError('kinds', 'must be a non-empty array of credential kinds');
  }
  const kinds = new Set(options.kinds);
  const foreignCode = options.foreignCode ?? 'CREDENTIALS_INVALID';
  const idle = options.idleTimeoutInSeconds;
  if (idle !== undefined && (typeof idle !== 'number' || !Number.isFinite(idle) || idle <= 0)) {
    throw new ConfigurationError('idleTimeoutInSeconds', 'must be a positive number of seconds');
  }
  const idleMs = idle === undefined ? null : idle * 1000;

  const findByDigest = async (lookupDigest: string): Promise<FoundCredential | RejectedOutcome> => {
    let record: CredentialRecord | null;
    try {
      record = await store.findByDigest(lookupDigest);
    } catch (error) {
      return rejected('STORE_UNAVAILABLE', error) as RejectedOutcome;
    }
    const now = clock.now();
    // Unknown, revoked, expired and foreign records get one answer, so a reply never tells them apart.
    if (record === null || !isCredentialActive(record, now)) return rejected('CREDENTIALS_INVALID') as RejectedOutcome;
    if (record.strategy !== strategyId || !kinds.has(record.kind)) return rejected(foreignCode) as RejectedOutcome;
    if (idleMs !== null && (record.lastUsedAt ?? record.createdAt) + idleMs <= now) return rejected('CREDENTIALS_EXPIRED') as RejectedOutcome;
    return { type: 'found', record, now };
  };

  return {
    find: (secret) => findByDigest(digest(secret)),
    findByDigest,
    grant(found, principal) {
      const { record, now } = found;
      touchQuietly(store, record.id, now);
      return authenticated(principal, { id: record.id, kind: record.kind, scopes: record.scopes, expiresAt: record.expiresAt });
    },
  };
}
