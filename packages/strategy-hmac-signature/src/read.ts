import { isJsonObject, type AuthErrorCode, type AuthRequest } from '@gatehouse/auth-core';

/**
 * The raw values of an `AuthenticateUser` request, from headers or JSON body, before validation.
 *
 * @example
 * ```ts
 * const raw: RawAuthenticateUser = { apiKey: '…', signature: '…', userId: '1', nonce: '42', timestamp: undefined };
 * ```
 */
export interface RawAuthenticateUser {
  /** `APIKey`, as sent; `undefined` when absent. */
  readonly apiKey: string | undefined;
  /** `Signature`, as sent; `undefined` when absent. */
  readonly signature: string | undefined;
  /** `UserId`, as sent (a JSON number as its decimal text); `undefined` when absent. */
  readonly userId: string | undefined;
  /** `Nonce`, as sent (a JSON number as its decimal text); `undefined` when absent. */
  readonly nonce: string | undefined;
  /** `Timestamp`, as sent (hardened mode only); `undefined` when absent. */
  readonly timestamp: string | undefined;
}

const FIELDS = [
  ['apiKey', 'APIKey'],
  ['signature', 'Signature'],
  ['userId', 'UserId'],
  ['nonce', 'Nonce'],
  ['timestamp', 'Timestamp'],
] as const;

const BODY_UNAVAILABLE =
  'The request body was consumed before authentication (by a body parser or a handler) and nothing usable was left, ' +
  'so the AuthenticateUser values it may carry (APIKey, Signature, UserId, Nonce) cannot be checked. Authenticate ' +
  'before the body is read, or hand the body to the request adapter: on Node leave the parsed `req.body` or the raw ' +
  'bytes `req.rawBody` on the request (or pass `{ body }`), with a Fetch request pass `{ readBody }`.';

// APEX JSON bodies carry UserId (and often Nonce) as numbers; only canonical safe integers are taken as text.
function jsonField(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return null;
}

/**
 * What {@link readAuthenticateUser} found: the raw values, nothing of the scheme, or the refusal code (with, for
 * `INTERNAL_ERROR`, the reason the request could not be read).
 *
 * @example
 * ```ts
 * const read: AuthenticateUserRead = { type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' };
 * ```
 */
export type AuthenticateUserRead =
  | { readonly type: 'found'; readonly values: RawAuthenticateUser }
  | { readonly type: 'none' }
  | { readonly type: 'invalid'; readonly code: AuthErrorCode; readonly cause?: Error };

/**
 * Reads `APIKey`, `Signature`, `UserId`, `Nonce` (and `Timestamp`) from the headers (KiiEx docs, "Authenticate
 * with API Key") and from a JSON body with the same field names (KiiEx docs, "AuthenticateUser"). A field sent
 * twice as a header, or in both places with different values, is ambiguous; a JSON value that is not a string or
 * a non-negative integer is malformed. `none` when neither place carries any of the four.
 *
 * A body that something consumed before authentication (a framework's body parser that left neither the parsed
 * value nor the bytes where the request adapter looks) is `INTERNAL_ERROR`, with a cause saying so: the values may
 * travel in it, so the request is refused rather than judged on its headers alone. It is not the client's fault.
 *
 * @example
 * ```ts
 * const read = await readAuthenticateUser(request);
 * if (read.type === 'found') console.log(read.values.userId);
 * ```
 */
export async function readAuthenticateUser(request: AuthRequest): Promise<AuthenticateUserRead> {
  // Straight-line reads into locals: a loop filling an object by computed keys cost more than the rest of
  // the parsing together.
  const apiKeys = request.headerValues('APIKey');
  const signatures = request.headerValues('Signature');
  const userIds = request.headerValues('UserId');
  const nonces = request.headerValues('Nonce');
  const timestamps = request.headerValues('Timestamp');
  if (apiKeys.length > 1 || signatures.length > 1 || userIds.length > 1 || nonces.length > 1 || timestamps.length > 1) {
    return { type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' };
  }
  const values: Record<string, string | undefined> = {
    apiKey: apiKeys[0],
    signature: signatures[0],
    userId: userIds[0],
    nonce: nonces[0],
    timestamp: timestamps[0],
  };
  const body = await request.body();
  if (body.type === 'too-large') return { type: 'invalid', code: 'REQUEST_TOO_LARGE' };
  if (body.type === 'malformed') return { type: 'invalid', code: 'REQUEST_MALFORMED' };
  if (body.type === 'unavailable') return { type: 'invalid', code: 'INTERNAL_ERROR', cause: new Error(BODY_UNAVAILABLE) };
  if (body.type === 'json' && isJsonObject(body.value)) {
    // `{"UserId":A,"UserId":B}` parses as B alone: a value sent twice in one body is ambiguous, as in two places.
    if (body.duplicateKeys !== undefined && FIELDS.some(([, field]) => body.duplicateKeys?.includes(field) === true)) {
      return { type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' };
    }
    for (const [key, field] of FIELDS) {
      if (!Object.prototype.hasOwnProperty.call(body.value, field)) continue;
      const value = jsonField(body.value[field]);
      if (value === null) return { type: 'invalid', code: 'CREDENTIALS_MALFORMED' };
      const fromHeader = values[key];
      if (fromHeader !== undefined && fromHeader !== value) return { type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' };
      values[key] = value;
    }
  }
  if (values['apiKey'] === undefined && values['signature'] === undefined && values['userId'] === undefined && values['nonce'] === undefined) {
    return { type: 'none' };
  }
  return {
    type: 'found',
    values: { apiKey: values['apiKey'], signature: values['signature'], userId: values['userId'], nonce: values['nonce'], timestamp: values['timestamp'] },
  };
}
