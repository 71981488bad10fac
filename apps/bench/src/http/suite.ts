import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { BenchSizes } from '../config.js';
import { formatMicros, formatRate, formatRatio, table, verdict } from '../markdown.js';
import { credentialHeaders, freshNonce, hmacHeaders, ROUTES, SCHEMES, UNKNOWN_SECRETS, type HmacKeyMaterial, type Scheme } from '../schemes.js';
import { median } from '../stats.js';
import type { Framework, ServerAuth, ServerSpec, StartedServer } from './servers.js';

/** One with/without comparison: the same requests against the same framework without and with authentication. */
export interface HttpPairResult {
  readonly framework: Framework;
  readonly auth: Exclude<ServerAuth, 'none'>;
  readonly kind: 'gatehouse' | 'peer' | 'reference';
  /** Median requests per second over the measured rounds. */
  readonly withoutRps: number;
  readonly withRps: number;
  /** withRps ÷ withoutRps. */
  readonly ratio: number;
  /** Median server CPU time per request, µs (user + system of the server process). */
  readonly withoutCpuMicros: number;
  readonly withCpuMicros: number;
  /** Median p99 latency, ms. */
  readonly withoutP99Ms: number;
  readonly withP99Ms: number;
  readonly roundsWithout: readonly number[];
  readonly roundsWith: readonly number[];
}

export interface HttpResults {
  readonly connections: number;
  readonly durationSeconds: number;
  readonly rounds: number;
  readonly pairs: readonly HttpPairResult[];
}

/** The HTTP target: every Gatehouse with/without ratio at least 0.95. */
export const HTTP_TARGET = 0.95;

const SERVER_ENTRY = fileURLToPath(new URL('./http-server.js', import.meta.url));

interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly credentials: StartedServer['credentials'];
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

function startServerProcess(spec: ServerSpec): Promise<ServerProcess> {
  const child = spawn(process.execPath, [SERVER_ENTRY, JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server ${spec.framework}/${spec.auth} did not start`)), 60_000);
    child.once('exit', (code) => reject(new Error(`server ${spec.framework}/${spec.auth} exited with ${code}`)));
    child.once('message', (message: { type: string; port: number; credentials: StartedServer['credentials'] }) => {
      clearTimeout(timer);
      if (message.type !== 'ready') return reject(new Error(`unexpected message ${JSON.stringify(message)}`));
      resolve({
        child,
        port: message.port,
        credentials: message.credentials,
        cpu: () =>
          new Promise((resolveCpu) => {
            child.once('message', (reply: { user: number; system: number }) => resolveCpu(reply.user + reply.system));
            child.send({ type: 'cpu' });
          }),
        stop: () =>
          new Promise((resolveStop) => {
            child.removeAllListeners('exit');
            child.once('exit', () => resolveStop());
            child.send({ type: 'stop' });
          }),
      });
    });
  });
}

type RequestSpec = autocannon.Request;

/** The requests of a pair: the same for the server without and with authentication. */
function requestsFor(auth: Exclude<ServerAuth, 'none'>, credentials: StartedServer['credentials'], count: number): RequestSpec[] {
  if (auth === 'passport') {
    return (credentials.apiKeys ?? []).slice(0, count).map((key) => ({ method: 'GET', path: '/api/data', headers: { 'X-API-Key': key } }));
  }
  if (auth === 'bearer') {
    return [{ method: 'GET', path: '/api/data', headers: { Authorization: `Bearer ${credentials.bearerToken}` } }];
  }
  if (auth === 'noop') return [{ method: 'GET', path: ROUTES.nvx.path, headers: credentialHeaders('nvx', UNKNOWN_SECRETS.nvx) }];
  const { method, path } = ROUTES[auth];
  if (auth === 'hmac') {
    // Policy `unique`: every request carries a new nonce, signed by the client (node:crypto) as it is sent.
    return (credentials.hmac ?? []).slice(0, count).map((key: HmacKeyMaterial) => ({
      method,
      path,
      setupRequest: (request: RequestSpec) => {
        request.headers = { ...request.headers, ...hmacHeaders(key, freshNonce()) };
        return request;
      },
    }));
  }
  const secrets = (auth === 'nvx' ? credentials.nvx : auth === 'access-hash' ? credentials.accessHash : credentials.aptoken) ?? [];
  return secrets.slice(0, count).map((secret) => ({ method, path, headers: credentialHeaders(auth, secret) }));
}

/** A request with a wrong credential, to prove the authenticated server refuses it. */
function wrongRequest(auth: Exclude<ServerAuth, 'none' | 'noop'>): { method: string; path: string; headers: Record<string, string> } {
  if (auth === 'passport') return { method: 'GET', path: '/api/data', headers: { 'X-API-Key': 'not-a-key' } };
  if (auth === 'bearer') return { method: 'GET', path: '/api/data', headers: { Authorization: 'Bearer not-the-token' } };
  const { method, path } = ROUTES[auth];
  if (auth === 'hmac') {
    const key = { apiKey: UNKNOWN_SECRETS.nvx, apiSecret: 'x'.repeat(64), userId: '1', issuedNonce: '1' };
    return { method, path, headers: hmacHeaders(key, freshNonce()) };
  }
  return { method, path, headers: credentialHeaders(auth, UNKNOWN_SECRETS[auth]) };
}

async function statusOf(port: number, request: { method?: string; path?: string; headers?: Record<string, string> }): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}${request.path ?? '/'}`, {
    method: request.method ?? 'GET',
    headers: request.headers ?? {},
  });
  await response.arrayBuffer();
  return response.status;
}

/** The first request of a list, as sent (setupRequest applied). */
function materialise(request: RequestSpec): { method?: string; path?: string; headers?: Record<string, string> } {
  const copy = { ...request, headers: { ...(request.headers ?? {}) } } as RequestSpec;
  const built = typeof request.setupRequest === 'function' ? request.setupRequest(copy, {}) : copy;
  return built as { method?: string; path?: string; headers?: Record<string, string> };
}

interface RoundResult {
  readonly rps: number;
  readonly cpuMicrosPerRequest: number;
  readonly p99Ms: number;
}

async function measure(server: ServerProcess, requests: RequestSpec[], connections: number, durationSeconds: number, amount?: number): Promise<RoundResult> {
  const cpuBefore = await server.cpu();
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections,
    ...(amount === undefined ? { duration: durationSeconds } : { amount }),
    pipelining: 1,
    requests,
    // autocannon stops at the first sample tick after `duration`: tick often so a round lasts what it says.
    sampleInt: Math.min(1000, Math.max(20, (durationSeconds * 1000) / 20)),
  });
  const cpuAfter = await server.cpu();
  const total = result.requests.total;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || total === 0) {
    throw new Error(`port ${server.port}: ${total} requests, ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return { rps: total / result.duration, cpuMicrosPerRequest: (cpuAfter - cpuBefore) / total, p99Ms: result.latency.p99 };
}

const PAIRS: readonly { framework: Framework; auth: Exclude<ServerAuth, 'none'>; kind: HttpPairResult['kind'] }[] = [
  ...SCHEMES.map((scheme: Scheme) => ({ framework: 'node' as const, auth: scheme, kind: 'gatehouse' as const })),
  ...SCHEMES.map((scheme: Scheme) => ({ framework: 'hono' as const, auth: scheme, kind: 'gatehouse' as const })),
  { framework: 'hono', auth: 'noop', kind: 'reference' },
  { framework: 'express', auth: 'passport', kind: 'peer' },
  { framework: 'hono', auth: 'bearer', kind: 'peer' },
];

/**
 * Runs the HTTP suite. For each pair, a server without and one with authentication run in two child processes;
 * autocannon runs here, in the parent, so on a 2-core machine the load generator and the server under load each
 * have a core (the idle server of the pair only waits). Rounds alternate (without, with, without, with …) after
 * one unmeasured warm-up round each; the tables report medians.
 */
export async function runHttp(sizes: BenchSizes, log: (line: string) => void = () => {}): Promise<HttpResults> {
  const { connections, durationSeconds, rounds, warmupSeconds, credentials, requestCredentials } = sizes.http;
  const pairs: HttpPairResult[] = [];
  for (const pair of PAIRS) {
    const [withAuth, without] = await Promise.all([
      startServerProcess({ framework: pair.framework, auth: pair.auth, credentials }),
      startServerProcess({ framework: pair.framework, auth: 'none', credentials }),
    ]);
    try {
      const requests = requestsFor(pair.auth, withAuth.credentials, requestCredentials);
      if (requests.length === 0) throw new Error(`${pair.framework}/${pair.auth}: no credentials`);
      // The authenticated server accepts the benchmark's requests and refuses a wrong credential; the bare one
      // answers 200 to both.
      const sample = materialise(requests[0] as RequestSpec);
      const checks: [number | string, number | string][] = [
        [await statusOf(withAuth.port, sample), 200],
        [await statusOf(without.port, sample), 200],
      ];
      if (pair.auth !== 'noop') {
        checks.push([(await statusOf(withAuth.port, wrongRequest(pair.auth))) >= 400 ? 'refused' : 'accepted', 'refused']);
      }
      for (const [actual, expected] of checks) {
        if (actual !== expected) throw new Error(`${pair.framework}/${pair.auth}: sanity check got ${actual}, expected ${expected}`);
      }
      if (warmupSeconds > 0) {
        await measure(without, requests, connections, warmupSeconds);
        await measure(withAuth, requests, connections, warmupSeconds);
      }
      const without_: RoundResult[] = [];
      const with_: RoundResult[] = [];
      for (let round = 0; round < rounds; round++) {
        without_.push(await measure(without, requests, connections, durationSeconds, sizes.http.requestsPerRound));
        with_.push(await measure(withAuth, requests, connections, durationSeconds, sizes.http.requestsPerRound));
        log(`http ${pair.framework}/${pair.auth} round ${round + 1}/${rounds}: ${Math.round(without_.at(-1)!.rps)} vs ${Math.round(with_.at(-1)!.rps)} req/s`);
      }
      const withoutRps = median(without_.map((round) => round.rps));
      const withRps = median(with_.map((round) => round.rps));
      pairs.push({
        framework: pair.framework,
        auth: pair.auth,
        kind: pair.kind,
        withoutRps,
        withRps,
        ratio: withRps / withoutRps,
        withoutCpuMicros: median(without_.map((round) => round.cpuMicrosPerRequest)),
        withCpuMicros: median(with_.map((round) => round.cpuMicrosPerRequest)),
        withoutP99Ms: median(without_.map((round) => round.p99Ms)),
        withP99Ms: median(with_.map((round) => round.p99Ms)),
        roundsWithout: without_.map((round) => round.rps),
        roundsWith: with_.map((round) => round.rps),
      });
    } finally {
      await Promise.all([withAuth.stop(), without.stop()]);
    }
  }
  return { connections, durationSeconds, rounds, pairs };
}

const FRAMEWORK_TITLES: Record<Framework, string> = { node: 'node:http', hono: 'Hono (@hono/node-server)', express: 'Express 5' };
const AUTH_TITLES: Record<Exclude<ServerAuth, 'none'>, string> = {
  nvx: 'Gatehouse NVX API key',
  'access-hash': 'Gatehouse access hash cookie',
  hmac: 'Gatehouse HMAC `AuthenticateUser` (nonce `unique`)',
  aptoken: 'Gatehouse HMAC session (`aptoken`)',
  noop: 'a no-op middleware (reference: the cost of any middleware)',
  passport: 'passport + passport-headerapikey (peer)',
  bearer: 'hono/bearer-auth (peer)',
};

/** How busy a server process was: CPU seconds per second (1 = one core saturated). */
export function serverBusy(rps: number, cpuMicrosPerRequest: number): number {
  return (rps * cpuMicrosPerRequest) / 1e6;
}

/** Below this, a server was not saturated: the load generator was the bottleneck. */
export const SATURATED = 0.9;

/** The server without authentication was not saturated, so the req/s ratio hides part of the cost. */
export function clientBound(pair: HttpPairResult): boolean {
  return serverBusy(pair.withoutRps, pair.withoutCpuMicros) < SATURATED;
}

/**
 * The ratio the target is judged on: the measured throughput ratio; when the load generator rather than the
 * server was the bottleneck (e.g. when the client signs every request), the CPU-cost ratio (without ÷ with, µs
 * per request) if lower: the throughput ratio two saturated servers would show.
 */
export function effectiveRatio(pair: HttpPairResult): number {
  return clientBound(pair) ? Math.min(pair.ratio, pair.withoutCpuMicros / pair.withCpuMicros) : pair.ratio;
}

export function renderHttp(results: HttpResults): string {
  const rows = results.pairs.map((pair) => [
    FRAMEWORK_TITLES[pair.framework],
    AUTH_TITLES[pair.auth],
    formatRate(pair.withoutRps),
    formatRate(pair.withRps),
    formatRatio(pair.ratio),
    `${formatMicros(pair.withoutCpuMicros)} → ${formatMicros(pair.withCpuMicros)}`,
    formatRatio(pair.withoutCpuMicros / pair.withCpuMicros),
    `${Math.round(100 * serverBusy(pair.withoutRps, pair.withoutCpuMicros))}% / ${Math.round(100 * serverBusy(pair.withRps, pair.withCpuMicros))}%`,
    `${pair.withoutP99Ms} → ${pair.withP99Ms}`,
    pair.kind === 'gatehouse' ? verdict(effectiveRatio(pair) >= HTTP_TARGET) : pair.kind,
  ]);
  return table(
    [
      'server',
      'authentication',
      'req/s without',
      'req/s with',
      'with ÷ without (req/s)',
      'server CPU µs/request',
      'CPU ratio',
      'server busy',
      'p99 ms',
      'target ≥ 0.95',
    ],
    rows,
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
  );
}
