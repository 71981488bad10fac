import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeRequestAdapter, writeNodeReply } from './node.js';
import { toFetchResponse } from './reply.js';
import { createFetchRequestAdapter, type AuthRequest } from './request.js';

const toAuthRequest = createFetchRequestAdapter({ maxBodyBytes: 1024 });

describe('createFetchRequestAdapter', () => {
  it('exposes method, path and query of the target, without scheme or host', () => {
    const request = toAuthRequest(new Request('http://example.test/v2/a/../tracker/list?hash=ab&hash=cd#frag', { method: 'post', body: '' }));
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/v2/tracker/list?hash=ab&hash=cd');
    expect(request.path).toBe('/v2/tracker/list');
    expect(request.query('hash')).toBe('ab');
    expect(request.queryValues('hash')).toEqual(['ab', 'cd']);
    expect(request.query('missing')).toBeNull();
  });

  it('reads headers case-insensitively and returns null when absent', () => {
    const request = toAuthRequest(new Request('http://x/', { headers: { Authorization: 'NVX abc' } }));
    expect(request.header('authorization')).toBe('NVX abc');
    expect(request.header('AUTHORIZATION')).toBe('NVX abc');
    expect(request.header('x-missing')).toBeNull();
    expect(request.headerValues('x-missing')).toEqual([]);
  });

  it('reads the rawHeaders a Node server received instead of request.headers, one value per field line', async () => {
    const request = new Request('http://x/', { method: 'POST', headers: { authorization: 'ignored' }, body: '{"hash":"a"}' });
    const rawHeaders = ['Host', 'x', 'AUTHORIZATION', 'NVX aa', 'authorization', 'NVX bb', 'Content-Type', 'application/json', 'Content-Length', '12'];
    const authRequest = toAuthRequest(request, { rawHeaders });
    expect(authRequest.headerValues('authorization')).toEqual(['NVX aa', 'NVX bb']);
    expect(authRequest.header('Content-Type')).toBe('application/json');
    expect(authRequest.headerValues('cookie')).toEqual([]);
    expect(await authRequest.body()).toMatchObject({ type: 'json', value: { hash: 'a' } });
  });

  it('reports a cookie sent twice through cookieValues and hides it from cookie()', () => {
    const request = toAuthRequest(new Request('http://x/', { headers: { Cookie: 'access_hash=a; other=1; access_hash=b' } }));
    expect(request.cookie('access_hash')).toBeNull();
    expect(request.cookieValues('access_hash')).toEqual(['a', 'b']);
    expect(request.cookie('other')).toBe('1');
  });

  it('treats cookie names such as __proto__ and toString as ordinary names', () => {
    const request = toAuthRequest(new Request('http://x/', { headers: { Cookie: '__proto__=x; toString=y' } }));
    expect(request.cookie('__proto__')).toBe('x');
    expect(request.cookie('toString')).toBe('y');
    expect(request.cookie('constructor')).toBeNull();
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('uses the remote address given by the runtime as the client IP, normalised', () => {
    const request = toAuthRequest(new Request('http://x/', { headers: { 'X-Forwarded-For': '1.2.3.4' } }), { remoteAddress: '::ffff:127.0.0.1' });
    expect(request.clientIp).toBe('127.0.0.1');
    expect(toAuthRequest(new Request('http://x/')).clientIp).toBeNull();
  });

  it('believes X-Forwarded-For only from a trusted proxy', () => {
    const behindProxy = createFetchRequestAdapter({ trustedProxies: ['127.0.0.1'] });
    const spoofed = new Request('http://x/', { headers: { 'X-Forwarded-For': '6.6.6.6, 203.0.113.5' } });
    expect(behindProxy(spoofed, { remoteAddress: '127.0.0.1' }).clientIp).toBe('203.0.113.5');
    expect(behindProxy(spoofed, { remoteAddress: '198.51.100.1' }).clientIp).toBe('198.51.100.1');
  });

  it('reads the client IP from a platform header when told to, and gives null for anything but one address', () => {
    const platform = createFetchRequestAdapter({ clientIpHeader: 'X-Real-IP' });
    const at = (value?: string) => platform(new Request('http://x/', { headers: value === undefined ? {} : { 'x-real-ip': value } }), { remoteAddress: '10.0.0.1' }).clientIp;
    expect(at('203.0.113.5')).toBe('203.0.113.5');
    expect(at(' ::ffff:203.0.113.5 ')).toBe('203.0.113.5');
    expect(at()).toBeNull();
    expect(at('203.0.113.5, 10.0.0.1')).toBeNull();
    expect(at('not-an-ip')).toBeNull();
    expect(() => createFetchRequestAdapter({ clientIpHeader: 'bad header' })).toThrow(/`clientIpHeader`/);
    expect(() => createFetchRequestAdapter({ clientIpHeader: 'x-real-ip', trustedProxies: ['10.0.0.1'] })).toThrow(/`clientIpHeader`/);
  });

  it('refuses a bad trusted proxy list at construction, naming the option', () => {
    expect(() => createFetchRequestAdapter({ trustedProxies: ['10.0.0.0/99'] })).toThrow(/`trustedProxies`/);
    expect(() => createFetchRequestAdapter({ maxBodyBytes: -1 })).toThrow(/`maxBodyBytes`/);
  });

  it('parses a JSON body once, with null prototypes and without __proto__ or constructor keys', async () => {
    const request = toAuthRequest(
      new Request('http://x/', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: '{"hash":"ab","__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"nested":{"__proto__":{"p":1},"k":2}}',
      }),
    );
    const body = await request.body();
    expect(body.type).toBe('json');
    if (body.type !== 'json') return;
    const value = body.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(Object.keys(value)).toEqual(['hash', 'nested']);
    expect(Object.keys(value['nested'] as object)).toEqual(['k']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(await request.body()).toBe(body);
  });

  it('parses a urlencoded body into every value per name', async () => {
    const request = toAuthRequest(
      new Request('http://x/', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'hash=ab&title=Integration+Key&hash=cd&__proto__=x' }),
    );
    const body = await request.body();
    expect(body.type === 'form' && body.fields.get('hash')).toEqual(['ab', 'cd']);
    expect(body.type === 'form' && body.fields.get('title')).toEqual(['Integration Key']);
    expect(body.type === 'form' && body.fields.get('__proto__')).toEqual(['x']);
  });

  it('enforces the body cap on bytes read, whatever Content-Length claims', async () => {
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(600).fill(0x20));
        if (pulls > 100) controller.close();
      },
    });
    const request = toAuthRequest(
      new Request('http://x/', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': '10' }, body: stream, duplex: 'half' } as RequestInit),
    );
    expect(await request.body()).toEqual({ type: 'too-large', maxBodyBytes: 1024 });
    expect(pulls).toBeLessThan(5);
  });

  it('reports invalid JSON, invalid UTF-8, a JSON body in another charset and bad percent-escapes as malformed, never throwing', async () => {
    const post = (body: BodyInit, type: string): AuthRequest =>
      toAuthRequest(new Request('http://x/', { method: 'POST', headers: { 'Content-Type': type }, body }));
    expect(await post('{"a":', 'application/json').body()).toEqual({ type: 'malformed' });
    expect(await post(new Uint8Array([0x7b, 0xff, 0x7d]), 'application/json').body()).toEqual({ type: 'malformed' });
    expect(await post('a=%zz', 'application/x-www-form-urlencoded').body()).toEqual({ type: 'malformed' });
    expect(await post('a=%C0%80', 'application/x-www-form-urlencoded').body()).toEqual({ type: 'malformed' });
    expect(await post('x', 'text/plain').body()).toEqual({ type: 'unsupported', contentType: 'text/plain' });
    expect(await post('{}', 'application/json; charset=latin1').body()).toEqual({ type: 'malformed' });
  });

  it('takes a POST whose body stream turns out empty as no body, whatever its type (servers give every POST a stream)', async () => {
    const empty = new Request('http://x/', { method: 'POST', body: new ReadableStream({ start: (controller) => controller.close() }), duplex: 'half' } as RequestInit);
    expect(await toAuthRequest(empty).body()).toEqual({ type: 'none' });
    const emptyText = new Request('http://x/', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '' });
    expect(await toAuthRequest(emptyText).body()).toEqual({ type: 'none' });
  });

  it('never reads an upload or a text body, leaving it whole for the handler', async () => {
    const upload = new Request('http://x/', { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: new Uint8Array(100_000) });
    expect(await toAuthRequest(upload).body()).toEqual({ type: 'unsupported', contentType: 'application/octet-stream' });
    expect((await upload.arrayBuffer()).byteLength).toBe(100_000);
  });

  it('reports a framework reader that throws as unavailable, not as the client sending a malformed body', async () => {
    const used = new Request('http://x/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await used.text();
    const failing = toAuthRequest(used, { readBody: async () => { throw new Error('reader broke'); } });
    expect(await failing.body()).toEqual({ type: 'unavailable' });
  });

  it('reports no body for GET and for an empty POST', async () => {
    expect(await toAuthRequest(new Request('http://x/')).body()).toEqual({ type: 'none' });
    expect(await toAuthRequest(new Request('http://x/', { method: 'POST' })).body()).toEqual({ type: 'none' });
    expect(await toAuthRequest(new Request('http://x/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' })).body()).toEqual({ type: 'none' });
  });

  it('leaves the request body readable for the handler after reading it', async () => {
    const original = new Request('http://x/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hash":"ab"}' });
    expect(await toAuthRequest(original).body()).toEqual({ type: 'json', value: { hash: 'ab' } });
    expect(original.bodyUsed).toBe(false);
    expect(await original.json()).toEqual({ hash: 'ab' });
  });

  it('reports a body the handler already consumed as unavailable, not as malformed or empty', async () => {
    const original = new Request('http://x/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hash":"ab"}' });
    await original.text();
    expect(await toAuthRequest(original).body()).toEqual({ type: 'unavailable' });
  });

  it('reads the body from the framework copy when one is given, under the same cap', async () => {
    const consumed = new Request('http://x/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    await consumed.text();
    const bytes = new TextEncoder().encode('{"hash":"cd"}');
    expect(await toAuthRequest(consumed, { readBody: async () => bytes.buffer }).body()).toEqual({ type: 'json', value: { hash: 'cd' } });
    const big = new TextEncoder().encode(`"${'x'.repeat(2000)}"`);
    expect(await toAuthRequest(consumed, { readBody: async () => big }).body()).toEqual({ type: 'too-large', maxBodyBytes: 1024 });
  });
});

describe('createNodeRequestAdapter', () => {
  let server: Server;
  let port: number;
  let handler: (request: AuthRequest, incoming: IncomingMessage) => Promise<unknown>;
  const adapt = createNodeRequestAdapter({ maxBodyBytes: 1024, trustedProxies: ['127.0.0.2'] });

  beforeAll(async () => {
    server = createServer((incoming, response) => {
      handler(adapt(incoming), incoming).then(
        (result) => response.end(JSON.stringify(result)),
        (error: unknown) => response.end(JSON.stringify({ thrown: String(error) })),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function rawRequest(lines: string[], body = ''): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(`${lines.join('\r\n')}\r\nConnection: close\r\n\r\n${body}`));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('end', () => resolve(data.slice(data.indexOf('\r\n\r\n') + 4)));
      socket.on('error', reject);
    });
  }

  it('sees a repeated Authorization header that Node itself would drop', async () => {
    handler = async (request) => request.headerValues('authorization');
    const reply = await rawRequest(['GET / HTTP/1.1', 'Host: x', 'Authorization: NVX aa', 'Authorization: NVX bb']);
    expect(JSON.parse(reply)).toEqual(['NVX aa', 'NVX bb']);
  });

  it('sees cookies across two Cookie header lines', async () => {
    handler = async (request) => request.cookieValues('access_hash');
    const reply = await rawRequest(['GET / HTTP/1.1', 'Host: x', 'Cookie: access_hash=a', 'Cookie: access_hash=b']);
    expect(JSON.parse(reply)).toEqual(['a', 'b']);
  });

  it('takes the client IP from the socket and ignores X-Forwarded-For from an untrusted peer', async () => {
    handler = async (request) => request.clientIp;
    const reply = await rawRequest(['GET / HTTP/1.1', 'Host: x', 'X-Forwarded-For: 6.6.6.6']);
    expect(JSON.parse(reply)).toBe('127.0.0.1');
  });

  it('reads the body lazily under the cap and stops reading once it is exceeded', async () => {
    handler = async (request, incoming) => {
      const body = await request.body();
      return { body, ended: incoming.readableEnded };
    };
    const small = await rawRequest(['POST / HTTP/1.1', 'Host: x', 'Content-Type: application/json', 'Content-Length: 12'], '{"hash":"a"}');
    expect(JSON.parse(small).body).toEqual({ type: 'json', value: { hash: 'a' } });
    const big = await new Promise<string>((resolve, reject) => {
      const request = httpRequest({ port, host: '127.0.0.1', method: 'POST', headers: { 'Content-Type': 'application/json' } }, (response) => {
        let data = '';
        response.on('data', (chunk) => (data += chunk));
        response.on('end', () => resolve(data));
      });
      request.on('error', reject);
      request.write('['.padEnd(5000, ' '));
      request.end();
    });
    expect(JSON.parse(big).body).toEqual({ type: 'too-large', maxBodyBytes: 1024 });
  });

  it('uses the URL as received (originalUrl) when a router rewrote url', async () => {
    handler = async (_request, incoming) => {
      const rewritten = Object.assign(Object.create(incoming) as IncomingMessage, { url: '/panel/x', originalUrl: '/v2/panel/x?hash=1' });
      const request = adapt(rewritten);
      return { url: request.url, path: request.path };
    };
    expect(JSON.parse(await rawRequest(['GET /v2/panel/x?hash=1 HTTP/1.1', 'Host: x']))).toEqual({ url: '/v2/panel/x?hash=1', path: '/v2/panel/x' });
  });

  it('takes the parsed body a body parser left on a drained stream, safely, instead of calling it malformed', async () => {
    handler = async (_request, incoming) => {
      const chunks: Buffer[] = [];
      for await (const chunk of incoming) chunks.push(chunk as Buffer);
      // What express.json() leaves behind: a drained stream and a parsed object (its own prototype included).
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as object;
      Object.assign(incoming, { body: parsed });
      return adapt(incoming).body();
    };
    const text = '{"hash":"ab","__proto__":{"admin":true},"n":1}';
    const reply = await rawRequest(['POST / HTTP/1.1', 'Host: x', 'Content-Type: application/json', `Content-Length: ${text.length}`], text);
    expect(JSON.parse(reply)).toEqual({ type: 'json', value: { hash: 'ab', n: 1 } });
  });

  it('decodes raw bytes a parser kept (rawBody, or a Buffer body) exactly', async () => {
    handler = async (_request, incoming) => {
      const chunks: Buffer[] = [];
      for await (const chunk of incoming) chunks.push(chunk as Buffer);
      Object.assign(incoming, { body: { replaced: true }, rawBody: Buffer.concat(chunks) });
      return adapt(incoming).body();
    };
    const reply = await rawRequest(['POST / HTTP/1.1', 'Host: x', 'Content-Type: application/x-www-form-urlencoded', 'Content-Length: 11'], 'hash=a&n=%7');
    expect(JSON.parse(reply)).toEqual({ type: 'malformed' });
  });

  it('turns a parsed urlencoded object into fields, a nested value into text that is never a credential', async () => {
    handler = async (_request, incoming) => {
      for await (const _ of incoming) void _;
      Object.assign(incoming, { body: { hash: ['a', 'b'], nested: { x: '1' }, title: 't' } });
      const body = await adapt(incoming).body();
      return body.type === 'form' ? Object.fromEntries(body.fields) : body;
    };
    const reply = await rawRequest(['POST / HTTP/1.1', 'Host: x', 'Content-Type: application/x-www-form-urlencoded', 'Content-Length: 3'], 'a=b');
    expect(JSON.parse(reply)).toEqual({ hash: ['a', 'b'], nested: ['{"x":"1"}'], title: ['t'] });
  });

  it('reports a stream drained by something that left nothing behind as unavailable', async () => {
    handler = async (_request, incoming) => {
      for await (const _ of incoming) void _;
      return adapt(incoming).body();
    };
    const reply = await rawRequest(['POST / HTTP/1.1', 'Host: x', 'Content-Type: application/json', 'Content-Length: 2'], '{}');
    expect(JSON.parse(reply)).toEqual({ type: 'unavailable' });
  });

  it('reads the body of a GET that comes with one, since a handler may read it', async () => {
    handler = async (request) => request.body();
    const reply = await rawRequest(['GET / HTTP/1.1', 'Host: x', 'Content-Type: application/json', 'Content-Length: 12'], '{"hash":"a"}');
    expect(JSON.parse(reply)).toEqual({ type: 'json', value: { hash: 'a' } });
  });

  it('takes a parsed object as JSON whatever the Content-Type said, since the handler reads that object', async () => {
    handler = async (_request, incoming) => {
      for await (const _ of incoming) void _;
      Object.assign(incoming, { body: { hash: 'b' } });
      return adapt(incoming).body();
    };
    const reply = await rawRequest(['POST / HTTP/1.1', 'Host: x', 'Content-Type: text/plain', 'Content-Length: 12'], '{"hash":"b"}');
    expect(JSON.parse(reply)).toEqual({ type: 'json', value: { hash: 'b' } });
  });

  it('never puts __proto__, constructor or prototype on the req.body it leaves, and marks it parsed for Express 4', async () => {
    handler = async (request, incoming) => {
      await request.body();
      const body = (incoming as { body?: object }).body as object;
      return { keys: Object.keys(body), parsedFlag: (incoming as { _body?: boolean })._body === true };
    };
    const form = '__proto__=x&constructor=y&prototype=z&a=1';
    const reply = await rawRequest(['POST / HTTP/1.1', 'Host: x', 'Content-Type: application/x-www-form-urlencoded', `Content-Length: ${form.length}`], form);
    expect(JSON.parse(reply)).toEqual({ keys: ['a'], parsedFlag: true });
  });

  it('takes the client address the framework resolved when it is handed over', async () => {
    handler = async (_request, incoming) => ({ given: adapt(incoming, { remoteAddress: '::ffff:203.0.113.9' }).clientIp, socket: adapt(incoming).clientIp });
    expect(JSON.parse(await rawRequest(['GET / HTTP/1.1', 'Host: x']))).toEqual({ given: '203.0.113.9', socket: '127.0.0.1' });
  });

  it('takes a body handed over in the context before anything else', async () => {
    handler = async (_request, incoming) => adapt(incoming, { body: new TextEncoder().encode('{"hash":"given"}') }).body();
    const reply = await rawRequest(['POST / HTTP/1.1', 'Host: x', 'Content-Type: application/json', 'Content-Length: 2'], '{}');
    expect(JSON.parse(reply)).toEqual({ type: 'json', value: { hash: 'given' } });
  });

  it('leaves the body it read on req.body for the handler, as a body parser would, without replacing one', async () => {
    handler = async (request, incoming) => {
      await request.body();
      const replaced = Object.assign(Object.create(incoming) as IncomingMessage, { body: 'kept' });
      return { body: (incoming as { body?: unknown }).body, kept: (replaced as { body?: unknown }).body };
    };
    const json = await rawRequest(['POST / HTTP/1.1', 'Host: x', 'Content-Type: application/json', 'Content-Length: 12'], '{"hash":"a"}');
    expect(JSON.parse(json)).toEqual({ body: { hash: 'a' }, kept: 'kept' });
    const form = await rawRequest(['POST / HTTP/1.1', 'Host: x', 'Content-Type: application/x-www-form-urlencoded', 'Content-Length: 11'], 'a=1&a=2&b=3');
    expect(JSON.parse(form).body).toEqual({ a: ['1', '2'], b: '3' });
  });

  it('does not read the body at all when no strategy asks for it', async () => {
    handler = async (_request, incoming) => incoming.readableEnded || incoming.readableFlowing === true;
    const reply = await rawRequest(['POST / HTTP/1.1', 'Host: x', 'Content-Length: 3'], 'abc');
    expect(JSON.parse(reply)).toBe(false);
  });
});

describe('writeNodeReply', () => {
  it('closes the connection after refusing a body it stopped reading, so a kept-alive client is not stalled', async () => {
    const adapt = createNodeRequestAdapter({ maxBodyBytes: 16 });
    const server = createServer(async (incoming, response) => {
      const body = await adapt(incoming).body();
      writeNodeReply(response, { httpStatus: body.type === 'too-large' ? 412 : 200, headers: {}, body: body.type });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const big = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `"${'x'.repeat(100_000)}"` });
    expect(big.status).toBe(412);
    expect(big.headers.get('connection')).toBe('close');
    const small = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"x"' });
    expect(small.status).toBe(200);
    expect(small.headers.get('connection')).not.toBe('close');
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('writes status, the reply headers, a JSON content type and length, and the JSON body', async () => {
    const server = createServer((_incoming, response) => {
      writeNodeReply(response, { httpStatus: 412, headers: { 'x-scheme': 'nvx' }, body: { success: false, status: { code: 9, description: 'Too large request' } } });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(response.status).toBe(412);
    expect(response.headers.get('x-scheme')).toBe('nvx');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.json()).toEqual({ success: false, status: { code: 9, description: 'Too large request' } });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('toFetchResponse', () => {
  it('sends the reply status, body and headers, a reply Content-Type in any casing replacing the JSON default', async () => {
    const response = toFetchResponse({ httpStatus: 415, headers: { 'Content-Type': 'application/problem+json', allow: 'POST' }, body: { a: 1 } });
    expect(response.status).toBe(415);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('allow')).toBe('POST');
    expect(await response.json()).toEqual({ a: 1 });
    expect(toFetchResponse({ httpStatus: 200, headers: {}, body: null }).headers.get('content-type')).toBe('application/json; charset=utf-8');
  });
});
