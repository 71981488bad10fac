import type { AuthErrorCode } from '@gatehouse/auth-core';

/**
 * How each Gatehouse error appears in this scheme's envelope: the HTTP status and the `error` text. Unknown,
 * revoked and expired hashes share one text, so a reply never tells them apart.
 *
 * @example
 * ```ts
 * ACCESS_HASH_WIRE_ERRORS.IP_NOT_ALLOWED; // { httpStatus: 403, text: 'Access hash is not valid from this IP address' }
 * ```
 */
export const ACCESS_HASH_WIRE_ERRORS: Readonly<Record<AuthErrorCode, { readonly httpStatus: number; readonly text: string }>> = {
  CREDENTIALS_MISSING: { httpStatus: 401, text: 'Access hash required' },
  CREDENTIALS_INVALID: { httpStatus: 401, text: 'Invalid access hash' },
  CREDENTIALS_EXPIRED: { httpStatus: 401, text: 'Invalid access hash' },
  NONCE_REPLAYED: { httpStatus: 401, text: 'Invalid access hash' },
  TIMESTAMP_OUT_OF_RANGE: { httpStatus: 401, text: 'Invalid access hash' },
  CREDENTIALS_MALFORMED: { httpStatus: 400, text: 'Malformed access hash' },
  CREDENTIALS_AMBIGUOUS: { httpStatus: 400, text: 'Access hash cookie sent more than once' },
  IP_NOT_ALLOWED: { httpStatus: 403, text: 'Access hash is not valid from this IP address' },
  CREDENTIALS_NOT_ACCEPTED_HERE: { httpStatus: 403, text: 'Access denied' },
  SCOPE_DENIED: { httpStatus: 403, text: 'Access denied' },
  OPERATION_NOT_PERMITTED: { httpStatus: 403, text: 'Operation not permitted' },
  LIMIT_EXCEEDED: { httpStatus: 403, text: 'Too many access hashes' },
  RATE_LIMITED: { httpStatus: 429, text: 'Too many requests' },
  REQUEST_MALFORMED: { httpStatus: 400, text: 'Malformed request' },
  REQUEST_TOO_LARGE: { httpStatus: 413, text: 'Request too large' },
  PARAMETER_INVALID: { httpStatus: 400, text: 'Invalid parameters' },
  CREDENTIAL_NOT_FOUND: { httpStatus: 404, text: 'Access hash not found' },
  ROUTE_NOT_FOUND: { httpStatus: 404, text: 'Not found' },
  METHOD_NOT_ALLOWED: { httpStatus: 405, text: 'Method not allowed' },
  STORE_UNAVAILABLE: { httpStatus: 503, text: 'Service unavailable' },
  INTERNAL_ERROR: { httpStatus: 500, text: 'Internal error' },
};
