// Starts the demo on a free port with a fresh database, provisions the fixtures each scheme profile needs
// through the demo's own routes, and runs the conformance CLI against it for the three scheme profiles,
// keeping JSON and JUnit reports under .artifacts/conformance/. Exits non-zero on any unexpected result or any
// difference from the documented wire format.
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
  // The panel administrator's session: the kit makes, checks and deletes its own access hashes through the demo's
  // management route with it.
  const login = await call(baseUrl, 'POST', '/api/v1/auth/login', { json: { login: 'admin', password: 'admin-password' } });
  const cookie = String(login.headers['set-cookie']).split(';')[0];

  // The other APEX user, for HMAC-USER-001 and HMAC-LEAK-001.
  const sub = await call(baseUrl, 'POST', '/ap/WebAuthenticateUser', { json: { UserName: 'demo-sub', Password: 'demo-password' } });

  const runs = [
    // The demo accepts ?hash= (it says so when it starts): it declares query_hash=enabled.
    ['nvx-hash@2', ['login=demo', 'password=demo-password', 'sub_login=demo-sub', 'sub_password=demo-password', 'panel_login=admin', 'panel_password=admin-password'], ['query_hash=enabled']],
    ['access-hash-cookie@2', ['client_ip=127.0.0.1', 'foreign_ip=127.0.0.2', 'management_path=/api/v1/access-hashes', `admin_header=Cookie: ${cookie}`]],
    // The kit makes its own APEX keys (WebAuthenticateUser, AddUserAPIKey) and removes them (RemoveUserAPIKey); the
    // demo was started with GATEHOUSE_HMAC_NONCE=unique, which it declares.
    ['hmac-signature@2', ['login=demo', 'password=demo-password', 'permission=Trading', 'permission_path=/ap/SendOrder', `other_user_id=${sub.body.User.UserId}`], ['nonce_policy=unique']],
  ];
  for (const [profile, fixtures, parameters = []] of runs) {
    const name = profile.replace('@', '-');
    console.log(`\nconformance: ${profile} against the demo at ${baseUrl}`);
    const code = await runCli([
      // --strict-wire: Gatehouse's own choices are the profiles' defaults, so the demo differs from no wire rule.
      'run', '--profile', profile, '--base-url', baseUrl, '--strict-wire',
      ...fixtures.flatMap((fixture) => ['--set', fixture]),
      ...parameters.flatMap((parameter) => ['--param', parameter]),
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
