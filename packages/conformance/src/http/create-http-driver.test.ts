// createHttpDriver for any ConformanceScheme: what the kit checks before the scheme's driver starts, the context
// it hands the scheme, and the connections it closes after. The built-in schemes are found in the registry.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ConfigurationError } from '@gatehouse/auth-core';
import { afterEach, describe, expect, it } from 'vitest';
import { CONFORMANCE_ORIGIN } from '../drivers/wire.js';
import { ServerThrottledError, type ConformanceScheme, type HttpSchemeContext } from '../scheme.js';
import { schemes } from '../schemes/index.js';
import { createHttpDriver, HTTP_FIXTURES } from './index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server answering `{"path": …}`, counting its open connections. */
async function echoServer(): Promise<{ url: string; open: () => number }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url, key: req.headers['x-key'] ?? null }));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, open: () => sockets.size };
}

interface Seen {
  context?: HttpSchemeContext;
  cleanups: number;
}

function scheme(seen: Seen, start?: (context: HttpSchemeContext) => Promise<void>): ConformanceScheme<{ readonly context: HttpSchemeContext }> {
  return {
    profile: {
      id: 'outside@3',
      title: 'Outside',
      cases: [{ id: 'OUT-KEY-001', level: 'MUST', ref: 'test', title: 'works', run: async () => undefined }],
      parameters: [{ name: 'refusal_status', values: ['401', '403'], default: '401', description: 'the status of a refusal', silence: 'RFC 9110 leaves it open' }],
    },
    fixtures: [
      { name: 'owner_token', required: true, description: 'a token' },
      { name: 'resource', required: false, default: '/resource', description: 'a route' },
      { name: 'label', required: false, description: 'a label' },
    ],
    async createHttpDriver(context) {
      seen.context = context;
      await start?.(context);
      return { driver: { context }, capabilities: ['raw-connection'], cleanup: async () => void seen.cleanups++ };
    },
  };
}

describe('HTTP_FIXTURES', () => {
  it('is every built-in scheme\'s own fixtures, keyed by its profile id; names are unique and a required fixture has no default', () => {
    expect(Object.keys(HTTP_FIXTURES)).toEqual(Object.keys(schemes));
    for (const [id, one] of Object.entries(schemes)) {
      expect(one.profile.id).toBe(id);
      expect(HTTP_FIXTURES[id as keyof typeof HTTP_FIXTURES]).toBe(one.fixtures);
      expect(new Set(one.fixtures.map((spec) => spec.name)).size).toBe(one.fixtures.length);
      for (const spec of one.fixtures) {
        expect(spec.name).toMatch(/^[a-z][a-z_]*$/);
        expect(spec.description).not.toBe('');
        if (spec.required) expect(spec.default).toBeUndefined();
      }
    }
  });
});

describe('createHttpDriver with a ConformanceScheme', () => {
  it('hands the scheme the checked base URL, fixtures (defaults filled in, and as given), parameters and senders', async () => {
    const { url } = await echoServer();
    const seen: Seen = { cleanups: 0 };
    const handle = await createHttpDriver(scheme(seen), { baseUrl: `${url}/prefix`, fixtures: { owner_token: 'owner-1', label: '' }, parameters: { refusal_status: '403' }, timeoutInMilliseconds: 5000 });
    const context = seen.context as HttpSchemeContext;
    expect(handle.driver.context).toBe(context);
    expect(handle.capabilities).toEqual(['raw-connection']);
    expect(Object.isFrozen(handle.capabilities)).toBe(true);
    expect(context.baseUrl.href).toBe(`${url}/prefix`);
    expect(context.fixtures).toEqual({ owner_token: 'owner-1', resource: '/resource' });
    expect(context.given).toEqual({ owner_token: 'owner-1', label: '' });
    expect(context.parameters).toEqual({ refusal_status: '403' });
    expect(context.loopback).toBe(true);
    expect(context.timeoutInMilliseconds).toBe(5000);
    const sender = context.createSender({ bindSourceAddress: false });
    expect(await sender.send(new Request(`${CONFORMANCE_ORIGIN}/resource?a=1`, { headers: { 'x-key': 'k' } }))).toEqual({ status: 200, body: { path: '/prefix/resource?a=1', key: 'k' } });
    const raw = await sender.sendRaw(new TextEncoder().encode(`GET /raw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), { waitInMilliseconds: 2000 });
    expect(raw.responses.map((response) => [response.status, JSON.parse(response.body) as unknown])).toEqual([[200, { path: '/raw', key: null }]]);
    await handle.cleanup();
    expect(seen.cleanups).toBe(1);
  });

  it('defaults: every parameter\'s default, a 10 s timeout; a remote base URL is not loopback', async () => {
    const seen: Seen = { cleanups: 0 };
    const handle = await createHttpDriver(scheme(seen), { baseUrl: 'https://api.example.com', fixtures: { owner_token: 'x' } });
    expect(seen.context?.parameters).toEqual({ refusal_status: '401' });
    expect(seen.context?.timeoutInMilliseconds).toBe(10_000);
    expect(seen.context?.loopback).toBe(false);
    await handle.cleanup();
  });

  it('closes every connection its senders opened once the scheme has cleaned up', async () => {
    const { url, open } = await echoServer();
    const seen: Seen = { cleanups: 0 };
    const handle = await createHttpDriver(scheme(seen), { baseUrl: url, fixtures: { owner_token: 'x' } });
    const sender = (seen.context as HttpSchemeContext).createSender({ bindSourceAddress: false });
    await sender.send(new Request(`${CONFORMANCE_ORIGIN}/one`));
    expect(open()).toBe(1);
    await handle.cleanup();
    await expect.poll(open).toBe(0);
  });

  it('closes the senders and passes the error on when the scheme\'s driver cannot start (a throttling server, say)', async () => {
    const { url, open } = await echoServer();
    const seen: Seen = { cleanups: 0 };
    const failing = scheme(seen, async (context) => {
      await context.createSender({ bindSourceAddress: false }).send(new Request(`${CONFORMANCE_ORIGIN}/keys`, { method: 'POST', body: '{}' }));
      throw new ServerThrottledError('POST /keys');
    });
    await expect(createHttpDriver(failing, { baseUrl: url, fixtures: { owner_token: 'x' } })).rejects.toThrow(ServerThrottledError);
    await expect.poll(open).toBe(0);
  });

  it('checks fixtures and parameters against the scheme before its driver starts, never repeating a value', async () => {
    const seen: Seen = { cleanups: 0 };
    const base = 'http://127.0.0.1:1';
    await expect(createHttpDriver(scheme(seen), { baseUrl: base, fixtures: {} })).rejects.toThrow(/outside@3 over HTTP needs the fixture owner_token \(owner_token: a token\)/);
    await expect(createHttpDriver(scheme(seen), { baseUrl: base, fixtures: { owner_token: 'hunter2', ownr: 'x' } })).rejects.toThrow(/outside@3 has no fixture "ownr"; valid fixtures: owner_token, resource, label/);
    await expect(createHttpDriver(scheme(seen), { baseUrl: base, fixtures: { owner_token: 'hunter2' }, parameters: { refusal_status: '500' } })).rejects.toThrow(
      /`parameters`: refusal_status must be "401" or "403", got "500"/,
    );
    await expect(createHttpDriver(scheme(seen), { baseUrl: base, fixtures: { owner_token: 'hunter2' }, parameters: { nope: '1' } })).rejects.toThrow(ConfigurationError);
    await expect(createHttpDriver(scheme(seen), { baseUrl: 'ftp://x', fixtures: { owner_token: 'x' } })).rejects.toThrow(/`baseUrl`: must be http/);
    await expect(createHttpDriver(scheme(seen), { baseUrl: base, fixtures: { owner_token: 'x' }, timeoutInMilliseconds: 0 })).rejects.toThrow(/`timeoutInMilliseconds`/);
    expect(seen.context).toBeUndefined();
  });

  it('refuses what is not a scheme, a scheme without an HTTP driver, and an id that is not a built-in scheme', async () => {
    const options = { baseUrl: 'http://127.0.0.1:1', fixtures: {} };
    await expect(createHttpDriver({ profile: { id: 'x' } } as never, options)).rejects.toThrow(/`scheme`: must be a built-in profile id or a ConformanceScheme: profile.id must be a versioned id/);
    const { createHttpDriver: _none, ...inProcessOnly } = scheme({ cleanups: 0 });
    await expect(createHttpDriver(inProcessOnly, options)).rejects.toThrow(/outside@3 has no HTTP driver: it runs in-process only/);
    await expect(createHttpDriver('credential-store@1' as never, options)).rejects.toThrow(new RegExp(`\`profileId\`: must be one of ${Object.keys(schemes).join(', ')} or a ConformanceScheme`));
  });
});
