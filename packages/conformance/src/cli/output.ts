// What the CLI prints: progress lines per case (with their kind of failure and wire differences), the summary
// (security apart from wire fidelity), and the case, parameter and profile listings.
import type { ConformanceProfile, ParameterSpec } from '../case.js';
import type { JudgedResult } from './expectations.js';

const ANSI = {
  green: '\u001b[32m',
  red: '\u001b[31m',
  yellow: '\u001b[33m',
  dim: '\u001b[2m',
  bold: '\u001b[1m',
  reset: '\u001b[0m',
} as const;

type Paint = (colour: keyof typeof ANSI, text: string) => string;

/**
 * Colours text for a terminal, or leaves it plain.
 *
 * @example
 * ```ts
 * painter(true)('green', '✓'); // '\u001b[32m✓\u001b[0m'
 * ```
 */
export function painter(colour: boolean): Paint {
  return colour ? (name, text) => `${ANSI[name]}${text}${ANSI.reset}` : (_name, text) => text;
}

/** The mark of a failure kind on a progress line. */
const KIND_MARK = { accepted: 'ACCEPTED', leaked: 'LEAKED', broken: 'BROKEN' } as const;

/**
 * The progress lines of one case: `✓ <id> <title>`, `✗ <KIND> <id> <title> — <message>` (KIND is `ACCEPTED` or
 * `LEAKED` for a security failure, `BROKEN` for any other) or `- <id> <title> (skipped: <reason>)`, with `WIRE`
 * after the mark when the case found wire differences, each listed on a line of its own below (`    wire: …`),
 * and what was expected when it differs from a pass.
 *
 * @example
 * ```ts
 * formatProgressLines(result, false); // ['✗ ACCEPTED NVX-HASH-005 a revoked hash … — HTTP 200 … (expected failure: our proxy)']
 * ```
 */
export function formatProgressLines(result: JudgedResult, colour: boolean): string[] {
  const paint = painter(colour);
  const name = `${result.id} ${result.title}`;
  const differs = result.wire === 'differs' && result.status !== 'skipped';
  const wireMark = differs ? `${paint('yellow', 'WIRE')} ` : '';
  const wireLines = differs ? result.wireDifferences.map((difference) => `    ${paint('yellow', 'wire:')} ${difference}`) : [];
  const expectedNote = (tone: 'yellow' | 'red'): string => (result.expected === 'fail' ? ` ${paint(tone, `(expected failure: ${result.reason ?? ''})`)}` : '');
  if (result.status === 'failed') {
    const kind = result.failureKind ?? 'broken';
    const mark = paint(result.unexpected ? 'red' : 'yellow', KIND_MARK[kind]);
    const message = result.message ?? 'failed';
    const line = result.unexpected
      ? `${paint('red', '✗')} ${mark} ${wireMark}${name} — ${paint('red', message)}`
      : `${paint('yellow', '✗')} ${mark} ${wireMark}${name} — ${message}${expectedNote('yellow')}`;
    return [line, ...wireLines];
  }
  if (result.status === 'passed') {
    if (result.failing) {
      // Under --strict-wire: the security checks passed, but the case differs from the documents.
      const count = result.wireDifferences.length;
      const message = `${count} wire difference${count === 1 ? '' : 's'} (--strict-wire)`;
      const line = result.unexpected ? `${paint('red', '✗')} ${wireMark}${name} — ${paint('red', message)}` : `${paint('yellow', '✗')} ${wireMark}${name} — ${message}${expectedNote('yellow')}`;
      return [line, ...wireLines];
    }
    if (!result.unexpected) return [`${paint('green', '✓')} ${wireMark}${name}`, ...wireLines];
    return [`${paint('red', '✓')} ${wireMark}${name} ${paint('red', `(unexpected pass: expected to fail: ${result.reason ?? ''})`)}`, ...wireLines];
  }
  return [paint('dim', `- ${name} (skipped: ${result.message ?? 'skipped'})`)];
}

/**
 * Counts judged results: the security verdicts (`passed`, `failed` and, among the failed, `accepted`, `leaked`,
 * `broken`), wire fidelity (`matches`, `differs`, `notChecked`), skips and the unexpected results.
 *
 * @example
 * ```ts
 * countResults(results); // { security: { passed: 120, failed: 1, accepted: 1, leaked: 0, broken: 0 }, wire: { … }, skipped: 3, unexpected: 1 }
 * ```
 */
export function countResults(results: readonly JudgedResult[]): {
  security: { passed: number; failed: number; accepted: number; leaked: number; broken: number };
  wire: { matches: number; differs: number; notChecked: number };
  skipped: number;
  unexpected: number;
} {
  const security = { passed: 0, failed: 0, accepted: 0, leaked: 0, broken: 0 };
  const wire = { matches: 0, differs: 0, notChecked: 0 };
  let skipped = 0;
  let unexpected = 0;
  for (const result of results) {
    if (result.status === 'passed') security.passed++;
    else if (result.status === 'failed') {
      security.failed++;
      security[result.failureKind ?? 'broken']++;
    } else skipped++;
    if (result.wire === 'matches') wire.matches++;
    else if (result.wire === 'differs') wire.differs++;
    else wire.notChecked++;
    if (result.unexpected) unexpected++;
  }
  return { security, wire, skipped, unexpected };
}

/**
 * The summary line, security apart from wire fidelity: `security: N passed, N failed (N accepted a bad
 * credential, N leaked, N broken), N skipped; wire: N cases differ from the documents`.
 *
 * @example
 * ```ts
 * formatRunSummary(results, false); // 'security: 120 passed, 1 failed (1 accepted a bad credential), 2 skipped; wire: 3 cases differ from the documents'
 * ```
 */
export function formatRunSummary(results: readonly JudgedResult[], strictWire: boolean): string {
  const { security, wire, skipped } = countResults(results);
  const kinds = [
    security.accepted > 0 ? `${security.accepted} accepted a bad credential` : '',
    security.leaked > 0 ? `${security.leaked} leaked` : '',
    security.broken > 0 ? `${security.broken} broken` : '',
  ].filter((part) => part !== '');
  const failed = `${security.failed} failed${kinds.length > 0 ? ` (${kinds.join(', ')})` : ''}`;
  const differ = `${wire.differs} ${wire.differs === 1 ? 'case differs' : 'cases differ'} from the documents`;
  return `security: ${security.passed} passed, ${failed}, ${skipped} skipped; wire${strictWire ? ' (strict)' : ''}: ${differ}`;
}

/**
 * The line after the summary that lists every unexpected result, or `null` when there is none.
 *
 * @example
 * ```ts
 * formatUnexpected(results); // '2 unexpected: NVX-HDR-001 (MUST, accepted), NVX-BODY-007 (SHOULD, passed but expected to fail)'
 * ```
 */
export function formatUnexpected(results: readonly JudgedResult[]): string | null {
  const unexpected = results.filter((result) => result.unexpected);
  if (unexpected.length === 0) return null;
  const what = (result: JudgedResult): string => {
    if (result.status === 'failed') return result.failureKind ?? 'broken';
    return result.failing ? 'wire differs' : 'passed but expected to fail';
  };
  return `${unexpected.length} unexpected: ${unexpected.map((result) => `${result.id} (${result.level}, ${what(result)})`).join(', ')}`;
}

/**
 * The cases of a profile as an aligned table: id, level, required capabilities, title.
 *
 * @example
 * ```ts
 * formatCaseTable(nvxHashV2); // ['ID           LEVEL   REQUIRES  TITLE', 'NVX-HDR-001  MUST    -         …', …]
 * ```
 */
export function formatCaseTable(profile: ConformanceProfile<unknown>): string[] {
  const rows = profile.cases.map((testCase) => [testCase.id, testCase.level, (testCase.requires ?? []).join(',') || '-', testCase.title] as const);
  const header = ['ID', 'LEVEL', 'REQUIRES', 'TITLE'] as const;
  const widths = [0, 1, 2].map((column) => Math.max(header[column as 0 | 1 | 2].length, ...rows.map((row) => row[column as 0 | 1 | 2].length)));
  const line = (row: readonly [string, string, string, string]): string =>
    `${row[0].padEnd(widths[0] as number)}  ${row[1].padEnd(widths[1] as number)}  ${row[2].padEnd(widths[2] as number)}  ${row[3]}`;
  const must = profile.cases.filter((testCase) => testCase.level === 'MUST').length;
  return [
    `${profile.id}: ${profile.title}`,
    '',
    line(header),
    ...rows.map(line),
    '',
    `${profile.cases.length} cases (${must} MUST, ${profile.cases.length - must} SHOULD)`,
    ...formatParameters(profile.parameters ?? []),
  ];
}

/**
 * The parameters of a profile, after its cases: each name with its values and default, what it decides, and why
 * it is the server's choice (the documents' silence). Nothing for a profile without parameters.
 *
 * @example
 * ```ts
 * formatParameters(profile.parameters ?? []); // ['', 'Parameters (…)', '  source_conflict = reject | precedence (default reject)', …]
 * ```
 */
export function formatParameters(parameters: readonly ParameterSpec[]): string[] {
  if (parameters.length === 0) return [];
  const lines = ['', `${parameters.length} parameter${parameters.length === 1 ? '' : 's'} (declare the server's choice with --param name=value or "parameters" in --config):`];
  for (const parameter of parameters) {
    lines.push('', `  ${parameter.name} = ${parameter.values.join(' | ')} (default ${parameter.default})`, `      ${parameter.description}`, `      silence: ${parameter.silence}`);
  }
  return lines;
}

/**
 * The cases of a profile for `list --json`.
 *
 * @example
 * ```ts
 * caseListing(nvxHashV2).cases[0]; // { id: 'NVX-HDR-001', level: 'MUST', requires: [], ref: 'Navixy API docs, "Authentication" …', title: '…' }
 * ```
 */
export function caseListing(profile: ConformanceProfile<unknown>): {
  profile: string;
  title: string;
  cases: { id: string; level: string; requires: string[]; ref: string; title: string }[];
  parameters: { name: string; values: string[]; default: string; description: string; silence: string }[];
} {
  return {
    profile: profile.id,
    title: profile.title,
    cases: profile.cases.map((testCase) => ({
      id: testCase.id,
      level: testCase.level,
      requires: [...(testCase.requires ?? [])],
      ref: testCase.ref,
      title: testCase.title,
    })),
    parameters: (profile.parameters ?? []).map((parameter) => ({
      name: parameter.name,
      values: [...parameter.values],
      default: parameter.default,
      description: parameter.description,
      silence: parameter.silence,
    })),
  };
}
