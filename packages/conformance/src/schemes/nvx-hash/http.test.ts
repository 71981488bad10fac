// nvx-hash@2 over HTTP: the reference and its variants behind a real node:http server on 127.0.0.1, driven through
// the scheme's HTTP driver (provisioning through user/auth and api/key/create, clean-up), and the desync probe
// against a raw TCP server that frames bodies wrongly.
import { ConfigurationError } from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import { createHttpSender } from '../../http/sender.js';
import { serveWire } from '../../http/__fixtures__/wire-server.js';
import { runProfile, type CaseResult } from '../../run.js';
import { ServerThrottledError } from '../../scheme.js';
import { NVX_TEST_ACCOUNTS, NVX_TEST_FIXTURES } from './__fixtures__/key-routes.js';
import type { NvxChoices, NvxFlaws } from './__fixtures__/reference.js';
import { schemeContext, serveDesyncMutant, serveReference } from './__fixtures__/servers.js';
import { createNvxHttpDriver, nvxHashScheme, nvxHashV2, nvxInProcessDriver, type NvxHashDriver } from './index.js';
import { createNvxReference } from './__fixtures__/reference.js';

const QUERY_ON_CASES = ['NVX-QUERY-001', 'NVX-QUERY-004', 'NVX-QUERY-005', 'NVX-QUERY-006', 'NVX-SRC-004', 'NVX-SRC-005'];

const failed = (results: readonly CaseResult[]): CaseResult[] => results.filter((result) => result.status === 'failed');
const security = (results: readonly CaseResult[]): string[] =>
  results.filter((result) => result.status === 'failed' && (result.failureKind === 'accepted' || result.failureKind === 'leaked')).map((result) => result.id);
const differing = (results: readonly CaseResult[]): Record<string, readonly string[]> =>
  Object.fromEntries(results.filter((result) => result.wire === 'differs').map((result) => [result.id, result.wireDifferences]));

interface HttpRun {
  readonly results: CaseResult[];
  readonly issued: string[];
  /** Live API keys and user sessions of the test accounts after the clean-up. */
  readonly left: number;
}

async function overHttp(options: { choices?: NvxChoices; flaws?: NvxFlaws; prefix?: string } = {}): Promise<HttpRun> {
  const issued: string[] = [];
  const { server, reference } = await serveReference({ ...options, onIssued: (hashes) => issued.push(...hashes) });
  try {
    const base = options.prefix === undefined ? server.baseUrl : `${server.baseUrl}${options.prefix}`;
    const handle = await nvxHashScheme.createHttpDriver?.(schemeContext(base, NVX_TEST_FIXTURES, reference.parameters));
    if (handle === undefined) throw new Error('the scheme has no HTTP driver');
    let results: CaseResult[];
    try {
      results = await runProfile(nvxHashV2, handle.driver, { capabilities: handle.capabilities, parameters: reference.parameters });
    } finally {
      await handle.cleanup();
    }
    const { master, sub } = NVX_TEST_ACCOUNTS;
    const left =
      reference.management.count('api-key', master.ownerId) + reference.management.count('user-session', master.ownerId) + reference.management.count('user-session', sub.ownerId);
    return { results, issued, left };
  } finally {
    await server.close();
  }
}

describe('nvx-hash@2 over HTTP', () => {
  it('passes the reference with zero wire differences, runs the key and desync cases, and leaves no key or session behind', async () => {
    const { results, left } = await overHttp();
    expect(failed(results)).toEqual([]);
    expect(differing(results)).toEqual({});
    expect(results.filter((result) => result.status === 'skipped').map((result) => result.id).sort()).toEqual([...QUERY_ON_CASES, 'NVX-STORE-001'].sort());
    for (const id of ['NVX-KEYS-001', 'NVX-KEYS-002', 'NVX-KEYS-003', 'NVX-DESYNC-001', 'NVX-DESYNC-002', 'NVX-KIND-007', 'NVX-HASH-007']) {
      expect(results.find((result) => result.id === id)?.status).toBe('passed');
    }
    expect(left).toBe(0);
  }, 60_000);

  it('passes honest variants with their declared parameters: codes 4/13/5/7 with forms ignored; precedence, session hashes allowed, last duplicate key, query on', async () => {
    const a = await overHttp({ choices: { unknownHashCode: 4, wrongKindCode: 13, ambiguousCode: 5, queryRefusedCode: 3, keyRefusalCode: 7, formBody: 'ignored' } });
    expect(failed(a.results)).toEqual([]);
    expect(differing(a.results)).toEqual({});
    const b = await overHttp({ choices: { sourceConflict: 'precedence', sessionHashOnUserApi: 'allowed', duplicateJsonKeys: 'last', queryHash: 'enabled', wrongKindCode: 3 } });
    expect(failed(b.results)).toEqual([]);
    expect(differing(b.results)).toEqual({});
  }, 120_000);

  it('runs under a base URL with a path, the raw desync probe included', async () => {
    const { results } = await overHttp({ prefix: '/gateway' });
    expect(failed(results)).toEqual([]);
    expect(results.find((result) => result.id === 'NVX-DESYNC-001')?.status).toBe('passed');
  }, 60_000);

  const mutants: readonly { name: string; flaws: NvxFlaws; caughtBy: readonly string[] }[] = [
    { name: 'still accepts a deleted key', flaws: { acceptsRevoked: true }, caughtBy: ['NVX-HASH-006', 'NVX-KEYS-002'] },
    { name: 'keeps a deleted key working from its cache', flaws: { cachesAcceptedHashes: true }, caughtBy: ['NVX-KEYS-002'] },
    { name: 'accepts a user session hash under /panel/', flaws: { userSessionOnPanel: true }, caughtBy: ['NVX-KIND-003'] },
    { name: 'lets an API key create keys', flaws: { apiKeyCreatesKeys: true }, caughtBy: ['NVX-KEYS-003'] },
    { name: 'echoes the hash', flaws: { echoesHash: true }, caughtBy: ['NVX-LEAK-002'] },
  ];
  for (const mutant of mutants) {
    it(`fails a server that ${mutant.name} as a security failure (${mutant.caughtBy.join(', ')}), never repeating a hash, and cleans up`, async () => {
      const { results, issued, left } = await overHttp({ flaws: mutant.flaws });
      expect(security(results)).toEqual(expect.arrayContaining([...mutant.caughtBy]));
      for (const result of results) for (const hash of issued) expect(`${result.message ?? ''} ${result.wireDifferences.join(' ')}`.toLowerCase()).not.toContain(hash);
      expect(left).toBe(0);
    }, 60_000);
  }
});

describe('the desync probe', () => {
  async function againstMutant(mode: 'oversized' | 'get-body'): Promise<CaseResult[]> {
    const mutant = await serveDesyncMutant(mode);
    const sender = createHttpSender({ baseUrl: new URL(mutant.baseUrl), timeoutInMilliseconds: 10_000, bindSourceAddress: false });
    try {
      const inner = nvxInProcessDriver(createNvxReference());
      const driver: NvxHashDriver = { ...inner, capabilities: ['raw-connection'], raw: { sender, host: new URL(mutant.baseUrl).host, pathPrefix: '' } };
      return await runProfile(nvxHashV2, driver, { capabilities: driver.capabilities });
    } finally {
      sender.close();
      await mutant.close();
    }
  }

  it('fails a server that goes on parsing an oversized body it refused (NVX-DESYNC-001, accepted)', async () => {
    const results = await againstMutant('oversized');
    expect(results.find((result) => result.id === 'NVX-DESYNC-001')).toMatchObject({ status: 'failed', failureKind: 'accepted', message: expect.stringMatching(/parsed requests out of a body/) });
    expect(results.find((result) => result.id === 'NVX-DESYNC-002')?.status).toBe('passed');
  }, 30_000);

  it('fails a server that never reads the body of a GET (NVX-DESYNC-002, accepted)', async () => {
    const results = await againstMutant('get-body');
    expect(results.find((result) => result.id === 'NVX-DESYNC-002')).toMatchObject({ status: 'failed', failureKind: 'accepted' });
    expect(results.find((result) => result.id === 'NVX-DESYNC-001')?.status).toBe('passed');
  }, 30_000);
});

describe('the NVX HTTP driver', () => {
  it('provisions through user/auth and api/key/create, reading replies in another casing, and deletes keys the cases left', async () => {
    const { server, reference } = await serveReference();
    try {
      const handle = await createNvxHttpDriver(schemeContext(server.baseUrl, NVX_TEST_FIXTURES));
      expect(handle.capabilities).toEqual(['key-routes', 'raw-connection', 'ended-session', 'sub-user']);
      const first = await handle.driver.setup();
      const second = await handle.driver.setup();
      expect(first.apiKey).not.toBe(second.apiKey);
      expect(reference.management.count('api-key', NVX_TEST_ACCOUNTS.master.ownerId)).toBe(3);
      expect(reference.management.find(first.revokedApiKey)).toMatchObject({ active: false });
      expect(reference.management.find(first.endedSessionHash as string)).toMatchObject({ active: false });
      // A key a case made and did not delete, and one it deleted itself.
      const create = (): Request =>
        new Request('http://gatehouse.test/v2/api/key/create', { method: 'POST', headers: { authorization: `NVX ${first.userSessionHash}`, 'content-type': 'application/json' }, body: '{"title":"case"}' });
      await handle.driver.send(create());
      const made = (await handle.driver.send(create())).body as { value: { hash: string } };
      await handle.driver.send(new Request('http://gatehouse.test/v2/api/key/delete', { method: 'POST', headers: { authorization: `NVX ${first.userSessionHash}` }, body: new URLSearchParams({ key_hash: made.value.hash }) }));
      expect(reference.management.count('api-key', NVX_TEST_ACCOUNTS.master.ownerId)).toBe(4);
      await handle.cleanup();
      // The deleted key, the pool of three, the case's own deletion and the key it left: nothing deleted twice.
      expect(server.log.filter((line) => line.startsWith('POST /v2/api/key/delete')).length).toBe(6);
      expect(reference.management.count('api-key', NVX_TEST_ACCOUNTS.master.ownerId)).toBe(0);
      expect(reference.management.count('user-session', NVX_TEST_ACCOUNTS.master.ownerId)).toBe(0);
      expect(reference.management.count('user-session', NVX_TEST_ACCOUNTS.sub.ownerId)).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('throws ServerThrottledError on a 429 while provisioning, having removed what it made', async () => {
    let signIns = 0;
    const { server, reference } = await serveReference({ throttle: () => ++signIns > 1 });
    try {
      const started = createNvxHttpDriver(schemeContext(server.baseUrl, NVX_TEST_FIXTURES));
      await expect(started).rejects.toBeInstanceOf(ServerThrottledError);
      await expect(started).rejects.toThrow(/the server throttled the run \(HTTP 429 on the admin panel sign-in/);
      expect(reference.management.count('user-session', NVX_TEST_ACCOUNTS.master.ownerId)).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('throws when a key cannot be made, having deleted the keys it made and signed out', async () => {
    let created = 0;
    const { server, reference } = await serveReference({ failCreate: () => ++created > 2 });
    try {
      await expect(createNvxHttpDriver(schemeContext(server.baseUrl, NVX_TEST_FIXTURES))).rejects.toThrow(
        /creating an API key \(POST \/v2\/api\/key\/create\) failed: HTTP 403 .*"code":13.*may already have close to 20/,
      );
      expect(reference.management.count('api-key', NVX_TEST_ACCOUNTS.master.ownerId)).toBe(0);
      expect(reference.management.count('user-session', NVX_TEST_ACCOUNTS.master.ownerId)).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('follows base_path for its routes and default resources, without a sub-user', async () => {
    let count = 0;
    const seen: string[] = [];
    const fresh = (): string => (++count).toString(16).padStart(32, '0');
    const server = await serveWire(async (request) => {
      seen.push(`${new URL(request.url).pathname} ${await request.text()}`);
      return { status: 200, body: { success: true, hash: fresh(), value: { hash: fresh() } } };
    });
    try {
      const handle = await createNvxHttpDriver(schemeContext(server.baseUrl, { ...NVX_TEST_FIXTURES, sub_login: '', sub_password: '', base_path: '/api/v3' }));
      const fx = await handle.driver.setup();
      expect(fx).toMatchObject({ resourcePath: '/api/v3/tracker/list', panelResourcePath: '/api/v3/panel/tariff/list', apiBasePath: '/api/v3' });
      expect(fx.subUserSessionHash).toBeUndefined();
      expect(handle.capabilities).not.toContain('sub-user');
      await handle.cleanup();
      expect(new Set(seen.map((one) => one.split(' ')[0]))).toEqual(new Set(['/api/v3/user/auth', '/api/v3/panel/account/auth', '/api/v3/api/key/create', '/api/v3/api/key/delete', '/api/v3/user/logout']));
      expect(seen.find((one) => one.startsWith('/api/v3/user/auth'))).toBe('/api/v3/user/auth {"login":"demo","password":"demo-password"}');
    } finally {
      await server.close();
    }
  });

  it("throws the server's refusal when a sign-in fails, never repeating the password", async () => {
    const { server } = await serveReference();
    try {
      const started = createNvxHttpDriver(schemeContext(server.baseUrl, { ...NVX_TEST_FIXTURES, password: 'wrong-password-123' }));
      await expect(started).rejects.toThrow(/the master user's sign-in .* failed: HTTP 400 .*"code":4/);
      await expect(started).rejects.not.toThrow(/wrong-password-123/);
    } finally {
      await server.close();
    }
  });

  it('throws a ConfigurationError for fixtures it cannot use, before any request', async () => {
    const base = 'http://127.0.0.1:1';
    const make = (fixtures: Record<string, string>) => createNvxHttpDriver(schemeContext(base, { ...NVX_TEST_FIXTURES, ...fixtures }));
    await expect(make({ panel_resource: '/v2/admin/list' })).rejects.toThrow(ConfigurationError);
    await expect(make({ panel_resource: '/v2/admin/list' })).rejects.toThrow(/panel_resource must contain \/panel\//);
    await expect(make({ resource: 'tracker/list' })).rejects.toThrow(/resource must be an absolute path/);
    await expect(make({ sub_password: '' , sub_login: 'x' })).rejects.toThrow(/sub_login, sub_password go together .*missing sub_password/);
  });
});
