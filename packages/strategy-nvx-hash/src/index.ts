export { nvxHash } from './verify.js';
export type { NvxPrincipal } from './verify.js';
export { createNvxHashManager, isValidNvxTitle } from './manage.js';
export type { NvxApiKey, NvxApiKeyListing, NvxHashManager, NvxKeyManagerCaller, NvxOwner, NvxSession } from './manage.js';
export { nvxAuthorization, signNvxRequest } from './sign.js';
export type { NvxHashPlacement } from './sign.js';
export { formatNvxDate, renderNvxError, renderNvxStatus, renderNvxSuccess } from './envelope.js';
export type { NvxFailureBody, NvxSuccessBody, NvxSuccessFields, NvxSuccessOptions } from './envelope.js';
export { NVX_CODE_FOR_AUTH_ERROR, NVX_STATUS_CODES } from './errors.js';
export type { NvxStatusCode } from './errors.js';
export { classifyNvxPath, extractNvxHash } from './extract.js';
export type { NvxHashExtraction, NvxHashSource } from './extract.js';
export {
  NVX_DEFAULT_MAX_API_KEYS,
  NVX_DEFAULT_USER_SESSION_PATHS,
  NVX_HASH_BYTES,
  NVX_STRATEGY_ID,
} from './options.js';
export type { NvxAccountType, NvxCredentialKind, NvxHashManagerOptions, NvxHashOptions } from './options.js';
export { createNvxRoutes } from './routes.js';
export type { NvxRoutesOptions } from './routes.js';
