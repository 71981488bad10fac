import { defineConfig } from 'tsup';

/** The benchmark's entry points; child processes (servers, the scale runs) are their own entries. */
export const BENCH_ENTRIES = {
  main: 'src/main.ts',
  'http-server': 'src/http/server-child.ts',
  'scale-child': 'src/scale/child.ts',
  // Loaded at run time under a resolve hook (the portable build of auth-core), so each is its own file.
  'portable-hooks': 'src/portable/hooks.ts',
  'portable-strategies': 'src/portable/strategies.ts',
  'portable-probe': 'src/portable/probe.ts',
};

export default defineConfig({
  entry: BENCH_ENTRIES,
  format: ['esm'],
  dts: false,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
});
