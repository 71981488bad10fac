import pg from 'pg';

/** A statement: SQL text, its values, and a short name under which node-postgres prepares it per connection. */
export interface Statement {
  /** Prepared-statement name (unique per SQL text: see {@link statement}); `null` runs it unprepared. */
  readonly name: string | null;
  readonly text: string;
}

/** Runs statements on one connection (inside {@link Database.transaction}) or on any pooled one. */
export interface Queryable {
  query<Row = Record<string, unknown>>(
    statement: Statement,
    values?: readonly unknown[],
    options?: { readonly timeoutInMilliseconds?: number },
  ): Promise<pg.QueryResult<Row & pg.QueryResultRow>>;
}

/** The pool with bounded waits: every call takes a connection within the connect timeout and answers within the query timeout. */
export interface Database extends Queryable {
  /** Runs `work` between BEGIN and COMMIT on one connection; ROLLBACK when it throws. */
  transaction<T>(work: (connection: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs `work` on one connection, outside any transaction it does not open itself (for session-level locks). A
   * connection whose `work` threw is destroyed, whatever state it was left in.
   */
  session<T>(work: (connection: Queryable) => Promise<T>): Promise<T>;
  readonly pool: pg.Pool;
}

/**
 * Epoch milliseconds live in `bigint` columns, which node-postgres returns as strings by default. They are below
 * 2^53, so numbers are exact; the parser is set per query, never on node-postgres's global type table, so the
 * adopter's own queries on the same pool are unaffected.
 */
const INT8_OID = 20;
const parseInt8 = (text: string): number => Number(text);
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === INT8_OID && format !== 'binary') return parseInt8;
    return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
  },
};

/** A short, stable hash of a statement's text, so two schemas (two texts) never share a prepared name. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

/**
 * A prepared statement. Names stay under PostgreSQL's 63-byte identifier limit, which would otherwise truncate
 * two long names into one.
 *
 * @example
 * ```ts
 * const findById = statement('findById', 'SELECT * FROM "gatehouse".credentials WHERE id = $1');
 * ```
 */
export function statement(operation: string, text: string): Statement {
  return { name: `gatehouse_${operation.slice(0, 30)}_${fingerprint(text)}`, text };
}

/** An error PostgreSQL itself sent (it carries an SQLSTATE `code`); anything else broke the connection. */
function isServerError(error: unknown): boolean {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && 'severity' in error;
}

/**
 * Wraps a pool so no call waits longer than the timeouts: taking a connection races a timer (node-postgres's
 * own `connectionTimeoutMillis` only exists on pools it configured), and every query carries `query_timeout`.
 * A connection whose query timed out or failed below SQL is destroyed rather than returned to the pool, since it
 * may still be busy with the abandoned query.
 */
export function createDatabase(
  pool: pg.Pool,
  timeouts: { readonly connectInMilliseconds: number; readonly queryInMilliseconds: number },
): Database {
  // node-postgres emits 'error' on a checked-out client whose connection breaks (a server shutting down, a reset
  // socket) and its pool listens only to idle ones: unheard, that event ends the process. The failure itself
  // reaches the caller as the query's rejection, and the connection is then destroyed.
  const guarded = new WeakSet<pg.PoolClient>();
  const guard = (client: pg.PoolClient): pg.PoolClient => {
    if (!guarded.has(client)) {
      client.on('error', () => undefined);
      guarded.add(client);
    }
    return client;
  };

  const acquire = async (): Promise<pg.PoolClient> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let timedOut = false;
    const pending = pool.connect();
    try {
      const client = await Promise.race([
        pending,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            timedOut = true;
            reject(new Error(`could not get a PostgreSQL connection within ${timeouts.connectInMilliseconds} ms`));
          }, timeouts.connectInMilliseconds);
        }),
      ]);
      return guard(client);
    } catch (error) {
      // A connection that arrives after the timer fired goes straight back to the pool.
      if (timedOut) pending.then((late) => late.release(), () => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };

  const run = async <Row>(client: pg.PoolClient, { name, text }: Statement, values: readonly unknown[], timeout?: number) =>
    client.query<Row & pg.QueryResultRow>({
      ...(name === null ? {} : { name }),
      text,
      values: values as unknown[],
      types,
      query_timeout: timeout ?? timeouts.queryInMilliseconds,
    } as pg.QueryConfig);

  // release(true) destroys the connection instead of pooling it.
  const release = (client: pg.PoolClient, destroy: boolean): void => {
    client.release(destroy ? true : undefined);
  };

  return {
    pool,
    async query<Row>(statementToRun: Statement, values: readonly unknown[] = [], options: { readonly timeoutInMilliseconds?: number } = {}) {
      const client = await acquire();
      let destroy = false;
      try {
        return await run<Row>(client, statementToRun, values, options.timeoutInMilliseconds);
      } catch (error) {
        destroy = !isServerError(error);
        throw error;
      } finally {
        release(client, destroy);
      }
    },
    async session<T>(work: (connection: Queryable) => Promise<T>): Promise<T> {
      const client = await acquire();
      let destroy = false;
      try {
        return await work({
          query: (statementToRun, values = [], options = {}) => run(client, statementToRun, values, options.timeoutInMilliseconds),
        });
      } catch (error) {
        destroy = true;
        throw error;
      } finally {
        release(client, destroy);
      }
    },
    async transaction<T>(work: (connection: Queryable) => Promise<T>): Promise<T> {
      const client = await acquire();
      let destroy = false;
      try {
        await run(client, { name: null, text: 'BEGIN' }, []);
        const result = await work({
          query: (statementToRun, values = [], options = {}) => run(client, statementToRun, values, options.timeoutInMilliseconds),
        });
        await run(client, { name: null, text: 'COMMIT' }, []);
        return result;
      } catch (error) {
        destroy = !isServerError(error);
        if (!destroy) {
          // A connection left inside a failed transaction must not go back to the pool.
          destroy = await run(client, { name: null, text: 'ROLLBACK' }, []).then(() => false, () => true);
        }
        throw error;
      } finally {
        release(client, destroy);
      }
    },
  };
}
