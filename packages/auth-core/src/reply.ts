/**
 * A reply ready to send: HTTP status, headers and a JSON body. Every strategy's envelope renderer returns this
 * shape, so a framework adapter can send any scheme's reply without knowing the scheme.
 *
 * @example
 * ```ts
 * const reply: WireReply<{ error: string }> = { httpStatus: 401, headers: {}, body: { error: 'Invalid' } };
 * return new Response(JSON.stringify(reply.body), { status: reply.httpStatus, headers: reply.headers });
 * ```
 */
export interface WireReply<B> {
  /** The HTTP status code. */
  readonly httpStatus: number;
  /** Response headers, by name. The adapters send a reply without `content-type` as `application/json`. */
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body, in the scheme's envelope. */
  readonly body: B;
}

/**
 * The JSON content type every envelope uses.
 *
 * @example
 * ```ts
 * const reply: WireReply<{ success: false }> = { httpStatus: 400, headers: { 'content-type': JSON_CONTENT_TYPE }, body: { success: false } };
 * ```
 */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Turns a {@link WireReply} into a Fetch `Response` (JSON body).
 *
 * @example
 * ```ts
 * return toFetchResponse(renderNvxError(outcome.error));
 * ```
 */
export function toFetchResponse<B>(reply: WireReply<B>): Response {
  const headers = new Headers({ 'content-type': JSON_CONTENT_TYPE });
  // `set`, not an object spread: a reply's `Content-Type` in any casing replaces the default instead of joining it.
  for (const name of Object.keys(reply.headers)) headers.set(name, reply.headers[name] as string);
  return new Response(JSON.stringify(reply.body) ?? 'null', { status: reply.httpStatus, headers });
}
