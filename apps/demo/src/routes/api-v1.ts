import { isJsonObject, type AuthRequest, type JsonValue, type WireReply } from '@gatehouse/auth-core';
import { JSON_CONTENT_TYPE } from '@gatehouse/auth-core/strategy';
import type { AccessHashEnvelope } from '@gatehouse/strategy-access-hash-cookie';
import { refuse, type DemoContextOf, type RefusalRenderer, type Reply } from './common.js';

/**
 * Shared pieces of the demo's `/api/v1`, the API of the PUQ VPN control panel (PUQVPNCP) documentation, "API Access
 * Hashs" (revision 8, 2023-10-16): every reply, success or failure, is its envelope `{"error","msg","status"}`.
 */
export const API_V1_BASE_PATH = '/api/v1';

/** A failure in the panel's envelope with a text of the demo's own (for cases the strategy has no code for). */
export function envelopeError(httpStatus: number, text: string): WireReply<AccessHashEnvelope<never>> {
  return { httpStatus, headers: { 'content-type': JSON_CONTENT_TYPE }, body: { error: text, msg: '', status: 'error' } };
}

/**
 * Reads the request body as a JSON object (the panel documentation: "The data is sent to the server using the POST
 * method", as JSON). Another content type is 415, a missing, broken or non-object body 400, a body over the cap
 * 413, each in `envelope`'s wire format.
 */
export async function readJsonObject(
  request: AuthRequest,
  envelope: RefusalRenderer,
): Promise<{ ok: true; value: { readonly [key: string]: JsonValue } } | { ok: false; reply: Reply }> {
  const body = await request.body();
  switch (body.type) {
    case 'json':
      return isJsonObject(body.value) ? { ok: true, value: body.value } : { ok: false, reply: refuse(envelope, 'REQUEST_MALFORMED') };
    case 'too-large':
      return { ok: false, reply: refuse(envelope, 'REQUEST_TOO_LARGE') };
    case 'form':
    case 'unsupported':
      return { ok: false, reply: envelopeError(415, 'Send the data as JSON (Content-Type: application/json)') };
    default:
      return { ok: false, reply: refuse(envelope, 'REQUEST_MALFORMED') };
  }
}

/** The media type of the request (lower case, parameters dropped); `null` when absent or sent twice. */
export function mediaTypeOf(c: DemoContextOf): string | null {
  const values = c.get('request').headerValues('content-type');
  if (values.length !== 1) return null;
  return (values[0] as string).split(';')[0]?.trim().toLowerCase() ?? null;
}

/** True when `path` (as routed) matches a route pattern such as `/api/v1/accounts/:id`. */
export function matchesRoute(pattern: string, path: string): boolean {
  const patternParts = pattern.split('/');
  const pathParts = path.split('/');
  return patternParts.length === pathParts.length && patternParts.every((part, i) => (part.startsWith(':') ? pathParts[i] !== '' : part === pathParts[i]));
}
