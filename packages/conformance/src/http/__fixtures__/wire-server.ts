// Test servers for the HTTP drivers: a real node:http server that turns each request into a Fetch `Request` and
// answers it through an in-process driver of the kit's reference servers. Only the kit's own tests use this.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONFORMANCE_ORIGIN, type WireResponse } from '../../drivers/wire.js';

/** Answers one request; `remoteAddress` is the socket's, as the server saw it. */
export type WireHandler = (request: Request, remoteAddress: string) => Promise<WireResponse>;

export interface WireServer {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** Every request the server answered, as `METHOD /path from <address>`. */
  readonly log: readonly string[];
  close(): Promise<void>;
}

/** Header lines a Fetch `Request` sets itself or that belong to the connection. */
const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

function readBody(incoming: IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const joined = Buffer.concat(chunks);
      const bytes = new Uint8Array(joined.length);
      bytes.set(joined);
      resolve(bytes);
    });
    incoming.on('error', reject);
  });
}

async function toFetchRequest(incoming: IncomingMessage): Promise<Request> {
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  // Every field line is appended: a Fetch runtime joins repeated ones, as the in-process drivers see them.
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (!HOP_BY_HOP.has(name.toLowerCase())) headers.append(name, raw[i + 1] as string);
  }
  const method = incoming.method ?? 'GET';
  const body = await readBody(incoming);
  const init: RequestInit = { method, headers };
  if (method !== 'GET' && method !== 'HEAD') init.body = body;
  return new Request(CONFORMANCE_ORIGIN + (incoming.url ?? '/'), init);
}

function write(res: ServerResponse, reply: WireResponse): void {
  const text = reply.body === null || reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'content-type': typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8' });
  res.end(text);
}

/**
 * Serves `handler` on 127.0.0.1 (or `host`; `::` is dual-stack, reached at 127.0.0.1, and sees IPv4 clients as
 * `::ffff:127.…`) at a free port. Node's own limits apply (16 KiB of headers: 431).
 */
export async function serveWire(handler: WireHandler, host = '127.0.0.1'): Promise<WireServer> {
  const log: string[] = [];
  const server: Server = createServer((incoming, res) => {
    const remoteAddress = incoming.socket.remoteAddress ?? '';
    log.push(`${incoming.method ?? 'GET'} ${(incoming.url ?? '/').split('?')[0] ?? ''} from ${remoteAddress}`);
    toFetchRequest(incoming)
      .then((request) => handler(request, remoteAddress))
      .then(
        (reply) => write(res, reply),
        (error: unknown) => write(res, { status: 500, body: `test server: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}` }),
      );
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: host === '::' ? `http://127.0.0.1:${port}` : `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
