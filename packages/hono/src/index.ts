// @gatehouse/hono: Hono glue over @gatehouse/auth-core. Web APIs only (no `node:` import), so it runs wherever
// Hono does: Node through @hono/node-server, Bun, Deno, Cloudflare Workers.
import {
  AuthError,
  ConfigurationError,
  createAuthGuard,
  createFetchRequestAdapter,
  createRouteKitHandler,
  type AuthContext,
  type AuthRequest,
  type AuthStrategy,
  type FetchRequestContext,
  type GatehouseOptions,
  type Principal,
  type RefusalRenderer,
  type RouteKit,
  type WireReply,
} from '@gatehouse/auth-core';
import { assertKnownOptions, authErrorForThrown, compileClientIpSource, JSON_CONTENT_TYPE } from '@gatehouse/auth-core/strategy';
import type { Context, ErrorHandler, MiddlewareHandler } from 'hono';
import type { ConnInfo } from 'hono/conninfo';

export type { ClientIpSource, GatehouseOptions, RefusalRenderer } from '@gatehouse/auth-core';

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

/** What @hono/node-server puts in `c.env`. */
type NodeBindings = {
  readonly incoming?: { readonly socket?: { readonly remoteAddress?: string }; readonly rawHeaders?: unknown };
};

/**
 * The header lines of the Node message behind `raw`, when `raw` is still exactly the request @hono/node-server made
 * from that message and its `headers` were never built: nothing can have read or changed them, so the lines are
 * the same headers, without building a `Headers` object (about 2 µs). An allow-list, not a search for known
 * changes: the request's own keys must be just the two symbols @hono/node-server gives a fresh one (described
 * `incomingKey`, holding this very message, and `urlKey`), and its prototype must define `headers` as a getter.
 * Headers built on first use, a body read, a property a middleware defined, a replaced request, another runtime
 * or another version of that package all fail it, and `raw.headers` is read. A `Proxy` a middleware put in place
 * of the request cannot be told from it: headers changed through one are not seen; change them on `headers`.
 */
function untouchedNodeHeaders(raw: Request, incoming: NonNullable<NodeBindings['incoming']> | undefined): readonly string[] | undefined {
  if (incoming === undefined || incoming === null || !Array.isArray(incoming.rawHeaders)) return undefined;
  const keys = Reflect.ownKeys(raw);
  if (keys.length !== 2) return undefined;
  let wrapsIncoming = false;
  let hasUrl = false;
  for (const key of keys) {
    if (typeof key !== 'symbol') return undefined;
    if (key.description === 'incomingKey' && (raw as unknown as Record<symbol, unknown>)[key] === incoming) wrapsIncoming = true;
    else if (key.description === 'urlKey') hasUrl = true;
    else return undefined;
  }
  if (!wrapsIncoming || !hasUrl) return undefined;
  const prototype: unknown = Object.getPrototypeOf(raw);
  if (prototype === null || typeof prototype !== 'object') return undefined;
  const headers = Object.getOwnPropertyDescriptor(prototype, 'headers');
  if (headers === undefined || typeof headers.get !== 'function') return undefined;
  return incoming.rawHeaders as readonly string[];
}

/** Builds the `AuthRequest` of a Hono context, under validated options. */
function createContextAdapter({ clientIp, maxBodyBytes, getConnInfo }: RouteKitOptions): (c: Context) => AuthRequest {
  if (getConnInfo !== undefined && typeof getConnInfo !== 'function') {
    throw new ConfigurationError('getConnInfo', 'must be the runtime\'s getConnInfo function (e.g. from @hono/node-server/conninfo or hono/bun)');
  }
  const { requestOptions } = compileClientIpSource(clientIp, { socket: true, framework: false });
  const toAuthRequest = createFetchRequestAdapter({ ...requestOptions, ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }) });
  return (c) => {
    // Asked only when a strategy reads the client IP. A helper for another runtime throws on this one: core takes
    // that as no address, and IP-bound credentials fail closed.
    const incoming = (c.env as NodeBindings | undefined)?.incoming;
    const remoteAddress = (): string | null =>
      getConnInfo !== undefined ? (getConnInfo(c).remote.address ?? null) : (incoming?.socket?.remoteAddress ?? null);
    const raw = c.req.raw;
    const rawHeaders = untouchedNodeHeaders(raw, incoming);
    // An earlier middleware read the body through Hono (`c.req.json()`), which cached it: read that copy. A body
    // consumed from `c.req.raw` directly left nothing, and core reports it as `unavailable` (fail closed).
    const cached = raw.method !== 'GET' && raw.method !== 'HEAD' && raw.bodyUsed && Object.keys(c.req.bodyCache).length > 0;
    const context: { -readonly [K in keyof FetchRequestContext]: FetchRequestContext[K] } = { remoteAddress };
    if (cached) context.readBody = () => c.req.arrayBuffer();
    if (rawHeaders !== undefined) context.rawHeaders = rawHeaders;
    return toAuthRequest(raw, context);
  };
}

/** Sends a reply through Hono, so headers earlier middleware prepared with `c.header()` are kept. */
function send(c: Context, reply: WireReply<unknown>): Response {
  // A string body, not toFetchResponse()'s stream: Node servers then send a Content-Length instead of chunks.
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
  const { clientIp, maxBodyBytes, getConnInfo, ...guardOptions } = options;
  const toAuthRequest = createContextAdapter(options);
  const guard = createAuthGuard(strategy, guardOptions);
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
  const handler = (thrown: Error, c: Context): Response => {
    const { error, unexpected } = authErrorForThrown(thrown);
    // An HTTPException (hono/http-exception) with a 4xx status no code stands for is the application's own answer.
    const { status, getResponse } = thrown as Partial<{ status: unknown; getResponse: () => Response }>;
    if (unexpected && typeof getResponse === 'function' && typeof status === 'number' && status >= 400 && status < 500) return getResponse.call(thrown);
    if (unexpected || error.httpStatus >= 500) onError(thrown);
    return send(c, render(renderer, error));
  };
  const bodyLimitError = (c: Context): Response => send(c, render(renderer, new AuthError('REQUEST_TOO_LARGE')));
  return Object.assign(handler, { bodyLimitError });
}
