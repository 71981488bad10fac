/**
 * A stored credential. The secret itself is never here: `digest` is the lookup digest of the secret, and a
 * secret the server must recover (an HMAC API secret) lives only in `sealedSecret`, encrypted.
 *
 * @example
 * ```ts
 * if (record !== null && isCredentialActive(record, clock.now())) grant(record.ownerId);
 * ```
 */
export interface CredentialRecord {
  /** Public, random, stable id used in URLs and listings. */
  readonly id: string;
  /** Lookup digest of the secret (see `createSecretDigester`); unique across the store. */
  readonly digest: string;
  /** The strategy id that issued it, e.g. `nvx-hash`. */
  readonly strategy: string;
  /** The strategy's kind of credential, e.g. `api-key`, `user-session`. */
  readonly kind: string;
  /** The id of the account the credential belongs to (a `Principal` id). */
  readonly ownerId: string;
  /** The credential this one was derived from (a session from its API key); revoking the parent revokes it. */
  readonly parentId: string | null;
  /** A name the owner gave it, for listings (never a secret). */
  readonly label: string;
  /** A short, non-secret hint for listings (e.g. the first 4 characters of a 32-character token). */
  readonly hint: string;
  /** The permissions the credential carries. */
  readonly scopes: readonly string[];
  /** Canonical IP addresses the credential may be used from; empty means any. */
  readonly allowedIps: readonly string[];
  /** A recoverable secret sealed under the key-encryption key, or `null`. */
  readonly sealedSecret: string | null;
  /** Small strategy-specific values (never secrets). */
  readonly attributes: Readonly<Record<string, string | number | boolean | null>>;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Epoch milliseconds from which the credential is expired, or `null` when it never expires. */
  readonly expiresAt: number | null;
  /**
   * Epoch milliseconds of the last accepted use (recorded at most once per touch interval), or `null` if never used.
   */
  readonly lastUsedAt: number | null;
  /** Epoch milliseconds at which it was revoked, or `null` while it is not. */
  readonly revokedAt: number | null;
}

/**
 * What {@link CredentialStore.insert} takes: a record without the fields the store maintains.
 *
 * @example
 * ```ts
 * const record: NewCredentialRecord = { id, digest, strategy: 'nvx-hash', kind: 'api-key', ownerId: 'u1',
 *   parentId: null, label: 'Integration', hint: 'c915', scopes: [], allowedIps: [], sealedSecret: null,
 *   attributes: {}, createdAt: Date.now(), expiresAt: null };
 * ```
 */
export type NewCredentialRecord = Omit<CredentialRecord, 'lastUsedAt' | 'revokedAt'>;

/**
 * Options of {@link CredentialStore.insert}.
 *
 * @example
 * ```ts
 * await store.insert(record, { maxActivePerOwner: 20, now: clock.now() });
 * ```
 */
export interface InsertCredentialOptions {
  /**
   * Refuse the insert when the owner already has this many active (unrevoked, unexpired at `now`) records of
   * the same strategy and kind. Checked and inserted atomically.
   */
  readonly maxActivePerOwner?: number;
  /** The time used to decide which records are still active. Required with `maxActivePerOwner`. */
  readonly now?: number;
}

/**
 * The result of an insert.
 *
 * @example
 * ```ts
 * const result = await store.insert(record, { maxActivePerOwner: 20, now });
 * if (result.type === 'limit-exceeded') return rejected('LIMIT_EXCEEDED');
 * ```
 */
export type InsertCredentialResult =
  | { readonly type: 'inserted' }
  | { readonly type: 'limit-exceeded'; readonly limit: number }
  | { readonly type: 'conflict' };

/**
 * Filters for {@link CredentialStore.listByOwner}.
 *
 * @example
 * ```ts
 * await store.listByOwner('u1', { strategy: 'nvx-hash', kind: 'api-key', activeAt: Date.now() });
 * ```
 */
export interface ListCredentialsFilter {
  /** Only records issued by this strategy id. */
  readonly strategy?: string;
  /** Only records of this kind. */
  readonly kind?: string;
  /** When given, only records unrevoked and unexpired at this time. */
  readonly activeAt?: number;
}

/**
 * The fields {@link CredentialStore.update} may change.
 *
 * @example
 * ```ts
 * await store.update(id, { expiresAt: now + 30 * 86_400_000 });
 * ```
 */
export type CredentialPatch = Partial<
  Pick<CredentialRecord, 'label' | 'scopes' | 'allowedIps' | 'sealedSecret' | 'attributes' | 'expiresAt'>
>;

/**
 * What a store's `health()` reports: `ok` when it could write just now, else `unavailable` with a reason for
 * the operator's log (not for clients: it may name hosts or files).
 *
 * @example
 * ```ts
 * const health = await stores.credentials.health();
 * if (health.status === 'unavailable') console.error(`credential store: ${health.reason}`);
 * ```
 */
export type StoreHealth =
  | { readonly status: 'ok' }
  | { readonly status: 'unavailable'; readonly reason: string };

/**
 * Durable credential storage. Implementations: `createMemoryCredentialStore` here, `@gatehouse/store-sqlite`,
 * and any store that passes the `credential-store@1` conformance suite.
 *
 * @example
 * ```ts
 * const record = await store.findByDigest(digest(presented));
 * ```
 */
export interface CredentialStore {
  /**
   * Inserts a record; `conflict` when the id or digest exists; `limit-exceeded` per the options. A record whose
   * parent is revoked is stored revoked at the parent's `revokedAt`, atomically with respect to `revoke`: a
   * session derived from a key at the moment the key is revoked never outlives it, on any instance.
   */
  insert(record: NewCredentialRecord, options?: InsertCredentialOptions): Promise<InsertCredentialResult>;
  /** The record with this digest (revoked and expired ones included: callers decide), or `null`. */
  findByDigest(digest: string): Promise<CredentialRecord | null>;
  /** The record with this id (revoked and expired ones included: callers decide), or `null`. */
  findById(id: string): Promise<CredentialRecord | null>;
  /** The owner's records, oldest first. */
  listByOwner(ownerId: string, filter?: ListCredentialsFilter): Promise<CredentialRecord[]>;
  /** Applies a patch; returns the updated record, or `null` when there is no such record. */
  update(id: string, patch: CredentialPatch): Promise<CredentialRecord | null>;
  /**
   * Marks the record and every record derived from it (by `parentId`, transitively) revoked at `at`. Returns
   * `false` when there was no such unrevoked record.
   */
  revoke(id: string, at: number): Promise<boolean>;
  /**
   * Records a use. Debounced: a store writes at most once per record per interval (its option
   * `touchIntervalInSeconds`), so verification costs no write on most requests.
   */
  touch(id: string, at: number): Promise<void>;
  /** Deletes records that expired or were revoked before `before`; returns how many. */
  deleteInactive(before: number): Promise<number>;
  /**
   * Checks that the store can write now (a read-only, locked or unreachable database is `unavailable`), within
   * the store's own timeouts. Never rejects: a readiness probe (`/healthz`) calls it as is.
   */
  health(): Promise<StoreHealth>;
}

/**
 * Short-lived atomic counters and markers: nonces, rate limits, replay windows.
 *
 * @example
 * ```ts
 * if (!(await ephemeral.setIfAbsent(`nonce:${keyId}:${nonce}`, 600))) return rejected('NONCE_REPLAYED');
 * ```
 */
export interface EphemeralStore {
  /** Sets `key` if it is absent or expired; `true` when this call set it. Atomic. */
  setIfAbsent(key: string, ttlInSeconds: number): Promise<boolean>;
  /**
   * Adds one to the counter at `key` and returns the new value. A new (or expired) counter starts at 1 and
   * expires `ttlInSeconds` later; later increments keep that expiry (a fixed window). Atomic.
   */
  increment(key: string, ttlInSeconds: number): Promise<number>;
  /**
   * Stores `value` at `key` when the key is absent, expired or holds a smaller number; `true` when stored.
   * Atomic, so two requests with the same value cannot both succeed. `ttlInSeconds: null` keeps it forever.
   */
  setIfGreater(key: string, value: number, ttlInSeconds: number | null): Promise<boolean>;
  /** The live value at `key` (1 for a `setIfAbsent` marker), or `null` when absent or expired. */
  get(key: string): Promise<number | null>;
  /** Removes `key`. */
  delete(key: string): Promise<void>;
  /** Checks that the store can write now, within its own timeouts. Never rejects. */
  health(): Promise<StoreHealth>;
}

/**
 * Tells whether a record is usable at `now`: not revoked and not expired.
 *
 * @example
 * ```ts
 * isCredentialActive(record, Date.now());
 * ```
 */
export function isCredentialActive(record: CredentialRecord, now: number): boolean {
  return record.revokedAt === null && (record.expiresAt === null || record.expiresAt > now);
}

/**
 * Checks a TTL argument and returns it in milliseconds; throws `RangeError` on anything but a positive finite
 * number, so a store never stores something that lives forever by mistake.
 *
 * @example
 * ```ts
 * ttlToMilliseconds(1.5); // 1500
 * ttlToMilliseconds(0); // throws RangeError
 * ```
 */
export function ttlToMilliseconds(ttlInSeconds: number): number {
  if (typeof ttlInSeconds !== 'number' || !Number.isFinite(ttlInSeconds) || ttlInSeconds <= 0) {
    throw new RangeError('ttlInSeconds must be a positive number');
  }
  return Math.ceil(ttlInSeconds * 1000);
}

/**
 * The promise a store method returns when it has nothing to wait for. `touchQuietly` recognises it and skips
 * attaching a handler: the debounced `touch` of a memory store costs no promise per verification.
 */
export const SETTLED_VOID: Promise<void> = Object.freeze(Promise.resolve());
