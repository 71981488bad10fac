import pg from 'pg';

/** A statement: SQL text, its values, and a short name under which node-postgres prepares it per connection. */
export interface Statement {
  /** Prepared-statement name (unique per SQL text: see {@link statement}); `null` runs it unprepared. */
  readonly name: string | null;
  readonly text: string;
}

/** Runs statements on one connection (inside {@link Database.transaction}) or on any pooled one. */
export interface Queryable {
  query<Row = Record<string, unknown>>(statement: Statement, values?: readonly unknown[]): Promise<pg.QueryResult<Row & pg.QueryResultRow>>;
}

/** How long a whole call may take once it has a connection (all its statements together), in milliseconds. */
export interface CallBudget {
  readonly timeoutInMilliseconds?: number;
}

/**
 * The pool with bounded waits: a call takes a connection within the connect timeout, and all its statements
 * together answer within the query timeout (or the budget it is given).
 */
export interface Database {
  query<Row = Record<string, unknown>>(
    statement: Statement,
    values?: readonly unknown[],
    budget?: CallBudget,
  ): Promise<pg.QueryResult<Row & pg.QueryResultRow>>;
  /** Runs `work` between BEGIN and COMMIT on one connection; ROLLBACK when it throws. */
  transaction<T>(work: (connection: Queryable) => Promise<T>, budget?: CallBudget): Promise<T>;
  /**
   * Runs `work` on one connection, outside any transaction it does not open itself (for session-level locks). A
   * connection whose `work` threw is destroyed, whatever state it was left in.
   */
  session<T>(work: (connection: Queryable) => Promise<T>, budget?: CallBudget): Promise<T>;
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

/**
 * An error PostgreSQL sent about a statement (an SQLSTATE `code`, severity ERROR): the connection is still good.
 * Anything else (a broken socket, a timeout, a FATAL or PANIC ending the session) means it is not.
 */
function isStatementError(error: unknown): boolean {
  if (!(error instanceof Error) || typeof (error as { code?: unknown }).code !== 'string') return false;
  const severity = (error as { severity?: unknown }).severity;
  return severity === 'ERROR';
}

const isTimeout = (error: unknown): boolean => error instanceof Error && error.message === 'Query read timeout';

/**
 * node-postgres emits 'error' on a checked-out client whose connection breaks (a server shutting down, a reset
 * socket), and its pool listens only to idle ones: unheard, that event ends the process. The failure itself
 * reaches the caller as the query's rejection, and the connection is then destroyed. One listener per client,
 * however many stores share the pool.
 */
const guarded = new WeakSet<pg.PoolClient>();
function guard(client: pg.PoolClient): pg.PoolClient {
  if (!guarded.has(client)) {
    client.on('error', () => undefined);
    guarded.add(client);
  }
  return client;
}

/**
 * Wraps a pool so no call waits longer than its budget: taking a connection races a timer (node-postgres's own
 * `connectionTimeoutMillis` exists only on pools it configured), and the statements of one call share one
 * deadline, each carrying the time left as `query_timeout`.
 *
 * node-postgres's timeout only stops waiting: the server would go on running the statement (a lock wait, say)
 * on a connection the pool has given up, and such connections would pile up. So a timed-out statement is also
 * cancelled on the server (`pg_cancel_backend`, from another connection, itself bounded) and its connection is
 * destroyed. A write that was cancelled too late may still commit: the caller has already been told it failed,
 * which every strategy answers `STORE_UNAVAILABLE` (refused), so this never lets a request in.
 */
export function createDatabase(
  pool: pg.Pool,
  timeouts: { readonly connectInMilliseconds: number; readonly queryInMilliseconds: number },
): Database {
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

  const cancelOnServer = (client: pg.PoolClient): void => {
    const pid = (client as unknown as { processID?: unknown }).processID;
    if (typeof pid !== 'number') return;
    pool
      .query({ text: 'SELECT pg_cancel_backend($1)', values: [pid], query_timeout: timeouts.queryInMilliseconds } as pg.QueryConfig)
      .catch(() => undefined); // best effort: the connection is destroyed whatever happens
  };

  /** Statements on one connection under one deadline. */
  const onConnection = (client: pg.PoolClient, deadline: number): Queryable => ({
    async query<Row>({ name, text }: Statement, values: readonly unknown[] = []) {
      const left = Math.max(1, Math.ceil(deadline - Date.now()));
      try {
        return await client.query<Row & pg.QueryResultRow>({
          ...(name === null ? {} : { name }),
          text,
          values: values as unknown[],
          types,
          query_timeout: left,
        } as pg.QueryConfig);
      } catch (error) {
        if (isTimeout(error)) cancelOnServer(client);
        throw error;
      }
    },
  });

  const deadlineOf = (budget: CallBudget): number => Date.now() + (budget.timeoutInMilliseconds ?? timeouts.queryInMilliseconds);

  // release(true) destroys the connection instead of pooling it.
  const release = (client: pg.PoolClient, destroy: boolean): void => {
    client.release(destroy ? true : undefined);
  };

  return {
    pool,
    async query<Row>(statementToRun: Statement, values: readonly unknown[] = [], budget: CallBudget = {}) {
      const client = await acquire();
      let destroy = false;
      try {
        return await onConnection(client, deadlineOf(budget)).query<Row>(statementToRun, values);
      } catch (error) {
        destroy = !isStatementError(error);
        throw error;
      } finally {
        release(client, destroy);
      }
    },
    async session<T>(work: (connection: Queryable) => Promise<T>, budget: CallBudget = {}): Promise<T> {
      const client = await acquire();
      let destroy = false;
      try {
        return await work(onConnection(client, deadlineOf(budget)));
      } catch (error) {
        destroy = true;
        throw error;
      } finally {
        release(client, destroy);
      }
    },
    async transaction<T>(work: (connection: Queryable) => Promise<T>, budget: CallBudget = {}): Promise<T> {
      const client = await acquire();
      const connection = onConnection(client, deadlineOf(budget));
      let destroy = false;
      try {
        await connection.query({ name: null, text: 'BEGIN' });
        const result = await work(connection);
        await connection.query({ name: null, text: 'COMMIT' });
        return result;
      } catch (error) {
        destroy = !isStatementError(error);
        if (!destroy) {
          // A connection left inside a failed transaction must not go back to the pool.
          destroy = await client.query('ROLLBACK').then(
            () => false,
            () => true,
          );
        }
        throw error;
      } finally {
        release(client, destroy);
      }
    },
  };
}
