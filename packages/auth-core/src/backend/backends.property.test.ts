// Property tests (fast-check, 10,000 runs each): the two crypto backends, imported side by side, give the same
// bytes. The package ships the portable one (@noble/hashes) under the `default` export condition and the native
// one (node:crypto) under `node`, `bun` and `deno`; a digest stored by one must be found by the other.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import * as native from './node.js';
import * as portable from './portable.js';

// Both modules must offer the same names with the same types: this fails to compile otherwise.
const backends = { native, portable } satisfies Record<string, typeof portable>;

const RUNS = { numRuns: 10_000 };
const TIMEOUT = 60_000;
// fast-check's default size caps generated lengths at about 10 whatever maxLength says, hence `size: 'max'` where
// lengths matter (keys past the 64-byte block, messages past the native backend's 1,024-byte inline buffer).
// Inside properties, node:assert rather than expect: the same failure with a diff, at a fraction of the cost.

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** Text of every kind: ASCII, any code point, lone surrogates, and longer than either backend's reused buffer. */
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 80, size: 'max' }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40, size: 'max' }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', 'é', '\ud800', '\udc00', '\u{1F600}', '\u0000', '\u007f', '\u0080'), maxLength: 12, size: 'max' }) },
  // Past 512 and 1,024 UTF-16 units: a short random unit repeated (a long fc.string is slow to generate).
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.constantFrom(513, 1_025, 2_100), fc.string({ maxLength: 6 }))
      .map(([unit, length, tail]) => `${unit.repeat(Math.ceil(length / unit.length))}${tail}`),
  },
);

/** Bytes, also as a view into a larger buffer (a non-zero byteOffset), and past 1,024 bytes. */
const bytes = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 200, size: 'max' }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.uint8Array({ maxLength: 40, size: 'max' }), fc.nat(8), fc.nat(8))
      .map(([inner, before, after]) => {
        const backing = new Uint8Array(before + inner.length + after).fill(0xa5);
        backing.set(inner, before);
        return backing.subarray(before, before + inner.length);
      }),
  },
  { weight: 1, arbitrary: fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.constantFrom(1_024, 1_025, 3_000)).map(([unit, length]) => new Uint8Array(length).map((_, i) => unit[i % unit.length] as number)) },
);

const message = fc.oneof(bytes, text);

/** HMAC keys: empty, shorter than, exactly and longer than the 64-byte block. */
const key = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 150, size: 'max' }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 63, 64, 65, 128).chain((length) => fc.uint8Array({ minLength: length, maxLength: length, size: 'max' })) },
);

describe('the crypto backends: native (node:crypto) and portable (@noble/hashes)', () => {
  it('name themselves', () => {
    assert.equal(native.CRYPTO_BACKEND, 'node');
    assert.equal(portable.CRYPTO_BACKEND, 'portable');
  });

  it(
    'give the same SHA-256 for any bytes (views into larger buffers included) or text (its UTF-8, lone surrogates as U+FFFD), and sha256Hex is the lower-case hex of sha256',
    () => {
      fc.assert(
        fc.property(message, (data) => {
          const expected = hex(portable.sha256(data));
          for (const backend of Object.values(backends)) {
            assert.equal(hex(backend.sha256(data)), expected);
            assert.equal(backend.sha256Hex(data), expected);
          }
          // The reference for text: TextEncoder's UTF-8 (which replaces lone surrogates).
          if (typeof data === 'string') assert.equal(native.sha256Hex(new TextEncoder().encode(data)), expected);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    'give the same HMAC-SHA256 for any key (empty, shorter, as long as or longer than the 64-byte block) and any message, bytes or text, short or long, and leave both unchanged',
    () => {
      fc.assert(
        fc.property(key, message, (keyBytes, data) => {
          const keyBefore = hex(keyBytes);
          const dataBefore = typeof data === 'string' ? data : hex(data);
          assert.equal(hex(native.hmacSha256(keyBytes, data)), hex(portable.hmacSha256(keyBytes, data)));
          assert.equal(hex(keyBytes), keyBefore);
          assert.equal(typeof data === 'string' ? data : hex(data), dataBefore);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    'give, for a prepared key, the one-shot HMAC as bytes and as lower-case hex, message after message, interleaved with another prepared key',
    () => {
      fc.assert(
        fc.property(key, key, fc.array(fc.tuple(fc.nat(1), message), { minLength: 1, maxLength: 4 }), (first, second, sequence) => {
          const keys = [first, second] as const;
          const prepared = Object.values(backends).map((backend) => keys.map((each) => backend.createHmacSha256(each)));
          for (const [keyIndex, data] of sequence) {
            const expected = hex(portable.hmacSha256(keys[keyIndex] as Uint8Array, data));
            for (const macs of prepared) {
              const mac = macs[keyIndex] as portable.PreparedHmacSha256;
              assert.equal(hex(mac.bytes(data)), expected);
              assert.equal(mac.hex(data), expected);
            }
          }
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );
});
