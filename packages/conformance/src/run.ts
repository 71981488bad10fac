import { ConfigurationError } from '@gatehouse/auth-core';
import {
  ConformanceFailure,
  ConformanceSkip,
  type CaseContext,
  type ConformanceCase,
  type ConformanceLevel,
  type ConformanceProfile,
  type FailureKind,
  type ParameterSpec,
} from './case.js';

/**
 * Options of {@link runProfile}.
 *
 * @example
 * ```ts
 * const options: RunProfileOptions = { disable: ['CS-COPY-001'], timeoutInMilliseconds: 10_000, onResult: (result) => console.log(result.id, result.status) };
 * ```
 */
export interface RunProfileOptions {
  /** Case ids to skip. An id the profile does not have is a mistake and throws. */
  readonly disable?: readonly string[];
  /** The driver's capabilities. Default: what the profile derives from the driver (`capabilitiesOf`). */
  readonly capabilities?: readonly string[];
  /** A case still running after this long fails. Default 30,000. */
  readonly timeoutInMilliseconds?: number;
  /** Called with each result as soon as its case has finished (or been skipped), in profile order. */
  readonly onResult?: (result: CaseResult) => void;
  /**
   * The server's declared parameters (see the profile's `parameters`): unknown names and values outside a
   * parameter's `values` throw; a parameter not given takes its default.
   */
  readonly parameters?: Readonly<Record<string, string>>;
}

/**
 * The result of one case.
 *
 * @example
 * ```ts
 * const result: CaseResult = { id: 'CS-FIND-001', level: 'MUST', title: 'findByDigest returns null for an unknown digest',
 *   status: 'passed', failureKind: null, message: null, wire: 'not-checked', wireDifferences: [], durationInMilliseconds: 0.4 };
 * ```
 */
export interface CaseResult {
  /** The case id, e.g. `CS-FIND-001`. */
  readonly id: string;
  /** How binding the case is: `MUST` or `SHOULD`. */
  readonly level: ConformanceLevel;
  /** The rule the case checks. */
  readonly title: string;
  /** `failed`: a security check or a contract check failed (see `failureKind`). Wire differences never fail a case. */
  readonly status: 'passed' | 'failed' | 'skipped';
  /** What kind of failure, when `failed`: `accepted` and `leaked` are security failures. */
  readonly failureKind: FailureKind | null;
  /** Why it failed or was skipped; `null` when it passed. */
  readonly message: string | null;
  /** `differs` when a check of what the vendor documents did not hold; `not-checked` when the case has none or did not run. */
  readonly wire: 'matches' | 'differs' | 'not-checked';
  /** Each wire difference found, in the order found. */
  readonly wireDifferences: readonly string[];
  /** How long the case ran. */
  readonly durationInMilliseconds: number;
}

/**
 * Counts of results by status.
 *
 * @example
 * ```ts
 * const summary: RunSummary = { passed: 31, failed: 1, skipped: 1, accepted: 1, leaked: 0, wireDifferences: 2 };
 * ```
 */
export interface RunSummary {
  /** Cases that passed. */
  readonly passed: number;
  /** Cases that failed (security and contract failures alike). */
  readonly failed: number;
  /** Cases skipped: a capability the driver lacks, or a case disabled by id. */
  readonly skipped: number;
  /** Failed cases that let a bad credential in. */
  readonly accepted: number;
  /** Failed cases whose replies leaked a secret or told credentials apart. */
  readonly leaked: number;
  /** Cases (passed or failed) with at least one wire difference. */
  readonly wireDifferences: number;
}

/**
 * Checks declared parameters against a profile's specs and fills in defaults; a `ConfigurationError` names the
 * parameter that is unknown or out of range.
 *
 * @example
 * ```ts
 * resolveParameters(nvxHashV2.parameters ?? [], { source_conflict: 'precedence' });
 * ```
 */
export function resolveParameters(specs: readonly ParameterSpec[], given: Readonly<Record<string, string>> = {}): Readonly<Record<string, string>> {
  if (given === null || typeof given !== 'object') throw new ConfigurationError('parameters', 'must be an object of parameter names to values');
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  for (const [name, value] of Object.entries(given)) {
    const spec = byName.get(name);
    if (spec === undefined) {
      throw new ConfigurationError('parameters', `unknown parameter ${JSON.stringify(name)}${specs.length === 0 ? ' (this profile has none)' : `; parameters: ${specs.map((one) => one.name).join(', ')}`}`);
    }
    if (typeof value !== 'string' || !spec.values.includes(value)) {
      throw new ConfigurationError('parameters', `${name} must be ${spec.values.map((one) => JSON.stringify(one)).join(' or ')}, got ${JSON.stringify(value)}`);
    }
  }
  const resolved: Record<string, string> = {};
  for (const spec of specs) resolved[spec.name] = given[spec.name] ?? spec.default;
  return Object.freeze(resolved);
}

/**
 * One case with the reason it will be skipped, or `null` when it runs. Internal to the package's entries.
 *
 * @example
 * ```ts
 * const planned: PlannedCase<CredentialStoreDriver> = { testCase: credentialStoreV1.cases[0]!, skipReason: null };
 * ```
 */
export interface PlannedCase<D> {
  readonly testCase: ConformanceCase<D>;
  readonly skipReason: string | null;
}

/**
 * Decides which cases of a profile run for a driver. Shared by {@link runProfile} and the vitest entry so both
 * skip exactly the same cases. Internal to the package's entries.
 *
 * @example
 * ```ts
 * const toRun = planProfile(strategyContractV1, { strategy }).filter((planned) => planned.skipReason === null);
 * ```
 */
export function planProfile<D>(
  profile: ConformanceProfile<D>,
  driver: D,
  options: Pick<RunProfileOptions, 'disable' | 'capabilities'> = {},
): PlannedCase<D>[] {
  const disabled = new Set(options.disable ?? []);
  for (const id of disabled) {
    if (!profile.cases.some((testCase) => testCase.id === id)) {
      throw new ConfigurationError('disable', `profile ${profile.id} has no case ${JSON.stringify(id)}`);
    }
  }
  const capabilities = new Set(options.capabilities ?? profile.capabilitiesOf?.(driver) ?? []);
  return profile.cases.map((testCase) => {
    if (disabled.has(testCase.id)) return { testCase, skipReason: 'disabled' };
    const missing = (testCase.requires ?? []).filter((capability) => !capabilities.has(capability));
    if (missing.length > 0) return { testCase, skipReason: `requires ${missing.join(', ')}` };
    return { testCase, skipReason: null };
  });
}

/**
 * Tells whether a case skipped itself at run time ({@link ConformanceSkip}), also across two copies of the kit.
 * Internal to the package's entries.
 *
 * @example
 * ```ts
 * try { await testCase.run(driver); } catch (error) { if (isConformanceSkip(error)) context.skip(error.message); else throw error; }
 * ```
 */
export function isConformanceSkip(error: unknown): error is ConformanceSkip {
  return error instanceof ConformanceSkip || (error instanceof Error && error.name === 'ConformanceSkip');
}

/**
 * Tells whether a case failed a rule ({@link ConformanceFailure}), also when the failure comes from another copy
 * of the kit (a scheme package loaded with `--scheme` may bring its own), and reads its kind. Internal to the
 * package's entries.
 *
 * @example
 * ```ts
 * const kind = failureKindOf(error); // 'accepted', 'leaked' or 'broken'
 * ```
 */
export function isConformanceFailure(error: unknown): error is ConformanceFailure {
  return error instanceof ConformanceFailure || (error instanceof Error && error.name === 'ConformanceFailure');
}

const FAILURE_KINDS: readonly FailureKind[] = ['accepted', 'leaked', 'broken'];

/** The kind of a case's failure: a {@link ConformanceFailure}'s own kind, `broken` for anything else thrown. */
export function failureKindOf(error: unknown): FailureKind {
  if (!isConformanceFailure(error)) return 'broken';
  const kind = (error as { kind?: unknown }).kind;
  return FAILURE_KINDS.includes(kind as FailureKind) ? (kind as FailureKind) : 'broken';
}

/**
 * A case's {@link CaseContext} and what it recorded: the wire differences, and how many wire checks ran. Shared by
 * {@link runProfile} and the vitest entry. Internal to the package's entries.
 *
 * @example
 * ```ts
 * const recorder = createCaseContext({ source_conflict: 'reject' });
 * await testCase.run(driver, recorder.context);
 * recorder.differences; // ['HTTP 401, the Navixy "Errors" table says 400 for code 3']
 * ```
 */
export function createCaseContext(parameters: Readonly<Record<string, string>>): {
  readonly context: CaseContext;
  readonly differences: readonly string[];
  readonly checks: () => number;
} {
  const differences: string[] = [];
  let checks = 0;
  const context: CaseContext = {
    parameters,
    wire(condition, message) {
      checks++;
      if (!condition) differences.push(typeof message === 'string' ? message : message());
    },
  };
  return { context, differences, checks: () => checks };
}

function describeError(error: unknown): string {
  if (isConformanceFailure(error)) return error.message;
  if (error instanceof Error) return `unexpected ${error.name}: ${error.message}`;
  return `unexpected throw of a non-Error: ${String(error)}`;
}

async function runWithTimeout(action: () => Promise<void>, timeoutInMilliseconds: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new ConformanceFailure(`did not finish within ${timeoutInMilliseconds} ms`)),
      timeoutInMilliseconds,
    );
  });
  try {
    await Promise.race([action(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs every case of a profile against a driver, one after another, and reports each result. Never throws for
 * a failing case; throws only on misuse (an unknown id in `disable`).
 *
 * @example
 * ```ts
 * import { credentialStoreV1, formatSummary, runProfile, summarize } from '@gatehouse/conformance';
 * const results = await runProfile(credentialStoreV1, { createStore: () => createMemoryCredentialStore() });
 * console.log(formatSummary(summarize(results))); // e.g. '34 passed, 0 failed, 0 skipped; 0 with wire differences'
 * ```
 */
export async function runProfile<D>(
  profile: ConformanceProfile<D>,
  driver: D,
  options: RunProfileOptions = {},
): Promise<CaseResult[]> {
  const timeoutInMilliseconds = options.timeoutInMilliseconds ?? 30_000;
  if (!(Number.isFinite(timeoutInMilliseconds) && timeoutInMilliseconds > 0)) {
    throw new ConfigurationError('timeoutInMilliseconds', 'must be a positive number');
  }
  const parameters = resolveParameters(profile.parameters ?? [], options.parameters);
  const results: CaseResult[] = [];
  for (const { testCase, skipReason } of planProfile(profile, driver, options)) {
    const { id, level, title } = testCase;
    if (skipReason !== null) {
      const result: CaseResult = { id, level, title, status: 'skipped', failureKind: null, message: skipReason, wire: 'not-checked', wireDifferences: [], durationInMilliseconds: 0 };
      results.push(result);
      options.onResult?.(result);
      continue;
    }
    const recorder = createCaseContext(parameters);
    const started = performance.now();
    let message: string | null = null;
    let failureKind: FailureKind | null = null;
    let skipped = false;
    try {
      await runWithTimeout(() => testCase.run(driver, recorder.context), timeoutInMilliseconds);
    } catch (error) {
      skipped = isConformanceSkip(error);
      message = skipped ? (error as Error).message : describeError(error);
      if (!skipped) failureKind = failureKindOf(error);
    }
    const durationInMilliseconds = performance.now() - started;
    const status = skipped ? 'skipped' : message === null ? 'passed' : 'failed';
    const wireDifferences = [...recorder.differences];
    const wire = skipped || recorder.checks() === 0 ? 'not-checked' : wireDifferences.length > 0 ? 'differs' : 'matches';
    const result: CaseResult = { id, level, title, status, failureKind, message, wire, wireDifferences: skipped ? [] : wireDifferences, durationInMilliseconds };
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}

/**
 * Counts results by status.
 *
 * @example
 * ```ts
 * const { failed } = summarize(await runProfile(profile, driver));
 * if (failed > 0) process.exitCode = 1;
 * ```
 */
export function summarize(results: readonly CaseResult[]): RunSummary {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let accepted = 0;
  let leaked = 0;
  let wireDifferences = 0;
  for (const result of results) {
    if (result.status === 'passed') passed++;
    else if (result.status === 'failed') failed++;
    else skipped++;
    if (result.failureKind === 'accepted') accepted++;
    if (result.failureKind === 'leaked') leaked++;
    if (result.wire === 'differs') wireDifferences++;
  }
  return { passed, failed, skipped, accepted, leaked, wireDifferences };
}

/**
 * Renders a summary (or the results it is computed from) as `N passed, N failed, N skipped; N with wire
 * differences`, naming the security failures among the failed.
 *
 * @example
 * ```ts
 * formatSummary({ passed: 30, failed: 1, skipped: 2, accepted: 1, leaked: 0, wireDifferences: 0 });
 * // '30 passed, 1 failed (1 accepted a bad credential), 2 skipped; 0 with wire differences'
 * ```
 */
export function formatSummary(summary: RunSummary | readonly CaseResult[]): string {
  const { passed, failed, skipped, accepted, leaked, wireDifferences } = isResultList(summary) ? summarize(summary) : summary;
  const kinds = [accepted > 0 ? `${accepted} accepted a bad credential` : '', leaked > 0 ? `${leaked} leaked` : ''].filter((part) => part !== '');
  return `${passed} passed, ${failed} failed${kinds.length > 0 ? ` (${kinds.join(', ')})` : ''}, ${skipped} skipped; ${wireDifferences} with wire differences`;
}

function isResultList(value: RunSummary | readonly CaseResult[]): value is readonly CaseResult[] {
  return Array.isArray(value);
}
