import {
  absent,
  AUTH_ERROR_CODES,
  AuthError,
  createFetchRequestAdapter,
  createManualClock,
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  rejected,
  type AuthErrorCode,
  type AuthEvent,
  type AuthRefusal,
  type CredentialStore,
} from '@gatehouse/auth-core';
import { createSecretDigester } from '@gatehouse/auth-core/crypto';
import { describe, expect, it } from 'vitest';
import vectors from '../test-vectors/digests.json' with { type: 'json' };
import {
  createTemplateKeyManager,
  renderTemplateError,
  signTemplateRequest,
  templateKey,
  type IssuedTemplateKey,
} from './index.js';

const toAuthRequest = createFetchRequestAdapter();
const get = (headers: HeadersInit = {}, remoteAddress = '127.0.0.1') => toAuthRequest(new Request('http://x/resource', { headers }), { remoteAddress });

function setup(store: CredentialStore = createMemoryCredentialStore()) {
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  const events: AuthEvent[] = [];
  const options = { store, clock, onEvent: (event: AuthEvent) => events.push(event) };
  return { store, clock, events, strategy: templateKey(options), manager: createTemplateKeyManager(options) };
}

async function issued(manager: ReturnType<typeof createTemplateKeyManager>, ownerId = 'owner-1', label = 'CI'): Promise<IssuedTemplateKey> {
  const result = await manager.issue(ownerId, { label });
  if (!result.ok) throw new Error(`issue failed: ${result.error.code}`);
  return result.value;
}

describe('template strategy: verify', () => {
  it('is absent when the header is missing', async () => {
    expect((await setup().strategy.authenticate(get())).type).toBe('absent');
  });

  it('authenticates an issued key sent by the signer', async () => {
    const { strategy, manager } = setup();
    const key = await issued(manager);
    const outcome = await strategy.authenticate(get(signTemplateRequest(new Headers(), key.key)));
    expect(outcome).toMatchObject({ type: 'authenticated', principal: { id: 'owner-1' }, credential: { id: key.id, kind: 'api-key' } });
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
    const key = await issued(manager);
    expect((await manager.revoke('owner-1', { id: key.id })).ok).toBe(true);
    expect(await strategy.authenticate(get({ 'x-template-key': key.key }))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
    expect(await strategy.authenticate(get({ 'x-template-key': '00'.repeat(32) }))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('fails closed with STORE_UNAVAILABLE when the store throws', async () => {
    const broken = { ...createMemoryCredentialStore(), findByDigest: async () => { throw new Error('disk on fire'); } };
    const { strategy } = setup(broken);
    expect(await strategy.authenticate(get({ 'x-template-key': '00'.repeat(32) }))).toMatchObject({ error: { code: 'STORE_UNAVAILABLE', httpStatus: 503 } });
  });

  it('reports events without the key', async () => {
    const { strategy, manager, events } = setup();
    const key = await issued(manager);
    await strategy.authenticate(get({ 'x-template-key': key.key }));
    expect(events.map((event) => event.type)).toEqual(['credential-created', 'authenticated']);
    expect(JSON.stringify(events)).not.toContain(key.key);
  });

  it('throttles an IP after failureThrottle.maxFailures wrong keys, answering in its own envelope; a valid key still passes', async () => {
    const store = createMemoryCredentialStore();
    const strategy = templateKey({ store, failureThrottle: { store: createMemoryEphemeralStore(), maxFailures: 2 } });
    const key = await issued(createTemplateKeyManager({ store }));
    for (let i = 0; i < 2; i++) await strategy.authenticate(get({ 'x-template-key': '00'.repeat(32) }));
    const throttled = await strategy.authenticate(get({ 'x-template-key': '11'.repeat(32) }));
    expect(throttled).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(strategy.renderRefusal(throttled as AuthRefusal)).toMatchObject({ httpStatus: 429, body: { error: 'Too many requests' } });
    // A key proves itself: junk from the same address (everyone behind one proxy) never locks it out.
    expect((await strategy.authenticate(get({ 'x-template-key': key.key }))).type).toBe('authenticated');
  });

  it("with ipLimit: 'refuse-all', refuses even a valid key from a throttled IP", async () => {
    const store = createMemoryCredentialStore();
    const strategy = templateKey({ store, failureThrottle: { store: createMemoryEphemeralStore(), maxFailures: 2, ipLimit: 'refuse-all' } });
    const key = await issued(createTemplateKeyManager({ store }));
    for (let i = 0; i < 2; i++) await strategy.authenticate(get({ 'x-template-key': '00'.repeat(32) }));
    expect(await strategy.authenticate(get({ 'x-template-key': key.key }))).toMatchObject({ error: { code: 'RATE_LIMITED' } });
  });

  it('refuses a store that is not a CredentialStore, and a bad header name, naming the option', () => {
    expect(() => templateKey({ store: {} as CredentialStore })).toThrow(/`store`/);
    expect(() => templateKey({ store: createMemoryCredentialStore(), headerName: 'bad name' })).toThrow(/`headerName`/);
  });
});

describe('template strategy: manage', () => {
  it('lists keys without the key itself', async () => {
    const { manager } = setup();
    const key = await issued(manager);
    const listed = await manager.list('owner-1');
    expect(listed).toEqual({ ok: true, value: [{ id: key.id, label: 'CI', hint: key.key.slice(0, 4), createdAt: key.createdAt, lastUsedAt: null }] });
    expect(JSON.stringify(listed)).not.toContain(key.key);
  });

  it('refuses the 21st key of an owner, even under 25 parallel issues', async () => {
    const { manager } = setup();
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => manager.issue('owner-1', { label: `k${i}` })));
    expect(results.filter((result) => result.ok)).toHaveLength(20);
    expect(results.filter((result) => !result.ok).map((result) => !result.ok && result.error.code)).toEqual(Array(5).fill('LIMIT_EXCEEDED'));
  });

  it('refuses an unprintable label and a bad reference with PARAMETER_INVALID', async () => {
    const { manager } = setup();
    expect(await manager.issue('owner-1', { label: 'a\u202eb' })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await manager.revoke('owner-1', { id: 'a', token: 'b' } as never)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await manager.rotate('owner-1', { id: 'a' }, { overlapInSeconds: -1 })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
  });

  it('revokes by id or by the key itself, and never another owner key', async () => {
    const { manager } = setup();
    const first = await issued(manager);
    const second = await issued(manager);
    expect(await manager.revoke('owner-2', { id: first.id })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect((await manager.revoke('owner-1', { id: first.id })).ok).toBe(true);
    expect((await manager.revoke('owner-1', { token: second.key })).ok).toBe(true);
    expect(await manager.revoke('owner-1', { id: first.id })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.list('owner-1')).toEqual({ ok: true, value: [] });
  });

  it('rotates a key at the limit: the old one stops at once, the new one works with the same label', async () => {
    const { manager, strategy } = setup();
    const keys = await Promise.all(Array.from({ length: 20 }, () => issued(manager)));
    const old = keys[0] as IssuedTemplateKey;
    const rotated = await manager.rotate('owner-1', { id: old.id });
    if (!rotated.ok) throw new Error(rotated.error.code);
    expect(rotated.value.label).toBe('CI');
    expect((await strategy.authenticate(get({ 'x-template-key': old.key }))).type).toBe('rejected');
    expect((await strategy.authenticate(get({ 'x-template-key': rotated.value.key }))).type).toBe('authenticated');
    const listed = await manager.list('owner-1');
    expect(listed.ok && listed.value.length).toBe(20);
  });

  it('rotates with an overlap: both keys work until it ends, then only the new one; at the limit it is refused', async () => {
    const { manager, strategy, clock } = setup();
    const old = await issued(manager);
    const rotated = await manager.rotate('owner-1', { token: old.key }, { overlapInSeconds: 60 });
    if (!rotated.ok) throw new Error(rotated.error.code);
    expect((await strategy.authenticate(get({ 'x-template-key': old.key }))).type).toBe('authenticated');
    expect((await strategy.authenticate(get({ 'x-template-key': rotated.value.key }))).type).toBe('authenticated');
    clock.advanceBySeconds(61);
    expect((await strategy.authenticate(get({ 'x-template-key': old.key }))).type).toBe('rejected');
    expect((await strategy.authenticate(get({ 'x-template-key': rotated.value.key }))).type).toBe('authenticated');
    await Promise.all(Array.from({ length: 19 }, () => issued(manager)));
    expect(await manager.rotate('owner-1', { id: rotated.value.id }, { overlapInSeconds: 60 })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
  });

  it('leaves no unseen key behind when the key was revoked while it was being rotated', async () => {
    const store = createMemoryCredentialStore();
    const { manager } = setup({ ...store, update: async (id, patch) => (await store.revoke(id, 0), store.update(id, patch)) });
    const old = await issued(manager);
    expect(await manager.rotate('owner-1', { id: old.id }, { overlapInSeconds: 60 })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.list('owner-1')).toEqual({ ok: true, value: [] });
  });

  it('never lengthens an overlap already running, and refuses options that are not an object', async () => {
    const { manager, strategy, clock } = setup();
    const old = await issued(manager);
    expect((await manager.rotate('owner-1', { id: old.id }, { overlapInSeconds: 60 })).ok).toBe(true);
    expect((await manager.rotate('owner-1', { id: old.id }, { overlapInSeconds: 86_400 })).ok).toBe(true);
    clock.advanceBySeconds(61);
    expect((await strategy.authenticate(get({ 'x-template-key': old.key }))).type).toBe('rejected');
    expect(await manager.rotate('owner-1', { id: old.id }, 3600 as never)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
  });

  it('answers STORE_UNAVAILABLE from every method when the store fails, never an empty list or a throw', async () => {
    const failing = async (): Promise<never> => { throw new Error('down'); };
    const broken = { ...createMemoryCredentialStore(), insert: failing, listByOwner: failing, findById: failing, findByDigest: failing };
    const { manager } = setup(broken);
    for (const result of [
      await manager.issue('owner-1', { label: 'CI' }),
      await manager.list('owner-1'),
      await manager.revoke('owner-1', { id: 'tk_x' }),
      await manager.rotate('owner-1', { id: 'tk_x' }),
    ]) {
      expect(result).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    }
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

  it('renders absence and every AuthErrorCode through strategy.renderRefusal exactly as renderTemplateError does', () => {
    const { strategy } = setup();
    expect(strategy.renderRefusal(absent() as AuthRefusal)).toEqual(renderTemplateError(new AuthError('CREDENTIALS_MISSING')));
    for (const code of Object.keys(AUTH_ERROR_CODES) as AuthErrorCode[]) {
      expect(strategy.renderRefusal(rejected(code) as AuthRefusal)).toEqual(renderTemplateError(new AuthError(code)));
    }
    expect(strategy.renderSuccess?.({ id: 'k1' }, { httpStatus: 201 })).toEqual({
      httpStatus: 201,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: { data: { id: 'k1' } },
    });
  });
});

describe('template strategy: test vectors', () => {
  it('digests keys as the published vectors say, and as Web Crypto does', async () => {
    const digest = createSecretDigester();
    for (const vector of vectors.vectors) {
      expect(digest(vector.key)).toBe(vector.digest);
      const web = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(vector.key)));
      expect(Array.from(web, (byte) => byte.toString(16).padStart(2, '0')).join('')).toBe(vector.digest);
    }
  });
});
