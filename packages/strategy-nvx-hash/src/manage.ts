import {
  ConfigurationError,
  type AuthEvent,
  type CredentialInfo,
  type CredentialManager,
  type CredentialRecord,
  type CredentialReference,
  type ManageResult,
  type Principal,
  type RotateOptions,
} from '@gatehouse/auth-core';
import {
  createEventEmitter,
  findOwnedCredential,
  guardStore,
  insertCredential,
  isCredentialActive,
  isPrintableText,
  manageFailure,
  manageSuccess,
  newCredentialId,
  readCredentialReference,
  replaceCredential,
  resolveCredentialOptions,
  rotationOverlapMs,
} from '@gatehouse/auth-core/strategy';
import { generateHexToken, isHexString } from '@gatehouse/auth-core/crypto';
import {
  NVX_DEFAULT_MAX_API_KEYS,
  NVX_HASH_BYTES,
  NVX_STRATEGY_ID,
  positiveSeconds,
  type NvxAccountType,
  type NvxCredentialKind,
  type NvxHashManagerOptions,
} from './options.js';

/**
 * The account that manages API keys.
 *
 * @example
 * ```ts
 * const owner: NvxOwner = { id: '1', accountType: 'master' };
 * ```
 */
export interface NvxOwner {
  /** The account id: the user id for `master` and `sub`, the panel account id for `panel`. */
  readonly id: string;
  /** The kind of account; only `master` has API keys. */
  readonly accountType: NvxAccountType;
}

/**
 * A newly started session: its hash is returned here and never again.
 *
 * @example
 * ```ts
 * const started = await manager.startUserSession({ id: '1', accountType: 'master' });
 * if (started.ok) reply({ hash: started.value.hash });
 * ```
 */
export interface NvxSession {
  /** The session hash, shown this once: the client sends it as the `hash` of later calls. */
  readonly hash: string;
  /** The session's public id, for logs and revocation. */
  readonly credentialId: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

/**
 * An API key as `list` shows it. `hash` is the full hash in the revealable listing mode, otherwise the first 4
 * characters followed by 28 `*`.
 *
 * @example
 * ```ts
 * const key: NvxApiKeyListing = { id: 'nvx_…', hash: 'c915****************************', title: 'CI', createdAt: 0, lastUsedAt: null };
 * ```
 */
export interface NvxApiKeyListing {
  /** The key's public id, for `revoke` and `rotate`. */
  readonly id: string;
  /** The hash in the revealable listing mode (and when just issued); otherwise its first 4 characters and 28 `*`. */
  readonly hash: string;
  /** The title given at issue (Navixy's `title`). */
  readonly title: string;
  /** Epoch milliseconds (Navixy's `create_date`: see `formatNvxDate`). */
  readonly createdAt: number;
  /** When it was last used, in epoch milliseconds; `null` until first use. */
  readonly lastUsedAt: number | null;
}

/**
 * A newly issued (or rotated) API key: the only time the full hash is returned in the masked listing mode.
 *
 * @example
 * ```ts
 * const issued: NvxApiKey = { id: 'nvx_…', hash: 'c915157ac483e7319b0b257408bc04e1', title: 'CI', createdAt: 0, lastUsedAt: null };
 * ```
 */
export interface NvxApiKey extends NvxApiKeyListing {}

/**
 * Who asks to manage API keys: an authenticated caller as any adapter hands it over (an `AuthContext`), or as a
 * strategy's outcome carries it (`principal` and `credential`).
 *
 * @example
 * ```ts
 * const caller: NvxKeyManagerCaller = req.auth!; // Express, behind authenticate(nvxHash(...))
 * const owner = manager.keyManager(caller);
 * ```
 */
export interface NvxKeyManagerCaller {
  /** Who was authenticated; only a `master` account (`attributes.accountType`) may manage API keys. */
  readonly principal: Principal;
  /** What authenticated the request; only a user session hash (`kind: 'user-session'`) may manage API keys. */
  readonly credential: CredentialInfo;
}

/**
 * The management face. API keys through the shared manager vocabulary (`issue`, `list`, `revoke`, `rotate`: only
 * for a master owner, at most `maxApiKeysPerUser` live keys), and Navixy's sessions beside it (`user/auth`,
 * `panel/account/auth`, `user/session/renew`, `user/logout`). Every method returns a `ManageResult`: a failing
 * store is `STORE_UNAVAILABLE`, never a throw or an empty answer; bad input is `PARAMETER_INVALID`.
 *
 * @example
 * ```ts
 * const manager = createNvxHashManager({ store });
 * const owner = manager.keyManager(auth); // the authenticated caller of api/key/create
 * const issued = owner.ok ? await manager.issue(owner.value, { title: 'Integration Key' }) : owner;
 * ```
 */
export interface NvxHashManager extends CredentialManager<NvxOwner, { readonly title: unknown }, NvxApiKey, NvxApiKeyListing> {
  /** Starts a user session after the application has checked the login and password (`user/auth`). */
  startUserSession(owner: NvxOwner): Promise<ManageResult<NvxSession>>;
  /** Starts a panel session after the application has checked the panel login (`panel/account/auth`). */
  startPanelSession(panelAccountId: string): Promise<ManageResult<NvxSession>>;
  /**
   * Extends a live session by its full lifetime from now (`user/session/renew`). `OPERATION_NOT_PERMITTED` for
   * an API key; `CREDENTIALS_INVALID` for a session that ended meanwhile.
   */
  renewSession(credential: CredentialInfo): Promise<ManageResult<{ readonly expiresAt: number }>>;
  /** Ends a session (`user/logout`); API keys cannot be ended this way (`OPERATION_NOT_PERMITTED`). */
  endSession(credential: CredentialInfo): Promise<ManageResult<void>>;
  /** Ends every user session of an account (after a password change); the value is how many. API keys stay. */
  endUserSessions(ownerId: string): Promise<ManageResult<number>>;
  /**
   * Who may manage API keys with this authenticated caller: only a master user's session hash. Creating an API
   * key with another API key is not possible, and sub-users have no API keys (Navixy API docs, "Authentication":
   * https://www.navixy.com/docs/navixy-api/user-api/authentication).
   *
   * Takes an adapter's `auth` as it is (`req.auth`, `request.auth`, `c.get('auth')`), typed for any strategy's
   * principal; what it checks is the credential kind (`user-session`) and the account type (`master`) that
   * `nvxHash` authenticates. No caller at all is `PARAMETER_INVALID`.
   */
  keyManager(caller: NvxKeyManagerCaller | null | undefined): ManageResult<NvxOwner>;
}

/** The longest API key title, in code points. */
const MAX_TITLE_LENGTH = 255;

/**
 * Checks an API key title with the rule every Gatehouse label follows (`isPrintableText`): 1 to 255 Unicode
 * code points, not only spaces, no control or format characters other than the zero-width joiner, no line or
 * paragraph separators, no private-use, unassigned or lone surrogate code points. `issue` applies it; this is
 * for a form that wants to say so before calling.
 *
 * @example
 * ```ts
 * isValidNvxTitle('Integration Key'); // true
 * isValidNvxTitle('a\nb'); // false
 * ```
 */
export function isValidNvxTitle(title: unknown): title is string {
  return isPrintableText(title, { maxLength: MAX_TITLE_LENGTH });
}

const API_KEY_KINDS: readonly NvxCredentialKind[] = Object.freeze(['api-key']);

/** An account or credential id from an untyped caller: a non-empty string. */
function isAccountId(id: unknown): id is string {
  return typeof id === 'string' && id !== '';
}

/** An owner object from an untyped caller: `null` when it is not one. */
function readOwner(owner: unknown): NvxOwner | null {
  if (owner === null || typeof owner !== 'object') return null;
  const { id, accountType } = owner as { id?: unknown; accountType?: unknown };
  if (!isAccountId(id)) return null;
  return accountType === 'master' || accountType === 'sub' || accountType === 'panel' ? { id, accountType } : null;
}

/**
 * Creates the management face.
 *
 * @example
 * ```ts
 * const manager = createNvxHashManager({ store, listing: { mode: 'revealable', sealer } });
 * const owner = manager.keyManager(auth);
 * if (owner.ok) await manager.issue(owner.value, { title: 'Integration Key' });
 * ```
 */
export function createNvxHashManager(options: NvxHashManagerOptions): NvxHashManager {
  const { store, digest, clock } = resolveCredentialOptions(options);
  const maxApiKeys = options.maxApiKeysPerUser ?? NVX_DEFAULT_MAX_API_KEYS;
  if (!Number.isSafeInteger(maxApiKeys) || maxApiKeys < 0) throw new ConfigurationError('maxApiKeysPerUser', 'must be a non-negative integer');
  const userSessionMs = positiveSeconds(options.userSessionMaxAgeInSeconds, 30 * 86_400, 'userSessionMaxAgeInSeconds') * 1000;
  const panelSessionMs = positiveSeconds(options.panelSessionMaxAgeInSeconds, 86_400, 'panelSessionMaxAgeInSeconds') * 1000;
  const listing = options.listing ?? { mode: 'masked' as const };
  if (listing === null || typeof listing !== 'object' || (listing.mode !== 'masked' && listing.mode !== 'revealable')) {
    throw new ConfigurationError('listing', "mode must be 'masked' or 'revealable'");
  }
  if (listing.mode === 'revealable' && (listing.sealer === undefined || typeof listing.sealer.seal !== 'function')) {
    throw new ConfigurationError('listing', "mode 'revealable' needs a sealer (createSecretSealer) so keys are stored encrypted");
  }
  const emit = createEventEmitter(options.onEvent);
  const sealContext = (id: string): string => `${NVX_STRATEGY_ID}:${id}`;

  const event = (type: 'credential-created' | 'credential-revoked', record: CredentialRecord, at: number): AuthEvent => ({
    type,
    strategyId: NVX_STRATEGY_ID,
    at,
    ownerId: record.ownerId,
    credentialId: record.id,
    credentialKind: record.kind,
  });

  /**
   * Inserts a new hash of `kind` (a fresh one per attempt: collisions are retried by `insertCredential`). API keys
   * are sealed too in the revealable listing mode. Store failures throw: callers run inside `guardStore`.
   */
  async function insertHash(
    kind: NvxCredentialKind,
    ownerId: string,
    accountType: NvxAccountType,
    label: string,
    now: number,
    lifetimeMs: number | null,
    maxActivePerOwner?: number,
  ): Promise<ManageResult<{ readonly record: CredentialRecord; readonly secret: string }>> {
    const inserted = await insertCredential(
      store,
      () => {
        const hash = generateHexToken(NVX_HASH_BYTES);
        const id = newCredentialId('nvx');
        return {
          secret: hash,
          record: {
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
          },
        };
      },
      maxActivePerOwner === undefined ? {} : { maxActivePerOwner, now },
    );
    if (inserted.ok) emit(event('credential-created', inserted.value.record, now));
    return inserted;
  }

  async function startSession(kind: 'user-session' | 'panel-session', ownerId: string, accountType: NvxAccountType): Promise<ManageResult<NvxSession>> {
    const now = clock.now();
    const lifetimeMs = kind === 'panel-session' ? panelSessionMs : userSessionMs;
    const label = kind === 'panel-session' ? 'panel session' : 'user session';
    const inserted = await insertHash(kind, ownerId, accountType, label, now, lifetimeMs);
    if (!inserted.ok) return inserted;
    return manageSuccess({ hash: inserted.value.secret, credentialId: inserted.value.record.id, expiresAt: now + lifetimeMs });
  }

  const show = (record: CredentialRecord): NvxApiKeyListing => {
    let hash = `${record.hint}${'*'.repeat(NVX_HASH_BYTES * 2 - record.hint.length)}`;
    if (listing.mode === 'revealable' && record.sealedSecret !== null) {
      hash = listing.sealer.open(record.sealedSecret, sealContext(record.id)) ?? hash;
    }
    return { id: record.id, hash, title: record.label, createdAt: record.createdAt, lastUsedAt: record.lastUsedAt };
  };

  // The hash is at hand: nothing to unseal.
  const issued = (record: CredentialRecord, hash: string): NvxApiKey => ({
    id: record.id,
    hash,
    title: record.label,
    createdAt: record.createdAt,
    lastUsedAt: record.lastUsedAt,
  });

  /** Only a master owner has API keys: the owner as given, or why the call is refused. */
  function keyOwner(owner: unknown): ManageResult<NvxOwner> {
    const read = readOwner(owner);
    if (read === null) return manageFailure('PARAMETER_INVALID');
    return read.accountType === 'master' ? manageSuccess(read) : manageFailure('OPERATION_NOT_PERMITTED');
  }

  /**
   * The owner's live API key a reference names. A token is the key hash itself (`api/key/delete?key_hash=`): 32 hex
   * characters, any case.
   */
  async function ownedApiKey(ownerId: string, credential: unknown, now: number): Promise<ManageResult<CredentialRecord>> {
    const reference = readCredentialReference(credential);
    if (reference === null) return manageFailure('PARAMETER_INVALID');
    let lookup: CredentialReference = reference;
    if ('token' in reference) {
      if (!isHexString(reference.token, NVX_HASH_BYTES * 2)) return manageFailure('PARAMETER_INVALID');
      lookup = { token: reference.token.toLowerCase() };
    }
    const record = await findOwnedCredential(lookup, { store, digest, strategyId: NVX_STRATEGY_ID, kinds: API_KEY_KINDS, ownerId, now });
    return record === null ? manageFailure('CREDENTIAL_NOT_FOUND') : manageSuccess(record);
  }

  /** Revokes a record; `false` when it was revoked meanwhile (another call won the race). */
  async function revokeRecord(record: CredentialRecord, now: number): Promise<boolean> {
    if (!(await store.revoke(record.id, now))) return false;
    emit(event('credential-revoked', record, now));
    return true;
  }

  /** The live session a credential of the caller names. */
  async function liveSession(credential: CredentialInfo): Promise<ManageResult<CredentialRecord>> {
    if (credential === null || typeof credential !== 'object' || !isAccountId(credential.id) || typeof credential.kind !== 'string') {
      return manageFailure('PARAMETER_INVALID');
    }
    if (credential.kind !== 'user-session' && credential.kind !== 'panel-session') return manageFailure('OPERATION_NOT_PERMITTED');
    const record = await store.findById(credential.id);
    if (record === null || record.strategy !== NVX_STRATEGY_ID || record.kind !== credential.kind || !isCredentialActive(record, clock.now())) {
      return manageFailure('CREDENTIALS_INVALID');
    }
    return manageSuccess(record);
  }

  return {
    issue: (owner, input) =>
      guardStore(async () => {
        const checked = keyOwner(owner);
        if (!checked.ok) return checked;
        const title: unknown = input !== null && typeof input === 'object' ? input.title : undefined;
        if (!isValidNvxTitle(title)) return manageFailure('PARAMETER_INVALID');
        const inserted = await insertHash('api-key', checked.value.id, 'master', title, clock.now(), null, maxApiKeys);
        return inserted.ok ? manageSuccess(issued(inserted.value.record, inserted.value.secret)) : inserted;
      }),

    list: (owner) =>
      guardStore(async () => {
        const checked = keyOwner(owner);
        if (!checked.ok) return checked;
        const records = await store.listByOwner(checked.value.id, { strategy: NVX_STRATEGY_ID, kind: 'api-key', activeAt: clock.now() });
        return manageSuccess(records.map(show));
      }),

    revoke: (owner, credential) =>
      guardStore(async () => {
        const checked = keyOwner(owner);
        if (!checked.ok) return checked;
        const now = clock.now();
        const found = await ownedApiKey(checked.value.id, credential, now);
        if (!found.ok) return found;
        return (await revokeRecord(found.value, now)) ? manageSuccess(undefined) : manageFailure('CREDENTIAL_NOT_FOUND');
      }),

    rotate: (owner, credential, rotateOptions?: RotateOptions) =>
      guardStore(async () => {
        const checked = keyOwner(owner);
        if (!checked.ok) return checked;
        const overlapMs = rotationOverlapMs(rotateOptions);
        if (overlapMs === null) return manageFailure('PARAMETER_INVALID');
        const now = clock.now();
        const found = await ownedApiKey(checked.value.id, credential, now);
        if (!found.ok) return found;
        const old = found.value;
        // With no overlap the new key takes the old one's place: one slot above the limit for the moment both exist,
        // so a user at the limit can still rotate. With an overlap both keys work and both count: at the limit,
        // that is LIMIT_EXCEEDED. The old key's end is never put off, and when the old key was revoked or the store
        // failed meanwhile, the new key (which nobody has seen) is revoked again.
        const replaced = await replaceCredential({
          store,
          old,
          overlapMs,
          now,
          insert: (beyondLimitBy) => insertHash('api-key', old.ownerId, 'master', old.label, now, null, maxApiKeys + beyondLimitBy),
          revoke: revokeRecord,
        });
        return replaced.ok ? manageSuccess(issued(replaced.value.record, replaced.value.secret)) : replaced;
      }),

    startUserSession: (owner) =>
      guardStore(async () => {
        const read = readOwner(owner);
        if (read === null || read.accountType === 'panel') return manageFailure('PARAMETER_INVALID');
        return startSession('user-session', read.id, read.accountType);
      }),

    startPanelSession: (panelAccountId) =>
      guardStore(async () => {
        if (!isAccountId(panelAccountId)) return manageFailure('PARAMETER_INVALID');
        return startSession('panel-session', panelAccountId, 'panel');
      }),

    renewSession: (credential) =>
      guardStore(async () => {
        const live = await liveSession(credential);
        if (!live.ok) return live;
        const record = live.value;
        const expiresAt = clock.now() + (record.kind === 'panel-session' ? panelSessionMs : userSessionMs);
        const updated = await store.update(record.id, { expiresAt });
        return updated === null || updated.revokedAt !== null ? manageFailure('CREDENTIALS_INVALID') : manageSuccess({ expiresAt });
      }),

    endSession: (credential) =>
      guardStore(async () => {
        const live = await liveSession(credential);
        if (!live.ok) return live;
        // Two logouts racing: only the one that actually revoked reports success.
        return (await revokeRecord(live.value, clock.now())) ? manageSuccess(undefined) : manageFailure('CREDENTIALS_INVALID');
      }),

    endUserSessions: (ownerId) =>
      guardStore(async () => {
        if (!isAccountId(ownerId)) return manageFailure('PARAMETER_INVALID');
        const now = clock.now();
        const sessions = await store.listByOwner(ownerId, { strategy: NVX_STRATEGY_ID, kind: 'user-session', activeAt: now });
        let ended = 0;
        for (const session of sessions) if (await revokeRecord(session, now)) ended++;
        return manageSuccess(ended);
      }),

    keyManager(caller) {
      if (caller === null || typeof caller !== 'object' || caller.principal === null || typeof caller.principal !== 'object') {
        return manageFailure('PARAMETER_INVALID');
      }
      if (caller.credential?.kind !== 'user-session') return manageFailure('OPERATION_NOT_PERMITTED');
      if (caller.principal.attributes?.accountType !== 'master' || !isAccountId(caller.principal.id)) return manageFailure('OPERATION_NOT_PERMITTED');
      return manageSuccess({ id: caller.principal.id, accountType: 'master' });
    },
  };
}
