import {
  ConfigurationError,
  createEventEmitter,
  generateHexToken,
  isCredentialActive,
  newCredentialId,
  type CredentialRecord,
} from '@gatehouse/auth-core';
import { resolveTemplateKeyOptions, TEMPLATE_KEY_BYTES, TEMPLATE_STRATEGY_ID, type TemplateKeyOptions } from './options.js';

/**
 * A key as listings show it: never the key itself.
 *
 * @example
 * ```ts
 * const summary: TemplateKeySummary = { id: 'k_…', label: 'CI', hint: 'ab12', createdAt: 0, lastUsedAt: null };
 * ```
 */
export interface TemplateKeySummary {
  readonly id: string;
  readonly label: string;
  /** The first 4 characters, to tell keys apart. */
  readonly hint: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

/**
 * A newly issued key: the only time the key itself is returned.
 *
 * @example
 * ```ts
 * const { key } = await manager.issue('user-1', 'CI');
 * ```
 */
export interface IssuedTemplateKey extends TemplateKeySummary {
  readonly key: string;
}

/**
 * The management face: issue, list, revoke, rotate.
 *
 * @example
 * ```ts
 * const manager = createTemplateKeyManager({ store });
 * const issued = await manager.issue('user-1', 'CI');
 * ```
 */
export interface TemplateKeyManager {
  /** Issues a key; `null` when the owner already has `maxKeysPerOwner` active keys. */
  issue(ownerId: string, label: string): Promise<IssuedTemplateKey | null>;
  list(ownerId: string): Promise<TemplateKeySummary[]>;
  /** Revokes one of the owner's keys; `false` when it is not theirs or already revoked. */
  revoke(ownerId: string, keyId: string): Promise<boolean>;
  /** Issues a replacement with the same label and revokes the old key. */
  rotate(ownerId: string, keyId: string): Promise<IssuedTemplateKey | null>;
}

/**
 * Options of the manager, beyond the shared ones.
 *
 * @example
 * ```ts
 * createTemplateKeyManager({ store, maxKeysPerOwner: 5 });
 * ```
 */
export interface TemplateKeyManagerOptions extends TemplateKeyOptions {
  /** Default 20. */
  readonly maxKeysPerOwner?: number;
}

const summarize = (record: CredentialRecord): TemplateKeySummary => ({
  id: record.id,
  label: record.label,
  hint: record.hint,
  createdAt: record.createdAt,
  lastUsedAt: record.lastUsedAt,
});

/**
 * Creates the management face.
 *
 * @example
 * ```ts
 * const manager = createTemplateKeyManager({ store });
 * await manager.revoke('user-1', issued.id);
 * ```
 */
export function createTemplateKeyManager(options: TemplateKeyManagerOptions): TemplateKeyManager {
  const { store, digest, clock, onEvent } = resolveTemplateKeyOptions(options);
  const maxKeysPerOwner = options.maxKeysPerOwner ?? 20;
  if (!Number.isSafeInteger(maxKeysPerOwner) || maxKeysPerOwner < 1) {
    throw new ConfigurationError('maxKeysPerOwner', 'must be a positive integer');
  }
  const emit = createEventEmitter(onEvent);

  const manager: TemplateKeyManager = {
    async issue(ownerId, label) {
      const key = generateHexToken(TEMPLATE_KEY_BYTES);
      const now = clock.now();
      const id = newCredentialId('tk');
      const record = {
        id,
        digest: digest(key),
        strategy: TEMPLATE_STRATEGY_ID,
        kind: 'api-key',
        ownerId,
        parentId: null,
        label,
        hint: key.slice(0, 4),
        scopes: [],
        allowedIps: [],
        sealedSecret: null,
        attributes: {},
        createdAt: now,
        expiresAt: null,
      };
      const result = await store.insert(record, { maxActivePerOwner: maxKeysPerOwner, now });
      if (result.type !== 'inserted') return null;
      emit({ type: 'credential-created', strategyId: TEMPLATE_STRATEGY_ID, at: now, ownerId, credentialId: id, credentialKind: 'api-key' });
      return { ...summarize({ ...record, lastUsedAt: null, revokedAt: null }), key };
    },
    async list(ownerId) {
      const records = await store.listByOwner(ownerId, { strategy: TEMPLATE_STRATEGY_ID, activeAt: clock.now() });
      return records.map(summarize);
    },
    async revoke(ownerId, keyId) {
      const record = await store.findById(keyId);
      if (record === null || record.ownerId !== ownerId || record.strategy !== TEMPLATE_STRATEGY_ID) return false;
      const now = clock.now();
      if (!isCredentialActive(record, now) || !(await store.revoke(keyId, now))) return false;
      emit({ type: 'credential-revoked', strategyId: TEMPLATE_STRATEGY_ID, at: now, ownerId, credentialId: keyId, credentialKind: record.kind });
      return true;
    },
    async rotate(ownerId, keyId) {
      const record = await store.findById(keyId);
      if (record === null || record.ownerId !== ownerId || record.strategy !== TEMPLATE_STRATEGY_ID) return null;
      if (!(await manager.revoke(ownerId, keyId))) return null;
      return manager.issue(ownerId, record.label);
    },
  };
  return manager;
}
