import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthError } from '@gatehouse/auth-core';
import { createSecretDigester } from '@gatehouse/auth-core/crypto';
import { describe, expect, it, vi } from 'vitest';
import { requestOverSocket, useTemporaryDemos, type SocketAnswer, type SocketCall } from '../__fixtures__/temporary-demos.js';
import { startDemo, type RunningDemo } from '../server.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const { freshEnv, start } = useTemporaryDemos('gatehouse-hmac-');

/** One HTTP request over a real socket, POST by default. */
function call(demo: RunningDemo, path: string, options: SocketCall = {}): Promise<SocketAnswer> {
  return requestOverSocket(demo, path, { method: 'POST', ...options });
}

const HEX64 = /^[0-9a-f]{64}$/;
const NOT_AUTHORIZED = { result: false, errormsg: 'Not Authorized', errorcode: 20, detail: null };
const UNAVAILABLE = { result: false, errormsg: 'Operation Failed', errorcode: 100, detail: null };
const OK = { result: true, errormsg: null, errorcode: 0, detail: null };
const INVALID = { Authenticated: false, errormsg: 'Invalid API key, user or signature' };
const MALFORMED = { Authenticated: false, errormsg: 'Malformed APIKey, Signature, UserId or Nonce' };
const REPLAYED = { Authenticated: false, errormsg: 'Nonce already used' };

interface Key {
  readonly APIKey: string;
  readonly APISecret: string;
  readonly Nonce: string;
  readonly UserId: number;
  readonly Permissions: string[];
}

/** WebAuthenticateUser: the web session token and the user id. */
async function webLogin(demo: RunningDemo, userName = 'demo', password = 'demo-password'): Promise<{ token: string; userId: number }> {
  const answer = await call(demo, '/ap/WebAuthenticateUser', { json: { UserName: userName, Password: password } });
  expect(answer.status, answer.text).toBe(200);
  expect(answer.body).toEqual({
    Authenticated: true,
    SessionToken: expect.stringMatching(HEX64),
    User: { UserId: expect.any(Number), UserName: userName },
    Locked: false,
    Requires2FA: false,
    errormsg: null,
  });
  return { token: answer.body.SessionToken as string, userId: answer.body.User.UserId as number };
}

async function addKey(demo: RunningDemo, web: { token: string; userId: number }, permissions: string[] = ['Trading'], allowedIps?: string[]): Promise<Key> {
  const answer = await call(demo, '/ap/AddUserAPIKey', {
    json: { UserId: web.userId, Permissions: permissions, ...(allowedIps === undefined ? {} : { AllowedIps: allowedIps }) },
    headers: { aptoken: web.token },
  });
  expect(answer.status, answer.text).toBe(200);
  expect(answer.body).toEqual({
    APIKey: expect.stringMatching(/^[0-9a-f]{32}$/),
    APISecret: expect.stringMatching(HEX64),
    Nonce: expect.stringMatching(/^[0-9]+$/),
    UserId: web.userId,
    Permissions: permissions,
  });
  return answer.body as Key;
}

/** An independent implementation of the signature (node:crypto, not the package). */
const sign = (key: Key, nonce: string | number = key.Nonce, userId: string | number = key.UserId): string =>
  createHmac('sha256', key.APISecret).update(`${nonce}${userId}${key.APIKey}`).digest('hex');

/** `printf %s "$NONCE$USERID$APIKEY" | openssl dgst -sha256 -hmac "$SECRET"` */
function opensslSignature(secret: string, message: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('openssl', ['dgst', '-sha256', '-hmac', secret], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      // "SHA2-256(stdin)= <hex>" (OpenSSL 3) or "(stdin)= <hex>" (1.1)
      const hex = /= ([0-9a-f]{64})\s*$/.exec(output)?.[1];
      if (code === 0 && hex !== undefined) resolvePromise(hex);
      else reject(new Error(`openssl failed (${code}): ${errors}${output}`));
    });
    child.stdin.end(message);
  });
}

const fourHeaders = (key: Key, signature: string, nonce: string | number = key.Nonce, userId: string | number = key.UserId): Record<string, string> => ({
  APIKey: key.APIKey,
  Signature: signature,
  UserId: String(userId),
  Nonce: String(nonce),
});

async function authenticate(demo: RunningDemo, key: Key, options: { nonce?: string | number; signature?: string; from?: string } = {}): Promise<SocketAnswer> {
  const nonce = options.nonce ?? key.Nonce;
  return call(demo, '/AuthenticateUser', { headers: fourHeaders(key, options.signature ?? sign(key, nonce), nonce), ...(options.from === undefined ? {} : { from: options.from }) });
}

/** AuthenticateUser that must succeed: the aptoken. */
async function apiSession(demo: RunningDemo, key: Key, nonce?: string | number): Promise<string> {
  const answer = await authenticate(demo, key, nonce === undefined ? {} : { nonce });
  expect(answer.status, answer.text).toBe(200);
  return answer.body.SessionToken as string;
}

const userInfo = (demo: RunningDemo, aptoken: string, from?: string) =>
  call(demo, '/ap/GetUserInfo', { headers: { aptoken }, ...(from === undefined ? {} : { from }) });

/** A demo with the master user logged in and one key with Trading. */
async function setUp(env?: NodeJS.ProcessEnv, lines?: string[]) {
  const demo = await start(env, lines);
  const web = await webLogin(demo);
  const key = await addKey(demo, web);
  return { demo, web, key };
}

describe('APEX API keys of the demo (/AuthenticateUser, /ap/..., KiiEx docs, "Authenticate with API Key")', () => {
  it('KiiEx docs, "Authenticate with API Key", as a client does it: WebAuthenticateUser, AddUserAPIKey, an openssl signature, AuthenticateUser with the four headers, then aptoken on GetUserInfo', async () => {
    const demo = await start();
    const login = await call(demo, '/ap/WebAuthenticateUser', { json: { UserName: 'demo', Password: 'demo-password' } });
    expect(login.status).toBe(200);
    expect(login.headers['content-type']).toMatch(/^application\/json/);
    const web = { token: login.body.SessionToken as string, userId: login.body.User.UserId as number };
    const created = await call(demo, '/ap/AddUserAPIKey', { json: { UserId: web.userId, Permissions: ['Trading', 'Deposit'] }, headers: { aptoken: web.token } });
    expect(created.status).toBe(200);
    const { APIKey, APISecret, Nonce, UserId } = created.body as Key;
    expect(typeof UserId).toBe('number');

    const signature = await opensslSignature(APISecret, `${Nonce}${UserId}${APIKey}`);
    expect(signature).toMatch(HEX64);
    const authenticated = await call(demo, '/AuthenticateUser', { headers: { APIKey, Signature: signature, UserId: String(UserId), Nonce } });
    expect(authenticated.status, authenticated.text).toBe(200);
    expect(authenticated.body).toEqual({
      Authenticated: true,
      SessionToken: expect.stringMatching(HEX64),
      User: { UserId, UserName: 'demo' },
      Locked: false,
      Requires2FA: false,
      errormsg: null,
    });
    const aptoken = authenticated.body.SessionToken as string;
    expect(aptoken).not.toBe(web.token);

    const info = await userInfo(demo, aptoken);
    expect(info.status, info.text).toBe(200);
    expect(info.body).toMatchObject({ UserId, UserName: 'demo', Email: expect.stringContaining('@'), AccountId: expect.any(Number) });
    // The same through the root path and the /ap prefix.
    expect((await call(demo, '/GetUserInfo', { headers: { aptoken } })).body).toEqual(info.body);
    expect((await call(demo, '/ap/AuthenticateUser', { headers: { APIKey, Signature: signature, UserId: String(UserId), Nonce } })).status).toBe(200);
  });

  it('AuthenticateUser takes the four values as a JSON body too (UserId and Nonce as numbers or strings)', async () => {
    const { demo, key } = await setUp();
    for (const path of ['/AuthenticateUser', '/ap/AuthenticateUser']) {
      const asStrings = await call(demo, path, { json: { APIKey: key.APIKey, Signature: sign(key), UserId: String(key.UserId), Nonce: key.Nonce } });
      expect(asStrings.status, asStrings.text).toBe(200);
      expect(asStrings.body).toMatchObject({ Authenticated: true, User: { UserId: key.UserId, UserName: 'demo' } });
      const asNumbers = await call(demo, path, { json: { APIKey: key.APIKey, Signature: sign(key), UserId: key.UserId, Nonce: Number(key.Nonce) } });
      expect(asNumbers.status, asNumbers.text).toBe(200);
      expect((await userInfo(demo, asNumbers.body.SessionToken)).status).toBe(200);
    }
  });

  it('an upper-case hex signature is accepted (older AlphaPoint clients)', async () => {
    const { demo, key } = await setUp();
    const answer = await authenticate(demo, key, { signature: sign(key).toUpperCase() });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.Authenticated).toBe(true);
  });

  it('the CLI (gatehouse-hmac sign) gives the same signature as openssl', async () => {
    const { demo, key } = await setUp();
    const cli = spawnSync(
      process.execPath,
      ['packages/strategy-hmac-signature/dist/cli.js', 'sign', '--key', key.APIKey, '--secret', key.APISecret, '--user', String(key.UserId), '--nonce', key.Nonce],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    expect(cli.status, cli.stderr).toBe(0);
    const fromCli = cli.stdout.trim();
    expect(fromCli).toBe(await opensslSignature(key.APISecret, `${key.Nonce}${key.UserId}${key.APIKey}`));
    expect(fromCli).toBe(sign(key));
    expect((await authenticate(demo, key, { signature: fromCli })).status).toBe(200);
  });

  it('a wrong, truncated, odd-length or non-hex signature is refused; so are missing values and an unknown key', async () => {
    const { demo, key } = await setUp();
    const good = sign(key);
    const flipped = `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`;
    const wrong = await authenticate(demo, key, { signature: flipped });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual(INVALID);
    const otherSecret = await authenticate(demo, key, { signature: createHmac('sha256', 'f'.repeat(64)).update(`${key.Nonce}${key.UserId}${key.APIKey}`).digest('hex') });
    expect(otherSecret.text).toBe(wrong.text);
    const unknownKey = await call(demo, '/AuthenticateUser', { headers: { ...fourHeaders(key, good), APIKey: '0'.repeat(32) } });
    expect(unknownKey.status).toBe(401);
    expect(unknownKey.text).toBe(wrong.text);

    for (const [what, signature] of [
      ['truncated to 62', good.slice(0, 62)],
      ['odd length 63', good.slice(0, 63)],
      ['odd length 65', `${good}0`],
      ['twice as long', `${good}${good}`],
      ['non-hex', `${good.slice(0, 63)}g`],
      ['base64 of the digest', Buffer.from(good, 'hex').toString('base64')],
      ['empty', ''],
    ] as const) {
      const answer = await authenticate(demo, key, { signature });
      expect(answer.status, what).toBe(400);
      expect(answer.body, what).toEqual(MALFORMED);
    }
    const { Nonce: _nonce, ...withoutNonce } = fourHeaders(key, good);
    expect((await call(demo, '/AuthenticateUser', { headers: withoutNonce })).body).toEqual(MALFORMED);
    const nothing = await call(demo, '/AuthenticateUser');
    expect(nothing.status).toBe(401);
    expect(nothing.body).toEqual({ Authenticated: false, errormsg: 'APIKey, Signature, UserId and Nonce are required' });
    // Still fine with the right one.
    expect((await authenticate(demo, key)).status).toBe(200);
  });

  it("a valid key with another user's UserId is refused like a wrong signature, even when signed for that UserId", async () => {
    const { demo, key } = await setUp();
    const sub = await webLogin(demo, 'demo-sub', 'demo-password');
    expect(sub.userId).not.toBe(key.UserId);
    const subKey = await addKey(demo, sub);
    for (const userId of [sub.userId, 3, 999]) {
      const answer = await call(demo, '/AuthenticateUser', { headers: fourHeaders(key, sign(key, key.Nonce, userId), key.Nonce, userId) });
      expect(answer.status, String(userId)).toBe(401);
      expect(answer.body, String(userId)).toEqual(INVALID);
    }
    // The sub-user's own key works for the sub-user only.
    const own = await authenticate(demo, subKey);
    expect(own.status).toBe(200);
    expect(own.body.User).toEqual({ UserId: sub.userId, UserName: 'demo-sub' });
    const claimMaster = await call(demo, '/AuthenticateUser', { headers: fourHeaders(subKey, sign(subKey, subKey.Nonce, key.UserId), subKey.Nonce, key.UserId) });
    expect(claimMaster.body).toEqual(INVALID);
    // A UserId with a leading zero is not the same user.
    const padded = await call(demo, '/AuthenticateUser', { headers: fourHeaders(key, sign(key, key.Nonce, `0${key.UserId}`), key.Nonce, `0${key.UserId}`) });
    expect(padded.body).toEqual(INVALID);
  });

  it('GetUserAPIKeys lists keys without secrets; RemoveUserAPIKey kills the live sessions of the key at once', async () => {
    const { demo, web, key } = await setUp();
    const second = await addKey(demo, web, ['Deposit', 'Withdraw'], ['127.0.0.1']);
    const listed = await call(demo, '/ap/GetUserAPIKeys', { json: { UserId: web.userId }, headers: { aptoken: web.token } });
    expect(listed.status).toBe(200);
    const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(listed.body).toEqual([
      { ApiKeyId: expect.any(String), APIKeyHint: key.APIKey.slice(0, 4), UserId: web.userId, Permissions: ['Trading'], AllowedIps: [], Created: iso, LastUsed: null },
      { ApiKeyId: expect.any(String), APIKeyHint: second.APIKey.slice(0, 4), UserId: web.userId, Permissions: ['Deposit', 'Withdraw'], AllowedIps: ['127.0.0.1'], Created: iso, LastUsed: null },
    ]);
    for (const secret of [key.APIKey, key.APISecret, second.APIKey, second.APISecret, key.APISecret.slice(0, 16)]) expect(listed.text).not.toContain(secret);

    const aptoken = await apiSession(demo, key);
    const other = await apiSession(demo, key);
    const secondSession = await apiSession(demo, second);
    expect((await userInfo(demo, aptoken)).status).toBe(200);

    const removed = await call(demo, '/ap/RemoveUserAPIKey', { json: { UserId: web.userId, APIKey: key.APIKey }, headers: { aptoken: web.token } });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body).toEqual(OK);
    for (const token of [aptoken, other]) {
      const after = await userInfo(demo, token);
      expect(after.status).toBe(401);
      expect(after.body).toEqual(NOT_AUTHORIZED);
    }
    expect((await authenticate(demo, key)).body).toEqual(INVALID);
    expect((await userInfo(demo, secondSession)).status).toBe(200);

    // By id, from the listing; then it is gone, and a second removal is 404.
    const secondId = listed.body[1].ApiKeyId as string;
    const byId = await call(demo, '/RemoveUserAPIKey', { json: { UserId: String(web.userId), ApiKeyId: secondId }, headers: { aptoken: web.token } });
    expect(byId.body).toEqual(OK);
    expect((await userInfo(demo, secondSession)).status).toBe(401);
    const again = await call(demo, '/ap/RemoveUserAPIKey', { json: { UserId: web.userId, ApiKeyId: secondId }, headers: { aptoken: web.token } });
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ result: false, errormsg: 'Resource Not Found', errorcode: 104, detail: null });
    expect((await call(demo, '/ap/GetUserAPIKeys', { json: { UserId: web.userId }, headers: { aptoken: web.token } })).body).toEqual([]);
  });

  it("a user cannot list, add or remove another user's keys", async () => {
    const { demo, web, key } = await setUp();
    const sub = await webLogin(demo, 'demo-sub', 'demo-password');
    const listed = (await call(demo, '/ap/GetUserAPIKeys', { json: { UserId: web.userId }, headers: { aptoken: web.token } })).body;
    for (const [path, json] of [
      ['/ap/GetUserAPIKeys', { UserId: web.userId }],
      ['/ap/AddUserAPIKey', { UserId: web.userId, Permissions: ['Trading'] }],
      ['/ap/RemoveUserAPIKey', { UserId: web.userId, APIKey: key.APIKey }],
      ['/ap/RemoveUserAPIKey', { UserId: web.userId, ApiKeyId: listed[0].ApiKeyId }],
    ] as const) {
      const answer = await call(demo, path, { json, headers: { aptoken: sub.token } });
      expect(answer.status, path).toBe(403);
      expect(answer.body, path).toEqual(NOT_AUTHORIZED);
    }
    // Under the sub-user's own UserId the master's key is simply not found.
    const own = await call(demo, '/ap/RemoveUserAPIKey', { json: { UserId: sub.userId, APIKey: key.APIKey }, headers: { aptoken: sub.token } });
    expect(own.status).toBe(404);
    expect((await authenticate(demo, key)).status).toBe(200);
  });

  it('SendOrder needs the Trading permission: 403 without it, 200 with it', async () => {
    const { demo, web, key } = await setUp();
    const noTrading = await addKey(demo, web, ['Deposit', 'Withdraw']);
    const refused = await call(demo, '/ap/SendOrder', { json: { InstrumentId: 1, Side: 0, Quantity: 1 }, headers: { aptoken: await apiSession(demo, noTrading) } });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual(NOT_AUTHORIZED);
    const trading = await apiSession(demo, key);
    const accepted = await call(demo, '/ap/SendOrder', { json: { InstrumentId: 1, Side: 0, Quantity: 1 }, headers: { aptoken: trading } });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body).toEqual({ ...OK, OrderId: expect.any(Number) });
    const next = await call(demo, '/SendOrder', { headers: { aptoken: trading } });
    expect(next.body.OrderId).toBeGreaterThan(accepted.body.OrderId);
    // A web session is not an API-key session.
    expect((await call(demo, '/ap/SendOrder', { headers: { aptoken: web.token } })).body).toEqual(NOT_AUTHORIZED);
    expect((await call(demo, '/ap/SendOrder')).status).toBe(401);
  });

  it('a key with AllowedIps is refused from any other address (403) and works from its own', async () => {
    const { demo, web } = await setUp();
    const elsewhere = await addKey(demo, web, ['Trading'], ['10.9.9.9']);
    const refused = await authenticate(demo, elsewhere);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ Authenticated: false, errormsg: 'Requests from this IP address are not allowed for this API key' });
    const local2 = await addKey(demo, web, ['Trading'], ['127.0.0.2']);
    expect((await authenticate(demo, local2, { from: '127.0.0.2' })).status).toBe(200);
    expect((await authenticate(demo, local2, { from: '127.0.0.1' })).status).toBe(403);
    // A wrong signature from a wrong address is still just "invalid": the address is judged only after the secret.
    expect((await authenticate(demo, elsewhere, { signature: '0'.repeat(64) })).body).toEqual(INVALID);
    const badIps = await call(demo, '/ap/AddUserAPIKey', { json: { UserId: web.userId, Permissions: [], AllowedIps: ['10.0.0.300'] }, headers: { aptoken: web.token } });
    expect(badIps.status).toBe(400);
  });

  it('header and body values that disagree are refused (400); the same value in both places is fine', async () => {
    const { demo, web, key } = await setUp();
    const second = await addKey(demo, web);
    const headers = fourHeaders(key, sign(key));
    const cases: [string, Record<string, unknown>][] = [
      ['APIKey', { APIKey: second.APIKey }],
      ['Signature', { Signature: sign(second) }],
      ['UserId', { UserId: key.UserId + 1 }],
      ['Nonce', { Nonce: `${key.Nonce}1` }],
    ];
    for (const [what, json] of cases) {
      const answer = await call(demo, '/AuthenticateUser', { headers, json });
      expect(answer.status, what).toBe(400);
      expect(answer.body, what).toEqual({ Authenticated: false, errormsg: 'Credentials sent in headers and body differ' });
    }
    const twice = await call(demo, '/AuthenticateUser', { headers, json: { APIKey: key.APIKey, Signature: sign(key), UserId: key.UserId, Nonce: key.Nonce } });
    expect(twice.status).toBe(200);
    // Half in the headers, half in the body, is one request.
    const split = await call(demo, '/AuthenticateUser', { headers: { APIKey: key.APIKey, Signature: sign(key) }, json: { UserId: key.UserId, Nonce: key.Nonce } });
    expect(split.status).toBe(200);
  });

  it('GATEHOUSE_HMAC_NONCE=unique: a replayed nonce is refused, and 100 parallel AuthenticateUser with one nonce give exactly one session', async () => {
    const lines: string[] = [];
    const { demo, key } = await setUp(freshEnv({ GATEHOUSE_HMAC_NONCE: 'unique' }), lines);
    expect(lines.join('\n')).toMatch(/HMAC: nonce policy unique/);
    expect(await apiSession(demo, key, 'n-1')).toMatch(HEX64);
    const replay = await authenticate(demo, key, { nonce: 'n-1' });
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual(REPLAYED);
    expect(await apiSession(demo, key, 1_700_000_000)).toMatch(HEX64);

    const headers = fourHeaders(key, sign(key, 'parallel-1'), 'parallel-1');
    const answers = await Promise.all(Array.from({ length: 100 }, () => call(demo, '/AuthenticateUser', { headers, from: '127.0.0.3' })));
    const successes = answers.filter((answer) => answer.status === 200);
    expect(successes).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 401 && answer.text === JSON.stringify(REPLAYED))).toHaveLength(99);
    expect((await userInfo(demo, successes[0]?.body.SessionToken)).status).toBe(200);

    // 127.0.0.3 now has 100 failures: a further replay there is throttled, elsewhere it is not; a valid signature
    // with a fresh nonce still passes there (a shared address's junk locks out no valid key).
    expect((await call(demo, '/AuthenticateUser', { headers, from: '127.0.0.3' })).status).toBe(401);
    const throttled = await call(demo, '/AuthenticateUser', { headers, from: '127.0.0.3' });
    expect(throttled.status).toBe(429);
    expect(throttled.body).toEqual({ Authenticated: false, errormsg: 'Too many requests' });
    expect((await call(demo, '/AuthenticateUser', { headers, from: '127.0.0.4' })).status).toBe(401);
    expect((await authenticate(demo, key, { nonce: 'fresh-1', from: '127.0.0.3' })).status).toBe(200);
  });

  it('the aptoken throttle takes GATEHOUSE_MAX_FAILURES, and junk tokens from an address never lock out a valid one from it', async () => {
    const demo = await start(freshEnv({ GATEHOUSE_MAX_FAILURES: '3' }));
    const web = await webLogin(demo);
    const junk = () => call(demo, '/ap/GetUserInfo', { headers: { aptoken: randomBytes(32).toString('hex') }, from: '127.0.0.5' });
    for (let i = 0; i < 3; i++) expect((await junk()).status).toBe(401);
    // The limit is 3, not a fixed 100: the fourth junk token is throttled.
    const throttled = await junk();
    expect(throttled.status).toBe(429);
    for (let i = 0; i < 97; i++) await junk();
    // 101 junk tokens later, a valid session from the same address still works.
    expect((await call(demo, '/ap/GetUserInfo', { headers: { aptoken: web.token }, from: '127.0.0.5' })).status).toBe(200);
  });

  it('GATEHOUSE_HMAC_NONCE=increasing: a repeated or lower nonce is refused, a higher one works', async () => {
    const { demo, key } = await setUp(freshEnv({ GATEHOUSE_HMAC_NONCE: 'increasing' }));
    expect(await apiSession(demo, key, 1_700_000_000)).toMatch(HEX64);
    for (const nonce of [1_700_000_000, 1_699_999_999, 1]) {
      const answer = await authenticate(demo, key, { nonce });
      expect(answer.status, String(nonce)).toBe(401);
      expect(answer.body, String(nonce)).toEqual(REPLAYED);
    }
    expect(await apiSession(demo, key, 1_700_000_001)).toMatch(HEX64);
    for (const nonce of ['abc', '01700000002', '-1', '1.5']) {
      expect((await authenticate(demo, key, { nonce })).body, nonce).toEqual(MALFORMED);
    }
  });

  it('the default nonce policy is issued: the same signature works twice (replayable, as documented), another nonce is refused, and the startup log says so', async () => {
    const lines: string[] = [];
    const { demo, key } = await setUp(freshEnv(), lines);
    const log = lines.join('\n');
    expect(log).toMatch(/HMAC: nonce policy issued \(GATEHOUSE_HMAC_NONCE\)/);
    expect(log).toMatch(/replayable/);
    expect(lines.findIndex((line) => line.startsWith('HMAC:'))).toBeLessThan(lines.findIndex((line) => line.includes('listening on')));
    const signature = sign(key);
    const first = await authenticate(demo, key, { signature });
    const second = await authenticate(demo, key, { signature });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.SessionToken).not.toBe(first.body.SessionToken);
    const otherNonce = await authenticate(demo, key, { nonce: 1_700_000_000 });
    expect(otherNonce.status).toBe(401);
    expect(otherNonce.body).toEqual(INVALID);
    expect((await call(demo, '/api', { method: 'GET' })).text).toMatch(/Nonce policy \(GATEHOUSE_HMAC_NONCE = issued \| increasing \| unique\): issued\. .*replay/);
  });

  it('an invalid GATEHOUSE_HMAC_NONCE stops start-up with the variable named', async () => {
    for (const value of ['random', 'timestamp', '1']) {
      await expect(startDemo(freshEnv({ GATEHOUSE_HMAC_NONCE: value }), { log: () => undefined })).rejects.toThrow(/GATEHOUSE_HMAC_NONCE/);
    }
  });

  it('an API-key session cannot manage keys (401 Not Authorized); only the web session can', async () => {
    const { demo, web, key } = await setUp();
    const aptoken = await apiSession(demo, key);
    for (const [path, json] of [
      ['/ap/AddUserAPIKey', { UserId: web.userId, Permissions: ['Trading'] }],
      ['/AddUserAPIKey', { UserId: web.userId, Permissions: ['Trading'] }],
      ['/ap/GetUserAPIKeys', { UserId: web.userId }],
      ['/ap/RemoveUserAPIKey', { UserId: web.userId, APIKey: key.APIKey }],
    ] as const) {
      const answer = await call(demo, path, { json, headers: { aptoken } });
      expect(answer.status, path).toBe(401);
      expect(answer.body, path).toEqual(NOT_AUTHORIZED);
      const none = await call(demo, path, { json });
      expect(none.status, path).toBe(401);
      expect(none.body, path).toEqual(NOT_AUTHORIZED);
    }
    expect((await authenticate(demo, key)).status).toBe(200);
    expect((await call(demo, '/ap/GetUserAPIKeys', { json: { UserId: web.userId }, headers: { aptoken: web.token } })).body).toHaveLength(1);
  });

  it('AddUserAPIKey checks its inputs: unknown permissions, a non-array, a missing UserId are 400', async () => {
    const { demo, web } = await setUp();
    for (const json of [
      { UserId: web.userId, Permissions: ['Admin'] },
      { UserId: web.userId, Permissions: 'Trading' },
      { UserId: web.userId, Permissions: ['Trading'], AllowedIps: '127.0.0.1' },
      { Permissions: ['Trading'] },
      { UserId: 'one', Permissions: ['Trading'] },
    ]) {
      const answer = await call(demo, '/ap/AddUserAPIKey', { json, headers: { aptoken: web.token } });
      expect(answer.status, JSON.stringify(json)).toBe(400);
      expect(answer.body, JSON.stringify(json)).toMatchObject({ result: false, errorcode: 100 });
    }
    const notJson = await call(demo, '/ap/AddUserAPIKey', { rawBody: 'UserId=1', headers: { aptoken: web.token, 'content-type': 'application/x-www-form-urlencoded' } });
    expect(notJson.status).toBe(415);
    const broken = await call(demo, '/ap/AddUserAPIKey', { rawBody: '{"UserId":', headers: { aptoken: web.token, 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
  });

  it('WebAuthenticateUser: a wrong user and a wrong password get identical 401 replies; failures are throttled per IP after 100', async () => {
    const demo = await start();
    const wrongPassword = await call(demo, '/ap/WebAuthenticateUser', { json: { UserName: 'demo', Password: 'nope' } });
    const wrongUser = await call(demo, '/WebAuthenticateUser', { json: { UserName: 'nobody', Password: 'demo-password' } });
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.body).toEqual({ Authenticated: false, errormsg: 'Invalid username or password' });
    expect(wrongUser.status).toBe(401);
    expect(wrongUser.text).toBe(wrongPassword.text);
    expect((await call(demo, '/ap/WebAuthenticateUser', { json: { UserName: 'demo' } })).status).toBe(400);
    // Every demo login has its own keys.
    for (const [user, password] of [['demo-sub', 'demo-password'], ['admin', 'admin-password']] as const) await webLogin(demo, user, password);

    for (let i = 0; i < 98; i++) {
      expect((await call(demo, '/ap/WebAuthenticateUser', { json: { UserName: 'demo', Password: `wrong-${i}` } })).status).toBe(401);
    }
    const throttled = await call(demo, '/ap/WebAuthenticateUser', { json: { UserName: 'demo', Password: 'demo-password' } });
    expect(throttled.status).toBe(429);
    expect(throttled.body).toEqual({ Authenticated: false, errormsg: 'Too many requests' });
    expect((await call(demo, '/ap/WebAuthenticateUser', { json: { UserName: 'demo', Password: 'demo-password' }, from: '127.0.0.2' })).status).toBe(200);
  });

  it('LogOut ends the session: the token is refused afterwards (401), for API-key and web sessions alike', async () => {
    const { demo, web, key } = await setUp();
    const aptoken = await apiSession(demo, key);
    const out = await call(demo, '/ap/LogOut', { headers: { aptoken } });
    expect(out.status).toBe(200);
    expect(out.body).toEqual(OK);
    for (const path of ['/ap/GetUserInfo', '/ap/SendOrder', '/LogOut']) {
      const after = await call(demo, path, { headers: { aptoken } });
      expect(after.status, path).toBe(401);
      expect(after.body, path).toEqual(NOT_AUTHORIZED);
    }
    // The key itself still works.
    const fresh = await apiSession(demo, key);
    expect((await userInfo(demo, fresh)).status).toBe(200);

    expect((await call(demo, '/LogOut', { headers: { aptoken: web.token } })).body).toEqual(OK);
    const manage = await call(demo, '/ap/GetUserAPIKeys', { json: { UserId: web.userId }, headers: { aptoken: web.token } });
    expect(manage.status).toBe(401);
    expect(manage.body).toEqual(NOT_AUTHORIZED);
    expect((await call(demo, '/ap/LogOut')).body).toEqual(NOT_AUTHORIZED);
    expect((await call(demo, '/ap/LogOut', { headers: { aptoken: 'not-a-token' } })).status).toBe(400);
  });

  it('both kinds of aptoken session end after 30 idle minutes: one idle timeout for web and API-key sessions', async () => {
    let now = Date.UTC(2024, 0, 1, 8);
    const demo = await start(freshEnv(), [], { clock: { now: () => now } });
    const web = await webLogin(demo);
    const key = await addKey(demo, web);
    const api = await apiSession(demo, key);
    for (const minutes of [29, 29]) {
      now += minutes * 60_000;
      for (const token of [web.token, api]) expect((await userInfo(demo, token)).status, `after ${minutes} idle minutes`).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 20)); // let the touch land
    }
    now += 31 * 60_000;
    for (const token of [web.token, api]) {
      const idle = await userInfo(demo, token);
      expect(idle.status).toBe(401);
      expect(idle.body).toEqual(NOT_AUTHORIZED);
    }
    expect((await call(demo, '/ap/GetUserAPIKeys', { json: { UserId: web.userId }, headers: { aptoken: web.token } })).status).toBe(401);
  });

  it("a token of the demo's former APEX web sessions (its own strategy, before the package had web sessions) is not recognised", async () => {
    const demo = await start();
    const token = 'ab'.repeat(32);
    const now = Date.now();
    await demo.context.credentials.insert({
      id: 'aw_former',
      digest: createSecretDigester()(token),
      strategy: 'demo-apex-web-session',
      kind: 'web-session',
      ownerId: '1',
      parentId: null,
      label: 'apex web session',
      hint: token.slice(0, 4),
      scopes: [],
      allowedIps: [],
      sealedSecret: null,
      attributes: {},
      createdAt: now,
      expiresAt: now + 3_600_000,
    });
    for (const [path, json] of [
      ['/ap/GetUserInfo', undefined],
      ['/ap/GetUserAPIKeys', { UserId: 1 }],
      ['/ap/LogOut', undefined],
    ] as const) {
      const answer = await call(demo, path, { headers: { aptoken: token }, ...(json === undefined ? {} : { json }) });
      expect(answer.status, path).toBe(401);
      expect(answer.body, path).toEqual(NOT_AUTHORIZED);
    }
  });

  it('a failing store is a 503 APEX error, never a success and never a crash', async () => {
    const { demo, web, key } = await setUp(freshEnv({ GATEHOUSE_HMAC_NONCE: 'unique' }));
    const aptoken = await apiSession(demo, key, 'before');
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const broken = new Error('SQLITE_IOERR: disk I/O error');
    const authUnavailable = { Authenticated: false, errormsg: 'Service unavailable' };
    let nonce = 0;
    const expectAuthUnavailable = async (what: string): Promise<void> => {
      const answer = await authenticate(demo, key, { nonce: `n${nonce++}` });
      expect(answer.status, what).toBe(503);
      expect(answer.body, what).toEqual(authUnavailable);
    };
    const expectUnavailable = (answer: SocketAnswer, what: string): void => {
      expect(answer.status, what).toBe(503);
      expect(answer.body, what).toEqual(UNAVAILABLE);
    };
    const manage = (path: string, json: unknown) => call(demo, path, { json, headers: { aptoken: web.token } });

    const find = vi.spyOn(demo.context.credentials, 'findByDigest').mockRejectedValue(broken);
    await expectAuthUnavailable('findByDigest: AuthenticateUser');
    expectUnavailable(await userInfo(demo, aptoken), 'findByDigest: GetUserInfo');
    expectUnavailable(await call(demo, '/ap/SendOrder', { headers: { aptoken } }), 'findByDigest: SendOrder');
    expectUnavailable(await call(demo, '/ap/LogOut', { headers: { aptoken } }), 'findByDigest: LogOut');
    expectUnavailable(await manage('/ap/GetUserAPIKeys', { UserId: web.userId }), 'findByDigest: GetUserAPIKeys');
    find.mockRestore();

    const insert = vi.spyOn(demo.context.credentials, 'insert').mockRejectedValue(broken);
    await expectAuthUnavailable('insert: AuthenticateUser session');
    expectUnavailable(await manage('/ap/AddUserAPIKey', { UserId: web.userId, Permissions: ['Trading'] }), 'insert: AddUserAPIKey');
    const login = await call(demo, '/ap/WebAuthenticateUser', { json: { UserName: 'demo', Password: 'demo-password' } });
    expect(login.status).toBe(503);
    expect(login.body).toEqual(authUnavailable);
    insert.mockRestore();

    const findById = vi.spyOn(demo.context.credentials, 'findById').mockRejectedValue(broken);
    await expectAuthUnavailable('findById: AuthenticateUser session');
    expectUnavailable(await manage('/ap/RemoveUserAPIKey', { UserId: web.userId, ApiKeyId: 'hk_x' }), 'findById: RemoveUserAPIKey');
    findById.mockRestore();

    vi.spyOn(demo.context.credentials, 'listByOwner').mockRejectedValue(broken);
    expectUnavailable(await manage('/ap/GetUserAPIKeys', { UserId: web.userId }), 'listByOwner');
    vi.spyOn(demo.context.credentials, 'revoke').mockRejectedValue(broken);
    expectUnavailable(await manage('/ap/RemoveUserAPIKey', { UserId: web.userId, APIKey: key.APIKey }), 'revoke: RemoveUserAPIKey');
    expectUnavailable(await call(demo, '/ap/LogOut', { headers: { aptoken } }), 'revoke: LogOut');
    // The demo's account directory reports a failing database as STORE_UNAVAILABLE (accounts.test.ts).
    const unavailable = new AuthError('STORE_UNAVAILABLE', { cause: broken });
    const verifyLogin = vi.spyOn(demo.context.accounts, 'verifyLogin').mockRejectedValue(unavailable);
    const webLoginAnswer = await call(demo, '/ap/WebAuthenticateUser', { json: { UserName: 'demo', Password: 'demo-password' } });
    expect(webLoginAnswer.status).toBe(503);
    expect(webLoginAnswer.body).toEqual(authUnavailable);
    // Anything else thrown is a bug, answered 500 in the call shape (the route kit's and the error bridge's rule).
    verifyLogin.mockRejectedValue(broken);
    const loginBug = await call(demo, '/ap/WebAuthenticateUser', { json: { UserName: 'demo', Password: 'demo-password' } });
    expect(loginBug.status).toBe(500);
    expect(loginBug.body).toEqual({ result: false, errormsg: 'Operation Failed', errorcode: 100, detail: null });
    const findAccount = vi.spyOn(demo.context.accounts, 'findById').mockImplementation(() => {
      throw unavailable;
    });
    expectUnavailable(await userInfo(demo, aptoken), 'accounts.findById');
    findAccount.mockImplementation(() => {
      throw broken;
    });
    const infoBug = await userInfo(demo, aptoken);
    expect(infoBug.status).toBe(500);
    expect(infoBug.body).toEqual({ result: false, errormsg: 'Operation Failed', errorcode: 100, detail: null });
    findAccount.mockRestore();
    vi.spyOn(demo.context.ephemeral, 'setIfAbsent').mockRejectedValue(broken);
    await expectAuthUnavailable('ephemeral.setIfAbsent: the nonce');
    vi.spyOn(demo.context.ephemeral, 'get').mockRejectedValue(broken);
    await expectAuthUnavailable('ephemeral.get: the throttle');
    // A valid session needs nothing from the throttle's store (no limit applies to it); a junk token cannot be
    // counted and is refused as unavailable, never let through uncounted.
    expect((await userInfo(demo, aptoken)).status, 'ephemeral.get: a valid aptoken').toBe(200);
    expectUnavailable(await userInfo(demo, randomBytes(32).toString('hex')), 'ephemeral.get: a junk aptoken');

    vi.restoreAllMocks();
    expect((await userInfo(demo, aptoken)).status).toBe(200);
    expect(await apiSession(demo, key, 'after')).toMatch(HEX64);
    expect((await fetch(`${demo.url}/healthz`)).status).toBe(200);
  });

  it('a 1 MB header value or body is a failure, never a crash', async () => {
    const { demo, web, key } = await setUp();
    const huge = 'a'.repeat(1024 * 1024);
    for (const headers of [{ ...fourHeaders(key, sign(key)), APIKey: huge }, { aptoken: huge }]) {
      const answer = await call(demo, '/ap/AuthenticateUser', { headers }).catch((error: Error) => error);
      // Node refuses the header block (431) and may close the socket before the client has finished writing.
      if (answer instanceof Error) expect(answer.message).toMatch(/ECONNRESET|EPIPE|socket hang up/);
      else expect(answer.status).toBe(431);
    }
    // Long but under Node's header limit: malformed, 400.
    expect((await call(demo, '/AuthenticateUser', { headers: { ...fourHeaders(key, sign(key)), APIKey: 'a'.repeat(8000) } })).body).toEqual(MALFORMED);
    expect((await call(demo, '/ap/GetUserInfo', { headers: { aptoken: 'a'.repeat(8000) } })).status).toBe(400);

    const padding = 'x'.repeat(1024 * 1024);
    const asBody = await call(demo, '/AuthenticateUser', { json: { APIKey: key.APIKey, Signature: sign(key), UserId: key.UserId, Nonce: key.Nonce, padding } });
    expect(asBody.status).toBe(413);
    expect(asBody.body).toEqual({ Authenticated: false, errormsg: 'Request too large' });
    const withHeaders = await call(demo, '/AuthenticateUser', { headers: fourHeaders(key, sign(key)), json: { padding } });
    expect(withHeaders.status).toBe(413);
    const login = await call(demo, '/ap/WebAuthenticateUser', { json: { UserName: 'demo', Password: padding } });
    expect(login.status).toBe(413);
    const add = await call(demo, '/ap/AddUserAPIKey', { json: { UserId: web.userId, Permissions: ['Trading'], padding }, headers: { aptoken: web.token } });
    expect(add.status).toBe(413);
    expect(add.body).toEqual({ result: false, errormsg: 'Invalid Request', errorcode: 100, detail: null });

    expect((await fetch(`${demo.url}/healthz`)).status).toBe(200);
    expect((await authenticate(demo, key)).status).toBe(200);
  });

  it('a __proto__ key in a JSON body authenticates nothing and pollutes nothing', async () => {
    const { demo, key } = await setUp();
    const answer = await call(demo, '/AuthenticateUser', {
      rawBody: `{"__proto__":{"APIKey":"${key.APIKey}","Signature":"${sign(key)}","UserId":"${key.UserId}","Nonce":"${key.Nonce}"}}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ Authenticated: false, errormsg: 'APIKey, Signature, UserId and Nonce are required' });
    expect(Object.prototype).not.toHaveProperty('APIKey');
  });

  it('an unknown /ap path is a 404 and another method than POST a 405, both in the APEX shape', async () => {
    const demo = await start();
    for (const path of ['/ap', '/ap/', '/ap/Nothing', '/ap/GetUserInfo/extra']) {
      const answer = await call(demo, path);
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).toMatchObject({ result: false, errorcode: 104 });
    }
    for (const path of ['/AuthenticateUser', '/ap/AuthenticateUser', '/ap/GetUserInfo', '/LogOut']) {
      const answer = await call(demo, path, { method: 'GET' });
      expect(answer.status, path).toBe(405);
      expect(answer.headers['allow'], path).toBe('POST');
      expect(answer.body, path).toMatchObject({ result: false });
    }
  });

  it('GET /api lists the APEX routes', async () => {
    const demo = await start();
    const text = (await call(demo, '/api', { method: 'GET' })).text;
    for (const route of ['AuthenticateUser', 'WebAuthenticateUser', 'AddUserAPIKey', 'GetUserAPIKeys', 'RemoveUserAPIKey', 'GetUserInfo', 'SendOrder', 'LogOut']) {
      expect(text).toContain(`/ap/${route}`);
    }
    expect(text).toContain('printf %s "$NONCE$USERID$APIKEY" | openssl dgst -sha256 -hmac "$SECRET"');
    expect(text).toContain('/v2/user/auth');
  });
});
