// What a wire-level driver exchanges: a Fetch `Request` in, a status and a parsed body out. The per-scheme
// profiles (`nvx-hash@2`, ...) speak only this, so the same cases run in-process and, through an HTTP driver,
// against a live server.

/**
 * A reply as it came over the wire: the HTTP status and the body parsed as JSON (the raw text when it is not
 * JSON, `null` when empty). Headers are not part of what the wire profiles judge.
 *
 * @example
 * ```ts
 * const reply: WireResponse = { status: 400, body: { success: false, status: { code: 3, description: 'Wrong hash' } } };
 * ```
 */
export interface WireResponse {
  /** The HTTP status. */
  readonly status: number;
  /** The body parsed as JSON; the raw text when it is not JSON; `null` when empty. */
  readonly body: unknown;
}

/**
 * Per-request information a Fetch `Request` does not carry.
 *
 * @example
 * ```ts
 * const options: WireSendOptions = { remoteAddress: '203.0.113.7' };
 * ```
 */
export interface WireSendOptions {
  /**
   * The client's socket address. In-process it is handed to the request adapter (default `192.0.2.10`). The
   * HTTP driver (`@gatehouse/conformance/http`) binds it as the source address when it offers capability
   * `remote-address` (a loopback base URL), and otherwise ignores it.
   */
  readonly remoteAddress?: string;
}

/**
 * Anything that exchanges a Fetch `Request` for a {@link WireResponse}. Cases build requests on the origin
 * `http://gatehouse.test` and mean only their method, path, query, headers and body: a driver sends those to
 * whatever it drives (a strategy in-process, a server by URL), keeping repeated header fields as sent where it
 * can. A driver that cannot send a request at all (over HTTP, from a source address it cannot bind) throws
 * `ConformanceSkip`, and the case is skipped.
 *
 * @example
 * ```ts
 * const sender: WireSender = { send: async (request) => ({ status: 200, body: { success: true } }) };
 * const reply = await sender.send(new Request('http://gatehouse.test/v2/tracker/list', { headers: { authorization: `NVX ${hash}` } }));
 * ```
 */
export interface WireSender {
  /** Sends the request's method, path, query, headers and body to what the driver drives, and returns the reply. */
  send(request: Request, options?: WireSendOptions): Promise<WireResponse>;
}

/**
 * The origin every case builds its requests on; drivers use only what follows it.
 *
 * @example
 * ```ts
 * const url = new URL(request.url);
 * const path = url.href.slice(CONFORMANCE_ORIGIN.length); // '/v2/tracker/list?hash=…', sent to the server under test
 * ```
 */
export const CONFORMANCE_ORIGIN = 'http://gatehouse.test';

/**
 * The header field lines of a request as a case wrote them (name and value, in order, a repeated name once per
 * line), which a Fetch `Headers` object joins. Attached by the kit's request builder so that a driver that
 * speaks HTTP itself can send them as separate lines; `null` for a request built elsewhere. Internal to the
 * package's entries.
 */
const FIELD_LINES = Symbol.for('@gatehouse/conformance/field-lines');

export type FieldLines = readonly (readonly [string, string])[];

/** Remembers the field lines a request was built from (see {@link fieldLinesOf}). */
export function attachFieldLines(request: Request, lines: FieldLines): Request {
  Object.defineProperty(request, FIELD_LINES, { value: Object.freeze(lines.map(([name, value]) => Object.freeze([name, value] as const))), enumerable: false });
  return request;
}

/** The field lines a request was built from, or `null` when it was not built by the kit. */
export function fieldLinesOf(request: Request): FieldLines | null {
  const lines: unknown = (request as unknown as Record<symbol, unknown>)[FIELD_LINES];
  return Array.isArray(lines) ? (lines as FieldLines) : null;
}
