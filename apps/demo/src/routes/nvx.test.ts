import { connect } from 'node:net';
import { AuthError } from '@gatehouse/auth-core';
import { createNvxHashManager } from '@gatehouse/strategy-nvx-hash';
import { describe, expect, it, vi } from 'vitest';
import { useTemporaryDemos } from '../__fixtures__/temporary-demos.js';
import type { RunningDemo } from '../server.js';

const { freshEnv, start, stop } = useTemporaryDemos('gatehouse-nvx-');


interface Call {
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly json?: unknown;
  readonly form?: Record<string, string>;
  readonly method?: string;
  readonly rawBody?: string;
}

interface Answer {
  readonly status: number;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are checked field by field
  readonly body: any;
  readonly headers: Headers;
}

async function call(demo: RunningDemo, route: string, options: Call = {}): Promise<Answer> {
  const url = new URL(`/v2/${route}`, demo.url);
  for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  } else if (options.form !== undefined) {
    body = new URLSearchParams(options.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (options.rawBody !== undefined) {
    body = options.rawBody;
  }
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, text, body: parsed, headers: response.headers };
}

const failure = (code: number, description: string) => ({ success: false, status: { code, description } });
const WRONG_HASH = failure(3, 'Wrong hash');
const NOT_FOUND = failure(4, 'User or API key not found or session ended');
const INVALID_PARAMETERS = failure(7, 'Invalid parameters');
const ACCESS_DENIED = failure(11, 'Access denied');
const NOT_PERMITTED = failure(13, 'Operation not permitted');
const HEX32 = /^[0-9a-f]{32}$/;

async function userLogin(demo: RunningDemo, login = 'demo', password = 'demo-password'): Promise<string> {
  const answer = await call(demo, 'user/auth', { query: { login, password } });
  expect(answer.status).toBe(200);
  expect(answer.body).toEqual({ success: true, hash: expect.stringMatching(HEX32) });
  return answer.body.hash as string;
}

async function panelLogin(demo: RunningDemo): Promise<string> {
  const answer = await call(demo, 'panel/account/auth', { query: { login: 'admin', password: 'admin-password' } });
  expect(answer.status).toBe(200);
  expect(answer.body).toEqual({ success: true, hash: expect.stringMatching(HEX32) });
  return answer.body.hash as string;
}

async function createKey(demo: RunningDemo, session: string, title = 'Integration Key'): Promise<string> {
  const answer = await call(demo, 'api/key/create', { query: { hash: session, title } });
  expect(answer.status).toBe(200);
  return answer.body.value.hash as string;
}

describe('NVX routes of the demo (/v2)', () => {
  it('follows Navixy API docs, "Authentication", verbatim: user/auth gives a session hash, api/key/create a key, and the key works in the header, a JSON body, a form body and the query', async () => {
    const demo = await start();
    const login = await fetch(`${demo.url}/v2/user/auth?login=demo&password=demo-password`);
    expect(login.status).toBe(200);
    expect(login.headers.get('content-type')).toMatch(/^application\/json/);
    const { hash: session } = (await login.json()) as { hash: string };
    expect(session).toMatch(HEX32);

    const created = await fetch(`${demo.url}/v2/api/key/create?hash=${session}&title=Integration+Key`);
    expect(created.status).toBe(200);
    const createdBody = (await created.json()) as { success: boolean; value: { hash: string; create_date: string; title: string } };
    expect(createdBody).toEqual({
      success: true,
      value: { hash: expect.stringMatching(HEX32), create_date: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/), title: 'Integration Key' },
    });
    const key = createdBody.value.hash;
    expect(key).not.toBe(session);

    const viaHeader = await call(demo, 'tracker/list', { headers: { Authorization: `NVX ${key}` } });
    const viaHeaderPost = await call(demo, 'tracker/list', { method: 'POST', headers: { authorization: `nvx ${key}` } });
    const viaJson = await call(demo, 'tracker/list', { json: { hash: key } });
    const viaForm = await call(demo, 'tracker/list', { form: { hash: key } });
    const viaQuery = await call(demo, 'tracker/list', { query: { hash: key } });
    for (const answer of [viaHeader, viaHeaderPost, viaJson, viaForm, viaQuery]) {
      expect(answer.status).toBe(200);
      expect(answer.body.success).toBe(true);
      expect(answer.body.list.length).toBeGreaterThanOrEqual(2);
      expect(answer.body.list[0]).toMatchObject({ id: expect.any(Number), label: expect.any(String), source: { device_id: expect.any(String) } });
    }
    const retranslators = await call(demo, 'retranslator/list', { query: { hash: key } });
    expect(retranslators.status).toBe(200);
    expect(retranslators.body).toMatchObject({ success: true, list: [expect.objectContaining({ id: expect.any(Number) })] });
  });

  it('a wrong hash gets exactly {"success":false,"status":{"code":3,"description":"Wrong hash"}} with HTTP 400', async () => {
    const demo = await start();
    const unknown = await call(demo, 'tracker/list', { query: { hash: 'c915157ac483e7319b0b257408bc04e1' } });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toBe('{"success":false,"status":{"code":3,"description":"Wrong hash"}}');
    const malformed = await call(demo, 'tracker/list', { headers: { Authorization: 'NVX not-a-hash' } });
    expect(malformed.status).toBe(400);
    expect(malformed.text).toBe(unknown.text);
  });

  it('a protected route without any hash is code 3', async () => {
    const demo = await start();
    for (const route of ['tracker/list', 'api/key/list', 'api/key/create', 'user/logout', 'panel/tariff/list']) {
      const answer = await call(demo, route);
      expect(answer.status, route).toBe(400);
      expect(answer.body, route).toEqual(WRONG_HASH);
    }
  });

  it('api/key/list shows every key with its full hash, create_date as YYYY-MM-DD HH:mm:ss and its title', async () => {
    const demo = await start();
    const session = await userLogin(demo);
    const first = await createKey(demo, session, 'First');
    const second = await createKey(demo, session, 'Zweiter Schlüssel');
    const listed = await call(demo, 'api/key/list', { headers: { Authorization: `NVX ${session}` } });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      success: true,
      list: [
        { hash: first, create_date: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/), title: 'First' },
        { hash: second, create_date: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/), title: 'Zweiter Schlüssel' },
      ],
    });
  });

  it('a deleted key fails at once with code 3', async () => {
    const demo = await start();
    const session = await userLogin(demo);
    const key = await createKey(demo, session);
    expect((await call(demo, 'tracker/list', { query: { hash: key } })).status).toBe(200);
    const deleted = await call(demo, 'api/key/delete', { json: { hash: session, key_hash: key } });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ success: true });
    const after = await call(demo, 'tracker/list', { query: { hash: key } });
    expect(after.status).toBe(400);
    expect(after.body).toEqual(WRONG_HASH);
    expect((await call(demo, 'api/key/list', { query: { hash: session } })).body).toEqual({ success: true, list: [] });
  });

  it('deleting an unknown, already deleted or foreign key is code 4; a missing or malformed key_hash is code 7', async () => {
    const demo = await start();
    const session = await userLogin(demo);
    const key = await createKey(demo, session);
    const unknown = await call(demo, 'api/key/delete', { query: { hash: session, key_hash: 'c915157ac483e7319b0b257408bc04e1' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual(NOT_FOUND);
    // The session hash is not an API key: deleting it this way is refused too.
    expect((await call(demo, 'api/key/delete', { query: { hash: session, key_hash: session } })).body).toEqual(NOT_FOUND);
    expect((await call(demo, 'api/key/delete', { query: { hash: session } })).body).toEqual(INVALID_PARAMETERS);
    expect((await call(demo, 'api/key/delete', { query: { hash: session, key_hash: 'xyz' } })).body).toEqual(INVALID_PARAMETERS);
    expect((await call(demo, 'api/key/delete', { query: { hash: session, key_hash: key } })).body).toEqual({ success: true });
    expect((await call(demo, 'api/key/delete', { query: { hash: session, key_hash: key } })).body).toEqual(NOT_FOUND);

    // Another master's key: issued through the same store to another owner, it cannot be deleted from here.
    const otherMaster = createNvxHashManager({ store: demo.context.credentials, listing: { mode: 'revealable', sealer: demo.context.sealer } });
    const foreign = await otherMaster.issue({ id: '999', accountType: 'master' }, { title: 'Not yours' });
    if (!foreign.ok) throw foreign.error;
    const forged = await call(demo, 'api/key/delete', { query: { hash: session, key_hash: foreign.value.hash } });
    expect(forged.status).toBe(400);
    expect(forged.body).toEqual(NOT_FOUND);
    expect((await call(demo, 'tracker/list', { query: { hash: foreign.value.hash } })).status).toBe(200);
    // A sub-user's session may not delete keys at all.
    const subSession = await userLogin(demo, 'demo-sub');
    expect((await call(demo, 'api/key/delete', { query: { hash: subSession, key_hash: foreign.value.hash } })).body).toEqual(NOT_PERMITTED);
  });

  it('a user session hash is refused on user resources with code 11', async () => {
    const demo = await start();
    const session = await userLogin(demo);
    for (const route of ['tracker/list', 'retranslator/list']) {
      const answer = await call(demo, route, { query: { hash: session } });
      expect(answer.status, route).toBe(403);
      expect(answer.body, route).toEqual(ACCESS_DENIED);
    }
  });

  it('user session hashes and API keys are refused on panel routes with code 11', async () => {
    const demo = await start();
    const session = await userLogin(demo);
    const key = await createKey(demo, session);
    for (const hash of [session, key]) {
      const answer = await call(demo, 'panel/tariff/list', { headers: { Authorization: `NVX ${hash}` } });
      expect(answer.status).toBe(403);
      expect(answer.body).toEqual(ACCESS_DENIED);
    }
  });

  it('a panel hash is refused on user routes with code 11 and works on panel/tariff/list', async () => {
    const demo = await start();
    const panel = await panelLogin(demo);
    for (const route of ['tracker/list', 'api/key/list', 'api/key/create', 'user/session/renew']) {
      const answer = await call(demo, route, { query: { hash: panel, title: 'x' } });
      expect(answer.status, route).toBe(403);
      expect(answer.body, route).toEqual(ACCESS_DENIED);
    }
    const tariffs = await call(demo, 'panel/tariff/list', { query: { hash: panel } });
    expect(tariffs.status).toBe(200);
    expect(tariffs.body.success).toBe(true);
    expect(tariffs.body.list).toHaveLength(2);
  });

  it('an API key on a disguised panel path (%70anel, %2e%2e) is still refused with code 11', async () => {
    const demo = await start();
    const key = await createKey(demo, await userLogin(demo));
    for (const path of ['/v2/%70anel/tariff/list', '/v2/tracker/%2e%2e/panel/tariff/list', '/v2/%50anel/tariff/list']) {
      const response = await fetch(`${demo.url}${path}?hash=${key}`);
      const body = await response.json();
      expect(body.success, path).toBe(false);
      expect([403, 404], path).toContain(response.status);
    }
    const encoded = await fetch(`${demo.url}/v2/%70anel/tariff/list?hash=${key}`);
    expect(encoded.status).toBe(403);
    expect(await encoded.json()).toEqual(ACCESS_DENIED);
  });

  it('panel/account/auth accepts the panel administrator only; user logins fail there like a wrong password (code 4)', async () => {
    const demo = await start();
    await panelLogin(demo);
    const wrongPassword = await call(demo, 'panel/account/auth', { query: { login: 'admin', password: 'nope' } });
    const userAccount = await call(demo, 'panel/account/auth', { query: { login: 'demo', password: 'demo-password' } });
    expect(wrongPassword.status).toBe(400);
    expect(wrongPassword.body).toEqual(NOT_FOUND);
    expect(userAccount.text).toBe(wrongPassword.text);
    expect(userAccount.status).toBe(wrongPassword.status);
  });

  it('user/auth refuses the panel administrator exactly like a wrong password (code 4)', async () => {
    const demo = await start();
    const admin = await call(demo, 'user/auth', { query: { login: 'admin', password: 'admin-password' } });
    const wrong = await call(demo, 'user/auth', { query: { login: 'demo', password: 'admin-password' } });
    expect(admin.status).toBe(400);
    expect(admin.body).toEqual(NOT_FOUND);
    expect(admin.text).toBe(wrong.text);
  });

  it('a wrong password and an unknown login get byte-identical replies (code 4)', async () => {
    const demo = await start();
    const wrongPassword = await call(demo, 'user/auth', { query: { login: 'demo', password: 'wrong-password' } });
    const unknownLogin = await call(demo, 'user/auth', { query: { login: 'nobody', password: 'demo-password' } });
    expect(wrongPassword.status).toBe(400);
    expect(wrongPassword.text).toBe('{"success":false,"status":{"code":4,"description":"User or API key not found or session ended"}}');
    expect(unknownLogin.status).toBe(wrongPassword.status);
    expect(unknownLogin.text).toBe(wrongPassword.text);
    expect(unknownLogin.headers.get('content-type')).toBe(wrongPassword.headers.get('content-type'));
  });

  it('user/auth takes login and password from the query, a form or a JSON body, ignores any hash, and wants both (code 7)', async () => {
    const demo = await start();
    const form = await call(demo, 'user/auth', { form: { login: 'demo', password: 'demo-password' } });
    const json = await call(demo, 'user/auth', { json: { login: 'demo', password: 'demo-password', hash: 'not a hash at all' } });
    const withHeader = await call(demo, 'user/auth', { query: { login: 'demo', password: 'demo-password' }, headers: { Authorization: 'NVX garbage' } });
    for (const answer of [form, json, withHeader]) {
      expect(answer.status).toBe(200);
      expect(answer.body.hash).toMatch(HEX32);
    }
    for (const params of [{}, { login: 'demo' }, { password: 'demo-password' }, { login: '', password: 'demo-password' }]) {
      const answer = await call(demo, 'user/auth', { query: params });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual(INVALID_PARAMETERS);
    }
    expect((await call(demo, 'user/auth', { json: { login: 'demo', password: 12345 } })).body).toEqual(INVALID_PARAMETERS);
    // One parameter, two different values (query and body): refused rather than guessed.
    const twice = await call(demo, 'user/auth', { query: { login: 'demo' }, json: { login: 'demo-sub', password: 'demo-password' } });
    expect(twice.body).toEqual(INVALID_PARAMETERS);
  });

  it('a sub-user can log in, but its session cannot create or list API keys (code 13)', async () => {
    const demo = await start();
    const session = await userLogin(demo, 'demo-sub', 'demo-password');
    const created = await call(demo, 'api/key/create', { query: { hash: session, title: 'Sub key' } });
    expect(created.status).toBe(403);
    expect(created.body).toEqual(NOT_PERMITTED);
    expect((await call(demo, 'api/key/list', { query: { hash: session } })).body).toEqual(NOT_PERMITTED);
    // It can still renew and end its own session.
    expect((await call(demo, 'user/session/renew', { query: { hash: session } })).body).toEqual({ success: true });
    expect((await call(demo, 'user/logout', { query: { hash: session } })).body).toEqual({ success: true });
  });

  it('an API key cannot create, list or delete API keys (code 13)', async () => {
    const demo = await start();
    const key = await createKey(demo, await userLogin(demo));
    for (const route of ['api/key/create', 'api/key/list', 'api/key/delete']) {
      const answer = await call(demo, route, { headers: { Authorization: `NVX ${key}` }, query: { title: 'From a key', key_hash: key } });
      expect(answer.status, route).toBe(403);
      expect(answer.body, route).toEqual(NOT_PERMITTED);
    }
    // Nor renew or end a session it is not.
    expect((await call(demo, 'user/session/renew', { query: { hash: key } })).body).toEqual(NOT_PERMITTED);
    expect((await call(demo, 'user/logout', { query: { hash: key } })).body).toEqual(NOT_PERMITTED);
    expect((await call(demo, 'tracker/list', { query: { hash: key } })).status).toBe(200);
  });

  it('a missing, blank, too long or control-character title is code 7', async () => {
    const demo = await start();
    const session = await userLogin(demo);
    const titles: unknown[] = [undefined, '', '   ', 'x'.repeat(256), 'a\nb', 'a\u202eb', 42, ['a']];
    for (const title of titles) {
      const answer = await call(demo, 'api/key/create', { json: { hash: session, ...(title === undefined ? {} : { title }) } });
      expect(answer.status, JSON.stringify(title)).toBe(400);
      expect(answer.body, JSON.stringify(title)).toEqual(INVALID_PARAMETERS);
    }
    expect((await call(demo, 'api/key/create', { json: { hash: session, title: 'x'.repeat(255) } })).status).toBe(200);
  });

  it('a master user holds at most 20 API keys: 30 parallel creates give exactly 20, and the next one is code 13', async () => {
    const demo = await start();
    const session = await userLogin(demo);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, index) => call(demo, 'api/key/create', { headers: { Authorization: `NVX ${session}` }, form: { title: `Key ${index}` } })),
    );
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(20);
    const refused = answers.filter((answer) => answer.status !== 200);
    expect(refused).toHaveLength(10);
    for (const answer of refused) {
      expect(answer.status).toBe(403);
      expect(answer.body).toEqual(NOT_PERMITTED);
    }
    const listed = await call(demo, 'api/key/list', { query: { hash: session } });
    expect(listed.body.list).toHaveLength(20);
    const hashes = new Set(answers.filter((answer) => answer.status === 200).map((answer) => answer.body.value.hash as string));
    expect(new Set(listed.body.list.map((entry: { hash: string }) => entry.hash))).toEqual(hashes);
    const twentyFirst = await call(demo, 'api/key/create', { query: { hash: session, title: 'One too many' } });
    expect(twentyFirst.status).toBe(403);
    expect(twentyFirst.body).toEqual(NOT_PERMITTED);
  });

  it('logout ends the session: the old hash is code 3 at once', async () => {
    const demo = await start();
    const session = await userLogin(demo);
    const key = await createKey(demo, session);
    const logout = await call(demo, 'user/logout', { headers: { Authorization: `NVX ${session}` }, method: 'POST' });
    expect(logout.status).toBe(200);
    expect(logout.body).toEqual({ success: true });
    for (const route of ['api/key/list', 'user/session/renew', 'user/logout']) {
      const answer = await call(demo, route, { query: { hash: session } });
      expect(answer.status, route).toBe(400);
      expect(answer.body, route).toEqual(WRONG_HASH);
    }
    // API keys outlive the session that created them (Navixy API docs, "Authentication").
    expect((await call(demo, 'tracker/list', { query: { hash: key } })).status).toBe(200);
  });

  it('renew keeps the session working', async () => {
    const demo = await start();
    const session = await userLogin(demo);
    const renewed = await call(demo, 'user/session/renew', { json: { hash: session } });
    expect(renewed.status).toBe(200);
    expect(renewed.body).toEqual({ success: true });
    expect((await call(demo, 'api/key/list', { query: { hash: session } })).body).toEqual({ success: true, list: [] });
  });

  it('a header and a query hash that disagree are code 3, even when both are valid', async () => {
    const demo = await start();
    const session = await userLogin(demo);
    const first = await createKey(demo, session, 'one');
    const second = await createKey(demo, session, 'two');
    const answer = await call(demo, 'tracker/list', { headers: { Authorization: `NVX ${first}` }, query: { hash: second } });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual(WRONG_HASH);
    const bodyAndQuery = await call(demo, 'tracker/list', { json: { hash: first }, query: { hash: second } });
    expect(bodyAndQuery.body).toEqual(WRONG_HASH);
    // The same hash in two places is fine.
    expect((await call(demo, 'tracker/list', { headers: { Authorization: `NVX ${first}` }, query: { hash: first } })).status).toBe(200);
  });

  it('a 1 MB JSON body is a Navixy failure (code 9, HTTP 412), not a crash', async () => {
    const demo = await start();
    const huge = { hash: '0'.repeat(32), padding: 'x'.repeat(1024 * 1024) };
    for (const route of ['tracker/list', 'user/auth', 'panel/account/auth']) {
      const answer = await call(demo, route, { json: huge });
      expect(answer.status, route).toBe(412);
      expect(answer.body, route).toEqual(failure(9, 'Too large request'));
    }
    expect((await fetch(`${demo.url}/healthz`)).status).toBe(200);
    await userLogin(demo);
  });

  it('a malformed or non-object JSON body, or an unsupported content type, is code 5', async () => {
    const demo = await start();
    const wrongFormat = failure(5, 'Wrong request format');
    for (const [body, type] of [
      ['{"login":', 'application/json'],
      ['["demo"]', 'application/json'],
      ['login=demo', 'text/plain'],
    ] as const) {
      const answer = await call(demo, 'user/auth', { rawBody: body, method: 'POST', headers: { 'content-type': type } });
      expect(answer.status, body).toBe(400);
      expect(answer.body, body).toEqual(wrongFormat);
    }
  });

  it('a __proto__ or constructor key in a JSON body pollutes nothing and authenticates nothing', async () => {
    const demo = await start();
    const key = await createKey(demo, await userLogin(demo));
    const viaProto = await call(demo, 'user/auth', {
      rawBody: '{"__proto__":{"login":"demo","password":"demo-password","polluted":true},"constructor":{"prototype":{"polluted":true}}}',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    expect(viaProto.body).toEqual(INVALID_PARAMETERS);
    const hashInProto = await call(demo, 'tracker/list', {
      rawBody: `{"__proto__":{"hash":"${key}"}}`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    expect(hashInProto.body).toEqual(WRONG_HASH);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('login');
    expect(Object.prototype).not.toHaveProperty('hash');
    // The server still works normally afterwards.
    expect((await call(demo, 'tracker/list', { json: { hash: key } })).status).toBe(200);
  });

  it('the startup log says that query hashes and the revealable key listing are on', async () => {
    const lines: string[] = [];
    await start(freshEnv(), lines);
    const log = lines.join('\n');
    expect(log).toMatch(/NVX: query hashes are enabled/);
    expect(log).toMatch(/NVX: the API key listing is revealable/);
    expect(lines.findIndex((line) => line.startsWith('NVX:'))).toBeLessThan(lines.findIndex((line) => line.includes('listening on')));
  });

  it('API keys survive a restart: a key created before works after, and is still listed in full', async () => {
    const env = freshEnv();
    const first = await start(env);
    const session = await userLogin(first);
    const key = await createKey(first, session, 'Kept');
    await stop(first);

    const second = await start(env);
    expect((await call(second, 'tracker/list', { headers: { Authorization: `NVX ${key}` } })).status).toBe(200);
    const listed = await call(second, 'api/key/list', { query: { hash: await userLogin(second) } });
    expect(listed.body.list).toEqual([expect.objectContaining({ hash: key, title: 'Kept' })]);
    // The old session survives too (sessions are stored, not held in memory).
    expect((await call(second, 'api/key/list', { query: { hash: session } })).status).toBe(200);
  });

  it('a failing store is code 14 with HTTP 503, never a success and never a crash', async () => {
    const demo = await start();
    const session = await userLogin(demo);
    const key = await createKey(demo, session);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const unavailable = failure(14, 'Database unavailable');
    const broken = new Error('SQLITE_IOERR: disk I/O error');

    const find = vi.spyOn(demo.context.credentials, 'findByDigest').mockRejectedValue(broken);
    const lookup = await call(demo, 'tracker/list', { query: { hash: key } });
    expect(lookup.status).toBe(503);
    expect(lookup.body).toEqual(unavailable);
    find.mockRestore();

    const insert = vi.spyOn(demo.context.credentials, 'insert').mockRejectedValue(broken);
    const created = await call(demo, 'api/key/create', { query: { hash: session, title: 'x' } });
    expect(created.status).toBe(503);
    expect(created.body).toEqual(unavailable);
    const login = await call(demo, 'user/auth', { query: { login: 'demo', password: 'demo-password' } });
    expect(login.status).toBe(503);
    expect(login.body).toEqual(unavailable);
    insert.mockRestore();

    vi.spyOn(demo.context.credentials, 'listByOwner').mockRejectedValue(broken);
    expect((await call(demo, 'api/key/list', { query: { hash: session } })).body).toEqual(unavailable);
    vi.spyOn(demo.context.credentials, 'revoke').mockRejectedValue(broken);
    expect((await call(demo, 'api/key/delete', { query: { hash: session, key_hash: key } })).body).toEqual(unavailable);
    // The password check says its database failed the way the route kit reads it (accounts.test.ts: it does).
    const verifyLogin = vi.spyOn(demo.context.accounts, 'verifyLogin').mockRejectedValue(new AuthError('STORE_UNAVAILABLE', { cause: broken }));
    const loginUnavailable = await call(demo, 'user/auth', { query: { login: 'demo', password: 'demo-password' } });
    expect(loginUnavailable.status).toBe(503);
    expect(loginUnavailable.body).toEqual(unavailable);
    // Anything else a password check throws is a bug: code 6, HTTP 500, as the route kit answers it.
    verifyLogin.mockRejectedValue(broken);
    const loginBug = await call(demo, 'user/auth', { query: { login: 'demo', password: 'demo-password' } });
    expect(loginBug.status).toBe(500);
    expect(loginBug.body).toEqual(failure(6, 'Unexpected error'));
    // The failure throttle's store: a valid key needs nothing from it (no limit applies to a proven key), a wrong
    // one cannot be counted and is refused as unavailable, never let through uncounted.
    vi.spyOn(demo.context.ephemeral, 'get').mockRejectedValue(broken);
    vi.spyOn(demo.context.ephemeral, 'increment').mockRejectedValue(broken);
    expect((await call(demo, 'tracker/list', { query: { hash: key } })).status).toBe(200);
    expect((await call(demo, 'tracker/list', { query: { hash: '882fb333405d006df0d5a3f410115e92' } })).body).toEqual(unavailable);

    vi.restoreAllMocks();
    expect((await call(demo, 'tracker/list', { query: { hash: key } })).status).toBe(200);
  });

  it("failed logins are throttled per client IP after 100 (code 15), on every login form of the demo alike (one throttle)", async () => {
    const demo = await start();
    for (let attempt = 0; attempt < 100; attempt++) {
      expect((await call(demo, 'user/auth', { query: { login: 'nobody', password: 'x' } })).body.status.code).toBe(4);
    }
    const throttled = await call(demo, 'user/auth', { query: { login: 'demo', password: 'demo-password' } });
    expect(throttled.status).toBe(429);
    expect(throttled.body).toEqual(failure(15, 'Too many requests'));
    expect((await call(demo, 'panel/account/auth', { query: { login: 'admin', password: 'admin-password' } })).status).toBe(429);
    // The same address has used up its failures on the other APIs' logins too.
    const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const panelLogin = await fetch(`${demo.url}/api/v1/auth/login`, json({ login: 'admin', password: 'admin-password' }));
    expect(panelLogin.status).toBe(429);
    expect(await panelLogin.json()).toEqual({ error: 'Too many requests', msg: '', status: 'error' });
    const apexLogin = await fetch(`${demo.url}/ap/WebAuthenticateUser`, json({ UserName: 'demo', Password: 'demo-password' }));
    expect(apexLogin.status).toBe(429);
    expect(await apexLogin.json()).toEqual({ Authenticated: false, errormsg: 'Too many requests' });
  });

  it('a POST without a body and without Content-Length (curl -X POST) has no parameters, as a GET: user/logout and tracker/list work', async () => {
    const demo = await start();
    const session = await userLogin(demo);
    const key = await createKey(demo, session);
    const bare = (path: string, authorization: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect(demo.port, '127.0.0.1', () => {
          socket.end(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${demo.port}\r\nAuthorization: ${authorization}\r\nConnection: close\r\n\r\n`);
        });
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (text += chunk));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
    const trackers = await bare('/v2/tracker/list', `NVX ${key}`);
    expect(trackers).toMatch(/^HTTP\/1\.1 200 /);
    expect(trackers).toContain('"success":true');
    const logout = await bare('/v2/user/logout', `NVX ${session}`);
    expect(logout).toMatch(/^HTTP\/1\.1 200 /);
    expect(logout.endsWith('{"success":true}')).toBe(true);
    expect((await call(demo, 'api/key/list', { query: { hash: session } })).body).toEqual(WRONG_HASH);
  });

  it('a chunked body over 64 KiB (no Content-Length) is code 9 with HTTP 412 too, and the connection stays usable', async () => {
    const demo = await start();
    const bytes = new TextEncoder().encode(JSON.stringify({ login: 'demo', password: 'demo-password', padding: 'x'.repeat(100_000) }));
    const chunked = (): RequestInit => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          for (let offset = 0; offset < bytes.length; offset += 8192) controller.enqueue(bytes.subarray(offset, offset + 8192));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    for (const route of ['user/auth', 'tracker/list']) {
      const answer = await fetch(`${demo.url}/v2/${route}`, chunked());
      expect(answer.status, route).toBe(412);
      expect(await answer.json(), route).toEqual(failure(9, 'Too large request'));
    }
    await userLogin(demo);
  });

  it('an unknown /v2 route is HTTP 404 with Navixy code 5; a known route with another method is HTTP 405', async () => {
    const demo = await start();
    const wrongFormat = failure(5, 'Wrong request format');
    for (const path of ['/v2', '/v2/', '/v2/tracker/delete', '/v2/PANEL/tariff/list', '/v2/tracker/list/']) {
      const answer = await fetch(`${demo.url}${path}`);
      expect(answer.status, path).toBe(404);
      expect(await answer.json(), path).toEqual(wrongFormat);
    }
    // Allow lists HEAD too: Hono answers HEAD with the GET route, and the route kit's 405 says so for its routes.
    for (const route of ['tracker/list', 'panel/tariff/list', 'user/auth', 'api/key/list']) {
      const put = await call(demo, route, { method: 'PUT' });
      expect(put.status, route).toBe(405);
      expect(put.headers.get('allow'), route).toBe('GET, POST, HEAD');
      expect(put.body, route).toEqual(wrongFormat);
    }
    const head = await fetch(`${demo.url}/v2/tracker/list`, { method: 'HEAD' });
    expect(head.status).toBe(400); // the GET route's answer (no hash: code 3), not a 405
  });

  it('GET /api lists the NVX routes', async () => {
    const demo = await start();
    const text = await (await fetch(`${demo.url}/api`)).text();
    for (const route of ['user/auth', 'user/session/renew', 'user/logout', 'api/key/create', 'api/key/list', 'api/key/delete', 'tracker/list', 'retranslator/list', 'panel/account/auth', 'panel/tariff/list']) {
      expect(text).toContain(`/v2/${route}`);
    }
  });
});
