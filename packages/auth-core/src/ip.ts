import { ConfigurationError } from './errors.js';
/**
 * IP address parsing, normalisation and CIDR matching, on 16-byte arrays (IPv4 as IPv4-mapped IPv6), so that
 * `::ffff:127.0.0.1`, `::ffff:7f00:1` and `127.0.0.1` are one address, and `2001:db8::1` equals
 * `2001:0db8:0:0:0:0:0:1`.
 */

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] as const;

function parseIpv4Into(text: string, out: Uint8Array, offset: number): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    // Leading zeros are rejected: some parsers read them as octal, so `010.0.0.1` is ambiguous.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return false;
    const value = Number(part);
    if (value > 255) return false;
    out[offset + i] = value;
  }
  return true;
}

function parseIpv6Into(text: string, out: Uint8Array): boolean {
  const doubleColon = text.indexOf('::');
  if (doubleColon !== -1 && text.indexOf('::', doubleColon + 1) !== -1) return false;
  // A dotted IPv4 piece may only end the whole address (RFC 4291 §2.2): never in the part before `::`.
  const parseGroups = (part: string, mayEndDotted: boolean): number[] | null => {
    if (part === '') return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as string;
      if (mayEndDotted && i === pieces.length - 1 && piece.includes('.')) {
        const v4 = new Uint8Array(4);
        if (!parseIpv4Into(piece, v4, 0)) return null;
        groups.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return null;
      groups.push(parseInt(piece, 16));
    }
    return groups;
  };
  let groups: number[];
  if (doubleColon === -1) {
    const all = parseGroups(text, true);
    if (all === null || all.length !== 8) return false;
    groups = all;
  } else {
    const head = parseGroups(text.slice(0, doubleColon), false);
    const tail = parseGroups(text.slice(doubleColon + 2), true);
    if (head === null || tail === null) return false;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return false;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  }
  for (let i = 0; i < 8; i++) {
    const group = groups[i] as number;
    out[i * 2] = group >> 8;
    out[i * 2 + 1] = group & 0xff;
  }
  return true;
}

/**
 * Parses an IPv4 or IPv6 address (an IPv6 zone such as `%eth0` and surrounding brackets are dropped) into 16
 * bytes, IPv4 as IPv4-mapped IPv6. Returns `null` for anything that is not an address; never throws.
 *
 * @example
 * ```ts
 * parseIpAddress('127.0.0.1'); // Uint8Array(16) [0,…,0xff,0xff,127,0,0,1]
 * parseIpAddress('not an ip'); // null
 * ```
 */
export function parseIpAddress(text: string): Uint8Array | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) return null;
  let candidate = text;
  if (candidate.startsWith('[') && candidate.endsWith(']')) candidate = candidate.slice(1, -1);
  const zone = candidate.indexOf('%');
  if (zone !== -1) candidate = candidate.slice(0, zone);
  const out = new Uint8Array(16);
  if (!candidate.includes(':')) {
    for (let i = 0; i < 12; i++) out[i] = V4_MAPPED_PREFIX[i] as number;
    return parseIpv4Into(candidate, out, 12) ? out : null;
  }
  return parseIpv6Into(candidate, out) ? out : null;
}

function isV4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 12; i++) if (bytes[i] !== V4_MAPPED_PREFIX[i]) return false;
  return true;
}

/**
 * Formats 16 address bytes canonically: dotted IPv4 for IPv4-mapped addresses, RFC 5952 text otherwise
 * (lower case, no leading zeros, the longest run of two or more zero groups as `::`).
 *
 * @example
 * ```ts
 * formatIpAddress(parseIpAddress('2001:0DB8:0:0:0:0:0:1')!); // '2001:db8::1'
 * ```
 */
export function formatIpAddress(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new TypeError('formatIpAddress: expected 16 bytes');
  if (isV4Mapped(bytes)) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((bytes[i * 2] as number) << 8) | (bytes[i * 2 + 1] as number));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * Returns the canonical text of an IP address, or `null` when the text is not one. Two spellings of the same
 * address normalise to the same string (`::ffff:127.0.0.1` → `127.0.0.1`).
 *
 * @example
 * ```ts
 * normalizeIpAddress('::ffff:127.0.0.1'); // '127.0.0.1'
 * normalizeIpAddress('2001:db8:0::1'); // '2001:db8::1'
 * ```
 */
export function normalizeIpAddress(text: string): string | null {
  const bytes = parseIpAddress(text);
  return bytes === null ? null : formatIpAddress(bytes);
}

interface Network {
  readonly bytes: Uint8Array;
  readonly prefixBits: number;
}

/**
 * Parses `address` or `address/prefix` (IPv4 or IPv6). IPv4 prefixes count within the IPv4 address. Returns
 * `null` on anything malformed, including host bits beyond the prefix being ignored silently: they are allowed
 * and masked, as routers do.
 */
function parseNetwork(text: string): Network | null {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const bytes = parseIpAddress(addressText.trim());
  if (bytes === null) return null;
  const v4 = isV4Mapped(bytes) && !addressText.includes(':');
  const maxBits = v4 ? 32 : 128;
  let prefixBits = maxBits;
  if (slash !== -1) {
    const prefixText = text.slice(slash + 1).trim();
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return null;
    prefixBits = Number(prefixText);
    if (prefixBits > maxBits) return null;
  }
  return { bytes, prefixBits: v4 ? prefixBits + 96 : prefixBits };
}

function networkContains(network: Network, address: Uint8Array): boolean {
  let bits = network.prefixBits;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((network.bytes[i] as number) & mask) !== ((address[i] as number) & mask)) return false;
  }
  return true;
}

/**
 * A compiled list of IP addresses and CIDR networks.
 *
 * @example
 * ```ts
 * const proxies = createIpMatcher(['10.0.0.0/8', '::1']);
 * proxies.matches('10.1.2.3'); // true
 * ```
 */
export interface IpMatcher {
  /** True when the address (any spelling) lies in one of the networks. Unparseable input is never matched. */
  matches(address: string | Uint8Array): boolean;
  /** The number of networks in the list. */
  readonly size: number;
}

/**
 * Compiles IPs and CIDRs (IPv4 and IPv6) into an {@link IpMatcher}. Throws a `ConfigurationError` naming the entry when
 * one cannot be parsed, so a typo in a proxy list fails at start-up instead of silently trusting nothing.
 *
 * @example
 * ```ts
 * const matcher = createIpMatcher(['192.168.0.0/16', 'fd00::/8']);
 * matcher.matches('::ffff:192.168.1.1'); // true
 * ```
 */
export function createIpMatcher(entries: readonly string[], optionName = 'entries'): IpMatcher {
  if (!Array.isArray(entries)) throw new ConfigurationError(optionName, 'must be an array of IPs or CIDRs');
  const networks: Network[] = entries.map((entry) => {
    const network = typeof entry === 'string' ? parseNetwork(entry) : null;
    if (network === null) {
      throw new ConfigurationError(optionName, `${JSON.stringify(entry)} is not an IP address or CIDR`);
    }
    return network;
  });
  return {
    size: networks.length,
    matches(address: string | Uint8Array): boolean {
      const bytes = typeof address === 'string' ? parseIpAddress(address) : address;
      if (bytes === null || bytes.length !== 16) return false;
      return networks.some((network) => networkContains(network, bytes));
    },
  };
}

/**
 * Resolves the client IP of a request. With no trusted proxies (the default) it is the socket address and
 * `X-Forwarded-For` is ignored. When the socket peer is a trusted proxy, `X-Forwarded-For` is read right to
 * left, skipping trusted proxies; the first untrusted hop is the client. An unparseable hop yields `null`
 * (unknown client), so a malformed header can never be used to pick an address.
 *
 * @example
 * ```ts
 * const proxies = createIpMatcher(['10.0.0.1']);
 * resolveClientIp('10.0.0.1', ['203.0.113.9, 10.0.0.1'], proxies); // '203.0.113.9'
 * resolveClientIp('198.51.100.7', ['203.0.113.9'], proxies); // '198.51.100.7' (peer is not a proxy)
 * ```
 */
export function resolveClientIp(
  socketAddress: string | null | undefined,
  forwardedForHeaders: readonly string[],
  trustedProxies: IpMatcher | null,
): string | null {
  if (socketAddress === null || socketAddress === undefined) return null;
  const socketBytes = parseIpAddress(socketAddress);
  if (socketBytes === null) return null;
  if (trustedProxies === null || trustedProxies.size === 0 || !trustedProxies.matches(socketBytes)) {
    return formatIpAddress(socketBytes);
  }
  const hops = forwardedForHeaders.join(',').split(',');
  let client = socketBytes;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hopText = (hops[i] as string).trim();
    if (hopText === '') {
      if (hops.length === 1) break;
      return null;
    }
    const hop = parseIpAddress(hopText);
    if (hop === null) return null;
    client = hop;
    if (!trustedProxies.matches(hop)) break;
  }
  return formatIpAddress(client);
}
