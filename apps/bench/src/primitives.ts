import { createHash, createHmac } from 'node:crypto';
import { createHmacSha256, createSecretDigester, encodeHex } from '@gatehouse/auth-core/crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/**
 * The bare primitives a hand-written check would run, measured beside each strategy. They use the same
 * library as the strategies (@noble/hashes) with a shared `TextEncoder` and noble's own `bytesToHex`;
 * node:crypto is shown for reference. They do no header parsing, no format checks, no expiry or IP checks and
 * keep no nonce store.
 */
const encoder = new TextEncoder();

/** SHA-256 (noble) of the token, hex, then `Map.get`: a lookup by digest at the least. */
export function nobleDigestLookup<T>(map: ReadonlyMap<string, T>, token: string): T | undefined {
  return map.get(bytesToHex(sha256(encoder.encode(token))));
}

/** The same with node:crypto (OpenSSL), for reference. */
export function nodeDigestLookup<T>(map: ReadonlyMap<string, T>, token: string): T | undefined {
  return map.get(createHash('sha256').update(token).digest('hex'));
}

/** An HMAC key as the bare check keeps it: the plain secret's bytes, ready for HMAC. */
export interface BareHmacKey {
  readonly userId: string;
  readonly secret: Uint8Array;
}

/**
 * `Map.get` of the API key, then HMAC-SHA256 (noble) of `Nonce + UserId + APIKey` under the secret, compared as
 * hex with the presented signature: the APEX check with nothing around it.
 */
export function nobleHmacCheck(
  map: ReadonlyMap<string, BareHmacKey>,
  apiKey: string,
  userId: string,
  nonce: string,
  signature: string,
): boolean {
  const key = map.get(apiKey);
  if (key === undefined) return false;
  return bytesToHex(hmac(sha256, key.secret, encoder.encode(`${nonce}${userId}${apiKey}`))) === signature;
}

/** The same with node:crypto's `createHmac`, for reference. */
export function nodeHmacCheck(
  map: ReadonlyMap<string, BareHmacKey>,
  apiKey: string,
  userId: string,
  nonce: string,
  signature: string,
): boolean {
  const key = map.get(apiKey);
  if (key === undefined) return false;
  return createHmac('sha256', key.secret).update(`${nonce}${userId}${apiKey}`).digest('hex') === signature;
}

export function bareHmacKey(userId: string, apiSecret: string): BareHmacKey {
  return { userId, secret: encoder.encode(apiSecret) };
}

/**
 * The crypto exactly as the strategies run it (for reference): `createSecretDigester()` (noble SHA-256 with a
 * reused hash object, flat hex) + `Map.get`; for AuthenticateUser, the lookup and an HMAC under a key prepared
 * once (`createHmacSha256`, what the strategy keeps per API key). The gap between this row and the strategy's is
 * everything the strategy does besides its crypto.
 */
const gatehouseDigest = createSecretDigester();
export function gatehouseDigestLookup<T>(map: ReadonlyMap<string, T>, token: string): T | undefined {
  return map.get(gatehouseDigest(token));
}

export interface PreparedHmacKey {
  readonly userId: string;
  readonly mac: (message: string) => Uint8Array;
}

export function preparedHmacKey(userId: string, apiSecret: string): PreparedHmacKey {
  return { userId, mac: createHmacSha256(apiSecret) };
}

export function gatehouseHmacCheck(
  map: ReadonlyMap<string, PreparedHmacKey>,
  apiKey: string,
  userId: string,
  nonce: string,
  signature: string,
): boolean {
  const key = map.get(apiKey);
  if (key === undefined) return false;
  return encodeHex(key.mac(`${nonce}${userId}${apiKey}`)) === signature;
}
