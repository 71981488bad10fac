import { isJsonObject, type AuthErrorCode, type AuthRequest } from '@gatehouse/auth-core';

/** The raw values of an `AuthenticateUser` request, from headers or JSON body, before validation. */
export interface RawAuthenticateUser {
  readonly apiKey: string | undefined;
  readonly signature: string | undefined;
  readonly userId: string | undefined;
  readonly nonce: string | undefined;
  readonly timestamp: string | undefined;
}

const FIELDS = [
  ['apiKey', 'APIKey'],
  ['signature', 'Signature'],
  ['userId', 'UserId'],
  ['nonce', 'Nonce'],
  ['timestamp', 'Timestamp'],
] as const;

// APEX JSON bodies carry UserId (and often Nonce) as numbers; only canonical safe integers are taken as text.
function jsonField(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return null;
}

/**
 * Reads `APIKey`, `Signature`, `UserId`, `Nonce` (and `Timestamp`) from the headers (seed 004) and from a JSON
 * body with the same field names (APEX docs). A field sent twice as a header, or in both places with different
 * values, is ambiguous; a JSON value that is not a string or a non-negative integer is malformed. `none` when
 * neither place carries any of the four.
 *
 * @example
 * ```ts
 * const read = await readAuthenticateUser(request);
 * if (read.type === 'found') console.log(read.values.userId);
 * ```
 */
export async function readAuthenticateUser(
  request: AuthRequest,
): Promise<{ type: 'found'; values: RawAuthenticateUser } | { type: 'none' } | { type: 'invalid'; code: AuthErrorCode }> {
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
  if (body.type === 'json' && isJsonObject(body.value)) {
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
