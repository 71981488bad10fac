// Property tests (fast-check, 10,000 runs each) for body.ts: the body decoder and the safe JSON, form and
// duplicate-key parsers.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { decodeRequestBody, findDuplicateJsonKeys, parseFormSafely, parseJsonSafely, type JsonValue } from './body.js';

const RUNS = { numRuns: 10_000 };
const TIMEOUT = 60_000;
// Inside properties, node:assert rather than expect: the same failure with a diff, at a fraction of the cost per
// call (expect costs about 14 µs a call, which at 10,000 runs is most of a property's time).
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const utf8 = new TextEncoder();
const OBJECT_PROTOTYPE_KEYS = Reflect.ownKeys(Object.prototype);

function assertPrototypesUntouched(): void {
  assert.deepEqual(Reflect.ownKeys(Object.prototype), OBJECT_PROTOTYPE_KEYS);
  const probe = {} as Record<string, unknown>;
  for (const key of ['hash', 'polluted', 'admin', 'a']) assert.equal(probe[key], undefined, `Object.prototype.${key} is set`);
}

// A JSON document as a tree, so that its text can repeat names and spell them with escapes, and the expected
// answers can be computed from the tree rather than from the text.
type Doc =
  | { readonly kind: 'leaf'; readonly value: string | number | boolean | null }
  | { readonly kind: 'array'; readonly items: readonly Doc[] }
  | { readonly kind: 'object'; readonly members: readonly (readonly [name: string, escaped: boolean, value: Doc])[] };

const memberName = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('hash', 'UserId', 'a', 'b', 'a.b', '__proto__', 'constructor', 'prototype', 'b"c', '\\', 'é', '\u{1F600}', '', '0', '1') },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', '"', '\\', ':', '{', ',', ' ', 'é', '\n'), maxLength: 3 }) },
);
const leaf = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', '"', ':', '{', '}', '[', ']', ',', '\\', ' ', 'é', '\u0000'), maxLength: 6 }),
  fc.constantFrom('"hash":', '{"hash":1,"hash":2}', 'hash'),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
).map((value): Doc => ({ kind: 'leaf', value: Object.is(value, -0) ? 0 : value }));
const { doc, object } = fc.letrec<{ doc: Doc; object: Doc; array: Doc }>((tie) => ({
  doc: fc.oneof({ maxDepth: 3, depthIdentifier: 'json-doc', withCrossShrink: true }, leaf, tie('object'), tie('array')),
  object: fc
    .array(fc.tuple(memberName, fc.boolean(), tie('doc')), { maxLength: 5, depthIdentifier: 'json-doc' })
    .map((members): Doc => ({ kind: 'object', members })),
  array: fc.array(tie('doc'), { maxLength: 3, depthIdentifier: 'json-doc' }).map((items): Doc => ({ kind: 'array', items })),
}));
/** A top-level object (most of the time) or any document. */
const topDoc = fc.oneof({ weight: 4, arbitrary: object }, { weight: 1, arbitrary: doc });
const whitespace = fc.constantFrom('', ' ', '\n', '\t', ' \r\n ');

/** Every UTF-16 unit as `\uXXXX`: the same name as JSON sees it, spelled so no byte of it matches. */
const escapeAll = (name: string): string => `"${Array.from({ length: name.length }, (_, i) => `\\u${name.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')}"`;

function serialize(node: Doc, ws: string): string {
  if (node.kind === 'leaf') return JSON.stringify(node.value);
  if (node.kind === 'array') return `[${ws}${node.items.map((item) => serialize(item, ws)).join(`${ws},${ws}`)}${ws}]`;
  const members = node.members.map(([name, escaped, value]) => `${escaped ? escapeAll(name) : JSON.stringify(name)}${ws}:${ws}${serialize(value, ws)}`);
  return `{${ws}${members.join(`${ws},${ws}`)}${ws}}`;
}

/** What `JSON.parse` makes of the document (the last value of a repeated name), minus the forbidden names. */
function safeValueOf(node: Doc): JsonValue {
  if (node.kind === 'leaf') return node.value;
  if (node.kind === 'array') return node.items.map(safeValueOf);
  const out: Record<string, JsonValue> = Object.create(null);
  for (const [name, , value] of node.members) if (!FORBIDDEN.has(name)) out[name] = safeValueOf(value);
  return out;
}

/** The repeated names as dotted paths (arrays add nothing), each once, in the order their repetition appears. */
function duplicatePathsOf(node: Doc, path = '', out: string[] = []): string[] {
  if (node.kind === 'array') for (const item of node.items) duplicatePathsOf(item, path, out);
  if (node.kind !== 'object') return out;
  const seen = new Set<string>();
  for (const [name, , value] of node.members) {
    const memberPath = path === '' ? name : `${path}.${name}`;
    if (!seen.has(name)) seen.add(name);
    else if (!out.includes(memberPath)) out.push(memberPath);
    duplicatePathsOf(value, memberPath, out);
  }
  return out;
}

/** A `JSON.parse` result rebuilt with null-prototype objects, without the forbidden keys. */
function withoutForbiddenKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutForbiddenKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value)) if (!FORBIDDEN.has(key)) out[key] = withoutForbiddenKeys((value as Record<string, unknown>)[key]);
  return out;
}

/** Every object in a parsed value has a null prototype and none of the forbidden keys. */
function assertSafeShape(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) assertSafeShape(item);
  } else if (typeof value === 'object' && value !== null) {
    assert.equal(Object.getPrototypeOf(value), null, 'a parsed object has a prototype');
    for (const key of Reflect.ownKeys(value)) {
      assert.ok(!FORBIDDEN.has(key as string), `a parsed object has the key ${String(key)}`);
      assertSafeShape((value as Record<string, unknown>)[key as string]);
    }
  }
}

const jsonTexts = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(topDoc, whitespace).map(([node, ws]) => serialize(node, ws)) },
  // Broken documents: cut short, or with a character pushed in.
  {
    weight: 1,
    arbitrary: fc
      .tuple(topDoc, fc.nat(), fc.constantFrom('', '"', '{', '}', ',', ':', '\\', ']', 'x'))
      .map(([node, at, inserted]) => {
        const text = serialize(node, '');
        const cut = at % (text.length + 1);
        return `${text.slice(0, cut)}${inserted}${inserted === '' ? '' : text.slice(cut)}`;
      }),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12, size: 'max' }) },
);

describe('parseJsonSafely (property)', () => {
  it(
    'never throws; returns undefined exactly when JSON.parse throws, otherwise the JSON.parse value rebuilt with null-prototype objects and without __proto__/constructor/prototype keys; never pollutes a prototype',
    () => {
      fc.assert(
        fc.property(jsonTexts, (text) => {
          let reference: unknown;
          let referenceThrew = false;
          try {
            reference = JSON.parse(text);
          } catch {
            referenceThrew = true;
          }
          const parsed = parseJsonSafely(text);
          assert.equal(parsed === undefined, referenceThrew, 'undefined exactly when JSON.parse throws');
          if (!referenceThrew) {
            assertSafeShape(parsed);
            // Spreading and merging a parsed object cannot reach a prototype either.
            const merged = Object.assign({}, parsed, { ...(parsed as object) });
            assert.equal(Object.getPrototypeOf(merged), Object.prototype);
            assert.deepStrictEqual(parsed, withoutForbiddenKeys(reference));
          }
          assertPrototypesUntouched();
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    'parses any serialised document to the value it describes (last value of a repeated name wins, forbidden names dropped)',
    () => {
      fc.assert(
        fc.property(topDoc, whitespace, (node, ws) => {
          assert.deepStrictEqual(parseJsonSafely(serialize(node, ws)), safeValueOf(node));
          assertPrototypesUntouched();
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );
});

describe('findDuplicateJsonKeys (property)', () => {
  it(
    'reports exactly the names repeated within one object, as dotted paths in order of repetition, however the names are escaped',
    () => {
      fc.assert(
        fc.property(topDoc, whitespace, (node, ws) => {
          const text = serialize(node, ws);
          JSON.parse(text); // the text is JSON (throws otherwise)
          assert.deepEqual(findDuplicateJsonKeys(text), duplicatePathsOf(node));
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    'reports nothing for a value serialised by JSON.stringify (which cannot repeat a name)',
    () => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
          assert.deepEqual(findDuplicateJsonKeys(JSON.stringify(value)), []);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );
});

// Form bodies. The reference is WHATWG URLSearchParams, which agrees with a strict decoder whenever every
// escape decodes; where one does not, URLSearchParams substitutes U+FFFD and parseFormSafely must refuse.
const formPiece = fc.constantFrom('a', 'b', '=', '&', '+', '%', '%2', '%41', '%e9', '%C3%A9', '%c3', '%ff', '%zz', '%F0%9F%98%80', '%ED%A0%80', '%2B', '%26', '%3D', ' ', 'é', '\u{1F600}', '\ud800');
const formText = fc.oneof(fc.array(formPiece, { maxLength: 10 }).map((pieces) => pieces.join('')), fc.string({ maxLength: 10 }));

function isWellFormed(text: string): boolean {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

function referenceForm(text: string): Map<string, string[]> | null {
  for (const pair of text.split('&')) {
    try {
      decodeURIComponent(pair.replace(/\+/g, ' '));
    } catch {
      return null;
    }
  }
  const fields = new Map<string, string[]>();
  // (A leading `&` keeps URLSearchParams from dropping a leading `?`, which a body does not have.)
  for (const [name, value] of new URLSearchParams(`&${text}`)) fields.set(name, [...(fields.get(name) ?? []), value]);
  return fields;
}

describe('parseFormSafely (property)', () => {
  it(
    'never throws; refuses (null) exactly the bodies with an escape that is not UTF-8; otherwise gives every value of every name in order, as URLSearchParams decodes them',
    () => {
      fc.assert(
        fc.property(formText, (text) => {
          const parsed = parseFormSafely(text);
          assertPrototypesUntouched();
          // URLSearchParams replaces a lone surrogate before decoding; the strict decoder keeps it. Only the
          // refusal is compared for such text.
          const reference = referenceForm(text);
          if (reference === null) assert.equal(parsed, null);
          else if (isWellFormed(text)) assert.deepEqual(parsed, reference);
          else assert.ok(parsed instanceof Map);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );
});

// decodeRequestBody: a reference model of its rules, written from its documentation.
const contentTypes = fc.oneof(
  fc.constantFrom(
    null,
    '',
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON;Charset="UTF-8"',
    'application/json ; charset=utf8',
    'application/json; charset=latin1',
    'application/json; charset="iso-8859-1"',
    'application/problem+json',
    'application/vnd.api+json; charset=utf-8',
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=UTF-8',
    'application/x-www-form-urlencoded; charset=windows-1252',
    'text/plain',
    'text/json',
    'multipart/form-data; boundary=x',
    'application/jsonx',
    'application/+json',
  ),
  fc.string({ maxLength: 12, size: 'max' }),
);

interface BodyCase {
  readonly bytes: Uint8Array;
  /** The duplicate paths, when the bytes are a serialised document (with or without a BOM). */
  readonly duplicates?: readonly string[];
}

const BOM = new Uint8Array([0xef, 0xbb, 0xbf]);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
};
const bodies = fc.oneof(
  fc.constant<BodyCase>({ bytes: new Uint8Array(0) }),
  fc.tuple(topDoc, whitespace, fc.boolean()).map(([node, ws, bom]): BodyCase => ({ bytes: concat(bom ? BOM : new Uint8Array(0), utf8.encode(serialize(node, ws))), duplicates: duplicatePathsOf(node) })),
  formText.map((text): BodyCase => ({ bytes: utf8.encode(text) })),
  // Invalid UTF-8 pushed into a document or a form.
  fc
    .tuple(fc.oneof(topDoc.map((node) => serialize(node, '')), formText), fc.nat(), fc.constantFrom([0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]))
    .map(([text, at, bad]): BodyCase => {
      const bytes = utf8.encode(text);
      const cut = at % (bytes.length + 1);
      return { bytes: concat(bytes.subarray(0, cut), new Uint8Array(bad), bytes.subarray(cut)) };
    }),
  fc.uint8Array({ maxLength: 16, size: 'max' }).map((bytes): BodyCase => ({ bytes })),
);

function charsetOf(contentType: string): string | undefined {
  for (const parameter of contentType.split(';').slice(1)) {
    const equals = parameter.indexOf('=');
    if (equals !== -1 && parameter.slice(0, equals).trim().toLowerCase() === 'charset') {
      return parameter.slice(equals + 1).trim().replace(/^"|"$/g, '').toLowerCase();
    }
  }
  return undefined;
}

/** UTF-8 text of the bytes (a leading BOM dropped), or null when they are not UTF-8, judged by Buffer's round trip. */
function utf8Text(bytes: Uint8Array): string | null {
  const text = Buffer.from(bytes).toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(Buffer.from(bytes))) return null;
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}

type ExpectedBody = { readonly type: 'none' | 'malformed' | 'json' | 'form' } | { readonly type: 'unsupported'; readonly contentType: string };

function expectedBody(bytes: Uint8Array, contentType: string | null): ExpectedBody {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const isJson = mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
  const isForm = mediaType === 'application/x-www-form-urlencoded';
  if (bytes.length === 0) return { type: 'none' };
  if (!isJson && !isForm) return { type: 'unsupported', contentType: mediaType };
  const charset = charsetOf(contentType ?? '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return { type: 'malformed' };
  const text = utf8Text(bytes);
  if (text === null) return { type: 'malformed' };
  if (isJson) {
    try {
      JSON.parse(text);
      return { type: 'json' };
    } catch {
      return { type: 'malformed' };
    }
  }
  return referenceForm(text) === null ? { type: 'malformed' } : { type: 'form' };
}

describe('decodeRequestBody (property)', () => {
  it(
    'never throws and classifies every body as its rules say: empty is none, other media types unsupported, another charset or bad UTF-8 or bad JSON/escapes malformed, else json or form; duplicates reported, prototypes untouched',
    () => {
      fc.assert(
        fc.property(bodies, contentTypes, ({ bytes, duplicates }, contentType) => {
          const body = decodeRequestBody(bytes, contentType);
          const expected = expectedBody(bytes, contentType);
          assert.equal(body.type, expected.type);
          if (expected.type === 'unsupported') assert.deepEqual(body, expected);
          if (body.type === 'json') {
            assert.deepStrictEqual(body.value, parseJsonSafely(utf8Text(bytes) as string));
            if (duplicates !== undefined) {
              // Present exactly when some name is repeated.
              if (duplicates.length === 0) assert.ok(!('duplicateKeys' in body), 'duplicateKeys present with no repeated name');
              else assert.deepEqual(body.duplicateKeys, duplicates);
            }
          }
          if (body.type === 'form') assert.deepEqual(body.fields, referenceForm(utf8Text(bytes) as string));
          assertPrototypesUntouched();
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );
});
