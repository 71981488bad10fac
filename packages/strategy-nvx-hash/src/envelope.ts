import { AuthError, type WireReply } from '@gatehouse/auth-core';
import { JSON_CONTENT_TYPE } from '@gatehouse/auth-core/strategy';
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
  /** Always `false` on failure. */
  readonly success: false;
  /** Navixy's status code and its description (see {@link NVX_STATUS_CODES}). */
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

/**
 * The fields a success payload contributes to {@link NvxSuccessBody}: an object's own fields, or an array under
 * `value`.
 *
 * @example
 * ```ts
 * const fields: NvxSuccessFields<string[]> = { value: ['a'] };
 * ```
 */
export type NvxSuccessFields<T extends object> = T extends readonly unknown[] ? { readonly value: T } : T;

/**
 * Options of {@link renderNvxSuccess}.
 *
 * @example
 * ```ts
 * renderNvxSuccess({ id: 7 }, { httpStatus: 201 });
 * ```
 */
export interface NvxSuccessOptions {
  /** Default 200. */
  readonly httpStatus?: number;
}

const HEADERS = Object.freeze({ 'content-type': JSON_CONTENT_TYPE });

/**
 * Renders a failure in Navixy's envelope. Every refusal of this scheme goes through this one function (the
 * strategy's `renderRefusal` calls it), in the demo, in adopters' servers and in the conformance kit's
 * expectations.
 *
 * @example
 * ```ts
 * const reply = renderNvxError(new AuthError('CREDENTIALS_INVALID'));
 * res.writeHead(reply.httpStatus, reply.headers).end(JSON.stringify(reply.body));
 * ```
 */
export function renderNvxError(error: AuthError): WireReply<NvxFailureBody> {
  const code = error instanceof AuthError ? NVX_CODE_FOR_AUTH_ERROR[error.code] ?? 6 : 6;
  const reply = renderNvxStatus(code);
  // Navixy has no code for "no such call": code 5 ("Wrong request format") with HTTP's own 404 / 405, so a client
  // that reads only the status still learns the route is wrong, not the request.
  if (error instanceof AuthError && (error.code === 'ROUTE_NOT_FOUND' || error.code === 'METHOD_NOT_ALLOWED')) return { ...reply, httpStatus: error.httpStatus };
  return reply;
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
 * Renders a success: `{"success":true, ...fields}`, HTTP 200 unless `httpStatus` says otherwise. `success` comes
 * first and is always `true` (a `success` field of the payload cannot change it). A payload that is not an object
 * (a string, a number, `null`, an array) goes under `value`: `{"success":true,"value":…}`. The strategy's
 * `renderSuccess` is this function.
 *
 * @example
 * ```ts
 * renderNvxSuccess({ hash }); // { httpStatus: 200, body: { success: true, hash } }
 * renderNvxSuccess(['a', 'b']).body; // { success: true, value: ['a', 'b'] }
 * ```
 */
export function renderNvxSuccess<T extends object>(fields: T, options?: NvxSuccessOptions): WireReply<NvxSuccessBody<NvxSuccessFields<T>>>;
export function renderNvxSuccess(payload: unknown, options?: NvxSuccessOptions): WireReply<NvxSuccessBody<object>>;
export function renderNvxSuccess(payload: unknown, options: NvxSuccessOptions = {}): WireReply<NvxSuccessBody<object>> {
  // A spread, not Object.assign: an own `__proto__` key of a parsed payload stays a plain field.
  const body: { success: boolean; [field: string]: unknown } =
    typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? { success: true, ...payload } : { success: true, value: payload };
  // Assigning an existing key keeps its place: `success` stays first, and stays true.
  body.success = true;
  return { httpStatus: options.httpStatus ?? 200, headers: HEADERS, body: body as NvxSuccessBody<object> };
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
