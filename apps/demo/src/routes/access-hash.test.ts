import { spawn, spawnSync } from 'node:child_process';
import { AuthError } from '@gatehouse/auth-core';
import { describe, expect, it, vi } from 'vitest';
import { requestOverSocket as call, useTemporaryDemos, type SocketAnswer as Answer } from '../__fixtures__/temporary-demos.js';
import { startDemo, type RunningDemo } from '../server.js';

const { freshEnv, start } = useTemporaryDemos('gatehouse-access-hash-');

const error = (text: string) => ({ error: text, msg: '', status: 'error' });
const success = (msg: unknown) => ({ error: '', msg, status: 'success' });
const ISO_WITH_OFFSET = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/;
const HASH = /^[0-9a-f]{80}$/;
const LOGIN_REQUIRED = error('Login required');
const NOT_PERMITTED = error('Operation not permitted');
const CROSS_SITE = error('Cross-site request refused');
const WRONG_IP = error('Access hash is not valid from this IP address');
const INVALID_HASH = error('Invalid access hash');
const UNAVAILABLE = error('Service unavailable');

/** Logs in and returns the `name=value` pair of the session cookie. */
async function login(demo: RunningDemo, loginName = 'admin', password = 'admin-password', headers: Record<string, string> = {}): Promise<string> {
  const answer = await call(demo, '/api/v1/auth/login', { json: { login: loginName, password }, headers });
  expect(answer.status, answer.text).toBe(200);
  const setCookie = answer.headers['set-cookie'];
  expect(setCookie).toHaveLength(1);
  return (setCookie?.[0] as string).split(';')[0] as string;
}

async function createHash(demo: RunningDemo, session: string, name: string, ip: string): Promise<{ id: string; hash: string }> {
  const answer = await call(demo, '/api/v1/access-hashes', { json: { name, ip }, headers: { cookie: session } });
  expect(answer.status, answer.text).toBe(201);
  expect(answer.body).toEqual(
    success({ id: expect.any(String), name, ip, hash: expect.stringMatching(HASH), created: expect.stringMatching(ISO_WITH_OFFSET) }),
  );
  return { id: answer.body.msg.id as string, hash: answer.body.msg.hash as string };
}

const status = (demo: RunningDemo, hash: string, from = '127.0.0.1', headers: Record<string, string> = {}) =>
  call(demo, '/api/v1/system/status', { from, headers: { cookie: `access_hash=${hash}`, ...headers } });

/** Starts a demo, logs the panel administrator in and creates one hash for 127.0.0.1 and one for 127.0.0.2. */
async function setUp(env?: NodeJS.ProcessEnv) {
  const demo = await start(env);
  const session = await login(demo);
  const local1 = await createHash(demo, session, 'monitoring', '127.0.0.1');
  const local2 = await createHash(demo, session, 'backup host', '127.0.0.2');
  return { demo, session, local1, local2 };
}

const hasCurl = spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;

describe('access hash cookie routes of the demo (/api/v1, PUQ VPN control panel documentation, "API Access Hashs")', () => {
  it('each access hash works only from the IP address it was created for; the other address gets 403', async () => {
    const { demo, local1, local2 } = await setUp();
    const fromOwn1 = await status(demo, local1.hash, '127.0.0.1');
    expect(fromOwn1.status).toBe(200);
    expect(fromOwn1.headers['content-type']).toMatch(/^application\/json/);
    expect(fromOwn1.body).toEqual(
      success({
        count_accounts: 0,
        count_accounts_available: 0,
        count_wireguard: 0,
        license: expect.stringMatching(ISO_WITH_OFFSET),
        license_valid: true,
        status: expect.any(String),
        version: '1.0',
      }),
    );
    const fromOwn2 = await status(demo, local2.hash, '127.0.0.2');
    expect(fromOwn2.status).toBe(200);
    expect(fromOwn2.body.status).toBe('success');

    for (const [hash, from] of [
      [local1.hash, '127.0.0.2'],
      [local2.hash, '127.0.0.1'],
    ] as const) {
      const elsewhere = await status(demo, hash, from);
      expect(elsewhere.status, from).toBe(403);
      expect(elsewhere.body, from).toEqual(WRONG_IP);
    }
  });

  it.skipIf(!hasCurl)('the curl command of "API Access Hashs" works with only the host changed', async () => {
    const { demo, local1 } = await setUp();
    // Proxy variables of the test environment must not reroute curl; the command itself is the document's.
    const env = { ...process.env };
    for (const name of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete env[name];
    const child = spawn('curl', ['-b', `access_hash=${local1.hash}`, '-X', 'GET', `http://127.0.0.1:${demo.port}/api/v1/system/status`], {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    const body = JSON.parse(output);
    expect(body).toMatchObject({ error: '', status: 'success', msg: { version: '1.0', license_valid: true } });
    expect(Object.keys(body.msg).sort()).toEqual(['count_accounts', 'count_accounts_available', 'count_wireguard', 'license', 'license_valid', 'status', 'version']);
  });

  it('lists, creates and deletes hashes: the listing never shows a hash, last_login is set after use, a deleted hash fails at once', async () => {
    const { demo, session, local1, local2 } = await setUp();
    const listed = await call(demo, '/api/v1/access-hashes', { headers: { cookie: session } });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual(
      success([
        { id: local1.id, name: 'monitoring', ip: '127.0.0.1', created: expect.stringMatching(ISO_WITH_OFFSET), last_login: null },
        { id: local2.id, name: 'backup host', ip: '127.0.0.2', created: expect.stringMatching(ISO_WITH_OFFSET), last_login: null },
      ]),
    );
    expect(listed.text).not.toContain(local1.hash);
    expect(listed.text).not.toContain(local2.hash);
    expect(listed.text).not.toContain(local1.hash.slice(0, 16));

    expect((await status(demo, local1.hash)).status).toBe(200);
    let rows: { id: string; last_login: string | null }[] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      rows = (await call(demo, '/api/v1/access-hashes', { headers: { cookie: session } })).body.msg;
      if (rows.find((row) => row.id === local1.id)?.last_login !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(rows.find((row) => row.id === local1.id)?.last_login).toMatch(ISO_WITH_OFFSET);
    expect(rows.find((row) => row.id === local2.id)?.last_login).toBeNull();

    const deleted = await call(demo, `/api/v1/access-hashes/${local1.id}`, { method: 'DELETE', headers: { cookie: session, 'content-type': 'application/json' } });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual(success({ id: local1.id }));
    const afterDelete = await status(demo, local1.hash);
    expect(afterDelete.status).toBe(401);
    expect(afterDelete.body).toEqual(INVALID_HASH);
    expect((await status(demo, local2.hash, '127.0.0.2')).status).toBe(200);

    const remaining = await call(demo, '/api/v1/access-hashes', { headers: { cookie: session } });
    expect(remaining.body.msg.map((row: { id: string }) => row.id)).toEqual([local2.id]);
    for (const id of [local1.id, 'ah_doesnotexist0000000']) {
      const again = await call(demo, `/api/v1/access-hashes/${id}`, { method: 'DELETE', headers: { cookie: session, 'content-type': 'application/json' } });
      expect(again.status, id).toBe(404);
      expect(again.body, id).toEqual(error('Access hash not found'));
    }
    // An id no listing can show (over 100 characters) is a bad parameter, not an unknown hash.
    const malformed = await call(demo, `/api/v1/access-hashes/${'x'.repeat(200)}`, { method: 'DELETE', headers: { cookie: session, 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual(error('Invalid parameters'));
  });

  it('without trusted proxies a spoofed X-Forwarded-For is ignored; with GATEHOUSE_TRUSTED_PROXIES=127.0.0.1 it is read right to left', async () => {
    const plain = await setUp();
    const spoofed = await status(plain.demo, plain.local2.hash, '127.0.0.1', { 'x-forwarded-for': '127.0.0.2' });
    expect(spoofed.status).toBe(403);
    expect(spoofed.body).toEqual(WRONG_IP);
    expect((await status(plain.demo, plain.local1.hash, '127.0.0.1', { 'x-forwarded-for': '198.51.100.7' })).status).toBe(200);

    const proxied = await setUp(freshEnv({ GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1' }));
    const { demo, local1, local2 } = proxied;
    const cases: [hash: string, from: string, forwardedFor: string | null, expected: number][] = [
      [local2.hash, '127.0.0.1', '127.0.0.2', 200], // the proxy says the client is .2
      [local1.hash, '127.0.0.1', '127.0.0.2', 403],
      [local2.hash, '127.0.0.1', '198.51.100.7, 127.0.0.2', 200], // the right-most untrusted hop is the client
      [local2.hash, '127.0.0.1', '127.0.0.2, 198.51.100.7', 403], // a client-written left part is not believed
      [local2.hash, '127.0.0.1', '127.0.0.2, 127.0.0.1', 200], // trusted hops are skipped
      [local1.hash, '127.0.0.1', null, 200], // no header: the socket address
      [local1.hash, '127.0.0.2', '127.0.0.1', 403], // .2 is no trusted proxy: its header is ignored
      [local2.hash, '127.0.0.2', '127.0.0.1', 200],
    ];
    for (const [hash, from, forwardedFor, expected] of cases) {
      const answer = await status(demo, hash, from, forwardedFor === null ? {} : { 'x-forwarded-for': forwardedFor });
      expect(answer.status, `${from} ${forwardedFor}`).toBe(expected);
    }
  });

  it('the session cookie is HttpOnly, SameSite=Strict and Path=/, without Secure over plain http; Secure with __Host- when a trusted proxy says https', async () => {
    const plain = await start();
    const answer = await call(plain, '/api/v1/auth/login', { json: { login: 'admin', password: 'admin-password' }, headers: { 'x-forwarded-proto': 'https' } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(success({ login: 'admin', role: 'panel' }));
    const cookie = answer.headers['set-cookie']?.[0] as string;
    expect(cookie).toMatch(/^gatehouse_session=[0-9a-f]{64}; /);
    const attributes = cookie.split(';').slice(1).map((part) => part.trim());
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/']));
    expect(attributes.some((part) => /^secure$/i.test(part))).toBe(false);
    expect(answer.text).not.toContain(cookie.split(';')[0]?.split('=')[1]);
    // The token is stored only as a digest.
    const token = (cookie.split(';')[0] as string).split('=')[1] as string;
    const admin = (await plain.context.accounts.list()).find((account) => account.role === 'panel');
    const records = await plain.context.credentials.listByOwner(String(admin?.id), { strategy: 'demo-web-session' });
    expect(records).toHaveLength(1);
    expect(JSON.stringify(records)).not.toContain(token);
    expect(records[0]).toMatchObject({ kind: 'web-session', attributes: { role: 'panel' } });

    const proxied = await start(freshEnv({ GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1' }));
    const https = { 'x-forwarded-proto': 'https' };
    const secure = await call(proxied, '/api/v1/auth/login', { json: { login: 'admin', password: 'admin-password' }, headers: https });
    const secureCookie = secure.headers['set-cookie']?.[0] as string;
    expect(secureCookie).toMatch(/^__Host-gatehouse_session=[0-9a-f]{64}; /);
    expect(secureCookie.split(';').map((part) => part.trim())).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/', 'Secure']));
    const securePair = secureCookie.split(';')[0] as string;
    expect((await call(proxied, '/api/v1/auth/session', { headers: { cookie: securePair, ...https } })).body).toEqual(success({ login: 'admin', role: 'panel' }));
    // Over https only the __Host- cookie counts; the plain name is ignored there.
    const plainName = securePair.replace('__Host-', '');
    expect((await call(proxied, '/api/v1/auth/session', { headers: { cookie: plainName, ...https } })).body).toEqual(LOGIN_REQUIRED);
    // From an untrusted peer X-Forwarded-Proto is ignored.
    const fromUntrusted = await call(proxied, '/api/v1/auth/login', { json: { login: 'admin', password: 'admin-password' }, headers: https, from: '127.0.0.2' });
    expect(fromUntrusted.headers['set-cookie']?.[0]).toMatch(/^gatehouse_session=/);
    expect(fromUntrusted.headers['set-cookie']?.[0]).not.toMatch(/Secure/i);

    // GATEHOUSE_HTTPS=1 (clients reach the demo over https through a proxy): always __Host- and Secure.
    const configured = await start(freshEnv({ GATEHOUSE_HTTPS: '1' }));
    const always = await call(configured, '/api/v1/auth/login', { json: { login: 'admin', password: 'admin-password' } });
    expect(always.headers['set-cookie']?.[0]).toMatch(/^__Host-gatehouse_session=[0-9a-f]{64}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure$/);
    await expect(startDemo(freshEnv({ GATEHOUSE_HTTPS: 'yes' }), { log: () => undefined })).rejects.toThrow(/GATEHOUSE_HTTPS/);
  });

  it('an access hash cannot call the management routes (401), and a session cookie cannot call the access-hash routes (401)', async () => {
    const { demo, session, local1 } = await setUp();
    const withHash = { cookie: `access_hash=${local1.hash}` };
    const attempts = [
      await call(demo, '/api/v1/access-hashes', { headers: withHash }),
      await call(demo, '/api/v1/access-hashes', { json: { name: 'sneaky', ip: '127.0.0.1' }, headers: withHash }),
      await call(demo, `/api/v1/access-hashes/${local1.id}`, { method: 'DELETE', headers: { ...withHash, 'content-type': 'application/json' } }),
    ];
    for (const answer of attempts) {
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual(LOGIN_REQUIRED);
    }
    const listed = await call(demo, '/api/v1/access-hashes', { headers: { cookie: session } });
    expect(listed.body.msg).toHaveLength(2);

    for (const path of ['/api/v1/system/status', '/api/v1/accounts']) {
      const answer = await call(demo, path, { headers: { cookie: session } });
      expect(answer.status, path).toBe(401);
      expect(answer.text, path).toBe('{"error":"Access hash required","msg":"","status":"error"}');
    }
  });

  it('demo and demo-sub can log in but cannot manage access hashes (403)', async () => {
    const { demo, local1 } = await setUp();
    for (const [name, role] of [
      ['demo', 'master'],
      ['demo-sub', 'sub'],
    ] as const) {
      const loggedIn = await call(demo, '/api/v1/auth/login', { json: { login: name, password: 'demo-password' } });
      expect(loggedIn.body).toEqual(success({ login: name, role }));
      const session = (loggedIn.headers['set-cookie']?.[0] as string).split(';')[0] as string;
      const json = { cookie: session, 'content-type': 'application/json' };
      for (const answer of [
        await call(demo, '/api/v1/access-hashes', { headers: { cookie: session } }),
        await call(demo, '/api/v1/access-hashes', { json: { name: 'mine', ip: '127.0.0.1' }, headers: { cookie: session } }),
        await call(demo, `/api/v1/access-hashes/${local1.id}`, { method: 'DELETE', headers: json }),
      ]) {
        expect(answer.status, name).toBe(403);
        expect(answer.body, name).toEqual(NOT_PERMITTED);
      }
    }
    expect((await status(demo, local1.hash)).status).toBe(200);
  });

  it('CSRF: a write with text/plain, no JSON type, a foreign or null Origin is refused (403); a same-origin write passes', async () => {
    const demo = await start();
    const session = await login(demo);
    const body = JSON.stringify({ name: 'csrf', ip: '127.0.0.1' });
    const refused = [
      await call(demo, '/api/v1/access-hashes', { rawBody: body, headers: { cookie: session, 'content-type': 'text/plain' } }),
      await call(demo, '/api/v1/access-hashes', { rawBody: body, headers: { cookie: session, 'content-type': 'application/x-www-form-urlencoded' } }),
      await call(demo, '/api/v1/access-hashes', { rawBody: body, headers: { cookie: session } }),
      await call(demo, '/api/v1/access-hashes', { json: { name: 'csrf', ip: '127.0.0.1' }, headers: { cookie: session, origin: 'http://evil.example' } }),
      await call(demo, '/api/v1/access-hashes', { json: { name: 'csrf', ip: '127.0.0.1' }, headers: { cookie: session, origin: 'null' } }),
      await call(demo, '/api/v1/access-hashes', { json: { name: 'csrf', ip: '127.0.0.1' }, headers: { cookie: session, origin: `https://127.0.0.1:${demo.port}` } }),
      await call(demo, '/api/v1/access-hashes', { json: { name: 'csrf', ip: '127.0.0.1' }, headers: { cookie: session, origin: `http://127.0.0.1:${demo.port + 1}` } }),
      await call(demo, '/api/v1/access-hashes/ah_x', { method: 'DELETE', headers: { cookie: session } }),
      await call(demo, '/api/v1/auth/logout', { method: 'POST', headers: { cookie: session, 'content-type': 'text/plain' } }),
      await call(demo, '/api/v1/auth/login', { json: { login: 'admin', password: 'admin-password' }, headers: { origin: 'http://evil.example' } }),
      await call(demo, '/api/v1/auth/login', { rawBody: JSON.stringify({ login: 'admin', password: 'admin-password' }), headers: { 'content-type': 'text/plain' } }),
    ];
    for (const [index, answer] of refused.entries()) {
      expect(answer.status, String(index)).toBe(403);
      expect(answer.body, String(index)).toEqual(CROSS_SITE);
      expect(answer.headers['set-cookie'], String(index)).toBeUndefined();
    }
    // Nothing was created, and the session survived the refused logout.
    const listed = await call(demo, '/api/v1/access-hashes', { headers: { cookie: session } });
    expect(listed.body).toEqual(success([]));

    const sameOrigin = await call(demo, '/api/v1/access-hashes', {
      json: { name: 'same origin', ip: '127.0.0.1' },
      headers: { cookie: session, origin: `http://127.0.0.1:${demo.port}`, 'content-type': 'application/json; charset=utf-8' },
    });
    expect(sameOrigin.status).toBe(201);
  });

  it('a wrong login and a wrong password get byte-identical 401 replies and no cookie; bad login bodies are 400', async () => {
    const demo = await start();
    const wrongPassword = await call(demo, '/api/v1/auth/login', { json: { login: 'admin', password: 'wrong-password' } });
    const unknownLogin = await call(demo, '/api/v1/auth/login', { json: { login: 'nobody', password: 'admin-password' } });
    for (const answer of [wrongPassword, unknownLogin]) {
      expect(answer.status).toBe(401);
      expect(answer.text).toBe('{"error":"Invalid login or password","msg":"","status":"error"}');
      expect(answer.headers['set-cookie']).toBeUndefined();
    }
    expect(unknownLogin.headers['content-type']).toBe(wrongPassword.headers['content-type']);
    for (const json of [{ login: 'admin' }, { login: 'admin', password: 7 }, { login: '', password: 'x' }, ['admin', 'admin-password']]) {
      const answer = await call(demo, '/api/v1/auth/login', { json });
      expect(answer.status, JSON.stringify(json)).toBe(400);
      expect(answer.body.status, JSON.stringify(json)).toBe('error');
    }
    expect((await call(demo, '/api/v1/auth/login', { rawBody: '{"login":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
  });

  it('logout ends the session at once and clears the cookie; duplicate or malformed session cookies are refused', async () => {
    const demo = await start();
    const session = await login(demo);
    expect((await call(demo, '/api/v1/auth/session', { headers: { cookie: session } })).body).toEqual(success({ login: 'admin', role: 'panel' }));
    const other = await login(demo);
    const duplicate = await call(demo, '/api/v1/access-hashes', { headers: { cookie: `${session}; ${other}` } });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body).toEqual(error('Session cookie sent more than once'));
    const malformed = await call(demo, '/api/v1/access-hashes', { headers: { cookie: 'gatehouse_session=abc' } });
    expect(malformed.status).toBe(401);
    expect(malformed.body).toEqual(LOGIN_REQUIRED);
    const unknown = await call(demo, '/api/v1/access-hashes', { headers: { cookie: `gatehouse_session=${'0'.repeat(64)}` } });
    expect(unknown.text).toBe(malformed.text);

    const out = await call(demo, '/api/v1/auth/logout', { method: 'POST', headers: { cookie: session, 'content-type': 'application/json' } });
    expect(out.status).toBe(200);
    expect(out.body).toEqual(success(''));
    expect(out.headers['set-cookie']?.[0]).toMatch(/^gatehouse_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/);
    const after = await call(demo, '/api/v1/access-hashes', { headers: { cookie: session } });
    expect(after.status).toBe(401);
    expect(after.body).toEqual(LOGIN_REQUIRED);
    expect((await call(demo, '/api/v1/access-hashes', { headers: { cookie: other } })).status).toBe(200);
  });

  it('a session ends after 12 hours, or after 2 idle hours', async () => {
    let now = Date.UTC(2024, 0, 1, 8);
    const demo = await start(freshEnv(), [], { clock: { now: () => now } });
    const session = await login(demo);
    now += 110 * 60_000;
    expect((await call(demo, '/api/v1/auth/session', { headers: { cookie: session } })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the touch land
    now += 110 * 60_000; // 3 h 40 min after login, 1 h 50 min idle
    expect((await call(demo, '/api/v1/auth/session', { headers: { cookie: session } })).status).toBe(200);
    now += 121 * 60_000; // idle for over 2 hours
    expect((await call(demo, '/api/v1/auth/session', { headers: { cookie: session } })).body).toEqual(LOGIN_REQUIRED);

    const fresh = await login(demo);
    for (let hour = 1; hour < 12; hour++) {
      now += 3600_000;
      expect((await call(demo, '/api/v1/auth/session', { headers: { cookie: fresh } })).status, `hour ${hour}`).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    now += 3600_000;
    expect((await call(demo, '/api/v1/auth/session', { headers: { cookie: fresh } })).body).toEqual(LOGIN_REQUIRED);
  });

  it('failed logins are throttled per client IP after 100 (429), even for the right password', async () => {
    const demo = await start();
    for (let attempt = 0; attempt < 100; attempt++) {
      expect((await call(demo, '/api/v1/auth/login', { json: { login: `nobody-${attempt}`, password: 'x' } })).status).toBe(401);
    }
    const throttled = await call(demo, '/api/v1/auth/login', { json: { login: 'admin', password: 'admin-password' } });
    expect(throttled.status).toBe(429);
    expect(throttled.body).toEqual(error('Too many requests'));
    expect(throttled.headers['set-cookie']).toBeUndefined();
    // Another client address is not affected.
    expect((await call(demo, '/api/v1/auth/login', { json: { login: 'admin', password: 'admin-password' }, from: '127.0.0.2' })).status).toBe(200);
  });

  it('failed logins are throttled per login too: one account guessed from many addresses is refused (429), other logins are not', async () => {
    const demo = await start(freshEnv({ GATEHOUSE_MAX_FAILURES: '3' }));
    for (const [attempt, from] of ['127.0.0.1', '127.0.0.2', '127.0.0.3'].entries()) {
      expect((await call(demo, '/api/v1/auth/login', { json: { login: 'admin', password: `guess-${attempt}` }, from })).status).toBe(401);
    }
    const locked = await call(demo, '/api/v1/auth/login', { json: { login: 'admin', password: 'admin-password' }, from: '127.0.0.4' });
    expect(locked.status).toBe(429);
    expect(locked.body).toEqual(error('Too many requests'));
    // Each address has had one failure only, so other logins from it still work.
    expect((await call(demo, '/api/v1/auth/login', { json: { login: 'demo', password: 'demo-password' }, from: '127.0.0.1' })).status).toBe(200);
  });

  it('one login has one failure budget across every login form, and parallel guesses cannot overshoot it', async () => {
    const demo = await start(freshEnv({ GATEHOUSE_MAX_FAILURES: '3' }));
    expect((await call(demo, '/api/v1/auth/login', { json: { login: 'admin', password: 'guess' }, from: '127.0.0.1' })).status).toBe(401);
    expect((await call(demo, '/v2/panel/account/auth', { json: { login: 'admin', password: 'guess' }, from: '127.0.0.2' })).status).toBe(400);
    expect((await call(demo, '/ap/WebAuthenticateUser', { json: { UserName: 'admin', Password: 'guess' }, from: '127.0.0.3' })).status).toBe(401);
    expect((await call(demo, '/v2/panel/account/auth', { json: { login: 'admin', password: 'admin-password' }, from: '127.0.0.4' })).status).toBe(429);
    expect((await call(demo, '/ap/WebAuthenticateUser', { json: { UserName: 'admin', Password: 'admin-password' }, from: '127.0.0.4' })).status).toBe(429);

    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => call(demo, '/api/v1/auth/login', { json: { login: 'demo', password: `guess-${i}` }, from: '127.0.0.5' })),
    );
    const statuses = guesses.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(3);
    expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
    expect((await call(demo, '/api/v1/auth/login', { json: { login: 'demo', password: 'demo-password' }, from: '127.0.0.6' })).status).toBe(
      statuses.filter((status) => status === 401).length === 3 ? 429 : 200,
    );
  });

  it('the accounts resource takes all four methods: GET, POST, PUT, DELETE', async () => {
    const { demo, local1 } = await setUp();
    const cookie = { cookie: `access_hash=${local1.hash}` };
    const alice = await call(demo, '/api/v1/accounts', { json: { username: 'alice' }, headers: cookie });
    expect(alice.status).toBe(201);
    expect(alice.body).toEqual(
      success({ id: expect.any(Number), username: 'alice', enabled: true, created: expect.stringMatching(ISO_WITH_OFFSET), updated: expect.stringMatching(ISO_WITH_OFFSET) }),
    );
    const bob = await call(demo, '/api/v1/accounts', { json: { username: 'bob', enabled: false }, headers: cookie });
    expect(bob.body.msg).toMatchObject({ username: 'bob', enabled: false });
    const bobId = bob.body.msg.id as number;

    const listed = await call(demo, '/api/v1/accounts', { headers: cookie });
    expect(listed.status).toBe(200);
    expect(listed.body.msg.map((row: { username: string }) => row.username)).toEqual(['alice', 'bob']);
    expect((await call(demo, `/api/v1/accounts/${bobId}`, { headers: cookie })).body.msg).toMatchObject({ id: bobId, username: 'bob' });
    expect((await status(demo, local1.hash)).body.msg).toMatchObject({ count_accounts: 2, count_accounts_available: 1 });

    const edited = await call(demo, `/api/v1/accounts/${bobId}`, { method: 'PUT', json: { enabled: true, username: 'robert' }, headers: cookie });
    expect(edited.status).toBe(200);
    expect(edited.body.msg).toMatchObject({ id: bobId, username: 'robert', enabled: true });
    const taken = await call(demo, `/api/v1/accounts/${bobId}`, { method: 'PUT', json: { username: 'alice' }, headers: cookie });
    expect(taken.status).toBe(409);
    expect(taken.body).toEqual(error('Username already exists'));
    expect((await call(demo, '/api/v1/accounts', { json: { username: 'alice' }, headers: cookie })).status).toBe(409);

    const removed = await call(demo, `/api/v1/accounts/${bobId}`, { method: 'DELETE', headers: cookie });
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual(success({ id: bobId }));
    for (const [method, json] of [
      ['GET', undefined],
      ['PUT', { enabled: false }],
      ['DELETE', undefined],
    ] as const) {
      const gone = await call(demo, `/api/v1/accounts/${bobId}`, { method, json, headers: cookie });
      expect(gone.status, method).toBe(404);
      expect(gone.body, method).toEqual(error('Not found'));
    }
    for (const id of ['0', 'abc', '1e3', '99999999999999999999']) {
      expect((await call(demo, `/api/v1/accounts/${id}`, { headers: cookie })).status, id).toBe(404);
    }
    expect((await status(demo, local1.hash)).body.msg).toMatchObject({ count_accounts: 1, count_accounts_available: 1 });
    // Without the hash, or from the wrong address, none of it.
    expect((await call(demo, '/api/v1/accounts', { json: { username: 'eve' } })).status).toBe(401);
    expect((await call(demo, '/api/v1/accounts', { json: { username: 'eve' }, headers: cookie, from: '127.0.0.2' })).status).toBe(403);
    expect((await call(demo, '/api/v1/accounts', { headers: cookie })).body.msg).toHaveLength(1);
  });

  it('bad inputs are 400 (415 for a non-JSON body), bad hash cookies are refused, never a success', async () => {
    const { demo, session, local1 } = await setUp();
    const invalid = error('Invalid parameters');
    for (const json of [
      { name: '', ip: '127.0.0.1' },
      { name: 'x'.repeat(256), ip: '127.0.0.1' },
      { name: 'tab\there', ip: '127.0.0.1' },
      { name: 'ok', ip: 'not-an-ip' },
      { name: 'ok', ip: '10.0.0.0/8' },
      { name: 'ok', ip: '010.0.0.1' },
      { name: 'ok' },
      { name: 7, ip: '127.0.0.1' },
    ]) {
      const answer = await call(demo, '/api/v1/access-hashes', { json, headers: { cookie: session } });
      expect(answer.status, JSON.stringify(json)).toBe(400);
      expect(answer.body, JSON.stringify(json)).toEqual(invalid);
    }
    for (const rawBody of ['{"name":', '[1,2]', '"text"', '']) {
      const answer = await call(demo, '/api/v1/access-hashes', { rawBody, headers: { cookie: session, 'content-type': 'application/json' } });
      expect(answer.status, rawBody).toBe(400);
      expect(answer.body.status, rawBody).toBe('error');
    }
    expect((await call(demo, '/api/v1/access-hashes', { headers: { cookie: session } })).body.msg).toHaveLength(2);

    const cookie = { cookie: `access_hash=${local1.hash}` };
    for (const json of [{ username: '' }, { username: 'has space' }, { username: 'x'.repeat(65) }, { username: 'ok', enabled: 'yes' }, { username: 'ok', admin: true }, {}, { enabled: true }]) {
      const answer = await call(demo, '/api/v1/accounts', { json, headers: cookie });
      expect(answer.status, JSON.stringify(json)).toBe(400);
      expect(answer.body, JSON.stringify(json)).toEqual(invalid);
    }
    const form = await call(demo, '/api/v1/accounts', { rawBody: 'username=eve', headers: { ...cookie, 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    expect(form.body.status).toBe('error');
    expect((await call(demo, '/api/v1/accounts', { method: 'POST', headers: cookie })).status).toBe(400);
    const created = await call(demo, '/api/v1/accounts', { json: { username: 'carol' }, headers: cookie });
    expect((await call(demo, `/api/v1/accounts/${created.body.msg.id}`, { method: 'PUT', json: {}, headers: cookie })).status).toBe(400);
    expect((await call(demo, '/api/v1/accounts', { headers: cookie })).body.msg).toHaveLength(1);

    const missing = await call(demo, '/api/v1/system/status');
    expect(missing.status).toBe(401);
    expect(missing.text).toBe('{"error":"Access hash required","msg":"","status":"error"}');
    const cases: [cookieHeader: string, expected: number, body: unknown][] = [
      [`access_hash=${local1.hash.slice(0, 79)}`, 400, error('Malformed access hash')],
      [`access_hash=${local1.hash.toUpperCase()}`, 400, error('Malformed access hash')],
      [`access_hash="${local1.hash}"`, 400, error('Malformed access hash')],
      [`access_hash=${'0'.repeat(80)}`, 401, INVALID_HASH],
      [`access_hash=${local1.hash}; access_hash=${local1.hash}`, 400, error('Access hash cookie sent more than once')],
    ];
    for (const [cookieHeader, expected, body] of cases) {
      const answer = await call(demo, '/api/v1/system/status', { headers: { cookie: cookieHeader } });
      expect(answer.status, cookieHeader).toBe(expected);
      expect(answer.body, cookieHeader).toEqual(body);
    }
    // The hash in a header or the query is not this scheme's credential.
    expect((await call(demo, `/api/v1/system/status?access_hash=${local1.hash}`)).status).toBe(401);
    expect((await call(demo, '/api/v1/system/status', { headers: { 'x-access-hash': local1.hash } })).status).toBe(401);
  });

  it('a failing store is a 503 envelope, never a success and never a crash', async () => {
    const { demo, session, local1 } = await setUp();
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const broken = new Error('SQLITE_IOERR: disk I/O error');
    const cookie = { cookie: `access_hash=${local1.hash}` };
    const expectUnavailable = (answer: Answer, what: string): void => {
      expect(answer.status, what).toBe(503);
      expect(answer.body, what).toEqual(UNAVAILABLE);
    };

    const find = vi.spyOn(demo.context.credentials, 'findByDigest').mockRejectedValue(broken);
    expectUnavailable(await status(demo, local1.hash), 'findByDigest: system/status');
    expectUnavailable(await call(demo, '/api/v1/access-hashes', { headers: { cookie: session } }), 'findByDigest: session');
    find.mockRestore();

    // The demo's own stores report a failing database as STORE_UNAVAILABLE (accounts.test.ts, vpn-accounts.test.ts).
    const unavailable = new AuthError('STORE_UNAVAILABLE', { cause: broken });
    for (const method of ['counts', 'list', 'create', 'findById', 'update', 'delete'] as const) {
      vi.spyOn(demo.context.vpnAccounts, method).mockRejectedValue(unavailable);
    }
    expectUnavailable(await status(demo, local1.hash), 'counts');
    expectUnavailable(await call(demo, '/api/v1/accounts', { headers: cookie }), 'list');
    expectUnavailable(await call(demo, '/api/v1/accounts', { json: { username: 'dave' }, headers: cookie }), 'create');
    expectUnavailable(await call(demo, '/api/v1/accounts/1', { headers: cookie }), 'findById');
    expectUnavailable(await call(demo, '/api/v1/accounts/1', { method: 'PUT', json: { enabled: false }, headers: cookie }), 'update');
    expectUnavailable(await call(demo, '/api/v1/accounts/1', { method: 'DELETE', headers: cookie }), 'delete');
    // Anything else a resource handler throws is a bug: 500 in the envelope, through the error bridge.
    vi.spyOn(demo.context.vpnAccounts, 'list').mockRejectedValue(broken);
    const bug = await call(demo, '/api/v1/accounts', { headers: cookie });
    expect(bug.status).toBe(500);
    expect(bug.body).toEqual(error('Internal error'));
    vi.restoreAllMocks();
    vi.spyOn(console, 'error').mockImplementation(() => undefined);

    vi.spyOn(demo.context.credentials, 'listByOwner').mockRejectedValue(broken);
    expectUnavailable(await call(demo, '/api/v1/access-hashes', { headers: { cookie: session } }), 'listByOwner');
    vi.spyOn(demo.context.credentials, 'insert').mockRejectedValue(broken);
    expectUnavailable(await call(demo, '/api/v1/access-hashes', { json: { name: 'n', ip: '127.0.0.1' }, headers: { cookie: session } }), 'insert: create');
    const loginAnswer = await call(demo, '/api/v1/auth/login', { json: { login: 'admin', password: 'admin-password' } });
    expectUnavailable(loginAnswer, 'insert: login');
    expect(loginAnswer.headers['set-cookie']).toBeUndefined();
    vi.spyOn(demo.context.credentials, 'findById').mockRejectedValue(broken);
    expectUnavailable(
      await call(demo, `/api/v1/access-hashes/${local1.id}`, { method: 'DELETE', headers: { cookie: session, 'content-type': 'application/json' } }),
      'findById: delete',
    );
    vi.spyOn(demo.context.accounts, 'verifyLogin').mockRejectedValue(unavailable);
    expectUnavailable(await call(demo, '/api/v1/auth/login', { json: { login: 'admin', password: 'admin-password' } }), 'verifyLogin');
    vi.spyOn(demo.context.accounts, 'findById').mockImplementation(() => {
      throw unavailable;
    });
    expectUnavailable(await call(demo, '/api/v1/access-hashes', { headers: { cookie: session } }), 'accounts.findById: authorize');
    expectUnavailable(await status(demo, local1.hash), 'accounts.findById');
    vi.spyOn(demo.context.ephemeral, 'get').mockRejectedValue(broken);
    expectUnavailable(await status(demo, local1.hash), 'ephemeral.get');

    vi.restoreAllMocks();
    expect((await status(demo, local1.hash)).status).toBe(200);
    expect((await call(demo, '/api/v1/access-hashes', { headers: { cookie: session } })).body.msg).toHaveLength(2);
  });

  it('an unknown /api/v1 path is a 404 envelope; a known path with another method is 405 with Allow', async () => {
    const demo = await start();
    for (const path of ['/api/v1', '/api/v1/', '/api/v1/nothing', '/api/v1/accounts/1/extra', '/api/v1/system/status/']) {
      const answer = await call(demo, path);
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).toEqual(error('Not found'));
    }
    const patch = await call(demo, '/api/v1/accounts/1', { method: 'PATCH' });
    expect(patch.status).toBe(405);
    expect(patch.headers['allow']).toBe('GET, PUT, DELETE, HEAD');
    expect(patch.body).toEqual(error('Method not allowed'));
    expect((await call(demo, '/api/v1/auth/login')).headers['allow']).toBe('POST');
  });

  it('GET /api lists the new routes', async () => {
    const demo = await start();
    const text = (await call(demo, '/api')).text;
    for (const route of ['/api/v1/auth/login', '/api/v1/auth/logout', '/api/v1/access-hashes', '/api/v1/access-hashes/:id', '/api/v1/system/status', '/api/v1/accounts', '/api/v1/accounts/:id']) {
      expect(text).toContain(route);
    }
    expect(text).toContain('curl -b "access_hash=<hash>" -X GET');
    expect(text).toContain('/v2/user/auth');
  });
});
