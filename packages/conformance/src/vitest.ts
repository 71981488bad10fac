import { afterAll, beforeAll, describe, it, type TestContext } from 'vitest';
import { ConformanceFailure, type ConformanceCase, type ConformanceProfile } from './case.js';
import { credentialStoreV1, type CredentialStoreDriver } from './profiles/credential-store.js';
import { ephemeralStoreV1, type EphemeralStoreDriver } from './profiles/ephemeral-store.js';
import { strategyContractV1, type StrategyContractDriver } from './profiles/strategy-contract.js';
import { createCaseContext, isConformanceSkip, planProfile, resolveParameters } from './run.js';
import type { ConformanceScheme, HttpDriverHandle } from './scheme.js';
import { describeSchemeProblem, findScheme, type SchemeDriverOf, type SchemeId } from './schemes/index.js';

/**
 * Which cases to leave out of a {@link describeConformance} suite, the server's declared parameters, and how
 * wire differences count.
 *
 * @example
 * ```ts
 * const selection: ConformanceSelection = { disable: ['SC-TAMPER-002'], parameters: { source_conflict: 'precedence' } };
 * ```
 */
export interface ConformanceSelection {
  /** Case ids to skip (registered with `it.skip`). An id the profile does not have throws. */
  readonly disable?: readonly string[];
  /** The declared parameters (the profile's `parameters`); unknown names and values throw. Default: every default. */
  readonly parameters?: Readonly<Record<string, string>>;
  /**
   * Whether a wire difference (what the vendor's documents state) fails its test. Default false: a difference is
   * reported as a test annotation (vitest ≥ 3.2) and the test passes unless a security check failed.
   */
  readonly strictWire?: boolean;
}

/**
 * Runs a scheme profile against a live server (any language) over HTTP: its base URL and the scheme's HTTP
 * fixtures (the same names as the CLI's `--set`).
 *
 * @example
 * ```ts
 * const http: HttpDescribeOptions = { baseUrl: 'http://127.0.0.1:3000', fixtures: { login: 'demo', password: 'demo-password', panel_login: 'admin', panel_password: 'admin-password' } };
 * ```
 */
export interface HttpDescribeOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:3000` (a path prefix is kept). */
  readonly baseUrl: string;
  /** The scheme's HTTP fixtures by name (the CLI's `--set` names). */
  readonly fixtures: Readonly<Record<string, string>>;
  /** The longest one request may take. Default 10000. */
  readonly timeoutInMilliseconds?: number;
}

/**
 * Any {@link ConformanceScheme} (a strategy package's own, or a built-in one), over HTTP (`baseUrl`, `fixtures`)
 * or in-process with a ready driver.
 *
 * @example
 * ```ts
 * const overHttp: SchemeDescribeOptions = { scheme: myScheme, baseUrl: 'http://127.0.0.1:3000', fixtures: { owner_token: token } };
 * const inProcess: SchemeDescribeOptions = { scheme: myScheme, driver: myInProcessDriver };
 * ```
 */
// `any`: a scheme of any driver type; describeConformance's first overload types `{ scheme, driver }` together.
export type SchemeDescribeOptions =
  | ({ readonly scheme: ConformanceScheme<any> } & HttpDescribeOptions)
  | { readonly scheme: ConformanceScheme<any>; readonly driver: any };

/** A built-in scheme with a ready driver, e.g. `{ profile: 'nvx-hash@2', driver }`. */
type ReadyDriverOptions = { readonly [Id in SchemeId]: { readonly profile: Id; readonly driver: SchemeDriverOf<Id> } }[SchemeId];

/**
 * Options of {@link describeConformance}: the profile id and that profile's driver, side by side; a built-in
 * scheme's id with a base URL and fixtures; or any scheme object.
 *
 * @example
 * ```ts
 * const options: DescribeConformanceOptions = {
 *   profile: 'credential-store@1',
 *   createStore: () => createMemoryCredentialStore(),
 *   disable: ['CS-COPY-002'],
 * };
 * ```
 */
export type DescribeConformanceOptions =
  | (SchemeDescribeOptions & ConformanceSelection)
  | ({ readonly profile: SchemeId } & HttpDescribeOptions & ConformanceSelection)
  | (ReadyDriverOptions & ConformanceSelection)
  | ({ readonly profile: 'strategy-contract@1' } & StrategyContractDriver & ConformanceSelection)
  | ({ readonly profile: 'credential-store@1' } & CredentialStoreDriver & ConformanceSelection)
  | ({ readonly profile: 'ephemeral-store@1' } & EphemeralStoreDriver & ConformanceSelection);

/** Runs one case with its context; wire differences fail it under `strictWire`, and are annotated otherwise. */
async function runCase<D>(testCase: ConformanceCase<D>, driver: D, parameters: Readonly<Record<string, string>>, strictWire: boolean, context: TestContext): Promise<void> {
  const recorder = createCaseContext(parameters);
  try {
    await testCase.run(driver, recorder.context);
  } catch (error) {
    // A case that learns only when it runs that the driver lacks a capability skips itself.
    if (isConformanceSkip(error)) context.skip(error.message);
    throw error;
  }
  const differences = recorder.differences;
  if (differences.length === 0) return;
  if (strictWire) throw new ConformanceFailure(`differs from the documents (strictWire):\n${differences.map((one) => `  wire: ${one}`).join('\n')}`);
  const annotate = (context as { annotate?: (message: string, type?: string) => Promise<unknown> }).annotate;
  if (typeof annotate === 'function') for (const one of differences) await annotate.call(context, `wire: ${one}`, 'wire');
}

function checkDisabled(profile: ConformanceProfile<unknown>, disable: readonly string[] | undefined): Set<string> {
  const disabled = new Set(disable ?? []);
  for (const id of disabled) {
    if (!profile.cases.some((testCase) => testCase.id === id)) throw new TypeError(`Invalid option \`disable\`: profile ${profile.id} has no case ${JSON.stringify(id)}`);
  }
  return disabled;
}

function register<D>(profile: ConformanceProfile<D>, driver: D, selection: ConformanceSelection): void {
  const planned = planProfile(profile, driver, selection.disable === undefined ? {} : { disable: selection.disable });
  const parameters = resolveParameters(profile.parameters ?? [], selection.parameters);
  describe(profile.title, () => {
    for (const { testCase, skipReason } of planned) {
      const name = `${testCase.id} ${testCase.title}`;
      if (skipReason !== null) it.skip(name, () => undefined);
      else it(name, (context) => runCase(testCase, driver, parameters, selection.strictWire === true, context));
    }
  });
}

function registerHttp(scheme: ConformanceScheme<unknown>, options: HttpDescribeOptions, selection: ConformanceSelection): void {
  const { profile } = scheme;
  const disabled = checkDisabled(profile, selection.disable);
  const parameters = resolveParameters(profile.parameters ?? [], selection.parameters);
  describe(`${profile.title} over HTTP (${options.baseUrl})`, () => {
    let handle: HttpDriverHandle<unknown> | undefined;
    let capabilities: ReadonlySet<string> = new Set();
    beforeAll(async () => {
      // Loaded on demand: the HTTP drivers are Node-only and this entry must stay importable without them.
      const { createHttpDriver } = await import('./http/index.js');
      handle = await createHttpDriver(scheme, {
        baseUrl: options.baseUrl,
        fixtures: options.fixtures,
        parameters,
        ...(options.timeoutInMilliseconds === undefined ? {} : { timeoutInMilliseconds: options.timeoutInMilliseconds }),
      });
      capabilities = new Set([...(profile.capabilitiesOf?.(handle.driver) ?? []), ...handle.capabilities]);
    }, 120_000);
    afterAll(async () => handle?.cleanup(), 120_000);
    for (const testCase of profile.cases) {
      const name = `${testCase.id} ${testCase.title}`;
      if (disabled.has(testCase.id)) {
        it.skip(name, () => undefined);
        continue;
      }
      it(name, async (context) => {
        if (handle === undefined) throw new Error('the HTTP driver did not start');
        const missing = (testCase.requires ?? []).filter((capability) => !capabilities.has(capability));
        if (missing.length > 0) context.skip(`requires ${missing.join(', ')}`);
        await runCase(testCase, handle.driver, parameters, selection.strictWire === true, context);
      }, 60_000);
    }
  });
}

function schemeOption(value: unknown): ConformanceScheme<unknown> {
  const problem = describeSchemeProblem(value);
  if (problem !== null) throw new TypeError(`Invalid option \`scheme\`: ${problem}`);
  return value as ConformanceScheme<unknown>;
}

/**
 * Registers a vitest `describe` block for a conformance profile, with one `it` per case titled
 * `<id> <title>`. MUST and SHOULD cases both run and fail the suite when a check fails (a security check, or the
 * contract); wire differences (what the vendor's documents state) are annotated, and fail the case only with
 * `strictWire`. Disable a case by id to accept a deviation. Cases whose capability the driver lacks
 * (`credentialed`, `events`, `store-failure`, `remote-address`, `revoke`) are registered as skipped; wire-profile
 * cases whose fixture is missing skip themselves when they run. Pass the server's declared `parameters` for the
 * profile's documented-silent choices.
 *
 * Any scheme runs over HTTP with `{ scheme, baseUrl, fixtures }` (a strategy package's own scheme object), or
 * in-process with `{ scheme, driver }`; a built-in scheme also by its id.
 *
 * @example
 * ```ts
 * import { describeConformance } from '@gatehouse/conformance/vitest';
 *
 * describeConformance({ profile: 'strategy-contract@1', strategy: myStrategy, credentialed, events: () => events });
 * describeConformance({ profile: 'credential-store@1', createStore: () => createMyCredentialStore() });
 * describeConformance({ profile: 'ephemeral-store@1', createStore: ({ clock }) => createMemoryEphemeralStore({ clock }) });
 * describeConformance({ profile: 'nvx-hash@2', driver: nvxInProcessDriver({ strategy: nvxHash({ store }), setup, storeFailure }), parameters: { query_hash: 'enabled' } });
 * describeConformance({ profile: 'nvx-hash@2', baseUrl: 'http://127.0.0.1:3000', fixtures: { login: 'demo', password: 'demo-password', panel_login: 'admin', panel_password: 'admin-password' } });
 * describeConformance({ scheme: myScheme, baseUrl: 'http://127.0.0.1:3000', fixtures: { owner_token: token }, parameters: { malformed_key_reply: '401' } });
 * describeConformance({ profile: 'access-hash-cookie@2', driver: accessHashInProcessDriver({ strategy: accessHashCookie({ store }), setup, revoke }) });
 * describeConformance({
 *   profile: 'hmac-signature@2',
 *   driver: hmacInProcessDriver({ authenticate: { strategy: hmacSignature({ store, sealer, ephemeralStore }), startSession, renderSuccess }, session: { strategy: hmacSession({ store }) }, setup }),
 *   parameters: { nonce_policy: 'increasing' },
 * });
 * ```
 */
export function describeConformance<D>(options: { readonly scheme: ConformanceScheme<D>; readonly driver: D } & ConformanceSelection): void;
export function describeConformance(options: DescribeConformanceOptions): void;
export function describeConformance(options: DescribeConformanceOptions): void {
  const selection: ConformanceSelection = options;
  if ('scheme' in options) {
    const scheme = schemeOption(options.scheme);
    if ('baseUrl' in options) return registerHttp(scheme, options, selection);
    return register(scheme.profile, options.driver, selection);
  }
  const builtIn = findScheme(options.profile);
  if (builtIn !== undefined && 'baseUrl' in options) return registerHttp(builtIn, options, selection);
  switch (options.profile) {
    case 'strategy-contract@1':
      return register(strategyContractV1, options, selection);
    case 'credential-store@1':
      return register(credentialStoreV1, options, selection);
    case 'ephemeral-store@1':
      return register(ephemeralStoreV1, options, selection);
  }
  // Every other built-in scheme, with a ready driver (a scheme's own in-process driver, say).
  const rest = options as { readonly profile?: unknown; readonly driver?: unknown };
  if (builtIn !== undefined && 'driver' in rest) return register(builtIn.profile, rest.driver, selection);
  throw new TypeError(`Invalid option \`profile\`: unknown profile ${JSON.stringify(rest.profile)}`);
}
