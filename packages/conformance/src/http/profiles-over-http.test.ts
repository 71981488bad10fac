// The same cases over HTTP: the kit's reference servers (src/__fixtures__) served by a real node:http server on
// 127.0.0.1, driven through createHttpDriver. The correct references pass every MUST case that HTTP can run; each
// mutant fails at least one MUST case.
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  accessHashCookieV1,
  accessHashInProcessDriver,
  hmacInProcessDriver,
  hmacSignatureV1,
  nvxHashV1,
  nvxInProcessDriver,
  runProfile,
  type CaseResult,
  type ConformanceProfile,
  type WireSender,
} from '../index.js';
import { createAccessHashReference, type AccessHashFlaws } from '../__fixtures__/access-hash-reference.js';
import { createHmacReference, REFERENCE_PERMISSION_PATH, type HmacFlaws, type NoncePolicy } from '../__fixtures__/hmac-reference.js';
import { createNvxReferenceWithManagement, type NvxFlaws } from '../__fixtures__/nvx-reference.js';
import { createHttpDriver, type SchemeProfileId } from './index.js';
import { NVX_ACCOUNTS, NVX_HTTP_FIXTURES, nvxAccountRoutes, serveWire, type WireHandler } from './__fixtures__/wire-server.js';

interface Run {
  readonly results: CaseResult[];
  /** Every secret value issued (to check failure messages never repeat one). */
  readonly issued: readonly string[];
}

const failedMust = (results: readonly CaseResult[]): string[] => results.filter((result) => result.status === 'failed' && result.level === 'MUST').map((result) => result.id);
const failures = (results: readonly CaseResult[]): CaseResult[] => results.filter((result) => result.status === 'failed');
/** A mutant run that still did its job: no setup failure, and most cases passed. */
function expectARealRun(results: readonly CaseResult[]): void {
  expect(results.filter((result) => (result.message ?? '').startsWith('setup() failed'))).toEqual([]);
  expect(results.filter((result) => result.status === 'passed').length).toBeGreaterThan(results.length / 2);
}
const skipped = (results: readonly CaseResult[]): Record<string, string | null> =>
  Object.fromEntries(results.filter((result) => result.status === 'skipped').map((result) => [result.id, result.message]));

/** Serves `handler`, runs `profile` over HTTP as the CLI does (capabilities from the handle), then cleans up. */
async function runOverHttp<D>(
  profileId: SchemeProfileId,
  profile: ConformanceProfile<D>,
  handler: WireHandler,
  fixtures: Readonly<Record<string, string>>,
  afterCleanup?: () => void,
  host?: string,
): Promise<CaseResult[]> {
  const server = await serveWire(handler, host);
  try {
    const handle = await createHttpDriver(profileId, { baseUrl: server.baseUrl, fixtures });
    let results: CaseResult[];
    try {
      results = await runProfile(profile, handle.driver as D, { capabilities: handle.capabilities });
    } finally {
      await handle.cleanup();
    }
    afterCleanup?.();
    return results;
  } finally {
    await server.close();
  }
}

// ---- nvx-hash@1 ------------------------------------------------------------------------------------------------

async function nvxOverHttp(queryHash: 'enabled' | 'disabled', flaws: NvxFlaws = {}, checkCleanup = false): Promise<Run> {
  const issued: string[] = [];
  const reference = createNvxReferenceWithManagement({ queryHash, flaws, onIssued: (hashes) => issued.push(...hashes) });
  const inProcess = nvxInProcessDriver(reference);
  const { management } = reference;
  const tracking: typeof management = { ...management, issue: (kind, owner) => { const hash = management.issue(kind, owner); issued.push(hash); return hash; } };
  const handler = nvxAccountRoutes({
    strategy: reference.strategy,
    render: reference.render,
    management: tracking,
    fallback: (request, remoteAddress) => inProcess.send(request, { remoteAddress }),
  });
  const results = await runOverHttp('nvx-hash@1', nvxHashV1, handler, { ...NVX_HTTP_FIXTURES, query_hash: queryHash }, () => {
    if (!checkCleanup) return;
    // The kit deleted every API key it made and ended the user sessions it opened.
    expect(management.count('api-key', NVX_ACCOUNTS.master.ownerId)).toBe(0);
    expect(management.count('user-session', NVX_ACCOUNTS.master.ownerId)).toBe(0);
    expect(management.count('user-session', NVX_ACCOUNTS.sub.ownerId)).toBe(0);
  });
  return { results, issued };
}

/** An NVX server whose credential store is down for every call but the account routes the kit signs in with. */
async function nvxWithStoreDown(flaws: NvxFlaws): Promise<CaseResult[]> {
  const reference = createNvxReferenceWithManagement({ queryHash: 'disabled', flaws });
  const down = await (nvxInProcessDriver(reference).storeFailure as () => Promise<WireSender>)();
  const handler = nvxAccountRoutes({
    strategy: reference.strategy,
    render: reference.render,
    management: reference.management,
    fallback: (request, remoteAddress) => down.send(request, { remoteAddress }),
  });
  return runOverHttp('nvx-hash@1', nvxHashV1, handler, NVX_HTTP_FIXTURES);
}

const NVX_QUERY_HASH_CASES = ['NVX-QUERY-001', 'NVX-QUERY-004', 'NVX-QUERY-005', 'NVX-QUERY-006', 'NVX-SRC-004', 'NVX-SRC-005'];

describe('nvx-hash@1 over HTTP', () => {
  it('passes every case against the reference server, query hashes off; skips only query-hash and store-failure cases; cleans up', async () => {
    const { results } = await nvxOverHttp('disabled', {}, true);
    expect(failures(results)).toEqual([]);
    const skips = skipped(results);
    expect(Object.keys(skips).sort()).toEqual([...NVX_QUERY_HASH_CASES, 'NVX-STORE-001', 'NVX-STORE-002'].sort());
    expect(skips['NVX-STORE-001']).toBe('requires store-failure');
    expect(skips['NVX-QUERY-001']).toBe('requires query-hash');
  });

  it('passes every case with query hashes on, skipping only the query-refused and store-failure cases', async () => {
    const { results } = await nvxOverHttp('enabled');
    expect(failures(results)).toEqual([]);
    expect(Object.keys(skipped(results)).sort()).toEqual(['NVX-QUERY-002', 'NVX-QUERY-003', 'NVX-STORE-001', 'NVX-STORE-002']);
  });

  // store-failure is not a capability over HTTP; a server whose store is down all the time shows the mutant anyway.
  it('shows a server whose store is down and answers success: unknown, revoked and ended hashes get in (NVX-HASH-005/006/007)', async () => {
    const results = await nvxWithStoreDown({ storeFailureSucceeds: true });
    expect(failedMust(results)).toEqual(expect.arrayContaining(['NVX-HASH-005', 'NVX-HASH-006', 'NVX-HASH-007', 'NVX-LEAK-001']));
    expect(results.find((result) => result.id === 'NVX-HASH-005')?.message).toMatch(/got 200 \{"success":true\}/);
    // The correct server with its store down fails closed: many cases fail (503, code 14), none by a success.
    const closed = await nvxWithStoreDown({});
    expect(failedMust(closed).length).toBeGreaterThan(10);
    for (const result of closed) expect(result.message ?? '').not.toMatch(/got 200/);
  });

  const mutants: readonly { name: string; flaws: NvxFlaws; queryHash: 'enabled' | 'disabled'; caughtBy: readonly string[] }[] = [
    { name: 'accepts a query hash while claiming not to', flaws: { acceptsQueryWhenOff: true }, queryHash: 'disabled', caughtBy: ['NVX-QUERY-002'] },
    { name: 'accepts a user session hash under /panel/', flaws: { userSessionOnPanel: true }, queryHash: 'disabled', caughtBy: ['NVX-KIND-003'] },
    { name: 'accepts an API key under /panel/', flaws: { apiKeyOnPanel: true }, queryHash: 'disabled', caughtBy: ['NVX-KIND-004', 'NVX-ENV-002'] },
    { name: 'accepts a panel hash on user routes', flaws: { panelHashEverywhere: true }, queryHash: 'disabled', caughtBy: ['NVX-KIND-006'] },
    { name: 'lets the first of two disagreeing sources win', flaws: { firstSourceWins: true }, queryHash: 'enabled', caughtBy: ['NVX-SRC-001', 'NVX-SRC-002', 'NVX-SRC-003', 'NVX-SRC-004', 'NVX-SRC-006'] },
    { name: 'recognises the scheme only in upper case', flaws: { caseSensitiveScheme: true }, queryHash: 'disabled', caughtBy: ['NVX-HDR-002'] },
    { name: 'answers unknown hashes with code 4 (leaks which part was wrong)', flaws: { code4ForUnknown: true }, queryHash: 'disabled', caughtBy: ['NVX-HASH-005', 'NVX-LEAK-001'] },
    { name: 'truncates long hashes to 32 characters', flaws: { truncatesLongHashes: true }, queryHash: 'disabled', caughtBy: ['NVX-HASH-002'] },
    { name: 'ignores what follows the hash, also in a second Authorization line', flaws: { ignoresTrailingJunk: true }, queryHash: 'disabled', caughtBy: ['NVX-HDR-006', 'NVX-HDR-009'] },
    { name: 'echoes the presented hash in failure replies', flaws: { echoesHash: true }, queryHash: 'disabled', caughtBy: ['NVX-LEAK-002'] },
    { name: 'reads bodies without a sensible size cap', flaws: { uncappedBody: true }, queryHash: 'disabled', caughtBy: ['NVX-BODY-006'] },
  ];

  for (const mutant of mutants) {
    it(`fails a server that ${mutant.name} (${mutant.caughtBy.join(', ')})`, async () => {
      const { results, issued } = await nvxOverHttp(mutant.queryHash, mutant.flaws);
      expectARealRun(results);
      expect(failedMust(results)).toEqual(expect.arrayContaining([...mutant.caughtBy]));
      for (const result of results) for (const hash of issued) expect((result.message ?? '').toLowerCase()).not.toContain(hash);
    });
  }
});

// ---- access-hash-cookie@1 ----------------------------------------------------------------------------------------

async function accessHashOverHttp(flaws: AccessHashFlaws = {}, host?: string): Promise<Run> {
  const issued: string[] = [];
  const driver = accessHashInProcessDriver(
    createAccessHashReference({ flaws, clientIp: '127.0.0.1', foreignIp: '127.0.0.2', onIssued: (hashes) => issued.push(...hashes) }),
  );
  const fx = await driver.setup();
  const results = await runOverHttp('access-hash-cookie@1', accessHashCookieV1, (request, remoteAddress) => driver.send(request, { remoteAddress }), {
    access_hash: fx.accessHash,
    foreign_access_hash: fx.foreignAccessHash,
    revoked_access_hash: fx.revokedAccessHash as string,
  }, undefined, host);
  return { results, issued };
}

/** Whether this host can listen on `::` and take IPv4 connections there. */
const dualStack = await new Promise<boolean>((resolve) => {
  const probe = createServer();
  probe.once('error', () => resolve(false));
  probe.listen(0, '::', () => probe.close(() => resolve(true)));
});

/** Cases that ask for a source address the kit cannot bind over loopback (IPv6, IPv4-mapped spellings). */
const AHC_ADDRESS_SKIPS = ['AHC-IP-003', 'AHC-IP-004', 'AHC-IP-005', 'AHC-IP-006', 'AHC-IP-007'];

describe('access-hash-cookie@1 over HTTP', () => {
  it('passes every case against the reference server; skips only store-failure, revoke and unbindable-address cases', async () => {
    const { results } = await accessHashOverHttp();
    expect(failures(results)).toEqual([]);
    const skips = skipped(results);
    expect(Object.keys(skips).sort()).toEqual([...AHC_ADDRESS_SKIPS, 'AHC-HASH-004', 'AHC-STORE-001', 'AHC-STORE-002', 'AHC-STORE-003'].sort());
    expect(skips['AHC-HASH-004']).toBe('requires revoke');
    expect(skips['AHC-STORE-002']).toBe('requires store-failure');
    expect(skips['AHC-IP-003']).toMatch(/cannot send from 2001:db8::1/);
    expect(skips['AHC-IP-004']).toMatch(/cannot send from ::ffff:127\.0\.0\.1/);
    // The cases that need another address ran from it: the foreign hash from 127.0.0.2 (AHC-IP-002), neighbours.
    const ran = new Set(results.filter((result) => result.status === 'passed').map((result) => result.id));
    for (const id of ['AHC-IP-001', 'AHC-IP-002', 'AHC-IP-008', 'AHC-IP-009', 'AHC-COOKIE-004', 'AHC-FMT-007', 'AHC-LEAK-003', 'AHC-LEAK-004']) expect(ran).toContain(id);
  });

  it('shows a server whose store is down and answers success: unknown and altered hashes get in (AHC-HASH-001, AHC-HASH-002)', async () => {
    const serveDown = async (flaws: AccessHashFlaws): Promise<CaseResult[]> => {
      const driver = accessHashInProcessDriver(createAccessHashReference({ flaws, clientIp: '127.0.0.1', foreignIp: '127.0.0.2' }));
      const fx = await driver.setup();
      const down = await (driver.storeFailure as () => Promise<WireSender>)();
      return runOverHttp('access-hash-cookie@1', accessHashCookieV1, (request, remoteAddress) => down.send(request, { remoteAddress }), {
        access_hash: fx.accessHash,
        foreign_access_hash: fx.foreignAccessHash,
      });
    };
    const results = await serveDown({ storeFailureSucceeds: true });
    expect(failedMust(results)).toEqual(expect.arrayContaining(['AHC-HASH-001', 'AHC-HASH-002', 'AHC-IP-001']));
    expect(results.find((result) => result.id === 'AHC-HASH-001')?.message).toMatch(/got 200/);
    // The correct server with its store down fails closed: AHC-HASH-001 fails with 503, nothing with a success.
    const closed = await serveDown({});
    expect(closed.find((result) => result.id === 'AHC-HASH-001')?.message).toMatch(/got 503/);
    for (const result of closed) expect(result.message ?? '').not.toMatch(/got 20\d/);
  });

  // A dual-stack server sees the kit (127.0.0.1, 127.0.0.2) as ::ffff:127.0.0.1 and ::ffff:127.0.0.2: over HTTP the
  // IPv4-mapped spelling comes from the server's socket, so every case exercises it.
  it.runIf(dualStack)('passes against a dual-stack server, and fails one that compares IP addresses as raw strings', async () => {
    const { results } = await accessHashOverHttp({}, '::');
    expect(failures(results)).toEqual([]);
    const raw = await accessHashOverHttp({ rawIpComparison: true }, '::');
    expect(failedMust(raw.results)).toEqual(expect.arrayContaining(['AHC-COOKIE-001', 'AHC-IP-002', 'AHC-ENV-001']));
  });

  const mutants: readonly { name: string; flaws: AccessHashFlaws; caughtBy: readonly string[] }[] = [
    { name: 'ignores the IP binding (foreign hash bound to 127.0.0.2)', flaws: { ignoresIpBinding: true }, caughtBy: ['AHC-IP-001', 'AHC-IP-002', 'AHC-IP-008'] },
    { name: 'accepts the first of two access_hash cookies (also in two Cookie lines)', flaws: { firstCookieWins: true }, caughtBy: ['AHC-COOKIE-003', 'AHC-COOKIE-004'] },
    { name: 'accepts upper-case hashes', flaws: { acceptsUpperCase: true }, caughtBy: ['AHC-FMT-003'] },
    { name: 'matches IPs by prefix (127.0.0.10 for 127.0.0.1)', flaws: { prefixIpMatch: true }, caughtBy: ['AHC-IP-003'] },
    { name: 'believes X-Forwarded-For from anyone', flaws: { trustsForwardedFor: true }, caughtBy: ['AHC-IP-008', 'AHC-IP-009'] },
    { name: 'trims and unquotes the value', flaws: { trimsAndUnquotes: true }, caughtBy: ['AHC-FMT-001', 'AHC-FMT-002'] },
    { name: 'URL-decodes cookie values', flaws: { decodesPercent: true }, caughtBy: ['AHC-FMT-006'] },
    { name: 'reads the hash from a header or the query too', flaws: { readsHeaderAndQuery: true }, caughtBy: ['AHC-SRC-001', 'AHC-SRC-002'] },
    { name: 'collects cookies into a plain object', flaws: { plainObjectCookies: true }, caughtBy: ['AHC-PROTO-001', 'AHC-PROTO-002'] },
    { name: 'returns 401 for a wrong IP', flaws: { wrongIpIs401: true }, caughtBy: ['AHC-IP-001', 'AHC-IP-002', 'AHC-IP-008'] },
    { name: 'names the bound IP in the wrong-IP reply', flaws: { namesBoundIp: true }, caughtBy: ['AHC-LEAK-003'] },
    { name: 'tells a deleted hash from an unknown one', flaws: { tellsRevokedApart: true }, caughtBy: ['AHC-LEAK-001'] },
  ];

  for (const mutant of mutants) {
    it(`fails a server that ${mutant.name} (${mutant.caughtBy.join(', ')})`, async () => {
      const { results, issued } = await accessHashOverHttp(mutant.flaws);
      expectARealRun(results);
      expect(failedMust(results)).toEqual(expect.arrayContaining([...mutant.caughtBy]));
      for (const result of results) {
        for (const hash of issued) expect((result.message ?? '').toLowerCase()).not.toContain(hash.slice(0, 32));
      }
      expect(Object.prototype).not.toHaveProperty('access_hash');
    });
  }
});

// ---- hmac-signature@1 --------------------------------------------------------------------------------------------

async function hmacOverHttp(policy: NoncePolicy, flaws: HmacFlaws = {}): Promise<Run> {
  const issued: string[] = [];
  const driver = hmacInProcessDriver(
    createHmacReference({ policy, flaws, clientIp: '127.0.0.1', allowedIp: '127.0.0.2', onIssued: (values) => issued.push(...values) }),
  );
  const fx = await driver.setup();
  const limited = fx.limitedKey as NonNullable<typeof fx.limitedKey>;
  const restricted = fx.ipRestrictedKey as NonNullable<typeof fx.ipRestrictedKey>;
  const results = await runOverHttp('hmac-signature@1', hmacSignatureV1, (request, remoteAddress) => driver.send(request, { remoteAddress }), {
    api_key: fx.apiKey,
    api_secret: fx.apiSecret,
    nonce: fx.nonce,
    user_id: fx.userId,
    nonce_policy: policy,
    other_user_id: fx.otherUserId as string,
    limited_api_key: limited.apiKey,
    limited_api_secret: limited.apiSecret,
    limited_nonce: limited.nonce,
    permission_path: REFERENCE_PERMISSION_PATH,
    ip_restricted_api_key: restricted.apiKey,
    ip_restricted_api_secret: restricted.apiSecret,
    ip_restricted_nonce: restricted.nonce,
    allowed_ip: '127.0.0.2',
  });
  return { results, issued };
}

const HMAC_HTTP_SKIPS = ['HMAC-KEY-002', 'HMAC-SESSION-007', 'HMAC-STORE-001', 'HMAC-STORE-002', 'HMAC-STORE-003'];

describe('hmac-signature@1 over HTTP', () => {
  const byPolicy: Record<NoncePolicy, readonly string[]> = {
    unique: ['HMAC-NONCE-003', 'HMAC-NONCE-004', 'HMAC-NONCE-006'],
    increasing: ['HMAC-NONCE-005', 'HMAC-NONCE-006'],
    issued: ['HMAC-NONCE-001', 'HMAC-NONCE-002', 'HMAC-NONCE-003', 'HMAC-NONCE-004', 'HMAC-NONCE-005', 'HMAC-NONCE-007'],
  };
  for (const policy of ['unique', 'increasing', 'issued'] as const) {
    it(`passes every case against the reference server with ${policy} nonces; skips only store-failure, revoke and other nonce policies`, async () => {
      const { results } = await hmacOverHttp(policy);
      expect(failures(results)).toEqual([]);
      const skips = skipped(results);
      expect(Object.keys(skips).sort()).toEqual([...HMAC_HTTP_SKIPS, ...byPolicy[policy]].sort());
      expect(skips['HMAC-KEY-002']).toBe('requires revoke');
      expect(results.find((result) => result.id === 'HMAC-IP-002')?.status).toBe('passed');
    });
  }

  const mutants: readonly { name: string; flaws: HmacFlaws; policy: NoncePolicy; caughtBy: readonly string[] }[] = [
    { name: 'accepts a replayed nonce', flaws: { acceptsReplayedNonce: true }, policy: 'unique', caughtBy: ['HMAC-NONCE-001', 'HMAC-NONCE-002'] },
    { name: 'compares signatures case-sensitively', flaws: { caseSensitiveSignature: true }, policy: 'unique', caughtBy: ['HMAC-SIG-001'] },
    { name: 'ignores user ownership', flaws: { ignoresUserOwnership: true }, policy: 'unique', caughtBy: ['HMAC-USER-001'] },
    { name: 'lets the body win when headers and body disagree', flaws: { bodyWinsOverHeaders: true }, policy: 'unique', caughtBy: ['HMAC-REQ-004'] },
    { name: 'compares nonces as text', flaws: { comparesNoncesAsText: true }, policy: 'increasing', caughtBy: ['HMAC-NONCE-004'] },
    { name: 'accepts any nonce under the issued policy', flaws: { anyNonceWhenIssued: true }, policy: 'issued', caughtBy: ['HMAC-NONCE-006'] },
    { name: 'compares a signature prefix', flaws: { prefixCompare: true }, policy: 'unique', caughtBy: ['HMAC-SIG-003'] },
    { name: 'says which part was wrong', flaws: { leaksWhichPart: true }, policy: 'unique', caughtBy: ['HMAC-LEAK-001'] },
    { name: 'reads the session token from the query', flaws: { readsTokenFromQuery: true }, policy: 'unique', caughtBy: ['HMAC-SESSION-008'] },
    { name: 'ignores allowed IPs', flaws: { ignoresAllowedIps: true }, policy: 'unique', caughtBy: ['HMAC-IP-001'] },
    { name: 'believes X-Forwarded-For from anyone', flaws: { trustsForwardedFor: true }, policy: 'unique', caughtBy: ['HMAC-IP-003'] },
    { name: 'ignores permissions', flaws: { ignoresPermissions: true }, policy: 'unique', caughtBy: ['HMAC-PERM-001'] },
  ];

  for (const mutant of mutants) {
    it(`fails a server that ${mutant.name} (${mutant.caughtBy.join(', ')})`, async () => {
      const { results, issued } = await hmacOverHttp(mutant.policy, mutant.flaws);
      expectARealRun(results);
      expect(failedMust(results)).toEqual(expect.arrayContaining([...mutant.caughtBy]));
      for (const result of results) for (const value of issued) expect(result.message ?? '').not.toContain(value);
    });
  }
});
