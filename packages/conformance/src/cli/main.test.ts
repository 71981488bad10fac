import { describe, expect, it } from 'vitest';
import { createFakeScheme, createFakeShell, createMemoryIo, fakeProfile, withKitSchemes, type FakeDriver, type FakeOutcome } from '../__fixtures__/cli-fakes.js';
import { parseXml, type XmlElement } from '../__fixtures__/tiny-xml.js';
import { createHttpDriver } from '../http/index.js';
import { schemes } from '../schemes/index.js';
import { ServerThrottledError, type ConformanceScheme } from '../index.js';
import type { CommandOutcome } from './types.js';
import { EXIT, runCli } from './main.js';
import type { JsonReport } from './report.js';

const RUN = ['run', '--profile', 'fake@1', '--base-url', 'http://127.0.0.1:3000', '--set', 'login=demo', '--set', 'password=s3cr3t-pw'];

interface CliOptions {
  outcomes?: Record<string, FakeOutcome>;
  files?: Record<string, string>;
  isTTY?: boolean;
  capabilities?: string[];
  failToStart?: Error;
  /** `--scheme` modules by specifier: what loading each gives. */
  modules?: Record<string, unknown>;
  /** `--fixtures-command` outcomes by command. */
  shell?: Record<string, Partial<CommandOutcome>>;
  /** Only the kit's own schemes (no fake@1), plus what --scheme loads. */
  withoutFake?: boolean;
}

async function cli(argv: readonly string[], options: CliOptions = {}) {
  const io = createMemoryIo(options.files ?? {}, { isTTY: options.isTTY ?? false });
  const fake = createFakeScheme(options.outcomes ?? {}, {
    ...(options.capabilities === undefined ? {} : { capabilities: options.capabilities }),
    ...(options.failToStart === undefined ? {} : { failToStart: options.failToStart }),
  });
  const shell = createFakeShell(options.shell ?? {});
  const modules = options.modules ?? {};
  const code = await runCli(argv, io, {
    http: { createHttpDriver },
    ...(options.withoutFake === true ? {} : { schemes: withKitSchemes(fake) }),
    loadModule: async (specifier) => {
      if (!Object.hasOwn(modules, specifier)) throw new Error(`Cannot find module '${specifier}'`);
      return modules[specifier];
    },
    runCommand: shell.runCommand,
    version: '9.9.9',
  });
  return { code, io, fake, shell, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
}

const SUMMARY_ALL_PASS = 'security: 3 passed, 0 failed, 1 skipped; wire: 0 cases differ from the documents';

describe('runCli run', () => {
  it('runs the profile through the scheme\'s HTTP driver, prints one line per case and the summary, exit 0', async () => {
    const { code, io, fake, stderr } = await cli(RUN);
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    expect(fake.calls).toHaveLength(1);
    const [context] = fake.calls;
    expect(context?.baseUrl.href).toBe('http://127.0.0.1:3000/');
    expect(context?.given).toEqual({ login: 'demo', password: 's3cr3t-pw' });
    expect(context?.fixtures).toEqual({ login: 'demo', password: 's3cr3t-pw', resource: '/v2/tracker/list' });
    expect(context?.parameters).toEqual({ refusal_status: '401' });
    expect(context?.timeoutInMilliseconds).toBe(10_000);
    expect(fake.cleanups).toBe(1);
    expect(io.stdout).toEqual([
      'gatehouse-conformance 9.9.9: fake@1 against http://127.0.0.1:3000',
      'parameters: refusal_status=401 (default)',
      '✓ FAKE-001 the first rule holds',
      '✓ FAKE-002 the advice is followed',
      '- FAKE-003 needs an extra (skipped: requires extra)',
      '✓ FAKE-004 escapes <tags> & "quotes" \'too\'',
      '',
      SUMMARY_ALL_PASS,
    ]);
  });

  it('never prints a fixture value', async () => {
    const { stdout, stderr } = await cli(RUN, { outcomes: { 'FAKE-001': 'fail' } });
    expect(`${stdout}\n${stderr}`).not.toContain('s3cr3t-pw');
  });

  it('passes the driver capabilities on, and --timeout to both the driver and the cases', async () => {
    const { io, fake } = await cli([...RUN, '--timeout', '50'], { capabilities: ['extra'], outcomes: { 'FAKE-002': 'hang' } });
    expect(fake.calls[0]?.timeoutInMilliseconds).toBe(50);
    expect(io.stdout).toContain('✓ FAKE-003 needs an extra');
    expect(io.stdout).toContain('✗ BROKEN FAKE-002 the advice is followed — did not finish within 50 ms');
  });

  it('marks each failure with its kind: ACCEPTED and LEAKED (security) apart from BROKEN; the summary counts them; exit 1', async () => {
    const { code, io } = await cli(RUN, { outcomes: { 'FAKE-001': 'accepted', 'FAKE-002': 'leaked', 'FAKE-004': 'throw' } });
    expect(code).toBe(EXIT.unexpected);
    expect(io.stdout).toContain('✗ ACCEPTED FAKE-001 the first rule holds — FAKE-001: a forged key was accepted: HTTP 200');
    expect(io.stdout).toContain('✗ LEAKED FAKE-002 the advice is followed — FAKE-002: the reply echoed the key');
    expect(io.stdout).toContain('✗ BROKEN FAKE-004 escapes <tags> & "quotes" \'too\' — unexpected RangeError: driver exploded');
    expect(io.stdout.slice(-2)).toEqual([
      'security: 0 passed, 3 failed (1 accepted a bad credential, 1 leaked, 1 broken), 1 skipped; wire: 0 cases differ from the documents',
      '3 unexpected: FAKE-001 (MUST, accepted), FAKE-002 (SHOULD, leaked), FAKE-004 (MUST, broken)',
    ]);
  });

  it('a failure thrown by another copy of the kit keeps its kind', async () => {
    const foreign = Object.assign(new Error('a revoked key was accepted: HTTP 200'), { name: 'ConformanceFailure', kind: 'accepted' });
    const scheme: ConformanceScheme<null> = {
      profile: { id: 'foreign@1', title: 'Foreign', cases: [{ id: 'FOR-KEY-001', level: 'MUST', ref: 'test', title: 'refuses revoked keys', run: async () => Promise.reject(foreign) }] },
      fixtures: [],
      createHttpDriver: async () => ({ driver: null, capabilities: [], cleanup: async () => undefined }),
    };
    const { code, io } = await cli(['run', '--scheme', 'foreign', '--profile', 'foreign@1', '--base-url', 'http://127.0.0.1:3000'], { modules: { foreign: { default: scheme } } });
    expect(code).toBe(EXIT.unexpected);
    expect(io.stdout).toContain('✗ ACCEPTED FOR-KEY-001 refuses revoked keys — a revoked key was accepted: HTTP 200');
  });

  it('a wire difference is listed under its case and never fails the run by itself', async () => {
    const { code, io } = await cli([...RUN, '--param', 'refusal_status=403'], { outcomes: { 'FAKE-001': 'wire', 'FAKE-002': 'wire-ok' } });
    expect(code).toBe(EXIT.ok);
    expect(io.stdout).toEqual([
      'gatehouse-conformance 9.9.9: fake@1 against http://127.0.0.1:3000',
      'parameters: refusal_status=403',
      '✓ WIRE FAKE-001 the first rule holds',
      '    wire: HTTP 403, the documents say 401 (refusal_status=403)',
      '✓ FAKE-002 the advice is followed',
      '- FAKE-003 needs an extra (skipped: requires extra)',
      '✓ FAKE-004 escapes <tags> & "quotes" \'too\'',
      '',
      'security: 3 passed, 0 failed, 1 skipped; wire: 1 case differs from the documents',
    ]);
  });

  it('--strict-wire: a case with wire differences counts as failed unless expected', async () => {
    const strict = await cli([...RUN, '--strict-wire'], { outcomes: { 'FAKE-001': 'wire', 'FAKE-004': 'accepted+wire' } });
    expect(strict.code).toBe(EXIT.unexpected);
    expect(strict.io.stdout).toContain('✗ WIRE FAKE-001 the first rule holds — 1 wire difference (--strict-wire)');
    expect(strict.io.stdout).toContain('✗ ACCEPTED WIRE FAKE-004 escapes <tags> & "quotes" \'too\' — FAKE-004: a forged key was accepted: HTTP 200');
    expect(strict.io.stdout.slice(-2)).toEqual([
      'security: 2 passed, 1 failed (1 accepted a bad credential), 1 skipped; wire (strict): 2 cases differ from the documents',
      '2 unexpected: FAKE-001 (MUST, wire differs), FAKE-004 (MUST, accepted)',
    ]);
    const expected = await cli([...RUN, '--strict-wire', '--expect', 'e.json'], { files: { 'e.json': '{"FAKE-001":"our proxy rewrites refusals"}' }, outcomes: { 'FAKE-001': 'wire' } });
    expect(expected.code).toBe(EXIT.ok);
    expect(expected.io.stdout).toContain('✗ WIRE FAKE-001 the first rule holds — 1 wire difference (--strict-wire) (expected failure: our proxy rewrites refusals)');
    const lenient = await cli([...RUN, '--expect', 'e.json'], { files: { 'e.json': '{"FAKE-001":"our proxy rewrites refusals"}' }, outcomes: { 'FAKE-001': 'wire' } });
    expect(lenient.code).toBe(EXIT.unexpected);
    expect(lenient.io.stdout).toContain('✓ WIRE FAKE-001 the first rule holds (unexpected pass: expected to fail: our proxy rewrites refusals)');
  });

  it('a case that skips itself at run time is a skip, not a failure', async () => {
    const { code, io } = await cli(RUN, { outcomes: { 'FAKE-001': 'skip' } });
    expect(code).toBe(EXIT.ok);
    expect(io.stdout).toContain('- FAKE-001 the first rule holds (skipped: requires sub-user)');
  });

  describe('parameters', () => {
    it('--param and "parameters" in --config declare the server\'s choices, the flag winning; the driver and the cases get them', async () => {
      const config = JSON.stringify({ profile: 'fake@1', baseUrl: 'http://127.0.0.1:3000', fixtures: { login: 'a', password: 'b' }, parameters: { refusal_status: '401' } });
      const { code, fake, io } = await cli(['run', '--config', 'c.json', '--param', 'refusal_status=403'], { files: { 'c.json': config }, outcomes: { 'FAKE-001': 'wire' } });
      expect(code).toBe(EXIT.ok);
      expect(fake.calls[0]?.parameters).toEqual({ refusal_status: '403' });
      expect(io.stdout).toContain('    wire: HTTP 403, the documents say 401 (refusal_status=403)');
    });

    it.each([
      [['--param', 'nope=1'], /fake@1: .*unknown parameter "nope"; parameters: refusal_status/],
      [['--param', 'refusal_status=500'], /refusal_status must be "401" or "403", got "500"/],
      [['--param', 'refusal_status'], /--param expects name=value/],
    ])('%j is a usage error naming the parameter, before the server is contacted', async (extra, message) => {
      const { code, stderr, fake } = await cli([...RUN, ...extra]);
      expect(code).toBe(EXIT.usage);
      expect(stderr).toMatch(message);
      expect(fake.calls).toEqual([]);
    });
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
        expect(io.stdout).toContain('✗ BROKEN FAKE-001 the first rule holds — FAKE-001 broke: expected <200> & "ok", got \'no\' (expected failure: our proxy answers first)');
        expect(io.stdout.at(-1)).toBe('security: 2 passed, 1 failed (1 broken), 1 skipped; wire: 0 cases differ from the documents');
      }
    });

    it('an expected failure that passes is unexpected (exit 1), so the stale expectation is noticed', async () => {
      const { code, io } = await cli([...RUN, '--expect', 'expected.json'], { files });
      expect(code).toBe(EXIT.unexpected);
      expect(io.stdout).toContain('✓ FAKE-001 the first rule holds (unexpected pass: expected to fail: our proxy answers first)');
      expect(io.stdout.slice(-2)).toEqual([SUMMARY_ALL_PASS, '1 unexpected: FAKE-001 (MUST, passed but expected to fail)']);
    });

    it('an id the profile does not have is a usage error (exit 2), before any request', async () => {
      const { code, stderr, fake } = await cli([...RUN, '--expect', 'unknown.json'], { files });
      expect(code).toBe(EXIT.usage);
      expect(stderr).toContain('--expect unknown.json: fake@1 has no case FAKE-404');
      expect(fake.calls).toEqual([]);
    });

    it('expectations may sit inline in the config file', async () => {
      const config = JSON.stringify({ profile: 'fake@1', baseUrl: 'http://127.0.0.1:3000', fixtures: { login: 'a', password: 'b' }, expect: { 'FAKE-002': 'not yet' } });
      const { code, io } = await cli(['run', '--config', 'c.json'], { files: { 'c.json': config }, outcomes: { 'FAKE-002': 'fail' } });
      expect(code).toBe(EXIT.ok);
      expect(io.stdout).toContain("✗ BROKEN FAKE-002 the advice is followed — FAKE-002 broke: expected <200> & \"ok\", got 'no' (expected failure: not yet)");
    });
  });

  it('--disable skips cases (expected "skip"); an unknown id is a usage error', async () => {
    const disabled = await cli([...RUN, '--disable', 'FAKE-001', '--report-json', 'r.json'], { outcomes: { 'FAKE-001': 'fail' } });
    expect(disabled.code).toBe(EXIT.ok);
    expect(disabled.io.stdout).toContain('- FAKE-001 the first rule holds (skipped: disabled)');
    const report = JSON.parse(disabled.io.files.get('r.json') as string) as JsonReport;
    expect(report.results[0]).toMatchObject({ id: 'FAKE-001', status: 'skipped', expected: 'skip', unexpected: false, message: 'disabled', failureKind: null, wire: 'not-checked' });

    const unknown = await cli([...RUN, '--disable', 'FAKE-999']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain('--disable: fake@1 has no case FAKE-999');
  });

  it('writes the JSON report: each result\'s failure kind and wire verdict, security and wire counts, the parameters', async () => {
    const { code, io } = await cli([...RUN, '--param', 'refusal_status=403', '--expect', 'e.json', '--report-json', 'out/r.json'], {
      files: { 'e.json': '{"FAKE-002":"known"}' },
      outcomes: { 'FAKE-001': 'accepted+wire', 'FAKE-002': 'leaked', 'FAKE-004': 'wire-ok' },
    });
    expect(code).toBe(EXIT.unexpected);
    const report = JSON.parse(io.files.get('out/r.json') as string) as JsonReport;
    expect(report).toMatchObject({
      tool: 'gatehouse-conformance',
      version: '9.9.9',
      profile: 'fake@1',
      baseUrl: 'http://127.0.0.1:3000',
      parameters: { refusal_status: '403' },
      strictWire: false,
      startedAt: '2025-01-02T03:04:05.000Z',
      finishedAt: '2025-01-02T03:04:06.000Z',
      summary: {
        security: { passed: 1, failed: 2, accepted: 1, leaked: 1, broken: 0 },
        wire: { matches: 1, differs: 1, notChecked: 2 },
        skipped: 1,
        unexpected: 1,
      },
    });
    expect(report.results.map(({ id, status, failureKind, wire, wireDifferences, expected, unexpected, reason }) => ({ id, status, failureKind, wire, wireDifferences, expected, unexpected, reason }))).toEqual([
      { id: 'FAKE-001', status: 'failed', failureKind: 'accepted', wire: 'differs', wireDifferences: ['HTTP 403, the documents say 401 (refusal_status=403)'], expected: 'pass', unexpected: true, reason: null },
      { id: 'FAKE-002', status: 'failed', failureKind: 'leaked', wire: 'not-checked', wireDifferences: [], expected: 'fail', unexpected: false, reason: 'known' },
      { id: 'FAKE-003', status: 'skipped', failureKind: null, wire: 'not-checked', wireDifferences: [], expected: 'pass', unexpected: false, reason: null },
      { id: 'FAKE-004', status: 'passed', failureKind: null, wire: 'matches', wireDifferences: [], expected: 'pass', unexpected: false, reason: null },
    ]);
    for (const result of report.results) expect(typeof result.durationInMilliseconds).toBe('number');
  });

  it('writes the JUnit report: security failures by kind, wire differences as output (or, strict, as failures), the parameters as properties', async () => {
    const outcomes: Record<string, FakeOutcome> = { 'FAKE-001': 'accepted', 'FAKE-002': 'wire', 'FAKE-004': 'fail' };
    const suiteOf = (xml: string): XmlElement => parseXml(xml).children[0] as XmlElement;
    const caseNamed = (suite: XmlElement, id: string): XmlElement => suite.children.find((child) => child.name === 'testcase' && (child.attributes['name'] ?? '').startsWith(id)) as XmlElement;
    const child = (element: XmlElement, name: string): XmlElement | undefined => element.children.find((inner) => inner.name === name);

    const lenient = await cli([...RUN, '--report-junit', 'out/r.xml'], { outcomes });
    const suite = suiteOf(lenient.io.files.get('out/r.xml') as string);
    expect(suite.attributes).toMatchObject({ tests: '4', failures: '2', skipped: '1' });
    expect(child(caseNamed(suite, 'FAKE-001'), 'failure')?.attributes['type']).toBe('security:accepted');
    expect(child(caseNamed(suite, 'FAKE-004'), 'failure')?.attributes['type']).toBe('broken');
    const wireCase = caseNamed(suite, 'FAKE-002');
    expect(child(wireCase, 'failure')).toBeUndefined();
    expect(child(wireCase, 'system-out')?.text).toBe('wire: HTTP 403, the documents say 401 (refusal_status=401)');
    const properties = child(suite, 'properties')?.children.map((property) => [property.attributes['name'], property.attributes['value']]);
    expect(properties).toContainEqual(['parameter:refusal_status', '401']);
    expect(properties).toContainEqual(['strictWire', 'false']);

    const strict = await cli([...RUN, '--strict-wire', '--report-junit', 'out/r.xml'], { outcomes });
    const strictSuite = suiteOf(strict.io.files.get('out/r.xml') as string);
    expect(strictSuite.attributes).toMatchObject({ failures: '3' });
    const wireFailure = child(caseNamed(strictSuite, 'FAKE-002'), 'failure');
    expect(wireFailure?.attributes).toEqual({ message: '1 wire difference (--strict-wire)', type: 'wire' });
    expect(wireFailure?.text).toBe('wire: HTTP 403, the documents say 401 (refusal_status=401)');
  });

  it('colours progress lines on a terminal only', async () => {
    const tty = await cli(RUN, { isTTY: true, outcomes: { 'FAKE-001': 'accepted' } });
    expect(tty.io.stdout[2]).toBe('\u001b[31m✗\u001b[0m \u001b[31mACCEPTED\u001b[0m FAKE-001 the first rule holds — \u001b[31mFAKE-001: a forged key was accepted: HTTP 200\u001b[0m');
    expect(tty.io.stdout[3]).toBe('\u001b[32m✓\u001b[0m FAKE-002 the advice is followed');
    const plain = await cli(RUN, { isTTY: false, outcomes: { 'FAKE-001': 'fail' } });
    expect(plain.stdout).not.toContain('\u001b');
  });

  it('merges a config file with the flags, flags first', async () => {
    const config = JSON.stringify({ profile: 'strategy-contract@1', baseUrl: 'http://file:1', fixtures: { login: 'file', password: 'file-pw' }, disable: ['FAKE-003'], timeout: 1234 });
    const { code, fake, io } = await cli(['run', '--config', 'c.json', '--profile', 'fake@1', '--base-url', 'http://flag:2', '--set', 'login=flag'], { files: { 'c.json': config } });
    expect(code).toBe(EXIT.ok);
    expect(fake.calls[0]?.baseUrl.href).toBe('http://flag:2/');
    expect(fake.calls[0]?.given).toEqual({ login: 'flag', password: 'file-pw' });
    expect(fake.calls[0]?.timeoutInMilliseconds).toBe(1234);
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
    const { code, stderr, fake } = await cli(['run', '--profile', profile, '--base-url', 'http://127.0.0.1:3000']);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(`${profile} runs in-process only, not over HTTP`);
    expect(stderr).toContain('@gatehouse/conformance/vitest');
    expect(stderr).toContain(`Profiles that run over HTTP: ${['fake@1', ...Object.keys(schemes)].join(', ')}`);
    expect(fake.calls).toEqual([]);
  });

  it.each(Object.values(schemes).map((scheme) => [scheme.profile.id, scheme] as const))('checks the fixtures of the built-in %s against its fixture specs', async (id, scheme) => {
    const required = scheme.fixtures.filter((spec) => spec.required && spec.default === undefined).map((spec) => spec.name);
    const { code, stderr } = await cli(['run', '--profile', id, '--base-url', 'http://127.0.0.1:3000', '--set', 'no_such_fixture=x']);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(`${id} has no fixture "no_such_fixture"; valid fixtures: ${scheme.fixtures.map((spec) => spec.name).join(', ')}`);
    if (required.length === 0) return;
    const missing = await cli(['run', '--profile', id, '--base-url', 'http://127.0.0.1:3000']);
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toContain(`${id} needs the fixture${required.length > 1 ? 's' : ''} ${required.join(', ')}`);
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

  it('a server that throttles the driver\'s start is reported as such (exit 1), not as a fixtures problem', async () => {
    const throttled = await cli(RUN, { failToStart: new ServerThrottledError('POST /keys') });
    expect(throttled.code).toBe(EXIT.unexpected);
    expect(throttled.stderr).toBe(
      'gatehouse-conformance: the server throttled the run: HTTP 429 on POST /keys: raise its failure limits for conformance runs, or wait for its window to pass',
    );
    expect(throttled.stdout).toBe('');
    const foreign = Object.assign(new Error('HTTP 429 on user/auth'), { name: 'ServerThrottledError' });
    const other = await cli(RUN, { failToStart: foreign });
    expect(other.code).toBe(EXIT.unexpected);
    expect(other.stderr).toBe('gatehouse-conformance: the server throttled the run: HTTP 429 on user/auth');
  });

  it('without the HTTP drivers, run cannot run a scheme profile', async () => {
    const io = createMemoryIo();
    const id = Object.keys(schemes)[0] ?? '';
    const code = await runCli(['run', '--profile', id, '--base-url', 'http://x'], io);
    expect(code).toBe(EXIT.usage);
    expect(io.stderr[0]).toContain(`${id} runs in-process only`);
  });

  describe('--fixtures-command', () => {
    const provision = './provision.sh --json';

    it('runs the command with the base URL in its environment and merges its fixtures under --set and over the config file', async () => {
      const config = JSON.stringify({ fixtures: { login: 'from-config', password: 'config-pw', query_hash: 'enabled' } });
      const { code, fake, shell, stdout, stderr } = await cli(
        ['run', '--config', 'c.json', '--profile', 'fake@1', '--base-url', 'http://127.0.0.1:3000', '--fixtures-command', provision, '--set', 'login=from-set'],
        { files: { 'c.json': config }, shell: { [provision]: { stdout: JSON.stringify({ login: 'from-command', password: 'command-s3cr3t', resource: '/v3/list' }), stderr: 'provisioned 2 keys\n' } } },
      );
      expect(stderr).toBe('');
      expect(code).toBe(EXIT.ok);
      expect(shell.runs).toEqual([{ command: provision, env: { GATEHOUSE_BASE_URL: 'http://127.0.0.1:3000', GATEHOUSE_PROFILE: 'fake@1' } }]);
      expect(fake.calls[0]?.given).toEqual({ login: 'from-set', password: 'command-s3cr3t', resource: '/v3/list', query_hash: 'enabled' });
      expect(stdout).not.toContain('command-s3cr3t');
    });

    it('may be given in the config file as "fixturesCommand"', async () => {
      const config = JSON.stringify({ profile: 'fake@1', baseUrl: 'http://127.0.0.1:3000', fixturesCommand: provision });
      const { code, fake } = await cli(['run', '--config', 'c.json'], { files: { 'c.json': config }, shell: { [provision]: { stdout: '{"login":"a","password":"b"}' } } });
      expect(code).toBe(EXIT.ok);
      expect(fake.calls[0]?.given).toEqual({ login: 'a', password: 'b' });
    });

    it.each([
      [{ exitCode: 3, stderr: 'curl: (7) Failed to connect to 127.0.0.1 port 3000\n' }, /--fixtures-command failed: it exited with code 3; its stderr:\ncurl: \(7\) Failed to connect/],
      [{ exitCode: null, signal: 'SIGKILL' }, /--fixtures-command failed: it was ended by SIGKILL \(it wrote nothing to stderr\)/],
      [{ stdout: 'login=a', stderr: 'warning: old shell' }, /--fixtures-command did not print JSON .*; its stderr:\nwarning: old shell/],
      [{ stdout: '["a"]' }, /--fixtures-command must print one JSON object/],
      [{ stdout: '{"login":{"nested":true}}' }, /--fixtures-command: fixture "login" must be a string/],
      [{ timedOut: true, exitCode: null, signal: 'SIGTERM' }, /--fixtures-command took too long/],
    ])('a failing command (%j) stops the run with exit 1, reporting its stderr, before the driver starts', async (outcome, message) => {
      const { code, stderr, fake } = await cli(['run', '--profile', 'fake@1', '--base-url', 'http://127.0.0.1:3000', '--fixtures-command', provision], { shell: { [provision]: outcome } });
      expect(code).toBe(EXIT.unexpected);
      expect(stderr).toMatch(message);
      expect(fake.calls).toEqual([]);
    });

    it('a command that cannot start is exit 1; a fixture name the scheme does not have is a usage error', async () => {
      const missing = await cli(['run', '--profile', 'fake@1', '--base-url', 'http://127.0.0.1:3000', '--fixtures-command', './nowhere']);
      expect(missing.code).toBe(EXIT.unexpected);
      expect(missing.stderr).toContain('--fixtures-command could not run: spawn ./nowhere ENOENT');
      const unknown = await cli(['run', '--profile', 'fake@1', '--base-url', 'http://127.0.0.1:3000', '--fixtures-command', provision], {
        shell: { [provision]: { stdout: '{"login":"a","password":"b","owner":"x"}' } },
      });
      expect(unknown.code).toBe(EXIT.usage);
      expect(unknown.stderr).toContain('fake@1 has no fixture "owner"');
    });

    it('a typo in --set is a usage error before the command runs', async () => {
      const { code, shell } = await cli(['run', '--profile', 'fake@1', '--base-url', 'http://127.0.0.1:3000', '--fixtures-command', provision, '--set', 'logn=a'], {
        shell: { [provision]: { stdout: '{}' } },
      });
      expect(code).toBe(EXIT.usage);
      expect(shell.runs).toEqual([]);
    });
  });

  describe('--scheme', () => {
    const outside = createFakeScheme({ 'FAKE-002': 'accepted' });
    const renamed: ConformanceScheme<FakeDriver> = { ...outside, profile: { ...fakeProfile, id: 'outside@2', title: 'Outside (outside@2)' } };

    it('adds the schemes a module exports (default, or conformanceSchemes as a scheme or an array) to list, profiles and run', async () => {
      for (const namespace of [{ default: renamed }, { conformanceSchemes: renamed }, { conformanceSchemes: [renamed] }, { default: { conformanceSchemes: [renamed] }, conformanceSchemes: [renamed] }]) {
        const listed = await cli(['list', '--scheme', '@acme/widget/conformance', '--profile', 'outside@2'], { modules: { '@acme/widget/conformance': namespace }, withoutFake: true });
        expect(listed.code).toBe(EXIT.ok);
        expect(listed.io.stdout[0]).toBe('outside@2: Outside (outside@2)');
      }
      const profiles = await cli(['profiles', '--scheme', './dist/conformance.js'], { modules: { './dist/conformance.js': { default: [renamed] } }, withoutFake: true });
      expect(profiles.io.stdout.find((line) => line.startsWith('outside@2'))).toMatch(
        /^outside@2 +Outside \(outside@2\) \(4 cases, 1 parameter; HTTP: gatehouse-conformance run\) from --scheme \.\/dist\/conformance\.js$/,
      );
      const ran = await cli(['run', '--scheme', './dist/conformance.js', '--profile', 'outside@2', '--base-url', 'http://127.0.0.1:3000', '--set', 'login=a', '--set', 'password=b'], {
        modules: { './dist/conformance.js': { default: renamed } },
        withoutFake: true,
      });
      expect(ran.code).toBe(EXIT.unexpected);
      expect(ran.io.stdout[0]).toBe('gatehouse-conformance 9.9.9: outside@2 against http://127.0.0.1:3000 (scheme from ./dist/conformance.js)');
      expect(ran.io.stdout).toContain('✗ ACCEPTED FAKE-002 the advice is followed — FAKE-002: a forged key was accepted: HTTP 200');
      expect(outside.calls).toHaveLength(1);
    });

    it.each([
      [{}, /--scheme m: exports no scheme \(export a ConformanceScheme/],
      [{ default: [] }, /--scheme m: exports an empty list of schemes/],
      [{ default: { profile: { id: 'x@1', title: 'X', cases: 'none' }, fixtures: [] } }, /--scheme m: its default export is not a ConformanceScheme: profile.cases must be an array/],
      [{ conformanceSchemes: [renamed, { profile: null }] }, /--scheme m: `conformanceSchemes`\[1\] is not a ConformanceScheme: profile must be/],
      [{ default: { ...renamed, profile: { ...renamed.profile, id: Object.keys(schemes)[0] ?? '' } } }, new RegExp(`--scheme m: profile "${Object.keys(schemes)[0] ?? ''}" is already registered by the kit`)],
      [{ default: { ...renamed, profile: { ...renamed.profile, id: 'credential-store@1' } } }, /--scheme m: profile "credential-store@1" is already registered by the kit/],
    ])('refuses a module that exports %j, naming the module (exit 2)', async (namespace, message) => {
      const { code, stderr } = await cli(['list', '--scheme', 'm', '--profile', 'outside@2'], { modules: { m: namespace } });
      expect(code).toBe(EXIT.usage);
      expect(stderr).toMatch(message);
    });

    it('names the module it cannot load, and two modules with the same profile', async () => {
      const missing = await cli(['profiles', '--scheme', '@acme/missing']);
      expect(missing.code).toBe(EXIT.usage);
      expect(missing.stderr).toContain("--scheme @acme/missing: cannot load (Cannot find module '@acme/missing')");
      const twice = await cli(['profiles', '--scheme', 'a', '--scheme', 'b'], { modules: { a: { default: renamed }, b: { default: { ...renamed } } } });
      expect(twice.code).toBe(EXIT.usage);
      expect(twice.stderr).toContain('--scheme b: profile "outside@2" is already registered by --scheme a');
      const same = await cli(['profiles', '--scheme', 'a', '--scheme', 'a2'], { modules: { a: { default: renamed }, a2: { default: renamed } } });
      expect(same.code).toBe(EXIT.ok);
    });

    it('may be listed in the config file, relative paths from the file\'s folder', async () => {
      const config = JSON.stringify({ schemes: ['@acme/widget'], profile: 'outside@2', baseUrl: 'http://127.0.0.1:3000', fixtures: { login: 'a', password: 'b' } });
      const { code, io } = await cli(['run', '--config', 'c.json'], { files: { 'c.json': config }, modules: { '@acme/widget': { default: renamed } }, withoutFake: true });
      expect(code).toBe(EXIT.unexpected);
      expect(io.stdout[0]).toContain('(scheme from @acme/widget)');
    });
  });
});

describe('runCli list, profiles, help', () => {
  it('lists the cases of a profile as a table', async () => {
    const { code, io } = await cli(['list', '--profile', 'fake@1']);
    expect(code).toBe(EXIT.ok);
    expect(io.stdout.slice(0, 8)).toEqual([
      'fake@1: Fake wire profile (fake@1)',
      '',
      'ID        LEVEL   REQUIRES  TITLE',
      'FAKE-001  MUST    -         the first rule holds',
      'FAKE-002  SHOULD  -         the advice is followed',
      'FAKE-003  MUST    extra     needs an extra',
      'FAKE-004  MUST    -         escapes <tags> & "quotes" \'too\'',
      '',
    ]);
  });

  it.each(Object.values(schemes).map((scheme) => [scheme.profile.id, scheme.profile] as const))('lists every case of the built-in %s', async (id, profile) => {
    const { code, io } = await cli(['list', '--profile', id]);
    expect(code).toBe(EXIT.ok);
    expect(io.stdout[0]).toBe(`${id}: ${profile.title}`);
    expect(io.stdout[2]).toMatch(/^ID +LEVEL +REQUIRES +TITLE$/);
    const rows = io.stdout.slice(3, 3 + profile.cases.length);
    profile.cases.forEach((testCase, index) => {
      expect(rows[index]?.startsWith(`${testCase.id} `)).toBe(true);
      expect(rows[index]).toContain(` ${(testCase.requires ?? []).join(',') || '-'} `);
    });
    const must = profile.cases.filter((testCase) => testCase.level === 'MUST').length;
    expect(io.stdout).toContain(`${profile.cases.length} cases (${must} MUST, ${profile.cases.length - must} SHOULD)`);
    for (const parameter of profile.parameters ?? []) expect(io.stdout).toContain(`  ${parameter.name} = ${parameter.values.join(' | ')} (default ${parameter.default})`);
  });

  it('lists the parameters after the cases: values, default, description and the documents\' silence', async () => {
    const { code, io } = await cli(['list', '--profile', 'fake@1']);
    expect(code).toBe(EXIT.ok);
    expect(io.stdout.slice(-7)).toEqual([
      '4 cases (3 MUST, 1 SHOULD)',
      '',
      '1 parameter (declare the server\'s choice with --param name=value or "parameters" in --config):',
      '',
      '  refusal_status = 401 | 403 (default 401)',
      '      the status of a refusal',
      '      silence: RFC 9110 §15.5.2 and §15.5.4 both fit a refused key',
    ]);
  });

  it('lists the cases and parameters as JSON', async () => {
    const [id, scheme] = Object.entries(schemes)[0] as [string, ConformanceScheme<unknown>];
    const { code, stdout } = await cli(['list', '--profile', id, '--json']);
    expect(code).toBe(EXIT.ok);
    const listing = JSON.parse(stdout) as { profile: string; cases: { id: string; level: string; requires: string[]; ref: string; title: string }[]; parameters: { name: string }[] };
    expect(listing.profile).toBe(id);
    expect(listing.cases.map((testCase) => testCase.id)).toEqual(scheme.profile.cases.map((testCase) => testCase.id));
    expect(listing.parameters.map((parameter) => parameter.name)).toEqual((scheme.profile.parameters ?? []).map((parameter) => parameter.name));
    const fake = JSON.parse((await cli(['list', '--profile', 'fake@1', '--json'])).stdout) as { cases: unknown[]; parameters: unknown[] };
    expect(fake.cases[2]).toEqual({ id: 'FAKE-003', level: 'MUST', requires: ['extra'], ref: 'test', title: 'needs an extra' });
    expect(fake.parameters).toEqual([{ name: 'refusal_status', values: ['401', '403'], default: '401', description: 'the status of a refusal', silence: 'RFC 9110 §15.5.2 and §15.5.4 both fit a refused key' }]);
  });

  it('refuses an unknown profile for list', async () => {
    const { code, stderr } = await cli(['list', '--profile', 'fake@9']);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('unknown profile "fake@9"');
    expect(stderr).toContain('Try: gatehouse-conformance list --help');
  });

  it('lists the profiles, saying which run over HTTP', async () => {
    const { code, io } = await cli(['profiles']);
    expect(code).toBe(EXIT.ok);
    for (const id of Object.keys(schemes)) expect(io.stdout.find((line) => line.startsWith(`${id} `))).toContain('HTTP: gatehouse-conformance run');
    expect(io.stdout.find((line) => line.startsWith('credential-store@1'))).toContain('in-process only: @gatehouse/conformance/vitest');
    const json = JSON.parse((await cli(['profiles', '--json'])).stdout) as { id: string; http: boolean; parameters: number; module: string | null }[];
    for (const id of Object.keys(schemes)) expect(json.find((row) => row.id === id)).toMatchObject({ http: true, module: null });
    expect(json.find((row) => row.id === 'ephemeral-store@1')?.http).toBe(false);
    expect(json.find((row) => row.id === 'fake@1')?.parameters).toBe(1);
  });

  it('prints help for every command, and the fixtures of every HTTP profile with run --help', async () => {
    for (const argv of [['--help'], ['help'], []]) expect((await cli(argv)).stdout).toMatch(/^Usage: gatehouse-conformance <command>/);
    const run = await cli(['run', '--help']);
    expect(run.code).toBe(EXIT.ok);
    for (const option of ['--report-junit <file>', '--param <name=value>', '--scheme <module>', '--fixtures-command <cmd>', '--strict-wire']) expect(run.stdout).toContain(option);
    expect(run.stdout).toContain('Fixtures of fake@1:');
    for (const id of Object.keys(schemes)) expect(run.stdout).toContain(`Fixtures of ${id}:`);
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
