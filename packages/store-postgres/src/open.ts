import {
  ConfigurationError,
  systemClock,
  type Clock,
  type CredentialStore,
  type EphemeralStore,
  type StoreHealth,
} from '@gatehouse/auth-core';
import pg from 'pg';
import { createPostgresCredentialStore } from './credential-store.js';
import { createDatabase, statement, type Database } from './database.js';
import { createPostgresEphemeralStore } from './ephemeral-store.js';
import { migrate, quoteSchema, SCHEMA_NAME_PATTERN, verifySchema } from './schema.js';

/**
 * Options of {@link openPostgresStores}.
 *
 * @example
 * ```ts
 * const options: PostgresStoresOptions = { schema: 'auth', queryTimeoutInMilliseconds: 1000 };
 * await openPostgresStores(process.env.DATABASE_URL!, options);
 * ```
 */
export interface PostgresStoresOptions {
  /**
   * The schema holding Gatehouse's tables (`credentials`, `ephemeral`, `health_probe`, `schema_migrations`),
   * created if missing. Lowercase letters, digits and `_`, not starting with a digit, at most 63 characters.
   * Default `gatehouse`.
   */
  readonly schema?: string;
  /**
   * `apply` (default): bring the schema up to date on open, under an advisory lock (instances starting together
   * migrate once). `verify`: only check it is up to date and throw otherwise, for applications without DDL
   * rights that run {@link applyPostgresMigrations} in a deployment step.
   */
  readonly migrations?: 'apply' | 'verify';
  /** The clock the ephemeral store reads for expiry. Default: the system clock. Instances need synchronised clocks (NTP). */
  readonly clock?: Clock;
  /** The least time between two `last_used_at` writes for one credential. A non-negative number; default 60. */
  readonly touchIntervalInSeconds?: number;
  /**
   * The longest a store call waits for its query (node-postgres `query_timeout`; on a pool built here also the
   * server's `statement_timeout`). A call that runs out rejects, which a strategy answers `STORE_UNAVAILABLE`.
   * A positive integer; default 2000. `deleteInactive` and migrations may take up to 60 s or this, if longer.
   */
  readonly queryTimeoutInMilliseconds?: number;
  /**
   * The longest a store call waits for a connection, from the pool or a new one (a server that is down refuses at
   * once; one that is unreachable would otherwise hang on the TCP connect). A positive integer; default 2000.
   */
  readonly connectTimeoutInMilliseconds?: number;
  /** Connections of a pool built here (from a connection string or config). A positive integer; default 10. */
  readonly maxConnections?: number;
  /** Expired ephemeral rows are swept every this many ephemeral writes of this process. Default 1000. */
  readonly sweepEveryWrites?: number;
}

/**
 * What {@link openPostgresStores} returns.
 *
 * @example
 * ```ts
 * const stores: PostgresStores = await openPostgresStores('postgres://app@db/app');
 * await stores.credentials.findByDigest(digest);
 * await stores.close();
 * ```
 */
export interface PostgresStores {
  /** Durable credential records (`<schema>.credentials`). */
  readonly credentials: CredentialStore;
  /** Nonces, counters and rate limits (`<schema>.ephemeral`). */
  readonly ephemeral: EphemeralStore;
  /** The pool the stores use: the one passed in, or the one built here. */
  readonly pool: pg.Pool;
  /** Ends the pool if it was built here (a pool passed in is left open: its owner ends it). Idempotent. */
  close(): Promise<void>;
}

const MAX_TIMEOUT = 2_147_483_647;
const MAINTENANCE_TIMEOUT_IN_MILLISECONDS = 60_000;

interface ResolvedOptions {
  readonly schema: string;
  readonly migrations: 'apply' | 'verify';
  readonly clock: Clock;
  readonly touchIntervalMs: number;
  readonly queryTimeout: number;
  readonly connectTimeout: number;
  readonly maxConnections: number;
  readonly sweepEveryWrites: number;
}

function positiveInteger(name: string, value: unknown, fallback: number, max = MAX_TIMEOUT): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new ConfigurationError(name, `must be an integer from 1 to ${max}`);
  }
  return value;
}

function resolveOptions(options: unknown): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new ConfigurationError('options', 'must be an object when given');
  const known = new Set([
    'schema', 'migrations', 'clock', 'touchIntervalInSeconds', 'queryTimeoutInMilliseconds',
    'connectTimeoutInMilliseconds', 'maxConnections', 'sweepEveryWrites',
  ]);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new ConfigurationError(key, 'is not an option of openPostgresStores');
  }
  const o = options as Record<string, unknown>;
  const schema = o['schema'] ?? 'gatehouse';
  if (typeof schema !== 'string' || !SCHEMA_NAME_PATTERN.test(schema)) {
    throw new ConfigurationError('schema', 'must be 1–63 lowercase letters, digits or _, not starting with a digit');
  }
  const migrations = o['migrations'] ?? 'apply';
  if (migrations !== 'apply' && migrations !== 'verify') throw new ConfigurationError('migrations', "must be 'apply' or 'verify'");
  const clock = o['clock'] ?? systemClock;
  if (typeof clock !== 'object' || clock === null || typeof (clock as Clock).now !== 'function') {
    throw new ConfigurationError('clock', 'must be an object with a now() method returning epoch milliseconds');
  }
  const touch = o['touchIntervalInSeconds'] ?? 60;
  if (typeof touch !== 'number' || !(touch >= 0) || !Number.isFinite(touch)) {
    throw new ConfigurationError('touchIntervalInSeconds', 'must be a non-negative number of seconds');
  }
  return {
    schema,
    migrations,
    clock: clock as Clock,
    touchIntervalMs: touch * 1000,
    queryTimeout: positiveInteger('queryTimeoutInMilliseconds', o['queryTimeoutInMilliseconds'], 2000),
    connectTimeout: positiveInteger('connectTimeoutInMilliseconds', o['connectTimeoutInMilliseconds'], 2000),
    maxConnections: positiveInteger('maxConnections', o['maxConnections'], 10, 10_000),
    sweepEveryWrites: positiveInteger('sweepEveryWrites', o['sweepEveryWrites'], 1000, Number.MAX_SAFE_INTEGER),
  };
}

/** A pool built here: bounded waits on both sides, and a listener so a dropped idle connection is not a crash. */
function buildPool(connection: string | pg.PoolConfig, options: ResolvedOptions): pg.Pool {
  const config: pg.PoolConfig = typeof connection === 'string' ? { connectionString: connection } : { ...connection };
  const pool = new pg.Pool({
    max: options.maxConnections,
    connectionTimeoutMillis: options.connectTimeout,
    query_timeout: options.queryTimeout,
    // The server ends what the client stopped waiting for (maintenance calls raise it with SET LOCAL).
    statement_timeout: options.queryTimeout,
    lock_timeout: options.queryTimeout,
    idle_in_transaction_session_timeout: Math.max(options.queryTimeout * 2, 10_000),
    application_name: 'gatehouse',
    ...config,
  });
  // An idle connection the server ends (a restart, a failover) emits 'error' on the pool; unhandled, that would
  // end the process. The pool drops the connection and opens a new one on the next call.
  pool.on('error', () => undefined);
  return pool;
}

function isPool(value: unknown): value is pg.Pool {
  return value instanceof pg.Pool || (typeof value === 'object' && value !== null && typeof (value as pg.Pool).connect === 'function' && 'totalCount' in value);
}

function createHealthProbe(db: Database, schema: string, clock: Clock): () => Promise<StoreHealth> {
  // A committed write to a logged table: a read-only server (a replica, `default_transaction_read_only`) or one
  // that cannot write its WAL fails it, where `SELECT 1` would pass.
  const probe = statement('health', `UPDATE ${schema}.health_probe SET checked_at = $1 WHERE id = 1`);
  return async (): Promise<StoreHealth> => {
    try {
      const result = await db.query(probe, [clock.now()]);
      if (result.rowCount !== 1) return { status: 'unavailable', reason: 'PostgreSQL: the health_probe row is missing' };
      return { status: 'ok' };
    } catch (error) {
      return { status: 'unavailable', reason: `PostgreSQL: ${error instanceof Error ? error.message : String(error)}` };
    }
  };
}

/**
 * Connects to PostgreSQL, brings Gatehouse's schema up to date (or checks it is), and returns a
 * {@link CredentialStore} and an {@link EphemeralStore} on it, for as many application instances as share the
 * database.
 *
 * `connection` is a connection string, a node-postgres `PoolConfig`, or a `pg.Pool` the application already has
 * (its own timeouts and size then apply; the stores still bound every wait by the options here). Every call
 * rejects, never hangs, when the server is down or slow, and the pool reconnects by itself when it is back.
 *
 * Throws `ConfigurationError` (naming the option) on invalid options, and an `Error` when the server cannot be
 * reached, the schema is newer than this code, or a migration fails (it is rolled back).
 *
 * @example
 * ```ts
 * import { openPostgresStores } from '@gatehouse/store-postgres';
 *
 * const stores = await openPostgresStores(process.env.DATABASE_URL!, { schema: 'gatehouse' });
 * const record = await stores.credentials.findByDigest(digest);
 * process.on('SIGTERM', () => void stores.close());
 * ```
 */
export async function openPostgresStores(
  connection: string | pg.PoolConfig | pg.Pool,
  options: PostgresStoresOptions = {},
): Promise<PostgresStores> {
  const resolved = resolveOptions(options);
  const ownPool = !isPool(connection);
  if (ownPool && (typeof connection !== 'string' || connection === '') && (typeof connection !== 'object' || connection === null)) {
    throw new ConfigurationError('connection', 'must be a connection string, a pg PoolConfig or a pg.Pool');
  }
  const pool = isPool(connection) ? connection : buildPool(connection, resolved);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed || !ownPool) return;
    closed = true;
    await pool.end();
  };
  try {
    const db = createDatabase(pool, { connectInMilliseconds: resolved.connectTimeout, queryInMilliseconds: resolved.queryTimeout });
    const maintenance = createDatabase(pool, {
      connectInMilliseconds: resolved.connectTimeout,
      queryInMilliseconds: Math.max(resolved.queryTimeout, MAINTENANCE_TIMEOUT_IN_MILLISECONDS),
    });
    if (resolved.migrations === 'apply') await migrate(maintenance, resolved.schema);
    else await verifySchema(maintenance, resolved.schema);
    const schema = quoteSchema(resolved.schema);
    const health = createHealthProbe(db, schema, resolved.clock);
    const credentials = createPostgresCredentialStore(db, {
      schema,
      touchIntervalMs: resolved.touchIntervalMs,
      maintenanceTimeoutMs: Math.max(resolved.queryTimeout, MAINTENANCE_TIMEOUT_IN_MILLISECONDS),
      health,
    });
    const ephemeral = createPostgresEphemeralStore(db, { schema, clock: resolved.clock, sweepEveryWrites: resolved.sweepEveryWrites, health });
    return Object.freeze({ credentials, ephemeral, pool, close });
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/**
 * Applies Gatehouse's migrations to `schema` and returns: the deployment step for applications that open the
 * stores with `migrations: 'verify'`. Safe to run from several places at once (an advisory lock serialises them).
 *
 * @example
 * ```ts
 * // in a release script, with a role that may create tables
 * await applyPostgresMigrations(process.env.MIGRATION_DATABASE_URL!, { schema: 'gatehouse' });
 * ```
 */
export async function applyPostgresMigrations(
  connection: string | pg.PoolConfig | pg.Pool,
  options: Pick<PostgresStoresOptions, 'schema' | 'connectTimeoutInMilliseconds'> = {},
): Promise<void> {
  const stores = await openPostgresStores(connection, { ...options, migrations: 'apply' });
  await stores.close();
}
