import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/vitest.ts', 'src/http/index.ts', 'src/cli.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  treeshake: true,
  // Keep `node:` specifiers (the http entry imports node:http): correct for every runtime that has them.
  removeNodeProtocol: false,
  external: [/^node:/],
});
