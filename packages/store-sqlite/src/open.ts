import {
  ConfigurationError,
  systemClock,
  type Clock,
  type CredentialStore,
  type EphemeralStore,
} from '@gatehouse/auth-core';
import Database from 'better-sqlite3';
import { createSqliteCredentialStore } from './credential-store.js';
import { createSqliteEphemeralStore } from './ephemeral-store.js';
import { createSqliteHealthProbe } from './health.js';
import { migrate, refuseNewerSchema } from './schema.js';

/**
 * Options of {@link openSqliteStores}.
 *
 * @example
 * ```ts
 * const options: SqliteStoresOptions = { touchIntervalInSeconds: 300, busyTimeoutInMilliseconds: 10_000 };
 * openSqliteStores('./data/gatehouse.db', options);
 * ```
 */
export interface SqliteStoresOptions {
  /** The clock the ephemeral store uses to set and check expiry. Default: the system clock. */
  readonly clock?: Clock;
  /**
   * The least time between two `touch` writes for one credential (`last_used_at` is debounced, so verification
   * costs no write on most requests). A non-negative number; default 60.
   */
  readonly touchIntervalInSeconds?: number;
  /**
   * How long a statement waits for another connection's write lock before it fails with `SQLITE_BUSY` (which
   * rejects the call: `STORE_UNAVAILABLE` to a strategy). An integer from 0 to 2147483647; default 25.
   * better-sqlite3 waits synchronously, blocking the whole process, so keep it short: a request that cannot
   * write at once is answered "unavailable" instead of stalling every other request behind a lock. Opening (and
   * migrating) the database waits up to 5 s whatever this says.
   */
  readonly busyTimeoutInMilliseconds?: number;
  /** Expired ephemeral rows are deleted every this many ephemeral writes of this process. Default 1000. */
  readonly sweepEveryWrites?: number;
}

/** How long opening and migrating the database waits for another connection's lock. */
const OPEN_TIMEOUT_IN_MILLISECONDS = 5000;

/** A shared cell to sleep on between attempts (`Atomics.wait`: opening is synchronous). */
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs one idempotent opening step, again after a short pause while SQLite answers `SQLITE_BUSY`, until the
 * deadline. SQLite returns `SQLITE_BUSY` without calling the busy handler in a few cases that only opening meets
 * (a connection switching a new file to WAL, or recovering its index, while another opens it): several processes
 * starting together must each open the file, not fail.
 */
function retryWhileBusy<T>(db: Database.Database, step: () => T, deadline: number): T {
  for (let attempt = 0; ; attempt++) {
    // SQLite's own busy handler waits too: give it only what is left, so the deadline holds for the whole.
    db.pragma(`busy_timeout = ${Math.max(0, deadline - Date.now())}`);
    try {
      return step();
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      Atomics.wait(pause, 0, 0, Math.min(5 * 2 ** Math.min(attempt, 4), 50, Math.max(0, deadline - Date.now())));
    }
  }
}

/** `SQLITE_BUSY` or one of its extended codes, on the error or on the one a migration wrapped. */
function isBusy(error: unknown): boolean {
  for (let current = error, depth = 0; current !== null && typeof current === 'object' && depth < 3; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * What {@link openSqliteStores} returns: both stores on one database connection.
 *
 * @example
 * ```ts
 * const stores: SqliteStores = openSqliteStores(':memory:');
 * await stores.credentials.findByDigest(digest);
 * stores.close();
 * ```
 */
export interface SqliteStores {
  /** Durable credential records (`credentials` table). */
  readonly credentials: CredentialStore;
  /** Nonces, rate-limit counters and other expiring values (`ephemeral` table). */
  readonly ephemeral: EphemeralStore;
  /**
   * The underlying better-sqlite3 connection, for advanced use (backups, inspection). Writing to the Gatehouse
   * tables directly bypasses the stores' guarantees.
   */
  readonly database: Database.Database;
  /** Closes the connection (idempotent). Calls made afterwards reject. */
  close(): void;
}

const MAX_BUSY_TIMEOUT = 2_147_483_647;

function validateOptions(path: unknown, options: unknown): asserts options is SqliteStoresOptions {
  if (typeof path !== 'string' || path === '') {
    throw new ConfigurationError('path', "must be a non-empty file path or ':memory:'");
  }
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('options', 'must be an object when given');
  }
  const { clock, touchIntervalInSeconds, busyTimeoutInMilliseconds, sweepEveryWrites } = options as Record<
    string,
    unknown
  >;
  if (clock !== undefined && (typeof clock !== 'object' || clock === null || typeof (clock as Clock).now !== 'function')) {
    throw new ConfigurationError('clock', 'must be an object with a now() method returning epoch milliseconds');
  }
  if (touchIntervalInSeconds !== undefined && !(typeof touchIntervalInSeconds === 'number' && touchIntervalInSeconds >= 0)) {
    throw new ConfigurationError('touchIntervalInSeconds', 'must be a non-negative number of seconds');
  }
  if (
    busyTimeoutInMilliseconds !== undefined &&
    !(
      typeof busyTimeoutInMilliseconds === 'number' &&
      Number.isInteger(busyTimeoutInMilliseconds) &&
      busyTimeoutInMilliseconds >= 0 &&
      busyTimeoutInMilliseconds <= MAX_BUSY_TIMEOUT
    )
  ) {
    throw new ConfigurationError('busyTimeoutInMilliseconds', `must be an integer from 0 to ${MAX_BUSY_TIMEOUT}`);
  }
  if (
    sweepEveryWrites !== undefined &&
    !(typeof sweepEveryWrites === 'number' && Number.isSafeInteger(sweepEveryWrites) && sweepEveryWrites >= 1)
  ) {
    throw new ConfigurationError('sweepEveryWrites', 'must be a positive integer');
  }
}

/**
 * Opens (creating if needed) an SQLite database at `path` — or an in-memory one with `':memory:'` — migrates
 * its schema, and returns a {@link CredentialStore} and an {@link EphemeralStore} on it.
 *
 * Files use WAL journaling with `synchronous = NORMAL` (a crash can lose the last commits, never corrupt the
 * file), a busy timeout, and `BEGIN IMMEDIATE` for every read-then-write, so several connections, worker threads
 * or processes may share one file; SQLite lets one of them write at a time. The schema version lives in
 * `PRAGMA user_version`; a file written by a newer release is refused, never rewritten.
 *
 * Only digests and sealed (encrypted) secrets are ever given to the store, so the file holds no plain secret.
 *
 * Throws `ConfigurationError` (naming the option) on invalid options, and an `Error` when the file cannot be
 * opened, its schema is newer than this code, or a migration fails (the migration is rolled back).
 *
 * @example
 * ```ts
 * import { openSqliteStores } from '@gatehouse/store-sqlite';
 *
 * const stores = openSqliteStores('./data/gatehouse.db', { touchIntervalInSeconds: 60 });
 * const record = await stores.credentials.findByDigest(digest);
 * const fresh = await stores.ephemeral.setIfAbsent(`nonce:${keyId}:${nonce}`, 600);
 * process.on('exit', () => stores.close());
 * ```
 */
export function openSqliteStores(path: string, options: SqliteStoresOptions = {}): SqliteStores {
  validateOptions(path, options);
  const clock = options.clock ?? systemClock;
  const touchIntervalMs = (options.touchIntervalInSeconds ?? 60) * 1000;
  const busyTimeout = options.busyTimeoutInMilliseconds ?? 25;
  const sweepEveryWrites = options.sweepEveryWrites ?? 1000;

  // Opening and migrating may wait for another process's lock; requests later may not (busyTimeout).
  const db = new Database(path, { timeout: OPEN_TIMEOUT_IN_MILLISECONDS });
  try {
    const openDeadline = Date.now() + OPEN_TIMEOUT_IN_MILLISECONDS;
    retryWhileBusy(db, () => refuseNewerSchema(db, path), openDeadline);
    if (!db.memory) retryWhileBusy(db, () => db.pragma('journal_mode = WAL'), openDeadline);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    retryWhileBusy(db, () => migrate(db, path), openDeadline);
    db.pragma(`busy_timeout = ${busyTimeout}`);
    const health = createSqliteHealthProbe(db, clock);
    const credentials = createSqliteCredentialStore(db, touchIntervalMs, health);
    const ephemeral = createSqliteEphemeralStore(db, clock, sweepEveryWrites, health);
    return Object.freeze({
      credentials,
      ephemeral,
      database: db,
      close(): void {
        if (db.open) db.close();
      },
    });
  } catch (error) {
    db.close();
    throw error;
  }
}
