// The HMAC signature scheme as the kit states it, from KiiEx docs, "Authenticate with API Key" (AlphaPoint APEX
// API keys), KiiEx docs, "AuthenticateUser" (https://docs.kiiglobal.io/docs/kiiex/connect-to-kiiex-apis/users/
// authenticateuser: the APEX reply shapes) and the security notes of @gatehouse/auth-core. Deliberately independent of @gatehouse/strategy-hmac-signature: the kit judges that package, it does not
// borrow its answers.
import { encodeHex, hmacSha256 } from '@gatehouse/auth-core/crypto';
import type { WireResponse } from '../drivers/wire.js';

/** The sign-in endpoint of KiiEx docs, "Authenticate with API Key": "call the `AuthenticateUser` endpoint". */
export const DEFAULT_HMAC_AUTHENTICATE_PATH = '/AuthenticateUser';

/** An APEX call any session may make (`GetUserInfo`), reached with the `aptoken` header. */
export const DEFAULT_HMAC_RESOURCE_PATH = '/ap/GetUserInfo';

/** The header that carries the session token (KiiEx docs, "Authenticate with API Key": "as the value of `aptoken`"). */
export const APTOKEN_HEADER = 'aptoken';

/** The four names, as headers (KiiEx "Authenticate with API Key") and as JSON body fields (KiiEx "AuthenticateUser"). */
export const HMAC_FIELDS = ['APIKey', 'Signature', 'UserId', 'Nonce'] as const;

export type HmacField = (typeof HMAC_FIELDS)[number];

/** The four values of one `AuthenticateUser` call, by their wire names. */
export type HmacValues = Readonly<Record<HmacField, string>>;

/** The APEX failure of any call but `AuthenticateUser` when the caller is not authenticated. */
export const APEX_NOT_AUTHORIZED = Object.freeze({ result: false, errormsg: 'Not Authorized', errorcode: 20, detail: null });

/**
 * The HTTP statuses the profile accepts for each kind of refusal (the AuthError codes of @gatehouse/auth-core;
 * the strategy package maps them the same way): a well-formed but wrong credential (unknown key, wrong signature, wrong
 * user, unknown or ended session) is 401; a malformed, missing or ambiguous one 400 or 401 (either is a
 * refusal that reveals nothing about the key); a replayed nonce 400, 401 or 403; a key used from an address it
 * does not allow 401 or 403; a missing permission 403; a value too large for the server 400, 401, 413 or 431
 * (the HTTP layer may refuse it first); a failing store any 5xx.
 */
export const HMAC_STATUS = {
  invalid: [401],
  malformed: [400, 401],
  missing: [400, 401],
  ambiguous: [400, 401],
  replayed: [400, 401, 403],
  ipNotAllowed: [401, 403],
  permissionDenied: [403],
  tooLarge: [400, 401, 413, 431],
} as const satisfies Record<string, readonly number[]>;

/**
 * The signed message of KiiEx docs, "Authenticate with API Key": "a combination of the Nonce, User ID, and API
 * key, in that exact order with no spaces".
 */
export function hmacMessage(nonce: string, userId: string, apiKey: string): string {
  return `${nonce}${userId}${apiKey}`;
}

/**
 * The `Signature`: lower-case hex of HMAC-SHA256 keyed with the API secret's text (UTF-8, as an HMAC generator
 * or `openssl dgst -sha256 -hmac "$SECRET"` takes it) over any message.
 */
export function hmacHex(secret: string | Uint8Array, message: string): string {
  return encodeHex(hmacSha256(secret, message));
}

/** The documented signature for one set of values. */
export function apexSignature(secret: string, nonce: string, userId: string, apiKey: string): string {
  return hmacHex(secret, hmacMessage(nonce, userId, apiKey));
}

function bodyOf(reply: WireResponse): Record<string, unknown> | null {
  const body = reply.body;
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

/** Why a reply is not APEX's `AuthenticateUser` success, or `null` when it is one. */
export function loginSuccessProblem(reply: WireResponse): string | null {
  if (reply.status !== 200) return `HTTP ${reply.status}`;
  const body = bodyOf(reply);
  if (body === null) return 'a body that is not a JSON object';
  if (body['Authenticated'] !== true) return '"Authenticated" is not true';
  if (typeof body['SessionToken'] !== 'string' || body['SessionToken'] === '') return '"SessionToken" is not a non-empty string';
  const user = body['User'];
  if (typeof user !== 'object' || user === null || Array.isArray(user)) return '"User" is not an object';
  if (body['Locked'] !== false) return '"Locked" is not false';
  if (body['Requires2FA'] !== false) return '"Requires2FA" is not false';
  if (!Object.prototype.hasOwnProperty.call(body, 'errormsg') || body['errormsg'] !== null) return '"errormsg" is not null';
  return null;
}

/** The session token of an `AuthenticateUser` reply, or `null`. */
export function sessionTokenOf(reply: WireResponse): string | null {
  const token = bodyOf(reply)?.['SessionToken'];
  return typeof token === 'string' && token !== '' ? token : null;
}

/** The `User.UserId` of an `AuthenticateUser` success, or `undefined`. */
export function userIdOf(reply: WireResponse): unknown {
  const user = bodyOf(reply)?.['User'];
  return typeof user === 'object' && user !== null ? (user as Record<string, unknown>)['UserId'] : undefined;
}

/** Whether an `AuthenticateUser` reply claims success in any way: a 2xx status, `Authenticated: true` or a token. */
export function claimsLogin(reply: WireResponse): boolean {
  const body = bodyOf(reply);
  return (reply.status >= 200 && reply.status < 300) || body?.['Authenticated'] === true || sessionTokenOf(reply) !== null;
}

/** The `AuthenticateUser` failure: `{"Authenticated":false,"errormsg":"<non-empty text>"}` (extra keys tolerated here). */
export function isLoginFailureEnvelope(reply: WireResponse): boolean {
  const body = bodyOf(reply);
  return (
    body !== null &&
    body['Authenticated'] === false &&
    typeof body['errormsg'] === 'string' &&
    body['errormsg'].trim() !== '' &&
    (body['SessionToken'] === undefined || body['SessionToken'] === null)
  );
}

/** Whether a reply of another call claims success: a 2xx status or `"result": true`. */
export function claimsCall(reply: WireResponse): boolean {
  return (reply.status >= 200 && reply.status < 300) || bodyOf(reply)?.['result'] === true;
}

/** A call's success: HTTP 200 and a JSON body that is not an APEX failure (`"result": false`). */
export function isCallSuccess(reply: WireResponse): boolean {
  const body = reply.body;
  return reply.status === 200 && typeof body === 'object' && body !== null && (body as Record<string, unknown>)['result'] !== false;
}

/**
 * APEX's error object: exactly the keys `result` (false), `errormsg` (non-empty text), `errorcode` (an integer)
 * and `detail` (`null` or text).
 */
export function isApexError(reply: WireResponse): boolean {
  const body = bodyOf(reply);
  if (body === null) return false;
  const keys = Object.keys(body).sort();
  return (
    keys.join(',') === 'detail,errorcode,errormsg,result' &&
    body['result'] === false &&
    typeof body['errormsg'] === 'string' &&
    body['errormsg'].trim() !== '' &&
    Number.isInteger(body['errorcode']) &&
    (body['detail'] === null || typeof body['detail'] === 'string')
  );
}

/**
 * Changes the character at `index` into another of its class, so the value keeps its format: a decimal stays
 * a decimal, lower-case hex stays lower-case hex, upper-case hex upper-case hex, digits digits, letters letters of the same case.
 */
export function alterCharacter(text: string, index: number): string {
  const at = ((index % text.length) + text.length) % text.length;
  const ch = text.charAt(at);
  const cycle = (alphabet: string): string => alphabet.charAt((alphabet.indexOf(ch) + 1) % alphabet.length);
  let replacement: string;
  if (/^[0-9]+$/.test(text)) replacement = cycle('0123456789');
  else if (/^[0-9a-f]+$/.test(text)) replacement = cycle('0123456789abcdef');
  else if (/^[0-9A-F]+$/.test(text)) replacement = cycle('0123456789ABCDEF');
  else if (/[0-9]/.test(ch)) replacement = cycle('0123456789');
  else if (/[a-z]/.test(ch)) replacement = cycle('abcdefghijklmnopqrstuvwxyz');
  else if (/[A-Z]/.test(ch)) replacement = cycle('ABCDEFGHIJKLMNOPQRSTUVWXYZ');
  else replacement = ch === '_' ? '-' : '_';
  return text.slice(0, at) + replacement + text.slice(at + 1);
}

/** Whether a text is a canonical non-negative decimal integer (no sign, no leading zeros). */
export function isDecimal(text: string): boolean {
  return /^(0|[1-9][0-9]*)$/.test(text);
}
