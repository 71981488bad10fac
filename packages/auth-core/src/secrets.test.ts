import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as nativeBackend from './backend/node.js';
import * as portableBackend from './backend/portable.js';
import {
  constantTimeEqual,
  constantTimeEqualStrings,
  createSecretDigester,
  createSecretSealer,
  decodeBase64Url,
  decodeHex,
  encodeBase64Url,
  encodeHex,
  generateHexToken,
  hashPassword,
  hmacSha256,
  isHexString,
  parseKeyEncryptionKeys,
  sha256Digest,
  verifyPassword,
} from './secrets.js';

const subtle = globalThis.crypto.subtle;

async function webCryptoHmac(key: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const imported = await subtle.importKey('raw', new Uint8Array(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', imported, new Uint8Array(message)));
}

async function webCryptoSha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle.digest('SHA-256', new Uint8Array(data)));
}

// RFC 4231 §4.2–4.8: HMAC-SHA-256 test cases 1–7 (case 5 is truncated to 128 bits by the RFC).
const rfc4231 = [
  { case: 1, key: '0b'.repeat(20), data: '4869205468657265', mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7' },
  { case: 2, key: '4a656665', data: '7768617420646f2079612077616e7420666f72206e6f7468696e673f', mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843' },
  { case: 3, key: 'aa'.repeat(20), data: 'dd'.repeat(50), mac: '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe' },
  { case: 4, key: '0102030405060708090a0b0c0d0e0f10111213141516171819', data: 'cd'.repeat(50), mac: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b' },
  { case: 5, key: '0c'.repeat(20), data: '546573742057697468205472756e636174696f6e', mac: 'a3b6167473100ee06e0c796c2955552b' },
  { case: 6, key: 'aa'.repeat(131), data: '54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374', mac: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54' },
  { case: 7, key: 'aa'.repeat(131), data: '5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e', mac: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2' },
];

// The vectors run against both backends: the one `hmacSha256` uses in this (portable) source, and the native one
// the package's `node`, `bun` and `deno` builds use.
const backends = [
  ['portable (@noble/hashes)', portableBackend],
  ['native (node:crypto)', nativeBackend],
] as const;

describe('hmacSha256', () => {
  for (const [name, backend] of backends) {
    for (const vector of rfc4231) {
      it(`matches RFC 4231 test case ${vector.case} on the ${name} backend, one-shot and with a prepared key`, async () => {
        const key = decodeHex(vector.key);
        const data = decodeHex(vector.data);
        const mac = encodeHex(backend.hmacSha256(key, data));
        expect(mac.slice(0, vector.mac.length)).toBe(vector.mac);
        expect(encodeHex(backend.createHmacSha256(key).bytes(data))).toBe(mac);
        expect(backend.createHmacSha256(key).hex(data)).toBe(mac);
        expect(encodeHex(await webCryptoHmac(key, data))).toBe(mac);
      });
    }
  }

  it('matches RFC 4231 test case 2 through the public function, with the key and message as text', () => {
    // Test case 2's key and data are ASCII: "Jefe", "what do ya want for nothing?".
    expect(encodeHex(hmacSha256('Jefe', 'what do ya want for nothing?'))).toBe(rfc4231[1]!.mac);
  });

  it('agrees with Web Crypto on random keys and messages', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200, size: 'max' }), fc.uint8Array({ maxLength: 300, size: 'max' }), async (key, message) => {
        expect(encodeHex(hmacSha256(key, message))).toBe(encodeHex(await webCryptoHmac(key, message)));
      }),
      { numRuns: 200 },
    );
  });

  it('encodes string keys and messages as UTF-8', async () => {
    const key = new TextEncoder().encode('clé');
    const message = new TextEncoder().encode('1234ünïcode');
    expect(encodeHex(hmacSha256('clé', '1234ünïcode'))).toBe(encodeHex(await webCryptoHmac(key, message)));
  });
});

describe('sha256Digest', () => {
  it('matches the FIPS 180-2 "abc" vector', () => {
    expect(encodeHex(sha256Digest('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('agrees with Web Crypto on random input', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 500, size: 'max' }), async (data) => {
        expect(encodeHex(sha256Digest(data))).toBe(encodeHex(await webCryptoSha256(data)));
      }),
      { numRuns: 200 },
    );
  });
});

describe('createSecretDigester', () => {
  it('digests with plain SHA-256 when no pepper is set, matching Web Crypto', async () => {
    const digest = createSecretDigester();
    const token = generateHexToken(16);
    expect(digest(token)).toBe(encodeHex(await webCryptoSha256(new TextEncoder().encode(token))));
    expect(digest(token)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('digests with HMAC-SHA256 under the pepper, matching Web Crypto, and reuses no state between calls', async () => {
    const pepper = new Uint8Array(32).map((_, i) => i);
    const digest = createSecretDigester({ pepper });
    for (const token of ['a', generateHexToken(16), 'a']) {
      expect(digest(token)).toBe(encodeHex(await webCryptoHmac(pepper, new TextEncoder().encode(token))));
    }
  });

  it('refuses a pepper shorter than 32 bytes, naming the option', () => {
    expect(() => createSecretDigester({ pepper: new Uint8Array(16) })).toThrow(/`pepper`/);
  });
});

describe('hex', () => {
  it('round-trips any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      expect(decodeHex(encodeHex(bytes))).toEqual(bytes);
    }));
  });

  it('rejects an odd number of digits instead of truncating', () => {
    expect(() => decodeHex('abc')).toThrow(/odd/);
  });

  it('rejects non-hex characters, including spaces, signs and 0x prefixes', () => {
    for (const bad of ['zz', '0x00', ' 00', '+1', '0g', '１２']) expect(() => decodeHex(bad)).toThrow(TypeError);
  });

  it('accepts either case', () => {
    expect(decodeHex('ABcd')).toEqual(new Uint8Array([0xab, 0xcd]));
  });

  it('checks exact lengths with isHexString', () => {
    expect(isHexString('ab'.repeat(16), 32)).toBe(true);
    expect(isHexString('ab'.repeat(16), 31)).toBe(false);
    expect(isHexString(12 as unknown)).toBe(false);
  });
});

describe('base64url', () => {
  it('round-trips any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      expect(decodeBase64Url(encodeBase64Url(bytes))).toEqual(bytes);
    }));
  });

  it('rejects padding, the standard alphabet and non-canonical trailing bits', () => {
    expect(decodeBase64Url('-_8=')).toBeNull();
    expect(decodeBase64Url('+/8')).toBeNull();
    expect(decodeBase64Url('-_9')).toBeNull();
    expect(decodeBase64Url('A')).toBeNull();
  });
});

describe('generateHexToken', () => {
  it('returns 2 × byteCount lower-case hex characters', () => {
    expect(generateHexToken(16)).toMatch(/^[0-9a-f]{32}$/);
    expect(generateHexToken(40)).toMatch(/^[0-9a-f]{80}$/);
  });

  it('never repeats in 10,000 draws', () => {
    const seen = new Set(Array.from({ length: 10_000 }, () => generateHexToken(16)));
    expect(seen.size).toBe(10_000);
  });

  it('refuses fewer than 128 bits', () => {
    expect(() => generateHexToken(15)).toThrow(RangeError);
    expect(() => generateHexToken(16.5)).toThrow(RangeError);
  });
});

describe('constantTimeEqual', () => {
  it('agrees with ordinary equality', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
      expect(constantTimeEqual(a, b)).toBe(encodeHex(a) === encodeHex(b));
      expect(constantTimeEqual(a, a.slice())).toBe(true);
    }));
  });

  it('compares strings by UTF-8 bytes', () => {
    expect(constantTimeEqualStrings('é', 'é')).toBe(true);
    expect(constantTimeEqualStrings('é', 'e\u0301')).toBe(false);
  });
});

describe('createSecretSealer', () => {
  const key1 = new Uint8Array(32).fill(1);
  const key2 = new Uint8Array(32).fill(2);

  it('opens what it sealed, in the same context', () => {
    const sealer = createSecretSealer([key1]);
    const sealed = sealer.seal('s3cret-ünïcode', 'credential:c1');
    expect(sealed).toMatch(/^gh1\.[0-9a-f]{12}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('s3cret');
    expect(sealer.open(sealed, 'credential:c1')).toBe('s3cret-ünïcode');
  });

  it('uses a fresh nonce for every seal', () => {
    const sealer = createSecretSealer([key1]);
    expect(sealer.seal('x', 'c')).not.toBe(sealer.seal('x', 'c'));
  });

  it('refuses to open a value moved to another context', () => {
    const sealer = createSecretSealer([key1]);
    expect(sealer.open(sealer.seal('x', 'credential:c1'), 'credential:c2')).toBeNull();
  });

  it('refuses to open a tampered value', () => {
    const sealer = createSecretSealer([key1]);
    const sealed = sealer.seal('secret', 'c');
    const last = sealed.at(-2) === 'A' ? 'B' : 'A';
    expect(sealer.open(`${sealed.slice(0, -2)}${last}${sealed.at(-1)}`, 'c')).toBeNull();
    expect(sealer.open('gh1.zz.zz.zz', 'c')).toBeNull();
    expect(sealer.open('', 'c')).toBeNull();
  });

  it('opens values sealed under an older key after rotation and says they need resealing', () => {
    const old = createSecretSealer([key1]).seal('secret', 'c');
    const rotated = createSecretSealer([key2, key1]);
    expect(rotated.open(old, 'c')).toBe('secret');
    expect(rotated.needsReseal(old)).toBe(true);
    expect(rotated.needsReseal(rotated.seal('secret', 'c'))).toBe(false);
    expect(createSecretSealer([key2]).open(old, 'c')).toBeNull();
  });

  it('refuses keys that are not 32 bytes, naming the option', () => {
    expect(() => createSecretSealer([new Uint8Array(16)])).toThrow(/`keys`/);
    expect(() => createSecretSealer([])).toThrow(/`keys`/);
  });

  it('parses comma-separated hex and base64url keys and refuses anything else', () => {
    const keys = parseKeyEncryptionKeys(`${'ab'.repeat(32)}, ${encodeBase64Url(key2)}`);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toEqual(key2);
    expect(() => parseKeyEncryptionKeys('abcd')).toThrow(/GATEHOUSE_KEK/);
    expect(() => parseKeyEncryptionKeys('')).toThrow(/GATEHOUSE_KEK/);
  });
});

describe('password hashing', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('demo-password', { costExponent: 10 });
    expect(stored).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword('demo-password', stored)).toBe(true);
    expect(await verifyPassword('demo-passwore', stored)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('x', { costExponent: 10 })).not.toBe(await hashPassword('x', { costExponent: 10 }));
  });

  it('returns false for malformed stored hashes instead of throwing', async () => {
    for (const bad of ['', 'plain', '$scrypt$ln=99,r=8,p=1$AAAA$AAAA', '$scrypt$ln=10,r=8,p=1$!!$AAAA']) {
      expect(await verifyPassword('x', bad)).toBe(false);
    }
  });

  it('refuses a cost outside 10..20, naming the option', async () => {
    await expect(hashPassword('x', { costExponent: 4 })).rejects.toThrow(/`costExponent`/);
  });
});
