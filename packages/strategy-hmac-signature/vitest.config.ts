import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Property tests run 10,000 cases each, and CI runs every package at once on two cores: a limit only catches
    // a hang (no test asserts a time).
    testTimeout: 60_000,
  },
});
