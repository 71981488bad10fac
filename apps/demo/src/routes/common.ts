import { AuthError, toFetchResponse, type AuthErrorCode, type AuthRefusal, type WireReply } from '@gatehouse/auth-core';
import type { HonoGatehouseOptions } from '@gatehouse/hono';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { DemoEnv } from '../app.js';

// What the three API mounts share: how the demo runs @gatehouse/hono, a reply in a scheme's envelope, a 405,
// and the route index format.

/** The most body bytes any API reads (and `hono/body-limit` lets through): 64 KiB. */
export const MAX_BODY_BYTES = 65_536;

/** The @gatehouse/hono options every `authenticate()` and `routeKit()` of the demo gets: client IP and body cap. */
export type GatehouseMountOptions = Pick<HonoGatehouseOptions, 'clientIp' | 'getConnInfo' | 'maxBodyBytes'>;

/** A reply ready to send, in some scheme's envelope. */
export type Reply = WireReply<unknown>;
/** The Hono context of a demo request. */
export type DemoContextOf = Context<DemoEnv>;
/** Whatever renders a scheme's refusals: a strategy, a wrapper of one, or a route kit. */
export interface RefusalRenderer {
  renderRefusal(refusal: AuthRefusal): WireReply<unknown>;
}

/** A route of the demo's own, for the route index and for telling 404 from 405. `:id` marks a path parameter. */
export interface DemoRoute {
  readonly methods: readonly string[];
  readonly path: string;
  readonly summary: string;
}

/**
 * A Gatehouse error code (or an `AuthError`, e.g. a manager's `ManageResult` error) in `renderer`'s envelope.
 *
 * @example
 * ```ts
 * if (!listed.ok) return refuse(strategy, listed.error);
 * ```
 */
export function refuse(renderer: RefusalRenderer, codeOrError: AuthErrorCode | AuthError): Reply {
  const error = codeOrError instanceof AuthError ? codeOrError : new AuthError(codeOrError);
  return renderer.renderRefusal({ type: 'rejected', error });
}

/** A reply with extra headers (e.g. `Set-Cookie`). */
export function withHeaders(reply: Reply, headers: Readonly<Record<string, string>>): Reply {
  return { ...reply, headers: { ...reply.headers, ...headers } };
}

/**
 * The handler for a known path asked with another method: `METHOD_NOT_ALLOWED` in `renderer`'s envelope with an
 * `Allow` header, which lists HEAD for a GET route as the route kits' 405 does (Hono answers HEAD with the GET route).
 *
 * @example
 * ```ts
 * v2.all('/tracker/list', methodNotAllowed(strategy, ['GET', 'POST']));
 * ```
 */
export function methodNotAllowed(renderer: RefusalRenderer, methods: readonly string[]): (c: DemoContextOf) => Response {
  const allow = methods.includes('GET') && !methods.includes('HEAD') ? [...methods, 'HEAD'] : methods;
  const reply = withHeaders(refuse(renderer, 'METHOD_NOT_ALLOWED'), { allow: allow.join(', ') });
  return () => toFetchResponse(reply);
}

/**
 * `hono/body-limit` at {@link MAX_BODY_BYTES} for a mount, answering with `tooLarge` (the error bridge's
 * `bodyLimitError`: `REQUEST_TOO_LARGE` in the scheme's envelope). A body whose `Content-Length` is over the cap is
 * refused from the header alone, before anything opens the body stream: @hono/node-server then drains the unread
 * body and the client's connection stays usable for its next request (a half-read stream would stall that drain).
 *
 * @example
 * ```ts
 * v2.use(limitBodies(bridge.bodyLimitError));
 * ```
 */
export function limitBodies(tooLarge: (c: Context) => Response): MiddlewareHandler {
  const counted = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge });
  return async (c, next) => {
    if (Number(c.req.header('content-length')) > MAX_BODY_BYTES && c.req.header('transfer-encoding') === undefined) return tooLarge(c);
    return counted(c, next);
  };
}

/** Route index lines for the demo's own routes, in the format of core's `describeRouteKit`. */
export function describeRoutes(basePath: string, routes: readonly DemoRoute[]): string[] {
  return routes.map((route) => `${route.methods.join(',').padEnd(9)} ${`${basePath}${route.path}`.padEnd(28)} ${route.summary}`);
}
