import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // One PostgreSQL server for the whole run (src/fixtures/global-setup.ts); each test file uses schemas of its own.
    globalSetup: ['./src/fixtures/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
