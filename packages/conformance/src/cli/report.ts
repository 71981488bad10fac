// The reports of a run: JSON (the CLI's own format) and JUnit XML (for CI test dashboards).
import type { JudgedResult } from './expectations.js';
import { TOOL } from './types.js';

/**
 * The JSON report (`--report-json`).
 *
 * @example
 * ```ts
 * const report: JsonReport = buildJsonReport({ version: '0.1.0', profile: 'nvx-hash@1', baseUrl: 'http://127.0.0.1:3000',
 *   startedAt: new Date(), finishedAt: new Date(), results });
 * ```
 */
export interface JsonReport {
  readonly tool: typeof TOOL;
  readonly version: string;
  readonly profile: string;
  readonly baseUrl: string;
  /** ISO 8601, UTC. */
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly summary: { readonly passed: number; readonly failed: number; readonly skipped: number; readonly unexpected: number };
  readonly results: readonly {
    readonly id: string;
    readonly level: 'MUST' | 'SHOULD';
    readonly title: string;
    readonly status: 'passed' | 'failed' | 'skipped';
    readonly expected: 'pass' | 'fail' | 'skip';
    readonly unexpected: boolean;
    readonly message: string | null;
    /** Why the case is expected to fail (from the expectations), otherwise `null`. */
    readonly reason: string | null;
    readonly durationInMilliseconds: number;
  }[];
}

/** What a report is made from. */
export interface RunRecord {
  readonly version: string;
  readonly profile: string;
  /** The profile's title, the JUnit test suite's name. */
  readonly profileTitle?: string;
  readonly baseUrl: string;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly results: readonly JudgedResult[];
}

/**
 * Counts results by status, and the unexpected ones.
 *
 * @example
 * ```ts
 * summarizeJudged(results); // { passed: 48, failed: 1, skipped: 2, unexpected: 0 }
 * ```
 */
export function summarizeJudged(results: readonly JudgedResult[]): JsonReport['summary'] {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let unexpected = 0;
  for (const result of results) {
    if (result.status === 'passed') passed++;
    else if (result.status === 'failed') failed++;
    else skipped++;
    if (result.unexpected) unexpected++;
  }
  return { passed, failed, skipped, unexpected };
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
    startedAt: record.startedAt.toISOString(),
    finishedAt: record.finishedAt.toISOString(),
    summary: summarizeJudged(record.results),
    results: record.results.map((result) => ({
      id: result.id,
      level: result.level,
      title: result.title,
      status: result.status,
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

/**
 * Renders a run as JUnit XML: one `<testsuites>` with one `<testsuite>` (the profile), one `<testcase>` per case
 * named `<id> <title>` with classname `<profile>`. A failed case carries `<failure>` (type `failure`, or
 * `expected-failure` for a failure listed in the expectations); an expected failure that passed carries
 * `<failure type="unexpected-pass">`, so dashboards show it as the CLI does; a skipped case carries `<skipped>`.
 * The `failures` attributes count the `<failure>` elements.
 *
 * @example
 * ```ts
 * await writeFile('conformance.xml', renderJunit(record));
 * ```
 */
export function renderJunit(record: RunRecord): string {
  const { results } = record;
  const time = seconds(results.reduce((total, result) => total + result.durationInMilliseconds, 0));
  const failures = results.filter((result) => result.status === 'failed' || (result.status === 'passed' && result.unexpected)).length;
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
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes([['name', TOOL], ...counts])}>`,
    `  <testsuite${attributes([['name', record.profileTitle ?? record.profile], ...counts, ['timestamp', record.startedAt.toISOString()]])}>`,
    '    <properties>',
    `      <property${attributes([['name', 'profile'], ['value', record.profile]])}/>`,
    `      <property${attributes([['name', 'baseUrl'], ['value', record.baseUrl]])}/>`,
    `      <property${attributes([['name', 'tool'], ['value', `${TOOL} ${record.version}`]])}/>`,
    '    </properties>',
  ];
  for (const result of results) {
    const open = `    <testcase${attributes([['name', `${result.id} ${result.title}`], ['classname', record.profile], ['time', seconds(result.durationInMilliseconds)]])}`;
    const message = result.message ?? '';
    if (result.status === 'failed') {
      const type = result.expected === 'fail' ? 'expected-failure' : 'failure';
      const text = result.reason === null ? message : `${message}\n\nExpected to fail: ${result.reason}`;
      lines.push(`${open}>`, `      <failure${attributes([['message', message], ['type', type]])}>${escapeXmlText(text)}</failure>`, '    </testcase>');
    } else if (result.status === 'skipped') {
      lines.push(`${open}>`, `      <skipped${attributes([['message', message]])}/>`, '    </testcase>');
    } else if (result.unexpected) {
      const text = `expected to fail (${result.reason ?? ''}), but passed: remove it from the expectations`;
      lines.push(`${open}>`, `      <failure${attributes([['message', text], ['type', 'unexpected-pass']])}/>`, '    </testcase>');
    } else {
      lines.push(`${open}/>`);
    }
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
