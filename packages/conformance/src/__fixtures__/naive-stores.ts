// Small, deliberately simple stores for the kit's own tests. With no flaws they conform; each flaw breaks one
// rule the way real stores get it wrong, to prove the kit notices.
import { type Clock, type CredentialRecord, type CredentialStore, type EphemeralStore } from '@gatehouse/auth-core';
import { isCredentialActive } from '@gatehouse/auth-core/strategy';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface CredentialStoreFlaws {
  /** Awaits between counting active records and inserting, so parallel inserts all pass the check. */
  readonly racyLimit?: boolean;
  /** revoke() marks only the record itself, not the records derived from it. */
  readonly noCascade?: boolean;
  /** touch() writes on every call (no 60 s debounce). */
  readonly touchEveryTime?: boolean;
  /** The limit counts revoked and expired records too. */
  readonly countsInactive?: boolean;
  /** The limit counts every record of the owner, whatever the strategy and kind. */
  readonly limitPerOwnerOnly?: boolean;
  /** The limit decides what is active by the wall clock instead of `options.now`. */
  readonly wallClockLimit?: boolean;
  /** Only ids are unique; a duplicate digest is inserted. */
  readonly digestNotUnique?: boolean;
  /** deleteInactive() also deletes records that merely have an expiry, even in the future. */
  readonly deletesActive?: boolean;
  /** Returns (and keeps) live objects instead of copies. */
  readonly liveRecords?: boolean;
  /** listByOwner() returns the newest first. */
  readonly listNewestFirst?: boolean;
  /** A record inserted under a revoked parent is stored active. */
  readonly derivedFromRevokedActive?: boolean;
  /** health() rejects instead of reporting. */
  readonly healthRejects?: boolean;
}

export function createNaiveCredentialStore(flaws: CredentialStoreFlaws = {}): CredentialStore {
  const records = new Map<string, Mutable<CredentialRecord>>();
  const out = (record: Mutable<CredentialRecord>): CredentialRecord => (flaws.liveRecords ? record : structuredClone(record));

  return {
    async insert(record, options = {}) {
      const all = [...records.values()];
      if (records.has(record.id) || (!flaws.digestNotUnique && all.some((existing) => existing.digest === record.digest))) {
        return { type: 'conflict' };
      }
      const limit = options.maxActivePerOwner;
      if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) throw new RangeError('bad limit');
      if (limit !== undefined) {
        const now = flaws.wallClockLimit ? Date.now() : (options.now as number);
        const active = all.filter(
          (existing) =>
            existing.ownerId === record.ownerId &&
            (flaws.limitPerOwnerOnly || (existing.strategy === record.strategy && existing.kind === record.kind)) &&
            (flaws.countsInactive || isCredentialActive(existing, now)),
        ).length;
        if (flaws.racyLimit) await Promise.resolve();
        if (active >= limit) return { type: 'limit-exceeded', limit };
      }
      const copy = flaws.liveRecords ? (record as Mutable<CredentialRecord>) : structuredClone(record);
      const parentRevokedAt = flaws.derivedFromRevokedActive || record.parentId === null ? null : (records.get(record.parentId)?.revokedAt ?? null);
      records.set(record.id, Object.assign(copy, { lastUsedAt: null, revokedAt: parentRevokedAt }));
      return { type: 'inserted' };
    },
    async findByDigest(digest) {
      const found = [...records.values()].find((record) => record.digest === digest);
      return found === undefined ? null : out(found);
    },
    async findById(id) {
      const found = records.get(id);
      return found === undefined ? null : out(found);
    },
    async listByOwner(ownerId, filter = {}) {
      return [...records.values()]
        .filter(
          (record) =>
            record.ownerId === ownerId &&
            (filter.strategy === undefined || record.strategy === filter.strategy) &&
            (filter.kind === undefined || record.kind === filter.kind) &&
            (filter.activeAt === undefined || isCredentialActive(record, filter.activeAt)),
        )
        .sort((a, b) => (flaws.listNewestFirst ? b.createdAt - a.createdAt : a.createdAt - b.createdAt))
        .map(out);
    },
    async update(id, patch) {
      const found = records.get(id);
      if (found === undefined) return null;
      Object.assign(found, flaws.liveRecords ? patch : structuredClone(patch));
      return out(found);
    },
    async revoke(id, at) {
      const found = records.get(id);
      if (found === undefined || found.revokedAt !== null) return false;
      const pending = [found];
      while (pending.length > 0) {
        const current = pending.pop() as Mutable<CredentialRecord>;
        if (current.revokedAt === null) current.revokedAt = at;
        if (flaws.noCascade) break;
        pending.push(...[...records.values()].filter((record) => record.parentId === current.id));
      }
      return true;
    },
    async touch(id, at) {
      const found = records.get(id);
      if (found === undefined) return;
      if (flaws.touchEveryTime || found.lastUsedAt === null || at - found.lastUsedAt >= 60_000) found.lastUsedAt = at;
    },
    async deleteInactive(before) {
      let deleted = 0;
      for (const [id, record] of records) {
        const times = [record.revokedAt, record.expiresAt].filter((time): time is number => time !== null);
        const inactiveSince = times.length === 0 ? null : Math.min(...times);
        const remove = flaws.deletesActive ? inactiveSince !== null : inactiveSince !== null && inactiveSince < before;
        if (remove) {
          records.delete(id);
          deleted++;
        }
      }
      return deleted;
    },

    async health() {
      if (flaws.healthRejects) throw new Error('no connection');
      return { status: 'ok' };
    },
  };
}

export interface EphemeralStoreFlaws {
  /** setIfAbsent reads, awaits, then writes. */
  readonly racySetIfAbsent?: boolean;
  /** increment reads, awaits, then writes. */
  readonly racyIncrement?: boolean;
  /** Every increment pushes the expiry forward (a sliding window). */
  readonly slidingWindow?: boolean;
  /** setIfGreater also accepts an equal value. */
  readonly greaterOrEqual?: boolean;
  /** An invalid TTL (0, negative, NaN, Infinity) stores the key forever instead of throwing. */
  readonly acceptsInvalidTtl?: boolean;
  /** Entries live in a plain object, so keys such as `constructor` collide with Object.prototype. */
  readonly plainObjectKeys?: boolean;
  /** A refused setIfAbsent renews the TTL of the live key. */
  readonly refreshOnRefusal?: boolean;
  /** health() answers a shape of its own instead of `{ status: 'ok' }`. */
  readonly healthShape?: boolean;
}

interface Entry {
  value: number;
  expiresAt: number;
}

export function createNaiveEphemeralStore(clock: Clock, flaws: EphemeralStoreFlaws = {}): EphemeralStore {
  const map = new Map<string, Entry>();
  const object: Record<string, Entry | undefined> = {};
  const read = (key: string): Entry | undefined => (flaws.plainObjectKeys ? object[key] : map.get(key));
  const write = (key: string, entry: Entry): void => {
    if (flaws.plainObjectKeys) object[key] = entry;
    else map.set(key, entry);
  };
  const remove = (key: string): void => {
    if (flaws.plainObjectKeys) delete object[key];
    else map.delete(key);
  };
  const live = (key: string): Entry | undefined => {
    const entry = read(key);
    return entry !== undefined && !(entry.expiresAt <= clock.now()) ? entry : undefined;
  };
  const ttl = (seconds: number): number => {
    if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0) return seconds * 1000;
    if (flaws.acceptsInvalidTtl) return Number.POSITIVE_INFINITY;
    throw new RangeError('ttlInSeconds must be a positive number');
  };

  return {
    async setIfAbsent(key, ttlInSeconds) {
      const lifetime = ttl(ttlInSeconds);
      const existing = live(key);
      if (flaws.racySetIfAbsent) await Promise.resolve();
      if (existing !== undefined) {
        if (flaws.refreshOnRefusal) existing.expiresAt = clock.now() + lifetime;
        return false;
      }
      write(key, { value: 1, expiresAt: clock.now() + lifetime });
      return true;
    },
    async increment(key, ttlInSeconds) {
      const lifetime = ttl(ttlInSeconds);
      const existing = live(key);
      const next = (existing?.value ?? 0) + 1;
      if (flaws.racyIncrement) await Promise.resolve();
      const expiresAt = existing === undefined || flaws.slidingWindow ? clock.now() + lifetime : existing.expiresAt;
      write(key, { value: next, expiresAt });
      return next;
    },
    async setIfGreater(key, value, ttlInSeconds) {
      const expiresAt = ttlInSeconds === null ? Number.POSITIVE_INFINITY : clock.now() + ttl(ttlInSeconds);
      const existing = live(key);
      if (existing !== undefined && (flaws.greaterOrEqual ? existing.value > value : existing.value >= value)) return false;
      write(key, { value, expiresAt });
      return true;
    },
    async get(key) {
      return live(key)?.value ?? null;
    },
    async delete(key) {
      remove(key);
    },
    async health() {
      return flaws.healthShape ? ({ healthy: true } as never) : { status: 'ok' };
    },
  };
}
