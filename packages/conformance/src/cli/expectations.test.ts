import { describe, expect, it } from 'vitest';
import { nvxHashV2 } from '../schemes/nvx-hash/index.js';
import type { CaseResult } from '../run.js';
import { checkCaseIds, judge, parseExpectations, parseExpectationsText } from './expectations.js';
import { UsageError } from './types.js';

const result = (status: CaseResult['status'], level: CaseResult['level'] = 'MUST'): CaseResult => ({
  id: 'NVX-BODY-006',
  level,
  title: 'a valid header with a 1 MiB body is code 9 too',
  status,
  failureKind: status === 'failed' ? 'accepted' : null,
  message: status === 'passed' ? null : status === 'failed' ? 'expected HTTP 412' : 'requires query-hash',
  wire: 'not-checked',
  wireDifferences: [],
  durationInMilliseconds: 1.5,
});

describe('parseExpectations', () => {
  it('reads the object form and the array form alike', () => {
    const fromObject = parseExpectations({ 'NVX-BODY-006': 'the proxy caps bodies first', 'NVX-KIND-008': 'router folds case' }, 'e.json');
    const fromArray = parseExpectationsText(
      JSON.stringify([
        { id: 'NVX-BODY-006', reason: 'the proxy caps bodies first' },
        { id: 'NVX-KIND-008', reason: 'router folds case' },
      ]),
      'e.json',
    );
    expect([...fromObject]).toEqual([...fromArray]);
    expect(fromObject.get('NVX-BODY-006')).toBe('the proxy caps bodies first');
  });

  it.each([
    ['"just a string"', /expected \{ "<case id>": "reason" \}/],
    ['null', /expected/],
    ['not json', /not valid JSON/],
    ['{"NVX-BODY-006": ""}', /"NVX-BODY-006" needs a reason/],
    ['{"NVX-BODY-006": true}', /"NVX-BODY-006" needs a reason/],
    ['[{"id":"NVX-BODY-006"}]', /needs a reason/],
    ['[{"reason":"r"}]', /entry 0 needs a case id/],
    ['["NVX-BODY-006"]', /entry 0 must be an object/],
    ['[{"id":"A","reason":"r","why":"x"}]', /unknown key why/],
    ['[{"id":"A","reason":"r"},{"id":"A","reason":"s"}]', /"A" is listed twice/],
  ])('refuses %s', (text, message) => {
    expect(() => parseExpectationsText(text, 'e.json')).toThrow(UsageError);
    expect(() => parseExpectationsText(text, 'e.json')).toThrow(message);
  });
});

describe('checkCaseIds', () => {
  it('accepts ids of the profile and names every unknown one', () => {
    expect(() => checkCaseIds(['NVX-HDR-001', 'NVX-BODY-006'], nvxHashV2, '--expect e.json')).not.toThrow();
    expect(() => checkCaseIds(['NVX-HDR-001', 'NVX-HDR-999', 'nvx-hdr-002'], nvxHashV2, '--expect e.json')).toThrow(
      /--expect e.json: nvx-hash@2 has no cases NVX-HDR-999, nvx-hdr-002/,
    );
  });
});

describe('judge', () => {
  const none = new Map<string, string>();
  const expected = new Map([['NVX-BODY-006', 'the proxy caps bodies first']]);
  const noneDisabled = new Set<string>();

  it('a pass is fine; a failure of a MUST or SHOULD case that is not expected is unexpected', () => {
    expect(judge(result('passed'), none, noneDisabled)).toMatchObject({ expected: 'pass', unexpected: false, reason: null });
    expect(judge(result('failed', 'MUST'), none, noneDisabled)).toMatchObject({ expected: 'pass', unexpected: true });
    expect(judge(result('failed', 'SHOULD'), none, noneDisabled)).toMatchObject({ expected: 'pass', unexpected: true });
  });

  it('an expected failure that fails is fine, with its reason', () => {
    expect(judge(result('failed'), expected, noneDisabled)).toEqual({
      ...result('failed'),
      expected: 'fail',
      failing: true,
      unexpected: false,
      reason: 'the proxy caps bodies first',
    });
  });

  it('an expected failure that passes is unexpected, so a stale expectation is noticed', () => {
    expect(judge(result('passed'), expected, noneDisabled)).toMatchObject({ status: 'passed', expected: 'fail', unexpected: true });
  });

  it('skips are never unexpected; a disabled case is expected to skip', () => {
    expect(judge(result('skipped'), none, noneDisabled)).toMatchObject({ expected: 'pass', unexpected: false });
    expect(judge(result('skipped'), expected, noneDisabled)).toMatchObject({ expected: 'fail', unexpected: false });
    expect(judge({ ...result('skipped'), message: 'disabled' }, expected, new Set(['NVX-BODY-006']))).toMatchObject({ expected: 'skip', unexpected: false, reason: null });
  });

  it('wire differences never fail a case, unless strictWire: then a case with wire differences counts as failed unless expected', () => {
    const differs: CaseResult = { ...result('passed'), wire: 'differs', wireDifferences: ['HTTP 401, the documents say 400'] };
    expect(judge(differs, none, noneDisabled)).toMatchObject({ failing: false, unexpected: false, wireDifferences: ['HTTP 401, the documents say 400'] });
    expect(judge(differs, none, noneDisabled, { strictWire: true })).toMatchObject({ failing: true, unexpected: true });
    expect(judge(differs, expected, noneDisabled, { strictWire: true })).toMatchObject({ failing: true, expected: 'fail', unexpected: false });
    expect(judge(differs, expected, noneDisabled)).toMatchObject({ failing: false, unexpected: true });
    expect(judge({ ...result('passed'), wire: 'matches' }, none, noneDisabled, { strictWire: true })).toMatchObject({ failing: false, unexpected: false });
  });

  it('keeps the failure kind', () => {
    expect(judge(result('failed'), none, noneDisabled).failureKind).toBe('accepted');
  });
});
