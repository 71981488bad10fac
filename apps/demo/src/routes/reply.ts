import {
  AuthError,
  toFetchResponse,
  type AuthContext,
  type AuthDecision,
  type AuthErrorCode,
  type AuthRefusal,
  type AuthRequest,
  type Principal,
  type WireReply,
} from '@gatehouse/auth-core';
import type { Context } from 'hono';
import type { DemoEnv } from '../app.js';

/**
 * The one place the demo's routes turn replies into responses. Every scheme renders its own envelope (its strategy's
 * `renderRefusal` / `renderSuccess`, `createAuthGuard`'s refusals); what is left is shared here: sending a reply,
 * answering a throw, and rendering a code of the demo's own in a scheme's envelope.
 */

/** A reply ready to send, in some scheme's envelope. */
export type Reply = WireReply<unknown>;
/** The Hono context of a demo request. */
export type DemoContextOf = Context<DemoEnv>;
/** A route handler: it returns the reply to send. */
export type RouteHandler = (c: DemoContextOf) => Promise<Reply>;
/** Whatever renders a scheme's refusals: an `AuthStrategy`, or a wrapper or composition of one. */
export interface RefusalRenderer {
  renderRefusal(refusal: AuthRefusal): WireReply<unknown>;
}
/** Decides about a request as `createAuthGuard` does (or picks such a guard from the request context). */
export type RouteGuard<P extends Principal> = (c: DemoContextOf) => Promise<AuthDecision<P>>;

/**
 * A Gatehouse error code (or an `AuthError`, e.g. a manager's `ManageResult` error) in `envelope`'s wire format.
 *
 * @example
 * ```ts
 * if (!listed.ok) return refuse(strategy, listed.error);
 * return refuse(strategy, 'PARAMETER_INVALID');
 * ```
 */
export function refuse(envelope: RefusalRenderer, codeOrError: AuthErrorCode | AuthError): Reply {
  const error = codeOrError instanceof AuthError ? codeOrError : new AuthError(codeOrError);
  return envelope.renderRefusal({ type: 'rejected', error });
}

/** A reply with extra headers (e.g. `Set-Cookie`). */
export function withHeaders(reply: Reply, headers: Readonly<Record<string, string>>): Reply {
  return { ...reply, headers: { ...reply.headers, ...headers } };
}

/**
 * The Hono handler of a route: runs `handler` and sends its reply (`toFetchResponse`). Anything it throws (a
 * database error, a bug) is logged under `area` and answered with `STORE_UNAVAILABLE` in `envelope`'s wire
 * format: never a success, never a crash.
 *
 * @example
 * ```ts
 * app.post('/ap/GetUserInfo', answer(apiSessions, 'apex', async (c) => renderSuccess(apiSessions, info)));
 * ```
 */
export function answer(envelope: RefusalRenderer, area: string, handler: RouteHandler): (c: DemoContextOf) => Promise<Response> {
  return async (c) => {
    let reply: Reply;
    try {
      reply = await handler(c);
    } catch (error) {
      console.error(`demo ${area}: request failed`, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      reply = refuse(envelope, 'STORE_UNAVAILABLE');
    }
    return toFetchResponse(reply);
  };
}

/**
 * A route handler for the callers `guard` lets in. A refusal is answered with the guard's own reply, already in the
 * scheme's envelope (no credentials: `CREDENTIALS_MISSING`; a missing permission: `SCOPE_DENIED`).
 *
 * @example
 * ```ts
 * const guard = createAuthGuard(strategy, { require: 'Trading' });
 * app.post('/SendOrder', answer(strategy, 'apex', guarded(onRequest(guard), async (c, auth) => renderSuccess(strategy, order))));
 * ```
 */
export function guarded<P extends Principal>(guard: RouteGuard<P>, handler: (c: DemoContextOf, auth: AuthContext<P>) => Promise<Reply>): RouteHandler {
  return async (c) => {
    const decision = await guard(c);
    if (decision.type === 'refused') return decision.reply;
    // Only an `optional` guard lets a request without credentials through; the demo's routes use none.
    if (decision.auth === null) throw new TypeError('a protected route needs a guard without `optional`');
    return handler(c, decision.auth);
  };
}

/** A guard from `createAuthGuard`, run on the request as the demo's middleware adapted it. */
export function onRequest<P extends Principal>(guard: (request: AuthRequest) => Promise<AuthDecision<P>>): RouteGuard<P> {
  return (c) => guard(c.get('auth'));
}
