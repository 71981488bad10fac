// Test servers for the HTTP drivers: a real node:http server that turns each request into a Fetch `Request` and
// answers it through an in-process driver of the kit's reference servers (src/__fixtures__), plus Navixy's
// account routes the NVX HTTP driver signs in with. Only the kit's own tests use this.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createFetchRequestAdapter,
  isJsonObject,
  type AuthError,
  type AuthStrategy,
  type WireReply,
} from '@gatehouse/auth-core';
import type { NvxReferenceManagement } from '../../__fixtures__/nvx-reference.js';
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

/** Accounts of the NVX test server's account routes. */
export const NVX_ACCOUNTS = {
  master: { login: 'demo', password: 'demo-password', ownerId: 'http-master' },
  sub: { login: 'demo-sub', password: 'demo-sub-password', ownerId: 'http-sub' },
  panel: { login: 'admin', password: 'admin-password', ownerId: 'http-panel' },
} as const;

/** The fixtures createHttpDriver('nvx-hash@1') takes for {@link NVX_ACCOUNTS}. */
export const NVX_HTTP_FIXTURES: Readonly<Record<string, string>> = {
  login: NVX_ACCOUNTS.master.login,
  password: NVX_ACCOUNTS.master.password,
  sub_login: NVX_ACCOUNTS.sub.login,
  sub_password: NVX_ACCOUNTS.sub.password,
  panel_login: NVX_ACCOUNTS.panel.login,
  panel_password: NVX_ACCOUNTS.panel.password,
};

const navixy = (status: number, code: number, description: string): WireResponse => ({ status, body: { success: false, status: { code, description } } });

export interface NvxAccountRoutesOptions {
  readonly strategy: AuthStrategy;
  readonly render: (error: AuthError) => WireReply<unknown>;
  readonly management: NvxReferenceManagement;
  /** Everything else. */
  readonly fallback: WireHandler;
}

/**
 * Navixy's account routes under `/v2`, over the reference's table: `user/auth` and `panel/account/auth` (login and
 * password as JSON, form or query) issue session hashes; `api/key/create` (a master user's session hash; at most
 * 20 keys), `api/key/delete` (`key_hash`) and `user/logout` (a user session hash) manage them. Every other
 * request goes to `fallback`.
 */
export function nvxAccountRoutes(options: NvxAccountRoutesOptions): WireHandler {
  const { strategy, render, management, fallback } = options;
  const toAuthRequest = createFetchRequestAdapter();
  return async (request, remoteAddress) => {
    const path = new URL(request.url).pathname;
    const route = path.startsWith('/v2/') ? path.slice(3) : null;
    const known = ['/user/auth', '/panel/account/auth', '/api/key/create', '/api/key/delete', '/user/logout'];
    if (route === null || !known.includes(route)) return fallback(request, remoteAddress);
    const auth = toAuthRequest(request, { remoteAddress });
    const body = await auth.body();
    const param = (name: string): string | null => {
      if (body.type === 'json' && isJsonObject(body.value) && typeof body.value[name] === 'string') return body.value[name];
      if (body.type === 'form') return body.fields.get(name)?.[0] ?? null;
      return auth.query(name);
    };
    if (route === '/user/auth' || route === '/panel/account/auth') {
      const accounts = route === '/user/auth' ? [NVX_ACCOUNTS.master, NVX_ACCOUNTS.sub] : [NVX_ACCOUNTS.panel];
      const account = accounts.find((one) => one.login === param('login') && one.password === param('password'));
      if (account === undefined) return navixy(400, 4, 'User or API key not found or session ended');
      return { status: 200, body: { success: true, hash: management.issue(route === '/user/auth' ? 'user-session' : 'panel-session', account.ownerId) } };
    }
    const outcome = await strategy.authenticate(auth);
    if (outcome.type === 'absent') return navixy(400, 3, 'Wrong hash');
    if (outcome.type === 'rejected') {
      const rendered = render(outcome.error);
      return { status: rendered.httpStatus, body: rendered.body };
    }
    if (outcome.credential.kind !== 'user-session') return navixy(403, 11, 'Access denied');
    const owner = outcome.principal.id;
    if (route === '/user/logout') {
      management.end(outcome.credential.id);
      return { status: 200, body: { success: true } };
    }
    if (owner !== NVX_ACCOUNTS.master.ownerId) return navixy(403, 13, 'Operation not permitted');
    if (route === '/api/key/create') {
      if (management.count('api-key', owner) >= 20) return navixy(403, 13, 'Operation not permitted');
      const title = param('title') ?? '';
      return { status: 200, body: { success: true, value: { hash: management.issue('api-key', owner), create_date: '2025-01-01 00:00:00', title } } };
    }
    const keyHash = param('key_hash');
    const entry = keyHash === null ? undefined : management.find(keyHash);
    if (keyHash === null || entry === undefined || entry.kind !== 'api-key' || entry.ownerId !== owner || !management.end(keyHash)) {
      return navixy(400, 7, 'Invalid parameters');
    }
    return { status: 200, body: { success: true } };
  };
}
