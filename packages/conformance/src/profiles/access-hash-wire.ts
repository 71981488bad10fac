// The access hash cookie scheme as the kit states it, from PUQ VPN control panel (PUQVPNCP) documentation, "API
// Access Hashs" (revision 8, 2023-10-16), and the security notes of @gatehouse/auth-core. Deliberately independent of
// @gatehouse/strategy-access-hash-cookie: the kit judges that package, it does not borrow its answers.
import { formatIpAddress, normalizeIpAddress, parseIpAddress } from '@gatehouse/auth-core/strategy';
import type { WireResponse } from '../drivers/wire.js';

/** An access hash: 40 random bytes as exactly 80 lower-case hex characters (the curl example of "API Access Hashs"). */
export const ACCESS_HASH_PATTERN = /^[0-9a-f]{80}$/;

/** The example route of "API Access Hashs": `GET https://<server>/api/v1/system/status`. */
export const DEFAULT_ACCESS_HASH_RESOURCE_PATH = '/api/v1/system/status';

/** The cookie "API Access Hashs" names: "the value of the `access_hash` parameter in Cookies". */
export const DEFAULT_ACCESS_HASH_COOKIE = 'access_hash';

/** An RFC 6265 cookie name (a token). */
export const COOKIE_NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The HTTP status of each kind of refusal (the AuthError codes of @gatehouse/auth-core): a missing or unknown hash is 401
 * (`CREDENTIALS_MISSING`, `CREDENTIALS_INVALID`), a valid hash from another IP 403 (`IP_NOT_ALLOWED`), a
 * malformed or duplicated cookie 400 (`CREDENTIALS_MALFORMED`, `CREDENTIALS_AMBIGUOUS`), a store that is down
 * 503 (`STORE_UNAVAILABLE`).
 */
export const ACCESS_HASH_STATUS = {
  missing: 401,
  unknown: 401,
  wrongIp: 403,
  malformed: 400,
  duplicated: 400,
  storeDown: 503,
} as const;

export type AccessHashFailureStatus = (typeof ACCESS_HASH_STATUS)[keyof typeof ACCESS_HASH_STATUS];

function envelopeOf(reply: WireResponse): Record<string, unknown> | null {
  const body = reply.body;
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

/** The panel's success ("API Access Hashs"): HTTP 200 and `{"error":"","msg":<payload>,"status":"success"}` (extra keys tolerated here). */
export function isEnvelopeSuccess(reply: WireResponse): boolean {
  const body = envelopeOf(reply);
  return (
    reply.status === 200 &&
    body !== null &&
    body['error'] === '' &&
    body['status'] === 'success' &&
    Object.prototype.hasOwnProperty.call(body, 'msg') &&
    body['msg'] !== undefined
  );
}

/** Whether a reply claims success in any way: a 2xx status, or `status` "success" in any case. */
export function claimsSuccess(reply: WireResponse): boolean {
  const status = envelopeOf(reply)?.['status'];
  return (reply.status >= 200 && reply.status < 300) || (typeof status === 'string' && status.toLowerCase() === 'success');
}

/** The panel's failure envelope ("API Access Hashs"): `{"error":"<non-empty text>","msg":"","status":"error"}` (extra keys tolerated here). */
export function isFailureEnvelope(reply: WireResponse): boolean {
  const body = envelopeOf(reply);
  return (
    body !== null &&
    typeof body['error'] === 'string' &&
    body['error'].trim() !== '' &&
    body['msg'] === '' &&
    body['status'] === 'error'
  );
}

/** The top-level keys of a reply body, sorted; `null` when the body is not an object. */
export function envelopeKeys(reply: WireResponse): string[] | null {
  const body = envelopeOf(reply);
  return body === null ? null : Object.keys(body).sort();
}

export { presentedHexRuns, redactHashes } from './wire-request.js';

/** Whether an address is IPv4 (dotted quad), after normalisation. */
export function isIpv4(address: string): boolean {
  const normalized = normalizeIpAddress(address);
  return normalized !== null && !normalized.includes(':');
}

/**
 * Addresses that are not `ip` but look close to it to a careless comparison: the next and previous address,
 * the address with a digit appended or removed (a prefix match), the same /24 or /64, loopback, and the other
 * address family. Every one normalises to something other than `ip`.
 */
export function neighbouringAddresses(ip: string): string[] {
  const bytes = parseIpAddress(ip);
  const own = normalizeIpAddress(ip);
  if (bytes === null || own === null) return [];
  const candidates: string[] = [];
  const withLastByte = (delta: number): string => {
    const copy = new Uint8Array(bytes);
    copy[15] = ((copy[15] as number) + delta + 256) % 256;
    return formatIpAddress(copy);
  };
  candidates.push(withLastByte(1), withLastByte(-1), withLastByte(128));
  if (isIpv4(own)) {
    candidates.push(`${own}0`, `${own}1`, own.slice(0, -1), `1${own}`, `${own.split('.').slice(0, 3).join('.')}.${own.endsWith('.1') ? 2 : 1}`);
    candidates.push('127.0.0.1', '2001:db8::1');
  } else {
    const copy = new Uint8Array(bytes);
    copy[0] = (copy[0] as number) ^ 0x01;
    candidates.push(formatIpAddress(copy), '::1', '127.0.0.1', '192.0.2.1');
  }
  const seen = new Set<string>([own]);
  return candidates.filter((candidate) => {
    const normalized = normalizeIpAddress(candidate);
    if (normalized === null || seen.has(normalized)) return false;
    seen.add(normalized);
    return true;
  });
}

/** The IPv4-mapped IPv6 spelling of an IPv4 address in hex groups: `203.0.113.7` → `::ffff:cb00:7107`. */
export function mappedHexForm(ipv4: string): string {
  const [a, b, c, d] = ipv4.split('.').map(Number) as [number, number, number, number];
  return `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/** `Forwarded: for=` wants IPv6 quoted and bracketed (RFC 7239 §6). */
export function forwardedFor(ip: string): string {
  return ip.includes(':') ? `for="[${ip}]"` : `for=${ip}`;
}
