// The exported route handlers called as Next.js calls them: a Web Request (or a NextRequest) and `{ params }`.
import { AuthError, ConfigurationError, type AuthContext } from '@gatehouse/auth-core';
import { renderAuthenticateUserSuccess, type HmacPrincipal } from '@gatehouse/strategy-hmac-signature';
import type { NvxPrincipal } from '@gatehouse/strategy-nvx-hash';
import { notFound as nextNotFound, redirect } from 'next/navigation.js';
import { NextRequest } from 'next/server.js';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { accessHashScheme, hmacScheme, nvxScheme, nvxTestKit, unwrap, WIRE } from '@gatehouse/adapter-fixtures/schemes';
import { authenticate, errorBridge, notFound, routeKit, withAuth, type RouteHandler } from './index.js';

const ORIGIN = 'https://api.example.com';
const get = (path: string, headers: Record<string, string> = {}): Request => new Request(`${ORIGIN}${path}`, { headers });
const post = (path: string, body: unknown, headers: Record<string, string> = {}): Request =>
  new Request(`${ORIGIN}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const nvxHeader = (hash: string): Record<string, string> => ({ authorization: `NVX ${hash}` });
const params = <T>(value: T) => ({ params: Promise.resolve(value) });

async function expectReply(response: Response | Promise<Response>, status: number, body: string): Promise<void> {
  const settled = await response;
  expect({ status: settled.status, body: await settled.text() }).toEqual({ status, body });
  expect(settled.headers.get('content-type')).toMatch(/^application\/json/);
}

/** What Next.js's generated `RouteHandlerConfig` requires of a route file's exports (Next 15 and 16). */
type NextRouteHandlerConfig<Params> = {
  GET?: (request: NextRequest, context: { params: Promise<Params> }) => Promise<Response | void> | Response | void;
  POST?: (request: NextRequest, context: { params: Promise<Params> }) => Promise<Response | void> | Response | void;
  PUT?: (request: NextRequest, context: { params: Promise<Params> }) => Promise<Response | void> | Response | void;
  PATCH?: (request: NextRequest, context: { params: Promise<Params> }) => Promise<Response | void> | Response | void;
  DELETE?: (request: NextRequest, context: { params: Promise<Params> }) => Promise<Response | void> | Response | void;
};

describe('withAuth', () => {
  it('runs the handler with auth typed as the strategy principal and the route params', async () => {
    const { strategy, apiKey } = await nvxScheme();
    const GET = withAuth(strategy, async (request, { auth, params: routeParams }) => {
      expectTypeOf(auth).toEqualTypeOf<AuthContext<NvxPrincipal>>();
      const { id } = (await routeParams) as { id: string };
      return Response.json({ user: auth.principal.id, kind: auth.credential.kind, tracker: id, path: new URL(request.url).pathname });
    });
    const response = await GET(get('/v2/tracker/7', nvxHeader(apiKey)), params({ id: '7' }));
    expect(await response.json()).toEqual({ user: 'user-1', kind: 'api-key', tracker: '7', path: '/v2/tracker/7' });
    const withoutContext = await GET(get('/v2/tracker/7', nvxHeader(apiKey)));
    expect(await withoutContext.json()).toMatchObject({ user: 'user-1' });
  });

  it("refuses in the scheme's own envelope and never runs the handler", async () => {
    const nvx = await nvxScheme();
    const puq = await accessHashScheme();
    const apex = await hmacScheme();
    const handler = vi.fn(async () => new Response('reached'));
    await expectReply(withAuth(nvx.strategy, handler)(get('/v2/tracker/list')), 400, WIRE.nvxWrongHash);
    await expectReply(withAuth(nvx.strategy, handler)(get('/v2/tracker/list', nvxHeader('c'.repeat(32)))), 400, WIRE.nvxWrongHash);
    await expectReply(withAuth(puq.strategy, handler)(get('/api/v1/system/status')), 401, WIRE.accessHashRequired);
    await expectReply(withAuth(apex.verifier, handler)(post('/AuthenticateUser', {})), 401, WIRE.authenticateUserMissing);
    await expectReply(withAuth(apex.sessions, handler)(post('/ap/GetUserInfo', {}, { aptoken: 'f'.repeat(64) })), 401, WIRE.apexNotAuthorized);
    expect(handler).not.toHaveBeenCalled();
  });

  it('optional: a request without credentials reaches the handler with auth null; a wrong one is still refused', async () => {
    const { strategy, apiKey } = await nvxScheme();
    const GET = withAuth(
      strategy,
      async (_request, { auth }) => {
        expectTypeOf(auth).toEqualTypeOf<AuthContext<NvxPrincipal> | null>();
        return Response.json({ user: auth?.principal.id ?? null });
      },
      { optional: true },
    );
    expect(await (await GET(get('/v2/news'))).json()).toEqual({ user: null });
    expect(await (await GET(get('/v2/news', nvxHeader(apiKey)))).json()).toEqual({ user: 'user-1' });
    await expectReply(GET(get('/v2/news', nvxHeader('d'.repeat(32)))), 400, WIRE.nvxWrongHash);
  });

  it('require: a credential without the permission is refused with SCOPE_DENIED in the envelope', async () => {
    const apex = await hmacScheme();
    const login = withAuth(apex.verifier, async (_request, { auth }) => {
      const session = unwrap(await apex.manager.startSession(auth));
      const reply = renderAuthenticateUserSuccess(session.token, { userId: auth.principal.id, userName: 'demo' });
      return Response.json(reply.body);
    });
    const sendOrder = withAuth(apex.sessions, async () => Response.json({ result: true }), { require: 'Trading' });
    const deposit = withAuth(apex.sessions, async (_request, { auth }) => {
      expectTypeOf(auth).toEqualTypeOf<AuthContext<HmacPrincipal>>();
      return Response.json({ result: true, user: auth.principal.id });
    }, { require: ['Deposit'] });
    const { SessionToken } = (await (await login(new Request(`${ORIGIN}/AuthenticateUser`, { method: 'POST', headers: apex.signed().headers }))).json()) as { SessionToken: string };
    await expectReply(sendOrder(post('/ap/SendOrder', {}, { aptoken: SessionToken })), 403, WIRE.apexNotAuthorized);
    expect(await (await deposit(post('/ap/Deposit', {}, { aptoken: SessionToken }))).json()).toEqual({ result: true, user: '1' });
  });

  it('lets the handler read the body with request.json() after authentication read the credentials from it', async () => {
    const nvx = await nvxScheme();
    const apex = await hmacScheme();
    const POST = withAuth(nvx.strategy, async (request, { auth }) => Response.json({ got: await request.json(), user: auth.principal.id }));
    expect(await (await POST(post('/v2/tracker/list', { hash: nvx.apiKey, labels: ['a'] }))).json()).toEqual({ got: { hash: nvx.apiKey, labels: ['a'] }, user: 'user-1' });
    const signed = apex.signed().body;
    const authenticateUser = withAuth(apex.verifier, async (request, { auth }) => Response.json({ key: auth.credential.id, body: await request.json() }));
    expect(await (await authenticateUser(post('/AuthenticateUser', signed))).json()).toMatchObject({ body: signed });
  });

  it('refuses a body over maxBodyBytes as REQUEST_TOO_LARGE (Navixy code 9, HTTP 412)', async () => {
    const { strategy, apiKey } = await nvxScheme();
    const POST = withAuth(strategy, async () => new Response('reached'), { maxBodyBytes: 64 });
    await expectReply(POST(post('/v2/tracker/list', { hash: apiKey, padding: 'x'.repeat(64) })), 412, WIRE.nvxTooLarge);
    expect((await POST(post('/v2/tracker/list', { hash: apiKey }))).status).toBe(200);
  });

  it("answers what the handler throws in the strategy's envelope: INTERNAL_ERROR (logged), an AuthError as itself, bad JSON as REQUEST_MALFORMED", async () => {
    const nvx = await nvxScheme();
    const apex = await hmacScheme();
    const onError = vi.fn();
    const bug = new TypeError('bug');
    const failing = withAuth(nvx.strategy, async () => {
      throw bug;
    }, { onError });
    await expectReply(failing(get('/v2/tracker/list', nvxHeader(nvx.apiKey))), 500, WIRE.nvxUnexpected);
    expect(onError).toHaveBeenCalledWith(bug);
    const storeDown = withAuth(nvx.strategy, async () => {
      throw new AuthError('STORE_UNAVAILABLE');
    }, { onError });
    await expectReply(storeDown(get('/v2/tracker/list', nvxHeader(nvx.apiKey))), 503, WIRE.nvxDatabaseUnavailable);
    expect(onError).toHaveBeenCalledTimes(2);
    const parsing = withAuth(nvx.strategy, async (request) => Response.json(await request.json()), { onError });
    await expectReply(parsing(post('/v2/tracker/list', '{"labels":', nvxHeader(nvx.apiKey))), 400, WIRE.nvxWrongFormat);
    expect(onError).toHaveBeenCalledTimes(2);
    const apexFailing = withAuth(apex.sessions, async () => {
      throw new Error('bug');
    }, { onError: () => undefined });
    const { SessionToken } = (await (await withAuth(apex.verifier, async (_request, { auth }) =>
      Response.json({ SessionToken: unwrap(await apex.manager.startSession(auth)).token }))(new Request(`${ORIGIN}/AuthenticateUser`, { method: 'POST', headers: apex.signed().headers }))).json()) as { SessionToken: string };
    await expectReply(apexFailing(post('/ap/GetUserInfo', {}, { aptoken: SessionToken })), 500, WIRE.apexOperationFailed);
  });

  it("lets Next's own redirect() and notFound() through to Next", async () => {
    const { strategy, apiKey } = await nvxScheme();
    const onError = vi.fn();
    const redirecting = withAuth(strategy, async () => redirect('/login'), { onError });
    const missing = withAuth(strategy, async () => nextNotFound(), { onError });
    const redirected = await redirecting(get('/v2/tracker/list', nvxHeader(apiKey))).catch((error: unknown) => error);
    expect(redirected).toMatchObject({ digest: expect.stringMatching(/^NEXT_REDIRECT;/) });
    const notFoundError = await missing(get('/v2/tracker/list', nvxHeader(apiKey))).catch((error: unknown) => error);
    expect(notFoundError).toMatchObject({ digest: expect.stringMatching(/^NEXT_HTTP_ERROR_FALLBACK;404/) });
    expect(onError).not.toHaveBeenCalled();
  });

  it('accepts a NextRequest and satisfies the types Next.js checks route files against', async () => {
    const { strategy, apiKey } = await nvxScheme();
    const GET = withAuth(strategy, async (request: NextRequest, { auth }) => Response.json({ user: auth.principal.id, path: request.nextUrl.pathname }));
    const response = await GET(new NextRequest(`${ORIGIN}/v2/tracker/list`, { headers: nvxHeader(apiKey) }), params({}));
    expect(await response.json()).toEqual({ user: 'user-1', path: '/v2/tracker/list' });
    const routeFile = { GET, POST: withAuth(strategy, async () => new Response()) };
    expectTypeOf(routeFile).toExtend<NextRouteHandlerConfig<Record<string, never>>>();
    expectTypeOf(routeKit(nvxTestKit(strategy, (await nvxScheme()).manager))).toExtend<NextRouteHandlerConfig<{ path: string[] }>>();
    expectTypeOf(notFound(strategy)).toExtend<NextRouteHandlerConfig<{ path?: string[] }>>();
  });
});

describe('withAuth: the client IP', () => {
  it('refuses an IP-bound credential by default: Next.js gives no socket, so the client IP is unknown', async () => {
    const { strategy, boundTo } = await accessHashScheme();
    const hash = await boundTo('203.0.113.9');
    const GET = withAuth(strategy, async () => new Response('reached'));
    await expectReply(GET(get('/api/v1/system/status', { cookie: `access_hash=${hash}`, 'x-real-ip': '203.0.113.9', 'x-forwarded-for': '203.0.113.9' })), 403, WIRE.accessHashWrongIp);
  });

  it('reads clientIp: { header } where the platform guarantees it, and fails closed on a list of addresses', async () => {
    const { strategy, boundTo } = await accessHashScheme();
    const hash = await boundTo('203.0.113.9');
    const GET = withAuth(strategy, async (_request, { auth }) => Response.json({ id: auth.credential.id }), { clientIp: { header: 'x-real-ip' } });
    const cookie = `access_hash=${hash}`;
    expect((await GET(get('/api/v1/system/status', { cookie, 'x-real-ip': '203.0.113.9' }))).status).toBe(200);
    await expectReply(GET(get('/api/v1/system/status', { cookie, 'x-real-ip': '198.51.100.1' })), 403, WIRE.accessHashWrongIp);
    await expectReply(GET(get('/api/v1/system/status', { cookie, 'x-real-ip': '203.0.113.9, 198.51.100.1' })), 403, WIRE.accessHashWrongIp);
  });

  it('throws a ConfigurationError naming the option for misuse', async () => {
    const { strategy, manager } = await nvxScheme();
    const handler = async (): Promise<Response> => new Response();
    const named = (run: () => unknown): string | undefined => {
      try {
        run();
      } catch (error) {
        if (error instanceof ConfigurationError) return error.option;
        throw error;
      }
      return undefined;
    };
    expect(named(() => withAuth(strategy, handler, { clientIp: 'socket' }))).toBe('clientIp');
    expect(named(() => withAuth(strategy, handler, { clientIp: 'framework' }))).toBe('clientIp');
    expect(named(() => withAuth(strategy, handler, { clientIp: { trustedProxies: ['10.0.0.1'] } }))).toBe('clientIp.trustedProxies');
    expect(named(() => withAuth(strategy, handler, { clientIp: { header: 'x real ip' } }))).toBe('clientIp.header');
    expect(named(() => withAuth(strategy, handler, { maxBodyBytes: 1.5 }))).toBe('maxBodyBytes');
    expect(named(() => withAuth(strategy, handler, { require: 7 as never }))).toBe('require');
    expect(named(() => withAuth(strategy, handler, { optionl: true } as never))).toBe('optionl');
    expect(named(() => withAuth(strategy, handler, { onError: 'log' as never }))).toBe('onError');
    expect(named(() => withAuth(strategy, 'handler' as never))).toBe('handler');
    expect(named(() => withAuth({ id: 'x' } as never, handler))).toBe('strategy');
    expect(named(() => routeKit(nvxTestKit(strategy, manager), { clientIp: 'socket' }))).toBe('clientIp');
    expect(named(() => routeKit({} as never))).toBe('kit');
    expect(named(() => notFound(null as never))).toBe('renderer');
    expect(named(() => errorBridge(strategy, { onEror: () => undefined } as never))).toBe('onEror');
    expect(named(() => withAuth(strategy, handler, { clientIp: { header: 'x-real-ip' } }))).toBeUndefined();
  });
});

describe('authenticate', () => {
  it('is withAuth with the strategy and options first: one protection for many route files', async () => {
    const apex = await hmacScheme();
    const trading = authenticate(apex.sessions, { require: 'Trading' });
    const anyone = authenticate(apex.sessions, { optional: true });
    const sendOrder = trading(async (_request, { auth }) => Response.json({ user: auth.principal.id }));
    const ping = anyone(async (_request, { auth }) => {
      expectTypeOf(auth).toEqualTypeOf<AuthContext<HmacPrincipal> | null>();
      return Response.json({ signedIn: auth !== null });
    });
    await expectReply(sendOrder(post('/ap/SendOrder', {})), 401, WIRE.apexNotAuthorized);
    expect(await (await ping(post('/ap/Ping', {}))).json()).toEqual({ signedIn: false });
  });
});

describe('routeKit', () => {
  it("dispatches GET and POST of a catch-all route file to the kit's routes, in the kit's envelope", async () => {
    const { strategy, manager } = await nvxScheme();
    const { GET, POST } = routeKit(nvxTestKit(strategy, manager));
    const login = await POST(post('/v2/user/auth', { login: 'demo', password: 'secret' }), params({ path: ['user', 'auth'] }));
    expect(login.status).toBe(200);
    const { hash } = (await login.json()) as { hash: string };
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    expect((await GET(get('/v2/user/auth?login=demo&password=secret'))).status).toBe(200);
    await expectReply(POST(post('/v2/user/auth', { login: 'demo', password: 'wrong' })), 400, '{"success":false,"status":{"code":4,"description":"User or API key not found or session ended"}}');
    await expectReply(GET(get('/v2/api/key/list', nvxHeader(hash))), 200, '{"success":true,"list":[{"title":"Integration Key"}]}');
    await expectReply(GET(get('/v2/api/key/list')), 400, WIRE.nvxWrongHash);
  });

  it("answers ROUTE_NOT_FOUND in the kit's envelope for a path the kit does not serve, and 405 for another method", async () => {
    const { strategy, manager } = await nvxScheme();
    const { GET, POST, DELETE } = routeKit(nvxTestKit(strategy, manager));
    await expectReply(GET(get('/v2/no/such/call')), 404, WIRE.nvxWrongFormat);
    await expectReply(POST(post('/v2/tracker/list', {})), 404, WIRE.nvxWrongFormat);
    const wrongMethod = await DELETE(new Request(`${ORIGIN}/v2/api/key/list`, { method: 'DELETE' }));
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
    await expectReply(wrongMethod, 405, WIRE.nvxWrongFormat);
  });

  it('answers a kit route that throws with INTERNAL_ERROR in the envelope and tells onError', async () => {
    const { strategy, manager } = await nvxScheme();
    const onError = vi.fn();
    const failure = new Error('the account store is down');
    const { POST } = routeKit(nvxTestKit(strategy, manager, failure), { onError });
    await expectReply(POST(post('/v2/user/auth', {})), 500, WIRE.nvxUnexpected);
    expect(onError).toHaveBeenCalledWith(failure);
  });

  it("uses clientIp: { header } for the kit's routes too", async () => {
    const { strategy, manager } = await nvxScheme();
    const seen: (string | null)[] = [];
    const kit = nvxTestKit(strategy, manager);
    const probe = {
      ...kit,
      routes: [{ methods: ['GET'], path: '/ip', summary: 'the client IP', handle: async ({ auth }: { auth: { clientIp: string | null } }) => {
        seen.push(auth.clientIp);
        return { httpStatus: 200, headers: {}, body: {} };
      } }],
    };
    await routeKit(probe, { clientIp: { header: 'x-real-ip' } }).GET(get('/v2/ip', { 'x-real-ip': '::ffff:203.0.113.9' }));
    await routeKit(probe).GET(get('/v2/ip', { 'x-real-ip': '203.0.113.9' }));
    expect(seen).toEqual(['203.0.113.9', null]);
  });
});

describe('notFound', () => {
  it("answers every method of a catch-all with ROUTE_NOT_FOUND in the scheme's envelope", async () => {
    const puq = await accessHashScheme();
    const apex = await hmacScheme();
    const handlers = notFound(puq.strategy);
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      const handler: RouteHandler = handlers[method];
      await expectReply(handler(new Request(`${ORIGIN}/api/v1/nothing`, { method })), 404, WIRE.accessHashNotFound);
    }
    await expectReply(notFound(apex.sessions).POST(post('/ap/Nothing', {})), 404, '{"result":false,"errormsg":"Resource Not Found","errorcode":104,"detail":null}');
  });
});

describe('errorBridge', () => {
  it("answers what an unprotected handler throws in the scheme's envelope and passes its result through", async () => {
    const { strategy } = await nvxScheme();
    const onError = vi.fn();
    const bridged = errorBridge(strategy, { onError });
    const POST = bridged(async (request) => Response.json({ success: true, got: await request.json() }));
    expect(await (await POST(post('/v2/user/auth', { login: 'demo' }))).json()).toEqual({ success: true, got: { login: 'demo' } });
    await expectReply(POST(post('/v2/user/auth', 'not json')), 400, WIRE.nvxWrongFormat);
    const GET = bridged<{ id: string }>(async (_request, { params: routeParams }) => {
      throw new Error(`no tracker ${(await routeParams).id}`);
    });
    await expectReply(GET(get('/v2/tracker/9'), params({ id: '9' })), 500, WIRE.nvxUnexpected);
    expect(onError).toHaveBeenCalledOnce();
    await expect(bridged(async () => redirect('/elsewhere'))(get('/v2/x'))).rejects.toMatchObject({ digest: expect.stringMatching(/^NEXT_REDIRECT;/) });
  });
});
