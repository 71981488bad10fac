// @gatehouse/next: Next.js App Router glue over @gatehouse/auth-core. Route handlers take a Web `Request` and
// return a `Response`, so nothing is imported from Next itself.
import {
  AuthError,
  ConfigurationError,
  createAuthGuard,
  createFetchRequestAdapter,
  createRouteKitHandler,
  toFetchResponse,
  type AuthContext,
  type AuthRequest,
  type AuthStrategy,
  type GatehouseOptions,
  type Principal,
  type RefusalRenderer,
  type RouteKit,
  type WireReply,
} from '@gatehouse/auth-core';
import { assertKnownOptions, authErrorForThrown, compileClientIpSource } from '@gatehouse/auth-core/strategy';

export type { ClientIpSource, GatehouseOptions, RefusalRenderer } from '@gatehouse/auth-core';

/**
 * Options of {@link withAuth} and {@link authenticate}: {@link GatehouseOptions} and who hears about a failing
 * handler. Route handlers get no socket, so here `clientIp` has no default (the client IP is `null` and IP-bound
 * credentials are refused) and only `{ header }` is accepted: `'socket'`, `'framework'` and `{ trustedProxies }`
 * are `ConfigurationError`s.
 *
 * @example
 * ```ts
 * const options: WithAuthOptions = { optional: true, onError: (error) => logger.error(error) };
 * ```
 */
export interface WithAuthOptions extends GatehouseOptions {
  /** Told about every error the handler throws that is answered with a 5xx. Default: `console.error`. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Options of {@link routeKit}.
 *
 * @example
 * ```ts
 * const options: RouteKitOptions = { clientIp: { header: 'x-real-ip' } };
 * ```
 */
export interface RouteKitOptions extends Omit<WithAuthOptions, 'optional' | 'require'> {}

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
 * A route's dynamic segments as Next.js passes them (`[id]` a string, `[...path]` an array of strings).
 *
 * @example
 * ```ts
 * const params: RouteParams = { path: ['user', 'auth'] };
 * ```
 */
export type RouteParams = Record<string, string | string[] | undefined>;

/**
 * The second argument Next.js passes to a route handler.
 *
 * @example
 * ```ts
 * export async function GET(request: Request, { params }: RouteContext<{ id: string }>) {
 *   return Response.json({ id: (await params).id });
 * }
 * ```
 */
export interface RouteContext<Params = RouteParams> {
  /**
   * The dynamic route segments, e.g. `{ id: '42' }` for `app/trackers/[id]/route.ts` (a promise, as Next.js 15 passes
   * them).
   */
  readonly params: Promise<Params>;
}

/**
 * A route handler as a route file exports it (`export const GET = ...`). The context is optional so the handler
 * can be called directly, in tests or from another handler.
 *
 * @example
 * ```ts
 * const GET: RouteHandler = async () => Response.json({ ok: true });
 * ```
 */
export type RouteHandler<Params = RouteParams, R extends Request = Request> = (request: R, context?: RouteContext<Params>) => Promise<Response>;

/**
 * What a protected handler gets besides the request: who the request was authenticated as, and the route params.
 *
 * @example
 * ```ts
 * const handler = async (request: Request, { auth, params }: AuthedContext<NvxPrincipal, { id: string }>) =>
 *   Response.json({ user: auth.principal.id, tracker: (await params).id });
 * ```
 */
export interface AuthedContext<P extends Principal = Principal, Params = RouteParams> {
  /** Who and what the request was authenticated as. */
  readonly auth: AuthContext<P>;
  /** The dynamic route segments, as in {@link RouteContext}. */
  readonly params: Promise<Params>;
}

/**
 * {@link AuthedContext} of an optional route: `auth` is `null` when the request carried no credentials.
 *
 * @example
 * ```ts
 * const handler = async (request: Request, { auth }: OptionalAuthedContext) => Response.json({ signedIn: auth !== null });
 * ```
 */
export interface OptionalAuthedContext<P extends Principal = Principal, Params = RouteParams> {
  /** Who and what the request was authenticated as; `null` when it carried no credentials of the scheme. */
  readonly auth: AuthContext<P> | null;
  /** The dynamic route segments, as in {@link RouteContext}. */
  readonly params: Promise<Params>;
}

/**
 * The handlers a catch-all route file exports, one per method: `export const { GET, POST } = routeKit(kit)`.
 *
 * @example
 * ```ts
 * const handlers: RouteHandlers = notFound(strategy);
 * ```
 */
export interface RouteHandlers {
  /** The handler for `GET` requests. */
  readonly GET: RouteHandler;
  /** The handler for `POST` requests. */
  readonly POST: RouteHandler;
  /** The handler for `PUT` requests. */
  readonly PUT: RouteHandler;
  /** The handler for `PATCH` requests. */
  readonly PATCH: RouteHandler;
  /** The handler for `DELETE` requests. */
  readonly DELETE: RouteHandler;
}

/**
 * The wrapper {@link errorBridge} returns: it gives a route handler the scheme's error replies.
 *
 * @example
 * ```ts
 * const bridged: NextErrorBridge = errorBridge(strategy);
 * export const POST = bridged(async (request) => Response.json(await request.json()));
 * ```
 */
export type NextErrorBridge = <Params = RouteParams, R extends Request = Request>(
  handler: (request: R, context: RouteContext<Params>) => Response | Promise<Response>,
) => RouteHandler<Params, R>;

/**
 * What {@link authenticate} returns: wraps route handlers with one protection. With `Optional` (from
 * `optional: true`), `auth` is `null` for a request without credentials.
 *
 * @example
 * ```ts
 * const protect: ProtectRoute<NvxPrincipal> = authenticate(strategy);
 * export const GET = protect(async (request, { auth }) => Response.json({ user: auth.principal.id }));
 * ```
 */
export type ProtectRoute<P extends Principal, Optional extends boolean = false> = <Params = RouteParams, R extends Request = Request>(
  handler: (request: R, context: Optional extends true ? OptionalAuthedContext<P, Params> : AuthedContext<P, Params>) => Response | Promise<Response>,
) => RouteHandler<Params, R>;

function assertOnError(onError: unknown): void {
  if (onError !== undefined && typeof onError !== 'function') throw new ConfigurationError('onError', 'must be a function');
}

/** The core adapter for the options, checked: Next.js has no socket, so only `{ header }` can name a client IP. */
function createRequestAdapter({ clientIp, maxBodyBytes }: RouteKitOptions): (request: Request) => AuthRequest {
  const { requestOptions } = compileClientIpSource(clientIp, { socket: false, framework: false });
  const toAuthRequest = createFetchRequestAdapter({ ...requestOptions, ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }) });
  // No socket: without { header } the client IP is null, and IP-bound credentials are refused.
  return (request) => toAuthRequest(request, { remoteAddress: null });
}

const LAST_RESORT: WireReply<unknown> = { httpStatus: 500, headers: {}, body: { error: 'Internal error' } };

function assertRenderer(renderer: unknown, optionName: string): asserts renderer is RefusalRenderer {
  if (renderer === null || typeof renderer !== 'object' || typeof (renderer as Partial<RefusalRenderer>).renderRefusal !== 'function') {
    throw new ConfigurationError(optionName, 'must have a renderRefusal() method (a strategy or a route kit)');
  }
}

function render(renderer: RefusalRenderer, error: AuthError): Response {
  let reply: WireReply<unknown>;
  try {
    reply = renderer.renderRefusal({ type: 'rejected', error });
  } catch {
    reply = LAST_RESORT;
  }
  return toFetchResponse(reply);
}

const logToConsole = (error: unknown): void => {
  console.error('gatehouse: a request failed:', error instanceof Error ? `${error.name}: ${error.message}` : String(error));
};

/**
 * Next.js signals `redirect()`, `notFound()`, `forbidden()` and dynamic rendering by throwing errors with a string
 * `digest` (what its `unstable_rethrow` looks for, on the error or its causes): those are Next's to handle.
 */
function isNextControlFlow(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 8) return false;
  if (typeof (error as { digest?: unknown }).digest === 'string') return true;
  return 'cause' in error && isNextControlFlow((error as { cause?: unknown }).cause, depth + 1);
}

/** Answers an error a handler threw in the scheme's envelope (or rethrows Next's own control flow). */
function answerThrown(renderer: RefusalRenderer, onError: (error: unknown) => void, thrown: unknown): Response {
  if (isNextControlFlow(thrown)) throw thrown;
  const { error, unexpected } = authErrorForThrown(thrown);
  if (unexpected || error.httpStatus >= 500) onError(thrown);
  return render(renderer, error);
}

const NO_PARAMS: Promise<RouteParams> = Promise.resolve(Object.freeze({}));

/**
 * Protects an App Router route handler with `strategy`: a refusal is answered with the strategy's own reply
 * (envelope, status, headers) and the handler never runs; otherwise the handler gets `{ auth, params }`. The body
 * is read from a clone, so the handler still reads it with `request.json()`. An error the handler throws is
 * answered in the strategy's envelope: an `AuthError` as itself, a body that is not JSON as `REQUEST_MALFORMED`,
 * anything else as `INTERNAL_ERROR` (logged through `onError`); Next's own `redirect()` and `notFound()` pass.
 * Next.js gives no client IP: set `clientIp: { header }` where the platform guarantees one.
 *
 * @example
 * ```ts
 * // app/v2/tracker/list/route.ts
 * export const POST = withAuth(strategy, async (request, { auth }) => {
 *   const { labels } = (await request.json()) as { labels?: string[] };
 *   return Response.json({ success: true, list: await trackersOf(auth.principal.id, labels) });
 * }, { clientIp: { header: 'x-real-ip' } });
 * ```
 */
export function withAuth<P extends Principal, Params = RouteParams, R extends Request = Request>(
  strategy: AuthStrategy<P>,
  handler: (request: R, context: OptionalAuthedContext<P, Params>) => Response | Promise<Response>,
  options: WithAuthOptions & { readonly optional: true },
): RouteHandler<Params, R>;
export function withAuth<P extends Principal, Params = RouteParams, R extends Request = Request>(
  strategy: AuthStrategy<P>,
  handler: (request: R, context: AuthedContext<P, Params>) => Response | Promise<Response>,
  options?: WithAuthOptions & { readonly optional?: false },
): RouteHandler<Params, R>;
export function withAuth<P extends Principal, Params = RouteParams, R extends Request = Request>(
  strategy: AuthStrategy<P>,
  handler: (request: R, context: OptionalAuthedContext<P, Params>) => Response | Promise<Response>,
  options?: WithAuthOptions,
): RouteHandler<Params, R>;
export function withAuth<P extends Principal, Params = RouteParams, R extends Request = Request>(
  strategy: AuthStrategy<P>,
  handler:
    | ((request: R, context: OptionalAuthedContext<P, Params>) => Response | Promise<Response>)
    | ((request: R, context: AuthedContext<P, Params>) => Response | Promise<Response>),
  options: WithAuthOptions = {},
): RouteHandler<Params, R> {
  const protect: ProtectRoute<P, true> = authenticate(strategy, options);
  // Without `optional: true` the guard never lets `auth` be null, so the narrower handler gets what it declares.
  return protect(handler as (request: R, context: OptionalAuthedContext<P, Params>) => Response | Promise<Response>);
}

/**
 * {@link withAuth} with the strategy and options first, the name every Gatehouse adapter shares: one protection
 * for many route files.
 *
 * @example
 * ```ts
 * // lib/auth.ts
 * export const apexSession = authenticate(hmacSession({ store }), { require: 'Trading' });
 * // app/ap/SendOrder/route.ts
 * export const POST = apexSession(async (request, { auth }) => Response.json({ result: true, user: auth.principal.id }));
 * ```
 */
export function authenticate<P extends Principal>(strategy: AuthStrategy<P>, options: WithAuthOptions & { readonly optional: true }): ProtectRoute<P, true>;
export function authenticate<P extends Principal>(strategy: AuthStrategy<P>, options?: WithAuthOptions & { readonly optional?: false }): ProtectRoute<P>;
export function authenticate<P extends Principal>(strategy: AuthStrategy<P>, options?: WithAuthOptions): ProtectRoute<P, true>;
export function authenticate<P extends Principal>(strategy: AuthStrategy<P>, options: WithAuthOptions = {}): ProtectRoute<P, true> | ProtectRoute<P> {
  assertKnownOptions(options, ['optional', 'require', 'clientIp', 'maxBodyBytes', 'onError']);
  assertOnError(options.onError);
  const onError = options.onError ?? logToConsole;
  const toAuthRequest = createRequestAdapter(options);
  const { clientIp, maxBodyBytes, onError: _onError, ...guardOptions } = options;
  const guard = createAuthGuard(strategy, guardOptions);
  const protect: ProtectRoute<P, true> = <Params, R extends Request>(handler: (request: R, context: OptionalAuthedContext<P, Params>) => Response | Promise<Response>): RouteHandler<Params, R> => {
    if (typeof handler !== 'function') throw new ConfigurationError('handler', 'must be a route handler function');
    return async (request, context) => {
      const decision = await guard(toAuthRequest(request));
      if (decision.type === 'refused') return toFetchResponse(decision.reply);
      const params = (context?.params ?? NO_PARAMS) as Promise<Params>;
      try {
        return await handler(request, { auth: decision.auth, params });
      } catch (error) {
        return answerThrown(strategy, onError, error);
      }
    };
  };
  return protect;
}

/**
 * The handlers of a catch-all route file that serves a strategy package's route kit (login, session and
 * key-management routes): each method is dispatched to the kit's route, a known path with another method gets
 * 405, and any other path `ROUTE_NOT_FOUND`, all in the kit's envelope. Put the file at the kit's base path; route
 * files of your own next to it (`app/v2/tracker/list/route.ts`) take precedence over the catch-all.
 *
 * @example
 * ```ts
 * // app/v2/[...path]/route.ts
 * export const { GET, POST } = routeKit(createNvxRoutes({ strategy, manager, verifyLogin }), { clientIp: { header: 'x-real-ip' } });
 * ```
 */
export function routeKit(kit: RouteKit, options: RouteKitOptions = {}): RouteHandlers {
  assertKnownOptions(options, ['clientIp', 'maxBodyBytes', 'onError']);
  assertOnError(options.onError);
  const answer = createRouteKitHandler(kit, options.onError === undefined ? {} : { onError: options.onError });
  const toAuthRequest = createRequestAdapter(options);
  const handle: RouteHandler = async (request) => {
    const reply = await answer(toAuthRequest(request));
    // The catch-all owns every path below it: what the kit does not serve is answered here, in its envelope.
    return reply === null ? render(kit, new AuthError('ROUTE_NOT_FOUND')) : toFetchResponse(reply);
  };
  return { GET: handle, POST: handle, PUT: handle, PATCH: handle, DELETE: handle };
}

/**
 * The handlers of a catch-all route file answering `ROUTE_NOT_FOUND` in a scheme's envelope (Navixy: code 5 with
 * HTTP 404) for every path below it that no route file serves, instead of Next's HTML page.
 *
 * @example
 * ```ts
 * // app/ap/[...path]/route.ts
 * export const { GET, POST, PUT, PATCH, DELETE } = notFound(sessions);
 * ```
 */
export function notFound(renderer: RefusalRenderer): RouteHandlers {
  assertRenderer(renderer, 'renderer');
  const handle: RouteHandler = async () => render(renderer, new AuthError('ROUTE_NOT_FOUND'));
  return { GET: handle, POST: handle, PUT: handle, PATCH: handle, DELETE: handle };
}

/**
 * Wraps a route handler (one that needs no authentication, e.g. a login form's) so what it throws is answered
 * in a scheme's envelope, as {@link withAuth} does: an `AuthError` as itself, a body that is not JSON as
 * `REQUEST_MALFORMED`, anything else as `INTERNAL_ERROR` (logged through `onError`). Next's own `redirect()` and
 * `notFound()` pass.
 *
 * @example
 * ```ts
 * const bridged = errorBridge(strategy);
 * export const POST = bridged(async (request) => {
 *   const { login } = (await request.json()) as { login: string }; // invalid JSON -> Navixy code 5
 *   return Response.json({ success: true, login });
 * });
 * ```
 */
export function errorBridge(renderer: RefusalRenderer, options: ErrorBridgeOptions = {}): NextErrorBridge {
  assertRenderer(renderer, 'renderer');
  assertKnownOptions(options, ['onError']);
  assertOnError(options.onError);
  const onError = options.onError ?? logToConsole;
  return <Params, R extends Request>(handler: (request: R, context: RouteContext<Params>) => Response | Promise<Response>): RouteHandler<Params, R> => {
    if (typeof handler !== 'function') throw new ConfigurationError('handler', 'must be a route handler function');
    return async (request, context) => {
      try {
        return await handler(request, context ?? { params: NO_PARAMS as Promise<Params> });
      } catch (error) {
        return answerThrown(renderer, onError, error);
      }
    };
  };
}
