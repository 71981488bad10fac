import { fileURLToPath } from 'node:url';

/** Where the global setup bundles the benchmark for the smoke test (inside node_modules: ignored everywhere). */
export const SMOKE_BUNDLE_DIRECTORY: string = fileURLToPath(new URL('../../node_modules/.bench-smoke/', import.meta.url));
