import type { Clock, StoreHealth } from '@gatehouse/auth-core';
import type Database from 'better-sqlite3';

/**
 * The probe both stores' `health()` run: one committed write (an UPSERT of the single `health_probe` row). A read
 * would pass on a read-only file, so only a write tells whether requests that count failures or spend nonces
 * can work. It waits at most the busy timeout, like every request.
 *
 * @example
 * ```ts
 * const health = createSqliteHealthProbe(db, systemClock);
 * await health(); // { status: 'ok' }
 * ```
 */
export function createSqliteHealthProbe(db: Database.Database, clock: Clock): () => Promise<StoreHealth> {
  let probe: Database.Statement | undefined;
  return async (): Promise<StoreHealth> => {
    try {
      probe ??= db.prepare(
        'INSERT INTO health_probe (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at',
      );
      probe.run(clock.now());
      return { status: 'ok' };
    } catch (error) {
      return { status: 'unavailable', reason: `SQLite: ${error instanceof Error ? error.message : String(error)}` };
    }
  };
}
