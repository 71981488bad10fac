import type { ConformanceProfile } from '../case.js';
import { accessHashCookieV1 } from './access-hash-cookie.js';
import { credentialStoreV1 } from './credential-store.js';
import { ephemeralStoreV1 } from './ephemeral-store.js';
import { hmacSignatureV1 } from './hmac-signature.js';
import { nvxHashV1 } from './nvx-hash.js';
import { strategyContractV1 } from './strategy-contract.js';

/**
 * Every profile of the kit, keyed by its versioned id.
 *
 * @example
 * ```ts
 * import { profiles, runProfile } from '@gatehouse/conformance';
 * await runProfile(profiles['ephemeral-store@1'], { createStore: ({ clock }) => createMemoryEphemeralStore({ clock }) });
 * ```
 */
export const profiles = Object.freeze({
  'access-hash-cookie@1': accessHashCookieV1,
  'credential-store@1': credentialStoreV1,
  'ephemeral-store@1': ephemeralStoreV1,
  'hmac-signature@1': hmacSignatureV1,
  'nvx-hash@1': nvxHashV1,
  'strategy-contract@1': strategyContractV1,
});

/**
 * The id of a profile in {@link profiles}.
 *
 * @example
 * ```ts
 * const id: ProfileId = 'strategy-contract@1';
 * ```
 */
export type ProfileId = keyof typeof profiles;

/**
 * The driver a profile in {@link profiles} takes.
 *
 * @example
 * ```ts
 * const driver: DriverOf<'credential-store@1'> = { createStore: () => createMemoryCredentialStore() };
 * ```
 */
export type DriverOf<Id extends ProfileId> = (typeof profiles)[Id] extends ConformanceProfile<infer D> ? D : never;
