// The crypto backend for runtimes without `node:crypto` (workers, browsers): @noble/hashes. The build for Node,
// Bun and Deno swaps this module for ./node.ts (see tsup.config.ts and the package's `exports` conditions), so the
// choice is made once, when the package is resolved, never per call.
import { scryptAsync } from '@noble/hashes/scrypt.js';

/** Which backend this build runs on (`portable`: @noble/hashes; `node`: `node:crypto`). */
export const CRYPTO_BACKEND: 'portable' | 'node' = 'portable';

/** scrypt (RFC 7914). noble's async form yields to the event loop as it works. */
export function scrypt(password: Uint8Array, salt: Uint8Array, params: { readonly N: number; readonly r: number; readonly p: number; readonly dkLen: number }): Promise<Uint8Array> {
  return scryptAsync(password, salt, { ...params, asyncTick: 10 });
}
