import { ConfigurationError, systemClock, type Clock, type EphemeralStore, type StoreHealth } from '@gatehouse/auth-core';
import { ttlToMilliseconds } from '@gatehouse/auth-core/strategy';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { createHash } from 'node:crypto';
import { parseEntry, SCRIPTS, type Script } from './scripts.js';

/**
 * An ioredis client: one server (`Redis`) or a Redis Cluster (`Cluster`).
 *
 * @example
 * ```ts
 * import { Cluster } from 'ioredis';
 * const client: RedisClient = new Cluster([{ host: 'redis-1', port: 6379 }], { enableOfflineQueue: false });
 * const ephemeral = createRedisEphemeralStore(client, { keyPrefix: 'api:' });
 * ```
 */
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

/**
 * What {@link openRedisEphemeralStore} returns: the store, and the client it built.
 *
 * @example
 * ```ts
 * const ephemeral: RedisEphemeralStore = await openRedisEphemeralStore('redis://localhost:6379');
 * await ephemeral.client.ping();
 * process.on('SIGTERM', () => void ephemeral.close());
 * ```
 */
export interface RedisEphemeralStore extends EphemeralStore {
  /** The ioredis client the store runs on: the one passed in, or the one built from a URL or options. */
  readonly client: RedisClient;
  /** Disconnects the client if it was built here (a client passed in is left connected). Idempotent. */
  close(): Promise<void>;
}

/**
 * Redis keeps a key this long past its deadline. Liveness is decided by the deadline (the store's clock); the
 * Redis expiry only frees memory, and the margin keeps a key alive while instances' clocks disagree by less.
 */
const EXPIRY_GRACE_IN_MILLISECONDS = 60_000;
/** Redis expiries are whole milliseconds in a signed 64-bit integer; no key needs more than a century. */
const MAX_EXPIRY_IN_MILLISECONDS = 100 * 365 * 86_400_000;
const physicalExpiry = (ttl: number): number => Math.min(MAX_EXPIRY_IN_MILLISECONDS, Math.ceil(ttl + EXPIRY_GRACE_IN_MILLISECONDS));
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

function isCluster(client: RedisClient): client is Cluster {
  return typeof (client as Cluster).nodes === 'function' && 'slots' in client;
}

/**
 * The Redis Cluster hash slot of a key (CRC16/XMODEM of its hash tag, or of the whole key, modulo 16384).
 *
 * @example
 * ```ts
 * hashSlot('gatehouse:{nonce:k:1}') === hashSlot('nonce:k:1'); // true: only the tag is hashed
 * ```
 */
export function hashSlot(key: string): number {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of new TextEncoder().encode(hashed)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16_384;
}

/** One health key per Cluster master, each in a slot that master serves (found by trying `{0}`, `{1}`, …). */
function clusterProbes(cluster: Cluster, healthKey: string): { node: Redis; key: string }[] {
  const masters = cluster.nodes('master');
  const owners = (cluster as unknown as { slots: (string[] | undefined)[] }).slots;
  const probes: { node: Redis; key: string }[] = [];
  for (const node of masters) {
    const name = `${node.options.host ?? ''}:${node.options.port ?? ''}`;
    for (let attempt = 0; attempt < 100_000; attempt++) {
      const key = `${healthKey}{${attempt}}`;
      if (owners[hashSlot(key)]?.[0] === name) {
        probes.push({ node, key });
        break;
      }
    }
  }
  return probes;
}

/** An unpaired UTF-16 surrogate: ioredis sends keys as UTF-8, which has no encoding for it (it becomes U+FFFD). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const HASHED = '\u0001';

/**
 * The form a key is stored under: the key itself, or U+0001 and the SHA-256 of its UTF-16 code units when UTF-8
 * could not carry it exactly (an unpaired surrogate) or it starts with U+0001 itself (so no caller can spell
 * another key's hashed form).
 */
function storedForm(key: string): string {
  if (!key.startsWith(HASHED) && !LONE_SURROGATE.test(key)) return key;
  const units = new Uint8Array(key.length * 2);
  for (let index = 0; index < key.length; index++) {
    const unit = key.charCodeAt(index);
    units[index * 2] = unit & 0xff;
    units[index * 2 + 1] = unit >> 8;
  }
  return HASHED + createHash('sha256').update(units).digest('hex');
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
    return `${keyPrefix}{${storedForm(key)}}`;
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
      const result = await evaluate('setIfAbsent', SCRIPTS.setIfAbsent, redisKey(key), [now, now + ttl, physicalExpiry(ttl)]);
      return result === 1;
    },

    async increment(key: string, ttlInSeconds: number): Promise<number> {
      const ttl = ttlToMilliseconds(ttlInSeconds);
      const now = clock.now();
      const result = await evaluate('increment', SCRIPTS.increment, redisKey(key), [now, now + ttl, physicalExpiry(ttl)]);
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
        ttl === null ? '' : physicalExpiry(ttl),
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
        // Every node that holds keys: one server, or each master of a Cluster (a stalled shard fails the keys
        // in its slots only, and a probe of another shard would not see it).
        const probes = isCluster(client) ? clusterProbes(client, healthKey) : [{ node: client, key: healthKey }];
        if (probes.length === 0 || (isCluster(client) && probes.length < client.nodes('master').length)) {
          return { status: 'unavailable', reason: 'Redis: the Cluster has a master the client cannot reach or route to' };
        }
        for (const { node, key } of probes) {
          // A write: a replica (READONLY), a full instance (OOM) or one that cannot persist (MISCONF) refuses it.
          await bounded('health', client.set(key, String(clock.now()), 'PX', 10_000));
          // Eviction would drop spent nonces (a replay) and failure counters under memory pressure, silently.
          const policy = /maxmemory_policy:(\S+)/.exec(await bounded('health', node.info('memory')))?.[1];
          if (policy !== undefined && policy !== 'noeviction') {
            return {
              status: 'unavailable',
              reason: `Redis: maxmemory-policy is ${policy}; nonces and counters need noeviction (evicting them allows replays)`,
            };
          }
        }
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
  if (
    typeof connectTimeoutInMilliseconds !== 'number' ||
    !Number.isSafeInteger(connectTimeoutInMilliseconds) ||
    connectTimeoutInMilliseconds < 1 ||
    connectTimeoutInMilliseconds > 2_147_483_647
  ) {
    throw new ConfigurationError('connectTimeoutInMilliseconds', 'must be an integer from 1 to 2147483647');
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
