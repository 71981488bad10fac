export { createRedisEphemeralStore, openRedisEphemeralStore } from './store.js';
export type { RedisClient, RedisEphemeralStore, RedisEphemeralStoreOptions } from './store.js';
