import { concatBytes, type CappedRead, type RequestBody } from './body.js';
import { JSON_CONTENT_TYPE, type WireReply } from './reply.js';
import {
  compileAdapterOptions,
  LazyAuthRequest,
  readRawHeaderValues,
  type AuthRequest,
  type CompiledAdapterOptions,
  type RawBodySource,
  type RequestAdapterOptions,
} from './request.js';

/**
 * The part of Node's `http.IncomingMessage` the adapter uses, stated structurally so this entry needs no
 * `node:` import. Express's `originalUrl` and a body parser's `body` / `rawBody` are read when present.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from 'node:http';
 * const incoming: NodeIncomingMessage = req satisfies IncomingMessage;
 * ```
 */
export interface NodeIncomingMessage {
  /** The request method, e.g. `GET`. */
  readonly method?: string | undefined;
  /** The request target: path and query. */
  readonly url?: string | undefined;
  /** Express keeps the URL as received here while sub-routers rewrite `url`. */
  readonly originalUrl?: string | undefined;
  /**
   * Header names and values in turn, as received: a repeated field stays one line each, unlike Node's `headers` object.
   */
  readonly rawHeaders: readonly string[];
  /** The connection; its `remoteAddress` is the client IP when no proxy setting says otherwise. */
  readonly socket: { readonly remoteAddress?: string | undefined } | null;
  /** True once the body stream has ended: something read it before the adapter, and `body` holds what it left. */
  readonly readableEnded?: boolean;
  /** True once anything has read from the stream (Node ≥ 16.7). */
  readonly readableDidRead?: boolean;
  /** What a body parser left: a parsed object, text or bytes (Express, Koa and friends). */
  readonly body?: unknown;
  /** The raw body bytes, where a parser was told to keep them (e.g. `express.json({ verify })`). */
  readonly rawBody?: unknown;
  /** Receives the body, one chunk at a time. */
  on(event: 'data', listener: (chunk: Uint8Array | string) => void): unknown;
  /** Told when the body is complete (`end`) or the connection went away first (`close`). */
  on(event: 'end' | 'close', listener: () => void): unknown;
  /** Told when reading the body failed. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Removes a listener added with `on` once the body is read or refused. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- matches EventEmitter's own signature
  off(event: string, listener: (...args: any[]) => void): unknown;
  /** Stops the flow of body chunks (a body past the size cap is not read further). */
  pause(): unknown;
  /** Starts the flow of body chunks. */
  resume(): unknown;
}

const encoder = new TextEncoder();

/**
 * Requests whose body was abandoned past the byte cap: the rest of it is still on the wire, and a reply to them
 * closes the connection, so the next request on it is not left waiting behind bytes nobody reads.
 */
const abandonedBodies = new WeakSet<object>();

/** Form fields as `express.urlencoded({ extended: false })` gives them: one string, or an array when repeated. */
function formObject(fields: ReadonlyMap<string, readonly string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const [name, values] of fields) {
    // The same keys JSON parsing drops: a handler that copies the body must not meet a prototype in it.
    if (name === '__proto__' || name === 'constructor' || name === 'prototype') continue;
    out[name] = values.length === 1 ? (values[0] as string) : [...values];
  }
  return out;
}
/**
 * Per-request information the adapter cannot find on the message itself.
 *
 * @example
 * ```ts
 * toAuthRequest(req, { body: req.body });
 * ```
 */
export interface NodeRequestContext {
  /**
   * The client's address as the framework resolved it under its own trust-proxy setting (Express's `req.ip`,
   * Fastify's `request.ip`), used instead of the socket address. Only when that setting is right for your
   * deployment: the adapter then believes it.
   */
  readonly remoteAddress?: string | null;
  /**
   * The body as something else already read it: a parsed object, text, or bytes (bytes and text are decoded as
   * if read from the stream; a parsed object is taken as parsed). Default: `rawBody`, then the stream if still
   * unread, then `body`.
   */
  readonly body?: unknown;
}

class NodeAuthRequest extends LazyAuthRequest {
  readonly #incoming: NodeIncomingMessage;
  readonly #context: NodeRequestContext | undefined;

  constructor(incoming: NodeIncomingMessage, context: NodeRequestContext | undefined, options: CompiledAdapterOptions) {
    // Express sub-routers strip their mount path from `url`; the path a strategy classifies is the one received.
    super(incoming.method ?? 'GET', incoming.originalUrl ?? incoming.url ?? '/', options);
    this.#incoming = incoming;
    this.#context = context;
  }

  protected override hasParsedBody(): boolean {
    const incoming = this.#incoming;
    if (this.#context?.body !== undefined) return true;
    if (incoming.rawBody instanceof Uint8Array || typeof incoming.rawBody === 'string') return true;
    return (incoming.readableEnded === true || incoming.readableDidRead === true) && incoming.body !== undefined;
  }

  protected override afterBodyRead(body: RequestBody): void {
    // The stream is drained now: leave the parsed body where Express-style handlers and body parsers look for it
    // (a parser that runs later sees a finished request and keeps it), unless something already put one there.
    const incoming = this.#incoming as { body?: unknown; _body?: boolean };
    if (incoming.body !== undefined) return;
    try {
      if (body.type === 'json') incoming.body = body.value;
      else if (body.type === 'form') incoming.body = formObject(body.fields);
      else return;
      // body-parser 1.x (Express 4) skips a request marked parsed; otherwise it would try the drained stream.
      incoming._body = true;
    } catch {
      // A frozen or exotic request object keeps its own body; the handler still has `authRequest.body()`.
    }
  }

  protected readHeaderValues(lowerCaseName: string): readonly string[] {
    // rawHeaders keeps every field line as sent; Node's `headers` object silently drops repeated
    // `Authorization` lines, which would hide the ambiguity strategies must reject.
    return readRawHeaderValues(this.#incoming.rawHeaders, lowerCaseName);
  }

  protected readSocketAddress(): string | null {
    const given = this.#context?.remoteAddress;
    return given !== undefined ? given : (this.#incoming.socket?.remoteAddress ?? null);
  }

  protected readRawBody(maxBytes: number): Promise<CappedRead | RawBodySource> {
    const incoming = this.#incoming;
    const given = this.#context?.body;
    if (given !== undefined) return Promise.resolve({ type: 'parsed', value: given });
    if (incoming.rawBody instanceof Uint8Array || typeof incoming.rawBody === 'string') {
      return Promise.resolve({ type: 'parsed', value: incoming.rawBody });
    }
    if (incoming.readableEnded === true || incoming.readableDidRead === true) {
      // A body parser ran first: take what it left, never mistake the drained stream for an empty or bad body.
      return Promise.resolve(incoming.body === undefined ? { type: 'unavailable' } : { type: 'parsed', value: incoming.body });
    }
    return new Promise<CappedRead>((resolve) => {
      const parts: Uint8Array[] = [];
      let total = 0;
      const finish = (result: CappedRead): void => {
        incoming.off('data', onData);
        incoming.off('end', onEnd);
        incoming.off('error', onError);
        incoming.off('close', onClose);
        resolve(result);
      };
      const onData = (chunk: Uint8Array | string): void => {
        const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
        total += bytes.length;
        if (total > maxBytes) {
          // Stop reading at once; the reply closes the connection rather than read the rest.
          incoming.pause();
          abandonedBodies.add(incoming);
          finish({ type: 'too-large' });
          return;
        }
        parts.push(bytes);
      };
      const onEnd = (): void => finish({ type: 'read', bytes: concatBytes(parts) });
      const onError = (): void => finish({ type: 'failed' });
      const onClose = (): void => finish({ type: 'failed' });
      incoming.on('data', onData);
      incoming.on('end', onEnd);
      incoming.on('error', onError);
      incoming.on('close', onClose);
      incoming.resume();
    });
  }
}

/**
 * Creates an adapter from a Node `http.IncomingMessage` to an {@link AuthRequest}, without building a Fetch
 * `Request` (which would cost more than the whole verification). Headers are read in place from
 * `rawHeaders`; the path is Express's `originalUrl` when there is one. The body is consumed only if a strategy
 * asks for it, so read it through `authRequest.body()` afterwards too. When a body parser ran first (Express's
 * `express.json()`), its result is used instead of the drained stream: raw bytes (`rawBody`, or a `Buffer`
 * body) exactly, a parsed object as parsed.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createNodeRequestAdapter } from '@gatehouse/auth-core/node';
 * const toAuthRequest = createNodeRequestAdapter({ trustedProxies: ['127.0.0.1'] });
 * createServer(async (req, res) => {
 *   const outcome = await strategy.authenticate(toAuthRequest(req));
 *   res.end(outcome.type);
 * });
 * ```
 */
export function createNodeRequestAdapter(
  options: RequestAdapterOptions = {},
): (incoming: NodeIncomingMessage, context?: NodeRequestContext) => AuthRequest {
  const compiled = compileAdapterOptions(options);
  return (incoming, context) => new NodeAuthRequest(incoming, context, compiled);
}

/**
 * The part of Node's `http.ServerResponse` {@link writeNodeReply} uses, stated structurally.
 *
 * @example
 * ```ts
 * const response: NodeServerResponse = res;
 * ```
 */
export interface NodeServerResponse {
  /** The status code to send. */
  statusCode: number;
  /** True once the status line and headers have been sent (Node sets it). */
  readonly headersSent?: boolean;
  /** The request this answers (Node sets it). */
  readonly req?: object;
  /** Sets one response header. */
  setHeader(name: string, value: string | number): unknown;
  /** Sends the body and ends the response. */
  end(chunk?: string): unknown;
}

/**
 * Writes a {@link WireReply} (a strategy's rendered refusal or success) to a Node response: status, the reply's
 * headers, `Content-Type: application/json` unless the reply sets one, and the JSON body. When the adapter stopped
 * reading the request's body past its cap, the reply also closes the connection (`Connection: close`): the unread
 * rest would otherwise hold up the next request on it.
 *
 * @example
 * ```ts
 * import { writeNodeReply } from '@gatehouse/auth-core/node';
 * const decision = await guard(toAuthRequest(req));
 * if (decision.type === 'refused') return writeNodeReply(res, decision.reply);
 * ```
 */
export function writeNodeReply(response: NodeServerResponse, reply: WireReply<unknown>): void {
  const body = JSON.stringify(reply.body) ?? 'null';
  response.statusCode = reply.httpStatus;
  let hasContentType = false;
  for (const name of Object.keys(reply.headers)) {
    if (name.toLowerCase() === 'content-type') hasContentType = true;
    response.setHeader(name, reply.headers[name] as string);
  }
  if (!hasContentType) response.setHeader('content-type', JSON_CONTENT_TYPE);
  if (response.req !== undefined && abandonedBodies.has(response.req)) response.setHeader('connection', 'close');
  response.setHeader('content-length', new TextEncoder().encode(body).length);
  response.end(body);
}

export type { AuthRequest, RequestAdapterOptions } from './request.js';
