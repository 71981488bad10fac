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
});
