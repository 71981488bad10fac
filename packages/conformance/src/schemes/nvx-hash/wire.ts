// Navixy's wire as the nvx-hash@2 cases read it: the status codes of the Navixy API docs, "Errors"
// (https://www.navixy.com/docs/navixy-api/user-api/backend-api/errors), the envelope of the Navixy API docs,
// "Authentication" (https://www.navixy.com/docs/navixy-api/user-api/authentication), and tolerant readers for the
// replies preconditions depend on. Deliberately independent of @gatehouse/strategy-nvx-hash: the kit judges that
// package, it does not borrow its answers.
import type { WireResponse } from '../../drivers/wire.js';

/** The documents the cases cite, by title and address. */
export const NAVIXY_AUTHENTICATION = 'Navixy API docs, "Authentication" (https://www.navixy.com/docs/navixy-api/user-api/authentication)';
export const NAVIXY_HASH_KINDS =
  'Navixy docs Q&A, "User session hash vs admin panel hash vs API key" (https://navixy.com/docs/qna/apis/user-session-hash-vs-admin-panel-hash-vs-api-key)';
export const NAVIXY_ERRORS = 'Navixy API docs, "Errors" (https://www.navixy.com/docs/navixy-api/user-api/backend-api/errors)';
export const RFC_9110_CREDENTIALS = 'RFC 9110 §11.4 (credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]; the scheme is case-insensitive, §11.1)';
export const RFC_9110_FIELD_VALUES = 'RFC 9110 §5.5 (leading and trailing whitespace is not part of a field value)';
export const RFC_9110_SINGLETON = 'RFC 9110 §5.3 (a field that is not a list, such as Authorization, is sent once)';
export const RFC_9112_FRAMING = 'RFC 9112 §6.3 (message body length) and §9.3 (a server reads or discards a body before the next request)';
export const OWASP_QUERY = 'OWASP ASVS 5.0 14.2.1 (no credentials in URLs)';
export const GATEHOUSE_SECURITY = '@gatehouse/auth-core README "Security notes"';

/**
 * Navixy's status codes with the HTTP status and description the Errors page gives each; any other code is
 * answered with HTTP 400, the page's default.
 */
export const NAVIXY_CODES: Readonly<Record<number, { readonly httpStatus: number; readonly description: string }>> = Object.freeze({
  1: { httpStatus: 500, description: 'Database error' },
  2: { httpStatus: 403, description: 'Service authentication error' },
  3: { httpStatus: 400, description: 'Wrong hash' },
  4: { httpStatus: 400, description: 'User or API key not found or session ended' },
  5: { httpStatus: 400, description: 'Wrong request format' },
  6: { httpStatus: 500, description: 'Unexpected error' },
  7: { httpStatus: 400, description: 'Invalid parameters' },
  9: { httpStatus: 412, description: 'Too large request' },
  11: { httpStatus: 403, description: 'Access denied' },
  13: { httpStatus: 403, description: 'Operation not permitted' },
  14: { httpStatus: 503, description: 'Database unavailable' },
  15: { httpStatus: 429, description: 'Too many requests' },
});

/** The HTTP status the Errors page gives a code (HTTP 400 for a code it does not list). */
export function httpStatusOf(code: number): number {
  return NAVIXY_CODES[code]?.httpStatus ?? 400;
}

/** A hash: 16 random bytes as 32 hex characters (the hashes of Navixy API docs, "Authentication"). */
export const NVX_HASH_PATTERN = /^[0-9a-fA-F]{32}$/;

/** Navixy's failure envelope for a code, as the Authentication page shows it for code 3. */
export function failureBody(code: number): { success: false; status: { code: number; description: string } } {
  return { success: false, status: { code, description: NAVIXY_CODES[code]?.description ?? '' } };
}

function objectOf(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/**
 * A member of an object in any casing (`hash`, `Hash`, `HASH`), for preconditions that read a reply tolerantly.
 */
export function memberOf(value: unknown, name: string): unknown {
  const object = objectOf(value);
  if (object === null) return undefined;
  if (Object.prototype.hasOwnProperty.call(object, name)) return object[name];
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((one) => one.toLowerCase() === lower);
  return key === undefined ? undefined : object[key];
}

/**
 * Whether a reply lets the request in: a body that says `"success": true` (in any casing), or a 2xx whose body does
 * not say `"success": false` (where the kit cannot tell, a 2xx is a success). Used by every security check: a
 * request that must be refused may get any refusal, never this.
 */
export function isAccepted(reply: WireResponse): boolean {
  const success = memberOf(reply.body, 'success');
  if (typeof success === 'boolean') return success;
  return reply.status >= 200 && reply.status < 300;
}

/** Navixy's success as the documents show it: HTTP 200 and `"success": true`. */
export function isNavixySuccess(reply: WireResponse): boolean {
  return reply.status === 200 && objectOf(reply.body)?.['success'] === true;
}

/** The Navixy status code of a failure reply, read tolerantly (`status.code`, any casing); `null` when there is none. */
export function codeOf(reply: WireResponse): number | null {
  const code = memberOf(memberOf(reply.body, 'status'), 'code');
  return typeof code === 'number' && Number.isInteger(code) ? code : null;
}

/**
 * Where a reply departs from Navixy's failure envelope for `code`: `"success": false`, `status.code`, the status
 * description and the HTTP status the Errors page gives that code. Extra fields are allowed. Empty when it matches.
 */
export function envelopeDifferences(reply: WireResponse, code: number): string[] {
  const differences: string[] = [];
  const body = objectOf(reply.body);
  const status = objectOf(body?.['status']);
  if (reply.status !== httpStatusOf(code)) differences.push(`HTTP ${reply.status} instead of ${httpStatusOf(code)}`);
  if (body === null || body['success'] !== false) differences.push('no "success": false');
  if (status?.['code'] !== code) differences.push(`code ${status === null ? 'missing' : JSON.stringify(status['code'])} instead of ${code}`);
  const description = NAVIXY_CODES[code]?.description;
  if (description !== undefined && status !== null && status['description'] !== description) {
    differences.push(`description ${JSON.stringify(status['description'])} instead of ${JSON.stringify(description)}`);
  }
  return differences;
}

/** Every run of 32 hex digits in a reply body, lower-cased (e.g. the hash a sign-in or `api/key/create` returned). */
export function hashesIn(body: unknown): string[] {
  const text = typeof body === 'string' ? body : JSON.stringify(body) ?? '';
  return [...text.matchAll(/(?<![0-9a-fA-F])[0-9a-fA-F]{32}(?![0-9a-fA-F])/g)].map((match) => match[0].toLowerCase());
}

/**
 * The hash a sign-in (`{"success":true,"hash":…}`) or a key creation (`{"success":true,"value":{"hash":…}}`) returned,
 * read tolerantly: `hash` or `value.hash` in any casing, else the only 32-hex-digit string in the body; `null`
 * when there is none or several.
 */
export function issuedHashOf(body: unknown): string | null {
  for (const candidate of [memberOf(body, 'hash'), memberOf(memberOf(body, 'value'), 'hash'), memberOf(memberOf(body, 'data'), 'hash')]) {
    if (typeof candidate === 'string' && NVX_HASH_PATTERN.test(candidate)) return candidate;
  }
  const found = [...new Set(hashesIn(body))];
  return found.length === 1 ? (found[0] as string) : null;
}

/**
 * The keys `api/key/list` returned (`{"success":true,"list":[{"hash":…},…]}`), read tolerantly: the first array in the
 * body (`list` in any casing first); `null` when the body has none.
 */
export function keyListOf(body: unknown): unknown[] | null {
  const list = memberOf(body, 'list');
  if (Array.isArray(list)) return list;
  const object = objectOf(body);
  if (object === null) return null;
  for (const value of Object.values(object)) if (Array.isArray(value)) return value;
  return null;
}

/** A JSON value flattened to `path → leaf` (`status.code → 3`), to compare two replies field by field. */
function flatten(value: unknown, path: string, into: Map<string, unknown>): Map<string, unknown> {
  if (Array.isArray(value)) {
    if (value.length === 0) into.set(path, '[]');
    value.forEach((item, index) => flatten(item, `${path}[${index}]`, into));
  } else if (objectOf(value) !== null) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) into.set(path, '{}');
    for (const [key, item] of entries) flatten(item, path === '' ? key : `${path}.${key}`, into);
  } else {
    into.set(path, value);
  }
  return into;
}

/**
 * What differs between a reply and a baseline, ignoring the fields that `noise` (a second reply to the very same
 * request as the baseline) shows to vary by themselves (a request id, a timestamp). Empty when they are the same.
 */
export function replyDifferences(baseline: WireResponse, noise: WireResponse, other: WireResponse): string[] {
  if (other.status !== baseline.status) return [`HTTP ${other.status} instead of ${baseline.status}`];
  if (typeof baseline.body !== 'object' || baseline.body === null || typeof other.body !== 'object' || other.body === null) {
    if (typeof baseline.body === 'string' && baseline.body !== noise.body) return [];
    return JSON.stringify(other.body) === JSON.stringify(baseline.body) ? [] : ['another body'];
  }
  const base = flatten(baseline.body, '', new Map());
  const repeat = flatten(noise.body, '', new Map());
  const mine = flatten(other.body, '', new Map());
  const noisy = new Set<string>();
  for (const path of new Set([...base.keys(), ...repeat.keys()])) if (!Object.is(base.get(path), repeat.get(path))) noisy.add(path);
  const differences: string[] = [];
  for (const path of new Set([...base.keys(), ...mine.keys()])) {
    if (noisy.has(path)) continue;
    if (!base.has(path)) differences.push(`an extra field ${path}`);
    else if (!mine.has(path)) differences.push(`no field ${path}`);
    else if (!Object.is(base.get(path), mine.get(path))) differences.push(`${path} ${JSON.stringify(mine.get(path))} instead of ${JSON.stringify(base.get(path))}`);
  }
  return differences;
}
