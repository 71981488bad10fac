// The vendors' public documents the demo's APIs follow, by title and address, for comments, pages, the route index
// and log lines.

/** Navixy: how session hashes and API keys are obtained and sent (header, body, query). */
export const NAVIXY_AUTHENTICATION = 'Navixy API docs, "Authentication" (https://www.navixy.com/docs/navixy-api/user-api/authentication)';

/** Navixy: which kind of hash works where (user API, admin panel). */
export const NAVIXY_HASH_KINDS =
  'Navixy docs Q&A, "User session hash vs admin panel hash vs API key" (https://navixy.com/docs/qna/apis/user-session-hash-vs-admin-panel-hash-vs-api-key)';

/** Navixy: the error envelope and its status codes. */
export const NAVIXY_ERRORS = 'Navixy API docs, "Errors" (https://www.navixy.com/docs/navixy-api/user-api/backend-api/errors)';

/** The PUQ VPN control panel's IP-bound access hashes (the `access_hash` cookie) and its JSON envelope. */
export const PUQ_ACCESS_HASHES = 'PUQ VPN control panel (PUQVPNCP) documentation, "API Access Hashs" (revision 8, 2023-10-16)';

/** KiiEx (AlphaPoint APEX): creating an API key, the signature, `AuthenticateUser` and `aptoken`. */
export const KIIEX_API_KEY = 'KiiEx docs, "Authenticate with API Key"';

/** KiiEx (AlphaPoint APEX): the `AuthenticateUser` call, its fields and replies. */
export const KIIEX_AUTHENTICATE_USER = 'KiiEx docs, "AuthenticateUser" (https://docs.kiiglobal.io/docs/kiiex/connect-to-kiiex-apis/users/authenticateuser)';
