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
  const trimmed = value.replace(/^[ \t]+|[ \t]+$/g, '');
  const match = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?:[ \t]+([\s\S]*))?$/.exec(trimmed);
  if (match === null) return null;
  return { scheme: match[1] as string, parameters: match[2] ?? '' };
}
