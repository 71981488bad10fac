import {
  createFetchRequestAdapter,
  createManualClock,
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  type AuthEvent,
  type AuthRequest,
  type CredentialStore,
} from '@gatehouse/auth-core';
import { createNodeRequestAdapter } from '@gatehouse/auth-core/node';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import vectors from '../test-vectors/cookie-values.json' with { type: 'json' };
import { accessHashCookie, createAccessHashManager, renderAccessHashError, type AccessHashCookieOptions } from './index.js';

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
  const created = await manager.create('admin', { name: 'monitoring', ip });
  if (!created.ok) throw created.error;
  return created.value;
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

  it('rejects a deleted hash at once with the same reply as an unknown one', async () => {
    const { strategy, manager } = setup();
    const created = await issue(manager, '203.0.113.7');
    expect((await manager.delete('admin', created.id)).ok).toBe(true);
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
    await strategy.authenticate(request({ cookie: `access_hash=${created.hash}` }));
    await new Promise((resolve) => setTimeout(resolve, 0));
    const first = (await manager.list('admin')).ok ? ((await manager.list('admin')) as { value: { lastLogin: string | null }[] }).value[0]?.lastLogin : null;
    expect(first).toBe('2026-11-01T00:00:00+00:00');
    clock.advanceBySeconds(30);
    await strategy.authenticate(request({ cookie: `access_hash=${created.hash}` }));
    await new Promise((resolve) => setTimeout(resolve, 0));
    const second = ((await manager.list('admin')) as { value: { lastLogin: string | null }[] }).value[0]?.lastLogin;
    expect(second).toBe(first);
  });

  it('refuses an IP after too many failures (HTTP 429)', async () => {
    const { strategy, manager } = setup({ failureThrottle: { store: createMemoryEphemeralStore(), maxFailures: 2 } });
    const created = await issue(manager, '203.0.113.7');
    for (let i = 0; i < 2; i++) await strategy.authenticate(request({ cookie: `access_hash=${'0'.repeat(80)}` }));
    const outcome = await strategy.authenticate(request({ cookie: `access_hash=${created.hash}` }));
    expect(outcome.type === 'rejected' && renderAccessHashError(outcome.error).httpStatus).toBe(429);
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
