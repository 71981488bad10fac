import { absent, ConfigurationError, rejectedCredential, type AuthRefusal } from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import {
  accessHashCookieV1,
  accessHashInProcessDriver,
  profiles,
  runProfile,
  summarize,
  type AccessHashDriver,
  type AccessHashFixtures,
  type CaseResult,
} from './index.js';
import { describeConformance } from './vitest.js';
import { createAccessHashReference, type AccessHashFlaws } from './__fixtures__/access-hash-reference.js';
import { withRenderer } from './__fixtures__/refusal.js';

const REMOTE_ADDRESS_CASES = ['AHC-IP-002', 'AHC-IP-003', 'AHC-IP-004', 'AHC-IP-005', 'AHC-IP-006', 'AHC-IP-007', 'AHC-IP-009'];
const STORE_CASES = ['AHC-STORE-001', 'AHC-STORE-002', 'AHC-STORE-003'];

const failures = (results: readonly CaseResult[]): CaseResult[] => results.filter((result) => result.status === 'failed');
const skippedIds = (results: readonly CaseResult[]): string[] => results.filter((result) => result.status === 'skipped').map((result) => result.id).sort();

describe('the reference access hash server, with a failing store and revoke', () => {
  describeConformance({ profile: 'access-hash-cookie@1', ...createAccessHashReference() });
});

describe('the reference access hash server without render: its strategy renders its own refusals', () => {
  const { render: _render, ...options } = createAccessHashReference();
  describeConformance({ profile: 'access-hash-cookie@1', ...options });
});

describe('the reference access hash server given as a ready driver, with a custom cookie name and IPv6 addresses', () => {
  describeConformance({
    profile: 'access-hash-cookie@1',
    driver: accessHashInProcessDriver(createAccessHashReference({ cookieName: 'ah', clientIp: '2001:db8::7', foreignIp: '2001:db8::23' })),
  });
});

describe('access-hash-cookie@1 on the reference server', () => {
  it('has at least 30 MUST cases and some SHOULD cases, each with an AHC id, a ref and a title', () => {
    const must = accessHashCookieV1.cases.filter((testCase) => testCase.level === 'MUST');
    const should = accessHashCookieV1.cases.filter((testCase) => testCase.level === 'SHOULD');
    expect(must.length).toBeGreaterThanOrEqual(30);
    expect(should.length).toBeGreaterThanOrEqual(2);
    for (const testCase of accessHashCookieV1.cases) {
      expect(testCase.id).toMatch(/^AHC-(COOKIE|PROTO|FMT|IP|HASH|SRC|ENV|STORE|LEAK)-\d{3}$/);
      expect(testCase.ref).not.toBe('');
    }
    expect(profiles['access-hash-cookie@1']).toBe(accessHashCookieV1);
  });

  it('keeps at least 30 MUST cases for a driver that cannot choose its source address (as over HTTP)', () => {
    const overHttp = accessHashCookieV1.cases.filter(
      (testCase) => testCase.level === 'MUST' && !(testCase.requires ?? []).some((capability) => ['remote-address', 'revoke', 'store-failure'].includes(capability)),
    );
    expect(overHttp.length).toBeGreaterThanOrEqual(30);
  });

  it('passes every case, skipping none, with every capability', async () => {
    const results = await runProfile(accessHashCookieV1, accessHashInProcessDriver(createAccessHashReference()));
    expect(failures(results)).toEqual([]);
    expect(skippedIds(results)).toEqual([]);
  });

  it('passes with IPv6 addresses, skipping only the IPv4-mapped cases', async () => {
    const results = await runProfile(accessHashCookieV1, accessHashInProcessDriver(createAccessHashReference({ clientIp: '2001:db8::7', foreignIp: '2001:db8::23' })));
    expect(failures(results)).toEqual([]);
    expect(skippedIds(results)).toEqual(['AHC-IP-004', 'AHC-IP-005', 'AHC-IP-006', 'AHC-IP-007']);
    for (const result of results.filter((r) => r.status === 'skipped')) expect(result.message).toBe('requires ipv4-client');
  });

  it('passes with a client IP that is a prefix of others and a foreign IPv6 address', async () => {
    const results = await runProfile(accessHashCookieV1, accessHashInProcessDriver(createAccessHashReference({ clientIp: '10.0.0.1', foreignIp: '::1' })));
    expect(failures(results)).toEqual([]);
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
    const results = await runProfile(accessHashCookieV1, driver);
    expect(summarize(results).failed).toBe(0);
    const skipped = new Map(results.filter((result) => result.status === 'skipped').map((result) => [result.id, result.message]));
    for (const id of STORE_CASES) expect(skipped.get(id)).toBe('requires store-failure');
    expect(skipped.get('AHC-HASH-004')).toBe('requires revoke');
    expect(skipped.get('AHC-HASH-003')).toBe('requires revoked-hash');
    expect(skipped.size).toBe(STORE_CASES.length + 2);
  });

  it('skips the spoofing case from another address when the fixtures say trusted proxies are configured', async () => {
    const reference = createAccessHashReference();
    const results = await runProfile(
      accessHashCookieV1,
      accessHashInProcessDriver({ ...reference, setup: async () => ({ ...(await reference.setup()), trustedProxies: 'configured' }) }),
    );
    expect(failures(results)).toEqual([]);
    expect(skippedIds(results)).toEqual(['AHC-IP-009']);
  });

  it('runs every other case against a driver that cannot choose its source address (as an HTTP driver)', async () => {
    const reference = createAccessHashReference();
    const inner = accessHashInProcessDriver(reference);
    let clientIp = '';
    // Like a live server: the kit always arrives from one address, whatever remoteAddress a case asks for.
    const driver: AccessHashDriver = {
      capabilities: ['store-failure', 'revoke'],
      setup: async () => {
        const fixtures = await inner.setup();
        clientIp = fixtures.clientIp;
        return fixtures;
      },
      send: (request) => inner.send(request, { remoteAddress: clientIp }),
      storeFailure: async () => {
        const failing = await (inner.storeFailure as () => Promise<AccessHashDriver>)();
        return { send: (request) => failing.send(request, { remoteAddress: clientIp }) };
      },
      revoke: (hash) => (inner.revoke as (hash: string) => Promise<void>)(hash),
    };
    const results = await runProfile(accessHashCookieV1, driver);
    expect(failures(results)).toEqual([]);
    expect(skippedIds(results)).toEqual([...REMOTE_ADDRESS_CASES].sort());
    for (const result of results.filter((r) => r.status === 'skipped')) expect(result.message).toBe('requires remote-address');
  });

  it('uses the default route and cookie name unless the fixtures name others', async () => {
    const seen = new Set<string>();
    const cookies = new Set<string>();
    const reference = createAccessHashReference();
    const recording = withRenderer({
      id: 'recording',
      authenticate: (request) => {
        seen.add(request.path);
        if (request.cookieValues('access_hash').length > 0) cookies.add('access_hash');
        return reference.strategy.authenticate(request);
      },
    });
    await runProfile(accessHashCookieV1, accessHashInProcessDriver({ ...reference, strategy: recording }));
    expect([...seen]).toEqual(['/api/v1/system/status']);
    expect([...cookies]).toEqual(['access_hash']);

    const custom = createAccessHashReference({ cookieName: 'ah' });
    const paths = new Set<string>();
    const results = await runProfile(
      accessHashCookieV1,
      accessHashInProcessDriver({
        ...custom,
        strategy: withRenderer({ id: 'recording', authenticate: (request) => (paths.add(request.path), custom.strategy.authenticate(request)) }),
        setup: async () => ({ ...(await custom.setup()), resourcePath: '/api/v1/account/list' }),
      }),
    );
    expect(failures(results)).toEqual([]);
    expect([...paths]).toEqual(['/api/v1/account/list']);
  });
});

interface Mutant {
  readonly name: string;
  readonly flaws: AccessHashFlaws;
  /** MUST cases that must fail (at least these). */
  readonly caughtBy: readonly string[];
}

const mutants: readonly Mutant[] = [
  { name: 'ignores the IP binding', flaws: { ignoresIpBinding: true }, caughtBy: ['AHC-IP-001', 'AHC-IP-002', 'AHC-IP-003', 'AHC-IP-008'] },
  { name: 'accepts the first of two access_hash cookies', flaws: { firstCookieWins: true }, caughtBy: ['AHC-COOKIE-003', 'AHC-COOKIE-004'] },
  { name: 'compares IPs as raw strings (fails the ::ffff: form)', flaws: { rawIpComparison: true }, caughtBy: ['AHC-IP-004'] },
  { name: 'matches IPs by prefix', flaws: { prefixIpMatch: true }, caughtBy: ['AHC-IP-003'] },
  { name: 'believes X-Forwarded-For from anyone', flaws: { trustsForwardedFor: true }, caughtBy: ['AHC-IP-008', 'AHC-IP-009'] },
  { name: 'accepts upper-case hashes', flaws: { acceptsUpperCase: true }, caughtBy: ['AHC-FMT-003'] },
  { name: 'trims and unquotes the value', flaws: { trimsAndUnquotes: true }, caughtBy: ['AHC-FMT-001', 'AHC-FMT-002'] },
  { name: 'URL-decodes cookie values', flaws: { decodesPercent: true }, caughtBy: ['AHC-FMT-006'] },
  { name: 'truncates values to 80 characters', flaws: { truncatesLongHashes: true }, caughtBy: ['AHC-FMT-004', 'AHC-FMT-007'] },
  { name: 'reads the hash from a header or the query too', flaws: { readsHeaderAndQuery: true }, caughtBy: ['AHC-SRC-001', 'AHC-SRC-002'] },
  { name: 'reads the hash from the body too', flaws: { readsBody: true }, caughtBy: ['AHC-SRC-004'] },
  { name: 'finds the cookie by a substring search of the Cookie header', flaws: { substringCookieSearch: true }, caughtBy: ['AHC-COOKIE-003', 'AHC-COOKIE-005'] },
  { name: 'collects cookies into a plain object', flaws: { plainObjectCookies: true }, caughtBy: ['AHC-PROTO-001', 'AHC-PROTO-002'] },
  { name: 'parses cookie names qs-style into Object.prototype', flaws: { qsCookieNames: true }, caughtBy: ['AHC-PROTO-003'] },
  { name: 'answers a store failure with success', flaws: { storeFailureSucceeds: true }, caughtBy: ['AHC-STORE-001', 'AHC-STORE-002'] },
  { name: 'answers a store failure with 401', flaws: { storeFailureIsInvalid: true }, caughtBy: ['AHC-STORE-002'] },
  { name: 'returns 401 for a wrong IP', flaws: { wrongIpIs401: true }, caughtBy: ['AHC-IP-001', 'AHC-IP-002', 'AHC-IP-008'] },
  { name: 'leaks the hash in the error', flaws: { echoesHash: true }, caughtBy: ['AHC-HASH-001', 'AHC-LEAK-002'] },
  { name: 'names the bound IP in the wrong-IP reply', flaws: { namesBoundIp: true }, caughtBy: ['AHC-LEAK-003'] },
  { name: 'tells a deleted hash from an unknown one', flaws: { tellsRevokedApart: true }, caughtBy: ['AHC-LEAK-001'] },
  { name: 'caches successful lookups past a deletion', flaws: { cachesLookups: true }, caughtBy: ['AHC-HASH-004'] },
];

describe('access-hash-cookie@1 fails broken access hash servers', () => {
  it('has at least 8 mutants', () => expect(mutants.length).toBeGreaterThanOrEqual(8));

  for (const mutant of mutants) {
    it(`fails a server that ${mutant.name} (${mutant.caughtBy.join(', ')})`, async () => {
      const issued: string[] = [];
      const reference = createAccessHashReference({ flaws: mutant.flaws, onIssued: (hashes) => issued.push(...hashes) });
      const results = await runProfile(accessHashCookieV1, accessHashInProcessDriver(reference));
      const failedMust = results.filter((result) => result.status === 'failed' && result.level === 'MUST').map((result) => result.id);
      expect(failedMust).toEqual(expect.arrayContaining([...mutant.caughtBy]));
      // Failure messages name hashes (<accessHash>) and never print 32 or more hex digits in a row.
      for (const result of results) {
        const message = result.message ?? '';
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
    expect(() => accessHashInProcessDriver({ strategy, setup })).not.toThrow();
    expect(() => accessHashInProcessDriver({ strategy, render } as never)).toThrow(/`setup`/);
    expect(() => accessHashInProcessDriver({ strategy, render, setup, storeFailure: 'no' } as never)).toThrow(/`storeFailure`/);
    expect(() => accessHashInProcessDriver({ strategy, render, setup, revoke: 1 } as never)).toThrow(/`revoke`/);
    expect(() => accessHashInProcessDriver({ strategy, render, setup, toAuthRequest: 1 } as never)).toThrow(/`toAuthRequest`/);
  });

  it('answers authenticated with 200 and the success envelope, absent with render(CREDENTIALS_MISSING), rejected with render(error)', async () => {
    const driver = accessHashInProcessDriver({ strategy, render, setup });
    const { accessHash, clientIp, foreignAccessHash } = await driver.setup();
    const url = 'http://gatehouse.test/api/v1/system/status';
    const cookie = (hash: string): RequestInit => ({ headers: { cookie: `access_hash=${hash}` } });
    expect(await driver.send(new Request(url, cookie(accessHash)), { remoteAddress: clientIp })).toEqual({
      status: 200,
      body: { error: '', msg: {}, status: 'success' },
    });
    expect(await driver.send(new Request(url), { remoteAddress: clientIp })).toEqual({
      status: 401,
      body: { error: 'Access hash required', msg: '', status: 'error' },
    });
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
          return { httpStatus: refusal.type === 'absent' ? 401 : 403, headers: {}, body: { type: refusal.type, at: new Date(0) } };
        },
      },
      setup,
    });
    const url = 'http://gatehouse.test/api/v1/system/status';
    expect(await driver.send(new Request(url))).toEqual({ status: 401, body: { type: 'absent', at: '1970-01-01T00:00:00.000Z' } });
    expect(await driver.send(new Request(url, { headers: { cookie: 'access_hash=x' } }))).toEqual({
      status: 403,
      body: { type: 'rejected', at: '1970-01-01T00:00:00.000Z' },
    });
    expect(refusals).toEqual([{ type: 'absent' }, bound]);
    expect(refusals[1]).toBe(bound);
  });

  it('without render, gives the reference the replies render gives, also over the failing store', async () => {
    const reference = createAccessHashReference();
    const { render: _render, ...rest } = reference;
    const withRender = accessHashInProcessDriver(reference);
    const withoutRender = accessHashInProcessDriver(rest);
    const { accessHash, clientIp, foreignAccessHash } = await withoutRender.setup();
    const url = 'http://gatehouse.test/api/v1/system/status';
    const requests = [
      () => new Request(url),
      () => new Request(url, { headers: { cookie: 'access_hash=0123' } }),
      () => new Request(url, { headers: { cookie: `access_hash=${foreignAccessHash}` } }),
      () => new Request(url, { headers: { cookie: `access_hash=${accessHash}; access_hash=${foreignAccessHash}` } }),
    ];
    for (const request of requests) {
      expect(await withoutRender.send(request(), { remoteAddress: clientIp })).toEqual(await withRender.send(request(), { remoteAddress: clientIp }));
    }
    const keyed = (): Request => new Request(url, { headers: { cookie: `access_hash=${accessHash}` } });
    const failingWithout = await withoutRender.storeFailure?.();
    const failingWith = await withRender.storeFailure?.();
    const reply = await failingWithout?.send(keyed(), { remoteAddress: clientIp });
    expect(reply?.status).toBe(503);
    expect(reply).toEqual(await failingWith?.send(keyed(), { remoteAddress: clientIp }));
  });

  it('sees two Cookie fields as two cookies in-process (undici joins them with "; ")', async () => {
    const headers = new Headers();
    headers.append('cookie', 'access_hash=a');
    headers.append('cookie', 'access_hash=b');
    expect(headers.get('cookie')).toBe('access_hash=a; access_hash=b');
  });

  it('fails a case clearly when authenticate throws, render returns no WireReply or revoke fails', async () => {
    const throwing = accessHashInProcessDriver({ strategy: withRenderer({ id: 'x', authenticate: async () => { throw new RangeError('boom'); } }), render, setup });
    const [first] = await runProfile(accessHashCookieV1, throwing);
    expect(first).toMatchObject({ status: 'failed', message: expect.stringMatching(/authenticate threw RangeError: boom/) });
    const badRender = accessHashInProcessDriver({ strategy, render: (() => ({ body: {} })) as never, setup });
    const results = await runProfile(accessHashCookieV1, badRender);
    expect(results.find((result) => result.id === 'AHC-ENV-002')).toMatchObject({ status: 'failed', message: expect.stringMatching(/expected a WireReply/) });
    const badRefusal = accessHashInProcessDriver({ strategy: { ...strategy, renderRefusal: () => ({ body: {} }) as never }, setup });
    expect((await runProfile(accessHashCookieV1, badRefusal)).find((result) => result.id === 'AHC-ENV-002')).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/strategy\.renderRefusal\([A-Z_]+\) returned .*expected a WireReply/),
    });
    const badRevoke = accessHashInProcessDriver({
      strategy,
      render,
      setup,
      revoke: async (hash) => {
        throw new Error(`cannot delete ${hash}`);
      },
    });
    const onlyRevoke = { disable: accessHashCookieV1.cases.map((testCase) => testCase.id).filter((id) => id !== 'AHC-HASH-004') };
    const revoked = (await runProfile(accessHashCookieV1, badRevoke, onlyRevoke)).find((result) => result.id === 'AHC-HASH-004');
    expect(revoked).toMatchObject({ status: 'failed', message: expect.stringMatching(/revoke\(<accessHash>\) failed: .*cannot delete <accessHash>/) });
  });

  it('fails every case with a message naming the fixture when setup() returns bad fixtures', async () => {
    const expectAllFail = async (bad: () => Promise<AccessHashFixtures>, pattern: RegExp): Promise<void> => {
      const results = await runProfile(accessHashCookieV1, accessHashInProcessDriver({ strategy, render, setup: bad }));
      const ran = results.filter((result) => result.status !== 'skipped');
      expect(ran.length).toBe(accessHashCookieV1.cases.length - STORE_CASES.length - 1); // no storeFailure, no revoke
      for (const result of ran) expect(result).toMatchObject({ status: 'failed', message: expect.stringMatching(pattern) });
    };
    await expectAllFail(async () => ({ ...(await setup()), accessHash: 'not-a-hash' }), /fixture accessHash must be 80 lower-case hex characters/);
    await expectAllFail(async () => {
      const fixtures = await setup();
      return { ...fixtures, accessHash: fixtures.accessHash.toUpperCase() };
    }, /fixture accessHash must be 80 lower-case hex characters/);
    await expectAllFail(async () => {
      const fixtures = await setup();
      return { ...fixtures, foreignAccessHash: fixtures.accessHash };
    }, /foreignAccessHash repeats another fixture's hash/);
    await expectAllFail(async () => ({ ...(await setup()), clientIp: 'localhost' }), /fixture clientIp must be an IPv4 or IPv6 address/);
    await expectAllFail(async () => ({ ...(await setup()), foreignIp: '::ffff:203.0.113.7' }), /foreignIp must be another address than clientIp/);
    await expectAllFail(async () => ({ ...(await setup()), cookieName: 'access hash' }), /fixture cookieName must be a cookie name/);
    await expectAllFail(async () => ({ ...(await setup()), resourcePath: 'api/v1' }), /fixture resourcePath must be an absolute path/);
    await expectAllFail(async () => ({ ...(await setup()), trustedProxies: undefined }) as never, /fixture trustedProxies must be 'none'/);
  });
});

// A driver is an interface: anything that exchanges requests for replies and makes fixtures works.
describe('a hand-written driver', () => {
  const inner = accessHashInProcessDriver(createAccessHashReference());
  const driver: AccessHashDriver = {
    capabilities: ['remote-address'],
    setup: () => inner.setup(),
    send: (request, options) => inner.send(request, options),
  };
  describeConformance({ profile: 'access-hash-cookie@1', driver });
});
