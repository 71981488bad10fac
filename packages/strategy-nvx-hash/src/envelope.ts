import { AuthError, JSON_CONTENT_TYPE, type WireReply } from '@gatehouse/auth-core';
import { NVX_CODE_FOR_AUTH_ERROR, NVX_STATUS_CODES, type NvxStatusCode } from './errors.js';

/**
 * Navixy's failure body: `{"success":false,"status":{"code":N,"description":"..."}}`.
 *
 * @example
 * ```ts
 * const body: NvxFailureBody = { success: false, status: { code: 3, description: 'Wrong hash' } };
 * ```
 */
export interface NvxFailureBody {
  readonly success: false;
  readonly status: { readonly code: NvxStatusCode; readonly description: string };
}

/**
 * Navixy's success body: `{"success":true, ...fields}`.
 *
 * @example
 * ```ts
 * const body: NvxSuccessBody<{ hash: string }> = { success: true, hash: '…' };
 * ```
 */
export type NvxSuccessBody<T extends object> = { readonly success: true } & T;

const HEADERS = Object.freeze({ 'content-type': JSON_CONTENT_TYPE });

/**
 * Renders a failure in Navixy's envelope. Every rejection of this scheme goes through this one function, in
 * the demo, in adopters' servers and in the conformance kit's expectations.
 *
 * @example
 * ```ts
 * const reply = renderNvxError(outcome.error);
 * res.writeHead(reply.httpStatus, reply.headers).end(JSON.stringify(reply.body));
 * ```
 */
export function renderNvxError(error: AuthError): WireReply<NvxFailureBody> {
  const code = error instanceof AuthError ? NVX_CODE_FOR_AUTH_ERROR[error.code] : 6;
  return renderNvxStatus(code);
}

/**
 * Renders a Navixy status code directly (for application errors that are not authentication errors).
 *
 * @example
 * ```ts
 * renderNvxStatus(7); // 400, { success: false, status: { code: 7, description: 'Invalid parameters' } }
 * ```
 */
export function renderNvxStatus(code: NvxStatusCode): WireReply<NvxFailureBody> {
  const known: NvxStatusCode = Object.prototype.hasOwnProperty.call(NVX_STATUS_CODES, code) ? code : 6;
  const entry = NVX_STATUS_CODES[known];
  return { httpStatus: entry.httpStatus, headers: HEADERS, body: { success: false, status: { code: known, description: entry.description } } };
}

/**
 * Renders a success: `{"success":true, ...fields}` with HTTP 200.
 *
 * @example
 * ```ts
 * renderNvxSuccess({ hash }); // { httpStatus: 200, body: { success: true, hash } }
 * ```
 */
export function renderNvxSuccess<T extends object>(fields: T): WireReply<NvxSuccessBody<T>> {
  return { httpStatus: 200, headers: HEADERS, body: { success: true, ...fields } as NvxSuccessBody<T> };
}

/**
 * Formats a time as Navixy does in `create_date`: `YYYY-MM-DD HH:mm:ss`, in UTC.
 *
 * @example
 * ```ts
 * formatNvxDate(Date.UTC(2021, 9, 29, 12, 0, 36)); // '2021-10-29 12:00:36'
 * ```
 */
export function formatNvxDate(epochMilliseconds: number): string {
  return new Date(epochMilliseconds).toISOString().slice(0, 19).replace('T', ' ');
}
