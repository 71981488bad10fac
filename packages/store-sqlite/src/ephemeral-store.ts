import { type Clock, type EphemeralStore, type StoreHealth } from '@gatehouse/auth-core';
import { ttlToMilliseconds } from '@gatehouse/auth-core/strategy';
import type Database from 'better-sqlite3';

/**
 * The SQL the ephemeral store runs; exported for tests, not from the package. Every operation is one statement
 * (an UPSERT), so it is atomic across connections and processes without an explicit transaction. A row is live
 * while `expires_at IS NULL OR expires_at > now`, as in the memory store.
 *
 * @example
 * ```ts
 * db.prepare(`EXPLAIN QUERY PLAN ${EPHEMERAL_SQL.sweep}`).all(Date.now());
 * ```
 */
export const EPHEMERAL_SQL = {
  setIfAbsent: `
    INSERT INTO ephemeral (key, value, expires_at) VALUES (@key, 1, @expiresAt)
    ON CONFLICT (key) DO UPDATE SET value = 1, expires_at = excluded.expires_at
    WHERE ephemeral.expires_at IS NOT NULL AND ephemeral.expires_at <= @now`,
  // SET expressions all see the old row, so both CASEs test the same (old) expiry.
  increment: `
    INSERT INTO ephemeral (key, value, expires_at) VALUES (@key, 1, @expiresAt)
    ON CONFLICT (key) DO UPDATE SET
      value      = CASE WHEN ephemeral.expires_at IS NOT NULL AND ephemeral.expires_at <= @now
                        THEN 1 ELSE ephemeral.value + 1 END,
      expires_at = CASE WHEN ephemeral.expires_at IS NOT NULL AND ephemeral.expires_at <= @now
                        THEN excluded.expires_at ELSE ephemeral.expires_at END
    RETURNING value`,
  setIfGreater: `
    INSERT INTO ephemeral (key, value, expires_at) VALUES (@key, @value, @expiresAt)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
    WHERE (ephemeral.expires_at IS NOT NULL AND ephemeral.expires_at <= @now) OR ephemeral.value < excluded.value`,
  get: 'SELECT value FROM ephemeral WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)',
  delete: 'DELETE FROM ephemeral WHERE key = ?',
  sweep: 'DELETE FROM ephemeral WHERE expires_at <= ?',
} as const;

/**
 * Builds the SQLite {@link EphemeralStore} on an open, migrated database. Expired rows are invisible at once and
 * deleted every `sweepEveryWrites` writes made through this store (using the `expires_at` index).
 *
 * @example
 * ```ts
 * const ephemeral = createSqliteEphemeralStore(migratedDatabase, systemClock, 1000, createSqliteHealthProbe(migratedDatabase, systemClock));
 * ```
 */
export function createSqliteEphemeralStore(
  db: Database.Database,
  clock: Clock,
  sweepEveryWrites: number,
  health: () => Promise<StoreHealth>,
): EphemeralStore {
  const setIfAbsentStatement = db.prepare(EPHEMERAL_SQL.setIfAbsent);
  const incrementStatement = db.prepare(EPHEMERAL_SQL.increment).pluck();
  const setIfGreaterStatement = db.prepare(EPHEMERAL_SQL.setIfGreater);
  const getStatement = db.prepare(EPHEMERAL_SQL.get).pluck();
  const deleteStatement = db.prepare(EPHEMERAL_SQL.delete);
  const sweepStatement = db.prepare(EPHEMERAL_SQL.sweep);
  let writes = 0;

  const wrote = (now: number): void => {
    if (++writes % sweepEveryWrites !== 0) return;
    try {
      sweepStatement.run(now);
    } catch {
      // Housekeeping only: expired rows are already invisible, and the next sweep will catch up.
    }
  };

  return {
    async setIfAbsent(key: string, ttlInSeconds: number): Promise<boolean> {
      const ttl = ttlToMilliseconds(ttlInSeconds);
      const now = clock.now();
      const { changes } = setIfAbsentStatement.run({ key, expiresAt: now + ttl, now });
      if (changes === 0) return false;
      wrote(now);
      return true;
    },

    async increment(key: string, ttlInSeconds: number): Promise<number> {
      const ttl = ttlToMilliseconds(ttlInSeconds);
      const now = clock.now();
      const value = incrementStatement.get({ key, expiresAt: now + ttl, now }) as number;
      wrote(now);
      return value;
    },

    async setIfGreater(key: string, value: number, ttlInSeconds: number | null): Promise<boolean> {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError('setIfGreater: value must be finite');
      const ttl = ttlInSeconds === null ? null : ttlToMilliseconds(ttlInSeconds);
      const now = clock.now();
      const { changes } = setIfGreaterStatement.run({ key, value, expiresAt: ttl === null ? null : now + ttl, now });
      if (changes === 0) return false;
      wrote(now);
      return true;
    },

    async get(key: string): Promise<number | null> {
      const value = getStatement.get(key, clock.now()) as number | undefined;
      return value ?? null;
    },

    async delete(key: string): Promise<void> {
      deleteStatement.run(key);
    },

    health,
  };
}
