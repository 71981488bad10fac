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
import type Database from 'better-sqlite3';

/** A `credentials` row as SQLite returns it. */
interface CredentialRow {
  id: string;
  digest: string;
  strategy: string;
  kind: string;
  owner_id: string;
  parent_id: string | null;
  label: string;
  hint: string;
  scopes: string;
  allowed_ips: string;
  sealed_secret: string | null;
  attributes: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

/**
 * The SQL the credential store runs; exported for tests (`EXPLAIN QUERY PLAN`), not from the package.
 *
 * @example
 * ```ts
 * db.prepare(`EXPLAIN QUERY PLAN ${CREDENTIAL_SQL.findByDigest}`).all('digest');
 * ```
 */
export const CREDENTIAL_SQL = {
  insert: `
    INSERT INTO credentials (id, digest, strategy, kind, owner_id, parent_id, label, hint, scopes, allowed_ips,
      sealed_secret, attributes, created_at, expires_at, last_used_at, revoked_at)
    VALUES (@id, @digest, @strategy, @kind, @ownerId, @parentId, @label, @hint, @scopes, @allowedIps,
      @sealedSecret, @attributes, @createdAt, @expiresAt, NULL,
      -- derived from a revoked record: born revoked (one writer at a time, so no revoke can run in between)
      (SELECT parent.revoked_at FROM credentials AS parent WHERE parent.id = @parentId))
    ON CONFLICT DO NOTHING`,
  exists: 'SELECT 1 FROM credentials WHERE id = ? OR digest = ? LIMIT 1',
  countActive: `
    SELECT COUNT(*) FROM credentials
    WHERE owner_id = @ownerId AND strategy = @strategy AND kind = @kind
      AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @now)`,
  findByDigest: 'SELECT * FROM credentials WHERE digest = ?',
  findById: 'SELECT * FROM credentials WHERE id = ?',
  listByOwner: `
    SELECT * FROM credentials
    WHERE owner_id = @ownerId
      AND (@strategy IS NULL OR strategy = @strategy)
      AND (@kind IS NULL OR kind = @kind)
      AND (@activeAt IS NULL OR (revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @activeAt)))
    ORDER BY created_at, id`,
  update: `
    UPDATE credentials SET
      label         = CASE WHEN @setLabel        THEN @label        ELSE label         END,
      scopes        = CASE WHEN @setScopes       THEN @scopes       ELSE scopes        END,
      allowed_ips   = CASE WHEN @setAllowedIps   THEN @allowedIps   ELSE allowed_ips   END,
      sealed_secret = CASE WHEN @setSealedSecret THEN @sealedSecret ELSE sealed_secret END,
      attributes    = CASE WHEN @setAttributes   THEN @attributes   ELSE attributes    END,
      expires_at    = CASE WHEN @setExpiresAt    THEN @expiresAt    ELSE expires_at    END
    WHERE id = @id
    RETURNING *`,
  revokedAt: 'SELECT revoked_at FROM credentials WHERE id = ?',
  revokeTree: `
    WITH RECURSIVE tree(id) AS (
      SELECT @id
      UNION
      SELECT credentials.id FROM credentials JOIN tree ON credentials.parent_id = tree.id
    )
    UPDATE credentials SET revoked_at = @at WHERE revoked_at IS NULL AND id IN (SELECT id FROM tree)`,
  touch: `
    UPDATE credentials SET last_used_at = @at
    WHERE id = @id AND (last_used_at IS NULL OR last_used_at <= @threshold)`,
  deleteInactive: 'DELETE FROM credentials WHERE revoked_at < @before OR expires_at < @before',
} as const;

/** How many `touch` writes the in-process debounce cache remembers before it starts forgetting the oldest. */
const TOUCH_CACHE_LIMIT = 10_000;

function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

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
    scopes: Object.freeze(parseJson<string[]>(row.scopes)),
    allowedIps: Object.freeze(parseJson<string[]>(row.allowed_ips)),
    sealedSecret: row.sealed_secret,
    attributes: Object.freeze(parseJson<Record<string, string | number | boolean | null>>(row.attributes)),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  });
}

/** Same order as the memory store: `createdAt`, then `id` compared as JavaScript strings. */
function compareRecords(a: CredentialRecord, b: CredentialRecord): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Builds the SQLite {@link CredentialStore} on an open, migrated database. Statements are prepared once here.
 * Every method is `async`, so a closed database or an SQLite error becomes a rejected promise.
 *
 * @example
 * ```ts
 * const credentials = createSqliteCredentialStore(migratedDatabase, 60_000, createSqliteHealthProbe(migratedDatabase, systemClock));
 * ```
 */
export function createSqliteCredentialStore(
  db: Database.Database,
  touchIntervalMs: number,
  health: () => Promise<StoreHealth>,
): CredentialStore {
  const insertStatement = db.prepare(CREDENTIAL_SQL.insert);
  const existsStatement = db.prepare(CREDENTIAL_SQL.exists).pluck();
  const countActiveStatement = db.prepare(CREDENTIAL_SQL.countActive).pluck();
  const findByDigestStatement = db.prepare<[string], CredentialRow>(CREDENTIAL_SQL.findByDigest);
  const findByIdStatement = db.prepare<[string], CredentialRow>(CREDENTIAL_SQL.findById);
  const listByOwnerStatement = db.prepare<[Record<string, unknown>], CredentialRow>(CREDENTIAL_SQL.listByOwner);
  const updateStatement = db.prepare<[Record<string, unknown>], CredentialRow>(CREDENTIAL_SQL.update);
  const revokedAtStatement = db.prepare(CREDENTIAL_SQL.revokedAt);
  const revokeTreeStatement = db.prepare(CREDENTIAL_SQL.revokeTree);
  const touchStatement = db.prepare(CREDENTIAL_SQL.touch);
  const deleteInactiveStatement = db.prepare(CREDENTIAL_SQL.deleteInactive);

  /**
   * id → a `last_used_at` this process wrote. `last_used_at` only moves forward (a write needs `at` at least one
   * interval past it), so the stored value is at least this one and a touch within the interval can be skipped
   * without asking SQLite (a no-op UPDATE still takes the write lock).
   */
  const touchedAt = new Map<string, number>();

  const toRow = (record: NewCredentialRecord): Record<string, unknown> => ({
    id: record.id,
    digest: record.digest,
    strategy: record.strategy,
    kind: record.kind,
    ownerId: record.ownerId,
    parentId: record.parentId ?? null,
    label: record.label,
    hint: record.hint,
    scopes: JSON.stringify(record.scopes),
    allowedIps: JSON.stringify(record.allowedIps),
    sealedSecret: record.sealedSecret ?? null,
    attributes: JSON.stringify(record.attributes),
    createdAt: record.createdAt,
    expiresAt: record.expiresAt ?? null,
  });

  // Check, count and insert under one write lock (BEGIN IMMEDIATE): no other connection or process can insert
  // for the same owner in between.
  const insertWithLimit = db.transaction(
    (row: Record<string, unknown>, limit: number, now: unknown): InsertCredentialResult => {
      if (existsStatement.get(row['id'], row['digest']) !== undefined) return { type: 'conflict' };
      if (typeof now !== 'number') throw new TypeError('insert: `now` is required with `maxActivePerOwner`');
      const active = countActiveStatement.get({
        ownerId: row['ownerId'],
        strategy: row['strategy'],
        kind: row['kind'],
        now,
      }) as number;
      if (active >= limit) return { type: 'limit-exceeded', limit };
      return insertStatement.run(row).changes === 1 ? { type: 'inserted' } : { type: 'conflict' };
    },
  );

  // Check and revoke the whole tree in one transaction.
  const revokeTree = db.transaction((id: string, at: number): boolean => {
    const revokedAt = revokedAtStatement.get(id) as { revoked_at: number | null } | undefined;
    if (revokedAt === undefined || revokedAt.revoked_at !== null) return false;
    revokeTreeStatement.run({ id, at });
    return true;
  });

  return {
    async insert(record: NewCredentialRecord, options: InsertCredentialOptions = {}): Promise<InsertCredentialResult> {
      const row = toRow(record);
      const { maxActivePerOwner } = options;
      if (maxActivePerOwner !== undefined && (!Number.isSafeInteger(maxActivePerOwner) || maxActivePerOwner < 0)) {
        throw new RangeError('insert: `maxActivePerOwner` must be a non-negative integer');
      }
      const result =
        maxActivePerOwner === undefined
          ? insertStatement.run(row).changes === 1
            ? ({ type: 'inserted' } as const)
            : ({ type: 'conflict' } as const)
          : insertWithLimit.immediate(row, maxActivePerOwner, options.now);
      if (result.type === 'inserted') touchedAt.delete(record.id);
      return result;
    },

    async findByDigest(digest: string): Promise<CredentialRecord | null> {
      const row = findByDigestStatement.get(digest);
      return row === undefined ? null : toRecord(row);
    },

    async findById(id: string): Promise<CredentialRecord | null> {
      const row = findByIdStatement.get(id);
      return row === undefined ? null : toRecord(row);
    },

    async listByOwner(ownerId: string, filter: ListCredentialsFilter = {}): Promise<CredentialRecord[]> {
      const rows = listByOwnerStatement.all({
        ownerId,
        strategy: filter.strategy ?? null,
        kind: filter.kind ?? null,
        activeAt: filter.activeAt ?? null,
      });
      // SQLite orders ids by UTF-8 bytes; re-sort with the memory store's comparator so the order is identical
      // for every id (cheap: one owner's records).
      return rows.map(toRecord).sort(compareRecords);
    },

    async update(id: string, patch: CredentialPatch): Promise<CredentialRecord | null> {
      const has = (field: keyof CredentialPatch): number => (patch[field] !== undefined ? 1 : 0);
      if (
        has('label') + has('scopes') + has('allowedIps') + has('sealedSecret') + has('attributes') + has('expiresAt') ===
        0
      ) {
        const row = findByIdStatement.get(id);
        return row === undefined ? null : toRecord(row);
      }
      const row = updateStatement.get({
        id,
        setLabel: has('label'),
        label: patch.label ?? null,
        setScopes: has('scopes'),
        scopes: patch.scopes === undefined ? null : JSON.stringify(patch.scopes),
        setAllowedIps: has('allowedIps'),
        allowedIps: patch.allowedIps === undefined ? null : JSON.stringify(patch.allowedIps),
        setSealedSecret: has('sealedSecret'),
        sealedSecret: patch.sealedSecret ?? null,
        setAttributes: has('attributes'),
        attributes: patch.attributes === undefined ? null : JSON.stringify(patch.attributes),
        setExpiresAt: has('expiresAt'),
        expiresAt: patch.expiresAt ?? null,
      });
      return row === undefined ? null : toRecord(row);
    },

    async revoke(id: string, at: number): Promise<boolean> {
      return revokeTree.immediate(id, at);
    },

    async touch(id: string, at: number): Promise<void> {
      // Even a touch the cache would skip reports a closed database, like every other call.
      if (!db.open) throw new TypeError('The database connection is not open');
      const known = touchedAt.get(id);
      if (known !== undefined && at - known < touchIntervalMs) return;
      const { changes } = touchStatement.run({ id, at, threshold: at - touchIntervalMs });
      if (changes === 0) return;
      touchedAt.delete(id);
      if (touchedAt.size >= TOUCH_CACHE_LIMIT) {
        const oldest = touchedAt.keys().next();
        if (oldest.done !== true) touchedAt.delete(oldest.value);
      }
      touchedAt.set(id, at);
    },

    async deleteInactive(before: number): Promise<number> {
      const { changes } = deleteInactiveStatement.run({ before });
      // A deleted id could come back with a new record; forget what this process knew about last uses.
      if (changes > 0) touchedAt.clear();
      return changes;
    },

    health,
  };
}
