import { systemClock, type Clock } from './clock.js';
import { ConfigurationError } from './errors.js';
import {
  isCredentialActive,
  ttlToMilliseconds,
  type CredentialPatch,
  type CredentialRecord,
  type CredentialStore,
  type EphemeralStore,
  type InsertCredentialOptions,
  type InsertCredentialResult,
  type ListCredentialsFilter,
  type NewCredentialRecord,
} from './stores.js';

/**
 * Options of {@link createMemoryCredentialStore}.
 *
 * @example
 * ```ts
 * createMemoryCredentialStore({ touchIntervalInSeconds: 300 });
 * ```
 */
export interface MemoryCredentialStoreOptions {
  /** The least time between two `touch` writes for one record. Default 60. */
  readonly touchIntervalInSeconds?: number;
}

const PATCHABLE_FIELDS = ['label', 'scopes', 'allowedIps', 'sealedSecret', 'attributes', 'expiresAt'] as const;

// Only the declared fields, and only those actually given: an untyped caller cannot move a digest or id.
function pickPatch(patch: CredentialPatch): CredentialPatch {
  const picked: Record<string, unknown> = {};
  for (const field of PATCHABLE_FIELDS) {
    if (patch !== null && typeof patch === 'object' && patch[field] !== undefined) picked[field] = patch[field];
  }
  return picked as CredentialPatch;
}

function freezeRecord(record: CredentialRecord): CredentialRecord {
  return Object.freeze({
    ...record,
    scopes: Object.freeze([...record.scopes]),
    allowedIps: Object.freeze([...record.allowedIps]),
    attributes: Object.freeze({ ...record.attributes }),
  });
}

/**
 * A {@link CredentialStore} in process memory: lookups by digest and id are `Map` reads (O(1)); the per-owner
 * limit is atomic because the check and the insert run without yielding. For tests, single-process servers
 * and benchmarks; data is lost on restart.
 *
 * @example
 * ```ts
 * const store = createMemoryCredentialStore();
 * await store.insert(record, { maxActivePerOwner: 20, now: Date.now() });
 * ```
 */
export function createMemoryCredentialStore(options: MemoryCredentialStoreOptions = {}): CredentialStore {
  const touchIntervalInSeconds = options.touchIntervalInSeconds ?? 60;
  if (typeof touchIntervalInSeconds !== 'number' || !(touchIntervalInSeconds >= 0)) {
    throw new ConfigurationError('touchIntervalInSeconds', 'must be a non-negative number');
  }
  const touchIntervalMs = touchIntervalInSeconds * 1000;
  const byId = new Map<string, CredentialRecord>();
  const idByDigest = new Map<string, string>();
  const idsByOwner = new Map<string, Set<string>>();
  const childrenById = new Map<string, Set<string>>();

  const store: CredentialStore = {
    async insert(record: NewCredentialRecord, insertOptions: InsertCredentialOptions = {}): Promise<InsertCredentialResult> {
      if (byId.has(record.id) || idByDigest.has(record.digest)) return { type: 'conflict' };
      const { maxActivePerOwner } = insertOptions;
      if (maxActivePerOwner !== undefined) {
        if (!Number.isSafeInteger(maxActivePerOwner) || maxActivePerOwner < 0) {
          throw new RangeError('insert: `maxActivePerOwner` must be a non-negative integer');
        }
        const now = insertOptions.now;
        if (typeof now !== 'number') throw new TypeError('insert: `now` is required with `maxActivePerOwner`');
        let active = 0;
        for (const id of idsByOwner.get(record.ownerId) ?? []) {
          const existing = byId.get(id) as CredentialRecord;
          if (existing.strategy === record.strategy && existing.kind === record.kind && isCredentialActive(existing, now)) {
            active++;
          }
        }
        if (active >= maxActivePerOwner) return { type: 'limit-exceeded', limit: maxActivePerOwner };
      }
      const stored = freezeRecord({ ...record, lastUsedAt: null, revokedAt: null });
      byId.set(stored.id, stored);
      idByDigest.set(stored.digest, stored.id);
      let owned = idsByOwner.get(stored.ownerId);
      if (owned === undefined) idsByOwner.set(stored.ownerId, (owned = new Set()));
      owned.add(stored.id);
      if (stored.parentId !== null) {
        let children = childrenById.get(stored.parentId);
        if (children === undefined) childrenById.set(stored.parentId, (children = new Set()));
        children.add(stored.id);
      }
      return { type: 'inserted' };
    },

    async findByDigest(digest) {
      const id = idByDigest.get(digest);
      return id === undefined ? null : (byId.get(id) ?? null);
    },

    async findById(id) {
      return byId.get(id) ?? null;
    },

    async listByOwner(ownerId, filter: ListCredentialsFilter = {}) {
      const out: CredentialRecord[] = [];
      for (const id of idsByOwner.get(ownerId) ?? []) {
        const record = byId.get(id) as CredentialRecord;
        if (filter.strategy !== undefined && record.strategy !== filter.strategy) continue;
        if (filter.kind !== undefined && record.kind !== filter.kind) continue;
        if (filter.activeAt !== undefined && !isCredentialActive(record, filter.activeAt)) continue;
        out.push(record);
      }
      return out.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    },

    async update(id, patch: CredentialPatch) {
      const existing = byId.get(id);
      if (existing === undefined) return null;
      const next = freezeRecord({ ...existing, ...pickPatch(patch) });
      byId.set(id, next);
      return next;
    },

    async revoke(id, at) {
      const existing = byId.get(id);
      if (existing === undefined || existing.revokedAt !== null) return false;
      const pending = [id];
      const visited = new Set<string>();
      while (pending.length > 0) {
        const current = pending.pop() as string;
        // A parent chain can loop when callers reuse ids; never walk a record twice.
        if (visited.has(current)) continue;
        visited.add(current);
        const record = byId.get(current);
        if (record !== undefined && record.revokedAt === null) byId.set(current, freezeRecord({ ...record, revokedAt: at }));
        for (const child of childrenById.get(current) ?? []) pending.push(child);
      }
      return true;
    },

    async touch(id, at) {
      const existing = byId.get(id);
      if (existing === undefined) return;
      if (existing.lastUsedAt !== null && at - existing.lastUsedAt < touchIntervalMs) return;
      byId.set(id, freezeRecord({ ...existing, lastUsedAt: at }));
    },

    async deleteInactive(before) {
      let deleted = 0;
      for (const [id, record] of byId) {
        const revokedBefore = record.revokedAt !== null && record.revokedAt < before;
        const expiredBefore = record.expiresAt !== null && record.expiresAt < before;
        if (!revokedBefore && !expiredBefore) continue;
        byId.delete(id);
        idByDigest.delete(record.digest);
        idsByOwner.get(record.ownerId)?.delete(id);
        childrenById.delete(id);
        if (record.parentId !== null) childrenById.get(record.parentId)?.delete(id);
        deleted++;
      }
      return deleted;
    },
  };
  return store;
}

/**
 * Options of {@link createMemoryEphemeralStore}.
 *
 * @example
 * ```ts
 * createMemoryEphemeralStore({ clock: createManualClock(0) });
 * ```
 */
export interface MemoryEphemeralStoreOptions {
  readonly clock?: Clock;
  /** Entries are swept every this many writes. Default 1000. */
  readonly sweepEveryWrites?: number;
}

/**
 * An {@link EphemeralStore} in process memory. Every operation is atomic (no await between read and write);
 * expired entries are swept as writes happen, so memory stays bounded by what is live.
 *
 * @example
 * ```ts
 * const ephemeral = createMemoryEphemeralStore();
 * await ephemeral.setIfAbsent('nonce:k1:42', 300); // true
 * await ephemeral.setIfAbsent('nonce:k1:42', 300); // false
 * ```
 */
export function createMemoryEphemeralStore(options: MemoryEphemeralStoreOptions = {}): EphemeralStore {
  const clock = options.clock ?? systemClock;
  const sweepEveryWrites = options.sweepEveryWrites ?? 1000;
  if (!Number.isSafeInteger(sweepEveryWrites) || sweepEveryWrites < 1) {
    throw new ConfigurationError('sweepEveryWrites', 'must be a positive integer');
  }
  const entries = new Map<string, { value: number; expiresAt: number }>();
  let writes = 0;

  const live = (key: string, now: number): { value: number; expiresAt: number } | undefined => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const wrote = (now: number): void => {
    if (++writes % sweepEveryWrites !== 0) return;
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key);
  };

  return {
    async setIfAbsent(key, ttlInSeconds) {
      const ttl = ttlToMilliseconds(ttlInSeconds);
      const now = clock.now();
      if (live(key, now) !== undefined) return false;
      entries.set(key, { value: 1, expiresAt: now + ttl });
      wrote(now);
      return true;
    },
    async increment(key, ttlInSeconds) {
      const ttl = ttlToMilliseconds(ttlInSeconds);
      const now = clock.now();
      const entry = live(key, now);
      if (entry === undefined) {
        entries.set(key, { value: 1, expiresAt: now + ttl });
        wrote(now);
        return 1;
      }
      entry.value += 1;
      return entry.value;
    },
    async setIfGreater(key, value, ttlInSeconds) {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError('setIfGreater: value must be finite');
      const expiresAt = ttlInSeconds === null ? Number.POSITIVE_INFINITY : clock.now() + ttlToMilliseconds(ttlInSeconds);
      const now = clock.now();
      const entry = live(key, now);
      if (entry !== undefined && entry.value >= value) return false;
      entries.set(key, { value, expiresAt });
      wrote(now);
      return true;
    },
    async get(key) {
      return live(key, clock.now())?.value ?? null;
    },
    async delete(key) {
      entries.delete(key);
    },
  };
}
