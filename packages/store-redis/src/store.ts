import { ConfigurationError, systemClock, type Clock, type EphemeralStore, type StoreHealth } from '@gatehouse/auth-core';
import { ttlToMilliseconds } from '@gatehouse/auth-core/strategy';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { parseEntry, SCRIPTS, type Script } from './scripts.js';

/** An ioredis client: one server (`Redis`) or a Redis Cluster (`Cluster`). */
export type RedisClient = Redis | Cluster;

/**
 * Options of {@link createRedisEphemeralStore} and {@link openRedisEphemeralStore}.
 *
 * @example
 * ```ts
 * const options: RedisEphemeralStoreOptions = { keyPrefix: 'api:auth:', commandTimeoutInMilliseconds: 500 };
 * ```
 */
export interface RedisEphemeralStoreOptions {
  /**
   * Put before every key, so several applications (or stores) can share one Redis. Printable ASCII without
   * `{`, `}` or spaces, at most 64 characters. Default `gatehouse:`.
   */
  readonly keyPrefix?: string;
  /** The clock that decides expiry. Default: the system clock. Instances need synchronised clocks (NTP). */
  readonly clock?: Clock;
  /**
   * The longest a call waits for Redis, whatever the client's own settings. A call that runs out rejects (a
   * strategy answers `STORE_UNAVAILABLE`). A positive integer; default 1000.
   */
  readonly commandTimeoutInMilliseconds?: number;
}

/** What {@link openRedisEphemeralStore} returns: the store, and the client it built. */
export interface RedisEphemeralStore extends EphemeralStore {
  readonly client: RedisClient;
  /** Disconnects the client if it was built here (a client passed in is left connected). Idempotent. */
  close(): Promise<void>;
}

/**
 * Redis keeps a key this long past its deadline. Liveness is decided by the deadline (the store's clock); the
 * Redis expiry only frees memory, and the margin keeps a key alive while instances' clocks disagree by less.
 */
const EXPIRY_GRACE_IN_MILLISECONDS = 60_000;
const KEY_PREFIX_PATTERN = /^[\x21-\x7a\x7c\x7e]{0,64}$/; // printable ASCII without space, `{` and `}`

interface ResolvedOptions {
  readonly keyPrefix: string;
  readonly clock: Clock;
  readonly commandTimeout: number;
}

function resolveOptions(options: unknown, known: readonly string[], entry: string): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new ConfigurationError('options', 'must be an object when given');
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new ConfigurationError(key, `is not an option of ${entry}`);
  }
  const o = options as Record<string, unknown>;
  const keyPrefix = o['keyPrefix'] ?? 'gatehouse:';
  if (typeof keyPrefix !== 'string' || !KEY_PREFIX_PATTERN.test(keyPrefix)) {
    throw new ConfigurationError('keyPrefix', 'must be at most 64 printable ASCII characters without spaces, { or }');
  }
  const clock = o['clock'] ?? systemClock;
  if (typeof clock !== 'object' || clock === null || typeof (clock as Clock).now !== 'function') {
    throw new ConfigurationError('clock', 'must be an object with a now() method returning epoch milliseconds');
  }
  const commandTimeout = o['commandTimeoutInMilliseconds'] ?? 1000;
  if (typeof commandTimeout !== 'number' || !Number.isSafeInteger(commandTimeout) || commandTimeout < 1 || commandTimeout > 2_147_483_647) {
    throw new ConfigurationError('commandTimeoutInMilliseconds', 'must be an integer from 1 to 2147483647');
  }
  return { keyPrefix, clock: clock as Clock, commandTimeout };
}

function isClient(value: unknown): value is RedisClient {
  return typeof value === 'object' && value !== null && typeof (value as Redis).evalsha === 'function' && typeof (value as Redis).get === 'function';
}

const STORE_OPTIONS = ['keyPrefix', 'clock', 'commandTimeoutInMilliseconds'] as const;

/**
 * Builds an {@link EphemeralStore} on an ioredis client the application already has (`new Redis(url)` or
 * `new Cluster(nodes)`). Every operation is one Lua script on one key, so it is atomic across all instances
 * sharing the Redis and safe on Redis Cluster. Each call rejects after `commandTimeoutInMilliseconds`, so a
 * Redis that is down or stalled never holds a request; the client reconnects by itself.
 *
 * For the fastest failures while Redis is down, build the client with `enableOfflineQueue: false` (as
 * {@link openRedisEphemeralStore} does): commands then fail at once instead of waiting in ioredis's queue.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRedisEphemeralStore } from '@gatehouse/store-redis';
 *
 * const redis = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false });
 * const ephemeral = createRedisEphemeralStore(redis, { keyPrefix: 'api:auth:' });
 * await ephemeral.setIfAbsent(`nonce:${keyId}:${nonce}`, 600); // true once, then false
 * ```
 */
export function createRedisEphemeralStore(client: RedisClient, options: RedisEphemeralStoreOptions = {}): EphemeralStore {
  if (!isClient(client)) throw new ConfigurationError('client', 'must be an ioredis Redis or Cluster client');
  const { keyPrefix, clock, commandTimeout } = resolveOptions(options, STORE_OPTIONS, 'createRedisEphemeralStore');
  // The key inside a hash tag: Redis Cluster hashes only the tag, so the prefix never sends every key to one
  // slot, and nothing outside the braces (the health probe's key) can collide with a stored key.
  const redisKey = (key: string): string => {
    if (typeof key !== 'string') throw new TypeError('key must be a string');
    return `${keyPrefix}{${key}}`;
  };
  const healthKey = `${keyPrefix}health-probe`;

  const bounded = <T>(operation: string, work: Promise<T>): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis ${operation} did not answer within ${commandTimeout} ms`)), commandTimeout);
      }),
    ]).finally(() => clearTimeout(timer));
  };

  const evaluate = async (operation: string, script: Script, key: string, args: readonly (string | number)[]): Promise<unknown> =>
    bounded(
      operation,
      client.evalsha(script.sha1, 1, key, ...args).catch((error: unknown) => {
        // A server that has not seen the script yet (a new node, a restart, SCRIPT FLUSH): send it once.
        if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return client.eval(script.source, 1, key, ...args);
        throw error;
      }),
    );

  return {
    async setIfAbsent(key: string, ttlInSeconds: number): Promise<boolean> {
      const ttl = ttlToMilliseconds(ttlInSeconds);
      const now = clock.now();
      const result = await evaluate('setIfAbsent', SCRIPTS.setIfAbsent, redisKey(key), [now, now + ttl, ttl + EXPIRY_GRACE_IN_MILLISECONDS]);
      return result === 1;
    },

    async increment(key: string, ttlInSeconds: number): Promise<number> {
      const ttl = ttlToMilliseconds(ttlInSeconds);
      const now = clock.now();
      const result = await evaluate('increment', SCRIPTS.increment, redisKey(key), [now, now + ttl, ttl + EXPIRY_GRACE_IN_MILLISECONDS]);
      const value = Number(result);
      if (!Number.isFinite(value)) throw new Error(`Redis increment returned ${String(result)}`);
      return value;
    },

    async setIfGreater(key: string, value: number, ttlInSeconds: number | null): Promise<boolean> {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError('setIfGreater: value must be finite');
      const ttl = ttlInSeconds === null ? null : ttlToMilliseconds(ttlInSeconds);
      const now = clock.now();
      const result = await evaluate('setIfGreater', SCRIPTS.setIfGreater, redisKey(key), [
        now,
        ttl === null ? 'inf' : now + ttl,
        ttl === null ? '' : ttl + EXPIRY_GRACE_IN_MILLISECONDS,
        String(value),
      ]);
      return result === 1;
    },

    async get(key: string): Promise<number | null> {
      const raw = await bounded('get', client.get(redisKey(key)));
      return parseEntry(raw, clock.now());
    },

    async delete(key: string): Promise<void> {
      await bounded('delete', client.del(redisKey(key)));
    },

    async health(): Promise<StoreHealth> {
      try {
        // A write: a replica (READONLY), a full instance (OOM) or one that cannot persist (MISCONF) refuses it.
        await bounded('health', client.set(healthKey, String(clock.now()), 'PX', 10_000));
        return { status: 'ok' };
      } catch (error) {
        return { status: 'unavailable', reason: `Redis: ${error instanceof Error ? error.message : String(error)}` };
      }
    },
  };
}

/**
 * Connects to one Redis server and returns an {@link EphemeralStore} on it, with a client built for failing
 * fast: no offline queue (a command sent while disconnected fails at once), bounded connect and command
 * timeouts, and reconnection in the background. Resolves once connected; rejects when Redis cannot be reached
 * within the connect timeout. For Redis Cluster, build an ioredis `Cluster` and use
 * {@link createRedisEphemeralStore}.
 *
 * @example
 * ```ts
 * import { openRedisEphemeralStore } from '@gatehouse/store-redis';
 *
 * const ephemeral = await openRedisEphemeralStore(process.env.REDIS_URL!);
 * const fresh = await ephemeral.setIfAbsent(`nonce:${keyId}:${nonce}`, 600);
 * process.on('SIGTERM', () => void ephemeral.close());
 * ```
 */
export async function openRedisEphemeralStore(
  connection: string | RedisOptions | RedisClient,
  options: RedisEphemeralStoreOptions & { readonly connectTimeoutInMilliseconds?: number } = {},
): Promise<RedisEphemeralStore> {
  const resolved = resolveOptions(options, [...STORE_OPTIONS, 'connectTimeoutInMilliseconds'], 'openRedisEphemeralStore');
  const { connectTimeoutInMilliseconds = 2000, ...storeOptions } = options;
  if (typeof connectTimeoutInMilliseconds !== 'number' || !Number.isSafeInteger(connectTimeoutInMilliseconds) || connectTimeoutInMilliseconds < 1) {
    throw new ConfigurationError('connectTimeoutInMilliseconds', 'must be a positive integer');
  }
  if (isClient(connection)) {
    const store = createRedisEphemeralStore(connection, storeOptions);
    return Object.freeze({ ...store, client: connection, close: async () => undefined });
  }
  if (typeof connection !== 'string' && (typeof connection !== 'object' || connection === null)) {
    throw new ConfigurationError('connection', 'must be a redis:// URL, ioredis options or an ioredis client');
  }
  const settings: RedisOptions = {
    enableOfflineQueue: false,
    connectTimeout: connectTimeoutInMilliseconds,
    commandTimeout: resolved.commandTimeout,
    maxRetriesPerRequest: 0,
    lazyConnect: true,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
  };
  // ioredis's option types do not compile under exactOptionalPropertyTypes; the values are checked above.
  const RedisClass = Redis as unknown as new (...args: unknown[]) => Redis;
  const client = typeof connection === 'string' ? new RedisClass(connection, settings) : new RedisClass({ ...settings, ...connection });
  // Connection errors are reported by the calls that fail (and by health()); unhandled, ioredis would print
  // each reconnection attempt.
  client.on('error', () => undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`could not connect to Redis within ${connectTimeoutInMilliseconds} ms`)), connectTimeoutInMilliseconds);
      }),
    ]);
  } catch (error) {
    client.disconnect();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const store = createRedisEphemeralStore(client, storeOptions);
  let closed = false;
  return Object.freeze({
    ...store,
    client,
    async close() {
      if (closed) return;
      closed = true;
      await client.quit().catch(() => client.disconnect());
    },
  });
}
