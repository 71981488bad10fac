import {
  ConfigurationError,
  type CredentialManager,
  type CredentialRecord,
  type ManageResult,
  type NewCredentialRecord,
} from '@gatehouse/auth-core';
import {
  createEventEmitter,
  createIpMatcher,
  findOwnedCredential,
  guardStore,
  insertCredential,
  isPrintableText,
  manageFailure,
  manageSuccess,
  newCredentialId,
  normalizeIpAddress,
  readCredentialReference,
  replaceCredential,
  resolveCredentialOptions,
  rotationOverlapMs,
} from '@gatehouse/auth-core/strategy';
import { generateHexToken } from '@gatehouse/auth-core/crypto';
import { formatAccessHashDate } from './envelope.js';
import {
  ACCESS_HASH_BYTES,
  ACCESS_HASH_KIND,
  ACCESS_HASH_STRATEGY_ID,
  type AccessHashManagerOptions,
} from './options.js';

/**
 * An access hash as listings show it (never the hash): the PUQ VPN control panel's table Name / IP / Created /
 * Last login. Dates are ISO 8601 with offset; `lastLogin` is `null` until first use.
 *
 * @example
 * ```ts
 * const row: AccessHashListing = { id: 'ah_…', name: 'TEST', ip: '79.184.10.59', hint: '7eff', created: '2022-11-15T14:23:05+00:00', lastLogin: null };
 * ```
 */
export interface AccessHashListing {
  /** The credential's public id, for `revoke` and `rotate`. */
  readonly id: string;
  /** The name given at issue. */
  readonly name: string;
  /** The one IP address the hash works from, in canonical form. */
  readonly ip: string;
  /** The first 4 characters of the hash, to tell hashes apart. */
  readonly hint: string;
  /** When it was issued, ISO 8601 with offset. */
  readonly created: string;
  /** When it was last used, ISO 8601 with offset; `null` until first use. */
  readonly lastLogin: string | null;
}

/**
 * A newly issued (or rotated) access hash: the only time `hash` is returned ("It has only been shown once").
 *
 * @example
 * ```ts
 * const issued: CreatedAccessHash = { id: 'ah_…', name: 'TEST', ip: '79.184.10.59', hash: '7eff…', created: '…' };
 * ```
 */
export interface CreatedAccessHash {
  /** The credential's public id, for `revoke` and `rotate`. */
  readonly id: string;
  /** The name given at issue. */
  readonly name: string;
  /** The one IP address the hash works from, in canonical form. */
  readonly ip: string;
  /** The access hash itself, shown this once: the value of the cookie. */
  readonly hash: string;
  /** When it was issued, ISO 8601 with offset. */
  readonly created: string;
}

/**
 * The management face, in the vocabulary every Gatehouse manager speaks:
 * - `issue(ownerId, { name, ip })`: a new hash bound to one IP address; `PARAMETER_INVALID` for a bad name or
 *   IP, `LIMIT_EXCEEDED` past `maxHashesPerOwner`.
 * - `list(ownerId)`: the owner's live hashes, oldest first, never the hash itself.
 * - `revoke(ownerId, { id } | { token: hash })`: deletes one of the owner's hashes at once;
 *   `CREDENTIAL_NOT_FOUND` when it is not theirs or no longer live.
 * - `rotate(ownerId, { id } | { token: hash }, { overlapInSeconds })`: a new hash with the same name and IP.
 *   Without an overlap the old one stops at once (rotating works at the limit); with one, both work until the
 *   overlap ends (a second rotation never puts that end off) and the new hash counts against the limit. A rotation
 *   that fails half-way (the old hash revoked meanwhile: `CREDENTIAL_NOT_FOUND`; a failing store) revokes its new
 *   hash again, never shown.
 *
 * Every method answers with a `ManageResult`; a failing store is `STORE_UNAVAILABLE`, never a throw.
 *
 * @example
 * ```ts
 * const manager: AccessHashManager = createAccessHashManager({ store });
 * const issued = await manager.issue('admin', { name: 'monitoring', ip: '203.0.113.9' });
 * if (issued.ok) await manager.rotate('admin', { id: issued.value.id }, { overlapInSeconds: 3600 });
 * ```
 */
export interface AccessHashManager
  extends CredentialManager<string, { readonly name: unknown; readonly ip: unknown }, CreatedAccessHash, AccessHashListing> {}

/** The longest access hash name, in code points. */
const MAX_NAME_LENGTH = 255;

/**
 * Checks an access hash name: 1 to 255 printable code points, by auth-core's one rule for labels
 * (`isPrintableText`). For forms that validate before calling {@link AccessHashManager.issue}.
 *
 * @example
 * ```ts
 * isValidAccessHashName('monitoring'); // true
 * isValidAccessHashName('a\u202eb'); // false (a bidirectional override)
 * ```
 */
export function isValidAccessHashName(name: unknown): name is string {
  return isPrintableText(name, { maxLength: MAX_NAME_LENGTH });
}

// Addresses no client can ever connect from: a hash bound to one could never be used.
const UNBINDABLE = createIpMatcher(['0.0.0.0/8', '255.255.255.255', '224.0.0.0/4', '::/128', 'ff00::/8']);

/**
 * Normalises the IP a hash is bound to: one plain IPv4 or IPv6 address (the PUQ VPN control panel binds each
 * hash to "a specific IP address"), not a network, a zone, a bracketed form, or an address no client can come
 * from. Returns `null` when it is none of those.
 *
 * @example
 * ```ts
 * bindableIp('::ffff:79.184.10.59'); // '79.184.10.59'
 * bindableIp('10.0.0.0/8'); // null
 * ```
 */
export function bindableIp(input: unknown): string | null {
  if (typeof input !== 'string' || /[/%[\]]/.test(input)) return null;
  const ip = normalizeIpAddress(input.trim());
  return ip === null || UNBINDABLE.matches(ip) ? null : ip;
}

const HASH_PATTERN = new RegExp(`^[0-9a-f]{${ACCESS_HASH_BYTES * 2}}$`);
const KINDS: readonly string[] = [ACCESS_HASH_KIND];

/**
 * Creates the management face.
 *
 * @example
 * ```ts
 * const manager = createAccessHashManager({ store, maxHashesPerOwner: 50 });
 * const rows = await manager.list('admin');
 * ```
 */
export function createAccessHashManager(options: AccessHashManagerOptions): AccessHashManager {
  const { store, digest, clock } = resolveCredentialOptions(options);
  const maxHashes = options.maxHashesPerOwner ?? 100;
  if (!Number.isSafeInteger(maxHashes) || maxHashes < 1) throw new ConfigurationError('maxHashesPerOwner', 'must be a positive integer');
  const emit = createEventEmitter(options.onEvent);

  const show = (record: CredentialRecord): AccessHashListing => ({
    id: record.id,
    name: record.label,
    ip: record.allowedIps[0] ?? '',
    hint: record.hint,
    created: formatAccessHashDate(record.createdAt),
    lastLogin: record.lastUsedAt === null ? null : formatAccessHashDate(record.lastUsedAt),
  });

  /** What `issue` and `rotate` return: the hash itself, this once. */
  const created = (record: CredentialRecord, hash: string): CreatedAccessHash => ({
    id: record.id,
    name: record.label,
    ip: record.allowedIps[0] ?? '',
    hash,
    created: formatAccessHashDate(record.createdAt),
  });

  /** Inserts a fresh hash named `name` and bound to `ip`, under `maxActivePerOwner` live hashes, and reports it. */
  const insertHash = async (
    ownerId: string,
    name: string,
    ip: string,
    now: number,
    maxActivePerOwner: number,
  ): Promise<ManageResult<{ readonly record: CredentialRecord; readonly secret: string }>> => {
    const inserted = await insertCredential(
      store,
      () => {
        const hash = generateHexToken(ACCESS_HASH_BYTES);
        const record: NewCredentialRecord = {
          id: newCredentialId('ah'),
          digest: digest(hash),
          strategy: ACCESS_HASH_STRATEGY_ID,
          kind: ACCESS_HASH_KIND,
          ownerId,
          parentId: null,
          label: name,
          hint: hash.slice(0, 4),
          scopes: [],
          allowedIps: [ip],
          sealedSecret: null,
          attributes: {},
          createdAt: now,
          expiresAt: null,
        };
        return { record, secret: hash };
      },
      { maxActivePerOwner, now },
    );
    if (inserted.ok) {
      emit({ type: 'credential-created', strategyId: ACCESS_HASH_STRATEGY_ID, at: now, ownerId, credentialId: inserted.value.record.id, credentialKind: ACCESS_HASH_KIND });
    }
    return inserted;
  };

  /** Revokes a hash and reports it; `false` when it was no longer there to revoke. */
  const revokeHash = async (record: CredentialRecord, now: number): Promise<boolean> => {
    if (!(await store.revoke(record.id, now))) return false;
    emit({ type: 'credential-revoked', strategyId: ACCESS_HASH_STRATEGY_ID, at: now, ownerId: record.ownerId, credentialId: record.id, credentialKind: ACCESS_HASH_KIND });
    return true;
  };

  /**
   * The owner's live hash a reference from an untyped caller names: `PARAMETER_INVALID` for a malformed reference
   * (a token that is not 80 lower-case hex characters included), `CREDENTIAL_NOT_FOUND` when it is not theirs.
   */
  const findOwned = async (ownerId: string, credential: unknown, now: number): Promise<ManageResult<CredentialRecord>> => {
    const reference = readCredentialReference(credential);
    if (reference === null || ('token' in reference && !HASH_PATTERN.test(reference.token))) return manageFailure('PARAMETER_INVALID');
    const record = await findOwnedCredential(reference, { store, digest, strategyId: ACCESS_HASH_STRATEGY_ID, kinds: KINDS, ownerId, now });
    return record === null ? manageFailure('CREDENTIAL_NOT_FOUND') : manageSuccess(record);
  };

  return {
    issue: (ownerId, input) =>
      guardStore(async () => {
        if (!isOwnerId(ownerId) || input === null || typeof input !== 'object') return manageFailure('PARAMETER_INVALID');
        const { name } = input;
        if (!isValidAccessHashName(name)) return manageFailure('PARAMETER_INVALID');
        const ip = bindableIp(input.ip);
        if (ip === null) return manageFailure('PARAMETER_INVALID');
        const inserted = await insertHash(ownerId, name, ip, clock.now(), maxHashes);
        return inserted.ok ? manageSuccess(created(inserted.value.record, inserted.value.secret)) : inserted;
      }),

    list: (ownerId) =>
      guardStore(async () => {
        if (!isOwnerId(ownerId)) return manageFailure('PARAMETER_INVALID');
        const records = await store.listByOwner(ownerId, { strategy: ACCESS_HASH_STRATEGY_ID, kind: ACCESS_HASH_KIND, activeAt: clock.now() });
        return manageSuccess(records.map(show));
      }),

    revoke: (ownerId, credential) =>
      guardStore(async () => {
        if (!isOwnerId(ownerId)) return manageFailure('PARAMETER_INVALID');
        const now = clock.now();
        const owned = await findOwned(ownerId, credential, now);
        if (!owned.ok) return owned;
        return (await revokeHash(owned.value, now)) ? manageSuccess(undefined) : manageFailure('CREDENTIAL_NOT_FOUND');
      }),

    rotate: (ownerId, credential, rotateOptions) =>
      guardStore(async () => {
        if (!isOwnerId(ownerId)) return manageFailure('PARAMETER_INVALID');
        // `null` also for options that are not an object: `rotate(owner, hash, 3600)` must not mean "no overlap".
        const overlapMs = rotationOverlapMs(rotateOptions);
        if (overlapMs === null) return manageFailure('PARAMETER_INVALID');
        const now = clock.now();
        const owned = await findOwned(ownerId, credential, now);
        if (!owned.ok) return owned;
        const old = owned.value;
        // The same name and IP (the IP as stored: bound when it was issued, and normalised then).
        const ip = old.allowedIps[0];
        if (old.allowedIps.length !== 1 || ip === undefined) return manageFailure('CREDENTIAL_NOT_FOUND');
        // Without an overlap the old hash stops at once, so the new one may take the limit's last place for the
        // moment between the two. With one, both work until it ends and the new one counts against the limit (at
        // the limit: LIMIT_EXCEEDED, nothing changed); an end already set is never put off. When the old hash was
        // revoked or rotated meanwhile (CREDENTIAL_NOT_FOUND), or the store failed (STORE_UNAVAILABLE), the new
        // hash, which nobody has seen, is revoked again.
        const replaced = await replaceCredential({
          store,
          old,
          overlapMs,
          now,
          insert: (beyondLimitBy) => insertHash(ownerId, old.label, ip, now, maxHashes + beyondLimitBy),
          revoke: revokeHash,
        });
        return replaced.ok ? manageSuccess(created(replaced.value.record, replaced.value.secret)) : replaced;
      }),
  };
}

/** An owner id from an untyped caller: a non-empty string. */
function isOwnerId(ownerId: unknown): ownerId is string {
  return typeof ownerId === 'string' && ownerId !== '';
}
