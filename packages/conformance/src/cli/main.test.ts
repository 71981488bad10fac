import { describe, expect, it } from 'vitest';
import { createFakeHttp, createMemoryIo, fakeProfiles, type FakeOutcome } from '../__fixtures__/cli-fakes.js';
import { parseXml } from '../__fixtures__/tiny-xml.js';
import { nvxHashV1 } from '../profiles/nvx-hash.js';
import { EXIT, runCli } from './main.js';
import type { JsonReport } from './report.js';

const RUN = ['run', '--profile', 'fake@1', '--base-url', 'http://127.0.0.1:3000', '--set', 'login=demo', '--set', 'password=s3cr3t-pw'];

async function cli(argv: readonly string[], options: { outcomes?: Record<string, FakeOutcome>; files?: Record<string, string>; isTTY?: boolean; capabilities?: string[]; failToStart?: Error } = {}) {
  const io = createMemoryIo(options.files ?? {}, { isTTY: options.isTTY ?? false });
  const http = createFakeHttp(options.outcomes ?? {}, {
    ...(options.capabilities === undefined ? {} : { capabilities: options.capabilities }),
    ...(options.failToStart === undefined ? {} : { failToStart: options.failToStart }),
  });
  const code = await runCli(argv, io, { http, profiles: fakeProfiles, version: '9.9.9' });
  return { code, io, http, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
}

describe('runCli run', () => {
  it('runs the profile through the HTTP driver, prints one line per case and the summary, exit 0', async () => {
    const { code, io, http, stderr } = await cli(RUN);
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    expect(http.calls).toEqual([{ profileId: 'fake@1', options: { baseUrl: 'http://127.0.0.1:3000', fixtures: { login: 'demo', password: 's3cr3t-pw' } } }]);
    expect(http.cleanups).toBe(1);
    expect(io.stdout).toEqual([
      'gatehouse-conformance 9.9.9: fake@1 against http://127.0.0.1:3000',
      '✓ FAKE-001 the first rule holds',
      '✓ FAKE-002 the advice is followed',
      '- FAKE-003 needs an extra (skipped: requires extra)',
      '✓ FAKE-004 escapes <tags> & "quotes" \'too\'',
      '',
      '3 passed, 0 failed, 1 skipped',
    ]);
  });

  it('never prints a fixture value', async () => {
    const { stdout, stderr } = await cli(RUN, { outcomes: { 'FAKE-001': 'fail' } });
    expect(`${stdout}\n${stderr}`).not.toContain('s3cr3t-pw');
  });

  it('passes the driver capabilities on, and --timeout to both the driver and the cases', async () => {
    const { io, http } = await cli([...RUN, '--timeout', '50'], { capabilities: ['extra'], outcomes: { 'FAKE-002': 'hang' } });
    expect(http.calls[0]?.options.timeoutInMilliseconds).toBe(50);
    expect(io.stdout).toContain('✓ FAKE-003 needs an extra');
    expect(io.stdout).toContain('✗ FAKE-002 the advice is followed — did not finish within 50 ms');
  });

  it('exits 1 on an unexpected MUST failure and on an unexpected SHOULD failure, listing them after the summary', async () => {
    const must = await cli(RUN, { outcomes: { 'FAKE-001': 'fail' } });
    expect(must.code).toBe(EXIT.unexpected);
    expect(must.io.stdout).toContain('✗ FAKE-001 the first rule holds — FAKE-001 broke: expected <200> & "ok", got \'no\'');
    expect(must.io.stdout.slice(-2)).toEqual(['2 passed, 1 failed, 1 skipped', '1 unexpected: FAKE-001 (MUST, failed)']);

    const should = await cli(RUN, { outcomes: { 'FAKE-002': 'fail', 'FAKE-004': 'throw' } });
    expect(should.code).toBe(EXIT.unexpected);
    expect(should.io.stdout).toContain('✗ FAKE-004 escapes <tags> & "quotes" \'too\' — unexpected RangeError: driver exploded');
    expect(should.io.stdout.at(-1)).toBe('2 unexpected: FAKE-002 (SHOULD, failed), FAKE-004 (MUST, failed)');
  });

  it('a case that skips itself at run time is a skip, not a failure', async () => {
    const { code, io } = await cli(RUN, { outcomes: { 'FAKE-001': 'skip' } });
    expect(code).toBe(EXIT.ok);
    expect(io.stdout).toContain('- FAKE-001 the first rule holds (skipped: requires sub-user)');
  });

  describe('expectations', () => {
    const files = {
      'expected.json': JSON.stringify({ 'FAKE-001': 'our proxy answers first' }),
      'expected-array.json': JSON.stringify([{ id: 'FAKE-001', reason: 'our proxy answers first' }]),
      'unknown.json': JSON.stringify({ 'FAKE-001': 'x', 'FAKE-404': 'y' }),
    };

    it('an expected failure that fails is fine (exit 0), shown with its reason', async () => {
      for (const file of ['expected.json', 'expected-array.json']) {
        const { code, io } = await cli([...RUN, '--expect', file], { files, outcomes: { 'FAKE-001': 'fail' } });
        expect(code).toBe(EXIT.ok);
        expect(io.stdout).toContain('✗ FAKE-001 the first rule holds — FAKE-001 broke: expected <200> & "ok", got \'no\' (expected failure: our proxy answers first)');
        expect(io.stdout.at(-1)).toBe('2 passed, 1 failed, 1 skipped');
      }
    });

    it('an expected failure that passes is unexpected (exit 1), so the stale expectation is noticed', async () => {
      const { code, io } = await cli([...RUN, '--expect', 'expected.json'], { files });
      expect(code).toBe(EXIT.unexpected);
      expect(io.stdout).toContain('✓ FAKE-001 the first rule holds (unexpected pass: expected to fail: our proxy answers first)');
      expect(io.stdout.slice(-2)).toEqual(['3 passed, 0 failed, 1 skipped', '1 unexpected: FAKE-001 (MUST, passed but expected to fail)']);
    });

    it('an id the profile does not have is a usage error (exit 2), before any request', async () => {
      const { code, stderr, http } = await cli([...RUN, '--expect', 'unknown.json'], { files });
      expect(code).toBe(EXIT.usage);
      expect(stderr).toContain('--expect unknown.json: fake@1 has no case FAKE-404');
      expect(http.calls).toEqual([]);
    });

    it('expectations may sit inline in the config file', async () => {
      const config = JSON.stringify({ profile: 'fake@1', baseUrl: 'http://127.0.0.1:3000', fixtures: { login: 'a', password: 'b' }, expect: { 'FAKE-002': 'not yet' } });
      const { code, io } = await cli(['run', '--config', 'c.json'], { files: { 'c.json': config }, outcomes: { 'FAKE-002': 'fail' } });
      expect(code).toBe(EXIT.ok);
      expect(io.stdout).toContain("✗ FAKE-002 the advice is followed — FAKE-002 broke: expected <200> & \"ok\", got 'no' (expected failure: not yet)");
    });
  });

  it('--disable skips cases (expected "skip"); an unknown id is a usage error', async () => {
    const disabled = await cli([...RUN, '--disable', 'FAKE-001', '--report-json', 'r.json'], { outcomes: { 'FAKE-001': 'fail' } });
    expect(disabled.code).toBe(EXIT.ok);
    expect(disabled.io.stdout).toContain('- FAKE-001 the first rule holds (skipped: disabled)');
    const report = JSON.parse(disabled.io.files.get('r.json') as string) as JsonReport;
    expect(report.results[0]).toMatchObject({ id: 'FAKE-001', status: 'skipped', expected: 'skip', unexpected: false, message: 'disabled' });

    const unknown = await cli([...RUN, '--disable', 'FAKE-999']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain('--disable: fake@1 has no case FAKE-999');
  });

  it('writes the JSON and JUnit reports', async () => {
    const { code, io } = await cli([...RUN, '--expect', 'e.json', '--report-json', 'out/r.json', '--report-junit', 'out/r.xml'], {
      files: { 'e.json': '{"FAKE-002":"known"}' },
      outcomes: { 'FAKE-001': 'fail', 'FAKE-002': 'fail' },
    });
    expect(code).toBe(EXIT.unexpected);
    const report = JSON.parse(io.files.get('out/r.json') as string) as JsonReport;
    expect(report).toMatchObject({
      tool: 'gatehouse-conformance',
      version: '9.9.9',
      profile: 'fake@1',
      baseUrl: 'http://127.0.0.1:3000',
      startedAt: '2025-01-02T03:04:05.000Z',
      finishedAt: '2025-01-02T03:04:06.000Z',
      summary: { passed: 1, failed: 2, skipped: 1, unexpected: 1 },
    });
    expect(report.results.map(({ id, status, expected, unexpected, reason }) => ({ id, status, expected, unexpected, reason }))).toEqual([
      { id: 'FAKE-001', status: 'failed', expected: 'pass', unexpected: true, reason: null },
      { id: 'FAKE-002', status: 'failed', expected: 'fail', unexpected: false, reason: 'known' },
      { id: 'FAKE-003', status: 'skipped', expected: 'pass', unexpected: false, reason: null },
      { id: 'FAKE-004', status: 'passed', expected: 'pass', unexpected: false, reason: null },
    ]);
    for (const result of report.results) expect(typeof result.durationInMilliseconds).toBe('number');
    const xml = parseXml(io.files.get('out/r.xml') as string);
    expect(xml.attributes).toMatchObject({ tests: '4', failures: '2', skipped: '1' });
    expect(xml.children[0]?.children.filter((child) => child.name === 'testcase').map((child) => child.attributes['name'])).toEqual([
      'FAKE-001 the first rule holds',
      'FAKE-002 the advice is followed',
      'FAKE-003 needs an extra',
      'FAKE-004 escapes <tags> & "quotes" \'too\'',
    ]);
  });

  it('colours progress lines on a terminal only', async () => {
    const tty = await cli(RUN, { isTTY: true, outcomes: { 'FAKE-001': 'fail' } });
    expect(tty.io.stdout[1]).toBe('\u001b[31m✗\u001b[0m FAKE-001 the first rule holds — \u001b[31mFAKE-001 broke: expected <200> & "ok", got \'no\'\u001b[0m');
    expect(tty.io.stdout[2]).toBe('\u001b[32m✓\u001b[0m FAKE-002 the advice is followed');
    expect(tty.io.stdout).toContain('2 passed, 1 failed, 1 skipped');
    const plain = await cli(RUN, { isTTY: false, outcomes: { 'FAKE-001': 'fail' } });
    expect(plain.stdout).not.toContain('\u001b');
  });

  it('merges a config file with the flags, flags first', async () => {
    const config = JSON.stringify({ profile: 'nvx-hash@1', baseUrl: 'http://file:1', fixtures: { login: 'file', password: 'file-pw' }, disable: ['FAKE-003'], timeout: 1234 });
    const { code, http, io } = await cli(['run', '--config', 'c.json', '--profile', 'fake@1', '--base-url', 'http://flag:2', '--set', 'login=flag'], { files: { 'c.json': config } });
    expect(code).toBe(EXIT.ok);
    expect(http.calls[0]).toEqual({ profileId: 'fake@1', options: { baseUrl: 'http://flag:2', fixtures: { login: 'flag', password: 'file-pw' }, timeoutInMilliseconds: 1234 } });
    expect(io.stdout).toContain('- FAKE-003 needs an extra (skipped: disabled)');
  });

  it.each([
    [['run', '--base-url', 'http://x'], /--profile <id> is required/],
    [['run', '--profile', 'fake@1'], /--base-url <url> is required/],
    [['run', '--profile', 'nope@1', '--base-url', 'http://x'], /unknown profile "nope@1" \(profiles: .*fake@1/],
    [['run', '--profile', 'fake@1', '--base-url', 'localhost:3000', '--set', 'login=a', '--set', 'password=b'], /--base-url must be/],
    [[...RUN, '--set', 'pasword=x'], /fake@1 has no fixture "pasword"; valid fixtures: login, password, resource, query_hash/],
    [['run', '--profile', 'fake@1', '--base-url', 'http://x', '--set', 'login=a'], /fake@1 needs the fixture password/],
    [[...RUN, '--config', 'missing.json'], /--config missing.json: cannot read/],
    [[...RUN, '--expect', 'missing.json'], /--expect missing.json: cannot read/],
    [[...RUN, '--report-json', '/missing/r.json'], /--report-json \/missing\/r.json: cannot write/],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const { code, stderr } = await cli(argv);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('Try: gatehouse-conformance run --help');
  });

  it.each(['credential-store@1', 'ephemeral-store@1', 'strategy-contract@1'])('explains that %s runs in-process only', async (profile) => {
    const { code, stderr, http } = await cli(['run', '--profile', profile, '--base-url', 'http://127.0.0.1:3000']);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(`${profile} runs in-process only, not over HTTP`);
    expect(stderr).toContain('@gatehouse/conformance/vitest');
    expect(stderr).toContain('Profiles that run over HTTP: fake@1, nvx-hash@1, access-hash-cookie@1, hmac-signature@1');
    expect(http.calls).toEqual([]);
  });

  it('checks the fixtures of the scheme profiles against HTTP_FIXTURES', async () => {
    const { code, stderr } = await cli(['run', '--profile', 'nvx-hash@1', '--base-url', 'http://127.0.0.1:3000', '--set', 'login=demo']);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('nvx-hash@1 needs the fixture password');
  });

  it('a server that cannot be reached is exit 1, with the cause; a driver refusing an option is exit 2', async () => {
    const unreachable = await cli(RUN, { failToStart: new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:3000') }) });
    expect(unreachable.code).toBe(EXIT.unexpected);
    expect(unreachable.stderr).toContain('could not start fake@1 against http://127.0.0.1:3000: fetch failed (connect ECONNREFUSED 127.0.0.1:3000)');
    const refused = new TypeError('Invalid option `query_hash`: must be enabled or disabled');
    Object.defineProperty(refused, 'name', { value: 'ConfigurationError' });
    const bad = await cli(RUN, { failToStart: refused });
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain('Invalid option `query_hash`');
  });

  it('without the HTTP drivers, run cannot run a scheme profile', async () => {
    const io = createMemoryIo();
    const code = await runCli(['run', '--profile', 'nvx-hash@1', '--base-url', 'http://x'], io);
    expect(code).toBe(EXIT.usage);
    expect(io.stderr[0]).toContain('nvx-hash@1 runs in-process only');
  });
});

describe('runCli list, profiles, help', () => {
  it('lists the cases of a profile as a table', async () => {
    const { code, io } = await cli(['list', '--profile', 'nvx-hash@1']);
    expect(code).toBe(EXIT.ok);
    expect(io.stdout[0]).toBe('nvx-hash@1: NVX hash wire conformance (nvx-hash@1)');
    expect(io.stdout[2]).toMatch(/^ID +LEVEL +REQUIRES +TITLE$/);
    expect(io.stdout[3]).toMatch(/^NVX-HDR-001 +MUST +- +`Authorization: NVX <api key>`/);
    expect(io.stdout.find((line) => line.startsWith('NVX-QUERY-001'))).toMatch(/MUST +query-hash +/);
    expect(io.stdout.at(-1)).toMatch(/^\d+ cases \(\d+ MUST, \d+ SHOULD\)$/);
    expect(io.stdout.filter((line) => /^NVX-/.test(line))).toHaveLength(nvxHashV1.cases.length);
  });

  it('lists the cases as JSON', async () => {
    const { code, stdout } = await cli(['list', '--profile', 'nvx-hash@1', '--json']);
    expect(code).toBe(EXIT.ok);
    const listing = JSON.parse(stdout) as { profile: string; cases: { id: string; level: string; requires: string[]; ref: string; title: string }[] };
    expect(listing.profile).toBe('nvx-hash@1');
    expect(listing.cases).toHaveLength(nvxHashV1.cases.length);
    expect(listing.cases.find((testCase) => testCase.id === 'NVX-QUERY-001')).toMatchObject({ level: 'MUST', requires: ['query-hash'] });
  });

  it('refuses an unknown profile for list', async () => {
    const { code, stderr } = await cli(['list', '--profile', 'nvx-hash@9']);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('unknown profile "nvx-hash@9"');
    expect(stderr).toContain('Try: gatehouse-conformance list --help');
  });

  it('lists the profiles, saying which run over HTTP', async () => {
    const { code, io } = await cli(['profiles']);
    expect(code).toBe(EXIT.ok);
    expect(io.stdout.find((line) => line.startsWith('nvx-hash@1'))).toContain('HTTP: gatehouse-conformance run');
    expect(io.stdout.find((line) => line.startsWith('credential-store@1'))).toContain('in-process only: @gatehouse/conformance/vitest');
    const json = JSON.parse((await cli(['profiles', '--json'])).stdout) as { id: string; http: boolean }[];
    expect(json.find((row) => row.id === 'hmac-signature@1')?.http).toBe(true);
    expect(json.find((row) => row.id === 'ephemeral-store@1')?.http).toBe(false);
  });

  it('prints help for every command, and the fixtures of every HTTP profile with run --help', async () => {
    for (const argv of [['--help'], ['help'], []]) expect((await cli(argv)).stdout).toMatch(/^Usage: gatehouse-conformance <command>/);
    const run = await cli(['run', '--help']);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain('--report-junit <file>');
    expect(run.stdout).toContain('Fixtures of fake@1:');
    expect(run.stdout).toMatch(/ {2}login \(required\) +a login/);
    expect(run.stdout).toMatch(/ {2}resource=\/v2\/tracker\/list +a route/);
    expect((await cli(['help', 'list'])).stdout).toMatch(/^Usage: gatehouse-conformance list/);
    expect((await cli(['profiles', '--help'])).stdout).toMatch(/^Usage: gatehouse-conformance profiles/);
    expect((await cli(['--version'])).stdout).toBe('9.9.9');
  });

  it('an unknown command is exit 2', async () => {
    const { code, stderr } = await cli(['frobnicate']);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('unknown command "frobnicate"');
  });
});
