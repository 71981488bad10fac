import { describe, expect, it } from 'vitest';
import { AuthError } from './errors.js';
import { refusalError, type AuthRefusal } from './outcome.js';
import { createFetchRequestAdapter } from './request.js';
import { createRouteKitHandler, describeRouteKit, type RouteKit } from './route-kit.js';

const toAuthRequest = createFetchRequestAdapter();
const request = (method: string, path: string) => toAuthRequest(new Request(`http://x${path}`, { method }));
const render = (refusal: AuthRefusal) => ({ httpStatus: refusalError(refusal).httpStatus, headers: { 'x-kit': 'k' }, body: { code: refusalError(refusal).code } });

const kit: RouteKit = {
  id: 'k',
  basePaths: ['/v2'],
  renderRefusal: render,
  routes: [
    { methods: ['GET', 'POST'], path: '/user/auth', summary: 'login', handle: async () => ({ httpStatus: 200, headers: {}, body: { ok: 'auth' } }) },
    { methods: ['DELETE'], path: '/keys/:id', summary: 'delete', handle: async ({ params }) => ({ httpStatus: 200, headers: {}, body: { id: params['id'] } }) },
    { methods: ['GET'], path: '/boom', summary: 'throws', handle: async () => { throw new Error('database exploded'); } },
    { methods: ['GET'], path: '/store', summary: 'store', handle: async () => { throw new AuthError('STORE_UNAVAILABLE'); } },
  ],
};

describe('createRouteKitHandler', () => {
  const errors: unknown[] = [];
  const answer = createRouteKitHandler(kit, { onError: (error) => errors.push(error) });

  it('routes by method and path below the base path, with percent-decoded parameters', async () => {
    expect((await answer(request('POST', '/v2/user/auth')))?.body).toEqual({ ok: 'auth' });
    expect((await answer(request('GET', '/v2/user/auth')))?.body).toEqual({ ok: 'auth' });
    expect((await answer(request('DELETE', '/v2/keys/ah_a%2Fb')))?.body).toEqual({ id: 'ah_a/b' });
  });

  it('serves HEAD with the GET route', async () => {
    expect((await answer(request('HEAD', '/v2/user/auth')))?.body).toEqual({ ok: 'auth' });
  });

  it('leaves an unknown path below the base path to the application (its own routes share the base path)', async () => {
    expect(await answer(request('GET', '/v2/tracker/list'))).toBeNull();
    expect(await answer(request('GET', '/v2'))).toBeNull();
    expect(await answer(request('DELETE', '/v2/keys/'))).toBeNull();
  });

  it('serves a route at the base path itself when its path is /', async () => {
    const root = createRouteKitHandler({ ...kit, basePaths: ['/api/v1/access-hashes'], routes: [{ methods: ['GET'], path: '/', summary: 'list', handle: async () => ({ httpStatus: 200, headers: {}, body: 'list' }) }] });
    expect((await root(request('GET', '/api/v1/access-hashes')))?.body).toBe('list');
    expect((await root(request('POST', '/api/v1/access-hashes')))?.httpStatus).toBe(405);
  });

  it('answers a known path with another method with METHOD_NOT_ALLOWED and an Allow header', async () => {
    expect(await answer(request('PUT', '/v2/user/auth'))).toEqual({
      httpStatus: 405,
      headers: { 'x-kit': 'k', allow: 'GET, POST, HEAD' },
      body: { code: 'METHOD_NOT_ALLOWED' },
    });
  });

  it('leaves a request outside its base paths to the next handler', async () => {
    expect(await answer(request('GET', '/v3/user/auth'))).toBeNull();
    expect(await answer(request('GET', '/v2x/user/auth'))).toBeNull();
  });

  it('answers a throwing handler in the kit envelope: an AuthError as itself, anything else as INTERNAL_ERROR, and reports it', async () => {
    expect(await answer(request('GET', '/v2/boom'))).toMatchObject({ httpStatus: 500, body: { code: 'INTERNAL_ERROR' } });
    expect(await answer(request('GET', '/v2/store'))).toMatchObject({ httpStatus: 503, body: { code: 'STORE_UNAVAILABLE' } });
    expect(errors.map((error) => (error as Error).message)).toEqual(['database exploded', 'The credential store is unavailable.']);
  });

  it('serves routes at the root and below an alias', async () => {
    const apex = createRouteKitHandler({ ...kit, basePaths: ['', '/ap'] });
    expect((await apex(request('POST', '/user/auth')))?.body).toEqual({ ok: 'auth' });
    expect((await apex(request('POST', '/ap/user/auth')))?.body).toEqual({ ok: 'auth' });
    expect(await apex(request('GET', '/somewhere/else'))).toBeNull();
    expect(await apex(request('GET', '/ap/somewhere'))).toBeNull();
    expect((await apex(request('PUT', '/ap/user/auth')))?.httpStatus).toBe(405);
  });

  it('refuses a kit it cannot serve with a ConfigurationError naming what is wrong', () => {
    expect(() => createRouteKitHandler({ ...kit, basePaths: [] })).toThrow(/`basePaths`/);
    expect(() => createRouteKitHandler({ ...kit, basePaths: ['v2'] })).toThrow(/`basePaths`/);
    expect(() => createRouteKitHandler({ ...kit, routes: [{ ...kit.routes[0]!, path: 'user/auth' }] })).toThrow(/`routes\[0\]\.path`/);
    expect(() => createRouteKitHandler({ ...kit, routes: [{ ...kit.routes[0]!, methods: ['get'] }] })).toThrow(/`routes\[0\]\.methods`/);
  });

  it('lists the routes for an index', () => {
    expect(describeRouteKit(kit)[0]).toMatch(/^GET,POST\s+\/v2\/user\/auth\s+login$/);
  });
});
