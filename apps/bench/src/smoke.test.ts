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
      for (const layer of ['primitive', 'reference', 'gatehouse-crypto', 'strategy', 'fetch', 'node']) {
        for (const credential of ['valid', 'wrong']) {
          const found = inProcess.find((row) => row.scheme === scheme && row.layer === layer && row.credential === credential);
          expect(found && positive(found.opsPerSecond) && positive(found.ratio), `${scheme} ${layer} ${credential}`).toBe(true);
        }
      }
    }

    const pairs = results.http?.pairs ?? [];
    expect(pairs.map((pair) => `${pair.framework}/${pair.auth}`)).toEqual(
      expect.arrayContaining([...SCHEMES.flatMap((scheme) => [`node/${scheme}`, `hono/${scheme}`]), 'hono/noop', 'express/passport', 'hono/bearer']),
    );
    for (const pair of pairs) {
      expect([pair.withoutRps, pair.withRps, pair.ratio, pair.withCpuMicros].every(positive), `${pair.framework}/${pair.auth}`).toBe(true);
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
