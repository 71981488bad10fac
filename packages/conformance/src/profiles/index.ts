import type { ConformanceProfile } from '../case.js';
import { schemes, type SchemeId } from '../schemes/index.js';
import { credentialStoreV1 } from './credential-store.js';
import { ephemeralStoreV1 } from './ephemeral-store.js';
import { strategyContractV1 } from './strategy-contract.js';

/** The profiles that test objects in a process (a strategy, a store), never a server. */
const IN_PROCESS_PROFILES = {
  'credential-store@1': credentialStoreV1,
  'ephemeral-store@1': ephemeralStoreV1,
  'strategy-contract@1': strategyContractV1,
};

type SchemeProfiles = { readonly [Id in SchemeId]: (typeof schemes)[Id]['profile'] };

function collectProfiles(): Readonly<typeof IN_PROCESS_PROFILES & SchemeProfiles> {
  const all: Record<string, ConformanceProfile<never>> = { ...IN_PROCESS_PROFILES };
  for (const [id, scheme] of Object.entries(schemes)) all[id] = scheme.profile as ConformanceProfile<never>;
  const sorted = Object.fromEntries(Object.keys(all).sort().map((id) => [id, all[id]]));
  return Object.freeze(sorted) as unknown as Readonly<typeof IN_PROCESS_PROFILES & SchemeProfiles>;
}

/**
 * Every profile of the kit, keyed by its versioned id, in id order: the store and contract profiles, and the
 * profile of every built-in scheme (see `schemes`).
 *
 * @example
 * ```ts
 * import { profiles, runProfile } from '@gatehouse/conformance';
 * await runProfile(profiles['ephemeral-store@1'], { createStore: ({ clock }) => createMemoryEphemeralStore({ clock }) });
 * ```
 */
export const profiles = collectProfiles();

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
