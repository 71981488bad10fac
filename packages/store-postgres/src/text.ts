import { createHash } from 'node:crypto';

/** An unpaired UTF-16 surrogate: UTF-8 has no encoding for it, so two such strings could be stored alike. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text PostgreSQL stores exactly: no U+0000 (its text type cannot hold one) and no unpaired surrogate. */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text);
}

/** Longest ephemeral key stored as given: a B-tree entry must fit in a third of a page (~2,700 bytes). */
const MAX_PLAIN_KEY_LENGTH = 256;
const HASHED = '\u0001';

/**
 * The `ephemeral.key` a store key is kept under: the key itself, or `U+0001` and the SHA-256 of its UTF-16 code
 * units when PostgreSQL could not store it exactly (U+0000, an unpaired surrogate), when it is too long for the
 * index, or when it starts with U+0001 itself (so a caller can never spell another key's hashed form).
 *
 * @example
 * ```ts
 * storageKey('nonce:k1:42'); // 'nonce:k1:42'
 * storageKey('x'.repeat(10_000)); // '\u0001' followed by 64 hex digits
 * ```
 */
export function storageKey(key: string): string {
  if (key.length <= MAX_PLAIN_KEY_LENGTH && !key.startsWith(HASHED) && isStorableText(key)) return key;
  const units = new Uint8Array(key.length * 2);
  for (let index = 0; index < key.length; index++) {
    const unit = key.charCodeAt(index);
    units[index * 2] = unit & 0xff;
    units[index * 2 + 1] = unit >> 8;
  }
  return HASHED + createHash('sha256').update(units).digest('hex');
}

/**
 * Checks a text field before it is written: a value PostgreSQL would change (an unpaired surrogate) or refuse
 * (U+0000) is a caller's error, reported as such rather than as an unavailable database.
 *
 * @example
 * ```ts
 * assertStorable('label', record.label);
 * ```
 */
export function assertStorable(field: string, text: string | null): void {
  if (text !== null && !isStorableText(text)) {
    throw new RangeError(`${field} contains U+0000 or an unpaired surrogate, which PostgreSQL text cannot store`);
  }
}

/**
 * Epoch milliseconds for a `bigint` column: whole milliseconds (a clock may return fractions), within the range
 * of a JavaScript Date.
 *
 * @example
 * ```ts
 * toMilliseconds(1_700_000_000_123.7); // 1700000000123
 * ```
 */
export function toMilliseconds(value: number): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new RangeError('a time must be a number of epoch milliseconds');
  return Math.max(-8.64e15, Math.min(8.64e15, Math.floor(value)));
}
