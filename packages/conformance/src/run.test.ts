import { absent, ConfigurationError, createMemoryCredentialStore } from '@gatehouse/auth-core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ConformanceFailure,
  formatSummary,
  profiles,
  resolveParameters,
  runProfile,
  schemes,
  strategyContractV1,
  summarize,
  type ConformanceProfile,
  type CredentialStoreDriver,
  type DriverOf,
  type StrategyContractDriver,
} from './index.js';
import { withRenderer } from './__fixtures__/refusal.js';

interface ToyDriver {
  readonly value: number;
  readonly extra?: () => void;
}

const toy: ConformanceProfile<ToyDriver> = {
  id: 'toy@1',
  title: 'Toy profile',
  cases: [
    { id: 'TOY-001', level: 'MUST', ref: 'test', title: 'value is positive', run: async ({ value }) => {
      if (value <= 0) throw new ConformanceFailure(`value is ${value}`);
    } },
    { id: 'TOY-002', level: 'SHOULD', ref: 'test', title: 'value is even', run: async ({ value }) => {
      if (value % 2 !== 0) throw new ConformanceFailure(`value ${value} is odd`);
    } },
    { id: 'TOY-003', level: 'MUST', ref: 'test', title: 'extra works', requires: ['extra'], run: async ({ extra }) => extra?.() },
    { id: 'TOY-004', level: 'MUST', ref: 'test', title: 'does not crash', run: async ({ value }) => {
      if (value === 13) throw new RangeError('unlucky');
    } },
  ],
  capabilitiesOf: (driver) => (driver.extra === undefined ? [] : ['extra']),
};

describe('runProfile', () => {
  it('reports each case in profile order as passed, failed (with the failure message) or skipped', async () => {
    const results = await runProfile(toy, { value: 3 });
    expect(results.map(({ id, level, title, status, message }) => ({ id, level, title, status, message }))).toEqual([
      { id: 'TOY-001', level: 'MUST', title: 'value is positive', status: 'passed', message: null },
      { id: 'TOY-002', level: 'SHOULD', title: 'value is even', status: 'failed', message: 'value 3 is odd' },
      { id: 'TOY-003', level: 'MUST', title: 'extra works', status: 'skipped', message: 'requires extra' },
      { id: 'TOY-004', level: 'MUST', title: 'does not crash', status: 'passed', message: null },
    ]);
    for (const result of results) expect(result.durationInMilliseconds).toBeGreaterThanOrEqual(0);
  });

  it('hands each result to onResult as soon as its case is done, in profile order', async () => {
    const seen: string[] = [];
    const results = await runProfile(toy, { value: 3 }, {
      disable: ['TOY-004'],
      onResult: (result) => seen.push(`${result.id}:${result.status}`),
    });
    expect(seen).toEqual(['TOY-001:passed', 'TOY-002:failed', 'TOY-003:skipped', 'TOY-004:skipped']);
    expect(results.map((result) => `${result.id}:${result.status}`)).toEqual(seen);
  });

  it('skips disabled cases with the message "disabled"', async () => {
    const results = await runProfile(toy, { value: 3 }, { disable: ['TOY-002'] });
    expect(results[1]).toMatchObject({ id: 'TOY-002', status: 'skipped', message: 'disabled', durationInMilliseconds: 0 });
  });

  it('throws a ConfigurationError naming `disable` for a case id the profile does not have', async () => {
    await expect(runProfile(toy, { value: 2 }, { disable: ['TOY-999'] })).rejects.toThrow(ConfigurationError);
    await expect(runProfile(toy, { value: 2 }, { disable: ['TOY-999'] })).rejects.toThrow(/`disable`.*TOY-999/);
  });

  it('derives capabilities from the driver through the profile, and explicit capabilities replace them', async () => {
    const derived = await runProfile(toy, { value: 2, extra: () => undefined });
    expect(derived.find((result) => result.id === 'TOY-003')?.status).toBe('passed');
    const narrowed = await runProfile(toy, { value: 2, extra: () => undefined }, { capabilities: [] });
    expect(narrowed.find((result) => result.id === 'TOY-003')?.status).toBe('skipped');
  });

  it('fails a case that throws an unexpected error, naming the error', async () => {
    const results = await runProfile(toy, { value: 13 });
    expect(results.find((result) => result.id === 'TOY-004')).toMatchObject({ status: 'failed', message: 'unexpected RangeError: unlucky' });
  });

  it('fails a case that never settles after timeoutInMilliseconds', async () => {
    const hanging: ConformanceProfile<null> = {
      id: 'hang@1',
      title: 'Hanging',
      cases: [{ id: 'HANG-001', level: 'MUST', ref: 'test', title: 'hangs', run: () => new Promise<void>(() => undefined) }],
    };
    const [result] = await runProfile(hanging, null, { timeoutInMilliseconds: 20 });
    expect(result).toMatchObject({ status: 'failed', message: 'did not finish within 20 ms' });
  });

  it('strategy-contract@1 skips the cases needing credentialed or events when the driver lacks them', async () => {
    expect(strategyContractV1.capabilitiesOf?.({ strategy: withRenderer({ id: 'x', authenticate: async () => absent() }) })).toEqual([]);
    expect(
      strategyContractV1.capabilitiesOf?.({
        strategy: withRenderer({ id: 'x', authenticate: async () => absent() }),
        credentialed: async () => ({ request: new Request('http://x/'), secrets: [] }),
        events: () => [],
      }),
    ).toEqual(['credentialed', 'events']);
  });
});

describe('summarize and formatSummary', () => {
  it('count results by status and kind, and render "N passed, N failed, N skipped; N with wire differences"', async () => {
    const results = await runProfile(toy, { value: 3 });
    expect(summarize(results)).toEqual({ passed: 2, failed: 1, skipped: 1, accepted: 0, leaked: 0, wireDifferences: 0 });
    expect(formatSummary(summarize(results))).toBe('2 passed, 1 failed, 1 skipped; 0 with wire differences');
    expect(formatSummary(results)).toBe('2 passed, 1 failed, 1 skipped; 0 with wire differences');
    expect(formatSummary({ passed: 0, failed: 2, skipped: 0, accepted: 1, leaked: 1, wireDifferences: 3 })).toBe('0 passed, 2 failed (1 accepted a bad credential, 1 leaked), 0 skipped; 3 with wire differences');
  });
});

describe('security verdicts, wire differences and parameters', () => {
  const verdicts: ConformanceProfile<{ readonly status: number }> = {
    id: 'verdicts@1',
    title: 'Verdicts',
    parameters: [{ name: 'refusal_status', values: ['401', '403'], default: '401', description: 'the status of a refusal', silence: 'RFC 9110 leaves it open' }],
    cases: [
      { id: 'VER-KEY-001', level: 'MUST', ref: 'test', title: 'a forged key is never accepted', run: async ({ status }, context) => {
        context.wire(String(status) === context.parameters['refusal_status'], () => `HTTP ${status}, declared ${context.parameters['refusal_status'] ?? ''}`);
        if (status === 200) throw new ConformanceFailure('a forged key was accepted: HTTP 200', { kind: 'accepted' });
      } },
      { id: 'VER-KEY-002', level: 'MUST', ref: 'test', title: 'no wire check', run: async () => undefined },
      { id: 'VER-KEY-003', level: 'MUST', ref: 'test', title: 'fails after a wire difference', run: async (_driver, context) => {
        context.wire(false, 'first difference');
        context.wire(false, 'second difference');
        throw Object.assign(new Error('echoed the key'), { name: 'ConformanceFailure', kind: 'leaked' });
      } },
    ],
  };

  it('records wire differences without failing the case, and each failure\'s kind (also from another copy of the kit)', async () => {
    const results = await runProfile(verdicts, { status: 403 });
    expect(results.map(({ id, status, failureKind, wire, wireDifferences, message }) => ({ id, status, failureKind, wire, wireDifferences, message }))).toEqual([
      { id: 'VER-KEY-001', status: 'passed', failureKind: null, wire: 'differs', wireDifferences: ['HTTP 403, declared 401'], message: null },
      { id: 'VER-KEY-002', status: 'passed', failureKind: null, wire: 'not-checked', wireDifferences: [], message: null },
      { id: 'VER-KEY-003', status: 'failed', failureKind: 'leaked', wire: 'differs', wireDifferences: ['first difference', 'second difference'], message: 'echoed the key' },
    ]);
    const accepted = await runProfile(verdicts, { status: 200 }, { parameters: { refusal_status: '403' } });
    expect(accepted[0]).toMatchObject({ status: 'failed', failureKind: 'accepted', wire: 'differs' });
    expect(summarize(accepted)).toMatchObject({ failed: 2, accepted: 1, leaked: 1, wireDifferences: 2 });
  });

  it('gives the cases the declared parameters, defaults filled in', async () => {
    const results = await runProfile(verdicts, { status: 403 }, { parameters: { refusal_status: '403' } });
    expect(results[0]).toMatchObject({ wire: 'matches', wireDifferences: [] });
  });

  it('resolveParameters refuses unknown names and values outside the declared ones, naming them', () => {
    const specs = verdicts.parameters ?? [];
    expect(resolveParameters(specs)).toEqual({ refusal_status: '401' });
    expect(() => resolveParameters(specs, { refusal: '401' })).toThrow(/unknown parameter "refusal"; parameters: refusal_status/);
    expect(() => resolveParameters(specs, { refusal_status: '500' })).toThrow(/refusal_status must be "401" or "403", got "500"/);
    expect(() => resolveParameters([], { any: 'x' })).toThrow(/this profile has none/);
  });
});

describe('the profiles registry', () => {
  it('holds every profile under its own versioned id', () => {
    expect(Object.keys(profiles)).toEqual(['credential-store@1', 'ephemeral-store@1', 'strategy-contract@1', ...Object.keys(schemes)].sort());
    for (const [id, scheme] of Object.entries(schemes)) expect(profiles[id as keyof typeof profiles]).toBe(scheme.profile);
    for (const [id, profile] of Object.entries(profiles)) expect(profile.id).toBe(id);
  });

  it('types each profile\'s driver through DriverOf', () => {
    expectTypeOf<DriverOf<'credential-store@1'>>().toEqualTypeOf<CredentialStoreDriver>();
    expectTypeOf<DriverOf<'strategy-contract@1'>>().toEqualTypeOf<StrategyContractDriver>();
    const driver: DriverOf<'credential-store@1'> = { createStore: () => createMemoryCredentialStore() };
    expect(typeof driver.createStore).toBe('function');
  });

  it('gives every case a unique, stable-looking id, a level, a ref and a title', () => {
    const seen = new Set<string>();
    for (const profile of Object.values(profiles)) {
      for (const testCase of profile.cases as readonly { id: string; level: string; ref: string; title: string }[]) {
        expect(testCase.id).toMatch(/^[A-Z]{2,4}-[A-Z]+-\d{3}$/);
        expect(seen.has(testCase.id)).toBe(false);
        seen.add(testCase.id);
        expect(['MUST', 'SHOULD']).toContain(testCase.level);
        expect(testCase.ref.length).toBeGreaterThan(0);
        expect(testCase.title.length).toBeGreaterThan(0);
      }
    }
  });

  it('cites public documents in every ref and title: no private design notes or seed files', () => {
    const cited = new Set<string>();
    for (const profile of Object.values(profiles)) {
      for (const testCase of profile.cases as readonly { id: string; ref: string; title: string }[]) {
        expect(`${testCase.ref} ${testCase.title}`, testCase.id).not.toMatch(/seed|DESIGN\.md/i);
        for (const match of testCase.ref.matchAll(/https:\/\/[^\s);]+/g)) cited.add(match[0]);
      }
    }
    expect([...cited].sort()).toEqual([
      'https://docs.kiiglobal.io/docs/kiiex/connect-to-kiiex-apis/users/authenticateuser',
      'https://navixy.com/docs/qna/apis/user-session-hash-vs-admin-panel-hash-vs-api-key',
      'https://www.navixy.com/docs/navixy-api/user-api/authentication',
      'https://www.navixy.com/docs/navixy-api/user-api/backend-api/errors',
    ]);
  });
});
