// Sends the kit's requests to a live server with node:http / node:https, keeping every header field line as the
// case wrote it, binding loopback source addresses on request, never following a redirect, and turning what
// the server's HTTP layer does to an oversized request (431, 413, a reset connection) into a reply.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { ConfigurationError } from '@gatehouse/auth-core';
import { ConformanceSkip } from '../case.js';
import { fieldLinesOf, type WireResponse, type WireSendOptions } from '../drivers/wire.js';
import type { RawExchange, RawWireSender } from '../scheme.js';

/** A dotted quad with no leading zeros, e.g. `127.0.0.2`. */
const CANONICAL_IPV4 = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

/**
 * Whether the kit can send from `address` over loopback: a canonical IPv4 address in 127.0.0.0/8 (Linux routes
 * the whole block to `lo`), except the block's broadcast address.
 */
export function isBindableLoopback(address: string): boolean {
  return CANONICAL_IPV4.test(address) && address.startsWith('127.') && address !== '127.255.255.255';
}

/** Whether a base URL's host is an IPv4 loopback address (or `localhost`, reached over IPv4 when binding). */
export function isLoopbackBase(url: URL): boolean {
  return url.hostname === 'localhost' || isBindableLoopback(url.hostname);
}

/** Parses and checks a base URL: http or https, no credentials, query or fragment. */
export function parseBaseUrl(text: unknown): URL {
  if (typeof text !== 'string') throw new ConfigurationError('baseUrl', 'must be a string such as http://127.0.0.1:3000');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigurationError('baseUrl', `must be an absolute URL such as http://127.0.0.1:3000, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigurationError('baseUrl', `must be http:// or https://, got ${JSON.stringify(url.protocol)}`);
  if (url.username !== '' || url.password !== '') throw new ConfigurationError('baseUrl', 'must not carry a user name or password');
  if (url.search !== '' || url.hash !== '') throw new ConfigurationError('baseUrl', 'must not have a query or a fragment');
  return url;
}

/** Options of {@link createHttpSender}. */
export interface HttpSenderOptions {
  readonly baseUrl: URL;
  /** A request without a complete reply after this long throws. */
  readonly timeoutInMilliseconds: number;
  /**
   * Bind `remoteAddress` as the source address (only for a loopback base URL). A request that asks for an address
   * the kit cannot bind skips its case. Without it, `remoteAddress` is ignored.
   */
  readonly bindSourceAddress: boolean;
}

/** A {@link WireSender} over HTTP that can also write raw bytes, with a way to close its kept-alive connections. */
export interface HttpSender extends RawWireSender {
  close(): void;
}

/**
 * Splits what a server sent on one connection into HTTP/1.1 responses (status, headers, body by `Content-Length`
 * or chunked). A response cut short is not counted.
 */
export function parseRawResponses(bytes: Uint8Array): RawExchange['responses'] {
  const text = new TextDecoder('latin1').decode(bytes);
  const responses: { status: number; headers: Record<string, string>; body: string }[] = [];
  let at = 0;
  while (at < text.length) {
    const headEnd = text.indexOf('\r\n\r\n', at);
    if (headEnd === -1) break;
    const [statusLine = '', ...headerLines] = text.slice(at, headEnd).split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
    if (status === undefined) break;
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let bodyStart = headEnd + 4;
    let body = '';
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      let cursor = bodyStart;
      for (;;) {
        const sizeEnd = text.indexOf('\r\n', cursor);
        if (sizeEnd === -1) return responses;
        const size = parseInt(text.slice(cursor, sizeEnd), 16);
        if (!Number.isFinite(size)) return responses;
        if (size === 0) {
          const trailerEnd = text.indexOf('\r\n\r\n', sizeEnd - 2);
          bodyStart = trailerEnd === -1 ? sizeEnd + 2 : trailerEnd + 4;
          break;
        }
        if (sizeEnd + 2 + size > text.length) return responses;
        body += text.slice(sizeEnd + 2, sizeEnd + 2 + size);
        cursor = sizeEnd + 2 + size + 2;
      }
      at = bodyStart;
    } else {
      const length = Number(headers['content-length'] ?? '0');
      if (!Number.isFinite(length) || bodyStart + length > text.length) break;
      body = text.slice(bodyStart, bodyStart + length);
      at = bodyStart + length;
    }
    responses.push({ status: Number(status), headers, body });
  }
  return responses;
}

/** Reply bodies are read up to this many bytes; the rest is dropped. */
const MAX_REPLY_BYTES = 4 * 1024 * 1024;

/** Methods that carry a body by convention: sent with `Content-Length: 0` when they have none. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Errors with which a server closes a connection on a request it refuses (e.g. an oversized one). */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * Above these sizes a request is one a server's HTTP layer refuses (nginx and Apache allow 8 KiB of headers,
 * Node 16 KiB). Node answers 431 and then resets the connection, and the reset often beats the reply to the
 * client: a reset without a reply to such a request is taken as the HTTP layer's 431 or 413.
 */
const LARGE_HEADER_BYTES = 8 * 1024;
const LARGE_BODY_BYTES = 64 * 1024;

/** What a reset without a reply means, by the size of the request it cut short. */
function resetReply(code: string, headerBytes: number, bodyBytes: number): WireResponse {
  if (headerBytes > LARGE_HEADER_BYTES) {
    return { status: 431, body: `no reply: the server reset the connection (${code}) on ${headerBytes} bytes of headers; taken as 431 from the HTTP layer` };
  }
  if (bodyBytes > LARGE_BODY_BYTES) {
    return { status: 413, body: `no reply: the server reset the connection (${code}) on a ${bodyBytes}-byte body; taken as 413 from the HTTP layer` };
  }
  return { status: 0, body: `no reply: the server closed the connection (${code})` };
}

const textDecoder = new TextDecoder();

function parseBody(bytes: Uint8Array): unknown {
  const text = textDecoder.decode(bytes);
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code) ? `${code} ${error.message}` : error.message;
}

/**
 * Builds the sender. Each `send` re-targets the case's request (method, path and query, header field lines,
 * body) onto the base URL (a base path is prepended), adds `Host` and `Content-Length`, and resolves to the
 * reply's status and body (JSON when it parses, else the text, `null` when empty). A connection the server
 * resets before replying resolves to 431 (more than 8 KiB of headers) or 413 (a body over 64 KiB), as the HTTP
 * layer's refusal, else to status 0, each with a body saying so; a server that cannot be reached, or does not
 * reply in time, throws.
 */
export function createHttpSender(options: HttpSenderOptions): HttpSender {
  const { baseUrl, timeoutInMilliseconds, bindSourceAddress } = options;
  const secure = baseUrl.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: 32 }) : new HttpAgent({ keepAlive: true, maxSockets: 32 });
  const hostname = baseUrl.hostname.startsWith('[') ? baseUrl.hostname.slice(1, -1) : baseUrl.hostname;
  const port = baseUrl.port === '' ? (secure ? 443 : 80) : Number(baseUrl.port);
  const basePath = baseUrl.pathname.replace(/\/+$/, '');
  const origin = baseUrl.origin;

  function sourceAddress(sendOptions: WireSendOptions | undefined): string | undefined {
    const wanted = sendOptions?.remoteAddress;
    if (!bindSourceAddress || wanted === undefined) return undefined;
    if (!isBindableLoopback(wanted)) {
      throw new ConformanceSkip(
        `over HTTP the kit sends only from IPv4 loopback addresses it can bind (127.0.0.0/8, written as such); it cannot send from ${wanted}`,
      );
    }
    return wanted;
  }

  function once(requestOptions: RequestOptions, body: Uint8Array | null, headerBytes: number, allowRetry: boolean): Promise<WireResponse> {
    return new Promise<WireResponse>((resolve, reject) => {
      let settled = false;
      let req: ClientRequest;
      const finish = (outcome: { reply: WireResponse } | { error: Error }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if ('reply' in outcome) resolve(outcome.reply);
        else reject(outcome.error);
      };
      const timer = setTimeout(() => {
        finish({ error: new Error(`no complete reply from ${origin} within ${timeoutInMilliseconds} ms`) });
        req.destroy();
      }, timeoutInMilliseconds);
      const send = secure ? httpsRequest : httpRequest;
      req = send(requestOptions, (res: IncomingMessage) => {
        const chunks: Uint8Array[] = [];
        let total = 0;
        let truncated = false;
        res.on('data', (chunk: Uint8Array) => {
          if (truncated) return;
          total += chunk.length;
          if (total > MAX_REPLY_BYTES) {
            truncated = true;
            chunks.push(chunk.subarray(0, chunk.length - (total - MAX_REPLY_BYTES)));
            return;
          }
          chunks.push(chunk);
        });
        const done = (): void => {
          const bytes = new Uint8Array(Math.min(total, MAX_REPLY_BYTES));
          let at = 0;
          for (const chunk of chunks) {
            bytes.set(chunk, at);
            at += chunk.length;
          }
          finish({ reply: { status: res.statusCode ?? 0, body: parseBody(bytes) } });
          // A server that answered before reading the whole request (e.g. 413 on a large body): drop the connection.
          if (!req.writableFinished || truncated) req.destroy();
        };
        res.on('end', done);
        // The connection broke while the reply was arriving: keep the status, drop the partial body.
        res.on('error', () => finish({ reply: { status: res.statusCode ?? 0, body: null } }));
        res.on('aborted', () => finish({ reply: { status: res.statusCode ?? 0, body: null } }));
      });
      req.on('error', (error: Error) => {
        if (settled) return;
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && RESET_CODES.has(code)) {
          if (allowRetry && req.reusedSocket) {
            // A kept-alive connection the server had already closed: send once more on a new one.
            settled = true;
            clearTimeout(timer);
            once({ ...requestOptions, agent: false }, body, headerBytes, false).then(resolve, reject);
            return;
          }
          finish({ reply: resetReply(code, headerBytes, body?.length ?? 0) });
          return;
        }
        finish({ error: new Error(`cannot reach ${origin}${requestOptions.localAddress === undefined ? '' : ` from ${requestOptions.localAddress}`}: ${describeError(error)}`) });
      });
      if (body === null) req.end();
      else req.end(body);
    });
  }

  function sendRaw(bytes: Uint8Array, rawOptions: { readonly waitInMilliseconds?: number } = {}): Promise<RawExchange> {
    const wait = rawOptions.waitInMilliseconds ?? Math.min(timeoutInMilliseconds, 3_000);
    return new Promise<RawExchange>((resolve, reject) => {
      const received: Uint8Array[] = [];
      let closed = false;
      let settled = false;
      const socket: Socket = secure ? connectTls({ host: hostname, port, servername: hostname }) : connectTcp({ host: hostname, port });
      const finish = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        let total = 0;
        for (const chunk of received) total += chunk.length;
        const all = new Uint8Array(total);
        let offset = 0;
        for (const chunk of received) {
          all.set(chunk, offset);
          offset += chunk.length;
        }
        resolve({ responses: parseRawResponses(all), closed });
      };
      const timer = setTimeout(finish, wait);
      socket.on(secure ? 'secureConnect' : 'connect', () => socket.write(bytes));
      socket.on('data', (chunk: Uint8Array) => received.push(chunk));
      socket.on('end', () => {
        closed = true;
        finish();
      });
      socket.on('close', () => {
        closed = true;
        finish();
      });
      socket.on('error', (error: Error) => {
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && RESET_CODES.has(code)) {
          closed = true;
          finish();
          return;
        }
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new Error(`cannot reach ${origin}: ${describeError(error)}`));
      });
    });
  }

  return {
    sendRaw,
    async send(request, sendOptions) {
      const localAddress = sourceAddress(sendOptions);
      const url = new URL(request.url);
      const method = request.method.toUpperCase();
      const body = request.body === null || method === 'GET' || method === 'HEAD' ? null : new Uint8Array(await request.arrayBuffer());
      const lines = fieldLinesOf(request) ?? [...request.headers];
      const headers: string[] = [];
      const has = (name: string): boolean => lines.some(([line]) => line.toLowerCase() === name);
      if (!has('host')) headers.push('Host', baseUrl.host);
      for (const [name, value] of lines) headers.push(name, value);
      if (!has('content-length') && (body !== null || BODY_METHODS.has(method))) headers.push('Content-Length', String(body?.length ?? 0));
      const requestOptions: RequestOptions = {
        hostname,
        port,
        method,
        path: basePath + url.pathname + url.search,
        // An array sends one field line per name-value pair, exactly as given (an object would join Cookie lines).
        headers: headers as unknown as RequestOptions['headers'],
        agent,
        ...(localAddress === undefined ? {} : { localAddress, family: 4 }),
      };
      const headerBytes = headers.reduce((total, part) => total + part.length + 2, method.length + (requestOptions.path as string).length + 12);
      return once(requestOptions, body, headerBytes, true);
    },
    close() {
      agent.destroy();
    },
  };
}
