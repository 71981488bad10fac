import { defineConfig } from 'tsup';

export default defineConfig({
  // `./conformance`: the scheme's conformance cases, for `gatehouse-conformance run --scheme`.
  entry: { index: 'src/index.ts', conformance: 'src/conformance-scheme.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  treeshake: true,
  // The kit that runs the scheme provides it: never bundled, so its classes are the kit's own.
  external: ['@gatehouse/conformance'],
});
