// The scale measurements, each in its own process started with --expose-gc, so heap deltas belong to one store.
// Started with the JSON of a ScaleTask; talks over IPC:
//   memory: → { type: 'ready', ... } after filling the store; ← { type: 'round' } → { type: 'round', opsPerSecond,
//           primitiveOpsPerSecond };
//           ← { type: 'stop' }
//   sqlite, postgres: → { type: 'done', ... }
//   ephemeral: → { type: 'ephemeral-done', ... }
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createMemoryCredentialStore, type AuthStrategy, type CredentialStore, type EphemeralStore } from '@gatehouse/auth-core';
import { createSecretDigester } from '@gatehouse/auth-core/crypto';
import { openPostgresStores } from '@gatehouse/store-postgres';
import { openRedisEphemeralStore } from '@gatehouse/store-redis';
import { openSqliteStores } from '@gatehouse/store-sqlite';
import { nvxHash } from '@gatehouse/strategy-nvx-hash';
import pg from 'pg';
import { Bench } from 'tinybench';
import { nobleDigestLookup } from '../primitives.js';
import { credentialHeaders, preparedAuthRequest, ROUTES } from '../schemes.js';
import { mean, percentile } from '../stats.js';
import { MAX_KEYS_PER_OWNER, nvxApiKeyRecord, nvxTokenOf, poolIndices, sampleIndices } from './records.js';

export type ScaleTask =
  | { readonly part: 'memory'; readonly count: number; readonly perOwner: number; readonly pool: number; readonly timeMs: number; readonly batch: number }
  | { readonly part: 'sqlite'; readonly count: number; readonly perOwner: number; readonly lookups: number; readonly workingSet: number }
  | {
      readonly part: 'postgres';
      readonly url: string;
      readonly count: number;
      readonly perOwner: number;
      readonly lookups: number;
      readonly workingSet: number;
    }
  | { readonly part: 'ephemeral'; readonly postgresUrl: string; readonly redisUrl: string; readonly operations: number };

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly count: number;
}

export interface MemoryReady {
  readonly type: 'ready';
  readonly count: number;
  readonly bytesPerCredential: number;
  readonly heapUsedMiB: number;
  readonly fillSeconds: number;
}

/** Store lookups and NVX verification at scale (the SQLite file, or PostgreSQL over loopback). */
export interface SqliteDone {
  readonly type: 'done';
  readonly count: number;
  readonly insertSeconds: number;
  readonly fileMiB: number;
  /** µs: findByDigest of a precomputed digest, uniformly over every record. */
  readonly findByDigest: LatencySummary;
  /** µs: NVX verify of a credential used within the touch interval (no write). */
  readonly verifyRepeat: LatencySummary;
  /** µs: NVX verify of a credential's first use in the touch interval (includes the debounced last_used_at write). */
  readonly verifyFirstUse: LatencySummary;
}

/** µs per nonce check (`setIfAbsent` of a fresh key) and per failure count (`increment`), by ephemeral store. */
export interface EphemeralDone {
  readonly type: 'ephemeral-done';
  readonly stores: readonly { readonly store: 'sqlite' | 'postgres' | 'redis'; readonly setIfAbsent: LatencySummary; readonly increment: LatencySummary }[];
}

const task = JSON.parse(process.argv[2] ?? '{}') as ScaleTask;
const send = (message: unknown): void => {
  process.send?.(message);
};
const collect = (): void => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('start the scale child with --expose-gc');
  for (let i = 0; i < 4; i++) gc();
};

const { method, path } = ROUTES.nvx;
const requestFor = (token: string) => preparedAuthRequest(method, path, credentialHeaders('nvx', token));

async function fill(store: CredentialStore, count: number, perOwner: number, limit: boolean): Promise<void> {
  const digest = createSecretDigester();
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const record = nvxApiKeyRecord(i, nvxTokenOf(i), digest, perOwner, now);
    // As the manager inserts: atomically under the per-owner limit.
    const result = await store.insert(record, limit ? { maxActivePerOwner: MAX_KEYS_PER_OWNER, now } : {});
    if (result.type !== 'inserted') throw new Error(`insert ${i}: ${result.type}`);
  }
}

function summarize(micros: number[]): LatencySummary {
  return { p50: percentile(micros, 50), p99: percentile(micros, 99), mean: mean(micros), count: micros.length };
}

async function timeEach<T>(inputs: readonly T[], run: (input: T) => Promise<unknown>, check: (result: unknown) => boolean): Promise<number[]> {
  const micros: number[] = new Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i] as T;
    const start = performance.now();
    const result = await run(input);
    micros[i] = (performance.now() - start) * 1000;
    if (!check(result)) throw new Error(`lookup ${i} failed`);
  }
  return micros;
}

const authenticated = (outcome: unknown): boolean => (outcome as { type: string }).type === 'authenticated';

async function memoryPart(spec: Extract<ScaleTask, { part: 'memory' }>): Promise<void> {
  collect();
  const before = process.memoryUsage().heapUsed;
  const started = performance.now();
  const store = createMemoryCredentialStore();
  await fill(store, spec.count, spec.perOwner, true);
  const fillSeconds = (performance.now() - started) / 1000;
  collect();
  const after = process.memoryUsage().heapUsed;
  send({
    type: 'ready',
    count: spec.count,
    bytesPerCredential: (after - before) / spec.count,
    heapUsedMiB: after / 2 ** 20,
    fillSeconds,
  } satisfies MemoryReady);

  const strategy: AuthStrategy = nvxHash({ store });
  // The bare primitive at the same size, for reference: noble SHA-256 + Map.get on a Map of every record by digest.
  const table = new Map<string, unknown>();
  const digest = createSecretDigester();
  for (let i = 0; i < spec.count; i++) {
    const key = digest(nvxTokenOf(i));
    table.set(key, await store.findByDigest(key));
  }
  // The same number of distinct prepared requests for every store size, so the benchmark's own objects cost the
  // same in both; only the store differs. A store smaller than the pool has each credential several times.
  const indices = poolIndices(spec.count, spec.pool);
  const requests = indices.map((i) => requestFor(nvxTokenOf(i)));
  const tokens = indices.map((i) => nvxTokenOf(i));
  let next = 0;
  let nextToken = 0;
  let sink: unknown;
  const batch = spec.batch;
  const runPrimitive = () => {
    const start = performance.now();
    for (let i = 0; i < batch; i++) {
      sink = nobleDigestLookup(table, tokens[nextToken] as string);
      nextToken = nextToken + 1 === tokens.length ? 0 : nextToken + 1;
    }
    const elapsed = performance.now() - start;
    return { overriddenDuration: elapsed / batch, overriddenIterationCost: elapsed };
  };
  const run = async () => {
    const start = performance.now();
    for (let i = 0; i < batch; i++) {
      sink = await strategy.authenticate(requests[next] as (typeof requests)[number]);
      next = next + 1 === requests.length ? 0 : next + 1;
    }
    const elapsed = performance.now() - start;
    return { overriddenDuration: elapsed / batch, overriddenIterationCost: elapsed };
  };
  // Every sampled credential once, checked; this also spends each record's first (debounced) touch.
  for (const request of requests) if (!authenticated(await strategy.authenticate(request))) throw new Error('a sampled credential did not verify');
  process.on('message', async (message: { type?: string }) => {
    if (message?.type === 'round') {
      const bench = new Bench({ time: spec.timeMs, warmupTime: spec.timeMs / 4, iterations: 4, warmupIterations: 2, throws: true });
      bench.add('verify', run, { async: true });
      bench.add('primitive', runPrimitive);
      await bench.run();
      const rate = (name: string): number => {
        const result = bench.getTask(name)?.result;
        if (result === undefined || result.state !== 'completed') throw new Error(`no result for ${name}`);
        return 1000 / result.latency.mean;
      };
      send({ type: 'round', opsPerSecond: rate('verify'), primitiveOpsPerSecond: rate('primitive') });
    } else if (message?.type === 'stop') {
      void sink;
      process.exit(0);
    }
  });
}

async function sqlitePart(spec: Extract<ScaleTask, { part: 'sqlite' }>): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const file = join(folder, 'scale.db');
  try {
    const stores = openSqliteStores(file);
    const started = performance.now();
    // One transaction for the whole fill: each insert runs its prepared statement synchronously.
    stores.database.exec('BEGIN');
    await fill(stores.credentials, spec.count, spec.perOwner, false);
    stores.database.exec('COMMIT');
    const insertSeconds = (performance.now() - started) / 1000;
    stores.database.pragma('wal_checkpoint(TRUNCATE)');
    const fileMiB = statSync(file).size / 2 ** 20;

    const digest = createSecretDigester();
    const strategy = nvxHash({ store: stores.credentials });
    // Uniform over every record: each lookup is a cold B-tree walk more often than not.
    const uniform = Array.from({ length: spec.lookups }, () => Math.floor(Math.random() * spec.count));
    const digests = uniform.map((i) => digest(nvxTokenOf(i)));
    const found = (record: unknown): boolean => record !== null;
    await timeEach(digests.slice(0, Math.min(1000, digests.length)), (d) => stores.credentials.findByDigest(d), found);
    const findByDigest = summarize(await timeEach(digests, (d) => stores.credentials.findByDigest(d), found));

    // First use: credentials never used before (each verify also records last_used_at, once per interval).
    const fresh = sampleIndices(spec.count, spec.workingSet).map((i) => requestFor(nvxTokenOf(i)));
    const verifyFirstUse = summarize(await timeEach(fresh, (request) => strategy.authenticate(request), authenticated));
    // Repeat use: random requests over that same working set, now all used within the interval.
    const repeat = Array.from({ length: spec.lookups }, () => fresh[Math.floor(Math.random() * fresh.length)] as (typeof fresh)[number]);
    const verifyRepeat = summarize(await timeEach(repeat, (request) => strategy.authenticate(request), authenticated));
    stores.close();
    send({ type: 'done', count: spec.count, insertSeconds, fileMiB, findByDigest, verifyRepeat, verifyFirstUse } satisfies SqliteDone);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  process.exit(0);
}

/** Loads records straight into the table, 10,000 a statement: what `store.insert` writes, a million times faster to load. */
async function bulkLoad(pool: pg.Pool, count: number, perOwner: number): Promise<void> {
  const digest = createSecretDigester();
  const now = Date.now();
  for (let start = 0; start < count; start += 10_000) {
    const rows = Array.from({ length: Math.min(10_000, count - start) }, (_, k) => nvxApiKeyRecord(start + k, nvxTokenOf(start + k), digest, perOwner, now));
    await pool.query(
      `INSERT INTO gatehouse.credentials (id, digest, strategy, kind, owner_id, label, hint, scopes, allowed_ips, attributes, created_at)
       SELECT id, digest, strategy, kind, owner_id, label, hint, '[]', '[]', attributes::json, created_at
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[])
         AS loaded(id, digest, strategy, kind, owner_id, label, hint, attributes, created_at)`,
      [
        rows.map((row) => row.id),
        rows.map((row) => row.digest),
        rows.map((row) => row.strategy),
        rows.map((row) => row.kind),
        rows.map((row) => row.ownerId),
        rows.map((row) => row.label),
        rows.map((row) => row.hint),
        rows.map((row) => JSON.stringify(row.attributes)),
        rows.map((row) => row.createdAt),
      ],
    );
  }
  await pool.query('ANALYZE gatehouse.credentials');
}

async function postgresPart(spec: Extract<ScaleTask, { part: 'postgres' }>): Promise<void> {
  const stores = await openPostgresStores(spec.url);
  try {
    const started = performance.now();
    await bulkLoad(stores.pool, spec.count, spec.perOwner);
    const insertSeconds = (performance.now() - started) / 1000;
    const size = await stores.pool.query<{ bytes: string }>("SELECT pg_total_relation_size('gatehouse.credentials') AS bytes");
    const fileMiB = Number(size.rows[0]?.bytes ?? 0) / 2 ** 20;
    const sample = await stores.credentials.findByDigest(createSecretDigester()(nvxTokenOf(0)));
    if (sample === null || sample.ownerId !== 'user-0') throw new Error('bulk-loaded record not found through the store');

    const digest = createSecretDigester();
    const strategy = nvxHash({ store: stores.credentials });
    const uniform = Array.from({ length: spec.lookups }, () => Math.floor(Math.random() * spec.count));
    const digests = uniform.map((i) => digest(nvxTokenOf(i)));
    const found = (record: unknown): boolean => record !== null;
    await timeEach(digests.slice(0, Math.min(1000, digests.length)), (d) => stores.credentials.findByDigest(d), found);
    const findByDigest = summarize(await timeEach(digests, (d) => stores.credentials.findByDigest(d), found));
    const fresh = sampleIndices(spec.count, spec.workingSet).map((i) => requestFor(nvxTokenOf(i)));
    const verifyFirstUse = summarize(await timeEach(fresh, (request) => strategy.authenticate(request), authenticated));
    const repeat = Array.from({ length: spec.lookups }, () => fresh[Math.floor(Math.random() * fresh.length)] as (typeof fresh)[number]);
    const verifyRepeat = summarize(await timeEach(repeat, (request) => strategy.authenticate(request), authenticated));
    send({ type: 'done', count: spec.count, insertSeconds, fileMiB, findByDigest, verifyRepeat, verifyFirstUse } satisfies SqliteDone);
  } finally {
    await stores.close();
  }
  process.exit(0);
}

/** The nonce path of each ephemeral store, side by side: a fresh nonce checked, a failure counted. */
async function ephemeralPart(spec: Extract<ScaleTask, { part: 'ephemeral' }>): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const sqlite = openSqliteStores(join(folder, 'ephemeral.db'));
  const postgres = await openPostgresStores(spec.postgresUrl, { schema: 'bench_ephemeral' });
  const redis = await openRedisEphemeralStore(spec.redisUrl);
  try {
    const candidates: [EphemeralDone['stores'][number]['store'], EphemeralStore][] = [
      ['sqlite', sqlite.ephemeral],
      ['postgres', postgres.ephemeral],
      ['redis', redis],
    ];
    const nonces = Array.from({ length: spec.operations }, (_, i) => `nonce:bench-key:${Date.now()}-${i}`);
    const counters = Array.from({ length: spec.operations }, (_, i) => `throttle:nvx-hash:10.0.${(i >> 8) & 255}.${i & 255}`);
    const results: EphemeralDone['stores'][number][] = [];
    for (const [store, ephemeral] of candidates) {
      await timeEach(nonces.slice(0, 100).map((n) => `warm:${n}`), (key) => ephemeral.setIfAbsent(key, 600), (fresh) => fresh === true);
      const setIfAbsent = summarize(await timeEach(nonces, (key) => ephemeral.setIfAbsent(key, 600), (fresh) => fresh === true));
      const increment = summarize(await timeEach(counters, (key) => ephemeral.increment(key, 900), (value) => typeof value === 'number'));
      results.push({ store, setIfAbsent, increment });
    }
    send({ type: 'ephemeral-done', stores: results } satisfies EphemeralDone);
  } finally {
    sqlite.close();
    await postgres.close();
    await redis.close();
    rmSync(folder, { recursive: true, force: true });
  }
  process.exit(0);
}

if (task.part === 'memory') await memoryPart(task);
else if (task.part === 'sqlite') await sqlitePart(task);
else if (task.part === 'postgres') await postgresPart(task);
else await ephemeralPart(task);
