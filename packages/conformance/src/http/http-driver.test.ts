import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { ConfigurationError } from '@gatehouse/auth-core';
import { afterEach, describe, expect, it } from 'vitest';
import { ConformanceSkip } from '../case.js';
import { buildWireRequest } from '../profiles/wire-request.js';
import { createHttpDriver, HTTP_FIXTURES, type SchemeProfileId } from './index.js';
import { createHttpSender, isBindableLoopback, type HttpSender } from './sender.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: readonly string[];
  readonly remoteAddress: string;
  readonly body: string;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A raw node:http server that records what arrived and answers with `answer`. */
async function rawServer(answer: (req: IncomingMessage, res: ServerResponse, seen: Seen) => void = (_req, res) => res.end('{"ok":true}')): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const one = { method: req.method ?? '', url: req.url ?? '', rawHeaders: [...req.rawHeaders], remoteAddress: req.socket.remoteAddress ?? '', body: Buffer.concat(chunks).toString('latin1') };
      seen.push(one);
      answer(req, res, one);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

function sender(baseUrl: string, options: { bind?: boolean; timeout?: number } = {}): HttpSender {
  const created = createHttpSender({ baseUrl: new URL(baseUrl), timeoutInMilliseconds: options.timeout ?? 5000, bindSourceAddress: options.bind ?? false });
  cleanups.push(() => created.close());
  return created;
}

const pairs = (raw: readonly string[]): [string, string][] => Array.from({ length: raw.length / 2 }, (_v, i) => [raw[2 * i] as string, raw[2 * i + 1] as string]);

/** The values of the header lines with the given (lower-case) name, in order. */
const linesOf = (raw: readonly string[], name: string): string[] => pairs(raw).filter(([line]) => line.toLowerCase() === name).map(([, value]) => value);

describe('the HTTP sender', () => {
  it('sends each header field line as the case wrote it: two Authorization lines, two Cookie lines, values as given', async () => {
    const { url, seen } = await rawServer();
    const request = buildWireRequest({
      path: '/v2/tracker/list',
      headers: [
        ['authorization', 'NVX aaaa'],
        ['Authorization', 'NVX bbbb'],
        ['cookie', 'access_hash=1'],
        ['cookie', 'theme=dark'],
        ['APIKey', 'key'],
        ['x-value', ' padded\t'],
        ['x-latin', 'caf\u00e9'],
      ],
    });
    expect(await sender(url).send(request)).toEqual({ status: 200, body: { ok: true } });
    const [one] = seen;
    expect(linesOf(one?.rawHeaders ?? [], 'authorization')).toEqual(['NVX aaaa', 'NVX bbbb']);
    expect(linesOf(one?.rawHeaders ?? [], 'cookie')).toEqual(['access_hash=1', 'theme=dark']);
    expect(pairs(one?.rawHeaders ?? []).find(([name]) => name === 'APIKey')?.[1]).toBe('key');
    expect(linesOf(one?.rawHeaders ?? [], 'x-value')).toEqual(['padded']); // the server's parser trims OWS
    expect(linesOf(one?.rawHeaders ?? [], 'x-latin')).toEqual(['caf\u00e9']);
    expect(linesOf(one?.rawHeaders ?? [], 'host')).toEqual([new URL(url).host]);
  });

  it('sends a Request the kit did not build with its (joined) Fetch headers', async () => {
    const { url, seen } = await rawServer();
    const headers = new Headers();
    headers.append('authorization', 'NVX a');
    headers.append('authorization', 'NVX b');
    await sender(url).send(new Request('http://gatehouse.test/x', { headers }));
    expect(linesOf(seen[0]?.rawHeaders ?? [], 'authorization')).toEqual(['NVX a, NVX b']);
  });

  it('re-targets method, path, query and body onto the base URL, base path first, with Content-Length', async () => {
    const { url, seen } = await rawServer();
    const reply = await sender(`${url}/prefix/`).send(buildWireRequest({ path: '/v2//panel/%70anel', query: [['hash', 'a b'], ['hash', 'c']], json: { hash: 'x' } }));
    expect(reply.status).toBe(200);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/prefix/v2//panel/%70anel?hash=a%20b&hash=c', body: '{"hash":"x"}' });
    expect(linesOf(seen[0]?.rawHeaders ?? [], 'content-length')).toEqual(['12']);
    expect(linesOf(seen[0]?.rawHeaders ?? [], 'content-type')).toEqual(['application/json']);
    await sender(url).send(buildWireRequest({ method: 'POST', path: '/AuthenticateUser' }));
    expect(linesOf(seen[1]?.rawHeaders ?? [], 'content-length')).toEqual(['0']);
  });

  it('parses a JSON body, keeps other text, gives null for an empty body, and never follows a redirect', async () => {
    const { url } = await rawServer((req, res) => {
      if (req.url === '/text') res.end('plain words');
      else if (req.url === '/empty') res.writeHead(204).end();
      else res.writeHead(302, { location: '/text' }).end('{"moved":true}');
    });
    const s = sender(url);
    expect(await s.send(new Request('http://gatehouse.test/text'))).toEqual({ status: 200, body: 'plain words' });
    expect(await s.send(new Request('http://gatehouse.test/empty'))).toEqual({ status: 204, body: null });
    expect(await s.send(new Request('http://gatehouse.test/redirect'))).toEqual({ status: 302, body: { moved: true } });
  });

  it('turns what the HTTP layer does to oversized requests into replies: 431 for 1 MiB of headers, 413, a reset connection', async () => {
    const { url } = await rawServer((req, res) => {
      if (req.url === '/reset') req.socket.destroy();
      else res.writeHead(413).end();
    });
    const s = sender(url);
    const big = buildWireRequest({ path: '/', headers: [['authorization', `NVX ${'a'.repeat(1024 * 1024)}`]] });
    expect(await s.send(big)).toEqual({ status: 431, body: null });
    const cookie = buildWireRequest({ path: '/', headers: [['cookie', `access_hash=${'a'.repeat(64 * 1024)}`]] });
    expect(await s.send(cookie)).toEqual({ status: 431, body: null });
    expect(await s.send(buildWireRequest({ path: '/', json: `{"pad":"${'x'.repeat(1024 * 1024)}"}` }))).toEqual({ status: 413, body: null });
    const reset = await s.send(buildWireRequest({ path: '/reset' }));
    expect(reset.status).toBe(0);
    expect(reset.body).toMatch(/no reply: the server closed the connection \(ECONNRESET\)/);
  });

  it('takes a reset without a reply as the HTTP layer refusing an oversized request (431, 413), else status 0', async () => {
    // A server that resets the connection as soon as it has seen 4 KiB, or the end of a small request's headers.
    const server = createNetServer((socket) => {
      let seen = 0;
      socket.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > 4096 || chunk.includes('\r\n\r\n')) socket.resetAndDestroy();
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const s = sender(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const headers = await s.send(buildWireRequest({ path: '/', headers: [['aptoken', 'x'.repeat(64 * 1024)]] }));
    expect(headers.status).toBe(431);
    expect(headers.body).toMatch(/^no reply: the server reset the connection \(\w+\) on \d+ bytes of headers; taken as 431 from the HTTP layer$/);
    const body = await s.send(buildWireRequest({ path: '/', json: `{"pad":"${'x'.repeat(1024 * 1024)}"}` }));
    expect(body.status).toBe(413);
    expect(body.body).toMatch(/taken as 413 from the HTTP layer/);
    expect((await s.send(buildWireRequest({ path: '/small' }))).status).toBe(0);
  });

  it('answers a server that replies before reading a large body, and keeps working after', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/early') {
        res.writeHead(412, { 'content-type': 'application/json' }).end('{"success":false}');
        return;
      }
      req.resume();
      req.on('end', () => res.end('{"success":true}'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
    const s = sender(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    for (let i = 0; i < 3; i++) {
      expect(await s.send(buildWireRequest({ path: '/early', json: `{"pad":"${'x'.repeat(1024 * 1024)}"}` }))).toEqual({ status: 412, body: { success: false } });
      expect(await s.send(buildWireRequest({ path: '/ok', json: { a: 1 } }))).toEqual({ status: 200, body: { success: true } });
    }
  });

  it('binds a loopback source address when asked, skips the case for one it cannot bind, and ignores it when not binding', async () => {
    const { url, seen } = await rawServer();
    const binding = sender(url, { bind: true });
    await binding.send(new Request('http://gatehouse.test/'), { remoteAddress: '127.0.0.5' });
    await binding.send(new Request('http://gatehouse.test/'), { remoteAddress: '127.0.0.1' });
    await binding.send(new Request('http://gatehouse.test/'));
    expect(seen.map((one) => one.remoteAddress)).toEqual(['127.0.0.5', '127.0.0.1', '127.0.0.1']);
    for (const address of ['2001:db8::1', '::ffff:127.0.0.1', '::1', '198.51.100.23', '127.255.255.255']) {
      await expect(binding.send(new Request('http://gatehouse.test/'), { remoteAddress: address })).rejects.toThrow(ConformanceSkip);
    }
    await expect(binding.send(new Request('http://gatehouse.test/'), { remoteAddress: '2001:db8::1' })).rejects.toThrow(/cannot send from 2001:db8::1/);
    await sender(url).send(new Request('http://gatehouse.test/'), { remoteAddress: '198.51.100.23' });
    expect(seen.at(-1)?.remoteAddress).toBe('127.0.0.1');
    expect(isBindableLoopback('127.0.0.1')).toBe(true);
    expect(isBindableLoopback('127.000.0.1')).toBe(false);
  });

  it('throws when the server does not reply in time or cannot be reached', async () => {
    const { url } = await rawServer(() => undefined);
    await expect(sender(url, { timeout: 150 }).send(new Request('http://gatehouse.test/'))).rejects.toThrow(/no complete reply from http:\/\/127\.0\.0\.1:\d+ within 150 ms/);
    const closed = await rawServer();
    const port = new URL(closed.url).port;
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    await expect(sender(`http://127.0.0.1:${port}`).send(new Request('http://gatehouse.test/'))).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });
});

describe('HTTP_FIXTURES', () => {
  it('documents every scheme profile; names are unique and a required fixture has no default', () => {
    expect(Object.keys(HTTP_FIXTURES).sort()).toEqual(['access-hash-cookie@2', 'hmac-signature@2', 'nvx-hash@2']);
    for (const specs of Object.values(HTTP_FIXTURES)) {
      expect(new Set(specs.map((spec) => spec.name)).size).toBe(specs.length);
      for (const spec of specs) {
        expect(spec.name).toMatch(/^[a-z][a-z_]*$/);
        expect(spec.description).not.toBe('');
        if (spec.required) expect(spec.default).toBeUndefined();
      }
    }
    const required = (id: SchemeProfileId): string[] => HTTP_FIXTURES[id].filter((spec) => spec.required).map((spec) => spec.name);
    expect(required('nvx-hash@2')).toEqual(['login', 'password', 'panel_login', 'panel_password']);
    // access_hash and foreign_access_hash are needed only without management_path: the driver checks that itself.
    expect(required('access-hash-cookie@2')).toEqual([]);
    // login and password, or a key made by hand: the HMAC driver checks which it was given itself.
    expect(required('hmac-signature@2')).toEqual([]);
  });
});

describe('createHttpDriver', () => {
  const hash = 'ab'.repeat(40);
  const otherHash = 'cd'.repeat(40);

  it('throws a ConfigurationError for an unknown profile, a bad base URL or timeout', async () => {
    await expect(createHttpDriver('credential-store@1' as never, { baseUrl: 'http://127.0.0.1:1', fixtures: {} })).rejects.toThrow(/`profileId`: must be one of nvx-hash@2/);
    await expect(createHttpDriver('access-hash-cookie@2', { baseUrl: 'ftp://x', fixtures: {} })).rejects.toThrow(/`baseUrl`: must be http/);
    await expect(createHttpDriver('access-hash-cookie@2', { baseUrl: 'http://x/?a=1', fixtures: {} })).rejects.toThrow(/`baseUrl`: must not have a query/);
    await expect(createHttpDriver('access-hash-cookie@2', { baseUrl: 'not a url', fixtures: {} })).rejects.toThrow(ConfigurationError);
    await expect(
      createHttpDriver('access-hash-cookie@2', { baseUrl: 'http://127.0.0.1:1', fixtures: { access_hash: hash, foreign_access_hash: otherHash }, timeoutInMilliseconds: 0 }),
    ).rejects.toThrow(/`timeoutInMilliseconds`/);
  });

  it('names missing required fixtures and unknown ones, never repeating a value', async () => {
    const missing = createHttpDriver('nvx-hash@2', { baseUrl: 'http://127.0.0.1:1', fixtures: { login: 'demo', password: 'hunter2-secret' } });
    await expect(missing).rejects.toThrow(/nvx-hash@2 over HTTP needs the fixtures panel_login, panel_password/);
    await expect(missing).rejects.not.toThrow(/hunter2/);
    await expect(createHttpDriver('access-hash-cookie@2', { baseUrl: 'http://127.0.0.1:1', fixtures: { access_hash: hash, foreign_access_hash: otherHash, acess_hash: hash } })).rejects.toThrow(
      /access-hash-cookie@2 has no fixture "acess_hash"; valid fixtures: access_hash, foreign_access_hash, client_ip/,
    );
  });

  it('checks fixture values and fixtures that go together', async () => {
    const base = 'http://127.0.0.1:1';
    const nvx = { login: 'a', password: 'b', panel_login: 'c', panel_password: 'd' };
    await expect(createHttpDriver('nvx-hash@2', { baseUrl: base, fixtures: nvx, parameters: { query_hash: 'on' } })).rejects.toThrow(/query_hash must be "disabled" or "enabled", got "on"/);
    await expect(createHttpDriver('nvx-hash@2', { baseUrl: base, fixtures: { ...nvx, query_hash: 'enabled' } })).rejects.toThrow(/nvx-hash@2 has no fixture "query_hash"/);
    // The NVX driver's own checks (sub-user pairs, paths): src/schemes/nvx-hash/http.test.ts.
    // The access-hash driver's own checks: src/schemes/access-hash-cookie/http.test.ts.
  });
});
