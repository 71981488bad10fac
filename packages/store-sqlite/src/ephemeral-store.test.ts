import {
  createManualClock,
  createMemoryEphemeralStore,
  type EphemeralStore,
  type ManualClock,
} from '@gatehouse/auth-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, pathFor, seededRandom, removeTemporaryFolders, temporaryDatabasePath } from './fixtures/helpers.js';
import { openSqliteStores, type SqliteStores } from './index.js';

const opened: SqliteStores[] = [];
afterEach(() => {
  for (const stores of opened.splice(0)) stores.close();
});
afterAll(removeTemporaryFolders);

const INVALID_TTLS = [0, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

describe.each(BACKENDS)('ephemeral store on %s', (backend) => {
  function open(clock: ManualClock, sweepEveryWrites?: number): SqliteStores {
    const stores = openSqliteStores(pathFor(backend), sweepEveryWrites === undefined ? { clock } : { clock, sweepEveryWrites });
    opened.push(stores);
    return stores;
  }
  function setup(): { clock: ManualClock; ephemeral: EphemeralStore } {
    const clock = createManualClock(1_000_000);
    return { clock, ephemeral: open(clock).ephemeral };
  }

  describe('setIfAbsent', () => {
    it('sets an absent key once, and again only after it expired', async () => {
      const { clock, ephemeral } = setup();
      expect(await ephemeral.setIfAbsent('nonce', 10)).toBe(true);
      expect(await ephemeral.setIfAbsent('nonce', 10)).toBe(false);
      expect(await ephemeral.get('nonce')).toBe(1);
      clock.advanceBySeconds(9.999);
      expect(await ephemeral.setIfAbsent('nonce', 10)).toBe(false);
      clock.advanceBySeconds(0.001); // expiry is exclusive: at expiresAt the key is gone
      expect(await ephemeral.get('nonce')).toBeNull();
      expect(await ephemeral.setIfAbsent('nonce', 10)).toBe(true);
      expect(await ephemeral.setIfAbsent('other', 10)).toBe(true);
    });

    it('rounds a fractional TTL up to whole milliseconds', async () => {
      const { clock, ephemeral } = setup();
      expect(await ephemeral.setIfAbsent('k', 0.0001)).toBe(true);
      expect(await ephemeral.get('k')).toBe(1);
      clock.advanceBySeconds(0.001);
      expect(await ephemeral.get('k')).toBeNull();
    });
  });

  describe('increment', () => {
    it('starts at 1 and keeps the first expiry on later increments (a fixed window)', async () => {
      const { clock, ephemeral } = setup();
      expect(await ephemeral.increment('rate', 60)).toBe(1);
      clock.advanceBySeconds(30);
      expect(await ephemeral.increment('rate', 60)).toBe(2);
      clock.advanceBySeconds(29);
      expect(await ephemeral.increment('rate', 60)).toBe(3);
      expect(await ephemeral.get('rate')).toBe(3);
      clock.advanceBySeconds(1); // 60 s after creation: the window is over despite the later increments
      expect(await ephemeral.get('rate')).toBeNull();
      expect(await ephemeral.increment('rate', 60)).toBe(1);
      clock.advanceBySeconds(59);
      expect(await ephemeral.get('rate')).toBe(1);
    });

    it('counts on from a setIfAbsent marker or a setIfGreater value', async () => {
      const { ephemeral } = setup();
      await ephemeral.setIfAbsent('marker', 60);
      expect(await ephemeral.increment('marker', 60)).toBe(2);
      await ephemeral.setIfGreater('value', 7.5, null);
      expect(await ephemeral.increment('value', 60)).toBe(8.5);
    });
  });

  describe('setIfGreater', () => {
    it('stores only a greater value while the key is live', async () => {
      const { ephemeral } = setup();
      expect(await ephemeral.setIfGreater('seq', 5, 60)).toBe(true);
      expect(await ephemeral.setIfGreater('seq', 5, 60)).toBe(false);
      expect(await ephemeral.setIfGreater('seq', 4, 60)).toBe(false);
      expect(await ephemeral.setIfGreater('seq', 6.5, 60)).toBe(true);
      expect(await ephemeral.get('seq')).toBe(6.5);
      expect(await ephemeral.setIfGreater('negative', -3, 60)).toBe(true);
      expect(await ephemeral.get('negative')).toBe(-3);
    });

    it('stores any value once the key expired, with the new TTL', async () => {
      const { clock, ephemeral } = setup();
      await ephemeral.setIfGreater('seq', 100, 10);
      clock.advanceBySeconds(10);
      expect(await ephemeral.setIfGreater('seq', 1, 20)).toBe(true);
      clock.advanceBySeconds(19);
      expect(await ephemeral.get('seq')).toBe(1);
      clock.advanceBySeconds(1);
      expect(await ephemeral.get('seq')).toBeNull();
    });

    it('keeps a value forever with a null TTL, until a greater value replaces it with its own TTL', async () => {
      const { clock, ephemeral } = setup();
      expect(await ephemeral.setIfGreater('seq', 1, null)).toBe(true);
      clock.advanceBySeconds(10 * 365 * 86_400);
      expect(await ephemeral.get('seq')).toBe(1);
      expect(await ephemeral.setIfGreater('seq', 2, 5)).toBe(true);
      clock.advanceBySeconds(5);
      expect(await ephemeral.get('seq')).toBeNull();
    });

    it('rejects a non-finite value and stores nothing', async () => {
      const { ephemeral } = setup();
      for (const value of [Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(ephemeral.setIfGreater('seq', value, 60)).rejects.toThrow(RangeError);
      }
      expect(await ephemeral.get('seq')).toBeNull();
    });
  });

  it('get returns null for an absent key, and delete removes a key', async () => {
    const { ephemeral } = setup();
    expect(await ephemeral.get('missing')).toBeNull();
    await ephemeral.increment('k', 60);
    await ephemeral.delete('k');
    expect(await ephemeral.get('k')).toBeNull();
    await expect(ephemeral.delete('never-set')).resolves.toBeUndefined();
    expect(await ephemeral.setIfAbsent('k', 60)).toBe(true);
  });

  it('rejects invalid TTLs (0, negative, NaN, ±Infinity) with a RangeError and stores nothing', async () => {
    const { ephemeral } = setup();
    for (const ttl of INVALID_TTLS) {
      await expect(ephemeral.setIfAbsent('k', ttl)).rejects.toThrow(RangeError);
      await expect(ephemeral.increment('k', ttl)).rejects.toThrow(RangeError);
      await expect(ephemeral.setIfGreater('k', 1, ttl)).rejects.toThrow(RangeError);
    }
    expect(await ephemeral.get('k')).toBeNull();
  });

  it('sweeps expired rows every `sweepEveryWrites` writes', async () => {
    const clock = createManualClock(0);
    const stores = open(clock, 10);
    const rows = (): number => stores.database.prepare('SELECT COUNT(*) FROM ephemeral').pluck().get() as number;
    for (let i = 0; i < 5; i++) await stores.ephemeral.setIfAbsent(`short-${i}`, 1);
    await stores.ephemeral.setIfGreater('forever', 1, null);
    clock.advanceBySeconds(2);
    for (let i = 0; i < 3; i++) await stores.ephemeral.setIfAbsent(`long-${i}`, 60);
    expect(rows()).toBe(9);
    await stores.ephemeral.increment('tenth-write', 60);
    expect(rows()).toBe(5); // the 5 short-lived rows are gone; `forever` and the live ones stay
    expect(await stores.ephemeral.get('forever')).toBe(1);
  });

  it('behaves exactly like the memory store on a random sequence of operations', async () => {
    const clock = createManualClock(0);
    const sqlite = open(clock, 7).ephemeral;
    const memory = createMemoryEphemeralStore({ clock, sweepEveryWrites: 7 });
    const random = seededRandom(777);
    for (let step = 0; step < 1_000; step++) {
      const key = `k${random(6)}`;
      const ttl = [1, 2, 5, 0.5][random(4)] as number;
      const operation = random(7);
      const value = random(10);
      const greaterTtl = random(4) === 0 ? null : ttl;
      const call = (s: EphemeralStore): Promise<unknown> =>
        operation === 0
          ? s.setIfAbsent(key, ttl)
          : operation === 1 || operation === 2
            ? s.increment(key, ttl)
            : operation === 3
              ? s.setIfGreater(key, value, greaterTtl)
              : operation === 4
                ? s.delete(key)
                : s.get(key);
      expect(await call(sqlite), `step ${step}`).toEqual(await call(memory));
      if (random(3) === 0) clock.advanceBySeconds(random(1_500) / 1_000);
    }
  });
});

describe('ephemeral store across connections', () => {
  it('shares keys between two connections to one file', async () => {
    const path = temporaryDatabasePath();
    const clock = createManualClock(0);
    const first = openSqliteStores(path, { clock });
    const second = openSqliteStores(path, { clock });
    opened.push(first, second);
    expect(await first.ephemeral.setIfAbsent('nonce', 60)).toBe(true);
    expect(await second.ephemeral.setIfAbsent('nonce', 60)).toBe(false);
    expect(await first.ephemeral.increment('rate', 60)).toBe(1);
    expect(await second.ephemeral.increment('rate', 60)).toBe(2);
    expect(await first.ephemeral.get('rate')).toBe(2);
  });
});
