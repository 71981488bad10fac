import {
  AuthError,
  createFetchRequestAdapter,
  createManualClock,
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  type AuthEvent,
  type CredentialStore,
} from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import { createNvxHashManager, nvxHash, renderNvxError, type NvxHashOptions } from './index.js';

const toAuthRequest = createFetchRequestAdapter();
const DAY = 86_400;

function setup(overrides: Partial<NvxHashOptions> = {}, store: CredentialStore = createMemoryCredentialStore()) {
  const clock = createManualClock(Date.UTC(2026, 10, 1));
  const events: AuthEvent[] = [];
  const strategy = nvxHash({ store, clock, onEvent: (event) => events.push(event), ...overrides });
  const manager = createNvxHashManager({ store, clock });
  return { store, clock, events, strategy, manager };
}

async function masterWithKey(manager: ReturnType<typeof setup>['manager']) {
  const session = await manager.startUserSession({ id: 'user-1', accountType: 'master' });
  const created = await manager.createApiKey({ id: 'user-1', accountType: 'master' }, 'Integration Key');
  if (!created.ok) throw created.error;
  return { session, key: created.value };
}

const call = (path: string, hash?: string, init: RequestInit = {}) =>
  toAuthRequest(new Request(`http://x${path}`, { ...init, headers: { ...(hash === undefined ? {} : { authorization: `NVX ${hash}` }), ...(init.headers as Record<string, string>) } }), { remoteAddress: '203.0.113.7' });

describe('nvxHash: verify', () => {
  it('authenticates an API key on a user resource, with the owner and account type', async () => {
    const { strategy, manager } = setup();
    const { key } = await masterWithKey(manager);
    expect(await strategy.authenticate(call('/v2/tracker/list', key.hash))).toMatchObject({
      type: 'authenticated',
      principal: { id: 'user-1', attributes: { accountType: 'master' } },
      credential: { id: key.id, kind: 'api-key', scopes: [], expiresAt: null },
    });
  });

  it('is absent when no hash is sent anywhere', async () => {
    const { strategy } = setup();
    expect((await strategy.authenticate(call('/v2/tracker/list'))).type).toBe('absent');
  });

  it('rejects an unknown hash as invalid, rendered as code 3 "Wrong hash"', async () => {
    const { strategy } = setup();
    const outcome = await strategy.authenticate(call('/v2/tracker/list', '882fb333405d006df0d5a3f410115e92'));
    expect(outcome).toMatchObject({ type: 'rejected', error: { code: 'CREDENTIALS_INVALID' } });
    expect(outcome.type === 'rejected' && renderNvxError(outcome.error).body).toEqual({ success: false, status: { code: 3, description: 'Wrong hash' } });
  });

  it('rejects a session hash on a resource route by default', async () => {
    const { strategy, manager } = setup();
    const { session } = await masterWithKey(manager);
    expect(await strategy.authenticate(call('/v2/tracker/list', session.hash))).toMatchObject({ error: { code: 'CREDENTIALS_NOT_ACCEPTED_HERE' } });
  });

  it('accepts a session hash on the key-management and session routes', async () => {
    const { strategy, manager } = setup();
    const { session } = await masterWithKey(manager);
    for (const path of ['/v2/api/key/create', '/v2/api/key/list', '/v2/api/key/delete', '/v2/user/session/renew', '/v2/user/logout']) {
      expect((await strategy.authenticate(call(path, session.hash))).type).toBe('authenticated');
    }
  });

  it("accepts a session hash everywhere with userSessionScope 'everywhere'", async () => {
    const { strategy, manager } = setup({ userSessionScope: 'everywhere' });
    const { session } = await masterWithKey(manager);
    expect((await strategy.authenticate(call('/v2/tracker/list', session.hash))).type).toBe('authenticated');
    expect(await strategy.authenticate(call('/v2/panel/tariff/list', session.hash))).toMatchObject({ error: { code: 'CREDENTIALS_NOT_ACCEPTED_HERE' } });
  });

  it('never accepts a user session hash or an API key under /panel/', async () => {
    const { strategy, manager } = setup();
    const { session, key } = await masterWithKey(manager);
    for (const hash of [session.hash, key.hash]) {
      for (const path of ['/v2/panel/tariff/list', '/v2//panel/tariff/list', '/v2/PANEL/tariff/list', '/v2/%70anel/tariff/list']) {
        expect(await strategy.authenticate(call(path, hash))).toMatchObject({ error: { code: 'CREDENTIALS_NOT_ACCEPTED_HERE' } });
      }
    }
  });

  it('accepts a panel hash only under /panel/', async () => {
    const { strategy, manager } = setup();
    const panel = await manager.startPanelSession('admin-1');
    expect(await strategy.authenticate(call('/v2/panel/tariff/list', panel.hash))).toMatchObject({
      type: 'authenticated',
      principal: { id: 'admin-1', attributes: { accountType: 'panel' } },
      credential: { kind: 'panel-session' },
    });
    expect(await strategy.authenticate(call('/v2/tracker/list', panel.hash))).toMatchObject({ error: { code: 'CREDENTIALS_NOT_ACCEPTED_HERE' } });
    expect(await strategy.authenticate(call('/v2/api/key/list', panel.hash))).toMatchObject({ error: { code: 'CREDENTIALS_NOT_ACCEPTED_HERE' } });
  });

  it('rejects a user session after 30 days, and keeps it after a renewal', async () => {
    const { strategy, manager, clock } = setup();
    const { session } = await masterWithKey(manager);
    clock.advanceBySeconds(29 * DAY);
    const renewed = await manager.renewSession({ id: session.credentialId, kind: 'user-session', scopes: [] });
    expect(renewed.ok).toBe(true);
    clock.advanceBySeconds(29 * DAY);
    expect((await strategy.authenticate(call('/v2/api/key/list', session.hash))).type).toBe('authenticated');
    clock.advanceBySeconds(2 * DAY);
    expect(await strategy.authenticate(call('/v2/api/key/list', session.hash))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('rejects a logged-out session at once, with the same code as an unknown hash', async () => {
    const { strategy, manager } = setup();
    const { session } = await masterWithKey(manager);
    expect((await manager.endSession({ id: session.credentialId, kind: 'user-session', scopes: [] })).ok).toBe(true);
    expect(await strategy.authenticate(call('/v2/api/key/list', session.hash))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('keeps API keys working after the user logs out (seed 001)', async () => {
    const { strategy, manager } = setup();
    const { session, key } = await masterWithKey(manager);
    await manager.endSession({ id: session.credentialId, kind: 'user-session', scopes: [] });
    await manager.endUserSessions('user-1');
    expect((await strategy.authenticate(call('/v2/tracker/list', key.hash))).type).toBe('authenticated');
  });

  it('rejects a deleted API key on the very next request', async () => {
    const { strategy, manager } = setup();
    const { key } = await masterWithKey(manager);
    expect((await strategy.authenticate(call('/v2/tracker/list', key.hash))).type).toBe('authenticated');
    expect((await manager.deleteApiKey({ id: 'user-1', accountType: 'master' }, key.hash)).ok).toBe(true);
    expect(await strategy.authenticate(call('/v2/tracker/list', key.hash))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('fails closed with STORE_UNAVAILABLE (code 14, HTTP 503) when the store throws', async () => {
    const broken = { ...createMemoryCredentialStore(), findByDigest: async () => { throw new Error('SQLITE_BUSY'); } };
    const { strategy } = setup({}, broken);
    const outcome = await strategy.authenticate(call('/v2/tracker/list', '882fb333405d006df0d5a3f410115e92'));
    expect(outcome).toMatchObject({ type: 'rejected', error: { code: 'STORE_UNAVAILABLE' } });
    expect(outcome.type === 'rejected' && renderNvxError(outcome.error)).toMatchObject({ httpStatus: 503, body: { status: { code: 14 } } });
  });

  it('does not write to the store on every request (touch is debounced by the store)', async () => {
    const store = createMemoryCredentialStore();
    let touches = 0;
    const counting = { ...store, touch: async (id: string, at: number) => (touches++, store.touch(id, at)) };
    const { strategy, manager } = setup({}, counting);
    const { key } = await masterWithKey(manager);
    for (let i = 0; i < 5; i++) await strategy.authenticate(call('/v2/tracker/list', key.hash));
    expect(touches).toBe(5);
    expect((await store.findById(key.id))?.lastUsedAt).not.toBeNull();
  });

  it('authenticates even when the store\'s touch throws synchronously', async () => {
    const store = createMemoryCredentialStore();
    const { strategy, manager } = setup({}, { ...store, touch: () => { throw new Error('sync failure'); } });
    const { key } = await masterWithKey(manager);
    expect((await strategy.authenticate(call('/v2/tracker/list', key.hash))).type).toBe('authenticated');
  });

  it('rejects a path whose meaning depends on how a router resolves encoded dot segments', async () => {
    const { strategy, manager } = setup();
    const { key } = await masterWithKey(manager);
    expect(await strategy.authenticate(call('/v2/tracker/..%2Fpanel/tariff/list', key.hash))).toMatchObject({ error: { code: 'REQUEST_MALFORMED' } });
  });

  it('refuses an IP after too many wrong hashes with RATE_LIMITED (code 15)', async () => {
    const { strategy, manager } = setup({ failureThrottle: { store: createMemoryEphemeralStore(), maxFailures: 3 } });
    const { key } = await masterWithKey(manager);
    for (let i = 0; i < 3; i++) await strategy.authenticate(call('/v2/tracker/list', '882fb333405d006df0d5a3f410115e92'));
    const outcome = await strategy.authenticate(call('/v2/tracker/list', key.hash));
    expect(outcome).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(outcome.type === 'rejected' && renderNvxError(outcome.error)).toMatchObject({ httpStatus: 429, body: { status: { code: 15 } } });
  });

  it('reports events without any hash', async () => {
    const { strategy, manager, events } = setup();
    const { key } = await masterWithKey(manager);
    await strategy.authenticate(call('/v2/tracker/list', key.hash));
    await strategy.authenticate(call('/v2/tracker/list', '882fb333405d006df0d5a3f410115e92'));
    expect(events.map((event) => event.type)).toEqual(['authenticated', 'rejected']);
    expect(JSON.stringify(events)).not.toMatch(/[0-9a-f]{32}/);
  });

  it('refuses bad options at construction, naming them', () => {
    const store = createMemoryCredentialStore();
    expect(() => nvxHash({} as NvxHashOptions)).toThrow(/`store`/);
    expect(() => nvxHash({ store, basePath: 'v2 x' })).toThrow(/`basePath`/);
    expect(() => nvxHash({ store, userSessionScope: 'all' as never })).toThrow(/`userSessionScope`/);
    expect(() => nvxHash({ store, userSessionPaths: ['api/key/list'] })).toThrow(/`userSessionPaths`/);
    expect(() => nvxHash({ store, allowQueryHash: 'yes' as never })).toThrow(/`allowQueryHash`/);
    expect(() => nvxHash({ store, pepper: new Uint8Array(8) })).toThrow(/`pepper`/);
  });

  it('treats a record of another strategy with a colliding digest as unknown', async () => {
    const store = createMemoryCredentialStore();
    const { strategy } = setup({}, store);
    const { createSecretDigester } = await import('@gatehouse/auth-core');
    const hash = '882fb333405d006df0d5a3f410115e92';
    await store.insert({ id: 'x', digest: createSecretDigester()(hash), strategy: 'other', kind: 'api-key', ownerId: 'u', parentId: null, label: '', hint: '', scopes: [], allowedIps: [], sealedSecret: null, attributes: {}, createdAt: 0, expiresAt: null });
    expect(await strategy.authenticate(call('/v2/tracker/list', hash))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
    expect(new AuthError('CREDENTIALS_INVALID').message).not.toContain(hash);
  });
});

describe('nvxHash: remembered path classification', () => {
  it('answers the same for a path seen before, and stays right past the bound of remembered paths', async () => {
    const { strategy, manager } = setup();
    const { session, key } = await masterWithKey(manager);
    for (let round = 0; round < 2; round++) {
      expect((await strategy.authenticate(call('/v2/api/key/list', session.hash))).type).toBe('authenticated');
      expect(await strategy.authenticate(call('/v2/panel/tariff/list', key.hash))).toMatchObject({ error: { code: 'CREDENTIALS_NOT_ACCEPTED_HERE' } });
      expect(await strategy.authenticate(call('/v2/tracker/%E0%A4%A', key.hash))).toMatchObject({ error: { code: 'REQUEST_MALFORMED' } });
    }
    // More distinct paths than the strategy remembers: each is still classified correctly.
    for (let i = 0; i < 1100; i++) {
      const path = i % 2 === 0 ? `/v2/tracker/${i}` : `/v2/panel/${i}`;
      const outcome = await strategy.authenticate(call(path, key.hash));
      expect(outcome.type === 'authenticated' ? 'user' : outcome.type === 'rejected' ? outcome.error.code : 'absent', path).toBe(i % 2 === 0 ? 'user' : 'CREDENTIALS_NOT_ACCEPTED_HERE');
    }
    expect(await strategy.authenticate(call('/v2/PANEL/tariff/list', key.hash))).toMatchObject({ error: { code: 'CREDENTIALS_NOT_ACCEPTED_HERE' } });
  });

  it('shares one frozen attributes object per account type between principals', async () => {
    const { strategy, manager } = setup();
    const { key } = await masterWithKey(manager);
    const first = await strategy.authenticate(call('/v2/tracker/list', key.hash));
    const second = await strategy.authenticate(call('/v2/tracker/list', key.hash));
    if (first.type !== 'authenticated' || second.type !== 'authenticated') throw new Error('not authenticated');
    expect(first.principal.attributes).toBe(second.principal.attributes);
    expect(Object.isFrozen(first.principal.attributes)).toBe(true);
  });
});
