// The Navixy hash scheme as the kit registers it: `nvx-hash@2`, its parameters, its HTTP fixtures and driver.
import type { ConformanceScheme } from '../../scheme.js';
import { NVX_HTTP_FIXTURES, type NvxHashDriver } from './fixtures.js';
import { createNvxHttpDriver } from './http.js';
import { nvxHashV2 } from './profile.js';

export { nvxHashV2 } from './profile.js';
export { nvxInProcessDriver } from './in-process.js';
export type { NvxInProcessDriverOptions } from './in-process.js';
export { createNvxHttpDriver } from './http.js';
export { NVX_HTTP_FIXTURES } from './fixtures.js';
export type { NvxCapability, NvxFixtures, NvxHashDriver, NvxRawConnection } from './fixtures.js';
export { NVX_PARAMETERS } from './parameters.js';

/**
 * The `nvx-hash@2` scheme: the profile (with its declared parameters), the fixtures a live server run takes, and
 * the HTTP driver that provisions through Navixy's own routes (`user/auth`, `api/key/create`) and cleans up.
 *
 * @example
 * ```ts
 * import { nvxHashScheme } from '@gatehouse/conformance';
 * console.log(nvxHashScheme.profile.id, nvxHashScheme.fixtures.map((one) => one.name));
 * ```
 */
export const nvxHashScheme: ConformanceScheme<NvxHashDriver> = Object.freeze({
  profile: nvxHashV2,
  fixtures: NVX_HTTP_FIXTURES,
  createHttpDriver: createNvxHttpDriver,
});
