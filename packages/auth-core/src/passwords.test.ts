import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scrypt as nodeScrypt } from './backend/node.js';
import { scrypt as portableScrypt } from './backend/portable.js';
import { AuthError } from './errors.js';
import { createPasswordHasher, hashPassword, verifyPassword } from './secrets.js';

describe('createPasswordHasher', () => {
  it('checks a password it hashed, and refuses a wrong one', async () => {
    const passwords = createPasswordHasher({ costExponent: 10 });
    const stored = await passwords.hash('demo-password');
    expect(stored).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
    expect(await passwords.verify('demo-password', stored)).toBe(true);
    expect(await passwords.verify('demo-passwore', stored)).toBe(false);
    expect(await verifyPassword('demo-password', stored)).toBe(true);
  });

  it('runs at most maxConcurrent at once, queues maxQueued, and refuses the rest at once with RATE_LIMITED before hashing', async () => {
    const passwords = createPasswordHasher({ costExponent: 12, maxConcurrent: 2, maxQueued: 3 });
    const stored = await passwords.hash('pw');
    const started = performance.now();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => passwords.verify('wrong', stored)));
    const refused = results.filter((result) => result.status === 'rejected');
    expect(refused).toHaveLength(5);
    for (const result of refused) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(AuthError);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'RATE_LIMITED' });
    expect(results.filter((result) => result.status === 'fulfilled' && result.value === false)).toHaveLength(5);
    // Once the queue drains, checks are taken again.
    expect(await passwords.verify('pw', stored)).toBe(true);
    expect(performance.now() - started).toBeGreaterThan(0);
  });

  it('refuses bad options with a ConfigurationError naming them', () => {
    expect(() => createPasswordHasher({ maxConcurrent: 0 })).toThrow(/`maxConcurrent`/);
    expect(() => createPasswordHasher({ maxQueued: -1 })).toThrow(/`maxQueued`/);
    expect(() => createPasswordHasher({ costExponent: 9 })).toThrow(/`costExponent`/);
  });

  it('reads hashes made before, whatever their cost', async () => {
    const stored = await hashPassword('old', { costExponent: 11 });
    expect(await createPasswordHasher({ costExponent: 14 }).verify('old', stored)).toBe(true);
  });
});

describe('the scrypt backends', () => {
  it('give the same bytes, native (node:crypto) and portable (@noble/hashes), for any password and salt', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 1, maxLength: 32 }), fc.constantFrom(2, 4, 8), async (password, salt, r) => {
        const params = { N: 16, r, p: 1, dkLen: 32 };
        expect(await nodeScrypt(password, salt, params)).toEqual(await portableScrypt(password, salt, params));
      }),
      { numRuns: 200 },
    );
  });

  it('match the RFC 7914 test vector', async () => {
    // RFC 7914 §12: scrypt(P="password", S="NaCl", N=1024, r=8, p=16, dkLen=64).
    const expected = 'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640';
    for (const scrypt of [nodeScrypt, portableScrypt]) {
      const key = await scrypt(new TextEncoder().encode('password'), new TextEncoder().encode('NaCl'), { N: 1024, r: 8, p: 16, dkLen: 64 });
      expect(Array.from(key, (byte) => byte.toString(16).padStart(2, '0')).join('')).toBe(expected);
    }
  });
});
