// Two demo processes behind one PostgreSQL and one Redis, as two API servers behind a load balancer: what one
// instance does, the other sees at once; limits and counters hold across both; an outage is answered 503 in each
// scheme's own envelope and both recover without a restart.
import { createHmac } from 'node:crypto';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@gatehouse/test-servers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requestOverSocket, spawnDemoProcess, type DemoProcess, type SocketAnswer, type SocketCall } from './__fixtures__/temporary-demos.js';

const MAX_FAILURES = 5;
/** The key limit, as the NVX kit renders LIMIT_EXCEEDED (Navixy API docs, "Errors": 13, operation not permitted). */
const LIMIT_EXCEEDED = '403 {"success":false,"status":{"code":13,"description":"Operation not permitted"}}';
const NVX_UNAVAILABLE = { success: false, status: { code: 14, description: 'Database unavailable' } };
const PUQ_UNAVAILABLE = { error: 'Service unavailable', msg: '', status: 'error' };
const APEX_LOGIN_UNAVAILABLE = { Authenticated: false, errormsg: 'Service unavailable' };
const APEX_UNAVAILABLE = { result: false, errormsg: 'Operation Failed', errorcode: 100, detail: null };

let postgres: PostgresServer;
let redis: RedisServer;
let a: DemoProcess;
let b: DemoProcess;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const env = {
    PORT: '0',
    GATEHOUSE_DATABASE_URL: postgres.url,
    GATEHOUSE_REDIS_URL: redis.url,
    GATEHOUSE_KEK: 'c0'.repeat(32),
    GATEHOUSE_PASSWORD_COST: '10',
    GATEHOUSE_HMAC_NONCE: 'unique',
    GATEHOUSE_MAX_FAILURES: String(MAX_FAILURES),
  };
  // Started together on an empty database: migrations and the demo accounts must come out once.
  [a, b] = await Promise.all([spawnDemoProcess(env), spawnDemoProcess(env)]);
}, 120_000);

afterEach(({ task }) => {
  // A demo that died (it must not, whatever the servers do) shows why.
  if (task.result?.state === 'fail') for (const demo of [a, b]) console.error(demo?.output.text);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all([postgres?.close(), redis?.close()]);
});

/** A request from a chosen loopback address (each step has its own, so one step's failures never throttle another). */
const call = (demo: DemoProcess, path: string, options: SocketCall = {}): Promise<SocketAnswer> => requestOverSocket(demo, path, options);

/** Alternates between the two instances, as a load balancer does. */
const either = (index: number): DemoProcess => (index % 2 === 0 ? a : b);

async function nvxSession(demo: DemoProcess, from: string): Promise<string> {
  const answer = await call(demo, '/v2/user/auth?login=demo&password=demo-password', { from });
  expect(answer.status, answer.text).toBe(200);
  return answer.body.hash as string;
}

const createNvxKey = (demo: DemoProcess, session: string, from: string, title = 'Integration') =>
  call(demo, `/v2/api/key/create?hash=${session}&title=${title}`, { from });
const trackers = (demo: DemoProcess, key: string, from: string) => call(demo, '/v2/tracker/list', { headers: { authorization: `NVX ${key}` }, from });

describe('two demo instances sharing PostgreSQL and Redis', () => {
  it('started together, made the demo accounts once', async () => {
    const logs = a.output.text + b.output.text;
    expect(logs.match(/master user {6}demo \/ demo-password/g)).toHaveLength(1);
    expect(logs).toMatch(/PostgreSQL, schema gatehouse/);
  });

  it('a key created on A works on B at once, and a key revoked on A is refused by B on the next request', async () => {
    const from = '127.0.1.1';
    const session = await nvxSession(a, from);
    const created = await createNvxKey(a, session, from);
    expect(created.status, created.text).toBe(200);
    const key = created.body.value.hash as string;
    expect((await trackers(b, key, from)).body).toMatchObject({ success: true });

    const deleted = await call(a, `/v2/api/key/delete?hash=${session}&key_hash=${key}`, { from });
    expect(deleted.body).toMatchObject({ success: true });
    const refused = await trackers(b, key, from);
    expect(refused.body).toMatchObject({ success: false });
    expect(refused.status).toBeGreaterThanOrEqual(400);
  });

  it('100 parallel NVX key creations split across A and B leave exactly 20', async () => {
    const from = '127.0.1.2';
    const session = await nvxSession(a, from);
    const before = await call(b, `/v2/api/key/list?hash=${session}`, { from });
    const existing = (before.body.list as unknown[]).length;
    const answers = await Promise.all(Array.from({ length: 100 }, (_, index) => createNvxKey(either(index), session, from, `k${index}`)));
    expect(answers.filter((answer) => answer.body.success === true)).toHaveLength(20 - existing);
    const refusals = answers.filter((answer) => answer.body.success !== true);
    expect(new Set(refusals.map((answer) => `${answer.status} ${JSON.stringify(answer.body)}`))).toEqual(new Set([LIMIT_EXCEEDED]));
    const after = await call(a, `/v2/api/key/list?hash=${session}`, { from });
    expect(after.body.list).toHaveLength(20);
  });

  it('100 parallel AuthenticateUser calls with one nonce under `unique`, split across A and B, give exactly 1 success', async () => {
    const from = '127.0.1.3';
    const web = await call(a, '/ap/WebAuthenticateUser', { json: { UserName: 'demo', Password: 'demo-password' }, from });
    expect(web.status, web.text).toBe(200);
    const added = await call(b, '/ap/AddUserAPIKey', {
      json: { UserId: web.body.User.UserId, Permissions: ['Trading'] },
      headers: { aptoken: web.body.SessionToken },
      from,
    });
    expect(added.status, added.text).toBe(200);
    const { APIKey, APISecret, UserId } = added.body as { APIKey: string; APISecret: string; UserId: number };
    const nonce = String(Date.now());
    const headers = { APIKey, UserId: String(UserId), Nonce: nonce, Signature: createHmac('sha256', APISecret).update(`${nonce}${UserId}${APIKey}`).digest('hex') };
    const answers = await Promise.all(Array.from({ length: 100 }, (_, index) => call(either(index), '/AuthenticateUser', { method: 'POST', headers, from })));
    expect(answers.filter((answer) => answer.body?.Authenticated === true)).toHaveLength(1);
    // The others are refused: the replay itself, or the address's failure limit the replays ran into.
    const refusals = answers.filter((answer) => answer.body?.Authenticated !== true);
    expect(refusals).toHaveLength(99);
    for (const answer of refusals) expect([401, 429]).toContain(answer.status);
  });

  it(`failed logins count once across both: ${MAX_FAILURES} failures split over A and B lock the login on either`, async () => {
    const from = '127.0.1.4';
    for (let attempt = 0; attempt < MAX_FAILURES; attempt++) {
      const answer = await call(either(attempt), '/v2/user/auth?login=demo-sub&password=wrong', { from });
      expect(answer.status, answer.text).toBe(400);
    }
    // Each instance alone saw fewer than the limit; together they saw it.
    for (const demo of [a, b]) expect((await call(demo, '/v2/user/auth?login=demo-sub&password=demo-password', { from })).status).toBe(429);
  });

  it('with PostgreSQL stopped, every scheme answers 503 in its own envelope on both instances and nothing succeeds; both recover when it is back', async () => {
    const from = '127.0.1.5';
    // Credentials of each scheme, made while the database is up.
    const nvxKey = (await createNvxKeyFresh(from)).key;
    const admin = await call(a, '/api/v1/auth/login', { json: { login: 'admin', password: 'admin-password' }, from });
    const adminCookie = (admin.headers['set-cookie']?.[0] as string).split(';')[0] as string;
    const hashAnswer = await call(b, '/api/v1/access-hashes', { json: { name: 'outage', ip: '127.0.1.6' }, headers: { cookie: adminCookie }, from });
    expect(hashAnswer.status, hashAnswer.text).toBe(201);
    const accessHash = hashAnswer.body.msg.hash as string;
    const web = await call(a, '/ap/WebAuthenticateUser', { json: { UserName: 'demo', Password: 'demo-password' }, from });
    const aptoken = web.body.SessionToken as string;

    const probes = (demo: DemoProcess) =>
      Promise.all([
        trackers(demo, nvxKey, from),
        call(demo, '/api/v1/system/status', { headers: { cookie: `access_hash=${accessHash}` }, from: '127.0.1.6' }),
        call(demo, '/ap/GetUserInfo', { method: 'POST', headers: { aptoken }, from }),
      ]);
    for (const demo of [a, b]) for (const answer of await probes(demo)) expect(answer.status, answer.text).toBe(200);

    await postgres.stop();
    try {
      for (const demo of [a, b]) {
        const [nvx, puq, apex] = await probes(demo);
        expect([nvx?.status, nvx?.body]).toEqual([503, NVX_UNAVAILABLE]);
        expect([puq?.status, puq?.body]).toEqual([503, PUQ_UNAVAILABLE]);
        expect([apex?.status, apex?.body]).toEqual([503, APEX_UNAVAILABLE]);
        const health = await call(demo, '/healthz');
        expect([health.status, health.body]).toEqual([503, { status: 'unavailable' }]);
      }
    } finally {
      await postgres.start();
    }
    for (const demo of [a, b]) {
      for (const answer of await probes(demo)) expect(answer.status, answer.text).toBe(200);
      expect((await call(demo, '/healthz')).status).toBe(200);
    }
  }, 60_000);

  it('with Redis stopped, nonce-bound AuthenticateUser and password logins fail closed (503) while keys, hashes and sessions keep working', async () => {
    const from = '127.0.1.7';
    const { key: nvxKey, session } = await createNvxKeyFresh(from);
    const web = await call(a, '/ap/WebAuthenticateUser', { json: { UserName: 'demo', Password: 'demo-password' }, from });
    const aptoken = web.body.SessionToken as string;
    const added = await call(b, '/ap/AddUserAPIKey', { json: { UserId: web.body.User.UserId, Permissions: ['Trading'] }, headers: { aptoken }, from });
    const { APIKey, APISecret, UserId } = added.body as { APIKey: string; APISecret: string; UserId: number };
    const signed = (nonce: string) => ({ APIKey, UserId: String(UserId), Nonce: nonce, Signature: createHmac('sha256', APISecret).update(`${nonce}${UserId}${APIKey}`).digest('hex') });

    await redis.stop();
    try {
      for (const [index, demo] of [a, b].entries()) {
        const authenticate = await call(demo, '/AuthenticateUser', { method: 'POST', headers: signed(String(Date.now() + index)), from });
        expect([authenticate.status, authenticate.body]).toEqual([503, APEX_LOGIN_UNAVAILABLE]);
        const login = await call(demo, '/v2/user/auth?login=demo&password=demo-password', { from });
        expect([login.status, login.body]).toEqual([503, NVX_UNAVAILABLE]);
        expect((await trackers(demo, nvxKey, from)).status).toBe(200);
        expect((await call(demo, `/v2/api/key/list?hash=${session}`, { from })).status).toBe(200);
        expect((await call(demo, '/ap/GetUserInfo', { method: 'POST', headers: { aptoken }, from })).status).toBe(200);
        expect((await call(demo, '/healthz')).status).toBe(503);
      }
    } finally {
      await redis.start();
    }
    await expect
      .poll(async () => (await call(b, '/AuthenticateUser', { method: 'POST', headers: signed(String(Date.now() + 10)), from })).status, {
        timeout: 10_000,
        interval: 200,
      })
      .toBe(200);
  }, 60_000);
});

/** A fresh NVX session and key (the 20-key limit was used up above, so one key is deleted first if need be). */
async function createNvxKeyFresh(from: string): Promise<{ key: string; session: string }> {
  const session = await nvxSession(b, from);
  const listed = await call(a, `/v2/api/key/list?hash=${session}`, { from });
  const first = (listed.body.list as { hash?: string; id?: unknown }[])[0];
  if ((listed.body.list as unknown[]).length >= 20 && first !== undefined) {
    const deleted = await call(a, `/v2/api/key/delete?hash=${session}&key_hash=${first.hash}`, { from });
    expect(deleted.body, JSON.stringify(first)).toMatchObject({ success: true });
  }
  const created = await createNvxKey(b, session, from);
  expect(created.status, created.text).toBe(200);
  return { key: created.body.value.hash as string, session };
}
