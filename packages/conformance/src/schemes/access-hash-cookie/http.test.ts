// access-hash-cookie@2 over HTTP: the reference and honest variants behind a real node:http server, hashes from the
// fixtures or made through a management route, revocation through that route or a command, and the mutants only
// HTTP shows: a server that parses requests out of a body, and one whose HTTP layer takes a 1 MiB cookie and cuts
// it into a live hash.
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createHttpDriver } from '../../http/index.js';
import { runProfile, type CaseResult } from '../../run.js';
import { ServerThrottledError } from '../../scheme.js';
import { createAccessHashReference, type AccessHashChoices, type AccessHashFlaws } from './__fixtures__/reference.js';
import { MANAGEMENT_PATH, serveHttp, serveRaw, withManagement, type AdminCheck, type Handler, type TestServer } from './__fixtures__/servers.js';
import { accessHashCookieScheme, accessHashCookieV2, accessHashInProcessDriver } from './index.js';

const failures = (results: readonly CaseResult[]): CaseResult[] => results.filter((result) => result.status === 'failed');
const wireDifferences = (results: readonly CaseResult[]): string[] => results.flatMap((result) => result.wireDifferences.map((difference) => `${result.id}: ${difference}`));
const security = (results: readonly CaseResult[]): string[] => results.filter((result) => result.failureKind === 'accepted' || result.failureKind === 'leaked').map((result) => result.id);
const skipped = (results: readonly CaseResult[]): Record<string, string | null> => Object.fromEntries(results.filter((result) => result.status === 'skipped').map((result) => [result.id, result.message]));

/** Cases that ask for a source address the kit cannot bind over loopback (IPv6, IPv4-mapped spellings). */
const UNBINDABLE = ['AHC-IP-003', 'AHC-IP-004', 'AHC-IP-005', 'AHC-IP-006', 'AHC-IP-007'];
const ADMIN_TOKEN = 'admin-token-0123456789';

interface Served {
  readonly reference: ReturnType<typeof createAccessHashReference>;
  readonly issued: string[];
  readonly handler: Handler;
}

function served(options: { readonly flaws?: AccessHashFlaws; readonly choices?: AccessHashChoices } = {}): Served {
  const issued: string[] = [];
  const reference = createAccessHashReference({ ...options, clientIp: '127.0.0.1', foreignIp: '127.0.0.2', onIssued: (hashes) => issued.push(...hashes) });
  const driver = accessHashInProcessDriver(reference);
  return { reference, issued, handler: (request, remoteAddress) => driver.send(request, { remoteAddress }) };
}

/** Runs the profile as the CLI does (capabilities from the handle), then cleans up and closes the server. */
async function runOver(
  server: TestServer,
  fixtures: Readonly<Record<string, string>>,
  parameters: Readonly<Record<string, string>> = {},
): Promise<CaseResult[]> {
  try {
    const handle = await createHttpDriver(accessHashCookieScheme, { baseUrl: server.baseUrl, fixtures, parameters });
    try {
      return await runProfile(accessHashCookieV2, handle.driver, { capabilities: handle.capabilities, parameters });
    } finally {
      await handle.cleanup();
    }
  } finally {
    await server.close();
  }
}

/** Fixtures of hashes issued up front (as a fixtures command would print them). */
async function issuedFixtures(reference: Served['reference']): Promise<Record<string, string>> {
  const fx = await reference.setup();
  return { access_hash: fx.accessHash, foreign_access_hash: fx.foreignAccessHash, revoked_access_hash: fx.revokedAccessHash as string };
}

describe('access-hash-cookie@2 over HTTP, hashes from the fixtures', () => {
  it('passes the reference with zero wire differences; skips only revocation, store-failure and unbindable-address cases', async () => {
    const { reference, handler } = served();
    const results = await runOver(await serveHttp(handler), await issuedFixtures(reference));
    expect(failures(results)).toEqual([]);
    expect(wireDifferences(results)).toEqual([]);
    const skips = skipped(results);
    expect(Object.keys(skips).sort()).toEqual([...UNBINDABLE, 'AHC-REVOKE-001', 'AHC-STORE-001', 'AHC-STORE-002'].sort());
    expect(skips['AHC-REVOKE-001']).toBe('requires revoke');
    // The desync probe, the foreign address and the 1 MiB cookie ran over the wire.
    const ran = new Set(results.filter((result) => result.status === 'passed').map((result) => result.id));
    for (const id of ['AHC-DESYNC-001', 'AHC-DESYNC-002', 'AHC-IP-002', 'AHC-IP-009', 'AHC-FMT-007', 'AHC-COOKIE-004']) expect(ran).toContain(id);
  });

  it('passes honest variants with their parameters declared: 403 for everything and trimming; first duplicate, any case, same-as-invalid', async () => {
    const variants: readonly { choices: AccessHashChoices; parameters: Record<string, string> }[] = [
      { choices: { whitespace: 'trim', refusalStatus: 403 }, parameters: { cookie_value_whitespace: 'trim', refusal_status: '403' } },
      {
        choices: { duplicates: 'first', hexCase: 'any', foreignIpReply: 'same-as-invalid', quotes: 'strip' },
        parameters: { duplicate_cookie: 'first', hex_case: 'any', foreign_ip_reply: 'same-as-invalid', cookie_value_quotes: 'strip' },
      },
    ];
    for (const variant of variants) {
      const { reference, handler } = served({ choices: variant.choices });
      const results = await runOver(await serveHttp(handler), await issuedFixtures(reference), variant.parameters);
      expect(failures(results)).toEqual([]);
      expect(wireDifferences(results)).toEqual([]);
    }
  });

  it('runs AHC-REVOKE-001 with revoke_command deleting spare_access_hash, and fails a server that caches lookups', async () => {
    for (const flaws of [{}, { cachesLookups: true }] as const) {
      const { reference, handler } = served({ flaws });
      const spare = (await reference.setup()).accessHash;
      // The command reaches the server the way an operator's script would: here, a test-only route.
      const withRevokeRoute: Handler = async (request, remoteAddress) => {
        const url = new URL(request.url);
        if (url.pathname !== '/test/revoke') return handler(request, remoteAddress);
        await (reference.revoke as (hash: string) => Promise<void>)(url.searchParams.get('hash') ?? '');
        return { status: 200, body: { error: '', msg: '', status: 'success' } };
      };
      const server = await serveHttp(withRevokeRoute);
      const command = `${JSON.stringify(process.execPath)} -e "fetch('${server.baseUrl}/test/revoke?hash='+process.env.GATEHOUSE_ACCESS_HASH).then(r=>process.exit(r.ok?0:1))"`;
      const results = await runOver(server, { ...(await issuedFixtures(reference)), spare_access_hash: spare, revoke_command: command });
      const revoke = results.find((result) => result.id === 'AHC-REVOKE-001');
      if ('cachesLookups' in flaws) expect(revoke).toMatchObject({ status: 'failed', failureKind: 'accepted' });
      else expect(revoke).toMatchObject({ status: 'passed' });
    }
  });
});

describe('access-hash-cookie@2 over HTTP, hashes made through the management route', () => {
  const admins: readonly { readonly name: string; readonly check: AdminCheck; readonly fixtures: Record<string, string> }[] = [
    { name: "the examples' bearer token (admin_token)", check: { bearer: ADMIN_TOKEN }, fixtures: { admin_token: ADMIN_TOKEN } },
    { name: "the demo's session cookie, writes in JSON (admin_header)", check: { cookie: 'gh_session=s3ss10n' }, fixtures: { admin_header: 'Cookie: gh_session=s3ss10n' } },
  ];
  for (const admin of admins) {
    it(`makes its own hashes with ${admin.name}, checks revocation, and deletes everything it made`, async () => {
      const { reference, handler } = served();
      const results = await runOver(await serveHttp(withManagement(reference.management, handler, admin.check)), { management_path: MANAGEMENT_PATH, ...admin.fixtures });
      expect(failures(results)).toEqual([]);
      expect(wireDifferences(results)).toEqual([]);
      expect(results.find((result) => result.id === 'AHC-REVOKE-001')).toMatchObject({ status: 'passed' });
      expect(results.find((result) => result.id === 'AHC-HASH-003')).toMatchObject({ status: 'passed' });
      expect(reference.management.liveIssued()).toBe(0);
    });
  }

  it('fails a server that caches lookups past a deletion through its own route, and one that ignores deletions', async () => {
    for (const flaws of [{ cachesLookups: true }, { acceptsRevoked: true }]) {
      const { reference, handler } = served({ flaws });
      const results = await runOver(await serveHttp(withManagement(reference.management, handler, { bearer: ADMIN_TOKEN })), { management_path: MANAGEMENT_PATH, admin_token: ADMIN_TOKEN });
      expect(results.find((result) => result.id === 'AHC-REVOKE-001')).toMatchObject({ status: 'failed', failureKind: 'accepted' });
    }
  });

  it('says what the route answered when it refuses the administrator, never repeating the credential; 429 is a throttled run', async () => {
    const { reference, handler } = served();
    const server = await serveHttp(withManagement(reference.management, handler, { bearer: ADMIN_TOKEN }));
    try {
      const wrong = createHttpDriver(accessHashCookieScheme, { baseUrl: server.baseUrl, fixtures: { management_path: MANAGEMENT_PATH, admin_token: 'wrong-token-value' } });
      await expect(wrong).rejects.toThrow(/making an access hash with POST \/api\/v1\/access-hashes \{"name","ip"\} failed: HTTP 401 .*Login required/);
      await expect(wrong).rejects.not.toThrow(/wrong-token-value/);
    } finally {
      await server.close();
    }
    const throttled = await serveHttp(withManagement(reference.management, handler, { bearer: ADMIN_TOKEN }, { throttled: true }));
    try {
      await expect(createHttpDriver(accessHashCookieScheme, { baseUrl: throttled.baseUrl, fixtures: { management_path: MANAGEMENT_PATH, admin_token: ADMIN_TOKEN } })).rejects.toThrow(ServerThrottledError);
    } finally {
      await throttled.close();
    }
  });
});

describe('access-hash-cookie@2 over HTTP, checking the fixtures', () => {
  const hash = 'ab'.repeat(40);
  const other = 'cd'.repeat(40);
  const base = 'http://127.0.0.1:1';
  const driverWith = (fixtures: Record<string, string>) => createHttpDriver(accessHashCookieScheme, { baseUrl: base, fixtures });

  it('needs the two hashes unless a management route is given, and names what is wrong', async () => {
    await expect(driverWith({})).rejects.toThrow(/needs the fixtures access_hash, foreign_access_hash .*or management_path/);
    await expect(driverWith({ access_hash: hash, foreign_access_hash: other, foreign_ip: '127.0.0.1' })).rejects.toThrow(/client_ip and foreign_ip must be different addresses/);
    const upper = driverWith({ access_hash: hash.toUpperCase(), foreign_access_hash: other });
    await expect(upper).rejects.toThrow(/fixture access_hash must be lower-case hex of 32 to 512 digits, as issued; got 80 characters/);
    await expect(upper).rejects.not.toThrow(/ABAB/);
    await expect(driverWith({ access_hash: hash, foreign_access_hash: other, trusted_proxies: 'all' })).rejects.toThrow(/trusted_proxies must be 'none' or 'configured'/);
    await expect(driverWith({ access_hash: hash, foreign_access_hash: other, admin_token: 'x' })).rejects.toThrow(/admin_token goes with management_path/);
    await expect(driverWith({ management_path: MANAGEMENT_PATH, admin_header: 'no colon here' })).rejects.toThrow(/admin_header must be one header line "Name: value"/);
    await expect(driverWith({ access_hash: hash, foreign_access_hash: other, spare_access_hash: 'ef'.repeat(40) })).rejects.toThrow(/spare_access_hash, revoke_command go together/);
    await expect(driverWith({ access_hash: hash, foreign_access_hash: hash })).rejects.toThrow(/the hash fixtures must all differ/);
  });

  it('offers raw-connection always, remote-address over loopback, revoke with a way to delete, and what the fixtures imply', async () => {
    const loopback = await driverWith({ access_hash: hash, foreign_access_hash: other });
    expect([...loopback.capabilities].sort()).toEqual(['ipv4-client', 'no-trusted-proxies', 'raw-connection', 'remote-address']);
    expect(await loopback.driver.setup()).toEqual({
      accessHash: hash,
      clientIp: '127.0.0.1',
      foreignAccessHash: other,
      foreignIp: '127.0.0.2',
      resourcePath: '/api/v1/system/status',
      cookieName: 'access_hash',
      trustedProxies: 'none',
    });
    expect(loopback.driver.rawConnection).toMatchObject({ host: '127.0.0.1:1', basePath: '' });
    const remote = await createHttpDriver(accessHashCookieScheme, {
      baseUrl: 'https://api.example.com/panel/',
      fixtures: { access_hash: hash, foreign_access_hash: other, client_ip: '203.0.113.7', foreign_ip: '198.51.100.23', revoked_access_hash: 'ef'.repeat(40), trusted_proxies: 'configured', spare_access_hash: '12'.repeat(40), revoke_command: 'true' },
    });
    expect([...remote.capabilities].sort()).toEqual(['ipv4-client', 'raw-connection', 'revoke', 'revoked-hash']);
    expect(remote.driver.rawConnection).toMatchObject({ host: 'api.example.com', basePath: '/panel' });
    for (const handle of [loopback, remote]) await handle.cleanup();
  });
});

/** Whether this host can listen on `::` and take IPv4 connections there. */
const dualStack = await new Promise<boolean>((resolve) => {
  const probe = createServer();
  probe.once('error', () => resolve(false));
  probe.listen(0, '::', () => probe.close(() => resolve(true)));
});

describe('access-hash-cookie@2 over HTTP fails insecure servers', () => {
  it('fails a server that parses requests out of a body it did not read (after a 413, in a GET), and passes one that frames them', async () => {
    const bad = served();
    const results = await runOver(await serveRaw(bad.handler, { desync: true }), await issuedFixtures(bad.reference));
    for (const id of ['AHC-DESYNC-001', 'AHC-DESYNC-002']) {
      expect(results.find((result) => result.id === id)).toMatchObject({ status: 'failed', failureKind: 'accepted', message: expect.stringMatching(/it parsed requests out of a body/) });
    }
    const good = served();
    const framed = await runOver(await serveRaw(good.handler, { desync: false }), await issuedFixtures(good.reference));
    for (const id of ['AHC-DESYNC-001', 'AHC-DESYNC-002']) expect(framed.find((result) => result.id === id)).toMatchObject({ status: 'passed' });
    expect(security(framed)).toEqual([]);
  }, 60_000);

  it('fails a server whose HTTP layer takes a 1 MiB cookie and cuts the value to a live hash (AHC-FMT-007, AHC-FMT-004)', async () => {
    const { reference, handler, issued } = served({ flaws: { truncatesLongHashes: true } });
    const results = await runOver(await serveHttp(handler, { maxHeaderSize: 4 * 1024 * 1024 }), await issuedFixtures(reference));
    expect(security(results)).toEqual(expect.arrayContaining(['AHC-FMT-007', 'AHC-FMT-004']));
    for (const result of results) for (const hash of issued) expect((result.message ?? '').toLowerCase()).not.toContain(hash.slice(0, 32));
  });

  const mutants: readonly { name: string; flaws: AccessHashFlaws; caughtBy: readonly string[] }[] = [
    { name: 'ignores the IP binding (foreign hash bound to 127.0.0.2)', flaws: { ignoresIpBinding: true }, caughtBy: ['AHC-IP-001', 'AHC-IP-002', 'AHC-IP-008'] },
    { name: 'believes X-Forwarded-For from anyone', flaws: { trustsForwardedFor: true }, caughtBy: ['AHC-IP-008', 'AHC-IP-009'] },
    { name: 'tells a deleted hash from an unknown one', flaws: { tellsRevokedApart: true }, caughtBy: ['AHC-LEAK-001', 'AHC-HASH-003'] },
    { name: 'echoes the hash in its refusals', flaws: { echoesHash: true }, caughtBy: ['AHC-LEAK-002'] },
  ];
  for (const mutant of mutants) {
    it(`fails a server that ${mutant.name} (${mutant.caughtBy.join(', ')})`, async () => {
      const { reference, handler, issued } = served({ flaws: mutant.flaws });
      const results = await runOver(await serveHttp(handler), await issuedFixtures(reference));
      expect(security(results)).toEqual(expect.arrayContaining([...mutant.caughtBy]));
      for (const result of results) for (const hash of issued) expect((result.message ?? '').toLowerCase()).not.toContain(hash.slice(0, 32));
    });
  }

  // A dual-stack server sees the kit as ::ffff:127.0.0.1: over HTTP the IPv4-mapped spelling comes from its socket.
  it.runIf(dualStack)('passes against a dual-stack server, which sees the kit at ::ffff:127.0.0.1', async () => {
    const { reference, handler } = served();
    const results = await runOver(await serveHttp(handler, { host: '::' }), await issuedFixtures(reference));
    expect(failures(results)).toEqual([]);
  });
});
