import type { Clock, EphemeralStore, StoreHealth } from '@gatehouse/auth-core';
import { ttlToMilliseconds } from '@gatehouse/auth-core/strategy';
import { statement, type Database, type Statement } from './database.js';
import { storageKey, toMilliseconds } from './text.js';

/** Expired rows deleted per sweep, so one sweep is a short statement whatever piled up. */
const SWEEP_BATCH = 1000;

/**
 * The SQL of the ephemeral store for one schema (an already quoted identifier). Every operation is one
 * statement (an `INSERT … ON CONFLICT`), atomic across connections and processes: two sessions inserting one
 * key are ordered by the primary key's lock, and the second sees the first's row. A row is live while
 * `expires_at IS NULL OR expires_at > now`, `now` being the store's clock, as in the other stores.
 *
 * @example
 * ```ts
 * const sql = ephemeralStatements('"gatehouse"');
 * ```
 */
export function ephemeralStatements(schema: string) {
  const table = `${schema}.ephemeral`;
  const expired = 'e.expires_at IS NOT NULL AND e.expires_at <= $3';
  return {
    setIfAbsent: statement(
      'es_set_if_absent',
      `INSERT INTO ${table} AS e (key, value, expires_at) VALUES ($1, 1, $2)
       ON CONFLICT (key) DO UPDATE SET value = 1, expires_at = excluded.expires_at
       WHERE ${expired}
       RETURNING 1`,
    ),
    increment: statement(
      'es_increment',
      `INSERT INTO ${table} AS e (key, value, expires_at) VALUES ($1, 1, $2)
       ON CONFLICT (key) DO UPDATE SET
         value      = CASE WHEN ${expired} THEN 1 ELSE e.value + 1 END,
         expires_at = CASE WHEN ${expired} THEN excluded.expires_at ELSE e.expires_at END
       RETURNING value`,
    ),
    setIfGreater: statement(
      'es_set_if_greater',
      `INSERT INTO ${table} AS e (key, value, expires_at) VALUES ($1, $4, $2)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
       WHERE (${expired}) OR e.value < excluded.value
       RETURNING 1`,
    ),
    get: statement('es_get', `SELECT value FROM ${table} WHERE key = $1 AND (expires_at IS NULL OR expires_at > $2)`),
    delete: statement('es_delete', `DELETE FROM ${table} WHERE key = $1`),
    sweep: statement(
      'es_sweep',
      // The outer condition again: a row revived by a write between the two reads is not deleted.
      `DELETE FROM ${table} WHERE ctid = ANY (ARRAY (
         SELECT ctid FROM ${table} WHERE expires_at <= $1 LIMIT ${SWEEP_BATCH} FOR UPDATE SKIP LOCKED
       )) AND expires_at <= $1`,
    ),
  } satisfies Record<string, Statement>;
}

/** Settings of {@link createPostgresEphemeralStore}. */
export interface PostgresEphemeralStoreSettings {
  /** The quoted schema identifier. */
  readonly schema: string;
  readonly clock: Clock;
  readonly sweepEveryWrites: number;
  readonly health: () => Promise<StoreHealth>;
}

/**
 * Builds the PostgreSQL {@link EphemeralStore} on a migrated schema. Expired rows are invisible at once; every
 * `sweepEveryWrites` writes of this process, a sweep deletes up to 1000 of them in the background (a failed
 * sweep is retried by the next one).
 *
 * @example
 * ```ts
 * const ephemeral = createPostgresEphemeralStore(db, { schema: '"gatehouse"', clock: systemClock, sweepEveryWrites: 1000, health });
 * ```
 */
export function createPostgresEphemeralStore(db: Database, settings: PostgresEphemeralStoreSettings): EphemeralStore {
  const sql = ephemeralStatements(settings.schema);
  const { clock, sweepEveryWrites } = settings;
  let writes = 0;
  let sweeping = false;

  const wrote = (now: number): void => {
    if (++writes % sweepEveryWrites !== 0 || sweeping) return;
    sweeping = true;
    db.query(sql.sweep, [now]).then(
      () => (sweeping = false),
      () => (sweeping = false), // housekeeping only: expired rows are already invisible
    );
  };

  return {
    async setIfAbsent(key: string, ttlInSeconds: number): Promise<boolean> {
      const ttl = ttlToMilliseconds(ttlInSeconds);
      const now = toMilliseconds(clock.now());
      const { rowCount } = await db.query(sql.setIfAbsent, [storageKey(key), toMilliseconds(now + ttl), now]);
      if (rowCount !== 1) return false;
      wrote(now);
      return true;
    },

    async increment(key: string, ttlInSeconds: number): Promise<number> {
      const ttl = ttlToMilliseconds(ttlInSeconds);
      const now = toMilliseconds(clock.now());
      const { rows } = await db.query<{ value: number }>(sql.increment, [storageKey(key), toMilliseconds(now + ttl), now]);
      const value = rows[0]?.value;
      if (typeof value !== 'number') throw new Error('increment: no value returned');
      wrote(now);
      return value;
    },

    async setIfGreater(key: string, value: number, ttlInSeconds: number | null): Promise<boolean> {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError('setIfGreater: value must be finite');
      const ttl = ttlInSeconds === null ? null : ttlToMilliseconds(ttlInSeconds);
      const now = toMilliseconds(clock.now());
      const { rowCount } = await db.query(sql.setIfGreater, [storageKey(key), ttl === null ? null : toMilliseconds(now + ttl), now, value]);
      if (rowCount !== 1) return false;
      wrote(now);
      return true;
    },

    async get(key: string): Promise<number | null> {
      const { rows } = await db.query<{ value: number }>(sql.get, [storageKey(key), toMilliseconds(clock.now())]);
      return rows[0]?.value ?? null;
    },

    async delete(key: string): Promise<void> {
      await db.query(sql.delete, [storageKey(key)]);
    },

    health: settings.health,
  };
}
