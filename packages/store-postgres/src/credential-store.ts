import type {
  CredentialPatch,
  CredentialRecord,
  CredentialStore,
  InsertCredentialOptions,
  InsertCredentialResult,
  ListCredentialsFilter,
  NewCredentialRecord,
  StoreHealth,
} from '@gatehouse/auth-core';
import { statement, type Database, type Statement } from './database.js';
import { assertStorable, isStorableText, toMilliseconds } from './text.js';

/** A `credentials` row as node-postgres returns it (json columns parsed, bigint columns as numbers). */
interface CredentialRow {
  id: string;
  digest: string;
  strategy: string;
  kind: string;
  owner_id: string;
  parent_id: string | null;
  label: string;
  hint: string;
  scopes: string[];
  allowed_ips: string[];
  sealed_secret: string | null;
  attributes: Record<string, string | number | boolean | null>;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

const COLUMNS =
  'id, digest, strategy, kind, owner_id, parent_id, label, hint, scopes, allowed_ips, sealed_secret, attributes, ' +
  'created_at, expires_at, last_used_at, revoked_at';

/**
 * The SQL of the credential store for one schema (an already quoted identifier). Exported for tests (`EXPLAIN`),
 * not from the package.
 *
 * @example
 * ```ts
 * const sql = credentialStatements('"gatehouse"');
 * await pool.query(`EXPLAIN ${sql.findByDigest.text}`, ['digest']);
 * ```
 */
export function credentialStatements(schema: string) {
  const table = `${schema}.credentials`;
  // A record derived from a revoked one is stored revoked. FOR SHARE orders the insert with a revoke of the
  // parent (which holds the parent's row lock): an insert that comes second waits and reads the revocation; one
  // that comes first commits before the revoke computes its tree, and is revoked with it (see revokeTree).
  const parentRevokedAt = `(SELECT revoked_at FROM ${table} WHERE id = $6 FOR SHARE)`;
  return {
    insert: statement(
      'cs_insert',
      `INSERT INTO ${table} (${COLUMNS})
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULL, ${parentRevokedAt}
       ON CONFLICT DO NOTHING`,
    ),
    // Runs after the owner's advisory lock: one statement sees one snapshot, taken once the lock is held, so
    // it counts every insert committed by whoever held the lock before.
    insertWithinLimit: statement(
      'cs_insert_limit',
      `WITH existing AS (
         SELECT 1 FROM ${table} WHERE id = $1 OR digest = $2 LIMIT 1
       ), active AS (
         SELECT count(*) AS n FROM ${table}
         WHERE owner_id = $5 AND strategy = $3 AND kind = $4
           AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $15)
       ), inserted AS (
         INSERT INTO ${table} (${COLUMNS})
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULL, ${parentRevokedAt}
         WHERE NOT EXISTS (SELECT 1 FROM existing) AND (SELECT n FROM active) < $16
         ON CONFLICT DO NOTHING
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM existing)::int AS existing,
              (SELECT n FROM active)::int AS active,
              (SELECT count(*) FROM inserted)::int AS inserted`,
    ),
    lockOwner: statement('cs_lock_owner', 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))'),
    findByDigest: statement('cs_find_digest', `SELECT ${COLUMNS} FROM ${table} WHERE digest = $1`),
    findById: statement('cs_find_id', `SELECT ${COLUMNS} FROM ${table} WHERE id = $1`),
    listByOwner: statement(
      'cs_list',
      `SELECT ${COLUMNS} FROM ${table}
       WHERE owner_id = $1
         AND ($2::text IS NULL OR strategy = $2)
         AND ($3::text IS NULL OR kind = $3)
         AND ($4::bigint IS NULL OR (revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $4)))`,
    ),
    update: statement(
      'cs_update',
      `UPDATE ${table} SET
         label         = CASE WHEN $2 THEN $3::text    ELSE label         END,
         scopes        = CASE WHEN $4 THEN $5::json    ELSE scopes        END,
         allowed_ips   = CASE WHEN $6 THEN $7::json    ELSE allowed_ips   END,
         sealed_secret = CASE WHEN $8 THEN $9::text    ELSE sealed_secret END,
         attributes    = CASE WHEN $10 THEN $11::json  ELSE attributes    END,
         expires_at    = CASE WHEN $12 THEN $13::bigint ELSE expires_at   END
       WHERE id = $1
       RETURNING ${COLUMNS}`,
    ),
    lockForRevoke: statement('cs_revoke_lock', `SELECT revoked_at FROM ${table} WHERE id = $1 FOR UPDATE`),
    revokeTree: statement(
      'cs_revoke_tree',
      `WITH RECURSIVE tree(id) AS (
         SELECT $1::text
         UNION
         SELECT child.id FROM ${table} child JOIN tree ON child.parent_id = tree.id
       )
       UPDATE ${table} AS target SET revoked_at = $2
       FROM tree WHERE target.id = tree.id AND target.revoked_at IS NULL`,
    ),
    touch: statement(
      'cs_touch',
      `UPDATE ${table} SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)`,
    ),
    deleteInactive: statement('cs_delete_inactive', `DELETE FROM ${table} WHERE revoked_at < $1 OR expires_at < $1`),
  } satisfies Record<string, Statement>;
}

/** How many `touch` writes the in-process debounce cache remembers before it starts forgetting the oldest. */
const TOUCH_CACHE_LIMIT = 10_000;

function toRecord(row: CredentialRow): CredentialRecord {
  return Object.freeze({
    id: row.id,
    digest: row.digest,
    strategy: row.strategy,
    kind: row.kind,
    ownerId: row.owner_id,
    parentId: row.parent_id,
    label: row.label,
    hint: row.hint,
    scopes: Object.freeze(row.scopes),
    allowedIps: Object.freeze(row.allowed_ips),
    sealedSecret: row.sealed_secret,
    attributes: Object.freeze(row.attributes),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  });
}

/** The memory store's order: `createdAt`, then `id` compared as JavaScript strings (UTF-16, not the collation). */
function compareRecords(a: CredentialRecord, b: CredentialRecord): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function insertValues(record: NewCredentialRecord): unknown[] {
  for (const field of ['id', 'digest', 'strategy', 'kind', 'ownerId', 'parentId', 'label', 'hint', 'sealedSecret'] as const) {
    assertStorable(field, record[field] ?? null);
  }
  return [
    record.id,
    record.digest,
    record.strategy,
    record.kind,
    record.ownerId,
    record.parentId ?? null,
    record.label,
    record.hint,
    JSON.stringify(record.scopes),
    JSON.stringify(record.allowedIps),
    record.sealedSecret ?? null,
    JSON.stringify(record.attributes),
    toMilliseconds(record.createdAt),
    record.expiresAt === null || record.expiresAt === undefined ? null : toMilliseconds(record.expiresAt),
  ];
}

/** Options of {@link createPostgresCredentialStore}. */
export interface PostgresCredentialStoreSettings {
  /** The quoted schema identifier. */
  readonly schema: string;
  readonly touchIntervalMs: number;
  /** How long `deleteInactive` may run (a maintenance call that may delete many rows). */
  readonly maintenanceTimeoutMs: number;
  readonly health: () => Promise<StoreHealth>;
}

/**
 * Builds the PostgreSQL {@link CredentialStore} on a migrated schema.
 *
 * @example
 * ```ts
 * const credentials = createPostgresCredentialStore(db, { schema: '"gatehouse"', touchIntervalMs: 60_000, maintenanceTimeoutMs: 60_000, health });
 * ```
 */
export function createPostgresCredentialStore(db: Database, settings: PostgresCredentialStoreSettings): CredentialStore {
  const sql = credentialStatements(settings.schema);
  const { touchIntervalMs } = settings;
  /**
   * id → a `last_used_at` this process wrote. `last_used_at` only moves forward, so a touch within the interval
   * of one this process wrote can be skipped without a round trip.
   */
  const touchedAt = new Map<string, number>();

  const rememberTouch = (id: string, at: number): void => {
    touchedAt.delete(id);
    if (touchedAt.size >= TOUCH_CACHE_LIMIT) {
      const oldest = touchedAt.keys().next();
      if (oldest.done !== true) touchedAt.delete(oldest.value);
    }
    touchedAt.set(id, at);
  };

  const findById = async (id: string): Promise<CredentialRecord | null> => {
    // A string PostgreSQL cannot hold is no stored id: not found, rather than a failing query.
    if (!isStorableText(id)) return null;
    const { rows } = await db.query<CredentialRow>(sql.findById, [id]);
    return rows[0] === undefined ? null : toRecord(rows[0]);
  };

  return {
    async insert(record: NewCredentialRecord, options: InsertCredentialOptions = {}): Promise<InsertCredentialResult> {
      const { maxActivePerOwner, now } = options;
      if (maxActivePerOwner !== undefined && (!Number.isSafeInteger(maxActivePerOwner) || maxActivePerOwner < 0)) {
        throw new RangeError('insert: `maxActivePerOwner` must be a non-negative integer');
      }
      const values = insertValues(record);
      if (maxActivePerOwner === undefined) {
        const result = await db.query(sql.insert, values);
        if (result.rowCount !== 1) return { type: 'conflict' };
        touchedAt.delete(record.id);
        return { type: 'inserted' };
      }
      if (typeof now !== 'number') throw new TypeError('insert: `now` is required with `maxActivePerOwner`');
      // One lock per (owner, strategy, kind), held to the end of the transaction: inserts for the same owner
      // from every connection and process take turns; other owners are not held up.
      const lockKey = JSON.stringify([settings.schema, record.ownerId, record.strategy, record.kind]);
      const counts = await db.transaction(async (connection) => {
        await connection.query(sql.lockOwner, [lockKey]);
        const result = await connection.query<{ existing: number; active: number; inserted: number }>(sql.insertWithinLimit, [
          ...values,
          toMilliseconds(now),
          maxActivePerOwner,
        ]);
        return result.rows[0];
      });
      if (counts === undefined) throw new Error('insert: no result row');
      if (counts.inserted === 1) {
        touchedAt.delete(record.id);
        return { type: 'inserted' };
      }
      if (counts.existing > 0) return { type: 'conflict' };
      if (counts.active >= maxActivePerOwner) return { type: 'limit-exceeded', limit: maxActivePerOwner };
      return { type: 'conflict' }; // another owner's record took the id or digest in the meantime
    },

    async findByDigest(digest: string): Promise<CredentialRecord | null> {
      if (!isStorableText(digest)) return null;
      const { rows } = await db.query<CredentialRow>(sql.findByDigest, [digest]);
      return rows[0] === undefined ? null : toRecord(rows[0]);
    },

    findById,

    async listByOwner(ownerId: string, filter: ListCredentialsFilter = {}): Promise<CredentialRecord[]> {
      if (!isStorableText(ownerId) || ![filter.strategy, filter.kind].every((text) => text === undefined || isStorableText(text))) return [];
      const { rows } = await db.query<CredentialRow>(sql.listByOwner, [
        ownerId,
        filter.strategy ?? null,
        filter.kind ?? null,
        filter.activeAt === undefined ? null : toMilliseconds(filter.activeAt),
      ]);
      return rows.map(toRecord).sort(compareRecords);
    },

    async update(id: string, patch: CredentialPatch): Promise<CredentialRecord | null> {
      const has = (field: keyof CredentialPatch): boolean => patch[field] !== undefined;
      if (!isStorableText(id)) return null;
      if (!(['label', 'scopes', 'allowedIps', 'sealedSecret', 'attributes', 'expiresAt'] as const).some(has)) {
        return findById(id);
      }
      assertStorable('label', patch.label ?? null);
      assertStorable('sealedSecret', patch.sealedSecret ?? null);
      const { rows } = await db.query<CredentialRow>(sql.update, [
        id,
        has('label'),
        patch.label ?? null,
        has('scopes'),
        patch.scopes === undefined ? null : JSON.stringify(patch.scopes),
        has('allowedIps'),
        patch.allowedIps === undefined ? null : JSON.stringify(patch.allowedIps),
        has('sealedSecret'),
        patch.sealedSecret ?? null,
        has('attributes'),
        patch.attributes === undefined ? null : JSON.stringify(patch.attributes),
        has('expiresAt'),
        patch.expiresAt === null || patch.expiresAt === undefined ? null : toMilliseconds(patch.expiresAt),
      ]);
      return rows[0] === undefined ? null : toRecord(rows[0]);
    },

    async revoke(id: string, at: number): Promise<boolean> {
      if (!isStorableText(id)) return false;
      const revokedAt = toMilliseconds(at);
      return db.transaction(async (connection) => {
        // The record's row lock: a concurrent revoke of it waits here and then finds it revoked; an insert
        // deriving from it waits (FOR SHARE) until this commits and is then stored revoked.
        const { rows } = await connection.query<{ revoked_at: number | null }>(sql.lockForRevoke, [id]);
        if (rows[0] === undefined || rows[0].revoked_at !== null) return false;
        // Each pass is a new statement with a new snapshot: it also reaches records derived (at any depth) by
        // inserts that held a lock this transaction waited for, so it repeats until a pass finds nothing.
        while (((await connection.query(sql.revokeTree, [id, revokedAt])).rowCount ?? 0) > 0);
        return true;
      });
    },

    async touch(id: string, at: number): Promise<void> {
      if (!isStorableText(id)) return;
      const known = touchedAt.get(id);
      if (known !== undefined && at - known < touchIntervalMs) return;
      const result = await db.query(sql.touch, [id, toMilliseconds(at), toMilliseconds(at - touchIntervalMs)]);
      if (result.rowCount === 1) rememberTouch(id, at);
    },

    async deleteInactive(before: number): Promise<number> {
      // A maintenance call may delete many rows: a longer budget, here and on the server (a pool built by
      // openPostgresStores ends statements after the query timeout).
      const result = await db.transaction(async (connection) => {
        await connection.query({ name: null, text: `SET LOCAL statement_timeout = ${settings.maintenanceTimeoutMs}` });
        return connection.query(sql.deleteInactive, [toMilliseconds(before)]);
      }, { timeoutInMilliseconds: settings.maintenanceTimeoutMs });
      // A deleted id could come back with a new record; forget what this process knew about last uses.
      if ((result.rowCount ?? 0) > 0) touchedAt.clear();
      return result.rowCount ?? 0;
    },

    health: settings.health,
  };
}
