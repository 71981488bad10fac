import {
  ConfigurationError,
  createEventEmitter,
  generateHexToken,
  guardStore,
  isCredentialActive,
  manageFailure,
  manageSuccess,
  newCredentialId,
  createIpMatcher,
  normalizeIpAddress,
  resolveCredentialOptions,
  type CredentialRecord,
  type ManageResult,
} from '@gatehouse/auth-core';
import { formatAccessHashDate } from './envelope.js';
import {
  ACCESS_HASH_BYTES,
  ACCESS_HASH_KIND,
  ACCESS_HASH_STRATEGY_ID,
  type AccessHashManagerOptions,
} from './options.js';

/**
 * An access hash as listings show it (never the hash): the seed's table Name / IP / Created / Last login.
 * Dates are ISO 8601 with offset; `lastLogin` is `null` until first use.
 *
 * @example
 * ```ts
 * const row: AccessHashListing = { id: 'ah_…', name: 'TEST', ip: '79.184.10.59', hint: '7eff', created: '2022-11-15T14:23:05+00:00', lastLogin: null };
 * ```
 */
export interface AccessHashListing {
  readonly id: string;
  readonly name: string;
  readonly ip: string;
  /** The first 4 characters of the hash, to tell hashes apart. */
  readonly hint: string;
  readonly created: string;
  readonly lastLogin: string | null;
}

/**
 * A newly created access hash: the only time `hash` is returned ("It has only been shown once").
 *
 * @example
 * ```ts
 * const created: CreatedAccessHash = { id: 'ah_…', name: 'TEST', ip: '79.184.10.59', hash: '7eff…', created: '…' };
 * ```
 */
export interface CreatedAccessHash {
  readonly id: string;
  readonly name: string;
  readonly ip: string;
  readonly hash: string;
  readonly created: string;
}

/**
 * The management face: create (name, IP), list, delete.
 *
 * @example
 * ```ts
 * const manager = createAccessHashManager({ store });
 * const created = await manager.create('admin', { name: 'monitoring', ip: '203.0.113.9' });
 * ```
 */
export interface AccessHashManager {
  /** Creates a hash bound to one IP address. `PARAMETER_INVALID` for a bad name or IP, `LIMIT_EXCEEDED` past the limit. */
  create(ownerId: string, input: { readonly name: unknown; readonly ip: unknown }): Promise<ManageResult<CreatedAccessHash>>;
  /** The owner's live hashes, oldest first. */
  list(ownerId: string): Promise<ManageResult<AccessHashListing[]>>;
  /** Deletes one of the owner's hashes; `CREDENTIAL_NOT_FOUND` when it is not theirs or already deleted. */
  delete(ownerId: string, id: unknown): Promise<ManageResult<void>>;
}

// Names: 1 to 255 printable characters (no controls, format characters, separators, private-use or unassigned).
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]|[\ud800-\udfff]/u;

/**
 * Checks an access hash name: 1 to 255 printable characters.
 *
 * @example
 * ```ts
 * isValidAccessHashName('monitoring'); // true
 * ```
 */
export function isValidAccessHashName(name: unknown): name is string {
  if (typeof name !== 'string') return false;
  const length = [...name].length;
  return length >= 1 && length <= 255 && name.trim() !== '' && !UNPRINTABLE.test(name);
}

// Addresses no client can ever connect from: a hash bound to one could never be used.
const UNBINDABLE = createIpMatcher(['0.0.0.0/8', '255.255.255.255', '224.0.0.0/4', '::/128', 'ff00::/8']);

/**
 * Normalises the IP a hash is bound to: one plain IPv4 or IPv6 address (the seed binds each hash to "a
 * specific IP address"), not a network, a zone, a bracketed form, or an address no client can come from.
 * Returns `null` when it is none of those.
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

/**
 * Creates the management face.
 *
 * @example
 * ```ts
 * const manager = createAccessHashManager({ store });
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

  return {
    create: (ownerId, input) =>
      guardStore(async () => {
        if (!isValidAccessHashName(input?.name)) return manageFailure('PARAMETER_INVALID');
        const ip = bindableIp(input.ip);
        if (ip === null) return manageFailure('PARAMETER_INVALID');
        const hash = generateHexToken(ACCESS_HASH_BYTES);
        const now = clock.now();
        const id = newCredentialId('ah');
        const result = await store.insert(
          {
            id,
            digest: digest(hash),
            strategy: ACCESS_HASH_STRATEGY_ID,
            kind: ACCESS_HASH_KIND,
            ownerId,
            parentId: null,
            label: input.name,
            hint: hash.slice(0, 4),
            scopes: [],
            allowedIps: [ip],
            sealedSecret: null,
            attributes: {},
            createdAt: now,
            expiresAt: null,
          },
          { maxActivePerOwner: maxHashes, now },
        );
        if (result.type === 'limit-exceeded') return manageFailure('LIMIT_EXCEEDED');
        if (result.type === 'conflict') return manageFailure('INTERNAL_ERROR');
        emit({ type: 'credential-created', strategyId: ACCESS_HASH_STRATEGY_ID, at: now, ownerId, credentialId: id, credentialKind: ACCESS_HASH_KIND });
        return manageSuccess({ id, name: input.name, ip, hash, created: formatAccessHashDate(now) });
      }),
    list: (ownerId) =>
      guardStore(async () => {
        const records = await store.listByOwner(ownerId, { strategy: ACCESS_HASH_STRATEGY_ID, kind: ACCESS_HASH_KIND, activeAt: clock.now() });
        return manageSuccess(records.map(show));
      }),
    delete: (ownerId, id) =>
      guardStore(async () => {
        if (typeof id !== 'string' || id.length === 0 || id.length > 100) return manageFailure('CREDENTIAL_NOT_FOUND');
        const record = await store.findById(id);
        const now = clock.now();
        if (record === null || record.strategy !== ACCESS_HASH_STRATEGY_ID || record.kind !== ACCESS_HASH_KIND || record.ownerId !== ownerId || !isCredentialActive(record, now)) {
          return manageFailure('CREDENTIAL_NOT_FOUND');
        }
        if (!(await store.revoke(id, now))) return manageFailure('CREDENTIAL_NOT_FOUND');
        emit({ type: 'credential-revoked', strategyId: ACCESS_HASH_STRATEGY_ID, at: now, ownerId, credentialId: id, credentialKind: ACCESS_HASH_KIND });
        return manageSuccess(undefined);
      }),
  };
}
