import { rm } from 'node:fs/promises';
import { build } from 'tsup';
import { BENCH_ENTRIES } from '../../tsup.config.js';
import { SMOKE_BUNDLE_DIRECTORY } from './paths.js';

/**
 * Bundles the benchmark (its entry points and child-process entries) into a private folder, not dist/, so the
 * smoke test never races a concurrent `tsup` build; the workspace packages stay external, as in `pnpm bench`.
 */
export default async function setup(): Promise<() => Promise<void>> {
  await build({
    config: false,
    entry: BENCH_ENTRIES,
    outDir: SMOKE_BUNDLE_DIRECTORY,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    dts: false,
    sourcemap: false,
    clean: true,
    silent: true,
  });
  return async () => {
    await rm(SMOKE_BUNDLE_DIRECTORY, { recursive: true, force: true });
  };
}
