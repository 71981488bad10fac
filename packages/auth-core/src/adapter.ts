import { AuthError, ConfigurationError, type AuthErrorCode } from './errors.js';
import { createIpMatcher } from './ip.js';
import type { AuthRefusal } from './outcome.js';
import type { WireReply } from './reply.js';
import type { AuthGuardOptions } from './strategy.js';

/**
 * Where a framework adapter finds the client's IP address, which IP-bound schemes (access hashes, IP-restricted
 * APEX keys) check:
 * - `'socket'`: the TCP peer (the default). Behind a reverse proxy that is the proxy.
 * - `'framework'`: what the framework resolved under its own trust-proxy setting (Express `req.ip`, Fastify
 *   `request.ip`). Only where the framework has one.
 * - `{ header }`: a header the platform in front sets and never passes through from clients (Vercel `x-real-ip`,
 *   Cloudflare `cf-connecting-ip`). Anywhere else a client could set it.
 * - `{ trustedProxies }`: `X-Forwarded-For`, read right to left, believed only from these proxies.
 * When no address can be found the client IP is `null`, and IP-bound credentials are refused: they fail closed.
 *
 * @example
 * ```ts
 * const behindNginx: ClientIpSource = { trustedProxies: ['10.0.0.2'] };
 * const onVercel: ClientIpSource = { header: 'x-real-ip' };
 * ```
 */
export type ClientIpSource = 'socket' | 'framework' | { readonly header: string } | { readonly trustedProxies: readonly string[] };

/**
 * The options every framework adapter's `authenticate(strategy, options)` takes, with the same names everywhere.
 *
 * @example
 * ```ts
 * const options: GatehouseOptions = { require: 'Trading', clientIp: { trustedProxies: ['10.0.0.2'] } };
 * ```
 */
export interface GatehouseOptions extends AuthGuardOptions {
  /** Where the client IP comes from. Default `'socket'`. */
  readonly clientIp?: ClientIpSource;
  /** The most body bytes read for authentication. Default 65,536. */
  readonly maxBodyBytes?: number;
}

/**
 * Anything that renders a refusal in a scheme's envelope: a strategy or a route kit. What adapters' `notFound` and
 * `errorBridge` take.
 *
 * @example
 * ```ts
 * const renderer: RefusalRenderer = nvxHash({ store });
 * ```
 */
export interface RefusalRenderer {
  /**
   * The reply for a refusal, in the scheme's envelope (status, headers and body as the scheme's clients expect them).
   */
  renderRefusal(refusal: AuthRefusal): WireReply<unknown>;
}

/**
 * A {@link ClientIpSource} compiled for the request adapters: the adapter options to pass on, and whether the
 * framework's own resolved address is to be handed over per request.
 *
 * @example
 * ```ts
 * // Express resolves `req.ip` itself (its `trust proxy` setting): hand that over instead of reading headers.
 * const compiled: CompiledClientIpSource = compileClientIpSource('framework', { socket: true, framework: true });
 * const toAuthRequest = createNodeRequestAdapter(compiled.requestOptions);
 * const request = compiled.fromFramework ? toAuthRequest(req, { remoteAddress: req.ip ?? null }) : toAuthRequest(req);
 * ```
 */
export interface CompiledClientIpSource {
  /** The client-IP options to pass to a request adapter (`createNodeRequestAdapter`, `createFetchRequestAdapter`). */
  readonly requestOptions: { readonly trustedProxies?: readonly string[]; readonly clientIpHeader?: string };
  /** True for `'framework'`: hand the framework's resolved address to the adapter with each request. */
  readonly fromFramework: boolean;
}

/**
 * Checks a {@link ClientIpSource} at construction (a `ConfigurationError` names `clientIp`, `clientIp.header` or
 * `clientIp.trustedProxies`) and compiles it. `supports` says which sources the framework can serve: one it cannot
 * (`'framework'` in Hono, `'socket'` in Next) is refused at construction, not silently ignored.
 *
 * @example
 * ```ts
 * const { requestOptions, fromFramework } = compileClientIpSource(options.clientIp, { socket: true, framework: true });
 * ```
 */
export function compileClientIpSource(
  clientIp: ClientIpSource | undefined,
  supports: { readonly socket: boolean; readonly framework: boolean },
): CompiledClientIpSource {
  const source = clientIp ?? (supports.socket ? 'socket' : undefined);
  if (source === undefined) return { requestOptions: {}, fromFramework: false };
  if (source === 'socket') {
    if (!supports.socket) throw new ConfigurationError('clientIp', "'socket' is not available here (no socket): use { header } on a platform that guarantees one");
    return { requestOptions: {}, fromFramework: false };
  }
  if (source === 'framework') {
    if (!supports.framework) throw new ConfigurationError('clientIp', "'framework' is not available here: this framework resolves no client address of its own");
    return { requestOptions: {}, fromFramework: true };
  }
  if (source !== null && typeof source === 'object' && !Array.isArray(source)) {
    const keys = Object.keys(source);
    if (keys.length === 1 && keys[0] === 'header') {
      const header = (source as { header: unknown }).header;
      if (typeof header !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(header)) throw new ConfigurationError('clientIp.header', 'must be an HTTP header name');
      return { requestOptions: { clientIpHeader: header }, fromFramework: false };
    }
    if (keys.length === 1 && keys[0] === 'trustedProxies') {
      if (!supports.socket) throw new ConfigurationError('clientIp.trustedProxies', 'needs the peer address, which is not available here: use { header }');
      const proxies = (source as { trustedProxies: unknown }).trustedProxies;
      createIpMatcher(proxies as readonly string[], 'clientIp.trustedProxies');
      return { requestOptions: { trustedProxies: proxies as readonly string[] }, fromFramework: false };
    }
  }
  throw new ConfigurationError('clientIp', "must be 'socket', 'framework', { header } or { trustedProxies }");
}

/**
 * Refuses option names an adapter does not know, so a misspelt option (`required: 'Trading'`) never silently
 * turns a check off.
 *
 * @example
 * ```ts
 * assertKnownOptions(options, ['optional', 'require', 'clientIp', 'maxBodyBytes']);
 * ```
 */
export function assertKnownOptions(options: object | undefined, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object');
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) throw new ConfigurationError(name, `is not an option here (known: ${known.join(', ')})`);
  }
}

const BODY_PARSER_TYPES: Readonly<Record<string, AuthErrorCode>> = {
  'entity.too.large': 'REQUEST_TOO_LARGE',
  'parameters.too.many': 'REQUEST_TOO_LARGE',
  'entity.parse.failed': 'REQUEST_MALFORMED',
  'encoding.unsupported': 'REQUEST_MALFORMED',
  'charset.unsupported': 'REQUEST_MALFORMED',
  'request.size.invalid': 'REQUEST_MALFORMED',
  'entity.verify.failed': 'REQUEST_MALFORMED',
};

const STATUS_CODES: Readonly<Record<number, AuthErrorCode>> = {
  400: 'REQUEST_MALFORMED',
  404: 'ROUTE_NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'REQUEST_TOO_LARGE',
  415: 'REQUEST_MALFORMED',
};

/**
 * What an error a framework threw under a scheme's mount stands for, so every adapter's error bridge answers it
 * the same way in the scheme's envelope: an `AuthError` as itself; body-parser errors (Express), `statusCode`
 * (Fastify, http-errors) or `status` (Hono's `HTTPException`) 400/415 as `REQUEST_MALFORMED`, 413 as
 * `REQUEST_TOO_LARGE`, 404 and 405 as such; a `SyntaxError` (a handler's `JSON.parse`) as `REQUEST_MALFORMED`;
 * anything else as `INTERNAL_ERROR`, marked `unexpected` so the adapter logs it.
 *
 * @example
 * ```ts
 * const { error, unexpected } = authErrorForThrown(thrown);
 * if (unexpected) log(thrown);
 * return toFetchResponse(renderer.renderRefusal({ type: 'rejected', error }));
 * ```
 */
export function authErrorForThrown(thrown: unknown): { readonly error: AuthError; readonly unexpected: boolean } {
  if (thrown instanceof AuthError) return { error: thrown, unexpected: false };
  if (thrown !== null && typeof thrown === 'object') {
    const { type, status, statusCode } = thrown as { type?: unknown; status?: unknown; statusCode?: unknown };
    const byType = typeof type === 'string' ? BODY_PARSER_TYPES[type] : undefined;
    if (byType !== undefined) return { error: new AuthError(byType, { cause: thrown }), unexpected: false };
    const httpStatus = typeof statusCode === 'number' ? statusCode : typeof status === 'number' ? status : undefined;
    const byStatus = httpStatus === undefined ? undefined : STATUS_CODES[httpStatus];
    if (byStatus !== undefined) return { error: new AuthError(byStatus, { cause: thrown }), unexpected: false };
  }
  if (thrown instanceof SyntaxError) return { error: new AuthError('REQUEST_MALFORMED', { cause: thrown }), unexpected: false };
  return { error: new AuthError('INTERNAL_ERROR', { cause: thrown }), unexpected: true };
}
