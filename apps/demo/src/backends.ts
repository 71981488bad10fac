import type { Clock, CredentialStore, EphemeralStore } from '@gatehouse/auth-core';
import { openPostgresStores } from '@gatehouse/store-postgres';
import { openRedisEphemeralStore } from '@gatehouse/store-redis';
import { openSqliteStores } from '@gatehouse/store-sqlite';
import type { DemoConfig } from './config.js';
import { postgresDemoSql, sqliteDemoSql, type DemoSql } from './sql.js';

/** Where the demo keeps what it stores, as configured. */
export interface DemoBackends {
  readonly credentials: CredentialStore;
  readonly ephemeral: EphemeralStore;
  /** The demo's own tables, in the database that holds the credentials. */
  readonly sql: DemoSql;
  /** One line per engine for the start-up log (no passwords). */
  readonly description: readonly string[];
  close(): Promise<void>;
}

/** A URL with its password replaced, for the log. */
function withoutPassword(text: string): string {
  const url = new URL(text);
  if (url.password !== '') url.password = '***';
  // libpq also takes credentials as query parameters.
  for (const name of ['password', 'sslpassword', 'sslkey']) if (url.searchParams.has(name)) url.searchParams.set(name, '***');
  return url.toString();
}

/**
 * Opens the embedded SQLite file, or PostgreSQL (`GATEHOUSE_DATABASE_URL`) for credentials, the demo's tables and
 * ephemeral values, with Redis (`GATEHOUSE_REDIS_URL`) for the ephemeral values when given. A server that cannot
 * be reached at start is an error: the demo does not start half-configured.
 */
export async function openBackends(config: DemoConfig, clock: Clock): Promise<DemoBackends> {
  const closers: (() => Promise<void> | void)[] = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.splice(0).reverse()) await closer();
  };
  try {
    let credentials: CredentialStore;
    let ephemeral: EphemeralStore;
    let sql: DemoSql;
    const description: string[] = [];
    if (config.databaseUrl === null) {
      const stores = openSqliteStores(config.databasePath, { clock });
      closers.push(() => stores.close());
      ({ credentials, ephemeral } = stores);
      sql = sqliteDemoSql(stores.database);
      description.push(`Database: ${config.databasePath} (SQLite)`);
    } else {
      const stores = await openPostgresStores(config.databaseUrl, { clock });
      closers.push(() => stores.close());
      ({ credentials, ephemeral } = stores);
      sql = postgresDemoSql(stores.pool, 2000);
      description.push(`Database: ${withoutPassword(config.databaseUrl)} (PostgreSQL, schema gatehouse)`);
    }
    if (config.redisUrl !== null) {
      const redis = await openRedisEphemeralStore(config.redisUrl, { clock });
      closers.push(() => redis.close());
      ephemeral = redis;
      description.push(`Nonces, failure counters and rate limits: ${withoutPassword(config.redisUrl)} (Redis)`);
    }
    return { credentials, ephemeral, sql, description, close };
  } catch (error) {
    await close();
    throw error;
  }
}
