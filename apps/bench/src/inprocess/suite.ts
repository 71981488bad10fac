import { hash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  createFetchRequestAdapter,
  createMemoryEphemeralStore,
  type AuthOutcome,
  type AuthRequest,
  type AuthStrategy,
} from '@gatehouse/auth-core';
import { createNodeRequestAdapter } from '@gatehouse/auth-core/node';
import { Bench, type Fn } from 'tinybench';
import type { BenchSizes } from '../config.js';
import { formatRate, formatRatio, table, verdict } from '../markdown.js';
import {
  bareHmacKey,
  contractFloorHmac,
  contractFloorLookup,
  gatehouseDigestLookup,
  gatehouseHmacCheck,
  nativeDigestLookup,
  nobleDigestLookup,
  nobleHmacCheck,
  nodeDigestLookup,
  nodeHmacCheck,
  preparedHmacKey,
  type BareHmacKey,
  type PreparedHmacKey,
} from '../primitives.js';
import {
  BENCH_KEK,
  CLIENT_IP,
  createProvisionedMemoryStore,
  createStrategies,
  credentialHeaders,
  FakeIncomingMessage,
  fetchRequest,
  freshNonce,
  hmacHeaders,
  preparedAuthRequest,
  provision,
  ROUTES,
  SCHEME_TITLES,
  SCHEMES,
  secretOf,
  UNKNOWN_SECRETS,
  type HmacKeyMaterial,
  type Scheme,
} from '../schemes.js';
import { loadPortableBuild } from '../portable/load.js';
import { cycle, fresh, type Source } from './sources.js';

/**
 * What a case measures. `primitive` (the platform's fastest: node:crypto) is the denominator of every ratio;
 * `reference` (`createHash`, lookup schemes only) and `noble` (@noble/hashes) are informational.
 */
export type Layer = 'primitive' | 'reference' | 'noble' | 'gatehouse-crypto' | 'promise-floor' | 'contract-floor' | 'strategy' | 'strategy-issued' | 'fetch' | 'node' | 'fetch-portable';

export const LAYER_TITLES: Record<Layer, string> = {
  primitive: 'bare primitive (node:crypto `hash` / `createHmac`)',
  reference: 'bare primitive with `createHash` (node:crypto, reference)',
  noble: 'bare primitive with @noble/hashes (reference)',
  'gatehouse-crypto': 'the strategy\'s own crypto + `Map.get` (reference)',
  'promise-floor': 'the native primitive returned through a `Promise`: an `async` function around it, nothing else (reference)',
  'contract-floor': 'the native primitive in the contract\'s shape: `async`, an awaited store (reference)',
  strategy: '`strategy.authenticate` on a prepared AuthRequest',
  'strategy-issued': '`strategy.authenticate`, noncePolicy `issued` (reference)',
  fetch: 'Fetch adapter + `authenticate` (from a Fetch `Request`)',
  node: 'Node adapter + `authenticate` (from an `IncomingMessage`)',
  'fetch-portable': 'Fetch adapter + `authenticate`, portable build (@noble/hashes: workers, browsers)',
};

export interface InProcessResult {
  readonly scheme: Scheme;
  readonly layer: Layer;
  readonly credential: 'valid' | 'wrong';
  /** Median over rounds of the round's mean throughput. */
  readonly opsPerSecond: number;
  /** Median over rounds of (this case ÷ the primitive with the same credential, same round); 1 for the primitive. */
  readonly ratio: number;
  /** The same against the @noble/hashes primitive (the floor where there is no native crypto). */
  readonly ratioToNoble?: number;
  readonly perRound: readonly number[];
}

interface Case {
  readonly scheme: Scheme;
  readonly layer: Layer;
  readonly credential: 'valid' | 'wrong';
  readonly async: boolean;
  /** Runs one verification; the batch loop calls it. */
  readonly op: () => unknown;
  readonly prepare: (count: number) => void;
  /** Throws unless one run gives the expected result (run before timing). */
  readonly check: () => Promise<void>;
}

type Outcome = AuthOutcome;

function expectOutcome(outcome: Outcome, credential: 'valid' | 'wrong', label: string): void {
  if (credential === 'valid' && outcome.type !== 'authenticated') {
    throw new Error(`${label}: expected authenticated, got ${outcome.type}${outcome.type === 'rejected' ? ` ${outcome.error.code}` : ''}`);
  }
  if (credential === 'wrong' && (outcome.type !== 'rejected' || outcome.error.code !== 'CREDENTIALS_INVALID')) {
    throw new Error(`${label}: expected CREDENTIALS_INVALID, got ${outcome.type}`);
  }
}

let sink: unknown;

/** A tinybench task timing `batch` operations per sample; input preparation stays outside the timed window. */
function batchTask(testCase: Case, batch: number): Fn {
  const { op, prepare } = testCase;
  if (testCase.async) {
    return async () => {
      prepare(batch);
      const start = performance.now();
      for (let i = 0; i < batch; i++) sink = await (op() as Promise<unknown>);
      const elapsed = performance.now() - start;
      return { overriddenDuration: elapsed / batch, overriddenIterationCost: elapsed };
    };
  }
  return () => {
    prepare(batch);
    const start = performance.now();
    for (let i = 0; i < batch; i++) sink = op();
    const elapsed = performance.now() - start;
    return { overriddenDuration: elapsed / batch, overriddenIterationCost: elapsed };
  };
}

function strategyCase<T>(
  scheme: Scheme,
  layer: Layer,
  credential: 'valid' | 'wrong',
  strategy: AuthStrategy,
  source: Source<T>,
  toRequest: (input: T) => Parameters<AuthStrategy['authenticate']>[0],
): Case {
  return {
    scheme,
    layer,
    credential,
    async: true,
    op: () => strategy.authenticate(toRequest(source.next())),
    prepare: (count) => source.prepare(count),
    check: async () => {
      source.prepare(1);
      expectOutcome(await strategy.authenticate(toRequest(source.next())), credential, `${scheme} ${layer} ${credential}`);
    },
  };
}

/** An async primitive on the same prepared requests as the strategy; `absent` never counts as a result. */
function contractFloorCase<T>(
  scheme: Scheme,
  credential: 'valid' | 'wrong',
  source: Source<T>,
  run: (input: T) => Promise<{ readonly type: string }>,
): Case {
  return {
    scheme,
    layer: 'contract-floor',
    credential,
    async: true,
    op: () => run(source.next()),
    prepare: (count) => source.prepare(count),
    check: async () => {
      source.prepare(1);
      const outcome = await run(source.next());
      const expected = credential === 'valid' ? 'authenticated' : 'rejected';
      if (outcome.type !== expected) throw new Error(`${scheme} contract-floor ${credential}: expected ${expected}, got ${outcome.type}`);
    },
  };
}

/**
 * A bare primitive, timed as is, or (layer `promise-floor`) unchanged inside an `async` function and awaited as
 * every `authenticate` is: no store hop, no request, no outcome object, so no strategy whose `authenticate`
 * returns a `Promise` can cost less.
 */
function primitiveCase<T>(scheme: Scheme, layer: Layer, credential: 'valid' | 'wrong', source: Source<T>, run: (input: T) => unknown): Case {
  const viaPromise = layer === 'promise-floor';
  const op = viaPromise ? async (input: T): Promise<unknown> => run(input) : run;
  return {
    scheme,
    layer,
    credential,
    async: viaPromise,
    op: () => op(source.next()),
    prepare: (count) => source.prepare(count),
    check: async () => {
      source.prepare(1);
      const result = await op(source.next());
      const found = result !== undefined && result !== false;
      if (found !== (credential === 'valid')) throw new Error(`${scheme} ${layer} ${credential}: the primitive returned ${String(result)}`);
    },
  };
}

/** Where the contract-shaped floor finds each lookup scheme's credential on a prepared request. */
const CREDENTIAL_READERS: Record<Exclude<Scheme, 'hmac'>, (request: AuthRequest) => string | null> = {
  nvx: (request) => request.header('authorization')?.slice(4) ?? null,
  'access-hash': (request) => request.cookie('access_hash'),
  aptoken: (request) => request.header('aptoken'),
};

/** Builds every case: per scheme, the primitives and the strategy through each entry point, valid and wrong. */
export async function buildCases(sizes: BenchSizes): Promise<Case[]> {
  const { store, credentials } = await createProvisionedMemoryStore(sizes.inProcess.credentials);
  const strategies = createStrategies(store, { noncePolicy: 'unique', ephemeral: createMemoryEphemeralStore() });
  const issued = createStrategies(store, { noncePolicy: 'issued' }).hmac;
  const toFetchAuthRequest = createFetchRequestAdapter();
  const toNodeAuthRequest = createNodeRequestAdapter();
  // The portable build on its own store, with credentials of its own, as a worker would run it.
  const portable = await loadPortableBuild(BENCH_KEK);
  const portableCredentials = await provision(portable.store, sizes.inProcess.credentials);
  const cases: Case[] = [];

  for (const scheme of ['nvx', 'access-hash', 'aptoken'] as const) {
    const secretsOf = (from: typeof credentials): readonly string[] =>
      scheme === 'nvx' ? from.nvx : scheme === 'access-hash' ? from.accessHash : from.aptoken;
    const secrets = secretsOf(credentials);
    const { method, path } = ROUTES[scheme];
    // The bare check's table: digest → the stored record, as a hand-written lookup would keep it.
    const table = new Map<string, unknown>();
    for (const secret of secrets) table.set(hash('sha256', secret, 'hex'), { secret });
    const strategy = strategies[scheme];
    for (const credential of ['valid', 'wrong'] as const) {
      const headerSets = (credential === 'valid' ? secrets : [UNKNOWN_SECRETS[scheme]]).map((secret) => credentialHeaders(scheme, secret));
      const tokens = headerSets.map((headers) => secretOf(scheme, headers));
      cases.push(primitiveCase(scheme, 'primitive', credential, cycle(tokens), (token) => nativeDigestLookup(table, token)));
      cases.push(primitiveCase(scheme, 'reference', credential, cycle(tokens), (token) => nodeDigestLookup(table, token)));
      cases.push(primitiveCase(scheme, 'noble', credential, cycle(tokens), (token) => nobleDigestLookup(table, token)));
      cases.push(primitiveCase(scheme, 'gatehouse-crypto', credential, cycle(tokens), (token) => gatehouseDigestLookup(table, token)));
      cases.push(primitiveCase(scheme, 'promise-floor', credential, cycle(tokens), (token) => nativeDigestLookup(table, token)));
      const floor = contractFloorLookup(table, CREDENTIAL_READERS[scheme]);
      cases.push(contractFloorCase(scheme, credential, cycle(headerSets.map((headers) => preparedAuthRequest(method, path, headers))), floor));
      cases.push(strategyCase(scheme, 'strategy', credential, strategy, cycle(headerSets.map((headers) => preparedAuthRequest(method, path, headers))), (request) => request));
      cases.push(
        strategyCase(scheme, 'fetch', credential, strategy, cycle(headerSets.map((headers) => fetchRequest(method, path, headers))), (request) =>
          toFetchAuthRequest(request, { remoteAddress: CLIENT_IP }),
        ),
      );
      cases.push(
        strategyCase(scheme, 'node', credential, strategy, cycle(headerSets.map((headers) => new FakeIncomingMessage(method, path, headers))), (incoming) =>
          toNodeAuthRequest(incoming),
        ),
      );
      const portableHeaderSets = (credential === 'valid' ? secretsOf(portableCredentials) : [UNKNOWN_SECRETS[scheme]]).map((secret) => credentialHeaders(scheme, secret));
      cases.push(
        strategyCase(scheme, 'fetch-portable', credential, portable.strategies[scheme], cycle(portableHeaderSets.map((headers) => fetchRequest(method, path, headers))), (request) =>
          portable.toAuthRequest(request, { remoteAddress: CLIENT_IP }),
        ),
      );
    }
  }

  // AuthenticateUser: the bare check keeps plain secrets by API key; the strategy keeps them sealed.
  const bare = new Map<string, BareHmacKey>(credentials.hmac.map((key) => [key.apiKey, bareHmacKey(key.userId, key.apiSecret)]));
  const prepared = new Map<string, PreparedHmacKey>(credentials.hmac.map((key) => [key.apiKey, preparedHmacKey(key.userId, key.apiSecret)]));
  const { method, path } = ROUTES.hmac;
  let keyIndex = 0;
  const nextKey = (): HmacKeyMaterial => {
    const key = credentials.hmac[keyIndex] as HmacKeyMaterial;
    keyIndex = (keyIndex + 1) % credentials.hmac.length;
    return key;
  };
  let portableKeyIndex = 0;
  const nextPortableKey = (): HmacKeyMaterial => {
    const key = portableCredentials.hmac[portableKeyIndex] as HmacKeyMaterial;
    portableKeyIndex = (portableKeyIndex + 1) % portableCredentials.hmac.length;
    return key;
  };
  for (const credential of ['valid', 'wrong'] as const) {
    const wrong = credential === 'wrong';
    // Signed tuples for the primitives: any nonce does, they keep no nonce store.
    const signed = credentials.hmac.map((key) => hmacHeaders(key, freshNonce(), wrong));
    const check = (run: typeof nobleHmacCheck) => (headers: Record<string, string>) =>
      run(bare, headers['APIKey'] as string, headers['UserId'] as string, headers['Nonce'] as string, headers['Signature'] as string);
    cases.push(primitiveCase('hmac', 'primitive', credential, cycle(signed), check(nodeHmacCheck)));
    cases.push(primitiveCase('hmac', 'noble', credential, cycle(signed), check(nobleHmacCheck)));
    cases.push(
      primitiveCase('hmac', 'gatehouse-crypto', credential, cycle(signed), (headers) =>
        gatehouseHmacCheck(prepared, headers['APIKey'] as string, headers['UserId'] as string, headers['Nonce'] as string, headers['Signature'] as string),
      ),
    );
    // A valid request spends its nonce (policy `unique`), so every operation gets a freshly signed one; a wrong
    // signature is refused before the nonce is looked at, so those requests can be reused.
    const preparedSource = wrong
      ? cycle(signed.map((headers) => preparedAuthRequest(method, path, headers)))
      : fresh(() => preparedAuthRequest(method, path, hmacHeaders(nextKey(), freshNonce())));
    const floorSource = wrong
      ? cycle(signed.map((headers) => preparedAuthRequest(method, path, headers)))
      : fresh(() => preparedAuthRequest(method, path, hmacHeaders(nextKey(), freshNonce())));
    cases.push(primitiveCase('hmac', 'promise-floor', credential, cycle(signed), check(nodeHmacCheck)));
    cases.push(contractFloorCase('hmac', credential, floorSource, contractFloorHmac(bare)));
    cases.push(strategyCase('hmac', 'strategy', credential, strategies.hmac, preparedSource, (request) => request));
    if (!wrong) {
      const issuedRequests = credentials.hmac.map((key) => preparedAuthRequest(method, path, hmacHeaders(key, key.issuedNonce)));
      cases.push(strategyCase('hmac', 'strategy-issued', credential, issued, cycle(issuedRequests), (request) => request));
    }
    const fetchSource = wrong
      ? cycle(signed.map((headers) => fetchRequest(method, path, headers)))
      : fresh(() => fetchRequest(method, path, hmacHeaders(nextKey(), freshNonce())));
    cases.push(strategyCase('hmac', 'fetch', credential, strategies.hmac, fetchSource, (request) => toFetchAuthRequest(request, { remoteAddress: CLIENT_IP })));
    const portableSource = wrong
      ? cycle(portableCredentials.hmac.map((key) => fetchRequest(method, path, hmacHeaders(key, freshNonce(), true))))
      : fresh(() => fetchRequest(method, path, hmacHeaders(nextPortableKey(), freshNonce())));
    cases.push(
      strategyCase('hmac', 'fetch-portable', credential, portable.strategies.hmac, portableSource, (request) =>
        portable.toAuthRequest(request, { remoteAddress: CLIENT_IP }),
      ),
    );
    // A POST's IncomingMessage is consumed by reading its (empty) body: one per operation.
    let signedIndex = 0;
    const nodeSource = fresh(() => {
      const headers = wrong ? (signed[signedIndex++ % signed.length] as Record<string, string>) : hmacHeaders(nextKey(), freshNonce());
      return new FakeIncomingMessage(method, path, headers);
    });
    cases.push(strategyCase('hmac', 'node', credential, strategies.hmac, nodeSource, (incoming) => toNodeAuthRequest(incoming)));
  }
  return cases;
}

/**
 * Runs the in-process suite: `rounds` rounds; in each, every scheme's cases run back to back (primitive first),
 * so each ratio compares numbers taken seconds apart on the same machine state.
 */
export async function runInProcess(sizes: BenchSizes, log: (line: string) => void = () => {}): Promise<InProcessResult[]> {
  const cases = await buildCases(sizes);
  for (const testCase of cases) await testCase.check();
  const { rounds, batch, timeMs, warmupMs } = sizes.inProcess;
  const perRound = new Map<Case, number[]>(cases.map((testCase) => [testCase, []]));
  const ratios = new Map<Case, number[]>(cases.map((testCase) => [testCase, []]));
  const nobleRatios = new Map<Case, number[]>(cases.map((testCase) => [testCase, []]));
  for (let round = 0; round < rounds; round++) {
    for (const scheme of SCHEMES) {
      const schemeCases = cases.filter((testCase) => testCase.scheme === scheme);
      const bench = new Bench({ name: scheme, time: timeMs, warmupTime: warmupMs, iterations: 4, warmupIterations: 2, throws: true });
      for (const testCase of schemeCases) bench.add(`${testCase.layer}/${testCase.credential}`, batchTask(testCase, batch), { async: testCase.async });
      await bench.run();
      const rates = new Map<Case, number>();
      for (const testCase of schemeCases) {
        const task = bench.getTask(`${testCase.layer}/${testCase.credential}`);
        const result = task?.result;
        if (result === undefined || result.state !== 'completed') throw new Error(`${scheme} ${testCase.layer}: no result (${result?.state})`);
        const rate = 1000 / result.latency.mean;
        rates.set(testCase, rate);
        perRound.get(testCase)?.push(rate);
      }
      for (const testCase of schemeCases) {
        const primitive = schemeCases.find((other) => other.layer === 'primitive' && other.credential === testCase.credential);
        ratios.get(testCase)?.push((rates.get(testCase) as number) / (rates.get(primitive as Case) as number));
        const noble = schemeCases.find((other) => other.layer === 'noble' && other.credential === testCase.credential);
        if (noble !== undefined) nobleRatios.get(testCase)?.push((rates.get(testCase) as number) / (rates.get(noble) as number));
      }
      log(`in-process round ${round + 1}/${rounds} ${scheme}: done`);
    }
  }
  return cases.map((testCase) => ({
    scheme: testCase.scheme,
    layer: testCase.layer,
    credential: testCase.credential,
    opsPerSecond: medianOf(perRound.get(testCase) as number[]),
    ratio: medianOf(ratios.get(testCase) as number[]),
    ...((nobleRatios.get(testCase) as number[]).length > 0 ? { ratioToNoble: medianOf(nobleRatios.get(testCase) as number[]) } : {}),
    perRound: perRound.get(testCase) as number[],
  }));
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The in-process target: the strategy on a prepared request reaches 0.8 of the native primitive, valid and wrong. */
export const IN_PROCESS_TARGET = 0.8;

export function inProcessTargets(results: readonly InProcessResult[]): { scheme: Scheme; credential: string; ratio: number; met: boolean }[] {
  return results
    .filter((result) => result.layer === 'strategy')
    .map((result) => ({ scheme: result.scheme, credential: result.credential, ratio: result.ratio, met: result.ratio >= IN_PROCESS_TARGET }));
}

export function renderInProcess(results: readonly InProcessResult[]): string {
  const sections: string[] = [];
  for (const scheme of SCHEMES) {
    const rows = results
      .filter((result) => result.scheme === scheme)
      .map((result) => [
        scheme === 'hmac' && result.layer === 'strategy'
          ? `${LAYER_TITLES.strategy}, noncePolicy \`unique\`${result.credential === 'valid' ? ' (a fresh nonce per call)' : ''}`
          : LAYER_TITLES[result.layer],
        result.credential,
        formatRate(result.opsPerSecond),
        result.layer === 'primitive' ? '1.00x' : formatRatio(result.ratio),
        result.layer === 'strategy'
          ? verdict(result.ratio >= IN_PROCESS_TARGET)
          : result.layer === 'fetch-portable' && result.ratioToNoble !== undefined
            ? `${formatRatio(result.ratioToNoble)} the noble primitive`
            : '',
      ]);
    sections.push(`#### ${SCHEME_TITLES[scheme]}\n\n${table(['case', 'credential', 'ops/s', '× native primitive', 'target ≥ 0.8x'], rows, ['l', 'l', 'r', 'r', 'l'])}`);
  }
  return sections.join('\n\n');
}
