import type { AuthErrorCode } from '@gatehouse/auth-core';

/**
 * Navixy's status codes with their HTTP statuses and descriptions, as the Navixy API docs, "Errors"
 * (https://www.navixy.com/docs/navixy-api/user-api/backend-api/errors), list them.
 *
 * @example
 * ```ts
 * NVX_STATUS_CODES[3]; // { httpStatus: 400, description: 'Wrong hash' }
 * ```
 */
export const NVX_STATUS_CODES = {
  1: { httpStatus: 500, description: 'Database error' },
  2: { httpStatus: 403, description: 'Service authentication error' },
  3: { httpStatus: 400, description: 'Wrong hash' },
  4: { httpStatus: 400, description: 'User or API key not found or session ended' },
  5: { httpStatus: 400, description: 'Wrong request format' },
  6: { httpStatus: 500, description: 'Unexpected error' },
  7: { httpStatus: 400, description: 'Invalid parameters' },
  9: { httpStatus: 412, description: 'Too large request' },
  11: { httpStatus: 403, description: 'Access denied' },
  13: { httpStatus: 403, description: 'Operation not permitted' },
  14: { httpStatus: 503, description: 'Database unavailable' },
  15: { httpStatus: 429, description: 'Too many requests' },
} as const satisfies Record<number, { readonly httpStatus: number; readonly description: string }>;

/**
 * One of Navixy's status codes.
 *
 * @example
 * ```ts
 * const code: NvxStatusCode = 3;
 * ```
 */
export type NvxStatusCode = keyof typeof NVX_STATUS_CODES;

/**
 * Which Navixy status code each Gatehouse error becomes. Every problem with a presented hash (missing,
 * malformed, unknown, expired, revoked, sent twice with different values) is code 3 "Wrong hash": one answer
 * for all of them, so a reply never tells which part was wrong (Navixy API docs, "Errors":
 * https://www.navixy.com/docs/navixy-api/user-api/backend-api/errors).
 *
 * @example
 * ```ts
 * NVX_CODE_FOR_AUTH_ERROR.STORE_UNAVAILABLE; // 14
 * ```
 */
export const NVX_CODE_FOR_AUTH_ERROR: Readonly<Record<AuthErrorCode, NvxStatusCode>> = {
  CREDENTIALS_MISSING: 3,
  CREDENTIALS_MALFORMED: 3,
  CREDENTIALS_INVALID: 3,
  CREDENTIALS_EXPIRED: 3,
  CREDENTIALS_AMBIGUOUS: 3,
  NONCE_REPLAYED: 3,
  TIMESTAMP_OUT_OF_RANGE: 3,
  CREDENTIALS_NOT_ACCEPTED_HERE: 11,
  IP_NOT_ALLOWED: 11,
  SCOPE_DENIED: 11,
  OPERATION_NOT_PERMITTED: 13,
  LIMIT_EXCEEDED: 13,
  RATE_LIMITED: 15,
  REQUEST_MALFORMED: 5,
  REQUEST_TOO_LARGE: 9,
  PARAMETER_INVALID: 7,
  CREDENTIAL_NOT_FOUND: 4,
  ROUTE_NOT_FOUND: 5,
  METHOD_NOT_ALLOWED: 5,
  STORE_UNAVAILABLE: 14,
  INTERNAL_ERROR: 6,
};
