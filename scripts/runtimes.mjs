// The runtimes the packages promise besides the Node that runs this repository: Node 22 and 24, Bun and Deno.
// Each comes from the npm registry (Node's official binaries republished as node-<platform>-<arch>, Bun as
// @oven/bun-<platform>-<arch>, Deno as @deno/<platform>-<arch>), installed once into a cache folder with
// `npm install --prefix`, then reused. Run alone, it installs them and prints their versions; the other runtime
// scripts import `ensureRuntimes()`.
//
//   node scripts/runtimes.mjs            installs what is missing, prints one line per runtime
//   GATEHOUSE_RUNTIMES_DIR=/cache/dir     where they go (default .artifacts/runtimes)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');

/** The folder the runtimes live in. */
export const RUNTIMES_DIR = resolve(process.env.GATEHOUSE_RUNTIMES_DIR ?? join(root, '.artifacts', 'runtimes'));

const { platform, arch } = process;
// The lines the README names; the newest release of each line is installed.
const SPECS = {
  node22: `npm:node-${platform}-${arch}@22`,
  node24: `npm:node-${platform}-${arch}@24`,
  bun: 'npm:bun@1.4',
  deno: 'npm:deno@2.9',
};

/**
 * Where each binary sits inside the cache. Bun's and Deno's own packages only hold a launcher (Bun's is a
 * placeholder its install script replaces); the binary is in the platform package they depend on, which is used
 * directly, so no install script has to run.
 */
const BINARIES = {
  node22: ['node22/bin/node'],
  node24: ['node24/bin/node'],
  bun: [`@oven/bun-${platform}-${arch}/bin/bun`, `@oven/bun-${platform}-${arch}-baseline/bin/bun`, `@oven/bun-${platform}-${arch}-musl/bin/bun`],
  deno: [`@deno/${platform}-${arch}-glibc/deno`, `@deno/${platform}-${arch}/deno`],
};

const binaryOf = (name) => BINARIES[name].map((path) => join(RUNTIMES_DIR, 'node_modules', path)).find((path) => existsSync(path));

// `v22.23.5`, `1.4.5`, `deno 2.9.6 (stable, release, …)`: the number alone.
const versionOf = (binary) => execFileSync(binary, ['--version'], { encoding: 'utf8' }).match(/\d+\.\d+\.\d+\S*/)[0];

/**
 * Installs the four runtimes into {@link RUNTIMES_DIR} unless they are there already (same specs), and returns
 * each one's binary and version.
 *
 * @example
 * const { node22, bun } = ensureRuntimes();
 * execFileSync(bun.binary, ['run', 'server.mjs']);
 */
export function ensureRuntimes() {
  const stamp = join(RUNTIMES_DIR, 'specs.json');
  const wanted = JSON.stringify(SPECS);
  const complete = () => Object.keys(SPECS).every((name) => binaryOf(name) !== undefined);
  if (!(existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted && complete())) {
    if (platform !== 'linux' && platform !== 'darwin') throw new Error(`no registry binaries are set up for ${platform}`);
    mkdirSync(RUNTIMES_DIR, { recursive: true });
    writeFileSync(join(RUNTIMES_DIR, 'package.json'), JSON.stringify({ name: 'gatehouse-runtimes', private: true }));
    const started = Date.now();
    execFileSync(
      'npm',
      ['install', '--prefix', RUNTIMES_DIR, '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', ...Object.entries(SPECS).map(([alias, spec]) => `${alias}@${spec}`)],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    if (!complete()) throw new Error(`npm installed ${Object.values(SPECS).join(', ')} but a binary is missing from ${RUNTIMES_DIR}`);
    writeFileSync(stamp, wanted);
    console.log(`runtimes: installed into ${RUNTIMES_DIR} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return Object.fromEntries(
    Object.keys(SPECS).map((name) => {
      const binary = binaryOf(name);
      return [name, { binary, version: versionOf(binary) }];
    }),
  );
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const runtimes = ensureRuntimes();
  console.log(`runtimes: node   ${process.version.slice(1).padEnd(8)} ${process.execPath} (the one running this)`);
  for (const [name, { binary, version }] of Object.entries(runtimes)) console.log(`runtimes: ${name.padEnd(6)} ${version.padEnd(8)} ${binary}`);
}
