import { AuthError, type WireReply } from '@gatehouse/auth-core';
import { JSON_CONTENT_TYPE } from '@gatehouse/auth-core/strategy';
import { HMAC_WIRE_ERRORS } from './errors.js';

const HEADERS = Object.freeze({ 'content-type': JSON_CONTENT_TYPE });
const wireOf = (error: AuthError): (typeof HMAC_WIRE_ERRORS)[keyof typeof HMAC_WIRE_ERRORS] =>
  error instanceof AuthError ? HMAC_WIRE_ERRORS[error.code] : HMAC_WIRE_ERRORS.INTERNAL_ERROR;

/**
 * A successful `AuthenticateUser` body (APEX).
 *
 * @example
 * ```ts
 * const body: AuthenticateUserSuccessBody = { Authenticated: true, SessionToken: '…', User: { UserId: 1, UserName: 'demo' }, Locked: false, Requires2FA: false, errormsg: null };
 * ```
 */
export interface AuthenticateUserSuccessBody {
  /** Always `true` on success. */
  readonly Authenticated: true;
  /** The session token; clients send it as the `aptoken` header. */
  readonly SessionToken: string;
  /** Who signed in: a canonical decimal `UserId` as a JSON number, any other id as a string. */
  readonly User: { readonly UserId: number | string; readonly UserName: string };
  /** Always `false`: Gatehouse has no account lock. */
  readonly Locked: false;
  /** Always `false`: Gatehouse asks for no second factor. */
  readonly Requires2FA: false;
  /** Always `null` on success. */
  readonly errormsg: null;
}

/**
 * A failed `AuthenticateUser` body: `{"Authenticated":false,"errormsg":"..."}`.
 *
 * @example
 * ```ts
 * const body: AuthenticateUserFailureBody = { Authenticated: false, errormsg: 'Nonce already used' };
 * ```
 */
export interface AuthenticateUserFailureBody {
  /** Always `false` on failure. */
  readonly Authenticated: false;
  /** Why, in APEX's words, e.g. `Nonce already used`; never which part of a credential was wrong. */
  readonly errormsg: string;
}

/**
 * Any other call's failure: `{"result":false,"errormsg":"Not Authorized","errorcode":20,"detail":null}`.
 *
 * @example
 * ```ts
 * const body: ApexFailureBody = { result: false, errormsg: 'Not Authorized', errorcode: 20, detail: null };
 * ```
 */
export interface ApexFailureBody {
  /** Always `false` on failure. */
  readonly result: false;
  /** APEX's message, e.g. `Not Authorized`. */
  readonly errormsg: string;
  /** APEX's numeric error code, e.g. 20 for `Not Authorized`. */
  readonly errorcode: number;
  /** Always `null` in Gatehouse's replies. */
  readonly detail: string | null;
}

const NUMERIC_USER_ID = /^(0|[1-9][0-9]{0,14})$/;

/**
 * A user id as APEX replies carry it: a canonical decimal id (no leading zero, at most 15 digits, so it stays a
 * safe integer) as a JSON number, any other id as the string it is.
 *
 * @example
 * ```ts
 * apexUserId('42'); // 42
 * apexUserId('042'); // '042'
 * return renderApexSuccess({ UserId: apexUserId(auth.principal.id), UserName: user.name }); // an application's GetUserInfo
 * ```
 */
export function apexUserId(userId: string): number | string {
  return NUMERIC_USER_ID.test(userId) ? Number(userId) : userId;
}

/**
 * Renders a successful `AuthenticateUser` reply. A numeric-looking user id is sent as a number, as APEX does.
 *
 * @example
 * ```ts
 * renderAuthenticateUserSuccess(session.token, { userId: '1', userName: 'demo' });
 * ```
 */
export function renderAuthenticateUserSuccess(
  sessionToken: string,
  user: { readonly userId: string; readonly userName: string },
): WireReply<AuthenticateUserSuccessBody> {
  return {
    httpStatus: 200,
    headers: HEADERS,
    body: { Authenticated: true, SessionToken: sessionToken, User: { UserId: apexUserId(user.userId), UserName: user.userName }, Locked: false, Requires2FA: false, errormsg: null },
  };
}

/**
 * Renders a failed `AuthenticateUser` reply (401 for credential problems).
 *
 * @example
 * ```ts
 * if (outcome.type === 'rejected') return send(renderAuthenticateUserError(outcome.error));
 * ```
 */
export function renderAuthenticateUserError(error: AuthError): WireReply<AuthenticateUserFailureBody> {
  const wire = wireOf(error);
  return { httpStatus: wire.httpStatus, headers: HEADERS, body: { Authenticated: false, errormsg: wire.authenticateUser } };
}

/**
 * Renders any other call's failure in the APEX shape. The one place a rejection of an `aptoken` request
 * becomes wire bytes.
 *
 * @example
 * ```ts
 * renderApexError(new AuthError('CREDENTIALS_INVALID')); // 401 {"result":false,"errormsg":"Not Authorized","errorcode":20,"detail":null}
 * ```
 */
export function renderApexError(error: AuthError): WireReply<ApexFailureBody> {
  const wire = wireOf(error);
  return { httpStatus: wire.httpStatus, headers: HEADERS, body: { result: false, errormsg: wire.errormsg, errorcode: wire.errorcode, detail: null } };
}

/**
 * Renders a successful call with any JSON payload (APEX replies with the payload itself).
 *
 * @example
 * ```ts
 * renderApexSuccess({ result: true, errormsg: null, errorcode: 0, detail: null });
 * ```
 */
export function renderApexSuccess<T>(payload: T, httpStatus = 200): WireReply<T> {
  return { httpStatus, headers: HEADERS, body: payload };
}
