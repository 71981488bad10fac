export { findPostgresBinaries, startPostgres, type PostgresServer } from './postgres.js';
export { startRedis, startRedisCluster, type RedisClusterServers, type RedisServer } from './redis.js';
export { freePort } from './process.js';
