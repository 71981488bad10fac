import { createManualClock, type EphemeralStore, type ManualClock } from '@gatehouse/auth-core';
import type { ConformanceCase, ConformanceProfile } from '../case.js';
import { expectHealthy } from './store-health.js';
import { check, expectEqual, rejects, show } from '../check.js';

/**
 * What the kit hands {@link EphemeralStoreDriver.createStore}: the clock the store must read the time from.
 * The kit moves it to test expiry.
 *
 * @example
 * ```ts
 * const createStore = ({ clock }: EphemeralStoreContext) => createMemoryEphemeralStore({ clock });
 * ```
 */
export interface EphemeralStoreContext {
  /** The clock the store must tell time by; cases move it to test expiry. */
  readonly clock: ManualClock;
}

/**
 * What the `ephemeral-store@1` profile needs: a factory of fresh, empty stores (one per case) that tell time
 * by the given clock.
 *
 * @example
 * ```ts
 * const driver: EphemeralStoreDriver = { createStore: ({ clock }) => createMemoryEphemeralStore({ clock }) };
 * ```
 */
export interface EphemeralStoreDriver {
  /** A fresh, empty store on the context's clock; called once per case. */
  createStore(context: EphemeralStoreContext): EphemeralStore | Promise<EphemeralStore>;
}

const REF = '@gatehouse/auth-core EphemeralStore';
const T0 = Date.UTC(2030, 0, 1);
const INVALID_TTLS = [0, -1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY] as const;

async function open(driver: EphemeralStoreDriver): Promise<{ store: EphemeralStore; clock: ManualClock }> {
  const clock = createManualClock(T0);
  const store = await driver.createStore({ clock });
  return { store, clock };
}

async function expectValue(store: EphemeralStore, key: string, expected: number | null, when: string): Promise<void> {
  const value = await store.get(key);
  check(value === expected, () => `get(${show(key, 40)}) ${when}: expected ${show(expected)}, got ${show(value)}`);
}

async function expectSequence(actual: Promise<unknown>, expected: unknown, what: string): Promise<void> {
  const value = await actual;
  check(value === expected, () => `${what}: expected ${show(expected)}, got ${show(value)}`);
}

type Case = ConformanceCase<EphemeralStoreDriver>;

function must(id: string, title: string, run: Case['run']): Case {
  return { id, level: 'MUST', ref: REF, title, run };
}

const cases: readonly Case[] = [
  must('ES-SETIFABSENT-001', 'setIfAbsent returns true for a new key, then false while it lives', async (driver) => {
    const { store } = await open(driver);
    await expectSequence(store.setIfAbsent('nonce:1', 60), true, 'first setIfAbsent');
    await expectSequence(store.setIfAbsent('nonce:1', 60), false, 'second setIfAbsent');
    await expectSequence(store.setIfAbsent('nonce:2', 60), true, 'setIfAbsent of another key');
  }),

  must('ES-SETIFABSENT-002', 'setIfAbsent returns true again once the TTL has passed', async (driver) => {
    const { store, clock } = await open(driver);
    await expectSequence(store.setIfAbsent('nonce', 10), true, 'first setIfAbsent');
    clock.advanceBySeconds(9);
    await expectSequence(store.setIfAbsent('nonce', 10), false, 'setIfAbsent 9 s into a 10 s TTL');
    clock.advanceBySeconds(2);
    await expectValue(store, 'nonce', null, '11 s into a 10 s TTL');
    await expectSequence(store.setIfAbsent('nonce', 10), true, 'setIfAbsent 11 s into a 10 s TTL');
  }),

  must('ES-SETIFABSENT-003', 'a refused setIfAbsent does not extend the TTL of the live key', async (driver) => {
    const { store, clock } = await open(driver);
    await expectSequence(store.setIfAbsent('nonce', 10), true, 'first setIfAbsent');
    clock.advanceBySeconds(8);
    await expectSequence(store.setIfAbsent('nonce', 10), false, 'setIfAbsent at 8 s');
    clock.advanceBySeconds(3);
    await expectSequence(store.setIfAbsent('nonce', 10), true, 'setIfAbsent at 11 s (the refused call at 8 s must not have renewed it)');
  }),

  must('ES-INCR-001', 'increment counts 1, 2, 3 per key', async (driver) => {
    const { store } = await open(driver);
    for (const expected of [1, 2, 3]) await expectSequence(store.increment('failures:a', 60), expected, `increment #${expected}`);
    await expectSequence(store.increment('failures:b', 60), 1, 'increment of another key');
    await expectValue(store, 'failures:a', 3, 'after three increments');
  }),

  must('ES-INCR-002', 'increment uses a fixed window: later increments keep the expiry, and the count restarts at 1 after it', async (driver) => {
    const { store, clock } = await open(driver);
    await expectSequence(store.increment('window', 10), 1, 'increment at 0 s');
    clock.advanceBySeconds(5);
    await expectSequence(store.increment('window', 10), 2, 'increment at 5 s');
    clock.advanceBySeconds(4);
    await expectSequence(store.increment('window', 10), 3, 'increment at 9 s');
    clock.advanceBySeconds(2);
    await expectSequence(store.increment('window', 10), 1, 'increment at 11 s (a 10 s window opened at 0 s has closed)');
    clock.advanceBySeconds(9);
    await expectSequence(store.increment('window', 10), 2, 'increment at 20 s (the window opened at 11 s)');
    clock.advanceBySeconds(2);
    await expectValue(store, 'window', null, 'at 22 s');
    await expectSequence(store.increment('window', 10), 1, 'increment at 22 s');
  }),

  must('ES-SETIFGREATER-001', 'setIfGreater stores only a greater value: absent true, greater true, smaller and equal false', async (driver) => {
    const { store } = await open(driver);
    await expectSequence(store.setIfGreater('nonce:k1', 5, 60), true, 'setIfGreater(5) on an absent key');
    await expectSequence(store.setIfGreater('nonce:k1', 7, 60), true, 'setIfGreater(7) over 5');
    await expectSequence(store.setIfGreater('nonce:k1', 6, 60), false, 'setIfGreater(6) under 7');
    await expectSequence(store.setIfGreater('nonce:k1', 7, 60), false, 'setIfGreater(7) equal to 7');
    await expectValue(store, 'nonce:k1', 7, 'after the refused calls');
    await expectSequence(store.setIfGreater('nonce:k2', -3, 60), true, 'setIfGreater(-3) on another absent key');
  }),

  must('ES-SETIFGREATER-002', 'setIfGreater with a null TTL keeps the value forever', async (driver) => {
    const { store, clock } = await open(driver);
    await expectSequence(store.setIfGreater('nonce:k1', 5, null), true, 'setIfGreater(5, null)');
    clock.advanceBySeconds(10 * 366 * 86_400);
    await expectValue(store, 'nonce:k1', 5, 'ten years later');
    await expectSequence(store.setIfGreater('nonce:k1', 5, null), false, 'setIfGreater(5) ten years later');
    await expectSequence(store.setIfGreater('nonce:k1', 4, 60), false, 'setIfGreater(4) ten years later');
  }),

  must('ES-SETIFGREATER-003', 'a value stored by setIfGreater with a TTL expires, and then any value is accepted', async (driver) => {
    const { store, clock } = await open(driver);
    await expectSequence(store.setIfGreater('nonce:k1', 10, 30), true, 'setIfGreater(10, 30 s)');
    clock.advanceBySeconds(29);
    await expectSequence(store.setIfGreater('nonce:k1', 3, 30), false, 'setIfGreater(3) at 29 s');
    clock.advanceBySeconds(2);
    await expectValue(store, 'nonce:k1', null, 'at 31 s');
    await expectSequence(store.setIfGreater('nonce:k1', 3, 30), true, 'setIfGreater(3) at 31 s');
    await expectValue(store, 'nonce:k1', 3, 'after the new value');
  }),

  must('ES-GET-001', 'get returns the live value (1 for a setIfAbsent marker), and null when absent or expired', async (driver) => {
    const { store, clock } = await open(driver);
    await expectValue(store, 'missing', null, 'of a key never set');
    await store.setIfAbsent('marker', 10);
    await expectValue(store, 'marker', 1, 'of a setIfAbsent marker');
    await store.increment('counter', 10);
    await store.increment('counter', 10);
    await expectValue(store, 'counter', 2, 'of a counter incremented twice');
    await store.setIfGreater('high', 42, 10);
    await expectValue(store, 'high', 42, 'after setIfGreater(42)');
    clock.advanceBySeconds(11);
    for (const key of ['marker', 'counter', 'high']) await expectValue(store, key, null, 'after its TTL');
  }),

  must('ES-DELETE-001', 'delete removes a key so it can be set again; deleting an absent key resolves', async (driver) => {
    const { store } = await open(driver);
    await store.setIfAbsent('marker', 60);
    await store.increment('counter', 60);
    await store.increment('counter', 60);
    await store.delete('marker');
    await store.delete('counter');
    await expectValue(store, 'marker', null, 'after delete');
    await expectSequence(store.setIfAbsent('marker', 60), true, 'setIfAbsent after delete');
    await expectSequence(store.increment('counter', 60), 1, 'increment after delete');
    check(!(await rejects(() => store.delete('never-set'))), 'delete of an absent key rejected');
  }),

  must('ES-ATOMIC-001', '100 parallel setIfAbsent calls on one key: exactly one returns true', async (driver) => {
    const { store } = await open(driver);
    const results = await Promise.all(Array.from({ length: 100 }, () => store.setIfAbsent('nonce:race', 60)));
    const won = results.filter((result) => result === true).length;
    check(won === 1, `${won} of 100 parallel setIfAbsent calls returned true`);
  }),

  must('ES-ATOMIC-002', '100 parallel increments: the final value is 100 and the returned values are exactly 1 to 100', async (driver) => {
    const { store } = await open(driver);
    const results = await Promise.all(Array.from({ length: 100 }, () => store.increment('counter:race', 60)));
    const sorted = [...results].sort((a, b) => a - b);
    const expected = Array.from({ length: 100 }, (_, index) => index + 1);
    expectEqual(sorted, expected, 'sorted return values of 100 parallel increments');
    await expectValue(store, 'counter:race', 100, 'after 100 parallel increments');
  }),

  must('ES-ATOMIC-003', '100 parallel setIfGreater calls with the same value: exactly one returns true', async (driver) => {
    const { store } = await open(driver);
    const results = await Promise.all(Array.from({ length: 100 }, () => store.setIfGreater('nonce:race', 1_700_000_000, 60)));
    const won = results.filter((result) => result === true).length;
    check(won === 1, `${won} of 100 parallel setIfGreater calls with the same value returned true`);
  }),

  must('ES-TTL-001', 'setIfAbsent rejects a TTL that is not a positive finite number (0, negative, NaN, Infinity) and stores nothing', async (driver) => {
    const { store } = await open(driver);
    for (const ttl of INVALID_TTLS) {
      const key = `ttl:${String(ttl)}`;
      check(await rejects(() => store.setIfAbsent(key, ttl)), `setIfAbsent with TTL ${String(ttl)} did not reject`);
      await expectValue(store, key, null, `after setIfAbsent with TTL ${String(ttl)}`);
    }
  }),

  must('ES-TTL-002', 'increment rejects a TTL that is not a positive finite number and stores nothing', async (driver) => {
    const { store } = await open(driver);
    for (const ttl of INVALID_TTLS) {
      const key = `ttl:${String(ttl)}`;
      check(await rejects(() => store.increment(key, ttl)), `increment with TTL ${String(ttl)} did not reject`);
      await expectValue(store, key, null, `after increment with TTL ${String(ttl)}`);
    }
  }),

  must('ES-TTL-003', 'setIfGreater rejects a TTL that is neither null nor a positive finite number and stores nothing', async (driver) => {
    const { store } = await open(driver);
    for (const ttl of INVALID_TTLS) {
      const key = `ttl:${String(ttl)}`;
      check(await rejects(() => store.setIfGreater(key, 1, ttl)), `setIfGreater with TTL ${String(ttl)} did not reject`);
      await expectValue(store, key, null, `after setIfGreater with TTL ${String(ttl)}`);
    }
  }),

  must('ES-KEY-001', 'keys are opaque strings: __proto__, constructor, toString, unicode and 1000-character keys work', async (driver) => {
    const { store } = await open(driver);
    const keys = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', 'ключ 🔑 日本', 'k'.repeat(1000), 'a:b c\td"e\'f\\g%h*?[]{}'];
    for (const key of keys) {
      await expectValue(store, key, null, 'before any write');
      await expectSequence(store.setIfAbsent(key, 60), true, `setIfAbsent(${show(key, 40)})`);
      await expectSequence(store.setIfAbsent(key, 60), false, `second setIfAbsent(${show(key, 40)})`);
      await expectValue(store, key, 1, 'after setIfAbsent');
      const counter = `${key}#counter`;
      await expectSequence(store.increment(counter, 60), 1, `increment(${show(counter, 40)})`);
      await expectSequence(store.increment(counter, 60), 2, `second increment(${show(counter, 40)})`);
    }
    for (const key of keys) {
      await store.delete(key);
      await expectValue(store, key, null, 'after delete');
    }
  }),

  must('ES-KEY-002', 'keys differing only in case, whitespace or their last character are distinct', async (driver) => {
    const { store } = await open(driver);
    const long = 'k'.repeat(999);
    const keys = ['key', 'Key', 'KEY', 'key ', ' key', `${long}a`, `${long}b`, 'e\u0301', '\u00e9'];
    for (const key of keys) await expectSequence(store.setIfAbsent(key, 60), true, `setIfAbsent(${show(key, 40)})`);
    for (const [index, key] of keys.entries()) {
      await expectSequence(store.increment(`n:${key}`, 60), 1, `increment(${show(`n:${key}`, 40)}) #${index + 1}`);
    }
  }),

  must('ES-HEALTH-001', 'health() resolves {"status":"ok"} on a working store, before and after writes', async (driver) => {
    const { store } = await open(driver);
    await expectHealthy(store, 'on a new store');
    await expectSequence(store.setIfAbsent('nonce:health', 60), true, 'setIfAbsent');
    await expectHealthy(store, 'after a write');
    await expectValue(store, 'nonce:health', 1, 'after health()');
  }),
];

/**
 * The `ephemeral-store@1` profile: setIfAbsent, fixed-window increment, setIfGreater, get and delete with
 * their TTLs (the kit moves a {@link ManualClock}), atomicity under 100 parallel calls, refusal of invalid
 * TTLs, and keys as opaque strings.
 *
 * @example
 * ```ts
 * import { ephemeralStoreV1, runProfile } from '@gatehouse/conformance';
 * await runProfile(ephemeralStoreV1, { createStore: ({ clock }) => createMemoryEphemeralStore({ clock }) });
 * ```
 */
export const ephemeralStoreV1: ConformanceProfile<EphemeralStoreDriver> = Object.freeze({
  id: 'ephemeral-store@1',
  title: 'EphemeralStore conformance (ephemeral-store@1)',
  cases,
});
