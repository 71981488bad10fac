import {
  absent,
  AUTH_ERROR_CODES,
  AuthError,
  createAuthGuard,
  createFetchRequestAdapter,
  createManualClock,
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  rejected,
  rejectedCredential,
  renderSuccess,
  type AuthErrorCode,
  type AuthEvent,
  type AuthOutcome,
  type AuthRefusal,
  type AuthRequest,
  type CredentialStore,
} from '@gatehouse/auth-core';
import { createNodeRequestAdapter } from '@gatehouse/auth-core/node';
import { parseCookieHeader } from '@gatehouse/auth-core/strategy';
import * as assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import vectors from '../test-vectors/cookie-values.json' with { type: 'json' };
import fc from 'fast-check';
import { ACCESS_HASH_WIRE_ERRORS, accessHashCookie, createAccessHashManager, renderAccessHashError, type AccessHashCookieOptions } from './index.js';

const toAuthRequest = createFetchRequestAdapter();
const request = (headers: Record<string, string>, remoteAddress = '203.0.113.7', url = 'http://x/api/v1/system/status'): AuthRequest =>
  toAuthRequest(new Request(url, { headers }), { remoteAddress });

function setup(overrides: Partial<AccessHashCookieOptions> = {}, store: CredentialStore = createMemoryCredentialStore()) {
  const clock = createManualClock(Date.UTC(2026, 10, 1));
  const events: AuthEvent[] = [];
  const strategy = accessHashCookie({ store, clock, onEvent: (event) => events.push(event), ...overrides });
  const manager = createAccessHashManager({ store, clock });
  return { store, clock, events, strategy, manager };
}

async function issue(manager: ReturnType<typeof setup>['manager'], ip: string) {
  const issued = await manager.issue('admin', { name: 'monitoring', ip });
  if (!issued.ok) throw issued.error;
  return issued.value;
}

/** Sends raw header lines to a real Node server and returns the AuthRequest the Node adapter builds. */
async function overSocket(lines: string[], trustedProxies: string[] = []): Promise<AuthRequest> {
  const adapt = createNodeRequestAdapter({ trustedProxies });
  return new Promise((resolve, reject) => {
    const server = createServer((incoming, response) => {
      resolve(adapt(incoming));
      response.end();
      server.close();
    });
    server.listen(0, '127.0.0.1', () => {
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1', () =>
        socket.end(`GET /api/v1/system/status HTTP/1.1\r\nHost: x\r\n${lines.map((line) => `${line}\r\n`).join('')}Connection: close\r\n\r\n`),
      );
      socket.on('error', reject);
      socket.resume();
    });
  });
}

describe('accessHashCookie: cookie values (published vectors)', () => {
  for (const vector of vectors.vectors) {
    it(`${vector.expect === 'lookup' ? 'looks up' : vector.expect === 'absent' ? 'ignores' : 'refuses'} ${vector.name}`, async () => {
      const store = createMemoryCredentialStore();
      let lookups = 0;
      const { strategy } = setup({}, { ...store, findByDigest: async (digest: string) => (lookups++, store.findByDigest(digest)) });
      const outcome = await strategy.authenticate(request({ cookie: vector.cookie }));
      if (vector.expect === 'lookup') {
        expect(lookups).toBe(1);
        expect(outcome).toMatchObject({ type: 'rejected', error: { code: 'CREDENTIALS_INVALID' } });
      } else if (vector.expect === 'absent') {
        expect(outcome.type).toBe('absent');
      } else {
        expect(outcome).toMatchObject({ type: 'rejected', error: { code: vector.expect } });
        expect(lookups).toBe(0);
      }
    });
  }
});

describe('accessHashCookie: verify', () => {
  it('authenticates a hash from the IP it is bound to', async () => {
    const { strategy, manager } = setup();
    const created = await issue(manager, '203.0.113.7');
    expect(await strategy.authenticate(request({ cookie: `access_hash=${created.hash}` }))).toMatchObject({
      type: 'authenticated',
      principal: { id: 'admin' },
      credential: { id: created.id, kind: 'access-hash' },
    });
  });

  it('rejects the hash from a different IP with IP_NOT_ALLOWED (HTTP 403)', async () => {
    const { strategy, manager } = setup();
    const created = await issue(manager, '203.0.113.7');
    const outcome = await strategy.authenticate(request({ cookie: `access_hash=${created.hash}` }, '203.0.113.8'));
    expect(outcome).toMatchObject({ error: { code: 'IP_NOT_ALLOWED' } });
    expect(outcome.type === 'rejected' && renderAccessHashError(outcome.error).httpStatus).toBe(403);
  });

  it('treats ::ffff:127.0.0.1 and 127.0.0.1 as the same client', async () => {
    const { strategy, manager } = setup();
    const created = await issue(manager, '127.0.0.1');
    expect((await strategy.authenticate(request({ cookie: `access_hash=${created.hash}` }, '::ffff:127.0.0.1'))).type).toBe('authenticated');
    const mapped = await issue(manager, '::ffff:10.0.0.5');
    expect(mapped.ip).toBe('10.0.0.5');
    expect((await strategy.authenticate(request({ cookie: `access_hash=${mapped.hash}` }, '10.0.0.5'))).type).toBe('authenticated');
  });

  it('treats equal IPv6 spellings as the same client', async () => {
    const { strategy, manager } = setup();
    const created = await issue(manager, '2001:0db8:0000:0000:0000:0000:0000:0001');
    expect(created.ip).toBe('2001:db8::1');
    expect((await strategy.authenticate(request({ cookie: `access_hash=${created.hash}` }, '2001:db8:0::1'))).type).toBe('authenticated');
  });

  it('ignores a spoofed X-Forwarded-For without trusted proxies', async () => {
    const { strategy, manager } = setup();
    const created = await issue(manager, '203.0.113.7');
    const spoofed = await overSocket([`Cookie: access_hash=${created.hash}`, 'X-Forwarded-For: 203.0.113.7']);
    expect(spoofed.clientIp).toBe('127.0.0.1');
    expect(await strategy.authenticate(spoofed)).toMatchObject({ error: { code: 'IP_NOT_ALLOWED' } });
  });

  it('believes X-Forwarded-For right to left only behind a trusted proxy', async () => {
    const { strategy, manager } = setup();
    const created = await issue(manager, '203.0.113.7');
    const proxied = await overSocket([`Cookie: access_hash=${created.hash}`, 'X-Forwarded-For: 6.6.6.6, 203.0.113.7'], ['127.0.0.1']);
    expect((await strategy.authenticate(proxied)).type).toBe('authenticated');
    const leftSpoof = await overSocket([`Cookie: access_hash=${created.hash}`, 'X-Forwarded-For: 203.0.113.7, 6.6.6.6'], ['127.0.0.1']);
    expect(await strategy.authenticate(leftSpoof)).toMatchObject({ error: { code: 'IP_NOT_ALLOWED' } });
  });

  it('rejects the cookie sent twice across two Cookie header lines', async () => {
    const { strategy, manager } = setup();
    const created = await issue(manager, '127.0.0.1');
    const twice = await overSocket([`Cookie: access_hash=${created.hash}`, `Cookie: access_hash=${created.hash}`]);
    expect(await strategy.authenticate(twice)).toMatchObject({ error: { code: 'CREDENTIALS_AMBIGUOUS' } });
  });

  it('does not take the hash from a header or the query', async () => {
    const { strategy, manager } = setup();
    const created = await issue(manager, '203.0.113.7');
    expect((await strategy.authenticate(request({ access_hash: created.hash, 'x-access-hash': created.hash }))).type).toBe('absent');
    expect((await strategy.authenticate(request({}, '203.0.113.7', `http://x/api/v1/system/status?access_hash=${created.hash}`))).type).toBe('absent');
  });

  it('refuses a 1 MB Cookie header without a store lookup', async () => {
    const { strategy } = setup();
    expect(await strategy.authenticate(request({ cookie: `access_hash=${'a'.repeat(1 << 20)}` }))).toMatchObject({ error: { code: 'CREDENTIALS_MALFORMED' } });
  });

  it('rejects a revoked hash at once with the same reply as an unknown one', async () => {
    const { strategy, manager } = setup();
    const created = await issue(manager, '203.0.113.7');
    expect((await manager.revoke('admin', { id: created.id })).ok).toBe(true);
    const deleted = await strategy.authenticate(request({ cookie: `access_hash=${created.hash}` }));
    const unknown = await strategy.authenticate(request({ cookie: `access_hash=${'0'.repeat(80)}` }));
    expect(deleted).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
    expect(deleted.type === 'rejected' && unknown.type === 'rejected' && renderAccessHashError(deleted.error)).toEqual(unknown.type === 'rejected' && renderAccessHashError(unknown.error));
  });

  it('fails closed with STORE_UNAVAILABLE (HTTP 503) when the store throws', async () => {
    const broken = { ...createMemoryCredentialStore(), findByDigest: async () => { throw new Error('disk I/O error'); } };
    const { strategy } = setup({}, broken);
    const outcome = await strategy.authenticate(request({ cookie: `access_hash=${'0'.repeat(80)}` }));
    expect(outcome).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } });
    expect(outcome.type === 'rejected' && renderAccessHashError(outcome.error)).toMatchObject({ httpStatus: 503, body: { status: 'error', msg: '' } });
  });

  it('rejects a request whose client IP is unknown', async () => {
    const { strategy, manager } = setup();
    const created = await issue(manager, '203.0.113.7');
    const noAddress = toAuthRequest(new Request('http://x/', { headers: { cookie: `access_hash=${created.hash}` } }));
    expect(await strategy.authenticate(noAddress)).toMatchObject({ error: { code: 'IP_NOT_ALLOWED' } });
  });

  it('updates last login on success, debounced by the store', async () => {
    const { strategy, manager, clock } = setup();
    const created = await issue(manager, '203.0.113.7');
    const lastLogin = async (): Promise<string | null | undefined> => {
      await new Promise((resolve) => setTimeout(resolve, 0));
      const listed = await manager.list('admin');
      if (!listed.ok) throw listed.error;
      return listed.value[0]?.lastLogin;
    };
    expect(await lastLogin()).toBeNull();
    await strategy.authenticate(request({ cookie: `access_hash=${created.hash}` }));
    expect(await lastLogin()).toBe('2026-11-01T00:00:00+00:00');
    clock.advanceBySeconds(30);
    await strategy.authenticate(request({ cookie: `access_hash=${created.hash}` }));
    expect(await lastLogin()).toBe('2026-11-01T00:00:00+00:00');
  });

  it('refuses wrong hashes from an IP past the limit (HTTP 429), and still lets a valid hash through', async () => {
    const { strategy, manager } = setup({ failureThrottle: { store: createMemoryEphemeralStore(), maxFailures: 2 } });
    const created = await issue(manager, '203.0.113.7');
    for (let i = 0; i < 2; i++) await strategy.authenticate(request({ cookie: `access_hash=${'0'.repeat(80)}` }));
    const outcome = await strategy.authenticate(request({ cookie: `access_hash=${'0'.repeat(80)}` }));
    expect(outcome.type === 'rejected' && renderAccessHashError(outcome.error).httpStatus).toBe(429);
    expect((await strategy.authenticate(request({ cookie: `access_hash=${created.hash}` }))).type).toBe('authenticated');
  });

  it('refuses a leaked hash tried from many foreign IPs, even from its own IP, until the window ends', async () => {
    const throttleClock = createManualClock(0);
    const throttle = { store: createMemoryEphemeralStore({ clock: throttleClock }), maxFailures: 100, maxFailuresPerCredential: 3, windowInSeconds: 60 };
    const { strategy, manager } = setup({ failureThrottle: throttle });
    const leaked = await issue(manager, '203.0.113.7');
    const other = await issue(manager, '203.0.113.7');
    for (let i = 1; i <= 3; i++) {
      expect(await strategy.authenticate(request({ cookie: `access_hash=${leaked.hash}` }, `198.51.100.${i}`))).toMatchObject({
        error: { code: 'IP_NOT_ALLOWED' },
        credentialId: leaked.id,
      });
    }
    const locked = await strategy.authenticate(request({ cookie: `access_hash=${leaked.hash}` }));
    expect(locked.type === 'rejected' && renderAccessHashError(locked.error).httpStatus).toBe(429);
    expect((await strategy.authenticate(request({ cookie: `access_hash=${other.hash}` }))).type).toBe('authenticated');
    // Unknown hashes name no credential, so they count against the IP only.
    expect(await strategy.authenticate(request({ cookie: `access_hash=${'0'.repeat(80)}` }, '198.51.100.9'))).not.toHaveProperty('credentialId');
    throttleClock.advanceBySeconds(61);
    expect((await strategy.authenticate(request({ cookie: `access_hash=${leaked.hash}` }))).type).toBe('authenticated');
  });

  it('reports events without the hash', async () => {
    const { strategy, manager, events } = setup();
    const created = await issue(manager, '203.0.113.7');
    await strategy.authenticate(request({ cookie: `access_hash=${created.hash}` }));
    await strategy.authenticate(request({ cookie: `access_hash=${created.hash}` }, '198.51.100.1'));
    expect(events.map((event) => (event.type === 'rejected' ? event.code : event.type))).toEqual(['authenticated', 'IP_NOT_ALLOWED']);
    expect(JSON.stringify(events)).not.toContain(created.hash);
  });

  it('uses a configured cookie name, and refuses an invalid one at construction', async () => {
    const { strategy, manager } = setup({ cookieName: 'vpn_hash' });
    const created = await issue(manager, '203.0.113.7');
    expect((await strategy.authenticate(request({ cookie: `vpn_hash=${created.hash}` }))).type).toBe('authenticated');
    expect((await strategy.authenticate(request({ cookie: `access_hash=${created.hash}` }))).type).toBe('absent');
    expect(() => accessHashCookie({ store: createMemoryCredentialStore(), cookieName: 'bad name' })).toThrow(/`cookieName`/);
  });
});

describe('accessHashCookie: remembered IP normalisation', () => {
  it('gives the same answers for repeated and for many distinct client addresses', async () => {
    const { strategy, manager } = setup();
    const bound = await issue(manager, '::ffff:198.51.100.4');
    const cookie = { Cookie: `access_hash=${bound.hash}` };
    for (let round = 0; round < 2; round++) {
      expect((await strategy.authenticate(request(cookie, '198.51.100.4'))).type).toBe('authenticated');
      expect((await strategy.authenticate(request(cookie, '::ffff:198.51.100.4'))).type).toBe('authenticated');
      expect(await strategy.authenticate(request(cookie, '198.51.100.5'))).toMatchObject({ error: { code: 'IP_NOT_ALLOWED' } });
    }
    // More distinct addresses than the strategy remembers.
    for (let i = 0; i < 5000; i++) {
      const address = `10.${(i >> 8) & 255}.${i & 255}.1`;
      expect(await strategy.authenticate(request(cookie, address))).toMatchObject({ error: { code: 'IP_NOT_ALLOWED' } });
    }
    expect((await strategy.authenticate(request(cookie, '198.51.100.4'))).type).toBe('authenticated');
  });
});

describe('accessHashCookie: rendering', () => {
  const headers = { 'content-type': 'application/json; charset=utf-8' };
  const strategies = {
    plain: accessHashCookie({ store: createMemoryCredentialStore() }),
    'with events and a failure throttle': accessHashCookie({
      store: createMemoryCredentialStore(),
      onEvent: () => undefined,
      failureThrottle: { store: createMemoryEphemeralStore(), maxFailures: 5 },
    }),
  };
  /** A `rejected` or `absent` outcome as the refusal it is. */
  const refusal = (outcome: AuthOutcome<never>): AuthRefusal => {
    if (outcome.type === 'authenticated') throw new Error('not a refusal');
    return outcome;
  };

  for (const [name, strategy] of Object.entries(strategies)) {
    it(`renders every AuthErrorCode and absence through strategy.renderRefusal exactly as renderAccessHashError does, and success in the {error,msg,status} envelope (${name})`, () => {
      const codes = Object.keys(AUTH_ERROR_CODES) as AuthErrorCode[];
      expect(codes.length).toBeGreaterThan(15);
      for (const code of codes) {
        const wire = ACCESS_HASH_WIRE_ERRORS[code];
        const expected = { httpStatus: wire.httpStatus, headers, body: { error: wire.text, msg: '', status: 'error' } };
        expect(renderAccessHashError(new AuthError(code))).toEqual(expected);
        expect(strategy.renderRefusal(refusal(rejected(code)))).toEqual(expected);
        expect(strategy.renderRefusal(refusal(rejectedCredential('ah_x', code)))).toEqual(expected);
        expect(strategy.renderRefusal({ type: 'rejected', error: new AuthError(code), strategyId: 'access-hash-cookie' })).toEqual(expected);
      }
      const missing = strategy.renderRefusal(refusal(absent()));
      expect(missing).toEqual(renderAccessHashError(new AuthError('CREDENTIALS_MISSING')));
      expect(missing.httpStatus).toBe(401);
      expect(JSON.stringify(missing.body)).toBe('{"error":"Access hash required","msg":"","status":"error"}');
      expect(JSON.stringify(strategy.renderRefusal(refusal(rejected('IP_NOT_ALLOWED'))).body)).toBe('{"error":"Access hash is not valid from this IP address","msg":"","status":"error"}');

      const success = strategy.renderSuccess?.({ version: '1.0' });
      expect(success).toEqual({ httpStatus: 200, headers, body: { error: '', msg: { version: '1.0' }, status: 'success' } });
      expect(JSON.stringify(success?.body)).toBe('{"error":"","msg":{"version":"1.0"},"status":"success"}');
      expect(strategy.renderSuccess?.('created', { httpStatus: 201 })).toEqual({ httpStatus: 201, headers, body: { error: '', msg: 'created', status: 'success' } });
      expect(strategy.renderSuccess?.([], { strategyId: 'access-hash-cookie' })).toEqual({ httpStatus: 200, headers, body: { error: '', msg: [], status: 'success' } });
    });
  }

  it("answers through createAuthGuard and renderSuccess in the scheme's envelope", async () => {
    const { strategy, manager } = setup();
    const created = await issue(manager, '203.0.113.7');
    const guard = createAuthGuard(strategy);
    const missing = await guard(request({}));
    expect(missing).toMatchObject({ type: 'refused', reply: { httpStatus: 401, body: { error: 'Access hash required', msg: '', status: 'error' } } });
    const foreign = await guard(request({ cookie: `access_hash=${created.hash}` }, '198.51.100.1'));
    expect(foreign).toMatchObject({ type: 'refused', reply: { httpStatus: 403, body: { error: 'Access hash is not valid from this IP address', msg: '', status: 'error' } } });
    const allowed = await guard(request({ cookie: `access_hash=${created.hash}` }));
    expect(allowed).toMatchObject({ type: 'allowed', auth: { principal: { id: 'admin' }, strategyId: 'access-hash-cookie' } });
    expect(renderSuccess(strategy, { status: 'up' }).body).toEqual({ error: '', msg: { status: 'up' }, status: 'success' });
  });
});

describe('accessHashCookie: request body', () => {
  it('never reads the body, so a request whose body was already consumed (unavailable) authenticates from the cookie', async () => {
    const { strategy, manager } = setup();
    const created = await issue(manager, '203.0.113.7');
    const consumed = new Request('http://x/api/v1/system/status', { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json', cookie: `access_hash=${created.hash}` } });
    await consumed.text();
    const authRequest = toAuthRequest(consumed, { remoteAddress: '203.0.113.7' });
    expect(await authRequest.body()).toEqual({ type: 'unavailable' });
    expect(await strategy.authenticate(authRequest)).toMatchObject({ type: 'authenticated', credential: { id: created.id } });
    // A body() that would throw is never called either.
    let reads = 0;
    const fresh = toAuthRequest(new Request('http://x/', { method: 'POST', body: 'x', headers: { cookie: `access_hash=${created.hash}` } }), { remoteAddress: '203.0.113.7' });
    const guarded: AuthRequest = {
      method: fresh.method,
      url: fresh.url,
      path: fresh.path,
      clientIp: fresh.clientIp,
      query: (name) => fresh.query(name),
      queryValues: (name) => fresh.queryValues(name),
      header: (name) => fresh.header(name),
      headerValues: (name) => fresh.headerValues(name),
      cookie: (name) => fresh.cookie(name),
      cookieValues: (name) => fresh.cookieValues(name),
      body: () => (reads++, Promise.reject(new Error('body read'))),
    };
    expect((await strategy.authenticate(guarded)).type).toBe('authenticated');
    expect(reads).toBe(0);
  });
});

// The cookie rules against a reference model, over random Cookie headers (as Node delivers them, one entry per
// line), through the strategy with a memory store (property, 10,000 runs). The model:
// - the cookies named `access_hash` (the name trimmed, case kept) are counted across every line;
// - none: absent; two or more: CREDENTIALS_AMBIGUOUS; one that is not exactly 80 lower-case hex characters:
//   CREDENTIALS_MALFORMED, without a store lookup;
// - one well-formed hash: one store lookup; the issued hash from its own IP (any spelling) authenticates, from
//   another or an unknown client IP IP_NOT_ALLOWED; any other hash CREDENTIALS_INVALID;
// - the body is never read.
describe('accessHashCookie: cookie rules (property)', () => {
  // node:assert rather than expect inside the property: expect costs about 14 µs a call, most of a run's time.
  it('finds one valid hash, refuses two as ambiguous and anything but 80 lower-case hex as malformed (without a lookup), checks the bound IP, never reads the body and never throws', async () => {
    const store = createMemoryCredentialStore();
    let lookups = 0;
    const counted: CredentialStore = { ...store, findByDigest: async (digest: string) => (lookups++, store.findByDigest(digest)) };
    const { strategy, manager } = setup({}, counted);
    const issued = await issue(manager, '203.0.113.7');
    const hex80 = fc.uint8Array({ minLength: 40, maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('hex'));
    const value = fc.oneof(
      { weight: 3, arbitrary: fc.constant(issued.hash) },
      { weight: 2, arbitrary: hex80 },
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          issued.hash.toUpperCase(),
          `"${issued.hash}"`,
          ` ${issued.hash}`,
          `${issued.hash} `,
          issued.hash.slice(0, 79),
          `${issued.hash}0`,
          `g${issued.hash.slice(1)}`,
          `${issued.hash.slice(0, 40)}\u0161${issued.hash.slice(41)}`,
          `${issued.hash}=`,
          '',
        ),
      },
    );
    type Pair = { counts: boolean; value: string; text: string };
    const pair = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.constantFrom('access_hash', 'access_hash ', '\taccess_hash'), value).map(([name, v]): Pair => ({ counts: true, value: v, text: `${name}=${v}` })) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom('ACCESS_HASH', 'access_hash_x', 'access-hash', 'theme', 'lang'), value).map(([name, v]): Pair => ({ counts: false, value: v, text: `${name}=${v}` })) },
      { weight: 1, arbitrary: fc.constantFrom('', 'novalue', 'access_hash', '=x').map((text): Pair => ({ counts: false, value: '', text })) },
    );
    const cookieLine = fc.array(pair, { minLength: 1, maxLength: 3 });
    const cookieLines = fc.oneof(
      { weight: 1, arbitrary: fc.constant([]) },
      { weight: 6, arbitrary: cookieLine.map((line) => [line]) },
      { weight: 2, arbitrary: fc.array(cookieLine, { minLength: 2, maxLength: 2 }) },
    );
    const clientIp = fc.constantFrom('203.0.113.7', '::ffff:203.0.113.7', '198.51.100.1', null);

    function stubRequest(lines: readonly string[], ip: string | null, onBodyRead: () => void): AuthRequest {
      const cookies = parseCookieHeader(lines);
      return {
        method: 'GET',
        url: '/api/v1/system/status',
        path: '/api/v1/system/status',
        query: () => null,
        queryValues: () => [],
        header: (name) => (name.toLowerCase() === 'cookie' && lines.length > 0 ? lines.join('; ') : null),
        headerValues: (name) => (name.toLowerCase() === 'cookie' ? lines : []),
        cookie: (name) => (cookies.get(name)?.length === 1 ? (cookies.get(name)?.[0] as string) : null),
        cookieValues: (name) => cookies.get(name) ?? [],
        clientIp: ip,
        body: async () => {
          onBodyRead();
          return { type: 'unavailable' };
        },
      };
    }

    type Expected = { outcome: 'absent' } | { outcome: 'authenticated' } | { outcome: 'rejected'; code: AuthErrorCode; lookups: number };
    function model(lines: readonly (readonly Pair[])[], ip: string | null): Expected {
      const hashes = lines.flat().filter((each) => each.counts);
      if (hashes.length === 0) return { outcome: 'absent' };
      if (hashes.length > 1) return { outcome: 'rejected', code: 'CREDENTIALS_AMBIGUOUS', lookups: 0 };
      const hash = (hashes[0] as Pair).value;
      if (!/^[0-9a-f]{80}$/.test(hash)) return { outcome: 'rejected', code: 'CREDENTIALS_MALFORMED', lookups: 0 };
      if (hash !== issued.hash) return { outcome: 'rejected', code: 'CREDENTIALS_INVALID', lookups: 1 };
      return ip === '203.0.113.7' || ip === '::ffff:203.0.113.7' ? { outcome: 'authenticated' } : { outcome: 'rejected', code: 'IP_NOT_ALLOWED', lookups: 1 };
    }

    await fc.assert(
      fc.asyncProperty(cookieLines, clientIp, async (lines, ip) => {
        lookups = 0;
        let bodyRead = false;
        const outcome = await strategy.authenticate(stubRequest(lines.map((line) => line.map((each) => each.text).join('; ')), ip, () => (bodyRead = true)));
        const expected = model(lines, ip);
        assert.equal(bodyRead, false, 'the body was read');
        assert.equal(outcome.type, expected.outcome);
        if (outcome.type === 'authenticated') {
          assert.equal(outcome.principal.id, 'admin');
          assert.equal(outcome.credential.id, issued.id);
        }
        if (outcome.type === 'rejected' && expected.outcome === 'rejected') {
          assert.equal(outcome.error.code, expected.code);
          assert.equal(lookups, expected.lookups, 'store lookups');
        }
      }),
      { numRuns: 10_000 },
    );
  }, 60_000);
});
