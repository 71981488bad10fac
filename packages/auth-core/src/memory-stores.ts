import { systemClock, type Clock } from './clock.js';
import { ConfigurationError } from './errors.js';
import {
  isCredentialActive,
  SETTLED_VOID,
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

type Attributes = CredentialRecord['attributes'];

const EMPTY_LIST: readonly string[] = Object.freeze([]);
const EMPTY_ATTRIBUTES: Attributes = Object.freeze({});

function frozenList(list: readonly string[]): readonly string[] {
  return list.length === 0 ? EMPTY_LIST : Object.freeze([...list]);
}

/**
 * Builds the stored, frozen form of a record. Every record is built by this one object literal, so all share
 * one hidden class with in-object fields (building them by spreading gave each record its own hidden class and
 * an out-of-object property array: about 230 bytes more per record). Empty lists and attributes are shared
 * frozen constants; small attribute objects (e.g. `{ accountType: 'master' }`) are shared through `intern`.
 */
function storedRecord(
  record: NewCredentialRecord,
  scopes: readonly string[],
  allowedIps: readonly string[],
  attributes: Attributes,
  lastUsedAt: number | null,
  revokedAt: number | null,
): CredentialRecord {
  return Object.freeze({
    id: record.id,
    digest: record.digest,
    strategy: record.strategy,
    kind: record.kind,
    ownerId: record.ownerId,
    parentId: record.parentId,
    label: record.label,
    hint: record.hint,
    scopes,
    allowedIps,
    sealedSecret: record.sealedSecret,
    attributes,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    lastUsedAt,
    revokedAt,
  });
}

/** Attribute sets worth sharing: a few short values. */
const INTERN_MAX_KEYS = 4;
const INTERN_MAX_JSON = 160;
const INTERN_MAX_ENTRIES = 4096;

/** Values whose JSON text identifies them exactly (not NaN, ±Infinity, -0, undefined, objects). */
function isInternable(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  return typeof value === 'number' && Number.isFinite(value) && !Object.is(value, -0);
}

/**
 * Frozen attribute objects shared between records with equal attributes (same keys in the same order, same
 * values). Many records carry the same few (an account type, a user name shared by a user's keys); a record's
 * attributes are frozen, so sharing them is invisible. Bounded: past `INTERN_MAX_ENTRIES` distinct sets, new
 * ones are simply copied.
 */
function createAttributeInterner(): (attributes: Attributes) => Attributes {
  const interned = new Map<string, Attributes>();
  return (attributes) => {
    const keys = Object.keys(attributes);
    if (keys.length === 0) return EMPTY_ATTRIBUTES;
    // Not `{ ...attributes }`: in V8 (Node 20) a frozen copy made by spreading gets a hidden class of its own,
    // and reading a key it lacks (every verification reads a few: `userName`, a rotation's previous secret) then
    // costs 0.1–0.3 µs instead of a few nanoseconds. `Object.fromEntries` defines the same own properties
    // (`__proto__` included, as data) through the shared hidden classes of ordinary objects.
    const copy = Object.freeze(Object.fromEntries(Object.entries(attributes)));
    if (keys.length > INTERN_MAX_KEYS || !Object.values(copy).every(isInternable)) return copy;
    // Injective for these values, and key order is kept: equal keys mean equal attributes.
    const key = JSON.stringify(copy);
    if (key.length > INTERN_MAX_JSON) return copy;
    const existing = interned.get(key);
    if (existing !== undefined) return existing;
    if (interned.size < INTERN_MAX_ENTRIES) interned.set(key, copy);
    return copy;
  };
}

/**
 * A secondary index from a key (an owner, a parent) to record ids, compact for the common case of few ids per
 * key: one id is stored as itself, up to `SMALL_GROUP` ids as an exactly sized array, more as a `Set`.
 */
type IdGroup = string | readonly string[] | Set<string>;
const SMALL_GROUP = 16;

function addToGroup(index: Map<string, IdGroup>, key: string, id: string): void {
  const group = index.get(key);
  if (group === undefined) index.set(key, id);
  else if (typeof group === 'string') index.set(key, group === id ? group : [group, id]);
  else if (group instanceof Set) group.add(id);
  else if (group.includes(id)) return;
  else index.set(key, group.length < SMALL_GROUP ? withId(group, id) : new Set([...group, id]));
}

/** A copy of `group` plus `id`, allocated at its exact size (a spread or `push` leaves spare capacity). */
function withId(group: readonly string[], id: string): readonly string[] {
  const next = new Array<string>(group.length + 1);
  for (let i = 0; i < group.length; i++) next[i] = group[i] as string;
  next[group.length] = id;
  return next;
}

function removeFromGroup(index: Map<string, IdGroup>, key: string, id: string): void {
  const group = index.get(key);
  if (group === undefined) return;
  if (typeof group === 'string') {
    if (group === id) index.delete(key);
  } else if (group instanceof Set) {
    group.delete(id);
    if (group.size === 0) index.delete(key);
  } else if (group.includes(id)) {
    const rest = group.filter((entry) => entry !== id);
    if (rest.length === 0) index.delete(key);
    else index.set(key, rest.length === 1 ? (rest[0] as string) : rest);
  }
}

function idsOf(group: IdGroup | undefined): Iterable<string> {
  if (group === undefined) return EMPTY_LIST;
  return typeof group === 'string' ? [group] : group;
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
  // Digest → record directly (not → id → record): verification is one `Map` read.
  const byDigest = new Map<string, CredentialRecord>();
  const idsByOwner = new Map<string, IdGroup>();
  const childrenById = new Map<string, IdGroup>();
  const intern = createAttributeInterner();
  // The record `findByDigest` returned last, kept current by `replace`: a verification touches the record it
  // has just found, and this spares that `touch` a second index read, which at a million records is a cache
  // miss costing more than the rest of the touch.
  let lastFound: CredentialRecord | undefined;

  /** Replaces a stored record by a changed copy, in both indexes. */
  const replace = (next: CredentialRecord): CredentialRecord => {
    byId.set(next.id, next);
    byDigest.set(next.digest, next);
    if (lastFound !== undefined && lastFound.id === next.id) lastFound = next;
    return next;
  };

  const store: CredentialStore = {
    async insert(record: NewCredentialRecord, insertOptions: InsertCredentialOptions = {}): Promise<InsertCredentialResult> {
      if (byId.has(record.id) || byDigest.has(record.digest)) return { type: 'conflict' };
      const { maxActivePerOwner } = insertOptions;
      if (maxActivePerOwner !== undefined) {
        if (!Number.isSafeInteger(maxActivePerOwner) || maxActivePerOwner < 0) {
          throw new RangeError('insert: `maxActivePerOwner` must be a non-negative integer');
        }
        const now = insertOptions.now;
        if (typeof now !== 'number') throw new TypeError('insert: `now` is required with `maxActivePerOwner`');
        let active = 0;
        for (const id of idsOf(idsByOwner.get(record.ownerId))) {
          const existing = byId.get(id) as CredentialRecord;
          if (existing.strategy === record.strategy && existing.kind === record.kind && isCredentialActive(existing, now)) {
            active++;
          }
        }
        if (active >= maxActivePerOwner) return { type: 'limit-exceeded', limit: maxActivePerOwner };
      }
      // A record derived from a revoked one is born revoked: revocation wins over a derivation racing it.
      const parentRevokedAt = record.parentId === null ? null : (byId.get(record.parentId)?.revokedAt ?? null);
      const stored = replace(
        storedRecord(record, frozenList(record.scopes), frozenList(record.allowedIps), intern(record.attributes), null, parentRevokedAt),
      );
      addToGroup(idsByOwner, stored.ownerId, stored.id);
      if (stored.parentId !== null) addToGroup(childrenById, stored.parentId, stored.id);
      return { type: 'inserted' };
    },

    async findByDigest(digest) {
      const record = byDigest.get(digest);
      if (record === undefined) return null;
      lastFound = record;
      return record;
    },

    async findById(id) {
      return byId.get(id) ?? null;
    },

    async listByOwner(ownerId, filter: ListCredentialsFilter = {}) {
      const out: CredentialRecord[] = [];
      for (const id of idsOf(idsByOwner.get(ownerId))) {
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
      const picked = pickPatch(patch);
      const merged = { ...existing, ...picked };
      return replace(
        storedRecord(
          merged,
          picked.scopes === undefined ? existing.scopes : frozenList(picked.scopes),
          picked.allowedIps === undefined ? existing.allowedIps : frozenList(picked.allowedIps),
          picked.attributes === undefined ? existing.attributes : intern(picked.attributes),
          existing.lastUsedAt,
          existing.revokedAt,
        ),
      );
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
        if (record !== undefined && record.revokedAt === null) {
          replace(storedRecord(record, record.scopes, record.allowedIps, record.attributes, record.lastUsedAt, at));
        }
        for (const child of idsOf(childrenById.get(current))) pending.push(child);
      }
      return true;
    },

    touch(id, at) {
      // Not `async`: this runs after every successful verification, and one settled promise serves every call.
      const existing = lastFound !== undefined && lastFound.id === id ? lastFound : byId.get(id);
      if (existing === undefined) return SETTLED_VOID;
      if (existing.lastUsedAt !== null && at - existing.lastUsedAt < touchIntervalMs) return SETTLED_VOID;
      try {
        replace(storedRecord(existing, existing.scopes, existing.allowedIps, existing.attributes, at, existing.revokedAt));
      } catch (error) {
        return Promise.reject(error);
      }
      return SETTLED_VOID;
    },

    async deleteInactive(before) {
      lastFound = undefined;
      let deleted = 0;
      for (const [id, record] of byId) {
        const revokedBefore = record.revokedAt !== null && record.revokedAt < before;
        const expiredBefore = record.expiresAt !== null && record.expiresAt < before;
        if (!revokedBefore && !expiredBefore) continue;
        byId.delete(id);
        byDigest.delete(record.digest);
        removeFromGroup(idsByOwner, record.ownerId, id);
        childrenById.delete(id);
        if (record.parentId !== null) removeFromGroup(childrenById, record.parentId, id);
        deleted++;
      }
      return deleted;
    },

    async health() {
      return { status: 'ok' };
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
  /** The clock that decides expiry. Default: the system clock. */
  readonly clock?: Clock;
  /** Entries are swept every this many writes. Default 1000. */
  readonly sweepEveryWrites?: number;
}

/** A counter or a value above 1 in the memory ephemeral store. */
interface Counter {
  value: number;
  readonly expiresAt: number;
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
  // A marker of value 1 (every `setIfAbsent`, e.g. a nonce) is stored as its expiry alone, counted from `base`:
  // for expiries within ~24 days of the store's creation that is a small integer V8 keeps inside the `Map`
  // entry, so a remembered nonce costs no object and no boxed number (a `{ value, expiresAt }` object and a
  // boxed millisecond timestamp were ~56 bytes per nonce, all of it kept for the nonce's lifetime and copied
  // by the garbage collector). Any other value is a `Counter`.
  const base = clock.now();
  const entries = new Map<string, number | Counter>();
  let writes = 0;
  // No entry expires before this (a lower bound: deletions never raise it). While `now` is below it a sweep
  // would find nothing, so it is skipped: scanning every entry every `sweepEveryWrites` writes made each write
  // cost O(live entries) — 10 µs a write at a million live nonces — while nothing could have expired yet.
  let earliestExpiry = Number.POSITIVE_INFINITY;

  const expiryOf = (entry: number | Counter): number => (typeof entry === 'number' ? base + entry : entry.expiresAt);
  /** The live entry at `key`, deleting it when expired. */
  const live = (key: string, now: number): number | Counter | undefined => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (expiryOf(entry) <= now) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const wrote = (now: number, expiresAt: number): void => {
    if (expiresAt < earliestExpiry) earliestExpiry = expiresAt;
    if (++writes % sweepEveryWrites !== 0 || now < earliestExpiry) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const [key, entry] of entries) {
      const expiry = expiryOf(entry);
      if (expiry <= now) entries.delete(key);
      else if (expiry < earliest) earliest = expiry;
    }
    earliestExpiry = earliest;
  };
  /** A marker as its expiry offset when that gives back exactly `expiresAt` (always, for millisecond clocks). */
  const marker = (expiresAt: number): number | Counter => {
    const offset = expiresAt - base;
    return Number.isFinite(offset) && base + offset === expiresAt ? offset : { value: 1, expiresAt };
  };
  const setMarker = (key: string, now: number, expiresAt: number): void => {
    entries.set(key, marker(expiresAt));
    wrote(now, expiresAt);
  };
  const setCounter = (key: string, now: number, value: number, expiresAt: number): void => {
    entries.set(key, value === 1 ? marker(expiresAt) : { value, expiresAt });
    wrote(now, expiresAt);
  };

  return {
    async setIfAbsent(key, ttlInSeconds) {
      const ttl = ttlToMilliseconds(ttlInSeconds);
      const now = clock.now();
      if (live(key, now) !== undefined) return false;
      setMarker(key, now, now + ttl);
      return true;
    },
    async increment(key, ttlInSeconds) {
      const ttl = ttlToMilliseconds(ttlInSeconds);
      const now = clock.now();
      const entry = live(key, now);
      if (entry === undefined) {
        setMarker(key, now, now + ttl);
        return 1;
      }
      if (typeof entry === 'number') {
        // A fixed window: the counter keeps the expiry the marker had.
        entries.set(key, { value: 2, expiresAt: base + entry });
        return 2;
      }
      entry.value += 1;
      return entry.value;
    },
    async setIfGreater(key, value, ttlInSeconds) {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError('setIfGreater: value must be finite');
      const expiresAt = ttlInSeconds === null ? Number.POSITIVE_INFINITY : clock.now() + ttlToMilliseconds(ttlInSeconds);
      const now = clock.now();
      const entry = live(key, now);
      if (entry !== undefined && (typeof entry === 'number' ? 1 : entry.value) >= value) return false;
      setCounter(key, now, value, expiresAt);
      return true;
    },
    async get(key) {
      const entry = live(key, clock.now());
      if (entry === undefined) return null;
      return typeof entry === 'number' ? 1 : entry.value;
    },
    async delete(key) {
      entries.delete(key);
    },
    async health() {
      return { status: 'ok' };
    },
  };
}
