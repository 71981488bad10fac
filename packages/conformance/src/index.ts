export { ConformanceFailure, ConformanceSkip } from './case.js';
export type { CaseContext, ConformanceCase, ConformanceLevel, ConformanceProfile, FailureKind, ParameterSpec } from './case.js';
export { formatSummary, resolveParameters, runProfile, summarize } from './run.js';
export type { CaseResult, RunProfileOptions, RunSummary } from './run.js';
export { ServerThrottledError } from './scheme.js';
export type { ConformanceScheme, HttpDriverHandle, HttpFixtureSpec, HttpSchemeContext, RawExchange, RawWireSender } from './scheme.js';
export { schemes } from './schemes/index.js';
export type { SchemeDriverOf, SchemeId } from './schemes/index.js';
export { credentialStoreV1 } from './profiles/credential-store.js';
export type { CredentialStoreDriver } from './profiles/credential-store.js';
export { ephemeralStoreV1 } from './profiles/ephemeral-store.js';
export type { EphemeralStoreContext, EphemeralStoreDriver } from './profiles/ephemeral-store.js';
export { strategyContractV1 } from './profiles/strategy-contract.js';
export type { CredentialedRequest, StrategyContractDriver, ToAuthRequest } from './profiles/strategy-contract.js';
export { nvxHashScheme, nvxHashV2, nvxInProcessDriver, NVX_PARAMETERS } from './schemes/nvx-hash/index.js';
export type { NvxCapability, NvxFixtures, NvxHashDriver, NvxInProcessDriverOptions, NvxRawConnection } from './schemes/nvx-hash/index.js';
export { ACCESS_HASH_HTTP_FIXTURES, ACCESS_HASH_PARAMETERS, accessHashCookieScheme, accessHashCookieV2, accessHashInProcessDriver } from './schemes/access-hash-cookie/index.js';
export type {
  AccessHashCapability,
  AccessHashDriver,
  AccessHashFixtures,
  AccessHashInProcessDriverOptions,
  AccessHashRawConnection,
  RevocableAccessHash,
} from './schemes/access-hash-cookie/index.js';
export { HMAC_HTTP_FIXTURES, HMAC_PARAMETERS, hmacInProcessDriver, hmacSignatureScheme, hmacSignatureV2 } from './schemes/hmac-signature/index.js';
export type {
  HmacAuthenticatedOutcome,
  HmacAuthenticateEndpoint,
  HmacCapability,
  HmacFixtures,
  HmacInProcessDriverOptions,
  HmacIpRestrictedKeyFixture,
  HmacKeyFixture,
  HmacParameters,
  HmacRawConnection,
  HmacSessionEndpoint,
  HmacSignatureDriver,
} from './schemes/hmac-signature/index.js';
export { CONFORMANCE_ORIGIN } from './drivers/wire.js';
export type { WireResponse, WireSender, WireSendOptions } from './drivers/wire.js';
export { profiles } from './profiles/index.js';
export type { DriverOf, ProfileId } from './profiles/index.js';
