import {
  AuthError,
  ConfigurationError,
  createAuthGuard,
  createFetchRequestAdapter,
  createManualClock,
  createMemoryCredentialStore,
  createRouteKitHandler,
  describeRouteKit,
  toFetchResponse,
  type AuthRequest,
  type CredentialStore,
  type FetchRequestContext,
  type WireReply,
} from '@gatehouse/auth-core';
import { describe, expect, it, vi } from 'vitest';
import { accessHashCookie, createAccessHashManager, createAccessHashRoutes, type AccessHashRoutesOptions } from './index.js';

const BASE = '/api/v1/access-hashes';
const ADMIN_IP = '198.51.100.20';
const CLIENT_IP = '203.0.113.7';
const OTHER_IP = '203.0.113.8';
const CREATED = '2022-11-18T09:38:37+00:00';
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };
const HASH = /^[0-9a-f]{80}$/;
const MAX_BODY_BYTES = 1024;

const error = (text: string): string => `{"error":"${text}","msg":"","status":"error"}`;
const success = (msg: unknown): string => `{"error":"","msg":${JSON.stringify(msg)},"status":"success"}`;

/** The session layer's own refusal, as an application's `authorize` would hand it back. */
const LOGIN_REQUIRED: WireReply<unknown> = {
  httpStatus: 401,
  headers: { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Cookie realm="panel"' },
  body: { error: 'Login required', msg: '', status: 'error' },
};

/** An administrator by the `panel_session` cookie: `admin` and `other` are two owners; anyone else is refused. */
const byPanelSession = async (request: AuthRequest): Promise<string | AuthError | WireReply<unknown>> => {
  const session = request.cookie('panel_session');
  if (session === 'admin' || session === 'other') return session;
  if (session === 'user') return new AuthError('OPERATION_NOT_PERMITTED');
  return LOGIN_REQUIRED;
};

interface Setup {
  readonly maxHashesPerOwner?: number;
  readonly store?: CredentialStore;
  readonly authorize?: AccessHashRoutesOptions['authorize'];
  readonly basePath?: string;
}

interface Sent {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

interface CallInit {
  readonly session?: string;
  readonly json?: unknown;
  readonly body?: string;
  readonly contentType?: string;
  readonly ip?: string;
  readonly readBody?: FetchRequestContext['readBody'];
  /** Reads the request's own body before the kit sees it (a framework parser that kept nothing). */
  readonly consumeBody?: boolean;
}

function setup(options: Setup = {}) {
  const store = options.store ?? createMemoryCredentialStore();
  const clock = createManualClock(Date.UTC(2022, 10, 18, 9, 38, 37));
  const manager = createAccessHashManager({ store, clock, ...(options.maxHashesPerOwner === undefined ? {} : { maxHashesPerOwner: options.maxHashesPerOwner }) });
  const authorize = vi.fn(options.authorize ?? byPanelSession);
  const kit = createAccessHashRoutes({ manager, authorize, ...(options.basePath === undefined ? {} : { basePath: options.basePath }) });
  const errors: unknown[] = [];
  const answer = createRouteKitHandler(kit, { onError: (failure) => errors.push(failure) });
  const toAuthRequest = createFetchRequestAdapter({ maxBodyBytes: MAX_BODY_BYTES });
  const guard = createAuthGuard(accessHashCookie({ store, clock }));

  const call = async (method: string, path: string, init: CallInit = {}): Promise<Sent | null> => {
    const headers = new Headers();
    if (init.session !== undefined) headers.set('cookie', `panel_session=${init.session}`);
    let body = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers.set('content-type', 'application/json');
    }
    if (init.contentType !== undefined) headers.set('content-type', init.contentType);
    const request = new Request(`http://panel.test${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    if (init.consumeBody === true) await request.text();
    const context: FetchRequestContext = { remoteAddress: init.ip ?? ADMIN_IP, ...(init.readBody === undefined ? {} : { readBody: init.readBody }) };
    const reply = await answer(toAuthRequest(request, context));
    if (reply === null) return null;
    const response = toFetchResponse(reply);
    return { status: response.status, headers: reply.headers, text: await response.text() };
  };

  /** Creates a hash as `admin` (or `session`), expecting the 201. */
  const create = async (name = 'monitoring', ip = CLIENT_IP, session = 'admin'): Promise<{ id: string; hash: string }> => {
    const sent = await call('POST', BASE, { session, json: { name, ip } });
    expect(sent?.status, sent?.text).toBe(201);
    const { msg } = JSON.parse(sent?.text ?? '{}') as { msg: { id: string; hash: string } };
    return { id: msg.id, hash: msg.hash };
  };

  /** What the access-hash strategy makes of `hash` sent from `ip`: the owner id, or the refusal as sent. */
  const use = async (hash: string, ip: string): Promise<string> => {
    const request = new Request('http://panel.test/api/v1/system/status', { headers: { cookie: `access_hash=${hash}` } });
    const decision = await guard(toAuthRequest(request, { remoteAddress: ip }));
    if (decision.type === 'allowed') return `allowed ${decision.auth?.principal.id}`;
    return `${decision.reply.httpStatus} ${JSON.stringify(decision.reply.body)}`;
  };

  return { store, clock, manager, authorize, kit, errors, call, create, use };
}

const failing = async (): Promise<never> => {
  throw new Error('database down');
};

describe('createAccessHashRoutes: the PUQ management routes', () => {
  it('creates a hash bound to one IP with 201 {id,name,ip,hash,created}, the only reply that shows the hash', async () => {
    const { call } = setup();
    const sent = await call('POST', BASE, { session: 'admin', json: { name: 'monitoring', ip: ' ::ffff:203.0.113.7 ' } });
    const { msg } = JSON.parse(sent?.text ?? '{}') as { msg: { id: string; hash: string } };
    expect(msg.hash).toMatch(HASH);
    expect(msg.id).toMatch(/^ah_/);
    expect(sent).toEqual({
      status: 201,
      headers: JSON_HEADERS,
      text: success({ id: msg.id, name: 'monitoring', ip: CLIENT_IP, hash: msg.hash, created: CREATED }),
    });
  });

  it('lists the administrator’s hashes as [{id,name,ip,created,last_login}], oldest first, never the hash', async () => {
    const { call, create, clock } = setup();
    const first = await create('monitoring', CLIENT_IP);
    clock.advanceBySeconds(60);
    const second = await create('backup host', '2001:db8::1');
    const sent = await call('GET', BASE, { session: 'admin' });
    expect(sent).toEqual({
      status: 200,
      headers: JSON_HEADERS,
      text: success([
        { id: first.id, name: 'monitoring', ip: CLIENT_IP, created: CREATED, last_login: null },
        { id: second.id, name: 'backup host', ip: '2001:db8::1', created: '2022-11-18T09:39:37+00:00', last_login: null },
      ]),
    });
    for (const { hash } of [first, second]) {
      expect(sent?.text).not.toContain(hash);
      expect(sent?.text).not.toContain(hash.slice(0, 16));
    }
    // HEAD is served by the GET route.
    expect((await call('HEAD', BASE, { session: 'admin' }))?.status).toBe(200);
  });

  it('create → use from its IP only → list (never the hash) → delete → the hash stops at once', async () => {
    const { call, create, use } = setup();
    const { id, hash } = await create('monitoring', CLIENT_IP);

    expect(await use(hash, CLIENT_IP)).toBe('allowed admin');
    expect(await use(hash, `::ffff:${CLIENT_IP}`)).toBe('allowed admin');
    expect(await use(hash, OTHER_IP)).toBe('403 {"error":"Access hash is not valid from this IP address","msg":"","status":"error"}');

    // The use shows as the last login (the strategy records it without holding up the request).
    await vi.waitFor(async () => {
      const listed = await call('GET', BASE, { session: 'admin' });
      expect(listed?.text).toBe(success([{ id, name: 'monitoring', ip: CLIENT_IP, created: CREATED, last_login: CREATED }]));
    });
    expect((await call('GET', BASE, { session: 'admin' }))?.text).not.toContain(hash);

    expect(await call('DELETE', `${BASE}/${id}`, { session: 'admin' })).toEqual({ status: 200, headers: JSON_HEADERS, text: success({ id }) });
    expect(await use(hash, CLIENT_IP)).toBe('401 {"error":"Invalid access hash","msg":"","status":"error"}');
    expect((await call('GET', BASE, { session: 'admin' }))?.text).toBe(success([]));
    // Deleting it again: it is no longer there.
    expect(await call('DELETE', `${BASE}/${id}`, { session: 'admin' })).toEqual({ status: 404, headers: JSON_HEADERS, text: error('Access hash not found') });
  });

  it('deleting an unknown id or another administrator’s hash is 404 "Access hash not found", and the hash keeps working', async () => {
    const { call, create, use } = setup();
    const theirs = await create('theirs', CLIENT_IP, 'other');
    for (const id of [theirs.id, 'ah_doesnotexist0000000']) {
      expect(await call('DELETE', `${BASE}/${id}`, { session: 'admin' }), id).toEqual({ status: 404, headers: JSON_HEADERS, text: error('Access hash not found') });
    }
    expect(await use(theirs.hash, CLIENT_IP)).toBe('allowed other');
    expect((await call('GET', BASE, { session: 'admin' }))?.text).toBe(success([]));
    expect((await call('GET', BASE, { session: 'other' }))?.text).toContain(theirs.id);
  });

  it('deleting by a malformed id (over 100 characters) is 400 PARAMETER_INVALID, not an unknown hash', async () => {
    const { call } = setup();
    expect(await call('DELETE', `${BASE}/${'x'.repeat(101)}`, { session: 'admin' })).toEqual({ status: 400, headers: JSON_HEADERS, text: error('Invalid parameters') });
  });

  it('a bad name or IP is 400 "Invalid parameters" and creates nothing', async () => {
    const { call } = setup();
    for (const json of [{ name: '', ip: CLIENT_IP }, { name: 'x', ip: '10.0.0.0/8' }, { name: 'x', ip: '0.0.0.0' }, { name: 'x' }, { ip: CLIENT_IP }, { name: 5, ip: CLIENT_IP }, { name: 'a\u202eb', ip: CLIENT_IP }, {}]) {
      expect(await call('POST', BASE, { session: 'admin', json }), JSON.stringify(json)).toEqual({ status: 400, headers: JSON_HEADERS, text: error('Invalid parameters') });
    }
    expect((await call('GET', BASE, { session: 'admin' }))?.text).toBe(success([]));
  });

  it('past maxHashesPerOwner creating is 403 LIMIT_EXCEEDED in the envelope; deleting one makes room', async () => {
    const { call, create } = setup({ maxHashesPerOwner: 2 });
    const first = await create('one');
    await create('two');
    expect(await call('POST', BASE, { session: 'admin', json: { name: 'three', ip: CLIENT_IP } })).toEqual({ status: 403, headers: JSON_HEADERS, text: error('Too many access hashes') });
    // The limit is per administrator.
    await create('theirs', CLIENT_IP, 'other');
    await call('DELETE', `${BASE}/${first.id}`, { session: 'admin' });
    await create('three');
  });
});

describe('createAccessHashRoutes: bodies', () => {
  it('a body that is not JSON (form, text, no type) is 415 and creates nothing', async () => {
    const { call } = setup();
    const notJson = { status: 415, headers: JSON_HEADERS, text: error('Send the data as JSON (Content-Type: application/json)') };
    const json = JSON.stringify({ name: 'x', ip: CLIENT_IP });
    expect(await call('POST', BASE, { session: 'admin', body: `name=x&ip=${CLIENT_IP}`, contentType: 'application/x-www-form-urlencoded' })).toEqual(notJson);
    expect(await call('POST', BASE, { session: 'admin', body: json, contentType: 'text/plain' })).toEqual(notJson);
    expect(await call('POST', BASE, { session: 'admin', body: json, contentType: 'application/octet-stream' })).toEqual(notJson);
    expect((await call('GET', BASE, { session: 'admin' }))?.text).toBe(success([]));
  });

  it('broken JSON, JSON that is not an object, or no body is 400 "Malformed request"', async () => {
    const { call } = setup();
    for (const body of ['{"name":', '[1,2]', '"text"', 'null', '']) {
      expect(await call('POST', BASE, { session: 'admin', body, contentType: 'application/json' }), body).toEqual({ status: 400, headers: JSON_HEADERS, text: error('Malformed request') });
    }
  });

  it('a body over the adapter’s cap is 413 "Request too large"', async () => {
    const { call } = setup();
    const sent = await call('POST', BASE, { session: 'admin', json: { name: 'x'.repeat(MAX_BODY_BYTES), ip: CLIENT_IP } });
    expect(sent).toEqual({ status: 413, headers: JSON_HEADERS, text: error('Request too large') });
  });

  it('a body something consumed before the kit (unavailable) is 500 INTERNAL_ERROR, reported through onError, never a 400', async () => {
    const { call, errors } = setup();
    const sent = await call('POST', BASE, { session: 'admin', json: { name: 'x', ip: CLIENT_IP }, consumeBody: true });
    expect(sent).toEqual({ status: 500, headers: JSON_HEADERS, text: error('Internal error') });
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('consumed');
  });
});

describe('createAccessHashRoutes: authorize', () => {
  it('runs first on every route, before the body is read and before the manager', async () => {
    const steps: string[] = [];
    const { call, authorize } = setup({
      authorize: async (request) => {
        steps.push(`authorize ${request.method}`);
        return byPanelSession(request);
      },
    });
    // The framework's own copy of a body it already read (as Hono keeps one): the adapter asks for it on first use.
    const readBody = async (): Promise<Uint8Array> => {
      steps.push('body');
      return new TextEncoder().encode(JSON.stringify({ name: 'x', ip: CLIENT_IP }));
    };
    expect((await call('POST', BASE, { session: 'admin', contentType: 'application/json', body: '{}', consumeBody: true, readBody }))?.status).toBe(201);
    expect(steps).toEqual(['authorize POST', 'body']);

    steps.length = 0;
    await call('POST', BASE, { contentType: 'application/json', body: '{}', consumeBody: true, readBody });
    expect(steps).toEqual(['authorize POST']);
    await call('GET', BASE);
    await call('DELETE', `${BASE}/ah_x`);
    expect(authorize).toHaveBeenCalledTimes(4);
  });

  it('a refusal as an AuthError is rendered in the PUQ envelope, and nothing is managed', async () => {
    const { call, create, manager } = setup();
    const { id } = await create();
    const spies = [vi.spyOn(manager, 'list'), vi.spyOn(manager, 'issue'), vi.spyOn(manager, 'revoke')];
    const refused = { status: 403, headers: JSON_HEADERS, text: error('Operation not permitted') };
    expect(await call('GET', BASE, { session: 'user' })).toEqual(refused);
    expect(await call('POST', BASE, { session: 'user', json: { name: 'mine', ip: CLIENT_IP } })).toEqual(refused);
    expect(await call('DELETE', `${BASE}/${id}`, { session: 'user' })).toEqual(refused);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('a refusal as a WireReply (the session layer’s own "Login required") is sent as is, headers included', async () => {
    const { call, create } = setup();
    const { id } = await create();
    const loginRequired = { status: 401, headers: LOGIN_REQUIRED.headers, text: '{"error":"Login required","msg":"","status":"error"}' };
    expect(await call('GET', BASE)).toEqual(loginRequired);
    expect(await call('POST', BASE, { json: { name: 'sneaky', ip: CLIENT_IP } })).toEqual(loginRequired);
    expect(await call('DELETE', `${BASE}/${id}`)).toEqual(loginRequired);
    expect((await call('GET', BASE, { session: 'admin' }))?.text).toContain(id);
  });

  it('an authorize that throws STORE_UNAVAILABLE is 503; any other throw is 500; both reach onError', async () => {
    const down = setup({ authorize: async () => Promise.reject(new AuthError('STORE_UNAVAILABLE')) });
    expect(await down.call('GET', BASE)).toEqual({ status: 503, headers: JSON_HEADERS, text: error('Service unavailable') });
    expect(down.errors).toHaveLength(1);
    const broken = setup({ authorize: failing });
    expect(await broken.call('POST', BASE, { json: { name: 'x', ip: CLIENT_IP } })).toEqual({ status: 500, headers: JSON_HEADERS, text: error('Internal error') });
    expect(broken.errors).toHaveLength(1);
  });

  it('fails closed on anything but an owner id, an AuthError or a WireReply (an empty id included): 500, nothing managed', async () => {
    for (const verdict of ['', null, undefined, 42, {}, { httpStatus: 200 }, { ok: true }]) {
      const { call, manager, errors } = setup({ authorize: async () => verdict as string });
      const list = vi.spyOn(manager, 'list');
      expect(await call('GET', BASE), String(verdict)).toEqual({ status: 500, headers: JSON_HEADERS, text: error('Internal error') });
      expect(list).not.toHaveBeenCalled();
      expect(errors).toHaveLength(1);
    }
  });
});

describe('createAccessHashRoutes: failures and routing', () => {
  it('a failing store is 503 "Service unavailable" on every route, never an empty list', async () => {
    const store = { ...createMemoryCredentialStore(), listByOwner: failing, insert: failing, findById: failing, findByDigest: failing, revoke: failing };
    const { call } = setup({ store });
    const unavailable = { status: 503, headers: JSON_HEADERS, text: error('Service unavailable') };
    expect(await call('GET', BASE, { session: 'admin' })).toEqual(unavailable);
    expect(await call('POST', BASE, { session: 'admin', json: { name: 'x', ip: CLIENT_IP } })).toEqual(unavailable);
    expect(await call('DELETE', `${BASE}/ah_x`, { session: 'admin' })).toEqual(unavailable);
  });

  it('another method on a known path is 405 in the envelope with Allow, without asking authorize', async () => {
    const { call, authorize } = setup();
    const notAllowed = (allow: string) => ({ status: 405, headers: { ...JSON_HEADERS, allow }, text: error('Method not allowed') });
    expect(await call('PUT', BASE, { session: 'admin' })).toEqual(notAllowed('GET, POST, HEAD'));
    expect(await call('DELETE', BASE, { session: 'admin' })).toEqual(notAllowed('GET, POST, HEAD'));
    expect(await call('GET', `${BASE}/ah_x`, { session: 'admin' })).toEqual(notAllowed('DELETE'));
    expect(await call('POST', `${BASE}/ah_x`, { session: 'admin', json: {} })).toEqual(notAllowed('DELETE'));
    expect(authorize).not.toHaveBeenCalled();
  });

  it('leaves every path it does not serve to the application (null)', async () => {
    const { call, authorize } = setup();
    for (const path of ['/api/v1/system/status', '/api/v1', `${BASE}/ah_x/rotate`, `${BASE}x`, '/access-hashes', '/']) {
      expect(await call('GET', path, { session: 'admin' }), path).toBeNull();
    }
    expect(authorize).not.toHaveBeenCalled();
  });

  it('serves below basePath instead of the default', async () => {
    const { call } = setup({ basePath: '/admin/hashes/' });
    expect(await call('GET', BASE, { session: 'admin' })).toBeNull();
    const sent = await call('POST', '/admin/hashes', { session: 'admin', json: { name: 'x', ip: CLIENT_IP } });
    expect(sent?.status).toBe(201);
    const { msg } = JSON.parse(sent?.text ?? '{}') as { msg: { id: string } };
    expect((await call('GET', '/admin/hashes', { session: 'admin' }))?.text).toContain(msg.id);
    expect((await call('DELETE', `/admin/hashes/${msg.id}`, { session: 'admin' }))?.text).toBe(success({ id: msg.id }));
  });

  it('is a RouteKit of the access-hash scheme whose refusals are the strategy’s (absent: 401 "Access hash required")', () => {
    const { kit } = setup();
    expect(kit.id).toBe('access-hash-cookie');
    expect(kit.basePaths).toEqual([BASE]);
    expect(kit.routes.map((route) => `${route.methods.join(',')} ${route.path}`)).toEqual(['GET /', 'POST /', 'DELETE /:id']);
    expect(describeRouteKit(kit).map((line) => line.split(/\s+/).slice(0, 2).join(' '))).toEqual([`GET ${BASE}/`, `POST ${BASE}/`, `DELETE ${BASE}/:id`]);
    expect(kit.renderRefusal({ type: 'absent' })).toEqual({ httpStatus: 401, headers: JSON_HEADERS, body: { error: 'Access hash required', msg: '', status: 'error' } });
    expect(kit.renderRefusal({ type: 'rejected', error: new AuthError('ROUTE_NOT_FOUND') })).toEqual({ httpStatus: 404, headers: JSON_HEADERS, body: { error: 'Not found', msg: '', status: 'error' } });
  });

  it('refuses options it cannot serve with a ConfigurationError naming the option', () => {
    const manager = createAccessHashManager({ store: createMemoryCredentialStore() });
    const authorize = async (): Promise<string> => 'admin';
    const optionOf = (options: unknown): string | undefined => {
      try {
        createAccessHashRoutes(options as AccessHashRoutesOptions);
      } catch (thrown) {
        return thrown instanceof ConfigurationError ? thrown.option : 'not a ConfigurationError';
      }
      return undefined;
    };
    expect(optionOf({ manager, authorize })).toBeUndefined();
    expect(optionOf(null)).toBe('options');
    for (const bad of [undefined, null, {}, { issue: () => null, list: () => null }]) expect(optionOf({ manager: bad, authorize })).toBe('manager');
    for (const bad of [undefined, 'admin', {}]) expect(optionOf({ manager, authorize: bad })).toBe('authorize');
    for (const bad of ['', '/', 'api/v1', '/api v1', '/api//v1', '/api/?x', 42, null]) expect(optionOf({ manager, authorize, basePath: bad }), String(bad)).toBe('basePath');
  });
});
