export { accessHashCookie } from './verify.js';
export { bindableIp, createAccessHashManager, isValidAccessHashName } from './manage.js';
export type { AccessHashListing, AccessHashManager, CreatedAccessHash } from './manage.js';
export { accessHashCookiePair, withAccessHashCookie } from './sign.js';
export { createAccessHashRoutes } from './routes.js';
export type { AccessHashRoutesOptions } from './routes.js';
export { formatAccessHashDate, renderAccessHashError, renderAccessHashSuccess } from './envelope.js';
export type { AccessHashEnvelope } from './envelope.js';
export { ACCESS_HASH_WIRE_ERRORS } from './errors.js';
export {
  ACCESS_HASH_BYTES,
  ACCESS_HASH_DEFAULT_COOKIE,
  ACCESS_HASH_KIND,
  ACCESS_HASH_STRATEGY_ID,
  resolveCookieName,
} from './options.js';
export type { AccessHashCookieOptions, AccessHashManagerOptions } from './options.js';
