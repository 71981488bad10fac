// A store whose server is down, silent, slow or read-only answers at once with a rejection (STORE_UNAVAILABLE
// to a strategy) or `unavailable` from health(), never hangs, and recovers by itself.
import { createServer, type Server, type Socket } from 'node:net';
import { startPostgres, type PostgresServer } from '@gatehouse/test-servers';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRecord, testPool, uniqueSchema } from './fixtures/helpers.js';
import { createDatabase } from './database.js';
import { openPostgresStores } from './index.js';

/** A TCP server that accepts connections and never answers: a hung or black-holed database. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('a server that stops and comes back', () => {
  let postgres: PostgresServer;
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(() => postgres.close());

  it('rejects every call while it is down, reports unavailable, and works again once it is back, without reopening', async () => {
    const stores = await openPostgresStores(postgres.url, { connectTimeoutInMilliseconds: 1000, queryTimeoutInMilliseconds: 1000 });
    try {
      const record = newRecord();
      await stores.credentials.insert(record);
      expect(await stores.ephemeral.setIfAbsent('nonce:1', 60)).toBe(true);
      expect(await stores.credentials.health()).toEqual({ status: 'ok' });

      await postgres.stop();
      await expect(stores.credentials.findByDigest(record.digest)).rejects.toThrow();
      await expect(stores.ephemeral.setIfAbsent('nonce:2', 60)).rejects.toThrow();
      await expect(stores.credentials.insert(newRecord(), { maxActivePerOwner: 20, now: 0 })).rejects.toThrow();
      expect(await stores.credentials.health()).toEqual({ status: 'unavailable', reason: expect.stringMatching(/^PostgreSQL: /) });
      expect(await stores.ephemeral.health()).toMatchObject({ status: 'unavailable' });

      await postgres.start();
      expect((await stores.credentials.findByDigest(record.digest))?.id).toBe(record.id);
      expect(await stores.ephemeral.setIfAbsent('nonce:1', 60)).toBe(false); // the spent nonce outlived the restart
      expect(await stores.credentials.health()).toEqual({ status: 'ok' });
    } finally {
      await stores.close();
    }
  }, 60_000);
});

describe('a server that crashes', () => {
  let postgres: PostgresServer;
  beforeAll(async () => {
    postgres = await startPostgres({ durable: true });
  });
  afterAll(() => postgres.close());

  it('keeps spent nonces, counters and increasing-nonce high-water marks through crash recovery', async () => {
    const stores = await openPostgresStores(postgres.url, { connectTimeoutInMilliseconds: 1000, queryTimeoutInMilliseconds: 1000 });
    try {
      expect(await stores.ephemeral.setIfAbsent('nonce:k:1', 600)).toBe(true);
      expect(await stores.ephemeral.setIfGreater('high-water:k', 1_700_000_000_123, null)).toBe(true);
      expect(await stores.ephemeral.increment('failures:198.51.100.7', 900)).toBe(1);
      await postgres.crash();
      await postgres.start();
      expect(await stores.ephemeral.setIfAbsent('nonce:k:1', 600)).toBe(false);
      expect(await stores.ephemeral.setIfGreater('high-water:k', 1_700_000_000_123, null)).toBe(false);
      expect(await stores.ephemeral.increment('failures:198.51.100.7', 900)).toBe(2);
    } finally {
      await stores.close();
    }
  }, 60_000);
});

describe('a server that never answers', () => {
  it('fails to open within the connect timeout, naming it', async () => {
    const silent = await silentServer();
    try {
      await expect(
        openPostgresStores(`postgres://gatehouse@127.0.0.1:${silent.port}/gatehouse`, { connectTimeoutInMilliseconds: 300 }),
      ).rejects.toThrow(/timeout|within 300 ms/i);
    } finally {
      await silent.close();
    }
  });

  it('bounds the wait on a pool passed in that has no connect timeout of its own', async () => {
    const silent = await silentServer();
    const pool = new pg.Pool({ connectionString: `postgres://gatehouse@127.0.0.1:${silent.port}/gatehouse` });
    pool.on('error', () => undefined);
    try {
      await expect(openPostgresStores(pool, { connectTimeoutInMilliseconds: 300 })).rejects.toThrow(
        'could not get a PostgreSQL connection within 300 ms',
      );
    } finally {
      await silent.close();
      await pool.end().catch(() => undefined);
    }
  });
});

describe('a query that cannot finish', () => {
  const pool = testPool();

  it('rejects after the query timeout while another session locks the table, cancels the statements on the server, and the next calls work', async () => {
    const schema = uniqueSchema('slow');
    const stores = await openPostgresStores(pool, { schema, queryTimeoutInMilliseconds: 300 });
    await stores.ephemeral.setIfAbsent('k', 60);
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE "${schema}".ephemeral IN ACCESS EXCLUSIVE MODE`);
      await expect(stores.ephemeral.get('k')).rejects.toThrow(/timeout/i);
      await expect(stores.ephemeral.increment('counter', 60)).rejects.toThrow(/timeout/i);
      // The server does not go on waiting for the lock on behalf of calls that gave up: they were cancelled.
      const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      const waiting = async (): Promise<number> =>
        Number(
          (
            await pool.query<{ n: string }>(
              "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> $1 AND query LIKE $2",
              [holderPid, `%"${schema}".ephemeral%`],
            )
          ).rows[0]?.n ?? -1,
        );
      await expect.poll(waiting, { timeout: 5000, interval: 50 }).toBe(0);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect(await stores.ephemeral.get('k')).toBe(1);
    expect(await stores.ephemeral.increment('counter', 60)).toBeGreaterThanOrEqual(1);
  });
});

describe('a read-only server', () => {
  it('answers reads while health() reports that it cannot write', async () => {
    const schema = uniqueSchema('readonly');
    const writable = testPool();
    const setup = await openPostgresStores(writable, { schema });
    const record = newRecord();
    await setup.credentials.insert(record);

    const readOnly = testPool({ options: '-c default_transaction_read_only=on' });
    const stores = await openPostgresStores(readOnly, { schema, migrations: 'verify' });
    expect((await stores.credentials.findById(record.id))?.digest).toBe(record.digest);
    expect(await stores.credentials.health()).toEqual({
      status: 'unavailable',
      reason: expect.stringMatching(/read-only transaction/),
    });
    await expect(stores.ephemeral.setIfAbsent('nonce', 60)).rejects.toThrow(/read-only/);
  });
});

describe('a connection the server ends while the store holds it', () => {
  const pool = testPool();

  it('rejects the call and keeps the process alive (node-postgres would otherwise throw an unhandled error event)', async () => {
    const db = createDatabase(pool, { connectInMilliseconds: 1000, queryInMilliseconds: 1000 });
    const attempt = db.transaction(async (connection) => {
      const { rows } = await connection.query<{ pid: number }>({ name: null, text: 'SELECT pg_backend_pid() AS pid' });
      // Between two statements of a transaction: checked out, no query running.
      await pool.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await connection.query({ name: null, text: 'SELECT 1' });
    });
    await expect(attempt).rejects.toThrow();
    expect((await db.query<{ one: number }>({ name: null, text: 'SELECT 1 AS one' })).rows).toEqual([{ one: 1 }]);
  });
});
