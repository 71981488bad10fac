import * as assert from 'node:assert/strict';
import type { AuthRequest, RequestBody } from '@gatehouse/auth-core';
import { parseFormSafely, parseJsonSafely } from '@gatehouse/auth-core/strategy';
import fc from 'fast-check';
import { createFetchRequestAdapter, createNodeRequestAdapterForTests } from './__fixtures__/node-request.js';
import { describe, expect, it } from 'vitest';
import vectors from '../test-vectors/extraction.json' with { type: 'json' };
import { classifyNvxPath, extractNvxHash } from './extract.js';

const toAuthRequest = createFetchRequestAdapter({ maxBodyBytes: 64 * 1024 });

describe('extractNvxHash: published extraction vectors', () => {
  for (const vector of vectors.vectors as Array<{
    name: string;
    url?: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    allowQueryHash?: boolean;
    expect: { type: string; sources?: string[]; code?: string };
  }>) {
    it(`${vector.expect.type === 'found' ? 'accepts' : vector.expect.type === 'none' ? 'finds no hash in' : 'refuses'} ${vector.name}`, async () => {
      const request = toAuthRequest(
        new Request(`http://x${vector.url ?? '/v2/tracker/list'}`, {
          method: vector.method ?? 'GET',
          headers: vector.headers ?? {},
          ...(vector.body === undefined ? {} : { body: vector.body }),
        }),
      );
      const result = await extractNvxHash(request, { allowQueryHash: vector.allowQueryHash ?? false });
      expect(result.type).toBe(vector.expect.type);
      if (result.type === 'found') {
        expect(result.hash).toBe(vectors.hash);
        expect(result.sources).toEqual(vector.expect.sources);
      }
      if (result.type === 'invalid') expect(result.code).toBe(vector.expect.code);
    });
  }
});

describe('extractNvxHash: attacks', () => {
  const hash = vectors.hash;

  it('rejects two Authorization header lines as ambiguous, even when they are equal', async () => {
    const request = await createNodeRequestAdapterForTests([
      ['Authorization', `NVX ${hash}`],
      ['Authorization', `NVX ${hash}`],
    ]);
    expect(await extractNvxHash(request, { allowQueryHash: false })).toEqual({ type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' });
  });

  it('rejects an NVX header next to an Authorization line of another scheme', async () => {
    const request = await createNodeRequestAdapterForTests([
      ['Authorization', 'Bearer abc'],
      ['Authorization', `NVX ${hash}`],
    ]);
    expect(await extractNvxHash(request, { allowQueryHash: false })).toEqual({ type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' });
  });

  it('refuses a 1 MB hash in the header without a store lookup', async () => {
    const request = toAuthRequest(new Request('http://x/v2/tracker/list', { headers: { authorization: `NVX ${'a'.repeat(1 << 20)}` } }));
    expect(await extractNvxHash(request, { allowQueryHash: false })).toEqual({ type: 'invalid', code: 'CREDENTIALS_MALFORMED' });
  });

  it('refuses a 1 MB body as too large rather than reading it', async () => {
    const request = toAuthRequest(
      new Request('http://x/v2/tracker/list', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hash: 'a'.repeat(1 << 20) }) }),
    );
    expect(await extractNvxHash(request, { allowQueryHash: false })).toEqual({ type: 'invalid', code: 'REQUEST_TOO_LARGE' });
  });

  it('refuses a body that is not valid JSON as a malformed request', async () => {
    const request = toAuthRequest(new Request('http://x/v2/tracker/list', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hash":' }));
    expect(await extractNvxHash(request, { allowQueryHash: false })).toEqual({ type: 'invalid', code: 'REQUEST_MALFORMED' });
  });

  it('refuses a body consumed before authentication with INTERNAL_ERROR and a cause, never as malformed or absent', async () => {
    for (const headers of [{ 'content-type': 'application/json' }, { 'content-type': 'application/json', authorization: `NVX ${hash}` }]) {
      const consumed = new Request('http://x/v2/tracker/list', { method: 'POST', headers, body: JSON.stringify({ hash }) });
      await consumed.json();
      const result = await extractNvxHash(toAuthRequest(consumed), { allowQueryHash: false });
      expect(result).toMatchObject({ type: 'invalid', code: 'INTERNAL_ERROR' });
      expect(result.type === 'invalid' && result.cause?.message).toMatch(/consumed before authentication/);
    }
  });

  it('rejects a query hash even next to a valid header when query hashes are off', async () => {
    const request = toAuthRequest(new Request(`http://x/v2/tracker/list?hash=${hash}`, { headers: { authorization: `NVX ${hash}` } }));
    expect(await extractNvxHash(request, { allowQueryHash: false })).toEqual({ type: 'invalid', code: 'CREDENTIALS_NOT_ACCEPTED_HERE' });
  });

  it('rejects a query hash sent twice with different values', async () => {
    const request = toAuthRequest(new Request(`http://x/v2/tracker/list?hash=${hash}&hash=${vectors.other}`));
    expect(await extractNvxHash(request, { allowQueryHash: true })).toEqual({ type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' });
  });

  it('does not pollute Object.prototype through a __proto__ body', async () => {
    const request = toAuthRequest(
      new Request('http://x/v2/tracker/list', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"__proto__":{"hash":"${hash}","polluted":true}}` }),
    );
    await extractNvxHash(request, { allowQueryHash: false });
    expect(({} as Record<string, unknown>)['hash']).toBeUndefined();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('classifyNvxPath', () => {
  const sessions = new Set(['/api/key/list']);
  it('treats every spelling of a panel path as a panel path', () => {
    for (const path of ['/v2/panel/tariff/list', '/v2//panel/tariff/list', '/V2/PANEL/tariff/list', '/v2/%70anel/tariff/list', '/v2/panel%2Ftariff%2Flist', '/v2/panel', '/other/panel/x']) {
      expect(classifyNvxPath(path, '/v2', sessions)).toBe('panel');
    }
  });

  it('recognises key-management paths exactly, with or without a trailing slash', () => {
    expect(classifyNvxPath('/v2/api/key/list', '/v2', sessions)).toBe('key-management');
    expect(classifyNvxPath('/v2/api/key/list/', '/v2', sessions)).toBe('key-management');
    expect(classifyNvxPath('/v2/api/key/list2', '/v2', sessions)).toBe('user');
    expect(classifyNvxPath('/v2/tracker/list', '/v2', sessions)).toBe('user');
  });

  it('returns null for a path that cannot be percent-decoded', () => {
    expect(classifyNvxPath('/v2/%zz', '/v2', sessions)).toBeNull();
  });

  it('returns null for dot segments or backslashes that appear only after decoding', () => {
    for (const path of ['/v2/tracker/..%2Fpanel/tariff/list', '/v2/tracker/%2e%2e/panel/x', '/v2/%2e/tracker/list', '/v2/tracker%5c..%5cpanel']) {
      expect(classifyNvxPath(path, '/v2', sessions)).toBeNull();
    }
  });
});

describe('a hash sent twice in one JSON body', () => {
  it('is ambiguous whether the two values differ or not, never judged by one and used as the other', async () => {
    const toAuthRequest = createFetchRequestAdapter();
    const key = 'c915157ac483e7319b0b257408bc04e1';
    for (const body of [`{"hash":"${'0'.repeat(32)}","hash":"${key}"}`, `{"hash":"${key}","hash":"${key}"}`]) {
      const request = toAuthRequest(new Request('http://x/v2/tracker/list', { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
      expect(await extractNvxHash(request, { allowQueryHash: false })).toMatchObject({ type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' });
    }
  });
});

// extractNvxHash against a reference model of the rules in extract.ts's documentation, over random combinations of
// Authorization lines (as Node delivers them, one entry per line), bodies and query parameters.
//
// The model, in the order the rules apply (the first that applies decides):
// 1. Authorization: an NVX line next to any other line is ambiguous; a lone NVX line's credential must be 32 hex
//    characters (after SP/HTAB trimming), else malformed; a lone line that hides `NVX` after a comma (a Fetch
//    runtime's join of two lines) is ambiguous; any other scheme is not ours.
// 2. Body: too large, malformed (undecodable) and unavailable (consumed before authentication, INTERNAL_ERROR with a
//    cause) refuse the request. A JSON `hash` sent twice is ambiguous; a JSON `hash` that is not a 32-hex string is
//    malformed (a top-level non-object, `Hash` and `__proto__.hash` carry no hash); every form `hash` value must be
//    32 hex characters, else malformed.
// 3. Query: a `hash` parameter when query hashes are off is refused (CREDENTIALS_NOT_ACCEPTED_HERE); every one
//    must be 32 hex characters, else malformed.
// 4. Every hash found must be the same (hex case ignored), else ambiguous; found in lower case, with its sources
//    in the order header, body, query; none when no place carries one.
describe('extractNvxHash: reference model (property, 10,000 runs)', () => {
  type Body = RequestBody;
  type Code = 'CREDENTIALS_AMBIGUOUS' | 'CREDENTIALS_MALFORMED' | 'REQUEST_TOO_LARGE' | 'REQUEST_MALFORMED' | 'INTERNAL_ERROR' | 'CREDENTIALS_NOT_ACCEPTED_HERE';
  type Expected = { type: 'found'; hash: string; sources: string[] } | { type: 'none' } | { type: 'invalid'; code: Code };

  const isHash = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-fA-F]{32}$/.test(value);
  const validHash = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.constantFrom(vectors.hash, vectors.hash, vectors.hash, vectors.other), fc.array(fc.boolean(), { minLength: 32, maxLength: 32 })).map(([hash, upper]) => Array.from(hash, (c, i) => (upper[i] ? c.toUpperCase() : c)).join('')) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 32, maxLength: 32 }) },
  );
  const invalidHash = fc.constantFrom(
    vectors.hash.slice(0, 31),
    `${vectors.hash}a`,
    `g${vectors.hash.slice(1)}`,
    `${vectors.hash} extra`,
    `${vectors.hash}\u00a0`,
    `${vectors.hash}${vectors.other}`,
    `\uff10${vectors.hash.slice(1)}`,
    `${vectors.hash}, Bearer abc`,
    `"${vectors.hash}"`,
    `${vectors.hash}\u0000`,
    `${vectors.hash}\r\nX-Injected: 1`,
    '',
  );
  // Mostly valid, mostly the same hash: agreement across sources must be common enough to be tested.
  const credential = fc.oneof({ weight: 5, arbitrary: validHash }, { weight: 1, arbitrary: invalidHash });

  type Line = { kind: 'nvx'; credential: string; text: string } | { kind: 'hidden' | 'other'; text: string };
  const ws = fc.constantFrom('', '', ' ', '\t');
  const nvxLine = fc
    .record({ lead: ws, scheme: fc.constantFrom('NVX', 'nvx', 'Nvx', 'nVx'), sep: fc.constantFrom(' ', '\t', '  ', ' \t'), credential, trail: ws })
    .map(({ lead, scheme, sep, credential, trail }): Line => ({ kind: 'nvx', credential, text: `${lead}${scheme}${sep}${credential}${trail}` }));
  const otherLine = fc
    .constantFrom('Bearer abc', 'Basic dXNlcjpwYXNz', `NVX${vectors.hash}`, `nvx-key ${vectors.hash}`, 'Digest a=b, nvxfoo', 'Bearer', '', '(x) y')
    .map((text): Line => ({ kind: 'other', text }));
  const hiddenLine = fc
    .tuple(fc.constantFrom('Bearer abc', 'Basic x', 'Digest a=b'), fc.constantFrom(', ', ',', ' , ', ',\t'), fc.constantFrom('NVX', 'nvx'), fc.option(fc.tuple(fc.constantFrom(' ', '\t'), credential)))
    .map(([other, comma, scheme, rest]): Line => ({ kind: 'hidden', text: `${other}${comma}${scheme}${rest === null ? '' : `${rest[0]}${rest[1]}`}` }));
  const lines = fc.oneof(
    { weight: 1, arbitrary: fc.constant<Line[]>([]) },
    { weight: 4, arbitrary: fc.oneof({ weight: 4, arbitrary: nvxLine }, { weight: 1, arbitrary: otherLine }, { weight: 1, arbitrary: hiddenLine }).map((line) => [line]) },
    { weight: 1, arbitrary: fc.array(fc.oneof(nvxLine, otherLine, hiddenLine), { minLength: 2, maxLength: 3 }) },
  );

  type JsonMember = readonly [name: string, value: unknown];
  type BodySpec =
    | { kind: 'none' | 'unsupported' | 'too-large' | 'malformed' | 'unavailable' }
    | { kind: 'json'; topArray: boolean; members: JsonMember[] }
    | { kind: 'form'; pairs: [string, string][] };
  const jsonMember = fc.oneof(
    { weight: 4, arbitrary: fc.oneof(validHash, invalidHash, fc.constantFrom<unknown>(12345, null, true, { $ne: null }, [vectors.hash])).map((value): JsonMember => ['hash', value]) },
    { weight: 2, arbitrary: fc.constantFrom<JsonMember>(['other', 'x'], ['Hash', vectors.hash], ['__proto__', { hash: vectors.hash }], ['user', { hash: vectors.other }]) },
  );
  const formPair = fc.oneof(
    { weight: 3, arbitrary: credential.map((value): [string, string] => ['hash', value]) },
    { weight: 1, arbitrary: fc.constantFrom<[string, string]>(['title', 'Integration Key'], ['Hash', vectors.other], ['hash ', vectors.other]) },
  );
  const bodySpec = fc.oneof(
    { weight: 3, arbitrary: fc.constant<BodySpec>({ kind: 'none' }) },
    { weight: 1, arbitrary: fc.constantFrom<BodySpec>({ kind: 'unsupported' }, { kind: 'too-large' }, { kind: 'malformed' }, { kind: 'unavailable' }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('json' as const), topArray: fc.boolean(), members: fc.array(jsonMember, { maxLength: 3 }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('form' as const), pairs: fc.array(formPair, { maxLength: 3 }) }) },
  );
  const queryPairs = fc.oneof({ weight: 1, arbitrary: fc.constant<[string, string][]>([]) }, { weight: 1, arbitrary: fc.array(fc.oneof({ weight: 3, arbitrary: credential.map((value): [string, string] => ['hash', value]) }, { weight: 1, arbitrary: fc.constant<[string, string]>(['page', '2']) }), { maxLength: 3 }) });
  const encodePairs = (pairs: readonly (readonly [string, string])[]): string => pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');

  function bodyOf(spec: BodySpec): Body {
    switch (spec.kind) {
      case 'none':
        return { type: 'none' };
      case 'unsupported':
        return { type: 'unsupported', contentType: 'text/plain' };
      case 'too-large':
        return { type: 'too-large', maxBodyBytes: 65_536 };
      case 'malformed':
        return { type: 'malformed' };
      case 'unavailable':
        return { type: 'unavailable' };
      case 'json': {
        const object = `{${spec.members.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(',')}}`;
        const value = parseJsonSafely(spec.topArray ? `[${object}]` : object);
        if (value === undefined) throw new Error('the generator wrote invalid JSON');
        // As the adapters' decoder reports them: names repeated in one object (arrays add nothing to the path).
        const names = spec.members.map(([name]) => name);
        const duplicateKeys = names.filter((name, i) => names.indexOf(name) !== i).filter((name, i, all) => all.indexOf(name) === i);
        return duplicateKeys.length === 0 ? { type: 'json', value } : { type: 'json', value, duplicateKeys };
      }
      case 'form': {
        const fields = parseFormSafely(encodePairs(spec.pairs));
        if (fields === null) throw new Error('the generator wrote an undecodable form');
        return { type: 'form', fields };
      }
    }
  }

  function stubRequest(authorization: readonly string[], body: Body, query: URLSearchParams): AuthRequest {
    return {
      method: 'POST',
      url: `/v2/tracker/list?${query}`,
      path: '/v2/tracker/list',
      query: (name) => query.get(name),
      queryValues: (name) => query.getAll(name),
      header: (name) => (name.toLowerCase() === 'authorization' && authorization.length > 0 ? authorization.join(', ') : null),
      headerValues: (name) => (name.toLowerCase() === 'authorization' ? authorization : []),
      cookie: () => null,
      cookieValues: () => [],
      clientIp: '127.0.0.1',
      body: async () => body,
    };
  }

  function model(authorization: readonly Line[], spec: BodySpec, query: readonly (readonly [string, string])[], allowQueryHash: boolean): Expected {
    const refuse = (code: Code): Expected => ({ type: 'invalid', code });
    const found: [string, 'header' | 'body' | 'query'][] = [];
    // 1. Authorization.
    if (authorization.some((line) => line.kind === 'nvx')) {
      if (authorization.length > 1) return refuse('CREDENTIALS_AMBIGUOUS');
      const line = authorization[0] as Extract<Line, { kind: 'nvx' }>;
      if (!isHash(line.credential)) return refuse('CREDENTIALS_MALFORMED');
      found.push([line.credential, 'header']);
    } else if (authorization.length === 1 && authorization[0]?.kind === 'hidden') {
      return refuse('CREDENTIALS_AMBIGUOUS');
    }
    // 2. Body.
    if (spec.kind === 'too-large') return refuse('REQUEST_TOO_LARGE');
    if (spec.kind === 'malformed') return refuse('REQUEST_MALFORMED');
    if (spec.kind === 'unavailable') return refuse('INTERNAL_ERROR');
    if (spec.kind === 'json') {
      const hashes = spec.members.filter(([name]) => name === 'hash');
      // A repeated top-level `hash` is reported at the path `hash` even inside a top-level array: refused too.
      if (hashes.length > 1) return refuse('CREDENTIALS_AMBIGUOUS');
      if (!spec.topArray && hashes.length === 1) {
        const value = (hashes[0] as JsonMember)[1];
        if (!isHash(value)) return refuse('CREDENTIALS_MALFORMED');
        found.push([value, 'body']);
      }
    }
    if (spec.kind === 'form') {
      for (const [name, value] of spec.pairs) {
        if (name !== 'hash') continue;
        if (!isHash(value)) return refuse('CREDENTIALS_MALFORMED');
        found.push([value, 'body']);
      }
    }
    // 3. Query.
    const queryHashes = query.filter(([name]) => name === 'hash').map(([, value]) => value);
    if (queryHashes.length > 0 && !allowQueryHash) return refuse('CREDENTIALS_NOT_ACCEPTED_HERE');
    for (const value of queryHashes) {
      if (!isHash(value)) return refuse('CREDENTIALS_MALFORMED');
      found.push([value, 'query']);
    }
    // 4. Agreement.
    if (found.length === 0) return { type: 'none' };
    const distinct = new Set(found.map(([hash]) => hash.toLowerCase()));
    if (distinct.size > 1) return refuse('CREDENTIALS_AMBIGUOUS');
    return { type: 'found', hash: [...distinct][0] as string, sources: [...new Set(found.map(([, source]) => source))] };
  }

  // node:assert rather than expect inside the property: expect costs about 14 µs a call, most of a run's time.
  it('finds, refuses as ambiguous, malformed or not accepted, or finds nothing exactly as the documented rules say, and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(lines, bodySpec, queryPairs, fc.boolean(), async (authorization, spec, query, allowQueryHash) => {
        const request = stubRequest(
          authorization.map((line) => line.text),
          bodyOf(spec),
          new URLSearchParams(encodePairs(query)),
        );
        const result = await extractNvxHash(request, { allowQueryHash });
        const expected = model(authorization, spec, query, allowQueryHash);
        if (result.type === 'invalid' && result.code === 'INTERNAL_ERROR') {
          assert.match(result.cause?.message ?? '', /consumed before authentication/);
          assert.deepEqual({ type: result.type, code: result.code }, expected);
        } else {
          assert.deepEqual(result, expected);
        }
      }),
      { numRuns: 10_000 },
    );
  }, 60_000);
});
