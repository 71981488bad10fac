import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { ConfigurationError } from '@gatehouse/auth-core';
import { afterEach, describe, expect, it } from 'vitest';
import { ConformanceSkip } from '../case.js';
import { createNvxReferenceWithManagement } from '../__fixtures__/nvx-reference.js';
import { nvxInProcessDriver } from '../drivers/nvx-in-process.js';
import { buildWireRequest } from '../profiles/wire-request.js';
import { createHttpDriver, HTTP_FIXTURES, type SchemeProfileId } from './index.js';
import { createHttpSender, isBindableLoopback, type HttpSender } from './sender.js';
import { NVX_ACCOUNTS, NVX_HTTP_FIXTURES, nvxAccountRoutes, serveWire } from './__fixtures__/wire-server.js';

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
    expect(Object.keys(HTTP_FIXTURES).sort()).toEqual(['access-hash-cookie@1', 'hmac-signature@1', 'nvx-hash@1']);
    for (const specs of Object.values(HTTP_FIXTURES)) {
      expect(new Set(specs.map((spec) => spec.name)).size).toBe(specs.length);
      for (const spec of specs) {
        expect(spec.name).toMatch(/^[a-z][a-z_]*$/);
        expect(spec.description).not.toBe('');
        if (spec.required) expect(spec.default).toBeUndefined();
      }
    }
    const required = (id: SchemeProfileId): string[] => HTTP_FIXTURES[id].filter((spec) => spec.required).map((spec) => spec.name);
    expect(required('nvx-hash@1')).toEqual(['login', 'password', 'panel_login', 'panel_password']);
    expect(required('access-hash-cookie@1')).toEqual(['access_hash', 'foreign_access_hash']);
    expect(required('hmac-signature@1')).toEqual(['api_key', 'api_secret', 'nonce', 'user_id', 'nonce_policy']);
  });
});

describe('createHttpDriver', () => {
  const hash = 'ab'.repeat(40);
  const otherHash = 'cd'.repeat(40);
  const hmac = { api_key: '0123456789abcdef0123456789abcdef', api_secret: 's3cr3t-s3cr3t-s3cr3t', nonce: '12345', user_id: '7', nonce_policy: 'unique' };

  it('throws a ConfigurationError for an unknown profile, a bad base URL or timeout', async () => {
    await expect(createHttpDriver('credential-store@1' as never, { baseUrl: 'http://127.0.0.1:1', fixtures: {} })).rejects.toThrow(/`profileId`: must be one of nvx-hash@1/);
    await expect(createHttpDriver('access-hash-cookie@1', { baseUrl: 'ftp://x', fixtures: {} })).rejects.toThrow(/`baseUrl`: must be http/);
    await expect(createHttpDriver('access-hash-cookie@1', { baseUrl: 'http://x/?a=1', fixtures: {} })).rejects.toThrow(/`baseUrl`: must not have a query/);
    await expect(createHttpDriver('access-hash-cookie@1', { baseUrl: 'not a url', fixtures: {} })).rejects.toThrow(ConfigurationError);
    await expect(
      createHttpDriver('access-hash-cookie@1', { baseUrl: 'http://127.0.0.1:1', fixtures: { access_hash: hash, foreign_access_hash: otherHash }, timeoutInMilliseconds: 0 }),
    ).rejects.toThrow(/`timeoutInMilliseconds`/);
  });

  it('names missing required fixtures and unknown ones, never repeating a value', async () => {
    const missing = createHttpDriver('nvx-hash@1', { baseUrl: 'http://127.0.0.1:1', fixtures: { login: 'demo', password: 'hunter2-secret' } });
    await expect(missing).rejects.toThrow(/nvx-hash@1 over HTTP needs the fixtures panel_login, panel_password/);
    await expect(missing).rejects.not.toThrow(/hunter2/);
    await expect(createHttpDriver('hmac-signature@1', { baseUrl: 'http://127.0.0.1:1', fixtures: { ...hmac, api_secret: '' } })).rejects.toThrow(/needs the fixture api_secret/);
    await expect(createHttpDriver('access-hash-cookie@1', { baseUrl: 'http://127.0.0.1:1', fixtures: { access_hash: hash, foreign_access_hash: otherHash, acess_hash: hash } })).rejects.toThrow(
      /access-hash-cookie@1 has no fixture "acess_hash"; valid fixtures: access_hash, foreign_access_hash, client_ip/,
    );
  });

  it('checks fixture values and fixtures that go together', async () => {
    const base = 'http://127.0.0.1:1';
    const nvx = { login: 'a', password: 'b', panel_login: 'c', panel_password: 'd' };
    await expect(createHttpDriver('nvx-hash@1', { baseUrl: base, fixtures: { ...nvx, query_hash: 'on' } })).rejects.toThrow(/query_hash must be 'enabled' or 'disabled', got "on"/);
    await expect(createHttpDriver('nvx-hash@1', { baseUrl: base, fixtures: { ...nvx, sub_login: 'x' } })).rejects.toThrow(/sub_login, sub_password go together .*missing sub_password/);
    await expect(createHttpDriver('nvx-hash@1', { baseUrl: base, fixtures: { ...nvx, panel_resource: '/v2/admin/list' } })).rejects.toThrow(/panel_resource must contain \/panel\//);
    await expect(createHttpDriver('nvx-hash@1', { baseUrl: base, fixtures: { ...nvx, resource: 'tracker/list' } })).rejects.toThrow(/resource must be an absolute path/);
    await expect(createHttpDriver('access-hash-cookie@1', { baseUrl: base, fixtures: { access_hash: hash, foreign_access_hash: otherHash, foreign_ip: '127.0.0.1' } })).rejects.toThrow(
      /client_ip and foreign_ip must be different addresses/,
    );
    const upper = createHttpDriver('access-hash-cookie@1', { baseUrl: base, fixtures: { access_hash: hash.toUpperCase(), foreign_access_hash: otherHash } });
    await expect(upper).rejects.toThrow(/fixture access_hash must be 80 lower-case hex characters, as issued; got 80 characters/);
    await expect(upper).rejects.not.toThrow(/ABAB/);
    await expect(createHttpDriver('access-hash-cookie@1', { baseUrl: base, fixtures: { access_hash: hash, foreign_access_hash: otherHash, trusted_proxies: 'all' } })).rejects.toThrow(
      /trusted_proxies must be 'none' or 'configured'/,
    );
    await expect(createHttpDriver('hmac-signature@1', { baseUrl: base, fixtures: { ...hmac, nonce_policy: 'random' } })).rejects.toThrow(/nonce_policy must be 'issued' or 'increasing' or 'unique'/);
    await expect(createHttpDriver('hmac-signature@1', { baseUrl: base, fixtures: { ...hmac, limited_api_key: 'k'.repeat(32) } })).rejects.toThrow(
      /limited_api_key, limited_api_secret, limited_nonce, permission_path go together/,
    );
    await expect(createHttpDriver('hmac-signature@1', { baseUrl: base, fixtures: { ...hmac, allowed_ip: '127.0.0.2' } })).rejects.toThrow(/allowed_ip goes with ip_restricted_api_key/);
  });

  it('offers remote-address only with a loopback base URL and bindable addresses, and derives the rest from the fixtures', async () => {
    const ahc = { access_hash: hash, foreign_access_hash: otherHash };
    const loopback = await createHttpDriver('access-hash-cookie@1', { baseUrl: 'http://127.0.0.1:1', fixtures: ahc });
    expect(loopback.capabilities).toEqual(['remote-address', 'no-trusted-proxies', 'ipv4-client']);
    expect(loopback.driver.capabilities).toEqual(['remote-address']);
    expect(await loopback.driver.setup()).toEqual({
      accessHash: hash,
      clientIp: '127.0.0.1',
      foreignAccessHash: otherHash,
      foreignIp: '127.0.0.2',
      resourcePath: '/api/v1/system/status',
      cookieName: 'access_hash',
      trustedProxies: 'none',
    });
    const remote = await createHttpDriver('access-hash-cookie@1', {
      baseUrl: 'https://api.example.com',
      fixtures: { ...ahc, client_ip: '203.0.113.7', foreign_ip: '198.51.100.23', revoked_access_hash: 'ef'.repeat(40), trusted_proxies: 'configured' },
    });
    expect(remote.capabilities).toEqual(['revoked-hash', 'ipv4-client']);
    const tunnelled = await createHttpDriver('access-hash-cookie@1', { baseUrl: 'http://localhost:8080', fixtures: { ...ahc, client_ip: '172.17.0.1' } });
    expect(tunnelled.capabilities).not.toContain('remote-address');

    const full = await createHttpDriver('hmac-signature@1', {
      baseUrl: 'http://127.0.0.1:1',
      fixtures: { ...hmac, other_user_id: '8', ip_restricted_api_key: 'r'.repeat(32), ip_restricted_api_secret: 'rs'.repeat(10), ip_restricted_nonce: '1', allowed_ip: '127.0.0.2' },
    });
    expect([...full.capabilities].sort()).toEqual(['ip-allowed-address', 'ip-restricted-key', 'numeric-ids', 'other-user', 'remote-address', 'replay-protection', 'unique-nonce']);
    const fx = await full.driver.setup();
    expect(fx).toMatchObject({ clientIp: '127.0.0.1', noncePolicy: 'unique', resource: '/ap/GetUserInfo', authenticatePath: '/AuthenticateUser', ipRestrictedKey: { userId: '7', allowedIp: '127.0.0.2' } });
    // Under `unique` the nonces start at a random point per run, so a second run replays nothing.
    expect(fx.nonce).toMatch(/^[1-9][0-9]{11}$/);
    expect(await full.driver.setup()).toBe(fx);
    const issued = await createHttpDriver('hmac-signature@1', { baseUrl: 'https://api.example.com', fixtures: { ...hmac, nonce_policy: 'issued', allowed_ip: undefined as never } });
    const issuedFx = await issued.driver.setup();
    expect(issuedFx.nonce).toBe('12345');
    expect(issuedFx.clientIp).toBeUndefined();
    expect(issued.capabilities).toEqual(['issued-nonce', 'numeric-ids']);
    for (const handle of [loopback, remote, tunnelled, full, issued]) await handle.cleanup();
  });
});

describe('the NVX HTTP driver', () => {
  async function nvxServer(options: { failCreateAfter?: number; wrongPanel?: boolean } = {}) {
    const reference = createNvxReferenceWithManagement({ queryHash: 'disabled' });
    const inProcess = nvxInProcessDriver(reference);
    let created = 0;
    const routes = nvxAccountRoutes({
      strategy: reference.strategy,
      render: reference.render,
      management: reference.management,
      fallback: (request, remoteAddress) => inProcess.send(request, { remoteAddress }),
    });
    const server = await serveWire(async (request, remoteAddress) => {
      const path = new URL(request.url).pathname;
      if (path === '/v2/api/key/create' && options.failCreateAfter !== undefined && created++ >= options.failCreateAfter) {
        return { status: 403, body: { success: false, status: { code: 13, description: 'Operation not permitted' } } };
      }
      return routes(request, remoteAddress);
    });
    cleanups.push(() => server.close());
    return { server, management: reference.management };
  }

  it('signs in, makes a small pool of keys, a deleted key and an ended session, hands keys out in turn, and removes them all in cleanup', async () => {
    const { server, management } = await nvxServer();
    const handle = await createHttpDriver('nvx-hash@1', { baseUrl: server.baseUrl, fixtures: NVX_HTTP_FIXTURES });
    expect(handle.capabilities).toEqual(['query-hash-refused', 'ended-session', 'sub-user']);
    const first = await handle.driver.setup();
    const keys = new Set([first.apiKey]);
    for (let i = 0; i < 5; i++) keys.add((await handle.driver.setup()).apiKey);
    expect(keys.size).toBe(3);
    expect(management.count('api-key', NVX_ACCOUNTS.master.ownerId)).toBe(3);
    expect(management.find(first.revokedApiKey)).toMatchObject({ kind: 'api-key', active: false });
    expect(management.find(first.endedSessionHash as string)).toMatchObject({ kind: 'user-session', active: false });
    expect(management.find(first.subUserSessionHash as string)).toMatchObject({ ownerId: NVX_ACCOUNTS.sub.ownerId, active: true });
    expect(first).toMatchObject({ resourcePath: '/v2/tracker/list', panelResourcePath: '/v2/panel/tariff/list', keyManagementPath: '/v2/api/key/list', queryHash: 'disabled' });
    await handle.cleanup();
    expect(management.count('api-key', NVX_ACCOUNTS.master.ownerId)).toBe(0);
    expect(management.count('user-session', NVX_ACCOUNTS.master.ownerId)).toBe(0);
    expect(management.count('user-session', NVX_ACCOUNTS.sub.ownerId)).toBe(0);
  });

  it('fails setup with the server\'s reply (never a password or a hash) and still removes the keys it made', async () => {
    const { server, management } = await nvxServer({ failCreateAfter: 2 });
    const handle = await createHttpDriver('nvx-hash@1', { baseUrl: server.baseUrl, fixtures: NVX_HTTP_FIXTURES });
    const setup = handle.driver.setup();
    await expect(setup).rejects.toThrow(/creating an API key \(POST \/v2\/api\/key\/create\) failed: HTTP 403 .*"code":13.*may already have close to 20/);
    expect(management.count('api-key', NVX_ACCOUNTS.master.ownerId)).toBe(2);
    await handle.cleanup();
    expect(management.count('api-key', NVX_ACCOUNTS.master.ownerId)).toBe(0);

    const wrong = await createHttpDriver('nvx-hash@1', { baseUrl: server.baseUrl, fixtures: { ...NVX_HTTP_FIXTURES, password: 'wrong-password' } });
    const failed = wrong.driver.setup();
    await expect(failed).rejects.toThrow(/the master user's sign-in \(login "demo"\) \(POST \/v2\/user\/auth\) failed: HTTP 400 .*"code":4/);
    await expect(failed).rejects.not.toThrow(/wrong-password/);
    await wrong.cleanup();
  });

  it('follows base_path for its routes and default resources', async () => {
    let count = 0;
    const fresh = (): string => (++count).toString(16).padStart(32, '0');
    const { url, seen } = await rawServer((_req, res) => res.end(JSON.stringify({ success: true, hash: fresh(), value: { hash: fresh() } })));
    const handle = await createHttpDriver('nvx-hash@1', { baseUrl: url, fixtures: { ...NVX_HTTP_FIXTURES, sub_login: '', sub_password: '', base_path: '/api/v3' } });
    const fx = await handle.driver.setup();
    expect(fx).toMatchObject({ resourcePath: '/api/v3/tracker/list', panelResourcePath: '/api/v3/panel/tariff/list', keyManagementPath: '/api/v3/api/key/list' });
    expect(fx.subUserSessionHash).toBeUndefined();
    expect(handle.capabilities).not.toContain('sub-user');
    expect(new Set(seen.map((one) => one.url))).toEqual(new Set(['/api/v3/user/auth', '/api/v3/panel/account/auth', '/api/v3/api/key/create', '/api/v3/api/key/delete', '/api/v3/user/logout']));
    expect(seen.find((one) => one.url === '/api/v3/user/auth')?.body).toBe('{"login":"demo","password":"demo-password"}');
    await handle.cleanup();
  });
});
