// The fast paths added for apps/bench must give exactly the answers of the straightforward code they replaced.
// No test here measures time.
import fc from 'fast-check';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { parseAuthorizationHeader } from './cookies.js';
import { AuthError } from './errors.js';
import { newCredentialId, touchQuietly } from './manage.js';
import { createMemoryCredentialStore, createMemoryEphemeralStore } from './memory-stores.js';
import { createNodeRequestAdapter, type NodeIncomingMessage } from './node.js';
import { rejected } from './outcome.js';
import { createFetchRequestAdapter } from './request.js';
import {
  constantTimeEqualStrings,
  createHmacSha256,
  createSecretDigester,
  decodeHex,
  encodeHex,
  hmacSha256,
  isHexString,
  sha256Digest,
} from './secrets.js';
import type { CredentialStore, NewCredentialRecord } from './stores.js';
import { createManualClock } from './clock.js';

const referenceHex = (bytes: Uint8Array): string => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('hex and digests', () => {
  it('encodeHex matches the byte-by-byte encoding, across the chunk boundary too', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 9000, size: 'max' }), (bytes) => encodeHex(bytes) === referenceHex(bytes)), { numRuns: 60 });
    const large = new Uint8Array(4096 * 2 + 3).map((_, i) => i & 0xff);
    expect(encodeHex(large)).toBe(referenceHex(large));
  });

  it('decodeHex and isHexString agree with parseInt on every character', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const valid = text.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(text);
        expect(isHexString(text)).toBe(valid);
        if (valid) expect(Array.from(decodeHex(text))).toEqual(Array.from({ length: text.length / 2 }, (_, i) => parseInt(text.slice(2 * i, 2 * i + 2), 16)));
        else expect(() => decodeHex(text)).toThrow(TypeError);
      }),
    );
    expect(isHexString('٠١', 2)).toBe(false);
  });

  it('digests (plain and peppered) equal noble one-shot SHA-256 / HMAC of the UTF-8 bytes, ASCII or not', () => {
    const pepper = new Uint8Array(32).fill(9);
    const plain = createSecretDigester();
    const peppered = createSecretDigester({ pepper });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 600, size: 'max' }), fc.string({ unit: 'binary', maxLength: 60 })), (secret) => {
        expect(plain(secret)).toBe(referenceHex(sha256(utf8(secret))));
        expect(peppered(secret)).toBe(referenceHex(hmac(sha256, pepper, utf8(secret))));
        expect(referenceHex(sha256Digest(secret))).toBe(referenceHex(sha256(utf8(secret))));
      }),
      { numRuns: 80 },
    );
  }, 30_000);

  it('gives every digest and MAC the same value whatever was hashed before it (one input buffer is reused)', () => {
    const digest = createSecretDigester();
    const mac = createHmacSha256('k');
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', 'f', '0', '9', 'Z', '~'), maxLength: 520, size: 'max' }),
      fc.tuple(fc.string({ maxLength: 100 }), fc.constantFrom('é', '€', '\u{1F600}')).map(([ascii, other]) => ascii + other),
    );
    fc.assert(
      fc.property(fc.array(text, { minLength: 2, maxLength: 8 }), (texts) => {
        for (const each of texts) {
          expect(digest(each)).toBe(referenceHex(sha256(utf8(each))));
          expect(referenceHex(mac(each))).toBe(referenceHex(hmac(sha256, utf8('k'), utf8(each))));
        }
      }),
      { numRuns: 60 },
    );
  }, 30_000);

  it('createHmacSha256 gives the same MAC as hmacSha256, call after call, for keys shorter and longer than a block', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ minLength: 1, maxLength: 100 }), fc.uint8Array({ minLength: 1, maxLength: 100 })), fc.array(fc.string({ maxLength: 200 }), { maxLength: 5 }), (key, messages) => {
        const mac = createHmacSha256(key);
        for (const message of messages) expect(referenceHex(mac(message))).toBe(referenceHex(hmacSha256(key, message)));
      }),
      { numRuns: 100 },
    );
  });

  it('constantTimeEqualStrings compares UTF-8 bytes', () => {
    expect(constantTimeEqualStrings('é', 'é')).toBe(true);
    expect(constantTimeEqualStrings('é', 'e')).toBe(false);
    expect(constantTimeEqualStrings('abc', 'abd')).toBe(false);
  });

  it('newCredentialId keeps its format', () => {
    expect(newCredentialId('nvx')).toMatch(/^nvx_[A-Za-z0-9_-]{16}$/);
  });
});

describe('parseAuthorizationHeader', () => {
  // The regular expressions it used before, kept as the reference.
  const reference = (value: string): { scheme: string; parameters: string } | null => {
    const trimmed = value.replace(/^[ \t]+|[ \t]+$/g, '');
    const match = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?:[ \t]+([\s\S]*))?$/.exec(trimmed);
    return match === null ? null : { scheme: match[1] as string, parameters: match[2] ?? '' };
  };

  it('parses exactly as the regular expressions did', () => {
    const pieces = fc.constantFrom(' ', '\t', 'NVX', 'Bearer', 'a', '=', ',', ':', '\n', '\r', 'é', '0f', '"x"', '');
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 8 }).map((parts) => parts.join('')), (value) => {
        expect(parseAuthorizationHeader(value)).toEqual(reference(value));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string(), (value) => {
        expect(parseAuthorizationHeader(value)).toEqual(reference(value));
      }),
    );
  });
});

describe('rejected', () => {
  it('builds an AuthError with its code, status and cause, without a captured call stack', () => {
    const cause = new Error('disk full');
    const outcome = rejected('STORE_UNAVAILABLE', cause);
    expect(outcome.type).toBe('rejected');
    if (outcome.type !== 'rejected') return;
    expect(outcome.error).toBeInstanceOf(AuthError);
    expect(outcome.error.code).toBe('STORE_UNAVAILABLE');
    expect(outcome.error.httpStatus).toBe(503);
    expect(outcome.error.cause).toBe(cause);
    expect(outcome.error.stack).toBe(`AuthError: ${outcome.error.message}`);
    // The global limit is restored, so other errors keep their stacks.
    expect(new Error('x').stack?.split('\n').length).toBeGreaterThan(1);
  });
});

describe('touchQuietly', () => {
  it('touches at once and swallows synchronous throws and rejections', async () => {
    const calls: string[] = [];
    const store = (touch: CredentialStore['touch']): CredentialStore => ({ touch }) as unknown as CredentialStore;
    touchQuietly(store(async (id) => void calls.push(id)), 'a', 1);
    expect(calls).toEqual(['a']);
    touchQuietly(store(() => { throw new Error('sync'); }), 'b', 1);
    touchQuietly(store(() => Promise.reject(new Error('async'))), 'c', 1);
    touchQuietly(store((() => undefined) as unknown as CredentialStore['touch']), 'd', 1);
    await new Promise((resolve) => setTimeout(resolve, 10));
  });
});

describe('request adapters: paths without URL parsing', () => {
  const toFetch = createFetchRequestAdapter();
  const toNode = createNodeRequestAdapter();
  const incoming = (url: string, rawHeaders: string[] = []): NodeIncomingMessage =>
    ({ method: 'GET', url, rawHeaders, socket: { remoteAddress: '127.0.0.1' }, on() {}, off() {}, pause() {}, resume() {} }) as NodeIncomingMessage;

  it('gives the path and query WHATWG URL parsing gives, for plain and unusual targets', () => {
    const targets = fc.array(fc.constantFrom('/', 'a', 'Z', '0', '-', '_', '~', '.', '..', '%2e', '%41', '?', '#', '&', '=', 'é', '\\', ' ', ':', '@'), { maxLength: 10 });
    fc.assert(
      fc.property(targets, (parts) => {
        const url = `/${parts.join('')}`;
        const request = toNode(incoming(url));
        let parsed: URL | null;
        try {
          parsed = new URL(url, 'http://gatehouse.invalid');
        } catch {
          parsed = null;
        }
        expect(request.path).toBe(parsed?.pathname ?? '/');
        expect(request.queryValues('a')).toEqual(parsed?.searchParams.getAll('a') ?? []);
      }),
      { numRuns: 1000 },
    );
    expect(toNode(incoming('//evil.test/x')).path).toBe('/x');
    expect(toNode(incoming('/v2/tracker/list')).query('hash')).toBeNull();
    expect(toFetch(new Request('http://x/v2/./a/../list')).path).toBe('/v2/list');
  });

  it('reads Node header names case-insensitively, ASCII or not, and answers GET bodies without reading', async () => {
    const request = toNode(incoming('/', ['AUTHORIZATION', 'NVX a', 'Authorization', 'NVX b', 'K', 'kelvin']));
    expect(request.headerValues('authorization')).toEqual(['NVX a', 'NVX b']);
    expect(request.headerValues('k')).toEqual(['kelvin']);
    expect(request.headerValues('x-missing')).toEqual([]);
    expect(await request.body()).toEqual({ type: 'none' });
  });
});

const record = (id: string, overrides: Partial<NewCredentialRecord> = {}): NewCredentialRecord => ({
  id,
  digest: `digest-${id}`,
  strategy: 's',
  kind: 'k',
  ownerId: 'o',
  parentId: null,
  label: id,
  hint: '',
  scopes: [],
  allowedIps: [],
  sealedSecret: null,
  attributes: {},
  createdAt: 1,
  expiresAt: null,
  ...overrides,
});

describe('createMemoryCredentialStore: compact storage', () => {
  it('returns frozen records with every field, whatever extra fields the caller passed', async () => {
    const store = createMemoryCredentialStore();
    await store.insert({ ...record('a', { scopes: ['x'], attributes: { accountType: 'master' } }), extra: 1 } as NewCredentialRecord);
    const found = await store.findByDigest('digest-a');
    expect(found).toEqual({ ...record('a', { scopes: ['x'], attributes: { accountType: 'master' } }), lastUsedAt: null, revokedAt: null });
    expect(Object.isFrozen(found)).toBe(true);
    expect(Object.isFrozen(found?.scopes)).toBe(true);
    expect(Object.isFrozen(found?.allowedIps)).toBe(true);
    expect(Object.isFrozen(found?.attributes)).toBe(true);
    expect(await store.findById('a')).toBe(found);
  });

  it('shares equal attributes but never confuses values JSON would merge', async () => {
    const store = createMemoryCredentialStore();
    const inserted: [string, NewCredentialRecord['attributes']][] = [
      ['a', { accountType: 'master' }],
      ['b', { accountType: 'master' }],
      ['c', { n: null }],
      ['d', { n: Number.NaN }],
      ['e', { n: 0 }],
      ['f', { n: -0 }],
      ['g', { n: undefined } as unknown as NewCredentialRecord['attributes']],
      ['h', { m: undefined } as unknown as NewCredentialRecord['attributes']],
      ['i', { a: 1, b: 2 }],
      ['j', { b: 2, a: 1 }],
    ];
    for (const [id, attributes] of inserted) await store.insert(record(id, { attributes }));
    const attributesOf = async (id: string) => (await store.findById(id))?.attributes;
    expect(await attributesOf('a')).toBe(await attributesOf('b'));
    for (const [id, attributes] of inserted) {
      const stored = await attributesOf(id);
      expect(Object.keys(stored ?? {})).toEqual(Object.keys(attributes));
      for (const key of Object.keys(attributes)) expect(Object.is(stored?.[key], attributes[key])).toBe(true);
    }
  });

  it('keeps owner and parent indexes right as groups grow past the small-group size and shrink again', async () => {
    const store = createMemoryCredentialStore();
    for (let i = 0; i < 40; i++) await store.insert(record(`k${i}`, { ownerId: 'many', createdAt: i, parentId: i === 0 ? null : 'k0' }));
    await store.insert(record('solo', { ownerId: 'one' }));
    expect((await store.listByOwner('many')).map((found) => found.id)).toEqual(Array.from({ length: 40 }, (_, i) => `k${i}`));
    expect((await store.listByOwner('one')).map((found) => found.id)).toEqual(['solo']);
    expect(await store.insert(record('k41', { ownerId: 'many' }), { maxActivePerOwner: 40, now: 0 })).toEqual({ type: 'limit-exceeded', limit: 40 });
    expect(await store.revoke('k0', 5)).toBe(true);
    expect((await store.listByOwner('many', { activeAt: 6 })).length).toBe(0);
    expect(await store.deleteInactive(6)).toBe(40);
    expect(await store.listByOwner('many')).toEqual([]);
    expect(await store.insert(record('k0', { ownerId: 'many' }))).toEqual({ type: 'inserted' });
    expect((await store.listByOwner('many')).map((found) => found.id)).toEqual(['k0']);
  });

  it('finds a touched, updated or revoked record by digest and id alike', async () => {
    const store = createMemoryCredentialStore({ touchIntervalInSeconds: 0 });
    await store.insert(record('a'));
    await store.touch('a', 10);
    await store.update('a', { label: 'renamed', scopes: ['y'] });
    await store.revoke('a', 20);
    const byDigest = await store.findByDigest('digest-a');
    expect(byDigest).toBe(await store.findById('a'));
    expect(byDigest).toMatchObject({ label: 'renamed', scopes: ['y'], lastUsedAt: 10, revokedAt: 20 });
  });

  it('touches the current record after findByDigest, even when it changed or went away in between', async () => {
    const store = createMemoryCredentialStore({ touchIntervalInSeconds: 0 });
    await store.insert(record('a'));
    await store.insert(record('b'));
    await store.findByDigest('digest-a');
    await store.update('a', { label: 'renamed' });
    await store.revoke('a', 5);
    await store.touch('a', 10);
    expect(await store.findById('a')).toMatchObject({ label: 'renamed', revokedAt: 5, lastUsedAt: 10 });
    // Another record found in between: the touch still lands on the one named.
    await store.findByDigest('digest-a');
    await store.findByDigest('digest-b');
    await store.touch('a', 20);
    expect((await store.findById('a'))?.lastUsedAt).toBe(20);
    expect((await store.findById('b'))?.lastUsedAt).toBeNull();
    // Purged after being found: a touch neither fails nor brings it back.
    await store.findByDigest('digest-a');
    expect(await store.deleteInactive(6)).toBe(1);
    await store.touch('a', 30);
    expect(await store.findById('a')).toBeNull();
    expect(await store.findByDigest('digest-a')).toBeNull();
  });
});

describe('createMemoryEphemeralStore: compact entries', () => {
  it('keeps the meaning of markers, counters and greater values across every operation on one key', async () => {
    const clock = createManualClock(1_000);
    const store = createMemoryEphemeralStore({ clock });
    expect(await store.setIfAbsent('k', 10)).toBe(true);
    expect(await store.get('k')).toBe(1);
    // A counter started by a marker keeps the marker's expiry (a fixed window).
    expect(await store.increment('k', 100)).toBe(2);
    expect(await store.increment('k', 100)).toBe(3);
    expect(await store.setIfGreater('k', 3, 100)).toBe(false);
    clock.advanceBySeconds(10);
    expect(await store.get('k')).toBeNull();
    expect(await store.increment('k', 5)).toBe(1);
    expect(await store.get('k')).toBe(1);
    expect(await store.setIfGreater('k', 1, 5)).toBe(false);
    expect(await store.setIfGreater('k', 7, null)).toBe(true);
    clock.advanceBySeconds(1_000_000_000);
    expect(await store.get('k')).toBe(7);
    expect(await store.setIfAbsent('k', 1)).toBe(false);
    // Expiries far beyond the small-integer range, and fractional clocks, behave the same.
    const far = createMemoryEphemeralStore({ clock: createManualClock(0.25) });
    expect(await far.setIfAbsent('x', 10 * 365 * 86_400)).toBe(true);
    expect(await far.get('x')).toBe(1);
    expect(await far.setIfGreater('one', 1, 60)).toBe(true);
    expect(await far.get('one')).toBe(1);
    expect(await far.setIfGreater('one', 1, 60)).toBe(false);
    expect(await far.increment('one', 60)).toBe(2);
  });
});

describe('createMemoryEphemeralStore: sweeping', () => {
  it('still sweeps expired entries once something can have expired, and keeps the live ones', async () => {
    const clock = createManualClock(0);
    const store = createMemoryEphemeralStore({ clock, sweepEveryWrites: 2 });
    await store.setIfAbsent('short', 1);
    await store.setIfAbsent('long', 100);
    await store.setIfGreater('forever', 1, null);
    const deleted: unknown[] = [];
    clock.advanceBySeconds(2);
    const originalDelete = Map.prototype.delete;
    Map.prototype.delete = function (this: Map<unknown, unknown>, key: unknown): boolean {
      deleted.push(key);
      return originalDelete.call(this, key);
    };
    try {
      await store.setIfAbsent('a', 100);
      await store.setIfAbsent('b', 100);
    } finally {
      Map.prototype.delete = originalDelete;
    }
    // The sweep on the 4th write removed the expired entry without anyone reading it.
    expect(deleted).toContain('short');
    expect(deleted).not.toContain('long');
    expect(await store.get('short')).toBeNull();
    expect(await store.get('long')).toBe(1);
    expect(await store.setIfAbsent('short', 1)).toBe(true);
    expect(await store.setIfAbsent('long', 1)).toBe(false);
  });
});
