// @gatehouse/express: glue between Express 4/5 and @gatehouse/auth-core. Everything a scheme decides (who the
// caller is, the reply, its envelope) comes from core and the strategy; this file only moves requests and replies.
import {
  AuthError,
  ConfigurationError,
  createAuthGuard,
  createRouteKitHandler,
  type AuthContext,
  type AuthErrorCode,
  type AuthGuardOptions,
  type AuthRefusal,
  type AuthRequest,
  type AuthStrategy,
  type Principal,
  type RequestAdapterOptions,
  type RouteKit,
  type WireReply,
} from '@gatehouse/auth-core';
import { createNodeRequestAdapter, writeNodeReply, type NodeRequestContext } from '@gatehouse/auth-core/node';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own extension point
  namespace Express {
    interface Request {
      /**
       * Who {@link authenticate} let through: principal, credential and strategy id; `null` on an optional route
       * that was called without credentials; `undefined` where no `authenticate` ran.
       */
      auth?: AuthContext | null;
    }
  }
}

/**
 * Where the client IP comes from: `'socket'` (the TCP peer, the default), `'framework'` (Express's `req.ip`,
 * under your `trust proxy` setting), `{ header }` (a header your platform sets and never passes through, e.g.
 * `x-real-ip`), or `{ trustedProxies }` (`X-Forwarded-For` read right to left behind exactly these proxies).
 *
 * @example
 * ```ts
 * const behindNginx: ClientIpSource = { trustedProxies: ['10.0.0.2'] };
 * ```
 */
export type ClientIpSource = 'socket' | 'framework' | { readonly header: string } | { readonly trustedProxies: readonly string[] };

/**
 * Options of {@link authenticate}: core's guard options (`optional`, `require`) and where the request comes from.
 *
 * @example
 * ```ts
 * const options: GatehouseOptions = { require: 'Trading', clientIp: 'framework', maxBodyBytes: 16_384 };
 * ```
 */
export interface GatehouseOptions extends AuthGuardOptions {
  /** Where the client IP comes from. Default `'socket'`. */
  readonly clientIp?: ClientIpSource;
  /** The most body bytes a strategy reads before the body counts as too large. Default 65,536. */
  readonly maxBodyBytes?: number;
}

/**
 * Options of {@link routeKit}: where the request comes from, and who hears about a route handler that threw.
 *
 * @example
 * ```ts
 * const options: RouteKitOptions = { clientIp: { header: 'x-real-ip' }, onError: (error) => logger.error(error) };
 * ```
 */
export interface RouteKitOptions extends Pick<GatehouseOptions, 'clientIp' | 'maxBodyBytes'> {
  /** Told about every error a kit handler throws (it is answered in the kit's envelope). Default `console.error`. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Anything that answers a refusal in its scheme's envelope: a strategy or a route kit.
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
 * Options of {@link errorBridge}.
 *
 * @example
 * ```ts
 * const options: ErrorBridgeOptions = { onError: (error) => logger.error(error) };
 * ```
 */
export interface ErrorBridgeOptions {
  /** Told about every error answered as `INTERNAL_ERROR`. Default `console.error`. */
  readonly onError?: (error: unknown) => void;
}

type RequestReader = (req: Request) => AuthRequest;

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Checks an options object; a misspelt option (`requires: 'Trading'`) would silently turn a check off. */
function assertOptions(options: unknown, known: readonly string[]): void {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object');
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) throw new ConfigurationError(name, `is not an option here (known: ${known.join(', ')})`);
  }
}

/** Core's guard options only: core refuses options it does not know. */
function guardOptionsOf(options: GatehouseOptions): AuthGuardOptions {
  return {
    ...(options.optional === undefined ? {} : { optional: options.optional }),
    ...(options.require === undefined ? {} : { require: options.require }),
  };
}

function assertFunction(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'function') throw new ConfigurationError(name, 'must be a function');
}

/** The core adapter for a `clientIp` / `maxBodyBytes` pair, checked once. */
function requestReader(options: Pick<GatehouseOptions, 'clientIp' | 'maxBodyBytes'>): RequestReader {
  const source = options.clientIp ?? 'socket';
  const adapterOptions: { -readonly [K in keyof RequestAdapterOptions]: RequestAdapterOptions[K] } = {};
  if (options.maxBodyBytes !== undefined) adapterOptions.maxBodyBytes = options.maxBodyBytes;
  if (typeof source === 'object' && source !== null && 'header' in source) {
    if (typeof source.header !== 'string' || !HEADER_NAME.test(source.header)) throw new ConfigurationError('clientIp', '`header` must be an HTTP header name');
    adapterOptions.clientIpHeader = source.header;
  } else if (typeof source === 'object' && source !== null && 'trustedProxies' in source) {
    if (!Array.isArray(source.trustedProxies) || source.trustedProxies.length === 0) {
      throw new ConfigurationError('clientIp', '`trustedProxies` must be a non-empty array of IPs or CIDRs');
    }
    adapterOptions.trustedProxies = source.trustedProxies;
  } else if (source !== 'socket' && source !== 'framework') {
    throw new ConfigurationError('clientIp', "must be 'socket', 'framework', { header } or { trustedProxies }");
  }
  const toAuthRequest = createNodeRequestAdapter(adapterOptions);
  if (source !== 'framework') return (req) => toAuthRequest(req);
  return (req) => {
    const context: NodeRequestContext = { remoteAddress: req.ip ?? null };
    return toAuthRequest(req, context);
  };
}

function refusalOf(code: AuthErrorCode, cause?: unknown): AuthRefusal {
  return { type: 'rejected', error: new AuthError(code, cause === undefined ? {} : { cause }) };
}

function assertRenderer(renderer: unknown): asserts renderer is RefusalRenderer {
  if (renderer === null || typeof renderer !== 'object' || typeof (renderer as RefusalRenderer).renderRefusal !== 'function') {
    throw new ConfigurationError('renderer', 'must have a renderRefusal() method (a strategy or a route kit)');
  }
}

const logError = (error: unknown): void => {
  console.error('gatehouse: a request failed:', error);
};

/**
 * Express middleware that authenticates with `strategy`. A refusal is answered with the strategy's own reply
 * (envelope, status, headers) and the route handler never runs; otherwise `req.auth` holds who it is (`null` on
 * an `optional` route without credentials). Works whether `express.json()` / `express.urlencoded()` ran before
 * it or not: when a strategy made it read a JSON or urlencoded body itself, the parsed body is left on `req.body`
 * and marked read (core does this), so a parser after it keeps it; any other body stays in the stream.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { authenticate, errorBridge } from '@gatehouse/express';
 * const app = express();
 * app.post('/v2/tracker/list', authenticate(nvx), (req, res) => {
 *   res.json({ success: true, list: [], user_id: req.auth?.principal.id });
 * });
 * app.use('/v2', errorBridge(nvx));
 * ```
 */
export function authenticate<P extends Principal = Principal>(strategy: AuthStrategy<P>, options: GatehouseOptions = {}): RequestHandler {
  assertOptions(options, ['optional', 'require', 'clientIp', 'maxBodyBytes']);
  const guard = createAuthGuard(strategy, guardOptionsOf(options));
  const read = requestReader(options);
  return (req, res, next) => {
    let request: AuthRequest;
    try {
      request = read(req);
    } catch (error) {
      next(error);
      return;
    }
    guard(request).then((decision) => {
      if (decision.type === 'refused') {
        writeNodeReply(res, decision.reply);
        return;
      }
      req.auth = decision.auth;
      next();
    }, next);
  };
}

/**
 * Mounts a strategy package's route kit in one line: a middleware that answers the kit's routes (and a known
 * path with another method, 405) in the kit's envelope and passes every other request on. Kit paths are
 * absolute (the kit's `basePaths`), so use it at the application or at a router mounted anywhere.
 *
 * @example
 * ```ts
 * import { createNvxRoutes } from '@gatehouse/strategy-nvx-hash';
 * app.use(routeKit(createNvxRoutes({ strategy: nvx, manager, verifyLogin })));
 * app.use('/v2', notFound(nvx), errorBridge(nvx));
 * ```
 */
export function routeKit(kit: RouteKit, options: RouteKitOptions = {}): RequestHandler {
  assertOptions(options, ['clientIp', 'maxBodyBytes', 'onError']);
  assertFunction(options.onError, 'onError');
  const answer = createRouteKitHandler(kit, options.onError === undefined ? {} : { onError: options.onError });
  const read = requestReader(options);
  return (req, res, next) => {
    let request: AuthRequest;
    try {
      request = read(req);
    } catch (error) {
      next(error);
      return;
    }
    answer(request).then((reply) => {
      if (reply === null) next();
      else writeNodeReply(res, reply);
    }, next);
  };
}

/**
 * The last middleware of a scheme's mount: answers what no route served with `ROUTE_NOT_FOUND` in the scheme's
 * envelope (Navixy: code 5 with HTTP 404), never Express's HTML page.
 *
 * @example
 * ```ts
 * const v2 = express.Router();
 * v2.post('/tracker/list', authenticate(nvx), listTrackers);
 * v2.use(notFound(nvx));
 * app.use('/v2', v2);
 * ```
 */
export function notFound(renderer: RefusalRenderer): RequestHandler {
  assertRenderer(renderer);
  return (_req, res, next) => {
    try {
      writeNodeReply(res, renderer.renderRefusal(refusalOf('ROUTE_NOT_FOUND')));
    } catch (error) {
      next(error);
    }
  };
}

/**
 * The code an error that reached Express's error chain stands for: body-parser's own errors by their `type`,
 * HTTP 404 / 405 errors by their status, an `AuthError` as itself, anything else `INTERNAL_ERROR`.
 */
function codeOf(error: unknown): AuthErrorCode {
  if (error instanceof AuthError) return error.code;
  const { type, status, statusCode } = (error ?? {}) as { type?: unknown; status?: unknown; statusCode?: unknown };
  switch (type) {
    case 'entity.too.large':
    case 'parameters.too.many':
      return 'REQUEST_TOO_LARGE';
    case 'entity.parse.failed':
    case 'encoding.unsupported':
    case 'charset.unsupported':
    case 'request.size.invalid':
      return 'REQUEST_MALFORMED';
  }
  const httpStatus = status ?? statusCode;
  if (httpStatus === 404) return 'ROUTE_NOT_FOUND';
  if (httpStatus === 405) return 'METHOD_NOT_ALLOWED';
  return 'INTERNAL_ERROR';
}

/**
 * An error middleware that answers in the scheme's envelope instead of Express's HTML page: a body over
 * `express.json()`'s `limit` is `REQUEST_TOO_LARGE` (Navixy: code 9 with HTTP 412), an unparsable body or
 * unsupported charset/encoding `REQUEST_MALFORMED`, a 404 / 405 error those codes, a thrown `AuthError` itself,
 * and anything else `INTERNAL_ERROR` (logged through `onError`). A response already started is left to Express.
 *
 * @example
 * ```ts
 * app.use('/v2', express.json({ limit: '16kb' }));
 * app.post('/v2/tracker/list', authenticate(nvx), listTrackers);
 * app.use('/v2', errorBridge(nvx)); // a 20 kB body: {"success":false,"status":{"code":9,…}} with HTTP 412
 * ```
 */
export function errorBridge(renderer: RefusalRenderer, options: ErrorBridgeOptions = {}): ErrorRequestHandler {
  assertRenderer(renderer);
  assertOptions(options, ['onError']);
  assertFunction(options.onError, 'onError');
  const onError = options.onError ?? logError;
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const code = codeOf(error);
    if (code === 'INTERNAL_ERROR') onError(error);
    let reply: WireReply<unknown>;
    try {
      reply = renderer.renderRefusal(error instanceof AuthError ? { type: 'rejected', error } : refusalOf(code, error));
    } catch {
      next(error);
      return;
    }
    writeNodeReply(res, reply);
  };
}
