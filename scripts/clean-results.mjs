// Removes test results of earlier runs so the summary counts only this run.
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

rmSync(resolve(fileURLToPath(import.meta.url), '../../.artifacts/test-results'), { recursive: true, force: true });
