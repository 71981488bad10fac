import { absent, ConfigurationError, rejectedCredential } from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import { ConformanceSkip, type ConformanceProfile } from '../../case.js';
import { withRenderer } from '../../__fixtures__/refusal.js';
import { runProfile, summarize, type CaseResult } from '../../run.js';
import { createNvxReference, parametersOf, type NvxChoices, type NvxFlaws } from './__fixtures__/reference.js';
import { nvxHashScheme, nvxHashV2, nvxInProcessDriver, NVX_PARAMETERS, type NvxFixtures, type NvxHashDriver } from './index.js';

const QUERY_ON_CASES = ['NVX-QUERY-001', 'NVX-QUERY-004', 'NVX-QUERY-005', 'NVX-QUERY-006', 'NVX-SRC-004', 'NVX-SRC-005'];
const QUERY_OFF_CASES = ['NVX-QUERY-002', 'NVX-QUERY-003'];
const RAW_CASES = ['NVX-DESYNC-001', 'NVX-DESYNC-002'];

const ids = (results: readonly CaseResult[], status: CaseResult['status']): string[] => results.filter((result) => result.status === status).map((result) => result.id).sort();
const withWireDifferences = (results: readonly CaseResult[]): Record<string, readonly string[]> =>
  Object.fromEntries(results.filter((result) => result.wire === 'differs').map((result) => [result.id, result.wireDifferences]));

async function run(options: { choices?: NvxChoices; flaws?: NvxFlaws; parameters?: Record<string, string> } = {}): Promise<{ results: CaseResult[]; issued: string[] }> {
  const issued: string[] = [];
  const reference = createNvxReference({ ...options, onIssued: (hashes) => issued.push(...hashes) });
  const results = await runProfile(nvxHashV2, nvxInProcessDriver(reference), { parameters: options.parameters ?? reference.parameters });
  return { results, issued };
}

describe('nvx-hash@2', () => {
  it('has ids, refs citing public documents, and parameters each naming the silence it fills', () => {
    expect(nvxHashScheme.profile).toBe(nvxHashV2);
    expect(nvxHashV2.id).toBe('nvx-hash@2');
    expect(new Set(nvxHashV2.cases.map((testCase) => testCase.id)).size).toBe(nvxHashV2.cases.length);
    for (const testCase of nvxHashV2.cases) {
      expect(testCase.id).toMatch(/^NVX-(HDR|HASH|BODY|QUERY|SRC|DUP|KIND|ENV|STORE|LEAK|KEYS|DESYNC)-\d{3}$/);
      expect(testCase.ref).toMatch(/Navixy|RFC|OWASP|@gatehouse\/auth-core/);
      expect(`${testCase.ref} ${testCase.title}`).not.toMatch(/seed|DESIGN|shared\//i);
      for (const name of testCase.parameters ?? []) expect(NVX_PARAMETERS.map((spec) => spec.name)).toContain(name);
    }
    for (const spec of NVX_PARAMETERS) {
      expect(spec.values).toContain(spec.default);
      expect(spec.silence).toMatch(/Navixy|RFC/);
      expect(spec.silence).not.toMatch(/seed|DESIGN|shared\//i);
    }
    expect(nvxHashScheme.fixtures.filter((one) => one.required).map((one) => one.name)).toEqual(['login', 'password', 'panel_login', 'panel_password']);
  });
});

describe('nvx-hash@2 on honest servers', () => {
  it('passes the reference under the defaults with zero wire differences; skips only the query-on and raw-connection cases', async () => {
    const { results } = await run();
    expect(results.filter((result) => result.status === 'failed')).toEqual([]);
    expect(withWireDifferences(results)).toEqual({});
    expect(ids(results, 'skipped')).toEqual([...QUERY_ON_CASES, ...RAW_CASES].sort());
    expect(results.find((result) => result.id === 'NVX-QUERY-001')?.message).toBe('declared query_hash=disabled');
  });

  it('passes the reference with query hashes on, skipping the query-off cases instead', async () => {
    const { results } = await run({ choices: { queryHash: 'enabled' } });
    expect(results.filter((result) => result.status === 'failed')).toEqual([]);
    expect(withWireDifferences(results)).toEqual({});
    expect(ids(results, 'skipped')).toEqual([...QUERY_OFF_CASES, ...RAW_CASES].sort());
  });

  const variantA: NvxChoices = { unknownHashCode: 4, wrongKindCode: 13, ambiguousCode: 5, queryRefusedCode: 3, keyRefusalCode: 7, formBody: 'ignored' };
  const variantB: NvxChoices = {
    sourceConflict: 'precedence',
    sessionHashOnUserApi: 'allowed',
    duplicateJsonKeys: 'last',
    queryHash: 'enabled',
    hexCase: 'lower',
    wrongKindCode: 3,
    upperCaseSchemeOnly: true,
  };

  it('passes variant A (code 4 for hashes that are not live, 13 for the wrong kind, 5 when ambiguous, forms ignored) as declared, with zero wire differences', async () => {
    const { results } = await run({ choices: variantA });
    expect(results.filter((result) => result.status === 'failed')).toEqual([]);
    expect(withWireDifferences(results)).toEqual({});
  });

  it('passes variant B (header precedence, session hashes allowed, last duplicate key, query on, lower-case hex) with wire differences only where it departs from RFC 9110', async () => {
    const { results } = await run({ choices: variantB });
    expect(results.filter((result) => result.status === 'failed')).toEqual([]);
    expect(Object.keys(withWireDifferences(results))).toEqual(['NVX-HDR-002']);
  });

  it('reports a server that answers every refusal with HTTP 200 and "success": false as refusing differently (wire), never as letting a request in', async () => {
    const inner = nvxInProcessDriver(createNvxReference());
    const as200 = (reply: { status: number; body: unknown }) => ((reply.body as { success?: unknown } | null)?.success === false ? { ...reply, status: 200 } : reply);
    const driver: NvxHashDriver = { ...inner, send: async (request, options) => as200(await inner.send(request, options)) };
    const results = await runProfile(nvxHashV2, driver);
    expect(results.filter((result) => result.status === 'failed')).toEqual([]);
    expect(Object.keys(withWireDifferences(results))).toEqual(expect.arrayContaining(['NVX-HASH-001', 'NVX-ENV-001', 'NVX-ENV-002', 'NVX-KIND-004']));
  });

  it('reports variant A run under the default parameters as refusing differently (wire), never as a security failure', async () => {
    const { results } = await run({ choices: variantA, parameters: { form_body: 'ignored' } });
    expect(results.filter((result) => result.status === 'failed')).toEqual([]);
    const differing = Object.keys(withWireDifferences(results));
    expect(differing).toEqual(expect.arrayContaining(['NVX-HASH-005', 'NVX-HASH-006', 'NVX-KIND-004', 'NVX-SRC-001', 'NVX-KEYS-003']));
    expect(summarize(results)).toMatchObject({ failed: 0, accepted: 0, leaked: 0 });
  });
});

interface Mutant {
  readonly name: string;
  readonly choices?: NvxChoices;
  readonly flaws: NvxFlaws;
  /** Declared parameters, when the mutant declares something other than its choices. */
  readonly parameters?: Record<string, string>;
  /** Cases that must fail as security failures (at least these). */
  readonly caughtBy: readonly string[];
}

const mutants: readonly Mutant[] = [
  { name: 'cuts long hashes to 32 characters', flaws: { truncatesLongHashes: true }, caughtBy: ['NVX-HASH-002', 'NVX-HASH-004'] },
  { name: 'still accepts a deleted API key', flaws: { acceptsRevoked: true }, caughtBy: ['NVX-HASH-006', 'NVX-KEYS-002'] },
  { name: 'keeps accepting a key it once accepted after api/key/delete', flaws: { cachesAcceptedHashes: true }, caughtBy: ['NVX-KEYS-002'] },
  { name: 'accepts a user session hash under /panel/', flaws: { userSessionOnPanel: true }, caughtBy: ['NVX-KIND-003'] },
  { name: 'accepts an API key under /panel/', flaws: { apiKeyOnPanel: true }, caughtBy: ['NVX-KIND-004'] },
  { name: 'accepts a panel hash on user routes', flaws: { panelHashEverywhere: true }, caughtBy: ['NVX-KIND-006'] },
  {
    name: 'accepts user session hashes on resource routes while declaring them refused',
    choices: { sessionHashOnUserApi: 'allowed' },
    flaws: {},
    parameters: { session_hash_on_user_api: 'refused' },
    caughtBy: ['NVX-KIND-002'],
  },
  { name: 'accepts a query hash while declaring query hashes disabled', flaws: { acceptsQueryWhenOff: true }, caughtBy: ['NVX-QUERY-002'] },
  { name: 'lets the first of two disagreeing sources win while declaring reject', flaws: { firstSourceWins: true }, caughtBy: ['NVX-SRC-001', 'NVX-SRC-002'] },
  { name: 'lets the body beat the header while declaring precedence', choices: { sourceConflict: 'precedence' }, flaws: { bodyBeatsHeader: true }, caughtBy: ['NVX-SRC-001'] },
  { name: 'checks the first of two JSON `hash` keys (declaring reject)', flaws: { firstJsonKeyWins: true }, caughtBy: ['NVX-DUP-001'] },
  { name: 'checks the first of two JSON `hash` keys (declaring last)', choices: { duplicateJsonKeys: 'last' }, flaws: { firstJsonKeyWins: true }, caughtBy: ['NVX-DUP-001'] },
  { name: 'still accepts a logged-out session', flaws: { acceptsEnded: true }, caughtBy: ['NVX-HASH-007'] },
  { name: 'answers a deleted key with code 4 and an unknown hash with code 3', flaws: { revokedOracle: true }, caughtBy: ['NVX-LEAK-001'] },
  { name: 'echoes the presented hash in its refusals', flaws: { echoesHash: true }, caughtBy: ['NVX-LEAK-002', 'NVX-HASH-005'] },
  { name: 'answers a store failure with success', flaws: { storeFailureSucceeds: true }, caughtBy: ['NVX-STORE-001'] },
  { name: 'parses form fields qs-style into Object.prototype', flaws: { pollutesPrototype: true }, caughtBy: ['NVX-BODY-004'] },
  { name: 'reads `Bearer <hash>` as NVX', flaws: { acceptsBearer: true }, caughtBy: ['NVX-HDR-007'] },
  { name: 'ignores what follows the hash in the header', flaws: { ignoresTrailingJunk: true }, caughtBy: ['NVX-HDR-006'] },
  { name: 'coerces a non-string JSON hash', flaws: { coercesBodyHash: true }, caughtBy: ['NVX-BODY-003'] },
  { name: 'lets an API key create API keys', flaws: { apiKeyCreatesKeys: true }, caughtBy: ['NVX-KEYS-003'] },
];

describe('nvx-hash@2 fails insecure NVX servers as security failures', () => {
  it('has at least 10 mutants', () => expect(mutants.length).toBeGreaterThanOrEqual(10));

  for (const mutant of mutants) {
    it(`fails a server that ${mutant.name} (${mutant.caughtBy.join(', ')})`, async () => {
      const { results, issued } = await run({ ...(mutant.choices === undefined ? {} : { choices: mutant.choices }), flaws: mutant.flaws, ...(mutant.parameters === undefined ? {} : { parameters: { ...parametersOf(mutant.choices ?? {}), ...mutant.parameters } }) });
      const security = results.filter((result) => result.status === 'failed' && (result.failureKind === 'accepted' || result.failureKind === 'leaked'));
      expect(security.map((result) => result.id)).toEqual(expect.arrayContaining([...mutant.caughtBy]));
      // Failure messages name hashes (<apiKey>), never repeat them.
      for (const result of results) {
        for (const hash of issued) expect(`${result.message ?? ''} ${result.wireDifferences.join(' ')}`.toLowerCase()).not.toContain(hash.toLowerCase());
      }
      expect(Object.prototype).not.toHaveProperty('hash');
    });
  }

  it('fails a server without the 20-key limit (NVX-KEYS-001), and deletes every key it made', async () => {
    const reference = createNvxReference({ flaws: { unlimitedKeys: true } });
    const results = await runProfile(nvxHashV2, nvxInProcessDriver(reference));
    expect(results.find((result) => result.id === 'NVX-KEYS-001')).toMatchObject({ status: 'failed', failureKind: 'broken', message: expect.stringMatching(/past 20/) });
    for (let owner = 1; owner <= nvxHashV2.cases.length; owner++) expect(reference.management.count('api-key', `user-${owner}`)).toBeLessThanOrEqual(1);
  });
});

describe('nvxInProcessDriver', () => {
  const { strategy, render, setup, routes, toAuthRequest } = createNvxReference();

  it('throws a ConfigurationError naming the option that is missing or wrong', () => {
    const bare = { id: 'bare', authenticate: strategy.authenticate };
    expect(() => nvxInProcessDriver({ render, setup } as never)).toThrow(ConfigurationError);
    expect(() => nvxInProcessDriver({ render, setup } as never)).toThrow(/`strategy`/);
    expect(() => nvxInProcessDriver({ strategy, render: 'no', setup } as never)).toThrow(/`render`/);
    expect(() => nvxInProcessDriver({ strategy: bare, setup } as never)).toThrow(/`render`.*renderRefusal/);
    expect(() => nvxInProcessDriver({ strategy, render } as never)).toThrow(/`setup`/);
    expect(() => nvxInProcessDriver({ strategy, render, setup, storeFailure: 'no' } as never)).toThrow(/`storeFailure`/);
    expect(() => nvxInProcessDriver({ strategy, render, setup, routes: 'no' } as never)).toThrow(/`routes`/);
    expect(() => nvxInProcessDriver({ strategy, render, setup, toAuthRequest: 1 } as never)).toThrow(/`toAuthRequest`/);
    expect(nvxInProcessDriver({ strategy, setup }).capabilities).toEqual([]);
    expect(nvxInProcessDriver({ strategy, setup, routes, storeFailure: async () => ({ strategy }) }).capabilities).toEqual(['store-failure', 'key-routes']);
  });

  it('answers through the routes first, then the strategy; refusals as the strategy renders them', async () => {
    const driver = nvxInProcessDriver({ strategy, setup, routes });
    const { apiKey, userSessionHash } = await driver.setup();
    const url = 'http://gatehouse.test/v2';
    expect(await driver.send(new Request(`${url}/tracker/list`, { headers: { authorization: `NVX ${apiKey}` } }))).toEqual({ status: 200, body: { success: true } });
    expect(await driver.send(new Request(`${url}/tracker/list`))).toEqual({ status: 400, body: { success: false, status: { code: 3, description: 'Wrong hash' } } });
    const listed = await driver.send(new Request(`${url}/api/key/list`, { method: 'POST', headers: { authorization: `NVX ${userSessionHash}` } }));
    expect(listed).toMatchObject({ status: 200, body: { success: true, list: [{ hash: apiKey }] } });
  });

  it('without render, answers with strategy.renderRefusal: the rejected outcome itself, absent() for an absent one', async () => {
    const bound = rejectedCredential('cred-7', 'CREDENTIALS_NOT_ACCEPTED_HERE');
    const driver = nvxInProcessDriver({
      strategy: {
        id: 'recording',
        authenticate: async (request) => (request.header('authorization') === null ? absent() : bound),
        renderRefusal: (refusal) => ({ httpStatus: refusal.type === 'absent' ? 400 : 403, headers: {}, body: { type: refusal.type } }),
      },
      setup,
    });
    expect(await driver.send(new Request('http://gatehouse.test/v2/tracker/list'))).toEqual({ status: 400, body: { type: 'absent' } });
    expect(await driver.send(new Request('http://gatehouse.test/v2/tracker/list', { headers: { authorization: 'NVX 0' } }))).toEqual({ status: 403, body: { type: 'rejected' } });
  });

  it('fails every case naming the fixture when setup() returns a bad one, never repeating a hash', async () => {
    const bad = async (): Promise<NvxFixtures> => ({ ...(await setup()), apiKey: 'not-a-hash' });
    const results = await runProfile(nvxHashV2, nvxInProcessDriver({ strategy, render, setup: bad }));
    const ran = results.filter((result) => result.status !== 'skipped');
    expect(ran.length).toBeGreaterThan(40);
    expect(ran.every((result) => result.status === 'failed' && result.failureKind === 'broken' && /fixture apiKey must be 32 hex characters/.test(result.message ?? ''))).toBe(true);
    const noPanel = async (): Promise<NvxFixtures> => ({ ...(await setup()), panelResourcePath: '/v2/admin/list' });
    const [first] = await runProfile(nvxHashV2, nvxInProcessDriver({ strategy, render, setup: noPanel }));
    expect(first?.message).toMatch(/panelResourcePath must contain \/panel\//);
  });

  it('skips the store-failure, key-routes, sub-user and ended-session cases when the driver and fixtures lack them', async () => {
    const driver = nvxInProcessDriver({
      strategy,
      render,
      toAuthRequest,
      async setup() {
        const { subUserSessionHash: _sub, endedSessionHash: _ended, ...fixtures } = await setup();
        return fixtures;
      },
    });
    const results = await runProfile(nvxHashV2, driver);
    expect(summarize(results).failed).toBe(0);
    const skipped = new Map(results.filter((result) => result.status === 'skipped').map((result) => [result.id, result.message]));
    expect(skipped.get('NVX-STORE-001')).toBe('requires store-failure');
    expect(skipped.get('NVX-KEYS-001')).toBe('requires key-routes');
    expect(skipped.get('NVX-KIND-007')).toBe('requires sub-user');
    expect(skipped.get('NVX-HASH-007')).toBe('requires ended-session');
  });
});

describe('nvxInProcessDriver, as cases use it', () => {
  it('uses the default routes unless the fixtures name others', async () => {
    const seen = new Set<string>();
    const reference = createNvxReference();
    const recording = withRenderer(
      {
        id: 'recording',
        authenticate: (request) => {
          seen.add(request.path);
          return reference.strategy.authenticate(request);
        },
      },
      reference.render,
    );
    const { routes: _routes, ...rest } = reference;
    await runProfile(nvxHashV2, nvxInProcessDriver({ ...rest, strategy: recording }), { disable: ['NVX-KIND-008'] });
    expect([...seen].sort()).toEqual(['/v2/api/key/list', '/v2/panel/tariff/list', '/v2/tracker/list']);
    seen.clear();
    const elsewhere = async (): Promise<NvxFixtures> => ({ ...(await reference.setup()), resourcePath: '/v2/tracker/read', panelResourcePath: '/v2/panel/account/list', apiBasePath: '/v2' });
    await runProfile(nvxHashV2, nvxInProcessDriver({ ...rest, strategy: recording, setup: elsewhere }), { disable: ['NVX-KIND-008'] });
    expect([...seen].sort()).toEqual(['/v2/api/key/list', '/v2/panel/account/list', '/v2/tracker/read']);
  });

  it('fails a case clearly (broken) when authenticate throws or render returns no WireReply', async () => {
    const { setup, render, strategy } = createNvxReference();
    const throwing = nvxInProcessDriver({ strategy: withRenderer({ id: 'x', authenticate: async () => { throw new RangeError('boom'); } }), render, setup });
    const [first] = await runProfile(nvxHashV2, throwing);
    expect(first).toMatchObject({ status: 'failed', failureKind: 'broken', message: expect.stringMatching(/authenticate threw RangeError: boom/) });
    const badRender = nvxInProcessDriver({ strategy, render: (() => ({ body: {} })) as never, setup });
    const results = await runProfile(nvxHashV2, badRender);
    expect(results.find((result) => result.id === 'NVX-HASH-001')).toMatchObject({ status: 'failed', failureKind: 'broken', message: expect.stringMatching(/expected a WireReply/) });
  });

  it('runs a hand-written driver: a driver is an interface', async () => {
    const inner = nvxInProcessDriver(createNvxReference());
    const driver: NvxHashDriver = { capabilities: [], setup: () => inner.setup(), send: (request) => inner.send(request) };
    const results = await runProfile(nvxHashV2, driver);
    expect(summarize(results)).toMatchObject({ failed: 0, wireDifferences: 0 });
  });
});

// Moved from the nvx-hash@2 tests: a case that skips itself at run time.
describe('ConformanceSkip', () => {
  const profile: ConformanceProfile<null> = {
    id: 'skip@1',
    title: 'Skip',
    cases: [{ id: 'SK-RUN-001', level: 'MUST', ref: 'test', title: 'skips itself', run: async () => { throw new ConformanceSkip('requires magic'); } }],
  };

  it('turns a case into a skipped result carrying its message, in runProfile', async () => {
    const [result] = await runProfile(profile, null);
    expect(result).toMatchObject({ status: 'skipped', message: 'requires magic', failureKind: null, wire: 'not-checked' });
  });

  it('is recognised by name across two copies of the kit', async () => {
    const foreign = new Error('requires other magic');
    foreign.name = 'ConformanceSkip';
    const [result] = await runProfile({ ...profile, cases: [{ ...profile.cases[0]!, run: async () => { throw foreign; } }] }, null);
    expect(result).toMatchObject({ status: 'skipped', message: 'requires other magic' });
  });
});
