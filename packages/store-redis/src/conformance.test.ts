import { describeConformance } from '@gatehouse/conformance/vitest';
import { Cluster, Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { afterAll, describe, inject } from 'vitest';
import { uniquePrefix } from './fixtures/helpers.js';
import { createRedisEphemeralStore, type RedisClient } from './index.js';

const redis = new Redis(inject('redisUrl'));
const cluster = new Cluster(inject('redisClusterNodes'));
// An adopter still on ioredis 5 passes its own client: the store uses nothing 6 added.
const redis5 = new Redis5(inject('redisUrl')) as unknown as RedisClient;
afterAll(() => {
  for (const client of [redis, cluster, redis5]) client.disconnect();
});

describe('one Redis server (ioredis 6)', () => {
  describeConformance({ profile: 'ephemeral-store@1', createStore: ({ clock }) => createRedisEphemeralStore(redis, { clock, keyPrefix: uniquePrefix('v6') }) });
});

describe('a three-master Redis Cluster', () => {
  describeConformance({ profile: 'ephemeral-store@1', createStore: ({ clock }) => createRedisEphemeralStore(cluster, { clock, keyPrefix: uniquePrefix('cluster') }) });
});

describe('one Redis server (ioredis 5)', () => {
  describeConformance({ profile: 'ephemeral-store@1', createStore: ({ clock }) => createRedisEphemeralStore(redis5, { clock, keyPrefix: uniquePrefix('v5') }) });
});
