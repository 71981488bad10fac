import { isHexString, isJsonObject, parseAuthorizationHeader, type AuthErrorCode, type AuthRequest } from '@gatehouse/auth-core';
import { NVX_HASH_BYTES } from './options.js';

/**
 * Where a hash was found on a request.
 *
 * @example
 * ```ts
 * const source: NvxHashSource = 'header';
 * ```
 */
export type NvxHashSource = 'header' | 'body' | 'query';

/**
 * The result of reading a hash off a request, before any store lookup.
 *
 * @example
 * ```ts
 * const found = await extractNvxHash(request, { allowQueryHash: false });
 * if (found.type === 'found') console.log(found.sources);
 * ```
 */
export type NvxHashExtraction =
  | { readonly type: 'found'; readonly hash: string; readonly sources: readonly NvxHashSource[] }
  | { readonly type: 'none' }
  | { readonly type: 'invalid'; readonly code: AuthErrorCode };

const HASH_LENGTH = NVX_HASH_BYTES * 2;

const isNvxScheme = (scheme: string): boolean => scheme.length === 3 && scheme.toLowerCase() === 'nvx';

/**
 * Reads the hash from, in order, `Authorization: NVX <hash>`, the JSON or urlencoded body field `hash`, and
 * (when allowed) the query parameter `hash` (seed 001, "Using the API Key Hash"). Every place a hash appears
 * must hold the same 32 hex characters; anything else is refused here and never reaches the store.
 *
 * - The scheme is case-insensitive; whitespace around the header value and between scheme and hash is
 *   tolerated; anything after the hash is malformed. An `Authorization` header of another scheme is not ours.
 * - Two `Authorization` lines of which one is NVX, or a field sent twice with different values, are ambiguous.
 * - A body `hash` that is not a string (number, object, array, null) is malformed.
 * - Hex case is ignored; the hash is returned in lower case.
 *
 * @example
 * ```ts
 * await extractNvxHash(request, { allowQueryHash: true });
 * // { type: 'found', hash: 'c915157ac483e7319b0b257408bc04e1', sources: ['header', 'query'] }
 * ```
 */
export async function extractNvxHash(
  request: AuthRequest,
  options: { readonly allowQueryHash: boolean },
): Promise<NvxHashExtraction> {
  const found: { source: NvxHashSource; value: string }[] = [];

  const authorizations = request.headerValues('authorization');
  const nvxHeaders = authorizations
    .map((value) => ({ value, parsed: parseAuthorizationHeader(value) }))
    .filter((entry) => entry.parsed !== null && isNvxScheme(entry.parsed.scheme));
  if (nvxHeaders.length > 0) {
    if (authorizations.length > 1) return { type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' };
    const parameters = (nvxHeaders[0]?.parsed?.parameters ?? '').replace(/[ \t]+$/, '');
    if (!isHexString(parameters, HASH_LENGTH)) return { type: 'invalid', code: 'CREDENTIALS_MALFORMED' };
    found.push({ source: 'header', value: parameters.toLowerCase() });
  } else if (authorizations.length === 1) {
    // A Fetch runtime joins repeated headers with ", ": an NVX credential may hide after another scheme's.
    if (/(^|,)[ \t]*nvx([ \t]|$)/i.test(authorizations[0] as string)) return { type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' };
  }

  const body = await request.body();
  if (body.type === 'too-large') return { type: 'invalid', code: 'REQUEST_TOO_LARGE' };
  if (body.type === 'malformed') return { type: 'invalid', code: 'REQUEST_MALFORMED' };
  if (body.type === 'json' && isJsonObject(body.value) && Object.prototype.hasOwnProperty.call(body.value, 'hash')) {
    const value = body.value['hash'];
    if (typeof value !== 'string' || !isHexString(value, HASH_LENGTH)) return { type: 'invalid', code: 'CREDENTIALS_MALFORMED' };
    found.push({ source: 'body', value: value.toLowerCase() });
  } else if (body.type === 'form') {
    const values = body.fields.get('hash');
    if (values !== undefined) {
      for (const value of values) {
        if (!isHexString(value, HASH_LENGTH)) return { type: 'invalid', code: 'CREDENTIALS_MALFORMED' };
        found.push({ source: 'body', value: value.toLowerCase() });
      }
    }
  }

  const queryValues = request.queryValues('hash');
  if (queryValues.length > 0) {
    // A refused channel is refused loudly, not ignored: the hash must never authenticate from the URL.
    if (!options.allowQueryHash) return { type: 'invalid', code: 'CREDENTIALS_NOT_ACCEPTED_HERE' };
    for (const value of queryValues) {
      if (!isHexString(value, HASH_LENGTH)) return { type: 'invalid', code: 'CREDENTIALS_MALFORMED' };
      found.push({ source: 'query', value: value.toLowerCase() });
    }
  }

  if (found.length === 0) return { type: 'none' };
  const hash = (found[0] as { value: string }).value;
  if (found.some((entry) => entry.value !== hash)) return { type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' };
  return { type: 'found', hash, sources: [...new Set(found.map((entry) => entry.source))] };
}

/**
 * Classifies a request path for the hash kinds: `panel` (under `<basePath>/panel/`, panel hashes only),
 * `key-management` (a path that accepts user session hashes) or `user`. The path is percent-decoded, its
 * repeated slashes collapsed and lower-cased first, so `/v2//PANEL/%74ariff/list` is still a panel path: a
 * router that is more lenient than this check must never let a user hash onto a panel route. `null` when the
 * path cannot be decoded or holds dot segments or backslashes after decoding.
 *
 * @example
 * ```ts
 * classifyNvxPath('/v2/panel/tariff/list', '/v2', ['/api/key/list']); // 'panel'
 * ```
 */
export function classifyNvxPath(
  path: string,
  basePath: string,
  userSessionPaths: ReadonlySet<string>,
): 'panel' | 'key-management' | 'user' | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  // Dot segments or backslashes that appear only after decoding would be resolved by a lenient router or proxy
  // (`/v2/tracker/..%2Fpanel/x`): such a path has no single meaning, so it is refused rather than guessed.
  if (decoded.includes('\\') || decoded.split('/').some((segment) => segment === '.' || segment === '..')) return null;
  const normalized = decoded.replace(/\/{2,}/g, '/').replace(/\/+$/, '').toLowerCase();
  if (!normalized.startsWith(`${basePath}/`) && normalized !== basePath) {
    return normalized.includes('/panel/') || normalized.endsWith('/panel') ? 'panel' : 'user';
  }
  const relative = normalized.slice(basePath.length);
  if (relative === '/panel' || relative.startsWith('/panel/')) return 'panel';
  return userSessionPaths.has(relative) ? 'key-management' : 'user';
}
