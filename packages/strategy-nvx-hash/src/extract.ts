import { isJsonObject, type AuthErrorCode, type AuthRequest, type RequestBody } from '@gatehouse/auth-core';
import { parseAuthorizationHeader } from '@gatehouse/auth-core/strategy';
import { isHexString } from '@gatehouse/auth-core/crypto';
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
 * The result of reading a hash off a request, before any store lookup. `invalid` carries the code to refuse the
 * request with, and for `INTERNAL_ERROR` (the body was consumed before authentication) a `cause` saying so, for
 * the server's logs.
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
  | { readonly type: 'invalid'; readonly code: AuthErrorCode; readonly cause?: Error };

const HASH_LENGTH = NVX_HASH_BYTES * 2;

type Invalid = { readonly type: 'invalid'; readonly code: AuthErrorCode; readonly cause?: Error };
const invalid = (code: AuthErrorCode): Invalid => Object.freeze({ type: 'invalid', code });
const AMBIGUOUS = invalid('CREDENTIALS_AMBIGUOUS');
const MALFORMED = invalid('CREDENTIALS_MALFORMED');
const TOO_LARGE = invalid('REQUEST_TOO_LARGE');
const BODY_MALFORMED = invalid('REQUEST_MALFORMED');
const QUERY_REFUSED = invalid('CREDENTIALS_NOT_ACCEPTED_HERE');
const NONE: NvxHashExtraction = Object.freeze({ type: 'none' });

/** Why a request is refused when something consumed its body before authentication. */
const BODY_UNAVAILABLE_REASON =
  'nvx-hash: the request body was consumed before authentication (by a body parser or middleware) and the ' +
  'request adapter found neither the parsed body nor its bytes, so a hash in the body field `hash` cannot be ' +
  'checked. Authenticate before the body parser runs, or leave what it read where the adapter finds it ' +
  '(`req.body` as parsed, a Buffer or string `req.body`, or the bytes in `req.rawBody`), or pass it as ' +
  '`toAuthRequest(req, { body })`.';

/** A fresh refusal per request: a cause is an Error that logging code may annotate, so it is never shared. */
function bodyUnavailable(): Invalid {
  return { type: 'invalid', code: 'INTERNAL_ERROR', cause: new Error(BODY_UNAVAILABLE_REASON) };
}

/** `scheme` is `NVX` in any case. */
function isNvxScheme(scheme: string): boolean {
  return scheme.length === 3 && (scheme.charCodeAt(0) | 0x20) === 110 && (scheme.charCodeAt(1) | 0x20) === 118 && (scheme.charCodeAt(2) | 0x20) === 120;
}

/** A 32-hex-character hash in lower case (`toLowerCase` returns the same string when it already is). */
function normalizedHash(value: string): string | null {
  return isHexString(value, HASH_LENGTH) ? value.toLowerCase() : null;
}

/**
 * The hash of the `Authorization` header: the hash, `undefined` when no header carries an NVX credential, or
 * why the header is refused. The strategy awaits the body itself and passes it to {@link hashFromSources}: one
 * `await` per verification, not one per helper.
 */
export function readHeaderHash(request: AuthRequest): string | undefined | Invalid {
  const authorizations = request.headerValues('authorization');
  if (authorizations.length === 0) return undefined;
  let parameters: string | undefined;
  for (const value of authorizations) {
    const parsed = parseAuthorizationHeader(value);
    if (parsed !== null && isNvxScheme(parsed.scheme)) {
      if (authorizations.length > 1) return AMBIGUOUS;
      parameters = parsed.parameters;
    }
  }
  // parseAuthorizationHeader has already dropped the spaces and tabs around the value.
  if (parameters !== undefined) return normalizedHash(parameters) ?? MALFORMED;
  // A Fetch runtime joins repeated headers with ", ": an NVX credential may hide after another scheme's.
  if (authorizations.length === 1 && /(^|,)[ \t]*nvx([ \t]|$)/i.test(authorizations[0] as string)) return AMBIGUOUS;
  return undefined;
}

/**
 * Checks the body and query sources against the header's hash (`undefined` when none) and returns the one hash,
 * `null` when no source carries one, or why the request is refused. Pushes each source found to `sources`.
 */
function combineSources(
  request: AuthRequest,
  fromHeader: string | undefined,
  body: RequestBody,
  allowQueryHash: boolean,
  sources: NvxHashSource[] | null,
): string | null | Invalid {
  let hash = fromHeader;
  let ambiguous = false;
  const add = (value: string, source: NvxHashSource): void => {
    if (hash === undefined) hash = value;
    else if (value !== hash) ambiguous = true;
    if (sources !== null && !sources.includes(source)) sources.push(source);
  };
  if (fromHeader !== undefined) sources?.push('header');

  if (body.type === 'too-large') return TOO_LARGE;
  if (body.type === 'malformed') return BODY_MALFORMED;
  // Not the client's fault, and never skipped: the body might carry a hash, or one that contradicts the header.
  if (body.type === 'unavailable') return bodyUnavailable();
  // `{"hash":A,"hash":B}` parses as B alone: a hash sent twice in one body is as ambiguous as in two places.
  if (body.type === 'json' && body.duplicateKeys?.includes('hash') === true) return AMBIGUOUS;
  if (body.type === 'json' && isJsonObject(body.value) && Object.prototype.hasOwnProperty.call(body.value, 'hash')) {
    const value = body.value['hash'];
    const normalized = typeof value === 'string' ? normalizedHash(value) : null;
    if (normalized === null) return MALFORMED;
    add(normalized, 'body');
  } else if (body.type === 'form') {
    for (const value of body.fields.get('hash') ?? []) {
      const normalized = normalizedHash(value);
      if (normalized === null) return MALFORMED;
      add(normalized, 'body');
    }
  }

  const queryValues = request.queryValues('hash');
  if (queryValues.length > 0) {
    // A refused channel is refused loudly, not ignored: the hash must never authenticate from the URL.
    if (!allowQueryHash) return QUERY_REFUSED;
    for (const value of queryValues) {
      const normalized = normalizedHash(value);
      if (normalized === null) return MALFORMED;
      add(normalized, 'query');
    }
  }
  if (hash === undefined) return null;
  return ambiguous ? AMBIGUOUS : hash;
}

/**
 * The one hash a request carries, from the header's (`undefined` when none) and the body and query: the hash,
 * `null` when no source carries one, or why the request is refused (a body consumed before authentication is
 * `INTERNAL_ERROR` with a `cause` saying how to fix it).
 */
export function hashFromSources(
  request: AuthRequest,
  fromHeader: string | undefined,
  body: RequestBody,
  allowQueryHash: boolean,
): string | null | Invalid {
  return combineSources(request, fromHeader, body, allowQueryHash, null);
}

/**
 * Reads the hash from, in order, `Authorization: NVX <hash>`, the JSON or urlencoded body field `hash`, and
 * (when allowed) the query parameter `hash`, the three places the Navixy API docs, "Authentication"
 * (https://www.navixy.com/docs/navixy-api/user-api/authentication), accept it. Every place a hash appears must
 * hold the same 32 hex characters; anything else is refused here and never reaches the store.
 *
 * - The scheme is case-insensitive; whitespace around the header value and between scheme and hash is
 *   tolerated; anything after the hash is malformed. An `Authorization` header of another scheme is not ours.
 * - Two `Authorization` lines of which one is NVX, or a field sent twice with different values, are ambiguous.
 * - A body `hash` that is not a string (number, object, array, null) is malformed.
 * - Hex case is ignored; the hash is returned in lower case.
 * - A body that something consumed before authentication (`{ type: 'unavailable' }`) is refused with
 *   `INTERNAL_ERROR` and a `cause` that says so: the request cannot be judged, and it is not the client's fault.
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
  const fromHeader = readHeaderHash(request);
  if (typeof fromHeader === 'object') return fromHeader;
  const sources: NvxHashSource[] = [];
  const hash = combineSources(request, fromHeader, await request.body(), options.allowQueryHash, sources);
  if (hash === null) return NONE;
  if (typeof hash === 'object') return hash;
  return { type: 'found', hash, sources };
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
