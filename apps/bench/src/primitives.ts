import { createHash, createHmac, hash } from 'node:crypto';
import type { AuthRequest } from '@gatehouse/auth-core';
import { createHmacSha256, createSecretDigester, encodeHex } from '@gatehouse/auth-core/crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/**
 * The bare primitives a hand-written check would run, measured beside each strategy. The floor is the fastest
 * one on the platform: node:crypto's one-shot `hash()` (OpenSSL, no hash object) for a digest, `createHmac` for
 * the APEX signature. `createHash` and @noble/hashes (pure JavaScript, what the portable build of the strategies
 * uses) are shown for reference. They do no header parsing, no format checks, no expiry or IP checks and keep no
 * nonce store.
 */
const encoder = new TextEncoder();

/** SHA-256 of the token with node:crypto's one-shot `hash()`, hex, then `Map.get`: the floor of a lookup scheme. */
export function nativeDigestLookup<T>(map: ReadonlyMap<string, T>, token: string): T | undefined {
  return map.get(hash('sha256', token, 'hex'));
}

/** The same through a `createHash` object (node:crypto), for reference. */
export function nodeDigestLookup<T>(map: ReadonlyMap<string, T>, token: string): T | undefined {
  return map.get(createHash('sha256').update(token).digest('hex'));
}

/** The same with @noble/hashes (a shared `TextEncoder`, noble's own `bytesToHex`), for reference. */
export function nobleDigestLookup<T>(map: ReadonlyMap<string, T>, token: string): T | undefined {
  return map.get(bytesToHex(sha256(encoder.encode(token))));
}

/** An HMAC key as the bare check keeps it: the plain secret's bytes, ready for HMAC. */
export interface BareHmacKey {
  readonly userId: string;
  readonly secret: Uint8Array;
}

/**
 * `Map.get` of the API key, then HMAC-SHA256 with node:crypto's `createHmac` of `Nonce + UserId + APIKey` under
 * the secret, compared as hex with the presented signature: the APEX check with nothing around it, the floor.
 */
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

/** The same with @noble/hashes, for reference. */
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

export function bareHmacKey(userId: string, apiSecret: string): BareHmacKey {
  return { userId, secret: encoder.encode(apiSecret) };
}

/**
 * The crypto exactly as the strategies run it (for reference): `createSecretDigester()` + `Map.get`; for
 * AuthenticateUser, the lookup and an HMAC under a key prepared once (`createHmacSha256`, what the strategy keeps
 * per API key). Both come from `@gatehouse/auth-core/crypto` as Node resolves it (the `node` export condition),
 * so this row follows whichever backend that build uses. The gap between this row and the strategy's is
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

/** What the contract-shaped floor answers: the two outcome types, nothing else. */
export type FloorOutcome = { readonly type: 'authenticated'; readonly record: unknown } | { readonly type: 'rejected' } | { readonly type: 'absent' };

const FLOOR_ABSENT: FloorOutcome = Object.freeze({ type: 'absent' });
const FLOOR_REJECTED: FloorOutcome = Object.freeze({ type: 'rejected' });

/**
 * The native primitive in the shape the `AuthStrategy` contract gives every strategy (for reference): an `async`
 * function that reads the credential off the `AuthRequest`, awaits an `async` lookup of its `hash()` digest (as
 * any `CredentialStore` is async) and returns an outcome object. No format, expiry, kind, route or IP checks and
 * no `touch`: the least a strategy over an async store can cost, so the gap between this row and the bare
 * primitive is the contract's, and the gap between it and the strategy's row is the strategy's own work.
 */
export function contractFloorLookup<T>(
  map: ReadonlyMap<string, T>,
  read: (request: AuthRequest) => string | null,
): (request: AuthRequest) => Promise<FloorOutcome> {
  const findByDigest = async (digest: string): Promise<T | null> => map.get(digest) ?? null;
  return async (request) => {
    const token = read(request);
    if (token === null) return FLOOR_ABSENT;
    const record = await findByDigest(hash('sha256', token, 'hex'));
    return record === null ? FLOOR_REJECTED : { type: 'authenticated', record };
  };
}

/**
 * The APEX check in the same contract shape (for reference): the four headers, an awaited `async` lookup of the
 * key, `createHmac` compared as hex, then an awaited `async` "set if absent" of the nonce in a `Set` (the replay
 * store every `unique` nonce needs; a refused signature never reaches it).
 */
export function contractFloorHmac(map: ReadonlyMap<string, BareHmacKey>): (request: AuthRequest) => Promise<FloorOutcome> {
  const find = async (apiKey: string): Promise<BareHmacKey | null> => map.get(apiKey) ?? null;
  const nonces = new Set<string>();
  const setIfAbsent = async (key: string): Promise<boolean> => {
    if (nonces.has(key)) return false;
    nonces.add(key);
    return true;
  };
  return async (request) => {
    const apiKey = request.header('apikey');
    const userId = request.header('userid');
    const nonce = request.header('nonce');
    const signature = request.header('signature');
    if (apiKey === null || userId === null || nonce === null || signature === null) return FLOOR_ABSENT;
    const key = await find(apiKey);
    if (key === null) return FLOOR_REJECTED;
    if (createHmac('sha256', key.secret).update(`${nonce}${userId}${apiKey}`).digest('hex') !== signature) return FLOOR_REJECTED;
    if (!(await setIfAbsent(`${apiKey}:${nonce}`))) return FLOOR_REJECTED;
    return { type: 'authenticated', record: key };
  };
}
