import { ACCESS_HASH_BYTES, resolveCookieName } from './options.js';

const HASH_PATTERN = new RegExp(`^[0-9a-f]{${ACCESS_HASH_BYTES * 2}}$`);

/**
 * The `Cookie` pair for an access hash: `access_hash=<hash>` (what `curl -b` sends).
 *
 * @example
 * ```ts
 * fetch(url, { headers: { Cookie: accessHashCookiePair(hash) } });
 * ```
 */
export function accessHashCookiePair(hash: string, options: { cookieName?: string } = {}): string {
  if (typeof hash !== 'string' || !HASH_PATTERN.test(hash)) throw new TypeError('accessHashCookiePair: hash must be 80 lower-case hex characters');
  return `${resolveCookieName(options.cookieName)}=${hash}`;
}

/**
 * Returns a copy of `headers` whose `Cookie` header carries the access hash, replacing any earlier value of the
 * same cookie and keeping the other cookies, so the server never sees the cookie twice.
 *
 * @example
 * ```ts
 * await fetch('https://vpn.example.com/api/v1/system/status', { headers: withAccessHashCookie(new Headers(), hash) });
 * ```
 */
export function withAccessHashCookie(headers: HeadersInit, hash: string, options: { cookieName?: string } = {}): Headers {
  const pair = accessHashCookiePair(hash, options);
  const name = resolveCookieName(options.cookieName);
  const signed = new Headers(headers);
  const others = (signed.get('cookie') ?? '')
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '' && (part.includes('=') ? part.slice(0, part.indexOf('=')) : part).trim() !== name);
  signed.set('cookie', [...others, pair].join('; '));
  return signed;
}
