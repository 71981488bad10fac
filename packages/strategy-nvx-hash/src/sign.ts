import { isJsonObject } from '@gatehouse/auth-core';
import { parseFormSafely } from '@gatehouse/auth-core/strategy';
import { isHexString } from '@gatehouse/auth-core/crypto';
import { NVX_HASH_BYTES } from './options.js';

/**
 * Where {@link signNvxRequest} puts the hash: the `Authorization` header (preferred), the body field `hash` (JSON
 * or urlencoded, whichever the request has; JSON when it has none), or the query (testing only), as the Navixy API
 * docs, "Authentication" (https://www.navixy.com/docs/navixy-api/user-api/authentication), describe them.
 *
 * @example
 * ```ts
 * const placement: NvxHashPlacement = 'header';
 * ```
 */
export type NvxHashPlacement = 'header' | 'body' | 'query';

function assertHash(hash: string): void {
  if (!isHexString(hash, NVX_HASH_BYTES * 2)) throw new TypeError('signNvxRequest: hash must be 32 hex characters');
}

/**
 * The `Authorization` header value for a hash: `NVX <hash>`.
 *
 * @example
 * ```ts
 * fetch(url, { headers: { Authorization: nvxAuthorization(apiKey) } });
 * ```
 */
export function nvxAuthorization(hash: string): string {
  assertHash(hash);
  return `NVX ${hash}`;
}

/**
 * Returns a copy of `request` carrying `hash` in one of the three places Navixy accepts. Throws a `TypeError`
 * when the hash is not 32 hex characters or a body placement meets a body that is neither JSON nor a form.
 *
 * @example
 * ```ts
 * const signed = await signNvxRequest(new Request('https://api.example.com/v2/tracker/list', { method: 'POST' }), apiKey);
 * await fetch(signed);
 * ```
 */
export async function signNvxRequest(request: Request, hash: string, options: { placement?: NvxHashPlacement } = {}): Promise<Request> {
  assertHash(hash);
  const placement = options.placement ?? 'header';
  if (placement === 'header') {
    const headers = new Headers(request.headers);
    headers.set('authorization', `NVX ${hash}`);
    return new Request(request, { headers });
  }
  if (placement === 'query') {
    const url = new URL(request.url);
    url.searchParams.set('hash', hash);
    return new Request(url, request);
  }
  if (placement !== 'body') throw new TypeError("signNvxRequest: placement must be 'header', 'body' or 'query'");
  const method = request.method === 'GET' || request.method === 'HEAD' ? 'POST' : request.method;
  const text = request.body === null ? '' : await request.text();
  const contentType = request.headers.get('content-type') ?? '';
  const headers = new Headers(request.headers);
  let body: string;
  if (/^application\/x-www-form-urlencoded/i.test(contentType)) {
    const fields = parseFormSafely(text);
    if (fields === null) throw new TypeError('signNvxRequest: the form body is malformed');
    const params = new URLSearchParams(text);
    params.set('hash', hash);
    body = params.toString();
  } else if (text === '' || /^application\/(.+\+)?json/i.test(contentType)) {
    let value: unknown;
    try {
      // Plain JSON.parse: this is the caller's own body, and every key it has must reach the server unchanged.
      value = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new TypeError('signNvxRequest: the JSON body is malformed');
    }
    if (!isJsonObject(value)) throw new TypeError('signNvxRequest: the JSON body must be an object');
    body = JSON.stringify({ ...value, hash });
    headers.set('content-type', 'application/json');
  } else {
    throw new TypeError(`signNvxRequest: cannot put a hash into a ${contentType} body`);
  }
  headers.delete('content-length');
  return new Request(request.url, { method, headers, body });
}
