// access-hash-cookie@1 over HTTP: the hashes come from the fixtures (made in the panel's web interface, as PUQ VPN
// control panel (PUQVPNCP) documentation, "API Access Hashs" shows); with a loopback base URL the kit connects
// from client_ip and foreign_ip itself.
import { ConfigurationError } from '@gatehouse/auth-core';
import { normalizeIpAddress } from '@gatehouse/auth-core/strategy';
import type { AccessHashDriver, AccessHashFixtures } from '../profiles/access-hash-cookie.js';
import { ACCESS_HASH_PATTERN } from '../profiles/access-hash-wire.js';
import { requireOneOf, requirePath, type ResolvedFixtureValues } from './fixtures.js';
import { isBindableLoopback, type HttpSender } from './sender.js';

const PROFILE = 'access-hash-cookie@1';

export interface AccessHashHttpDriver {
  readonly driver: AccessHashDriver;
  readonly capabilities: readonly string[];
  cleanup(): Promise<void>;
}

/** Whether `clientIp` and `foreignIp` are both addresses the kit can bind over loopback. */
export function accessHashBindsAddresses(values: ResolvedFixtureValues): boolean {
  return isBindableLoopback(values['client_ip'] as string) && isBindableLoopback(values['foreign_ip'] as string);
}

/** The access hash driver over HTTP. Fixture names and defaults: `HTTP_FIXTURES['access-hash-cookie@1']`. */
export function createAccessHashHttpDriver(sender: HttpSender, values: ResolvedFixtureValues, bindsAddresses: boolean): AccessHashHttpDriver {
  const ip = (name: string): string => {
    const value = values[name] as string;
    if (normalizeIpAddress(value) === null) throw new ConfigurationError('fixtures', `${PROFILE}: fixture ${name} must be an IPv4 or IPv6 address, got ${JSON.stringify(value)}`);
    return value;
  };
  for (const name of ['access_hash', 'foreign_access_hash', 'revoked_access_hash']) {
    const value = values[name];
    if (value !== undefined && !ACCESS_HASH_PATTERN.test(value)) {
      throw new ConfigurationError('fixtures', `${PROFILE}: fixture ${name} must be 80 lower-case hex characters, as issued; got ${value.length} characters`);
    }
  }
  const clientIp = ip('client_ip');
  const foreignIp = ip('foreign_ip');
  if (normalizeIpAddress(clientIp) === normalizeIpAddress(foreignIp)) {
    throw new ConfigurationError('fixtures', `${PROFILE}: fixtures client_ip and foreign_ip must be different addresses, got ${clientIp} twice`);
  }
  const resourcePath = requirePath(PROFILE, values, 'resource');
  const trustedProxies = requireOneOf(PROFILE, values, 'trusted_proxies', ['none', 'configured'] as const);
  const revoked = values['revoked_access_hash'];
  const fixtures: AccessHashFixtures = Object.freeze({
    accessHash: values['access_hash'] as string,
    clientIp,
    foreignAccessHash: values['foreign_access_hash'] as string,
    foreignIp,
    ...(revoked === undefined ? {} : { revokedAccessHash: revoked }),
    resourcePath,
    cookieName: values['cookie_name'] as string,
    trustedProxies,
  });
  const driverCapabilities = bindsAddresses ? ['remote-address'] : [];
  const capabilities = [...driverCapabilities];
  if (revoked !== undefined) capabilities.push('revoked-hash');
  if (trustedProxies === 'none') capabilities.push('no-trusted-proxies');
  const normalized = normalizeIpAddress(clientIp);
  if (normalized !== null && !normalized.includes(':')) capabilities.push('ipv4-client');
  return {
    driver: {
      capabilities: driverCapabilities,
      setup: async () => fixtures,
      // Without remote-address the server sees wherever the kit connects from: the fixture client_ip says where.
      send: (request, options) => sender.send(request, options),
    },
    capabilities,
    cleanup: async () => undefined,
  };
}
