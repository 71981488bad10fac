// Replays a flood of failed logins against the built demo and prints what it did to the server: its memory
// (resident set, from /proc) and the latency of /healthz asked every 20 ms meanwhile, before and during the flood.
//
//   node scripts/login-flood.mjs [--logins 100] [--addresses 10] [--demo apps/demo/dist/main.js]
//
// The logins go to all four password forms (Navixy user/auth and panel/account/auth, the panel's
// /api/v1/auth/login, APEX WebAuthenticateUser), all at once, from 127.0.0.1 … 127.0.0.<addresses>, with the real
// password cost (scrypt N = 2^15, 32 MiB a check). Linux only (/proc).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const { values } = parseArgs({
  options: {
    logins: { type: 'string', default: '100' },
    addresses: { type: 'string', default: '10' },
    demo: { type: 'string', default: join(root, 'apps', 'demo', 'dist', 'main.js') },
  },
});
const logins = Number(values.logins);
const addresses = Number(values.addresses);
const data = mkdtempSync(join(tmpdir(), 'gatehouse-flood-'));

function startDemo() {
  const child = spawn(process.execPath, [values.demo], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', GATEHOUSE_DB: join(data, 'demo.db'), GATEHOUSE_PASSWORD_COST: '15', GATEHOUSE_MAX_FAILURES: '1000000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start:\n${output}`)), 60_000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening on http:\/\/[^:]+:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, port: Number(match[1]) });
      }
    });
    child.stderr.on('data', () => undefined);
    child.once('exit', (code) => reject(new Error(`the demo exited with ${code}:\n${output}`)));
  });
}

function call(port, path, { method = 'GET', json, from = '127.0.0.1' } = {}) {
  const body = json === undefined ? undefined : JSON.stringify(json);
  const started = performance.now();
  return new Promise((resolvePromise) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: body === undefined ? method : 'POST', localAddress: from, agent: false, headers: body === undefined ? {} : { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolvePromise({ status: res.statusCode, ms: performance.now() - started }));
      },
    );
    req.on('error', (error) => resolvePromise({ status: `error ${error.code ?? error.message}`, ms: performance.now() - started }));
    req.end(body);
  });
}

/** Sends every login at once from a child process and returns their answers. */
function floodFromAnotherProcess(port) {
  const script = `
    import { request } from 'node:http';
    const forms = [${forms.map((form) => form.toString()).join(', ')}];
    const call = ${call.toString()};
    const answers = await Promise.all(Array.from({ length: ${logins} }, (_, n) => call(${port}, forms[n % forms.length](n).path, { ...forms[n % forms.length](n), from: '127.0.0.' + (1 + (n % ${addresses})) })));
    process.stdout.write(JSON.stringify(answers));
  `;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => (code === 0 ? resolvePromise(JSON.parse(output)) : reject(new Error(`the flood process exited with ${code}`))));
  });
}

const rssMiB = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

const forms = [
  (n) => ({ path: `/v2/user/auth?login=nobody${n}&password=x` }),
  (n) => ({ path: '/v2/panel/account/auth', json: { login: `nobody${n}`, password: 'x' } }),
  (n) => ({ path: '/api/v1/auth/login', json: { login: `nobody${n}`, password: 'x' } }),
  (n) => ({ path: '/ap/WebAuthenticateUser', json: { UserName: `nobody${n}`, Password: 'x' } }),
];

const { child, port } = await startDemo();
try {
  await new Promise((r) => setTimeout(r, 500));
  const idle = rssMiB(child.pid);
  const quiet = [];
  for (let i = 0; i < 25; i++) quiet.push((await call(port, '/healthz')).ms);

  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(child.pid))), 10);
  const during = [];
  let flooding = true;
  const poller = (async () => {
    while (flooding) {
      during.push((await call(port, '/healthz')).ms);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const started = performance.now();
  // The flood comes from another process, as real clients would: this one only measures.
  const answers = await floodFromAnotherProcess(port);
  const floodMs = performance.now() - started;
  flooding = false;
  await poller;
  clearInterval(sampler);

  const statuses = {};
  for (const answer of answers) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
  const q = [...quiet].sort((a, b) => a - b);
  const d = [...during].sort((a, b) => a - b);
  console.log(`login flood: ${logins} failed logins at once from ${addresses} addresses over the 4 password forms, scrypt cost 2^15`);
  console.log(`  answers: ${Object.entries(statuses).map(([status, count]) => `${count} × ${status}`).join(', ')}; all answered in ${floodMs.toFixed(0)} ms`);
  console.log(`  memory (resident): ${idle.toFixed(0)} MiB idle, ${peak.toFixed(0)} MiB at the peak (+${(peak - idle).toFixed(0)} MiB)`);
  console.log(`  /healthz before:   p50 ${percentile(q, 50).toFixed(1)} ms, p99 ${percentile(q, 99).toFixed(1)} ms (${q.length} requests)`);
  console.log(`  /healthz during:   p50 ${percentile(d, 50).toFixed(1)} ms, p99 ${percentile(d, 99).toFixed(1)} ms, max ${d.at(-1)?.toFixed(1)} ms (${d.length} requests)`);
} finally {
  child.kill();
  rmSync(data, { recursive: true, force: true });
}
