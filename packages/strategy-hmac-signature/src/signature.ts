import { constantTimeEqual, decodeHex, encodeHex, hmacSha256, isHexString } from '@gatehouse/auth-core/crypto';

/**
 * The four values of an `AuthenticateUser` request, plus the optional signed timestamp of the hardened mode.
 *
 * @example
 * ```ts
 * const values: AuthenticateUserValues = { apiKey, userId: '1', nonce: '1700000000' };
 * ```
 */
export interface AuthenticateUserValues {
  /** The `APIKey` sent. */
  readonly apiKey: string;
  /** The `UserId` sent. */
  readonly userId: string;
  /** The `Nonce` sent. */
  readonly nonce: string;
  /** Unix seconds, decimal; only in the hardened mode. */
  readonly timestamp?: string;
}

/**
 * The signed message. The documented form is `Nonce + UserId + APIKey` with no separators (KiiEx docs,
 * "Authenticate with API Key", section "Create a Signature":
 * https://docs.kiiglobal.io/docs/connect-to-kiiex/authenticate-with-api-key); reproducible with
 * `printf %s "$NONCE$USERID$APIKEY" | openssl dgst -sha256 -hmac "$SECRET"`.
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

/**
 * {@link signatureMatches} with the API secret already prepared as an HMAC key (`createHmacSha256(apiSecret)`).
 *
 * @example
 * ```ts
 * signatureMatchesWith(presented, createHmacSha256(apiSecret), values);
 * ```
 */
export function signatureMatchesWith(presented: string, mac: (message: string) => Uint8Array, values: AuthenticateUserValues): boolean {
  if (typeof presented !== 'string' || presented.length !== 64) return false;
  const expected = mac(authenticateUserMessage(values));
  // One pass: each digit pair is checked and compared with its byte, without decoding the hex first. The time
  // depends on the lengths and on the presented text only, never on the expected bytes.
  let difference = 0;
  let malformed = 0;
  for (let i = 0; i < 32; i++) {
    const high = hexDigitValue(presented.charCodeAt(2 * i));
    const low = hexDigitValue(presented.charCodeAt(2 * i + 1));
    malformed |= high | low;
    difference |= (((high << 4) | low) & 0xff) ^ (expected[i] as number);
  }
  return malformed >= 0 && difference === 0;
}

/** The value of a hex digit of either case, or -1. */
const HEX_VALUES = new Int8Array(128).fill(-1);
for (let digit = 0; digit < 16; digit++) {
  HEX_VALUES[digit.toString(16).charCodeAt(0)] = digit;
  HEX_VALUES[digit.toString(16).toUpperCase().charCodeAt(0)] = digit;
}

function hexDigitValue(code: number): number {
  return code < 128 ? (HEX_VALUES[code] as number) : -1;
}
