// Runs the conformance kit against every example in examples/: builds them (turbo, so their workspace
// dependencies build first), starts each on a free port with its own `start` script, provisions the fixtures
// each scheme profile needs through the example's own routes, runs the conformance CLI for its profiles with
// JSON and JUnit reports under .artifacts/conformance/examples/<example>/, and stops it. Prints one summary
// line per profile run; exits non-zero when a build fails, an example does not start or a run has an
// unexpected result: every MUST and SHOULD case passes or is skipped for want of a capability, except a
// failure an example expects in its own file, with the reason (only Next.js, for what its platform hides), and
// no reply differs from the documented wire format (--strict-wire).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const cli = join(root, 'packages', 'conformance', 'dist', 'cli.js');
const reports = join(root, '.artifacts', 'conformance', 'examples');
const secrets = mkdtempSync(join(tmpdir(), 'gatehouse-examples-'));
const adminToken = randomBytes(24).toString('base64url'); // the access-hash examples' ADMIN_TOKEN

const NVX_FIXTURES = {
  login: 'demo', password: 'demo-password', sub_login: 'demo-sub', sub_password: 'demo-password', panel_login: 'admin', panel_password: 'admin-password',
};

/** The examples, the profiles each one serves, and how their fixtures are made. */
const EXAMPLES = [
  { name: 'express-nvx-hash', profiles: { 'nvx-hash@2': async () => NVX_FIXTURES } },
  { name: 'fastify-access-hash-cookie', profiles: { 'access-hash-cookie@2': accessHashFixtures } },
  { name: 'hono-hmac-signature', profiles: { 'hmac-signature@2': hmacFixtures } },
  // A MUST case Next.js cannot pass (it hands route handlers one Authorization field), expected with its reason.
  { name: 'next-nvx-hash', profiles: { 'nvx-hash@2': async () => NVX_FIXTURES }, expect: 'conformance-expected.json' },
  { name: 'node-http-first-of', profiles: { 'nvx-hash@2': async () => NVX_FIXTURES, 'access-hash-cookie@2': accessHashFixtures } },
];

/** Runs a command to its end; its output is shown. */
function run(command, args) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    child.once('exit', (code) => resolvePromise(code ?? 1));
  });
}

/** Runs a command to its end, keeping its output. */
function capture(command, args) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => resolvePromise({ code: code ?? 1, output }));
  });
}

function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePromise(port));
    });
  });
}

/** A JSON call to an example; `localAddress` picks the source address on loopback. */
function call(baseUrl, method, path, { json, headers = {}, localAddress } = {}) {
  const url = new URL(path, baseUrl);
  const body = json === undefined ? undefined : JSON.stringify(json);
  return new Promise((resolvePromise, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, localAddress, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          let parsed = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            // not JSON: kept as text for the error message
          }
          resolvePromise({ status: res.statusCode, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts an example with its own `start` script (in its own process group) and waits until it answers. */
async function startExample(name, port) {
  const child = spawn('pnpm', ['--silent', 'start'], {
    cwd: join(root, 'examples', name),
    env: { ...process.env, PORT: String(port), ADMIN_TOKEN: adminToken, NEXT_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  let exited = null;
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  child.once('exit', (code, signal) => (exited = code ?? signal));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== null) throw new Error(`${name} exited with ${exited}:\n${output}`);
    if (Date.now() > deadline) {
      await stopExample(child);
      throw new Error(`${name} did not answer on ${baseUrl} within 60 s:\n${output}`);
    }
    try {
      await call(baseUrl, 'GET', '/');
      return { child, baseUrl, output: () => output };
    } catch {
      await new Promise((wake) => setTimeout(wake, 150));
    }
  }
}

function stopExample(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((wake) => child.once('exit', wake));
  try {
    process.kill(-child.pid, 'SIGTERM'); // the group: pnpm and the server it started
  } catch {
    // already gone
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 5_000);
  return exited.finally(() => clearTimeout(timer));
}

function expectStatus(reply, statuses, what) {
  if (!statuses.includes(reply.status)) throw new Error(`${what} failed: HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/**
 * Access hashes through the example's management routes (`POST/DELETE /api/v1/access-hashes`, the administrator's
 * bearer token): the kit makes them (bound to 127.0.0.1 and 127.0.0.2, and a deleted one), deletes one more to check
 * revocation, and removes them when done.
 */
async function accessHashFixtures() {
  return { management_path: '/api/v1/access-hashes', admin_token: adminToken, client_ip: '127.0.0.1', foreign_ip: '127.0.0.2' };
}

/**
 * The example's APEX accounts: the kit signs in as `demo` (WebAuthenticateUser), makes its own keys (AddUserAPIKey: a
 * full one, one without Trading, one for 127.0.0.2 only) and removes them when done (RemoveUserAPIKey); `demo-2` is the
 * other user.
 */
async function hmacFixtures(baseUrl) {
  const other = expectStatus(await call(baseUrl, 'POST', '/ap/WebAuthenticateUser', { json: { UserName: 'demo-2', Password: 'demo-password' } }), [200], 'WebAuthenticateUser demo-2');
  await call(baseUrl, 'POST', '/ap/LogOut', { headers: { aptoken: other.SessionToken } });
  return { login: 'demo', password: 'demo-password', permission: 'Trading', permission_path: '/ap/SendOrder', other_user_id: String(other.User.UserId) };
}

/** One profile run: fixtures in a config file only this user can read (they hold passwords and secrets). */
async function runProfile(example, profile, baseUrl, fixtures, expect) {
  const name = profile.replace('@', '-');
  const dir = join(reports, example);
  mkdirSync(dir, { recursive: true });
  const config = join(secrets, `${example}-${name}.json`);
  writeFileSync(config, JSON.stringify({ profile, baseUrl, fixtures, ...(expect ? { expect: join(root, 'examples', example, expect) } : {}) }), { mode: 0o600 });
  const json = join(dir, `${name}.json`);
  // --strict-wire: the examples make Gatehouse's own choices, the profiles' defaults, so no wire rule may differ.
  const { code, output } = await capture(process.execPath, [cli, 'run', '--config', config, '--strict-wire', '--report-json', json, '--report-junit', join(dir, `${name}.xml`)]);
  if (code !== 0) process.stdout.write(output);
  let summary = { security: { passed: 0, failed: 0 }, wire: { matches: 0, differs: 0 }, skipped: 0, unexpected: 0 };
  let expectedFailures = [];
  try {
    const report = JSON.parse(readFileSync(json, 'utf8'));
    summary = report.summary;
    expectedFailures = report.results.filter((result) => result.status === 'failed' && result.expected === 'fail').map((result) => result.id);
  } catch {
    // no report: the run could not complete (the output above says why)
  }
  return { code, summary, expectedFailures };
}

const started = Date.now();
const lines = [];
let failed = false;
try {
  // One turbo run for all of them: the packages they use build first, in parallel, from turbo's cache when unchanged.
  const buildStarted = Date.now();
  const built = await run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only', ...EXAMPLES.map(({ name }) => `--filter=example-${name}...`)]);
  lines.push(`build (turbo, ${EXAMPLES.length} examples and their dependencies): ${built === 0 ? 'ok' : `exit ${built}`} in ${((Date.now() - buildStarted) / 1000).toFixed(1)} s`);
  if (built !== 0) throw new Error('the build failed');

  for (const { name, profiles, expect } of EXAMPLES) {
    const exampleStarted = Date.now();
    let example;
    try {
      example = await startExample(name, await freePort());
      for (const [profile, fixturesOf] of Object.entries(profiles)) {
        const { code, summary, expectedFailures } = await runProfile(name, profile, example.baseUrl, await fixturesOf(example.baseUrl), expect);
        if (code !== 0) failed = true;
        const expected = expectedFailures.length === 0 ? '' : ` (expected: ${expectedFailures.join(', ')})`;
        lines.push(
          `${name.padEnd(27)} ${profile.padEnd(21)} ${code === 0 ? 'ok  ' : 'FAIL'} ${summary.security.passed} passed, ${summary.security.failed} failed${expected}, ` +
            `${summary.skipped} skipped, ${summary.unexpected} unexpected; wire ${summary.wire.matches} as documented, ${summary.wire.differs} different ` +
            `(${((Date.now() - exampleStarted) / 1000).toFixed(1)} s)`,
        );
      }
    } catch (error) {
      failed = true;
      lines.push(`${name.padEnd(27)} FAIL ${error instanceof Error ? error.message : String(error)}`);
      if (example) process.stdout.write(example.output());
    } finally {
      if (example) await stopExample(example.child);
    }
  }
} catch (error) {
  failed = true;
  lines.push(`FAIL ${error instanceof Error ? error.message : String(error)}`);
} finally {
  rmSync(secrets, { recursive: true, force: true });
}
console.log(`\nconformance of the examples (reports: ${relative(root, reports)}/):\n${lines.map((line) => `  ${line}`).join('\n')}`);
console.log(`  total ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
