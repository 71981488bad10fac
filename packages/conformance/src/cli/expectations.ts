// Expected failures, as web-platform-tests keeps them: a case listed with a reason may fail without failing the
// run, and a listed case that passes is unexpected too, so a stale expectation is noticed and removed.
import type { ConformanceLevel, FailureKind } from '../case.js';
import type { CaseResult } from '../run.js';
import { UsageError } from './types.js';

/** Expected failures: case id → reason. */
export type Expectations = ReadonlyMap<string, string>;

/**
 * Reads expectations in either form: `{ "<case id>": "reason", … }` or `[{ "id": "<case id>", "reason": "…" }, …]`.
 * Every reason is a non-empty string; an id listed twice is an error. `source` names the origin in messages.
 *
 * @example
 * ```ts
 * parseExpectations({ 'NVX-BODY-006': 'our proxy caps bodies first' }, 'expectations.json');
 * parseExpectations([{ id: 'NVX-BODY-006', reason: 'our proxy caps bodies first' }], 'expectations.json');
 * ```
 */
export function parseExpectations(value: unknown, source: string): Map<string, string> {
  const expectations = new Map<string, string>();
  const add = (id: unknown, reason: unknown, where: string): void => {
    if (typeof id !== 'string' || id.trim() === '') throw new UsageError(`${source}: ${where} needs a case id`);
    if (typeof reason !== 'string' || reason.trim() === '') throw new UsageError(`${source}: ${JSON.stringify(id)} needs a reason (a non-empty string)`);
    if (expectations.has(id)) throw new UsageError(`${source}: ${JSON.stringify(id)} is listed twice`);
    expectations.set(id, reason);
  };
  if (Array.isArray(value)) {
    value.forEach((entry: unknown, index) => {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        throw new UsageError(`${source}: entry ${index} must be an object { "id", "reason" }`);
      }
      const { id, reason, ...rest } = entry as Record<string, unknown>;
      const extra = Object.keys(rest);
      if (extra.length > 0) throw new UsageError(`${source}: entry ${index} has unknown key${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (expected id, reason)`);
      add(id, reason, `entry ${index}`);
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [id, reason] of Object.entries(value)) add(id, reason, 'a key');
  } else {
    throw new UsageError(`${source}: expected { "<case id>": "reason" } or [{ "id", "reason" }]`);
  }
  return expectations;
}

/**
 * Parses the text of an expectations file.
 *
 * @example
 * ```ts
 * parseExpectationsText('{"NVX-BODY-006":"our proxy caps bodies first"}', 'expectations.json');
 * ```
 */
export function parseExpectationsText(text: string, source: string): Map<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  return parseExpectations(value, source);
}

/**
 * Checks that every id (of expectations or of `--disable`) is a case of the profile; an error names the unknown ids.
 *
 * @example
 * ```ts
 * checkCaseIds(['NVX-HDR-999'], nvxHashV2, '--expect x.json'); // throws: nvx-hash@2 has no case NVX-HDR-999
 * ```
 */
export function checkCaseIds(ids: Iterable<string>, profile: { readonly id: string; readonly cases: readonly { readonly id: string }[] }, source: string): void {
  const known = new Set(profile.cases.map((testCase) => testCase.id));
  const unknown = [...ids].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new UsageError(`${source}: ${profile.id} has no case${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (see \`gatehouse-conformance list --profile ${profile.id}\`)`);
  }
}

/**
 * One case's result as reported: what happened (its security verdict and its wire fidelity), what was expected,
 * and whether the difference matters.
 *
 * @example
 * ```ts
 * const judged: JudgedResult = { id: 'NVX-BODY-006', level: 'MUST', title: '…', status: 'failed', failureKind: 'accepted',
 *   wire: 'not-checked', wireDifferences: [], expected: 'fail', unexpected: false, message: 'HTTP 200 …',
 *   reason: 'our proxy answers first', durationInMilliseconds: 3.2 };
 * ```
 */
export interface JudgedResult {
  readonly id: string;
  readonly level: ConformanceLevel;
  readonly title: string;
  readonly status: CaseResult['status'];
  /** `accepted` or `leaked` (security), or `broken`, when the case failed; otherwise `null`. */
  readonly failureKind: FailureKind | null;
  readonly wire: CaseResult['wire'];
  readonly wireDifferences: readonly string[];
  /** `fail` for an expected failure, `skip` for a disabled case, otherwise `pass`. */
  readonly expected: 'pass' | 'fail' | 'skip';
  /** Whether the case counts as failed: it failed, or (under `--strict-wire`) it passed with wire differences. */
  readonly failing: boolean;
  /** A failure that was not expected, or an expected failure that passed. */
  readonly unexpected: boolean;
  readonly message: string | null;
  /** The reason of an expected failure, otherwise `null`. */
  readonly reason: string | null;
  readonly durationInMilliseconds: number;
}

/**
 * Judges one result against the expectations: a failure (MUST or SHOULD) is unexpected unless expected; an
 * expected failure that passes is unexpected; skipped cases never are. Wire differences never fail a case, except
 * with `strictWire`: then a case with wire differences counts as failed.
 *
 * @example
 * ```ts
 * judge(result, new Map([['NVX-BODY-006', 'our proxy caps bodies first']]), new Set(), { strictWire: false });
 * ```
 */
export function judge(result: CaseResult, expectations: Expectations, disabled: ReadonlySet<string>, options: { readonly strictWire?: boolean } = {}): JudgedResult {
  const reason = expectations.get(result.id) ?? null;
  const expected = disabled.has(result.id) ? 'skip' : reason !== null ? 'fail' : 'pass';
  const failing = result.status === 'failed' || (options.strictWire === true && result.status === 'passed' && result.wire === 'differs');
  const unexpected = (failing && expected !== 'fail') || (!failing && result.status === 'passed' && expected === 'fail');
  return {
    id: result.id,
    level: result.level,
    title: result.title,
    status: result.status,
    failureKind: result.failureKind,
    wire: result.wire,
    wireDifferences: result.wireDifferences,
    expected,
    failing,
    unexpected,
    message: result.message,
    reason: expected === 'fail' ? reason : null,
    durationInMilliseconds: result.durationInMilliseconds,
  };
}
