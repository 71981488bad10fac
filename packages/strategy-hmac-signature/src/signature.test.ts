import { execFileSync } from 'node:child_process';
import { decodeHex, encodeHex, hmacSha256 } from '@gatehouse/auth-core/crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import wycheproof from '../test-vectors/wycheproof/hmac_sha256_test.json' with { type: 'json' };
import scheme from '../test-vectors/signatures.json' with { type: 'json' };
import { runCli } from './cli.js';
import { authenticateUserMessage, computeAuthenticateUserSignature, signAuthenticateUser, signatureMatches } from './index.js';

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

describe('HMAC-SHA256 (the primitive under the signature)', () => {
  RFC4231.forEach(([key, data, mac], index) => {
    it(`matches RFC 4231 test case ${index + 1}, and Web Crypto`, async () => {
      const ours = encodeHex(hmacSha256(decodeHex(key), decodeHex(data)));
      expect(ours.slice(0, mac.length)).toBe(mac);
      expect(await webCryptoHmac(decodeHex(key), decodeHex(data))).toBe(ours);
    });
  });

  const tests = wycheproof.testGroups.flatMap((group) => group.tests.map((test) => ({ ...test, tagSize: group.tagSize })));
  it(`runs all ${wycheproof.numberOfTests} Wycheproof HMAC-SHA256 cases`, () => {
    expect(tests).toHaveLength(174);
  });
  for (const test of tests) {
    it(`Wycheproof tcId ${test.tcId} (${test.result}${test.comment ? `: ${test.comment}` : ''})`, async () => {
      const full = encodeHex(hmacSha256(decodeHex(test.key), decodeHex(test.msg)));
      const computed = full.slice(0, test.tagSize / 4);
      expect(computed === test.tag).toBe(test.result === 'valid');
      expect(await webCryptoHmac(decodeHex(test.key), decodeHex(test.msg))).toBe(full);
    });
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
