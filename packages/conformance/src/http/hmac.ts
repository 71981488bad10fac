// hmac-signature@1 over HTTP: the keys come from the fixtures (shown once, at creation, as KiiEx docs,
// "Authenticate with API Key" says); the kit signs every request itself.
import { ConfigurationError } from '@gatehouse/auth-core';
import { normalizeIpAddress } from '@gatehouse/auth-core/strategy';
import { randomBytes } from '@gatehouse/auth-core/crypto';
import type { HmacFixtures, HmacIpRestrictedKeyFixture, HmacKeyFixture, HmacSignatureDriver } from '../profiles/hmac-signature.js';
import { requireOneOf, requirePath, requireTogether, type ResolvedFixtureValues } from './fixtures.js';
import { isBindableLoopback, type HttpSender } from './sender.js';

const PROFILE = 'hmac-signature@1';

/** The address the kit connects from when it binds its source addresses over loopback. */
export const HMAC_LOOPBACK_CLIENT_IP = '127.0.0.1';

export interface HmacHttpDriver {
  readonly driver: HmacSignatureDriver;
  readonly capabilities: readonly string[];
  cleanup(): Promise<void>;
}

/** A random 12-digit decimal: a fresh starting point for `unique` nonces, so a second run replays none of the first's. */
function randomNonceBase(): string {
  const bytes = randomBytes(6);
  let value = 0;
  for (const byte of bytes) value = value * 256 + byte;
  return String(100_000_000_000 + (value % 800_000_000_000));
}

/** Whether the kit binds its source addresses: a loopback base URL and, if given, a loopback `allowed_ip`. */
export function hmacBindsAddresses(values: ResolvedFixtureValues, loopback: boolean): boolean {
  const allowedIp = values['allowed_ip'];
  return loopback && (allowedIp === undefined || isBindableLoopback(allowedIp));
}

/** The HMAC signature driver over HTTP. Fixture names and defaults: `HTTP_FIXTURES['hmac-signature@1']`. */
export function createHmacHttpDriver(sender: HttpSender, values: ResolvedFixtureValues, loopback: boolean): HmacHttpDriver {
  const noncePolicy = requireOneOf(PROFILE, values, 'nonce_policy', ['issued', 'increasing', 'unique'] as const);
  const resource = requirePath(PROFILE, values, 'resource');
  const authenticatePath = requirePath(PROFILE, values, 'authenticate_path');
  const limited = requireTogether(PROFILE, values, ['limited_api_key', 'limited_api_secret', 'limited_nonce', 'permission_path'], 'the key without the permission');
  const restricted = requireTogether(PROFILE, values, ['ip_restricted_api_key', 'ip_restricted_api_secret', 'ip_restricted_nonce'], 'the IP-restricted key');
  const allowedIp = values['allowed_ip'];
  if (allowedIp !== undefined) {
    if (!restricted) throw new ConfigurationError('fixtures', `${PROFILE}: fixture allowed_ip goes with ip_restricted_api_key, ip_restricted_api_secret and ip_restricted_nonce`);
    if (normalizeIpAddress(allowedIp) === null) throw new ConfigurationError('fixtures', `${PROFILE}: fixture allowed_ip must be an IPv4 or IPv6 address, got ${JSON.stringify(allowedIp)}`);
  }
  const permissionPath = limited ? requirePath(PROFILE, values, 'permission_path') : null;
  // Over loopback the kit connects from 127.0.0.1 and, for HMAC-IP-002, from allowed_ip when it can bind it.
  const bindsAddresses = hmacBindsAddresses(values, loopback);
  const clientIp = loopback ? HMAC_LOOPBACK_CLIENT_IP : null;
  if (clientIp !== null && allowedIp !== undefined && normalizeIpAddress(allowedIp) === normalizeIpAddress(clientIp)) {
    throw new ConfigurationError('fixtures', `${PROFILE}: fixture allowed_ip must not be ${clientIp}, the address the kit connects from`);
  }
  const nonceOf = (name: string): string => (noncePolicy === 'unique' ? randomNonceBase() : (values[name] as string));
  const userId = values['user_id'] as string;
  const key = (prefix: string): HmacKeyFixture => ({
    apiKey: values[`${prefix}api_key`] as string,
    apiSecret: values[`${prefix}api_secret`] as string,
    userId,
    nonce: nonceOf(`${prefix}nonce`),
  });
  const ipRestrictedKey: HmacIpRestrictedKeyFixture | null = restricted ? { ...key('ip_restricted_'), ...(allowedIp === undefined ? {} : { allowedIp }) } : null;
  const otherUserId = values['other_user_id'];
  // Under `unique` the nonces start at a random point once per run; the kit counts up from there.
  const fixtures: HmacFixtures = Object.freeze({
    ...key(''),
    noncePolicy,
    ...(otherUserId === undefined ? {} : { otherUserId }),
    ...(ipRestrictedKey === null ? {} : { ipRestrictedKey }),
    ...(limited ? { limitedKey: key('limited_'), permissionPath: permissionPath as string } : {}),
    resource,
    authenticatePath,
    ...(clientIp === null ? {} : { clientIp }),
  });
  const driverCapabilities = bindsAddresses ? ['remote-address'] : [];
  const capabilities = [...driverCapabilities];
  if (noncePolicy === 'issued') capabilities.push('issued-nonce');
  else capabilities.push('replay-protection', noncePolicy === 'unique' ? 'unique-nonce' : 'increasing-nonce');
  if (otherUserId !== undefined) capabilities.push('other-user');
  if (restricted) capabilities.push('ip-restricted-key');
  if (allowedIp !== undefined) capabilities.push('ip-allowed-address');
  if (limited) capabilities.push('permission');
  if (/^(0|[1-9][0-9]*)$/.test(userId) && userId.length <= 15) capabilities.push('numeric-ids');
  return {
    driver: {
      capabilities: driverCapabilities,
      setup: async () => fixtures,
      send: (request, options) => sender.send(request, options),
    },
    capabilities,
    cleanup: async () => undefined,
  };
}
