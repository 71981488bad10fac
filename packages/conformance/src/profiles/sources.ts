// Where the profiles' rules come from, as the cases' `ref` strings cite them: the vendors' public documents, by
// title and address, for what a wire scheme is; the public API and README of @gatehouse/auth-core for the
// rules Gatehouse adds on top (its AuthError codes and its security notes). Internal to the package.

/** Navixy's page on session hashes and API keys: how a hash is obtained and sent (header, body, query). */
export const NAVIXY_AUTHENTICATION = 'Navixy API docs, "Authentication" (https://www.navixy.com/docs/navixy-api/user-api/authentication)';

/** Which kind of Navixy hash works where (user API, admin panel). */
export const NAVIXY_HASH_KINDS =
  'Navixy docs Q&A, "User session hash vs admin panel hash vs API key" (https://navixy.com/docs/qna/apis/user-session-hash-vs-admin-panel-hash-vs-api-key)';

/** Navixy's error envelope, status codes and descriptions. */
export const NAVIXY_ERRORS = 'Navixy API docs, "Errors" (https://www.navixy.com/docs/navixy-api/user-api/backend-api/errors)';

/** The PUQ VPN control panel's IP-bound access hashes, sent as the `access_hash` cookie. */
export const PUQ_ACCESS_HASHES = 'PUQ VPN control panel (PUQVPNCP) documentation, "API Access Hashs" (revision 8, 2023-10-16)';

/** KiiEx (AlphaPoint APEX) API keys: creation, the signature, the `AuthenticateUser` call and `aptoken`. */
export const KIIEX_API_KEY = 'KiiEx docs, "Authenticate with API Key"';

/** The APEX `AuthenticateUser` endpoint: its request fields and its replies. */
export const KIIEX_AUTHENTICATE_USER = 'KiiEx docs, "AuthenticateUser" (https://docs.kiiglobal.io/docs/kiiex/connect-to-kiiex-apis/users/authenticateuser)';

/** The AuthStrategy contract: id, outcomes, and rejections that carry a known AuthError code. */
export const AUTH_CORE_CONTRACT = '@gatehouse/auth-core AuthStrategy and AuthOutcome';

/** Gatehouse's error codes, their HTTP statuses and generic messages. */
export const AUTH_CORE_ERROR_CODES = '@gatehouse/auth-core README "Error codes" (AUTH_ERROR_CODES)';

/** Gatehouse's security notes: client IP, strict parsing, constant-time comparison, nothing secret in replies or events. */
export const AUTH_CORE_SECURITY = '@gatehouse/auth-core README "Security notes"';
