import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', strategy: 'src/entry/strategy.ts', crypto: 'src/entry/crypto.ts', node: 'src/node.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  treeshake: true,
});
