/**
 * The client face: puts a key on an outgoing request's headers.
 *
 * @example
 * ```ts
 * await fetch(url, { headers: signTemplateRequest(new Headers(), key) });
 * ```
 */
export function signTemplateRequest(headers: Headers, key: string, options: { headerName?: string } = {}): Headers {
  const signed = new Headers(headers);
  signed.set(options.headerName ?? 'x-template-key', key);
  return signed;
}
