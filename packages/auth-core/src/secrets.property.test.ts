// Property tests (fast-check, 10,000 runs each) for secrets.ts: hex, base64url, the SHA-256/HMAC signers against
// Web Crypto (crypto.subtle), and constant-time comparison against ordinary equality. Buffer and Web Crypto are
// references here only; the package itself uses neither.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ConfigurationError } from './errors.js';
import {
  constantTimeEqual,
  constantTimeEqualStrings,
  createHmacSha256,
  createSecretDigester,
  decodeBase64Url,
  decodeHex,
  encodeBase64Url,
  encodeHex,
  hmacSha256,
  isHexString,
  sha256Digest,
} from './secrets.js';

const RUNS = { numRuns: 10_000 };
const TIMEOUT = 60_000;
// fast-check's default size caps generated lengths at about 10 whatever maxLength says, hence `size: 'max'` where
// longer inputs matter (keys past the 64-byte block, peppers of 32 bytes, multi-block messages).
// Inside properties, node:assert rather than expect: the same failure with a diff, at a fraction of the cost per
// call (expect costs about 14 µs a call, which at 10,000 runs is most of a property's time).

const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();
const bytesOf = (data: string | Uint8Array): Uint8Array => (typeof data === 'string' ? utf8.encode(data) : data);
const hex = (bytes: Uint8Array | ArrayBuffer): string => Buffer.from(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).toString('hex');

/** Web Crypto HMAC-SHA-256 of each (key, message); the keys used are imported, and the messages signed, concurrently. */
async function webCryptoHmacs(keys: readonly (string | Uint8Array)[], pairs: readonly (readonly [keyIndex: number, message: string | Uint8Array])[]): Promise<string[]> {
  const imported = new Map<number, Promise<CryptoKey>>();
  for (const [keyIndex] of pairs) {
    if (imported.has(keyIndex)) continue;
    const keyBytes = bytesOf(keys[keyIndex] as string | Uint8Array);
    // Web Crypto refuses a zero-length HMAC key. HMAC pads the key with zero bytes to the 64-byte block, so the
    // empty key and the one-byte key 0x00 are the same key.
    imported.set(keyIndex, subtle.importKey('raw', keyBytes.length === 0 ? new Uint8Array(1) : new Uint8Array(keyBytes), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']));
  }
  return Promise.all(pairs.map(async ([keyIndex, message]) => hex(await subtle.sign('HMAC', await (imported.get(keyIndex) as Promise<CryptoKey>), new Uint8Array(bytesOf(message))))));
}

async function webCryptoSha256(data: string | Uint8Array): Promise<string> {
  return hex(await subtle.digest('SHA-256', new Uint8Array(bytesOf(data))));
}

/** A key for an input: strings and byte arrays told apart, every byte and UTF-16 unit kept. */
const inputId = (input: unknown): string =>
  JSON.stringify(input, (_key, value: unknown) => (value instanceof Uint8Array ? `b:${hex(value)}` : typeof value === 'string' ? `s:${value}` : value));

/**
 * `fc.assert` of a property whose expected answer comes from Web Crypto. Web Crypto answers on the thread pool: one
 * call awaited per run costs 0.1–0.3 ms of round trip (most of these properties' time on a loaded 2-core machine),
 * against about 0.025 ms when the calls are concurrent. So the run's inputs are drawn first with its seed
 * (`fc.sample` draws exactly what `fc.assert` will), their references computed concurrently, and the property
 * looks each one up; an input not drawn before (while shrinking a failure) is computed on the spot, so the result
 * never depends on the lookup.
 */
async function assertAgainstWebCrypto<T, R>(arbitrary: fc.Arbitrary<T>, reference: (input: T) => Promise<R>, check: (input: T, expected: R) => void): Promise<void> {
  const seed = fc.readConfigureGlobal().seed ?? Math.floor(Math.random() * 2 ** 31);
  const references = new Map<string, Promise<R>>();
  const referenceOf = (input: T): Promise<R> => {
    const id = inputId(input);
    let expected = references.get(id);
    if (expected === undefined) references.set(id, (expected = reference(input)));
    return expected;
  };
  await Promise.all(fc.sample(arbitrary, { seed, numRuns: RUNS.numRuns }).map(referenceOf));
  await fc.assert(
    fc.asyncProperty(arbitrary, async (input) => check(input, await referenceOf(input))),
    { ...RUNS, seed },
  );
}

/** Text of every kind the UTF-8 paths must agree on: ASCII, any code point, lone surrogates, longer than the 512-unit scratch buffer. */
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40, size: 'max' }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20, size: 'max' }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', 'é', '\ud800', '\udc00', '\u{1F600}', '\u0000'), maxLength: 8 }) },
  // Past the scratch buffer: a short random unit repeated (a 600-character fc.string costs 0.14 ms to generate).
  { weight: 1, arbitrary: fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ maxLength: 6 })).map(([unit, tail]) => `${unit.repeat(Math.ceil(513 / unit.length))}${tail}`) },
);
/** Keys and messages as bytes (shorter and longer than the 64-byte block) or as text. */
const bytesOrText = fc.oneof(fc.uint8Array({ maxLength: 150, size: 'max' }), text);

describe('SHA-256 and HMAC-SHA256 against Web Crypto (property)', () => {
  it(
    'hmacSha256, createHmacSha256 (over a sequence of messages, interleaved with another key’s MACs) and createSecretDigester with a pepper of 32 bytes or more all equal Web Crypto HMAC-SHA-256, for any key (empty, shorter or longer than the block) and message, as bytes or UTF-8 text',
    async () => {
      const input = fc.tuple(bytesOrText, bytesOrText, fc.array(fc.tuple(fc.nat(1), bytesOrText), { minLength: 1, maxLength: 4 }));
      await assertAgainstWebCrypto(
        input,
        ([key, otherKey, sequence]) => webCryptoHmacs([key, otherKey], sequence),
        ([key, otherKey, sequence], expected) => {
          const keys = [key, otherKey] as const;
          // Prepared once per key and reused along the sequence (only for the keys the sequence uses).
          const macs = new Map<number, (message: string | Uint8Array) => Uint8Array>();
          const digests = new Map<number, (secret: string) => string>();
          sequence.forEach(([keyIndex, message], i) => {
            const keyOf = keys[keyIndex] as string | Uint8Array;
            assert.equal(encodeHex(hmacSha256(keyOf, message)), expected[i]);
            if (!macs.has(keyIndex)) macs.set(keyIndex, createHmacSha256(keyOf));
            assert.equal(encodeHex((macs.get(keyIndex) as (message: string | Uint8Array) => Uint8Array)(message)), expected[i]);
            if (typeof message !== 'string' || typeof keyOf === 'string' || keyOf.length < 32) return;
            if (!digests.has(keyIndex)) digests.set(keyIndex, createSecretDigester({ pepper: keyOf }));
            assert.equal((digests.get(keyIndex) as (secret: string) => string)(message), expected[i]);
          });
        },
      );
    },
    TIMEOUT,
  );

  it(
    'sha256Digest equals Web Crypto SHA-256 of the bytes, or of the UTF-8 of a string, and createSecretDigester without a pepper is its lower-case hex',
    async () => {
      const digest = createSecretDigester();
      await assertAgainstWebCrypto(fc.oneof(fc.uint8Array({ maxLength: 200, size: 'max' }), text), webCryptoSha256, (data, expected) => {
        assert.equal(encodeHex(sha256Digest(data)), expected);
        if (typeof data === 'string') assert.equal(digest(data), expected);
      });
    },
    TIMEOUT,
  );

  it(
    'createSecretDigester refuses a pepper shorter than 32 bytes, and gives 64 lower-case hex characters otherwise',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 80, size: 'max' }), text, (pepper, secret) => {
          if (pepper.length < 32) assert.throws(() => createSecretDigester({ pepper }), ConfigurationError);
          else assert.match(createSecretDigester({ pepper })(secret), /^[0-9a-f]{64}$/);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );
});

describe('hex (property)', () => {
  it(
    'encodeHex is lower-case hex (as Buffer writes it) and decodeHex gives the bytes back from it in any letter case',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64, size: 'max' }), fc.array(fc.boolean(), { maxLength: 128, size: 'max' }), (bytes, upper) => {
          const encoded = encodeHex(bytes);
          assert.equal(encoded, Buffer.from(bytes).toString('hex'));
          const mixedCase = Array.from(encoded, (char, i) => (upper[i] ? char.toUpperCase() : char)).join('');
          assert.deepEqual(decodeHex(mixedCase), bytes);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  // Characters whose code has a hex digit's low byte (U+0130, U+0161, U+0146) catch a decoder that truncates
  // UTF-16 units to bytes.
  const hexLike = fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom('0', '9', 'a', 'f', 'A', 'F', 'g', 'G', ' ', 'x', '-', '+', '\u0130', '\u0161', '\u0146', '\u0660', '\uff10'), maxLength: 12, size: 'max' }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12, size: 'max' }) },
  );

  it(
    'isHexString and decodeHex accept exactly [0-9a-fA-F] text of even length (or of the given length); decodeHex throws TypeError for anything else, never truncating',
    () => {
      fc.assert(
        fc.property(hexLike, fc.option(fc.nat(14)), (candidate, charCount) => {
          const allHex = /^[0-9a-fA-F]*$/.test(candidate);
          assert.equal(isHexString(candidate), allHex && candidate.length % 2 === 0);
          if (charCount !== null) assert.equal(isHexString(candidate, charCount), allHex && candidate.length === charCount);
          if (allHex && candidate.length % 2 === 0) assert.deepEqual(decodeHex(candidate), new Uint8Array(Buffer.from(candidate, 'hex')));
          else assert.throws(() => decodeHex(candidate), TypeError);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    'isHexString is false, without throwing, for anything that is not a string',
    () => {
      fc.assert(
        fc.property(fc.anything({ maxDepth: 1 }), fc.option(fc.nat(8)), (value, charCount) => {
          fc.pre(typeof value !== 'string');
          assert.equal(isHexString(value, charCount ?? undefined), false);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );
});

/** No unpaired surrogate (String.prototype.isWellFormed is ES2024, beyond this package's lib). */
function isWellFormed(value: string): boolean {
  try {
    encodeURIComponent(value);
    return true;
  } catch {
    return false;
  }
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('base64url (property)', () => {
  it(
    'encodeBase64Url is unpadded base64url (as Buffer writes it) and decodeBase64Url gives the bytes back',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64, size: 'max' }), (bytes) => {
          const encoded = encodeBase64Url(bytes);
          assert.equal(encoded, Buffer.from(bytes).toString('base64url'));
          assert.deepEqual(decodeBase64Url(encoded), bytes);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    'decodeBase64Url accepts exactly the canonical unpadded base64url texts (those Buffer re-encodes unchanged) and is null for anything else: padding, +/, spaces, a length of 4n+1, set trailing bits',
    () => {
      const candidates = fc.oneof(
        { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...'AQgw_-9z', '=', '+', '/', ' ', '\n', '.', 'é'), maxLength: 11, size: 'max' }) },
        { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...BASE64URL), maxLength: 11, size: 'max' }) },
        { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
      );
      fc.assert(
        fc.property(candidates, (candidate) => {
          const canonical = /^[A-Za-z0-9_-]*$/.test(candidate) && Buffer.from(candidate, 'base64url').toString('base64url') === candidate;
          const decoded = decodeBase64Url(candidate);
          if (canonical) assert.deepEqual(decoded, new Uint8Array(Buffer.from(candidate, 'base64url')));
          else assert.equal(decoded, null, candidate);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    'refuses every non-canonical spelling of a value (the same bytes with trailing bits set in the last character), which Buffer would accept',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 40, size: 'max' }).filter((bytes) => bytes.length % 3 !== 0), fc.nat(), (bytes, pick) => {
          const canonical = encodeBase64Url(bytes);
          const last = BASE64URL.indexOf(canonical.at(-1) as string);
          // One byte over a multiple of 3 leaves 4 unused bits in the last character, two bytes leave 2.
          const unusedBits = bytes.length % 3 === 1 ? 4 : 2;
          const spelling = `${canonical.slice(0, -1)}${BASE64URL[last + 1 + (pick % (2 ** unusedBits - 1))]}`;
          assert.deepEqual(new Uint8Array(Buffer.from(spelling, 'base64url')), bytes, 'the spelling is not an alias of the value');
          assert.equal(decodeBase64Url(spelling), null, spelling);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );
});

describe('constant-time comparison against ordinary equality (property)', () => {
  const pairOfArrays = fc.uint8Array({ maxLength: 48, size: 'max' }).chain((a) =>
    fc.tuple(
      fc.constant(a),
      fc.oneof(
        fc.constant(a.slice()),
        // One byte changed (needs a byte to change).
        fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, delta]) => {
          const b = a.slice();
          if (b.length > 0) b[at % b.length] = ((b[at % b.length] as number) + delta) & 0xff;
          return b;
        }),
        fc.uint8Array({ minLength: a.length, maxLength: a.length }),
        fc.uint8Array({ maxLength: 48, size: 'max' }),
        // A prefix or an extension.
        fc.nat(a.length).map((length) => a.slice(0, length)),
        fc.uint8Array({ minLength: 1, maxLength: 3 }).map((tail) => Uint8Array.from([...a, ...tail])),
      ),
    ),
  );

  it(
    'constantTimeEqual(a, b) is byte equality (Buffer.equals), both ways round, for equal, one-byte-different, same-length and other-length arrays',
    () => {
      fc.assert(
        fc.property(pairOfArrays, ([a, b]) => {
          const equal = Buffer.from(a).equals(Buffer.from(b));
          assert.equal(constantTimeEqual(a, b), equal);
          assert.equal(constantTimeEqual(b, a), equal);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  const pairOfStrings = text.chain((a) =>
    fc.tuple(
      fc.constant(a),
      fc.oneof(
        fc.constant(a),
        fc.constant(`${a}`.split('').join('')), // an equal string that is a distinct object when a is long
        fc.tuple(fc.nat(), fc.constantFrom('a', 'b', 'é', '\ufffd', '\ud800', '\udfff')).map(([at, char]) => {
          const cut = a.length === 0 ? 0 : at % a.length;
          return `${a.slice(0, cut)}${char}${a.slice(cut + 1)}`;
        }),
        text,
      ),
    ),
  );

  it(
    'constantTimeEqualStrings(a, b) is equality of the UTF-8 bytes (so every unpaired surrogate equals U+FFFD), which for well-formed strings is a === b',
    () => {
      fc.assert(
        fc.property(pairOfStrings, ([a, b]) => {
          const equalBytes = Buffer.from(a, 'utf8').equals(Buffer.from(b, 'utf8'));
          assert.equal(constantTimeEqualStrings(a, b), equalBytes);
          assert.equal(constantTimeEqualStrings(b, a), equalBytes);
          if (isWellFormed(a) && isWellFormed(b)) assert.equal(equalBytes, a === b);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );
});
