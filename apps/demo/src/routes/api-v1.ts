import { AuthError, isJsonObject, JSON_CONTENT_TYPE, type JsonValue, type WireReply } from '@gatehouse/auth-core';
import { renderAccessHashError, type AccessHashEnvelope } from '@gatehouse/strategy-access-hash-cookie';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { DemoEnv } from '../app.js';

/**
 * Shared pieces of the demo's `/api/v1` (the PUQ VPN control panel API of seed 003): every reply, success or
 * failure, is the seed's envelope `{"error","msg","status"}`.
 */
export const API_V1_BASE_PATH = '/api/v1';

/** A route of `/api/v1`, for the index page and for telling 404 from 405. `:id` marks a path parameter. */
export interface ApiRoute {
  readonly methods: readonly string[];
  readonly path: string;
  readonly needs: string;
}

export type Reply = WireReply<AccessHashEnvelope<unknown>>;
export type DemoContextOf = Context<DemoEnv>;

/** Writes a rendered reply (status, headers, JSON body), plus any extra headers (e.g. `Set-Cookie`). */
export function send(c: DemoContextOf, reply: Reply, extraHeaders: Record<string, string> = {}): Response {
  return c.body(JSON.stringify(reply.body), reply.httpStatus as ContentfulStatusCode, { ...reply.headers, ...extraHeaders });
}

/** A failure in the seed's envelope with a text of the demo's own (for cases the strategy has no code for). */
export function envelopeError(httpStatus: number, text: string): Reply {
  return { httpStatus, headers: { 'content-type': JSON_CONTENT_TYPE }, body: { error: text, msg: '', status: 'error' } };
}

/** A failure for one of Gatehouse's error codes, in the seed's envelope. */
export const failWith = (code: ConstructorParameters<typeof AuthError>[0]): Reply => renderAccessHashError(new AuthError(code));

/** Anything thrown by a handler (a database error, a bug) becomes a 503 envelope: never a success, never a crash. */
export function replyForThrown(error: unknown, area: string): Reply {
  console.error(`demo ${area}: request failed`, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  return failWith('STORE_UNAVAILABLE');
}

/** Wraps a handler so that a throw is answered with {@link replyForThrown}. */
export function handle(area: string, handler: (c: DemoContextOf) => Promise<Response | Reply>) {
  return async (c: DemoContextOf): Promise<Response> => {
    try {
      const result = await handler(c);
      return result instanceof Response ? result : send(c, result);
    } catch (error) {
      return send(c, replyForThrown(error, area));
    }
  };
}

/**
 * Reads the request body as a JSON object (the seed: "The data is sent to the server using the POST method",
 * as JSON). Another content type is 415, a missing, broken or non-object body 400, a body over the cap 413.
 */
export async function readJsonObject(c: DemoContextOf): Promise<{ ok: true; value: { readonly [key: string]: JsonValue } } | { ok: false; reply: Reply }> {
  const body = await c.get('auth').body();
  switch (body.type) {
    case 'json':
      return isJsonObject(body.value) ? { ok: true, value: body.value } : { ok: false, reply: failWith('REQUEST_MALFORMED') };
    case 'too-large':
      return { ok: false, reply: failWith('REQUEST_TOO_LARGE') };
    case 'form':
    case 'unsupported':
      return { ok: false, reply: envelopeError(415, 'Send the data as JSON (Content-Type: application/json)') };
    default:
      return { ok: false, reply: failWith('REQUEST_MALFORMED') };
  }
}

/** The media type of the request (lower case, parameters dropped); `null` when absent or sent twice. */
export function mediaTypeOf(c: DemoContextOf): string | null {
  const values = c.get('auth').headerValues('content-type');
  if (values.length !== 1) return null;
  return (values[0] as string).split(';')[0]?.trim().toLowerCase() ?? null;
}

/** True when `path` (as routed) matches a route pattern such as `/api/v1/accounts/:id`. */
export function matchesRoute(pattern: string, path: string): boolean {
  const patternParts = pattern.split('/');
  const pathParts = path.split('/');
  return patternParts.length === pathParts.length && patternParts.every((part, i) => (part.startsWith(':') ? pathParts[i] !== '' : part === pathParts[i]));
}
