import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort, removeFolder, run, startProcess, temporaryFolder, type ServerProcess } from './process.js';

/** A Redis server of its own on 127.0.0.1, without persistence. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops the server (its data is lost: no persistence). */
  stop(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  start(): Promise<void>;
  /** Stops it and deletes its folder. */
  close(): Promise<void>;
}

/** A Redis Cluster of its own: several masters on 127.0.0.1, no replicas, all 16384 slots assigned. */
export interface RedisClusterServers {
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  close(): Promise<void>;
}

function findRedisBinary(name: 'redis-server' | 'redis-cli'): string {
  for (const folder of [...(process.env['PATH'] ?? '').split(delimiter), '/usr/bin', '/usr/local/bin']) {
    if (folder !== '' && existsSync(join(folder, name))) return join(folder, name);
  }
  throw new Error(`${name} was not found. Install it with \`apt-get install -y redis-server\` (Debian).`);
}

async function startNode(folder: string, port: number, extra: readonly string[]): Promise<ServerProcess> {
  return startProcess(
    findRedisBinary('redis-server'),
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', folder, '--save', '', '--appendonly', 'no', ...extra],
    /Ready to accept connections/,
  );
}

/**
 * Starts a Redis server on a free port of 127.0.0.1 with a temporary folder and no persistence.
 *
 * @example
 * ```ts
 * const redis = await startRedis();
 * const client = new Redis(redis.url);
 * await redis.close();
 * ```
 */
export async function startRedis(): Promise<RedisServer> {
  const folder = temporaryFolder('gatehouse-redis-');
  const port = await freePort();
  let server: ServerProcess | null = null;
  const start = async (): Promise<void> => {
    server ??= await startNode(folder, port, []);
  };
  const stop = async (): Promise<void> => {
    const current = server;
    server = null;
    await current?.stop('SIGTERM');
  };
  try {
    await start();
  } catch (error) {
    removeFolder(folder);
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    async close() {
      await stop();
      removeFolder(folder);
    },
  };
}

/**
 * Starts a Redis Cluster of `masters` nodes (default 3) on free ports of 127.0.0.1, creates it with
 * `redis-cli --cluster create`, and resolves once every node reports `cluster_state:ok`.
 *
 * @example
 * ```ts
 * const cluster = await startRedisCluster();
 * const client = new Cluster(cluster.nodes);
 * ```
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterServers> {
  const folder = temporaryFolder('gatehouse-redis-cluster-');
  const ports: number[] = [];
  while (ports.length < masters) {
    const port = await freePort();
    // The cluster bus listens on port + 10000.
    if (port <= 55_535 && !ports.includes(port)) ports.push(port);
  }
  const servers: ServerProcess[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.stop('SIGTERM')));
    removeFolder(folder);
  };
  try {
    for (const port of ports) {
      servers.push(
        await startNode(folder, port, [
          '--cluster-enabled', 'yes',
          '--cluster-config-file', `nodes-${port}.conf`,
          '--cluster-node-timeout', '5000',
        ]),
      );
    }
    const cli = findRedisBinary('redis-cli');
    await run(cli, ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 30_000;
    for (const port of ports) {
      while (!/cluster_state:ok/.test(await run(cli, ['-p', String(port), 'cluster', 'info']))) {
        if (Date.now() > deadline) throw new Error(`Redis Cluster node ${port} did not reach cluster_state:ok`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), close };
}
