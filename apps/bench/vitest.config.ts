import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Bundles src/ into a private folder for the smoke test, which runs the benchmark as a user would (child
    // processes cannot load TypeScript), without racing a concurrent `tsup` writing dist/.
    globalSetup: ['./src/smoke/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
