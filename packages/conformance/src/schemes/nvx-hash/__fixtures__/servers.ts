// Servers for the nvx-hash@2 HTTP tests: the reference behind a real node:http server (with Navixy's sign-in routes),
// a raw TCP server that parses requests out of bodies it does not read (the desync mutant), and the scheme context
// the kit would hand the HTTP driver.
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHttpSender } from '../../../http/sender.js';
import { serveWire, type WireServer } from '../../../http/__fixtures__/wire-server.js';
import type { HttpSchemeContext } from '../../../scheme.js';
import { NVX_HTTP_FIXTURES } from '../fixtures.js';
import { nvxInProcessDriver } from '../in-process.js';
import { createNvxReference, type NvxReference, type NvxReferenceOptions } from './reference.js';
import { signInRoutes } from './key-routes.js';

/** The context the kit hands `createHttpDriver`: fixtures with their defaults, the parameters, senders. */
export function schemeContext(baseUrl: string, given: Readonly<Record<string, string>>, parameters: Readonly<Record<string, string>> = {}): HttpSchemeContext {
  const url = new URL(baseUrl);
  const fixtures: Record<string, string> = {};
  for (const spec of NVX_HTTP_FIXTURES) {
    const value = given[spec.name];
    if (value !== undefined && value !== '') fixtures[spec.name] = value;
    else if (spec.default !== undefined) fixtures[spec.name] = spec.default;
  }
  return {
    baseUrl: url,
    fixtures,
    given,
    parameters,
    loopback: true,
    timeoutInMilliseconds: 10_000,
    createSender: ({ bindSourceAddress }) => createHttpSender({ baseUrl: url, timeoutInMilliseconds: 10_000, bindSourceAddress }),
  };
}

export interface ReferenceServer {
  readonly server: WireServer;
  readonly reference: NvxReference;
}

/**
 * The reference (honest or flawed) over HTTP, its sign-in routes before it. `prefix` is a path the server lives
 * under (stripped before the routes see it); `throttle` answers sign-ins with 429 while it returns true;
 * `failCreate` refuses `api/key/create` (code 13) while it returns true.
 */
export async function serveReference(
  options: NvxReferenceOptions & { readonly prefix?: string; readonly throttle?: () => boolean; readonly failCreate?: () => boolean } = {},
): Promise<ReferenceServer> {
  const reference = createNvxReference(options);
  const inProcess = nvxInProcessDriver(reference);
  const handler = signInRoutes(reference.management, (request, remoteAddress) => inProcess.send(request, { remoteAddress }), options.throttle);
  const prefix = options.prefix ?? '';
  const server = await serveWire(async (request, remoteAddress) => {
    const url = new URL(request.url);
    if (prefix !== '' && !url.pathname.startsWith(`${prefix}/`)) return { status: 404, body: 'not under the prefix' };
    if (url.pathname.endsWith('/api/key/create') && options.failCreate?.() === true) return { status: 403, body: { success: false, status: { code: 13, description: 'Operation not permitted' } } };
    if (prefix === '') return handler(request, remoteAddress);
    url.pathname = url.pathname.slice(prefix.length);
    const body = request.method === 'GET' || request.method === 'HEAD' ? null : await request.arrayBuffer();
    return handler(new Request(url, { method: request.method, headers: request.headers, body }), remoteAddress);
  });
  return { server, reference };
}

/**
 * A raw HTTP/1.1 server that answers every request it parses with 200 `{}`, and frames bodies wrongly: `oversized`
 * answers a body over 64 KiB with 413 without reading it and goes on parsing its bytes as requests; `get-body` never
 * reads the body of a GET. Other bodies are read by their Content-Length.
 */
export async function serveDesyncMutant(mode: 'oversized' | 'get-body'): Promise<{ readonly baseUrl: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buffer.subarray(0, end).toString('latin1');
        const method = head.slice(0, head.indexOf(' '));
        const length = Number(/\r\ncontent-length:[ \t]*(\d+)/i.exec(head)?.[1] ?? '0');
        let consumed = end + 4;
        let status = /\r\nauthorization:[ \t]*nvx[ \t]/i.test(head) ? 200 : 400;
        if (mode === 'oversized' && length > 64 * 1024) status = 413;
        else if (!(mode === 'get-body' && method === 'GET')) {
          if (buffer.length < consumed + length) return;
          consumed += length;
        }
        buffer = buffer.subarray(consumed);
        socket.write(`HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
        if (/\r\nconnection:[ \t]*close/i.test(head)) {
          socket.end();
          return;
        }
      }
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
