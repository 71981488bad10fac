export { ConformanceFailure, ConformanceSkip } from './case.js';
export type { ConformanceCase, ConformanceLevel, ConformanceProfile } from './case.js';
export { formatSummary, runProfile, summarize } from './run.js';
export type { CaseResult, RunProfileOptions, RunSummary } from './run.js';
export { credentialStoreV1 } from './profiles/credential-store.js';
export type { CredentialStoreDriver } from './profiles/credential-store.js';
export { ephemeralStoreV1 } from './profiles/ephemeral-store.js';
export type { EphemeralStoreContext, EphemeralStoreDriver } from './profiles/ephemeral-store.js';
export { strategyContractV1 } from './profiles/strategy-contract.js';
export type { CredentialedRequest, StrategyContractDriver, ToAuthRequest } from './profiles/strategy-contract.js';
export { nvxHashV1 } from './profiles/nvx-hash.js';
export type { NvxCapability, NvxFixtures, NvxHashDriver } from './profiles/nvx-hash.js';
export { nvxInProcessDriver } from './drivers/nvx-in-process.js';
export type { NvxInProcessDriverOptions } from './drivers/nvx-in-process.js';
export { accessHashCookieV1 } from './profiles/access-hash-cookie.js';
export type { AccessHashCapability, AccessHashDriver, AccessHashFixtures } from './profiles/access-hash-cookie.js';
export { accessHashInProcessDriver } from './drivers/access-hash-in-process.js';
export type { AccessHashInProcessDriverOptions } from './drivers/access-hash-in-process.js';
export { hmacSignatureV1 } from './profiles/hmac-signature.js';
export type { HmacCapability, HmacFixtures, HmacIpRestrictedKeyFixture, HmacKeyFixture, HmacSignatureDriver } from './profiles/hmac-signature.js';
export { hmacInProcessDriver } from './drivers/hmac-in-process.js';
export type {
  HmacAuthenticatedOutcome,
  HmacAuthenticateEndpoint,
  HmacInProcessDriverOptions,
  HmacSessionEndpoint,
} from './drivers/hmac-in-process.js';
export type { WireResponse, WireSender, WireSendOptions } from './drivers/wire.js';
export { profiles } from './profiles/index.js';
export type { DriverOf, ProfileId } from './profiles/index.js';
