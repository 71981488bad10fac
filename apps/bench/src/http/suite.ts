import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { BenchSizes } from '../config.js';
import { formatMicros, formatRate, formatRatio, table, verdict } from '../markdown.js';
import { credentialHeaders, freshNonce, hmacHeaders, ROUTES, SCHEMES, UNKNOWN_SECRETS, type HmacKeyMaterial, type Scheme } from '../schemes.js';
import { median } from '../stats.js';
import { isGatehouse, PEER_OF, peerHeaders, type Framework, type Peer, type ServerAuth, type ServerSpec, type StartedServer } from './servers.js';

/** What a row is in its framework's table. */
export type RowKind = 'bare' | 'noop' | 'gatehouse' | 'peer';

/** One measured round of one row. */
export interface HttpRound {
  readonly rps: number;
  /** Server CPU time (user + system of the server process) per request, µs. */
  readonly cpuMicros: number;
  readonly p99Ms: number;
}

/** One server under one set of requests, measured in every round of its framework. */
export interface HttpRow {
  readonly framework: Framework;
  readonly auth: ServerAuth;
  readonly kind: RowKind;
  /**
   * Whose requests the server was sent: a scheme's (the servers without authentication get exactly the requests
   * of the Gatehouse server they are compared with) or the peer's.
   */
  readonly requests: Scheme | Peer;
  /** Medians over the rounds. */
  readonly rps: number;
  readonly cpuMicros: number;
  readonly p99Ms: number;
  readonly rounds: readonly HttpRound[];
}

/**
 * A Gatehouse row against the same server without it (a no-op middleware in its place; on node:http the bare
 * handler), or a peer against the no-op middleware of its framework. Every number is the median over rounds of
 * the ratio or difference within a round, so each compares measurements taken seconds apart.
 */
export interface HttpComparison {
  readonly framework: Framework;
  readonly auth: Scheme | Peer;
  readonly kind: 'gatehouse' | 'peer';
  readonly baseline: 'none' | 'noop';
  /** With ÷ baseline, req/s. */
  readonly rpsRatio: number;
  /** Baseline ÷ with, server CPU µs per request: the throughput ratio two saturated servers would show. */
  readonly cpuRatio: number;
  /** With − baseline, server CPU µs per request. */
  readonly extraCpuMicros: number;
  /** The baseline server was not saturated: the load generator was the limit, and the req/s ratio hides cost. */
  readonly clientBound: boolean;
}

export interface HttpResults {
  readonly connections: number;
  readonly durationSeconds: number;
  readonly rounds: number;
  readonly rows: readonly HttpRow[];
  readonly comparisons: readonly HttpComparison[];
}

/** Every Gatehouse row reaches this fraction of its baseline's req/s and of its CPU cost per request. */
export const HTTP_TARGET = 0.95;

/** Below this, a server was not saturated: the load generator was the bottleneck. */
export const SATURATED = 0.9;

interface Cell {
  readonly auth: ServerAuth;
  readonly requests: Scheme | Peer;
  readonly kind: RowKind;
}

/**
 * The servers of each framework, measured together in alternating rounds. node:http has no middleware, so each
 * scheme runs against the bare handler, sent the same requests. Express, Fastify and Hono each run bare, with a
 * no-op middleware, with the framework's Gatehouse package and with the peer a user of that framework would pick,
 * on the NVX key (`Authorization: NVX <32 hex>`); the peers get API keys of the same length.
 */
export const HTTP_GROUPS: readonly { readonly framework: Framework; readonly cells: readonly Cell[] }[] = [
  {
    framework: 'node',
    cells: SCHEMES.flatMap((scheme): Cell[] => [
      { auth: 'none', requests: scheme, kind: 'bare' },
      { auth: scheme, requests: scheme, kind: 'gatehouse' },
    ]),
  },
  ...(['express', 'fastify', 'hono'] as const).map((framework) => ({
    framework,
    cells: [
      { auth: 'none', requests: 'nvx', kind: 'bare' },
      { auth: 'noop', requests: 'nvx', kind: 'noop' },
      { auth: 'nvx', requests: 'nvx', kind: 'gatehouse' },
      { auth: PEER_OF[framework], requests: PEER_OF[framework], kind: 'peer' },
    ] satisfies Cell[],
  })),
];

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

/** The requests of a scheme or a peer, from the credentials of the server that issued them. */
function requestsFor(requests: Scheme | Peer, credentials: StartedServer['credentials'], count: number): RequestSpec[] {
  if (!isGatehouse(requests)) {
    const { method, path } = ROUTES.nvx;
    return (credentials.apiKeys ?? []).slice(0, count).map((key) => ({ method, path, headers: peerHeaders(requests, key) }));
  }
  const { method, path } = ROUTES[requests];
  if (requests === 'hmac') {
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
  const secrets = (requests === 'nvx' ? credentials.nvx : requests === 'access-hash' ? credentials.accessHash : credentials.aptoken) ?? [];
  return secrets.slice(0, count).map((secret) => ({ method, path, headers: credentialHeaders(requests, secret) }));
}

/** A request with a wrong credential, to prove an authenticating server refuses it. */
function wrongRequest(auth: Scheme | Peer): { method: string; path: string; headers: Record<string, string> } {
  if (!isGatehouse(auth)) return { ...ROUTES.nvx, headers: peerHeaders(auth, UNKNOWN_SECRETS.nvx) };
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

async function measure(server: ServerProcess, requests: RequestSpec[], connections: number, durationSeconds: number, amount?: number): Promise<HttpRound> {
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
  return { rps: total / result.duration, cpuMicros: (cpuAfter - cpuBefore) / total, p99Ms: result.latency.p99 };
}

/** How busy a server process was: CPU seconds per second (1 = one core saturated). */
export function serverBusy(rps: number, cpuMicrosPerRequest: number): number {
  return (rps * cpuMicrosPerRequest) / 1e6;
}

function compare(framework: Framework, row: HttpRow, base: HttpRow): HttpComparison {
  const pairs = row.rounds.map((round, index) => [round, base.rounds[index] as HttpRound] as const);
  return {
    framework,
    auth: row.auth as Scheme | Peer,
    kind: row.kind === 'peer' ? 'peer' : 'gatehouse',
    baseline: base.auth === 'noop' ? 'noop' : 'none',
    rpsRatio: median(pairs.map(([withIt, without]) => withIt.rps / without.rps)),
    cpuRatio: median(pairs.map(([withIt, without]) => without.cpuMicros / withIt.cpuMicros)),
    extraCpuMicros: median(pairs.map(([withIt, without]) => withIt.cpuMicros - without.cpuMicros)),
    clientBound: serverBusy(base.rps, base.cpuMicros) < SATURATED,
  };
}

/**
 * Runs the HTTP suite, one framework at a time. Its servers each run in a child process, and autocannon runs
 * here, in the parent, so on a 2-core machine the load generator and the server under load each have a core (the
 * other servers only wait). Every server first answers a sanity check and one unmeasured warm-up round; then the
 * rounds go through the framework's servers in turn (A, B, C, D, A, B, C, D …); the tables report medians.
 */
export async function runHttp(sizes: BenchSizes, log: (line: string) => void = () => {}): Promise<HttpResults> {
  const { connections, durationSeconds, rounds, warmupSeconds, credentials, requestCredentials, requestsPerRound } = sizes.http;
  const rows: HttpRow[] = [];
  const comparisons: HttpComparison[] = [];
  for (const { framework, cells } of HTTP_GROUPS) {
    const auths = [...new Set(cells.map((cell) => cell.auth))];
    const started = await Promise.allSettled(auths.map((auth) => startServerProcess({ framework, auth, credentials })));
    const servers = new Map<ServerAuth, ServerProcess>();
    started.forEach((outcome, index) => {
      if (outcome.status === 'fulfilled') servers.set(auths[index] as ServerAuth, outcome.value);
    });
    try {
      const failed = started.find((outcome) => outcome.status === 'rejected');
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
      const serverOf = (auth: ServerAuth): ServerProcess => servers.get(auth) as ServerProcess;
      // The credentials of a scheme or peer are the ones its own server issued.
      const requestSets = cells.map((cell) => {
        const list = requestsFor(cell.requests, serverOf(cell.requests).credentials, requestCredentials);
        if (list.length === 0) throw new Error(`${framework}/${cell.auth}: no credentials`);
        return list;
      });
      for (const [index, cell] of cells.entries()) {
        const server = serverOf(cell.auth);
        const sample = materialise((requestSets[index] as RequestSpec[])[0] as RequestSpec);
        const status = await statusOf(server.port, sample);
        if (status !== 200) throw new Error(`${framework}/${cell.auth}: sanity check got ${status} for ${cell.requests} requests`);
        if (cell.kind === 'gatehouse' || cell.kind === 'peer') {
          const refused = await statusOf(server.port, wrongRequest(cell.requests));
          if (refused < 400) throw new Error(`${framework}/${cell.auth}: a wrong credential got ${refused}`);
        }
      }
      if (warmupSeconds > 0) {
        for (const [index, cell] of cells.entries()) await measure(serverOf(cell.auth), requestSets[index] as RequestSpec[], connections, warmupSeconds);
      }
      const measured: HttpRound[][] = cells.map(() => []);
      for (let round = 0; round < rounds; round++) {
        for (const [index, cell] of cells.entries()) {
          measured[index]?.push(await measure(serverOf(cell.auth), requestSets[index] as RequestSpec[], connections, durationSeconds, requestsPerRound));
        }
        log(`http ${framework} round ${round + 1}/${rounds}: ${cells.map((cell, index) => `${cell.auth}=${Math.round(measured[index]?.at(-1)?.rps ?? 0)}`).join(' ')} req/s`);
      }
      const groupRows = cells.map((cell, index): HttpRow => {
        const list = measured[index] as HttpRound[];
        return {
          framework,
          auth: cell.auth,
          kind: cell.kind,
          requests: cell.requests,
          rps: median(list.map((entry) => entry.rps)),
          cpuMicros: median(list.map((entry) => entry.cpuMicros)),
          p99Ms: median(list.map((entry) => entry.p99Ms)),
          rounds: list,
        };
      });
      rows.push(...groupRows);
      for (const row of groupRows) {
        if (row.kind !== 'gatehouse' && row.kind !== 'peer') continue;
        const baseline = framework === 'node' ? 'none' : 'noop';
        const base = groupRows.find((other) => other.auth === baseline && (row.kind === 'peer' || other.requests === row.requests));
        if (base === undefined) throw new Error(`${framework}/${row.auth}: no ${baseline} row to compare with`);
        comparisons.push(compare(framework, row, base));
      }
    } finally {
      await Promise.all([...servers.values()].map((server) => server.stop()));
    }
  }
  return { connections, durationSeconds, rounds, rows, comparisons };
}

export const FRAMEWORK_TITLES: Record<Framework, string> = {
  node: 'node:http',
  express: 'Express 5',
  fastify: 'Fastify 5',
  hono: 'Hono (@hono/node-server)',
};

const SCHEME_SHORT: Record<Scheme, string> = {
  nvx: 'NVX API key',
  'access-hash': 'access hash cookie',
  hmac: 'HMAC `AuthenticateUser` (nonce `unique`)',
  aptoken: 'HMAC session (`aptoken`)',
};

const PEER_TITLES: Record<Peer, string> = {
  passport: 'passport + passport-headerapikey',
  'fastify-bearer': '@fastify/bearer-auth',
  'hono-bearer': 'hono/bearer-auth',
};

const GATEHOUSE_PACKAGE: Record<Framework, string> = {
  node: '`createAuthGuard` + the Node adapter',
  express: '`@gatehouse/express` `authenticate`',
  fastify: '`@gatehouse/fastify` `authenticate` (preHandler)',
  hono: '`@gatehouse/hono` `authenticate`',
};

const NOOP_TITLES: Record<Framework, string> = {
  node: '–',
  express: 'a no-op middleware (`(req, res, next) => next()`)',
  fastify: 'a no-op `preHandler` (`(request, reply, done) => done()`)',
  hono: 'a no-op middleware (`async (c, next) => { await next() }`)',
};

export function authTitle(framework: Framework, auth: ServerAuth): string {
  if (auth === 'none') return framework === 'node' ? 'none (the bare handler)' : 'none';
  if (auth === 'noop') return NOOP_TITLES[framework];
  if (isGatehouse(auth)) return `Gatehouse ${SCHEME_SHORT[auth]}: ${GATEHOUSE_PACKAGE[framework]}`;
  return `${PEER_TITLES[auth]} (peer)`;
}

function requestsTitle(requests: Scheme | Peer): string {
  if (isGatehouse(requests)) return SCHEME_SHORT[requests];
  return requests === 'passport' ? '`Authorization: Api-Key <32 hex>`' : '`Authorization: Bearer <32 hex>`';
}

function baselineTitle(framework: Framework): string {
  return framework === 'node' ? 'the bare handler' : 'the same app with a no-op middleware in its place';
}

/** Met when both the req/s and the CPU-per-request ratio reach {@link HTTP_TARGET}. */
export function meetsHttpTarget(comparison: HttpComparison): boolean {
  return comparison.rpsRatio >= HTTP_TARGET && comparison.cpuRatio >= HTTP_TARGET;
}

/** Met when a Gatehouse adapter adds less CPU per request over its no-op middleware than every peer over its own. */
export function belowEveryPeer(comparison: HttpComparison, comparisons: readonly HttpComparison[]): boolean {
  const peers = comparisons.filter((entry) => entry.kind === 'peer');
  return peers.length > 0 && peers.every((peer) => comparison.extraCpuMicros < peer.extraCpuMicros);
}

/** Whether a Gatehouse adapter adds less CPU per request over its no-op middleware than its own framework's peer. */
export function belowOwnPeer(comparison: HttpComparison, comparisons: readonly HttpComparison[]): boolean {
  const own = comparisons.find((entry) => entry.kind === 'peer' && entry.framework === comparison.framework);
  return own !== undefined && comparison.extraCpuMicros < own.extraCpuMicros;
}

/** The rows of the report's Targets section. */
export function httpTargets(results: HttpResults): { name: string; value: string; met: boolean }[] {
  const targets: { name: string; value: string; met: boolean }[] = [];
  const peers = results.comparisons.filter((entry) => entry.kind === 'peer');
  for (const comparison of results.comparisons.filter((entry) => entry.kind === 'gatehouse')) {
    const { framework, auth } = comparison;
    const subject = `${FRAMEWORK_TITLES[framework]} + ${authTitle(framework, auth)}`;
    const note = comparison.clientBound ? ' (req/s: the load generator was the limit)' : '';
    targets.push({
      name: `HTTP: ${subject} ≥ ${HTTP_TARGET}x the req/s and CPU/request of ${baselineTitle(framework)}`,
      value: `${formatRatio(comparison.rpsRatio)} req/s${note}, ${formatRatio(comparison.cpuRatio)} CPU`,
      met: meetsHttpTarget(comparison),
    });
    if (framework !== 'node') {
      targets.push({
        name: `HTTP: ${subject}: CPU/request added over the no-op middleware below every peer's`,
        value:
          `${formatMicros(comparison.extraCpuMicros)} µs vs ${peers.map((peer) => `${formatMicros(peer.extraCpuMicros)} µs (${PEER_TITLES[peer.auth as Peer]})`).join(', ')}` +
          `; below ${FRAMEWORK_TITLES[framework]}'s own peer: ${belowOwnPeer(comparison, results.comparisons) ? 'yes' : 'no'}`,
        met: belowEveryPeer(comparison, results.comparisons),
      });
    }
  }
  return targets;
}

export function renderHttp(results: HttpResults): string {
  const sections: string[] = [];
  for (const { framework } of HTTP_GROUPS) {
    const groupRows = results.rows.filter((row) => row.framework === framework);
    if (groupRows.length === 0) continue;
    const rows = groupRows.map((row) => {
      const comparison = results.comparisons.find((entry) => entry.framework === framework && entry.auth === row.auth);
      let target = '';
      if (comparison !== undefined && comparison.kind === 'gatehouse') {
        target = `${verdict(meetsHttpTarget(comparison))}`;
        if (framework !== 'node') target += `; below every peer: ${verdict(belowEveryPeer(comparison, results.comparisons))}`;
      } else if (row.kind === 'peer') {
        target = 'peer';
      }
      return [
        authTitle(framework, row.auth),
        requestsTitle(row.requests),
        formatRate(row.rps),
        formatMicros(row.cpuMicros),
        `${Math.round(100 * serverBusy(row.rps, row.cpuMicros))}%`,
        String(row.p99Ms),
        comparison === undefined ? '' : `${formatRatio(comparison.rpsRatio)}${comparison.clientBound ? ' ¹' : ''}`,
        comparison === undefined ? '' : formatRatio(comparison.cpuRatio),
        comparison === undefined ? '' : formatMicros(comparison.extraCpuMicros),
        target,
      ];
    });
    const against = framework === 'node' ? 'bare' : 'no-op';
    sections.push(
      `#### ${FRAMEWORK_TITLES[framework]}\n\n${table(
        ['authentication', 'requests', 'req/s', 'server CPU µs/request', 'server busy', 'p99 ms', `req/s ÷ ${against}`, `${against} CPU ÷ this CPU`, `CPU µs added over ${against}`, `target ≥ ${HTTP_TARGET}x`],
        rows,
        ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
      )}`,
    );
  }
  if (results.comparisons.some((entry) => entry.clientBound)) {
    sections.push(`¹ The server it is compared with was below ${Math.round(SATURATED * 100)}% busy: autocannon was the limit, so this req/s ratio understates the cost; the CPU ratio does not.`);
  }
  return sections.join('\n\n');
}
