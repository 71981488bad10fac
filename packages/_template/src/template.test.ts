import {
  AuthError,
  createFetchRequestAdapter,
  createManualClock,
  createMemoryCredentialStore,
  type AuthEvent,
  type CredentialStore,
} from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import vectors from '../test-vectors/digests.json' with { type: 'json' };
import { createTemplateKeyManager, renderTemplateError, resolveTemplateKeyOptions, signTemplateRequest, templateKey } from './index.js';

const toAuthRequest = createFetchRequestAdapter();
const get = (headers: HeadersInit = {}) => toAuthRequest(new Request('http://x/resource', { headers }), { remoteAddress: '127.0.0.1' });

function setup(store: CredentialStore = createMemoryCredentialStore()) {
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  const events: AuthEvent[] = [];
  const options = { store, clock, onEvent: (event: AuthEvent) => events.push(event) };
  return { store, clock, events, strategy: templateKey(options), manager: createTemplateKeyManager(options) };
}

describe('template strategy: verify', () => {
  it('is absent when the header is missing', async () => {
    expect((await setup().strategy.authenticate(get())).type).toBe('absent');
  });

  it('authenticates an issued key sent by the signer', async () => {
    const { strategy, manager } = setup();
    const issued = await manager.issue('owner-1', 'CI');
    const outcome = await strategy.authenticate(get(signTemplateRequest(new Headers(), issued!.key)));
    expect(outcome).toMatchObject({ type: 'authenticated', principal: { id: 'owner-1' }, credential: { id: issued!.id, kind: 'api-key' } });
  });

  it('rejects a key that is not 64 hex characters as malformed, without a store lookup', async () => {
    const store = createMemoryCredentialStore();
    let lookups = 0;
    const counting = { ...store, findByDigest: async (digest: string) => (lookups++, store.findByDigest(digest)) };
    const { strategy } = setup(counting);
    for (const bad of ['ab'.repeat(31), 'ab'.repeat(33), 'zz'.repeat(32), '']) {
      expect(await strategy.authenticate(get({ 'x-template-key': bad }))).toMatchObject({ error: { code: 'CREDENTIALS_MALFORMED' } });
    }
    expect(lookups).toBe(0);
  });

  it('rejects an unknown key and a revoked key with the same code', async () => {
    const { strategy, manager } = setup();
    const issued = await manager.issue('owner-1', 'CI');
    await manager.revoke('owner-1', issued!.id);
    expect(await strategy.authenticate(get({ 'x-template-key': issued!.key }))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
    expect(await strategy.authenticate(get({ 'x-template-key': '00'.repeat(32) }))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('fails closed with STORE_UNAVAILABLE when the store throws', async () => {
    const broken = { ...createMemoryCredentialStore(), findByDigest: async () => { throw new Error('disk on fire'); } };
    const { strategy } = setup(broken);
    expect(await strategy.authenticate(get({ 'x-template-key': '00'.repeat(32) }))).toMatchObject({ error: { code: 'STORE_UNAVAILABLE', httpStatus: 503 } });
  });

  it('reports events without the key', async () => {
    const { strategy, manager, events } = setup();
    const issued = await manager.issue('owner-1', 'CI');
    await strategy.authenticate(get({ 'x-template-key': issued!.key }));
    expect(events.map((event) => event.type)).toEqual(['credential-created', 'authenticated']);
    expect(JSON.stringify(events)).not.toContain(issued!.key);
  });

  it('refuses a store that is not a CredentialStore, naming the option', () => {
    expect(() => templateKey({ store: {} as CredentialStore })).toThrow(/`store`/);
  });
});

describe('template strategy: manage', () => {
  it('lists keys without the key itself', async () => {
    const { manager } = setup();
    const issued = await manager.issue('owner-1', 'CI');
    const listed = await manager.list('owner-1');
    expect(listed).toEqual([{ id: issued!.id, label: 'CI', hint: issued!.key.slice(0, 4), createdAt: issued!.createdAt, lastUsedAt: null }]);
    expect(JSON.stringify(listed)).not.toContain(issued!.key);
  });

  it('refuses the 21st key of an owner', async () => {
    const { manager } = setup();
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => manager.issue('owner-1', `k${i}`)));
    expect(results.filter((result) => result !== null)).toHaveLength(20);
  });

  it('rotates a key: the old one stops working, the new one works', async () => {
    const { manager, strategy } = setup();
    const old = await manager.issue('owner-1', 'CI');
    const rotated = await manager.rotate('owner-1', old!.id);
    expect(rotated?.label).toBe('CI');
    expect((await strategy.authenticate(get({ 'x-template-key': old!.key }))).type).toBe('rejected');
    expect((await strategy.authenticate(get({ 'x-template-key': rotated!.key }))).type).toBe('authenticated');
  });

  it("does not revoke another owner's key", async () => {
    const { manager } = setup();
    const issued = await manager.issue('owner-1', 'CI');
    expect(await manager.revoke('owner-2', issued!.id)).toBe(false);
    expect(await manager.list('owner-1')).toHaveLength(1);
  });
});

describe('template strategy: envelope', () => {
  it('renders every rejection through one function, with a challenge on 401', () => {
    const reply = renderTemplateError(new AuthError('CREDENTIALS_INVALID'));
    expect(reply).toEqual({
      httpStatus: 401,
      headers: { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Template realm="api"' },
      body: { error: 'Invalid API key' },
    });
    expect(renderTemplateError(new AuthError('STORE_UNAVAILABLE')).httpStatus).toBe(503);
  });
});

describe('template strategy: test vectors', () => {
  it('digests keys as the published vectors say, and as Web Crypto does', async () => {
    const { digest } = resolveTemplateKeyOptions({ store: createMemoryCredentialStore() });
    for (const vector of vectors.vectors) {
      expect(digest(vector.key)).toBe(vector.digest);
      const web = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(vector.key)));
      expect(Array.from(web, (byte) => byte.toString(16).padStart(2, '0')).join('')).toBe(vector.digest);
    }
  });
});
