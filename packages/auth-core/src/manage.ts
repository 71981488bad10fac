import { ConfigurationError, AuthError, type AuthErrorCode } from './errors.js';
import { systemClock, type Clock } from './clock.js';
import { createSecretDigester, encodeBase64Url, randomBytes } from './secrets.js';
import type { CredentialStore } from './stores.js';

/**
 * The result of a management operation: a value, or an {@link AuthError} the strategy's envelope renders.
 * Expected failures (a limit reached, a bad parameter, a failing store) are values, never throws.
 *
 * @example
 * ```ts
 * const result = await manager.create(ownerId, { name, ip });
 * if (!result.ok) return send(renderAccessHashError(result.error));
 * ```
 */
export type ManageResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: AuthError };

/**
 * Builds a successful {@link ManageResult}.
 *
 * @example
 * ```ts
 * return manageSuccess({ id });
 * ```
 */
export function manageSuccess<T>(value: T): ManageResult<T> {
  return { ok: true, value };
}

/**
 * Builds a failed {@link ManageResult}.
 *
 * @example
 * ```ts
 * return manageFailure('PARAMETER_INVALID');
 * ```
 */
export function manageFailure(code: AuthErrorCode, cause?: unknown): ManageResult<never> {
  return { ok: false, error: new AuthError(code, cause === undefined ? {} : { cause }) };
}

/**
 * Runs a management operation and turns a thrown store error into a `STORE_UNAVAILABLE` result, so a failing
 * store is never mistaken for an empty answer.
 *
 * @example
 * ```ts
 * list: (ownerId) => guardStore(async () => manageSuccess(await store.listByOwner(ownerId))),
 * ```
 */
export async function guardStore<T>(work: () => Promise<ManageResult<T>>): Promise<ManageResult<T>> {
  try {
    return await work();
  } catch (error) {
    return { ok: false, error: error instanceof AuthError ? error : new AuthError('STORE_UNAVAILABLE', { cause: error }) };
  }
}

/**
 * The options every strategy's faces share.
 *
 * @example
 * ```ts
 * const options: CredentialOptions = { store: createMemoryCredentialStore() };
 * ```
 */
export interface CredentialOptions {
  /** Where credentials live. */
  readonly store: CredentialStore;
  /** A server pepper of at least 32 bytes: lookup digests become HMAC-SHA256 under it. */
  readonly pepper?: Uint8Array;
  readonly clock?: Clock;
}

/**
 * Validates {@link CredentialOptions} at construction (a {@link ConfigurationError} names the bad option) and
 * returns the store, the digest function and the clock.
 *
 * @example
 * ```ts
 * const { store, digest, clock } = resolveCredentialOptions(options);
 * ```
 */
export function resolveCredentialOptions(options: CredentialOptions): {
  readonly store: CredentialStore;
  readonly digest: (secret: string) => string;
  readonly clock: Clock;
} {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object');
  const { store } = options;
  if (store === null || typeof store !== 'object' || typeof store.findByDigest !== 'function') {
    throw new ConfigurationError('store', 'must be a CredentialStore');
  }
  const clock = options.clock ?? systemClock;
  if (clock === null || typeof clock !== 'object' || typeof clock.now !== 'function') {
    throw new ConfigurationError('clock', 'must have a now() method');
  }
  return { store, digest: createSecretDigester(options.pepper === undefined ? {} : { pepper: options.pepper }), clock };
}

/**
 * A new random public id for a credential record: `prefix` then 16 base64url characters (96 bits).
 *
 * @example
 * ```ts
 * newCredentialId('ah'); // 'ah_Zk3…'
 * ```
 */
export function newCredentialId(prefix: string): string {
  // Built as one flat string: a concatenation would be kept as a two-part rope for as long as the record lives.
  const text = `${prefix}_${encodeBase64Url(randomBytes(12))}`;
  const codes = new Array<number>(text.length);
  for (let i = 0; i < text.length; i++) codes[i] = text.charCodeAt(i);
  return String.fromCharCode.apply(null, codes);
}

/**
 * Touches a record's last use without letting a failing store (even one that throws synchronously) change
 * the outcome of the request.
 *
 * @example
 * ```ts
 * touchQuietly(store, record.id, now);
 * ```
 */
export function touchQuietly(store: CredentialStore, id: string, at: number): void {
  try {
    const pending: unknown = store.touch(id, at);
    // A rejection is handled here, so it never surfaces as an unhandled rejection.
    if (pending !== null && typeof pending === 'object' && typeof (pending as Promise<void>).then === 'function') {
      (pending as Promise<void>).then(undefined, ignore);
    }
  } catch {
    // A store that throws synchronously changes nothing either.
  }
}

function ignore(): void {}
