// readAuthenticateUser against a reference model of the rules in read.ts's documentation, over random combinations
// of headers (as Node delivers them, one entry per line) and JSON bodies (property, 10,000 runs).
//
// The model, in the order the rules apply (the first that applies decides):
// 1. Any of APIKey, Signature, UserId, Nonce, Timestamp sent as more than one header line is ambiguous.
// 2. A body that is too large, malformed (undecodable) or unavailable (consumed before authentication:
//    INTERNAL_ERROR with a cause) refuses the request.
// 3. A JSON object body: a field named twice in it is ambiguous; then field by field (APIKey, Signature, UserId,
//    Nonce, Timestamp), a value that is neither a string nor a non-negative safe integer is malformed, and one that
//    differs from the same field's header is ambiguous. Any other body (a form, an array, a string) is not read;
//    `apikey`, `__proto__.APIKey` and nested fields are not fields.
// 4. None of APIKey, Signature, UserId, Nonce anywhere: none. Otherwise found, each value from the header or body.
import * as assert from 'node:assert/strict';
import type { AuthRequest, RequestBody } from '@gatehouse/auth-core';
import { parseJsonSafely } from '@gatehouse/auth-core/strategy';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { readAuthenticateUser } from './read.js';

const FIELDS = [
  ['apiKey', 'APIKey'],
  ['signature', 'Signature'],
  ['userId', 'UserId'],
  ['nonce', 'Nonce'],
  ['timestamp', 'Timestamp'],
] as const;
type Key = (typeof FIELDS)[number][0];
type Field = (typeof FIELDS)[number][1];
type Code = 'CREDENTIALS_AMBIGUOUS' | 'CREDENTIALS_MALFORMED' | 'REQUEST_TOO_LARGE' | 'REQUEST_MALFORMED' | 'INTERNAL_ERROR';
type Expected = { type: 'found'; values: Record<Key, string | undefined> } | { type: 'none' } | { type: 'invalid'; code: Code };

// Small pools, so that a header and a body often carry the same value, and often not.
const POOL: Record<Field, readonly string[]> = {
  APIKey: ['ab'.repeat(16), 'cd'.repeat(16)],
  Signature: ['0f'.repeat(32), '0F'.repeat(32)],
  UserId: ['1', '42', '007'],
  Nonce: ['1700000000', 'n-1'],
  Timestamp: ['1795000000', '0'],
};
const headerValue = (field: Field) => fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...POOL[field]) }, { weight: 1, arbitrary: fc.constantFrom('', ' x ', 'é') });
/** Lines of each header: mostly none or one, sometimes two. */
const headers = fc.record(
  Object.fromEntries(
    FIELDS.map(([, field]) => [field, fc.oneof({ weight: 8, arbitrary: fc.constant<string[]>([]) }, { weight: 8, arbitrary: headerValue(field).map((value) => [value]) }, { weight: 1, arbitrary: fc.array(headerValue(field), { minLength: 2, maxLength: 2 }) })]),
  ) as Record<Field, fc.Arbitrary<string[]>>,
);

/** A JSON value of a field: a pool string, a number (a safe non-negative integer is read as its decimal text), or not text at all. */
const jsonValue = (field: Field) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom<unknown>(...POOL[field]) },
    { weight: 2, arbitrary: fc.constantFrom<unknown>(1, 42, 7, 0, 1_700_000_000, 1_795_000_000) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(-1, 1.5, 2 ** 53, 1e21, null, true, { $ne: null }, ['1'], '') },
  );
type Member = readonly [name: string, value: unknown];
const member = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...FIELDS.map(([, field]) => field)).chain((field) => jsonValue(field).map((value): Member => [field, value])) },
  { weight: 1, arbitrary: fc.constantFrom<Member>(['apikey', 'ab'.repeat(16)], ['__proto__', { APIKey: 'ab'.repeat(16) }], ['user', { UserId: '1' }], ['Method', 'AuthenticateUser']) },
);
type BodySpec = { kind: 'none' | 'too-large' | 'malformed' | 'unavailable' | 'form' } | { kind: 'json'; top: 'object' | 'array' | 'string'; members: Member[] };
const bodySpec = fc.oneof(
  { weight: 3, arbitrary: fc.constant<BodySpec>({ kind: 'none' }) },
  { weight: 1, arbitrary: fc.constantFrom<BodySpec>({ kind: 'too-large' }, { kind: 'malformed' }, { kind: 'unavailable' }, { kind: 'form' }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('json' as const),
      top: fc.oneof({ weight: 6, arbitrary: fc.constant('object' as const) }, { weight: 1, arbitrary: fc.constantFrom('array' as const, 'string' as const) }),
      members: fc.array(member, { maxLength: 5 }),
    }),
  },
);

function bodyOf(spec: BodySpec): RequestBody {
  switch (spec.kind) {
    case 'none':
      return { type: 'none' };
    case 'too-large':
      return { type: 'too-large', maxBodyBytes: 65_536 };
    case 'malformed':
      return { type: 'malformed' };
    case 'unavailable':
      return { type: 'unavailable' };
    case 'form':
      return { type: 'form', fields: new Map([['APIKey', ['ab'.repeat(16)]], ['UserId', ['1']]]) };
    case 'json': {
      const object = `{${spec.members.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(',')}}`;
      const text = spec.top === 'object' ? object : spec.top === 'array' ? `[${object}]` : JSON.stringify(object);
      const value = parseJsonSafely(text);
      if (value === undefined) throw new Error('the generator wrote invalid JSON');
      // As the adapters' decoder reports them: names repeated in one object (arrays add nothing to the path).
      const names = spec.members.map(([name]) => name);
      const duplicateKeys = spec.top === 'string' ? [] : names.filter((name, i) => names.indexOf(name) !== i).filter((name, i, all) => all.indexOf(name) === i);
      return duplicateKeys.length === 0 ? { type: 'json', value } : { type: 'json', value, duplicateKeys };
    }
  }
}

function stubRequest(lines: Record<Field, string[]>, body: RequestBody): AuthRequest {
  const byName = new Map<string, string[]>(FIELDS.map(([, field]) => [field.toLowerCase(), lines[field]]));
  return {
    method: 'POST',
    url: '/AuthenticateUser',
    path: '/AuthenticateUser',
    query: () => null,
    queryValues: () => [],
    header: (name) => byName.get(name.toLowerCase())?.join(', ') || null,
    headerValues: (name) => byName.get(name.toLowerCase()) ?? [],
    cookie: () => null,
    cookieValues: () => [],
    clientIp: '127.0.0.1',
    body: async () => body,
  };
}

function model(lines: Record<Field, string[]>, spec: BodySpec): Expected {
  const refuse = (code: Code): Expected => ({ type: 'invalid', code });
  if (FIELDS.some(([, field]) => lines[field].length > 1)) return refuse('CREDENTIALS_AMBIGUOUS');
  if (spec.kind === 'too-large') return refuse('REQUEST_TOO_LARGE');
  if (spec.kind === 'malformed') return refuse('REQUEST_MALFORMED');
  if (spec.kind === 'unavailable') return refuse('INTERNAL_ERROR');
  const values = Object.fromEntries(FIELDS.map(([key, field]) => [key, lines[field][0]])) as Record<Key, string | undefined>;
  if (spec.kind === 'json' && spec.top === 'object') {
    const names = spec.members.map(([name]) => name);
    if (FIELDS.some(([, field]) => names.indexOf(field) !== names.lastIndexOf(field))) return refuse('CREDENTIALS_AMBIGUOUS');
    for (const [key, field] of FIELDS) {
      const found = spec.members.find(([name]) => name === field);
      if (found === undefined) continue;
      const [, raw] = found;
      const value = typeof raw === 'string' ? raw : typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0 ? String(raw) : null;
      if (value === null) return refuse('CREDENTIALS_MALFORMED');
      if (values[key] !== undefined && values[key] !== value) return refuse('CREDENTIALS_AMBIGUOUS');
      values[key] = value;
    }
  }
  if (values.apiKey === undefined && values.signature === undefined && values.userId === undefined && values.nonce === undefined) return { type: 'none' };
  return { type: 'found', values };
}

describe('readAuthenticateUser: reference model (property)', () => {
  // node:assert rather than expect inside the property: expect costs about 14 µs a call, most of a run's time.
  it('reads headers and JSON body exactly as the documented rules say (repeats and disagreements ambiguous, non-text values malformed, unreadable bodies refused) and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(headers, bodySpec, async (lines, spec) => {
        const read = await readAuthenticateUser(stubRequest(lines, bodyOf(spec)));
        const expected = model(lines, spec);
        if (read.type === 'invalid' && read.code === 'INTERNAL_ERROR') {
          assert.match(read.cause?.message ?? '', /consumed before authentication/);
          assert.deepEqual({ type: read.type, code: read.code }, expected);
        } else {
          assert.deepEqual(read, expected);
        }
      }),
      { numRuns: 10_000 },
    );
  }, 60_000);
});
