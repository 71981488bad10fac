import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Bundles src/ for the worker-thread tests (workers cannot load TypeScript), so `vitest run` alone works and
    // never races a concurrent `tsup` writing dist/.
    globalSetup: ['./src/fixtures/global-setup.ts'],
  },
});
