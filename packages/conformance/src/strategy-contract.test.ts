import { absent, createFetchRequestAdapter, firstOf, type AuthEvent } from '@gatehouse/auth-core';
import { generateHexToken } from '@gatehouse/auth-core/crypto';
import { describe, expect, it } from 'vitest';
import { runProfile, strategyContractV1, type CredentialedRequest, type StrategyContractDriver } from './index.js';
import { describeConformance } from './vitest.js';
import { createStaticKeyStrategy, type StrategyFlaws } from './__fixtures__/static-key-strategy.js';
import { withRenderer } from './__fixtures__/refusal.js';

function headerCredentialed(key: string): () => Promise<CredentialedRequest> {
  return async () => ({ request: new Request('https://api.example/v1/things', { headers: { 'x-api-key': key } }), secrets: [key] });
}

describe('a static API key strategy with the key in a header', () => {
  const key = generateHexToken(16);
  const events: AuthEvent[] = [];
  describeConformance({
    profile: 'strategy-contract@1',
    strategy: createStaticKeyStrategy({ key, onEvent: (event) => events.push(event) }),
    credentialed: headerCredentialed(key),
    events: () => events,
  });
});

describe('a static API key strategy with the key in a JSON body, behind a trusted proxy', () => {
  const key = generateHexToken(16);
  const events: AuthEvent[] = [];
  describeConformance({
    profile: 'strategy-contract@1',
    strategy: createStaticKeyStrategy({ key, onEvent: (event) => events.push(event) }),
    toAuthRequest: createFetchRequestAdapter({ trustedProxies: ['10.0.0.1'], maxBodyBytes: 4_096 }),
    credentialed: async () => ({
      request: new Request('https://api.example/v1/things', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7' },
        body: JSON.stringify({ apiKey: key, note: 'conformance' }),
      }),
      remoteAddress: '10.0.0.1',
      secrets: [key],
    }),
    events: () => events,
  });
});

describe('the strategy composed with firstOf after a strategy that never finds credentials', () => {
  const key = generateHexToken(16);
  describeConformance({
    profile: 'strategy-contract@1',
    strategy: firstOf([withRenderer({ id: 'nothing-here', authenticate: async () => absent() }), createStaticKeyStrategy({ key })]),
    credentialed: headerCredentialed(key),
  });
});

describe('a strategy alone, without credentialed or events (those cases are skipped)', () => {
  describeConformance({ profile: 'strategy-contract@1', strategy: createStaticKeyStrategy({ key: generateHexToken(16) }), disable: ['SC-GARBAGE-007'] });
});

interface Mutant {
  readonly strategy: string;
  readonly flaws: StrategyFlaws;
  readonly caughtBy: readonly string[];
  readonly level: 'MUST' | 'SHOULD';
}

const mutants: readonly Mutant[] = [
  { strategy: 'that throws on `Authorization: NVX` without a value', flaws: { throwsOnMalformedAuthorization: true }, caughtBy: ['SC-GARBAGE-001', 'SC-GARBAGE-002'], level: 'MUST' },
  { strategy: 'that returns { type: "error" } for a malformed key', flaws: { invalidOutcomeOnMalformed: true }, caughtBy: ['SC-GARBAGE-001'], level: 'MUST' },
  { strategy: 'that authenticates requests without credentials', flaws: { authenticatesAnonymous: true }, caughtBy: ['SC-ABSENT-001', 'SC-GARBAGE-003'], level: 'MUST' },
  { strategy: 'that rejects requests without credentials instead of returning absent', flaws: { rejectsWhenAbsent: true }, caughtBy: ['SC-ABSENT-001', 'SC-ABSENT-002'], level: 'MUST' },
  { strategy: 'that puts the presented key in the rejection message', flaws: { secretInMessage: true }, caughtBy: ['SC-LEAK-001', 'SC-ERROR-002'], level: 'MUST' },
  { strategy: 'that puts the expected key in the rejection message', flaws: { expectedKeyInMessage: true }, caughtBy: ['SC-LEAK-001'], level: 'MUST' },
  { strategy: 'that attaches the presented key to the error object', flaws: { presentedKeyOnError: true }, caughtBy: ['SC-LEAK-001'], level: 'MUST' },
  { strategy: 'that compares only the first 16 characters of the key', flaws: { comparesPrefixOnly: true }, caughtBy: ['SC-TAMPER-001'], level: 'MUST' },
  { strategy: 'that uses the key as the credential id', flaws: { keyAsCredentialId: true }, caughtBy: ['SC-CRED-002', 'SC-EVENT-001'], level: 'MUST' },
  { strategy: 'that reports the key in its events', flaws: { keyInEvents: true }, caughtBy: ['SC-EVENT-001'], level: 'MUST' },
  { strategy: 'that rejects with a message of its own', flaws: { customMessage: true }, caughtBy: ['SC-ERROR-002'], level: 'MUST' },
  { strategy: 'that rejects with httpStatus 200', flaws: { status200: true }, caughtBy: ['SC-ERROR-002'], level: 'MUST' },
  { strategy: 'that parses `__proto__[x]` query parameters into Object.prototype', flaws: { pollutesPrototype: true }, caughtBy: ['SC-GARBAGE-005'], level: 'MUST' },
  { strategy: 'whose keys work only once', flaws: { oneTimeKeys: true }, caughtBy: ['SC-CRED-003'], level: 'MUST' },
  { strategy: 'with an empty id', flaws: { emptyId: true }, caughtBy: ['SC-ID-001'], level: 'MUST' },
  { strategy: 'that returns absent for a wrong key', flaws: { absentOnWrongKey: true }, caughtBy: ['SC-TAMPER-002'], level: 'SHOULD' },
];

describe('strategy-contract@1 fails broken strategies', () => {
  for (const mutant of mutants) {
    const { flaws, caughtBy, level } = mutant;
    it(`fails a strategy ${mutant.strategy} (${caughtBy.join(', ')})`, async () => {
      const key = generateHexToken(16);
      const events: AuthEvent[] = [];
      const driver: StrategyContractDriver = {
        strategy: createStaticKeyStrategy({ key, flaws, onEvent: (event) => events.push(event) }),
        credentialed: headerCredentialed(key),
        events: () => events,
      };
      const results = await runProfile(strategyContractV1, driver);
      const failed = results.filter((result) => result.status === 'failed');
      expect(failed.map((result) => result.id)).toEqual(expect.arrayContaining([...caughtBy]));
      expect(failed.some((result) => result.level === 'MUST')).toBe(level === 'MUST');
      for (const result of results) expect(result.message ?? '').not.toContain(key);
      expect(Object.prototype).not.toHaveProperty('polluted');
    });
  }

  it('fails every credentialed case with a clear message when no secret appears in the credentialed request', async () => {
    const key = generateHexToken(16);
    const results = await runProfile(strategyContractV1, {
      strategy: createStaticKeyStrategy({ key }),
      credentialed: async () => ({ ...(await headerCredentialed(key)()), secrets: ['not-in-the-request'] }),
    });
    expect(results.find((result) => result.id === 'SC-TAMPER-001')).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/none of the secrets from credentialed\(\) appears in its request/),
    });
  });
});
