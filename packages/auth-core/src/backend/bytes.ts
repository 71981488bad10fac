// Text and hex conversions shared by both crypto backends and by ../secrets.ts. Plain JavaScript, the same in
// every build.

const encoder = new TextEncoder();
/** Character codes of `0123456789abcdef`. */
const HEX_CODES = Uint8Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0));
/** Bytes encoded per `String.fromCharCode` call, well below any engine's argument limit. */
const HEX_CHUNK_BYTES = 4096;

function encodeHexChunk(bytes: Uint8Array, start: number, end: number): string {
  const codes = new Array<number>((end - start) * 2);
  for (let i = start, j = 0; i < end; i++, j += 2) {
    const byte = bytes[i] as number;
    codes[j] = HEX_CODES[byte >> 4] as number;
    codes[j + 1] = HEX_CODES[byte & 15] as number;
  }
  return String.fromCharCode.apply(null, codes);
}

/**
 * Encodes bytes as lower-case hex, as one flat string.
 *
 * (Built from character codes in one step: appending two characters at a time made a rope of short strings
 * that took about 25 times the memory of the hex itself for as long as the string lived — a stored digest lives
 * as long as its record — and that had to be flattened again each time it was hashed as a `Map` key.)
 *
 * @example
 * ```ts
 * encodeHex(new Uint8Array([0, 255])); // '00ff'
 * ```
 */
export function encodeHex(bytes: Uint8Array): string {
  if (bytes.length <= HEX_CHUNK_BYTES) return encodeHexChunk(bytes, 0, bytes.length);
  const parts: string[] = [];
  for (let start = 0; start < bytes.length; start += HEX_CHUNK_BYTES) {
    parts.push(encodeHexChunk(bytes, start, Math.min(bytes.length, start + HEX_CHUNK_BYTES)));
  }
  return parts.join('');
}

// UTF-8 bytes of text. Tokens, digests and header values are ASCII: those are copied code by code, which for
// short strings is several times faster than a `TextEncoder` call, into one reusable buffer handed out as a view
// cached per length (a fresh `Uint8Array` of more than 64 bytes gets its own off-heap backing store in V8, which
// made copying an 80-character access hash cost 0.8 µs, more than hashing it; the reused buffer costs 0.13 µs).
// Anything else, or longer than the buffer, goes through `TextEncoder`.
const ASCII_SCRATCH = new Uint8Array(512);
const asciiViews: Uint8Array[] = [];

/**
 * Calls `consume` with the UTF-8 bytes of `text`, which are valid only during that call: ASCII text lives in the
 * shared buffer, which is zeroed afterwards so no token lingers in it. Hashing is synchronous, so the buffer is
 * never shared between two calls in flight.
 *
 * @example
 * ```ts
 * withUtf8Bytes(token, (bytes) => hash.update(bytes)); // `bytes` must not be kept
 * ```
 */
export function withUtf8Bytes<T>(text: string, consume: (bytes: Uint8Array) => T): T {
  const length = text.length;
  if (length > ASCII_SCRATCH.length) return consume(encoder.encode(text));
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) {
      ASCII_SCRATCH.fill(0, 0, i);
      return consume(encoder.encode(text));
    }
    ASCII_SCRATCH[i] = code;
  }
  try {
    return consume((asciiViews[length] ??= ASCII_SCRATCH.subarray(0, length)));
  } finally {
    ASCII_SCRATCH.fill(0, 0, length);
  }
}

/**
 * UTF-8 bytes of `text` in an array of their own, for callers that keep them or need two at once.
 *
 * @example
 * ```ts
 * utf8Bytes('clé'); // Uint8Array [0x63, 0x6c, 0xc3, 0xa9]
 * ```
 */
export function utf8Bytes(text: string): Uint8Array {
  return withUtf8Bytes(text, (bytes) => (bytes.buffer === ASCII_SCRATCH.buffer ? bytes.slice() : bytes));
}

/**
 * Copies the ASCII text `text` into `target` from `offset` and returns how many bytes it wrote; -1, after
 * zeroing whatever it wrote, when `text` is not ASCII or does not fit.
 *
 * @example
 * ```ts
 * copyAscii('abc', buffer, 64); // 3: buffer[64..66] = 0x61 0x62 0x63
 * copyAscii('é', buffer, 64); // -1
 * ```
 */
export function copyAscii(text: string, target: Uint8Array, offset: number): number {
  const length = text.length;
  if (offset + length > target.length) return -1;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) {
      target.fill(0, offset, offset + i);
      return -1;
    }
    target[offset + i] = code;
  }
  return length;
}

/**
 * HMAC-SHA256 under a key prepared once (the `createHmacSha256` of either backend).
 *
 * @example
 * ```ts
 * const mac: PreparedHmacSha256 = createHmacSha256(pepper);
 * mac.bytes('message'); // Uint8Array(32)
 * ```
 */
export interface PreparedHmacSha256 {
  /** The MAC of `message` (a string is MACed as its UTF-8 bytes), as bytes. */
  readonly bytes: (message: Uint8Array | string) => Uint8Array;
  /** The same MAC as lower-case hex. */
  readonly hex: (message: Uint8Array | string) => string;
}
