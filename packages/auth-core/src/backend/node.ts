// The crypto backend of the build for Node, Bun and Deno: `node:crypto`, whose scrypt runs on the thread pool
// instead of the event loop and whose SHA-256 is OpenSSL's (or the runtime's own) native code. Same inputs, same
// bytes as ./portable.ts (the tests compare them).
import * as nodeCrypto from 'node:crypto';
import { copyAscii, type PreparedHmacSha256 } from './bytes.js';

export type { PreparedHmacSha256 } from './bytes.js';

/**
 * Which build is running: this one is `'node'` (see ./portable.ts).
 *
 * @example
 * ```ts
 * CRYPTO_BACKEND; // 'node'
 * ```
 */
export const CRYPTO_BACKEND: 'portable' | 'node' = 'node';

/**
 * scrypt (RFC 7914) on the runtime's thread pool.
 *
 * @example
 * ```ts
 * const key = await scrypt(passwordBytes, salt, { N: 2 ** 15, r: 8, p: 1, dkLen: 32 });
 * ```
 */
export function scrypt(password: Uint8Array, salt: Uint8Array, params: { readonly N: number; readonly r: number; readonly p: number; readonly dkLen: number }): Promise<Uint8Array> {
  const { N, r, p, dkLen } = params;
  return new Promise((resolve, reject) => {
    // The memory scrypt needs is 128 · N · r bytes (plus a little): allow exactly that, not Node's 32 MiB default.
    nodeCrypto.scrypt(password, salt, dkLen, { N, r, p, maxmem: 128 * N * r + 1024 * 1024 }, (error, key) => {
      // Bun calls back with `undefined`, not `null`, on success.
      if (error != null) reject(error);
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength));
    });
  });
}

// 'binary' is Node's name for latin1: one character per byte, the cheapest way to get a digest's bytes out
// (asking for a Buffer costs more than the hash itself on short input).
type DigestEncoding = 'hex' | 'binary';

const { createHash } = nodeCrypto;
const oneShotHash = nodeCrypto.hash;
// One-shot `crypto.hash` (Node 20.12 and later, Bun, Deno 2.2 and later; see "crypto.hash(algorithm, data[,
// outputEncoding])", https://nodejs.org/api/crypto.html#cryptohashalgorithm-data-outputencoding) skips the Hash
// object `createHash` builds for every call: 0.3 µs instead of 0.9 µs for a 32-character token. Runtimes without
// it get `createHash`. Decided once, when this module loads.
const digest: (data: Uint8Array | string, encoding: DigestEncoding) => string =
  typeof oneShotHash === 'function'
    ? (data, encoding) => oneShotHash('sha256', data, encoding)
    : (data, encoding) => createHash('sha256').update(data).digest(encoding);

function bytesOfBinary(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
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
  return bytesOfBinary(digest(data, 'binary'));
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
  return digest(data, 'hex');
}

// HMAC (RFC 2104) on the native one-shot SHA-256: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ message)), with both inputs laid
// out in reused buffers. `createHmac` builds an Hmac object per call and costs about twice as much for a short
// message, even with the key as a prepared KeyObject. The buffers are zeroed after each use, so neither the key's
// pads nor a message (a peppered digest's message is a token) stays in them; hashing is synchronous, so two
// calls never share them.
const BLOCK_BYTES = 64;
const DIGEST_BYTES = 32;
/** Messages up to this many bytes are hashed from the reused buffer; longer ones are streamed. */
const INLINE_MESSAGE_BYTES = 1024;
const INNER_INPUT = new Uint8Array(BLOCK_BYTES + INLINE_MESSAGE_BYTES);
const innerInputViews: Uint8Array[] = [];
const OUTER_INPUT = new Uint8Array(BLOCK_BYTES + DIGEST_BYTES);

interface HmacPads {
  readonly inner: Uint8Array;
  readonly outer: Uint8Array;
}

function padsOf(key: Uint8Array): HmacPads {
  // A key longer than the block is replaced by its digest (RFC 2104 §2).
  const block = key.length > BLOCK_BYTES ? sha256(key) : key;
  const inner = new Uint8Array(BLOCK_BYTES);
  const outer = new Uint8Array(BLOCK_BYTES);
  for (let i = 0; i < BLOCK_BYTES; i++) {
    const byte = i < block.length ? (block[i] as number) : 0;
    inner[i] = byte ^ 0x36;
    outer[i] = byte ^ 0x5c;
  }
  return { inner, outer };
}

function inlineMessage(message: Uint8Array | string): number {
  if (typeof message === 'string') return copyAscii(message, INNER_INPUT, BLOCK_BYTES);
  if (message.length > INLINE_MESSAGE_BYTES) return -1;
  INNER_INPUT.set(message, BLOCK_BYTES);
  return message.length;
}

function mac(pads: HmacPads, message: Uint8Array | string, encoding: DigestEncoding): string {
  let innerDigest: string;
  const length = inlineMessage(message);
  if (length >= 0) {
    INNER_INPUT.set(pads.inner);
    innerDigest = digest((innerInputViews[length] ??= INNER_INPUT.subarray(0, BLOCK_BYTES + length)), 'binary');
    INNER_INPUT.fill(0, 0, BLOCK_BYTES + length);
  } else {
    // Long or non-ASCII: streamed (a string as UTF-8, as `createHash` encodes it).
    innerDigest = createHash('sha256').update(pads.inner).update(message).digest('binary');
  }
  OUTER_INPUT.set(pads.outer);
  for (let i = 0; i < DIGEST_BYTES; i++) OUTER_INPUT[BLOCK_BYTES + i] = innerDigest.charCodeAt(i);
  const result = digest(OUTER_INPUT, encoding);
  OUTER_INPUT.fill(0);
  return result;
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
  return bytesOfBinary(mac(padsOf(key), message, 'binary'));
}

/**
 * Prepares HMAC-SHA256 under `key`: the key's pads are computed once, here.
 *
 * @example
 * ```ts
 * const mac = createHmacSha256(pepper);
 * mac.hex(token); // 64 lower-case hex characters, as encodeHex(hmacSha256(pepper, token))
 * ```
 */
export function createHmacSha256(key: Uint8Array): PreparedHmacSha256 {
  const pads = padsOf(key);
  return {
    bytes: (message) => bytesOfBinary(mac(pads, message, 'binary')),
    hex: (message) => mac(pads, message, 'hex'),
  };
}
