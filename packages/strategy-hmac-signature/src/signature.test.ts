import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as resolvedCrypto from '@gatehouse/auth-core/crypto';
import { createHmacSha256, decodeHex, encodeHex } from '@gatehouse/auth-core/crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import wycheproof from '../test-vectors/wycheproof/hmac_sha256_test.json' with { type: 'json' };
import scheme from '../test-vectors/signatures.json' with { type: 'json' };
import { runCli } from './cli.js';
import {
  authenticateUserMessage,
  computeAuthenticateUserSignature,
  signAuthenticateUser,
  signatureMatches,
  signatureMatchesWith,
  type AuthenticateUserValues,
} from './index.js';

async function webCryptoHmac(key: Uint8Array, message: Uint8Array): Promise<string> {
  const imported = await crypto.subtle.importKey('raw', new Uint8Array(key.length === 0 ? 1 : key.length).map((_, i) => key[i] ?? 0), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return encodeHex(new Uint8Array(await crypto.subtle.sign('HMAC', imported, new Uint8Array(message))));
}

// RFC 4231 §4.2–4.8, HMAC-SHA-256 (test case 5 truncated to 128 bits by the RFC).
const RFC4231 = [
  ['0b'.repeat(20), '4869205468657265', 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
  ['4a656665', '7768617420646f2079612077616e7420666f72206e6f7468696e673f', '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
  ['aa'.repeat(20), 'dd'.repeat(50), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
  ['0102030405060708090a0b0c0d0e0f10111213141516171819', 'cd'.repeat(50), '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b'],
  ['0c'.repeat(20), '546573742057697468205472756e636174696f6e', 'a3b6167473100ee06e0c796c2955552b'],
  ['aa'.repeat(131), '54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374', '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
  ['aa'.repeat(131), '5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e', '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2'],
] as const;

// @gatehouse/auth-core ships two builds of its crypto: native (node:crypto) for the `node`, `bun` and `deno` export
// conditions, which is what this package resolves here, and portable (@noble/hashes) for every other runtime
// (`default`). The vectors run against both: the portable one is loaded from the file its `default` condition names.
const authCoreManifestPath = createRequire(import.meta.url).resolve('@gatehouse/auth-core/package.json');
const authCoreManifest = JSON.parse(readFileSync(authCoreManifestPath, 'utf8')) as { exports: Record<string, Record<string, string>> };
const portableCrypto = (await import(
  pathToFileURL(join(dirname(authCoreManifestPath), authCoreManifest.exports['./crypto']?.['default'] as string)).href
)) as typeof resolvedCrypto;
const builds = [
  ['native build (`node` condition)', resolvedCrypto],
  ['portable build (`default` condition)', portableCrypto],
] as const;

describe('HMAC-SHA256 (the primitive under the signature)', () => {
  it('resolves the native build of @gatehouse/auth-core on Node, and the portable one from the `default` condition', () => {
    expect(resolvedCrypto.CRYPTO_BACKEND).toBe('node');
    expect(portableCrypto.CRYPTO_BACKEND).toBe('portable');
  });

  const tests = wycheproof.testGroups.flatMap((group) => group.tests.map((test) => ({ ...test, tagSize: group.tagSize })));
  it(`runs all ${wycheproof.numberOfTests} Wycheproof HMAC-SHA256 cases`, () => {
    expect(tests).toHaveLength(174);
  });

  for (const [name, build] of builds) {
    RFC4231.forEach(([key, data, mac], index) => {
      it(`matches RFC 4231 test case ${index + 1} on the ${name}, one-shot and with a prepared key, and Web Crypto`, async () => {
        const ours = encodeHex(build.hmacSha256(decodeHex(key), decodeHex(data)));
        expect(ours.slice(0, mac.length)).toBe(mac);
        expect(encodeHex(build.createHmacSha256(decodeHex(key))(decodeHex(data)))).toBe(ours);
        expect(await webCryptoHmac(decodeHex(key), decodeHex(data))).toBe(ours);
      });
    });

    for (const test of tests) {
      it(`Wycheproof tcId ${test.tcId} on the ${name} (${test.result}${test.comment ? `: ${test.comment}` : ''})`, async () => {
        const full = encodeHex(build.hmacSha256(decodeHex(test.key), decodeHex(test.msg)));
        const computed = full.slice(0, test.tagSize / 4);
        expect(computed === test.tag).toBe(test.result === 'valid');
        expect(encodeHex(build.createHmacSha256(decodeHex(test.key))(decodeHex(test.msg)))).toBe(full);
        expect(await webCryptoHmac(decodeHex(test.key), decodeHex(test.msg))).toBe(full);
      });
    }
  }
});

describe('the AuthenticateUser signature (published scheme vectors)', () => {
  for (const vector of scheme.vectors) {
    it(`signs Nonce + UserId + APIKey for UserId ${vector.userId}, nonce ${vector.nonce}`, async () => {
      const values = { apiKey: vector.apiKey, userId: vector.userId, nonce: vector.nonce };
      expect(authenticateUserMessage(values)).toBe(vector.message);
      expect(computeAuthenticateUserSignature(vector.apiSecret, values)).toBe(vector.signature);
      expect(await webCryptoHmac(new TextEncoder().encode(vector.apiSecret), new TextEncoder().encode(vector.message))).toBe(vector.signature);
      expect(signatureMatches(vector.signature.toUpperCase(), vector.apiSecret, values)).toBe(true);
    });
  }

  it('signs the hardened message with the timestamp, separated by line feeds', () => {
    const [vector] = scheme.hardened;
    const values = { apiKey: vector!.apiKey, userId: vector!.userId, nonce: vector!.nonce, timestamp: vector!.timestamp };
    expect(authenticateUserMessage(values)).toBe(vector!.message);
    expect(computeAuthenticateUserSignature(vector!.apiSecret, values)).toBe(vector!.signature);
  });

  it('agrees with openssl dgst -sha256 -hmac, the one-liner in the README', () => {
    const [vector] = scheme.vectors;
    const output = execFileSync('openssl', ['dgst', '-sha256', '-hmac', vector!.apiSecret], { input: vector!.message, encoding: 'utf8' });
    expect(output.trim().split(/\s+/).at(-1)).toBe(vector!.signature);
  });

  it('rejects wrong, truncated, odd-length, non-hex and empty signatures', () => {
    const [vector] = scheme.vectors;
    const values = { apiKey: vector!.apiKey, userId: vector!.userId, nonce: vector!.nonce };
    const good = vector!.signature;
    const flipped = `${good.slice(0, -1)}${good.at(-1) === '0' ? '1' : '0'}`;
    for (const bad of [flipped, good.slice(0, 63), good.slice(0, 32), `${good}0`, `${good.slice(0, 63)}g`, '', ' '.repeat(64)]) {
      expect(signatureMatches(bad, vector!.apiSecret, values)).toBe(false);
    }
  });

  it('never verifies under another secret, user, nonce or key (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.nat(), fc.nat(), (secret, otherSecret, nonce, otherNonce) => {
        const values = { apiKey: 'ab'.repeat(16), userId: '1', nonce: String(nonce) };
        const signature = computeAuthenticateUserSignature(secret, values);
        expect(signatureMatches(signature, secret, values)).toBe(true);
        if (otherSecret !== secret) expect(signatureMatches(signature, otherSecret, values)).toBe(false);
        if (otherNonce !== nonce) expect(signatureMatches(signature, secret, { ...values, nonce: String(otherNonce) })).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('signAuthenticateUser and the CLI', () => {
  const [vector] = scheme.vectors;

  it('produces the four headers and the same JSON body', () => {
    const signed = signAuthenticateUser({ apiKey: vector!.apiKey, apiSecret: vector!.apiSecret, userId: Number(vector!.userId), nonce: vector!.nonce });
    expect(signed.headers).toEqual({ APIKey: vector!.apiKey, Signature: vector!.signature, UserId: vector!.userId, Nonce: vector!.nonce });
    expect(signed.body).toEqual(signed.headers);
  });

  it('adds a Timestamp header in the hardened mode', () => {
    const signed = signAuthenticateUser({ apiKey: vector!.apiKey, apiSecret: vector!.apiSecret, userId: 1, nonce: 'n-1', timestamp: 1_795_000_000 });
    expect(signed.headers['Timestamp']).toBe('1795000000');
    expect(signed.signature).toBe(scheme.hardened[0]!.signature);
  });

  it('prints the signature: gatehouse-hmac sign --key --secret --user --nonce', () => {
    const out: string[] = [];
    const code = runCli(['sign', '--key', vector!.apiKey, '--secret', vector!.apiSecret, '--user', vector!.userId, '--nonce', vector!.nonce], { out: (text) => out.push(text), err: () => undefined });
    expect(code).toBe(0);
    expect(out).toEqual([vector!.signature]);
  });

  it('takes the secret from GATEHOUSE_HMAC_SECRET so it stays out of the process list', () => {
    const out: string[] = [];
    runCli(['sign', '--key', vector!.apiKey, '--user', vector!.userId, '--nonce', vector!.nonce], { out: (text) => out.push(text), err: () => undefined }, { GATEHOUSE_HMAC_SECRET: vector!.apiSecret });
    expect(out).toEqual([vector!.signature]);
  });

  it('exits 2 with the usage on missing or repeated arguments', () => {
    const err: string[] = [];
    expect(runCli(['sign', '--key', 'k'], { out: () => undefined, err: (text) => err.push(text) })).toBe(2);
    expect(err.join('\n')).toMatch(/missing --secret, --user, --nonce/);
    expect(runCli(['sign', '--key', 'k', '--key', 'k'], { out: () => undefined, err: () => undefined })).toBe(2);
    expect(runCli(['verify'], { out: () => undefined, err: () => undefined })).toBe(2);
  });
});

// Property tests, 10,000 runs each. Inside properties, node:assert rather than expect: the same failure with a
// diff, at a fraction of the cost (expect costs about 14 µs a call, most of a run's time).
const RUNS = { numRuns: 10_000 };
const utf8 = new TextEncoder();

/** Text of the kinds a client may type: ASCII, any code point, unpaired surrogates. */
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 24, size: 'max' }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12, size: 'max' }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', 'é', '\n', '\ud800', '\u{1F600}'), maxLength: 6 }) },
);
// Secrets also longer than HMAC's 64-byte block (hashed first). fast-check's default size caps lengths at about 10,
// hence `size: 'max'`.
const secret = fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: fc.string({ minLength: 60, maxLength: 100, size: 'max' }) }).filter((value) => value !== '');
const apiKey = fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 }), text);
const userId = fc.oneof(fc.nat(), text);
const nonce = fc.oneof(fc.nat(), fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }).map(String), text);
const timestamp = fc.option(fc.integer({ min: 0, max: 4_000_000_000 }), { freq: 3 });
const signInput = fc.record({ apiSecret: secret, apiKey, userId, nonce, timestamp });

/** The documented message (KiiEx: Nonce + UserId + APIKey; hardened: the versioned, line-separated form). */
function documentedMessage(input: { apiKey: string; userId: string | number; nonce: string | number; timestamp: number | null }): string {
  return input.timestamp === null
    ? `${input.nonce}${input.userId}${input.apiKey}`
    : `gatehouse-hmac-v1\n${input.timestamp}\n${input.nonce}\n${input.userId}\n${input.apiKey}`;
}

/** The generated input as signAuthenticateUser takes it (no timestamp key when there is none). */
const signInputOf = ({ timestamp, ...rest }: { apiSecret: string; apiKey: string; userId: string | number; nonce: string | number; timestamp: number | null }) => ({
  ...rest,
  ...(timestamp === null ? {} : { timestamp }),
});

const valuesOf = (input: { apiKey: string; userId: string | number; nonce: string | number; timestamp: number | null }): AuthenticateUserValues => ({
  apiKey: input.apiKey,
  userId: String(input.userId),
  nonce: String(input.nonce),
  ...(input.timestamp === null ? {} : { timestamp: String(input.timestamp) }),
});

/**
 * `fc.assert` of a property whose expected answer comes from Web Crypto. Web Crypto answers on the thread pool: one
 * call awaited per run costs 0.1–0.3 ms of round trip, against about 0.025 ms when the calls are concurrent. So the
 * run's inputs are drawn first with its seed (`fc.sample` draws exactly what `fc.assert` will), their references
 * computed concurrently, and the property looks each one up; an input not drawn before (while shrinking a failure)
 * is computed on the spot, so the result never depends on the lookup.
 */
async function assertAgainstWebCrypto<T, R>(arbitrary: fc.Arbitrary<T>, reference: (input: T) => Promise<R>, check: (input: T, expected: R) => void): Promise<void> {
  const seed = fc.readConfigureGlobal().seed ?? Math.floor(Math.random() * 2 ** 31);
  const references = new Map<string, Promise<R>>();
  const referenceOf = (input: T): Promise<R> => {
    const id = JSON.stringify(input);
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

describe('the AuthenticateUser signer (property)', () => {
  it('computeAuthenticateUserSignature and signAuthenticateUser give lower-case hex of Web Crypto HMAC-SHA-256 of the documented message under the UTF-8 secret, for any key, user id, nonce and timestamp; the headers and the body carry the same values', async () => {
    await assertAgainstWebCrypto(
      signInput,
      async (input) => {
        const key = await crypto.subtle.importKey('raw', utf8.encode(input.apiSecret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
        return encodeHex(new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(documentedMessage(input)))));
      },
      (input, expected) => {
        const values = valuesOf(input);
        assert.equal(authenticateUserMessage(values), documentedMessage(input));
        assert.equal(computeAuthenticateUserSignature(input.apiSecret, values), expected);
        const signed = signAuthenticateUser(signInputOf(input));
        const headers: Record<string, string> = { APIKey: input.apiKey, Signature: expected, UserId: String(input.userId), Nonce: String(input.nonce) };
        if (input.timestamp !== null) headers['Timestamp'] = String(input.timestamp);
        assert.equal(signed.signature, expected);
        assert.deepEqual(signed.headers, headers);
        assert.deepEqual(signed.body, headers);
      },
    );
  }, 60_000);

  it('signAuthenticateUser refuses an empty secret and a timestamp that is not whole non-negative seconds', () => {
    fc.assert(
      fc.property(signInput, fc.oneof(fc.constantFrom(-1, 1.5, Number.NaN, Infinity, 2 ** 53), fc.double({ max: -Number.MIN_VALUE })), (input, badTimestamp) => {
        assert.throws(() => signAuthenticateUser({ ...signInputOf(input), apiSecret: '' }), TypeError);
        assert.throws(() => signAuthenticateUser({ ...input, timestamp: badTimestamp }), TypeError);
      }),
      RUNS,
    );
  });
});

describe('signatureMatches (property)', () => {
  // Presented signatures: the right one in any letter case, or near it (one digit changed, cut, extended, a
  // non-hex character, characters whose code's low byte is a hex digit, padded), or another message's.
  const presentedFor = (right: string) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }).map((upper) => Array.from(right, (c, i) => (upper[i] ? c.toUpperCase() : c)).join('')) },
      {
        weight: 3,
        arbitrary: fc.tuple(fc.nat(63), fc.constantFrom(...'0123456789abcdefABCDEF', 'g', 'G', ' ', '\u0161', '\u0130', '\uff10', '\u0000')).map(([at, char]) => `${right.slice(0, at)}${char}${right.slice(at + 1)}`),
      },
      { weight: 1, arbitrary: fc.nat(63).map((length) => right.slice(0, length)) },
      { weight: 1, arbitrary: fc.constantFrom(`${right}0`, ` ${right}`, `${right} `, `${right}\n`, `0x${right.slice(2)}`, right.toUpperCase().slice(0, 63)) },
      { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 64, maxLength: 64 }) },
    );
  const cases = fc
    .record({ apiSecret: secret, apiKey, userId, nonce, timestamp })
    .chain((input) => {
      const right = createHmac('sha256', input.apiSecret).update(documentedMessage(input)).digest('hex');
      return fc.tuple(fc.constant(input), fc.constant(right), presentedFor(right));
    });

  it('signatureMatches and signatureMatchesWith accept the right signature in either hex case and nothing else (by a node:crypto reference)', () => {
    fc.assert(
      fc.property(cases, ([input, right, presented]) => {
        const values = valuesOf(input);
        const expected = /^[0-9a-fA-F]{64}$/.test(presented) && presented.toLowerCase() === right;
        assert.equal(signatureMatches(presented, input.apiSecret, values), expected, presented);
        assert.equal(signatureMatchesWith(presented, createHmacSha256(input.apiSecret), values), expected, presented);
      }),
      RUNS,
    );
  });

  it('a signature never verifies under another secret, user id, nonce, key or timestamp', () => {
    fc.assert(
      fc.property(signInput, signInput, (input, other) => {
        const values = valuesOf(input);
        const signature = computeAuthenticateUserSignature(input.apiSecret, values);
        const otherValues = valuesOf(other);
        // Keys and messages are UTF-8 bytes: two strings with the same bytes (an unpaired surrogate and U+FFFD) are
        // the same key or message.
        const sameBytes = (a: string, b: string): boolean => Buffer.from(a, 'utf8').equals(Buffer.from(b, 'utf8'));
        if (!sameBytes(other.apiSecret, input.apiSecret)) assert.equal(signatureMatches(signature, other.apiSecret, values), false);
        if (!sameBytes(authenticateUserMessage(values), authenticateUserMessage(otherValues))) assert.equal(signatureMatches(signature, input.apiSecret, otherValues), false);
      }),
      RUNS,
    );
  });
});
