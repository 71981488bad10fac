import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRequestBody, findDuplicateJsonKeys, parseFormSafely, parseJsonSafely } from './body.js';
import { parseAuthorizationHeader, parseCookieHeader } from './cookies.js';

describe('parseJsonSafely', () => {
  it('never throws and never pollutes Object.prototype, whatever the input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        parseJsonSafely(text);
        parseJsonSafely(text.replace(/"[^"]*":/, '"__proto__":'));
        expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('drops __proto__, constructor and prototype keys at every depth', () => {
    const value = parseJsonSafely('[{"__proto__":1,"a":{"constructor":2,"prototype":3,"b":4}}]') as unknown as Array<Record<string, Record<string, unknown>>>;
    expect(Object.keys(value[0] as object)).toEqual(['a']);
    expect(Object.keys((value[0] as Record<string, object>)['a'] as object)).toEqual(['b']);
  });

  it('survives deeply nested input', () => {
    expect(parseJsonSafely('['.repeat(100_000))).toBeUndefined();
  });
});

describe('parseFormSafely', () => {
  it('never throws on any text', () => {
    fc.assert(fc.property(fc.string(), (text) => {
      const result = parseFormSafely(text);
      expect(result === null || result instanceof Map).toBe(true);
    }));
  });
});

describe('decodeRequestBody', () => {
  it('recognises +json media types', () => {
    expect(decodeRequestBody(new TextEncoder().encode('1'), 'application/vnd.api+json').type).toBe('json');
  });
});

describe('parseCookieHeader', () => {
  it('never throws and returns only non-empty names', () => {
    fc.assert(fc.property(fc.array(fc.string()), (headers) => {
      for (const name of parseCookieHeader(headers).keys()) expect(name.trim()).toBe(name);
    }));
  });

  it('keeps values exactly as sent, quotes and spaces included', () => {
    const cookies = parseCookieHeader(['a="q"; b= padded ; c=x=y; =nameless; novalue']);
    expect(cookies.get('a')).toEqual(['"q"']);
    expect(cookies.get('b')).toEqual([' padded ']);
    expect(cookies.get('c')).toEqual(['x=y']);
    expect(cookies.has('novalue')).toBe(false);
    expect(cookies.size).toBe(3);
  });

  it('parses a 1 MB header in linear time without throwing', () => {
    const header = `${'x=1; '.repeat(200_000)}access_hash=z`;
    expect(parseCookieHeader([header]).get('access_hash')).toEqual(['z']);
  });
});

describe('parseAuthorizationHeader', () => {
  it('splits the scheme from its parameters, tolerating surrounding whitespace', () => {
    expect(parseAuthorizationHeader('  NVX abc  ')).toEqual({ scheme: 'NVX', parameters: 'abc' });
    expect(parseAuthorizationHeader('nvx\tabc')).toEqual({ scheme: 'nvx', parameters: 'abc' });
    expect(parseAuthorizationHeader('NVX')).toEqual({ scheme: 'NVX', parameters: '' });
  });

  it('returns null when there is no scheme token', () => {
    expect(parseAuthorizationHeader('')).toBeNull();
    expect(parseAuthorizationHeader(' ')).toBeNull();
    expect(parseAuthorizationHeader('(x) y')).toBeNull();
  });
});

describe('findDuplicateJsonKeys', () => {
  it('finds a name repeated in one object, at any depth, with escapes decoded', () => {
    expect(findDuplicateJsonKeys('{"hash":"a","hash":"b"}')).toEqual(['hash']);
    expect(findDuplicateJsonKeys('{"hash":"a","x":{"y":1,"y":2},"hash":"b"}')).toEqual(['x.y', 'hash']);
    expect(findDuplicateJsonKeys('{"a":[{"b":1,"b":2},{"b":3}]}')).toEqual(['a.b']);
    expect(findDuplicateJsonKeys('{"h\\u0061sh":"a","hash":"b"}')).toEqual(['hash']);
    expect(findDuplicateJsonKeys('{"a":"hash","hash":"a","b":{"hash":1}}')).toEqual([]);
    expect(findDuplicateJsonKeys('[{"a":1},{"a":2}]')).toEqual([]);
    expect(findDuplicateJsonKeys('{"s":"\\"hash\\":","hash":1}')).toEqual([]);
  });

  it('agrees with a direct count over random objects with repeated names', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('hash', 'UserId', 'a', 'b\\"c', 'é'), fc.oneof(fc.integer(), fc.string())), { maxLength: 8 }), (members) => {
        const text = `{${members.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(',')}}`;
        const seen = new Set<string>();
        const expected: string[] = [];
        for (const [name] of members) {
          if (seen.has(name) && !expected.includes(name)) expected.push(name);
          seen.add(name);
        }
        expect(findDuplicateJsonKeys(text)).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('is reported with the parsed body', () => {
    expect(decodeRequestBody(new TextEncoder().encode('{"hash":"a","hash":"b"}'), 'application/json')).toEqual({
      type: 'json',
      value: { hash: 'b' },
      duplicateKeys: ['hash'],
    });
  });
});
