import { gcm } from '@noble/ciphers/aes.js';
import { encodeHex, utf8Bytes } from './backend/bytes.js';
import { createHmacSha256 as prepareHmacSha256, hmacSha256 as backendHmacSha256, scrypt, sha256, sha256Hex } from './backend/index.js';
import { AuthError, ConfigurationError } from './errors.js';

export { encodeHex } from './backend/bytes.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
/** 1 at the character codes of `0-9`, `a-f` and `A-F`. */
const HEX_DIGIT_CODES = new Uint8Array(128);
for (const digit of '0123456789abcdefABCDEF') HEX_DIGIT_CODES[digit.charCodeAt(0)] = 1;

/**
 * Tells whether a string is hex of exactly `charCount` characters (any even length when omitted), in either
 * case. Never throws.
 *
 * @example
 * ```ts
 * isHexString('0aF3', 4); // true
 * isHexString('0a f3'); // false
 * ```
 */
export function isHexString(text: unknown, charCount?: number): text is string {
  if (typeof text !== 'string') return false;
  if (charCount !== undefined ? text.length !== charCount : text.length % 2 !== 0) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || HEX_DIGIT_CODES[code] === 0) return false;
  }
  return true;
}


/**
 * Decodes hex (either case) strictly: an odd length or any non-hex character throws a `TypeError`; nothing is
 * ever truncated or skipped.
 *
 * @example
 * ```ts
 * decodeHex('00ff'); // Uint8Array [0, 255]
 * decodeHex('0f0'); // throws TypeError
 * ```
 */
export function decodeHex(text: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError('decodeHex: expected a string');
  if (text.length % 2 !== 0) throw new TypeError('decodeHex: odd number of hex digits');
  if (!isHexString(text)) throw new TypeError('decodeHex: non-hex character');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (hexDigitValue(text.charCodeAt(i * 2)) << 4) | hexDigitValue(text.charCodeAt(i * 2 + 1));
  return out;
}

/** The value of a hex digit's character code (already checked to be one). */
function hexDigitValue(code: number): number {
  return code <= 57 ? code - 48 : (code | 0x20) - 87;
}

/**
 * Encodes bytes as unpadded base64url (RFC 4648 §5).
 *
 * @example
 * ```ts
 * encodeBase64Url(new Uint8Array([251, 255])); // '-_8'
 * ```
 */
export function encodeBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i] as number);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Decodes unpadded base64url strictly: returns `null` for padding, characters outside the alphabet, or a
 * non-canonical final character (trailing bits set), so one value has exactly one spelling.
 *
 * @example
 * ```ts
 * decodeBase64Url('-_8'); // Uint8Array [251, 255]
 * decodeBase64Url('-_9'); // null (non-canonical)
 * ```
 */
export function decodeBase64Url(text: string): Uint8Array | null {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  let binary: string;
  try {
    binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return null;
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return encodeBase64Url(out) === text ? out : null;
}

/**
 * Returns `byteCount` bytes from `crypto.getRandomValues`.
 *
 * @example
 * ```ts
 * const salt = randomBytes(16);
 * ```
 */
export function randomBytes(byteCount: number): Uint8Array {
  if (!Number.isSafeInteger(byteCount) || byteCount < 1 || byteCount > 65_536) {
    throw new RangeError('randomBytes: byteCount must be an integer from 1 to 65536');
  }
  const out = new Uint8Array(byteCount);
  crypto.getRandomValues(out);
  return out;
}

/**
 * Generates a random token as lower-case hex of `byteCount` random bytes (so `2 × byteCount` characters).
 * At least 16 bytes (128 bits) are required: anything shorter is guessable at API request rates.
 *
 * @example
 * ```ts
 * generateHexToken(16); // e.g. '882fb333405d006df0d5a3f410115e92'
 * ```
 */
export function generateHexToken(byteCount: number): string {
  if (!Number.isSafeInteger(byteCount) || byteCount < 16 || byteCount > 1024) {
    throw new RangeError('generateHexToken: byteCount must be an integer from 16 to 1024');
  }
  return encodeHex(randomBytes(byteCount));
}

/**
 * Compares two byte arrays in time that depends only on their lengths (lengths are not secret: every token of
 * a scheme has the same length).
 *
 * @example
 * ```ts
 * constantTimeEqual(signatureBytes, expectedBytes);
 * ```
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}

/**
 * Compares two strings by their UTF-8 bytes in constant time (for equal lengths).
 *
 * @example
 * ```ts
 * constantTimeEqualStrings(sentDigest, storedDigest);
 * ```
 */
export function constantTimeEqualStrings(a: string, b: string): boolean {
  return constantTimeEqual(utf8Bytes(a), utf8Bytes(b));
}

/**
 * SHA-256 of bytes, or of a string's UTF-8 bytes, as bytes. Digests and MACs run on the runtime's native
 * `node:crypto` under Node, Bun and Deno (the package's `node`, `bun` and `deno` export conditions) and on
 * @noble/hashes elsewhere, with the same results (`CRYPTO_BACKEND` tells which).
 *
 * @example
 * ```ts
 * encodeHex(sha256Digest('abc')); // 'ba7816bf…'
 * ```
 */
export function sha256Digest(data: string | Uint8Array): Uint8Array {
  return sha256(data);
}

/**
 * HMAC-SHA256 (RFC 2104) of `message` under `key`, as bytes.
 *
 * @example
 * ```ts
 * encodeHex(hmacSha256('secret', 'message'));
 * ```
 */
export function hmacSha256(key: string | Uint8Array, message: string | Uint8Array): Uint8Array {
  return backendHmacSha256(typeof key === 'string' ? utf8Bytes(key) : key, message);
}

/**
 * Prepares HMAC-SHA256 under one key and returns the function that MACs a message with it: the key's inner and
 * outer pads are derived once, here (and, on @noble/hashes, already hashed), so each call does only the work
 * that depends on the message. Same results as `hmacSha256(key, message)`. The returned function holds key
 * material: keep it no longer than the key itself.
 *
 * @example
 * ```ts
 * const mac = createHmacSha256(apiSecret);
 * encodeHex(mac('message')) === encodeHex(hmacSha256(apiSecret, 'message')); // true
 * ```
 */
export function createHmacSha256(key: string | Uint8Array): (message: string | Uint8Array) => Uint8Array {
  return prepareHmacSha256(typeof key === 'string' ? utf8Bytes(key) : key).bytes;
}

/**
 * Options of {@link createSecretDigester}.
 *
 * @example
 * ```ts
 * const options: SecretDigesterOptions = { pepper: decodeHex(process.env.PEPPER!) };
 * ```
 */
export interface SecretDigesterOptions {
  /**
   * A server-side secret of at least 32 bytes. With it, lookup digests are HMAC-SHA256(pepper, secret), so a
   * leaked database alone cannot be used to confirm guessed tokens. Without it, plain SHA-256.
   */
  readonly pepper?: Uint8Array;
}

/**
 * Creates the function that turns a presented secret into the lookup digest stored in place of the secret
 * (64 lower-case hex characters). High-entropy tokens need no slow hash: SHA-256 is preimage-resistant.
 *
 * @example
 * ```ts
 * const digest = createSecretDigester();
 * const record = await store.findByDigest(digest(presentedHash));
 * ```
 */
export function createSecretDigester(options: SecretDigesterOptions = {}): (secret: string) => string {
  const { pepper } = options;
  if (pepper === undefined) return (secret) => sha256Hex(secret);
  if (!(pepper instanceof Uint8Array) || pepper.length < 32) {
    throw new ConfigurationError('pepper', 'must be a Uint8Array of at least 32 bytes');
  }
  return prepareHmacSha256(pepper).hex;
}

/**
 * Encrypts recoverable secrets (a secret the server itself must use later, such as an HMAC API secret) with
 * AES-256-GCM under a key-encryption key. Every sealed value names the key that sealed it, so keys can be
 * rotated: seal with the first key, open with any.
 *
 * @example
 * ```ts
 * const sealer = createSecretSealer([kek]);
 * const sealed = sealer.seal('the-api-secret', 'credential:c_123');
 * sealer.open(sealed, 'credential:c_123'); // 'the-api-secret'
 * ```
 */
export interface SecretSealer {
  /** The id of the key new values are sealed with. */
  readonly currentKeyId: string;
  /**
   * Seals `plaintext`, bound to `context` (e.g. the record id) so a sealed value moved to another record
   * fails to open. Returns `gh1.<keyId>.<nonce>.<ciphertext>` in base64url.
   */
  seal(plaintext: string, context: string): string;
  /** Opens a sealed value; `null` when its key is unknown, the context differs or it was tampered with. */
  open(sealed: string, context: string): string | null;
  /** True when the value was sealed with a key other than the current one. */
  needsReseal(sealed: string): boolean;
}

function keyIdOf(key: Uint8Array): string {
  return sha256Hex(new Uint8Array([...encoder.encode('gatehouse-kek-id:'), ...key])).slice(0, 12);
}

/**
 * Creates a {@link SecretSealer}. `keys` are 32-byte key-encryption keys, the current one first; the others
 * only open values sealed before a rotation.
 *
 * @example
 * ```ts
 * const sealer = createSecretSealer(parseKeyEncryptionKeys(process.env.GATEHOUSE_KEK!));
 * ```
 */
export function createSecretSealer(keys: readonly Uint8Array[]): SecretSealer {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ConfigurationError('keys', 'must list at least one 32-byte key-encryption key');
  }
  const byId = new Map<string, Uint8Array>();
  for (const key of keys) {
    if (!(key instanceof Uint8Array) || key.length !== 32) {
      throw new ConfigurationError('keys', 'every key-encryption key must be a Uint8Array of 32 bytes');
    }
    byId.set(keyIdOf(key), key);
  }
  const currentKeyId = keyIdOf(keys[0] as Uint8Array);
  const aadFor = (keyId: string, context: string): Uint8Array => encoder.encode(`gatehouse-sealed:v1:${keyId}:${context}`);
  return {
    currentKeyId,
    seal(plaintext, context) {
      const key = byId.get(currentKeyId) as Uint8Array;
      const nonce = randomBytes(12);
      const ciphertext = gcm(key, nonce, aadFor(currentKeyId, context)).encrypt(encoder.encode(plaintext));
      return `gh1.${currentKeyId}.${encodeBase64Url(nonce)}.${encodeBase64Url(ciphertext)}`;
    },
    open(sealed, context) {
      if (typeof sealed !== 'string') return null;
      const parts = sealed.split('.');
      if (parts.length !== 4 || parts[0] !== 'gh1') return null;
      const keyId = parts[1] as string;
      const key = byId.get(keyId);
      const nonce = decodeBase64Url(parts[2] as string);
      const ciphertext = decodeBase64Url(parts[3] as string);
      if (key === undefined || nonce === null || nonce.length !== 12 || ciphertext === null || ciphertext.length < 16) {
        return null;
      }
      try {
        return decoder.decode(gcm(key, nonce, aadFor(keyId, context)).decrypt(ciphertext));
      } catch {
        return null;
      }
    },
    needsReseal(sealed) {
      return typeof sealed === 'string' && sealed.split('.')[1] !== currentKeyId;
    },
  };
}

/**
 * Parses key-encryption keys from configuration text: comma-separated, each 64 hex characters or 43
 * base64url characters (32 bytes), current key first. Throws a {@link ConfigurationError} otherwise.
 *
 * @example
 * ```ts
 * parseKeyEncryptionKeys(process.env.GATEHOUSE_KEK ?? '');
 * ```
 */
export function parseKeyEncryptionKeys(text: string, optionName = 'GATEHOUSE_KEK'): Uint8Array[] {
  const entries = String(text)
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new ConfigurationError(optionName, 'is empty');
  return entries.map((entry, index) => {
    const key = isHexString(entry, 64) ? decodeHex(entry) : decodeBase64Url(entry);
    if (key === null || key.length !== 32) {
      throw new ConfigurationError(optionName, `key ${index + 1} is not 32 bytes of hex or base64url`);
    }
    return key;
  });
}

/**
 * Options of {@link hashPassword}.
 *
 * @example
 * ```ts
 * await hashPassword('pw', { costExponent: 16 });
 * ```
 */
export interface HashPasswordOptions {
  /** scrypt N = 2^costExponent. Default 15 (N = 32768, r = 8, p = 1: 32 MiB, the RFC 7914 interactive setting). */
  readonly costExponent?: number;
}

/**
 * Options of {@link createPasswordHasher}.
 *
 * @example
 * ```ts
 * const options: PasswordHasherOptions = { maxConcurrent: 2, maxQueued: 16 };
 * ```
 */
export interface PasswordHasherOptions extends HashPasswordOptions {
  /**
   * scrypt computations that may run at once. Each holds 128 · N · r bytes (32 MiB at the default cost), so this
   * bounds the memory password checks can take. Default 2.
   */
  readonly maxConcurrent?: number;
  /** Checks that may wait for a free slot; past that, a check is refused at once with `RATE_LIMITED`. Default 16. */
  readonly maxQueued?: number;
}

/**
 * Hashes and checks passwords with scrypt under a bound: at most `maxConcurrent` computations at once, at most
 * `maxQueued` waiting, and every request beyond that refused at once with an `AuthError('RATE_LIMITED')` before any
 * hashing, so a flood of logins can neither exhaust memory nor starve the server. On Node, Bun and Deno scrypt
 * runs on the runtime's thread pool (`node:crypto`), never on the event loop.
 *
 * @example
 * ```ts
 * const passwords = createPasswordHasher({ maxConcurrent: 2 });
 * const stored = await passwords.hash('demo-password');
 * await passwords.verify('demo-password', stored); // true; throws AuthError('RATE_LIMITED') when saturated
 * ```
 */
export interface PasswordHasher {
  /** A new scrypt hash of `password` (a self-describing string to store), or `RATE_LIMITED` past the bound. */
  hash(password: string): Promise<string>;
  /** Whether `password` matches `stored` (constant time), or `RATE_LIMITED` past the bound. */
  verify(password: string, stored: string): Promise<boolean>;
}

/** Runs async work with at most `maxConcurrent` at once and `maxQueued` waiting; refuses the rest. */
function createWorkLimiter(maxConcurrent: number, maxQueued: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    if (running >= maxConcurrent) {
      if (waiting.length >= maxQueued) throw new AuthError('RATE_LIMITED');
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    running++;
    try {
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

function checkCostExponent(costExponent: number): number {
  if (!Number.isInteger(costExponent) || costExponent < 10 || costExponent > 20) {
    throw new ConfigurationError('costExponent', 'must be an integer from 10 to 20');
  }
  return costExponent;
}

const STORED_PASSWORD = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

/**
 * Creates a {@link PasswordHasher} with its own bound.
 *
 * @example
 * ```ts
 * const passwords = createPasswordHasher({ maxConcurrent: 4, maxQueued: 32 });
 * ```
 */
export function createPasswordHasher(options: PasswordHasherOptions = {}): PasswordHasher {
  const costExponent = checkCostExponent(options.costExponent ?? 15);
  const maxConcurrent = options.maxConcurrent ?? 2;
  if (!Number.isSafeInteger(maxConcurrent) || maxConcurrent < 1) throw new ConfigurationError('maxConcurrent', 'must be a positive integer');
  const maxQueued = options.maxQueued ?? 16;
  if (!Number.isSafeInteger(maxQueued) || maxQueued < 0) throw new ConfigurationError('maxQueued', 'must be a non-negative integer');
  const limited = createWorkLimiter(maxConcurrent, maxQueued);
  return {
    hash: (password) => hashWith(limited, costExponent, password),
    verify: (password, stored) => verifyWith(limited, password, stored),
  };
}

type Limited = <T>(work: () => Promise<T>) => Promise<T>;

async function hashWith(limited: Limited, costExponent: number, password: string): Promise<string> {
  if (typeof password !== 'string') throw new TypeError('hashPassword: password must be a string');
  const salt = randomBytes(16);
  const hash = await limited(() => scrypt(encoder.encode(password), salt, { N: 2 ** costExponent, r: 8, p: 1, dkLen: 32 }));
  return `$scrypt$ln=${costExponent},r=8,p=1$${encodeBase64Url(salt)}$${encodeBase64Url(hash)}`;
}

async function verifyWith(limited: Limited, password: string, stored: string): Promise<boolean> {
  const match = STORED_PASSWORD.exec(typeof stored === 'string' ? stored : '');
  if (match === null || typeof password !== 'string') return false;
  const costExponent = Number(match[1]);
  const r = Number(match[2]);
  const p = Number(match[3]);
  const salt = decodeBase64Url(match[4] as string);
  const expected = decodeBase64Url(match[5] as string);
  if (costExponent < 10 || costExponent > 20 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  if (salt === null || expected === null || expected.length < 16) return false;
  const actual = await limited(() => scrypt(encoder.encode(password), salt, { N: 2 ** costExponent, r, p, dkLen: expected.length }));
  return constantTimeEqual(actual, expected);
}

/** The process-wide bound shared by {@link hashPassword} and {@link verifyPassword}: 2 at once, 16 waiting. */
const sharedLimited = createWorkLimiter(2, 16);

/**
 * Hashes a password with scrypt and a random 16-byte salt. The parameters are stored with the hash:
 * `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64url), so they can be raised later without breaking old hashes.
 * Shares one process-wide bound with {@link verifyPassword} (2 at once, 16 waiting); see
 * {@link createPasswordHasher} for a bound of your own.
 *
 * @example
 * ```ts
 * const stored = await hashPassword('demo-password');
 * await verifyPassword('demo-password', stored); // true
 * ```
 */
export async function hashPassword(password: string, options: HashPasswordOptions = {}): Promise<string> {
  return hashWith(sharedLimited, checkCostExponent(options.costExponent ?? 15), password);
}

/**
 * Checks a password against a hash made by {@link hashPassword}, in constant time. A malformed stored hash
 * returns `false`. Bounded like {@link hashPassword}: when too many checks are running and waiting, it throws
 * `AuthError('RATE_LIMITED')` at once, before hashing (answer "too many requests").
 *
 * @example
 * ```ts
 * if (!(await verifyPassword(input, user.passwordHash))) return fail();
 * ```
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  return verifyWith(sharedLimited, password, stored);
}
