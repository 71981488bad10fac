// The HMAC signature scheme as the kit states it, from KiiEx docs, "Authenticate with API Key" (AlphaPoint APEX API
// keys) and KiiEx docs, "AuthenticateUser" (the request fields and the reply), plus the readers the cases use to
// tell a success from a refusal without judging its envelope. Deliberately independent of
// @gatehouse/strategy-hmac-signature: the kit judges that package, it does not borrow its answers.
import { encodeHex, hmacSha256 } from '@gatehouse/auth-core/crypto';
import type { WireResponse } from '../../drivers/wire.js';

/** KiiEx (AlphaPoint APEX) API keys: creation, the signature, the `AuthenticateUser` call and `aptoken`. */
export const KIIEX_API_KEY = 'KiiEx docs, "Authenticate with API Key"';

/** The APEX `AuthenticateUser` endpoint: its request fields (headers or JSON body) and its reply. */
export const KIIEX_AUTHENTICATE_USER = 'KiiEx docs, "AuthenticateUser" (https://docs.kiiglobal.io/docs/kiiex/connect-to-kiiex-apis/users/authenticateuser)';

/** The APEX error reply of any other call. */
export const APEX_ERROR_REPLY = `${KIIEX_AUTHENTICATE_USER} and the APEX error reply {"result":false,"errormsg":"Not Authorized","errorcode":20,"detail":null}`;

/** Status codes of HTTP. */
export const RFC_9110 = 'RFC 9110 (HTTP Semantics) §15';

/** Field lines: repetition and combination. */
export const RFC_9110_FIELDS = 'RFC 9110 (HTTP Semantics) §5.3';

/** 431 Request Header Fields Too Large. */
export const RFC_6585 = 'RFC 6585 §5';

/** JSON objects whose names are not unique. */
export const RFC_8259 = 'RFC 8259 (JSON) §4 ("The names within an object SHOULD be unique")';

/** Credentials kept out of URLs. */
export const OWASP_URL = 'OWASP ASVS 5.0 V14.2.1 (no sensitive data in URLs)';

/** Request framing: one request's body never parsed as another request. */
export const RFC_9112_FRAMING = 'RFC 9112 (HTTP/1.1) §6.3 (message body length) and §9.3 (persistence)';

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
 * The signed message of KiiEx docs, "Authenticate with API Key": "a combination of the Nonce, User ID, and API
 * key, in that exact order with no spaces".
 */
export function hmacMessage(nonce: string, userId: string, apiKey: string): string {
  return `${nonce}${userId}${apiKey}`;
}

/**
 * Lower-case hex of HMAC-SHA256 keyed with the API secret's text (UTF-8, as an HMAC generator or
 * `openssl dgst -sha256 -hmac "$SECRET"` takes it) over any message.
 */
export function hmacHex(secret: string | Uint8Array, message: string): string {
  return encodeHex(hmacSha256(secret, message));
}

/** The documented signature for one set of values. */
export function apexSignature(secret: string, nonce: string, userId: string, apiKey: string): string {
  return hmacHex(secret, hmacMessage(nonce, userId, apiKey));
}

/** A reply body that is a JSON object, or `null`. */
export function objectBody(body: unknown): Record<string, unknown> | null {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

/** A member of an object whose name matches `name` in any casing (`SessionToken`, `sessionToken`, `sessiontoken`). */
export function memberOf(body: unknown, name: string): unknown {
  const object = objectBody(body);
  if (object === null) return undefined;
  if (Object.prototype.hasOwnProperty.call(object, name)) return object[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(object)) if (key.toLowerCase() === lower) return object[key];
  return undefined;
}

const TOKEN_NAMES = ['SessionToken', 'Token'] as const;

/**
 * The session token of an `AuthenticateUser` reply, read tolerantly: `SessionToken`, `sessionToken` or `token` in
 * any casing, at the top level or inside the reply's user object; `null` when there is none. Never judges the
 * envelope: the precondition of every case that needs a session.
 */
export function sessionTokenOf(reply: WireResponse): string | null {
  const places = [reply.body, memberOf(reply.body, 'User')];
  for (const place of places) {
    for (const name of TOKEN_NAMES) {
      const token = memberOf(place, name);
      if (typeof token === 'string' && token !== '') return token;
    }
  }
  return null;
}

/** The user id an `AuthenticateUser` success names (`User.UserId`, `user.userId`, `UserId`, any casing), or `undefined`. */
export function userIdOf(reply: WireResponse): unknown {
  const nested = memberOf(memberOf(reply.body, 'User'), 'UserId');
  return nested !== undefined ? nested : memberOf(reply.body, 'UserId');
}

/** Whether a reply names `userId` as its user, when it names one at all (`null`: it names none). */
export function namesUser(reply: WireResponse, userId: string): boolean | null {
  const named = userIdOf(reply);
  if (typeof named !== 'string' && typeof named !== 'number') return null;
  return String(named) === userId;
}

const is2xx = (status: number): boolean => status >= 200 && status < 300;

/** A reply that says in its body that it refuses: `Authenticated`/`authenticated` false, or `result` false. */
export function isExplicitRefusal(reply: WireResponse): boolean {
  return memberOf(reply.body, 'Authenticated') === false || memberOf(reply.body, 'result') === false;
}

/**
 * Whether an `AuthenticateUser` reply lets the caller in, whatever its envelope: it hands out a session token, or
 * says `Authenticated: true` (any casing), or it is a 2xx that does not say it refuses (APEX gateways answer some
 * refusals with HTTP 200 and `"Authenticated": false` or `"result": false`).
 */
export function loginAccepted(reply: WireResponse): boolean {
  if (sessionTokenOf(reply) !== null || memberOf(reply.body, 'Authenticated') === true) return true;
  return is2xx(reply.status) && !isExplicitRefusal(reply);
}

/** Whether a reply of another call lets the caller in: a 2xx that is not APEX's `"result": false`. */
export function callAccepted(reply: WireResponse): boolean {
  return is2xx(reply.status) && memberOf(reply.body, 'result') !== false;
}

/** Why a reply is not the `AuthenticateUser` success in the given casing, or `null` when it is one. */
export function loginEnvelopeProblem(reply: WireResponse, casing: 'pascal' | 'camel'): string | null {
  const body = objectBody(reply.body);
  if (reply.status !== 200) return `HTTP ${reply.status}, not 200`;
  if (body === null) return 'a body that is not a JSON object';
  const name = (pascal: string, camel: string): string => (casing === 'pascal' ? pascal : camel);
  const has = (key: string): boolean => Object.prototype.hasOwnProperty.call(body, key);
  if (body[name('Authenticated', 'authenticated')] !== true) return `"${name('Authenticated', 'authenticated')}" is not true`;
  if (casing === 'pascal' && (typeof body['SessionToken'] !== 'string' || body['SessionToken'] === '')) return '"SessionToken" is not a non-empty string';
  const user = body[name('User', 'user')];
  if (typeof user !== 'object' || user === null || Array.isArray(user)) return `"${name('User', 'user')}" is not an object`;
  if (body[name('Locked', 'locked')] !== false) return `"${name('Locked', 'locked')}" is not false`;
  if (body[name('Requires2FA', 'requires2FA')] !== false) return `"${name('Requires2FA', 'requires2FA')}" is not false`;
  if (casing === 'pascal' ? !has('errormsg') || body['errormsg'] !== null : has('errormsg') && body['errormsg'] !== null) return '"errormsg" is not null';
  return null;
}

/** Why a reply is not the `AuthenticateUser` refusal in the given casing (`{"Authenticated":false,"errormsg":"<text>"}`), or `null`. */
export function loginRefusalProblem(reply: WireResponse, casing: 'pascal' | 'camel'): string | null {
  const body = objectBody(reply.body);
  if (body === null) return 'a body that is not a JSON object';
  const flag = casing === 'pascal' ? 'Authenticated' : 'authenticated';
  if (body[flag] !== false) return `"${flag}" is not false`;
  const message = body['errormsg'];
  if (typeof message !== 'string' || message.trim() === '') return '"errormsg" is not a non-empty text';
  if (sessionTokenOf(reply) !== null) return 'it carries a session token';
  return null;
}

/** Why a reply is not APEX's "Not Authorized" error object, or `null` when it is one (`detail` may be text). */
export function apexNotAuthorizedProblem(reply: WireResponse): string | null {
  const body = objectBody(reply.body);
  if (body === null) return 'a body that is not a JSON object';
  if (body['result'] !== false) return '"result" is not false';
  if (body['errormsg'] !== 'Not Authorized') return '"errormsg" is not "Not Authorized"';
  if (body['errorcode'] !== 20) return '"errorcode" is not 20';
  if (!(body['detail'] === null || typeof body['detail'] === 'string')) return '"detail" is neither null nor text';
  return null;
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
