// @gatehouse/fastify: glue between Fastify 5 and @gatehouse/auth-core. Everything a scheme decides (who the
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
import { createNodeRequestAdapter } from '@gatehouse/auth-core/node';
import { assertKnownOptions, authErrorForThrown, compileClientIpSource, JSON_CONTENT_TYPE } from '@gatehouse/auth-core/strategy';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fastifyPlugin from 'fastify-plugin';

export type { ClientIpSource, GatehouseOptions, RefusalRenderer } from '@gatehouse/auth-core';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Who {@link authenticate} let through: principal, credential and strategy id; `null` on an optional route
     * that was called without credentials, and wherever no `authenticate` ran (the {@link gatehouse} plugin's
     * default).
     */
    auth: AuthContext | null;
  }
}

/**
 * Options of {@link routeKit}: where the request comes from, and who hears about a route handler that threw.
 * `maxBodyBytes` is also the `bodyLimit` of the kit's JSON and urlencoded parsers.
 *
 * @example
 * ```ts
 * const options: RouteKitOptions = { clientIp: 'framework', onError: (error) => logger.error(error) };
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
  /** Told about every error answered with a 5xx (a bug, a failing store). Default: `request.log.error`. */
  readonly onError?: (error: unknown) => void;
}

const DEFAULT_MAX_BODY_BYTES = 65_536;
/** Every kit path answers these, so a known path with another method gets the kit's 405 (HEAD comes with GET). */
const KIT_METHODS = ['DELETE', 'GET', 'PATCH', 'POST', 'PUT'];
const JSON_SUFFIX_TYPE = /^application\/[\w!#$&^.+-]+\+json\b/i;

function assertFunction(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'function') throw new ConfigurationError(name, 'must be a function');
}

function assertRenderer(renderer: unknown): asserts renderer is RefusalRenderer {
  if (renderer === null || typeof renderer !== 'object' || typeof (renderer as RefusalRenderer).renderRefusal !== 'function') {
    throw new ConfigurationError('renderer', 'must have a renderRefusal() method (a strategy or a route kit)');
  }
}

/** The core adapter for a `clientIp` / `maxBodyBytes` pair, checked once; `'framework'` is Fastify's `request.ip`. */
function requestReader({ clientIp, maxBodyBytes }: Pick<GatehouseOptions, 'clientIp' | 'maxBodyBytes'>): (request: FastifyRequest) => AuthRequest {
  const { requestOptions, fromFramework } = compileClientIpSource(clientIp, { socket: true, framework: true });
  const toAuthRequest = createNodeRequestAdapter({ ...requestOptions, ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }) });
  return (request) => {
    // Fastify has read the stream before any preHandler: hand core what its parser left (the kit's parsers leave
    // the bytes themselves, a Buffer, which core decodes exactly).
    const body: unknown = request.body;
    return toAuthRequest(request.raw, { ...(body === undefined ? {} : { body }), ...(fromFramework ? { remoteAddress: request.ip } : {}) });
  };
}

/** Sends a strategy's reply as it is: status, headers, and the JSON body (Fastify sends a string as given). */
function sendReply(reply: FastifyReply, wire: WireReply<unknown>): FastifyReply {
  reply.code(wire.httpStatus).header('content-type', JSON_CONTENT_TYPE);
  // After the default, so a reply's own `Content-Type` (Fastify's header names are case-insensitive) replaces it.
  for (const name of Object.keys(wire.headers)) reply.header(name, wire.headers[name]);
  return reply.send(JSON.stringify(wire.body) ?? 'null');
}

type ErrorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => FastifyReply;

/**
 * Answers what Fastify hands its error handler in the scheme's envelope: core's mapping (body over `bodyLimit`
 * 413, bad body 400 / 415, 404, 405, `AuthError` as itself, anything else `INTERNAL_ERROR`), and before it a failed
 * schema validation (also a 400) as `PARAMETER_INVALID`.
 */
function errorHandlerFor(renderer: RefusalRenderer, onError: ((error: unknown) => void) | undefined): ErrorHandler {
  return (thrown, request, reply) => {
    const error = thrown.validation === undefined ? authErrorForThrown(thrown).error : new AuthError('PARAMETER_INVALID', { cause: thrown });
    if (error.httpStatus >= 500) {
      if (onError === undefined) request.log.error({ err: thrown }, 'gatehouse: a request failed');
      else onError(thrown);
    }
    return sendReply(reply, renderer.renderRefusal({ type: 'rejected', error }));
  };
}

/**
 * The plugin that gives every request `request.auth` (`null` until {@link authenticate} lets a request through),
 * so Fastify knows the property up front. Register it once, at the root.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import gatehouse from '@gatehouse/fastify';
 * const app = Fastify();
 * await app.register(gatehouse);
 * ```
 */
export const gatehouse: FastifyPluginAsync = fastifyPlugin(
  async (fastify) => {
    if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', null);
  },
  { fastify: '5.x', name: '@gatehouse/fastify' },
);

export default gatehouse;

/**
 * A `preHandler` hook that authenticates with `strategy`. A refusal is answered with the strategy's own reply
 * (envelope, status, headers) and the handler never runs; otherwise `request.auth` holds who it is (`null` on an
 * `optional` route without credentials). The body the strategy reads is what Fastify's parser left
 * (`request.body`), which stays there for the handler.
 *
 * @example
 * ```ts
 * import { authenticate } from '@gatehouse/fastify';
 * app.post('/v2/tracker/list', { preHandler: authenticate(nvx) }, async (request) => {
 *   return { success: true, list: [], user_id: request.auth?.principal.id };
 * });
 * ```
 */
export function authenticate<P extends Principal = Principal>(strategy: AuthStrategy<P>, options: GatehouseOptions = {}): preHandlerAsyncHookHandler {
  assertKnownOptions(options, ['optional', 'require', 'clientIp', 'maxBodyBytes']);
  const { clientIp, maxBodyBytes, ...guardOptions } = options;
  const guard = createAuthGuard(strategy, guardOptions);
  const read = requestReader(options);
  return async (request, reply) => {
    const decision = await guard(read(request));
    if (decision.type === 'refused') return sendReply(reply, decision.reply);
    request.auth = decision.auth;
    return undefined;
  };
}

/**
 * Mounts a strategy package's route kit in one line: a plugin registering the kit's paths (absolute, under each
 * of the kit's `basePaths`; register it where no prefix applies). Inside its own encapsulated context it reads
 * JSON and urlencoded bodies as raw bytes (up to `maxBodyBytes`), so strategies judge exactly what was sent,
 * repeated keys and fields included, and its errors (a body over the limit, a bad body) are answered in the kit's
 * envelope. A known path with another method gets the kit's 405.
 *
 * @example
 * ```ts
 * import { createNvxRoutes } from '@gatehouse/strategy-nvx-hash';
 * await app.register(routeKit(createNvxRoutes({ strategy: nvx, manager, verifyLogin })));
 * ```
 */
export function routeKit(kit: RouteKit, options: RouteKitOptions = {}): FastifyPluginAsync {
  assertKnownOptions(options, ['clientIp', 'maxBodyBytes', 'onError']);
  assertFunction(options.onError, 'onError');
  const answer = createRouteKitHandler(kit, options.onError === undefined ? {} : { onError: options.onError });
  const read = requestReader(options);
  const bodyLimit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const urls = new Set<string>();
  for (const base of kit.basePaths) {
    const root = base.replace(/\/+$/, '');
    for (const route of kit.routes) urls.add(route.path === '/' ? root || '/' : `${root}${route.path}`);
  }
  const keepBytes = (_request: FastifyRequest, bytes: string | Uint8Array, done: (error: Error | null, body?: unknown) => void): void => {
    done(null, bytes);
  };
  return async (fastify) => {
    if (fastify.prefix !== '') throw new ConfigurationError('prefix', `routeKit serves the kit's own absolute paths; register it without a prefix (got ${fastify.prefix})`);
    for (const type of ['application/json', 'application/x-www-form-urlencoded', JSON_SUFFIX_TYPE]) {
      if (fastify.hasContentTypeParser(type)) fastify.removeContentTypeParser(type);
      fastify.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit }, keepBytes);
    }
    fastify.setErrorHandler(errorHandlerFor(kit, options.onError));
    for (const url of urls) {
      fastify.route({
        method: KIT_METHODS,
        url,
        handler: async (request, reply) => {
          const wire = await answer(read(request));
          return wire === null ? reply.callNotFound() : sendReply(reply, wire);
        },
      });
    }
  };
}

/**
 * A not-found handler answering `ROUTE_NOT_FOUND` in the scheme's envelope (Navixy: code 5 with HTTP 404),
 * never Fastify's own JSON: `setNotFoundHandler(notFound(nvx))` in the scheme's prefixed context.
 *
 * @example
 * ```ts
 * await app.register(async (v2) => {
 *   v2.setNotFoundHandler(notFound(nvx));
 *   v2.post('/tracker/list', { preHandler: authenticate(nvx) }, listTrackers);
 * }, { prefix: '/v2' });
 * ```
 */
export function notFound(renderer: RefusalRenderer): (request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  assertRenderer(renderer);
  return (_request, reply) => sendReply(reply, renderer.renderRefusal({ type: 'rejected', error: new AuthError('ROUTE_NOT_FOUND') }));
}

/**
 * A plugin that sets the error and not-found handlers of the context it is registered in, so that under a
 * scheme's prefix everything answers in the scheme's envelope: a body over `bodyLimit` is `REQUEST_TOO_LARGE`
 * (Navixy: code 9 with HTTP 412), an unparsable body or unsupported media type `REQUEST_MALFORMED`, a failed
 * schema validation `PARAMETER_INVALID`, an unknown route `ROUTE_NOT_FOUND`, a thrown `AuthError` itself, and
 * anything else `INTERNAL_ERROR`; every 5xx is logged with `request.log.error`, or given to `onError`.
 *
 * @example
 * ```ts
 * await app.register(async (v2) => {
 *   await v2.register(errorBridge(nvx));
 *   v2.post('/tracker/list', { preHandler: authenticate(nvx) }, listTrackers);
 * }, { prefix: '/v2' });
 * ```
 */
export function errorBridge(renderer: RefusalRenderer, options: ErrorBridgeOptions = {}): FastifyPluginAsync {
  assertRenderer(renderer);
  assertKnownOptions(options, ['onError']);
  assertFunction(options.onError, 'onError');
  const onNotFound = notFound(renderer);
  const onError = errorHandlerFor(renderer, options.onError);
  // Not encapsulated (fastify-plugin): the handlers belong to the context that registers the bridge.
  return fastifyPlugin(async (fastify) => {
    fastify.setErrorHandler(onError);
    fastify.setNotFoundHandler(onNotFound);
  }, { fastify: '5.x' });
}
