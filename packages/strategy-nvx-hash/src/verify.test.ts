import {
  absent,
  AUTH_ERROR_CODES,
  AuthError,
  createAuthGuard,
  createFetchRequestAdapter,
  createManualClock,
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  firstOf,
  rejected,
  renderSuccess,
  type AuthErrorCode,
  type AuthEvent,
  type CredentialStore,
} from '@gatehouse/auth-core';
import { createSecretDigester } from '@gatehouse/auth-core/crypto';
import { describe, expect, it } from 'vitest';
import { createNvxHashManager, nvxHash, renderNvxError, renderNvxSuccess, type NvxHashOptions } from './index.js';

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
  const started = await manager.startUserSession({ id: 'user-1', accountType: 'master' });
  if (!started.ok) throw started.error;
  const issued = await manager.issue({ id: 'user-1', accountType: 'master' }, { title: 'Integration Key' });
  if (!issued.ok) throw issued.error;
  return { session: started.value, key: issued.value };
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
    const started = await manager.startPanelSession('admin-1');
    if (!started.ok) throw started.error;
    const panel = started.value;
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

  it('keeps API keys working after the user logs out and after every session of the user ends', async () => {
    const { strategy, manager } = setup();
    const { session, key } = await masterWithKey(manager);
    await manager.endSession({ id: session.credentialId, kind: 'user-session', scopes: [] });
    await manager.endUserSessions('user-1');
    expect((await strategy.authenticate(call('/v2/tracker/list', key.hash))).type).toBe('authenticated');
  });

  it('rejects a revoked API key on the very next request', async () => {
    const { strategy, manager } = setup();
    const { key } = await masterWithKey(manager);
    expect((await strategy.authenticate(call('/v2/tracker/list', key.hash))).type).toBe('authenticated');
    expect((await manager.revoke({ id: 'user-1', accountType: 'master' }, { token: key.hash })).ok).toBe(true);
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

  it('refuses wrong hashes from an IP past the limit with RATE_LIMITED (code 15), and still lets a valid key through', async () => {
    const { strategy, manager } = setup({ failureThrottle: { store: createMemoryEphemeralStore(), maxFailures: 3 } });
    const { key } = await masterWithKey(manager);
    for (let i = 0; i < 3; i++) await strategy.authenticate(call('/v2/tracker/list', '882fb333405d006df0d5a3f410115e92'));
    const outcome = await strategy.authenticate(call('/v2/tracker/list', '882fb333405d006df0d5a3f410115e92'));
    expect(outcome).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(outcome.type === 'rejected' && renderNvxError(outcome.error)).toMatchObject({ httpStatus: 429, body: { status: { code: 15 } } });
    expect((await strategy.authenticate(call('/v2/tracker/list', key.hash))).type).toBe('authenticated');
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

describe('nvxHash: rendering', () => {
  const WRONG_HASH = { httpStatus: 400, headers: { 'content-type': 'application/json; charset=utf-8' }, body: { success: false, status: { code: 3, description: 'Wrong hash' } } };

  it('renders every AuthErrorCode and absence through strategy.renderRefusal exactly as renderNvxError does, and success as { success: true, ... }', () => {
    // With guards too: wrappers keep the scheme's rendering.
    const strategies = [
      nvxHash({ store: createMemoryCredentialStore() }),
      nvxHash({ store: createMemoryCredentialStore(), failureThrottle: { store: createMemoryEphemeralStore() }, onEvent: () => undefined }),
    ];
    for (const strategy of strategies) {
      expect(strategy.renderRefusal(absent() as never)).toEqual(WRONG_HASH);
      for (const code of Object.keys(AUTH_ERROR_CODES) as AuthErrorCode[]) {
        const expected = renderNvxError(new AuthError(code));
        expect(strategy.renderRefusal(rejected(code) as never), code).toEqual(expected);
        expect(strategy.renderRefusal({ type: 'rejected', error: new AuthError(code), credentialId: 'nvx_x', strategyId: 'nvx-hash' }), code).toEqual(expected);
      }
      expect(strategy.renderRefusal(rejected('STORE_UNAVAILABLE') as never)).toMatchObject({ httpStatus: 503, body: { success: false, status: { code: 14, description: 'Database unavailable' } } });
      expect(strategy.renderSuccess?.({ list: [1, 2] })).toEqual({ httpStatus: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: { success: true, list: [1, 2] } });
      expect(strategy.renderSuccess?.(['a'], { httpStatus: 201, strategyId: 'nvx-hash' })).toEqual({ httpStatus: 201, headers: { 'content-type': 'application/json; charset=utf-8' }, body: { success: true, value: ['a'] } });
      expect(strategy.renderSuccess?.('x')).toMatchObject({ body: { success: true, value: 'x' } });
    }
  });

  it('answers a request without a hash, through the guard, with code 3 in the Navixy envelope', async () => {
    const guard = createAuthGuard(nvxHash({ store: createMemoryCredentialStore() }));
    const decision = await guard(call('/v2/tracker/list'));
    expect(decision).toMatchObject({ type: 'refused', reply: WRONG_HASH });
  });

  it('answers in the Navixy envelope behind firstOf, and renders success there too', async () => {
    const { strategy, manager } = setup();
    const { key } = await masterWithKey(manager);
    const other = { id: 'other', authenticate: async () => absent(), renderRefusal: () => ({ httpStatus: 401, headers: {}, body: 'other' }) };
    const composed = firstOf([other, strategy]);
    const refused = await composed.authenticate(call('/v2/tracker/list', '882fb333405d006df0d5a3f410115e92'));
    if (refused.type === 'authenticated') throw new Error('authenticated');
    expect(composed.renderRefusal(refused)).toEqual(WRONG_HASH);
    const accepted = await composed.authenticate(call('/v2/tracker/list', key.hash));
    if (accepted.type !== 'authenticated') throw new Error('not authenticated');
    expect(renderSuccess(composed, { list: [] }, { strategyId: accepted.strategyId as string }).body).toEqual({ success: true, list: [] });
    expect(renderNvxSuccess({ list: [] }).body).toEqual({ success: true, list: [] });
  });
});

describe('nvxHash: a body consumed before authentication', () => {
  const used = async (init: RequestInit): Promise<Request> => {
    const request = new Request('http://x/v2/tracker/list', { method: 'POST', ...init });
    await request.text();
    return request;
  };

  it('refuses with INTERNAL_ERROR (code 6, HTTP 500) and a cause saying how to fix it, even with a valid hash in the header', async () => {
    const { strategy, manager } = setup();
    const { key } = await masterWithKey(manager);
    const request = await used({ headers: { authorization: `NVX ${key.hash}`, 'content-type': 'application/json' }, body: '{"param1":"value1"}' });
    const outcome = await strategy.authenticate(toAuthRequest(request, { remoteAddress: '203.0.113.7' }));
    expect(outcome).toMatchObject({ type: 'rejected', error: { code: 'INTERNAL_ERROR' } });
    if (outcome.type !== 'rejected') return;
    expect(String((outcome.error.cause as Error).message)).toMatch(/consumed before authentication.*body parser/s);
    expect(strategy.renderRefusal(outcome)).toMatchObject({ httpStatus: 500, body: { success: false, status: { code: 6, description: 'Unexpected error' } } });
    // The cause is for logs only: nothing of it reaches the reply.
    expect(JSON.stringify(strategy.renderRefusal(outcome))).not.toMatch(/consumed/);
  });

  it('refuses with INTERNAL_ERROR rather than finding no hash when the header carries none', async () => {
    const { strategy } = setup();
    const request = await used({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'hash=882fb333405d006df0d5a3f410115e92' });
    expect(await strategy.authenticate(toAuthRequest(request))).toMatchObject({ type: 'rejected', error: { code: 'INTERNAL_ERROR' } });
  });

  it('authenticates once the adapter is given what the body parser read (Node)', async () => {
    const { createNodeRequestAdapter } = await import('@gatehouse/auth-core/node');
    const { strategy, manager } = setup();
    const { key } = await masterWithKey(manager);
    const drained = (body?: unknown) => ({
      method: 'POST',
      url: '/v2/tracker/list',
      rawHeaders: ['Content-Type', 'application/json'],
      socket: { remoteAddress: '203.0.113.7' },
      readableEnded: true,
      ...(body === undefined ? {} : { body }),
      on: () => undefined,
      off: () => undefined,
      pause: () => undefined,
      resume: () => undefined,
    });
    const toNodeRequest = createNodeRequestAdapter();
    expect(await strategy.authenticate(toNodeRequest(drained()))).toMatchObject({ type: 'rejected', error: { code: 'INTERNAL_ERROR' } });
    expect((await strategy.authenticate(toNodeRequest(drained({ hash: key.hash })))).type).toBe('authenticated');
  });
});
