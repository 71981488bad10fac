// Property tests (fast-check, 10,000 runs each) for the header parsers of cookies.ts.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { parseAuthorizationHeader, parseCookieHeader } from './cookies.js';

const RUNS = { numRuns: 10_000 };
const TIMEOUT = 60_000;
// Inside properties, node:assert rather than expect: the same failure with a diff, at a fraction of the cost per
// call (expect costs about 14 µs a call, which at 10,000 runs is most of a property's time).

/** RFC 9110 §11 `credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`, with SP/HTAB trimmed around the whole value. */
const AUTHORIZATION = /^[ \t]*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?:[ \t]+([\s\S]*?))?[ \t]*$/;

function referenceAuthorization(value: unknown): { scheme: string; parameters: string } | null {
  if (typeof value !== 'string') return null;
  const match = AUTHORIZATION.exec(value);
  return match === null ? null : { scheme: match[1] as string, parameters: match[2] ?? '' };
}

/** Text built mostly from the characters the parser decides on, with some arbitrary code points. */
const headerText = fc.oneof(
  fc.string({ unit: fc.constantFrom(' ', '\t', 'N', 'V', 'X', 'n', 'x', '0', 'f', '=', ',', '"', '(', '\u00a0', '\n', '\r', 'é', '!', '~', ':', '/', '+', '\u{1F600}'), maxLength: 14, size: 'max' }),
  fc.array(fc.constantFrom('NVX', 'Bearer', 'Basic', ' ', '\t', '  ', 'abc', '0123abcd', 'a=b', ', ', '\u3000'), { maxLength: 6 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 12, size: 'max' }),
);

describe('parseAuthorizationHeader (property)', () => {
  it(
    'splits every value exactly as the RFC 9110 credentials grammar does (scheme token, 1*SP/HTAB, the rest; SP/HTAB trimmed), and never throws',
    () => {
      fc.assert(
        fc.property(headerText, (value) => {
          assert.deepEqual(parseAuthorizationHeader(value), referenceAuthorization(value));
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    'returns null, without throwing, for any value that is not a string',
    () => {
      fc.assert(
        fc.property(fc.anything({ maxDepth: 1 }), (value) => {
          fc.pre(typeof value !== 'string');
          assert.equal(parseAuthorizationHeader(value as string), null);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );
});

/** A cookie name as a client writes it: no `;` or `=`, no surrounding whitespace, not empty. */
const cookieName = fc.oneof(
  fc.constantFrom('access_hash', 'a', 'A', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'a b', 'é'),
  fc
    .string({ unit: fc.constantFrom('a', 'b', '_', '-', '.', '$', '"', ' ', '\t', ',', 'é', '\u{1F600}', '\u00a0'), minLength: 1, maxLength: 6 })
    .filter((name) => name.trim() === name && name !== ''),
);
/** A cookie value: anything but `;` (quotes, spaces, `=` and commas are kept as sent). */
const cookieValue = fc.string({ unit: fc.constantFrom('0', 'f', 'z', '=', ' ', '\t', '"', ',', '%3B', 'é', '\u{1F600}', '\\'), maxLength: 8 });
/** Pieces a header may carry between `;` that are not cookies: empty, whitespace, no `=`, or an empty name. */
const junkPair = fc.constantFrom('', ' ', '\t', 'novalue', '=nameless', ' =x', '\t=y');

const cookieHeaders = fc
  .record({
    pairs: fc.array(fc.tuple(cookieName, cookieValue), { maxLength: 8 }),
    junk: fc.array(fc.tuple(fc.nat(8), junkPair), { maxLength: 3 }),
    // What follows a `;` belongs to the next name and is trimmed with it; nothing may precede a `;` (it would be
    // part of the value).
    separators: fc.array(fc.constantFrom('; ', ';', ';  ', ';\t'), { minLength: 11, maxLength: 11 }),
    splits: fc.array(fc.nat(10), { maxLength: 2 }),
  })
  .map(({ pairs, junk, separators, splits }) => {
    // The `;`-separated items in order (cookies with junk in between); `splits` cut them into header lines.
    const items: string[] = pairs.map(([name, value]) => `${name}=${value}`);
    for (const [at, piece] of junk) items.splice(Math.min(at, items.length), 0, piece);
    const lines: string[] = [];
    let line: string | null = null;
    for (const [index, item] of items.entries()) {
      if (line !== null && splits.includes(index)) {
        lines.push(line);
        line = null;
      }
      line = line === null ? item : `${line}${separators[index] as string}${item}`;
    }
    if (line !== null) lines.push(line);
    return { pairs, lines };
  });

/** The same rules written with `split`: pairs between `;`, name before the first `=`, trimmed, non-empty. */
function referenceCookies(headerValues: readonly unknown[]): Map<string, string[]> {
  const cookies = new Map<string, string[]>();
  for (const header of headerValues) {
    if (typeof header !== 'string') continue;
    for (const pair of header.split(';')) {
      const equals = pair.indexOf('=');
      if (equals === -1) continue;
      const name = pair.slice(0, equals).trim();
      if (name === '') continue;
      const values = cookies.get(name) ?? [];
      values.push(pair.slice(equals + 1));
      cookies.set(name, values);
    }
  }
  return cookies;
}

describe('parseCookieHeader (property)', () => {
  it(
    'gives back every name=value pair a client wrote, across any number of Cookie lines: each name once, every value of a repeated name in order, values exactly as sent, nothing else',
    () => {
      fc.assert(
        fc.property(cookieHeaders, ({ pairs, lines }) => {
          const expected = new Map<string, string[]>();
          for (const [name, value] of pairs) expected.set(name, [...(expected.get(name) ?? []), value]);
          const parsed = parseCookieHeader(lines);
          assert.deepEqual([...parsed.entries()], [...expected.entries()]);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    'never throws on arbitrary header values (non-strings included) and agrees with a split-based reference',
    () => {
      const anyHeader = fc.oneof(
        { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom('a', '=', ';', ' ', '\t', '"', '\u00a0', '\ufeff', '\n', 'é', '_'), maxLength: 16, size: 'max' }) },
        { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 16, size: 'max' }) },
        { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) },
      );
      fc.assert(
        fc.property(fc.array(anyHeader, { maxLength: 3 }), (headers) => {
          const parsed = parseCookieHeader(headers as string[]);
          assert.deepEqual([...parsed.entries()], [...referenceCookies(headers).entries()]);
          for (const [name, values] of parsed) {
            assert.ok(name === name.trim() && name !== '' && !name.includes(';') && !name.includes('='), `bad name ${JSON.stringify(name)}`);
            for (const value of values) assert.ok(!value.includes(';'), `bad value ${JSON.stringify(value)}`);
          }
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );
});
