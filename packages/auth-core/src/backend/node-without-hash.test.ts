// The native backend on a runtime whose `node:crypto` has no one-shot `crypto.hash` (Node before 20.12, older Bun
// and Deno): it falls back to `createHash`, with the same bytes.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it, vi } from 'vitest';
import * as native from './node.js';
import * as portable from './portable.js';

vi.mock('node:crypto', async (importOriginal) => ({ ...(await importOriginal<typeof import('node:crypto')>()), hash: undefined }));

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
const message = fc.oneof(fc.uint8Array({ maxLength: 1_100, size: 'max' }), fc.string({ unit: 'binary', maxLength: 40, size: 'max' }), fc.string({ maxLength: 1_100, size: 'max' }));

describe('the native backend without crypto.hash', () => {
  it('runs where crypto.hash is missing', async () => {
    assert.equal((await import('node:crypto')).hash, undefined);
  });

  it(
    'gives the portable backend’s SHA-256 and HMAC-SHA256 through createHash, for any key and message',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 150, size: 'max' }), message, (key, data) => {
          assert.equal(native.sha256Hex(data), portable.sha256Hex(data));
          assert.equal(hex(native.sha256(data)), hex(portable.sha256(data)));
          assert.equal(native.createHmacSha256(key).hex(data), portable.createHmacSha256(key).hex(data));
        }),
        { numRuns: 10_000 },
      );
    },
    60_000,
  );
});
