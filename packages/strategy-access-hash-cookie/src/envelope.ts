import { AuthError, type WireReply } from '@gatehouse/auth-core';
import { JSON_CONTENT_TYPE } from '@gatehouse/auth-core/strategy';
import { ACCESS_HASH_WIRE_ERRORS } from './errors.js';

/**
 * The envelope of every reply, as the PUQ VPN control panel (PUQVPNCP) documentation, "API Access Hashs"
 * (revision 8, 2023-10-16) shows it under "Response from the server in json format".
 *
 * @example
 * ```ts
 * const body: AccessHashEnvelope<string> = { error: '', msg: 'ok', status: 'success' };
 * ```
 */
export type AccessHashEnvelope<T> =
  | { readonly error: ''; readonly msg: T; readonly status: 'success' }
  | { readonly error: string; readonly msg: ''; readonly status: 'error' };

const HEADERS = Object.freeze({ 'content-type': JSON_CONTENT_TYPE });

/**
 * Renders a failure: `{"error":"<text>","msg":"","status":"error"}` with the code's HTTP status (401 missing or
 * unknown, 403 wrong IP, 400 malformed or duplicated, 503 store down). The one place a rejection of this
 * scheme becomes wire bytes.
 *
 * @example
 * ```ts
 * const reply = renderAccessHashError(outcome.error);
 * res.writeHead(reply.httpStatus, reply.headers).end(JSON.stringify(reply.body));
 * ```
 */
export function renderAccessHashError(error: AuthError): WireReply<AccessHashEnvelope<never>> {
  const wire = error instanceof AuthError ? ACCESS_HASH_WIRE_ERRORS[error.code] : ACCESS_HASH_WIRE_ERRORS.INTERNAL_ERROR;
  return { httpStatus: wire.httpStatus, headers: HEADERS, body: { error: wire.text, msg: '', status: 'error' } };
}

/**
 * Renders a success: `{"error":"","msg":<payload>,"status":"success"}`.
 *
 * @example
 * ```ts
 * renderAccessHashSuccess({ version: '1.0' }); // { httpStatus: 200, body: { error: '', msg: { version: '1.0' }, status: 'success' } }
 * ```
 */
export function renderAccessHashSuccess<T>(msg: T, httpStatus = 200): WireReply<AccessHashEnvelope<T>> {
  return { httpStatus, headers: HEADERS, body: { error: '', msg, status: 'success' } };
}

/**
 * Formats a time as the PUQ VPN control panel's listing does: ISO 8601 with an explicit offset, in UTC (`+00:00`).
 *
 * @example
 * ```ts
 * formatAccessHashDate(Date.UTC(2022, 10, 18, 9, 38, 37)); // '2022-11-18T09:38:37+00:00'
 * ```
 */
export function formatAccessHashDate(epochMilliseconds: number): string {
  return `${new Date(epochMilliseconds).toISOString().slice(0, 19)}+00:00`;
}
