import { constantTimeEqual, decodeHex, encodeHex, hmacSha256, isHexString } from '@gatehouse/auth-core';

/**
 * The four values of an `AuthenticateUser` request, plus the optional signed timestamp of the hardened mode.
 *
 * @example
 * ```ts
 * const values: AuthenticateUserValues = { apiKey, userId: '1', nonce: '1700000000' };
 * ```
 */
export interface AuthenticateUserValues {
  readonly apiKey: string;
  readonly userId: string;
  readonly nonce: string;
  /** Unix seconds, decimal; only in the hardened mode. */
  readonly timestamp?: string;
}

/**
 * The signed message. The seed's form is `Nonce + UserId + APIKey` with no separators (seed 004, "Create a
 * Signature"); reproducible with `printf %s "$NONCE$USERID$APIKEY" | openssl dgst -sha256 -hmac "$SECRET"`.
 * The concatenation is ambiguous on its own (`12`+`3` = `1`+`23`); verification closes that by requiring the
 * key to belong to the claimed UserId, so a signature made for one user cannot be replayed as another's.
 *
 * With a timestamp (the hardened mode) the message is unambiguous by construction: the fields joined by a
 * line feed, which no HTTP header value can contain, behind a version tag:
 * `"gatehouse-hmac-v1\n" + Timestamp + "\n" + Nonce + "\n" + UserId + "\n" + APIKey`.
 *
 * @example
 * ```ts
 * authenticateUserMessage({ apiKey: 'k', userId: '1', nonce: '42' }); // '421k'
 * ```
 */
export function authenticateUserMessage(values: AuthenticateUserValues): string {
  if (values.timestamp === undefined) return `${values.nonce}${values.userId}${values.apiKey}`;
  return `gatehouse-hmac-v1\n${values.timestamp}\n${values.nonce}\n${values.userId}\n${values.apiKey}`;
}

/**
 * Computes the `Signature`: lower-case hex of HMAC-SHA256 with the API secret's text (as typed, UTF-8) as the
 * key and {@link authenticateUserMessage} as the message.
 *
 * @example
 * ```ts
 * computeAuthenticateUserSignature(apiSecret, { apiKey, userId: '1', nonce: '42' }); // 64 hex characters
 * ```
 */
export function computeAuthenticateUserSignature(apiSecret: string, values: AuthenticateUserValues): string {
  return encodeHex(hmacSha256(apiSecret, authenticateUserMessage(values)));
}

/**
 * Checks a presented signature against the expected one in constant time. Hex case is ignored (older
 * AlphaPoint clients send upper case); anything but 64 hex characters is `false` without comparing.
 *
 * @example
 * ```ts
 * signatureMatches(presented, apiSecret, values);
 * ```
 */
export function signatureMatches(presented: string, apiSecret: string, values: AuthenticateUserValues): boolean {
  if (!isHexString(presented, 64)) return false;
  return constantTimeEqual(decodeHex(presented), hmacSha256(apiSecret, authenticateUserMessage(values)));
}
