import { createMemoryEphemeralStore } from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import { ephemeralStoreV1, runProfile } from './index.js';
import { describeConformance } from './vitest.js';
import { createNaiveEphemeralStore, type EphemeralStoreFlaws } from './__fixtures__/naive-stores.js';

describeConformance({ profile: 'ephemeral-store@1', createStore: ({ clock }) => createMemoryEphemeralStore({ clock }) });

describe('a memory store that sweeps on every write', () => {
  describeConformance({ profile: 'ephemeral-store@1', createStore: ({ clock }) => createMemoryEphemeralStore({ clock, sweepEveryWrites: 1 }) });
});

describe('a second conforming store (naive, test-only)', () => {
  describeConformance({ profile: 'ephemeral-store@1', createStore: ({ clock }) => createNaiveEphemeralStore(clock) });
});

interface Mutant {
  readonly store: string;
  readonly flaws: EphemeralStoreFlaws;
  readonly caughtBy: readonly string[];
}

const mutants: readonly Mutant[] = [
  { store: 'whose setIfAbsent reads, awaits, then writes', flaws: { racySetIfAbsent: true }, caughtBy: ['ES-ATOMIC-001'] },
  { store: 'whose increment reads, awaits, then writes', flaws: { racyIncrement: true }, caughtBy: ['ES-ATOMIC-002'] },
  { store: 'whose increment slides the window', flaws: { slidingWindow: true }, caughtBy: ['ES-INCR-002'] },
  { store: 'whose setIfGreater accepts an equal value', flaws: { greaterOrEqual: true }, caughtBy: ['ES-SETIFGREATER-001', 'ES-ATOMIC-003'] },
  { store: 'that stores forever when the TTL is invalid', flaws: { acceptsInvalidTtl: true }, caughtBy: ['ES-TTL-001', 'ES-TTL-002', 'ES-TTL-003'] },
  { store: 'that keeps entries in a plain object', flaws: { plainObjectKeys: true }, caughtBy: ['ES-KEY-001'] },
  { store: 'whose health() answers a shape of its own', flaws: { healthShape: true }, caughtBy: ['ES-HEALTH-001'] },
  { store: 'whose refused setIfAbsent renews the TTL', flaws: { refreshOnRefusal: true }, caughtBy: ['ES-SETIFABSENT-003'] },
];

describe('ephemeral-store@1 fails broken stores', () => {
  for (const mutant of mutants) {
    const { flaws, caughtBy } = mutant;
    it(`fails a store ${mutant.store} (${caughtBy.join(', ')})`, async () => {
      const results = await runProfile(ephemeralStoreV1, { createStore: ({ clock }) => createNaiveEphemeralStore(clock, flaws) });
      const failed = results.filter((result) => result.status === 'failed');
      expect(failed.map((result) => result.id)).toEqual(expect.arrayContaining([...caughtBy]));
      expect(failed.some((result) => result.level === 'MUST')).toBe(true);
    });
  }
});
