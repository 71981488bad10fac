// access-hash-cookie@2 as one ConformanceScheme: the profile, the fixtures a server run takes, and the HTTP driver.
import type { ConformanceScheme } from '../../scheme.js';
import type { AccessHashDriver } from './context.js';
import { ACCESS_HASH_HTTP_FIXTURES, createAccessHashHttpDriver } from './http.js';
import { accessHashCookieV2 } from './profile.js';

export { accessHashCookieV2 } from './profile.js';
export { accessHashInProcessDriver, type AccessHashInProcessDriverOptions } from './in-process.js';
export { ACCESS_HASH_PARAMETERS } from './parameters.js';
export { ACCESS_HASH_HTTP_FIXTURES } from './http.js';
export type { AccessHashDriver, AccessHashRawConnection, RevocableAccessHash } from './context.js';
export type { AccessHashCapability, AccessHashFixtures } from './fixtures.js';

/**
 * `access-hash-cookie@2`: IP-bound access hashes in the `access_hash` cookie (PUQ VPN control panel (PUQVPNCP)
 * documentation, "API Access Hashs"). Over HTTP the hashes come from the fixtures, or from the server's management
 * route when `management_path` is given; with a loopback base URL the kit binds both client addresses.
 *
 * @example
 * ```ts
 * import { createHttpDriver } from '@gatehouse/conformance/http';
 * const handle = await createHttpDriver(accessHashCookieScheme, {
 *   baseUrl: 'http://127.0.0.1:3000',
 *   fixtures: { management_path: '/api/v1/access-hashes', admin_token: process.env.ADMIN_TOKEN ?? '' },
 * });
 * ```
 */
export const accessHashCookieScheme = Object.freeze<ConformanceScheme<AccessHashDriver>>({
  profile: accessHashCookieV2,
  fixtures: ACCESS_HASH_HTTP_FIXTURES,
  createHttpDriver: (context) => createAccessHashHttpDriver(context),
});
