import { ConfigurationError } from '@gatehouse/auth-core';
import { ConformanceFailure, ConformanceSkip, type ConformanceCase, type ConformanceLevel, type ConformanceProfile } from './case.js';

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
}

/**
 * The result of one case.
 *
 * @example
 * ```ts
 * const result: CaseResult = { id: 'CS-FIND-001', level: 'MUST', title: 'findByDigest returns null for an unknown digest',
 *   status: 'passed', message: null, durationInMilliseconds: 0.4 };
 * ```
 */
export interface CaseResult {
  readonly id: string;
  readonly level: ConformanceLevel;
  readonly title: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  /** Why it failed or was skipped; `null` when it passed. */
  readonly message: string | null;
  readonly durationInMilliseconds: number;
}

/**
 * Counts of results by status.
 *
 * @example
 * ```ts
 * const summary: RunSummary = { passed: 31, failed: 1, skipped: 1 };
 * ```
 */
export interface RunSummary {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
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

function describeError(error: unknown): string {
  if (error instanceof ConformanceFailure) return error.message;
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
 * console.log(formatSummary(summarize(results))); // e.g. '34 passed, 0 failed, 0 skipped'
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
  const results: CaseResult[] = [];
  for (const { testCase, skipReason } of planProfile(profile, driver, options)) {
    const { id, level, title } = testCase;
    if (skipReason !== null) {
      const result: CaseResult = { id, level, title, status: 'skipped', message: skipReason, durationInMilliseconds: 0 };
      results.push(result);
      options.onResult?.(result);
      continue;
    }
    const started = performance.now();
    let message: string | null = null;
    let skipped = false;
    try {
      await runWithTimeout(() => testCase.run(driver), timeoutInMilliseconds);
    } catch (error) {
      skipped = isConformanceSkip(error);
      message = skipped ? (error as Error).message : describeError(error);
    }
    const durationInMilliseconds = performance.now() - started;
    const status = skipped ? 'skipped' : message === null ? 'passed' : 'failed';
    const result: CaseResult = { id, level, title, status, message, durationInMilliseconds };
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
  for (const result of results) {
    if (result.status === 'passed') passed++;
    else if (result.status === 'failed') failed++;
    else skipped++;
  }
  return { passed, failed, skipped };
}

/**
 * Renders a summary (or the results it is computed from) as `N passed, N failed, N skipped`.
 *
 * @example
 * ```ts
 * formatSummary({ passed: 30, failed: 1, skipped: 2 }); // '30 passed, 1 failed, 2 skipped'
 * ```
 */
export function formatSummary(summary: RunSummary | readonly CaseResult[]): string {
  const { passed, failed, skipped } = isResultList(summary) ? summarize(summary) : summary;
  return `${passed} passed, ${failed} failed, ${skipped} skipped`;
}

function isResultList(value: RunSummary | readonly CaseResult[]): value is readonly CaseResult[] {
  return Array.isArray(value);
}
