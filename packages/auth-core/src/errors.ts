/**
 * Every code an {@link AuthError} can carry, with its HTTP status and the one generic message that is safe to
 * show a client. Declared once here; strategies map these onto their own wire envelopes.
 *
 * @example
 * ```ts
 * import { AUTH_ERROR_CODES } from '@gatehouse/auth-core';
 * AUTH_ERROR_CODES.CREDENTIALS_INVALID.httpStatus; // 401
 * ```
 */
export const AUTH_ERROR_CODES = {
  CREDENTIALS_MISSING: { httpStatus: 401, message: 'Credentials are required.' },
  CREDENTIALS_MALFORMED: { httpStatus: 400, message: 'Credentials are malformed.' },
  CREDENTIALS_INVALID: { httpStatus: 401, message: 'Credentials are not valid.' },
  CREDENTIALS_EXPIRED: { httpStatus: 401, message: 'Credentials have expired.' },
  CREDENTIALS_AMBIGUOUS: { httpStatus: 400, message: 'Credentials were sent more than once with different values.' },
  CREDENTIALS_NOT_ACCEPTED_HERE: { httpStatus: 403, message: 'These credentials are not accepted for this resource.' },
  IP_NOT_ALLOWED: { httpStatus: 403, message: 'Requests from this address are not allowed with these credentials.' },
  SCOPE_DENIED: { httpStatus: 403, message: 'The credentials lack the permission this operation needs.' },
  NONCE_REPLAYED: { httpStatus: 401, message: 'The nonce has already been used.' },
  TIMESTAMP_OUT_OF_RANGE: { httpStatus: 401, message: 'The request timestamp is outside the accepted window.' },
  RATE_LIMITED: { httpStatus: 429, message: 'Too many requests.' },
  LIMIT_EXCEEDED: { httpStatus: 403, message: 'The limit for this kind of credential has been reached.' },
  OPERATION_NOT_PERMITTED: { httpStatus: 403, message: 'This operation is not permitted for this account.' },
  REQUEST_MALFORMED: { httpStatus: 400, message: 'The request is malformed.' },
  REQUEST_TOO_LARGE: { httpStatus: 413, message: 'The request is too large.' },
  PARAMETER_INVALID: { httpStatus: 400, message: 'A parameter is missing or invalid.' },
  CREDENTIAL_NOT_FOUND: { httpStatus: 404, message: 'The credential was not found.' },
  ROUTE_NOT_FOUND: { httpStatus: 404, message: 'There is no such resource.' },
  METHOD_NOT_ALLOWED: { httpStatus: 405, message: 'This method is not allowed on this resource.' },
  STORE_UNAVAILABLE: { httpStatus: 503, message: 'The credential store is unavailable.' },
  INTERNAL_ERROR: { httpStatus: 500, message: 'Authentication could not be completed.' },
} as const satisfies Record<string, { readonly httpStatus: number; readonly message: string }>;

/**
 * A stable, UPPER_SNAKE identifier for one kind of authentication failure.
 *
 * @example
 * ```ts
 * import type { AuthErrorCode } from '@gatehouse/auth-core';
 * const code: AuthErrorCode = 'CREDENTIALS_EXPIRED';
 * ```
 */
export type AuthErrorCode = keyof typeof AUTH_ERROR_CODES;

/**
 * Tells whether a string is one of the declared {@link AuthErrorCode}s.
 *
 * @example
 * ```ts
 * isAuthErrorCode('CREDENTIALS_INVALID'); // true
 * isAuthErrorCode('toString'); // false
 * ```
 */
export function isAuthErrorCode(value: unknown): value is AuthErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(AUTH_ERROR_CODES, value);
}

/**
 * Options of {@link AuthError}.
 *
 * @example
 * ```ts
 * // Keep the store's own error for the logs; the client still sees only the generic message.
 * throw new AuthError('STORE_UNAVAILABLE', { cause: error });
 * ```
 */
export interface AuthErrorOptions {
  /** What went wrong underneath (for logs); never rendered to a client. */
  readonly cause?: unknown;
}

/**
 * The one error type of Gatehouse: a stable code, an HTTP status and a generic message that never reveals
 * which part of a credential was wrong. Expected failures travel as values inside a `rejected` outcome; an
 * `AuthError` is thrown only where an API's contract says so.
 *
 * @example
 * ```ts
 * import { AuthError } from '@gatehouse/auth-core';
 * const error = new AuthError('CREDENTIALS_INVALID');
 * error.httpStatus; // 401
 * error.message; // 'Credentials are not valid.'
 * ```
 */
export class AuthError extends Error {
  /** Always `'AuthError'`, so logs and `error.name` checks tell it apart. */
  override readonly name = 'AuthError';
  /** The stable code of the failure (a key of {@link AUTH_ERROR_CODES}). */
  readonly code: AuthErrorCode;
  /** The HTTP status the code maps to, e.g. 401 for `CREDENTIALS_INVALID`. */
  readonly httpStatus: number;

  constructor(code: AuthErrorCode, options: AuthErrorOptions = {}) {
    if (!isAuthErrorCode(code)) throw new TypeError(`AuthError: unknown code ${JSON.stringify(code)}`);
    const entry = AUTH_ERROR_CODES[code];
    super(entry.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.httpStatus = entry.httpStatus;
  }

  /** A JSON form with code, status and the generic message only (no cause, no stack). */
  toJSON(): { code: AuthErrorCode; httpStatus: number; message: string } {
    return { code: this.code, httpStatus: this.httpStatus, message: this.message };
  }
}

/**
 * Thrown by constructors and factories when they are given options that cannot work. The message names the
 * option, so misuse is found at start-up rather than on the first request.
 *
 * @example
 * ```ts
 * import { ConfigurationError } from '@gatehouse/auth-core';
 * throw new ConfigurationError('maxAgeInSeconds', 'must be a positive integer');
 * ```
 */
export class ConfigurationError extends TypeError {
  /** Always `'ConfigurationError'`. */
  override readonly name = 'ConfigurationError';
  /** The option that was wrong, as the caller spelled it. */
  readonly option: string;

  constructor(option: string, problem: string) {
    super(`Invalid option \`${option}\`: ${problem}`);
    this.option = option;
  }
}
