import { AuthError, ConfigurationError, rejected, type AuthRefusal, type AuthStrategy } from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import {
  hmacInProcessDriver,
  hmacSignatureV1,
  profiles,
  runProfile,
  type CaseResult,
  type HmacFixtures,
  type HmacInProcessDriverOptions,
  type HmacSignatureDriver,
} from './index.js';
import { apexSignature } from './profiles/hmac-wire.js';
import { describeConformance } from './vitest.js';
import { createHmacReference, REFERENCE_CLIENT_IP, type HmacFlaws, type NoncePolicy } from './__fixtures__/hmac-reference.js';
import { withRenderer } from './__fixtures__/refusal.js';

const POLICIES: readonly NoncePolicy[] = ['unique', 'increasing', 'issued'];
/** The cases each nonce policy turns on; under another policy they skip themselves. */
const POLICY_CASES: Record<NoncePolicy, readonly string[]> = {
  unique: ['HMAC-NONCE-001', 'HMAC-NONCE-002', 'HMAC-NONCE-005', 'HMAC-NONCE-007'],
  increasing: ['HMAC-NONCE-001', 'HMAC-NONCE-002', 'HMAC-NONCE-003', 'HMAC-NONCE-004', 'HMAC-NONCE-007'],
  issued: ['HMAC-NONCE-006'],
};
const NONCE_CASES = [...new Set(Object.values(POLICY_CASES).flat())];
const STORE_CASES = ['HMAC-STORE-001', 'HMAC-STORE-002', 'HMAC-STORE-003'];
const REVOKE_CASES = ['HMAC-KEY-002', 'HMAC-SESSION-007'];
const OPTIONAL_FIXTURE_CASES: Record<string, string> = {
  'HMAC-PERM-001': 'requires permission',
  'HMAC-IP-001': 'requires ip-restricted-key',
  'HMAC-IP-002': 'requires ip-restricted-key, ip-allowed-address',
  'HMAC-IP-003': 'requires ip-restricted-key, ip-allowed-address',
};

const failures = (results: readonly CaseResult[]): CaseResult[] => results.filter((result) => result.status === 'failed');
const skippedIds = (results: readonly CaseResult[]): string[] => results.filter((result) => result.status === 'skipped').map((result) => result.id).sort();
const otherPolicyCases = (policy: NoncePolicy): string[] => NONCE_CASES.filter((id) => !POLICY_CASES[policy].includes(id)).sort();

for (const policy of POLICIES) {
  describe(`the reference HMAC server, ${policy} nonces, with a failing store and revokeKey`, () => {
    describeConformance({ profile: 'hmac-signature@1', ...createHmacReference({ policy }) });
  });
}

/** The reference's driver options without the endpoints' `render`: the strategies render their own refusals. */
function withoutRenders(options: HmacInProcessDriverOptions): HmacInProcessDriverOptions {
  const { render: _login, ...authenticate } = options.authenticate;
  const { render: _call, ...session } = options.session;
  return { ...options, authenticate, session };
}

describe('the reference HMAC server without render: its strategies render their own refusals', () => {
  describeConformance({ profile: 'hmac-signature@1', ...withoutRenders(createHmacReference({ policy: 'unique' })) });
});

describe('the reference HMAC server given as a ready driver', () => {
  describeConformance({ profile: 'hmac-signature@1', driver: hmacInProcessDriver(createHmacReference({ policy: 'increasing' })) });
});

describe('the kit\'s signature', () => {
  it('matches openssl dgst -sha256 -hmac over Nonce + UserId + APIKey', () => {
    // printf %s "170000000010123456789abcdef0123456789abcdef" | openssl dgst -sha256 -hmac "a3f1…8f90"
    expect(apexSignature('a3f1c2d4e5f60718293a4b5c6d7e8f90a3f1c2d4e5f60718293a4b5c6d7e8f90', '1700000000', '1', '0123456789abcdef0123456789abcdef')).toBe(
      'dd5adf84f4d630578c639a033ecefa0c83923b66aada097af6eb125cf3f5b994',
    );
    // The secret's text is the key, UTF-8 encoded, as openssl -hmac takes it.
    expect(apexSignature('secret with spaces and ünïcode', '123456789012', '42', 'fedcba9876543210fedcba9876543210')).toBe(
      'b9a512e1fcc76034c82746ed2f152639871d8c1f34ff002175cd0179b29ab37f',
    );
  });
});

describe('hmac-signature@1 on the reference server', () => {
  it('has at least 30 MUST cases and some SHOULD cases, each with an HMAC id, a ref and a title', () => {
    const must = hmacSignatureV1.cases.filter((testCase) => testCase.level === 'MUST');
    const should = hmacSignatureV1.cases.filter((testCase) => testCase.level === 'SHOULD');
    expect(must.length).toBeGreaterThanOrEqual(30);
    expect(should.length).toBeGreaterThanOrEqual(2);
    for (const testCase of hmacSignatureV1.cases) {
      expect(testCase.id).toMatch(/^HMAC-(AUTH|SIG|KEY|USER|REQ|NONCE|SESSION|PERM|IP|STORE|ENV|LEAK)-\d{3}$/);
      expect(testCase.ref).not.toBe('');
    }
    expect(profiles['hmac-signature@1']).toBe(hmacSignatureV1);
  });

  it('keeps at least 30 MUST cases under each nonce policy for a driver without any optional capability or fixture (as over HTTP)', () => {
    const optional = ['remote-address', 'store-failure', 'revoke', 'other-user', 'ip-restricted-key', 'ip-allowed-address', 'permission', 'numeric-ids'];
    for (const policy of POLICIES) {
      const policyCapabilities = policy === 'issued' ? ['issued-nonce'] : ['replay-protection', `${policy}-nonce`];
      const runnable = hmacSignatureV1.cases.filter(
        (testCase) =>
          testCase.level === 'MUST' &&
          (testCase.requires ?? []).every((capability) => !optional.includes(capability) && policyCapabilities.includes(capability)),
      );
      expect(runnable.length, policy).toBeGreaterThanOrEqual(30);
    }
  });

  for (const policy of POLICIES) {
    it(`passes every case under ${policy} nonces, skipping only the other policies' nonce cases`, async () => {
      const results = await runProfile(hmacSignatureV1, hmacInProcessDriver(createHmacReference({ policy })));
      expect(failures(results)).toEqual([]);
      expect(skippedIds(results)).toEqual(otherPolicyCases(policy));
    });
  }

  it('skips the store-failure, revoke, permission and IP cases when the driver and fixtures lack them', async () => {
    const { storeFailure: _store, revokeKey: _revoke, setup, ...rest } = createHmacReference();
    const driver = hmacInProcessDriver({
      ...rest,
      async setup() {
        const { ipRestrictedKey: _ip, limitedKey: _limited, permissionPath: _path, otherUserId: _other, ...fixtures } = await setup();
        return fixtures;
      },
    });
    expect(driver.capabilities).toEqual(['remote-address']);
    const results = await runProfile(hmacSignatureV1, driver);
    expect(failures(results)).toEqual([]);
    const skipped = new Map(results.filter((result) => result.status === 'skipped').map((result) => [result.id, result.message]));
    for (const id of STORE_CASES) expect(skipped.get(id)).toBe('requires store-failure');
    for (const id of REVOKE_CASES) expect(skipped.get(id)).toBe('requires revoke');
    for (const [id, message] of Object.entries(OPTIONAL_FIXTURE_CASES)) expect(skipped.get(id)).toBe(message);
    expect(skipped.size).toBe(STORE_CASES.length + REVOKE_CASES.length + Object.keys(OPTIONAL_FIXTURE_CASES).length + otherPolicyCases('unique').length);
  });

  it('runs every other case against a driver that cannot choose its source address (as an HTTP driver)', async () => {
    const inner = hmacInProcessDriver(createHmacReference());
    const driver: HmacSignatureDriver = {
      capabilities: ['store-failure', 'revoke'],
      setup: () => inner.setup(),
      send: (request) => inner.send(request, { remoteAddress: REFERENCE_CLIENT_IP }),
      storeFailure: async () => {
        const failing = await (inner.storeFailure as () => Promise<HmacSignatureDriver>)();
        return { send: (request) => failing.send(request, { remoteAddress: REFERENCE_CLIENT_IP }) };
      },
      revokeKey: (apiKey) => (inner.revokeKey as (apiKey: string) => Promise<void>)(apiKey),
    };
    const results = await runProfile(hmacSignatureV1, driver);
    expect(failures(results)).toEqual([]);
    expect(skippedIds(results)).toEqual([...otherPolicyCases('unique'), 'HMAC-IP-002'].sort());
  });

  it('uses the default routes unless the fixtures name others', async () => {
    const reference = createHmacReference();
    const seen = new Set<string>();
    const recording = (strategy: AuthStrategy): AuthStrategy =>
      withRenderer({ id: strategy.id, authenticate: (request) => (seen.add(request.path), strategy.authenticate(request)) });
    await runProfile(
      hmacSignatureV1,
      hmacInProcessDriver({
        ...reference,
        authenticate: { ...reference.authenticate, strategy: recording(reference.authenticate.strategy) },
        session: { ...reference.session, strategy: recording(reference.session.strategy) },
      }),
    );
    expect([...seen].sort()).toEqual(['/AuthenticateUser', '/ap/GetUserInfo', '/ap/SendOrder']);

    const custom = createHmacReference();
    const paths = new Set<string>();
    const results = await runProfile(
      hmacSignatureV1,
      hmacInProcessDriver({
        ...custom,
        authenticate: { ...custom.authenticate, strategy: withRenderer({ id: 'a', authenticate: (request) => (paths.add(request.path), custom.authenticate.strategy.authenticate(request)) }) },
        session: { ...custom.session, strategy: withRenderer({ id: 's', authenticate: (request) => (paths.add(request.path), custom.session.strategy.authenticate(request)) }) },
        setup: async () => ({ ...(await custom.setup()), authenticatePath: '/api/AuthenticateUser', resource: '/api/GetAccountInfo', permissionPath: '/api/CancelOrder' }),
      }),
    );
    expect(failures(results)).toEqual([]);
    expect([...paths].sort()).toEqual(['/api/AuthenticateUser', '/api/CancelOrder', '/api/GetAccountInfo']);
  });
});

interface Mutant {
  readonly name: string;
  readonly flaws: HmacFlaws;
  readonly policy?: NoncePolicy;
  /** MUST cases that must fail (at least these). */
  readonly caughtBy: readonly string[];
}

const mutants: readonly Mutant[] = [
  { name: 'accepts a replayed nonce (unique)', flaws: { acceptsReplayedNonce: true }, caughtBy: ['HMAC-NONCE-001', 'HMAC-NONCE-002', 'HMAC-NONCE-005'] },
  { name: 'accepts a replayed nonce (increasing)', flaws: { acceptsReplayedNonce: true }, policy: 'increasing', caughtBy: ['HMAC-NONCE-001', 'HMAC-NONCE-002', 'HMAC-NONCE-003'] },
  { name: 'checks and records nonces with an await in between', flaws: { racyNonceCheck: true }, caughtBy: ['HMAC-NONCE-002'] },
  { name: 'compares increasing nonces as text', flaws: { comparesNoncesAsText: true }, policy: 'increasing', caughtBy: ['HMAC-NONCE-004'] },
  { name: 'accepts any nonce under the issued policy', flaws: { anyNonceWhenIssued: true }, policy: 'issued', caughtBy: ['HMAC-NONCE-006'] },
  { name: 'compares signatures case-sensitively (rejects upper case)', flaws: { caseSensitiveSignature: true }, caughtBy: ['HMAC-SIG-001'] },
  { name: 'compares only the prefix that was sent', flaws: { prefixCompare: true }, caughtBy: ['HMAC-SIG-003'] },
  { name: 'accepts a signature without the nonce in the message', flaws: { nonceNotSigned: true }, caughtBy: ['HMAC-SIG-007'] },
  { name: 'ignores who owns the key', flaws: { ignoresUserOwnership: true }, caughtBy: ['HMAC-USER-001', 'HMAC-USER-002', 'HMAC-ENV-001', 'HMAC-LEAK-001'] },
  { name: 'ignores who owns the key (issued nonce)', flaws: { ignoresUserOwnership: true }, policy: 'issued', caughtBy: ['HMAC-USER-001', 'HMAC-LEAK-001'] },
  { name: 'takes the body when headers disagree', flaws: { bodyWinsOverHeaders: true }, caughtBy: ['HMAC-REQ-004'] },
  { name: 'reads the four values from the query string', flaws: { readsQuery: true }, caughtBy: ['HMAC-REQ-009'] },
  { name: 'says which part was wrong', flaws: { leaksWhichPart: true }, caughtBy: ['HMAC-LEAK-001', 'HMAC-KEY-002'] },
  { name: 'echoes the signature in refusals', flaws: { echoesSignature: true }, caughtBy: ['HMAC-SIG-002', 'HMAC-LEAK-002'] },
  { name: 'returns success when the store is down', flaws: { storeFailureSucceeds: true }, caughtBy: ['HMAC-STORE-001', 'HMAC-STORE-002'] },
  { name: 'keeps sessions alive after their key is removed', flaws: { sessionSurvivesRevocation: true }, caughtBy: ['HMAC-SESSION-007', 'HMAC-LEAK-003'] },
  { name: 'reads the session token from the query', flaws: { readsTokenFromQuery: true }, caughtBy: ['HMAC-SESSION-008'] },
  { name: 'gives every sign-in the same session token', flaws: { staticSessionToken: true }, caughtBy: ['HMAC-SESSION-003'] },
  { name: 'ignores allowed IPs', flaws: { ignoresAllowedIps: true }, caughtBy: ['HMAC-IP-001', 'HMAC-IP-003'] },
  { name: 'believes X-Forwarded-For from anyone', flaws: { trustsForwardedFor: true }, caughtBy: ['HMAC-IP-003'] },
  { name: 'never checks permissions', flaws: { ignoresPermissions: true }, caughtBy: ['HMAC-PERM-001'] },
];

describe('hmac-signature@1 fails broken HMAC servers', () => {
  it('has at least 8 mutants', () => expect(mutants.length).toBeGreaterThanOrEqual(8));

  for (const mutant of mutants) {
    it(`fails a server that ${mutant.name} (${mutant.caughtBy.join(', ')})`, async () => {
      const issued: string[] = [];
      const reference = createHmacReference({ flaws: mutant.flaws, policy: mutant.policy ?? 'unique', onIssued: (values) => issued.push(...values) });
      const results = await runProfile(hmacSignatureV1, hmacInProcessDriver(reference));
      const failedMust = results.filter((result) => result.status === 'failed' && result.level === 'MUST').map((result) => result.id);
      expect(failedMust).toEqual(expect.arrayContaining([...mutant.caughtBy]));
      // Failure messages name secrets (<apiSecret>) and never print 32 or more hex digits in a row.
      for (const result of results) {
        const message = result.message ?? '';
        for (const value of issued) expect(message.toLowerCase()).not.toContain(value.slice(0, 24));
        expect(message).not.toMatch(/[0-9a-f]{32}/i);
      }
    });
  }
});

describe('hmacInProcessDriver', () => {
  const reference = createHmacReference();
  const { authenticate, session, setup } = reference;

  it('throws a ConfigurationError naming the option that is missing or wrong', () => {
    expect(() => hmacInProcessDriver(null as never)).toThrow(ConfigurationError);
    expect(() => hmacInProcessDriver({ session, setup } as never)).toThrow(/`authenticate`/);
    expect(() => hmacInProcessDriver({ authenticate: { ...authenticate, strategy: {} }, session, setup } as never)).toThrow(/`authenticate.strategy`/);
    expect(() => hmacInProcessDriver({ authenticate: { ...authenticate, render: 1 }, session, setup } as never)).toThrow(/`authenticate.render`/);
    const bare = (strategy: AuthStrategy): unknown => ({ id: strategy.id, authenticate: strategy.authenticate });
    const bareAuthenticate = { ...withoutRenders(reference).authenticate, strategy: bare(authenticate.strategy) };
    const bareSession = { ...withoutRenders(reference).session, strategy: bare(session.strategy) };
    expect(() => hmacInProcessDriver({ authenticate: bareAuthenticate, session, setup } as never)).toThrow(/`authenticate.render`.*renderRefusal/);
    expect(() => hmacInProcessDriver({ authenticate, session: bareSession, setup } as never)).toThrow(/`session.render`.*renderRefusal/);
    expect(() => hmacInProcessDriver({ authenticate: { ...bareAuthenticate, render: authenticate.render }, session, setup } as never)).not.toThrow();
    expect(() => hmacInProcessDriver(withoutRenders(reference))).not.toThrow();
    expect(() => hmacInProcessDriver({ authenticate: { ...authenticate, startSession: undefined }, session, setup } as never)).toThrow(/`authenticate.startSession`/);
    expect(() => hmacInProcessDriver({ authenticate: { ...authenticate, renderSuccess: 'x' }, session, setup } as never)).toThrow(/`authenticate.renderSuccess`/);
    expect(() => hmacInProcessDriver({ authenticate, setup } as never)).toThrow(/`session`/);
    expect(() => hmacInProcessDriver({ authenticate, session: { ...session, strategy: null }, setup } as never)).toThrow(/`session.strategy`/);
    expect(() => hmacInProcessDriver({ authenticate, session: { ...session, authorize: 1 }, setup } as never)).toThrow(/`session.authorize`/);
    expect(() => hmacInProcessDriver({ authenticate, session } as never)).toThrow(/`setup`/);
    expect(() => hmacInProcessDriver({ authenticate, session, setup, storeFailure: 'no' } as never)).toThrow(/`storeFailure`/);
    expect(() => hmacInProcessDriver({ authenticate, session, setup, revokeKey: 1 } as never)).toThrow(/`revokeKey`/);
    expect(() => hmacInProcessDriver({ authenticate, session, setup, toAuthRequest: 1 } as never)).toThrow(/`toAuthRequest`/);
  });

  it('routes AuthenticateUser to the verifier and every other path to the session strategy, as the server would', async () => {
    const driver = hmacInProcessDriver({ authenticate, session, setup });
    const fx = await driver.setup();
    const post = (path: string, headers: Record<string, string>): Request => new Request(`http://gatehouse.test${path}`, { method: 'POST', headers });
    const signed = { APIKey: fx.apiKey, Signature: apexSignature(fx.apiSecret, '7', fx.userId, fx.apiKey), UserId: fx.userId, Nonce: '7' };
    const login = await driver.send(post('/AuthenticateUser', signed), { remoteAddress: REFERENCE_CLIENT_IP });
    expect(login).toEqual({
      status: 200,
      body: { Authenticated: true, SessionToken: expect.stringMatching(/^[0-9a-f]{64}$/), User: { UserId: Number(fx.userId), UserName: `user${fx.userId}` }, Locked: false, Requires2FA: false, errormsg: null },
    });
    const token = (login.body as { SessionToken: string }).SessionToken;
    expect(await driver.send(post('/ap/GetUserInfo', { aptoken: token }))).toEqual({ status: 200, body: { result: true, errormsg: null, errorcode: 0, detail: null } });
    expect(await driver.send(post('/ap/anything', {}))).toEqual({ status: 401, body: { result: false, errormsg: 'Not Authorized', errorcode: 20, detail: null } });
    expect(await driver.send(post('/AuthenticateUser', {}))).toEqual({ status: 401, body: { Authenticated: false, errormsg: 'APIKey, Signature, UserId and Nonce are required' } });
    expect(await driver.send(post('/AuthenticateUser', signed))).toMatchObject({ status: 401, body: { Authenticated: false, errormsg: 'Nonce already used' } });
    const limited = fx.limitedKey as NonNullable<HmacFixtures['limitedKey']>;
    const limitedLogin = await driver.send(
      post('/AuthenticateUser', { APIKey: limited.apiKey, Signature: apexSignature(limited.apiSecret, '9', limited.userId, limited.apiKey), UserId: limited.userId, Nonce: '9' }),
    );
    const limitedToken = (limitedLogin.body as { SessionToken: string }).SessionToken;
    expect(await driver.send(post('/ap/SendOrder', { aptoken: limitedToken }))).toEqual({ status: 403, body: { result: false, errormsg: 'Not Authorized', errorcode: 20, detail: null } });
    expect((await driver.send(post('/ap/SendOrder', { aptoken: token }))).status).toBe(200);
  });

  it('renders an AuthError from startSession with authenticate.render', async () => {
    const driver = hmacInProcessDriver({ authenticate: { ...authenticate, startSession: async () => new AuthError('STORE_UNAVAILABLE') }, session, setup });
    const results = await runProfile(hmacSignatureV1, driver, { disable: hmacSignatureV1.cases.map((testCase) => testCase.id).filter((id) => id !== 'HMAC-AUTH-001') });
    expect(results.find((result) => result.id === 'HMAC-AUTH-001')).toMatchObject({ status: 'failed', message: expect.stringMatching(/got 503 \{"Authenticated":false,"errormsg":"Service unavailable"\}/) });
  });

  it('without render, renders with the strategies\' renderRefusal: the outcome itself, an AuthError from startSession as a rejection', async () => {
    const bare = withoutRenders(reference);
    const seen: { endpoint: string; refusal: AuthRefusal }[] = [];
    const recorded = (endpoint: string, strategy: AuthStrategy): AuthStrategy => ({
      id: strategy.id,
      authenticate: (request) => strategy.authenticate(request),
      renderRefusal: (refusal) => (seen.push({ endpoint, refusal }), strategy.renderRefusal(refusal)),
    });
    const denied = rejected('SCOPE_DENIED');
    const failedStart = new AuthError('STORE_UNAVAILABLE');
    const driver = hmacInProcessDriver({
      ...bare,
      authenticate: { ...bare.authenticate, strategy: recorded('authenticate', authenticate.strategy), startSession: async () => failedStart },
      session: { ...bare.session, strategy: recorded('session', session.strategy), authorize: () => denied },
    });
    const fx = await driver.setup();
    const post = (path: string, headers: Record<string, string>): Request => new Request(`http://gatehouse.test${path}`, { method: 'POST', headers });
    const signed = { APIKey: fx.apiKey, Signature: apexSignature(fx.apiSecret, '7', fx.userId, fx.apiKey), UserId: fx.userId, Nonce: '7' };
    expect(await driver.send(post('/AuthenticateUser', signed), { remoteAddress: REFERENCE_CLIENT_IP })).toEqual({
      status: 503,
      body: { Authenticated: false, errormsg: 'Service unavailable' },
    });
    expect(await driver.send(post('/AuthenticateUser', {}))).toEqual({ status: 401, body: { Authenticated: false, errormsg: 'APIKey, Signature, UserId and Nonce are required' } });
    expect(await driver.send(post('/ap/anything', {}))).toEqual({ status: 401, body: { result: false, errormsg: 'Not Authorized', errorcode: 20, detail: null } });
    expect(seen).toEqual([
      { endpoint: 'authenticate', refusal: { type: 'rejected', error: failedStart } },
      { endpoint: 'authenticate', refusal: { type: 'absent' } },
      { endpoint: 'session', refusal: { type: 'absent' } },
    ]);
    // A session that authenticates but is refused by authorize is rendered from authorize's outcome itself.
    const live = hmacInProcessDriver({ ...reference, session: { ...bare.session, strategy: recorded('session', session.strategy), authorize: () => denied } });
    const liveFx = await live.setup();
    const login = await live.send(
      post('/AuthenticateUser', { APIKey: liveFx.apiKey, Signature: apexSignature(liveFx.apiSecret, '8', liveFx.userId, liveFx.apiKey), UserId: liveFx.userId, Nonce: '8' }),
      { remoteAddress: REFERENCE_CLIENT_IP },
    );
    const token = (login.body as { SessionToken: string }).SessionToken;
    expect(await live.send(post(liveFx.permissionPath as string, { aptoken: token }))).toEqual({ status: 403, body: { result: false, errormsg: 'Not Authorized', errorcode: 20, detail: null } });
    expect(seen.at(-1)?.refusal).toBe(denied);
  });

  it('without render, gives the reference the replies render gives, also over the failing stores', async () => {
    const withRender = hmacInProcessDriver(reference);
    const withoutRender = hmacInProcessDriver(withoutRenders(reference));
    const fx = await withoutRender.setup();
    await withRender.setup();
    const post = (path: string, headers: Record<string, string>): Request => new Request(`http://gatehouse.test${path}`, { method: 'POST', headers });
    const requests = [
      () => post('/AuthenticateUser', {}),
      () => post('/AuthenticateUser', { APIKey: fx.apiKey, Signature: 'ab'.repeat(32), UserId: fx.userId, Nonce: '5' }),
      () => post('/AuthenticateUser', { APIKey: fx.apiKey, Signature: 'xyz', UserId: fx.userId, Nonce: '5' }),
      () => post('/ap/GetUserInfo', {}),
      () => post('/ap/GetUserInfo', { aptoken: 'cd'.repeat(32) }),
      () => post('/ap/GetUserInfo', { aptoken: 'short' }),
    ];
    for (const request of requests) {
      expect(await withoutRender.send(request(), { remoteAddress: REFERENCE_CLIENT_IP })).toEqual(await withRender.send(request(), { remoteAddress: REFERENCE_CLIENT_IP }));
    }
    const failingWithout = await withoutRender.storeFailure?.();
    const failingWith = await withRender.storeFailure?.();
    const signed = (): Request => post('/AuthenticateUser', { APIKey: fx.apiKey, Signature: apexSignature(fx.apiSecret, '11', fx.userId, fx.apiKey), UserId: fx.userId, Nonce: '11' });
    const reply = await failingWithout?.send(signed(), { remoteAddress: REFERENCE_CLIENT_IP });
    expect(reply?.status).toBe(503);
    expect(reply).toEqual(await failingWith?.send(signed(), { remoteAddress: REFERENCE_CLIENT_IP }));
    const session = (): Request => post('/ap/GetUserInfo', { aptoken: 'cd'.repeat(32) });
    expect(await failingWithout?.send(session())).toEqual(await failingWith?.send(session()));
  });

  it('fails a case clearly when a strategy throws, a renderer returns no WireReply, startSession returns no token or revokeKey fails', async () => {
    const only = (id: string): { disable: string[] } => ({ disable: hmacSignatureV1.cases.map((testCase) => testCase.id).filter((other) => other !== id) });
    const run = async (options: Parameters<typeof hmacInProcessDriver>[0], id: string): Promise<CaseResult | undefined> =>
      (await runProfile(hmacSignatureV1, hmacInProcessDriver(options), only(id))).find((result) => result.id === id);
    const throwing = withRenderer({ id: 'x', authenticate: async (): Promise<never> => { throw new RangeError('boom'); } });
    expect(await run({ ...reference, authenticate: { ...authenticate, strategy: throwing } }, 'HMAC-AUTH-001')).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/authenticate\.strategy\.authenticate threw RangeError: boom/),
    });
    expect(await run({ ...reference, session: { ...session, strategy: throwing } }, 'HMAC-SESSION-004')).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/session\.strategy\.authenticate threw RangeError: boom/),
    });
    expect(await run({ ...reference, session: { ...session, render: (() => ({ body: {} })) as never } }, 'HMAC-SESSION-004')).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/session\.render\(CREDENTIALS_MISSING\) returned .*expected a WireReply/),
    });
    const { render: _render, ...sessionWithoutRender } = session;
    expect(await run({ ...reference, session: { ...sessionWithoutRender, strategy: { ...session.strategy, renderRefusal: () => ({ body: {} }) as never } } }, 'HMAC-SESSION-004')).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/session\.strategy\.renderRefusal\(CREDENTIALS_MISSING\) returned .*expected a WireReply/),
    });
    expect(await run({ ...reference, authenticate: { ...authenticate, startSession: async () => 42 as never } }, 'HMAC-AUTH-001')).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/startSession resolved to 42, expected a session token or an AuthError/),
    });
    const { authorize: _authorize, ...withoutAuthorize } = session;
    expect(await run({ ...reference, session: withoutAuthorize }, 'HMAC-PERM-001')).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/no session\.authorize/),
    });
    expect(
      await run(
        {
          ...reference,
          revokeKey: async (apiKey) => {
            throw new Error(`cannot delete ${apiKey}`);
          },
        },
        'HMAC-SESSION-007',
      ),
    ).toMatchObject({ status: 'failed', message: expect.stringMatching(/revokeKey\(<apiKey>\) failed: .*cannot delete <apiKey>/) });
  });

  it('fails every case with a message naming the fixture when setup() returns bad fixtures', async () => {
    const expectAllFail = async (bad: () => Promise<HmacFixtures>, pattern: RegExp): Promise<void> => {
      const results = await runProfile(hmacSignatureV1, hmacInProcessDriver({ authenticate, session, setup: bad }));
      const ran = results.filter((result) => result.status !== 'skipped');
      expect(ran.length).toBe(hmacSignatureV1.cases.length - STORE_CASES.length - REVOKE_CASES.length); // no storeFailure, no revokeKey
      for (const result of ran) expect(result).toMatchObject({ status: 'failed', message: expect.stringMatching(pattern) });
    };
    await expectAllFail(async () => ({ ...(await setup()), noncePolicy: 'sometimes' }) as never, /fixture noncePolicy must be 'issued', 'increasing' or 'unique'/);
    await expectAllFail(async () => ({ ...(await setup()), apiKey: 'short' }), /fixture apiKey must be at least 16 visible ASCII characters/);
    await expectAllFail(async () => ({ ...(await setup()), apiSecret: 'short' }), /fixture apiSecret must be a string of at least 16 characters/);
    await expectAllFail(async () => ({ ...(await setup()), userId: '' }), /fixture userId must be a non-empty string/);
    await expectAllFail(async () => ({ ...(await setup()), noncePolicy: 'increasing', nonce: 'abc' }), /fixture nonce must be a decimal integer/);
    await expectAllFail(async () => {
      const fixtures = await setup();
      return { ...fixtures, limitedKey: { ...(fixtures.limitedKey as NonNullable<HmacFixtures['limitedKey']>), apiKey: fixtures.apiKey } };
    }, /limitedKey\.apiKey repeats another key's apiKey/);
    await expectAllFail(async () => {
      const { permissionPath: _path, ...fixtures } = await setup();
      return fixtures;
    }, /limitedKey and permissionPath go together/);
    await expectAllFail(async () => ({ ...(await setup()), resource: 'ap/GetUserInfo' }), /fixture resource must be an absolute path/);
    await expectAllFail(async () => ({ ...(await setup()), otherUserId: (await setup()).userId.replace(/.*/, '') }), /fixture otherUserId must be another user's id/);
    await expectAllFail(async () => ({ ...(await setup()), clientIp: 'localhost' }), /fixture clientIp must be an IPv4 or IPv6 address/);
    await expectAllFail(async () => {
      const fixtures = await setup();
      return { ...fixtures, ipRestrictedKey: { ...(fixtures.ipRestrictedKey as NonNullable<HmacFixtures['ipRestrictedKey']>), allowedIp: REFERENCE_CLIENT_IP } };
    }, /allowedIp must be another address than clientIp/);
  });
});

// A driver is an interface: anything that exchanges requests for replies and makes fixtures works.
describe('a hand-written driver', () => {
  const inner = hmacInProcessDriver(createHmacReference({ policy: 'issued' }));
  const driver: HmacSignatureDriver = {
    capabilities: ['remote-address'],
    setup: () => inner.setup(),
    send: (request, options) => inner.send(request, options),
  };
  describeConformance({ profile: 'hmac-signature@1', driver });
});
