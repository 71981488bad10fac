import { join } from 'node:path';
import { defineConfig, type Options } from 'tsup';

const entry = { index: 'src/index.ts', strategy: 'src/entry/strategy.ts', crypto: 'src/entry/crypto.ts', node: 'src/node.ts' };
const shared: Options = { entry, format: ['esm'], sourcemap: true, target: 'es2022', treeshake: true, clean: false };

export default defineConfig([
  // The portable build (`default` condition): @noble/hashes for every digest, HMAC and scrypt.
  { ...shared, outDir: 'dist', platform: 'neutral', dts: true },
  // The build for Node, Bun and Deno (`node`, `bun`, `deno` conditions): the same code with `node:crypto` as the
  // backend, chosen here once rather than sniffed on every call.
  {
    ...shared,
    outDir: 'dist/native',
    // Neutral, with node: built-ins left as written: Deno resolves only the `node:` spelling.
    platform: 'neutral',
    external: [/^node:/],
    removeNodeProtocol: false,
    dts: false,
    esbuildPlugins: [
      {
        name: 'native-crypto-backend',
        setup(build) {
          build.onResolve({ filter: /(^|\/)backend\/index\.js$/ }, (args) => ({ path: join(args.resolveDir, args.path.replace(/index\.js$/, 'node.ts')) }));
        },
      },
    ],
  },
]);
