// The reports of a run: JSON (the CLI's own format) and JUnit XML (for CI test dashboards).
import type { FailureKind } from '../case.js';
import type { JudgedResult } from './expectations.js';
import { countResults } from './output.js';
import { TOOL } from './types.js';

/**
 * The JSON report (`--report-json`).
 *
 * @example
 * ```ts
 * const report: JsonReport = buildJsonReport({ version: '0.1.0', profile: 'nvx-hash@2', baseUrl: 'http://127.0.0.1:3000',
 *   parameters: {}, strictWire: false, startedAt: new Date(), finishedAt: new Date(), results });
 * ```
 */
export interface JsonReport {
  readonly tool: typeof TOOL;
  readonly version: string;
  readonly profile: string;
  readonly baseUrl: string;
  /** Every parameter of the profile with the value the run used: the server's declared one, or the default. */
  readonly parameters: Readonly<Record<string, string>>;
  /** Whether wire differences counted as failures (`--strict-wire`). */
  readonly strictWire: boolean;
  /** ISO 8601, UTC. */
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly summary: JsonReportSummary;
  readonly results: readonly {
    readonly id: string;
    readonly level: 'MUST' | 'SHOULD';
    readonly title: string;
    readonly status: 'passed' | 'failed' | 'skipped';
    /** `accepted` or `leaked` (security) or `broken`, when the case failed; otherwise `null`. */
    readonly failureKind: FailureKind | null;
    /** Whether what the vendor's documents state held: `matches`, `differs`, or `not-checked`. */
    readonly wire: 'matches' | 'differs' | 'not-checked';
    readonly wireDifferences: readonly string[];
    readonly expected: 'pass' | 'fail' | 'skip';
    readonly unexpected: boolean;
    readonly message: string | null;
    /** Why the case is expected to fail (from the expectations), otherwise `null`. */
    readonly reason: string | null;
    readonly durationInMilliseconds: number;
  }[];
}

/**
 * The counts of a JSON report: security verdicts, wire fidelity, skips and unexpected results.
 *
 * @example
 * ```ts
 * const summary: JsonReportSummary = { security: { passed: 47, failed: 1, accepted: 1, leaked: 0, broken: 0 },
 *   wire: { matches: 30, differs: 2, notChecked: 19 }, skipped: 3, unexpected: 1 };
 * ```
 */
export interface JsonReportSummary {
  readonly security: { readonly passed: number; readonly failed: number; readonly accepted: number; readonly leaked: number; readonly broken: number };
  readonly wire: { readonly matches: number; readonly differs: number; readonly notChecked: number };
  readonly skipped: number;
  readonly unexpected: number;
}

/** What a report is made from. */
export interface RunRecord {
  readonly version: string;
  readonly profile: string;
  /** The profile's title, the JUnit test suite's name. */
  readonly profileTitle?: string;
  readonly baseUrl: string;
  /** The parameters the run used (declared or default). */
  readonly parameters: Readonly<Record<string, string>>;
  readonly strictWire: boolean;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly results: readonly JudgedResult[];
}

/**
 * Counts results: security verdicts, wire fidelity, skips and the unexpected ones.
 *
 * @example
 * ```ts
 * summarizeJudged(results); // { security: { passed: 48, failed: 1, accepted: 1, leaked: 0, broken: 0 }, wire: { … }, skipped: 2, unexpected: 0 }
 * ```
 */
export function summarizeJudged(results: readonly JudgedResult[]): JsonReportSummary {
  return countResults(results);
}

const round = (milliseconds: number): number => Math.round(milliseconds * 1000) / 1000;

/**
 * Builds the JSON report of a run.
 *
 * @example
 * ```ts
 * JSON.stringify(buildJsonReport(record), null, 2);
 * ```
 */
export function buildJsonReport(record: RunRecord): JsonReport {
  return {
    tool: TOOL,
    version: record.version,
    profile: record.profile,
    baseUrl: record.baseUrl,
    parameters: { ...record.parameters },
    strictWire: record.strictWire,
    startedAt: record.startedAt.toISOString(),
    finishedAt: record.finishedAt.toISOString(),
    summary: summarizeJudged(record.results),
    results: record.results.map((result) => ({
      id: result.id,
      level: result.level,
      title: result.title,
      status: result.status,
      failureKind: result.failureKind,
      wire: result.wire,
      wireDifferences: [...result.wireDifferences],
      expected: result.expected,
      unexpected: result.unexpected,
      message: result.message,
      reason: result.reason,
      durationInMilliseconds: round(result.durationInMilliseconds),
    })),
  };
}

/**
 * Removes what XML 1.0 cannot hold at all: control characters other than tab, line feed and carriage return,
 * lone surrogates, U+FFFE and U+FFFF.
 *
 * @example
 * ```ts
 * stripInvalidXmlCharacters('a\u0000b\uD800c'); // 'abc'
 * ```
 */
export function stripInvalidXmlCharacters(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '');
}

/**
 * Escapes text for an XML attribute value in double quotes (also `'`, and tab / line breaks as character
 * references, which attribute-value normalization would otherwise turn into spaces).
 *
 * @example
 * ```ts
 * escapeXmlAttribute('a "b" & <c>'); // 'a &quot;b&quot; &amp; &lt;c&gt;'
 * ```
 */
export function escapeXmlAttribute(text: string): string {
  return stripInvalidXmlCharacters(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/**
 * Escapes character data for an XML element.
 *
 * @example
 * ```ts
 * escapeXmlText('1 < 2 && ]]>'); // '1 &lt; 2 &amp;&amp; ]]&gt;'
 * ```
 */
export function escapeXmlText(text: string): string {
  return stripInvalidXmlCharacters(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

const seconds = (milliseconds: number): string => (milliseconds / 1000).toFixed(3);

/** The JUnit failure type of a failed case: `security:accepted`, `security:leaked` or `broken`. */
function failureType(result: JudgedResult): string {
  const kind = result.failureKind ?? 'broken';
  return kind === 'broken' ? 'broken' : `security:${kind}`;
}

/**
 * Renders a run as JUnit XML: one `<testsuites>` with one `<testsuite>` (the profile; its properties name the
 * profile, base URL, tool, `strictWire` and every parameter as `parameter:<name>`), one `<testcase>` per case
 * named `<id> <title>` with classname `<profile>`. A failed case carries `<failure type="security:accepted">`
 * (or `security:leaked`, `broken`); under `--strict-wire` a case that passed with wire differences carries
 * `<failure type="wire">`; a failure listed in the expectations is `type="expected-failure"` (its kind and reason
 * in the text); an expected failure that passed carries `<failure type="unexpected-pass">`, so dashboards show
 * what the CLI shows; a skipped case carries `<skipped>`. Wire differences that are not a failure are listed in
 * `<system-out>`, one `wire: …` line each. The `failures` attributes count the `<failure>` elements.
 *
 * @example
 * ```ts
 * await writeFile('conformance.xml', renderJunit(record));
 * ```
 */
export function renderJunit(record: RunRecord): string {
  const { results } = record;
  const time = seconds(results.reduce((total, result) => total + result.durationInMilliseconds, 0));
  const failures = results.filter((result) => result.failing || (result.status === 'passed' && result.unexpected)).length;
  const skipped = results.filter((result) => result.status === 'skipped').length;
  const attributes = (pairs: readonly (readonly [string, string | number])[]): string =>
    pairs.map(([name, value]) => ` ${name}="${escapeXmlAttribute(String(value))}"`).join('');
  const counts = [
    ['tests', results.length],
    ['failures', failures],
    ['errors', 0],
    ['skipped', skipped],
    ['time', time],
  ] as const;
  const property = (name: string, value: string): string => `      <property${attributes([['name', name], ['value', value]])}/>`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes([['name', TOOL], ...counts])}>`,
    `  <testsuite${attributes([['name', record.profileTitle ?? record.profile], ...counts, ['timestamp', record.startedAt.toISOString()]])}>`,
    '    <properties>',
    property('profile', record.profile),
    property('baseUrl', record.baseUrl),
    property('tool', `${TOOL} ${record.version}`),
    property('strictWire', String(record.strictWire)),
    ...Object.entries(record.parameters).map(([name, value]) => property(`parameter:${name}`, value)),
    '    </properties>',
  ];
  for (const result of results) {
    const open = `    <testcase${attributes([['name', `${result.id} ${result.title}`], ['classname', record.profile], ['time', seconds(result.durationInMilliseconds)]])}`;
    const inner: string[] = [];
    const wireText = result.wireDifferences.map((difference) => `wire: ${difference}`).join('\n');
    let wireInFailure = false;
    if (result.failing) {
      const wireOnly = result.status === 'passed';
      const type = wireOnly ? 'wire' : failureType(result);
      const message = wireOnly ? `${result.wireDifferences.length} wire difference${result.wireDifferences.length === 1 ? '' : 's'} (--strict-wire)` : (result.message ?? '');
      wireInFailure = wireOnly;
      const body = wireOnly ? wireText : message;
      if (result.expected === 'fail') {
        const text = `${type}: ${body}\n\nExpected to fail: ${result.reason ?? ''}`;
        inner.push(`      <failure${attributes([['message', message], ['type', 'expected-failure']])}>${escapeXmlText(text)}</failure>`);
      } else {
        inner.push(`      <failure${attributes([['message', message], ['type', type]])}>${escapeXmlText(body)}</failure>`);
      }
    } else if (result.status === 'skipped') {
      inner.push(`      <skipped${attributes([['message', result.message ?? '']])}/>`);
    } else if (result.unexpected) {
      const text = `expected to fail (${result.reason ?? ''}), but passed: remove it from the expectations`;
      inner.push(`      <failure${attributes([['message', text], ['type', 'unexpected-pass']])}/>`);
    }
    if (result.wireDifferences.length > 0 && !wireInFailure) inner.push(`      <system-out>${escapeXmlText(wireText)}</system-out>`);
    if (inner.length === 0) lines.push(`${open}/>`);
    else lines.push(`${open}>`, ...inner, '    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
