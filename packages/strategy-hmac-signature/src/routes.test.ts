import {
  AuthError,
  ConfigurationError,
  createAuthGuard,
  createFetchRequestAdapter,
  createLoginThrottle,
  createManualClock,
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  createRouteKitHandler,
  describeRouteKit,
  toFetchResponse,
  type AuthRequest,
} from '@gatehouse/auth-core';
import { createSecretSealer } from '@gatehouse/auth-core/crypto';
import { describe, expect, it, vi } from 'vitest';
import {
  createApexRoutes,
  createHmacKeyManager,
  hmacSession,
  hmacSignature,
  signAuthenticateUser,
  type ApexLoginUser,
  type ApexRoutesOptions,
} from './index.js';

const toAuthRequest = createFetchRequestAdapter({ maxBodyBytes: 4096 });
const sealer = createSecretSealer([new Uint8Array(32).fill(7)]);
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const HEX64 = /^[0-9a-f]{64}$/;
const JSON_TYPE = 'application/json; charset=utf-8';

// Reply bodies, byte for byte as APEX (and the demo before the kit) sends them.
const NOT_AUTHORIZED = '{"result":false,"errormsg":"Not Authorized","errorcode":20,"detail":null}';
const OK = '{"result":true,"errormsg":null,"errorcode":0,"detail":null}';
const OPERATION_FAILED = '{"result":false,"errormsg":"Operation Failed","errorcode":100,"detail":null}';
const INVALID_REQUEST = '{"result":false,"errormsg":"Invalid Request","errorcode":100,"detail":null}';
const NOT_FOUND = '{"result":false,"errormsg":"Resource Not Found","errorcode":104,"detail":null}';
const JSON_ONLY = '{"result":false,"errormsg":"Invalid Request","errorcode":100,"detail":"Send the data as JSON (Content-Type: application/json)"}';
const USER_ID_REQUIRED = '{"result":false,"errormsg":"Invalid Request","errorcode":100,"detail":"UserId is required"}';
const USE_POST = '{"result":false,"errormsg":"Invalid Request","errorcode":100,"detail":"Use POST"}';
const WRONG_LOGIN = '{"Authenticated":false,"errormsg":"Invalid username or password"}';
const LOGIN_UNAVAILABLE = '{"Authenticated":false,"errormsg":"Service unavailable"}';
const VALUES_REQUIRED = '{"Authenticated":false,"errormsg":"APIKey, Signature, UserId and Nonce are required"}';
const INVALID_KEY = '{"Authenticated":false,"errormsg":"Invalid API key, user or signature"}';

interface User extends ApexLoginUser {
  readonly password: string;
}
const ALICE: User = { userId: '1', userName: 'alice', password: 'alice-password' };
const BOB: User = { userId: '2', userName: 'bob', password: 'bob-password' };
const CAROL: User = { userId: 'u-carol', userName: 'carol', password: 'carol-password' };
const USERS = [ALICE, BOB, CAROL];

interface Call {
  readonly json?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  readonly method?: string;
  readonly from?: string;
  /** Read the request's body before the kit sees it (a body parser that left nothing): `unavailable`. */
  readonly consumed?: boolean;
}

interface Answer {
  readonly status: number;
  readonly contentType: string | null;
  readonly allow: string | null;
  readonly text: string;
  readonly body: any;
}

function setup(overrides: Partial<ApexRoutesOptions> = {}, maxFailures = 3) {
  const store = createMemoryCredentialStore();
  const clock = createManualClock(NOW);
  const ephemeral = createMemoryEphemeralStore({ clock });
  const authenticateUser = hmacSignature({ store, sealer, ephemeralStore: ephemeral, clock });
  const sessions = hmacSession({ store, clock, sessionKinds: ['api', 'web'] });
  const manager = createHmacKeyManager({ store, sealer, clock, permissions: ['Trading', 'Deposit', 'Withdraw'] });
  const logins: string[] = [];
  const verifyLogin = async (userName: string, password: string, request: AuthRequest): Promise<ApexLoginUser | null> => {
    logins.push(`${userName} from ${request.clientIp}`);
    const user = USERS.find((candidate) => candidate.userName === userName);
    return user !== undefined && user.password === password ? { userId: user.userId, userName: user.userName } : null;
  };
  const loginThrottle = createLoginThrottle(ephemeral, { maxFailures });
  const kit = createApexRoutes({ authenticateUser, sessions, manager, verifyLogin, loginThrottle, ...overrides });
  const errors: unknown[] = [];
  const answer = createRouteKitHandler(kit, { onError: (error) => errors.push(error) });

  const send = async (path: string, call: Call = {}): Promise<Answer | null> => {
    const body = call.json !== undefined ? JSON.stringify(call.json) : call.rawBody;
    const request = new Request(`http://apex.test${path}`, {
      method: call.method ?? 'POST',
      headers: { ...(call.json !== undefined ? { 'content-type': 'application/json' } : {}), ...call.headers },
      ...(body === undefined ? {} : { body }),
    });
    if (call.consumed === true) await request.text();
    const reply = await answer(toAuthRequest(request, { remoteAddress: call.from ?? '127.0.0.1' }));
    if (reply === null) return null;
    const response = toFetchResponse(reply);
    const text = await response.text();
    return { status: response.status, contentType: response.headers.get('content-type'), allow: response.headers.get('allow'), text, body: JSON.parse(text) };
  };
  /** A call the kit must answer. */
  const post = async (path: string, call: Call = {}): Promise<Answer> => {
    const got = await send(path, call);
    if (got === null) throw new Error(`the kit did not answer ${path}`);
    return got;
  };
  return { store, clock, ephemeral, authenticateUser, sessions, manager, kit, errors, logins, send, post };
}
type Context = ReturnType<typeof setup>;

/** Status and body bytes (and the JSON content type every reply carries). */
function expectWire(answer: Answer, status: number, text: string, what?: string): void {
  expect({ status: answer.status, text: answer.text, contentType: answer.contentType }, what).toEqual({ status, text, contentType: JSON_TYPE });
}

/** The exact success bytes of AuthenticateUser / WebAuthenticateUser, for the token the reply carries. */
function expectSignedIn(answer: Answer, user: { UserId: number | string; UserName: string }): string {
  const token = answer.body.SessionToken as string;
  expect(token).toMatch(HEX64);
  expectWire(answer, 200, JSON.stringify({ Authenticated: true, SessionToken: token, User: user, Locked: false, Requires2FA: false, errormsg: null }));
  return token;
}

async function webLogin(t: Context, user: User = ALICE, path = '/ap/WebAuthenticateUser'): Promise<string> {
  const answer = await t.post(path, { json: { UserName: user.userName, Password: user.password } });
  return expectSignedIn(answer, { UserId: /^[0-9]+$/.test(user.userId) ? Number(user.userId) : user.userId, UserName: user.userName });
}

interface Key {
  readonly APIKey: string;
  readonly APISecret: string;
  readonly Nonce: string;
  readonly UserId: number | string;
  readonly Permissions: string[];
}

async function addKey(t: Context, webToken: string, json: Record<string, unknown> = { UserId: 1, Permissions: ['Trading'] }): Promise<Key> {
  const answer = await t.post('/ap/AddUserAPIKey', { json, headers: { aptoken: webToken } });
  expect(answer.status, answer.text).toBe(200);
  const key = answer.body as Key;
  expect(key.APIKey).toMatch(/^[0-9a-f]{32}$/);
  expect(key.APISecret).toMatch(HEX64);
  expect(key.Nonce).toMatch(/^[0-9]{12}$/);
  // A numeric UserId goes out as a number, however it came in.
  const userId = typeof json['UserId'] === 'string' && /^[1-9][0-9]*$/.test(json['UserId']) ? Number(json['UserId']) : json['UserId'];
  expectWire(answer, 200, JSON.stringify({ APIKey: key.APIKey, APISecret: key.APISecret, Nonce: key.Nonce, UserId: userId, Permissions: json['Permissions'] ?? [] }));
  return key;
}

const signedHeaders = (key: Key, nonce: string): Record<string, string> =>
  signAuthenticateUser({ apiKey: key.APIKey, apiSecret: key.APISecret, userId: key.UserId, nonce }).headers;

async function apiLogin(t: Context, key: Key, nonce: string, userName = 'alice'): Promise<string> {
  return expectSignedIn(await t.post('/AuthenticateUser', { headers: signedHeaders(key, nonce) }), { UserId: key.UserId, UserName: userName });
}

describe('createApexRoutes: the flow a client follows', () => {
  it('WebAuthenticateUser, AddUserAPIKey, AuthenticateUser signed with the package signer, then LogOut, every reply byte for byte', async () => {
    const t = setup();
    const web = await webLogin(t);
    const key = await addKey(t, web, { UserId: 1, Permissions: ['Trading', 'Deposit'] });
    const aptoken = await apiLogin(t, key, 'n-1');
    expect(aptoken).not.toBe(web);
    // The API session is an `aptoken` for the application's own routes, with the key's permissions.
    const apiSessions = await hmacSession({ store: t.store, clock: t.clock }).authenticate(toAuthRequest(new Request('http://apex.test/ap/SendOrder', { method: 'POST', headers: { aptoken } })));
    expect(apiSessions).toMatchObject({ type: 'authenticated', principal: { id: '1', attributes: { userName: 'alice' } }, credential: { kind: 'session', scopes: ['Trading', 'Deposit'] } });

    expectWire(await t.post('/ap/LogOut', { headers: { aptoken } }), 200, OK);
    expectWire(await t.post('/ap/LogOut', { headers: { aptoken } }), 401, NOT_AUTHORIZED);
    // The web session still manages keys until it logs out too.
    expect((await t.post('/ap/GetUserAPIKeys', { json: { UserId: 1 }, headers: { aptoken: web } })).status).toBe(200);
    expectWire(await t.post('/LogOut', { headers: { aptoken: web } }), 200, OK);
    expectWire(await t.post('/ap/GetUserAPIKeys', { json: { UserId: 1 }, headers: { aptoken: web } }), 401, NOT_AUTHORIZED);
    // The key itself still works.
    await apiLogin(t, key, 'n-2');
    expect(t.errors).toEqual([]);
  });

  it('serves every route at the root and below /ap, and leaves other paths to the application', async () => {
    const t = setup();
    const web = await webLogin(t, ALICE, '/WebAuthenticateUser');
    const key = await addKey(t, web);
    await apiLogin(t, key, 'root');
    expectSignedIn(await t.post('/ap/AuthenticateUser', { headers: signedHeaders(key, 'ap') }), { UserId: 1, UserName: 'alice' });
    expect((await t.post('/GetUserAPIKeys', { json: { UserId: 1 }, headers: { aptoken: web } })).status).toBe(200);
    for (const path of ['/ap', '/ap/', '/ap/Nothing', '/ap/GetUserInfo', '/ap/SendOrder', '/GetUserInfo', '/ap/AuthenticateUser/extra', '/ap/ap/LogOut', '/v2/user/auth']) {
      expect(await t.send(path, { headers: { aptoken: web } }), path).toBeNull();
    }
  });

  it('AuthenticateUser takes the four values as a JSON body too, UserId and Nonce as numbers', async () => {
    const t = setup();
    const key = await addKey(t, await webLogin(t));
    const signed = signAuthenticateUser({ apiKey: key.APIKey, apiSecret: key.APISecret, userId: key.UserId, nonce: 1_700_000_000 });
    const answer = await t.post('/AuthenticateUser', { json: { APIKey: key.APIKey, Signature: signed.signature, UserId: 1, Nonce: 1_700_000_000 } });
    expectSignedIn(answer, { UserId: 1, UserName: 'alice' });
  });

  it('a string user id goes out as a string, a numeric one as a number', async () => {
    const t = setup();
    const web = await webLogin(t, CAROL);
    const key = await addKey(t, web, { UserId: 'u-carol', Permissions: [] });
    expect(key.UserId).toBe('u-carol');
    await apiLogin(t, key, 'c-1', 'carol');
    const listed = await t.post('/ap/GetUserAPIKeys', { json: { UserId: 'u-carol' }, headers: { aptoken: web } });
    expect(listed.body[0].UserId).toBe('u-carol');
  });

  it('AuthenticateUser answers with the user id as the name for a key issued without a user name', async () => {
    const t = setup();
    const issued = await t.manager.issue('5', { permissions: [] });
    if (!issued.ok) throw issued.error;
    const key = { ...issued.value, UserId: 5, Permissions: [] };
    await apiLogin(t, key, 'x-1', '5');
  });
});

describe('createApexRoutes: AuthenticateUser refusals', () => {
  it('refuses in the AuthenticateUser shape: no values, a wrong signature, an unknown key, malformed values, a replayed nonce', async () => {
    const t = setup();
    const key = await addKey(t, await webLogin(t));
    expectWire(await t.post('/AuthenticateUser'), 401, VALUES_REQUIRED);
    const good = signedHeaders(key, 'r-1');
    const flipped = `${good['Signature']!.slice(0, -1)}${good['Signature']!.endsWith('0') ? '1' : '0'}`;
    expectWire(await t.post('/AuthenticateUser', { headers: { ...good, Signature: flipped } }), 401, INVALID_KEY);
    expectWire(await t.post('/AuthenticateUser', { headers: { ...good, APIKey: '0'.repeat(32) } }), 401, INVALID_KEY);
    expectWire(await t.post('/AuthenticateUser', { headers: { ...good, Signature: 'abc' } }), 400, '{"Authenticated":false,"errormsg":"Malformed APIKey, Signature, UserId or Nonce"}');
    await apiLogin(t, key, 'r-1');
    expectWire(await t.post('/AuthenticateUser', { headers: good }), 401, '{"Authenticated":false,"errormsg":"Nonce already used"}');
  });

  it('answers a body consumed before the kit with INTERNAL_ERROR in the AuthenticateUser shape', async () => {
    const t = setup();
    const key = await addKey(t, await webLogin(t));
    const answer = await t.post('/AuthenticateUser', { headers: signedHeaders(key, 'u-1'), json: {}, consumed: true });
    expectWire(answer, 500, '{"Authenticated":false,"errormsg":"Internal error"}');
  });
});

describe('createApexRoutes: WebAuthenticateUser', () => {
  it('gives a wrong user name and a wrong password the same bytes, and missing fields 400', async () => {
    const t = setup({}, 100);
    const wrongPassword = await t.post('/ap/WebAuthenticateUser', { json: { UserName: 'alice', Password: 'nope' } });
    const wrongUser = await t.post('/WebAuthenticateUser', { json: { UserName: 'nobody', Password: 'alice-password' } });
    expectWire(wrongPassword, 401, WRONG_LOGIN);
    expectWire(wrongUser, 401, WRONG_LOGIN);
    const invalid = '{"Authenticated":false,"errormsg":"Invalid parameters"}';
    for (const json of [{ UserName: 'alice' }, { Password: 'x' }, { UserName: 'alice', Password: '' }, { UserName: 1, Password: 'x' }, {}]) {
      expectWire(await t.post('/ap/WebAuthenticateUser', { json }), 400, invalid, JSON.stringify(json));
    }
    expectWire(await t.post('/ap/WebAuthenticateUser'), 400, invalid);
  });

  it('takes JSON only: a form is 415, broken JSON or an array 400, a large body 413, a consumed body 500', async () => {
    const t = setup();
    expectWire(
      await t.post('/ap/WebAuthenticateUser', { rawBody: 'UserName=alice&Password=alice-password', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      '{"Authenticated":false,"errormsg":"Send the data as JSON (Content-Type: application/json)"}',
    );
    expectWire(await t.post('/ap/WebAuthenticateUser', { rawBody: 'alice', headers: { 'content-type': 'text/plain' } }), 415, '{"Authenticated":false,"errormsg":"Send the data as JSON (Content-Type: application/json)"}');
    expectWire(await t.post('/ap/WebAuthenticateUser', { rawBody: '{"UserName":', headers: { 'content-type': 'application/json' } }), 400, '{"Authenticated":false,"errormsg":"Malformed request"}');
    expectWire(await t.post('/ap/WebAuthenticateUser', { json: ['alice', 'alice-password'] }), 400, '{"Authenticated":false,"errormsg":"Malformed request"}');
    expectWire(await t.post('/ap/WebAuthenticateUser', { json: { UserName: 'alice', Password: 'x'.repeat(5000) } }), 413, '{"Authenticated":false,"errormsg":"Request too large"}');
    expectWire(await t.post('/ap/WebAuthenticateUser', { json: { UserName: 'alice', Password: 'alice-password' }, consumed: true }), 500, '{"Authenticated":false,"errormsg":"Internal error"}');
    expect(t.logins).toEqual([]);
  });

  it('gives the callback the request, and throttles failures per IP and per user name before the callback runs', async () => {
    const t = setup({}, 3);
    for (let i = 0; i < 3; i++) expectWire(await t.post('/ap/WebAuthenticateUser', { json: { UserName: 'alice', Password: `wrong-${i}` } }), 401, WRONG_LOGIN);
    expect(t.logins).toEqual(['alice from 127.0.0.1', 'alice from 127.0.0.1', 'alice from 127.0.0.1']);
    const throttled = '{"Authenticated":false,"errormsg":"Too many requests"}';
    // The right password too, from this address, and for this user from any address.
    expectWire(await t.post('/ap/WebAuthenticateUser', { json: { UserName: 'alice', Password: 'alice-password' } }), 429, throttled);
    expectWire(await t.post('/ap/WebAuthenticateUser', { json: { UserName: 'bob', Password: 'bob-password' } }), 429, throttled);
    expectWire(await t.post('/ap/WebAuthenticateUser', { json: { UserName: 'alice', Password: 'alice-password' }, from: '127.0.0.2' }), 429, throttled);
    expect(t.logins).toHaveLength(3);
    // Another user from another address is not affected.
    expect((await t.post('/ap/WebAuthenticateUser', { json: { UserName: 'bob', Password: 'bob-password' }, from: '127.0.0.2' })).status).toBe(200);
    // After the window, alice may try again.
    t.clock.advanceBySeconds(900);
    await webLogin(t);
  });

  it('is not served without verifyLogin (the request is left to the application)', async () => {
    const t = setup();
    const kit = createApexRoutes({ authenticateUser: t.authenticateUser, sessions: t.sessions, manager: t.manager });
    expect(kit.routes.map((route) => route.path)).toEqual(['/AuthenticateUser', '/AddUserAPIKey', '/GetUserAPIKeys', '/RemoveUserAPIKey', '/LogOut']);
    const answer = createRouteKitHandler(kit);
    expect(await answer(toAuthRequest(new Request('http://apex.test/ap/WebAuthenticateUser', { method: 'POST', body: '{}' })))).toBeNull();
  });

  it("answers a callback's STORE_UNAVAILABLE with 503 in the AuthenticateUser shape, and any other throw with INTERNAL_ERROR, reported", async () => {
    const failing = (error: Error) => async (): Promise<ApexLoginUser | null> => {
      throw error;
    };
    const t = setup({ verifyLogin: failing(new AuthError('STORE_UNAVAILABLE')) });
    expectWire(await t.post('/ap/WebAuthenticateUser', { json: { UserName: 'alice', Password: 'alice-password' } }), 503, LOGIN_UNAVAILABLE);
    const bug = setup({ verifyLogin: failing(new Error('accounts table missing')) });
    expectWire(await bug.post('/ap/WebAuthenticateUser', { json: { UserName: 'alice', Password: 'alice-password' } }), 500, OPERATION_FAILED);
    expect(bug.errors.map((error) => (error as Error).message)).toEqual(['accounts table missing']);
    const malformed = setup({ verifyLogin: async () => ({ id: 1 }) as unknown as ApexLoginUser });
    expect((await malformed.post('/ap/WebAuthenticateUser', { json: { UserName: 'alice', Password: 'alice-password' } })).status).toBe(500);
    expect(String(malformed.errors[0])).toMatch(/verifyLogin must resolve to \{ userId, userName \}/);
  });

  it('answers a throttle whose store fails with 503, without running the callback', async () => {
    const t = setup();
    vi.spyOn(t.ephemeral, 'get').mockRejectedValue(new Error('redis down'));
    expectWire(await t.post('/ap/WebAuthenticateUser', { json: { UserName: 'alice', Password: 'alice-password' } }), 503, LOGIN_UNAVAILABLE);
    expect(t.logins).toEqual([]);
    expect(t.errors).toEqual([]);
  });

  it('starts a web session with no permissions, ending the oldest past 20 per user', async () => {
    const t = setup();
    const tokens: string[] = [];
    for (let i = 0; i < 21; i++) {
      tokens.push(await webLogin(t));
      t.clock.advanceBySeconds(1);
    }
    expectWire(await t.post('/ap/GetUserAPIKeys', { json: { UserId: 1 }, headers: { aptoken: tokens[0]! } }), 401, NOT_AUTHORIZED);
    for (const token of tokens.slice(1)) expect((await t.post('/ap/GetUserAPIKeys', { json: { UserId: 1 }, headers: { aptoken: token } })).status).toBe(200);
    const web = await t.sessions.authenticate(toAuthRequest(new Request('http://apex.test/x', { headers: { aptoken: tokens[20]! } })));
    expect(web).toMatchObject({ type: 'authenticated', principal: { id: '1', attributes: { userName: 'alice' } }, credential: { kind: 'web-session', scopes: [] } });
    const trading = await createAuthGuard(t.sessions, { require: 'Trading' })(toAuthRequest(new Request('http://apex.test/x', { headers: { aptoken: tokens[20]! } })));
    expect(trading).toMatchObject({ type: 'refused', refusal: { error: { code: 'SCOPE_DENIED' } } });
  });
});

describe('createApexRoutes: key management', () => {
  it('lists keys without secrets, with ISO dates, and LastUsed once a key signed in', async () => {
    const t = setup();
    const web = await webLogin(t);
    const first = await addKey(t, web);
    t.clock.advanceBySeconds(1);
    const second = await addKey(t, web, { UserId: '1', Permissions: ['Deposit', 'Withdraw'], AllowedIps: ['127.0.0.1'] });
    expect(second.UserId).toBe(1);
    const listed = await t.post('/ap/GetUserAPIKeys', { json: { UserId: 1 }, headers: { aptoken: web } });
    const ids = (listed.body as { ApiKeyId: string }[]).map((row) => row.ApiKeyId);
    expectWire(
      listed,
      200,
      JSON.stringify([
        { ApiKeyId: ids[0], APIKeyHint: first.APIKey.slice(0, 4), UserId: 1, Permissions: ['Trading'], AllowedIps: [], Created: '2026-11-22T12:00:00.000Z', LastUsed: null },
        { ApiKeyId: ids[1], APIKeyHint: second.APIKey.slice(0, 4), UserId: 1, Permissions: ['Deposit', 'Withdraw'], AllowedIps: ['127.0.0.1'], Created: '2026-11-22T12:00:01.000Z', LastUsed: null },
      ]),
    );
    for (const secret of [first.APIKey, first.APISecret, second.APIKey, second.APISecret]) expect(listed.text).not.toContain(secret);
    t.clock.advanceBySeconds(60);
    await apiLogin(t, first, 'l-1');
    await vi.waitFor(async () => {
      const again = await t.post('/ap/GetUserAPIKeys', { json: { UserId: 1 }, headers: { aptoken: web } });
      expect(again.body[0].LastUsed).toBe('2026-11-22T12:01:01.000Z');
    });
  });

  it('removes a key by APIKey or by ApiKeyId, ending its sessions at once; a second removal is 404', async () => {
    const t = setup();
    const web = await webLogin(t);
    const first = await addKey(t, web);
    const second = await addKey(t, web);
    const firstSession = await apiLogin(t, first, 'd-1');
    const secondSession = await apiLogin(t, second, 'd-2');
    expectWire(await t.post('/ap/RemoveUserAPIKey', { json: { UserId: 1, APIKey: first.APIKey }, headers: { aptoken: web } }), 200, OK);
    expectWire(await t.post('/ap/LogOut', { headers: { aptoken: firstSession } }), 401, NOT_AUTHORIZED);
    expectWire(await t.post('/AuthenticateUser', { headers: signedHeaders(first, 'd-3') }), 401, INVALID_KEY);

    const listed = await t.post('/ap/GetUserAPIKeys', { json: { UserId: 1 }, headers: { aptoken: web } });
    const secondId = listed.body[0].ApiKeyId as string;
    expectWire(await t.post('/RemoveUserAPIKey', { json: { UserId: '1', ApiKeyId: secondId }, headers: { aptoken: web } }), 200, OK);
    expectWire(await t.post('/ap/LogOut', { headers: { aptoken: secondSession } }), 401, NOT_AUTHORIZED);
    expectWire(await t.post('/ap/RemoveUserAPIKey', { json: { UserId: 1, ApiKeyId: secondId }, headers: { aptoken: web } }), 404, NOT_FOUND);
    expectWire(await t.post('/ap/GetUserAPIKeys', { json: { UserId: 1 }, headers: { aptoken: web } }), 200, '[]');
  });

  it('checks its inputs: a bad permission, IP or reference is 400, so is neither or both of APIKey and ApiKeyId', async () => {
    const t = setup();
    const web = await webLogin(t);
    for (const json of [
      { UserId: 1, Permissions: ['Admin'] },
      { UserId: 1, Permissions: 'Trading' },
      { UserId: 1, Permissions: ['Trading'], AllowedIps: '127.0.0.1' },
      { UserId: 1, Permissions: [], AllowedIps: ['10.0.0.300'] },
    ]) {
      expectWire(await t.post('/ap/AddUserAPIKey', { json, headers: { aptoken: web } }), 400, INVALID_REQUEST, JSON.stringify(json));
    }
    for (const json of [{}, { Permissions: ['Trading'] }, { UserId: 'one' }, { UserId: '01' }, { UserId: 1.5 }, { UserId: -1 }, { UserId: null }, { UserId: [1] }]) {
      expectWire(await t.post('/ap/AddUserAPIKey', { json, headers: { aptoken: web } }), 400, USER_ID_REQUIRED, JSON.stringify(json));
    }
    const both = '{"result":false,"errormsg":"Invalid Request","errorcode":100,"detail":"Send APIKey or ApiKeyId"}';
    expectWire(await t.post('/ap/RemoveUserAPIKey', { json: { UserId: 1 }, headers: { aptoken: web } }), 400, both);
    expectWire(await t.post('/ap/RemoveUserAPIKey', { json: { UserId: 1, APIKey: 'a'.repeat(32), ApiKeyId: 'hk_x' }, headers: { aptoken: web } }), 400, both);
    expectWire(await t.post('/ap/RemoveUserAPIKey', { json: { UserId: 1, APIKey: 5 }, headers: { aptoken: web } }), 400, INVALID_REQUEST);
    expectWire(await t.post('/ap/RemoveUserAPIKey', { json: { UserId: 1, APIKey: 'not-a-key' }, headers: { aptoken: web } }), 400, INVALID_REQUEST);
  });

  it('takes JSON only: a form is 415, broken JSON 400, a large body 413; a consumed body is INTERNAL_ERROR, reported', async () => {
    const t = setup();
    const web = await webLogin(t);
    expectWire(await t.post('/ap/AddUserAPIKey', { rawBody: 'UserId=1', headers: { aptoken: web, 'content-type': 'application/x-www-form-urlencoded' } }), 415, JSON_ONLY);
    expectWire(await t.post('/ap/AddUserAPIKey', { rawBody: '{"UserId":', headers: { aptoken: web, 'content-type': 'application/json' } }), 400, INVALID_REQUEST);
    expectWire(await t.post('/ap/GetUserAPIKeys', { json: 1, headers: { aptoken: web } }), 400, INVALID_REQUEST);
    expectWire(await t.post('/ap/AddUserAPIKey', { json: { UserId: 1, Permissions: ['Trading'], padding: 'x'.repeat(5000) }, headers: { aptoken: web } }), 413, INVALID_REQUEST);
    expectWire(await t.post('/ap/AddUserAPIKey', { json: { UserId: 1, Permissions: ['Trading'] }, headers: { aptoken: web }, consumed: true }), 500, OPERATION_FAILED);
    expect(String(t.errors[0])).toMatch(/body was consumed before the route kit/);
    expectWire(await t.post('/ap/GetUserAPIKeys', { json: { UserId: 1 }, headers: { aptoken: web } }), 200, '[]');
  });

  it('refuses an API-key session and a call without a session on every key route (401 Not Authorized)', async () => {
    const t = setup();
    const web = await webLogin(t);
    const key = await addKey(t, web);
    const aptoken = await apiLogin(t, key, 's-1');
    for (const [path, json] of [
      ['/ap/AddUserAPIKey', { UserId: 1, Permissions: ['Trading'] }],
      ['/AddUserAPIKey', { UserId: 1, Permissions: ['Trading'] }],
      ['/ap/GetUserAPIKeys', { UserId: 1 }],
      ['/ap/RemoveUserAPIKey', { UserId: 1, APIKey: key.APIKey }],
    ] as const) {
      expectWire(await t.post(path, { json, headers: { aptoken } }), 401, NOT_AUTHORIZED, `${path} with an API session`);
      expectWire(await t.post(path, { json }), 401, NOT_AUTHORIZED, `${path} without a session`);
      expectWire(await t.post(path, { json, headers: { aptoken: 'not-a-token' } }), 400, NOT_AUTHORIZED, `${path} with a malformed token`);
      expectWire(await t.post(path, { json, headers: { aptoken: key.APIKey.repeat(2) } }), 401, NOT_AUTHORIZED, `${path} with a hex value that is no token`);
    }
    // Nothing changed: still one key, and it still signs in.
    expect((await t.post('/ap/GetUserAPIKeys', { json: { UserId: 1 }, headers: { aptoken: web } })).body).toHaveLength(1);
    await apiLogin(t, key, 's-2');
  });

  it("refuses another user's UserId on every key route (403 Not Authorized); under one's own UserId another's key is not found", async () => {
    const t = setup();
    const aliceWeb = await webLogin(t);
    const key = await addKey(t, aliceWeb);
    const listed = (await t.post('/ap/GetUserAPIKeys', { json: { UserId: 1 }, headers: { aptoken: aliceWeb } })).body;
    const bobWeb = await webLogin(t, BOB);
    for (const [path, json] of [
      ['/ap/GetUserAPIKeys', { UserId: 1 }],
      ['/ap/AddUserAPIKey', { UserId: 1, Permissions: ['Trading'] }],
      ['/ap/RemoveUserAPIKey', { UserId: 1, APIKey: key.APIKey }],
      ['/ap/RemoveUserAPIKey', { UserId: '1', ApiKeyId: listed[0].ApiKeyId }],
      ['/ap/GetUserAPIKeys', { UserId: 3 }],
    ] as const) {
      expectWire(await t.post(path, { json, headers: { aptoken: bobWeb } }), 403, NOT_AUTHORIZED, JSON.stringify(json));
    }
    expectWire(await t.post('/ap/RemoveUserAPIKey', { json: { UserId: 2, APIKey: key.APIKey }, headers: { aptoken: bobWeb } }), 404, NOT_FOUND);
    expectWire(await t.post('/ap/RemoveUserAPIKey', { json: { UserId: 2, ApiKeyId: listed[0].ApiKeyId }, headers: { aptoken: bobWeb } }), 404, NOT_FOUND);
    await apiLogin(t, key, 'o-1');
    // A numeric caller is matched by number: a UserId that is no decimal is malformed, not someone else's.
    expectWire(await t.post('/ap/GetUserAPIKeys', { json: { UserId: 'u-carol' }, headers: { aptoken: bobWeb } }), 400, USER_ID_REQUIRED);
    // A string-id user is matched as such: a number is not carol's id.
    const carolWeb = await webLogin(t, CAROL);
    expectWire(await t.post('/ap/GetUserAPIKeys', { json: { UserId: 1 }, headers: { aptoken: carolWeb } }), 403, NOT_AUTHORIZED);
    expectWire(await t.post('/ap/GetUserAPIKeys', { json: { UserId: 'u carol' }, headers: { aptoken: carolWeb } }), 400, USER_ID_REQUIRED);
  });

  it('refuses the key past the limit with 403 Operation Failed', async () => {
    const store = createMemoryCredentialStore();
    const manager = createHmacKeyManager({ store, sealer, maxKeysPerUser: 1 });
    const kit = createApexRoutes({ authenticateUser: hmacSignature({ store, sealer, noncePolicy: 'issued' }), sessions: hmacSession({ store, sessionKinds: ['api', 'web'] }), manager });
    const answer = createRouteKitHandler(kit);
    const web = await manager.startWebSession({ userId: '1', userName: 'alice' });
    if (!web.ok) throw web.error;
    const add = async () => {
      const reply = await answer(toAuthRequest(new Request('http://apex.test/ap/AddUserAPIKey', { method: 'POST', headers: { aptoken: web.value.token, 'content-type': 'application/json' }, body: '{"UserId":1}' })));
      return reply === null ? null : { status: reply.httpStatus, text: JSON.stringify(reply.body) };
    };
    expect((await add())?.status).toBe(200);
    expect(await add()).toEqual({ status: 403, text: OPERATION_FAILED });
  });
});

describe('createApexRoutes: LogOut', () => {
  it('ends either kind of session; without one it is 401, with a malformed token 400', async () => {
    const t = setup();
    const web = await webLogin(t);
    const key = await addKey(t, web);
    const aptoken = await apiLogin(t, key, 'o-1');
    expectWire(await t.post('/ap/LogOut', { headers: { aptoken } }), 200, OK);
    expectWire(await t.post('/ap/LogOut', { headers: { aptoken: web } }), 200, OK);
    for (const token of [aptoken, web]) expectWire(await t.post('/LogOut', { headers: { aptoken: token } }), 401, NOT_AUTHORIZED);
    expectWire(await t.post('/ap/LogOut'), 401, NOT_AUTHORIZED);
    expectWire(await t.post('/ap/LogOut', { headers: { aptoken: 'not-a-token' } }), 400, NOT_AUTHORIZED);
    // An API key is not a session token.
    expectWire(await t.post('/ap/LogOut', { headers: { aptoken: key.APISecret } }), 401, NOT_AUTHORIZED);
  });
});

describe('createApexRoutes: what no route answers', () => {
  it('answers another method than POST with 405, Allow: POST, in the APEX call shape, at both base paths', async () => {
    const t = setup();
    for (const route of ['AuthenticateUser', 'WebAuthenticateUser', 'AddUserAPIKey', 'GetUserAPIKeys', 'RemoveUserAPIKey', 'LogOut']) {
      for (const path of [`/${route}`, `/ap/${route}`]) {
        for (const method of ['GET', 'PUT', 'DELETE']) {
          const answer = await t.post(path, { method });
          expectWire(answer, 405, USE_POST, `${method} ${path}`);
          expect(answer.allow, path).toBe('POST');
        }
      }
    }
  });

  it("renders an adapter's 404 as the APEX call failure 'No such endpoint', and other refusals as the sessions strategy does", () => {
    const t = setup();
    expect(t.kit.renderRefusal({ type: 'rejected', error: new AuthError('ROUTE_NOT_FOUND') })).toEqual({
      httpStatus: 404,
      headers: { 'content-type': JSON_TYPE },
      body: { result: false, errormsg: 'Resource Not Found', errorcode: 104, detail: 'No such endpoint' },
    });
    expect(JSON.stringify(t.kit.renderRefusal({ type: 'rejected', error: new AuthError('INTERNAL_ERROR') }).body)).toBe(OPERATION_FAILED);
    expect(t.kit.renderRefusal({ type: 'absent' })).toEqual(t.sessions.renderRefusal({ type: 'absent' }));
  });

  it('describes its routes for an index', () => {
    const { kit } = setup();
    expect(kit.id).toBe('hmac-signature');
    expect(kit.basePaths).toEqual(['', '/ap']);
    const lines = describeRouteKit(kit);
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^POST\s+\/ap\/AuthenticateUser\s+headers \(or JSON body\) APIKey, Signature, UserId, Nonce/);
    expect(lines.join('\n')).toContain('/ap/WebAuthenticateUser');
  });

  it('serves the base paths it is given', async () => {
    const t = setup({ basePaths: ['/apex/'] });
    expect(t.kit.basePaths).toEqual(['/apex']);
    expect(await t.send('/ap/WebAuthenticateUser', { json: { UserName: 'alice', Password: 'alice-password' } })).toBeNull();
    expect((await t.post('/apex/WebAuthenticateUser', { json: { UserName: 'alice', Password: 'alice-password' } })).status).toBe(200);
  });
});

describe('createApexRoutes: a failing store', () => {
  it('is 503 in the route shape, never a success and never a crash', async () => {
    const t = setup();
    const web = await webLogin(t);
    const key = await addKey(t, web);
    const aptoken = await apiLogin(t, key, 'before');
    const broken = new Error('SQLITE_IOERR: disk I/O error');
    let nonce = 0;
    const expectLoginUnavailable = async (what: string) => expectWire(await t.post('/AuthenticateUser', { headers: signedHeaders(key, `f-${nonce++}`) }), 503, LOGIN_UNAVAILABLE, what);
    const manage = (path: string, json: unknown) => t.post(path, { json, headers: { aptoken: web } });

    const find = vi.spyOn(t.store, 'findByDigest').mockRejectedValue(broken);
    await expectLoginUnavailable('findByDigest: AuthenticateUser');
    expectWire(await t.post('/ap/LogOut', { headers: { aptoken } }), 503, OPERATION_FAILED, 'findByDigest: LogOut');
    expectWire(await manage('/ap/GetUserAPIKeys', { UserId: 1 }), 503, OPERATION_FAILED, 'findByDigest: GetUserAPIKeys');
    find.mockRestore();

    const insert = vi.spyOn(t.store, 'insert').mockRejectedValue(broken);
    await expectLoginUnavailable('insert: the AuthenticateUser session');
    expectWire(await manage('/ap/AddUserAPIKey', { UserId: 1, Permissions: ['Trading'] }), 503, OPERATION_FAILED, 'insert: AddUserAPIKey');
    expectWire(await t.post('/ap/WebAuthenticateUser', { json: { UserName: 'alice', Password: 'alice-password' } }), 503, LOGIN_UNAVAILABLE, 'insert: the web session');
    insert.mockRestore();

    const findById = vi.spyOn(t.store, 'findById').mockRejectedValue(broken);
    await expectLoginUnavailable('findById: the AuthenticateUser session');
    expectWire(await manage('/ap/RemoveUserAPIKey', { UserId: 1, ApiKeyId: 'hk_x' }), 503, OPERATION_FAILED, 'findById: RemoveUserAPIKey');
    expectWire(await t.post('/ap/LogOut', { headers: { aptoken } }), 503, OPERATION_FAILED, 'findById: LogOut');
    findById.mockRestore();

    vi.spyOn(t.store, 'listByOwner').mockRejectedValue(broken);
    expectWire(await manage('/ap/GetUserAPIKeys', { UserId: 1 }), 503, OPERATION_FAILED, 'listByOwner');
    vi.spyOn(t.store, 'revoke').mockRejectedValue(broken);
    expectWire(await manage('/ap/RemoveUserAPIKey', { UserId: 1, APIKey: key.APIKey }), 503, OPERATION_FAILED, 'revoke: RemoveUserAPIKey');
    expectWire(await t.post('/ap/LogOut', { headers: { aptoken } }), 503, OPERATION_FAILED, 'revoke: LogOut');
    vi.spyOn(t.ephemeral, 'setIfAbsent').mockRejectedValue(broken);
    await expectLoginUnavailable('ephemeral.setIfAbsent: the nonce');

    vi.restoreAllMocks();
    expect(t.errors).toEqual([]);
    expectWire(await t.post('/ap/LogOut', { headers: { aptoken } }), 200, OK);
    await apiLogin(t, key, 'after');
  });
});

describe('createApexRoutes: sessionKinds', () => {
  it("needs an hmacSession that accepts both kinds, and says so naming `sessions`", () => {
    const t = setup();
    const base = { authenticateUser: t.authenticateUser, manager: t.manager };
    for (const sessionKinds of [undefined, ['api'], ['web']] as const) {
      const sessions = hmacSession({ store: t.store, ...(sessionKinds === undefined ? {} : { sessionKinds }) });
      expect(() => createApexRoutes({ ...base, sessions }), String(sessionKinds)).toThrow(ConfigurationError);
      expect(() => createApexRoutes({ ...base, sessions }), String(sessionKinds)).toThrow(/`sessions`.*sessionKinds: \['api', 'web'\]/);
    }
    expect(() => createApexRoutes({ ...base, sessions: hmacSession({ store: t.store, sessionKinds: ['web', 'api'] }) })).not.toThrow();
  });

  it("keeps web sessions off the application's own routes: an hmacSession with the default kinds refuses them", async () => {
    const t = setup();
    const web = await webLogin(t);
    const aptoken = await apiLogin(t, await addKey(t, web), 'k-1');
    const ownRoutes = createAuthGuard(hmacSession({ store: t.store, clock: t.clock }));
    const call = (token: string) => toAuthRequest(new Request('http://apex.test/ap/GetUserInfo', { method: 'POST', headers: { aptoken: token } }));
    const refused = await ownRoutes(call(web));
    expect(refused).toMatchObject({ type: 'refused', refusal: { error: { code: 'CREDENTIALS_NOT_ACCEPTED_HERE' } } });
    expect(refused.type === 'refused' && JSON.stringify(refused.reply.body)).toBe(NOT_AUTHORIZED);
    expect(await ownRoutes(call(aptoken))).toMatchObject({ type: 'allowed', auth: { credential: { kind: 'session' } } });
  });
});

describe('createApexRoutes: options', () => {
  it('refuses bad options at construction, naming them', () => {
    const t = setup();
    const good: ApexRoutesOptions = { authenticateUser: t.authenticateUser, sessions: t.sessions, manager: t.manager };
    const cases: [string, unknown][] = [
      ['options', null],
      ['authenticateUser', { ...good, authenticateUser: {} }],
      ['sessions', { ...good, sessions: undefined }],
      ['manager', { ...good, manager: { ...t.manager, startWebSession: undefined } }],
      ['manager', { ...good, manager: null }],
      ['verifyLogin', { ...good, verifyLogin: 'yes' }],
      ['loginThrottle', { ...good, verifyLogin: async () => null, loginThrottle: {} }],
      ['loginThrottle', { ...good, loginThrottle: createLoginThrottle(t.ephemeral) }],
      ['basePaths', { ...good, basePaths: [] }],
      ['basePaths', { ...good, basePaths: ['ap'] }],
      ['basePaths', { ...good, basePaths: '/ap' }],
    ];
    for (const [option, options] of cases) {
      expect(() => createApexRoutes(options as ApexRoutesOptions), option).toThrow(ConfigurationError);
      expect(() => createApexRoutes(options as ApexRoutesOptions), option).toThrow(new RegExp(`\`${option}\``));
    }
  });
});
