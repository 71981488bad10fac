import type Database from 'better-sqlite3';

/**
 * One schema step. `version` is the `PRAGMA user_version` the database has after the step ran; steps run in
 * order, each in its own `BEGIN IMMEDIATE` transaction, and never drop or rewrite existing data.
 */
interface Migration {
  readonly version: number;
  readonly sql: string;
}

/**
 * The schema history. Append only: a released step is never edited, a change is a new step.
 *
 * Nothing secret is stored: `digest` is the lookup digest of a secret (never the secret), and `sealed_secret`
 * is a secret encrypted under the server's key-encryption key (see `createSecretSealer` in auth-core).
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE credentials (
        id            TEXT    NOT NULL PRIMARY KEY,
        digest        TEXT    NOT NULL,
        strategy      TEXT    NOT NULL,
        kind          TEXT    NOT NULL,
        owner_id      TEXT    NOT NULL,
        parent_id     TEXT,
        label         TEXT    NOT NULL,
        hint          TEXT    NOT NULL,
        scopes        TEXT    NOT NULL, -- JSON array of strings
        allowed_ips   TEXT    NOT NULL, -- JSON array of strings
        sealed_secret TEXT,             -- encrypted, never a plain secret
        attributes    TEXT    NOT NULL, -- JSON object
        created_at    INTEGER NOT NULL, -- epoch milliseconds
        expires_at    INTEGER,
        last_used_at  INTEGER,
        revoked_at    INTEGER
      );
      CREATE UNIQUE INDEX credentials_digest ON credentials (digest);
      CREATE INDEX credentials_owner ON credentials (owner_id, strategy, kind);
      CREATE INDEX credentials_parent ON credentials (parent_id) WHERE parent_id IS NOT NULL;

      CREATE TABLE ephemeral (
        key        TEXT NOT NULL PRIMARY KEY,
        value      REAL NOT NULL,
        expires_at INTEGER -- epoch milliseconds; NULL keeps the entry forever
      ) WITHOUT ROWID;
      CREATE INDEX ephemeral_expires_at ON ephemeral (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
  {
    version: 2,
    // One row that `health()` rewrites: a real committed write, so a read-only or locked file is reported.
    sql: `
      CREATE TABLE health_probe (
        id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
        checked_at INTEGER NOT NULL -- epoch milliseconds of the last successful probe
      );
    `,
  },
];

/**
 * The schema version this code writes and understands (`PRAGMA user_version` after all migrations).
 *
 * @example
 * ```ts
 * import { SQLITE_SCHEMA_VERSION } from '@gatehouse/store-sqlite';
 * stores.database.pragma('user_version', { simple: true }) === SQLITE_SCHEMA_VERSION; // true
 * ```
 */
export const SQLITE_SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

function readUserVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function refuseNewer(version: number, path: string): never {
  throw new Error(
    `@gatehouse/store-sqlite: the database ${JSON.stringify(path)} has schema version ${version}, but this version ` +
      `of @gatehouse/store-sqlite only knows versions up to ${SQLITE_SCHEMA_VERSION}. It was written by a newer ` +
      'release; upgrade @gatehouse/store-sqlite. The database was not modified.',
  );
}

/**
 * Throws when the database was written by a newer release. Called first on open, before any pragma that could
 * change the file (such as switching it to WAL), so a refused file is left byte for byte as it was.
 *
 * @example
 * ```ts
 * refuseNewerSchema(new Database(path), path); // throws on a file from a newer release
 * ```
 */
export function refuseNewerSchema(db: Database.Database, path: string): void {
  const version = readUserVersion(db);
  if (version > SQLITE_SCHEMA_VERSION) refuseNewer(version, path);
}

/**
 * Brings the schema up to {@link SQLITE_SCHEMA_VERSION}. Safe to call on every open and from several processes
 * at once: each step takes the write lock (`BEGIN IMMEDIATE`), re-reads `user_version` and skips itself when
 * another connection already applied it. Throws (modifying nothing) when the file is newer than this code.
 *
 * @example
 * ```ts
 * migrate(db, path); // PRAGMA user_version is now SQLITE_SCHEMA_VERSION
 * ```
 */
export function migrate(db: Database.Database, path: string): void {
  // Fast path: an up-to-date database costs one read and no lock.
  const current = readUserVersion(db);
  if (current > SQLITE_SCHEMA_VERSION) refuseNewer(current, path);
  if (current === SQLITE_SCHEMA_VERSION) return;

  for (const migration of MIGRATIONS) {
    const step = db.transaction((): void => {
      const version = readUserVersion(db);
      if (version > SQLITE_SCHEMA_VERSION) refuseNewer(version, path);
      if (version >= migration.version) return;
      try {
        db.exec(migration.sql);
      } catch (error) {
        throw new Error(
          `@gatehouse/store-sqlite: schema migration ${migration.version} failed on ${JSON.stringify(path)} ` +
            `(it was rolled back; nothing was changed): ${(error as Error).message}`,
          { cause: error },
        );
      }
      db.pragma(`user_version = ${migration.version}`);
    });
    step.immediate();
  }
}
