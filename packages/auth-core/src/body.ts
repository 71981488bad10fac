/**
 * A JSON value as parsed by Gatehouse: objects have a `null` prototype and never carry the keys `__proto__`,
 * `constructor` or `prototype`.
 *
 * @example
 * ```ts
 * const body = await request.body();
 * const value: JsonValue = body.type === 'json' ? body.value : null;
 * if (isJsonObject(value) && typeof value['login'] === 'string') console.log(value['login']);
 * ```
 */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * The request body as a strategy sees it. Reading never throws: a body that is too large, undecodable or of an
 * unknown type is reported as such.
 *
 * @example
 * ```ts
 * const body = await request.body();
 * if (body.type === 'json' && isJsonObject(body.value)) console.log(body.value['hash']);
 * ```
 */
export type RequestBody =
  | { readonly type: 'none' }
  | {
      readonly type: 'json';
      readonly value: JsonValue;
      /**
       * Names that occur more than once in one object of the body, as dotted paths from the top (`hash`,
       * `user.id`); JSON parsing keeps only the last value of each, so a strategy whose credential field is
       * listed refuses the request as ambiguous. Absent when there are none, or when the body came already
       * parsed by a framework (which cannot tell).
       */
      readonly duplicateKeys?: readonly string[];
    }
  | { readonly type: 'form'; readonly fields: ReadonlyMap<string, readonly string[]> }
  | { readonly type: 'unsupported'; readonly contentType: string }
  | { readonly type: 'too-large'; readonly maxBodyBytes: number }
  | { readonly type: 'malformed' }
  /**
   * Something read the body before authentication (a framework's body parser) and left neither the parsed
   * value nor the bytes where the adapter can find them. Not the client's fault: strategies that need the body
   * fail closed with `INTERNAL_ERROR`; give the adapter the parsed body or the raw bytes (see its docs).
   */
  | { readonly type: 'unavailable' };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Tells whether a parsed JSON value is an object (not an array, not null).
 *
 * @example
 * ```ts
 * isJsonObject(parseJsonSafely('{"a":1}')); // true
 * ```
 */
export function isJsonObject(value: unknown): value is { readonly [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses JSON into null-prototype objects without the keys `__proto__`, `constructor` and `prototype`, so a
 * parsed body can be merged or spread without polluting any prototype. Returns `undefined` on invalid JSON.
 *
 * @example
 * ```ts
 * const value = parseJsonSafely('{"__proto__":{"admin":true},"a":1}');
 * // value is { a: 1 } with a null prototype
 * ```
 */
export function parseJsonSafely(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text, function reviver(this: unknown, _key: string, value: unknown): unknown {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
      const safe: Record<string, unknown> = Object.create(null);
      for (const key of Object.keys(value)) {
        if (!FORBIDDEN_KEYS.has(key)) safe[key] = (value as Record<string, unknown>)[key];
      }
      return safe;
    }) as JsonValue;
  } catch {
    return undefined;
  }
}

/**
 * Parses an `application/x-www-form-urlencoded` body into a `Map` of every value per name. Returns `null` when
 * a percent-escape does not decode to valid UTF-8, rather than substituting replacement characters.
 *
 * @example
 * ```ts
 * parseFormSafely('a=1&a=2&b=x+y')?.get('b'); // ['x y']
 * ```
 */
export function parseFormSafely(text: string): ReadonlyMap<string, readonly string[]> | null {
  const fields = new Map<string, string[]>();
  if (text === '') return fields;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const rawName = equals === -1 ? pair : pair.slice(0, equals);
    const rawValue = equals === -1 ? '' : pair.slice(equals + 1);
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      return null;
    }
    const existing = fields.get(name);
    if (existing === undefined) fields.set(name, [value]);
    else existing.push(value);
  }
  return fields;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The media type of a `Content-Type`, lower case, without parameters (`''` when there is none). */
export function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * Whether a body of this `Content-Type` is one Gatehouse reads (JSON, any `+json` type, or a urlencoded form).
 * Other bodies (uploads, text) are never read: strategies see `unsupported`, and the stream stays the handler's.
 */
export function isReadableMediaType(contentType: string | null): boolean {
  const mediaType = mediaTypeOf(contentType);
  return mediaType === 'application/json' || mediaType === 'application/x-www-form-urlencoded' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

/**
 * Turns raw body bytes and a `Content-Type` into a {@link RequestBody}. JSON for `application/json` and any
 * `+json` type, fields for `application/x-www-form-urlencoded`; a body in any other charset than UTF-8 is
 * unsupported.
 *
 * @example
 * ```ts
 * decodeRequestBody(new TextEncoder().encode('{"a":1}'), 'application/json').type; // 'json'
 * ```
 */
export function decodeRequestBody(bytes: Uint8Array, contentType: string | null): RequestBody {
  if (bytes.length > 0 && !isReadableMediaType(contentType)) return { type: 'unsupported', contentType: mediaTypeOf(contentType) };
  if (bytes.length === 0) return { type: 'none' };
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  const isJson = mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
  const isForm = mediaType === 'application/x-www-form-urlencoded';
  if (!isJson && !isForm) return { type: 'unsupported', contentType: mediaType };
  // JSON is UTF-8 (RFC 8259 §8.1) and forms are read as UTF-8: a body in another charset is refused, never
  // skipped, since a handler that decodes it could find a credential the strategy never saw.
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return { type: 'malformed' };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { type: 'malformed' };
  }
  if (isJson) {
    const value = parseJsonSafely(text);
    if (value === undefined) return { type: 'malformed' };
    const duplicateKeys = findDuplicateJsonKeys(text);
    return duplicateKeys.length === 0 ? { type: 'json', value } : { type: 'json', value, duplicateKeys };
  }
  const fields = parseFormSafely(text);
  return fields === null ? { type: 'malformed' } : { type: 'form', fields };
}

/**
 * Joins byte chunks into one array.
 *
 * @example
 * ```ts
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The result of reading a body under a byte cap. */
export type CappedRead =
  | { readonly type: 'read'; readonly bytes: Uint8Array }
  | { readonly type: 'too-large' }
  | { readonly type: 'failed' };

/**
 * Reads a web `ReadableStream`, cancelling it as soon as more than `maxBytes` have arrived (the cap is on bytes
 * actually read, never on a declared `Content-Length`).
 *
 * @example
 * ```ts
 * const read = await readStreamCapped(request.body!, 65_536);
 * if (read.type === 'read') console.log(read.bytes.length);
 * ```
 */
export async function readStreamCapped(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<CappedRead> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        reader.cancel().catch(() => undefined);
        return { type: 'too-large' };
      }
      parts.push(value);
    }
  } catch {
    return { type: 'failed' };
  } finally {
    reader.releaseLock();
  }
  return { type: 'read', bytes: concatBytes(parts) };
}

/**
 * A deep copy of an already-parsed JSON value (a framework body parser's result) in Gatehouse's safe form:
 * null-prototype objects without `__proto__`, `constructor` or `prototype`. `undefined` when the value is not
 * plain JSON (a function, a class instance, a cycle, a non-finite number).
 */
export function toSafeJsonValue(value: unknown, depth = 0): JsonValue | undefined {
  if (depth > 512) return undefined;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (const item of value) {
      const safe = toSafeJsonValue(item, depth + 1);
      if (safe === undefined) return undefined;
      out.push(safe);
    }
    return out;
  }
  if (typeof value !== 'object') return undefined;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const safe: Record<string, JsonValue> = Object.create(null);
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) continue;
    const item = toSafeJsonValue((value as Record<string, unknown>)[key], depth + 1);
    if (item === undefined) return undefined;
    safe[key] = item;
  }
  return safe;
}

const encoder = new TextEncoder();

/**
 * Turns a body that a framework already parsed into a {@link RequestBody}, as if Gatehouse had read it: bytes
 * (`express.raw()`) and text (`express.text()`) are decoded exactly; a parsed JSON object becomes `json`; a
 * parsed urlencoded object becomes `form` (a nested value is kept as its JSON text, so it can never pass for a
 * credential). The byte cap applies to the bytes, or to the JSON text of a parsed value.
 */
export function decodeParsedBody(parsed: unknown, contentType: string | null, maxBytes: number): RequestBody {
  if (parsed instanceof Uint8Array) return parsed.length > maxBytes ? { type: 'too-large', maxBodyBytes: maxBytes } : decodeRequestBody(parsed, contentType);
  if (typeof parsed === 'string') {
    const bytes = encoder.encode(parsed);
    return bytes.length > maxBytes ? { type: 'too-large', maxBodyBytes: maxBytes } : decodeRequestBody(bytes, contentType);
  }
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  let size: number;
  try {
    size = encoder.encode(JSON.stringify(parsed) ?? '').length;
  } catch {
    return { type: 'malformed' };
  }
  if (size > maxBytes) return { type: 'too-large', maxBodyBytes: maxBytes };
  if (mediaType === 'application/x-www-form-urlencoded') {
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { type: 'malformed' };
    const fields = new Map<string, string[]>();
    for (const key of Object.keys(parsed)) {
      const value = (parsed as Record<string, unknown>)[key];
      const values = Array.isArray(value) ? value : [value];
      fields.set(key, values.map((item) => (typeof item === 'string' ? item : JSON.stringify(item) ?? '')));
    }
    return fields.size === 0 ? { type: 'none' } : { type: 'form', fields };
  }
  // Whatever Content-Type claimed, the parser produced a JSON value, and the handler reads that value: the
  // strategy must see it too, or a credential in it would escape the checks (e.g. `express.json({ type: () => true })`).
  const value = toSafeJsonValue(parsed);
  return value === undefined ? { type: 'malformed' } : { type: 'json', value };
}

/**
 * The member names that occur more than once in one object of a JSON text, as dotted paths from the top (array
 * elements do not add to the path), each once, in order of their second appearance. `JSON.parse` keeps the last
 * value of a repeated name silently; a credential sent twice with different values must not be judged by one and
 * used as the other. Expects text `JSON.parse` accepted; one pass, no allocation but the names it compares.
 *
 * @example
 * ```ts
 * findDuplicateJsonKeys('{"hash":"a","x":{"y":1,"y":2},"hash":"b"}'); // ['x.y', 'hash']
 * ```
 */
export function findDuplicateJsonKeys(text: string): string[] {
  const duplicates: string[] = [];
  // One frame per open object or array: the names seen (objects), and the path to it.
  const frames: { readonly names: Set<string> | null; readonly path: string }[] = [];
  let pendingName: string | null = null;
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 34 /* " */) {
      let end = i + 1;
      let escaped = false;
      while (end < text.length) {
        const c = text.charCodeAt(end);
        if (c === 92 /* \\ */) {
          escaped = true;
          end += 2;
          continue;
        }
        if (c === 34) break;
        end++;
      }
      const raw = text.slice(i + 1, end);
      i = end + 1;
      const frame = frames[frames.length - 1];
      // A string is a member name when it sits in an object and a colon follows it.
      let j = i;
      while (j < text.length && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9 || text.charCodeAt(j) === 10 || text.charCodeAt(j) === 13)) j++;
      if (frame?.names !== null && frame !== undefined && text.charCodeAt(j) === 58 /* : */) {
        const name = escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
        const path = frame.path === '' ? name : `${frame.path}.${name}`;
        if (frame.names.has(name)) {
          if (!duplicates.includes(path)) duplicates.push(path);
        } else {
          frame.names.add(name);
        }
        pendingName = name;
      }
      continue;
    }
    if (code === 123 /* { */ || code === 91 /* [ */) {
      const parent = frames[frames.length - 1];
      const path = parent === undefined ? '' : parent.names !== null && pendingName !== null ? (parent.path === '' ? pendingName : `${parent.path}.${pendingName}`) : parent.path;
      frames.push({ names: code === 123 ? new Set<string>() : null, path });
      pendingName = null;
    } else if (code === 125 /* } */ || code === 93 /* ] */) {
      frames.pop();
      pendingName = null;
    } else if (code === 44 /* , */) {
      pendingName = null;
    }
    i++;
  }
  return duplicates;
}
