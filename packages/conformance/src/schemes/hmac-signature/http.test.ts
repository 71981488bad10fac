// hmac-signature@2 over HTTP: the reference served by a real node:http server on 127.0.0.1 (or framed by hand over
// raw TCP), driven through createHttpDriver with the scheme object. The driver provisions its own keys through the
// account routes and removes them at the end; honest servers pass, flawed ones fail on a security rule.
import { describe, expect, it } from 'vitest';
import { createHttpDriver } from '../../http/index.js';
import { serveWire, type WireHandler } from '../../http/__fixtures__/wire-server.js';
import { runProfile, type CaseResult } from '../../run.js';
import { ServerThrottledError } from '../../scheme.js';
import { hmacSignatureScheme, hmacSignatureV2 } from './index.js';
import { createHmacReference, declaredParameters, REFERENCE_PERMISSION, REFERENCE_PERMISSION_PATH, type HmacFlaws, type HmacReference, type HmacServerStyle } from './__fixtures__/reference.js';
import { APEX_ACCOUNT, apexRoutes, serveRaw } from './__fixtures__/servers.js';

const PROVISIONING = {
  login: APEX_ACCOUNT.login,
  password: APEX_ACCOUNT.password,
  permission: REFERENCE_PERMISSION,
  permission_path: REFERENCE_PERMISSION_PATH,
  other_user_id: APEX_ACCOUNT.otherUserId,
};

const failures = (results: readonly CaseResult[]): CaseResult[] => results.filter((result) => result.status === 'failed');
const skipped = (results: readonly CaseResult[]): Record<string, string | null> => Object.fromEntries(results.filter((result) => result.status === 'skipped').map((result) => [result.id, result.message]));
const wireDiffering = (results: readonly CaseResult[]): string[] => results.filter((result) => result.wire === 'differs').map((result) => result.id);

interface HttpRun {
  readonly results: CaseResult[];
  readonly reference: HmacReference;
  readonly issued: readonly string[];
}

/** Serves the reference (with its account routes), runs the profile over HTTP as the CLI does, then cleans up. */
async function overHttp(
  options: { style?: HmacServerStyle; flaws?: HmacFlaws; fixtures?: Record<string, string>; raw?: 'honest' | 'desync'; disable?: readonly string[] } = {},
): Promise<HttpRun> {
  const issued: string[] = [];
  const style = options.style ?? {};
  const reference = createHmacReference({ style, flaws: options.flaws ?? {}, onIssued: (values) => issued.push(...values) });
  const handler: WireHandler = apexRoutes(reference);
  const server = options.raw === undefined ? await serveWire(handler) : await serveRaw(handler, { skipsOnlyPartOfOversizedBodies: options.raw === 'desync' });
  try {
    const parameters = declaredParameters(style);
    const handle = await createHttpDriver(hmacSignatureScheme, { baseUrl: server.baseUrl, fixtures: options.fixtures ?? PROVISIONING, parameters });
    let results: CaseResult[];
    try {
      results = await runProfile(hmacSignatureV2, handle.driver, { capabilities: handle.capabilities, parameters, disable: options.disable ?? [] });
    } finally {
      await handle.cleanup();
    }
    return { results, reference, issued };
  } finally {
    await server.close();
  }
}

const OTHER_POLICY = { unique: ['HMAC-NONCE-003', 'HMAC-NONCE-004', 'HMAC-NONCE-006'], increasing: ['HMAC-NONCE-005', 'HMAC-NONCE-006'] } as const;

describe('hmac-signature@2 over HTTP, provisioning through WebAuthenticateUser and AddUserAPIKey', () => {
  it('passes every case against the reference with zero wire differences, skips only the store-failure and other policies’ cases, and removes every key it made', async () => {
    const { results, reference } = await overHttp();
    expect(failures(results)).toEqual([]);
    expect(wireDiffering(results)).toEqual([]);
    expect(Object.keys(skipped(results)).sort()).toEqual([...OTHER_POLICY.unique, 'HMAC-STORE-001', 'HMAC-STORE-002'].sort());
    for (const id of ['HMAC-KEY-002', 'HMAC-SESSION-006', 'HMAC-IP-002', 'HMAC-PERM-001', 'HMAC-DESYNC-001', 'HMAC-REQ-010']) expect(results.find((result) => result.id === id)?.status, id).toBe('passed');
    expect(reference.liveKeys(APEX_ACCOUNT.userId)).toBe(0);
  }, 60_000);

  it("passes an honest variant with its declared parameters: KiiEx's lower-case reply, increasing nonces, refusals as HTTP 200, the body winning", async () => {
    const style: HmacServerStyle = { casing: 'camel', policy: 'increasing', statuses: 'all-200', sourceConflict: 'body', foreignIpReply: 'same-as-invalid' };
    const { results, reference } = await overHttp({ style });
    expect(failures(results)).toEqual([]);
    expect(wireDiffering(results)).toEqual([]);
    expect(Object.keys(skipped(results)).sort()).toEqual([...OTHER_POLICY.increasing, 'HMAC-STORE-001', 'HMAC-STORE-002'].sort());
    expect(reference.liveKeys(APEX_ACCOUNT.userId)).toBe(0);
  }, 60_000);

  it('takes hand-made keys from the fixtures for a server without the account routes (no revoke then)', async () => {
    const reference = createHmacReference();
    const main = reference.issue('42', [REFERENCE_PERMISSION]);
    const limited = reference.issue('42', []);
    const restricted = reference.issue('42', [REFERENCE_PERMISSION], ['127.0.0.2']);
    const server = await serveWire(apexRoutes(reference));
    try {
      const fixtures = {
        api_key: main.apiKey,
        api_secret: main.apiSecret,
        nonce: main.nonce,
        user_id: '42',
        limited_api_key: limited.apiKey,
        limited_api_secret: limited.apiSecret,
        limited_nonce: limited.nonce,
        permission_path: REFERENCE_PERMISSION_PATH,
        ip_restricted_api_key: restricted.apiKey,
        ip_restricted_api_secret: restricted.apiSecret,
        ip_restricted_nonce: restricted.nonce,
        allowed_ip: '127.0.0.2',
      };
      const handle = await createHttpDriver(hmacSignatureScheme, { baseUrl: server.baseUrl, fixtures });
      try {
        expect(handle.capabilities).not.toContain('revoke');
        const results = await runProfile(hmacSignatureV2, handle.driver, { capabilities: handle.capabilities });
        expect(failures(results)).toEqual([]);
        const skips = skipped(results);
        expect(Object.keys(skips).sort()).toEqual([...OTHER_POLICY.unique, 'HMAC-KEY-002', 'HMAC-SESSION-006', 'HMAC-STORE-001', 'HMAC-STORE-002'].sort());
        expect(skips['HMAC-KEY-002']).toBe('requires revoke');
      } finally {
        await handle.cleanup();
      }
    } finally {
      await server.close();
    }
  }, 60_000);

  it('offers remote-address only over loopback, and under unique nonces starts hand-made keys at a random nonce so a second run replays nothing', async () => {
    const hmac = { api_key: '0123456789abcdef0123456789abcdef', api_secret: 's3cr3t-s3cr3t-s3cr3t', nonce: '12345', user_id: '7' };
    const restricted = { ip_restricted_api_key: 'r'.repeat(32), ip_restricted_api_secret: 'rs'.repeat(10), ip_restricted_nonce: '1' };
    const full = await createHttpDriver(hmacSignatureScheme, { baseUrl: 'http://127.0.0.1:1', fixtures: { ...hmac, ...restricted, other_user_id: '8', allowed_ip: '127.0.0.2' } });
    expect([...full.capabilities].sort()).toEqual(['ip-allowed-address', 'ip-restricted-key', 'other-user', 'raw-connection', 'remote-address']);
    const fx = await full.driver.setup();
    expect(fx).toMatchObject({ clientIp: '127.0.0.1', resource: '/ap/GetUserInfo', authenticatePath: '/AuthenticateUser', ipRestrictedKey: { userId: '7', allowedIp: '127.0.0.2' } });
    expect(fx.nonce).toMatch(/^[1-9][0-9]{11}$/);
    expect(await full.driver.setup()).toBe(fx);
    const issued = await createHttpDriver(hmacSignatureScheme, { baseUrl: 'https://api.example.com', fixtures: { ...hmac, ...restricted }, parameters: { nonce_policy: 'issued' } });
    const issuedFx = await issued.driver.setup();
    expect(issuedFx.nonce).toBe('12345');
    expect(issuedFx.clientIp).toBeUndefined();
    // A hand-made key allows what its maker chose: without allowed_ip the kit knows no address it allows.
    expect(issuedFx.ipRestrictedKey?.allowedIp).toBeUndefined();
    expect(issued.capabilities).toEqual(['raw-connection', 'ip-restricted-key']);
    for (const handle of [full, issued]) await handle.cleanup();
    await expect(createHttpDriver(hmacSignatureScheme, { baseUrl: 'http://127.0.0.1:1', fixtures: { ...hmac, limited_api_key: 'k'.repeat(32) } })).rejects.toThrow(
      /limited_api_key, limited_api_secret, limited_nonce, permission_path go together/,
    );
    await expect(createHttpDriver(hmacSignatureScheme, { baseUrl: 'http://127.0.0.1:1', fixtures: { ...hmac, allowed_ip: '127.0.0.2' } })).rejects.toThrow(/allowed_ip goes with ip_restricted_api_key/);
    await expect(createHttpDriver(hmacSignatureScheme, { baseUrl: 'http://127.0.0.1:1', fixtures: hmac, parameters: { nonce_policy: 'random' } })).rejects.toThrow(/nonce_policy must be/);
  });

  it('skips the IP cases with ip_restricted_key=none', async () => {
    const { results } = await overHttp({ fixtures: { ...PROVISIONING, ip_restricted_key: 'none' }, disable: hmacSignatureV2.cases.map((one) => one.id).filter((id) => !id.startsWith('HMAC-IP-')) });
    expect(skipped(results)['HMAC-IP-001']).toBe('requires ip-restricted-key');
  }, 30_000);

  it('says the server throttled the run on a 429 while provisioning, and checks the fixtures before it starts', async () => {
    const reference = createHmacReference();
    const throttled = await serveWire(apexRoutes(reference, { throttled: true }));
    try {
      await expect(createHttpDriver(hmacSignatureScheme, { baseUrl: throttled.baseUrl, fixtures: PROVISIONING })).rejects.toThrow(ServerThrottledError);
    } finally {
      await throttled.close();
    }
    const server = await serveWire(apexRoutes(reference));
    try {
      const create = (fixtures: Record<string, string>): Promise<unknown> => createHttpDriver(hmacSignatureScheme, { baseUrl: server.baseUrl, fixtures });
      await expect(create({ login: 'x' })).rejects.toThrow(/login, password go together/);
      await expect(create({})).rejects.toThrow(/give login and password .* missing api_key, api_secret, nonce, user_id/);
      await expect(create({ ...PROVISIONING, allowed_ip: 'here' })).rejects.toThrow(/allowed_ip must be an IPv4 or IPv6 address/);
      await expect(create({ ...PROVISIONING, allowed_ip: '127.0.0.1' })).rejects.toThrow(/allowed_ip must not be 127\.0\.0\.1/);
      await expect(create({ ...PROVISIONING, ip_restricted_key: 'maybe' })).rejects.toThrow(/ip_restricted_key must be 'create' or 'none'/);
      const refused = create({ ...PROVISIONING, password: 'not-the-password-at-all' });
      await expect(refused).rejects.toThrow(/WebAuthenticateUser with the fixtures login and password did not sign in: HTTP 401/);
      await expect(refused.catch((error: Error) => error.message)).resolves.not.toContain('not-the-password-at-all');
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe('hmac-signature@2 over HTTP fails flawed servers on a security rule', () => {
  const mutants: readonly { name: string; flaws: HmacFlaws; caughtBy: Readonly<Record<string, 'accepted' | 'leaked'>> }[] = [
    { name: 'still signs in a key removed with RemoveUserAPIKey', flaws: { revokedKeySignsIn: true }, caughtBy: { 'HMAC-KEY-002': 'accepted' } },
    { name: 'keeps the sessions of a key removed with RemoveUserAPIKey', flaws: { sessionSurvivesRevocation: true }, caughtBy: { 'HMAC-SESSION-006': 'accepted' } },
    { name: 'ignores the AllowedIps of a key', flaws: { ignoresAllowedIps: true }, caughtBy: { 'HMAC-IP-001': 'accepted' } },
    { name: 'believes X-Forwarded-For from anyone', flaws: { trustsForwardedFor: true }, caughtBy: { 'HMAC-IP-003': 'accepted' } },
    { name: "opens the session for the body's UserId", flaws: { bodyUserIdWins: true }, caughtBy: { 'HMAC-REQ-004': 'accepted' } },
    { name: 'verifies the first of two UserId and signs in the last', flaws: { checksFirstDuplicateUsesLast: true }, caughtBy: { 'HMAC-REQ-010': 'accepted' } },
    { name: 'tells an unknown key from a wrong signature', flaws: { leaksWhichPart: true }, caughtBy: { 'HMAC-LEAK-001': 'leaked' } },
  ];
  for (const mutant of mutants) {
    it(`fails a server that ${mutant.name}`, async () => {
      const { results, issued } = await overHttp({ flaws: mutant.flaws });
      expect(results.filter((result) => (result.message ?? '').startsWith('setup() failed'))).toEqual([]);
      for (const [id, kind] of Object.entries(mutant.caughtBy)) expect(results.find((result) => result.id === id), id).toMatchObject({ status: 'failed', failureKind: kind });
      for (const result of failures(results)) expect(result.failureKind, result.id).toMatch(/^(accepted|leaked)$/);
      for (const result of results) for (const value of issued) expect(result.message ?? '').not.toContain(value);
    }, 60_000);
  }
});

describe('hmac-signature@2 request desync over raw TCP', () => {
  const onlyDesync = hmacSignatureV2.cases.map((one) => one.id).filter((id) => !['HMAC-DESYNC-001', 'HMAC-AUTH-001', 'HMAC-SESSION-001', 'HMAC-REQ-005', 'HMAC-REQ-008', 'HMAC-SIG-002'].includes(id));

  it('passes a hand-framed server that skips the whole of an oversized body', async () => {
    const { results } = await overHttp({ raw: 'honest', disable: onlyDesync });
    expect(failures(results)).toEqual([]);
    expect(results.find((result) => result.id === 'HMAC-DESYNC-001')?.status).toBe('passed');
  }, 60_000);

  it('fails a server that parses requests out of an oversized body (request desync) as accepted', async () => {
    const { results } = await overHttp({ raw: 'desync', disable: onlyDesync });
    expect(results.find((result) => result.id === 'HMAC-DESYNC-001')).toMatchObject({ status: 'failed', failureKind: 'accepted', message: expect.stringMatching(/parsed requests out of a body/) });
    // The rest of a 1 MiB body it parses as requests also breaks the next request on that connection.
    expect(results.find((result) => result.id === 'HMAC-REQ-008')).toMatchObject({ status: 'failed', failureKind: 'broken' });
  }, 60_000);
});
