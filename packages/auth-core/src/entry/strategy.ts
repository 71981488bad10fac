// @gatehouse/auth-core/strategy: the tools a strategy (or store) package is built from. Applications do not need
// this entry: everything they use is in the root.
export { authenticateSafely, renderingOf, withOutcomeEvents } from '../strategy.js';
export type { OutcomeEventOptions } from '../strategy.js';
export { withStrategyGuards } from '../throttle.js';
export type { StrategyGuardOptions } from '../throttle.js';
export { createCredentialLookup } from '../lookup.js';
export type { CredentialLookup, CredentialLookupOptions, FoundCredential, RejectedOutcome } from '../lookup.js';
export {
  findOwnedCredential,
  guardStore,
  insertCredential,
  isPrintableText,
  manageFailure,
  manageSuccess,
  newCredentialId,
  readCredentialReference,
  replaceCredential,
  resolveCredentialOptions,
  rotationOverlapMs,
  touchQuietly,
} from '../manage.js';
export type { CredentialOptions, OwnedCredentialQuery, ReplaceCredentialOptions } from '../manage.js';
export { isCredentialActive, ttlToMilliseconds } from '../stores.js';
export { JSON_CONTENT_TYPE } from '../reply.js';
export { parseFormSafely, parseJsonSafely } from '../body.js';
export { parseAuthorizationHeader, parseCookieHeader } from '../cookies.js';
export { createIpMatcher, formatIpAddress, normalizeIpAddress, parseIpAddress } from '../ip.js';
export type { IpMatcher } from '../ip.js';
export { createBoundedMemo } from '../memo.js';
export { createEventEmitter } from '../events.js';
export { assertKnownOptions, authErrorForThrown, compileClientIpSource } from '../adapter.js';
export type { CompiledClientIpSource } from '../adapter.js';
