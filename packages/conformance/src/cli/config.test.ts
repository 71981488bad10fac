import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeSettings, parseConfigFile, validateBaseUrl, validateFixtures } from './config.js';
import { UsageError, type HttpFixtureSpec } from './types.js';

const SPECS: readonly HttpFixtureSpec[] = [
  { name: 'login', required: true, description: 'a master user' },
  { name: 'password', required: true, description: 'its password' },
  { name: 'resource', required: false, default: '/v2/tracker/list', description: 'a user route' },
  { name: 'base_path', required: true, default: '/v2', description: 'required, but with a default' },
  { name: 'query_hash', required: false, description: 'enabled or disabled' },
];

describe('parseConfigFile', () => {
  it('reads every key; numbers and booleans become fixture strings; a relative expect path is resolved next to the file', () => {
    const config = parseConfigFile(
      JSON.stringify({
        $schema: 'ignored',
        profile: 'nvx-hash@2',
        baseUrl: 'http://127.0.0.1:3000',
        fixtures: { login: 'demo', user_id: 1, flag: true },
        parameters: { source_conflict: 'precedence' },
        fixturesCommand: './provision.sh',
        schemes: ['./schemes/widget.js', '../up.mjs', '@acme/widget/conformance', '/opt/scheme.js'],
        strictWire: true,
        expect: 'expected.json',
        disable: ['NVX-HDR-001', ' NVX-HDR-002 '],
        timeout: 5000,
      }),
      '/etc/conformance/config.json',
    );
    expect(config).toEqual({
      profile: 'nvx-hash@2',
      baseUrl: 'http://127.0.0.1:3000',
      fixtures: { login: 'demo', user_id: '1', flag: 'true' },
      parameters: { source_conflict: 'precedence' },
      fixturesCommand: './provision.sh',
      schemes: [resolve('/etc/conformance', 'schemes/widget.js'), resolve('/etc', 'up.mjs'), '@acme/widget/conformance', '/opt/scheme.js'],
      strictWire: true,
      expect: { path: resolve('/etc/conformance', 'expected.json') },
      disable: ['NVX-HDR-001', 'NVX-HDR-002'],
      timeoutInMilliseconds: 5000,
    });
  });

  it('keeps inline expectations for later parsing, and an empty file is fine', () => {
    expect(parseConfigFile('{"expect":{"NVX-HDR-001":"reason"}}', 'c.json').expect).toEqual({ inline: { 'NVX-HDR-001': 'reason' }, source: '--config c.json "expect"' });
    expect(parseConfigFile('{}', 'c.json')).toEqual({ fixtures: {}, parameters: {}, schemes: [], disable: [] });
    expect(parseConfigFile('{"schemes":"@acme/widget"}', 'c.json').schemes).toEqual(['@acme/widget']);
  });

  it.each([
    ['not json', /not valid JSON/],
    ['[]', /expected a JSON object/],
    ['{"profil":"x"}', /unknown key "profil"/],
    ['{"profile":3}', /"profile" must be a non-empty string/],
    ['{"baseUrl":""}', /"baseUrl" must be a non-empty string/],
    ['{"fixtures":[]}', /"fixtures" must be an object/],
    ['{"fixtures":{"login":null}}', /fixture "login" must be a string/],
    ['{"fixtures":{"login":{"a":1}}}', /fixture "login" must be a string/],
    ['{"disable":"NVX-HDR-001"}', /"disable" must be an array of case ids/],
    ['{"disable":[1]}', /"disable" must be an array of case ids/],
    ['{"timeout":"5s"}', /"timeout" must be a number/],
    ['{"timeout":0}', /"timeout" must be a whole number/],
    ['{"expect":""}', /"expect" must not be empty/],
    ['{"parameters":[]}', /"parameters" must be an object/],
    ['{"parameters":{"source_conflict":1}}', /parameter "source_conflict" must be a string/],
    ['{"schemes":[""]}', /"schemes" must be a module/],
    ['{"schemes":{"a":1}}', /"schemes" must be a module/],
    ['{"strictWire":"yes"}', /"strictWire" must be true or false/],
    ['{"fixturesCommand":""}', /"fixturesCommand" must be a non-empty string/],
  ])('refuses %s', (text, message) => {
    expect(() => parseConfigFile(text, 'c.json')).toThrow(UsageError);
    expect(() => parseConfigFile(text, 'c.json')).toThrow(message);
  });

  it('never repeats a fixture value in an error', () => {
    expect(() => parseConfigFile('{"fixtures":{"password":["s3cr3t"]}}', 'c.json')).not.toThrow(/s3cr3t/);
  });
});

describe('mergeSettings', () => {
  const config = parseConfigFile(
    JSON.stringify({
      profile: 'nvx-hash@2',
      baseUrl: 'http://file:3000',
      fixtures: { login: 'file-login', password: 'file-password' },
      parameters: { source_conflict: 'precedence' },
      fixturesCommand: './provision.sh',
      schemes: ['./dist/conformance.js', '@acme/widget/conformance'],
      strictWire: true,
      expect: { 'NVX-HDR-001': 'reason' },
      disable: ['NVX-HDR-001'],
      timeout: 1000,
    }),
    'c.json',
  );

  it('takes everything from the file when no flag is given', () => {
    const settings = mergeSettings({ sets: [], params: [], schemes: [], strictWire: false, disable: [] }, config);
    expect(settings).toEqual({
      profile: 'nvx-hash@2',
      baseUrl: 'http://file:3000',
      fixtures: { login: 'file-login', password: 'file-password' },
      configFixtures: { login: 'file-login', password: 'file-password' },
      setFixtures: {},
      parameters: { source_conflict: 'precedence' },
      fixturesCommand: './provision.sh',
      schemes: [resolve('dist/conformance.js'), '@acme/widget/conformance'],
      strictWire: true,
      expect: { inline: { 'NVX-HDR-001': 'reason' }, source: '--config c.json "expect"' },
      disable: ['NVX-HDR-001'],
      timeoutInMilliseconds: 1000,
      reportJson: undefined,
      reportJunit: undefined,
    });
  });

  it('lets flags override: scalars replace, --set and --param replace single entries (last wins), --disable and --scheme add', () => {
    const settings = mergeSettings(
      {
        profile: 'hmac-signature@2',
        baseUrl: 'http://flag:4000',
        sets: [['login', 'one'], ['login', 'two'], ['extra', 'x']],
        params: [['source_conflict', 'reject'], ['other', 'x']],
        schemes: ['@acme/widget/conformance', './more.js'],
        fixturesCommand: './other.sh',
        strictWire: false,
        expect: 'expected.json',
        disable: ['NVX-HDR-002', 'NVX-HDR-001'],
        timeoutInMilliseconds: 2000,
        reportJson: 'r.json',
        reportJunit: 'r.xml',
      },
      config,
    );
    expect(settings).toEqual({
      profile: 'hmac-signature@2',
      baseUrl: 'http://flag:4000',
      fixtures: { login: 'two', password: 'file-password', extra: 'x' },
      configFixtures: { login: 'file-login', password: 'file-password' },
      setFixtures: { login: 'two', extra: 'x' },
      parameters: { source_conflict: 'reject', other: 'x' },
      fixturesCommand: './other.sh',
      schemes: [resolve('dist/conformance.js'), '@acme/widget/conformance', './more.js'],
      strictWire: true,
      expect: { path: 'expected.json' },
      disable: ['NVX-HDR-001', 'NVX-HDR-002'],
      timeoutInMilliseconds: 2000,
      reportJson: 'r.json',
      reportJunit: 'r.xml',
    });
  });

  it('works without a config file', () => {
    expect(mergeSettings({ sets: [['login', 'demo']], params: [], schemes: [], strictWire: true, disable: [] }, null)).toMatchObject({
      profile: undefined,
      fixtures: { login: 'demo' },
      parameters: {},
      fixturesCommand: undefined,
      schemes: [],
      strictWire: true,
      expect: undefined,
      disable: [],
    });
  });
});

describe('validateFixtures', () => {
  it('accepts the required fixtures with optional ones, and leaves defaults to the driver', () => {
    expect(validateFixtures('nvx-hash@2', { login: 'demo', password: 'pw', query_hash: 'enabled' }, SPECS)).toEqual({ login: 'demo', password: 'pw', query_hash: 'enabled' });
  });

  it('refuses an unknown name, listing every valid one', () => {
    expect(() => validateFixtures('nvx-hash@2', { login: 'demo', password: 'pw', pasword: 'x' }, SPECS)).toThrow(
      'nvx-hash@2 has no fixture "pasword"; valid fixtures: login, password, resource, base_path, query_hash',
    );
    expect(() => validateFixtures('nvx-hash@2', { a: '1', b: '2', login: 'x', password: 'y' }, SPECS)).toThrow(/no fixtures "a", "b"/);
  });

  it('refuses missing required fixtures (also empty ones), naming each with its description', () => {
    const attempt = (): unknown => validateFixtures('nvx-hash@2', { password: '' }, SPECS);
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(/needs the fixtures login, password \(--set name=value/);
    expect(attempt).toThrow(/login: a master user/);
    expect(attempt).not.toThrow(/base_path/);
  });

  it('never repeats a value', () => {
    expect(() => validateFixtures('nvx-hash@2', { login: 'demo', password: 'pw', wrong: 's3cr3t' }, SPECS)).not.toThrow(/s3cr3t/);
  });

  it('treats prototype names as unknown fixtures', () => {
    const fixtures = parseConfigFile('{"fixtures":{"__proto__":"x","login":"a","password":"b"}}', 'c.json').fixtures;
    expect(() => validateFixtures('nvx-hash@2', fixtures, SPECS)).toThrow(/no fixture "__proto__"/);
  });
});

describe('validateBaseUrl', () => {
  it('accepts http and https URLs, with a path', () => {
    expect(validateBaseUrl('http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000');
    expect(validateBaseUrl('https://api.example/prefix/')).toBe('https://api.example/prefix/');
  });

  it.each([
    ['127.0.0.1:3000', /absolute URL/],
    ['localhost:3000', /must be http/],
    ['localhost', /absolute URL/],
    ['ftp://example', /must be http/],
    ['http://user:pw@example', /user name or password/],
    ['http://example/?a=1', /query or a fragment/],
  ])('refuses %s', (text, message) => {
    expect(() => validateBaseUrl(text)).toThrow(message);
  });
});
