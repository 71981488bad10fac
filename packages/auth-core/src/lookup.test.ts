import { describe, expect, it } from 'vitest';
import { createManualClock } from './clock.js';
import { createCredentialLookup } from './lookup.js';
import { createMemoryCredentialStore } from './memory-stores.js';
import { createSecretDigester } from './secrets.js';
import type { CredentialStore, NewCredentialRecord } from './stores.js';

const digest = createSecretDigester();

function record(overrides: Partial<NewCredentialRecord> & { readonly secret: string }): NewCredentialRecord {
  const { secret, ...rest } = overrides;
  return {
    id: `c_${secret}`,
    digest: digest(secret),
    strategy: 'scheme',
    kind: 'api-key',
    ownerId: 'owner-1',
    parentId: null,
    label: 'key',
    hint: secret.slice(0, 4),
    scopes: ['read'],
    allowedIps: [],
    sealedSecret: null,
    attributes: {},
    createdAt: 0,
    expiresAt: null,
    ...rest,
  };
}

async function setup(store: CredentialStore = createMemoryCredentialStore()) {
  const clock = createManualClock(1_000_000);
  await store.insert(record({ secret: 'live' }));
  await store.insert(record({ secret: 'session', kind: 'session', expiresAt: 2_000_000 }));
  await store.insert(record({ secret: 'foreign', strategy: 'other' }));
  await store.insert(record({ secret: 'revoked' }));
  await store.revoke('c_revoked', 500);
  const lookup = createCredentialLookup({ store, digest, clock, strategyId: 'scheme', kinds: ['api-key'] });
  return { store, clock, lookup };
}

describe('createCredentialLookup', () => {
  it('finds a live record of the strategy and kind, and grants it with its id, kind, scopes and expiry', async () => {
    const { lookup, store } = await setup();
    const found = await lookup.find('live');
    expect(found).toMatchObject({ type: 'found', record: { id: 'c_live' }, now: 1_000_000 });
    if (found.type !== 'found') throw new Error('not found');
    expect(lookup.grant(found, { id: 'owner-1' })).toEqual({
      type: 'authenticated',
      principal: { id: 'owner-1' },
      credential: { id: 'c_live', kind: 'api-key', scopes: ['read'], expiresAt: null },
    });
    expect((await store.findById('c_live'))?.lastUsedAt).toBe(1_000_000);
  });

  it('gives unknown, revoked, expired, foreign and other-kind records one answer: CREDENTIALS_INVALID', async () => {
    const { lookup, clock } = await setup();
    clock.advanceBySeconds(2_000);
    for (const secret of ['unknown', 'revoked', 'foreign', 'session']) {
      expect(await lookup.find(secret)).toMatchObject({ type: 'rejected', error: { code: 'CREDENTIALS_INVALID' } });
    }
  });

  it('answers a live record of another strategy or kind with foreignCode when one is given', async () => {
    const { store, clock } = await setup();
    const lookup = createCredentialLookup({ store, digest, clock, strategyId: 'scheme', kinds: ['api-key'], foreignCode: 'CREDENTIALS_NOT_ACCEPTED_HERE' });
    expect(await lookup.find('session')).toMatchObject({ error: { code: 'CREDENTIALS_NOT_ACCEPTED_HERE' } });
    expect(await lookup.find('foreign')).toMatchObject({ error: { code: 'CREDENTIALS_NOT_ACCEPTED_HERE' } });
    expect(await lookup.find('revoked')).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('ends a session idle for idleTimeoutInSeconds with CREDENTIALS_EXPIRED', async () => {
    const { store, clock } = await setup();
    const sessions = createCredentialLookup({ store, digest, clock, strategyId: 'scheme', kinds: ['session'], idleTimeoutInSeconds: 600 });
    clock.set(599_999); // created at 0, never used: idle 600 s at 600,000 ms
    expect((await sessions.find('session')).type).toBe('found');
    clock.set(600_000);
    expect(await sessions.find('session')).toMatchObject({ error: { code: 'CREDENTIALS_EXPIRED' } });
  });

  it('fails closed with STORE_UNAVAILABLE when the store throws, and a failing touch never changes a grant', async () => {
    const memory = createMemoryCredentialStore();
    const { lookup } = await setup({ ...memory, touch: () => { throw new Error('read-only'); } });
    const found = await lookup.find('live');
    if (found.type !== 'found') throw new Error('not found');
    expect(lookup.grant(found, { id: 'owner-1' }).type).toBe('authenticated');
    const broken = createCredentialLookup({
      store: { ...memory, findByDigest: async () => { throw new Error('disk on fire'); } },
      digest,
      clock: createManualClock(0),
      strategyId: 'scheme',
      kinds: ['api-key'],
    });
    expect(await broken.find('live')).toMatchObject({ error: { code: 'STORE_UNAVAILABLE', httpStatus: 503 } });
  });

  it('refuses bad options with a ConfigurationError naming them', () => {
    const base = { store: createMemoryCredentialStore(), digest, clock: createManualClock(0) };
    expect(() => createCredentialLookup({ ...base, strategyId: '', kinds: ['a'] })).toThrow(/`strategyId`/);
    expect(() => createCredentialLookup({ ...base, strategyId: 's', kinds: [] })).toThrow(/`kinds`/);
    expect(() => createCredentialLookup({ ...base, strategyId: 's', kinds: ['a'], idleTimeoutInSeconds: 0 })).toThrow(/`idleTimeoutInSeconds`/);
  });
});
