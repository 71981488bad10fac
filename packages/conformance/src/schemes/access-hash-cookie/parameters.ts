// What "API Access Hashs" leaves to each server, as parameters the server declares. The defaults are Gatehouse's
// own choices (@gatehouse/strategy-access-hash-cookie), but for statuses, where any 4xx is taken unless declared. A
// parameter never weakens a security rule: it says which of the documented-silent behaviours to expect, and a server
// that departs from its declaration gets a wire difference.
import type { ParameterSpec } from '../../case.js';
import { PUQ_ACCESS_HASHES } from '../../profiles/sources.js';

/** The values of the access-hash parameters, as the cases read them. */
export interface AccessHashParameters {
  readonly foreignIpReply: 'distinct' | 'same-as-invalid';
  readonly refusalStatus: 'any-4xx' | 'by-kind' | '400' | '401' | '403';
  readonly cookieValueWhitespace: 'reject' | 'trim';
  readonly cookieValueQuotes: 'reject' | 'strip';
  readonly duplicateCookie: 'reject' | 'first' | 'last';
  readonly hexCase: 'lower-only' | 'any';
}

const spec = (name: string, values: readonly string[], fallback: string, description: string, silence: string): ParameterSpec =>
  Object.freeze({ name, values: Object.freeze([...values]), default: fallback, description, silence });

/**
 * The parameters of `access-hash-cookie@2`: `--param name=value` on the CLI, `parameters` in `runProfile`. Each
 * default is Gatehouse's choice, except `refusal_status`: the document gives no status at all, so any 4xx is
 * taken unless a server declares its statuses (`by-kind` is Gatehouse's split).
 *
 * @example
 * ```ts
 * import { accessHashCookieV2, runProfile } from '@gatehouse/conformance';
 * // A server that trims cookie whitespace, answers every refusal with 403 and a foreign IP with its own text.
 * await runProfile(accessHashCookieV2, driver, { parameters: { cookie_value_whitespace: 'trim', refusal_status: '403' } });
 * ```
 */
export const ACCESS_HASH_PARAMETERS: readonly ParameterSpec[] = Object.freeze([
  spec(
    'foreign_ip_reply',
    ['distinct', 'same-as-invalid'],
    'distinct',
    'a live hash from another IP address: its own refusal (Gatehouse: 403 "Access hash is not valid from this IP address"), or exactly the reply an unknown hash gets. Never accepted either way; with same-as-invalid, a stolen hash tried elsewhere cannot be told from an unknown one',
    `${PUQ_ACCESS_HASHES} says "Each API Access Hash only works from a specific IP address" and shows no refusal for another address`,
  ),
  spec(
    'refusal_status',
    ['any-4xx', 'by-kind', '400', '401', '403'],
    'any-4xx',
    "the HTTP status of refusals. any-4xx (the default: the document gives none): any 4xx, and when the credential store is down any 4xx or 5xx. by-kind (Gatehouse's split, checked exactly when declared): 401 for a missing, unknown or revoked hash, 400 for a malformed or duplicated cookie, 403 for a foreign IP, 503 when the store is down. 400, 401 or 403: that status for every refusal (store down: it or any 5xx). An oversized value may always get the HTTP layer's 413 or 431",
    `${PUQ_ACCESS_HASHES} gives no HTTP status for any reply, only the envelope's "status"`,
  ),
  spec(
    'cookie_value_whitespace',
    ['reject', 'trim'],
    'reject',
    "spaces or tabs around the hash inside the cookie (`access_hash= <hash>`): refused as malformed (Gatehouse's), or stripped as RFC 6265 §5.2 does. Whitespace inside the hash is never accepted",
    `${PUQ_ACCESS_HASHES} says nothing of whitespace; RFC 6265 §4.2.1 sends none, §5.2 strips it`,
  ),
  spec(
    'cookie_value_quotes',
    ['reject', 'strip'],
    'reject',
    "a hash in double quotes (`access_hash=\"<hash>\"`): refused as malformed (Gatehouse's), or the quotes removed, as RFC 6265 §4.2.1's cookie-value grammar allows them. Single or unbalanced quotes are expected to be refused either way",
    `${PUQ_ACCESS_HASHES} says nothing of quoting; RFC 6265 §4.2.1 allows a DQUOTE-wrapped cookie-value`,
  ),
  spec(
    'duplicate_cookie',
    ['reject', 'first', 'last'],
    'reject',
    "a second access_hash cookie (in one Cookie field or another): the request is refused (Gatehouse's), or the first (last) value is the one judged and used. Whichever: a request is never let in by a value other than the one it is judged by (with first, `good; bad` may pass and `bad; good` never does)",
    `${PUQ_ACCESS_HASHES} names one cookie and says nothing of two; RFC 6265 §4.2.2 leaves servers to cope with duplicate names`,
  ),
  spec(
    'hex_case',
    ['lower-only', 'any'],
    'lower-only',
    "the hash in upper or mixed case: refused as malformed (Gatehouse's: only the lower-case hex issued is a hash), or compared case-insensitively",
    `${PUQ_ACCESS_HASHES} shows one lower-case hash and says nothing of case`,
  ),
]);

/** Reads the resolved parameter values (as `runProfile` gives them) into their typed form. */
export function readParameters(values: Readonly<Record<string, string>>): AccessHashParameters {
  const pick = <T extends string>(name: string): T => {
    const spec = ACCESS_HASH_PARAMETERS.find((one) => one.name === name) as ParameterSpec;
    const value = values[name];
    return (value !== undefined && spec.values.includes(value) ? value : spec.default) as T;
  };
  return {
    foreignIpReply: pick('foreign_ip_reply'),
    refusalStatus: pick('refusal_status'),
    cookieValueWhitespace: pick('cookie_value_whitespace'),
    cookieValueQuotes: pick('cookie_value_quotes'),
    duplicateCookie: pick('duplicate_cookie'),
    hexCase: pick('hex_case'),
  };
}

/** The kinds of refusal the cases tell apart when they check a status. */
export type RefusalKind = 'missing' | 'empty' | 'unknown' | 'malformed' | 'duplicate' | 'foreign-ip' | 'oversized' | 'store-down';

/** The statuses a refusal of `kind` may have under the declared parameters (a predicate, and its description). */
export function allowedStatuses(parameters: AccessHashParameters, kind: RefusalKind): { readonly test: (status: number) => boolean; readonly text: string } {
  const is4xx = (status: number): boolean => status >= 400 && status < 500;
  const is5xx = (status: number): boolean => status >= 500 && status < 600;
  const oneOf = (statuses: readonly number[], text = statuses.join(' or ')) => ({ test: (status: number) => statuses.includes(status), text });
  const { refusalStatus } = parameters;
  if (kind === 'foreign-ip' && parameters.foreignIpReply === 'same-as-invalid') return allowedStatuses(parameters, 'unknown');
  if (refusalStatus === 'by-kind') {
    switch (kind) {
      case 'missing':
      case 'unknown':
        return oneOf([401]);
      case 'malformed':
      case 'duplicate':
        return oneOf([400]);
      case 'empty':
        return oneOf([400, 401]);
      case 'foreign-ip':
        return oneOf([403]);
      case 'oversized':
        return oneOf([400, 413, 431]);
      case 'store-down':
        return oneOf([503]);
    }
  }
  if (refusalStatus === 'any-4xx') {
    if (kind === 'store-down') return { test: (status) => is4xx(status) || is5xx(status), text: 'a 4xx or 5xx' };
    return { test: is4xx, text: 'a 4xx' };
  }
  const declared = Number(refusalStatus);
  if (kind === 'oversized') return oneOf([declared, 413, 431]);
  if (kind === 'store-down') return { test: (status) => status === declared || is5xx(status), text: `${declared} or a 5xx` };
  return oneOf([declared]);
}
