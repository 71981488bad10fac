// The packages on Node 22 and 24 (pnpm check runs everything on the Node of the machine, 20): the unit tests of
// auth-core, the three strategies and the four framework adapters, each package's `vitest run` with that Node
// first on PATH, then the packaging smoke test (scripts/pack-smoke.mjs: the packed tarballs installed alone and
// exercised) without its TypeScript compile steps, which do not depend on the Node version and pnpm check runs.
// Prints the test totals per Node version; exits 1 if anything failed.
//
//   node scripts/node-versions.mjs                     Node 22 and 24, tests and packaging smoke test
//   node scripts/node-versions.mjs --node 24 --no-pack-smoke
//
// Needs the workspace built (pnpm build, or pnpm check before it). Test reports go to .artifacts/node-versions/.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureRuntimes } from './runtimes.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const { values } = parseArgs({ options: { node: { type: 'string', multiple: true }, 'no-pack-smoke': { type: 'boolean', default: false } } });
const versions = values.node ?? ['22', '24'];
for (const version of versions) if (version !== '22' && version !== '24') throw new Error(`--node ${version}: 22 or 24`);

const PACKAGES = ['auth-core', 'strategy-nvx-hash', 'strategy-access-hash-cookie', 'strategy-hmac-signature', 'express', 'fastify', 'hono', 'next'];
const VITEST = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const REPORTS = join(root, '.artifacts', 'node-versions');

/** Runs a command to its end, keeping what it printed. */
function run(command, args, options) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', (error) => resolvePromise({ code: -1, output: `${output}${error.message}\n` }));
    child.once('exit', (code, signal) => resolvePromise({ code: code ?? signal, output }));
  });
}

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const runtimes = ensureRuntimes();
const totals = [];
for (const major of versions) {
  const { binary, version } = runtimes[`node${major}`];
  const env = { ...process.env, PATH: `${dirname(binary)}:${process.env.PATH}` };
  const label = `node ${version}`;
  const started = Date.now();
  const tally = { passed: 0, failed: 0, skipped: 0, broken: [] };
  rmSync(join(REPORTS, `node${major}`), { recursive: true, force: true });
  for (const folder of PACKAGES) {
    const report = join(REPORTS, `node${major}`, `${folder}.json`);
    const since = Date.now();
    const { code, output } = await run(binary, [VITEST, 'run', '--reporter=dot', '--reporter=json', `--outputFile.json=${report}`], { cwd: join(root, 'packages', folder), env: { ...env, NO_COLOR: '1' } });
    if (!existsSync(report)) {
      tally.broken.push(folder);
      console.log(`${label} ${folder.padEnd(28)} no report (exit ${code})\n${output}`);
      continue;
    }
    const result = JSON.parse(readFileSync(report, 'utf8'));
    tally.passed += result.numPassedTests;
    tally.failed += result.numFailedTests;
    tally.skipped += result.numPendingTests + result.numTodoTests;
    if (code !== 0 || result.numFailedTests > 0) tally.broken.push(folder);
    console.log(`${label} ${folder.padEnd(28)} ${result.numPassedTests} passed, ${result.numFailedTests} failed (${seconds(since)})`);
    // On a failure, vitest's account of it (everything from its "Failed Tests" heading on).
    if (code !== 0) process.stdout.write(output.slice(Math.max(0, output.indexOf('Failed Tests') - 20)));
  }
  let packSmoke = 'not run';
  if (!values['no-pack-smoke']) {
    const since = Date.now();
    const { code, output } = await run(binary, [join(root, 'scripts', 'pack-smoke.mjs'), '--no-type-check'], { cwd: root, env });
    for (const line of output.trimEnd().split('\n')) console.log(`${label} pack-smoke ${line}`);
    packSmoke = code === 0 ? `passed (${seconds(since)})` : `FAILED (exit ${code})`;
    if (code !== 0) tally.broken.push('pack-smoke');
  }
  const line = `Node ${version}: ${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped in ${PACKAGES.length} packages; packaging smoke test ${packSmoke}; ${seconds(started)}`;
  console.log(line);
  totals.push({ line, ok: tally.broken.length === 0 });
}
// The same packages on this machine's Node, from pnpm check's reports when they are there, to compare with.
const reference = { passed: 0, failed: 0, skipped: 0, found: 0 };
for (const folder of PACKAGES) {
  const report = join(root, '.artifacts', 'test-results', `${folder}.json`);
  if (!existsSync(report)) continue;
  const result = JSON.parse(readFileSync(report, 'utf8'));
  reference.passed += result.numPassedTests;
  reference.failed += result.numFailedTests;
  reference.skipped += result.numPendingTests + result.numTodoTests;
  reference.found += 1;
}
if (reference.found === PACKAGES.length) {
  console.log(`Node ${process.versions.node} (pnpm check's reports): ${reference.passed} passed, ${reference.failed} failed, ${reference.skipped} skipped in the same ${PACKAGES.length} packages`);
}
process.exit(totals.every(({ ok }) => ok) ? 0 : 1);
