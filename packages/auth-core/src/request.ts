import {
  decodeParsedBody,
  decodeRequestBody,
  isReadableMediaType,
  mediaTypeOf,
  readStreamCapped,
  type CappedRead,
  type RequestBody,
} from './body.js';

/**
 * Where a body comes from when the adapter cannot read the stream itself: a value a framework's body parser left
 * (bytes, text or a parsed object), or nothing at all.
 */
export type RawBodySource = { readonly type: 'parsed'; readonly value: unknown } | { readonly type: 'unavailable' };
import { parseCookieHeader } from './cookies.js';
import { ConfigurationError } from './errors.js';
import { createIpMatcher, resolveClientIp, type IpMatcher } from './ip.js';
import { createBoundedMemo } from './memo.js';

/**
 * A small, read-only, lazy view of an HTTP request: what a strategy needs and nothing more. Both a Fetch
 * `Request` and a Node `IncomingMessage` map onto it without copying headers; the body is read only when a
 * strategy asks, once, under a byte cap.
 *
 * @example
 * ```ts
 * const hash = request.header('authorization');
 * const body = await request.body();
 * ```
 */
export interface AuthRequest {
  /** The method in upper case, e.g. `GET`. */
  readonly method: string;
  /** The request target as received: path and query, e.g. `/v2/tracker/list?hash=…`. */
  readonly url: string;
  /** The path with dot segments resolved and percent-escapes left as sent, e.g. `/v2/tracker/list`. */
  readonly path: string;
  /** The first value of a query parameter, or `null`. */
  query(name: string): string | null;
  /** Every value of a query parameter, in order. */
  queryValues(name: string): readonly string[];
  /**
   * A header (name case-insensitive), or `null` when absent. When the header was sent more than once, the
   * values are joined with `, ` as Fetch does; use {@link AuthRequest.headerValues} to tell.
   */
  header(name: string): string | null;
  /**
   * Every field line of a header, in order. On Node each repeated header line is its own entry; a Fetch
   * `Request` has already joined them (except `Set-Cookie`), so there it has at most one entry.
   */
  headerValues(name: string): readonly string[];
  /** The value of a cookie when it was sent exactly once; `null` when absent or sent more than once. */
  cookie(name: string): string | null;
  /** Every value sent for a cookie, across every `Cookie` header, in order. */
  cookieValues(name: string): readonly string[];
  /**
   * The client's IP address in canonical form (IPv4-mapped IPv6 as IPv4), resolved from the socket and, only
   * behind configured trusted proxies, from `X-Forwarded-For`. `null` when unknown.
   */
  readonly clientIp: string | null;
  /** The parsed body, read once on first call and cached; never throws. */
  body(): Promise<RequestBody>;
}

/**
 * Options shared by the request adapters.
 *
 * @example
 * ```ts
 * const options: RequestAdapterOptions = { trustedProxies: ['10.0.0.0/8'], maxBodyBytes: 16_384 };
 * ```
 */
export interface RequestAdapterOptions {
  /**
   * IPs and CIDRs of reverse proxies whose `X-Forwarded-For` is believed. Default: none, so the client IP is
   * always the socket address.
   */
  readonly trustedProxies?: readonly string[];
  /**
   * A request header that the platform in front of the server sets to the client's address and never passes
   * through from the client (e.g. `x-real-ip` on Vercel, `cf-connecting-ip` behind Cloudflare, `fly-client-ip` on
   * Fly.io): the client IP is read from it instead of the socket. Its value must be exactly one IP address;
   * anything else gives `null` (unknown), so IP-bound credentials fail closed. Only for platforms that guarantee
   * the header: anywhere else a client can set it. Not together with `trustedProxies`.
   */
  readonly clientIpHeader?: string;
  /** The most body bytes read before the body counts as too large. Default 65,536. */
  readonly maxBodyBytes?: number;
}

/** Compiled adapter settings. */
export interface CompiledAdapterOptions {
  readonly trustedProxies: IpMatcher | null;
  readonly clientIpHeader: string | null;
  readonly maxBodyBytes: number;
}

/** Validates and compiles {@link RequestAdapterOptions}; throws a {@link ConfigurationError} naming the option. */
export function compileAdapterOptions(options: RequestAdapterOptions = {}): CompiledAdapterOptions {
  const maxBodyBytes = options.maxBodyBytes ?? 65_536;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0) {
    throw new ConfigurationError('maxBodyBytes', 'must be a non-negative integer');
  }
  let trustedProxies: IpMatcher | null = null;
  if (options.trustedProxies !== undefined) trustedProxies = createIpMatcher(options.trustedProxies, 'trustedProxies');
  let clientIpHeader: string | null = null;
  if (options.clientIpHeader !== undefined) {
    if (typeof options.clientIpHeader !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(options.clientIpHeader)) {
      throw new ConfigurationError('clientIpHeader', 'must be an HTTP header name');
    }
    if (trustedProxies !== null) throw new ConfigurationError('clientIpHeader', 'cannot be combined with trustedProxies: choose where the client IP comes from');
    clientIpHeader = options.clientIpHeader.toLowerCase();
  }
  return { trustedProxies, clientIpHeader, maxBodyBytes };
}

/** Canonical forms of socket addresses already seen: the same few peers come back on every request. */
const canonicalAddressOf = createBoundedMemo((address) => resolveClientIp(address, [], null), 4096);

/** The canonical client IP of a socket address when no proxy is trusted (as `resolveClientIp` gives it). */
function canonicalSocketAddress(address: string | null): string | null {
  return address === null ? null : canonicalAddressOf(address);
}

// Never exposed, only read (`get`, `getAll`): one shared empty instance serves every request without a query.
const EMPTY_QUERY = new URLSearchParams();
const NO_BODY_VALUE: RequestBody = Object.freeze({ type: 'none' });
const NO_BODY: Promise<RequestBody> = Promise.resolve(NO_BODY_VALUE);

/**
 * Tells whether `url` is a path that WHATWG URL parsing returns unchanged as its pathname, with no query: it
 * starts with one `/` and holds only letters, digits, `/`, `-`, `_`, `~` and `.` (but no segment starting with
 * a dot). Most API requests are such paths; they skip the URL parser.
 */
function isPlainPath(url: string): boolean {
  if (url.charCodeAt(0) !== 47 || url.charCodeAt(1) === 47) return false;
  for (let i = 1; i < url.length; i++) {
    const code = url.charCodeAt(i);
    const letterOrDigit = (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57);
    if (letterOrDigit || code === 45 || code === 95 || code === 126) continue;
    if (code === 47 || (code === 46 && url.charCodeAt(i - 1) !== 47)) continue;
    return false;
  }
  return true;
}

/**
 * The shared lazy machinery behind both adapters: subclasses say how to read headers, the socket address and
 * the raw body. Internal: not exported from any entry.
 */
export abstract class LazyAuthRequest implements AuthRequest {
  readonly method: string;
  readonly url: string;
  #path: string | undefined;
  #query: URLSearchParams | undefined;
  #cookies: ReadonlyMap<string, readonly string[]> | undefined;
  #clientIp: string | null | undefined;
  #body: Promise<RequestBody> | undefined;
  protected readonly options: CompiledAdapterOptions;

  protected constructor(method: string, url: string, options: CompiledAdapterOptions) {
    this.method = method.toUpperCase();
    this.url = url;
    this.options = options;
  }

  protected abstract readHeaderValues(lowerCaseName: string): readonly string[];
  protected abstract readSocketAddress(): string | null;
  /** The raw body under the cap, or a body that something else already parsed (`{ type: 'parsed' }`). */
  protected abstract readRawBody(maxBytes: number): Promise<CappedRead | RawBodySource>;
  /** Called once with the decoded body when the adapter read the bytes itself. */
  protected afterBodyRead(_body: RequestBody): void {}

  get path(): string {
    if (this.#path === undefined) this.#splitUrl();
    return this.#path as string;
  }

  #splitUrl(): void {
    if (isPlainPath(this.url)) {
      // Nothing URL parsing would change: no query, no fragment, no escapes, no dot segments.
      this.#path = this.url;
      this.#query = EMPTY_QUERY;
      return;
    }
    try {
      const parsed = new URL(this.url, 'http://gatehouse.invalid');
      this.#path = parsed.pathname;
      this.#query = parsed.searchParams;
    } catch {
      this.#path = '/';
      this.#query = new URLSearchParams();
    }
  }

  query(name: string): string | null {
    if (this.#query === undefined) this.#splitUrl();
    return (this.#query as URLSearchParams).get(name);
  }

  queryValues(name: string): readonly string[] {
    if (this.#query === undefined) this.#splitUrl();
    return (this.#query as URLSearchParams).getAll(name);
  }

  header(name: string): string | null {
    const values = this.readHeaderValues(name.toLowerCase());
    if (values.length === 0) return null;
    return values.length === 1 ? (values[0] as string) : values.join(', ');
  }

  headerValues(name: string): readonly string[] {
    return this.readHeaderValues(name.toLowerCase());
  }

  #cookieMap(): ReadonlyMap<string, readonly string[]> {
    if (this.#cookies === undefined) this.#cookies = parseCookieHeader(this.readHeaderValues('cookie'));
    return this.#cookies;
  }

  cookie(name: string): string | null {
    const values = this.#cookieMap().get(name);
    return values !== undefined && values.length === 1 ? (values[0] as string) : null;
  }

  cookieValues(name: string): readonly string[] {
    return this.#cookieMap().get(name) ?? [];
  }

  get clientIp(): string | null {
    if (this.#clientIp === undefined) {
      if (this.options.clientIpHeader !== null) {
        const values = this.readHeaderValues(this.options.clientIpHeader);
        this.#clientIp = values.length === 1 && !(values[0] as string).includes(',') ? canonicalSocketAddress((values[0] as string).trim()) : null;
      } else if (this.options.trustedProxies === null) {
        this.#clientIp = canonicalSocketAddress(this.readSocketAddress());
      } else {
        this.#clientIp = resolveClientIp(this.readSocketAddress(), this.readHeaderValues('x-forwarded-for'), this.options.trustedProxies);
      }
    }
    return this.#clientIp;
  }

  body(): Promise<RequestBody> {
    if (this.#body === undefined) this.#body = this.#mayHaveBody() ? this.#readBody() : NO_BODY;
    return this.#body;
  }

  /**
   * GET and HEAD without body framing carry no body: one shared settled promise, no async call. One that comes
   * with a `Content-Length` or `Transfer-Encoding`, or that a parser already gave a body, is read like any other,
   * since a handler may read it.
   */
  #mayHaveBody(): boolean {
    if (this.method !== 'GET' && this.method !== 'HEAD') return true;
    if (this.hasParsedBody()) return true;
    return this.hasBodyFraming();
  }

  /** A `Content-Length` above zero or a `Transfer-Encoding`: the request says a body follows. */
  protected hasBodyFraming(): boolean {
    const length = this.readHeaderValues('content-length');
    if (length.length > 0 && length[0] !== '0') return true;
    return this.readHeaderValues('transfer-encoding').length > 0;
  }

  /** Whether the request has at least one body byte, found without consuming a body the handler may want. */
  protected carriesBodyBytes(): Promise<boolean> {
    return Promise.resolve(this.hasBodyFraming());
  }

  /** Whether something else already parsed this request's body and left it for the adapter. */
  protected hasParsedBody(): boolean {
    return false;
  }

  async #readBody(): Promise<RequestBody> {
    const contentType = this.header('content-type');
    // An upload or a text body is not Gatehouse's to read: it stays in the stream for the handler.
    if (!this.hasParsedBody() && !isReadableMediaType(contentType)) {
      return (await this.carriesBodyBytes()) ? { type: 'unsupported', contentType: mediaTypeOf(contentType) } : NO_BODY_VALUE;
    }
    try {
      const read = await this.readRawBody(this.options.maxBodyBytes);
      if (read.type === 'too-large') return { type: 'too-large', maxBodyBytes: this.options.maxBodyBytes };
      if (read.type === 'failed') return { type: 'malformed' };
      if (read.type === 'parsed') return decodeParsedBody(read.value, contentType, this.options.maxBodyBytes);
      if (read.type === 'unavailable') return { type: 'unavailable' };
      const body = decodeRequestBody(read.bytes, contentType);
      this.afterBodyRead(body);
      return body;
    } catch {
      // The adapter could not get at the bytes (a framework's reader threw, a locked stream): not the client's fault.
      return { type: 'unavailable' };
    }
  }
}

const NO_HEADER_VALUES: readonly string[] = Object.freeze([]);

/**
 * The values of one header in a flat list of field lines as Node's `IncomingMessage.rawHeaders` holds them (name,
 * value, name, value, …): one value per line, in order, names compared case-insensitively.
 */
export function readRawHeaderValues(rawHeaders: readonly string[], lowerCaseName: string): readonly string[] {
  let values: string[] | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (equalsLowerCase(rawHeaders[i] as string, lowerCaseName)) (values ??= []).push(rawHeaders[i + 1] as string);
  }
  return values ?? NO_HEADER_VALUES;
}

/** `name.toLowerCase() === lowerCaseName` without building the lower-case copy (header names are ASCII). */
function equalsLowerCase(name: string, lowerCaseName: string): boolean {
  if (name.length !== lowerCaseName.length) return false;
  for (let i = 0; i < name.length; i++) {
    let code = name.charCodeAt(i);
    if (code > 0x7f) return name.toLowerCase() === lowerCaseName;
    if (code >= 65 && code <= 90) code |= 0x20;
    if (code !== lowerCaseName.charCodeAt(i)) return false;
  }
  return true;
}

class FetchAuthRequest extends LazyAuthRequest {
  readonly #request: Request;
  #remoteAddress: string | null | (() => string | null);
  readonly #readBody: (() => Promise<Uint8Array | ArrayBuffer>) | undefined;
  readonly #rawHeaders: readonly string[] | undefined;

  constructor(request: Request, context: FetchRequestContext, options: CompiledAdapterOptions) {
    let target = request.url;
    // A Fetch Request always carries an absolute URL; keep only what a server received: path and query.
    const schemeEnd = target.indexOf('://');
    if (schemeEnd !== -1) {
      const pathStart = target.indexOf('/', schemeEnd + 3);
      target = pathStart === -1 ? '/' : target.slice(pathStart);
    }
    const hash = target.indexOf('#');
    if (hash !== -1) target = target.slice(0, hash);
    super(request.method, target, options);
    this.#request = request;
    this.#remoteAddress = context.remoteAddress ?? null;
    this.#readBody = context.readBody;
    this.#rawHeaders = Array.isArray(context.rawHeaders) ? context.rawHeaders : undefined;
  }

  protected readHeaderValues(lowerCaseName: string): readonly string[] {
    if (this.#rawHeaders !== undefined) return readRawHeaderValues(this.#rawHeaders, lowerCaseName);
    if (lowerCaseName === 'set-cookie') return this.#request.headers.getSetCookie();
    const value = this.#request.headers.get(lowerCaseName);
    return value === null ? [] : [value];
  }

  protected readSocketAddress(): string | null {
    if (typeof this.#remoteAddress === 'function') {
      let address: string | null;
      try {
        address = this.#remoteAddress();
      } catch {
        address = null;
      }
      this.#remoteAddress = typeof address === 'string' ? address : null;
    }
    return this.#remoteAddress;
  }

  protected override hasBodyFraming(): boolean {
    // The headers first: reading `request.body` is not free everywhere (@hono/node-server's lightweight request
    // builds a whole undici Request for it, about 60 µs), and an HTTP/1.1 GET can only carry a body they frame.
    // Only an HTTP/2 GET might send one unannounced; such a body is not read, so it can never supply a credential.
    return super.hasBodyFraming();
  }

  protected override async carriesBodyBytes(): Promise<boolean> {
    const request = this.#request;
    if (request.body === null || request.bodyUsed) return false;
    const length = this.readHeaderValues('content-length');
    if (length.length > 0) return (length[0] as string).trim() !== '0';
    // Servers give every POST a body stream, empty or not (HTTP/2 needs no Content-Length): look at the first
    // chunk of a clone, which leaves the request's own body whole for the handler.
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      reader = (request.clone().body as ReadableStream<Uint8Array>).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return false;
        if (value.length > 0) return true;
      }
    } catch {
      return true;
    } finally {
      reader?.cancel().catch(() => undefined);
    }
  }

  protected async readRawBody(maxBytes: number): Promise<CappedRead | RawBodySource> {
    const request = this.#request;
    if (this.#readBody !== undefined && request.bodyUsed) {
      let bytes: Uint8Array | ArrayBuffer;
      try {
        bytes = await this.#readBody();
      } catch {
        return { type: 'unavailable' };
      }
      return { type: 'parsed', value: bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes) };
    }
    if (request.body === null) return { type: 'read', bytes: new Uint8Array(0) };
    if (request.bodyUsed) return { type: 'unavailable' };
    let copy: Request;
    try {
      copy = request.clone();
    } catch {
      return { type: 'unavailable' };
    }
    // A clone is read, so the handler can still read the request's own body afterwards (`c.req.json()`).
    return readStreamCapped(copy.body as ReadableStream<Uint8Array>, maxBytes);
  }
}

/**
 * Per-request information a Fetch `Request` does not carry.
 *
 * @example
 * ```ts
 * toAuthRequest(request, { remoteAddress: '203.0.113.9' });
 * ```
 */
export interface FetchRequestContext {
  /**
   * The socket peer's address, from the runtime (e.g. Hono's `getConnInfo`, Deno's `info.remoteAddr`), or a
   * function giving it, called only if a strategy reads the client IP.
   */
  readonly remoteAddress?: string | null | (() => string | null);
  /**
   * Where the body bytes come from once the request's own body has been used (e.g. Hono's `c.req.arrayBuffer()`,
   * which serves the body from its cache after an earlier `c.req.json()`). It reads the whole body before the
   * cap is checked: keep the framework's own body limit on. Until the body is used, a clone of the request is
   * read under the byte cap, so the request's own body stays readable.
   */
  readonly readBody?: () => Promise<Uint8Array | ArrayBuffer>;
  /**
   * The request's header field lines exactly as received, in Node's `IncomingMessage.rawHeaders` form (name,
   * value, name, value, …), read instead of `request.headers`. Only for a `Request` that a Node server built from
   * that very message and whose headers nothing has read or changed since: @hono/node-server builds `headers` on
   * first use (about 2 µs per request), and these lines also keep repeated fields apart, as the Node adapter does.
   */
  readonly rawHeaders?: readonly string[];
}

/**
 * Creates an adapter from a Fetch `Request` to an {@link AuthRequest}. Options are validated once, here.
 *
 * @example
 * ```ts
 * import { createFetchRequestAdapter } from '@gatehouse/auth-core';
 * const toAuthRequest = createFetchRequestAdapter({ trustedProxies: ['10.0.0.1'] });
 * const outcome = await strategy.authenticate(toAuthRequest(request, { remoteAddress: '10.0.0.1' }));
 * ```
 */
export function createFetchRequestAdapter(
  options: RequestAdapterOptions = {},
): (request: Request, context?: FetchRequestContext) => AuthRequest {
  const compiled = compileAdapterOptions(options);
  return (request, context = {}) => new FetchAuthRequest(request, context, compiled);
}
