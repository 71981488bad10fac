export { hmacSession, hmacSignature, HMAC_KINDS, requirePermission } from './verify.js';
export type { HmacPrincipal } from './verify.js';
export { createHmacKeyManager, exportHmacKeyJson } from './manage.js';
export type {
  HmacIssuedKey,
  HmacIssueInput,
  HmacKeyExport,
  HmacKeyListing,
  HmacKeyManager,
  HmacRotatedSecret,
  HmacSessionIssued,
} from './manage.js';
export { signAuthenticateUser } from './sign.js';
export type { SignAuthenticateUserInput, SignedAuthenticateUser } from './sign.js';
export { authenticateUserMessage, computeAuthenticateUserSignature, signatureMatches, signatureMatchesWith } from './signature.js';
export type { AuthenticateUserValues } from './signature.js';
export { readAuthenticateUser } from './read.js';
export type { AuthenticateUserRead, RawAuthenticateUser } from './read.js';
export { apexUserId, renderApexError, renderApexSuccess, renderAuthenticateUserError, renderAuthenticateUserSuccess } from './envelope.js';
export type { ApexFailureBody, AuthenticateUserFailureBody, AuthenticateUserSuccessBody } from './envelope.js';
export { HMAC_WIRE_ERRORS } from './errors.js';
export {
  HMAC_API_KEY_BYTES,
  HMAC_API_SECRET_BYTES,
  HMAC_DEFAULT_SECRET_CACHE_SIZE,
  HMAC_SESSION_TOKEN_BYTES,
  HMAC_STRATEGY_ID,
} from './options.js';
export type { HmacKeyManagerOptions, HmacNoncePolicy, HmacSessionKind, HmacSessionOptions, HmacSignatureOptions } from './options.js';
export { createApexRoutes } from './routes.js';
export type { ApexLoginUser, ApexRoutesOptions } from './routes.js';
