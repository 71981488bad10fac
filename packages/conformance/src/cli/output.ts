// What the CLI prints: one progress line per case, the summary, and the case and profile listings.
import type { ConformanceProfile } from '../case.js';
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

/**
 * The progress line of one case: `✓ <id> <title>`, `✗ <id> <title> — <message>` or
 * `- <id> <title> (skipped: <reason>)`, with what was expected when it differs from a pass.
 *
 * @example
 * ```ts
 * formatProgressLine(result, false); // '✗ NVX-BODY-007 a valid header … — expected HTTP 412 … (expected failure: our proxy)'
 * ```
 */
export function formatProgressLine(result: JudgedResult, colour: boolean): string {
  const paint = painter(colour);
  const name = `${result.id} ${result.title}`;
  if (result.status === 'passed') {
    if (!result.unexpected) return `${paint('green', '✓')} ${name}`;
    return `${paint('red', '✓')} ${name} ${paint('red', `(unexpected pass: expected to fail: ${result.reason ?? ''})`)}`;
  }
  if (result.status === 'failed') {
    const message = result.message ?? 'failed';
    if (result.unexpected) return `${paint('red', '✗')} ${name} — ${paint('red', message)}`;
    return `${paint('yellow', '✗')} ${name} — ${message} ${paint('yellow', `(expected failure: ${result.reason ?? ''})`)}`;
  }
  return paint('dim', `- ${name} (skipped: ${result.message ?? 'skipped'})`);
}

/**
 * The line after the summary that lists every unexpected result, or `null` when there is none.
 *
 * @example
 * ```ts
 * formatUnexpected(results); // '2 unexpected: NVX-HDR-001 (MUST, failed), NVX-BODY-007 (SHOULD, passed but expected to fail)'
 * ```
 */
export function formatUnexpected(results: readonly JudgedResult[]): string | null {
  const unexpected = results.filter((result) => result.unexpected);
  if (unexpected.length === 0) return null;
  const parts = unexpected.map((result) => `${result.id} (${result.level}, ${result.status === 'passed' ? 'passed but expected to fail' : 'failed'})`);
  return `${unexpected.length} unexpected: ${parts.join(', ')}`;
}

/**
 * The cases of a profile as an aligned table: id, level, required capabilities, title.
 *
 * @example
 * ```ts
 * formatCaseTable(nvxHashV1); // ['ID           LEVEL   REQUIRES  TITLE', 'NVX-HDR-001  MUST    -         …', …]
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
  ];
}

/**
 * The cases of a profile for `list --json`.
 *
 * @example
 * ```ts
 * caseListing(nvxHashV1).cases[0]; // { id: 'NVX-HDR-001', level: 'MUST', requires: [], ref: 'Navixy API docs, "Authentication" …', title: '…' }
 * ```
 */
export function caseListing(profile: ConformanceProfile<unknown>): {
  profile: string;
  title: string;
  cases: { id: string; level: string; requires: string[]; ref: string; title: string }[];
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
  };
}
