import {
  ConfigurationError,
  type CredentialInfo,
  type CredentialManager,
  type CredentialRecord,
  type ManageResult,
  type NewCredentialRecord,
  type Principal,
} from '@gatehouse/auth-core';
import {
  createEventEmitter,
  createIpMatcher,
  findOwnedCredential,
  guardStore,
  insertCredential,
  isCredentialActive,
  isPrintableText,
  manageFailure,
  manageSuccess,
  newCredentialId,
  normalizeIpAddress,
  readCredentialReference,
  resolveCredentialOptions,
  rotationOverlapMs,
} from '@gatehouse/auth-core/strategy';
import { encodeHex, generateHexToken, randomBytes } from '@gatehouse/auth-core/crypto';
import {
  HMAC_API_KEY_BYTES,
  HMAC_API_SECRET_BYTES,
  HMAC_SESSION_TOKEN_BYTES,
  HMAC_STRATEGY_ID,
  positiveSeconds,
  requireSealer,
  type HmacKeyManagerOptions,
} from './options.js';
import { HMAC_KINDS } from './verify.js';

/**
 * What a new key's creator sees once, and may download as JSON ("Export to JSON" in KiiEx docs, "Authenticate
 * with API Key").
 *
 * @example
 * ```ts
 * const created: HmacKeyExport = { APIKey: '…', APISecret: '…', Nonce: '…', UserId: '1', Permissions: ['Trading'], AllowedIps: [] };
 * ```
 */
export interface HmacKeyExport {
  /** The public half of the key, sent with every `AuthenticateUser` call. */
  readonly APIKey: string;
  /** The secret that signs: HMAC-SHA256 key of the signature. Shown this once. */
  readonly APISecret: string;
  /** The nonce shown at creation (a random 12-digit decimal); the `issued` nonce policy accepts only this one. */
  readonly Nonce: string;
  /** The user the key belongs to, part of what is signed. */
  readonly UserId: string;
  /** The permission names the key carries (its scopes). */
  readonly Permissions: readonly string[];
  /** The addresses and CIDR ranges the key may be used from, canonical; empty means any. */
  readonly AllowedIps: readonly string[];
}

/**
 * What {@link HmacKeyManager.issue} returns, once: the key's public id (for listings, `revoke` and `rotate`) and
 * everything the user downloads.
 *
 * @example
 * ```ts
 * const issued: HmacIssuedKey = { id: 'hk_…', APIKey: '…', APISecret: '…', Nonce: '…', UserId: '1', Permissions: [], AllowedIps: [] };
 * ```
 */
export type HmacIssuedKey = HmacKeyExport & { readonly id: string };

/**
 * What a new key is issued with. The fields are checked inside (they often come straight from a request body):
 * anything else than described is `PARAMETER_INVALID`.
 *
 * @example
 * ```ts
 * const input: HmacIssueInput = { permissions: ['Trading'], allowedIps: ['203.0.113.0/24'], label: 'bot', userName: 'demo' };
 * ```
 */
export interface HmacIssueInput {
  /** Permission names (at most 32), each one of the manager's `permissions`. Default none. */
  readonly permissions?: unknown;
  /** IPv4/IPv6 addresses or CIDR ranges (at most 64) the key may be used from. Default: any address. */
  readonly allowedIps?: unknown;
  /** A name for listings: printable text of 0 to 255 characters. Default empty. */
  readonly label?: unknown;
  /** The user's name, for the `AuthenticateUser` reply: printable text of 1 to 255 characters. */
  readonly userName?: unknown;
}

/**
 * The result of a secret rotation: the new secret, shown once. The APIKey, nonce and permissions are unchanged
 * (the client keeps the APIKey it has; the server stores only its digest). Sessions started with the previous
 * secret end when it stops verifying.
 *
 * @example
 * ```ts
 * const rotated: HmacRotatedSecret = { id: 'hk_…', APISecret: '…', UserId: '1', previousSecretValidUntil: null };
 * ```
 */
export interface HmacRotatedSecret {
  /** The key's public id (unchanged). */
  readonly id: string;
  /** The new secret, shown this once. */
  readonly APISecret: string;
  /** The user the key belongs to (unchanged). */
  readonly UserId: string;
  /** Epoch milliseconds until which the previous secret still verifies, or `null` without an overlap. */
  readonly previousSecretValidUntil: number | null;
}

/**
 * A key as listings show it: never the secret, only the first 4 characters of the APIKey.
 *
 * @example
 * ```ts
 * const row: HmacKeyListing = { id: 'hk_…', apiKeyHint: '3f2a', label: 'bot', permissions: ['Trading'], allowedIps: [], createdAt: 0, lastUsedAt: null };
 * ```
 */
export interface HmacKeyListing {
  /** The key's public id, for `revoke` and `rotate`. */
  readonly id: string;
  /** The first 4 characters of the APIKey, to tell keys apart. */
  readonly apiKeyHint: string;
  /** The name given at issue. */
  readonly label: string;
  /** The permission names the key carries. */
  readonly permissions: readonly string[];
  /** The addresses and CIDR ranges the key may be used from; empty means any. */
  readonly allowedIps: readonly string[];
  /** When it was issued, in epoch milliseconds. */
  readonly createdAt: number;
  /** When it was last used, in epoch milliseconds; `null` until first use. */
  readonly lastUsedAt: number | null;
}

/**
 * A session token, returned once: issued by a successful `AuthenticateUser` (`startSession`) or by a password
 * login (`startWebSession`). Clients send it as the `aptoken` header.
 *
 * @example
 * ```ts
 * const session: HmacSessionIssued = { token: '…', credentialId: 'hs_…', expiresAt: 0 };
 * ```
 */
export interface HmacSessionIssued {
  /** The session token, shown this once: the `aptoken` header of later calls. */
  readonly token: string;
  /** The session's public id, for logs and revocation. */
  readonly credentialId: string;
  /** When the session ends, in epoch milliseconds. */
  readonly expiresAt: number;
}

/**
 * The management face, in the vocabulary every Gatehouse manager speaks, for a user's API keys (the owner is the
 * `UserId`), plus the sessions of the scheme. Every method returns a `ManageResult`: a failing store is
 * `STORE_UNAVAILABLE`, bad input `PARAMETER_INVALID`, a key that is not the user's (or no longer live)
 * `CREDENTIAL_NOT_FOUND`; nothing throws.
 * - `issue(userId, input)`: a fresh APIKey, APISecret and Nonce, returned only here. The secret is stored sealed
 *   under the key-encryption key (the server needs it to verify signatures), the APIKey only as a digest.
 *   `LIMIT_EXCEEDED` at `maxKeysPerUser` live keys.
 * - `list(userId)`: the live keys, oldest first, without secrets.
 * - `revoke(userId, { id } | { token: APIKey })`: every session derived from the key ends at once.
 * - `rotate(userId, { id } | { token: APIKey }, { overlapInSeconds })`: a new APISecret, shown once. The APIKey,
 *   nonce and permissions stay (so the key count does not change); the previous secret keeps verifying for the
 *   overlap (at most 30 days, default 0: it stops at once). The key's API sessions end with the old secret: at
 *   once without an overlap, at the overlap's end with one (a session started during the overlap with the previous
 *   secret too). A key revoked meanwhile is `CREDENTIAL_NOT_FOUND`; options that are not an object are
 *   `PARAMETER_INVALID`. A `credential-rotated` event (ids only) reports it.
 * - `startSession(outcome)`, `startWebSession({ userId, userName })`, `endSession(credential)`: the two kinds of
 *   `aptoken` session (an API session after `AuthenticateUser`, a web session after a password login).
 *
 * @example
 * ```ts
 * const manager = createHmacKeyManager({ store, sealer });
 * const issued = await manager.issue('1', { permissions: ['Trading'] });
 * if (issued.ok) await manager.rotate('1', { token: issued.value.APIKey }, { overlapInSeconds: 3600 });
 * ```
 */
export interface HmacKeyManager extends CredentialManager<string, HmacIssueInput, HmacIssuedKey, HmacKeyListing, HmacRotatedSecret> {
  /**
   * Exchanges an authenticated `AuthenticateUser` outcome for a session token (`aptoken`). The session ends after
   * `sessionMaxAgeInSeconds`, or at the outcome's `credential.expiresAt` when that is sooner (a request signed with
   * the previous secret of a rotation overlap ends with the overlap); `CREDENTIALS_INVALID` when that has passed.
   */
  startSession(caller: { readonly principal: Principal; readonly credential: CredentialInfo }): Promise<ManageResult<HmacSessionIssued>>;
  /**
   * Starts a web session for a user whose password the application has checked (`WebAuthenticateUser`): a
   * random 32-byte token (64 hex characters, stored only as a digest, kind `web-session`) that manages the
   * user's API keys and carries no permissions. It ends `webSessionMaxAgeInSeconds` after it starts (default
   * 12 hours); at `maxWebSessionsPerUser` live web sessions (default 20) a new one ends the oldest. `userId` as
   * for keys (1 to 64 letters, digits, `_`, `-`), `userName` printable text of 1 to 255 characters, else
   * `PARAMETER_INVALID`.
   */
  startWebSession(user: { readonly userId: string; readonly userName: string }): Promise<ManageResult<HmacSessionIssued>>;
  /** Ends a session of either kind (`LogOut`): the credential of an authenticated `aptoken` call. */
  endSession(credential: CredentialInfo): Promise<ManageResult<void>>;
}

const PERMISSION = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const API_KEY = new RegExp(`^[0-9a-f]{${HMAC_API_KEY_BYTES * 2}}$`);
const KEY_KINDS: readonly string[] = [HMAC_KINDS.apiKey];
const SESSION_KINDS: readonly string[] = [HMAC_KINDS.session, HMAC_KINDS.webSession];

/**
 * The JSON a user downloads after creating a key ("Export to JSON"), pretty-printed.
 *
 * @example
 * ```ts
 * download('api-key.json', exportHmacKeyJson(issued));
 * ```
 */
export function exportHmacKeyJson(created: HmacKeyExport): string {
  const { APIKey, APISecret, Nonce, UserId, Permissions, AllowedIps } = created;
  return `${JSON.stringify({ APIKey, APISecret, Nonce, UserId, Permissions, AllowedIps }, null, 2)}\n`;
}

/**
 * Creates the management face.
 *
 * @example
 * ```ts
 * const manager = createHmacKeyManager({ store, sealer, permissions: ['Trading', 'Deposit', 'Withdraw'] });
 * const issued = await manager.issue('1', { permissions: ['Trading'], label: 'bot' });
 * ```
 */
export function createHmacKeyManager(options: HmacKeyManagerOptions): HmacKeyManager {
  const { store, digest, clock } = resolveCredentialOptions(options);
  const sealer = requireSealer(options.sealer);
  const allowedPermissions = options.permissions === undefined ? null : new Set(options.permissions);
  if (allowedPermissions !== null && [...allowedPermissions].some((permission) => typeof permission !== 'string' || !PERMISSION.test(permission))) {
    throw new ConfigurationError('permissions', 'must be names of letters, digits, _ and - starting with a letter');
  }
  const maxKeys = options.maxKeysPerUser ?? 20;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw new ConfigurationError('maxKeysPerUser', 'must be a positive integer');
  const sessionMs = positiveSeconds(options.sessionMaxAgeInSeconds, 86_400, 'sessionMaxAgeInSeconds') * 1000;
  const maxSessions = options.maxSessionsPerUser ?? 100;
  if (!Number.isSafeInteger(maxSessions) || maxSessions < 1) throw new ConfigurationError('maxSessionsPerUser', 'must be a positive integer');
  const webSessionMs = positiveSeconds(options.webSessionMaxAgeInSeconds, 43_200, 'webSessionMaxAgeInSeconds') * 1000;
  const maxWebSessions = options.maxWebSessionsPerUser ?? 20;
  if (!Number.isSafeInteger(maxWebSessions) || maxWebSessions < 1) throw new ConfigurationError('maxWebSessionsPerUser', 'must be a positive integer');
  const emit = createEventEmitter(options.onEvent);
  const context = (id: string): string => `${HMAC_STRATEGY_ID}:${id}`;
  const isUserId = (userId: unknown): userId is string => typeof userId === 'string' && USER_ID.test(userId);

  const parsePermissions = (value: unknown): string[] | null => {
    const list = value === undefined ? [] : value;
    if (!Array.isArray(list) || list.length > 32) return null;
    const unique = [...new Set(list)];
    for (const permission of unique) {
      if (typeof permission !== 'string' || !PERMISSION.test(permission)) return null;
      if (allowedPermissions !== null && !allowedPermissions.has(permission)) return null;
    }
    return unique as string[];
  };
  const parseAllowedIps = (value: unknown): string[] | null => {
    const list = value === undefined ? [] : value;
    if (!Array.isArray(list) || list.length > 64) return null;
    const out: string[] = [];
    for (const entry of list) {
      if (typeof entry !== 'string') return null;
      const trimmed = entry.trim();
      const slash = trimmed.indexOf('/');
      const address = normalizeIpAddress(slash === -1 ? trimmed : trimmed.slice(0, slash));
      if (address === null || /[%[\]]/.test(trimmed)) return null;
      const normalized = slash === -1 ? address : `${address}${trimmed.slice(slash)}`;
      try {
        createIpMatcher([normalized]);
      } catch {
        return null;
      }
      if (!out.includes(normalized)) out.push(normalized);
    }
    return out;
  };

  /**
   * Stores a new session of `kind` for `ownerId`, ending the owner's oldest live session of that kind when they
   * are at `limit`: a user at the limit loses their oldest session rather than being locked out.
   */
  const insertSession = async (
    kind: string,
    ownerId: string,
    limit: number,
    now: number,
    fields: () => Omit<NewCredentialRecord, 'digest' | 'hint' | 'strategy' | 'kind' | 'ownerId' | 'createdAt' | 'sealedSecret'>,
  ): Promise<ManageResult<{ readonly token: string; readonly id: string }>> => {
    const draw = () => {
      const token = generateHexToken(HMAC_SESSION_TOKEN_BYTES);
      return {
        secret: token,
        record: { ...fields(), digest: digest(token), hint: token.slice(0, 4), strategy: HMAC_STRATEGY_ID, kind, ownerId, createdAt: now, sealedSecret: null },
      };
    };
    let inserted = await insertCredential(store, draw, { maxActivePerOwner: limit, now });
    if (!inserted.ok && inserted.error.code === 'LIMIT_EXCEEDED') {
      const live = await store.listByOwner(ownerId, { strategy: HMAC_STRATEGY_ID, kind, activeAt: now });
      if (live[0] !== undefined) await store.revoke(live[0].id, now);
      inserted = await insertCredential(store, draw, { maxActivePerOwner: limit, now });
    }
    if (!inserted.ok) return manageFailure('INTERNAL_ERROR');
    return manageSuccess({ token: inserted.value.secret, id: inserted.value.record.id });
  };

  /**
   * Ends every live API session started from `key` at once (`until` is `null`), or makes each end by `until` at
   * the latest: what a rotation does to the sessions of the secret it replaces. Store failures throw.
   */
  const limitSessionsOf = async (key: CredentialRecord, now: number, until: number | null): Promise<void> => {
    const sessions = await store.listByOwner(key.ownerId, { strategy: HMAC_STRATEGY_ID, kind: HMAC_KINDS.session, activeAt: now });
    for (const session of sessions) {
      if (session.parentId !== key.id) continue;
      if (until === null) await store.revoke(session.id, now);
      else if (session.expiresAt === null || session.expiresAt > until) await store.update(session.id, { expiresAt: until });
    }
  };

  /**
   * The user's live key a reference from an untyped caller names: `PARAMETER_INVALID` for a reference that is
   * neither `{ id }` nor `{ token: <APIKey> }`, `CREDENTIAL_NOT_FOUND` for a key that is not theirs or not live.
   */
  const ownedKey = async (userId: unknown, credential: unknown): Promise<ManageResult<CredentialRecord>> => {
    const reference = readCredentialReference(credential);
    if (!isUserId(userId) || reference === null) return manageFailure('PARAMETER_INVALID');
    if ('token' in reference && !API_KEY.test(reference.token)) return manageFailure('PARAMETER_INVALID');
    const record = await findOwnedCredential(reference, { store, digest, strategyId: HMAC_STRATEGY_ID, kinds: KEY_KINDS, ownerId: userId, now: clock.now() });
    return record === null ? manageFailure('CREDENTIAL_NOT_FOUND') : manageSuccess(record);
  };

  return {
    issue: (userId, input) =>
      guardStore(async () => {
        if (!isUserId(userId)) return manageFailure('PARAMETER_INVALID');
        // An untyped caller may leave the input out; anything else than an object is bad input.
        if (input !== undefined && (input === null || typeof input !== 'object')) return manageFailure('PARAMETER_INVALID');
        const permissions = parsePermissions(input?.permissions);
        const allowedIps = parseAllowedIps(input?.allowedIps);
        const label = input?.label ?? '';
        const userName = input?.userName;
        if (permissions === null || allowedIps === null) return manageFailure('PARAMETER_INVALID');
        if (!isPrintableText(label, { minLength: 0, maxLength: 255 })) return manageFailure('PARAMETER_INVALID');
        if (userName !== undefined && !isPrintableText(userName, { maxLength: 255 })) return manageFailure('PARAMETER_INVALID');
        const now = clock.now();
        // A fresh APIKey, secret, nonce and id on every attempt: a collision is retried with new values.
        const inserted = await insertCredential(
          store,
          () => {
            const apiKey = generateHexToken(HMAC_API_KEY_BYTES);
            const apiSecret = generateHexToken(HMAC_API_SECRET_BYTES);
            // The nonce shown at creation (KiiEx docs, "Authenticate with API Key"): a random 12-digit decimal,
            // usable as a starting point for the `increasing` policy too.
            const nonce = String(100_000_000_000 + (parseInt(encodeHex(randomBytes(6)), 16) % 900_000_000_000));
            const id = newCredentialId('hk');
            return {
              secret: { apiKey, apiSecret },
              record: {
                id,
                digest: digest(apiKey),
                strategy: HMAC_STRATEGY_ID,
                kind: HMAC_KINDS.apiKey,
                ownerId: userId,
                parentId: null,
                label,
                hint: apiKey.slice(0, 4),
                scopes: permissions,
                allowedIps,
                sealedSecret: sealer.seal(apiSecret, context(id)),
                attributes: { nonce, ...(userName === undefined ? {} : { userName }) },
                createdAt: now,
                expiresAt: null,
              },
            };
          },
          { maxActivePerOwner: maxKeys, now },
        );
        if (!inserted.ok) return inserted;
        const { record, secret } = inserted.value;
        emit({ type: 'credential-created', strategyId: HMAC_STRATEGY_ID, at: now, ownerId: userId, credentialId: record.id, credentialKind: HMAC_KINDS.apiKey });
        return manageSuccess({
          id: record.id,
          APIKey: secret.apiKey,
          APISecret: secret.apiSecret,
          Nonce: String(record.attributes['nonce']),
          UserId: record.ownerId,
          Permissions: record.scopes,
          AllowedIps: record.allowedIps,
        });
      }),

    list: (userId) =>
      guardStore(async () => {
        if (!isUserId(userId)) return manageFailure('PARAMETER_INVALID');
        const records = await store.listByOwner(userId, { strategy: HMAC_STRATEGY_ID, kind: HMAC_KINDS.apiKey, activeAt: clock.now() });
        return manageSuccess(
          records.map((record) => ({
            id: record.id,
            apiKeyHint: record.hint,
            label: record.label,
            permissions: record.scopes,
            allowedIps: record.allowedIps,
            createdAt: record.createdAt,
            lastUsedAt: record.lastUsedAt,
          })),
        );
      }),

    revoke: (userId, credential) =>
      guardStore(async () => {
        const owned = await ownedKey(userId, credential);
        if (!owned.ok) return owned;
        const now = clock.now();
        // revoke() cascades to every session whose parent is this key.
        if (!(await store.revoke(owned.value.id, now))) return manageFailure('CREDENTIAL_NOT_FOUND');
        emit({ type: 'credential-revoked', strategyId: HMAC_STRATEGY_ID, at: now, ownerId: userId, credentialId: owned.value.id, credentialKind: HMAC_KINDS.apiKey });
        return manageSuccess(undefined);
      }),

    rotate: (userId, credential, rotateOptions) =>
      guardStore(async () => {
        // `null` also for options that are not an object: `rotate(userId, key, 3600)` must not mean "no overlap".
        const overlapMs = rotationOverlapMs(rotateOptions);
        if (overlapMs === null) return manageFailure('PARAMETER_INVALID');
        const owned = await ownedKey(userId, credential);
        if (!owned.ok) return owned;
        const key = owned.value;
        if (key.sealedSecret === null) return manageFailure('CREDENTIAL_NOT_FOUND');
        const apiSecret = generateHexToken(HMAC_API_SECRET_BYTES);
        const now = clock.now();
        const validUntil = overlapMs > 0 ? now + overlapMs : null;
        // A rotation answers a leaked secret, so the sessions started with the old one must not outlive it: they end
        // now, or with the overlap. First before the secret changes, so a store failing here leaves the key as it
        // was (its sessions may have ended: a client starts a new one)...
        await limitSessionsOf(key, now, validUntil);
        // The same record keeps its APIKey, nonce and permissions: only the sealed secret changes, and during the
        // overlap the previous one rides along (a rotation within an overlap drops the one before it).
        const { previousSealedSecret: _old, previousSecretExpiresAt: _oldUntil, ...attributes } = key.attributes;
        const updated = await store.update(key.id, {
          sealedSecret: sealer.seal(apiSecret, context(key.id)),
          attributes: validUntil === null ? attributes : { ...attributes, previousSealedSecret: key.sealedSecret, previousSecretExpiresAt: validUntil },
        });
        // Revoked (or gone) meanwhile: its sessions ended with it, and a secret for it would be a lie.
        if (updated === null || !isCredentialActive(updated, now)) return manageFailure('CREDENTIAL_NOT_FOUND');
        // ...and once more after it changed, for a session started with the old secret in the moment between. A store
        // failing here is STORE_UNAVAILABLE although the secret changed: the caller rotates again.
        await limitSessionsOf(key, now, validUntil);
        emit({ type: 'credential-rotated', strategyId: HMAC_STRATEGY_ID, at: now, ownerId: updated.ownerId, credentialId: updated.id, credentialKind: HMAC_KINDS.apiKey });
        return manageSuccess({ id: updated.id, APISecret: apiSecret, UserId: updated.ownerId, previousSecretValidUntil: validUntil });
      }),

    startSession: (caller) =>
      guardStore(async () => {
        const principal: unknown = caller?.principal;
        const credential: unknown = caller?.credential;
        if (principal === null || typeof principal !== 'object' || credential === null || typeof credential !== 'object') {
          return manageFailure('PARAMETER_INVALID');
        }
        const { id: principalId } = principal as { id?: unknown };
        const { id: credentialId, kind, expiresAt: credentialEnd } = credential as { id?: unknown; kind?: unknown; expiresAt?: unknown };
        if (typeof principalId !== 'string' || typeof credentialId !== 'string') return manageFailure('PARAMETER_INVALID');
        if (credentialEnd !== undefined && credentialEnd !== null && (typeof credentialEnd !== 'number' || Number.isNaN(credentialEnd))) {
          return manageFailure('PARAMETER_INVALID');
        }
        if (kind !== HMAC_KINDS.apiKey) return manageFailure('OPERATION_NOT_PERMITTED');
        const key = await store.findById(credentialId);
        const now = clock.now();
        if (key === null || key.strategy !== HMAC_STRATEGY_ID || key.kind !== HMAC_KINDS.apiKey || key.ownerId !== principalId || !isCredentialActive(key, now)) {
          return manageFailure('CREDENTIALS_INVALID');
        }
        // A session lives no longer than what started it: a request signed with the previous secret of a rotation
        // overlap carries that overlap's end as `expiresAt`, and the session ends with it.
        let expiresAt = now + sessionMs;
        if (typeof credentialEnd === 'number') {
          if (credentialEnd <= now) return manageFailure('CREDENTIALS_INVALID');
          expiresAt = Math.min(expiresAt, credentialEnd);
        }
        if (key.expiresAt !== null) expiresAt = Math.min(expiresAt, key.expiresAt);
        const userName = key.attributes['userName'];
        const started = await insertSession(HMAC_KINDS.session, key.ownerId, maxSessions, now, () => ({
          id: newCredentialId('hs'),
          parentId: key.id,
          label: 'session',
          scopes: key.scopes,
          // The key's address restriction follows its sessions: a token is no more portable than its key.
          allowedIps: key.allowedIps,
          attributes: typeof userName === 'string' ? { userName } : {},
          expiresAt,
        }));
        return started.ok ? manageSuccess({ token: started.value.token, credentialId: started.value.id, expiresAt }) : started;
      }),

    startWebSession: (user) =>
      guardStore(async () => {
        if (user === null || typeof user !== 'object') return manageFailure('PARAMETER_INVALID');
        const { userId, userName } = user;
        if (!isUserId(userId) || !isPrintableText(userName, { maxLength: 255 })) return manageFailure('PARAMETER_INVALID');
        const now = clock.now();
        const expiresAt = now + webSessionMs;
        const started = await insertSession(HMAC_KINDS.webSession, userId, maxWebSessions, now, () => ({
          id: newCredentialId('hw'),
          parentId: null,
          label: 'web session',
          // A password login proves the user, not a key: it may manage keys, but carries no key's permissions.
          scopes: [],
          allowedIps: [],
          attributes: { userName },
          expiresAt,
        }));
        return started.ok ? manageSuccess({ token: started.value.token, credentialId: started.value.id, expiresAt }) : started;
      }),

    endSession: (credential) =>
      guardStore(async () => {
        if (credential === null || typeof credential !== 'object' || typeof credential.id !== 'string') return manageFailure('PARAMETER_INVALID');
        if (!SESSION_KINDS.includes(credential.kind)) return manageFailure('OPERATION_NOT_PERMITTED');
        const record = await store.findById(credential.id);
        if (record === null || record.strategy !== HMAC_STRATEGY_ID || record.kind !== credential.kind) return manageFailure('CREDENTIALS_INVALID');
        return (await store.revoke(record.id, clock.now())) ? manageSuccess(undefined) : manageFailure('CREDENTIALS_INVALID');
      }),
  };
}
