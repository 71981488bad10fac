import { createServer, type Socket } from 'node:net';
import { ConfigurationError, createManualClock } from '@gatehouse/auth-core';
import { startRedis } from '@gatehouse/test-servers';
import { Cluster, Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { uniquePrefix } from './fixtures/helpers.js';
import { createRedisEphemeralStore, openRedisEphemeralStore } from './index.js';
import { hashSlot } from './store.js';

const clients: (Redis | Cluster)[] = [];
afterAll(() => {
  for (const client of clients.splice(0)) client.disconnect();
});
function client(): Redis {
  const redis = new Redis(inject('redisUrl'));
  clients.push(redis);
  return redis;
}

async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
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

describe('several instances on one Redis', () => {
  it('accept a nonce once: 100 parallel setIfAbsent across four clients, exactly one true', async () => {
    const keyPrefix = uniquePrefix('nonce');
    const stores = Array.from({ length: 4 }, () => createRedisEphemeralStore(client(), { keyPrefix }));
    const results = await Promise.all(Array.from({ length: 100 }, (_, index) => stores[index % 4]!.setIfAbsent('nonce:k:1', 600)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('count together: 100 parallel increments across four clients return 1…100 once each', async () => {
    const keyPrefix = uniquePrefix('count');
    const stores = Array.from({ length: 4 }, () => createRedisEphemeralStore(client(), { keyPrefix }));
    const values = await Promise.all(Array.from({ length: 100 }, (_, index) => stores[index % 4]!.increment('failures:ip', 900)));
    expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, index) => index + 1));
  });

  it('keep values exact: doubles and integers up to 2^53 come back as stored, and compare exactly', async () => {
    const store = createRedisEphemeralStore(client(), { keyPrefix: uniquePrefix('exact') });
    for (const value of [Number.MAX_SAFE_INTEGER, 1_700_000_000_123, 0.1 + 0.2, -5, 1e21, 5e-324]) {
      expect(await store.setIfGreater(`v:${value}`, value, null)).toBe(true);
      expect(await store.get(`v:${value}`)).toBe(value);
    }
    await store.setIfGreater('hw', Number.MAX_SAFE_INTEGER - 1, null);
    expect(await store.setIfGreater('hw', Number.MAX_SAFE_INTEGER - 1, null)).toBe(false);
    expect(await store.setIfGreater('hw', Number.MAX_SAFE_INTEGER, null)).toBe(true);
  });
});

describe('keys', () => {
  it('are the prefix and the key in a hash tag, with a Redis expiry a grace period past the deadline', async () => {
    const redis = client();
    const keyPrefix = uniquePrefix('layout');
    const store = createRedisEphemeralStore(redis, { keyPrefix, clock: createManualClock(1_000_000) });
    await store.setIfAbsent('nonce:abc', 600);
    expect(await redis.get(`${keyPrefix}{nonce:abc}`)).toBe('1600000 1');
    const ttl = await redis.pttl(`${keyPrefix}{nonce:abc}`);
    expect(ttl).toBeGreaterThan(600_000);
    expect(ttl).toBeLessThanOrEqual(660_000);
    await store.setIfGreater('forever', 3, null);
    expect(await redis.pttl(`${keyPrefix}{forever}`)).toBe(-1); // no expiry
  });

  it('spread over the slots of a Redis Cluster (the prefix is outside the hash tag)', async () => {
    const cluster = new Cluster(inject('redisClusterNodes'));
    clients.push(cluster);
    const keyPrefix = uniquePrefix('slots');
    const store = createRedisEphemeralStore(cluster, { keyPrefix });
    const slots = new Set<number>();
    for (let index = 0; index < 30; index++) {
      await store.setIfAbsent(`nonce:${index}`, 60);
      slots.add(Number(await cluster.cluster('KEYSLOT', `${keyPrefix}{nonce:${index}}`)));
    }
    expect(slots.size).toBeGreaterThan(20);
  });

  it('are distinct however they are spelled: unpaired surrogates (which UTF-8 cannot carry) and the hashed form', async () => {
    const store = createRedisEphemeralStore(client(), { keyPrefix: uniquePrefix('surrogates') });
    const keys = ['a\uD800', 'a\uDBFF', 'a\uFFFD', '\u0001abc', `\u0001${'0'.repeat(64)}`, 'a\u0000b', 'k'.repeat(10_000)];
    for (const key of keys) expect(await store.setIfAbsent(key, 60), JSON.stringify(key.slice(0, 20))).toBe(true);
    for (const key of keys) expect(await store.setIfAbsent(key, 60)).toBe(false);
  });

  it('keep the health probe apart from every stored key', async () => {
    const redis = client();
    const keyPrefix = uniquePrefix('probe');
    const store = createRedisEphemeralStore(redis, { keyPrefix });
    await store.setIfGreater('health-probe', 7, null);
    expect(await store.health()).toEqual({ status: 'ok' });
    expect(await store.get('health-probe')).toBe(7);
  });
});

describe('a Redis that stops, stalls or cannot write', () => {
  it('rejects while it is down, reports unavailable, and works again when it is back', async () => {
    const redis = await startRedis();
    const store = await openRedisEphemeralStore(redis.url, { keyPrefix: uniquePrefix('outage') });
    try {
      expect(await store.setIfAbsent('nonce:1', 60)).toBe(true);
      await redis.stop();
      await expect(store.setIfAbsent('nonce:2', 60)).rejects.toThrow();
      await expect(store.get('nonce:1')).rejects.toThrow();
      expect(await store.health()).toEqual({ status: 'unavailable', reason: expect.stringMatching(/^Redis: /) });
      await redis.start();
      await expect.poll(() => store.health(), { timeout: 10_000, interval: 100 }).toEqual({ status: 'ok' });
      expect(await store.setIfAbsent('nonce:2', 60)).toBe(true);
    } finally {
      await store.close();
      await redis.close();
    }
  }, 60_000);

  it('fails to open within the connect timeout when the server never answers', async () => {
    const silent = await silentServer();
    try {
      await expect(openRedisEphemeralStore(`redis://127.0.0.1:${silent.port}`, { connectTimeoutInMilliseconds: 300 })).rejects.toThrow();
    } finally {
      await silent.close();
    }
  });

  it('bounds every call on a client passed in whose offline queue would wait forever', async () => {
    const silent = await silentServer();
    const stalled = new Redis(`redis://127.0.0.1:${silent.port}`, { maxRetriesPerRequest: null });
    stalled.on('error', () => undefined);
    clients.push(stalled);
    try {
      const store = createRedisEphemeralStore(stalled, { commandTimeoutInMilliseconds: 200 });
      await expect(store.setIfAbsent('nonce', 60)).rejects.toThrow('Redis setIfAbsent did not answer within 200 ms');
      await expect(store.get('nonce')).rejects.toThrow(/within 200 ms/);
      expect(await store.health()).toEqual({ status: 'unavailable', reason: 'Redis: Redis health did not answer within 200 ms' });
    } finally {
      await silent.close();
    }
  });

  it('reports unavailable when Redis refuses writes (a read-only replica)', async () => {
    const primary = await startRedis();
    const replica = await startRedis();
    const admin = new Redis(replica.url);
    clients.push(admin);
    try {
      await admin.replicaof('127.0.0.1', String(primary.port));
      const store = createRedisEphemeralStore(admin, { keyPrefix: uniquePrefix('replica') });
      expect(await store.health()).toEqual({ status: 'unavailable', reason: expect.stringMatching(/READONLY/) });
      await expect(store.setIfAbsent('nonce', 60)).rejects.toThrow(/READONLY/);
    } finally {
      await primary.close();
      await replica.close();
    }
  }, 60_000);
});

describe('health()', () => {
  it('reports an eviction policy other than noeviction: evicted nonces would be accepted again', async () => {
    const redis = await startRedis();
    const admin = new Redis(redis.url);
    clients.push(admin);
    try {
      const store = createRedisEphemeralStore(admin, { keyPrefix: uniquePrefix('evict') });
      expect(await store.health()).toEqual({ status: 'ok' });
      await admin.config('SET', 'maxmemory-policy', 'volatile-lru');
      expect(await store.health()).toEqual({ status: 'unavailable', reason: expect.stringMatching(/maxmemory-policy is volatile-lru.*noeviction/) });
    } finally {
      await redis.close();
    }
  }, 60_000);

  it('probes every master of a Cluster: one stalled shard makes it unavailable', async () => {
    const cluster = new Cluster(inject('redisClusterNodes'));
    clients.push(cluster);
    const store = createRedisEphemeralStore(cluster, { keyPrefix: uniquePrefix('shards'), commandTimeoutInMilliseconds: 300 });
    await store.setIfAbsent('connected', 60); // the client knows the Cluster's masters once it has connected
    expect(await store.health()).toEqual({ status: 'ok' });
    const [first] = inject('redisClusterNodes');
    const node = new Redis(first!.port, first!.host);
    clients.push(node);
    await node.client('PAUSE', 2000, 'WRITE');
    expect(await store.health()).toEqual({ status: 'unavailable', reason: expect.stringMatching(/within 300 ms/) });
    await node.client('UNPAUSE');
    expect(await store.health()).toEqual({ status: 'ok' });
  });
});

describe('options', () => {
  it('are checked, with ConfigurationError naming the option', async () => {
    const redis = client();
    const cases: [Record<string, unknown>, string][] = [
      [{ keyPrefix: 'a{b' }, 'keyPrefix'],
      [{ keyPrefix: 'with space' }, 'keyPrefix'],
      [{ keyPrefix: 'x'.repeat(65) }, 'keyPrefix'],
      [{ clock: () => 1 }, 'clock'],
      [{ commandTimeoutInMilliseconds: 0 }, 'commandTimeoutInMilliseconds'],
      [{ commandTimeout: 5 }, 'commandTimeout'],
    ];
    for (const [options, option] of cases) {
      expect(() => createRedisEphemeralStore(redis, options as never)).toThrow(ConfigurationError);
      expect(() => createRedisEphemeralStore(redis, options as never)).toThrow(expect.objectContaining({ option }));
    }
    expect(() => createRedisEphemeralStore({} as never)).toThrow(expect.objectContaining({ option: 'client' }));
    await expect(openRedisEphemeralStore(42 as never)).rejects.toMatchObject({ option: 'connection' });
    await expect(openRedisEphemeralStore('redis://127.0.0.1:1', { connectTimeoutInMilliseconds: -1 })).rejects.toMatchObject({
      option: 'connectTimeoutInMilliseconds',
    });
  });

  it('leave a client passed to openRedisEphemeralStore connected on close()', async () => {
    const redis = client();
    const store = await openRedisEphemeralStore(redis, { keyPrefix: uniquePrefix('given') });
    await store.close();
    expect(await redis.ping()).toBe('PONG');
  });
});

describe('Cluster hash slots', () => {
  it('are computed as Redis computes them (CLUSTER KEYSLOT), hash tags included', async () => {
    const [first] = inject('redisClusterNodes');
    const node = new Redis(first!.port, first!.host);
    clients.push(node);
    for (const key of ['a', 'gatehouse:{nonce:k:1}', 'x{}y', '{}', '{a}{b}', 'é{ünï}', `${'z'.repeat(300)}{t}`, 'gatehouse:health-probe{17}']) {
      expect(hashSlot(key), key).toBe(Number(await node.cluster('KEYSLOT', key)));
    }
  });
});
