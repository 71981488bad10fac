// @gatehouse/express: glue between Express 4/5 and @gatehouse/auth-core. Everything a scheme decides (who the
// caller is, the reply, its envelope) comes from core and the strategy; this file only moves requests and replies.
import {
  AuthError,
  ConfigurationError,
  createAuthGuard,
  createRouteKitHandler,
  type AuthContext,
  type AuthRequest,
  type AuthStrategy,
  type GatehouseOptions,
  type Principal,
  type RefusalRenderer,
  type RouteKit,
  type WireReply,
} from '@gatehouse/auth-core';
import { createNodeRequestAdapter, writeNodeReply } from '@gatehouse/auth-core/node';
import { assertKnownOptions, authErrorForThrown, compileClientIpSource } from '@gatehouse/auth-core/strategy';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';

export type { ClientIpSource, GatehouseOptions, RefusalRenderer } from '@gatehouse/auth-core';

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
 * Options of {@link errorBridge}.
 *
 * @example
 * ```ts
 * const options: ErrorBridgeOptions = { onError: (error) => logger.error(error) };
 * ```
 */
export interface ErrorBridgeOptions {
  /** Told about every error answered with a 5xx (a bug, a failing store). Default `console.error`. */
  readonly onError?: (error: unknown) => void;
}

function assertFunction(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'function') throw new ConfigurationError(name, 'must be a function');
}

function assertRenderer(renderer: unknown): asserts renderer is RefusalRenderer {
  if (renderer === null || typeof renderer !== 'object' || typeof (renderer as RefusalRenderer).renderRefusal !== 'function') {
    throw new ConfigurationError('renderer', 'must have a renderRefusal() method (a strategy or a route kit)');
  }
}

/** The core adapter for a `clientIp` / `maxBodyBytes` pair, checked once; `'framework'` is Express's `req.ip`. */
function requestReader({ clientIp, maxBodyBytes }: Pick<GatehouseOptions, 'clientIp' | 'maxBodyBytes'>): (req: Request) => AuthRequest {
  const { requestOptions, fromFramework } = compileClientIpSource(clientIp, { socket: true, framework: true });
  const toAuthRequest = createNodeRequestAdapter({ ...requestOptions, ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }) });
  return fromFramework ? (req) => toAuthRequest(req, { remoteAddress: req.ip ?? null }) : (req) => toAuthRequest(req);
}

/** Runs `answer` on the request; `null` passes it on, anything thrown goes to Express's error chain. */
function middleware(read: (req: Request) => AuthRequest, answer: (request: AuthRequest, req: Request) => Promise<WireReply<unknown> | null>): RequestHandler {
  return (req, res, next) => {
    let request: AuthRequest;
    try {
      request = read(req);
    } catch (error) {
      next(error);
      return;
    }
    answer(request, req).then((reply) => (reply === null ? next() : writeNodeReply(res, reply)), next);
  };
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
  assertKnownOptions(options, ['optional', 'require', 'clientIp', 'maxBodyBytes']);
  const { clientIp, maxBodyBytes, ...guardOptions } = options;
  const guard = createAuthGuard(strategy, guardOptions);
  return middleware(requestReader(options), async (request, req) => {
    const decision = await guard(request);
    if (decision.type === 'refused') return decision.reply;
    req.auth = decision.auth;
    return null;
  });
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
  assertKnownOptions(options, ['clientIp', 'maxBodyBytes', 'onError']);
  assertFunction(options.onError, 'onError');
  const answer = createRouteKitHandler(kit, options.onError === undefined ? {} : { onError: options.onError });
  return middleware(requestReader(options), answer);
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
      writeNodeReply(res, renderer.renderRefusal({ type: 'rejected', error: new AuthError('ROUTE_NOT_FOUND') }));
    } catch (error) {
      next(error);
    }
  };
}

/**
 * An error middleware that answers in the scheme's envelope instead of Express's HTML page: a body over
 * `express.json()`'s `limit` is `REQUEST_TOO_LARGE` (Navixy: code 9 with HTTP 412), an unparsable body or
 * unsupported charset/encoding `REQUEST_MALFORMED`, a 404 / 405 error those codes, a thrown `AuthError` itself,
 * and anything else `INTERNAL_ERROR`; every 5xx is told to `onError`. A response already started is left to Express.
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
  assertKnownOptions(options, ['onError']);
  assertFunction(options.onError, 'onError');
  const onError = options.onError ?? logError;
  return (thrown: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(thrown);
      return;
    }
    const { error, unexpected } = authErrorForThrown(thrown);
    if (unexpected || error.httpStatus >= 500) onError(thrown);
    let reply: WireReply<unknown>;
    try {
      reply = renderer.renderRefusal({ type: 'rejected', error });
    } catch {
      next(thrown);
      return;
    }
    writeNodeReply(res, reply);
  };
}
