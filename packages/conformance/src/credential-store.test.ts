import { createMemoryCredentialStore } from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import { credentialStoreV1, runProfile } from './index.js';
import { describeConformance } from './vitest.js';
import { createNaiveCredentialStore, type CredentialStoreFlaws } from './__fixtures__/naive-stores.js';

describeConformance({
  profile: 'credential-store@1',
  createStore: () => createMemoryCredentialStore(),
});

describe('a second conforming store (naive, test-only)', () => {
  describeConformance({ profile: 'credential-store@1', createStore: () => createNaiveCredentialStore() });
});

interface Mutant {
  readonly store: string;
  readonly flaws: CredentialStoreFlaws;
  readonly caughtBy: readonly string[];
  readonly level: 'MUST' | 'SHOULD';
}

const mutants: readonly Mutant[] = [
  { store: 'whose limit check awaits between counting and inserting', flaws: { racyLimit: true }, caughtBy: ['CS-LIMIT-005'], level: 'MUST' },
  { store: 'whose revoke does not cascade to derived records', flaws: { noCascade: true }, caughtBy: ['CS-REVOKE-003'], level: 'MUST' },
  { store: 'whose touch writes on every call', flaws: { touchEveryTime: true }, caughtBy: ['CS-TOUCH-001'], level: 'MUST' },
  { store: 'whose limit counts revoked and expired records', flaws: { countsInactive: true }, caughtBy: ['CS-LIMIT-002', 'CS-LIMIT-003'], level: 'MUST' },
  { store: 'whose limit ignores strategy and kind', flaws: { limitPerOwnerOnly: true }, caughtBy: ['CS-LIMIT-004'], level: 'MUST' },
  { store: 'whose limit reads the wall clock instead of `now`', flaws: { wallClockLimit: true }, caughtBy: ['CS-LIMIT-003'], level: 'MUST' },
  { store: 'that accepts a duplicate digest', flaws: { digestNotUnique: true }, caughtBy: ['CS-INSERT-005'], level: 'MUST' },
  { store: 'whose deleteInactive deletes records that are still active', flaws: { deletesActive: true }, caughtBy: ['CS-DELETE-001'], level: 'MUST' },
  { store: 'that lists newest first', flaws: { listNewestFirst: true }, caughtBy: ['CS-LIST-001'], level: 'MUST' },
  { store: 'that stores a record derived from a revoked one as active', flaws: { derivedFromRevokedActive: true }, caughtBy: ['CS-REVOKE-005', 'CS-REVOKE-006'], level: 'MUST' },
  { store: 'whose health() rejects', flaws: { healthRejects: true }, caughtBy: ['CS-HEALTH-001'], level: 'MUST' },
  { store: 'that hands out and keeps live objects', flaws: { liveRecords: true }, caughtBy: ['CS-COPY-001', 'CS-COPY-002'], level: 'SHOULD' },
];

describe('credential-store@1 fails broken stores', () => {
  for (const mutant of mutants) {
    const { flaws, caughtBy, level } = mutant;
    it(`fails a store ${mutant.store} (${caughtBy.join(', ')})`, async () => {
      const results = await runProfile(credentialStoreV1, { createStore: () => createNaiveCredentialStore(flaws) });
      const failed = results.filter((result) => result.status === 'failed');
      expect(failed.map((result) => result.id)).toEqual(expect.arrayContaining([...caughtBy]));
      expect(failed.some((result) => result.level === 'MUST')).toBe(level === 'MUST');
      for (const result of failed) expect(result.message).toMatch(/\S/);
    });
  }
});
