import { absent, ConfigurationError, rejectedCredential, type AuthRefusal, type AuthStrategy } from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import {
  ConformanceSkip,
  nvxHashV1,
  nvxInProcessDriver,
  profiles,
  runProfile,
  summarize,
  type ConformanceProfile,
  type NvxFixtures,
  type NvxHashDriver,
} from './index.js';
import { describeConformance } from './vitest.js';
import { createNvxReference, type NvxFlaws } from './__fixtures__/nvx-reference.js';
import { withRenderer } from './__fixtures__/refusal.js';

const QUERY_HASH_CASES = ['NVX-QUERY-001', 'NVX-QUERY-004', 'NVX-QUERY-005', 'NVX-QUERY-006', 'NVX-SRC-004', 'NVX-SRC-005'];
const QUERY_REFUSED_CASES = ['NVX-QUERY-002', 'NVX-QUERY-003'];

describe('the reference NVX server, query hashes off, with a failing store', () => {
  describeConformance({ profile: 'nvx-hash@1', ...createNvxReference({ queryHash: 'disabled' }) });
});

describe('the reference NVX server, query hashes on', () => {
  describeConformance({ profile: 'nvx-hash@1', ...createNvxReference({ queryHash: 'enabled' }) });
});

describe('the reference NVX server without render: its strategy renders its own refusals', () => {
  const { render: _render, ...options } = createNvxReference({ queryHash: 'disabled' });
  describeConformance({ profile: 'nvx-hash@1', ...options });
});

describe('the reference NVX server given as a ready driver', () => {
  describeConformance({ profile: 'nvx-hash@1', driver: nvxInProcessDriver(createNvxReference({ queryHash: 'enabled' })) });
});

describe('nvx-hash@1 on the reference server', () => {
  it('has at least 30 MUST cases and some SHOULD cases, each with an NVX id, a ref and a title', () => {
    const must = nvxHashV1.cases.filter((testCase) => testCase.level === 'MUST');
    const should = nvxHashV1.cases.filter((testCase) => testCase.level === 'SHOULD');
    expect(must.length).toBeGreaterThanOrEqual(30);
    expect(should.length).toBeGreaterThanOrEqual(2);
    for (const testCase of nvxHashV1.cases) {
      expect(testCase.id).toMatch(/^NVX-(HDR|HASH|BODY|QUERY|SRC|KIND|ENV|STORE|LEAK)-\d{3}$/);
      expect(testCase.ref).not.toBe('');
    }
    expect(profiles['nvx-hash@1']).toBe(nvxHashV1);
  });

  it('passes every case, skipping only the query-hash cases when query hashes are off', async () => {
    const results = await runProfile(nvxHashV1, nvxInProcessDriver(createNvxReference({ queryHash: 'disabled' })));
    expect(results.filter((result) => result.status === 'failed')).toEqual([]);
    const skipped = results.filter((result) => result.status === 'skipped');
    expect(skipped.map((result) => result.id).sort()).toEqual([...QUERY_HASH_CASES].sort());
    for (const result of skipped) expect(result.message).toBe('requires query-hash');
  });

  it('passes every case, skipping only the query-refused cases when query hashes are on', async () => {
    const results = await runProfile(nvxHashV1, nvxInProcessDriver(createNvxReference({ queryHash: 'enabled' })));
    expect(results.filter((result) => result.status === 'failed')).toEqual([]);
    expect(results.filter((result) => result.status === 'skipped').map((result) => result.id).sort()).toEqual([...QUERY_REFUSED_CASES].sort());
  });

  it('skips the store-failure, sub-user and ended-session cases when the driver and fixtures lack them', async () => {
    const { storeFailure: _unused, setup, ...rest } = createNvxReference({ queryHash: 'disabled' });
    const driver = nvxInProcessDriver({
      ...rest,
      async setup() {
        const { subUserSessionHash: _sub, endedSessionHash: _ended, ...fixtures } = await setup();
        return fixtures;
      },
    });
    expect(driver.capabilities).toEqual([]);
    const results = await runProfile(nvxHashV1, driver);
    expect(summarize(results).failed).toBe(0);
    const skipped = new Map(results.filter((result) => result.status === 'skipped').map((result) => [result.id, result.message]));
    expect(skipped.get('NVX-STORE-001')).toBe('requires store-failure');
    expect(skipped.get('NVX-STORE-002')).toBe('requires store-failure');
    expect(skipped.get('NVX-KIND-007')).toBe('requires sub-user');
    expect(skipped.get('NVX-HASH-007')).toBe('requires ended-session');
  });

  it('uses the default routes unless the fixtures name others', async () => {
    const seen = new Set<string>();
    const reference = createNvxReference({ queryHash: 'disabled' });
    const recording = withRenderer({
      id: 'recording',
      authenticate: (request) => {
        seen.add(request.path);
        return reference.strategy.authenticate(request);
      },
    });
    await runProfile(nvxHashV1, nvxInProcessDriver({ ...reference, strategy: recording }), { disable: ['NVX-KIND-008'] });
    expect([...seen].sort()).toEqual(['/v2/api/key/list', '/v2/panel/tariff/list', '/v2/tracker/list']);
  });
});

interface Mutant {
  readonly name: string;
  readonly flaws: NvxFlaws;
  readonly queryHash: 'enabled' | 'disabled';
  /** MUST cases that must fail (at least these). */
  readonly caughtBy: readonly string[];
}

const mutants: readonly Mutant[] = [
  { name: 'accepts a query hash while its fixtures say query hashes are off', flaws: { acceptsQueryWhenOff: true }, queryHash: 'disabled', caughtBy: ['NVX-QUERY-002'] },
  { name: 'accepts a user session hash under /panel/', flaws: { userSessionOnPanel: true }, queryHash: 'disabled', caughtBy: ['NVX-KIND-003'] },
  { name: 'accepts an API key under /panel/', flaws: { apiKeyOnPanel: true }, queryHash: 'disabled', caughtBy: ['NVX-KIND-004', 'NVX-ENV-002'] },
  { name: 'accepts a panel hash on user routes', flaws: { panelHashEverywhere: true }, queryHash: 'disabled', caughtBy: ['NVX-KIND-006'] },
  { name: 'accepts a user session hash on every user route', flaws: { userSessionEverywhere: true }, queryHash: 'disabled', caughtBy: ['NVX-KIND-002'] },
  {
    name: 'lets the first of two disagreeing sources win',
    flaws: { firstSourceWins: true },
    queryHash: 'enabled',
    caughtBy: ['NVX-SRC-001', 'NVX-SRC-002', 'NVX-SRC-003', 'NVX-SRC-004', 'NVX-SRC-006'],
  },
  { name: 'answers a store failure with success', flaws: { storeFailureSucceeds: true }, queryHash: 'disabled', caughtBy: ['NVX-STORE-001', 'NVX-STORE-002'] },
  { name: 'answers a store failure with "Wrong hash"', flaws: { storeFailureIsWrongHash: true }, queryHash: 'disabled', caughtBy: ['NVX-STORE-002'] },
  { name: 'recognises the scheme only in upper case', flaws: { caseSensitiveScheme: true }, queryHash: 'disabled', caughtBy: ['NVX-HDR-002'] },
  { name: 'truncates long hashes to 32 characters', flaws: { truncatesLongHashes: true }, queryHash: 'disabled', caughtBy: ['NVX-HASH-002', 'NVX-HASH-004'] },
  { name: 'answers unknown hashes with code 4 (telling them apart)', flaws: { code4ForUnknown: true }, queryHash: 'disabled', caughtBy: ['NVX-HASH-005', 'NVX-LEAK-001'] },
  { name: 'requires exactly one space after the scheme', flaws: { strictWhitespace: true }, queryHash: 'disabled', caughtBy: ['NVX-HDR-004'] },
  { name: 'ignores what follows the hash in the header', flaws: { ignoresTrailingJunk: true }, queryHash: 'disabled', caughtBy: ['NVX-HDR-006', 'NVX-HDR-009'] },
  { name: 'treats Bearer as NVX', flaws: { acceptsBearer: true }, queryHash: 'disabled', caughtBy: ['NVX-HDR-007'] },
  { name: 'coerces a non-string JSON hash and ignores null', flaws: { coercesBodyHash: true }, queryHash: 'disabled', caughtBy: ['NVX-BODY-003'] },
  { name: 'parses form fields qs-style into Object.prototype', flaws: { pollutesPrototype: true }, queryHash: 'disabled', caughtBy: ['NVX-BODY-004'] },
  { name: 'echoes the presented hash in failure replies', flaws: { echoesHash: true }, queryHash: 'disabled', caughtBy: ['NVX-HASH-005', 'NVX-LEAK-002'] },
  { name: 'ignores urlencoded bodies', flaws: { ignoresFormBody: true }, queryHash: 'disabled', caughtBy: ['NVX-BODY-002', 'NVX-SRC-002'] },
  { name: 'describes code 3 in its own words', flaws: { customDescription: true }, queryHash: 'disabled', caughtBy: ['NVX-HASH-001', 'NVX-ENV-001'] },
  { name: 'reads bodies without a sensible size cap', flaws: { uncappedBody: true }, queryHash: 'disabled', caughtBy: ['NVX-BODY-006'] },
];

describe('nvx-hash@1 fails broken NVX servers', () => {
  it('has at least 8 mutants', () => expect(mutants.length).toBeGreaterThanOrEqual(8));

  for (const mutant of mutants) {
    it(`fails a server that ${mutant.name} (${mutant.caughtBy.join(', ')})`, async () => {
      const issued: string[] = [];
      const reference = createNvxReference({ queryHash: mutant.queryHash, flaws: mutant.flaws, onIssued: (hashes) => issued.push(...hashes) });
      const results = await runProfile(nvxHashV1, nvxInProcessDriver(reference));
      const failedMust = results.filter((result) => result.status === 'failed' && result.level === 'MUST').map((result) => result.id);
      expect(failedMust).toEqual(expect.arrayContaining([...mutant.caughtBy]));
      // Failure messages name hashes (<apiKey>), never repeat them.
      for (const result of results) for (const hash of issued) expect((result.message ?? '').toLowerCase()).not.toContain(hash.toLowerCase());
      expect(Object.prototype).not.toHaveProperty('hash');
    });
  }
});

describe('nvxInProcessDriver', () => {
  const { strategy, render, setup } = createNvxReference({ queryHash: 'disabled' });

  it('throws a ConfigurationError naming the option that is missing or wrong', () => {
    const bare = { id: 'bare', authenticate: strategy.authenticate };
    expect(() => nvxInProcessDriver({ render, setup } as never)).toThrow(ConfigurationError);
    expect(() => nvxInProcessDriver({ render, setup } as never)).toThrow(/`strategy`/);
    expect(() => nvxInProcessDriver({ strategy, render: 'no', setup } as never)).toThrow(/`render`/);
    expect(() => nvxInProcessDriver({ strategy: bare, setup } as never)).toThrow(/`render`.*renderRefusal/);
    expect(() => nvxInProcessDriver({ strategy: bare, render, setup } as never)).not.toThrow();
    expect(() => nvxInProcessDriver({ strategy, setup })).not.toThrow();
    expect(() => nvxInProcessDriver({ strategy, render } as never)).toThrow(/`setup`/);
    expect(() => nvxInProcessDriver({ strategy, render, setup, storeFailure: 'no' } as never)).toThrow(/`storeFailure`/);
    expect(() => nvxInProcessDriver({ strategy, render, setup, toAuthRequest: 1 } as never)).toThrow(/`toAuthRequest`/);
  });

  it('answers authenticated with 200 {"success":true}, absent with render(CREDENTIALS_MISSING), rejected with render(error)', async () => {
    const driver = nvxInProcessDriver({ strategy, render, setup });
    const { apiKey } = await driver.setup();
    const url = 'http://gatehouse.test/v2/tracker/list';
    expect(await driver.send(new Request(url, { headers: { authorization: `NVX ${apiKey}` } }))).toEqual({ status: 200, body: { success: true } });
    expect(await driver.send(new Request(url))).toEqual({ status: 400, body: { success: false, status: { code: 3, description: 'Wrong hash' } } });
    expect(await driver.send(new Request('http://gatehouse.test/v2/panel/tariff/list', { headers: { authorization: `NVX ${apiKey}` } }))).toEqual({
      status: 403,
      body: { success: false, status: { code: 11, description: 'Access denied' } },
    });
  });

  it('without render, answers with strategy.renderRefusal: the rejected outcome itself, absent() for an absent one', async () => {
    const refusals: AuthRefusal[] = [];
    const bound = rejectedCredential('cred-7', 'CREDENTIALS_NOT_ACCEPTED_HERE');
    const driver = nvxInProcessDriver({
      strategy: {
        id: 'recording',
        authenticate: async (request) => (request.header('authorization') === null ? absent() : bound),
        renderRefusal: (refusal) => {
          refusals.push(refusal);
          return { httpStatus: refusal.type === 'absent' ? 400 : 403, headers: {}, body: { type: refusal.type, at: new Date(0) } };
        },
      },
      setup,
    });
    const url = 'http://gatehouse.test/v2/tracker/list';
    expect(await driver.send(new Request(url))).toEqual({ status: 400, body: { type: 'absent', at: '1970-01-01T00:00:00.000Z' } });
    expect(await driver.send(new Request(url, { headers: { authorization: 'NVX 0' } }))).toEqual({ status: 403, body: { type: 'rejected', at: '1970-01-01T00:00:00.000Z' } });
    expect(refusals).toEqual([{ type: 'absent' }, bound]);
    expect(refusals[1]).toBe(bound);
  });

  it('without render, gives the reference the replies render gives', async () => {
    const reference = createNvxReference({ queryHash: 'disabled' });
    const { render: _render, ...rest } = reference;
    const withRender = nvxInProcessDriver(reference);
    const withoutRender = nvxInProcessDriver(rest);
    const { apiKey, panelSessionHash } = await withRender.setup();
    const requests = [
      () => new Request('http://gatehouse.test/v2/tracker/list'),
      () => new Request('http://gatehouse.test/v2/tracker/list', { headers: { authorization: 'NVX 0123' } }),
      () => new Request('http://gatehouse.test/v2/tracker/list', { headers: { authorization: `NVX ${panelSessionHash}` } }),
      () => new Request('http://gatehouse.test/v2/panel/tariff/list', { headers: { authorization: `NVX ${apiKey}` } }),
    ];
    for (const request of requests) expect(await withoutRender.send(request())).toEqual(await withRender.send(request()));
    const keyed = (): Request => new Request('http://gatehouse.test/v2/tracker/list', { headers: { authorization: `NVX ${apiKey}` } });
    const failingWithout = await withoutRender.storeFailure?.();
    const failingWith = await withRender.storeFailure?.();
    const reply = await failingWithout?.send(keyed());
    expect(reply).toMatchObject({ status: 503, body: { success: false, status: { code: 14 } } });
    expect(reply).toEqual(await failingWith?.send(keyed()));
  });

  it('fails a case clearly when authenticate throws or render returns no WireReply', async () => {
    const throwing = nvxInProcessDriver({ strategy: withRenderer({ id: 'x', authenticate: async () => { throw new RangeError('boom'); } }), render, setup });
    const [first] = await runProfile(nvxHashV1, throwing);
    expect(first).toMatchObject({ status: 'failed', message: expect.stringMatching(/authenticate threw RangeError: boom/) });
    const badRender = nvxInProcessDriver({ strategy, render: (() => ({ body: {} })) as never, setup });
    const results = await runProfile(nvxHashV1, badRender);
    expect(results.find((result) => result.id === 'NVX-HASH-001')).toMatchObject({ status: 'failed', message: expect.stringMatching(/expected a WireReply/) });
    const badRefusal = nvxInProcessDriver({ strategy: { ...strategy, renderRefusal: () => ({ body: {} }) as never }, setup });
    const refusalResults = await runProfile(nvxHashV1, badRefusal);
    expect(refusalResults.find((result) => result.id === 'NVX-HASH-001')).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/strategy\.renderRefusal\(CREDENTIALS_MISSING\) returned .*expected a WireReply/),
    });
    const throwingRefusal = nvxInProcessDriver({ strategy: { ...strategy, renderRefusal: () => { throw new TypeError('no envelope'); } }, setup });
    expect((await runProfile(nvxHashV1, throwingRefusal)).find((result) => result.id === 'NVX-HASH-001')).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/strategy\.renderRefusal\(CREDENTIALS_MISSING\) threw TypeError: no envelope/),
    });
  });

  it('fails every case with a message naming the fixture when setup() returns bad fixtures', async () => {
    const bad = async (): Promise<NvxFixtures> => ({ ...(await setup()), apiKey: 'not-a-hash' });
    const results = await runProfile(nvxHashV1, nvxInProcessDriver({ strategy, render, setup: bad }));
    const ran = results.filter((result) => result.status !== 'skipped');
    expect(ran.length).toBe(nvxHashV1.cases.length - 2); // the two store-failure cases are skipped: no storeFailure
    expect(ran.every((result) => result.status === 'failed' && /fixture apiKey must be 32 hex characters/.test(result.message ?? ''))).toBe(true);
    const repeated = async (): Promise<NvxFixtures> => {
      const fixtures = await setup();
      return { ...fixtures, panelSessionHash: fixtures.apiKey.toUpperCase() };
    };
    const [result] = await runProfile(nvxHashV1, nvxInProcessDriver({ strategy, render, setup: repeated }));
    expect(result?.message).toMatch(/panelSessionHash repeats another fixture's hash/);
    const noPanel = async (): Promise<NvxFixtures> => ({ ...(await setup()), panelResourcePath: '/v2/admin/list' });
    const [panelResult] = await runProfile(nvxHashV1, nvxInProcessDriver({ strategy, render, setup: noPanel }));
    expect(panelResult?.message).toMatch(/panelResourcePath must contain \/panel\//);
  });
});

describe('ConformanceSkip', () => {
  const profile: ConformanceProfile<null> = {
    id: 'skip@1',
    title: 'Skip',
    cases: [{ id: 'SK-RUN-001', level: 'MUST', ref: 'test', title: 'skips itself', run: async () => { throw new ConformanceSkip('requires magic'); } }],
  };

  it('turns a case into a skipped result carrying its message, in runProfile', async () => {
    const [result] = await runProfile(profile, null);
    expect(result).toMatchObject({ status: 'skipped', message: 'requires magic' });
  });

  it('is recognised by name across two copies of the kit', async () => {
    const foreign = new Error('requires other magic');
    foreign.name = 'ConformanceSkip';
    const [result] = await runProfile({ ...profile, cases: [{ ...profile.cases[0]!, run: async () => { throw foreign; } }] }, null);
    expect(result).toMatchObject({ status: 'skipped', message: 'requires other magic' });
  });
});

// A driver is an interface: anything that exchanges requests for replies and makes fixtures works.
describe('a hand-written driver', () => {
  const reference = createNvxReference({ queryHash: 'enabled' });
  const inner = nvxInProcessDriver(reference);
  const driver: NvxHashDriver = { capabilities: [], setup: () => inner.setup(), send: (request) => inner.send(request) };
  describeConformance({ profile: 'nvx-hash@1', driver });
});
