import { ConfigurationError, AuthError, type AuthErrorCode } from './errors.js';
import { systemClock, type Clock } from './clock.js';
import { createSecretDigester, encodeBase64Url, randomBytes } from './secrets.js';
import { isCredentialActive, SETTLED_VOID, type CredentialRecord, type CredentialStore, type InsertCredentialOptions, type NewCredentialRecord } from './stores.js';

/**
 * The result of a management operation: a value, or an {@link AuthError} the strategy's envelope renders.
 * Expected failures (a limit reached, a bad parameter, a failing store) are values, never throws.
 *
 * @example
 * ```ts
 * const result = await manager.issue(ownerId, { name, ip });
 * if (!result.ok) return toFetchResponse(renderAccessHashError(result.error));
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
  /** The clock that decides issue, expiry and last-use times. Default: the system clock. */
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
    if (pending === SETTLED_VOID) return;
    // A rejection is handled here, so it never surfaces as an unhandled rejection.
    if (pending !== null && typeof pending === 'object' && typeof (pending as Promise<void>).then === 'function') {
      (pending as Promise<void>).then(undefined, ignore);
    }
  } catch {
    // A store that throws synchronously changes nothing either.
  }
}

function ignore(): void {}

/**
 * Which credential a management call is about: its public id (as listings show it), or the credential as the
 * client presents it (an NVX hash, an APEX `APIKey`, an access hash), which is looked up by its digest.
 *
 * @example
 * ```ts
 * await manager.revoke(owner, { id: 'nvx_Zk3…' });
 * await manager.revoke(owner, { token: keyHash });
 * ```
 */
export type CredentialReference = { readonly id: string } | { readonly token: string };

/**
 * Options of {@link CredentialManager.rotate}.
 *
 * @example
 * ```ts
 * await manager.rotate(owner, { id }, { overlapInSeconds: 3600 });
 * ```
 */
export interface RotateOptions {
  /**
   * How long the old secret keeps working beside the new one, so clients can switch without downtime.
   * Default 0: the old one stops at once. At most 30 days.
   */
  readonly overlapInSeconds?: number;
}

/**
 * The one management vocabulary every strategy's manager speaks: issue, list, revoke and rotate credentials of an
 * owner. Every method returns a {@link ManageResult}: a store failure is `STORE_UNAVAILABLE`, never an empty list
 * or a throw; a credential that is not the owner's (or no longer live) is `CREDENTIAL_NOT_FOUND`. Secrets appear
 * only in what `issue` and `rotate` return, once. Scheme extras (sessions, a per-user limit) sit beside these.
 *
 * @example
 * ```ts
 * async function rotateAll<O>(manager: CredentialManager<O, unknown, unknown, { id: string }>, owner: O) {
 *   const listed = await manager.list(owner);
 *   if (!listed.ok) return listed;
 *   for (const credential of listed.value) await manager.rotate(owner, { id: credential.id });
 *   return listed;
 * }
 * ```
 */
export interface CredentialManager<Owner, IssueInput, Issued, Listed, Rotated = Issued> {
  /** Issues a credential for `owner`; the secret is in the result and nowhere else, ever. */
  issue(owner: Owner, input: IssueInput): Promise<ManageResult<Issued>>;
  /** The owner's live credentials, oldest first, without secrets. */
  list(owner: Owner): Promise<ManageResult<readonly Listed[]>>;
  /** Revokes one of the owner's credentials (and every session derived from it). */
  revoke(owner: Owner, credential: CredentialReference): Promise<ManageResult<void>>;
  /** Replaces a credential's secret, shown once; the old one keeps working for `overlapInSeconds`. */
  rotate(owner: Owner, credential: CredentialReference, options?: RotateOptions): Promise<ManageResult<Rotated>>;
}

/** The longest rotation overlap a manager accepts. */
export const MAX_ROTATION_OVERLAP_IN_SECONDS = 30 * 86_400;

/**
 * Reads {@link RotateOptions}: the overlap in milliseconds, or `null` when it is not a whole number of seconds
 * from 0 to 30 days (answer `PARAMETER_INVALID`).
 *
 * @example
 * ```ts
 * const overlapMs = rotationOverlapMs(options);
 * if (overlapMs === null) return manageFailure('PARAMETER_INVALID');
 * ```
 */
export function rotationOverlapMs(options: RotateOptions | undefined): number | null {
  if (options === undefined) return 0;
  // `rotate(owner, ref, 3600)` must not quietly mean "no overlap".
  if (options === null || typeof options !== 'object') return null;
  const seconds = options.overlapInSeconds ?? 0;
  if (!Number.isSafeInteger(seconds) || seconds < 0 || seconds > MAX_ROTATION_OVERLAP_IN_SECONDS) return null;
  return seconds * 1000;
}

/**
 * Validates a {@link CredentialReference} from an untyped caller: a plain object with exactly one of `id` (1 to
 * 100 characters) or `token` (a string). `null` when it is neither.
 *
 * @example
 * ```ts
 * const reference = readCredentialReference(input);
 * if (reference === null) return manageFailure('PARAMETER_INVALID');
 * ```
 */
export function readCredentialReference(reference: unknown): CredentialReference | null {
  if (reference === null || typeof reference !== 'object') return null;
  const hasId = Object.prototype.hasOwnProperty.call(reference, 'id');
  const hasToken = Object.prototype.hasOwnProperty.call(reference, 'token');
  if (hasId === hasToken) return null;
  if (hasId) {
    const id = (reference as { id: unknown }).id;
    return typeof id === 'string' && id.length > 0 && id.length <= 100 ? { id } : null;
  }
  const token = (reference as { token: unknown }).token;
  return typeof token === 'string' && token.length > 0 && token.length <= 1024 ? { token } : null;
}

/**
 * Options of {@link findOwnedCredential}.
 *
 * @example
 * ```ts
 * const options: OwnedCredentialQuery = { store, digest, strategyId: 'nvx-hash', kinds: ['api-key'], ownerId: '1', now };
 * ```
 */
export interface OwnedCredentialQuery {
  /** Where the owner's credentials live. */
  readonly store: CredentialStore;
  /** The lookup digest of a secret, for a reference by `token` (see {@link resolveCredentialOptions}). */
  readonly digest: (secret: string) => string;
  /** Only a record issued by this strategy id is found. */
  readonly strategyId: string;
  /** Only a record of one of these kinds is found. */
  readonly kinds: readonly string[];
  /** Only a record of this owner is found: another owner's is `null`, as if it did not exist. */
  readonly ownerId: string;
  /** The time, in epoch milliseconds, at which the record must be live (unrevoked, unexpired). */
  readonly now: number;
}

/**
 * The live record a {@link CredentialReference} names, when it belongs to `ownerId` and is of the strategy's
 * kinds; otherwise `null` (the caller answers `CREDENTIAL_NOT_FOUND`, whoever's it really was). A store failure
 * throws: run it inside {@link guardStore}.
 *
 * @example
 * ```ts
 * const record = await findOwnedCredential(reference, { store, digest, strategyId, kinds: ['api-key'], ownerId, now });
 * if (record === null) return manageFailure('CREDENTIAL_NOT_FOUND');
 * ```
 */
export async function findOwnedCredential(reference: CredentialReference, query: OwnedCredentialQuery): Promise<CredentialRecord | null> {
  const record = 'id' in reference ? await query.store.findById(reference.id) : await query.store.findByDigest(query.digest(reference.token));
  if (record === null || record.strategy !== query.strategyId || !query.kinds.includes(record.kind) || record.ownerId !== query.ownerId) return null;
  return isCredentialActive(record, query.now) ? record : null;
}

/**
 * Inserts a new credential whose secret is drawn afresh on each attempt: a digest or id collision (one in 2^96
 * at worst) is retried twice; three in a row mean a broken store (`INTERNAL_ERROR`). The per-owner limit is
 * `LIMIT_EXCEEDED`. Store failures throw: run it inside {@link guardStore}.
 *
 * @example
 * ```ts
 * const inserted = await insertCredential(store, () => {
 *   const hash = generateHexToken(16);
 *   return { secret: hash, record: { ...fields, id: newCredentialId('nvx'), digest: digest(hash), hint: hash.slice(0, 4) } };
 * }, { maxActivePerOwner: 20, now });
 * if (!inserted.ok) return inserted;
 * ```
 */
export async function insertCredential<S>(
  store: CredentialStore,
  draw: () => { readonly record: NewCredentialRecord; readonly secret: S },
  options: InsertCredentialOptions = {},
): Promise<ManageResult<{ readonly record: CredentialRecord; readonly secret: S }>> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const { record, secret } = draw();
    const result = await store.insert(record, options);
    if (result.type === 'limit-exceeded') return manageFailure('LIMIT_EXCEEDED');
    if (result.type === 'inserted') return manageSuccess({ record: { ...record, lastUsedAt: null, revokedAt: null }, secret });
  }
  return manageFailure('INTERNAL_ERROR');
}

// Controls, format characters (bidirectional overrides, zero-width spaces), line and paragraph separators,
// private-use and unassigned code points make a text display differently from what it is. The zero-width joiner
// alone is allowed: emoji sequences need it.
const UNPRINTABLE = /(?!\u200d)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]|[\ud800-\udfff]/u;

/**
 * Tells whether a user-supplied name or title is printable text of `minLength` to `maxLength` code points (not
 * only spaces when at least one is required): no control or format characters but the zero-width joiner, no line
 * or paragraph separators, no private-use, unassigned or lone surrogate code points. One rule for every label a
 * listing shows.
 *
 * @example
 * ```ts
 * isPrintableText('Integration Key', { maxLength: 255 }); // true
 * isPrintableText('a\u202eb', { maxLength: 255 }); // false (a bidirectional override)
 * ```
 */
export function isPrintableText(text: unknown, options: { readonly minLength?: number; readonly maxLength: number }): text is string {
  if (typeof text !== 'string') return false;
  const minLength = options.minLength ?? 1;
  // A code point is one or two UTF-16 units: a text longer than twice the limit cannot fit, whatever it holds.
  if (text.length > options.maxLength * 2) return false;
  const length = [...text].length;
  if (length < minLength || length > options.maxLength) return false;
  if (minLength > 0 && text.trim() === '') return false;
  return !UNPRINTABLE.test(text);
}

/**
 * Options of {@link replaceCredential}.
 *
 * @example
 * ```ts
 * const options: ReplaceCredentialOptions<string> = { store, old, overlapMs, now, insert, revoke };
 * ```
 */
export interface ReplaceCredentialOptions<S> {
  /** Where the old record is updated (its expiry moved to the end of the overlap). */
  readonly store: CredentialStore;
  /** The live record being replaced (see {@link findOwnedCredential}). */
  readonly old: CredentialRecord;
  /** How long the old credential keeps working beside the new one (see {@link rotationOverlapMs}). */
  readonly overlapMs: number;
  /** The time of the rotation, in epoch milliseconds: the overlap starts here. */
  readonly now: number;
  /**
   * Inserts the replacement (see {@link insertCredential}). `beyondLimitBy` is 1 without an overlap: the old
   * credential is about to go, so the owner's limit may be passed by one for that moment; 0 with an overlap,
   * where both stay live and the limit holds.
   */
  readonly insert: (beyondLimitBy: 0 | 1) => Promise<ManageResult<{ readonly record: CredentialRecord; readonly secret: S }>>;
  /** Revokes a record (reporting the event); `false` when it was no longer live. */
  readonly revoke: (record: CredentialRecord, now: number) => Promise<boolean>;
}

/**
 * Rotates a bearer credential: a new one is inserted, then the old one is revoked at once or set to expire when
 * the overlap ends (never later than it already would). When that second step fails (the old one was revoked or
 * rotated by a racing call: `CREDENTIAL_NOT_FOUND`; the store failed: the error is thrown on), the new one, which
 * nobody has seen, is revoked again, so a failed rotation never leaves an extra live credential behind.
 *
 * @example
 * ```ts
 * return replaceCredential({ store, old, overlapMs, now, insert: (beyond) => insertKey(old.ownerId, old.label, maxKeys + beyond), revoke });
 * ```
 */
export async function replaceCredential<S>(
  options: ReplaceCredentialOptions<S>,
): Promise<ManageResult<{ readonly record: CredentialRecord; readonly secret: S }>> {
  const { store, old, overlapMs, now, revoke } = options;
  const inserted = await options.insert(overlapMs === 0 ? 1 : 0);
  if (!inserted.ok) return inserted;
  const replacement = inserted.value.record;
  let finished: boolean;
  try {
    if (overlapMs === 0) {
      finished = await revoke(old, now);
    } else {
      const expiresAt = old.expiresAt === null ? now + overlapMs : Math.min(old.expiresAt, now + overlapMs);
      const updated = await store.update(old.id, { expiresAt });
      finished = updated !== null && isCredentialActive(updated, now);
    }
  } catch (error) {
    await revoke(replacement, now).catch(() => false);
    throw error;
  }
  if (finished) return inserted;
  await revoke(replacement, now);
  return manageFailure('CREDENTIAL_NOT_FOUND');
}
