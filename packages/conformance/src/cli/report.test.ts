import { describe, expect, it } from 'vitest';
import { parseXml, type XmlElement } from '../__fixtures__/tiny-xml.js';
import type { JudgedResult } from './expectations.js';
import { buildJsonReport, escapeXmlAttribute, escapeXmlText, renderJunit, stripInvalidXmlCharacters, type RunRecord } from './report.js';

const HOSTILE = 'a <b> & "c" \'d\' ]]> \u0000\u0007\u001b[31m\uD800 tab\there\nnew line\r\n€ 😀';

const base = { failureKind: null, wire: 'not-checked', wireDifferences: [], failing: false } as const;

const results: JudgedResult[] = [
  { ...base, id: 'X-001', level: 'MUST', title: 'passes', status: 'passed', wire: 'matches', expected: 'pass', unexpected: false, message: null, reason: null, durationInMilliseconds: 1.23456 },
  { ...base, id: 'X-002', level: 'MUST', title: `fails ${HOSTILE}`, status: 'failed', failureKind: 'accepted', failing: true, expected: 'pass', unexpected: true, message: `got ${HOSTILE}`, reason: null, durationInMilliseconds: 20 },
  { ...base, id: 'X-003', level: 'SHOULD', title: 'fails as expected', status: 'failed', failureKind: 'broken', failing: true, expected: 'fail', unexpected: false, message: 'expected 412', reason: `proxy <limits> & ${HOSTILE}`, durationInMilliseconds: 3 },
  { ...base, id: 'X-004', level: 'MUST', title: 'passes although expected to fail', status: 'passed', expected: 'fail', unexpected: true, message: null, reason: 'was broken', durationInMilliseconds: 4 },
  { ...base, id: 'X-005', level: 'MUST', title: 'skipped', status: 'skipped', expected: 'pass', unexpected: false, message: 'requires sub-user', reason: null, durationInMilliseconds: 0 },
  { ...base, id: 'X-006', level: 'MUST', title: 'disabled', status: 'skipped', expected: 'skip', unexpected: false, message: 'disabled', reason: null, durationInMilliseconds: 0 },
  { ...base, id: 'X-007', level: 'MUST', title: 'leaks', status: 'failed', failureKind: 'leaked', failing: true, wire: 'differs', wireDifferences: [`HTTP 401 ${HOSTILE}`], expected: 'pass', unexpected: true, message: 'the reply echoed the key', reason: null, durationInMilliseconds: 1 },
  { ...base, id: 'X-008', level: 'MUST', title: 'differs', status: 'passed', wire: 'differs', wireDifferences: ['HTTP 401, the documents say 400', 'no WWW-Authenticate'], expected: 'pass', unexpected: false, message: null, reason: null, durationInMilliseconds: 1 },
];

const record: RunRecord = {
  version: '1.2.3',
  profile: 'nvx-hash@2',
  profileTitle: 'NVX hash wire conformance (nvx-hash@2)',
  baseUrl: 'http://127.0.0.1:3000/?a=1&b=2',
  parameters: { source_conflict: 'reject', refusal_status: '4xx' },
  strictWire: false,
  startedAt: new Date('2025-01-02T03:04:05.000Z'),
  finishedAt: new Date('2025-01-02T03:04:06.500Z'),
  results,
};

/** What the escaping functions must give back after a round trip through an XML reader. */
const readable = (text: string): string => stripInvalidXmlCharacters(text);

describe('buildJsonReport', () => {
  it('has the documented shape and counts', () => {
    const report = buildJsonReport(record);
    expect(Object.keys(report)).toEqual(['tool', 'version', 'profile', 'baseUrl', 'parameters', 'strictWire', 'startedAt', 'finishedAt', 'summary', 'results']);
    expect(report).toMatchObject({
      tool: 'gatehouse-conformance',
      version: '1.2.3',
      profile: 'nvx-hash@2',
      baseUrl: 'http://127.0.0.1:3000/?a=1&b=2',
      parameters: { source_conflict: 'reject', refusal_status: '4xx' },
      strictWire: false,
      startedAt: '2025-01-02T03:04:05.000Z',
      finishedAt: '2025-01-02T03:04:06.500Z',
      summary: {
        security: { passed: 3, failed: 3, accepted: 1, leaked: 1, broken: 1 },
        wire: { matches: 1, differs: 2, notChecked: 5 },
        skipped: 2,
        unexpected: 3,
      },
    });
    expect(report.results).toHaveLength(8);
    for (const row of report.results) {
      expect(Object.keys(row)).toEqual(['id', 'level', 'title', 'status', 'failureKind', 'wire', 'wireDifferences', 'expected', 'unexpected', 'message', 'reason', 'durationInMilliseconds']);
    }
    expect(report.results[0]).toEqual({
      id: 'X-001', level: 'MUST', title: 'passes', status: 'passed', failureKind: null, wire: 'matches', wireDifferences: [],
      expected: 'pass', unexpected: false, message: null, reason: null, durationInMilliseconds: 1.235,
    });
    expect(report.results[2]).toMatchObject({ status: 'failed', failureKind: 'broken', expected: 'fail', unexpected: false, reason: `proxy <limits> & ${HOSTILE}` });
    expect(report.results[3]).toMatchObject({ status: 'passed', expected: 'fail', unexpected: true });
    expect(report.results[5]).toMatchObject({ status: 'skipped', expected: 'skip', message: 'disabled' });
    expect(report.results[6]).toMatchObject({ failureKind: 'leaked', wire: 'differs', wireDifferences: [`HTTP 401 ${HOSTILE}`] });
    // JSON carries any text; it survives serialization.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe('XML escaping', () => {
  it('strips characters XML 1.0 cannot hold, keeping tab, line breaks and astral characters', () => {
    expect(stripInvalidXmlCharacters('a\u0000b\u0008c\u000bd\u001fe\uFFFEf\uD800g\uDC00h\tI\nJ\rK😀')).toBe('abcdefgh\tI\nJ\rK😀');
  });

  it('escapes attributes and text so that a reader gives the same text back', () => {
    expect(escapeXmlAttribute('a "b" & <c> \'d\'')).toBe('a &quot;b&quot; &amp; &lt;c&gt; &apos;d&apos;');
    expect(escapeXmlText('1 < 2 && ]]>')).toBe('1 &lt; 2 &amp;&amp; ]]&gt;');
    const document = `<r a="${escapeXmlAttribute(HOSTILE)}">${escapeXmlText(HOSTILE)}</r>`;
    const root = parseXml(document);
    expect(root.attributes['a']).toBe(readable(HOSTILE));
    expect(root.text).toBe(readable(HOSTILE));
  });
});

describe('renderJunit', () => {
  const xml = renderJunit(record);
  const root = parseXml(xml);
  const suite = root.children[0] as XmlElement;
  const cases = suite.children.filter((child) => child.name === 'testcase');
  const child = (element: XmlElement, name: string): XmlElement | undefined => element.children.find((inner) => inner.name === name);

  it('is well-formed XML with a declaration, testsuites and one testsuite', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    expect(root.name).toBe('testsuites');
    expect(root.children.map((element) => element.name)).toEqual(['testsuite']);
    // No raw control characters anywhere.
    expect(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(xml)).toBe(false);
  });

  it('counts tests, failures (failures and unexpected passes) and skips, consistently with its elements', () => {
    for (const element of [root, suite]) {
      expect(element.attributes).toMatchObject({ tests: '8', failures: '4', errors: '0', skipped: '2', time: '0.030' });
    }
    expect(cases.filter((element) => child(element, 'failure') !== undefined)).toHaveLength(4);
    expect(cases.filter((element) => child(element, 'skipped') !== undefined)).toHaveLength(2);
    expect(suite.attributes).toMatchObject({ name: 'NVX hash wire conformance (nvx-hash@2)', timestamp: '2025-01-02T03:04:05.000Z' });
    const properties = child(suite, 'properties')?.children.map((property) => [property.attributes['name'], property.attributes['value']]);
    expect(properties).toEqual([
      ['profile', 'nvx-hash@2'],
      ['baseUrl', 'http://127.0.0.1:3000/?a=1&b=2'],
      ['tool', 'gatehouse-conformance 1.2.3'],
      ['strictWire', 'false'],
      ['parameter:source_conflict', 'reject'],
      ['parameter:refusal_status', '4xx'],
    ]);
  });

  it('names each testcase "<id> <title>" with classname "<profile>" and its time in seconds', () => {
    expect(cases.map((element) => element.attributes['name'])).toEqual(results.map((result) => readable(`${result.id} ${result.title}`)));
    for (const element of cases) expect(element.attributes['classname']).toBe('nvx-hash@2');
    expect(cases[1]?.attributes['time']).toBe('0.020');
  });

  it('types failures by kind (security:accepted, security:leaked, broken), gives expected failures their kind and reason, unexpected passes a failure, skips their reason', () => {
    expect(child(cases[0] as XmlElement, 'failure')).toBeUndefined();
    const failure = child(cases[1] as XmlElement, 'failure') as XmlElement;
    expect(failure.attributes).toEqual({ message: readable(`got ${HOSTILE}`), type: 'security:accepted' });
    expect(failure.text).toBe(readable(`got ${HOSTILE}`));
    const expectedFailure = child(cases[2] as XmlElement, 'failure') as XmlElement;
    expect(expectedFailure.attributes['type']).toBe('expected-failure');
    expect(expectedFailure.text).toBe(readable(`broken: expected 412\n\nExpected to fail: proxy <limits> & ${HOSTILE}`));
    const unexpectedPass = child(cases[3] as XmlElement, 'failure') as XmlElement;
    expect(unexpectedPass.attributes['type']).toBe('unexpected-pass');
    expect(unexpectedPass.attributes['message']).toContain('was broken');
    expect(child(cases[4] as XmlElement, 'skipped')?.attributes).toEqual({ message: 'requires sub-user' });
    expect(child(cases[5] as XmlElement, 'skipped')?.attributes).toEqual({ message: 'disabled' });
    expect(child(cases[6] as XmlElement, 'failure')?.attributes['type']).toBe('security:leaked');
  });

  it('lists wire differences in <system-out>, one line each, unless --strict-wire makes them a failure', () => {
    expect(child(cases[6] as XmlElement, 'system-out')?.text).toBe(readable(`wire: HTTP 401 ${HOSTILE}`));
    const differs = cases[7] as XmlElement;
    expect(child(differs, 'failure')).toBeUndefined();
    expect(child(differs, 'system-out')?.text).toBe('wire: HTTP 401, the documents say 400\nwire: no WWW-Authenticate');

    const strictResults = results.map((result) => (result.id === 'X-008' ? { ...result, failing: true, unexpected: true } : result));
    const strict = parseXml(renderJunit({ ...record, strictWire: true, results: strictResults })).children[0] as XmlElement;
    expect(strict.attributes['failures']).toBe('5');
    const strictCase = strict.children.filter((element) => element.name === 'testcase')[7] as XmlElement;
    expect(child(strictCase, 'failure')?.attributes).toEqual({ message: '2 wire differences (--strict-wire)', type: 'wire' });
    expect(child(strictCase, 'failure')?.text).toBe('wire: HTTP 401, the documents say 400\nwire: no WWW-Authenticate');
    expect(child(strictCase, 'system-out')).toBeUndefined();
  });

  it('escapes the raw markup: no stray <, & or quote inside attributes', () => {
    expect(xml).toContain('&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; ]]&gt;');
    expect(xml).toContain('tab&#9;here&#10;new line&#13;&#10;');
    expect(xml).not.toContain('\u001b');
  });

  it('renders an empty run', () => {
    const empty = parseXml(renderJunit({ ...record, results: [] }));
    expect(empty.attributes).toMatchObject({ tests: '0', failures: '0', skipped: '0' });
  });
});

describe('the tiny XML reader used here', () => {
  it.each([
    '<a>',
    '<a></b>',
    '<a b="1" b="2"/>',
    '<a b="<"/>',
    '<a>&</a>',
    '<a>&foo;</a>',
    '<a>&#0;</a>',
    '<a/><b/>',
    '<a b=1/>',
    '<a>\u0001</a>',
  ])('rejects %j', (document) => {
    expect(() => parseXml(document)).toThrow();
  });
});
