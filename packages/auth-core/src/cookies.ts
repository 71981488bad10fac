/**
 * Parses one or more `Cookie` header values into a map from cookie name to every value sent under that name,
 * in order. Never throws: pairs without `=` or with an empty name are skipped. Names are trimmed; values are
 * kept exactly as sent (quotes and inner spaces included) so that a strategy can reject a value a strict
 * client would never produce. A `Map` is used so names such as `__proto__` or `toString` are ordinary keys.
 *
 * @example
 * ```ts
 * const cookies = parseCookieHeader(['a=1; b=2', 'a=3']);
 * cookies.get('a'); // ['1', '3']
 * ```
 */
export function parseCookieHeader(headerValues: readonly string[]): ReadonlyMap<string, readonly string[]> {
  const cookies = new Map<string, string[]>();
  for (const headerValue of headerValues) {
    if (typeof headerValue !== 'string') continue;
    let start = 0;
    while (start <= headerValue.length) {
      let end = headerValue.indexOf(';', start);
      if (end === -1) end = headerValue.length;
      const pair = headerValue.slice(start, end);
      const equals = pair.indexOf('=');
      if (equals > 0) {
        const name = pair.slice(0, equals).trim();
        if (name !== '') {
          const value = pair.slice(equals + 1);
          const existing = cookies.get(name);
          if (existing === undefined) cookies.set(name, [value]);
          else existing.push(value);
        }
      }
      start = end + 1;
    }
  }
  return cookies;
}

/**
 * Splits an `Authorization` header value into its scheme and the rest. Leading and trailing whitespace around
 * the whole value is ignored; the scheme is returned as sent (compare it case-insensitively, RFC 9110 §11.1).
 * Returns `null` when there is no scheme.
 *
 * @example
 * ```ts
 * parseAuthorizationHeader('NVX 0123abcd'); // { scheme: 'NVX', parameters: '0123abcd' }
 * ```
 */
export function parseAuthorizationHeader(value: string): { scheme: string; parameters: string } | null {
  if (typeof value !== 'string') return null;
  // One scan, no regular expressions: this runs on every request.
  let start = 0;
  let end = value.length;
  while (start < end && isSpaceOrTab(value.charCodeAt(start))) start++;
  while (end > start && isSpaceOrTab(value.charCodeAt(end - 1))) end--;
  let schemeEnd = start;
  while (schemeEnd < end && isTokenChar(value.charCodeAt(schemeEnd))) schemeEnd++;
  if (schemeEnd === start) return null;
  if (schemeEnd === end) return { scheme: value.slice(start, end), parameters: '' };
  if (!isSpaceOrTab(value.charCodeAt(schemeEnd))) return null;
  let parametersStart = schemeEnd;
  while (isSpaceOrTab(value.charCodeAt(parametersStart))) parametersStart++;
  return { scheme: value.slice(start, schemeEnd), parameters: value.slice(parametersStart, end) };
}

function isSpaceOrTab(code: number): boolean {
  return code === 32 || code === 9;
}

/** RFC 9110 token characters: `!#$%&'*+-.^_\`|~`, digits and letters. */
const TOKEN_CHARS = new Uint8Array(128);
for (const char of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHARS[char.charCodeAt(0)] = 1;

function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN_CHARS[code] === 1;
}
