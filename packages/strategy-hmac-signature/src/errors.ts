import type { AuthErrorCode } from '@gatehouse/auth-core';

/**
 * How each Gatehouse error appears on the APEX wire: the HTTP status, the `errormsg` text of an
 * `AuthenticateUser` failure, and the `errorcode` / `errormsg` of any other call's failure (APEX:
 * 20 "Not Authorized", 100 "Operation Failed" / "Invalid Request", 104 "Resource Not Found").
 * Unknown keys, wrong signatures, wrong users and revoked keys share one text, so a reply never tells which
 * part was wrong; once the signature has been verified (which proves the secret), the replay, address and
 * permission texts say what to fix.
 *
 * @example
 * ```ts
 * HMAC_WIRE_ERRORS.CREDENTIALS_INVALID.authenticateUser; // 'Invalid API key, user or signature'
 * ```
 */
export const HMAC_WIRE_ERRORS: Readonly<
  Record<AuthErrorCode, { readonly httpStatus: number; readonly authenticateUser: string; readonly errorcode: number; readonly errormsg: string }>
> = {
  CREDENTIALS_MISSING: { httpStatus: 401, authenticateUser: 'APIKey, Signature, UserId and Nonce are required', errorcode: 20, errormsg: 'Not Authorized' },
  CREDENTIALS_MALFORMED: { httpStatus: 400, authenticateUser: 'Malformed APIKey, Signature, UserId or Nonce', errorcode: 20, errormsg: 'Not Authorized' },
  CREDENTIALS_INVALID: { httpStatus: 401, authenticateUser: 'Invalid API key, user or signature', errorcode: 20, errormsg: 'Not Authorized' },
  CREDENTIALS_EXPIRED: { httpStatus: 401, authenticateUser: 'Invalid API key, user or signature', errorcode: 20, errormsg: 'Not Authorized' },
  CREDENTIALS_AMBIGUOUS: { httpStatus: 400, authenticateUser: 'Credentials sent in headers and body differ', errorcode: 20, errormsg: 'Not Authorized' },
  CREDENTIALS_NOT_ACCEPTED_HERE: { httpStatus: 401, authenticateUser: 'Invalid API key, user or signature', errorcode: 20, errormsg: 'Not Authorized' },
  NONCE_REPLAYED: { httpStatus: 401, authenticateUser: 'Nonce already used', errorcode: 20, errormsg: 'Not Authorized' },
  TIMESTAMP_OUT_OF_RANGE: { httpStatus: 401, authenticateUser: 'Timestamp outside the accepted window', errorcode: 20, errormsg: 'Not Authorized' },
  IP_NOT_ALLOWED: { httpStatus: 403, authenticateUser: 'Requests from this IP address are not allowed for this API key', errorcode: 20, errormsg: 'Not Authorized' },
  SCOPE_DENIED: { httpStatus: 403, authenticateUser: 'Permission denied', errorcode: 20, errormsg: 'Not Authorized' },
  OPERATION_NOT_PERMITTED: { httpStatus: 403, authenticateUser: 'Operation not permitted', errorcode: 20, errormsg: 'Not Authorized' },
  LIMIT_EXCEEDED: { httpStatus: 403, authenticateUser: 'Too many API keys', errorcode: 100, errormsg: 'Operation Failed' },
  RATE_LIMITED: { httpStatus: 429, authenticateUser: 'Too many requests', errorcode: 100, errormsg: 'Operation Failed' },
  REQUEST_MALFORMED: { httpStatus: 400, authenticateUser: 'Malformed request', errorcode: 100, errormsg: 'Invalid Request' },
  REQUEST_TOO_LARGE: { httpStatus: 413, authenticateUser: 'Request too large', errorcode: 100, errormsg: 'Invalid Request' },
  PARAMETER_INVALID: { httpStatus: 400, authenticateUser: 'Invalid parameters', errorcode: 100, errormsg: 'Invalid Request' },
  CREDENTIAL_NOT_FOUND: { httpStatus: 404, authenticateUser: 'API key not found', errorcode: 104, errormsg: 'Resource Not Found' },
  ROUTE_NOT_FOUND: { httpStatus: 404, authenticateUser: 'No such endpoint', errorcode: 104, errormsg: 'Resource Not Found' },
  METHOD_NOT_ALLOWED: { httpStatus: 405, authenticateUser: 'Use POST', errorcode: 100, errormsg: 'Invalid Request' },
  STORE_UNAVAILABLE: { httpStatus: 503, authenticateUser: 'Service unavailable', errorcode: 100, errormsg: 'Operation Failed' },
  INTERNAL_ERROR: { httpStatus: 500, authenticateUser: 'Internal error', errorcode: 100, errormsg: 'Operation Failed' },
};
