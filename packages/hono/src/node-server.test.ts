// @gatehouse/hono on a real socket: Hono served by @hono/node-server on 127.0.0.1, real HTTP requests.
import { serve, type HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { accessHashScheme, nvxScheme, nvxTestKit, unwrap, WIRE } from '@gatehouse/adapter-fixtures/schemes';
import { authenticate, errorBridge, notFound, routeKit } from './index.js';

const servers: { close(callback: () => void): unknown }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

/** Serves the app on 127.0.0.1 at a free port; returns its origin. */
async function listen(app: Hono<{ Bindings: HttpBindings }> | Hono): Promise<string> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`));
    servers.push(server);
  });
}

/** A request body sent chunked (no Content-Length), as a streaming client sends it. */
function chunked(text: string): RequestInit & { duplex: 'half' } {
  const bytes = new TextEncoder().encode(text);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 16) controller.enqueue(bytes.subarray(i, i + 16));
      controller.close();
    },
  });
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' };
}

async function expectReply(response: Promise<Response>, status: number, body: string): Promise<void> {
  const settled = await response;
  expect({ status: settled.status, body: await settled.text() }).toEqual({ status, body });
}

describe('@hono/node-server: the client IP', () => {
  it("takes 'socket' from Node bindings (c.env.incoming.socket) when no getConnInfo is given", async () => {
    const { strategy, boundTo } = await accessHashScheme();
    const here = await boundTo('127.0.0.1');
    const elsewhere = await boundTo('203.0.113.9');
    const app = new Hono<{ Bindings: HttpBindings }>().get('/api/v1/system/status', authenticate(strategy), (c) => c.json({ id: c.get('auth').credential.id }));
    const origin = await listen(app);
    expect((await fetch(`${origin}/api/v1/system/status`, { headers: { cookie: `access_hash=${here}` } })).status).toBe(200);
    await expectReply(fetch(`${origin}/api/v1/system/status`, { headers: { cookie: `access_hash=${elsewhere}` } }), 403, WIRE.accessHashWrongIp);
  });

  it("takes 'socket' from the runtime helper given as getConnInfo (@hono/node-server/conninfo)", async () => {
    const { strategy, boundTo } = await accessHashScheme();
    const hash = await boundTo('127.0.0.1');
    const helper = vi.fn(getConnInfo);
    const app = new Hono().get('/status', authenticate(strategy, { getConnInfo: helper }), (c) => c.text('ok'));
    const origin = await listen(app);
    expect((await fetch(`${origin}/status`, { headers: { cookie: `access_hash=${hash}` } })).status).toBe(200);
    expect(helper).toHaveBeenCalledOnce();
    expect(helper.mock.results[0]?.value).toMatchObject({ remote: { address: '127.0.0.1' } });
  });

  it('believes X-Forwarded-For only from the trustedProxies given, read right to left', async () => {
    const { strategy, boundTo } = await accessHashScheme();
    const hash = await boundTo('203.0.113.9');
    const app = new Hono<{ Bindings: HttpBindings }>()
      .get('/behind-proxy', authenticate(strategy, { clientIp: { trustedProxies: ['127.0.0.1'] } }), (c) => c.text('ok'))
      .get('/direct', authenticate(strategy), (c) => c.text('ok'));
    const origin = await listen(app);
    const headers = { cookie: `access_hash=${hash}`, 'x-forwarded-for': '198.51.100.7, 203.0.113.9' };
    expect((await fetch(`${origin}/behind-proxy`, { headers })).status).toBe(200);
    await expectReply(fetch(`${origin}/direct`, { headers }), 403, WIRE.accessHashWrongIp);
  });
});

describe('@hono/node-server: bodies', () => {
  it('authenticates from the body and lets the handler read it again with c.req.json()', async () => {
    const { strategy, apiKey } = await nvxScheme();
    const app = new Hono().post('/v2/tracker/list', authenticate(strategy), async (c) => c.json({ got: await c.req.json(), user: c.get('auth').principal.id }));
    const origin = await listen(app);
    const response = await fetch(`${origin}/v2/tracker/list`, chunked(JSON.stringify({ hash: apiKey, labels: ['north', 'south'] })));
    expect(await response.json()).toEqual({ got: { hash: apiKey, labels: ['north', 'south'] }, user: 'user-1' });
  });

  it("answers a chunked body over hono/body-limit's maxSize with Navixy code 9 and HTTP 412 through the bridge", async () => {
    const { strategy, apiKey } = await nvxScheme();
    const bridge = errorBridge(strategy);
    const app = new Hono();
    app.onError(bridge);
    app.use('/v2/*', bodyLimit({ maxSize: 256, onError: bridge.bodyLimitError }));
    app.post('/v2/tracker/list', authenticate(strategy), async (c) => c.json({ success: true, got: await c.req.json() }));
    const origin = await listen(app);
    await expectReply(fetch(`${origin}/v2/tracker/list`, chunked(JSON.stringify({ hash: apiKey, padding: 'x'.repeat(400) }))), 412, WIRE.nvxTooLarge);
    const small = await fetch(`${origin}/v2/tracker/list`, chunked(JSON.stringify({ hash: apiKey })));
    expect(await small.json()).toEqual({ success: true, got: { hash: apiKey } });
  });

  it('refuses a chunked body over maxBodyBytes as REQUEST_TOO_LARGE without waiting for the handler', async () => {
    const { strategy, apiKey } = await nvxScheme();
    const reached = vi.fn();
    const app = new Hono().post('/v2/tracker/list', authenticate(strategy, { maxBodyBytes: 128 }), (c) => {
      reached();
      return c.text('reached');
    });
    const origin = await listen(app);
    await expectReply(fetch(`${origin}/v2/tracker/list`, chunked(JSON.stringify({ hash: apiKey, padding: 'x'.repeat(4096) }))), 412, WIRE.nvxTooLarge);
    expect(reached).not.toHaveBeenCalled();
  });
});

describe('@hono/node-server: a route kit', () => {
  it("serves the kit's routes and the scheme's 404 on a real socket", async () => {
    const { strategy, manager } = await nvxScheme();
    const app = new Hono();
    app.use(routeKit(nvxTestKit(strategy, manager)));
    app.all('/v2/*', notFound(strategy));
    const origin = await listen(app);
    const login = await fetch(`${origin}/v2/user/auth`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'login=demo&password=secret' });
    expect(login.status).toBe(200);
    expect(await login.json()).toMatchObject({ success: true, hash: expect.stringMatching(/^[0-9a-f]{32}$/) });
    await expectReply(fetch(`${origin}/v2/nothing/here`), 404, WIRE.nvxWrongFormat);
  });
});

/** Sends one raw HTTP/1.1 request (header lines exactly as given) and returns the status and body of the reply. */
async function rawRequest(origin: string, lines: readonly string[]): Promise<{ status: number; body: string }> {
  const { port } = new URL(origin);
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end([...lines, 'Connection: close', '', ''].join('\r\n')));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const body = rest.join('\r\n\r\n');
      const chunkedBody = /transfer-encoding: chunked/i.test(head) ? body.replace(/^[0-9a-f]+\r\n|\r\n[0-9a-f]+\r\n(\r\n)?/gi, '') : body;
      resolve({ status: Number(head.split(' ')[1]), body: chunkedBody });
    });
  });
}

describe('@hono/node-server: headers', () => {
  const builtHeaders = (raw: Request): boolean => Object.getOwnPropertySymbols(raw).some((symbol) => symbol.description === 'headersKey');

  it('reads the header lines the server received, without building a Headers object for the request', async () => {
    const { strategy, apiKey } = await nvxScheme();
    const app = new Hono().get('/v2/tracker/list', authenticate(strategy), (c) => c.json({ user: c.get('auth').principal.id, headersBuilt: builtHeaders(c.req.raw) }));
    const origin = await listen(app);
    const response = await fetch(`${origin}/v2/tracker/list`, { headers: { authorization: `NVX ${apiKey}` } });
    expect(await response.json()).toEqual({ user: 'user-1', headersBuilt: false });
  });

  it('judges the headers an earlier middleware changed, not the lines the client sent', async () => {
    const { strategy, apiKey } = await nvxScheme();
    const app = new Hono();
    app.use('/v2/replaced/*', async (c, next) => {
      c.req.raw.headers.set('authorization', `NVX ${apiKey}`);
      await next();
    });
    app.use('/v2/removed/*', async (c, next) => {
      c.req.raw.headers.delete('authorization');
      await next();
    });
    app.use('/v2/redefined/*', async (c, next) => {
      Object.defineProperty(c.req.raw, 'headers', { value: new Headers({ host: 'x' }) });
      await next();
    });
    app.get('/v2/*', authenticate(strategy), (c) => c.text('reached'));
    const origin = await listen(app);
    const wrong = { authorization: `NVX ${'0'.repeat(32)}` };
    expect((await fetch(`${origin}/v2/replaced/list`, { headers: wrong })).status).toBe(200);
    for (const route of ['removed', 'redefined']) {
      const refused = await fetch(`${origin}/v2/${route}/list`, { headers: { authorization: `NVX ${apiKey}` } });
      expect(refused.status, route).not.toBe(200);
      expect(await refused.text()).toMatch(/^\{"success":false,/);
    }
    await expectReply(fetch(`${origin}/v2/direct/list`, { headers: wrong }), 400, WIRE.nvxWrongHash);
  });

  it('refuses two Authorization lines, each a valid hash, as one ambiguous request', async () => {
    const { strategy, apiKey, manager } = await nvxScheme();
    const other = unwrap(await manager.issue({ id: 'user-1', accountType: 'master' }, { title: 'second' })).hash;
    const reached = vi.fn();
    const app = new Hono().get('/v2/tracker/list', authenticate(strategy), (c) => {
      reached();
      return c.text('reached');
    });
    const origin = await listen(app);
    const once = await rawRequest(origin, ['GET /v2/tracker/list HTTP/1.1', 'Host: x', `Authorization: NVX ${apiKey}`]);
    expect(once.status).toBe(200);
    const twice = await rawRequest(origin, ['GET /v2/tracker/list HTTP/1.1', 'Host: x', `Authorization: NVX ${apiKey}`, `Authorization: NVX ${other}`]);
    expect(twice.status).not.toBe(200);
    expect(twice.body).toMatch(/^\{"success":false,"status":\{"code":\d+,/);
    expect(reached).toHaveBeenCalledOnce();
  });
});
