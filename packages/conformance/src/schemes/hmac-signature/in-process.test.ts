// hmac-signature@2 in-process: honest servers that make different documented-silent choices pass every security
// case with the parameters they declare (and no wire difference), preconditions never cascade, and the in-process
// driver behaves as documented.
import { AuthError, ConfigurationError, rejected, type AuthRefusal, type AuthStrategy, type WireReply } from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import type { CaseResult } from '../../run.js';
import { runProfile } from '../../run.js';
import { withRenderer } from '../../__fixtures__/refusal.js';
import { apexSignature, hmacInProcessDriver, hmacSignatureV2, type HmacFixtures, type HmacInProcessDriverOptions, type HmacSignatureDriver } from './index.js';
import { createHmacReference, declaredParameters, REFERENCE_CLIENT_IP, type HmacServerStyle } from './__fixtures__/reference.js';

const failures = (results: readonly CaseResult[]): CaseResult[] => results.filter((result) => result.status === 'failed');
const securityFailures = (results: readonly CaseResult[]): CaseResult[] => results.filter((result) => result.failureKind === 'accepted' || result.failureKind === 'leaked');
const wireDiffering = (results: readonly CaseResult[]): string[] => results.filter((result) => result.wire === 'differs').map((result) => result.id);
const skippedIds = (results: readonly CaseResult[]): string[] => results.filter((result) => result.status === 'skipped').map((result) => result.id).sort();

/** The cases each nonce policy turns on; under another policy they skip themselves. */
const POLICY_CASES = {
  unique: ['HMAC-NONCE-001', 'HMAC-NONCE-002', 'HMAC-NONCE-005', 'HMAC-NONCE-007'],
  increasing: ['HMAC-NONCE-001', 'HMAC-NONCE-002', 'HMAC-NONCE-003', 'HMAC-NONCE-004', 'HMAC-NONCE-007'],
  issued: ['HMAC-NONCE-006'],
} as const;
const NONCE_CASES = [...new Set(Object.values(POLICY_CASES).flat())];
const otherPolicyCases = (policy: keyof typeof POLICY_CASES): string[] => NONCE_CASES.filter((id) => !(POLICY_CASES[policy] as readonly string[]).includes(id));

async function run(style: HmacServerStyle, parameters: Record<string, string> = declaredParameters(style)): Promise<CaseResult[]> {
  return runProfile(hmacSignatureV2, hmacInProcessDriver(createHmacReference({ style })), { parameters });
}

/** The honest variants: each makes other documented-silent choices and declares them. */
const HONEST: readonly { readonly name: string; readonly style: HmacServerStyle }[] = [
  { name: "KiiEx's lower-case reply, increasing nonces, refusals as HTTP 200, the body winning over headers, one reply for a foreign IP", style: { casing: 'camel', policy: 'increasing', statuses: 'all-200', sourceConflict: 'body', foreignIpReply: 'same-as-invalid' } },
  { name: 'lower-case hex only, headers winning over the body, the last of repeated JSON names, every refusal 400', style: { hexCase: 'lower-only', sourceConflict: 'headers', duplicateKeys: 'last', statuses: 'all-400' } },
  { name: "the documented issued nonce, Gatehouse's other choices", style: { policy: 'issued' } },
];

describe('hmac-signature@2 on honest in-process servers', () => {
  it("passes every case with zero wire differences on the reference (Gatehouse's choices, the defaults), skipping only other policies' nonce cases and raw connections", async () => {
    const results = await runProfile(hmacSignatureV2, hmacInProcessDriver(createHmacReference()));
    expect(failures(results)).toEqual([]);
    expect(wireDiffering(results)).toEqual([]);
    expect(skippedIds(results)).toEqual([...otherPolicyCases('unique'), 'HMAC-DESYNC-001'].sort());
  });

  for (const { name, style } of HONEST) {
    it(`passes every case with its declared parameters and no wire difference: ${name}`, async () => {
      const results = await run(style);
      expect(failures(results)).toEqual([]);
      expect(wireDiffering(results)).toEqual([]);
      expect(skippedIds(results)).toEqual([...otherPolicyCases(style.policy ?? 'unique'), 'HMAC-DESYNC-001'].sort());
    });

    it(`with the defaults declared instead, still has no security failure, only wire differences: ${name}`, async () => {
      const results = await run(style, {});
      expect(securityFailures(results)).toEqual([]);
      if (style.policy === undefined) expect(wireDiffering(results).length).toBeGreaterThan(0);
    });
  }

  it('reports a declared choice the server does not make as a wire difference, never a failure', async () => {
    const results = await run({ hexCase: 'lower-only' }, { ...declaredParameters({}), signature_hex_case: 'any' });
    expect(failures(results)).toEqual([]);
    expect(wireDiffering(results)).toEqual(['HMAC-SIG-001']);
    expect(results.find((result) => result.id === 'HMAC-SIG-001')?.wireDifferences[0]).toMatch(/refused the right Signature in upper case \(signature_hex_case=any\)/);
  });

  it('refuses a parameter outside its values', async () => {
    await expect(runProfile(hmacSignatureV2, hmacInProcessDriver(createHmacReference()), { parameters: { source_conflict: 'precedence' } })).rejects.toThrow(/source_conflict must be "reject" or "headers" or "body"/);
  });
});

/** The reference with its AuthenticateUser reply replaced. */
function withLoginReply(renderSuccess: (token: string) => WireReply<unknown>, render?: (error: AuthError) => WireReply<unknown>): HmacInProcessDriverOptions {
  const reference = createHmacReference();
  return { ...reference, authenticate: { ...reference.authenticate, renderSuccess: (token) => renderSuccess(token), ...(render === undefined ? {} : { render }) } };
}

describe('hmac-signature@2 preconditions never cascade', () => {
  it('a login reply with only a token (no Authenticated, Locked, Requires2FA) differs on the envelope cases alone', async () => {
    const results = await runProfile(hmacSignatureV2, hmacInProcessDriver(withLoginReply((token) => ({ httpStatus: 200, headers: {}, body: { token } }))));
    expect(failures(results)).toEqual([]);
    expect(wireDiffering(results).sort()).toEqual(['HMAC-ENV-001', 'HMAC-ENV-002']);
  });

  it('a login reply in any casing is read by every precondition; only the envelope case judges it against the declared casing', async () => {
    const camel = (token: string): WireReply<unknown> => ({ httpStatus: 200, headers: {}, body: { authenticated: true, sessionToken: token, user: { userId: 1 }, locked: false, requires2FA: false, errormsg: null } });
    const declared = await runProfile(hmacSignatureV2, hmacInProcessDriver(withLoginReply(camel)), { parameters: { login_reply_casing: 'pascal' } });
    expect(failures(declared)).toEqual([]);
    expect(wireDiffering(declared).sort()).toEqual(['HMAC-ENV-001', 'HMAC-ENV-002']);
    expect(declared.find((result) => result.id === 'HMAC-ENV-001')?.wireDifferences[0]).toMatch(/login_reply_casing=pascal/);
  });

  it('a server that signs nobody in fails the cases that need a session as broken, never as a security failure', async () => {
    const reference = createHmacReference();
    const refuseAll = withRenderer({ id: 'refuse-all', authenticate: async () => rejected('CREDENTIALS_INVALID') }, reference.render);
    const results = await runProfile(hmacSignatureV2, hmacInProcessDriver({ ...reference, authenticate: { ...reference.authenticate, strategy: refuseAll } }));
    expect(securityFailures(results)).toEqual([]);
    const broken = failures(results);
    expect(broken.length).toBeGreaterThan(5);
    for (const result of broken) expect(result).toMatchObject({ failureKind: 'broken', message: expect.stringMatching(/precondition not met|did not sign in/) });
  });
});

/** The reference's driver options without the endpoints' `render`: the strategies render their own refusals. */
function withoutRenders(options: HmacInProcessDriverOptions): HmacInProcessDriverOptions {
  const { render: _login, ...authenticate } = options.authenticate;
  const { render: _call, ...session } = options.session;
  return { ...options, authenticate, session };
}

describe('hmacInProcessDriver', () => {
  const reference = createHmacReference();
  const { authenticate, session, setup } = reference;
  const post = (path: string, headers: Record<string, string>): Request => new Request(`http://gatehouse.test${path}`, { method: 'POST', headers });

  it('throws a ConfigurationError naming the option that is missing or wrong', () => {
    expect(() => hmacInProcessDriver(null as never)).toThrow(ConfigurationError);
    expect(() => hmacInProcessDriver({ session, setup } as never)).toThrow(/`authenticate`/);
    expect(() => hmacInProcessDriver({ authenticate: { ...authenticate, strategy: {} }, session, setup } as never)).toThrow(/`authenticate.strategy`/);
    expect(() => hmacInProcessDriver({ authenticate: { ...authenticate, render: 1 }, session, setup } as never)).toThrow(/`authenticate.render`/);
    const bare = (strategy: AuthStrategy): unknown => ({ id: strategy.id, authenticate: strategy.authenticate });
    expect(() => hmacInProcessDriver({ authenticate: { ...withoutRenders(reference).authenticate, strategy: bare(authenticate.strategy) }, session, setup } as never)).toThrow(/`authenticate.render`.*renderRefusal/);
    expect(() => hmacInProcessDriver(withoutRenders(reference))).not.toThrow();
    expect(() => hmacInProcessDriver({ authenticate: { ...authenticate, startSession: undefined }, session, setup } as never)).toThrow(/`authenticate.startSession`/);
    expect(() => hmacInProcessDriver({ authenticate: { ...authenticate, renderSuccess: 'x' }, session, setup } as never)).toThrow(/`authenticate.renderSuccess`/);
    expect(() => hmacInProcessDriver({ authenticate, session: { ...session, authorize: 1 }, setup } as never)).toThrow(/`session.authorize`/);
    expect(() => hmacInProcessDriver({ authenticate, session } as never)).toThrow(/`setup`/);
    expect(() => hmacInProcessDriver({ authenticate, session, setup, storeFailure: 'no' } as never)).toThrow(/`storeFailure`/);
    expect(() => hmacInProcessDriver({ authenticate, session, setup, revokeKey: 1 } as never)).toThrow(/`revokeKey`/);
    expect(() => hmacInProcessDriver({ authenticate, session, setup, toAuthRequest: 1 } as never)).toThrow(/`toAuthRequest`/);
  });

  it('routes AuthenticateUser to the verifier and every other path to the session strategy, as the server would', async () => {
    const driver = hmacInProcessDriver({ authenticate, session, setup });
    const fx = await driver.setup();
    const signed = { APIKey: fx.apiKey, Signature: apexSignature(fx.apiSecret, '7', fx.userId, fx.apiKey), UserId: fx.userId, Nonce: '7' };
    const login = await driver.send(post('/AuthenticateUser', signed), { remoteAddress: REFERENCE_CLIENT_IP });
    expect(login).toMatchObject({ status: 200, body: { Authenticated: true, SessionToken: expect.stringMatching(/^[0-9a-f]{64}$/), Locked: false, Requires2FA: false, errormsg: null } });
    const token = (login.body as { SessionToken: string }).SessionToken;
    expect(await driver.send(post('/ap/GetUserInfo', { aptoken: token }))).toEqual({ status: 200, body: { result: true, errormsg: null, errorcode: 0, detail: null } });
    expect(await driver.send(post('/ap/anything', {}))).toEqual({ status: 401, body: { result: false, errormsg: 'Not Authorized', errorcode: 20, detail: null } });
    expect(await driver.send(post('/AuthenticateUser', signed))).toMatchObject({ status: 401, body: { Authenticated: false, errormsg: 'Nonce already used' } });
    const limited = fx.limitedKey as NonNullable<HmacFixtures['limitedKey']>;
    const limitedLogin = await driver.send(post('/AuthenticateUser', { APIKey: limited.apiKey, Signature: apexSignature(limited.apiSecret, '9', limited.userId, limited.apiKey), UserId: limited.userId, Nonce: '9' }));
    const limitedToken = (limitedLogin.body as { SessionToken: string }).SessionToken;
    expect((await driver.send(post('/ap/SendOrder', { aptoken: limitedToken }))).status).toBe(403);
    expect((await driver.send(post('/ap/SendOrder', { aptoken: token }))).status).toBe(200);
  });

  it("without render, renders with the strategies' renderRefusal, and gives the replies render gives", async () => {
    const withRender = hmacInProcessDriver(reference);
    const withoutRender = hmacInProcessDriver(withoutRenders(reference));
    const fx = await withoutRender.setup();
    const requests = [
      () => post('/AuthenticateUser', {}),
      () => post('/AuthenticateUser', { APIKey: fx.apiKey, Signature: 'ab'.repeat(32), UserId: fx.userId, Nonce: '5' }),
      () => post('/ap/GetUserInfo', {}),
      () => post('/ap/GetUserInfo', { aptoken: 'cd'.repeat(32) }),
    ];
    for (const request of requests) expect(await withoutRender.send(request(), { remoteAddress: REFERENCE_CLIENT_IP })).toEqual(await withRender.send(request(), { remoteAddress: REFERENCE_CLIENT_IP }));
    const seen: AuthRefusal[] = [];
    const recorded: AuthStrategy = { ...session.strategy, renderRefusal: (refusal) => (seen.push(refusal), session.strategy.renderRefusal(refusal)) };
    const bare = withoutRenders(reference);
    await hmacInProcessDriver({ ...bare, session: { ...bare.session, strategy: recorded } }).send(post('/ap/GetUserInfo', {}));
    expect(seen).toEqual([{ type: 'absent' }]);
  });

  it('fails a case clearly when a strategy throws, startSession returns no token or revokeKey fails', async () => {
    const only = (id: string): { disable: string[] } => ({ disable: hmacSignatureV2.cases.map((testCase) => testCase.id).filter((other) => other !== id) });
    const runOne = async (options: HmacInProcessDriverOptions, id: string): Promise<CaseResult | undefined> =>
      (await runProfile(hmacSignatureV2, hmacInProcessDriver(options), only(id))).find((result) => result.id === id);
    const throwing = withRenderer({ id: 'x', authenticate: async (): Promise<never> => { throw new RangeError('boom'); } });
    expect(await runOne({ ...reference, authenticate: { ...authenticate, strategy: throwing } }, 'HMAC-AUTH-001')).toMatchObject({ status: 'failed', failureKind: 'broken', message: expect.stringMatching(/authenticate\.strategy\.authenticate threw RangeError: boom/) });
    expect(await runOne({ ...reference, authenticate: { ...authenticate, startSession: async () => 42 as never } }, 'HMAC-AUTH-001')).toMatchObject({ status: 'failed', message: expect.stringMatching(/startSession resolved to 42/) });
    expect(await runOne({ ...reference, authenticate: { ...authenticate, startSession: async () => new AuthError('STORE_UNAVAILABLE') } }, 'HMAC-AUTH-001')).toMatchObject({
      status: 'failed',
      failureKind: 'broken',
      message: expect.stringMatching(/precondition not met: .* answered 503 \{"Authenticated":false,"errormsg":"Service unavailable"\}/),
    });
    const failingRevoke = { ...reference, revokeKey: async (apiKey: string) => { throw new Error(`cannot delete ${apiKey}`); } };
    expect(await runOne(failingRevoke, 'HMAC-SESSION-006')).toMatchObject({ status: 'failed', message: expect.stringMatching(/revokeKey\(<apiKey>\) failed: .*cannot delete <(issuedKey\.)?apiKey>/) });
  });

  it('fails every case with a message naming the fixture when setup() returns bad fixtures', async () => {
    const expectAllFail = async (bad: () => Promise<HmacFixtures>, pattern: RegExp, parameters: Record<string, string> = {}): Promise<void> => {
      const results = await runProfile(hmacSignatureV2, hmacInProcessDriver({ authenticate, session, setup: bad }), { parameters });
      const ran = results.filter((result) => result.status !== 'skipped');
      expect(ran.length).toBeGreaterThan(30);
      for (const result of ran) expect(result).toMatchObject({ status: 'failed', failureKind: 'broken', message: expect.stringMatching(pattern) });
    };
    await expectAllFail(async () => ({ ...(await setup()), apiKey: 'short' }), /fixture apiKey must be at least 16 visible ASCII characters/);
    await expectAllFail(async () => ({ ...(await setup()), apiSecret: 'short' }), /fixture apiSecret must be a string of at least 16 characters/);
    await expectAllFail(async () => ({ ...(await setup()), nonce: 'abc' }), /under nonce_policy=increasing fixture nonce must be a decimal integer/, { nonce_policy: 'increasing' });
    await expectAllFail(async () => {
      const { permissionPath: _path, ...fixtures } = await setup();
      return fixtures;
    }, /limitedKey and permissionPath go together/);
    await expectAllFail(async () => ({ ...(await setup()), clientIp: 'localhost' }), /fixture clientIp must be an IPv4 or IPv6 address/);
  });
});

describe('a hand-written driver that cannot choose its source address (as over HTTP)', () => {
  it('runs every other case, skipping the allowed-address case', async () => {
    const inner = hmacInProcessDriver(createHmacReference());
    const driver: HmacSignatureDriver = {
      capabilities: ['revoke'],
      setup: () => inner.setup(),
      send: (request) => inner.send(request, { remoteAddress: REFERENCE_CLIENT_IP }),
      revokeKey: (apiKey) => (inner.revokeKey as (apiKey: string) => Promise<void>)(apiKey),
    };
    const results = await runProfile(hmacSignatureV2, driver);
    expect(failures(results)).toEqual([]);
    expect(skippedIds(results)).toEqual([...otherPolicyCases('unique'), 'HMAC-DESYNC-001', 'HMAC-IP-002', 'HMAC-STORE-001', 'HMAC-STORE-002'].sort());
  });
});
