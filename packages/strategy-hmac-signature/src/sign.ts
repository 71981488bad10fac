import { computeAuthenticateUserSignature } from './signature.js';

/**
 * What a client needs to call `AuthenticateUser`.
 *
 * @example
 * ```ts
 * const input: SignAuthenticateUserInput = { apiKey, apiSecret, userId: '1', nonce: String(Math.floor(Date.now() / 1000)) };
 * ```
 */
export interface SignAuthenticateUserInput {
  /** The key's `APIKey`. */
  readonly apiKey: string;
  /** The key's `APISecret`, the HMAC key (never sent). */
  readonly apiSecret: string;
  /** The `UserId` the key belongs to. */
  readonly userId: string | number;
  /** The `Nonce`: what the server's nonce policy accepts (the issued one, a larger integer, or a fresh value). */
  readonly nonce: string | number;
  /** Unix seconds, for servers in the hardened timestamp mode. */
  readonly timestamp?: number;
}

/**
 * The signed values, as headers (KiiEx docs, "Authenticate with API Key") and as a JSON body (KiiEx docs,
 * "AuthenticateUser").
 *
 * @example
 * ```ts
 * const signed: SignedAuthenticateUser = signAuthenticateUser(input);
 * ```
 */
export interface SignedAuthenticateUser {
  /** The signature, lowercase hex of the HMAC-SHA256. */
  readonly signature: string;
  /** The values as request headers: `APIKey`, `Signature`, `UserId`, `Nonce` (and `Timestamp`). */
  readonly headers: Readonly<Record<string, string>>;
  /** The same values as a JSON body's fields. */
  readonly body: Readonly<Record<string, string>>;
}

/**
 * Signs an `AuthenticateUser` call: HMAC-SHA256 over `Nonce + UserId + APIKey` keyed with the API secret (or
 * the versioned message with a timestamp), returned as the four (five) headers and as a JSON body.
 *
 * @example
 * ```ts
 * const { headers } = signAuthenticateUser({ apiKey, apiSecret, userId: 1, nonce: 1700000000 });
 * const reply = await fetch('https://api.example.com/AuthenticateUser', { method: 'POST', headers });
 * const { SessionToken } = await reply.json();
 * await fetch('https://api.example.com/ap/GetUserInfo', { method: 'POST', headers: { aptoken: SessionToken } });
 * ```
 */
export function signAuthenticateUser(input: SignAuthenticateUserInput): SignedAuthenticateUser {
  if (typeof input.apiKey !== 'string' || typeof input.apiSecret !== 'string' || input.apiSecret === '') {
    throw new TypeError('signAuthenticateUser: apiKey and apiSecret must be strings');
  }
  const userId = String(input.userId);
  const nonce = String(input.nonce);
  if (input.timestamp !== undefined && (!Number.isSafeInteger(input.timestamp) || input.timestamp < 0)) {
    throw new TypeError('signAuthenticateUser: timestamp must be whole unix seconds');
  }
  const timestamp = input.timestamp === undefined ? undefined : String(input.timestamp);
  const signature = computeAuthenticateUserSignature(input.apiSecret, {
    apiKey: input.apiKey,
    userId,
    nonce,
    ...(timestamp === undefined ? {} : { timestamp }),
  });
  const values: Record<string, string> = { APIKey: input.apiKey, Signature: signature, UserId: userId, Nonce: nonce };
  if (timestamp !== undefined) values['Timestamp'] = timestamp;
  return { signature, headers: { ...values }, body: { ...values } };
}
