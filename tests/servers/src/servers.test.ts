import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startPostgres, startRedis, startRedisCluster } from './index.js';

describe('test servers', () => {
  it('PostgreSQL starts on 127.0.0.1, keeps its data across stop and start, and refuses connections while stopped', async () => {
    const postgres = await startPostgres();
    try {
      expect(postgres.version).toBeGreaterThanOrEqual(13);
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      await client.query('CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)');
      await client.end();
      await postgres.stop();
      await expect(new pg.Client({ connectionString: postgres.url, connectionTimeoutMillis: 1000 }).connect()).rejects.toThrow(/ECONNREFUSED/);
      await postgres.start();
      const again = new pg.Client({ connectionString: postgres.url });
      await again.connect();
      expect((await again.query('SELECT x FROM kept')).rows).toEqual([{ x: 42 }]);
      await again.end();
    } finally {
      await postgres.close();
    }
  }, 60_000);

  it('Redis starts on 127.0.0.1 and comes back empty after a restart', async () => {
    const redis = await startRedis();
    try {
      const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await client.connect();
      await client.set('k', 'v');
      expect(await client.get('k')).toBe('v');
      client.disconnect();
      await redis.stop();
      await redis.start();
      const again = new Redis(redis.url, { lazyConnect: true });
      await again.connect();
      expect(await again.get('k')).toBeNull();
      again.disconnect();
    } finally {
      await redis.close();
    }
  }, 60_000);

  it('a Redis Cluster of three masters serves keys of every slot', async () => {
    const cluster = await startRedisCluster(3);
    try {
      const client = new Cluster([...cluster.nodes]);
      const keys = Array.from({ length: 30 }, (_, index) => `key-${index}`);
      for (const key of keys) await client.set(key, key);
      expect(await Promise.all(keys.map((key) => client.get(key)))).toEqual(keys);
      const slotsByNode = (await client.cluster('SLOTS')) as unknown[];
      expect(slotsByNode.length).toBe(3);
      client.disconnect();
    } finally {
      await cluster.close();
    }
  }, 60_000);
});
