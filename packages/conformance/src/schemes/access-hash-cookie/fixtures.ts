// The fixtures of access-hash-cookie@2: what each case works with (made fresh per case in-process, fixed over
// HTTP), how they are checked, and the capabilities they imply.
import { generateHexToken } from '@gatehouse/auth-core/crypto';
import { normalizeIpAddress } from '@gatehouse/auth-core/strategy';
import { check, show } from '../../check.js';
import { COOKIE_NAME_PATTERN, DEFAULT_COOKIE_NAME, DEFAULT_RESOURCE_PATH, FIXTURE_HASH_PATTERN, isIpv4 } from './wire.js';

/**
 * The hashes and addresses one `access-hash-cookie@2` case works with. Every hash is lower-case hex as issued (the
 * document's example has 80 digits; any length of 32 or more is taken), and all of them differ.
 *
 * `clientIp` is the address the kit's requests come from: in-process the kit passes it as the socket address
 * (`send(request, { remoteAddress: clientIp })`); over HTTP it is the address the server sees the kit connect
 * from. `accessHash` is bound to it, `foreignAccessHash` to `foreignIp`.
 *
 * @example
 * ```ts
 * const fixtures: AccessHashFixtures = {
 *   accessHash: '7effe99173b87e9cdebdab66d6fb23c9b244af250cb09b5dd36d8f80d14a8510b2d00bcba7290252',
 *   clientIp: '203.0.113.7',
 *   foreignAccessHash: '0c1d2e3f405162738495a6b7c8d9eafb0c1d2e3f405162738495a6b7c8d9eafb0c1d2e3f40516273',
 *   foreignIp: '198.51.100.23',
 *   revokedAccessHash: 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a59687',
 *   trustedProxies: 'none',
 * };
 * ```
 */
export interface AccessHashFixtures {
  /** A live access hash bound to `clientIp`. */
  readonly accessHash: string;
  /** The IP address the kit's requests come from, and the one `accessHash` is bound to. */
  readonly clientIp: string;
  /** A live access hash bound to `foreignIp`, an address other than `clientIp`. */
  readonly foreignAccessHash: string;
  /** The IP address `foreignAccessHash` is bound to; never the same address as `clientIp` (in any spelling). */
  readonly foreignIp: string;
  /** An access hash that was live and has been deleted. Enables capability `revoked-hash`. */
  readonly revokedAccessHash?: string;
  /** A route the access hash authenticates with `GET`. Default `/api/v1/system/status`. */
  readonly resourcePath?: string;
  /** The cookie carrying the hash. Default `access_hash`. */
  readonly cookieName?: string;
  /**
   * The server's trusted proxies: `'none'` (the client IP is the socket address and `X-Forwarded-For` is never
   * read; enables capability `no-trusted-proxies`) or `'configured'`.
   */
  readonly trustedProxies: 'none' | 'configured';
}

/**
 * The capabilities `access-hash-cookie@2` cases may require. `revoked-hash`, `no-trusted-proxies` and
 * `ipv4-client` follow from each case's fixtures; `remote-address` (the driver sends from the socket addresses
 * it is given), `store-failure`, `revoke` and `raw-connection` from the driver.
 *
 * @example
 * ```ts
 * const capability: AccessHashCapability = 'raw-connection';
 * ```
 */
export type AccessHashCapability = 'remote-address' | 'store-failure' | 'revoke' | 'revoked-hash' | 'no-trusted-proxies' | 'ipv4-client' | 'raw-connection';

/** The fixtures as the cases use them: defaults filled in, and a well-formed hash no server has issued. */
export interface ResolvedAccessHashFixtures {
  readonly accessHash: string;
  readonly clientIp: string;
  readonly foreignAccessHash: string;
  readonly foreignIp: string;
  readonly revokedAccessHash: string | null;
  readonly resourcePath: string;
  readonly cookieName: string;
  readonly trustedProxies: 'none' | 'configured';
  /** Made by the kit: as long as `accessHash`, never issued. */
  readonly unknownHash: string;
}

/** A fresh lower-case hex string of `length` digits that is none of `taken`. */
export function freshHash(length: number, taken: readonly string[] = []): string {
  for (;;) {
    const hash = generateHexToken(Math.ceil(length / 2)).slice(0, length);
    if (!taken.includes(hash)) return hash;
  }
}

/** Checks what `setup()` resolved to; a broken fixture fails the case, naming the fixture and never its value. */
export function resolveFixtures(raw: unknown): ResolvedAccessHashFixtures {
  check(typeof raw === 'object' && raw !== null, () => `setup() resolved to ${show(raw)}, expected AccessHashFixtures`);
  const fixtures = raw as Record<string, unknown>;
  const hashes: string[] = [];
  const hashOf = (field: string, optional: boolean): string | null => {
    const value = fixtures[field];
    if (value === undefined && optional) return null;
    check(
      typeof value === 'string' && FIXTURE_HASH_PATTERN.test(value),
      () =>
        `setup(): fixture ${field} must be lower-case hex of 32 to 512 digits, as issued; got ${typeof value === 'string' ? `a string of ${value.length} characters` : show(value)}`,
    );
    check(!hashes.includes(value), () => `setup(): fixture ${field} repeats another fixture's hash; every hash must be distinct`);
    hashes.push(value);
    return value;
  };
  const ipOf = (field: string): string => {
    const value = fixtures[field];
    check(typeof value === 'string' && normalizeIpAddress(value) !== null, () => `setup(): fixture ${field} must be an IPv4 or IPv6 address, got ${show(value)}`);
    return value;
  };
  const accessHash = hashOf('accessHash', false) as string;
  const foreignAccessHash = hashOf('foreignAccessHash', false) as string;
  const revokedAccessHash = hashOf('revokedAccessHash', true);
  const clientIp = ipOf('clientIp');
  const foreignIp = ipOf('foreignIp');
  check(normalizeIpAddress(clientIp) !== normalizeIpAddress(foreignIp), () => `setup(): fixture foreignIp must be another address than clientIp, got ${show(foreignIp)} and ${show(clientIp)}`);
  const resourcePath = fixtures['resourcePath'] ?? DEFAULT_RESOURCE_PATH;
  check(
    typeof resourcePath === 'string' && resourcePath.startsWith('/') && !resourcePath.startsWith('//'),
    () => `setup(): fixture resourcePath must be an absolute path such as ${DEFAULT_RESOURCE_PATH}, got ${show(resourcePath)}`,
  );
  const cookieName = fixtures['cookieName'] ?? DEFAULT_COOKIE_NAME;
  check(typeof cookieName === 'string' && COOKIE_NAME_PATTERN.test(cookieName), () => `setup(): fixture cookieName must be a cookie name (an RFC 6265 token), got ${show(cookieName)}`);
  const trustedProxies = fixtures['trustedProxies'];
  check(
    trustedProxies === 'none' || trustedProxies === 'configured',
    () => `setup(): fixture trustedProxies must be 'none' (the client IP is the socket address) or 'configured', got ${show(trustedProxies)}`,
  );
  const unknownHash = freshHash(accessHash.length, hashes);
  return { accessHash, clientIp, foreignAccessHash, foreignIp, revokedAccessHash, resourcePath, cookieName, trustedProxies, unknownHash };
}

/** The capabilities a case's fixtures imply. */
export function fixtureCapabilities(fixtures: ResolvedAccessHashFixtures): AccessHashCapability[] {
  const capabilities: AccessHashCapability[] = [];
  if (fixtures.revokedAccessHash !== null) capabilities.push('revoked-hash');
  if (fixtures.trustedProxies === 'none') capabilities.push('no-trusted-proxies');
  if (isIpv4(fixtures.clientIp)) capabilities.push('ipv4-client');
  return capabilities;
}

/** Every capability fixtures may imply (settled per case, when the fixtures are known). */
export const FIXTURE_CAPABILITIES: readonly AccessHashCapability[] = Object.freeze(['revoked-hash', 'no-trusted-proxies', 'ipv4-client']);
