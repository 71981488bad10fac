import { describe, expect, it } from 'vitest';
import { parseArguments, parseSet, parseTimeout } from './args.js';
import { UsageError } from './types.js';

describe('parseArguments', () => {
  it('parses run with every option, in both --flag value and --flag=value forms', () => {
    const command = parseArguments([
      'run',
      '--profile', 'nvx-hash@2',
      '--base-url=http://127.0.0.1:3000',
      '--set', 'login=demo',
      '--set=password=a=b=c',
      '--config', 'conformance.json',
      '--expect', 'expected.json',
      '--disable', 'NVX-HDR-001',
      '--disable=NVX-HDR-002,NVX-HDR-003',
      '--timeout', '5000',
      '--report-json', 'out.json',
      '--report-junit', 'out.xml',
      '--param', 'source_conflict=precedence',
      '--param=refusal_status= 403 ',
      '--scheme', '@acme/widget/conformance',
      '--scheme=./dist/conformance.js',
      '--fixtures-command', './provision.sh --json',
      '--strict-wire',
    ]);
    expect(command).toEqual({
      kind: 'run',
      args: {
        profile: 'nvx-hash@2',
        baseUrl: 'http://127.0.0.1:3000',
        config: 'conformance.json',
        expect: 'expected.json',
        reportJson: 'out.json',
        reportJunit: 'out.xml',
        fixturesCommand: './provision.sh --json',
        sets: [['login', 'demo'], ['password', 'a=b=c']],
        params: [['source_conflict', 'precedence'], ['refusal_status', '403']],
        schemes: ['@acme/widget/conformance', './dist/conformance.js'],
        strictWire: true,
        disable: ['NVX-HDR-001', 'NVX-HDR-002', 'NVX-HDR-003'],
        timeoutInMilliseconds: 5000,
      },
    });
  });

  it('leaves out what was not given', () => {
    expect(parseArguments(['run'])).toEqual({ kind: 'run', args: { sets: [], params: [], schemes: [], strictWire: false, disable: [] } });
  });

  it('parses list, profiles, help and version', () => {
    expect(parseArguments(['list', '--profile', 'hmac-signature@2'])).toEqual({ kind: 'list', profile: 'hmac-signature@2', json: false, schemes: [] });
    expect(parseArguments(['list', '--json', '--profile=nvx-hash@2', '--scheme', 'a', '--scheme', 'b'])).toEqual({ kind: 'list', profile: 'nvx-hash@2', json: true, schemes: ['a', 'b'] });
    expect(parseArguments(['profiles'])).toEqual({ kind: 'profiles', json: false, schemes: [] });
    expect(parseArguments(['profiles', '--json', '--scheme=./x.js'])).toEqual({ kind: 'profiles', json: true, schemes: ['./x.js'] });
    expect(parseArguments([])).toEqual({ kind: 'help', topic: 'main' });
    expect(parseArguments(['--help'])).toEqual({ kind: 'help', topic: 'main' });
    expect(parseArguments(['-h'])).toEqual({ kind: 'help', topic: 'main' });
    expect(parseArguments(['help', 'run'])).toEqual({ kind: 'help', topic: 'run' });
    expect(parseArguments(['run', '--help'])).toEqual({ kind: 'help', topic: 'run' });
    expect(parseArguments(['run', '--profile', 'x', '-h'])).toEqual({ kind: 'help', topic: 'run' });
    expect(parseArguments(['list', '--help'])).toEqual({ kind: 'help', topic: 'list' });
    expect(parseArguments(['profiles', '--help'])).toEqual({ kind: 'help', topic: 'profiles' });
    expect(parseArguments(['--version'])).toEqual({ kind: 'version' });
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['help', 'frobnicate'], /unknown command "frobnicate"/],
    [['run', '--frob'], /unknown option --frob/],
    [['run', '--profile'], /--profile needs a value/],
    [['run', '--profile', 'a', '--profile', 'b'], /--profile given more than once/],
    [['run', '--profile', ''], /--profile must not be empty/],
    [['run', 'nvx-hash@2'], /unexpected argument "nvx-hash@2"/],
    [['run', '--timeout', '0'], /--timeout must be a whole number/],
    [['run', '--timeout', '1.5'], /--timeout must be a whole number/],
    [['run', '--timeout', 'soon'], /--timeout must be a whole number/],
    [['run', '--timeout', '9999999999'], /--timeout must be a whole number/],
    [['run', '--disable', ''], /--disable needs a case id/],
    [['run', '--help=yes'], /--help takes no value/],
    [['list'], /--profile <id> is required/],
    [['list', '--set', 'a=b'], /unknown option --set/],
    [['profiles', 'extra'], /unexpected argument/],
    [['run', '--param', 'nothing'], /--param expects name=value/],
    [['run', '--param', '=x'], /--param expects name=value/],
    [['run', '--scheme', ' '], /--scheme needs a module/],
    [['run', '--strict-wire=yes'], /--strict-wire takes no value/],
    [['run', '--fixtures-command', ''], /--fixtures-command must not be empty/],
    [['list', '--param', 'a=b'], /unknown option --param/],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => parseArguments(argv)).toThrow(UsageError);
    expect(() => parseArguments(argv)).toThrow(message);
  });

  it('never repeats a value that looks like a fixture given without --set', () => {
    let message = '';
    try {
      parseArguments(['run', 'api_secret=s3cr3t-value']);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('did you mean --set api_secret=…');
    expect(message).not.toContain('s3cr3t');
  });
});

describe('parseSet', () => {
  it('splits at the first "=" and keeps empty values', () => {
    expect(parseSet('login=demo')).toEqual(['login', 'demo']);
    expect(parseSet('secret==x=')).toEqual(['secret', '=x=']);
    expect(parseSet('empty=')).toEqual(['empty', '']);
  });

  it('refuses an argument without "=" or without a name, without repeating it', () => {
    expect(() => parseSet('s3cr3t')).toThrow(UsageError);
    expect(() => parseSet('s3cr3t')).not.toThrow(/s3cr3t/);
    expect(() => parseSet('=value')).toThrow(/fixture name is missing/);
  });
});

describe('parseTimeout', () => {
  it('takes whole milliseconds from 1 to 2^31 - 1', () => {
    expect(parseTimeout('1', '--timeout')).toBe(1);
    expect(parseTimeout('2147483647', '--timeout')).toBe(2_147_483_647);
    expect(() => parseTimeout('2147483648', '--timeout')).toThrow(UsageError);
    expect(() => parseTimeout('-5', '--timeout')).toThrow(UsageError);
    expect(() => parseTimeout('1e3', '--timeout')).toThrow(UsageError);
  });
});
