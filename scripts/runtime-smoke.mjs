// Runtime smoke test for Bun and Deno: starts scripts/runtime-smoke-server.mjs in that runtime (auth-core and the
// three strategies on @gatehouse/hono and on auth-core's Fetch adapter, with memory stores, from the workspace's
// built dist/), then sends real HTTP requests from Node: a valid and a wrong credential of each scheme, checked
// for status and the scheme's own envelope. Inside the runtime it also checks the native crypto build, password
// hashes, @gatehouse/next's handlers and the PostgreSQL and Redis stores (against servers started here). One line
// per check; exits 1 if any failed.
//
//   node scripts/runtime-smoke.mjs --runtime bun      (or --runtime deno; both when none is given)
//
// The runtimes come from the npm registry (scripts/runtimes.mjs). Nothing else is fetched: the server's imports
// resolve through a temporary project whose node_modules link the workspace packages (Bun reads node_modules
// natively; Deno does too when a package.json sits beside the script, its "bring your own node_modules" mode).
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureRuntimes } from './runtimes.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const { values } = parseArgs({ options: { runtime: { type: 'string', multiple: true } } });
const wanted = values.runtime ?? ['bun', 'deno'];
for (const name of wanted) if (name !== 'bun' && name !== 'deno') throw new Error(`--runtime ${name}: bun or deno`);

const PACKAGES = ['auth-core', 'strategy-nvx-hash', 'strategy-access-hash-cookie', 'strategy-hmac-signature', 'hono', 'next', 'store-postgres', 'store-redis'];

/** A project in which `@gatehouse/*` and `hono` resolve to the workspace's own (hono: the copy @gatehouse/hono uses). */
function createProject() {
  const project = mkdtempSync(join(tmpdir(), 'gatehouse-runtime-'));
  mkdirSync(join(project, 'node_modules', '@gatehouse'), { recursive: true });
  for (const folder of PACKAGES) {
    const target = join(root, 'packages', folder);
    if (!existsSync(join(target, 'dist'))) throw new Error(`packages/${folder}/dist is missing: build first (pnpm build)`);
    symlinkSync(target, join(project, 'node_modules', '@gatehouse', folder), 'dir');
  }
  symlinkSync(realpathSync(join(root, 'packages', 'hono', 'node_modules', 'hono')), join(project, 'node_modules', 'hono'), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'gatehouse-runtime-smoke', private: true, type: 'module' }));
  copyFileSync(join(root, 'scripts', 'runtime-smoke-server.mjs'), join(project, 'server.mjs'));
  return project;
}

/** Starts the server and waits for its JSON line. */
function startServer(runtime, binary, project, databases) {
  // Deno: the network of this machine only, and the environment (ioredis reads every variable's name on import).
  const args = [...(runtime === 'bun' ? [] : ['run', '--no-prompt', '--allow-net=127.0.0.1', '--allow-env']), 'server.mjs', ...databases];
  const child = spawn(binary, args, { cwd: project, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => fail(new Error('no ready line within 30 s')), 30_000);
    const fail = (error) => {
      clearTimeout(timer);
      child.kill();
      reject(new Error(`${runtime} server: ${error.message}\n${stdout}${stderr}`));
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline === -1) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      try {
        resolvePromise({ child, ready: JSON.parse(stdout.slice(0, newline)) });
      } catch (error) {
        fail(error);
      }
    });
  });
}

const NVX_WRONG_HASH = { success: false, status: { code: 3, description: 'Wrong hash' } };
const ACCESS_HASH_INVALID = { error: 'Invalid access hash', msg: '', status: 'error' };
const ACCESS_HASH_WRONG_IP = { error: 'Access hash is not valid from this IP address', msg: '', status: 'error' };
const APEX_BAD_SIGNATURE = { Authenticated: false, errormsg: 'Invalid API key, user or signature' };
const APEX_NONCE_USED = { Authenticated: false, errormsg: 'Nonce already used' };
const APEX_NOT_AUTHORIZED = { result: false, errormsg: 'Not Authorized', errorcode: 20, detail: null };

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** The HTTP checks against one of the two servers; each returns [name, failure or null, what was answered]. */
async function httpChecks(base, credentials) {
  const results = [];
  const call = async (path, init) => {
    const response = await fetch(base + path, init);
    const text = await response.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, type: response.headers.get('content-type') ?? '', body, text };
  };
  const expect = async (name, path, init, status, verdict) => {
    try {
      const answer = await call(path, init);
      let failure = answer.status !== status ? `status ${answer.status}, not ${status}` : verdict(answer.body);
      if (failure === null && !answer.type.startsWith('application/json')) failure = `content-type ${answer.type}`;
      results.push([name, failure, `${answer.status} ${answer.text}`]);
      return answer.body;
    } catch (error) {
      results.push([name, String(error), '']);
      return undefined;
    }
  };
  const equal = (expected) => (body) => (same(body, expected) ? null : `body is not ${JSON.stringify(expected)}`);
  const cookie = (hash) => ({ headers: { cookie: `access_hash=${hash}` } });

  const nvx = (hash) => ({ method: 'POST', headers: { authorization: `NVX ${hash}` } });
  await expect('NVX hash in Authorization', '/v2/tracker/list', nvx(credentials.nvxHash), 200, (body) => (body?.success === true && body.user_id === '1' ? null : 'not {"success":true,…,"user_id":"1"}'));
  await expect('wrong NVX hash', '/v2/tracker/list', nvx(randomBytes(16).toString('hex')), 400, equal(NVX_WRONG_HASH));

  await expect('access_hash cookie, peer 127.0.0.1', '/api/status', cookie(credentials.accessHash), 200, equal({ error: '', msg: { owner: 'admin' }, status: 'success' }));
  await expect('wrong access_hash cookie', '/api/status', cookie(randomBytes(40).toString('hex')), 401, equal(ACCESS_HASH_INVALID));
  await expect('access_hash cookie, peer address not given', '/no-peer/api/status', cookie(credentials.accessHash), 403, equal(ACCESS_HASH_WRONG_IP));

  // APEX AuthenticateUser: HMAC-SHA256 over Nonce + UserId + APIKey, keyed with the API secret, hex (KiiEx docs,
  // "Authenticate with API Key"); computed here with node:crypto, not with the strategy's own signer.
  const { APIKey, APISecret, UserId } = credentials.apex;
  const freshNonce = () => String(randomBytes(6).readUIntBE(0, 6));
  const Nonce = freshNonce();
  const signed = (signature) => ({ method: 'POST', headers: { APIKey, Signature: signature, UserId, Nonce } });
  const signature = createHmac('sha256', APISecret).update(`${Nonce}${UserId}${APIKey}`).digest('hex');
  const session = await expect('APEX AuthenticateUser, correct HMAC signature', '/AuthenticateUser', signed(signature), 200, (body) =>
    body?.Authenticated === true && /^[0-9a-f]{64}$/.test(body.SessionToken) && body.User?.UserId === Number(UserId) ? null : 'not {"Authenticated":true,"SessionToken":…}',
  );
  await expect('APEX AuthenticateUser replayed (same nonce)', '/AuthenticateUser', signed(signature), 401, equal(APEX_NONCE_USED));
  await expect('APEX AuthenticateUser, wrong signature', '/AuthenticateUser', { method: 'POST', headers: { APIKey, Signature: randomBytes(32).toString('hex'), UserId, Nonce: freshNonce() } }, 401, equal(APEX_BAD_SIGNATURE));
  const aptoken = (token) => ({ method: 'POST', headers: { aptoken: token } });
  await expect('aptoken from AuthenticateUser on /ap/GetUserInfo', '/ap/GetUserInfo', aptoken(session?.SessionToken ?? 'none'), 200, equal({ UserId: Number(UserId) }));
  await expect('wrong aptoken', '/ap/GetUserInfo', aptoken(randomBytes(32).toString('hex')), 401, equal(APEX_NOT_AUTHORIZED));
  return results;
}

const runtimes = ensureRuntimes();
// Debian's PostgreSQL and Redis on free ports of 127.0.0.1 (the test-servers workspace package, built by pnpm build).
const { startPostgres, startRedis } = await import(join(root, 'tests', 'servers', 'dist', 'index.js'));
const servers = await Promise.all([startPostgres(), startRedis()]);
const databases = servers.map((server) => server.url);
let failures = 0;
try {
  for (const runtime of wanted) await smoke(runtime);
} finally {
  await Promise.all(servers.map((server) => server.close()));
}
process.exit(failures === 0 ? 0 : 1);

/** Starts the server in one runtime, runs every check against it and prints a line for each. */
async function smoke(runtime) {
  const { binary, version } = runtimes[runtime];
  const started = Date.now();
  const project = createProject();
  const label = `${runtime} ${version}`;
  let passed = 0;
  let total = 0;
  const report = (via, name, failure, detail) => {
    total += 1;
    if (failure === null) passed += 1;
    else failures += 1;
    console.log(`${runtime.padEnd(4)} ${via.padEnd(6)} ${failure === null ? 'ok  ' : 'FAIL'} ${name}${failure === null ? '' : ` (${failure})`}: ${detail}`);
  };
  try {
    const { child, ready } = await startServer(runtime, binary, project, databases);
    try {
      for (const { name, ok, detail } of ready.checks) report('in', name, ok ? null : 'failed', detail);
      for (const [via, port] of Object.entries(ready.ports)) {
        for (const [name, failure, detail] of await httpChecks(`http://127.0.0.1:${port}`, ready.credentials)) report(via, name, failure, detail);
      }
    } finally {
      child.kill();
    }
  } catch (error) {
    report('start', 'server', String(error.message ?? error), '');
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
  console.log(`${label}: ${passed} of ${total} checks passed (${((Date.now() - started) / 1000).toFixed(1)} s; "in": inside the runtime, "hono": @gatehouse/hono, "fetch": createFetchRequestAdapter)`);
}
