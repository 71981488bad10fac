// access-hash-cookie@2 in-process: the reference (Gatehouse's choices), honest variants that make other
// documented-silent choices and declare them, and security mutants.
import { absent, ConfigurationError, rejectedCredential, type AuthRefusal } from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import { runProfile, type CaseResult } from '../../run.js';
import { withRenderer } from '../../__fixtures__/refusal.js';
import { createAccessHashReference, type AccessHashChoices, type AccessHashFlaws } from './__fixtures__/reference.js';
import { accessHashCookieScheme, accessHashCookieV2, accessHashInProcessDriver, ACCESS_HASH_PARAMETERS, type AccessHashDriver, type AccessHashFixtures } from './index.js';

const failures = (results: readonly CaseResult[]): CaseResult[] => results.filter((result) => result.status === 'failed');
const skippedIds = (results: readonly CaseResult[]): string[] => results.filter((result) => result.status === 'skipped').map((result) => result.id).sort();
const wireDifferences = (results: readonly CaseResult[]): string[] => results.flatMap((result) => result.wireDifferences.map((difference) => `${result.id}: ${difference}`));
const securityFailures = (results: readonly CaseResult[]): CaseResult[] => results.filter((result) => result.failureKind === 'accepted' || result.failureKind === 'leaked');

const RAW_CASES = ['AHC-DESYNC-001', 'AHC-DESYNC-002'];
const STORE_CASES = ['AHC-STORE-001', 'AHC-STORE-002'];

describe('access-hash-cookie@2, the profile', () => {
  it('has at least 30 MUST cases and some SHOULD cases, each with an AHC id, a public ref and a title', () => {
    const must = accessHashCookieV2.cases.filter((testCase) => testCase.level === 'MUST');
    expect(must.length).toBeGreaterThanOrEqual(30);
    expect(accessHashCookieV2.cases.some((testCase) => testCase.level === 'SHOULD')).toBe(true);
    expect(new Set(accessHashCookieV2.cases.map((testCase) => testCase.id)).size).toBe(accessHashCookieV2.cases.length);
    for (const testCase of accessHashCookieV2.cases) {
      expect(testCase.id).toMatch(/^AHC-(COOKIE|PROTO|FMT|IP|HASH|REVOKE|SRC|ENV|STORE|LEAK|DESYNC)-\d{3}$/);
      expect(testCase.ref).toMatch(/PUQ VPN control panel|RFC \d+|@gatehouse\/auth-core README/);
      expect(testCase.ref).not.toMatch(/seed|DESIGN|shared\//i);
      for (const name of testCase.parameters ?? []) expect(ACCESS_HASH_PARAMETERS.map((spec) => spec.name)).toContain(name);
    }
    expect(accessHashCookieScheme.profile).toBe(accessHashCookieV2);
    expect(accessHashCookieV2.id).toBe('access-hash-cookie@2');
  });

  it('declares each documented-silent choice as a parameter whose default is Gatehouse\'s, citing the silence', () => {
    const byName = Object.fromEntries(ACCESS_HASH_PARAMETERS.map((spec) => [spec.name, spec]));
    expect(Object.keys(byName).sort()).toEqual(['cookie_value_quotes', 'cookie_value_whitespace', 'duplicate_cookie', 'foreign_ip_reply', 'hex_case', 'refusal_status']);
    expect(byName['foreign_ip_reply']).toMatchObject({ values: ['distinct', 'same-as-invalid'], default: 'distinct' });
    // The document gives no status: any 4xx unless the server declares its own (by-kind is Gatehouse's split).
    expect(byName['refusal_status']).toMatchObject({ values: ['any-4xx', 'by-kind', '400', '401', '403'], default: 'any-4xx' });
    expect(byName['duplicate_cookie']).toMatchObject({ values: ['reject', 'first', 'last'], default: 'reject' });
    for (const spec of ACCESS_HASH_PARAMETERS) {
      expect(spec.values).toContain(spec.default);
      expect(spec.silence).toMatch(/PUQ VPN control panel \(PUQVPNCP\) documentation, "API Access Hashs"/);
    }
  });

  it('refuses parameters it does not have, and values outside their range', async () => {
    const driver = accessHashInProcessDriver(createAccessHashReference());
    await expect(runProfile(accessHashCookieV2, driver, { parameters: { duplicate_cookie: 'middle' } })).rejects.toThrow(/duplicate_cookie must be "reject" or "first" or "last"/);
    await expect(runProfile(accessHashCookieV2, driver, { parameters: { source_conflict: 'reject' } })).rejects.toThrow(/unknown parameter "source_conflict"/);
  });
});

describe('access-hash-cookie@2 on the reference server (Gatehouse\'s choices)', () => {
  it('passes every case with zero wire differences, also with its statuses declared; only the raw-connection cases skip in-process', async () => {
    for (const parameters of [{}, { refusal_status: 'by-kind' }]) {
      const results = await runProfile(accessHashCookieV2, accessHashInProcessDriver(createAccessHashReference()), { parameters });
      expect(failures(results)).toEqual([]);
      expect(wireDifferences(results)).toEqual([]);
      expect(skippedIds(results)).toEqual(RAW_CASES);
    }
  });

  it('passes with IPv6 addresses (skipping the IPv4-mapped cases), a custom cookie name, and 64-digit hashes', async () => {
    const ipv6 = await runProfile(accessHashCookieV2, accessHashInProcessDriver(createAccessHashReference({ clientIp: '2001:db8::7', foreignIp: '2001:db8::23', cookieName: 'ah' })));
    expect(failures(ipv6)).toEqual([]);
    expect(wireDifferences(ipv6)).toEqual([]);
    expect(skippedIds(ipv6)).toEqual([...RAW_CASES, 'AHC-IP-004', 'AHC-IP-005', 'AHC-IP-006', 'AHC-IP-007'].sort());
    const short = await runProfile(accessHashCookieV2, accessHashInProcessDriver(createAccessHashReference({ choices: { hashLength: 64 }, clientIp: '10.0.0.1', foreignIp: '::1' })));
    expect(failures(short)).toEqual([]);
    expect(wireDifferences(short)).toEqual([]);
  });

  it('skips the store-failure, revoke and revoked-hash cases when the driver and fixtures lack them', async () => {
    const { storeFailure: _store, revoke: _revoke, setup, ...rest } = createAccessHashReference();
    const driver = accessHashInProcessDriver({
      ...rest,
      async setup() {
        const { revokedAccessHash: _revoked, ...fixtures } = await setup();
        return fixtures;
      },
    });
    expect(driver.capabilities).toEqual(['remote-address']);
    const results = await runProfile(accessHashCookieV2, driver);
    expect(failures(results)).toEqual([]);
    const skipped = new Map(results.filter((result) => result.status === 'skipped').map((result) => [result.id, result.message]));
    for (const id of STORE_CASES) expect(skipped.get(id)).toBe('requires store-failure');
    expect(skipped.get('AHC-REVOKE-001')).toBe('requires revoke');
    expect(skipped.get('AHC-HASH-003')).toBe('requires revoked-hash');
    expect(skipped.size).toBe(STORE_CASES.length + RAW_CASES.length + 2);
  });

  it('runs every other case against a driver that cannot choose its source address (as over HTTP)', async () => {
    const inner = accessHashInProcessDriver(createAccessHashReference());
    let clientIp = '';
    const driver: AccessHashDriver = {
      capabilities: ['store-failure', 'revoke'],
      setup: async () => {
        const fixtures = await inner.setup();
        clientIp = fixtures.clientIp;
        return fixtures;
      },
      send: (request) => inner.send(request, { remoteAddress: clientIp }),
      storeFailure: async () => {
        const failing = await (inner.storeFailure as NonNullable<AccessHashDriver['storeFailure']>)();
        return { send: (request) => failing.send(request, { remoteAddress: clientIp }) };
      },
      revocable: () => (inner.revocable as NonNullable<AccessHashDriver['revocable']>)(),
    };
    const results = await runProfile(accessHashCookieV2, driver);
    expect(failures(results)).toEqual([]);
    expect(skippedIds(results)).toEqual([...RAW_CASES, 'AHC-IP-002', 'AHC-IP-003', 'AHC-IP-004', 'AHC-IP-005', 'AHC-IP-006', 'AHC-IP-007', 'AHC-IP-009'].sort());
  });
});

/** Honest servers: each makes other documented-silent choices and declares them. */
const VARIANTS: readonly { readonly name: string; readonly choices: AccessHashChoices; readonly parameters: Readonly<Record<string, string>> }[] = [
  {
    name: 'trims cookie whitespace (RFC 6265 §5.2), answers every refusal with 403 and a foreign IP with its own text',
    choices: { whitespace: 'trim', refusalStatus: 403, foreignIpReply: 'distinct' },
    parameters: { cookie_value_whitespace: 'trim', refusal_status: '403', foreign_ip_reply: 'distinct' },
  },
  {
    name: 'takes the first of two cookies, any hex case, strips double quotes, answers a foreign IP as an unknown hash',
    choices: { duplicates: 'first', hexCase: 'any', quotes: 'strip', foreignIpReply: 'same-as-invalid' },
    parameters: { duplicate_cookie: 'first', hex_case: 'any', cookie_value_quotes: 'strip', foreign_ip_reply: 'same-as-invalid' },
  },
  {
    name: 'takes the last of two cookies, answers every refusal with 401 and writes ERROR in upper case',
    choices: { duplicates: 'last', refusalStatus: 401, upperCaseStatus: true, whitespace: 'trim', quotes: 'strip' },
    parameters: { duplicate_cookie: 'last', refusal_status: '401', cookie_value_whitespace: 'trim', cookie_value_quotes: 'strip' },
  },
];

describe('access-hash-cookie@2 on honest servers that make other choices', () => {
  for (const variant of VARIANTS) {
    it(`passes a server that ${variant.name}, with its parameters declared, without wire differences`, async () => {
      const results = await runProfile(accessHashCookieV2, accessHashInProcessDriver(createAccessHashReference({ choices: variant.choices })), { parameters: variant.parameters });
      expect(failures(results)).toEqual([]);
      expect(wireDifferences(results)).toEqual([]);
    });
  }

  it('reports an undeclared choice of the document\'s silences as wire differences only, never as a security failure', async () => {
    const [trimming] = VARIANTS;
    const results = await runProfile(accessHashCookieV2, accessHashInProcessDriver(createAccessHashReference({ choices: trimming?.choices ?? {} })), { parameters: { refusal_status: 'by-kind' } });
    expect(failures(results)).toEqual([]);
    const differences = wireDifferences(results);
    expect(differences.length).toBeGreaterThan(0);
    expect(differences.join('\n')).toMatch(/AHC-FMT-002: .*accepted, but the server declared cookie_value_whitespace=reject/);
    expect(differences.join('\n')).toMatch(/AHC-COOKIE-005: .*HTTP 403, expected 401 for missing under refusal_status=by-kind/);
    expect(differences.join('\n')).toMatch(/AHC-HASH-001: .*HTTP 403, expected 401 for unknown under refusal_status=by-kind/);
    expect(results.find((result) => result.id === 'AHC-FMT-002')).toMatchObject({ status: 'passed', wire: 'differs' });
    // Statuses are not judged unless declared: under the defaults only the undeclared trimming shows.
    const undeclared = await runProfile(accessHashCookieV2, accessHashInProcessDriver(createAccessHashReference({ choices: trimming?.choices ?? {} })));
    expect(failures(undeclared)).toEqual([]);
    expect(undeclared.filter((result) => result.wire === 'differs').map((result) => result.id)).toEqual(['AHC-FMT-002']);
  });

  it('fails a server that takes the first duplicate but declares it refuses duplicates: an ambiguous pair got in', async () => {
    const results = await runProfile(accessHashCookieV2, accessHashInProcessDriver(createAccessHashReference({ choices: { duplicates: 'first' } })));
    expect(results.find((result) => result.id === 'AHC-COOKIE-003')).toMatchObject({ status: 'failed', failureKind: 'accepted' });
  });
});

interface Mutant {
  readonly name: string;
  readonly flaws: AccessHashFlaws;
  readonly choices?: AccessHashChoices;
  readonly parameters?: Readonly<Record<string, string>>;
  /** Cases that must fail as a security failure (at least these). */
  readonly caughtBy: readonly string[];
}

const MUTANTS: readonly Mutant[] = [
  { name: 'ignores the IP binding', flaws: { ignoresIpBinding: true }, caughtBy: ['AHC-IP-001', 'AHC-IP-002', 'AHC-IP-003', 'AHC-IP-008'] },
  { name: 'believes X-Forwarded-For from anyone', flaws: { trustsForwardedFor: true }, caughtBy: ['AHC-IP-008', 'AHC-IP-009'] },
  { name: 'matches IPs by prefix', flaws: { prefixIpMatch: true }, caughtBy: ['AHC-IP-003'] },
  { name: 'still accepts a deleted hash', flaws: { acceptsRevoked: true }, caughtBy: ['AHC-HASH-003', 'AHC-REVOKE-001'] },
  { name: 'caches successful lookups past a deletion', flaws: { cachesLookups: true }, caughtBy: ['AHC-REVOKE-001'] },
  { name: 'truncates values to the hash length', flaws: { truncatesLongHashes: true }, caughtBy: ['AHC-FMT-004', 'AHC-FMT-007', 'AHC-FMT-002'] },
  { name: 'URL-decodes cookie values', flaws: { decodesPercent: true }, caughtBy: ['AHC-FMT-006', 'AHC-LEAK-005'] },
  { name: 'reads the hash from a header or the query too', flaws: { readsHeaderAndQuery: true }, caughtBy: ['AHC-SRC-001', 'AHC-SRC-002'] },
  { name: 'reads the hash from the body too', flaws: { readsBody: true }, caughtBy: ['AHC-SRC-004'] },
  {
    name: 'declares the first duplicate but lets any live one in',
    flaws: { anyLiveDuplicate: true },
    choices: { duplicates: 'first' },
    parameters: { duplicate_cookie: 'first' },
    caughtBy: ['AHC-COOKIE-003', 'AHC-COOKIE-004'],
  },
  { name: 'parses cookie names qs-style into Object.prototype', flaws: { qsCookieNames: true }, caughtBy: ['AHC-PROTO-003'] },
  { name: 'answers a store failure with success', flaws: { storeFailureSucceeds: true }, caughtBy: ['AHC-STORE-001'] },
  { name: 'echoes the hash in its refusals', flaws: { echoesHash: true }, caughtBy: ['AHC-LEAK-002', 'AHC-FMT-004'] },
  { name: 'names the bound IP in the wrong-IP reply', flaws: { namesBoundIp: true }, caughtBy: ['AHC-LEAK-003'] },
  { name: 'tells a deleted hash from an unknown one', flaws: { tellsRevokedApart: true }, caughtBy: ['AHC-LEAK-001', 'AHC-HASH-003', 'AHC-REVOKE-001'] },
  { name: 'tells a malformed value holding a live hash from one holding an unknown hash', flaws: { tellsMalformedLiveApart: true }, caughtBy: ['AHC-LEAK-005'] },
  { name: 'declares a foreign IP is answered as an unknown hash but answers 403', flaws: {}, parameters: { foreign_ip_reply: 'same-as-invalid' }, caughtBy: ['AHC-IP-001', 'AHC-IP-008'] },
];

describe('access-hash-cookie@2 fails insecure servers as security failures', () => {
  it('has at least 10 mutants', () => expect(MUTANTS.length).toBeGreaterThanOrEqual(10));

  for (const mutant of MUTANTS) {
    it(`fails a server that ${mutant.name} (${mutant.caughtBy.join(', ')})`, async () => {
      const issued: string[] = [];
      const reference = createAccessHashReference({ flaws: mutant.flaws, ...(mutant.choices === undefined ? {} : { choices: mutant.choices }), onIssued: (hashes) => issued.push(...hashes) });
      const results = await runProfile(accessHashCookieV2, accessHashInProcessDriver(reference), { parameters: mutant.parameters ?? {} });
      const caught = securityFailures(results).map((result) => result.id);
      expect(caught).toEqual(expect.arrayContaining([...mutant.caughtBy]));
      for (const id of mutant.caughtBy) expect(results.find((result) => result.id === id)?.level).toBe('MUST');
      // Failure messages name hashes (<accessHash>) and never print 32 or more hex digits in a row.
      for (const result of results) {
        const message = `${result.message ?? ''} ${result.wireDifferences.join(' ')}`;
        for (const hash of issued) expect(message.toLowerCase()).not.toContain(hash.slice(0, 32));
        expect(message).not.toMatch(/[0-9a-f]{32}/i);
      }
      expect(Object.prototype).not.toHaveProperty('access_hash');
    });
  }
});

describe('accessHashInProcessDriver', () => {
  const { strategy, render, setup } = createAccessHashReference();

  it('throws a ConfigurationError naming the option that is missing or wrong', () => {
    const bare = { id: 'bare', authenticate: strategy.authenticate };
    expect(() => accessHashInProcessDriver({ render, setup } as never)).toThrow(ConfigurationError);
    expect(() => accessHashInProcessDriver({ render, setup } as never)).toThrow(/`strategy`/);
    expect(() => accessHashInProcessDriver({ strategy, render: 'no', setup } as never)).toThrow(/`render`/);
    expect(() => accessHashInProcessDriver({ strategy: bare, setup } as never)).toThrow(/`render`.*renderRefusal/);
    expect(() => accessHashInProcessDriver({ strategy: bare, render, setup } as never)).not.toThrow();
    expect(() => accessHashInProcessDriver({ strategy, render } as never)).toThrow(/`setup`/);
    expect(() => accessHashInProcessDriver({ strategy, render, setup, storeFailure: 'no' } as never)).toThrow(/`storeFailure`/);
    expect(() => accessHashInProcessDriver({ strategy, render, setup, revoke: 1 } as never)).toThrow(/`revoke`/);
    expect(() => accessHashInProcessDriver({ strategy, render, setup, toAuthRequest: 1 } as never)).toThrow(/`toAuthRequest`/);
  });

  it('answers authenticated with 200 and the success envelope, absent and rejected through render', async () => {
    const driver = accessHashInProcessDriver({ strategy, render, setup });
    const { accessHash, clientIp, foreignAccessHash } = await driver.setup();
    const url = 'http://gatehouse.test/api/v1/system/status';
    const cookie = (hash: string): RequestInit => ({ headers: { cookie: `access_hash=${hash}` } });
    expect(await driver.send(new Request(url, cookie(accessHash)), { remoteAddress: clientIp })).toEqual({ status: 200, body: { error: '', msg: {}, status: 'success' } });
    expect(await driver.send(new Request(url), { remoteAddress: clientIp })).toEqual({ status: 401, body: { error: 'Access hash required', msg: '', status: 'error' } });
    expect(await driver.send(new Request(url, cookie(foreignAccessHash)), { remoteAddress: clientIp })).toEqual({
      status: 403,
      body: { error: 'Access hash is not valid from this IP address', msg: '', status: 'error' },
    });
    // Without a remoteAddress the request comes from 192.0.2.10, which no fixture hash is bound to.
    expect((await driver.send(new Request(url, cookie(accessHash)))).status).toBe(403);
  });

  it('without render, answers with strategy.renderRefusal: the rejected outcome itself, absent() for an absent one', async () => {
    const refusals: AuthRefusal[] = [];
    const bound = rejectedCredential('ah-7', 'IP_NOT_ALLOWED');
    const driver = accessHashInProcessDriver({
      strategy: {
        id: 'recording',
        authenticate: async (request) => (request.cookie('access_hash') === null ? absent() : bound),
        renderRefusal: (refusal) => {
          refusals.push(refusal);
          return { httpStatus: refusal.type === 'absent' ? 401 : 403, headers: {}, body: { type: refusal.type } };
        },
      },
      setup,
    });
    const url = 'http://gatehouse.test/api/v1/system/status';
    expect(await driver.send(new Request(url))).toEqual({ status: 401, body: { type: 'absent' } });
    expect(await driver.send(new Request(url, { headers: { cookie: 'access_hash=x' } }))).toEqual({ status: 403, body: { type: 'rejected' } });
    expect(refusals).toEqual([{ type: 'absent' }, bound]);
  });

  it('gives the revocation case a fresh hash of setup() and deletes it with revoke()', async () => {
    const deleted: string[] = [];
    const driver = accessHashInProcessDriver({ strategy, render, setup, revoke: async (hash) => void deleted.push(hash) });
    expect(driver.capabilities).toEqual(['remote-address', 'revoke']);
    const revocable = await (driver.revocable as NonNullable<AccessHashDriver['revocable']>)();
    expect(revocable.accessHash).toMatch(/^[0-9a-f]{80}$/);
    await revocable.revoke();
    expect(deleted).toEqual([revocable.accessHash]);
  });

  it('fails a case clearly when authenticate throws, render returns no WireReply or revoke fails', async () => {
    const throwing = accessHashInProcessDriver({ strategy: withRenderer({ id: 'x', authenticate: async () => { throw new RangeError('boom'); } }), render, setup });
    const [first] = await runProfile(accessHashCookieV2, throwing);
    expect(first).toMatchObject({ status: 'failed', failureKind: 'broken', message: expect.stringMatching(/authenticate threw RangeError: boom/) });
    const badRender = accessHashInProcessDriver({ strategy, render: (() => ({ body: {} })) as never, setup });
    expect((await runProfile(accessHashCookieV2, badRender)).find((result) => result.id === 'AHC-COOKIE-005')).toMatchObject({ status: 'failed', message: expect.stringMatching(/expected a WireReply/) });
    const badRevoke = accessHashInProcessDriver({ strategy, render, setup, revoke: async (hash) => { throw new Error(`cannot delete ${hash}`); } });
    const onlyRevoke = { disable: accessHashCookieV2.cases.map((testCase) => testCase.id).filter((id) => id !== 'AHC-REVOKE-001') };
    const revoked = (await runProfile(accessHashCookieV2, badRevoke, onlyRevoke)).find((result) => result.id === 'AHC-REVOKE-001');
    expect(revoked).toMatchObject({ status: 'failed', failureKind: 'broken', message: expect.stringMatching(/deleting the hash failed: .*cannot delete <revocableHash>/) });
  });

  it('fails every case with a message naming the fixture when setup() returns bad fixtures', async () => {
    const expectAllFail = async (bad: () => Promise<AccessHashFixtures>, pattern: RegExp): Promise<void> => {
      const results = await runProfile(accessHashCookieV2, accessHashInProcessDriver({ strategy, render, setup: bad }));
      const ran = results.filter((result) => result.status !== 'skipped');
      expect(ran.length).toBe(accessHashCookieV2.cases.length - STORE_CASES.length - RAW_CASES.length - 1);
      for (const result of ran) expect(result).toMatchObject({ status: 'failed', failureKind: 'broken', message: expect.stringMatching(pattern) });
    };
    await expectAllFail(async () => ({ ...(await setup()), accessHash: 'not-a-hash' }), /fixture accessHash must be lower-case hex of 32 to 512 digits/);
    await expectAllFail(async () => {
      const fixtures = await setup();
      return { ...fixtures, accessHash: fixtures.accessHash.toUpperCase() };
    }, /fixture accessHash must be lower-case hex/);
    await expectAllFail(async () => {
      const fixtures = await setup();
      return { ...fixtures, foreignAccessHash: fixtures.accessHash };
    }, /foreignAccessHash repeats another fixture's hash/);
    await expectAllFail(async () => ({ ...(await setup()), clientIp: 'localhost' }), /fixture clientIp must be an IPv4 or IPv6 address/);
    await expectAllFail(async () => ({ ...(await setup()), foreignIp: '::ffff:203.0.113.7' }), /foreignIp must be another address than clientIp/);
    await expectAllFail(async () => ({ ...(await setup()), cookieName: 'access hash' }), /fixture cookieName must be a cookie name/);
    await expectAllFail(async () => ({ ...(await setup()), trustedProxies: undefined }) as never, /fixture trustedProxies must be 'none'/);
  });
});
