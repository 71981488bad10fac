// The access hash cookie scheme as the kit reads it on the wire: what PUQ VPN control panel (PUQVPNCP)
// documentation, "API Access Hashs" (revision 8, 2023-10-16) shows, and the address arithmetic the IP-binding cases
// need. Deliberately independent of @gatehouse/strategy-access-hash-cookie: the kit judges that package, it does
// not borrow its answers.
import { formatIpAddress, normalizeIpAddress, parseIpAddress } from '@gatehouse/auth-core/strategy';
import type { WireResponse } from '../../drivers/wire.js';

/**
 * A fixture hash: lower-case hex, at least 32 digits. The document's curl example shows 80 (40 bytes); the kit
 * takes the length of the hashes it is given rather than making that one example a rule.
 */
export const FIXTURE_HASH_PATTERN = /^[0-9a-f]{32,512}$/;

/** The example route of "API Access Hashs": `GET https://<Your_server>/api/v1/system/status`. */
export const DEFAULT_RESOURCE_PATH = '/api/v1/system/status';

/** The cookie "API Access Hashs" names: "the value of the "access_hash" parameter in Cookies". */
export const DEFAULT_COOKIE_NAME = 'access_hash';

/** An RFC 6265 cookie name (an RFC 9110 token). */
export const COOKIE_NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function envelopeOf(reply: WireResponse): Record<string, unknown> | null {
  const body = reply.body;
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

/** The envelope's `status`, lower-cased ("API Access Hashs" writes SUCCESS/ERROR in its prose, lower case in its example). */
function envelopeStatus(reply: WireResponse): string | null {
  const status = envelopeOf(reply)?.['status'];
  return typeof status === 'string' ? status.toLowerCase() : null;
}

/**
 * Whether a reply let the request in: `status` "success" (any casing) whatever the HTTP status, or a 2xx whose
 * body does not say `status` "error". A 2xx that says "error" is a refusal with an odd HTTP status (a wire
 * matter); anything else in 2xx is taken as a success, since the kit cannot tell it from one.
 */
export function isAccepted(reply: WireResponse): boolean {
  const status = envelopeStatus(reply);
  if (status === 'success') return true;
  if (status === 'error') return false;
  return reply.status >= 200 && reply.status < 300;
}

/** The panel's success: `{"error":"","msg":<payload>,"status":"success"}` (either casing of the status), extra keys allowed. */
export function isSuccessEnvelope(reply: WireResponse): boolean {
  const body = envelopeOf(reply);
  return body !== null && body['error'] === '' && envelopeStatus(reply) === 'success' && Object.prototype.hasOwnProperty.call(body, 'msg');
}

/** The panel's failure: `{"error":"<text>","msg":…,"status":"error"}` (either casing of the status), extra keys allowed. */
export function isFailureEnvelope(reply: WireResponse): boolean {
  const body = envelopeOf(reply);
  return (
    body !== null &&
    typeof body['error'] === 'string' &&
    body['error'].trim() !== '' &&
    envelopeStatus(reply) === 'error' &&
    Object.prototype.hasOwnProperty.call(body, 'msg')
  );
}

/** The top-level keys of a reply body, sorted; `null` when the body is not an object. */
export function envelopeKeys(reply: WireResponse): string[] | null {
  const body = envelopeOf(reply);
  return body === null ? null : Object.keys(body).sort();
}

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

/** Alters one hex digit of a hash at `index`, keeping it lower-case hex. */
export function alterDigit(hash: string, index: number): string {
  const digit = hash.charAt(index);
  return hash.slice(0, index) + (digit === 'f' ? '0' : (parseInt(digit, 16) + 1).toString(16)) + hash.slice(index + 1);
}
