import { describe, expect, it } from 'vitest';
import { createMemoryCredentialStore, createMemoryEphemeralStore } from './memory-stores.js';
import type { CredentialPatch, NewCredentialRecord } from './stores.js';

// The full behaviour of both memory stores is checked by the credential-store@1 and ephemeral-store@1
// conformance profiles (packages/conformance); these tests cover what only the memory store can get wrong.
const record = (id: string, parentId: string | null = null): NewCredentialRecord => ({
  id,
  digest: `digest-${id}`,
  strategy: 's',
  kind: 'k',
  ownerId: 'o',
  parentId,
  label: id,
  hint: '',
  scopes: [],
  allowedIps: [],
  sealedSecret: null,
  attributes: {},
  createdAt: 1,
  expiresAt: null,
});

describe('createMemoryCredentialStore', () => {
  it('revokes a record whose parent chain loops, and terminates', async () => {
    const store = createMemoryCredentialStore();
    await store.insert(record('a', 'b'));
    await store.insert(record('b', 'a'));
    await store.insert(record('self', 'self'));
    expect(await store.revoke('a', 5)).toBe(true);
    expect((await store.findById('b'))?.revokedAt).toBe(5);
    expect(await store.revoke('self', 6)).toBe(true);
  });

  it('applies only the patchable fields that are given, so the digest index cannot be corrupted', async () => {
    const store = createMemoryCredentialStore();
    await store.insert(record('a'));
    const patch = { digest: 'moved', id: 'other', label: undefined, scopes: ['x'] } as unknown as CredentialPatch;
    const updated = await store.update('a', patch);
    expect(updated).toMatchObject({ id: 'a', digest: 'digest-a', label: 'a', scopes: ['x'] });
    expect((await store.findByDigest('digest-a'))?.id).toBe('a');
    expect(await store.findByDigest('moved')).toBeNull();
  });

  it('refuses bad options, naming them', () => {
    expect(() => createMemoryCredentialStore({ touchIntervalInSeconds: -1 })).toThrow(/`touchIntervalInSeconds`/);
    expect(() => createMemoryEphemeralStore({ sweepEveryWrites: 0 })).toThrow(/`sweepEveryWrites`/);
  });

  it('stores a `__proto__` attribute (as JSON.parse makes it) as an own value, leaving the prototype alone', async () => {
    const store = createMemoryCredentialStore();
    await store.insert({ ...record('a'), attributes: JSON.parse('{"__proto__":"x","accountType":"master"}') as NewCredentialRecord['attributes'] });
    const attributes = (await store.findById('a'))?.attributes as NewCredentialRecord['attributes'];
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
    expect(Object.keys(attributes)).toEqual(['__proto__', 'accountType']);
    expect(Object.getOwnPropertyDescriptor(attributes, '__proto__')?.value).toBe('x');
  });

  it('gives stored attributes that read a key they lack about as fast as an ordinary frozen object does (ratio side by side)', async () => {
    // Strategies read absent attributes on every verification (`userName`, a rotation's previous secret). V8 made
    // such reads 10–50 times slower on frozen copies made by spreading, each of which got a hidden class of its own.
    const store = createMemoryCredentialStore();
    const count = 1_000;
    const attributesOf = (i: number): NewCredentialRecord['attributes'] => (i % 3 === 0 ? { nonce: String(i), userName: `u${i}` } : { nonce: String(i) });
    for (let i = 0; i < count; i++) await store.insert({ ...record(`r${i}`), attributes: attributesOf(i) });
    const stored = await Promise.all(Array.from({ length: count }, async (_, i) => (await store.findById(`r${i}`))?.attributes as NewCredentialRecord['attributes']));
    const ordinary = Array.from({ length: count }, (_, i) => Object.freeze(attributesOf(i)));
    // Two copies of the same loop, so neither shares the other's inline caches.
    const readStored = (reads: number): number => {
      let found = 0;
      for (let i = 0; i < reads; i++) {
        const attributes = stored[i % count] as NewCredentialRecord['attributes'];
        if (attributes['previousSealedSecret'] !== undefined || attributes['previousSecretExpiresAt'] !== undefined || attributes['missing'] !== undefined) found++;
      }
      return found;
    };
    const readOrdinary = (reads: number): number => {
      let found = 0;
      for (let i = 0; i < reads; i++) {
        const attributes = ordinary[i % count] as NewCredentialRecord['attributes'];
        if (attributes['previousSealedSecret'] !== undefined || attributes['previousSecretExpiresAt'] !== undefined || attributes['missing'] !== undefined) found++;
      }
      return found;
    };
    const timeOf = (read: (reads: number) => number): number => {
      const started = performance.now();
      expect(read(100_000)).toBe(0);
      return performance.now() - started;
    };
    let storedBest = Number.POSITIVE_INFINITY;
    let ordinaryBest = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 9; round++) {
      storedBest = Math.min(storedBest, timeOf(readStored));
      ordinaryBest = Math.min(ordinaryBest, timeOf(readOrdinary));
    }
    expect(storedBest / ordinaryBest).toBeLessThan(4);
  });
});
