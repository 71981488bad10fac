// The crypto backend of the build for Node, Bun and Deno: `node:crypto`, whose scrypt runs on the thread pool
// instead of the event loop. Same inputs, same bytes as ./portable.ts (the tests compare them).
import { scrypt as nodeScrypt } from 'node:crypto';

/** Which backend this build runs on. */
export const CRYPTO_BACKEND: 'portable' | 'node' = 'node';

/** scrypt (RFC 7914) on the runtime's thread pool. */
export function scrypt(password: Uint8Array, salt: Uint8Array, params: { readonly N: number; readonly r: number; readonly p: number; readonly dkLen: number }): Promise<Uint8Array> {
  const { N, r, p, dkLen } = params;
  return new Promise((resolve, reject) => {
    // The memory scrypt needs is 128 · N · r bytes (plus a little): allow exactly that, not Node's 32 MiB default.
    nodeScrypt(password, salt, dkLen, { N, r, p, maxmem: 128 * N * r + 1024 * 1024 }, (error, key) => {
      if (error !== null) reject(error);
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength));
    });
  });
}
