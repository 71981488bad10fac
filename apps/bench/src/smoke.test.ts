import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { median, percentile } from './stats.js';
import { SMOKE_BUNDLE_DIRECTORY } from './smoke/paths.js';
import type { BenchResults } from './report.js';
import { SCHEMES } from './schemes.js';

// The benchmark runs in CI only as this smoke run: every path (in-process, HTTP servers and peers, scale with
// the memory and SQLite stores) with tiny sizes. It asserts that each produced numbers, never what they are.
const folder = mkdtempSync(join(tmpdir(), 'gatehouse-bench-smoke-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function runSmoke(): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(
    process.execPath,
    [join(SMOKE_BUNDLE_DIRECTORY, 'main.js'), '--smoke', '--out', join(folder, 'BENCHMARKS.md'), '--json', join(folder, 'results.json')],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

const positive = (value: number): boolean => Number.isFinite(value) && value > 0;

describe('pnpm bench (smoke run)', () => {
  it('runs every benchmark path and reports a number for each', async () => {
    const { code, stderr } = await runSmoke();
    expect(code, stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(folder, 'results.json'), 'utf8')) as BenchResults;
    const markdown = readFileSync(join(folder, 'BENCHMARKS.md'), 'utf8');

    const inProcess = results.inProcess ?? [];
    for (const scheme of SCHEMES) {
      // `createHash` is a reference beside `hash()` for the lookup schemes; AuthenticateUser's floor is `createHmac`.
      const layers = ['primitive', 'noble', 'gatehouse-crypto', 'promise-floor', 'contract-floor', 'strategy', 'fetch', 'node', 'fetch-portable', ...(scheme === 'hmac' ? [] : ['reference'])];
      for (const layer of layers) {
        for (const credential of ['valid', 'wrong']) {
          const found = inProcess.find((row) => row.scheme === scheme && row.layer === layer && row.credential === credential);
          expect(found && positive(found.opsPerSecond) && positive(found.ratio), `${scheme} ${layer} ${credential}`).toBe(true);
        }
      }
    }
    const issued = inProcess.find((row) => row.scheme === 'hmac' && row.layer === 'strategy-issued');
    expect(issued && positive(issued.opsPerSecond) && positive(issued.ratio)).toBe(true);
    expect(markdown).toContain('noncePolicy `unique` (a fresh nonce per call)');

    const http = results.http;
    const rows = http?.rows ?? [];
    const expectedRows = [
      ...SCHEMES.flatMap((scheme) => [`node/none/${scheme}`, `node/${scheme}/${scheme}`]),
      ...(['express', 'fastify', 'hono'] as const).flatMap((framework) => [`${framework}/none/nvx`, `${framework}/noop/nvx`, `${framework}/nvx/nvx`]),
      'express/passport/passport',
      'fastify/fastify-bearer/fastify-bearer',
      'hono/hono-bearer/hono-bearer',
    ];
    expect(rows.map((row) => `${row.framework}/${row.auth}/${row.requests}`).sort()).toEqual([...expectedRows].sort());
    for (const row of rows) {
      expect([row.rps, row.cpuMicros, ...row.rounds.flatMap((round) => [round.rps, round.cpuMicros])].every(positive), `${row.framework}/${row.auth}`).toBe(true);
    }
    // Every Gatehouse row and every peer is compared with its baseline; the CPU added may be negative in noise.
    const comparisons = http?.comparisons ?? [];
    expect(comparisons.map((entry) => `${entry.framework}/${entry.auth}`).sort()).toEqual(
      [...SCHEMES.map((scheme) => `node/${scheme}`), 'express/nvx', 'fastify/nvx', 'hono/nvx', 'express/passport', 'fastify/fastify-bearer', 'hono/hono-bearer'].sort(),
    );
    for (const entry of comparisons) {
      expect(positive(entry.rpsRatio) && positive(entry.cpuRatio) && Number.isFinite(entry.extraCpuMicros), `${entry.framework}/${entry.auth}`).toBe(true);
    }
    // The Targets section has both HTTP targets for each adapter, each with a verdict.
    const targetLines = markdown.split('\n').filter((line) => line.startsWith('| HTTP: '));
    for (const framework of ['Express 5', 'Fastify 5', 'Hono (@hono/node-server)']) {
      const lines = targetLines.filter((line) => line.startsWith(`| HTTP: ${framework} + Gatehouse NVX API key`));
      expect(lines.map((line) => line.includes("below every peer's")).sort(), framework).toEqual([false, true]);
      for (const line of lines) expect(line, framework).toMatch(/\| (met|\*\*missed\*\*) \|$/);
    }

    const scale = results.scale;
    expect(scale).toBeDefined();
    expect([scale!.small.opsPerSecond, scale!.large.opsPerSecond, scale!.large.primitiveOpsPerSecond, scale!.large.bytesPerCredential, scale!.slowdown].every(positive)).toBe(true);
    for (const store of [scale!.sqlite, scale!.postgres]) {
      for (const summary of [store.findByDigest, store.verifyRepeat, store.verifyFirstUse]) {
        expect([summary.p50, summary.p99].every(positive)).toBe(true);
      }
    }
    expect(scale!.ephemeral.map((entry) => entry.store)).toEqual(['sqlite', 'postgres', 'redis']);
    for (const entry of scale!.ephemeral) expect([entry.setIfAbsent.p50, entry.setIfAbsent.p99, entry.increment.p99].every(positive)).toBe(true);
    expect(markdown).toMatch(/PostgreSQL \d+ p50/);
    expect(markdown).toContain('Redis (Lua script, loopback)');

    expect(markdown).toContain('## Targets');
    expect(markdown).toContain(`${results.machine.cores} cores`);
    expect(markdown).toContain(results.machine.node);
  }, 120_000);
});

describe('statistics', () => {
  it('takes medians and nearest-rank percentiles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
  });
});
