export { AUTH_ERROR_CODES, AuthError, ConfigurationError, isAuthErrorCode } from './errors.js';
export type { AuthErrorCode, AuthErrorOptions } from './errors.js';
export { absent, authenticated, rejected, rejectedCredential } from './outcome.js';
export type { AuthOutcome, CredentialInfo, Principal } from './outcome.js';
export { allOf, authenticateSafely, firstOf, withOutcomeEvents } from './strategy.js';
export type { AuthStrategy, OutcomeEventOptions } from './strategy.js';
export { withFailureThrottle, withStrategyGuards } from './throttle.js';
export type { FailureThrottleOptions, FailureThrottleSetting, StrategyGuardOptions } from './throttle.js';
export { compileAdapterOptions, createFetchRequestAdapter, LazyAuthRequest } from './request.js';
export type { AuthRequest, CompiledAdapterOptions, FetchRequestContext, RequestAdapterOptions } from './request.js';
export {
  concatBytes,
  decodeRequestBody,
  isJsonObject,
  parseFormSafely,
  parseJsonSafely,
  readStreamCapped,
} from './body.js';
export type { CappedRead, JsonValue, RequestBody } from './body.js';
export { parseAuthorizationHeader, parseCookieHeader } from './cookies.js';
export { createIpMatcher, formatIpAddress, normalizeIpAddress, parseIpAddress, resolveClientIp } from './ip.js';
export type { IpMatcher } from './ip.js';
export {
  constantTimeEqual,
  constantTimeEqualStrings,
  createSecretDigester,
  createHmacSha256,
  createSecretSealer,
  decodeBase64Url,
  decodeHex,
  encodeBase64Url,
  encodeHex,
  generateHexToken,
  hashPassword,
  hmacSha256,
  isHexString,
  parseKeyEncryptionKeys,
  randomBytes,
  sha256Digest,
  verifyPassword,
} from './secrets.js';
export type { HashPasswordOptions, SecretDigesterOptions, SecretSealer } from './secrets.js';
export { createManualClock, systemClock } from './clock.js';
export type { Clock, ManualClock } from './clock.js';
export { createEventEmitter } from './events.js';
export { createBoundedMemo } from './memo.js';
export type { AuthEvent, AuthEventListener } from './events.js';
export { isCredentialActive, ttlToMilliseconds } from './stores.js';
export type {
  CredentialPatch,
  CredentialRecord,
  CredentialStore,
  EphemeralStore,
  InsertCredentialOptions,
  InsertCredentialResult,
  ListCredentialsFilter,
  NewCredentialRecord,
} from './stores.js';
export { createMemoryCredentialStore, createMemoryEphemeralStore } from './memory-stores.js';
export type { MemoryCredentialStoreOptions, MemoryEphemeralStoreOptions } from './memory-stores.js';
export { JSON_CONTENT_TYPE, toFetchResponse } from './reply.js';
export type { WireReply } from './reply.js';
export { guardStore, manageFailure, manageSuccess, newCredentialId, resolveCredentialOptions, touchQuietly } from './manage.js';
export type { CredentialOptions, ManageResult } from './manage.js';
