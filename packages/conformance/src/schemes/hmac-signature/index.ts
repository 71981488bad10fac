// The APEX / KiiEx signed API key scheme as one object the kit runs: hmac-signature@2, its HTTP fixtures and
// driver (with provisioning through the APEX account routes), plus the in-process driver for a strategy.
import type { ConformanceScheme } from '../../scheme.js';
import type { HmacSignatureDriver } from './fixtures.js';
import { createHmacHttpDriver, HMAC_HTTP_FIXTURES } from './http.js';
import { hmacSignatureV2 } from './profile.js';

export { hmacSignatureV2 } from './profile.js';
export { HMAC_PARAMETERS } from './parameters.js';
export type { HmacParameters } from './parameters.js';
export { hmacInProcessDriver } from './in-process.js';
export type { HmacAuthenticatedOutcome, HmacAuthenticateEndpoint, HmacInProcessDriverOptions, HmacSessionEndpoint } from './in-process.js';
export { createHmacHttpDriver, HMAC_HTTP_FIXTURES } from './http.js';
export type {
  HmacCapability,
  HmacFixtures,
  HmacIpRestrictedKeyFixture,
  HmacKeyFixture,
  HmacRawConnection,
  HmacSignatureDriver,
} from './fixtures.js';
export { apexSignature } from './wire.js';

/**
 * The `hmac-signature@2` scheme: the profile (with its declared parameters), the fixtures a server run takes, and
 * the HTTP driver that provisions its own keys through `WebAuthenticateUser` + `AddUserAPIKey` and removes them
 * with `RemoveUserAPIKey`.
 *
 * @example
 * ```ts
 * import { hmacSignatureScheme } from '@gatehouse/conformance';
 * console.log(hmacSignatureScheme.profile.id, hmacSignatureScheme.fixtures.map((one) => one.name));
 * ```
 */
export const hmacSignatureScheme: ConformanceScheme<HmacSignatureDriver> = Object.freeze({
  profile: hmacSignatureV2,
  fixtures: HMAC_HTTP_FIXTURES,
  createHttpDriver: createHmacHttpDriver,
});
