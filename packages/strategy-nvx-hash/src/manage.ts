import {
  AuthError,
  ConfigurationError,
  createEventEmitter,
  generateHexToken,
  guardStore,
  isCredentialActive,
  isHexString,
  manageFailure,
  manageSuccess,
  newCredentialId,
  resolveCredentialOptions,
  type ManageResult,
  type CredentialInfo,
  type CredentialRecord,
} from '@gatehouse/auth-core';
import {
  NVX_DEFAULT_MAX_API_KEYS,
  NVX_HASH_BYTES,
  NVX_STRATEGY_ID,
  positiveSeconds,
  type NvxAccountType,
  type NvxCredentialKind,
  type NvxHashManagerOptions,
} from './options.js';
import type { NvxPrincipal } from './verify.js';

/**
 * A result that is either a value or an {@link AuthError} to render with `renderNvxError`.
 *
 * @example
 * ```ts
 * const result = await manager.createApiKey(owner, title);
 * if (!result.ok) return send(renderNvxError(result.error));
 * ```
 */
export type NvxResult<T> = ManageResult<T>;

/**
 * The account that manages API keys.
 *
 * @example
 * ```ts
 * const owner: NvxOwner = { id: '1', accountType: 'master' };
 * ```
 */
export interface NvxOwner {
  readonly id: string;
  readonly accountType: NvxAccountType;
}

/**
 * A newly started session: its hash is returned here and never again.
 *
 * @example
 * ```ts
 * const { hash } = await manager.startUserSession({ id: '1', accountType: 'master' });
 * ```
 */
export interface NvxSession {
  readonly hash: string;
  readonly credentialId: string;
  readonly expiresAt: number;
}

/**
 * An API key as `listApiKeys` shows it. `hash` is the full hash in the revealable listing mode, otherwise the
 * first 4 characters followed by 28 `*`.
 *
 * @example
 * ```ts
 * const key: NvxApiKeyListing = { id: 'nvx_…', hash: 'c915****************************', title: 'CI', createdAt: 0, lastUsedAt: null };
 * ```
 */
export interface NvxApiKeyListing {
  readonly id: string;
  readonly hash: string;
  readonly title: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

/**
 * A newly created API key: the only time the full hash is returned in the masked listing mode.
 *
 * @example
 * ```ts
 * const created: NvxApiKey = { id: 'nvx_…', hash: 'c915157ac483e7319b0b257408bc04e1', title: 'CI', createdAt: 0, lastUsedAt: null };
 * ```
 */
export interface NvxApiKey extends NvxApiKeyListing {}

/**
 * The management face: sessions (login, renew, logout) and API keys (create, list, delete). Methods that
 * return an {@link NvxResult} report a failing store as `STORE_UNAVAILABLE`; the others throw
 * `AuthError('STORE_UNAVAILABLE')`, so a store failure is never mistaken for "no keys".
 *
 * @example
 * ```ts
 * const manager = createNvxHashManager({ store });
 * const session = await manager.startUserSession({ id: '1', accountType: 'master' });
 * ```
 */
export interface NvxHashManager {
  /** Starts a user session after the application has checked the login and password (`user/auth`). */
  startUserSession(owner: NvxOwner): Promise<NvxSession>;
  /** Starts a panel session after the application has checked the panel login (`panel/account/auth`). */
  startPanelSession(panelAccountId: string): Promise<NvxSession>;
  /**
   * Extends a live session by its full lifetime from now (`user/session/renew`). `OPERATION_NOT_PERMITTED` for
   * an API key; `CREDENTIALS_INVALID` for a session that ended meanwhile.
   */
  renewSession(credential: CredentialInfo): Promise<NvxResult<{ expiresAt: number }>>;
  /** Ends a session (`user/logout`); API keys cannot be ended this way (`OPERATION_NOT_PERMITTED`). */
  endSession(credential: CredentialInfo): Promise<NvxResult<void>>;
  /** Ends every user session of an account (after a password change). Returns how many. */
  endUserSessions(ownerId: string): Promise<number>;
  /**
   * Who may manage API keys with this authenticated caller: only a master user's session hash (seed 000:
   * creating an API key with another API key is not available; seed 001: sub-users have no API keys).
   */
  keyManager(caller: { readonly principal: NvxPrincipal; readonly credential: CredentialInfo }): NvxResult<NvxOwner>;
  /** Creates an API key titled `title` (1–255 printable characters); at most `maxApiKeysPerUser` live keys. */
  createApiKey(owner: NvxOwner, title: unknown): Promise<NvxResult<NvxApiKey>>;
  /** The owner's live API keys, oldest first. */
  listApiKeys(owner: NvxOwner): Promise<NvxApiKeyListing[]>;
  /** Deletes the owner's API key with this hash (`api/key/delete?key_hash=`). */
  deleteApiKey(owner: NvxOwner, keyHash: unknown): Promise<NvxResult<void>>;
  /** Deletes the owner's API key with this id (for user interfaces that list ids). */
  deleteApiKeyById(owner: NvxOwner, id: string): Promise<NvxResult<void>>;
}

const failure = manageFailure;
const success = manageSuccess;

// Controls, format characters (bidirectional overrides, zero-width spaces), line and paragraph separators,
// private-use and unassigned code points make a title display differently from what it is. The zero-width
// joiner alone is allowed: emoji sequences need it.
const UNPRINTABLE = /(?!\u200d)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]|[\ud800-\udfff]/u;

/**
 * Checks an API key title: a string of 1 to 255 printable characters (Unicode code points; no control or
 * format characters other than the zero-width joiner, no line or paragraph separators, no private-use,
 * unassigned or lone surrogate code points).
 *
 * @example
 * ```ts
 * isValidNvxTitle('Integration Key'); // true
 * isValidNvxTitle('a\nb'); // false
 * ```
 */
export function isValidNvxTitle(title: unknown): title is string {
  if (typeof title !== 'string') return false;
  const length = [...title].length;
  if (length < 1 || length > 255 || title.trim() === '') return false;
  return !UNPRINTABLE.test(title);
}

/**
 * Creates the management face.
 *
 * @example
 * ```ts
 * const manager = createNvxHashManager({ store, listing: { mode: 'revealable', sealer } });
 * const owner = manager.keyManager(outcome);
 * if (owner.ok) await manager.createApiKey(owner.value, 'Integration Key');
 * ```
 */
export function createNvxHashManager(options: NvxHashManagerOptions): NvxHashManager {
  const { store, digest, clock } = resolveCredentialOptions(options);
  const maxApiKeys = options.maxApiKeysPerUser ?? NVX_DEFAULT_MAX_API_KEYS;
  if (!Number.isSafeInteger(maxApiKeys) || maxApiKeys < 0) throw new ConfigurationError('maxApiKeysPerUser', 'must be a non-negative integer');
  const userSessionMs = positiveSeconds(options.userSessionMaxAgeInSeconds, 30 * 86_400, 'userSessionMaxAgeInSeconds') * 1000;
  const panelSessionMs = positiveSeconds(options.panelSessionMaxAgeInSeconds, 86_400, 'panelSessionMaxAgeInSeconds') * 1000;
  const listing = options.listing ?? { mode: 'masked' as const };
  if (listing.mode !== 'masked' && listing.mode !== 'revealable') throw new ConfigurationError('listing', "mode must be 'masked' or 'revealable'");
  if (listing.mode === 'revealable' && (listing.sealer === undefined || typeof listing.sealer.seal !== 'function')) {
    throw new ConfigurationError('listing', "mode 'revealable' needs a sealer (createSecretSealer) so keys are stored encrypted");
  }
  const emit = createEventEmitter(options.onEvent);
  const sealContext = (id: string): string => `${NVX_STRATEGY_ID}:${id}`;

  async function issue(kind: NvxCredentialKind, ownerId: string, accountType: NvxAccountType, label: string, lifetimeMs: number | null, limit?: number): Promise<{ record: CredentialRecord; hash: string } | 'limit-exceeded'> {
    const now = clock.now();
    for (let attempt = 0; attempt < 3; attempt++) {
      const hash = generateHexToken(NVX_HASH_BYTES);
      const id = newCredentialId('nvx');
      const record = {
        id,
        digest: digest(hash),
        strategy: NVX_STRATEGY_ID,
        kind,
        ownerId,
        parentId: null,
        label,
        hint: hash.slice(0, 4),
        scopes: [],
        allowedIps: [],
        sealedSecret: kind === 'api-key' && listing.mode === 'revealable' ? listing.sealer.seal(hash, sealContext(id)) : null,
        attributes: { accountType },
        createdAt: now,
        expiresAt: lifetimeMs === null ? null : now + lifetimeMs,
      };
      const result = await store.insert(record, limit === undefined ? {} : { maxActivePerOwner: limit, now });
      if (result.type === 'limit-exceeded') return 'limit-exceeded';
      if (result.type === 'inserted') {
        emit({ type: 'credential-created', strategyId: NVX_STRATEGY_ID, at: now, ownerId, credentialId: id, credentialKind: kind });
        return { record: { ...record, lastUsedAt: null, revokedAt: null }, hash };
      }
    }
    // Three 128-bit collisions in a row mean the store is broken, not unlucky.
    throw new AuthError('INTERNAL_ERROR');
  }

  const show = (record: CredentialRecord): NvxApiKeyListing => {
    let hash = `${record.hint}${'*'.repeat(NVX_HASH_BYTES * 2 - record.hint.length)}`;
    if (listing.mode === 'revealable' && record.sealedSecret !== null) {
      hash = listing.sealer.open(record.sealedSecret, sealContext(record.id)) ?? hash;
    }
    return { id: record.id, hash, title: record.label, createdAt: record.createdAt, lastUsedAt: record.lastUsedAt };
  };

  async function revokeOwned(owner: NvxOwner, record: CredentialRecord | null): Promise<NvxResult<void>> {
    const now = clock.now();
    if (record === null || record.strategy !== NVX_STRATEGY_ID || record.kind !== 'api-key' || record.ownerId !== owner.id || !isCredentialActive(record, now)) {
      return failure('CREDENTIAL_NOT_FOUND');
    }
    if (!(await store.revoke(record.id, now))) return failure('CREDENTIAL_NOT_FOUND');
    emit({ type: 'credential-revoked', strategyId: NVX_STRATEGY_ID, at: now, ownerId: owner.id, credentialId: record.id, credentialKind: 'api-key' });
    return success(undefined);
  }

  async function liveSession(credential: CredentialInfo): Promise<NvxResult<CredentialRecord>> {
    if (credential.kind !== 'user-session' && credential.kind !== 'panel-session') return failure('OPERATION_NOT_PERMITTED');
    const record = await store.findById(credential.id);
    if (record === null || record.strategy !== NVX_STRATEGY_ID || record.kind !== credential.kind || !isCredentialActive(record, clock.now())) {
      return failure('CREDENTIALS_INVALID');
    }
    return success(record);
  }

  // Store failures become STORE_UNAVAILABLE: a result for result-returning methods, a thrown AuthError otherwise.
  const storeFailure = (error: unknown): AuthError => (error instanceof AuthError ? error : new AuthError('STORE_UNAVAILABLE', { cause: error }));
  const resulting = guardStore;
  async function throwing<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw storeFailure(error);
    }
  }

  return {
    async startUserSession(owner) {
      if (owner.accountType !== 'master' && owner.accountType !== 'sub') throw new TypeError('startUserSession: accountType must be master or sub');
      const issued = await throwing(() => issue('user-session', owner.id, owner.accountType, 'user session', userSessionMs));
      if (issued === 'limit-exceeded') throw new AuthError('INTERNAL_ERROR');
      return { hash: issued.hash, credentialId: issued.record.id, expiresAt: issued.record.expiresAt as number };
    },
    async startPanelSession(panelAccountId) {
      const issued = await throwing(() => issue('panel-session', panelAccountId, 'panel', 'panel session', panelSessionMs));
      if (issued === 'limit-exceeded') throw new AuthError('INTERNAL_ERROR');
      return { hash: issued.hash, credentialId: issued.record.id, expiresAt: issued.record.expiresAt as number };
    },
    renewSession: (credential) =>
      resulting(async () => {
        const live = await liveSession(credential);
        if (!live.ok) return live;
        const record = live.value;
        const expiresAt = clock.now() + (record.kind === 'panel-session' ? panelSessionMs : userSessionMs);
        const updated = await store.update(record.id, { expiresAt });
        return updated === null ? failure('CREDENTIALS_INVALID') : success({ expiresAt });
      }),
    endSession: (credential) =>
      resulting(async () => {
        const live = await liveSession(credential);
        if (!live.ok) return live;
        const record = live.value;
        const now = clock.now();
        // Two logouts racing: only the one that actually revoked reports success.
        if (!(await store.revoke(record.id, now))) return failure('CREDENTIALS_INVALID');
        emit({ type: 'credential-revoked', strategyId: NVX_STRATEGY_ID, at: now, ownerId: record.ownerId, credentialId: record.id, credentialKind: record.kind });
        return success(undefined);
      }),
    endUserSessions: (ownerId) =>
      throwing(async () => {
        const now = clock.now();
        const sessions = await store.listByOwner(ownerId, { strategy: NVX_STRATEGY_ID, kind: 'user-session', activeAt: now });
        let ended = 0;
        for (const session of sessions) if (await store.revoke(session.id, now)) ended++;
        return ended;
      }),
    keyManager(caller) {
      if (caller.credential.kind !== 'user-session') return failure('OPERATION_NOT_PERMITTED');
      if (caller.principal.attributes.accountType !== 'master') return failure('OPERATION_NOT_PERMITTED');
      return success({ id: caller.principal.id, accountType: 'master' });
    },
    createApiKey: (owner, title) =>
      resulting(async () => {
        if (owner.accountType !== 'master') return failure('OPERATION_NOT_PERMITTED');
        if (!isValidNvxTitle(title)) return failure('PARAMETER_INVALID');
        const issued = await issue('api-key', owner.id, 'master', title, null, maxApiKeys);
        if (issued === 'limit-exceeded') return failure('LIMIT_EXCEEDED');
        return success({ ...show(issued.record), hash: issued.hash });
      }),
    listApiKeys: (owner) =>
      throwing(async () => {
        const records = await store.listByOwner(owner.id, { strategy: NVX_STRATEGY_ID, kind: 'api-key', activeAt: clock.now() });
        return records.map(show);
      }),
    deleteApiKey: (owner, keyHash) =>
      resulting(async () => {
        if (typeof keyHash !== 'string' || !isHexString(keyHash, NVX_HASH_BYTES * 2)) return failure('PARAMETER_INVALID');
        return revokeOwned(owner, await store.findByDigest(digest(keyHash.toLowerCase())));
      }),
    deleteApiKeyById: (owner, id) =>
      resulting(async () => {
        if (typeof id !== 'string' || id.length > 100) return failure('PARAMETER_INVALID');
        return revokeOwned(owner, await store.findById(id));
      }),
  };
}
