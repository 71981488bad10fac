// The reference APEX server over real sockets, for the HTTP driver's tests: its account routes (WebAuthenticateUser,
// AddUserAPIKey, RemoveUserAPIKey, LogOut) in front of the in-process driver, and a tiny raw TCP server that frames
// requests badly (it skips only part of an oversized body and parses the rest as requests: request desync).
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { isJsonObject } from '@gatehouse/auth-core';
import { CONFORMANCE_ORIGIN, type WireResponse } from '../../../drivers/wire.js';
import type { WireHandler } from '../../../http/__fixtures__/wire-server.js';
import { hmacInProcessDriver } from '../in-process.js';
import { REFERENCE_PERMISSION, type HmacReference } from './reference.js';

/** The account the HTTP driver signs in with. */
export const APEX_ACCOUNT = { login: 'kii-user', password: 'kii-password', userId: '7001', otherUserId: '7002' } as const;

const notAuthorized = (status: number): WireResponse => ({ status, body: { result: false, errormsg: 'Not Authorized', errorcode: 20, detail: null } });
const invalidRequest = (detail: string): WireResponse => ({ status: 400, body: { result: false, errormsg: 'Invalid Request', errorcode: 100, detail } });

export interface ApexRoutesOptions {
  /** Answer the account routes with 429 (a throttled server). */
  readonly throttled?: boolean;
  /** Leave AllowedIps out of AddUserAPIKey (a server that cannot restrict keys by IP). */
  readonly withoutAllowedIps?: boolean;
}

/**
 * The reference's account routes under `/ap`, as APEX names them; every other request goes to the reference's
 * in-process driver (AuthenticateUser, aptoken calls).
 */
export function apexRoutes(reference: HmacReference, options: ApexRoutesOptions = {}): WireHandler {
  const driver = hmacInProcessDriver(reference);
  // The in-process driver takes its routes (the permission-gated call) from the fixtures of its last setup().
  const ready = driver.setup();
  const json = async (request: Request): Promise<Record<string, unknown>> => {
    try {
      const value: unknown = await request.json();
      return isJsonObject(value as never) ? (value as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  return async (request, remoteAddress) => {
    await ready;
    const path = new URL(request.url).pathname;
    const route = ['/ap/WebAuthenticateUser', '/ap/AddUserAPIKey', '/ap/RemoveUserAPIKey', '/ap/LogOut'].find((one) => one === path);
    if (route === undefined) return driver.send(request, { remoteAddress });
    if (options.throttled) return { status: 429, body: { result: false, errormsg: 'Too many requests', errorcode: 100, detail: null } };
    const body = await json(request);
    if (route === '/ap/WebAuthenticateUser') {
      if (body['UserName'] !== APEX_ACCOUNT.login || body['Password'] !== APEX_ACCOUNT.password) return { status: 401, body: { Authenticated: false, errormsg: 'Invalid username or password' } };
      const token = reference.startWebSession(APEX_ACCOUNT.userId);
      return { status: 200, body: reference.renderSuccess(token, { principal: { id: APEX_ACCOUNT.userId } } as never).body };
    }
    const user = reference.webSessionUser(request.headers.get('aptoken') ?? '');
    if (user === null) return notAuthorized(401);
    if (route === '/ap/LogOut') {
      reference.endWebSession(request.headers.get('aptoken') ?? '');
      return { status: 200, body: { result: true, errormsg: null, errorcode: 0, detail: null } };
    }
    if (String(body['UserId']) !== user) return notAuthorized(403);
    if (route === '/ap/AddUserAPIKey') {
      const permissions = body['Permissions'];
      const allowedIps = options.withoutAllowedIps ? [] : body['AllowedIps'];
      if (!Array.isArray(permissions) || !permissions.every((one) => one === REFERENCE_PERMISSION)) return invalidRequest('Permissions: Trading or none');
      if (allowedIps !== undefined && !(Array.isArray(allowedIps) && allowedIps.every((one) => typeof one === 'string'))) return invalidRequest('AllowedIps: a list of addresses');
      const key = reference.issue(user, permissions as string[], (allowedIps ?? []) as string[]);
      return { status: 200, body: { APIKey: key.apiKey, APISecret: key.apiSecret, Nonce: key.nonce, UserId: Number(user), Permissions: permissions } };
    }
    if (typeof body['APIKey'] !== 'string' || !reference.remove(user, body['APIKey'])) return invalidRequest('No such key');
    return { status: 200, body: { result: true, errormsg: null, errorcode: 0, detail: null } };
  };
}

export interface RawServer {
  readonly baseUrl: string;
  close(): Promise<void>;
}

interface Parsed {
  readonly method: string;
  readonly target: string;
  readonly headers: [string, string][];
  readonly length: number;
  readonly headEnd: number;
}

function parseHead(buffer: Buffer): Parsed | null {
  const headEnd = buffer.indexOf('\r\n\r\n');
  if (headEnd === -1) return null;
  const [requestLine = '', ...lines] = buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
  const [method = 'GET', target = '/'] = requestLine.split(' ');
  const headers = lines.map((line) => [line.slice(0, line.indexOf(':')).trim(), line.slice(line.indexOf(':') + 1).trim()] as [string, string]);
  const length = Number(headers.find(([name]) => name.toLowerCase() === 'content-length')?.[1] ?? '0');
  return { method, target, headers, length: Number.isFinite(length) ? length : 0, headEnd: headEnd + 4 };
}

function write(socket: Socket, reply: WireResponse, close: boolean): void {
  const text = reply.body === null || reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  const bytes = Buffer.from(text, 'utf8');
  socket.write(`HTTP/1.1 ${reply.status} X\r\ncontent-type: application/json\r\ncontent-length: ${bytes.length}\r\nconnection: ${close ? 'close' : 'keep-alive'}\r\n\r\n`);
  socket.write(bytes);
}

/**
 * A hand-framed HTTP/1.1 server in front of `handler`: keep-alive, pipelining, Content-Length bodies. With
 * `skipsOnlyPartOfOversizedBodies`, a body over 64 KiB is answered 413 at once and only its first 1 KiB is skipped,
 * so the rest of it is parsed as requests (request desync).
 */
export async function serveRaw(handler: WireHandler, options: { readonly skipsOnlyPartOfOversizedBodies: boolean }): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    let skipping = 0;
    let busy = false;
    const pump = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        for (;;) {
          if (skipping > 0) {
            const dropped = Math.min(skipping, buffer.length);
            buffer = buffer.subarray(dropped);
            skipping -= dropped;
            if (skipping > 0) return;
          }
          const head = parseHead(buffer);
          if (head === null) return;
          const close = head.headers.some(([name, value]) => name.toLowerCase() === 'connection' && value.toLowerCase() === 'close');
          if (head.length > 64 * 1024) {
            write(socket, { status: 413, body: { result: false, errormsg: 'Request too large', errorcode: 100, detail: null } }, false);
            buffer = buffer.subarray(head.headEnd);
            skipping = options.skipsOnlyPartOfOversizedBodies ? 1024 : head.length;
            continue;
          }
          if (buffer.length < head.headEnd + head.length) return;
          const body = buffer.subarray(head.headEnd, head.headEnd + head.length);
          buffer = buffer.subarray(head.headEnd + head.length);
          const headers = new Headers();
          for (const [name, value] of head.headers) {
            if (!['host', 'connection', 'content-length'].includes(name.toLowerCase())) headers.append(name, value);
          }
          const init: RequestInit = { method: head.method, headers };
          if (head.method !== 'GET' && head.method !== 'HEAD') init.body = new Uint8Array(body);
          let reply: WireResponse;
          try {
            reply = await handler(new Request(CONFORMANCE_ORIGIN + head.target, init), socket.remoteAddress ?? '');
          } catch (error) {
            reply = { status: 500, body: String(error) };
          }
          write(socket, reply, close);
          if (close) {
            socket.end();
            return;
          }
        }
      } finally {
        busy = false;
      }
    };
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      void pump().then(() => (buffer.length > 0 && !busy ? pump() : undefined));
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
