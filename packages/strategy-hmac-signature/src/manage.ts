import {
  ConfigurationError,
  createEventEmitter,
  createIpMatcher,
  encodeHex,
  generateHexToken,
  guardStore,
  isCredentialActive,
  manageFailure,
  manageSuccess,
  newCredentialId,
  normalizeIpAddress,
  randomBytes,
  resolveCredentialOptions,
  type CredentialInfo,
  type CredentialRecord,
  type ManageResult,
  type Principal,
} from '@gatehouse/auth-core';
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
 * What a new key's creator sees once, and may download as JSON ("Export to JSON", seed 004).
 *
 * @example
 * ```ts
 * const created: HmacKeyExport = { APIKey: '…', APISecret: '…', Nonce: '…', UserId: '1', Permissions: ['Trading'], AllowedIps: [] };
 * ```
 */
export interface HmacKeyExport {
  readonly APIKey: string;
  readonly APISecret: string;
  readonly Nonce: string;
  readonly UserId: string;
  readonly Permissions: readonly string[];
  readonly AllowedIps: readonly string[];
}

/**
 * The result of a secret rotation: the new secret, shown once. The APIKey, nonce and permissions are unchanged
 * (the client keeps the APIKey it has; the server stores only its digest).
 *
 * @example
 * ```ts
 * const rotated: HmacRotatedSecret = { id: 'hk_…', APISecret: '…', UserId: '1', previousSecretValidUntil: null };
 * ```
 */
export interface HmacRotatedSecret {
  readonly id: string;
  readonly APISecret: string;
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
  readonly id: string;
  readonly apiKeyHint: string;
  readonly label: string;
  readonly permissions: readonly string[];
  readonly allowedIps: readonly string[];
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

/**
 * A session token issued by a successful `AuthenticateUser`, returned once.
 *
 * @example
 * ```ts
 * const session: HmacSessionIssued = { token: '…', credentialId: 'hs_…', expiresAt: 0 };
 * ```
 */
export interface HmacSessionIssued {
  readonly token: string;
  readonly credentialId: string;
  readonly expiresAt: number;
}

/**
 * The management face: create, list, remove and rotate keys; start and end sessions.
 *
 * @example
 * ```ts
 * const manager = createHmacKeyManager({ store, sealer });
 * const created = await manager.createKey('1', { permissions: ['Trading'] });
 * ```
 */
export interface HmacKeyManager {
  /** Creates a key for a user; the secret is sealed under the key-encryption key and returned only here. */
  createKey(
    userId: string,
    input: { readonly permissions?: unknown; readonly allowedIps?: unknown; readonly label?: unknown; readonly userName?: string },
  ): Promise<ManageResult<HmacKeyExport & { readonly id: string }>>;
  /** The user's live keys, oldest first. */
  listKeys(userId: string): Promise<ManageResult<HmacKeyListing[]>>;
  /** Removes one of the user's keys, by APIKey or id; every session derived from it ends at once. */
  removeKey(userId: string, key: { readonly apiKey: unknown } | { readonly id: unknown }): Promise<ManageResult<void>>;
  /**
   * Replaces a key's secret. With `overlapInSeconds` the previous secret keeps working that long, so clients
   * can switch without downtime; the APIKey, nonce and permissions stay.
   */
  rotateSecret(userId: string, id: string, options?: { readonly overlapInSeconds?: number }): Promise<ManageResult<HmacRotatedSecret>>;
  /** Exchanges an authenticated `AuthenticateUser` outcome for a session token (`aptoken`). */
  startSession(caller: { readonly principal: Principal; readonly credential: CredentialInfo }): Promise<ManageResult<HmacSessionIssued>>;
  /** Ends a session (`LogOut`). */
  endSession(credential: CredentialInfo): Promise<ManageResult<void>>;
}

const PERMISSION = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
const LABEL_UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]|[\ud800-\udfff]/u;

/**
 * The JSON a user downloads after creating a key ("Export to JSON"), pretty-printed.
 *
 * @example
 * ```ts
 * download('api-key.json', exportHmacKeyJson(created));
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
  const emit = createEventEmitter(options.onEvent);
  const context = (id: string): string => `${HMAC_STRATEGY_ID}:${id}`;

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

  const exportOf = (record: CredentialRecord, apiKey: string, apiSecret: string): HmacKeyExport & { id: string } => ({
    id: record.id,
    APIKey: apiKey,
    APISecret: apiSecret,
    Nonce: String(record.attributes['nonce']),
    UserId: record.ownerId,
    Permissions: record.scopes,
    AllowedIps: record.allowedIps,
  });

  async function ownedKey(userId: string, record: CredentialRecord | null): Promise<CredentialRecord | null> {
    if (record === null || record.strategy !== HMAC_STRATEGY_ID || record.kind !== HMAC_KINDS.apiKey || record.ownerId !== userId) return null;
    return isCredentialActive(record, clock.now()) ? record : null;
  }

  return {
    createKey: (userId, input) =>
      guardStore(async () => {
        if (typeof userId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(userId)) return manageFailure('PARAMETER_INVALID');
        const permissions = parsePermissions(input?.permissions);
        const allowedIps = parseAllowedIps(input?.allowedIps);
        const label = input?.label ?? '';
        const userName = input?.userName;
        if (permissions === null || allowedIps === null) return manageFailure('PARAMETER_INVALID');
        if (userName !== undefined && (typeof userName !== 'string' || [...userName].length > 255 || LABEL_UNPRINTABLE.test(userName))) {
          return manageFailure('PARAMETER_INVALID');
        }
        if (typeof label !== 'string' || [...label].length > 255 || LABEL_UNPRINTABLE.test(label)) return manageFailure('PARAMETER_INVALID');
        const apiKey = generateHexToken(HMAC_API_KEY_BYTES);
        const apiSecret = generateHexToken(HMAC_API_SECRET_BYTES);
        // The nonce shown at creation (seed 004): a random 12-digit decimal, usable as a starting point for
        // the `increasing` policy too.
        const nonce = String(100_000_000_000 + (parseInt(encodeHex(randomBytes(6)), 16) % 900_000_000_000));
        const now = clock.now();
        const id = newCredentialId('hk');
        const record = {
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
        };
        const result = await store.insert(record, { maxActivePerOwner: maxKeys, now });
        if (result.type === 'limit-exceeded') return manageFailure('LIMIT_EXCEEDED');
        if (result.type === 'conflict') return manageFailure('INTERNAL_ERROR');
        emit({ type: 'credential-created', strategyId: HMAC_STRATEGY_ID, at: now, ownerId: userId, credentialId: id, credentialKind: HMAC_KINDS.apiKey });
        return manageSuccess(exportOf({ ...record, lastUsedAt: null, revokedAt: null }, apiKey, apiSecret));
      }),

    listKeys: (userId) =>
      guardStore(async () => {
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

    removeKey: (userId, key) =>
      guardStore(async () => {
        let record: CredentialRecord | null = null;
        if ('apiKey' in key) {
          if (typeof key.apiKey !== 'string' || !/^[0-9a-f]{32}$/.test(key.apiKey)) return manageFailure('PARAMETER_INVALID');
          record = await store.findByDigest(digest(key.apiKey));
        } else {
          if (typeof key.id !== 'string' || key.id.length > 100) return manageFailure('PARAMETER_INVALID');
          record = await store.findById(key.id);
        }
        const owned = await ownedKey(userId, record);
        const now = clock.now();
        // revoke() cascades to every session whose parent is this key.
        if (owned === null || !(await store.revoke(owned.id, now))) return manageFailure('CREDENTIAL_NOT_FOUND');
        emit({ type: 'credential-revoked', strategyId: HMAC_STRATEGY_ID, at: now, ownerId: userId, credentialId: owned.id, credentialKind: HMAC_KINDS.apiKey });
        return manageSuccess(undefined);
      }),

    rotateSecret: (userId, id, rotateOptions = {}) =>
      guardStore(async () => {
        const overlap = rotateOptions.overlapInSeconds ?? 0;
        if (!Number.isSafeInteger(overlap) || overlap < 0 || overlap > 30 * 86_400) return manageFailure('PARAMETER_INVALID');
        const owned = await ownedKey(userId, await store.findById(id));
        if (owned === null || owned.sealedSecret === null) return manageFailure('CREDENTIAL_NOT_FOUND');
        const apiSecret = generateHexToken(HMAC_API_SECRET_BYTES);
        const now = clock.now();
        const { previousSealedSecret: _old, previousSecretExpiresAt: _oldUntil, ...attributes } = owned.attributes;
        const updated = await store.update(owned.id, {
          sealedSecret: sealer.seal(apiSecret, context(owned.id)),
          attributes: overlap > 0 ? { ...attributes, previousSealedSecret: owned.sealedSecret, previousSecretExpiresAt: now + overlap * 1000 } : attributes,
        });
        if (updated === null) return manageFailure('CREDENTIAL_NOT_FOUND');
        return manageSuccess({ id: updated.id, APISecret: apiSecret, UserId: updated.ownerId, previousSecretValidUntil: overlap > 0 ? now + overlap * 1000 : null });
      }),

    startSession: (caller) =>
      guardStore(async () => {
        if (caller.credential.kind !== HMAC_KINDS.apiKey) return manageFailure('OPERATION_NOT_PERMITTED');
        const key = await store.findById(caller.credential.id);
        const now = clock.now();
        if (key === null || key.strategy !== HMAC_STRATEGY_ID || key.ownerId !== caller.principal.id || !isCredentialActive(key, now)) {
          return manageFailure('CREDENTIALS_INVALID');
        }
        const token = generateHexToken(HMAC_SESSION_TOKEN_BYTES);
        const id = newCredentialId('hs');
        const expiresAt = now + sessionMs;
        const userName = key.attributes['userName'];
        const session = {
          id,
          digest: digest(token),
          strategy: HMAC_STRATEGY_ID,
          kind: HMAC_KINDS.session,
          ownerId: key.ownerId,
          parentId: key.id,
          label: 'session',
          hint: token.slice(0, 4),
          scopes: key.scopes,
          // The key's address restriction follows its sessions: a token is no more portable than its key.
          allowedIps: key.allowedIps,
          sealedSecret: null,
          attributes: typeof userName === 'string' ? { userName } : {},
          createdAt: now,
          expiresAt,
        };
        let result = await store.insert(session, { maxActivePerOwner: maxSessions, now });
        if (result.type === 'limit-exceeded') {
          // A user at the limit loses their oldest session rather than being locked out.
          const live = await store.listByOwner(key.ownerId, { strategy: HMAC_STRATEGY_ID, kind: HMAC_KINDS.session, activeAt: now });
          if (live[0] !== undefined) await store.revoke(live[0].id, now);
          result = await store.insert(session, { maxActivePerOwner: maxSessions, now });
        }
        if (result.type !== 'inserted') return manageFailure('INTERNAL_ERROR');
        return manageSuccess({ token, credentialId: id, expiresAt });
      }),

    endSession: (credential) =>
      guardStore(async () => {
        if (credential.kind !== HMAC_KINDS.session) return manageFailure('OPERATION_NOT_PERMITTED');
        const record = await store.findById(credential.id);
        if (record === null || record.strategy !== HMAC_STRATEGY_ID || record.kind !== HMAC_KINDS.session) return manageFailure('CREDENTIALS_INVALID');
        return (await store.revoke(record.id, clock.now())) ? manageSuccess(undefined) : manageFailure('CREDENTIALS_INVALID');
      }),
  };
}
