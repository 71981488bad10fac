import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTemporaryFolders, temporaryDatabasePath } from './fixtures/helpers.js';
import { STORE_WORKER, WORKER_BUNDLE_DIRECTORY } from './fixtures/paths.js';
import { SQLITE_SCHEMA_VERSION } from './index.js';

afterAll(removeTemporaryFolders);

interface WorkerResult {
  userVersion: number;
  inserted: number;
  limitExceeded: number;
  conflict: number;
  setKeys: string[];
}

/**
 * Starts `workerCount` worker threads on one database file; each opens its own connection at the same moment
 * (a shared barrier), then runs `mode` at the same moment.
 */
async function runWorkers(
  workerCount: number,
  path: string,
  mode: 'open' | 'insert' | 'setIfAbsent',
  extra: { count?: number; keys?: string[] } = {},
): Promise<WorkerResult[]> {
  const barrier = new SharedArrayBuffer(8);
  const bundle = pathToFileURL(join(WORKER_BUNDLE_DIRECTORY, 'index.js')).href;
  return Promise.all(
    Array.from(
      { length: workerCount },
      (_, workerIndex) =>
        new Promise<WorkerResult>((resolve, reject) => {
          const worker = new Worker(STORE_WORKER, {
            workerData: { bundle, path, mode, workerIndex, workerCount, barrier, ...extra },
          });
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.once('exit', (code) => {
            if (code !== 0) reject(new Error(`worker ${workerIndex} exited with code ${code}`));
          });
        }),
    ),
  );
}

function count(path: string, sql: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('across connections and threads', () => {
  it('migrates a new file once when several connections open it at the same moment', async () => {
    const path = temporaryDatabasePath();
    const results = await runWorkers(6, path, 'open');
    expect(results.map((result) => result.userVersion)).toEqual(Array(6).fill(SQLITE_SCHEMA_VERSION));
    expect(count(path, "SELECT COUNT(*) FROM sqlite_schema WHERE name IN ('credentials', 'ephemeral', 'health_probe')")).toBe(3);
  });

  it('holds maxActivePerOwner across connections: 4 threads × 25 inserts with a limit of 20 store exactly 20', async () => {
    const path = temporaryDatabasePath();
    const results = await runWorkers(4, path, 'insert', { count: 25 });
    const inserted = results.reduce((sum, result) => sum + result.inserted, 0);
    const refused = results.reduce((sum, result) => sum + result.limitExceeded, 0);
    expect(inserted).toBe(20);
    expect(refused).toBe(80);
    expect(results.every((result) => result.conflict === 0)).toBe(true);
    expect(count(path, "SELECT COUNT(*) FROM credentials WHERE owner_id = 'owner-1'")).toBe(20);
  });

  it('lets exactly one connection win setIfAbsent on a key (4 threads racing on 50 keys)', async () => {
    const path = temporaryDatabasePath();
    const keys = Array.from({ length: 50 }, (_, i) => `nonce:k1:${i}`);
    const results = await runWorkers(4, path, 'setIfAbsent', { keys });
    const winners = results.flatMap((result) => result.setKeys);
    expect(winners).toHaveLength(keys.length);
    expect(new Set(winners)).toEqual(new Set(keys));
    expect(count(path, 'SELECT COUNT(*) FROM ephemeral')).toBe(keys.length);
  });
});
