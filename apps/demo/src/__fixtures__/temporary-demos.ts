import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, vi } from 'vitest';
import { startDemo, type RunningDemo, type StartDemoOptions } from '../server.js';

/** Demo servers for one test file. */
export interface TemporaryDemos {
  /** The environment of a demo on a free port, with its database in a new temporary folder and cheap password hashing. */
  freshEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /**
   * Starts a demo (by default with {@link TemporaryDemos.freshEnv}); its log lines are appended to `lines`, and
   * `options` (e.g. a clock) are passed on.
   */
  start(env?: NodeJS.ProcessEnv, lines?: string[], options?: Omit<StartDemoOptions, 'log'>): Promise<RunningDemo>;
  /** Closes a demo before the test ends (to start another on the same database). */
  stop(demo: RunningDemo): Promise<void>;
}

/**
 * Demo servers that are closed, their temporary folders removed and every mock restored after each test of the
 * file that calls this (at its top level).
 *
 * @example
 * ```ts
 * const { freshEnv, start } = useTemporaryDemos('gatehouse-nvx-');
 * const demo = await start(freshEnv({ GATEHOUSE_MAX_FAILURES: '3' }));
 * ```
 */
export function useTemporaryDemos(folderPrefix: string): TemporaryDemos {
  const directories: string[] = [];
  const running: RunningDemo[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(running.splice(0).map((demo) => demo.close()));
    for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  });
  const freshEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
    const directory = mkdtempSync(join(tmpdir(), folderPrefix));
    directories.push(directory);
    return { PORT: '0', GATEHOUSE_DB: join(directory, 'demo.db'), GATEHOUSE_PASSWORD_COST: '10', ...extra };
  };
  return {
    freshEnv,
    async start(env = freshEnv(), lines = [], options = {}) {
      const demo = await startDemo(env, { ...options, log: (line) => lines.push(line) });
      running.push(demo);
      return demo;
    },
    async stop(demo) {
      running.splice(running.indexOf(demo), 1);
      await demo.close();
    },
  };
}

/** A request sent by {@link requestOverSocket}. */
export interface SocketCall {
  /** Default: GET without a body, POST with one. */
  readonly method?: string;
  /** Raw request headers, sent as given (e.g. a Cookie header with two pairs). */
  readonly headers?: Record<string, string>;
  /** A JSON body, sent with `Content-Type: application/json` unless `headers` says otherwise. */
  readonly json?: unknown;
  readonly rawBody?: string;
  /** The source address of the socket (Linux routes all of 127.0.0.0/8 to loopback). */
  readonly from?: string;
}

/** A reply: status, text, the text parsed as JSON (or `undefined`), headers. */
export interface SocketAnswer {
  readonly status: number;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are checked field by field
  readonly body: any;
  readonly headers: IncomingHttpHeaders;
}

/**
 * One HTTP request to a demo over a real socket, from a chosen local address. A request without a body that is
 * not a GET or HEAD says `Content-Length: 0`.
 *
 * @example
 * ```ts
 * const answer = await requestOverSocket(demo, '/api/v1/system/status', { headers: { cookie }, from: '127.0.0.2' });
 * ```
 */
export function requestOverSocket(demo: Pick<RunningDemo, 'port'>, path: string, options: SocketCall = {}): Promise<SocketAnswer> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  } else if (options.rawBody !== undefined) {
    body = options.rawBody;
  }
  Object.assign(headers, options.headers);
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  if (body !== undefined || (method !== 'GET' && method !== 'HEAD')) headers['content-length'] = String(body === undefined ? 0 : Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port: demo.port, method, path, headers, localAddress: options.from ?? '127.0.0.1', agent: false },
      (incoming) => {
        let text = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => (text += chunk));
        incoming.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: incoming.statusCode ?? 0, text, body: parsed, headers: incoming.headers });
        });
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** A demo started from the built `dist/main.js` in a process of its own. */
export interface DemoProcess {
  readonly url: string;
  /** The port, so {@link requestOverSocket} can reach it like an in-process demo. */
  readonly port: number;
  /** Everything it printed so far. */
  readonly output: { text: string };
  /** Sends SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts the built demo (`dist/main.js`) in a child process with `env` added to this process's environment (as
 * `user`, when given); resolves once it listens.
 *
 * @example
 * ```ts
 * const demo = await spawnDemoProcess(freshEnv());
 * await fetch(`${demo.url}/healthz`);
 * await demo.stop();
 * ```
 */
export async function spawnDemoProcess(env: NodeJS.ProcessEnv, user: { uid?: number; gid?: number } = {}): Promise<DemoProcess> {
  const main = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'main.js');
  const child = spawn(process.execPath, [main], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...user });
  const output = { text: '' };
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo did not start:\n${output.text}`));
    }, 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output.text += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output.text);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code}:\n${output.text}`));
    });
  });
  return { url, port: Number(new URL(url).port), output, stop };
}
