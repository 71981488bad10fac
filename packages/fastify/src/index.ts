// @gatehouse/fastify: glue between Fastify 5 and @gatehouse/auth-core. Everything a scheme decides (who the
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
import { createNodeRequestAdapter, type NodeRequestContext } from '@gatehouse/auth-core/node';
import { JSON_CONTENT_TYPE } from '@gatehouse/auth-core/strategy';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fastifyPlugin from 'fastify-plugin';

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
 * Where the client IP comes from: `'socket'` (the TCP peer, the default), `'framework'` (Fastify's `request.ip`,
 * under your `trustProxy` setting), `{ header }` (a header your platform sets and never passes through, e.g.
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
  /** Told about every error answered as `INTERNAL_ERROR`. Default: `request.log.error`. */
  readonly onError?: (error: unknown) => void;
}

type RequestReader = (request: FastifyRequest) => AuthRequest;

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DEFAULT_MAX_BODY_BYTES = 65_536;
/** Every kit path answers these, so a known path with another method gets the kit's 405 (HEAD comes with GET). */
const KIT_METHODS = ['DELETE', 'GET', 'PATCH', 'POST', 'PUT'];
const JSON_SUFFIX_TYPE = /^application\/[\w!#$&^.+-]+\+json\b/i;

/** Checks an options object; a misspelt option (`requires: 'Trading'`) would silently turn a check off. */
function assertOptions(options: unknown, known: readonly string[]): void {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object');
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) throw new ConfigurationError(name, `is not an option here (known: ${known.join(', ')})`);
  }
}

function assertFunction(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'function') throw new ConfigurationError(name, 'must be a function');
}

function assertRenderer(renderer: unknown): asserts renderer is RefusalRenderer {
  if (renderer === null || typeof renderer !== 'object' || typeof (renderer as RefusalRenderer).renderRefusal !== 'function') {
    throw new ConfigurationError('renderer', 'must have a renderRefusal() method (a strategy or a route kit)');
  }
}

/** Core's guard options only: core refuses options it does not know. */
function guardOptionsOf(options: GatehouseOptions): AuthGuardOptions {
  return {
    ...(options.optional === undefined ? {} : { optional: options.optional }),
    ...(options.require === undefined ? {} : { require: options.require }),
  };
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
  const framework = source === 'framework';
  return (request) => {
    // Fastify has read the stream before any preHandler: hand core what its parser left (the kit's parsers leave
    // the bytes themselves, a Buffer, which core decodes exactly).
    const body: unknown = request.body;
    const context: { -readonly [K in keyof NodeRequestContext]: NodeRequestContext[K] } = {};
    if (body !== undefined) context.body = body;
    if (framework) context.remoteAddress = request.ip;
    return toAuthRequest(request.raw, context);
  };
}

function refusalOf(code: AuthErrorCode, cause?: unknown): AuthRefusal {
  return { type: 'rejected', error: new AuthError(code, cause === undefined ? {} : { cause }) };
}

/** Sends a strategy's reply as it is: status, headers, and the JSON body (Fastify sends a string as given). */
function sendReply(reply: FastifyReply, wire: WireReply<unknown>): FastifyReply {
  reply.code(wire.httpStatus);
  let typed = false;
  for (const name of Object.keys(wire.headers)) {
    if (name.toLowerCase() === 'content-type') typed = true;
    reply.header(name, wire.headers[name]);
  }
  if (!typed) reply.header('content-type', JSON_CONTENT_TYPE);
  return reply.send(JSON.stringify(wire.body) ?? 'null');
}

/**
 * The code an error Fastify hands its error handler stands for: a body over `bodyLimit` is `REQUEST_TOO_LARGE`,
 * an unparsable body or an unsupported media type `REQUEST_MALFORMED`, a failed schema validation
 * `PARAMETER_INVALID`, a 404 / 405 those codes, an `AuthError` itself, anything else `INTERNAL_ERROR`.
 */
function codeOf(error: unknown): AuthErrorCode {
  if (error instanceof AuthError) return error.code;
  const { code, statusCode, validation } = (error ?? {}) as { code?: unknown; statusCode?: unknown; validation?: unknown };
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || statusCode === 413) return 'REQUEST_TOO_LARGE';
  if (validation !== undefined) return 'PARAMETER_INVALID';
  if (statusCode === 415 || (statusCode === 400 && typeof code === 'string' && code.startsWith('FST_ERR_CTP_'))) return 'REQUEST_MALFORMED';
  if (statusCode === 404) return 'ROUTE_NOT_FOUND';
  if (statusCode === 405) return 'METHOD_NOT_ALLOWED';
  return 'INTERNAL_ERROR';
}

type ErrorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => FastifyReply;

function errorHandlerFor(renderer: RefusalRenderer, onError: ((error: unknown) => void) | undefined): ErrorHandler {
  return (error, request, reply) => {
    const code = codeOf(error);
    if (code === 'INTERNAL_ERROR') {
      if (onError === undefined) request.log.error({ err: error }, 'gatehouse: a request failed');
      else onError(error);
    }
    return sendReply(reply, renderer.renderRefusal(error instanceof AuthError ? { type: 'rejected', error } : refusalOf(code, error)));
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
  assertOptions(options, ['optional', 'require', 'clientIp', 'maxBodyBytes']);
  const guard = createAuthGuard(strategy, guardOptionsOf(options));
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
  assertOptions(options, ['clientIp', 'maxBodyBytes', 'onError']);
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
  return (_request, reply) => sendReply(reply, renderer.renderRefusal(refusalOf('ROUTE_NOT_FOUND')));
}

/**
 * A plugin that sets the error and not-found handlers of the context it is registered in, so that under a
 * scheme's prefix everything answers in the scheme's envelope: a body over `bodyLimit` is `REQUEST_TOO_LARGE`
 * (Navixy: code 9 with HTTP 412), an unparsable body or unsupported media type `REQUEST_MALFORMED`, a failed
 * schema validation `PARAMETER_INVALID`, an unknown route `ROUTE_NOT_FOUND`, a thrown `AuthError` itself, and
 * anything else `INTERNAL_ERROR` (logged with `request.log.error`, or given to `onError`).
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
  assertOptions(options, ['onError']);
  assertFunction(options.onError, 'onError');
  const onNotFound = notFound(renderer);
  const onError = errorHandlerFor(renderer, options.onError);
  // Not encapsulated (fastify-plugin): the handlers belong to the context that registers the bridge.
  return fastifyPlugin(async (fastify) => {
    fastify.setErrorHandler(onError);
    fastify.setNotFoundHandler(onNotFound);
  }, { fastify: '5.x' });
}
