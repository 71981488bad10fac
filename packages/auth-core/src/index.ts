// @gatehouse/auth-core: what an application that protects routes with Gatehouse needs. Strategy and store
// authors find their tools in `@gatehouse/auth-core/strategy`, hashing and encoding in `/crypto`, and the Node
// `IncomingMessage` adapter in `/node`.
export { AUTH_ERROR_CODES, AuthError, ConfigurationError, isAuthErrorCode } from './errors.js';
export type { AuthErrorCode, AuthErrorOptions } from './errors.js';
export { absent, authenticated, refusalError, rejected, rejectedCredential } from './outcome.js';
export type { AuthContext, AuthOutcome, AuthRefusal, CredentialInfo, Principal } from './outcome.js';
export { allOf, createAuthGuard, firstOf, renderSuccess } from './strategy.js';
export type { AuthDecision, AuthGuardOptions, AuthStrategy, RenderSuccessOptions } from './strategy.js';
export { withFailureThrottle } from './throttle.js';
export type { FailureThrottleOptions, FailureThrottleSetting } from './throttle.js';
export { createFetchRequestAdapter } from './request.js';
export type { AuthRequest, FetchRequestContext, RequestAdapterOptions } from './request.js';
export { isJsonObject } from './body.js';
export type { JsonValue, RequestBody } from './body.js';
export { toFetchResponse } from './reply.js';
export { createRouteKitHandler, describeRouteKit } from './route-kit.js';
export type { KitRequest, KitRoute, RouteKit, RouteKitHandlerOptions } from './route-kit.js';
export { createLoginThrottle } from './login-throttle.js';
export type { ClientIpSource, GatehouseOptions, RefusalRenderer } from './adapter.js';
export type { LoginThrottle, LoginThrottleOptions } from './login-throttle.js';
export type { WireReply } from './reply.js';
export type { CredentialManager, CredentialReference, ManageResult, RotateOptions } from './manage.js';
export type {
  CredentialPatch,
  CredentialRecord,
  CredentialStore,
  EphemeralStore,
  InsertCredentialOptions,
  InsertCredentialResult,
  ListCredentialsFilter,
  NewCredentialRecord,
  StoreHealth,
} from './stores.js';
export { createMemoryCredentialStore, createMemoryEphemeralStore } from './memory-stores.js';
export type { MemoryCredentialStoreOptions, MemoryEphemeralStoreOptions } from './memory-stores.js';
export { createManualClock, systemClock } from './clock.js';
export type { Clock, ManualClock } from './clock.js';
export type { AuthEvent, AuthEventListener } from './events.js';
