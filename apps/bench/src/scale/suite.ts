import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchSizes } from '../config.js';
import { formatCount, formatMicros, formatRate, formatRatio, table, verdict } from '../markdown.js';
import { median } from '../stats.js';
import { startPostgres, startRedis } from '@gatehouse/test-servers';
import type { EphemeralDone, MemoryReady, ScaleTask, SqliteDone } from './child.js';

export interface MemoryStoreResult {
  readonly count: number;
  readonly bytesPerCredential: number;
  readonly fillSeconds: number;
  /** Median over rounds of NVX verify throughput (prepared AuthRequest). */
  readonly opsPerSecond: number;
  readonly perRound: readonly number[];
  /** The same for the bare primitive (noble SHA-256 + Map.get) on a Map of as many records. */
  readonly primitiveOpsPerSecond: number;
}

export interface ScaleResults {
  readonly perOwner: number;
  readonly pool: number;
  readonly small: MemoryStoreResult;
  readonly large: MemoryStoreResult;
  /** Verify time at the large size ÷ at the small size (small ops/s ÷ large ops/s). */
  readonly slowdown: number;
  /** The same for the bare primitive. */
  readonly primitiveSlowdown: number;
  readonly sqlite: SqliteDone;
  /** The same measurements on PostgreSQL over loopback, at the same size. */
  readonly postgres: SqliteDone;
  /** The nonce path (and failure counting) of each ephemeral store, side by side. */
  readonly ephemeral: EphemeralDone['stores'];
  /** The PostgreSQL server measured (major version). */
  readonly postgresVersion: number;
}

export const SCALE_TARGETS = { slowdown: 1.2, bytesPerCredential: 300, sqliteP99Micros: 50 } as const;

const CHILD_ENTRY = fileURLToPath(new URL('./scale-child.js', import.meta.url));

function startChild(task: ScaleTask): ChildProcess {
  return spawn(process.execPath, ['--expose-gc', CHILD_ENTRY, JSON.stringify(task)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function nextMessage<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`scale child (${what}) exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', (message: T) => {
      child.off('exit', onExit);
      resolve(message);
    });
  });
}

/**
 * Runs the scale suite: two memory stores (small and large) in two processes, measured in alternating rounds,
 * then the SQLite store at the large size in a third.
 */
export async function runScale(sizes: BenchSizes, log: (line: string) => void = () => {}): Promise<ScaleResults> {
  const { small, large, sqlite, perOwner, pool, rounds, timeMs, sqliteLookups } = sizes.scale;
  const batch = sizes.inProcess.batch;
  const memoryTask = (count: number): ScaleTask => ({ part: 'memory', count, perOwner, pool, timeMs, batch });
  const smallChild = startChild(memoryTask(small));
  const smallReady = await nextMessage<MemoryReady>(smallChild, 'small');
  log(`scale: ${small} credentials in memory, ${smallReady.bytesPerCredential.toFixed(0)} B each`);
  const largeChild = startChild(memoryTask(large));
  const largeReady = await nextMessage<MemoryReady>(largeChild, 'large');
  log(`scale: ${large} credentials in memory in ${largeReady.fillSeconds.toFixed(1)} s, ${largeReady.bytesPerCredential.toFixed(0)} B each`);
  const smallRounds: number[] = [];
  const largeRounds: number[] = [];
  const smallPrimitive: number[] = [];
  const largePrimitive: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [child, list, primitives] of [
        [smallChild, smallRounds, smallPrimitive],
        [largeChild, largeRounds, largePrimitive],
      ] as const) {
        const reply = nextMessage<{ opsPerSecond: number; primitiveOpsPerSecond: number }>(child, 'round');
        child.send({ type: 'round' });
        const { opsPerSecond, primitiveOpsPerSecond } = await reply;
        list.push(opsPerSecond);
        primitives.push(primitiveOpsPerSecond);
      }
      log(`scale round ${round + 1}/${rounds}: ${Math.round(smallRounds.at(-1)!)} vs ${Math.round(largeRounds.at(-1)!)} verifies/s`);
    }
  } finally {
    for (const child of [smallChild, largeChild]) {
      child.removeAllListeners('exit');
      child.send({ type: 'stop' });
    }
  }
  const result = (ready: MemoryReady, perRound: number[], primitives: number[]): MemoryStoreResult => ({
    count: ready.count,
    bytesPerCredential: ready.bytesPerCredential,
    fillSeconds: ready.fillSeconds,
    opsPerSecond: median(perRound),
    perRound,
    primitiveOpsPerSecond: median(primitives),
  });

  log(`scale: filling SQLite with ${sqlite} credentials`);
  const sqliteChild = startChild({ part: 'sqlite', count: sqlite, perOwner, lookups: sqliteLookups, workingSet: Math.min(10_000, sqlite) });
  const sqliteDone = await nextMessage<SqliteDone>(sqliteChild, 'sqlite');
  log(`scale: SQLite filled in ${sqliteDone.insertSeconds.toFixed(1)} s; findByDigest p99 ${sqliteDone.findByDigest.p99.toFixed(1)} µs`);

  // Real servers on loopback, started for the run from Debian's binaries (durability off: fsync and
  // synchronous_commit, which lookups never wait on).
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  let postgresDone: SqliteDone;
  let ephemeralDone: EphemeralDone;
  try {
    log(`scale: filling PostgreSQL ${postgres.version} with ${sqlite} credentials`);
    const postgresChild = startChild({ part: 'postgres', url: postgres.url, count: sqlite, perOwner, lookups: sqliteLookups, workingSet: Math.min(10_000, sqlite) });
    postgresDone = await nextMessage<SqliteDone>(postgresChild, 'postgres');
    log(`scale: PostgreSQL loaded in ${postgresDone.insertSeconds.toFixed(1)} s; findByDigest p99 ${postgresDone.findByDigest.p99.toFixed(1)} µs`);
    const ephemeralChild = startChild({ part: 'ephemeral', postgresUrl: postgres.url, redisUrl: redis.url, operations: sqliteLookups / 5 });
    ephemeralDone = await nextMessage<EphemeralDone>(ephemeralChild, 'ephemeral');
  } finally {
    await Promise.all([postgres.close(), redis.close()]);
  }
  const smallResult = result(smallReady, smallRounds, smallPrimitive);
  const largeResult = result(largeReady, largeRounds, largePrimitive);
  return {
    perOwner,
    pool,
    small: smallResult,
    large: largeResult,
    slowdown: smallResult.opsPerSecond / largeResult.opsPerSecond,
    primitiveSlowdown: smallResult.primitiveOpsPerSecond / largeResult.primitiveOpsPerSecond,
    sqlite: sqliteDone,
    postgres: postgresDone,
    ephemeral: ephemeralDone.stores,
    postgresVersion: postgres.version,
  };
}

export function scaleTargets(results: ScaleResults): { name: string; value: string; met: boolean }[] {
  const { small, large, slowdown, sqlite } = results;
  return [
    { name: `memory store verify, ${formatCount(large.count)} vs ${formatCount(small.count)} credentials: within ${SCALE_TARGETS.slowdown}x`, value: `${formatRatio(slowdown)} (bare primitive: ${formatRatio(results.primitiveSlowdown)})`, met: slowdown <= SCALE_TARGETS.slowdown },
    { name: `memory per credential ≤ ${SCALE_TARGETS.bytesPerCredential} bytes`, value: `${large.bytesPerCredential.toFixed(0)} B`, met: large.bytesPerCredential <= SCALE_TARGETS.bytesPerCredential },
    { name: `SQLite findByDigest p99 < ${SCALE_TARGETS.sqliteP99Micros} µs`, value: `${formatMicros(sqlite.findByDigest.p99)} µs`, met: sqlite.findByDigest.p99 < SCALE_TARGETS.sqliteP99Micros },
    { name: `SQLite NVX verify p99 < ${SCALE_TARGETS.sqliteP99Micros} µs`, value: `${formatMicros(sqlite.verifyRepeat.p99)} µs`, met: sqlite.verifyRepeat.p99 < SCALE_TARGETS.sqliteP99Micros },
  ];
}

export function renderScale(results: ScaleResults): string {
  const { small, large, sqlite } = results;
  const memory = table(
    ['memory store', 'credentials', 'NVX verify ops/s', 'verify time vs small', 'bare primitive ops/s (reference)', 'primitive time vs small', 'heap per credential'],
    [
      ['small', formatCount(small.count), formatRate(small.opsPerSecond), '1.00x', formatRate(small.primitiveOpsPerSecond), '1.00x', `${small.bytesPerCredential.toFixed(0)} B`],
      [
        'large',
        formatCount(large.count),
        formatRate(large.opsPerSecond),
        formatRatio(results.slowdown),
        formatRate(large.primitiveOpsPerSecond),
        formatRatio(results.primitiveSlowdown),
        `${large.bytesPerCredential.toFixed(0)} B`,
      ],
    ],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const row = (name: string, summary: SqliteDone['findByDigest']): string[] => [
    name,
    formatCount(summary.count),
    formatMicros(summary.p50),
    formatMicros(summary.p99),
    formatMicros(summary.mean),
    verdict(summary.p99 < SCALE_TARGETS.sqliteP99Micros),
  ];
  const lite = table(
    ['SQLite, ' + formatCount(sqlite.count) + ' credentials', 'timed calls', 'p50 µs', 'p99 µs', 'mean µs', 'p99 < 50 µs'],
    [
      row('`findByDigest` (digest precomputed), uniform over all records', sqlite.findByDigest),
      row('NVX `authenticate` (prepared AuthRequest), credential used within the touch interval', sqlite.verifyRepeat),
      [...row('NVX `authenticate`, first use in the touch interval (writes `last_used_at`)', sqlite.verifyFirstUse).slice(0, 5), 'informational'],
    ],
    ['l', 'r', 'r', 'r', 'r', 'l'],
  );
  const { postgres } = results;
  const side = table(
    [`${formatCount(postgres.count)} credentials, same calls`, 'SQLite p50 µs', 'SQLite p99 µs', `PostgreSQL ${results.postgresVersion} p50 µs`, 'PostgreSQL p99 µs'],
    [
      ['`findByDigest`, uniform over all records', sqlite.findByDigest, postgres.findByDigest],
      ['NVX `authenticate`, used within the touch interval', sqlite.verifyRepeat, postgres.verifyRepeat],
      ['NVX `authenticate`, first use (writes `last_used_at`)', sqlite.verifyFirstUse, postgres.verifyFirstUse],
    ].map(([name, a, b]) => {
      const [left, right] = [a, b] as [SqliteDone['findByDigest'], SqliteDone['findByDigest']];
      return [name as string, formatMicros(left.p50), formatMicros(left.p99), formatMicros(right.p50), formatMicros(right.p99)];
    }),
    ['l', 'r', 'r', 'r', 'r'],
  );
  const names = { sqlite: 'SQLite (file, WAL)', postgres: 'PostgreSQL (unlogged table, loopback)', redis: 'Redis (Lua script, loopback)' } as const;
  const nonces = table(
    ['ephemeral store', 'nonce `setIfAbsent` p50 µs', 'p99 µs', 'failure `increment` p50 µs', 'p99 µs', 'calls each'],
    results.ephemeral.map((entry) => [
      names[entry.store],
      formatMicros(entry.setIfAbsent.p50),
      formatMicros(entry.setIfAbsent.p99),
      formatMicros(entry.increment.p50),
      formatMicros(entry.increment.p99),
      formatCount(entry.setIfAbsent.count),
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r'],
  );
  return (
    `${memory}\n\n${lite}\n\nSQLite fill: ${formatCount(sqlite.count)} inserts in one transaction in ${sqlite.insertSeconds.toFixed(1)} s; file ${sqlite.fileMiB.toFixed(0)} MiB.\n\n` +
    `${side}\n\nPostgreSQL load: ${formatCount(postgres.count)} rows in batches of 10,000 in ${postgres.insertSeconds.toFixed(1)} s; table with indexes ${postgres.fileMiB.toFixed(0)} MiB. ` +
    'Every PostgreSQL call is one round trip over loopback TCP through node-postgres (a pool, prepared statements).\n\n' +
    `${nonces}`
  );
}
