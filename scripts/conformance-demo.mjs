// Starts the demo on a free port with a fresh database, provisions the fixtures each scheme profile needs
// through the demo's own routes, and runs the conformance CLI against it for the three scheme profiles,
// keeping JSON and JUnit reports under .artifacts/conformance/. Exits non-zero on any unexpected result.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const reports = join(root, '.artifacts', 'conformance');
mkdirSync(reports, { recursive: true });
const data = mkdtempSync(join(tmpdir(), 'gatehouse-conformance-'));
const cli = join(root, 'packages', 'conformance', 'dist', 'cli.js');

function startDemo() {
  const child = spawn(process.execPath, [join(root, 'apps', 'demo', 'dist', 'main.js')], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', GATEHOUSE_DB: join(data, 'demo.db'), GATEHOUSE_PASSWORD_COST: '10', GATEHOUSE_HMAC_NONCE: 'unique', GATEHOUSE_MAX_FAILURES: '1000000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start:\n${output}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, baseUrl: match[1] });
      }
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`the demo exited with ${code}:\n${output}`)));
  });
}

/** A JSON call to the demo; `localAddress` picks the source address on loopback. */
function call(baseUrl, method, path, { json, headers = {}, localAddress } = {}) {
  const url = new URL(path, baseUrl);
  const body = json === undefined ? undefined : JSON.stringify(json);
  return new Promise((resolvePromise, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, localAddress, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolvePromise({ status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function runCli(args) {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: 'inherit' });
    child.once('exit', (code) => resolvePromise(code ?? 1));
  });
}

const { child, baseUrl } = await startDemo();
let failed = false;
try {
  // Access hashes: the panel administrator creates one bound to 127.0.0.1 (where the kit connects from) and
  // one bound to 127.0.0.2.
  const login = await call(baseUrl, 'POST', '/api/v1/auth/login', { json: { login: 'admin', password: 'admin-password' } });
  const cookie = String(login.headers['set-cookie']).split(';')[0];
  const createHash = async (name, ip) => {
    const created = await call(baseUrl, 'POST', '/api/v1/access-hashes', { json: { name, ip }, headers: { cookie, origin: baseUrl } });
    if (created.status !== 201 && created.status !== 200) throw new Error(`creating an access hash failed: ${JSON.stringify(created.body)}`);
    return created.body.msg.hash;
  };
  const accessHash = await createHash('conformance', '127.0.0.1');
  const foreignAccessHash = await createHash('conformance-foreign', '127.0.0.2');
  const listed = await call(baseUrl, 'GET', '/api/v1/access-hashes', { headers: { cookie } });
  const revokedAccessHash = await createHash('conformance-revoked', '127.0.0.1');
  const revokedId = (await call(baseUrl, 'GET', '/api/v1/access-hashes', { headers: { cookie } })).body.msg.find((row) => !listed.body.msg.some((old) => old.id === row.id)).id;
  await call(baseUrl, 'DELETE', `/api/v1/access-hashes/${revokedId}`, { headers: { cookie, 'content-type': 'application/json', origin: baseUrl } });

  // HMAC keys for the master user: a full one, one without Trading, one restricted to 127.0.0.2.
  const web = await call(baseUrl, 'POST', '/ap/WebAuthenticateUser', { json: { UserName: 'demo', Password: 'demo-password' } });
  const aptoken = web.body.SessionToken;
  const userId = web.body.User.UserId;
  const addKey = async (permissions, allowedIps) => {
    const added = await call(baseUrl, 'POST', '/ap/AddUserAPIKey', { json: { UserId: userId, Permissions: permissions, ...(allowedIps ? { AllowedIps: allowedIps } : {}) }, headers: { aptoken } });
    if (added.status !== 200) throw new Error(`AddUserAPIKey failed: ${JSON.stringify(added.body)}`);
    return added.body;
  };
  const full = await addKey(['Trading', 'Deposit', 'Withdraw']);
  const limited = await addKey(['Deposit']);
  const restricted = await addKey(['Trading'], ['127.0.0.2']);
  const sub = await call(baseUrl, 'POST', '/ap/WebAuthenticateUser', { json: { UserName: 'demo-sub', Password: 'demo-password' } });

  const runs = [
    ['nvx-hash@1', ['login=demo', 'password=demo-password', 'sub_login=demo-sub', 'sub_password=demo-password', 'panel_login=admin', 'panel_password=admin-password', 'query_hash=enabled']],
    ['access-hash-cookie@1', [`access_hash=${accessHash}`, `foreign_access_hash=${foreignAccessHash}`, `revoked_access_hash=${revokedAccessHash}`, 'client_ip=127.0.0.1', 'foreign_ip=127.0.0.2']],
    [
      'hmac-signature@1',
      [
        `api_key=${full.APIKey}`, `api_secret=${full.APISecret}`, `nonce=${full.Nonce}`, `user_id=${userId}`, 'nonce_policy=unique',
        `other_user_id=${sub.body.User.UserId}`,
        `limited_api_key=${limited.APIKey}`, `limited_api_secret=${limited.APISecret}`, `limited_nonce=${limited.Nonce}`, 'permission_path=/ap/SendOrder',
        `ip_restricted_api_key=${restricted.APIKey}`, `ip_restricted_api_secret=${restricted.APISecret}`, `ip_restricted_nonce=${restricted.Nonce}`, 'allowed_ip=127.0.0.2',
      ],
    ],
  ];
  for (const [profile, fixtures] of runs) {
    const name = profile.replace('@', '-');
    console.log(`\nconformance: ${profile} against the demo at ${baseUrl}`);
    const code = await runCli([
      'run', '--profile', profile, '--base-url', baseUrl,
      ...fixtures.flatMap((fixture) => ['--set', fixture]),
      '--report-json', join(reports, `${name}.json`), '--report-junit', join(reports, `${name}.xml`),
    ]);
    if (code !== 0) failed = true;
  }
} finally {
  child.kill('SIGTERM');
  rmSync(data, { recursive: true, force: true });
}
console.log(`\nconformance reports: ${reports}`);
process.exit(failed ? 1 : 0);
