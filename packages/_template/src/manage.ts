import type { CredentialManager, CredentialRecord, ManageResult } from '@gatehouse/auth-core';
import {
  createEventEmitter,
  findOwnedCredential,
  guardStore,
  insertCredential,
  isPrintableText,
  manageFailure,
  manageSuccess,
  newCredentialId,
  readCredentialReference,
  replaceCredential,
  resolveCredentialOptions,
  rotationOverlapMs,
} from '@gatehouse/auth-core/strategy';
import { generateHexToken } from '@gatehouse/auth-core/crypto';
import {
  resolveMaxKeys,
  TEMPLATE_KEY_BYTES,
  TEMPLATE_KEY_KIND,
  TEMPLATE_STRATEGY_ID,
  type TemplateKeyManagerOptions,
} from './options.js';

/**
 * A key as listings show it: never the key itself.
 *
 * @example
 * ```ts
 * const summary: TemplateKeySummary = { id: 'tk_…', label: 'CI', hint: 'ab12', createdAt: 0, lastUsedAt: null };
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
 * const issued = await manager.issue('user-1', { label: 'CI' });
 * if (issued.ok) console.log(issued.value.key);
 * ```
 */
export interface IssuedTemplateKey extends TemplateKeySummary {
  readonly key: string;
}

/**
 * The management face, in Gatehouse's one vocabulary: issue, list, revoke, rotate. Owners are plain ids.
 *
 * @example
 * ```ts
 * const manager = createTemplateKeyManager({ store });
 * const issued = await manager.issue('user-1', { label: 'CI' });
 * ```
 */
export interface TemplateKeyManager extends CredentialManager<string, { readonly label: unknown }, IssuedTemplateKey, TemplateKeySummary> {}

const summarize = (record: CredentialRecord): TemplateKeySummary => ({
  id: record.id,
  label: record.label,
  hint: record.hint,
  createdAt: record.createdAt,
  lastUsedAt: record.lastUsedAt,
});

const KINDS = [TEMPLATE_KEY_KIND];

/**
 * Creates the management face.
 *
 * @example
 * ```ts
 * const manager = createTemplateKeyManager({ store, maxKeysPerOwner: 5 });
 * await manager.revoke('user-1', { id: issued.value.id });
 * ```
 */
export function createTemplateKeyManager(options: TemplateKeyManagerOptions): TemplateKeyManager {
  const { store, digest, clock } = resolveCredentialOptions(options);
  const maxKeys = resolveMaxKeys(options.maxKeysPerOwner);
  const emit = createEventEmitter(options.onEvent);

  /** Inserts a fresh key for `ownerId` labelled `label`, under `limit` live keys. */
  async function insertKey(ownerId: string, label: string, limit: number): Promise<ManageResult<{ readonly record: CredentialRecord; readonly secret: string }>> {
    const now = clock.now();
    const inserted = await insertCredential(
      store,
      () => {
        const key = generateHexToken(TEMPLATE_KEY_BYTES);
        const record = {
          id: newCredentialId('tk'),
          digest: digest(key),
          strategy: TEMPLATE_STRATEGY_ID,
          kind: TEMPLATE_KEY_KIND,
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
        return { record, secret: key };
      },
      { maxActivePerOwner: limit, now },
    );
    if (inserted.ok) {
      const { record } = inserted.value;
      emit({ type: 'credential-created', strategyId: TEMPLATE_STRATEGY_ID, at: now, ownerId, credentialId: record.id, credentialKind: TEMPLATE_KEY_KIND });
    }
    return inserted;
  }

  const issued = (record: CredentialRecord, key: string): IssuedTemplateKey => ({ ...summarize(record), key });
  const isOwnerId = (ownerId: unknown): ownerId is string => typeof ownerId === 'string' && ownerId !== '' && ownerId.length <= 255;

  /** Revokes a live record (and what derives from it), reporting the event; `false` when it was no longer live. */
  async function revokeRecord(record: CredentialRecord, now: number): Promise<boolean> {
    if (!(await store.revoke(record.id, now))) return false;
    emit({ type: 'credential-revoked', strategyId: TEMPLATE_STRATEGY_ID, at: now, ownerId: record.ownerId, credentialId: record.id, credentialKind: record.kind });
    return true;
  }

  const owned = (ownerId: string, reference: unknown) => {
    const read = readCredentialReference(reference);
    if (read === null) return Promise.resolve(null);
    return findOwnedCredential(read, { store, digest, strategyId: TEMPLATE_STRATEGY_ID, kinds: KINDS, ownerId, now: clock.now() });
  };

  return {
    issue: (ownerId, input) =>
      guardStore(async () => {
        const label: unknown = input !== null && typeof input === 'object' ? input.label : undefined;
        if (!isOwnerId(ownerId) || !isPrintableText(label, { maxLength: 255 })) return manageFailure('PARAMETER_INVALID');
        const inserted = await insertKey(ownerId, label, maxKeys);
        return inserted.ok ? manageSuccess(issued(inserted.value.record, inserted.value.secret)) : inserted;
      }),
    list: (ownerId) =>
      guardStore(async () => {
        if (!isOwnerId(ownerId)) return manageFailure('PARAMETER_INVALID');
        const records = await store.listByOwner(ownerId, { strategy: TEMPLATE_STRATEGY_ID, kind: TEMPLATE_KEY_KIND, activeAt: clock.now() });
        return manageSuccess(records.map(summarize));
      }),
    revoke: (ownerId, reference) =>
      guardStore(async () => {
        if (!isOwnerId(ownerId) || readCredentialReference(reference) === null) return manageFailure('PARAMETER_INVALID');
        const record = await owned(ownerId, reference);
        return record !== null && (await revokeRecord(record, clock.now())) ? manageSuccess(undefined) : manageFailure('CREDENTIAL_NOT_FOUND');
      }),
    rotate: (ownerId, reference, rotateOptions) =>
      guardStore(async () => {
        const overlapMs = rotationOverlapMs(rotateOptions);
        if (!isOwnerId(ownerId) || overlapMs === null || readCredentialReference(reference) === null) return manageFailure('PARAMETER_INVALID');
        const old = await owned(ownerId, reference);
        if (old === null) return manageFailure('CREDENTIAL_NOT_FOUND');
        // Without an overlap the old key goes at once, so rotating at the limit works; with one, both are live for
        // a while and count against the limit. A racing revoke or rotation leaves no unseen key behind.
        const replaced = await replaceCredential({
          store,
          old,
          overlapMs,
          now: clock.now(),
          insert: (beyondLimitBy) => insertKey(ownerId, old.label, maxKeys + beyondLimitBy),
          revoke: revokeRecord,
        });
        return replaced.ok ? manageSuccess(issued(replaced.value.record, replaced.value.secret)) : replaced;
      }),
  };
}
