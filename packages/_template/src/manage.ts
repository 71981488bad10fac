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
  async function insertKey(ownerId: string, label: string, limit: number): Promise<ManageResult<IssuedTemplateKey>> {
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
    if (!inserted.ok) return inserted;
    const { record, secret } = inserted.value;
    emit({ type: 'credential-created', strategyId: TEMPLATE_STRATEGY_ID, at: now, ownerId, credentialId: record.id, credentialKind: TEMPLATE_KEY_KIND });
    return manageSuccess({ ...summarize(record), key: secret });
  }

  /** Revokes a live record (and what derives from it), reporting the event. */
  async function revokeRecord(record: CredentialRecord, now: number): Promise<ManageResult<void>> {
    if (!(await store.revoke(record.id, now))) return manageFailure('CREDENTIAL_NOT_FOUND');
    emit({ type: 'credential-revoked', strategyId: TEMPLATE_STRATEGY_ID, at: now, ownerId: record.ownerId, credentialId: record.id, credentialKind: record.kind });
    return manageSuccess(undefined);
  }

  const owned = (ownerId: string, reference: unknown) => {
    const read = readCredentialReference(reference);
    if (read === null) return Promise.resolve(null);
    return findOwnedCredential(read, { store, digest, strategyId: TEMPLATE_STRATEGY_ID, kinds: KINDS, ownerId, now: clock.now() });
  };

  return {
    issue: (ownerId, input) =>
      guardStore(async () => {
        if (typeof ownerId !== 'string' || ownerId === '' || !isPrintableText(input?.label, { maxLength: 255 })) return manageFailure('PARAMETER_INVALID');
        return insertKey(ownerId, input.label, maxKeys);
      }),
    list: (ownerId) =>
      guardStore(async () => {
        const records = await store.listByOwner(ownerId, { strategy: TEMPLATE_STRATEGY_ID, kind: TEMPLATE_KEY_KIND, activeAt: clock.now() });
        return manageSuccess(records.map(summarize));
      }),
    revoke: (ownerId, reference) =>
      guardStore(async () => {
        if (readCredentialReference(reference) === null) return manageFailure('PARAMETER_INVALID');
        const record = await owned(ownerId, reference);
        return record === null ? manageFailure('CREDENTIAL_NOT_FOUND') : revokeRecord(record, clock.now());
      }),
    rotate: (ownerId, reference, rotateOptions) =>
      guardStore(async () => {
        const overlapMs = rotationOverlapMs(rotateOptions);
        if (overlapMs === null || readCredentialReference(reference) === null) return manageFailure('PARAMETER_INVALID');
        const record = await owned(ownerId, reference);
        if (record === null) return manageFailure('CREDENTIAL_NOT_FOUND');
        // Without an overlap the old key goes at once, so rotating at the limit works; with one, both are live
        // for a while and count against the limit.
        const issued = await insertKey(ownerId, record.label, overlapMs === 0 ? maxKeys + 1 : maxKeys);
        if (!issued.ok) return issued;
        const now = clock.now();
        if (overlapMs === 0) {
          const revoked = await revokeRecord(record, now);
          if (!revoked.ok) return revoked;
        } else if ((await store.update(record.id, { expiresAt: now + overlapMs })) === null) {
          return manageFailure('CREDENTIAL_NOT_FOUND');
        }
        return issued;
      }),
  };
}
