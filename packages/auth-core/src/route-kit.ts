import { AuthError, ConfigurationError } from './errors.js';
import type { AuthRefusal } from './outcome.js';
import type { WireReply } from './reply.js';
import type { AuthRequest } from './request.js';

/**
 * What a route kit's handler gets: the request as strategies see it, and the route's path parameters.
 *
 * @example
 * ```ts
 * const handle = async ({ auth, params }: KitRequest) => renderSuccess(strategy, { id: params['id'], ip: auth.clientIp });
 * ```
 */
export interface KitRequest {
  /** The request (headers, cookies, query, the body once, the client IP). */
  readonly auth: AuthRequest;
  /** The values of the route's `:name` segments, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * One route of a {@link RouteKit}: the methods it answers, its path below the kit's base path (`:name` marks a
 * parameter segment), a line for an index page, and its framework-neutral handler.
 *
 * @example
 * ```ts
 * const route: KitRoute = { methods: ['GET'], path: '/api/key/list', summary: "a master user's session hash", handle: listKeys };
 * ```
 */
export interface KitRoute {
  /** The HTTP methods the route answers, upper case; another method on its path is a 405. */
  readonly methods: readonly string[];
  /** The path below the kit's base path, e.g. `/api/key/list`; `:name` marks a parameter segment. */
  readonly path: string;
  /** What a client sends and gets back, for a route index. */
  readonly summary: string;
  /** Answers the request in the scheme's envelope. */
  handle(request: KitRequest): Promise<WireReply<unknown>>;
}

/**
 * A scheme's management and login routes as framework-neutral handlers, shipped by the strategy package and
 * mounted by every framework adapter in one line. The kit answers its routes in its scheme's envelope, a known
 * path with another method too (405); any other path is left to the application (whose own routes often share
 * the base path), and the adapter's `notFound` handler answers what nobody serves in the scheme's envelope.
 *
 * @example
 * ```ts
 * const kit = createNvxRoutes({ strategy, manager, verifyLogin });
 * app.use(routeKit(kit)); // @gatehouse/express
 * ```
 */
export interface RouteKit {
  /** The id of the scheme the kit serves, e.g. `nvx-hash`. */
  readonly id: string;
  /**
   * Where the routes live: every route is served below each of these (e.g. `['/v2']`, or `['', '/ap']` for
   * APEX calls at `/AuthenticateUser` and `/ap/AuthenticateUser`).
   */
  readonly basePaths: readonly string[];
  /** The routes, each served below every base path. */
  readonly routes: readonly KitRoute[];
  /** The scheme's reply to a refusal, for what no route answers (404, 405, a failing handler). */
  renderRefusal(refusal: AuthRefusal): WireReply<unknown>;
}

/**
 * Options of {@link createRouteKitHandler}.
 *
 * @example
 * ```ts
 * const options: RouteKitHandlerOptions = { onError: (error) => logger.error(error) };
 * ```
 */
export interface RouteKitHandlerOptions {
  /**
   * Told about every error a route handler throws that is answered with a 5xx (an `AuthError` is answered as
   * such; anything else becomes `INTERNAL_ERROR` in the scheme's envelope). Default: `console.error` of the
   * error's name and message.
   */
  readonly onError?: (error: unknown) => void;
}

interface CompiledRoute {
  readonly route: KitRoute;
  readonly segments: readonly string[];
  readonly methods: ReadonlySet<string>;
}

const ROUTE_PATH = /^\/$|^(\/(:?[A-Za-z0-9._~-]+))+$/;

function normalizeBasePath(basePath: unknown): string {
  if (typeof basePath !== 'string' || !/^(\/[A-Za-z0-9._~-]+)*\/?$/.test(basePath)) {
    throw new ConfigurationError('basePaths', `${JSON.stringify(basePath)} is not a path such as /v2 (or '' for the root)`);
  }
  return basePath.replace(/\/+$/, '');
}

const defaultOnError = (error: unknown): void => {
  console.error('gatehouse route kit: a handler failed:', error instanceof Error ? `${error.name}: ${error.message}` : String(error));
};

/**
 * The one dispatcher behind every adapter's kit mount: routes a request by method and path to the kit's
 * handler and returns its reply; answers a known path with another method with `METHOD_NOT_ALLOWED` (and an
 * `Allow` header) in the kit's envelope. A handler that throws is answered, never a crash. `null` means the
 * request is not the kit's: the adapter passes it on. `HEAD` is served by a route's `GET`; a route path `/` is
 * the base path itself.
 *
 * @example
 * ```ts
 * const answer = createRouteKitHandler(kit);
 * const reply = await answer(toAuthRequest(request));
 * return reply === null ? next() : toFetchResponse(reply);
 * ```
 */
export function createRouteKitHandler(
  kit: RouteKit,
  options: RouteKitHandlerOptions = {},
): (request: AuthRequest) => Promise<WireReply<unknown> | null> {
  if (kit === null || typeof kit !== 'object' || typeof kit.renderRefusal !== 'function') throw new ConfigurationError('kit', 'must be a RouteKit');
  if (!Array.isArray(kit.basePaths) || kit.basePaths.length === 0) throw new ConfigurationError('basePaths', 'must be a non-empty array of paths');
  const basePaths = kit.basePaths.map(normalizeBasePath);
  if (!Array.isArray(kit.routes)) throw new ConfigurationError('routes', 'must be an array of routes');
  const onError = options.onError ?? defaultOnError;
  if (typeof onError !== 'function') throw new ConfigurationError('onError', 'must be a function');
  const routes: CompiledRoute[] = kit.routes.map((route, index) => {
    if (typeof route?.path !== 'string' || !ROUTE_PATH.test(route.path)) throw new ConfigurationError(`routes[${index}].path`, 'must be a path such as /api/key/list');
    if (!Array.isArray(route.methods) || route.methods.length === 0 || route.methods.some((method: unknown) => typeof method !== 'string' || !/^[A-Z]+$/.test(method))) {
      throw new ConfigurationError(`routes[${index}].methods`, 'must be upper-case HTTP methods');
    }
    if (typeof route.handle !== 'function') throw new ConfigurationError(`routes[${index}].handle`, 'must be a function');
    return { route, segments: route.path.split('/').slice(1), methods: new Set(route.methods) };
  });

  const refuse = (code: 'METHOD_NOT_ALLOWED' | 'INTERNAL_ERROR', error?: AuthError): WireReply<unknown> =>
    kit.renderRefusal({ type: 'rejected', error: error ?? new AuthError(code) });

  /** The path below each base path the request path lies under. */
  const below = (path: string): string[] => {
    const rests: string[] = [];
    for (const base of basePaths) {
      if (base === '') rests.push(path);
      else if (path === base || path.startsWith(`${base}/`)) rests.push(path.slice(base.length) || '/');
    }
    return rests;
  };

  const match = (segments: readonly string[], candidate: CompiledRoute): Record<string, string> | null => {
    if (segments.length !== candidate.segments.length) return null;
    const params: Record<string, string> = Object.create(null);
    for (let i = 0; i < segments.length; i++) {
      const expected = candidate.segments[i] as string;
      const actual = segments[i] as string;
      if (expected.startsWith(':')) {
        if (actual === '') return null;
        try {
          params[expected.slice(1)] = decodeURIComponent(actual);
        } catch {
          return null;
        }
      } else if (expected !== actual) {
        return null;
      }
    }
    return params;
  };

  return async (request) => {
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const allowed = new Set<string>();
    for (const rest of below(request.path)) {
      const segments = rest.split('/').slice(1);
      for (const candidate of routes) {
        const params = match(segments, candidate);
        if (params === null) continue;
        if (!candidate.methods.has(method)) {
          for (const one of candidate.methods) allowed.add(one);
          continue;
        }
        try {
          return await candidate.route.handle({ auth: request, params });
        } catch (error) {
          // An AuthError a handler throws on purpose (a login refused as RATE_LIMITED) is an answer, not a fault.
          if (!(error instanceof AuthError) || error.httpStatus >= 500) onError(error);
          return refuse('INTERNAL_ERROR', error instanceof AuthError ? error : undefined);
        }
      }
    }
    if (allowed.size === 0) return null;
    if (allowed.has('GET')) allowed.add('HEAD');
    const reply = refuse('METHOD_NOT_ALLOWED');
    return { ...reply, headers: { ...reply.headers, allow: [...allowed].join(', ') } };
  };
}

/**
 * The lines of a route index for a kit: method, full path and summary, one route per line.
 *
 * @example
 * ```ts
 * console.log(describeRouteKit(kit).join('\n'));
 * // GET,POST  /v2/user/auth   login, password -> session hash
 * ```
 */
export function describeRouteKit(kit: RouteKit): string[] {
  const base = normalizeBasePath(kit.basePaths[kit.basePaths.length - 1] ?? '');
  return kit.routes.map((route) => `${route.methods.join(',').padEnd(9)} ${`${base}${route.path}`.padEnd(28)} ${route.summary}`);
}
