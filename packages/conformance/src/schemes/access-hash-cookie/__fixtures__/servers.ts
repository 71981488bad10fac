// Test servers for access-hash-cookie@2 over HTTP: a node:http server (its header limit configurable) and a tiny
// raw TCP server that can frame requests wrongly, both answering through a handler; and the management routes the
// demo and the examples expose (POST/DELETE /api/v1/access-hashes). Only the kit's own tests use this.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { CONFORMANCE_ORIGIN, type WireResponse } from '../../../drivers/wire.js';
import type { AccessHashReferenceManagement } from './reference.js';

/** Answers one request; `remoteAddress` is the socket's, as the server saw it. */
export type Handler = (request: Request, remoteAddress: string) => Promise<WireResponse>;

export interface TestServer {
  readonly baseUrl: string;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

function toRequest(method: string, target: string, lines: readonly (readonly [string, string])[], body: Uint8Array): Request {
  const headers = new Headers();
  for (const [name, value] of lines) if (!HOP_BY_HOP.has(name.toLowerCase())) headers.append(name, value);
  const init: RequestInit = { method, headers };
  if (method !== 'GET' && method !== 'HEAD') init.body = body.slice();
  return new Request(CONFORMANCE_ORIGIN + target, init);
}

function bodyText(reply: WireResponse): string {
  return reply.body === null || reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
}

/** Serves `handler` with node:http on `host` (default 127.0.0.1); `maxHeaderSize` raises Node's 16 KiB limit. */
export async function serveHttp(handler: Handler, options: { readonly host?: string; readonly maxHeaderSize?: number } = {}): Promise<TestServer> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer({ ...(options.maxHeaderSize === undefined ? {} : { maxHeaderSize: options.maxHeaderSize }) }, (incoming: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const lines: [string, string][] = [];
      for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) lines.push([incoming.rawHeaders[i] as string, incoming.rawHeaders[i + 1] as string]);
      const request = toRequest(incoming.method ?? 'GET', incoming.url ?? '/', lines, new Uint8Array(Buffer.concat(chunks)));
      handler(request, incoming.socket.remoteAddress ?? '')
        .catch((error: unknown): WireResponse => ({ status: 500, body: `test server: ${String(error)}` }))
        .then((reply) => {
          res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8' });
          res.end(bodyText(reply));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://${host === '::' ? '127.0.0.1' : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A raw TCP HTTP/1.1 server (keep-alive, `Content-Length` bodies). A body over `maxBodyBytes` gets 413 and the
 * connection closed. With `desync`, framing is broken the way request smuggling needs: after a 413 the server goes
 * on parsing right after the head (the body's bytes become requests), and a GET's body is never skipped.
 */
export async function serveRaw(handler: Handler, options: { readonly desync: boolean; readonly maxBodyBytes?: number }): Promise<TestServer> {
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    let busy = false;
    const respond = (reply: WireResponse, close: boolean): void => {
      const text = Buffer.from(bodyText(reply));
      // One write: a head and a body in two small segments wait on the client's delayed ACK.
      socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 ${reply.status} X\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`), text]));
      if (close) socket.end();
    };
    const pump = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        for (;;) {
          const headEnd = buffer.indexOf('\r\n\r\n');
          if (headEnd === -1 || socket.destroyed) return;
          const [requestLine = '', ...headerLines] = buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
          const [method = 'GET', target = '/'] = requestLine.split(' ');
          const lines = headerLines.map((line): [string, string] => [line.slice(0, line.indexOf(':')).trim(), line.slice(line.indexOf(':') + 1).trim()]);
          const length = Number(lines.find(([name]) => name.toLowerCase() === 'content-length')?.[1] ?? '0');
          const close = lines.some(([name, value]) => name.toLowerCase() === 'connection' && value.toLowerCase() === 'close');
          if (length > maxBodyBytes) {
            if (!options.desync) {
              buffer = Buffer.alloc(0);
              return respond({ status: 413, body: { error: 'Request too large', msg: '', status: 'error' } }, true);
            }
            respond({ status: 413, body: { error: 'Request too large', msg: '', status: 'error' } }, false);
            buffer = buffer.subarray(headEnd + 4);
            continue;
          }
          let body = Buffer.alloc(0);
          if (options.desync && method === 'GET') {
            buffer = buffer.subarray(headEnd + 4);
          } else {
            if (buffer.length < headEnd + 4 + length) return;
            body = buffer.subarray(headEnd + 4, headEnd + 4 + length);
            buffer = buffer.subarray(headEnd + 4 + length);
          }
          const reply = await handler(toRequest(method, target, lines, new Uint8Array(body)), socket.remoteAddress ?? '').catch((error: unknown): WireResponse => ({ status: 500, body: String(error) }));
          respond(reply, close);
          if (close) return;
        }
      } finally {
        busy = false;
      }
    };
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      void pump().then(() => (buffer.indexOf('\r\n\r\n') !== -1 && !busy ? pump() : undefined));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export const MANAGEMENT_PATH = '/api/v1/access-hashes';

/** How the management routes recognise the administrator. */
export type AdminCheck = { readonly bearer: string } | { readonly cookie: string };

const envelope = (status: number, msg: unknown, error = ''): WireResponse => ({ status, body: { error, msg, status: error === '' ? 'success' : 'error' } });

/**
 * `POST /api/v1/access-hashes` (JSON `{"name","ip"}` → 201 `{id,name,ip,hash,created}`) and `DELETE
 * /api/v1/access-hashes/:id`, for the administrator only: a bearer token (the examples) or a session cookie whose
 * writes must be JSON (the demo's CSRF rule). `throttled` answers every management call with 429.
 */
export function withManagement(management: AccessHashReferenceManagement, fallback: Handler, admin: AdminCheck, options: { readonly throttled?: boolean } = {}): Handler {
  return async (request, remoteAddress) => {
    const path = new URL(request.url).pathname;
    if (path !== MANAGEMENT_PATH && !path.startsWith(`${MANAGEMENT_PATH}/`)) return fallback(request, remoteAddress);
    if (options.throttled) return envelope(429, '', 'Too many requests');
    const allowed = 'bearer' in admin ? request.headers.get('authorization') === `Bearer ${admin.bearer}` : (request.headers.get('cookie') ?? '').split('; ').includes(admin.cookie);
    if (!allowed) return envelope(401, '', 'Login required');
    if ('cookie' in admin && !(request.headers.get('content-type') ?? '').startsWith('application/json')) return envelope(403, '', 'Cross-site request refused');
    if (request.method === 'POST' && path === MANAGEMENT_PATH) {
      const body = (await request.json()) as { name?: unknown; ip?: unknown };
      if (typeof body.name !== 'string' || typeof body.ip !== 'string') return envelope(400, '', 'Invalid parameters');
      const { id, hash } = management.issue(body.ip);
      return envelope(201, { id, name: body.name, ip: body.ip, hash, created: '2025-01-01T00:00:00+00:00' });
    }
    if (request.method === 'DELETE' && path.startsWith(`${MANAGEMENT_PATH}/`)) {
      const id = decodeURIComponent(path.slice(MANAGEMENT_PATH.length + 1));
      return management.revokeId(id) ? envelope(200, { id }) : envelope(404, '', 'Not found');
    }
    return envelope(405, '', 'Method not allowed');
  };
}
