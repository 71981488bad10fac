import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort, removeFolder, run, startProcess, temporaryFolder, type ServerProcess } from './process.js';

/** A PostgreSQL server of its own: a temporary cluster on 127.0.0.1, trust authentication, user `postgres`. */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  /** The server's major version, e.g. 15. */
  readonly version: number;
  /** Stops the server (fast shutdown: open sessions are ended), keeping its data. */
  stop(): Promise<void>;
  /**
   * Stops the server the way a crash does (immediate shutdown: no checkpoint), keeping its data; the next start
   * runs crash recovery, which empties unlogged tables.
   */
  crash(): Promise<void>;
  /** Starts it again after {@link PostgresServer.stop}, on the same port and data. */
  start(): Promise<void>;
  /** Stops the server and deletes its data. */
  close(): Promise<void>;
}

/** The folder of Debian's PostgreSQL server binaries (`initdb`, `postgres`). */
export function findPostgresBinaries(): string {
  const fromEnv = process.env['GATEHOUSE_POSTGRES_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((entry) => /^\d+$/.test(entry) && existsSync(join(debian, entry, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(debian, versions[0], 'bin');
  }
  for (const folder of (process.env['PATH'] ?? '').split(delimiter)) {
    if (folder !== '' && existsSync(join(folder, 'postgres')) && existsSync(join(folder, 'initdb'))) return folder;
  }
  throw new Error(
    'PostgreSQL server binaries (initdb, postgres) were not found. Install them with `apt-get install -y postgresql` ' +
      '(Debian) or set GATEHOUSE_POSTGRES_BIN to the folder holding them.',
  );
}

/**
 * Creates a temporary PostgreSQL cluster and starts it on a free port of 127.0.0.1. Durability is off (`fsync`,
 * `synchronous_commit`, `full_page_writes`) unless `durable` is set: these servers hold test data only, and a
 * crash of a server without it loses its last commits.
 *
 * @example
 * ```ts
 * const postgres = await startPostgres();
 * const pool = new pg.Pool({ connectionString: postgres.url });
 * await postgres.close();
 * ```
 */
export async function startPostgres(
  options: {
    readonly maxConnections?: number;
    /** Keep PostgreSQL's durability settings (for crash tests): every commit is on disk before it returns. */
    readonly durable?: boolean;
  } = {},
): Promise<PostgresServer> {
  const bin = findPostgresBinaries();
  const folder = temporaryFolder('gatehouse-postgres-');
  const data = join(folder, 'data');
  try {
    await run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], {
      asServerUser: true,
    });
  } catch (error) {
    removeFolder(folder);
    throw error;
  }
  const version = Number(/(\d+)/.exec(await run(join(bin, 'postgres'), ['--version']))?.[1] ?? 0);
  const port = await freePort();
  const args = [
    '-D', data,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', `unix_socket_directories=${folder}`,
    '-c', `max_connections=${options.maxConnections ?? 200}`,
    ...(options.durable === true ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
  ];
  let server: ServerProcess | null = null;
  const start = async (): Promise<void> => {
    if (server !== null) return;
    server = await startProcess(join(bin, 'postgres'), args, /ready to accept connections/);
  };
  const stop = async (): Promise<void> => {
    const current = server;
    server = null;
    // SIGINT is PostgreSQL's fast shutdown: sessions are disconnected, data kept.
    await current?.stop('SIGINT');
  };
  const crash = async (): Promise<void> => {
    const current = server;
    server = null;
    // SIGQUIT is PostgreSQL's immediate shutdown.
    await current?.stop('SIGQUIT');
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    version,
    stop,
    crash,
    start,
    async close() {
      await stop();
      removeFolder(folder);
    },
  };
}
