import { AuthError } from '@gatehouse/auth-core';
import type Database from 'better-sqlite3';
import pg from 'pg';

/**
 * The demo's own tables (its user directory and VPN accounts) on whichever database holds the credentials: the
 * embedded SQLite file, or PostgreSQL when several instances share one. Statements use `$1`, `$2`… placeholders
 * and SQL both engines run; only the table definitions differ.
 */
export interface DemoSql {
  readonly dialect: 'sqlite' | 'postgres';
  /** The rows a statement returns. A failing database throws `AuthError('STORE_UNAVAILABLE')`. */
  query<Row>(text: string, values?: readonly unknown[]): Promise<Row[]>;
  /** How many rows a statement changed. Throws like {@link DemoSql.query}; a unique violation is rethrown as is. */
  execute(text: string, values?: readonly unknown[]): Promise<number>;
  /** Creates tables once, even when several instances start together. */
  createTables(definitions: { readonly sqlite: string; readonly postgres: string }): Promise<void>;
  isUniqueViolation(error: unknown): boolean;
}

const storeUnavailable = (error: unknown): AuthError => new AuthError('STORE_UNAVAILABLE', { cause: error });

/** `$1` → `@p1`: better-sqlite3 binds named parameters from an object, so a placeholder may repeat. */
function toSqlite(text: string, values: readonly unknown[]): [string, Record<string, unknown>] {
  const named: Record<string, unknown> = {};
  values.forEach((value, index) => (named[`p${index + 1}`] = typeof value === 'boolean' ? Number(value) : value));
  return [text.replace(/\$(\d+)/g, '@p$1'), named];
}

/**
 * The demo's tables in the SQLite file the stores use.
 *
 * @example
 * ```ts
 * const sql = sqliteDemoSql(stores.database);
 * ```
 */
export function sqliteDemoSql(database: Database.Database): DemoSql {
  const isUniqueViolation = (error: unknown): boolean =>
    typeof error === 'object' && error !== null && String((error as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT_UNIQUE');
  return {
    dialect: 'sqlite',
    async query<Row>(text: string, values: readonly unknown[] = []) {
      try {
        const [sql, named] = toSqlite(text, values);
        return database.prepare(sql).all(named) as Row[];
      } catch (error) {
        if (isUniqueViolation(error)) throw error;
        throw storeUnavailable(error);
      }
    },
    async execute(text: string, values: readonly unknown[] = []) {
      try {
        const [sql, named] = toSqlite(text, values);
        return database.prepare(sql).run(named).changes;
      } catch (error) {
        if (isUniqueViolation(error)) throw error;
        throw storeUnavailable(error);
      }
    },
    async createTables({ sqlite }) {
      database.exec(sqlite);
    },
    isUniqueViolation,
  };
}

const INT8_OID = 20;
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? 'text'),
};

/**
 * The demo's tables in the PostgreSQL database the stores use (the `public` schema), with the same bounded
 * waits as the stores.
 *
 * @example
 * ```ts
 * const sql = postgresDemoSql(stores.pool, 2000);
 * ```
 */
export function postgresDemoSql(pool: pg.Pool, queryTimeoutInMilliseconds: number): DemoSql {
  const isUniqueViolation = (error: unknown): boolean =>
    typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
  const run = async (text: string, values: readonly unknown[]) => {
    try {
      return await pool.query({ text, values: [...values], types, query_timeout: queryTimeoutInMilliseconds } as pg.QueryConfig);
    } catch (error) {
      if (isUniqueViolation(error)) throw error;
      throw storeUnavailable(error);
    }
  };
  return {
    dialect: 'postgres',
    async query<Row>(text: string, values: readonly unknown[] = []) {
      return (await run(text, values)).rows as Row[];
    },
    async execute(text: string, values: readonly unknown[] = []) {
      return (await run(text, values)).rowCount ?? 0;
    },
    async createTables({ postgres }) {
      const client = await pool.connect();
      // A connection the server ends while it is checked out emits 'error'; the pool listens only to idle ones.
      client.on('error', () => undefined);
      let failure: unknown;
      try {
        // A session lock taken before the transaction, so a second instance starting at the same moment sees the
        // first one's tables (CREATE TABLE IF NOT EXISTS alone can collide).
        await client.query("SELECT pg_advisory_lock(hashtextextended('gatehouse-demo:tables', 0))");
        try {
          await client.query(`BEGIN; ${postgres}; COMMIT`);
        } catch (error) {
          failure = error;
          await client.query('ROLLBACK').catch(() => undefined);
        }
        await client.query("SELECT pg_advisory_unlock(hashtextextended('gatehouse-demo:tables', 0))");
      } catch (error) {
        failure ??= error;
      } finally {
        // On any failure the connection goes (and its session lock with it).
        client.release(failure === undefined ? undefined : true);
      }
      if (failure !== undefined) throw failure;
    },
    isUniqueViolation,
  };
}
