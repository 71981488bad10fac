// @gatehouse/hono: Hono glue over @gatehouse/auth-core. Web APIs only (no `node:` import), so it runs wherever
// Hono does: Node through @hono/node-server, Bun, Deno, Cloudflare Workers.
import {
  AuthError,
  ConfigurationError,
  createAuthGuard,
  createFetchRequestAdapter,
  createRouteKitHandler,
  type AuthContext,
  type AuthErrorCode,
  type AuthGuardOptions,
  type AuthRefusal,
  type AuthRequest,
  type AuthStrategy,
  type FetchRequestContext,
  type Principal,
  type RequestAdapterOptions,
  type RouteKit,
  type WireReply,
} from '@gatehouse/auth-core';
import { createIpMatcher, JSON_CONTENT_TYPE } from '@gatehouse/auth-core/strategy';
import type { Context, ErrorHandler, MiddlewareHandler } from 'hono';
import type { ConnInfo } from 'hono/conninfo';

/**
 * Where the client IP comes from, the same four choices in every Gatehouse adapter:
 * - `'socket'`: the TCP peer (on Hono: the `getConnInfo` option, else Node bindings' `incoming.socket`);
 * - `'framework'`: the framework's own trust-proxy result; Hono has none, so this is a `ConfigurationError`;
 * - `{ header }`: a header the platform in front of the server guarantees (e.g. `cf-connecting-ip` on Cloudflare);
 * - `{ trustedProxies }`: `X-Forwarded-For` read right to left, believed only from these IPs and CIDRs.
 *
 * @example
 * ```ts
 * const behindNginx: ClientIpSource = { trustedProxies: ['10.0.0.2'] };
 * ```
 */
export type ClientIpSource = 'socket' | 'framework' | { readonly header: string } | { readonly trustedProxies: readonly string[] };

/**
 * The options every Gatehouse adapter takes: `optional` and `require` (core's `AuthGuardOptions`), where the
 * client IP comes from, and the body cap.
 *
 * @example
 * ```ts
 * const options: GatehouseOptions = { require: 'Trading', clientIp: { header: 'cf-connecting-ip' }, maxBodyBytes: 16_384 };
 * ```
 */
export interface GatehouseOptions extends AuthGuardOptions {
  /** Where the client IP comes from. Default `'socket'`. */
  readonly clientIp?: ClientIpSource;
  /** The most body bytes authentication reads before the body counts as too large. Default 65,536. */
  readonly maxBodyBytes?: number;
}

/**
 * {@link GatehouseOptions} on Hono, plus the runtime's connection-info helper.
 *
 * @example
 * ```ts
 * import { getConnInfo } from 'hono/bun';
 * const options: HonoGatehouseOptions = { getConnInfo };
 * ```
 */
export interface HonoGatehouseOptions extends GatehouseOptions {
  /**
   * The runtime's `getConnInfo` (`@hono/node-server/conninfo`, `hono/bun`, `hono/deno`, `hono/cloudflare-workers`),
   * for the `'socket'` and `trustedProxies` client IP. Default: Node bindings (`c.env.incoming.socket`) when
   * present, else no address (`null`), and IP-bound credentials are refused.
   */
  readonly getConnInfo?: (c: Context) => ConnInfo;
}

/**
 * Options of {@link routeKit}: where the client IP comes from, the body cap, and who hears about a failing route.
 *
 * @example
 * ```ts
 * const options: RouteKitOptions = { onError: (error) => logger.error(error) };
 * ```
 */
export interface RouteKitOptions extends Omit<HonoGatehouseOptions, 'optional' | 'require'> {
  /** Told about every error a kit route throws (answered in the kit's envelope). Default: `console.error`. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Options of {@link errorBridge}.
 *
 * @example
 * ```ts
 * const options: ErrorBridgeOptions = { onError: (error) => logger.error(error) };
 * ```
 */
export interface ErrorBridgeOptions {
  /** Told about every error answered with a 5xx (a bug, a failing store). Default: `console.error`. */
  readonly onError?: (error: unknown) => void;
}

/**
 * What renders a scheme's refusals: a strategy, a composition, or a route kit.
 *
 * @example
 * ```ts
 * const renderer: RefusalRenderer = nvxHash({ store });
 * ```
 */
export interface RefusalRenderer {
  renderRefusal(refusal: AuthRefusal): WireReply<unknown>;
}

/**
 * The Hono environment {@link authenticate} provides: `c.get('auth')` is who the request was authenticated as.
 *
 * @example
 * ```ts
 * const app = new Hono<AuthEnv<NvxPrincipal>>();
 * app.use('/v2/*', authenticate(strategy));
 * app.get('/v2/tracker/list', (c) => c.json({ user: c.get('auth').principal.id }));
 * ```
 */
export type AuthEnv<P extends Principal = Principal> = { Variables: { auth: AuthContext<P> } };

/**
 * The Hono environment of `authenticate(strategy, { optional: true })`: `c.get('auth')` is `null` when the
 * request carried no credentials of the scheme.
 *
 * @example
 * ```ts
 * app.get('/v2/news', authenticate(strategy, { optional: true }), (c) => c.json({ signedIn: c.get('auth') !== null }));
 * ```
 */
export type OptionalAuthEnv<P extends Principal = Principal> = { Variables: { auth: AuthContext<P> | null } };

/**
 * The error handler {@link errorBridge} returns, with the handler for `hono/body-limit`'s `onError`.
 *
 * @example
 * ```ts
 * const bridge: HonoErrorBridge = errorBridge(strategy);
 * app.onError(bridge);
 * app.use(bodyLimit({ maxSize: 65_536, onError: bridge.bodyLimitError }));
 * ```
 */
export interface HonoErrorBridge extends ErrorHandler {
  /** Answers `REQUEST_TOO_LARGE` in the scheme's envelope (Navixy: code 9, HTTP 412). */
  readonly bodyLimitError: (c: Context) => Response;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The core adapter options for a {@link ClientIpSource}, checked; names the option as the caller spelled it. */
function adapterOptionsFor(options: RouteKitOptions): { readonly adapter: RequestAdapterOptions; readonly needsSocket: boolean } {
  const clientIp: unknown = options.clientIp ?? 'socket';
  const maxBodyBytes = options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes };
  if (clientIp === 'socket') return { adapter: maxBodyBytes, needsSocket: true };
  if (clientIp === 'framework') {
    throw new ConfigurationError('clientIp', "'framework' needs a framework trust-proxy setting, and Hono has none: use 'socket' (with getConnInfo), { header } or { trustedProxies }");
  }
  if (clientIp !== null && typeof clientIp === 'object') {
    const source = clientIp as { header?: unknown; trustedProxies?: unknown };
    if (source.header !== undefined && source.trustedProxies !== undefined) {
      throw new ConfigurationError('clientIp', 'give either { header } or { trustedProxies }, not both');
    }
    if (source.header !== undefined) {
      if (typeof source.header !== 'string' || !HEADER_NAME.test(source.header)) throw new ConfigurationError('clientIp.header', 'must be an HTTP header name');
      return { adapter: { ...maxBodyBytes, clientIpHeader: source.header }, needsSocket: false };
    }
    if (source.trustedProxies !== undefined) {
      // Checked here so a mistake names the option as the caller wrote it; core compiles the list again.
      createIpMatcher(source.trustedProxies as readonly string[], 'clientIp.trustedProxies');
      return { adapter: { ...maxBodyBytes, trustedProxies: source.trustedProxies as readonly string[] }, needsSocket: true };
    }
  }
  throw new ConfigurationError('clientIp', "must be 'socket', { header } or { trustedProxies }");
}

/** The socket peer's address: the runtime helper's, else Node bindings', else unknown. */
function socketAddressOf(c: Context, getConnInfo: ((c: Context) => ConnInfo) | undefined): string | null {
  try {
    if (getConnInfo !== undefined) return getConnInfo(c).remote.address ?? null;
    const env = c.env as { incoming?: { socket?: { remoteAddress?: unknown } | null } } | null | undefined;
    const address = env?.incoming?.socket?.remoteAddress;
    return typeof address === 'string' ? address : null;
  } catch {
    // A helper for another runtime throws on this one: the address is unknown, and IP-bound credentials fail closed.
    return null;
  }
}

/** Refuses what is not an option: a misspelt one (`clientIP`, `required`) would silently change nothing. */
function assertKnownOptions(options: object, known: readonly string[]): void {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object');
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) throw new ConfigurationError(name, `is not an option here (known: ${known.join(', ')})`);
  }
}

/** Builds the `AuthRequest` of a Hono context, under validated options. */
function createContextAdapter(options: RouteKitOptions): (c: Context) => AuthRequest {
  const { getConnInfo } = options;
  if (getConnInfo !== undefined && typeof getConnInfo !== 'function') {
    throw new ConfigurationError('getConnInfo', 'must be the runtime\'s getConnInfo function (e.g. from @hono/node-server/conninfo or hono/bun)');
  }
  const { adapter, needsSocket } = adapterOptionsFor(options);
  const toAuthRequest = createFetchRequestAdapter(adapter);
  return (c) => {
    const raw = c.req.raw;
    let context: FetchRequestContext = {};
    if (needsSocket) context = { remoteAddress: socketAddressOf(c, getConnInfo) };
    // An earlier middleware read the body through Hono (`c.req.json()`), which cached it: read that copy. A body
    // consumed from `c.req.raw` directly left nothing, and core reports it as `unavailable` (fail closed).
    if (raw.method !== 'GET' && raw.method !== 'HEAD' && raw.bodyUsed && Object.keys(c.req.bodyCache).length > 0) {
      context = { ...context, readBody: () => c.req.arrayBuffer() };
    }
    return toAuthRequest(raw, context);
  };
}

/** Sends a reply through Hono, so headers earlier middleware prepared with `c.header()` are kept. */
function send(c: Context, reply: WireReply<unknown>): Response {
  const headers = new Headers({ 'content-type': JSON_CONTENT_TYPE });
  for (const name of Object.keys(reply.headers)) headers.set(name, reply.headers[name] as string);
  return c.newResponse(JSON.stringify(reply.body) ?? 'null', { status: reply.httpStatus as 200, headers });
}

const LAST_RESORT: WireReply<unknown> = { httpStatus: 500, headers: {}, body: { error: 'Internal error' } };

function assertRenderer(renderer: unknown, optionName: string): asserts renderer is RefusalRenderer {
  if (renderer === null || typeof renderer !== 'object' || typeof (renderer as Partial<RefusalRenderer>).renderRefusal !== 'function') {
    throw new ConfigurationError(optionName, 'must have a renderRefusal() method (a strategy or a route kit)');
  }
}

function render(renderer: RefusalRenderer, error: AuthError): WireReply<unknown> {
  try {
    return renderer.renderRefusal({ type: 'rejected', error });
  } catch {
    return LAST_RESORT;
  }
}

const logToConsole = (error: unknown): void => {
  console.error('gatehouse: a request failed:', error instanceof Error ? `${error.name}: ${error.message}` : String(error));
};

/**
 * Hono middleware that authenticates every request with `strategy`. A refusal is answered with the strategy's
 * own reply (envelope, status, headers) and the handler never runs; an accepted request continues with
 * `c.get('auth')` set, typed with the strategy's principal. The body is read from a clone (or from Hono's cache
 * when an earlier middleware read it), so the handler still reads it with `c.req.json()`.
 *
 * @example
 * ```ts
 * import { serve } from '@hono/node-server';
 * import { getConnInfo } from '@hono/node-server/conninfo';
 * const app = new Hono();
 * app.post('/v2/tracker/list', authenticate(nvxHash({ store }), { getConnInfo }), async (c) => {
 *   const { label } = await c.req.json<{ label?: string }>();
 *   return c.json({ success: true, list: await trackersOf(c.get('auth').principal.id, label) });
 * });
 * serve(app);
 * ```
 */
export function authenticate<P extends Principal>(
  strategy: AuthStrategy<P>,
  options: HonoGatehouseOptions & { readonly optional: true },
): MiddlewareHandler<OptionalAuthEnv<P>>;
export function authenticate<P extends Principal>(
  strategy: AuthStrategy<P>,
  options?: HonoGatehouseOptions & { readonly optional?: false },
): MiddlewareHandler<AuthEnv<P>>;
export function authenticate<P extends Principal>(strategy: AuthStrategy<P>, options?: HonoGatehouseOptions): MiddlewareHandler<OptionalAuthEnv<P>>;
export function authenticate<P extends Principal>(
  strategy: AuthStrategy<P>,
  options: HonoGatehouseOptions = {},
): MiddlewareHandler<OptionalAuthEnv<P>> | MiddlewareHandler<AuthEnv<P>> {
  assertKnownOptions(options, ['optional', 'require', 'clientIp', 'maxBodyBytes', 'getConnInfo']);
  const toAuthRequest = createContextAdapter(options);
  const { optional, require } = options;
  const guard = createAuthGuard(strategy, { ...(optional === undefined ? {} : { optional }), ...(require === undefined ? {} : { require }) });
  const middleware: MiddlewareHandler<OptionalAuthEnv<P>> = async (c, next) => {
    const decision = await guard(toAuthRequest(c));
    if (decision.type === 'refused') return send(c, decision.reply);
    c.set('auth', decision.auth);
    await next();
  };
  return middleware;
}

/**
 * Mounts a strategy package's route kit (login, session and key-management routes) in one line: the kit's
 * routes are answered in its envelope, a known path with another method gets 405 there, and every other request
 * goes on to the application's own routes. Use it where the kit's base paths are the request's paths: on the
 * app, or inside a sub-app mounted with `app.route()` or `basePath()` at the kit's base path.
 *
 * @example
 * ```ts
 * const app = new Hono();
 * app.use(routeKit(createNvxRoutes({ strategy, manager, verifyLogin })));
 * app.all('/v2/*', notFound(strategy));
 * ```
 */
export function routeKit(kit: RouteKit, options: RouteKitOptions = {}): MiddlewareHandler {
  assertKnownOptions(options, ['clientIp', 'maxBodyBytes', 'getConnInfo', 'onError']);
  const toAuthRequest = createContextAdapter(options);
  const answer = createRouteKitHandler(kit, options.onError === undefined ? {} : { onError: options.onError });
  return async (c, next) => {
    const reply = await answer(toAuthRequest(c));
    if (reply === null) {
      await next();
      return;
    }
    return send(c, reply);
  };
}

/**
 * A handler answering `ROUTE_NOT_FOUND` in a scheme's envelope (Navixy: code 5 with HTTP 404), for what no route
 * of the scheme's mount serves: as the app's `notFound`, or as the mount's last route.
 *
 * @example
 * ```ts
 * app.all('/v2/*', notFound(strategy)); // after the /v2 routes
 * app.notFound(notFound(strategy)); // or for the whole app
 * ```
 */
export function notFound(renderer: RefusalRenderer): (c: Context) => Response {
  assertRenderer(renderer, 'renderer');
  return (c) => send(c, render(renderer, new AuthError('ROUTE_NOT_FOUND')));
}

/** The error code a thrown error is answered with, or `null` for an application's own 4xx HTTPException. */
function codeOf(error: unknown): AuthErrorCode | null {
  if (error instanceof SyntaxError) return 'REQUEST_MALFORMED';
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status !== 'number' || typeof (error as { getResponse?: unknown }).getResponse !== 'function') return 'INTERNAL_ERROR';
  // An HTTPException (hono/http-exception), by its status.
  if (status === 413) return 'REQUEST_TOO_LARGE';
  if (status === 400 || status === 415) return 'REQUEST_MALFORMED';
  if (status === 404) return 'ROUTE_NOT_FOUND';
  if (status === 405) return 'METHOD_NOT_ALLOWED';
  return status >= 400 && status < 500 ? null : 'INTERNAL_ERROR';
}

/**
 * An error handler for `app.onError` (or a sub-app's) that answers in a scheme's envelope instead of Hono's text
 * page: a thrown `AuthError` as itself, `hono/body-limit`'s 413 as `REQUEST_TOO_LARGE` (Navixy: code 9 with HTTP
 * 412), a body that does not parse (`SyntaxError`, HTTPException 400 or 415) as `REQUEST_MALFORMED`, HTTPException
 * 404 / 405 as `ROUTE_NOT_FOUND` / `METHOD_NOT_ALLOWED`, anything else as `INTERNAL_ERROR` (logged through
 * `onError`). An HTTPException with another 4xx status is the application's own answer and keeps its response.
 * `bodyLimitError` is the same answer for `bodyLimit({ onError })`.
 *
 * @example
 * ```ts
 * import { bodyLimit } from 'hono/body-limit';
 * const bridge = errorBridge(strategy);
 * app.onError(bridge);
 * app.use('/v2/*', bodyLimit({ maxSize: 65_536, onError: bridge.bodyLimitError }));
 * ```
 */
export function errorBridge(renderer: RefusalRenderer, options: ErrorBridgeOptions = {}): HonoErrorBridge {
  assertRenderer(renderer, 'renderer');
  assertKnownOptions(options, ['onError']);
  const onError = options.onError ?? logToConsole;
  if (typeof onError !== 'function') throw new ConfigurationError('onError', 'must be a function');
  const handler = (error: Error, c: Context): Response => {
    if (error instanceof AuthError) {
      if (error.httpStatus >= 500) onError(error);
      return send(c, render(renderer, error));
    }
    const code = codeOf(error);
    if (code === null) return (error as unknown as { getResponse(): Response }).getResponse();
    if (code === 'INTERNAL_ERROR') onError(error);
    return send(c, render(renderer, new AuthError(code, { cause: error })));
  };
  const bodyLimitError = (c: Context): Response => send(c, render(renderer, new AuthError('REQUEST_TOO_LARGE')));
  return Object.assign(handler, { bodyLimitError });
}
