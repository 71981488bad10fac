import {
  AuthError,
  authenticated,
  ConfigurationError,
  createFetchRequestAdapter,
  createLoginThrottle,
  createManualClock,
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  createRouteKitHandler,
  describeRouteKit,
  toFetchResponse,
  type AuthRequest,
  type AuthStrategy,
  type EphemeralStore,
  type WireReply,
} from '@gatehouse/auth-core';
import { createSecretSealer } from '@gatehouse/auth-core/crypto';
import { describe, expect, it, vi } from 'vitest';
import { createNvxHashManager, createNvxRoutes, nvxHash, type NvxPrincipal, type NvxRoutesOptions } from './index.js';

const CREATED_AT = Date.UTC(2026, 10, 1, 12, 0, 36);
const CREATE_DATE = '2026-11-01 12:00:36';
const HEX32 = /^[0-9a-f]{32}$/;
const JSON_TYPE = 'application/json; charset=utf-8';
const DAY_SECONDS = 86_400;

const failure = (code: number, description: string): string => JSON.stringify({ success: false, status: { code, description } });
const WRONG_HASH = failure(3, 'Wrong hash');
const NOT_FOUND = failure(4, 'User or API key not found or session ended');
const WRONG_FORMAT = failure(5, 'Wrong request format');
const UNEXPECTED = failure(6, 'Unexpected error');
const INVALID_PARAMETERS = failure(7, 'Invalid parameters');
const TOO_LARGE = failure(9, 'Too large request');
const ACCESS_DENIED = failure(11, 'Access denied');
const NOT_PERMITTED = failure(13, 'Operation not permitted');
const UNAVAILABLE = failure(14, 'Database unavailable');
const TOO_MANY = failure(15, 'Too many requests');
const SUCCESS = '{"success":true}';

/** The test accounts: login → password and account. */
const USERS: Record<string, { password: string; id: string; accountType: 'master' | 'sub' | 'panel' }> = {
  demo: { password: 'demo-password', id: '1', accountType: 'master' },
  'demo-sub': { password: 'demo-password', id: '2', accountType: 'sub' },
  other: { password: 'other-password', id: '3', accountType: 'master' },
  admin: { password: 'admin-password', id: 'panel-1', accountType: 'panel' },
};

interface Call {
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly json?: unknown;
  readonly form?: Record<string, string>;
  readonly rawBody?: string;
  readonly method?: string;
  readonly remoteAddress?: string;
  /** Reads the body before the adapter sees the request, as a body parser that keeps nothing would. */
  readonly consumeBody?: boolean;
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are checked field by field
  readonly body: any;
}

/** The bytes a client receives for a reply. */
async function received(reply: WireReply<unknown>): Promise<Answer> {
  const response = toFetchResponse(reply);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
}

interface SetupOptions {
  readonly kit?: Partial<NvxRoutesOptions>;
  readonly withoutPanel?: boolean;
  readonly basePath?: string;
  readonly maxApiKeysPerUser?: number;
  readonly maxBodyBytes?: number;
}

function setup(options: SetupOptions = {}) {
  const store = createMemoryCredentialStore();
  const clock = createManualClock(CREATED_AT);
  const basePath = options.basePath ?? '/v2';
  const strategy = nvxHash({ store, clock, allowQueryHash: true, ...(options.basePath === undefined ? {} : { basePath }) });
  const manager = createNvxHashManager({
    store,
    clock,
    listing: { mode: 'revealable', sealer: createSecretSealer([new Uint8Array(32).fill(7)]) },
    ...(options.maxApiKeysPerUser === undefined ? {} : { maxApiKeysPerUser: options.maxApiKeysPerUser }),
  });
  const verifyLogin = vi.fn(async (login: string, password: string, _request: AuthRequest) => {
    const user = USERS[login];
    if (user === undefined || user.password !== password) return null;
    // An untyped application callback may hand back the panel administrator here too: the kit must refuse it.
    return { id: user.id, accountType: user.accountType as 'master' | 'sub' };
  });
  const verifyPanelLogin = vi.fn(async (login: string, password: string) => {
    const user = USERS[login];
    return user !== undefined && user.password === password && user.accountType === 'panel' ? { id: user.id } : null;
  });
  const kit = createNvxRoutes({
    strategy,
    manager,
    verifyLogin,
    ...(options.withoutPanel === true ? {} : { verifyPanelLogin }),
    ...(options.basePath === undefined ? {} : { basePath: options.basePath }),
    ...options.kit,
  });
  const errors: unknown[] = [];
  const handle = createRouteKitHandler(kit, { onError: (error) => errors.push(error) });
  const toAuthRequest = createFetchRequestAdapter(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes });
  const base = basePath.replace(/\/+$/, '');

  /** Sends a request through the kit's dispatcher: the bytes a client would get, or `null` when the kit serves none. */
  async function send(path: string, call: Call = {}): Promise<Answer | null> {
    const url = new URL(`http://127.0.0.1${path}`);
    for (const [name, value] of Object.entries(call.query ?? {})) url.searchParams.append(name, value);
    const headers: Record<string, string> = { ...call.headers };
    let body: string | undefined;
    if (call.json !== undefined) {
      body = JSON.stringify(call.json);
      headers['content-type'] ??= 'application/json';
    } else if (call.form !== undefined) {
      body = new URLSearchParams(call.form).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else if (call.rawBody !== undefined) {
      body = call.rawBody;
    }
    const method = call.method ?? (body === undefined ? 'GET' : 'POST');
    const request = new Request(url, { method, headers, ...(body === undefined ? {} : { body }) });
    if (call.consumeBody === true) await request.text();
    const reply = await handle(toAuthRequest(request, { remoteAddress: call.remoteAddress ?? '203.0.113.7' }));
    return reply === null ? null : received(reply);
  }

  /** Sends to a kit route, which must answer. */
  async function call(route: string, options: Call = {}): Promise<Answer> {
    const answer = await send(`${base}/${route}`, options);
    if (answer === null) throw new Error(`the kit did not answer ${route}`);
    return answer;
  }

  async function userLogin(login = 'demo', password = USERS[login]?.password ?? ''): Promise<string> {
    const answer = await call('user/auth', { query: { login, password } });
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(JSON.stringify({ success: true, hash: answer.body.hash }));
    expect(answer.body.hash).toMatch(HEX32);
    return answer.body.hash as string;
  }

  async function createKey(session: string, title = 'Integration Key'): Promise<string> {
    const answer = await call('api/key/create', { headers: { authorization: `NVX ${session}` }, query: { title } });
    expect(answer.status).toBe(200);
    return answer.body.value.hash as string;
  }

  /** Whether `hash` authenticates on a user resource of the application (not a kit route). */
  async function worksOnResource(hash: string): Promise<boolean> {
    const outcome = await strategy.authenticate(toAuthRequest(new Request(`http://127.0.0.1${base}/tracker/list`, { headers: { authorization: `NVX ${hash}` } })));
    return outcome.type === 'authenticated';
  }

  return { store, clock, strategy, manager, kit, verifyLogin, verifyPanelLogin, errors, send, call, userLogin, createKey, worksOnResource };
}

describe('createNvxRoutes: the whole flow', () => {
  it('login -> create -> list -> delete -> logout answers exactly as Navixy API docs, "Authentication" shows', async () => {
    const { call, worksOnResource } = setup();
    const login = await call('user/auth', { query: { login: 'demo', password: 'demo-password' } });
    expect(login.status).toBe(200);
    expect(login.headers.get('content-type')).toBe(JSON_TYPE);
    const session = login.body.hash as string;
    expect(login.text).toBe(`{"success":true,"hash":"${session}"}`);
    expect(session).toMatch(HEX32);

    const created = await call('api/key/create', { query: { hash: session, title: 'Integration Key' } });
    expect(created.status).toBe(200);
    const key = created.body.value.hash as string;
    expect(key).toMatch(HEX32);
    expect(key).not.toBe(session);
    expect(created.text).toBe(`{"success":true,"value":{"hash":"${key}","create_date":"${CREATE_DATE}","title":"Integration Key"}}`);
    expect(await worksOnResource(key)).toBe(true);

    const listed = await call('api/key/list', { headers: { authorization: `NVX ${session}` } });
    expect(listed.status).toBe(200);
    expect(listed.text).toBe(`{"success":true,"list":[{"hash":"${key}","create_date":"${CREATE_DATE}","title":"Integration Key"}]}`);

    const deleted = await call('api/key/delete', { json: { hash: session, key_hash: key } });
    expect(deleted.status).toBe(200);
    expect(deleted.text).toBe(SUCCESS);
    expect(await worksOnResource(key)).toBe(false);
    expect((await call('api/key/list', { form: { hash: session } })).text).toBe('{"success":true,"list":[]}');

    const logout = await call('user/logout', { method: 'POST', headers: { authorization: `NVX ${session}` } });
    expect(logout.status).toBe(200);
    expect(logout.text).toBe(SUCCESS);
    for (const route of ['api/key/list', 'user/session/renew', 'user/logout']) {
      const after = await call(route, { query: { hash: session } });
      expect(after.status, route).toBe(400);
      expect(after.text, route).toBe(WRONG_HASH);
    }
  });

  it('an API key outlives the session that created it', async () => {
    const { call, userLogin, createKey, worksOnResource } = setup();
    const session = await userLogin();
    const key = await createKey(session);
    expect((await call('user/logout', { query: { hash: session } })).text).toBe(SUCCESS);
    expect(await worksOnResource(key)).toBe(true);
  });

  it('user/session/renew extends the session by its full lifetime from now', async () => {
    const { call, clock, userLogin } = setup();
    const session = await userLogin();
    clock.advanceBySeconds(20 * DAY_SECONDS);
    const renewed = await call('user/session/renew', { json: { hash: session } });
    expect(renewed.status).toBe(200);
    expect(renewed.text).toBe(SUCCESS);
    clock.advanceBySeconds(20 * DAY_SECONDS); // 40 days after login, 20 after the renewal
    expect((await call('api/key/list', { query: { hash: session } })).text).toBe('{"success":true,"list":[]}');
    clock.advanceBySeconds(11 * DAY_SECONDS);
    expect((await call('api/key/list', { query: { hash: session } })).text).toBe(WRONG_HASH);
  });

  it('every route answers GET and POST alike', async () => {
    const { call, userLogin } = setup();
    const session = await userLogin();
    for (const method of ['GET', 'POST']) {
      expect((await call('api/key/list', { method, headers: { authorization: `NVX ${session}` } })).status, method).toBe(200);
    }
    const posted = await call('user/auth', { method: 'POST', query: { login: 'demo', password: 'demo-password' } });
    expect(posted.status).toBe(200);
  });
});

describe('createNvxRoutes: user/auth', () => {
  it('a wrong password, an unknown login and an account of another kind get byte-identical code 4 replies', async () => {
    const { call } = setup();
    const wrongPassword = await call('user/auth', { query: { login: 'demo', password: 'wrong-password' } });
    const unknownLogin = await call('user/auth', { query: { login: 'nobody', password: 'demo-password' } });
    const panelAccount = await call('user/auth', { query: { login: 'admin', password: 'admin-password' } });
    expect(wrongPassword.status).toBe(400);
    expect(wrongPassword.text).toBe(NOT_FOUND);
    for (const answer of [unknownLogin, panelAccount]) {
      expect(answer.status).toBe(wrongPassword.status);
      expect(answer.text).toBe(wrongPassword.text);
      expect([...answer.headers]).toEqual([...wrongPassword.headers]);
    }
  });

  it('takes login and password from the query, a form or a JSON body, and ignores any hash sent', async () => {
    const { call, verifyLogin } = setup();
    const answers = [
      await call('user/auth', { form: { login: 'demo', password: 'demo-password' } }),
      await call('user/auth', { json: { login: 'demo', password: 'demo-password', hash: 'not a hash at all' } }),
      await call('user/auth', { query: { login: 'demo', password: 'demo-password' }, headers: { authorization: 'NVX garbage' } }),
      await call('user/auth', { query: { login: 'demo' }, json: { login: 'demo', password: 'demo-password' } }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body.hash).toMatch(HEX32);
    }
    expect(verifyLogin).toHaveBeenCalledWith('demo', 'demo-password', expect.objectContaining({ clientIp: '203.0.113.7' }));
  });

  it('a missing or empty login or password, a non-string JSON value, or two different values is code 7 and checks no password', async () => {
    const { call, verifyLogin } = setup();
    const calls: Call[] = [
      {},
      { query: { login: 'demo' } },
      { query: { password: 'demo-password' } },
      { query: { login: '', password: 'demo-password' } },
      { json: { login: 'demo', password: 12345 } },
      { json: { login: ['demo'], password: 'demo-password' } },
      { query: { login: 'demo' }, json: { login: 'demo-sub', password: 'demo-password' } },
      { query: { login: 'demo' }, form: { login: 'other', password: 'demo-password' } },
      { rawBody: 'login=demo&login=other&password=demo-password', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      {
        rawBody: '{"__proto__":{"login":"demo","password":"demo-password"},"constructor":{"prototype":{"login":"demo"}}}',
        headers: { 'content-type': 'application/json' },
      },
    ];
    for (const options of calls) {
      const answer = await call('user/auth', options);
      expect(answer.status, JSON.stringify(options)).toBe(400);
      expect(answer.text, JSON.stringify(options)).toBe(INVALID_PARAMETERS);
    }
    expect(verifyLogin).not.toHaveBeenCalled();
    expect(Object.prototype).not.toHaveProperty('login');
  });

  it('a malformed or non-object JSON body, or an unsupported content type, is code 5', async () => {
    const { call } = setup();
    for (const [rawBody, type] of [
      ['{"login":', 'application/json'],
      ['["demo"]', 'application/json'],
      ['login=demo', 'text/plain'],
    ] as const) {
      const answer = await call('user/auth', { rawBody, headers: { 'content-type': type } });
      expect(answer.status, rawBody).toBe(400);
      expect(answer.text, rawBody).toBe(WRONG_FORMAT);
    }
  });

  it('a body over the adapter cap is code 9 with HTTP 412, on login routes and hash routes alike', async () => {
    const { call } = setup({ maxBodyBytes: 64 });
    const huge = { login: 'demo', password: 'demo-password', hash: '0'.repeat(32), padding: 'x'.repeat(100) };
    for (const route of ['user/auth', 'panel/account/auth', 'api/key/list']) {
      const answer = await call(route, { json: huge });
      expect(answer.status, route).toBe(412);
      expect(answer.text, route).toBe(TOO_LARGE);
    }
  });

  it('a body consumed before the kit is code 6 (HTTP 500) and the reason reaches onError', async () => {
    const { call, errors, verifyLogin } = setup();
    const answer = await call('user/auth', { form: { login: 'demo', password: 'demo-password' }, consumeBody: true });
    expect(answer.status).toBe(500);
    expect(answer.text).toBe(UNEXPECTED);
    expect(verifyLogin).not.toHaveBeenCalled();
    expect(String(errors[0])).toMatch(/body was consumed before the route kit/);
    // A hash route: the strategy itself refuses, never skipping a body that might carry a hash.
    const guarded = await call('api/key/list', { form: { hash: '0'.repeat(32) }, consumeBody: true });
    expect(guarded.status).toBe(500);
    expect(guarded.text).toBe(UNEXPECTED);
  });

  it('a verifyLogin answer that is not an account or null is code 6, never a session', async () => {
    for (const found of [undefined, 'demo', { id: 1, accountType: 'master' }, { id: '', accountType: 'master' }]) {
      const { call, errors, store } = setup({ kit: { verifyLogin: async () => found as never } });
      const answer = await call('user/auth', { query: { login: 'demo', password: 'demo-password' } });
      expect(answer.text, JSON.stringify(found)).toBe(UNEXPECTED);
      expect(errors[0]).toBeInstanceOf(TypeError);
      expect(await store.listByOwner('1')).toEqual([]);
    }
  });
});

describe('createNvxRoutes: hash routes', () => {
  it('a protected route without any hash is code 3', async () => {
    const { call } = setup();
    for (const route of ['user/session/renew', 'user/logout', 'api/key/create', 'api/key/list', 'api/key/delete']) {
      const answer = await call(route);
      expect(answer.status, route).toBe(400);
      expect(answer.text, route).toBe(WRONG_HASH);
    }
  });

  it('a sub-user session cannot create, list or delete API keys (code 13) but can renew and end itself', async () => {
    const { call, userLogin, createKey } = setup();
    const key = await createKey(await userLogin('demo'));
    const session = await userLogin('demo-sub');
    for (const route of ['api/key/create', 'api/key/list', 'api/key/delete']) {
      const answer = await call(route, { query: { hash: session, title: 'Sub key', key_hash: key } });
      expect(answer.status, route).toBe(403);
      expect(answer.text, route).toBe(NOT_PERMITTED);
    }
    expect((await call('user/session/renew', { query: { hash: session } })).text).toBe(SUCCESS);
    expect((await call('user/logout', { query: { hash: session } })).text).toBe(SUCCESS);
  });

  it('an API key cannot manage API keys nor renew or end a session (code 13)', async () => {
    const { call, userLogin, createKey } = setup();
    const key = await createKey(await userLogin());
    for (const route of ['api/key/create', 'api/key/list', 'api/key/delete', 'user/session/renew', 'user/logout']) {
      const answer = await call(route, { headers: { authorization: `NVX ${key}` }, query: { title: 'From a key', key_hash: key } });
      expect(answer.status, route).toBe(403);
      expect(answer.text, route).toBe(NOT_PERMITTED);
    }
  });

  it('a panel hash is refused on every user route of the kit (code 11)', async () => {
    const { call } = setup();
    const panel = (await call('panel/account/auth', { query: { login: 'admin', password: 'admin-password' } })).body.hash as string;
    for (const route of ['user/session/renew', 'user/logout', 'api/key/create', 'api/key/list', 'api/key/delete']) {
      const answer = await call(route, { query: { hash: panel, title: 'x', key_hash: panel } });
      expect(answer.status, route).toBe(403);
      expect(answer.text, route).toBe(ACCESS_DENIED);
    }
  });

  it('refuses a panel hash even when the strategy it was given lets one through (code 11)', async () => {
    const manager = createNvxHashManager({ store: createMemoryCredentialStore() });
    const endSession = vi.spyOn(manager, 'endSession');
    const lenient: AuthStrategy<NvxPrincipal> = {
      id: 'nvx-hash',
      authenticate: async () => authenticated({ id: 'panel-1', attributes: { accountType: 'panel' } }, { id: 'c1', kind: 'panel-session', scopes: [] }),
      renderRefusal: () => {
        throw new Error('not used');
      },
    };
    const handle = createRouteKitHandler(createNvxRoutes({ strategy: lenient, manager, verifyLogin: async () => null }));
    const reply = await handle(createFetchRequestAdapter()(new Request('http://127.0.0.1/v2/user/logout')));
    expect(reply).not.toBeNull();
    const answer = await received(reply as WireReply<unknown>);
    expect(answer.status).toBe(403);
    expect(answer.text).toBe(ACCESS_DENIED);
    expect(endSession).not.toHaveBeenCalled();
  });

  it('a missing, blank, too long, control-character, non-string or doubly given title is code 7', async () => {
    const { call, userLogin } = setup();
    const session = await userLogin();
    const titles: unknown[] = [undefined, '', '   ', 'x'.repeat(256), 'a\nb', 'a\u202eb', 42, ['a'], null];
    for (const title of titles) {
      const answer = await call('api/key/create', { json: { hash: session, ...(title === undefined ? {} : { title }) } });
      expect(answer.status, JSON.stringify(title)).toBe(400);
      expect(answer.text, JSON.stringify(title)).toBe(INVALID_PARAMETERS);
    }
    const twice = await call('api/key/create', { query: { title: 'One' }, json: { hash: session, title: 'Two' } });
    expect(twice.text).toBe(INVALID_PARAMETERS);
    expect((await call('api/key/create', { json: { hash: session, title: 'x'.repeat(255) } })).status).toBe(200);
    expect((await call('api/key/create', { query: { title: 'Same' }, json: { hash: session, title: 'Same' } })).status).toBe(200);
  });

  it('a key beyond the limit is code 13', async () => {
    const { call, userLogin, createKey } = setup({ maxApiKeysPerUser: 2 });
    const session = await userLogin();
    await createKey(session, 'one');
    await createKey(session, 'two');
    const third = await call('api/key/create', { query: { hash: session, title: 'three' } });
    expect(third.status).toBe(403);
    expect(third.text).toBe(NOT_PERMITTED);
  });

  it('deleting an unknown, already deleted or foreign key is code 4; a missing or malformed key_hash is code 7', async () => {
    const { call, manager, userLogin, createKey, worksOnResource } = setup();
    const session = await userLogin();
    const key = await createKey(session);
    const withSession = (keyHash?: string): Call => ({ query: { hash: session, ...(keyHash === undefined ? {} : { key_hash: keyHash }) } });
    expect((await call('api/key/delete', withSession('c915157ac483e7319b0b257408bc04e1'))).text).toBe(NOT_FOUND);
    expect((await call('api/key/delete', withSession(session))).text).toBe(NOT_FOUND);
    expect((await call('api/key/delete', withSession())).text).toBe(INVALID_PARAMETERS);
    expect((await call('api/key/delete', withSession('xyz'))).text).toBe(INVALID_PARAMETERS);
    expect((await call('api/key/delete', { query: { hash: session, key_hash: key }, json: { key_hash: session } })).text).toBe(INVALID_PARAMETERS);
    expect((await call('api/key/delete', withSession(key.toUpperCase()))).text).toBe(SUCCESS);
    expect((await call('api/key/delete', withSession(key))).text).toBe(NOT_FOUND);

    const foreign = await manager.issue({ id: '999', accountType: 'master' }, { title: 'Not yours' });
    if (!foreign.ok) throw foreign.error;
    const forged = await call('api/key/delete', withSession(foreign.value.hash));
    expect(forged.status).toBe(400);
    expect(forged.text).toBe(NOT_FOUND);
    expect(await worksOnResource(foreign.value.hash)).toBe(true);
  });

  it('api/key/list shows only the caller\'s live keys, oldest first', async () => {
    const { call, clock, userLogin, createKey } = setup();
    const session = await userLogin();
    const first = await createKey(session, 'First');
    clock.advanceBySeconds(61);
    const second = await createKey(session, 'Zweiter Schlüssel');
    await createKey(await userLogin('other'), 'Someone else');
    const listed = await call('api/key/list', { query: { hash: session } });
    expect(listed.text).toBe(
      JSON.stringify({
        success: true,
        list: [
          { hash: first, create_date: CREATE_DATE, title: 'First' },
          { hash: second, create_date: '2026-11-01 12:01:37', title: 'Zweiter Schlüssel' },
        ],
      }),
    );
  });

  it('a body of an unsupported type on a hash route is code 5, as on the login routes', async () => {
    const { call, userLogin } = setup();
    const session = await userLogin();
    const answer = await call('user/logout', { headers: { authorization: `NVX ${session}`, 'content-type': 'text/plain' }, rawBody: 'bye' });
    expect(answer.status).toBe(400);
    expect(answer.text).toBe(WRONG_FORMAT);
    expect((await call('api/key/list', { query: { hash: session } })).status).toBe(200);
  });
});

describe('createNvxRoutes: panel/account/auth', () => {
  it('gives the panel administrator a panel hash that works under /panel/ only', async () => {
    const { call, strategy } = setup();
    const answer = await call('panel/account/auth', { form: { login: 'admin', password: 'admin-password' } });
    expect(answer.status).toBe(200);
    const panel = answer.body.hash as string;
    expect(answer.text).toBe(`{"success":true,"hash":"${panel}"}`);
    const toAuthRequest = createFetchRequestAdapter();
    const onPanel = await strategy.authenticate(toAuthRequest(new Request('http://127.0.0.1/v2/panel/tariff/list', { headers: { authorization: `NVX ${panel}` } })));
    expect(onPanel).toMatchObject({ type: 'authenticated', credential: { kind: 'panel-session' }, principal: { id: 'panel-1' } });
  });

  it('refuses user accounts and wrong passwords alike (code 4), and ignores a user hash sent along', async () => {
    const { call, userLogin, verifyLogin } = setup();
    const session = await userLogin();
    verifyLogin.mockClear();
    const wrongPassword = await call('panel/account/auth', { query: { login: 'admin', password: 'nope' } });
    const userAccount = await call('panel/account/auth', { query: { login: 'demo', password: 'demo-password', hash: session } });
    expect(wrongPassword.status).toBe(400);
    expect(wrongPassword.text).toBe(NOT_FOUND);
    expect(userAccount.status).toBe(400);
    expect(userAccount.text).toBe(NOT_FOUND);
    expect(verifyLogin).not.toHaveBeenCalled();
    const withUserHash = await call('panel/account/auth', { headers: { authorization: `NVX ${session}` }, query: { login: 'admin', password: 'admin-password' } });
    expect(withUserHash.status).toBe(200);
    expect(withUserHash.body.hash).not.toBe(session);
  });

  it('without verifyPanelLogin the kit does not serve panel/account/auth (null), and its summaries do not list it', async () => {
    const { send, kit } = setup({ withoutPanel: true });
    expect(await send('/v2/panel/account/auth', { query: { login: 'admin', password: 'admin-password' } })).toBeNull();
    expect(kit.routes.map((route) => route.path)).not.toContain('/panel/account/auth');
  });
});

describe('createNvxRoutes: login throttle', () => {
  it('past the limit a login is code 15 (HTTP 429) before the password is checked, on both login routes', async () => {
    const ephemeral = createMemoryEphemeralStore();
    const { call, verifyLogin, verifyPanelLogin } = setup({ kit: { loginThrottle: createLoginThrottle(ephemeral, { maxFailures: 3 }) } });
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await call('user/auth', { query: { login: 'nobody', password: 'x' } })).text).toBe(NOT_FOUND);
    }
    verifyLogin.mockClear();
    const throttled = await call('user/auth', { query: { login: 'demo', password: 'demo-password' } });
    expect(throttled.status).toBe(429);
    expect(throttled.text).toBe(TOO_MANY);
    expect(verifyLogin).not.toHaveBeenCalled();
    const panel = await call('panel/account/auth', { query: { login: 'admin', password: 'admin-password' } });
    expect(panel.text).toBe(TOO_MANY);
    expect(verifyPanelLogin).not.toHaveBeenCalled();

    // Another address: its own budget for another login, but the guessed login stays throttled everywhere.
    expect((await call('user/auth', { query: { login: 'demo', password: 'demo-password' }, remoteAddress: '198.51.100.2' })).status).toBe(200);
    expect((await call('user/auth', { query: { login: 'nobody', password: 'x' }, remoteAddress: '198.51.100.2' })).text).toBe(TOO_MANY);
  });

  it('a successful login is not counted as a failure', async () => {
    const { call } = setup({ kit: { loginThrottle: createLoginThrottle(createMemoryEphemeralStore(), { maxFailures: 1 }) } });
    for (let attempt = 0; attempt < 5; attempt++) expect((await call('user/auth', { query: { login: 'demo', password: 'demo-password' } })).status).toBe(200);
  });

  it('a throttle whose store fails denies the login with code 14', async () => {
    const ephemeral: EphemeralStore = createMemoryEphemeralStore();
    vi.spyOn(ephemeral, 'get').mockRejectedValue(new Error('ECONNREFUSED'));
    const { call, errors, verifyLogin } = setup({ kit: { loginThrottle: createLoginThrottle(ephemeral) } });
    const answer = await call('user/auth', { query: { login: 'demo', password: 'demo-password' } });
    expect(answer.status).toBe(503);
    expect(answer.text).toBe(UNAVAILABLE);
    expect(verifyLogin).not.toHaveBeenCalled();
    expect(errors).toHaveLength(1);
  });
});

describe('createNvxRoutes: failures', () => {
  it('a failing store is code 14 with HTTP 503 on every route, never a success', async () => {
    const { call, store, userLogin, createKey } = setup();
    const session = await userLogin();
    const key = await createKey(session);
    const broken = new Error('SQLITE_IOERR: disk I/O error');
    const expectUnavailable = (answer: Answer, what: string): void => {
      expect(answer.status, what).toBe(503);
      expect(answer.text, what).toBe(UNAVAILABLE);
    };

    const insert = vi.spyOn(store, 'insert').mockRejectedValue(broken);
    expectUnavailable(await call('user/auth', { query: { login: 'demo', password: 'demo-password' } }), 'user/auth');
    expectUnavailable(await call('panel/account/auth', { query: { login: 'admin', password: 'admin-password' } }), 'panel/account/auth');
    expectUnavailable(await call('api/key/create', { query: { hash: session, title: 'x' } }), 'api/key/create');
    insert.mockRestore();

    const list = vi.spyOn(store, 'listByOwner').mockRejectedValue(broken);
    expectUnavailable(await call('api/key/list', { query: { hash: session } }), 'api/key/list');
    list.mockRestore();
    const revoke = vi.spyOn(store, 'revoke').mockRejectedValue(broken);
    expectUnavailable(await call('api/key/delete', { query: { hash: session, key_hash: key } }), 'api/key/delete');
    expectUnavailable(await call('user/logout', { query: { hash: session } }), 'user/logout');
    revoke.mockRestore();
    const update = vi.spyOn(store, 'update').mockRejectedValue(broken);
    expectUnavailable(await call('user/session/renew', { query: { hash: session } }), 'user/session/renew');
    update.mockRestore();
    const find = vi.spyOn(store, 'findByDigest').mockRejectedValue(broken);
    expectUnavailable(await call('api/key/list', { query: { hash: session } }), 'api/key/list (lookup)');
    find.mockRestore();

    expect((await call('api/key/list', { query: { hash: session } })).status).toBe(200);
  });

  it('verifyLogin throwing AuthError STORE_UNAVAILABLE is code 14; any other throw is code 6, told to onError', async () => {
    const failing = vi.fn<NvxRoutesOptions['verifyLogin']>().mockRejectedValue(new AuthError('STORE_UNAVAILABLE'));
    const unavailable = setup({ kit: { verifyLogin: failing } });
    const answer = await unavailable.call('user/auth', { query: { login: 'demo', password: 'demo-password' } });
    expect(answer.status).toBe(503);
    expect(answer.text).toBe(UNAVAILABLE);

    const bug = new Error('accounts table missing');
    const broken = setup({ kit: { verifyLogin: async () => Promise.reject(bug), loginThrottle: createLoginThrottle(createMemoryEphemeralStore()) } });
    const crashed = await broken.call('user/auth', { query: { login: 'demo', password: 'demo-password' } });
    expect(crashed.status).toBe(500);
    expect(crashed.text).toBe(UNEXPECTED);
    expect(broken.errors).toEqual([bug]);
  });

  it('a kit path with another method is HTTP 405 with code 5 and an Allow header', async () => {
    const { send } = setup();
    for (const [method, path] of [
      ['PUT', '/v2/user/auth'],
      ['DELETE', '/v2/api/key/delete'],
      ['PATCH', '/v2/panel/account/auth'],
    ] as const) {
      const answer = await send(path, { method });
      expect(answer, path).not.toBeNull();
      expect(answer?.status, path).toBe(405);
      expect(answer?.headers.get('allow'), path).toBe('GET, POST, HEAD');
      expect(answer?.text, path).toBe(WRONG_FORMAT);
    }
  });

  it('paths the kit does not serve are left to the application (null)', async () => {
    const { send } = setup();
    for (const path of ['/v2/tracker/list', '/v2/panel/tariff/list', '/v2', '/v2/user/auth/', '/v1/user/auth', '/user/auth', '/v2/USER/auth']) {
      expect(await send(path, { query: { login: 'demo', password: 'demo-password' } }), path).toBeNull();
    }
  });
});

describe('createNvxRoutes: the kit', () => {
  it('is the nvx-hash kit under /v2, renders refusals in Navixy\'s envelope and summarises what each route needs', async () => {
    const { kit } = setup();
    expect(kit.id).toBe('nvx-hash');
    expect(kit.basePaths).toEqual(['/v2']);
    expect(kit.routes.map((route) => [route.path, route.methods, route.summary])).toEqual([
      ['/user/auth', ['GET', 'POST'], 'login, password (master or sub-user) -> session hash'],
      ['/user/session/renew', ['GET', 'POST'], 'user session hash'],
      ['/user/logout', ['GET', 'POST'], 'user session hash'],
      ['/api/key/create', ['GET', 'POST'], "master user's session hash, title -> API key"],
      ['/api/key/list', ['GET', 'POST'], "master user's session hash"],
      ['/api/key/delete', ['GET', 'POST'], "master user's session hash, key_hash"],
      ['/panel/account/auth', ['GET', 'POST'], 'login, password (panel administrator) -> panel hash'],
    ]);
    expect(describeRouteKit(kit)[3]).toMatch(/^GET,POST +\/v2\/api\/key\/create +master user's session hash, title -> API key$/);
    expect((await received(kit.renderRefusal({ type: 'absent' }))).text).toBe(WRONG_HASH);
    expect((await received(kit.renderRefusal({ type: 'rejected', error: new AuthError('ROUTE_NOT_FOUND') }))).status).toBe(404);
  });

  it('serves the whole flow under another basePath, given to the strategy as well', async () => {
    const { send, kit, call, userLogin, createKey } = setup({ basePath: '/api/v2/' });
    expect(kit.basePaths).toEqual(['/api/v2']);
    const session = await userLogin();
    const key = await createKey(session);
    expect((await call('api/key/list', { query: { hash: session } })).body.list).toEqual([expect.objectContaining({ hash: key })]);
    expect(await send('/v2/user/auth', { query: { login: 'demo', password: 'demo-password' } })).toBeNull();
  });

  it('refuses options that cannot work with a ConfigurationError naming the option', () => {
    const store = createMemoryCredentialStore();
    const good: NvxRoutesOptions = { strategy: nvxHash({ store }), manager: createNvxHashManager({ store }), verifyLogin: async () => null };
    const cases: [string, unknown][] = [
      ['options', null],
      ['strategy', { ...good, strategy: undefined }],
      ['strategy', { ...good, strategy: { id: 'nvx-hash', authenticate: async () => ({ type: 'absent' }) } }],
      ['manager', { ...good, manager: undefined }],
      ['manager', { ...good, manager: { ...good.manager, keyManager: undefined } }],
      ['basePath', { ...good, basePath: 'v2' }],
      ['basePath', { ...good, basePath: '/v2?x' }],
      ['basePath', { ...good, basePath: 2 }],
      ['verifyLogin', { ...good, verifyLogin: undefined }],
      ['verifyPanelLogin', { ...good, verifyPanelLogin: 'yes' }],
      ['loginThrottle', { ...good, loginThrottle: {} }],
      ['loginThrottle', { ...good, loginThrottle: null }],
    ];
    for (const [option, options] of cases) {
      let thrown: unknown;
      try {
        createNvxRoutes(options as NvxRoutesOptions);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, option).toBeInstanceOf(ConfigurationError);
      expect((thrown as ConfigurationError).option, JSON.stringify(options)).toBe(option);
    }
    expect(() => createNvxRoutes({ ...good, basePath: '/' })).not.toThrow();
    expect(createNvxRoutes({ ...good, basePath: '/' }).basePaths).toEqual(['']);
  });
});
