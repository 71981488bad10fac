import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // One Redis server and one three-node Redis Cluster for the run (src/fixtures/global-setup.ts); tests isolate
    // themselves by key prefix.
    globalSetup: ['./src/fixtures/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
