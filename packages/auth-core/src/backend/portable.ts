// The crypto backend for runtimes without `node:crypto` (workers, browsers): @noble/hashes. The build for Node,
// Bun and Deno swaps this module for ./node.ts (see tsup.config.ts and the package's `exports` conditions), so the
// choice is made once, when the package is resolved, never per call.
import { hmac } from '@noble/hashes/hmac.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { encodeHex, utf8Bytes, withUtf8Bytes, type PreparedHmacSha256 } from './bytes.js';

export type { PreparedHmacSha256 } from './bytes.js';

/**
 * Which build is running: `'node'` (`node:crypto`; the package's `node`, `bun` and `deno` export conditions) or
 * `'portable'` (@noble/hashes; any other runtime). Both give the same bytes.
 *
 * @example
 * ```ts
 * import { CRYPTO_BACKEND } from '@gatehouse/auth-core/crypto';
 * CRYPTO_BACKEND; // 'node' on Node, Bun and Deno
 * ```
 */
export const CRYPTO_BACKEND: 'portable' | 'node' = 'portable';

/**
 * scrypt (RFC 7914). noble's async form yields to the event loop as it works.
 *
 * @example
 * ```ts
 * const key = await scrypt(passwordBytes, salt, { N: 2 ** 15, r: 8, p: 1, dkLen: 32 });
 * ```
 */
export function scrypt(password: Uint8Array, salt: Uint8Array, params: { readonly N: number; readonly r: number; readonly p: number; readonly dkLen: number }): Promise<Uint8Array> {
  return scryptAsync(password, salt, { ...params, asyncTick: 10 });
}

// One reusable SHA-256 object, reset from a pristine one before each use: noble's one-shot `sha256()` builds a
// new hash object (buffers and DataViews) per call, which costs more than hashing a short token. Hashing is
// synchronous, so the shared object is never used by two callers at once.
const SHA256_INITIAL = nobleSha256.create();
const sha256Scratch = nobleSha256.create();

function sha256Bytes(data: Uint8Array): Uint8Array {
  SHA256_INITIAL._cloneInto(sha256Scratch);
  return sha256Scratch.update(data).digest();
}

/**
 * SHA-256 (FIPS 180-4) of bytes, or of a string's UTF-8 bytes.
 *
 * @example
 * ```ts
 * sha256('abc'); // Uint8Array(32) [0xba, 0x78, …]
 * ```
 */
export function sha256(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? withUtf8Bytes(data, sha256Bytes) : sha256Bytes(data);
}

/**
 * {@link sha256} as lower-case hex.
 *
 * @example
 * ```ts
 * sha256Hex('abc'); // 'ba7816bf…'
 * ```
 */
export function sha256Hex(data: Uint8Array | string): string {
  return encodeHex(sha256(data));
}

/**
 * HMAC-SHA256 (RFC 2104) of `message` (a string as its UTF-8 bytes) under `key`.
 *
 * @example
 * ```ts
 * hmacSha256(keyBytes, 'message'); // Uint8Array(32)
 * ```
 */
export function hmacSha256(key: Uint8Array, message: Uint8Array | string): Uint8Array {
  return hmac(nobleSha256, key, typeof message === 'string' ? utf8Bytes(message) : message);
}

/**
 * Prepares HMAC-SHA256 under `key`: the key's inner and outer pads are hashed once, here.
 *
 * @example
 * ```ts
 * const mac = createHmacSha256(pepper);
 * mac.hex(token); // 64 lower-case hex characters, as encodeHex(hmacSha256(pepper, token))
 * ```
 */
export function createHmacSha256(key: Uint8Array): PreparedHmacSha256 {
  const keyed = hmac.create(nobleSha256, key);
  // A reusable working copy, reset from the keyed state before each message (synchronous, so never shared
  // between two calls in flight).
  const scratch = keyed.clone();
  const macBytes = (bytes: Uint8Array): Uint8Array => {
    keyed._cloneInto(scratch);
    return scratch.update(bytes).digest();
  };
  const bytes = (message: Uint8Array | string): Uint8Array => (typeof message === 'string' ? withUtf8Bytes(message, macBytes) : macBytes(message));
  return { bytes, hex: (message) => encodeHex(bytes(message)) };
}
