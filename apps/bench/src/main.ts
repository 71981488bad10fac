import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FULL, SMOKE } from './config.js';
import { runHttp, type HttpResults } from './http/suite.js';
import { runInProcess, type InProcessResult } from './inprocess/suite.js';
import { describeMachine } from './machine.js';
import { renderReport, type BenchResults } from './report.js';
import { runScale, type ScaleResults } from './scale/suite.js';

const SUITES = ['inprocess', 'http', 'scale'] as const;
type Suite = (typeof SUITES)[number];

const usage = `Usage: node dist/main.js [--smoke] [--only inprocess,http,scale] [--out BENCHMARKS.md] [--json results.json]

  --smoke   tiny sizes: every benchmark path runs in a few seconds (for CI); numbers mean nothing
  --only    run only these suites (comma-separated)
  --out     where to write the Markdown report (default: BENCHMARKS.md at the repository root;
            with --smoke, nothing is written unless --out is given)
  --json    where to write the raw results as JSON (default: .artifacts/bench/results.json; with --smoke, none)
  --render FILE  measure nothing: rewrite the report from results saved with --json (e.g. after editing FINDINGS.md)`;

/** The nearest folder above `start` with pnpm-workspace.yaml. */
function findRepositoryRoot(start: string): string {
  for (let folder = start; ; folder = dirname(folder)) {
    if (existsSync(resolve(folder, 'pnpm-workspace.yaml'))) return folder;
    if (dirname(folder) === folder) return process.cwd();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'string' },
      render: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const repositoryRoot = findRepositoryRoot(dirname(fileURLToPath(import.meta.url)));
  if (values.render !== undefined) {
    const saved = JSON.parse(readFileSync(values.render, 'utf8')) as BenchResults;
    const out = values.out ?? (saved.mode === 'smoke' ? undefined : resolve(repositoryRoot, 'BENCHMARKS.md'));
    const markdown = renderReport(saved);
    if (out === undefined) console.log(markdown);
    else writeFileSync(out, markdown);
    return;
  }
  const sizes = values.smoke ? SMOKE : FULL;
  const only = values.only === undefined ? [...SUITES] : values.only.split(',').map((name) => name.trim());
  for (const name of only) if (!(SUITES as readonly string[]).includes(name)) throw new Error(`unknown suite ${name}\n\n${usage}`);
  const wanted = (suite: Suite): boolean => only.includes(suite);
  const log = (line: string): void => console.error(`[bench] ${line}`);

  const machine = describeMachine();
  log(`${sizes.mode} run on ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}`);
  const started = Date.now();
  let inProcess: InProcessResult[] | undefined;
  let http: HttpResults | undefined;
  let scale: ScaleResults | undefined;
  if (wanted('inprocess')) inProcess = await runInProcess(sizes, log);
  if (wanted('http')) http = await runHttp(sizes, log);
  if (wanted('scale')) scale = await runScale(sizes, log);
  const results: BenchResults = { mode: sizes.mode, machine, sizes, durationSeconds: (Date.now() - started) / 1000, inProcess, http, scale };

  const markdown = renderReport(results);
  console.log(markdown);
  const out = values.out ?? (values.smoke ? undefined : resolve(repositoryRoot, 'BENCHMARKS.md'));
  if (out !== undefined) {
    mkdirSync(dirname(resolve(out)), { recursive: true });
    writeFileSync(out, markdown);
    log(`wrote ${out}`);
  }
  // The raw results, so the report can be rewritten later without measuring again (--render).
  const json = values.json ?? (values.smoke ? undefined : resolve(repositoryRoot, '.artifacts/bench/results.json'));
  if (json !== undefined) {
    mkdirSync(dirname(resolve(json)), { recursive: true });
    writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${json}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
