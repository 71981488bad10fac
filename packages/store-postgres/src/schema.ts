import type { Database, Queryable } from './database.js';

/**
 * One schema step, applied in order inside the migration transaction. Append only: a released step is never
 * edited, a change is a new step, and no step drops or rewrites data.
 */
interface Migration {
  readonly version: number;
  readonly sql: (schema: string) => string;
}

/**
 * Nothing secret is stored: `digest` is the lookup digest of a secret (never the secret), and `sealed_secret` is
 * a secret encrypted under the server's key-encryption key (see `createSecretSealer` in auth-core).
 *
 * `ephemeral` is an ordinary (logged) table: an unlogged one would be emptied by a crash and be empty on a
 * promoted replica, forgetting spent nonces, failure counts and the high-water marks of increasing nonces (which
 * never expire), so every request ever captured could be replayed once more.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: (s) => `
      CREATE TABLE ${s}.credentials (
        id            text    NOT NULL PRIMARY KEY,
        digest        text    NOT NULL,
        strategy      text    NOT NULL,
        kind          text    NOT NULL,
        owner_id      text    NOT NULL,
        parent_id     text,
        label         text    NOT NULL,
        hint          text    NOT NULL,
        scopes        json    NOT NULL,
        allowed_ips   json    NOT NULL,
        sealed_secret text,
        attributes    json    NOT NULL,
        created_at    bigint  NOT NULL,
        expires_at    bigint,
        last_used_at  bigint,
        revoked_at    bigint
      );
      CREATE UNIQUE INDEX credentials_digest ON ${s}.credentials (digest);
      CREATE INDEX credentials_owner ON ${s}.credentials (owner_id, strategy, kind);
      CREATE INDEX credentials_parent ON ${s}.credentials (parent_id) WHERE parent_id IS NOT NULL;
      CREATE INDEX credentials_revoked_at ON ${s}.credentials (revoked_at) WHERE revoked_at IS NOT NULL;
      CREATE INDEX credentials_expires_at ON ${s}.credentials (expires_at) WHERE expires_at IS NOT NULL;

      CREATE TABLE ${s}.ephemeral (
        key        text             NOT NULL PRIMARY KEY,
        value      double precision NOT NULL,
        expires_at bigint
      );
      CREATE INDEX ephemeral_expires_at ON ${s}.ephemeral (expires_at) WHERE expires_at IS NOT NULL;

      CREATE TABLE ${s}.health_probe (
        id         integer NOT NULL PRIMARY KEY CHECK (id = 1),
        checked_at bigint  NOT NULL
      );
      INSERT INTO ${s}.health_probe (id, checked_at) VALUES (1, 0);
    `,
  },
];

/**
 * The schema version this code writes and understands (the highest `version` in `schema_migrations`).
 *
 * @example
 * ```ts
 * import { POSTGRES_SCHEMA_VERSION } from '@gatehouse/store-postgres';
 * POSTGRES_SCHEMA_VERSION; // 1
 * ```
 */
export const POSTGRES_SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** Lowercase unquoted-identifier rules, so the name means the same quoted or not and needs no escaping. */
export const SCHEMA_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** `"name"`: the schema as an SQL identifier (validated against {@link SCHEMA_NAME_PATTERN} first). */
export function quoteSchema(name: string): string {
  if (!SCHEMA_NAME_PATTERN.test(name)) throw new RangeError(`invalid schema name ${JSON.stringify(name)}`);
  return `"${name}"`;
}

function newerError(schema: string, version: number): Error {
  return new Error(
    `@gatehouse/store-postgres: the schema "${schema}" has version ${version}, but this version of ` +
      `@gatehouse/store-postgres only knows versions up to ${POSTGRES_SCHEMA_VERSION}. It was written by a newer ` +
      'release; upgrade @gatehouse/store-postgres on every instance. Nothing was changed.',
  );
}

/** The schema's applied version: 0 when it has no `schema_migrations` table yet. */
async function readVersion(db: Pick<Database, 'query'>, schema: string): Promise<number> {
  const quoted = quoteSchema(schema);
  const exists = await db.query<{ table: string | null }>(
    { name: null, text: 'SELECT to_regclass($1) AS table' },
    [`${quoted}.schema_migrations`],
  );
  if (exists.rows[0]?.table == null) return 0;
  const result = await db.query<{ version: number | null }>({ name: null, text: `SELECT max(version) AS version FROM ${quoted}.schema_migrations` });
  return result.rows[0]?.version ?? 0;
}

/**
 * Brings `schema` up to {@link POSTGRES_SCHEMA_VERSION}: creates it if needed and applies every missing step, all
 * in one transaction under an advisory lock, so instances starting together migrate once and the others wait,
 * then see the result. An up-to-date schema costs two reads and no lock. Throws, changing
 * nothing, when the schema is newer than this code.
 *
 * @example
 * ```ts
 * await migrate(db, 'gatehouse');
 * ```
 */
export async function migrate(db: Database, schema: string): Promise<void> {
  const current = await readVersion(db, schema);
  if (current > POSTGRES_SCHEMA_VERSION) throw newerError(schema, current);
  if (current === POSTGRES_SCHEMA_VERSION) return;
  const quoted = quoteSchema(schema);
  const run = (connection: Queryable, text: string, values: readonly unknown[] = []) => connection.query({ name: null, text }, values);
  const lockKey = `gatehouse:migrate:${schema}`;
  await db.session(async (connection) => {
    // A session-level lock taken before the transaction begins: a transaction that only began after the lock was
    // granted reads the catalog as the previous holder left it. (Within one transaction, an advisory lock does
    // not refresh PostgreSQL's catalog caches, so CREATE SCHEMA IF NOT EXISTS could miss a schema just created.)
    await run(connection, 'SELECT pg_advisory_lock(hashtextextended($1, 0))', [lockKey]);
    await run(connection, 'BEGIN');
    // Migrations may take longer than a request; a future ALTER waits for its lock no longer than that either.
    await run(connection, "SET LOCAL statement_timeout = '60s'");
    await run(connection, "SET LOCAL lock_timeout = '60s'");
    // CREATE SCHEMA (even IF NOT EXISTS) needs the CREATE right on the database: only when the schema is missing.
    const present = await connection.query<{ present: boolean }>(
      { name: null, text: 'SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS present' },
      [schema],
    );
    if (present.rows[0]?.present !== true) await run(connection, `CREATE SCHEMA ${quoted}`);
    await run(
      connection,
      `CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (
        version    integer     NOT NULL PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    const version = await readVersion(connection, schema);
    if (version > POSTGRES_SCHEMA_VERSION) throw newerError(schema, version);
    for (const migration of MIGRATIONS) {
      if (migration.version <= version) continue;
      try {
        await run(connection, migration.sql(quoted));
      } catch (error) {
        throw new Error(
          `@gatehouse/store-postgres: schema migration ${migration.version} failed in "${schema}" (it was rolled back; ` +
            `nothing was changed): ${(error as Error).message}`,
          { cause: error },
        );
      }
      await run(connection, `INSERT INTO ${quoted}.schema_migrations (version) VALUES ($1)`, [migration.version]);
    }
    await run(connection, 'COMMIT');
    await run(connection, 'SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockKey]);
    // On any failure the connection is destroyed (see Database.session): the transaction rolls back and the
    // session lock is released with it.
  });
}

/**
 * Checks, without writing, that `schema` is exactly at {@link POSTGRES_SCHEMA_VERSION}: for deployments that
 * apply migrations in a separate step and run the application without DDL rights.
 *
 * @example
 * ```ts
 * await verifySchema(db, 'gatehouse'); // throws when migrations are missing or the schema is newer
 * ```
 */
export async function verifySchema(db: Database, schema: string): Promise<void> {
  const version = await readVersion(db, schema);
  if (version > POSTGRES_SCHEMA_VERSION) throw newerError(schema, version);
  if (version < POSTGRES_SCHEMA_VERSION) {
    throw new Error(
      `@gatehouse/store-postgres: the schema "${schema}" is at version ${version}, but this release needs ` +
        `${POSTGRES_SCHEMA_VERSION}. Apply the migrations first (applyPostgresMigrations, or open the stores once ` +
        "with migrations: 'apply').",
    );
  }
}
