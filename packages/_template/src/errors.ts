import type { AuthErrorCode } from '@gatehouse/auth-core';

/**
 * How each Gatehouse error code appears on this scheme's wire. Copy this table into a new strategy and fill it
 * from the scheme's own documentation: the HTTP status and the scheme's own error text or number.
 *
 * @example
 * ```ts
 * TEMPLATE_WIRE_ERRORS.CREDENTIALS_INVALID; // { httpStatus: 401, text: 'Invalid API key' }
 * ```
 */
export const TEMPLATE_WIRE_ERRORS: Readonly<Record<AuthErrorCode, { readonly httpStatus: number; readonly text: string }>> = {
  CREDENTIALS_MISSING: { httpStatus: 401, text: 'API key required' },
  CREDENTIALS_MALFORMED: { httpStatus: 400, text: 'Malformed API key' },
  CREDENTIALS_INVALID: { httpStatus: 401, text: 'Invalid API key' },
  CREDENTIALS_EXPIRED: { httpStatus: 401, text: 'Invalid API key' },
  CREDENTIALS_AMBIGUOUS: { httpStatus: 400, text: 'API key sent more than once' },
  CREDENTIALS_NOT_ACCEPTED_HERE: { httpStatus: 403, text: 'API key not accepted here' },
  IP_NOT_ALLOWED: { httpStatus: 403, text: 'Address not allowed' },
  SCOPE_DENIED: { httpStatus: 403, text: 'Permission denied' },
  NONCE_REPLAYED: { httpStatus: 401, text: 'Replayed request' },
  TIMESTAMP_OUT_OF_RANGE: { httpStatus: 401, text: 'Stale request' },
  RATE_LIMITED: { httpStatus: 429, text: 'Too many requests' },
  LIMIT_EXCEEDED: { httpStatus: 403, text: 'Too many API keys' },
  OPERATION_NOT_PERMITTED: { httpStatus: 403, text: 'Operation not permitted' },
  REQUEST_MALFORMED: { httpStatus: 400, text: 'Malformed request' },
  REQUEST_TOO_LARGE: { httpStatus: 413, text: 'Request too large' },
  PARAMETER_INVALID: { httpStatus: 400, text: 'Invalid parameter' },
  CREDENTIAL_NOT_FOUND: { httpStatus: 404, text: 'API key not found' },
  ROUTE_NOT_FOUND: { httpStatus: 404, text: 'Not found' },
  METHOD_NOT_ALLOWED: { httpStatus: 405, text: 'Method not allowed' },
  STORE_UNAVAILABLE: { httpStatus: 503, text: 'Service unavailable' },
  INTERNAL_ERROR: { httpStatus: 500, text: 'Internal error' },
};
