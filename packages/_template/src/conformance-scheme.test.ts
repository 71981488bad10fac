// `template-key@1` plugs into the conformance kit from outside it: in-process through describeConformance({
// scheme, driver }), against servers that break its rules (each caught as a security failure), and through the
// built `gatehouse-conformance` CLI loading the built `./conformance` entry with `--scheme` against the template
// served on node:http.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProfile, type CaseResult } from '@gatehouse/conformance';
import { describeConformance } from '@gatehouse/conformance/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemplateApp, inProcessSender, OWNER_TOKEN, serveTemplateApp, type TemplateFlaws } from './__fixtures__/template-app.js';
import { createTemplateKeyDriver, templateKeyScheme, type TemplateKeyDriverOptions } from './conformance-scheme.js';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(join(PACKAGE, 'package.json'));
const CLI = join(dirname(require.resolve('@gatehouse/conformance/package.json')), 'dist', 'cli.js');
const OPTIONS: TemplateKeyDriverOptions = { ownerToken: OWNER_TOKEN, keysPath: '/keys', resource: '/resource', headerName: 'x-template-key' };

async function inProcessDriver(flaws: TemplateFlaws = {}) {
  return createTemplateKeyDriver(inProcessSender(createTemplateApp(flaws)), OPTIONS);
}

// In-process, as a strategy package's own suite would run its scheme.
describeConformance({ scheme: templateKeyScheme, driver: (await inProcessDriver()).driver });

const failuresOf = (results: readonly CaseResult[]): string[] => results.filter((result) => result.status === 'failed').map((result) => `${result.id}:${result.failureKind ?? ''}`);
const differing = (results: readonly CaseResult[]): string[] => results.filter((result) => result.wire === 'differs').map((result) => result.id);

describe('template-key@1 against honest and flawed servers (in-process)', () => {
  it('passes the template with zero wire differences under the defaults', async () => {
    const results = await runProfile(templateKeyScheme.profile, (await inProcessDriver()).driver);
    expect(failuresOf(results)).toEqual([]);
    expect(results.every((result) => result.status === 'passed')).toBe(true);
    expect(differing(results)).toEqual([]);
  });

  it('a server that answers malformed keys with 401 passes every security case; its choice is a declared parameter', async () => {
    const variant = await runProfile(templateKeyScheme.profile, (await inProcessDriver({ malformedIs401: true })).driver);
    expect(failuresOf(variant)).toEqual([]);
    expect(differing(variant)).toEqual(['TK-ENV-001']);
    const declared = await runProfile(templateKeyScheme.profile, (await inProcessDriver({ malformedIs401: true })).driver, { parameters: { malformed_key_reply: '401' } });
    expect(failuresOf(declared)).toEqual([]);
    expect(differing(declared)).toEqual([]);
  });

  it.each([
    [{ acceptAnyKey: true }, ['TK-KEY-002:accepted', 'TK-KEY-003:accepted', 'TK-REV-001:accepted', 'TK-LEAK-002:accepted', 'TK-ENV-001:accepted']],
    [{ cachesKeys: true }, ['TK-REV-001:accepted', 'TK-LEAK-002:accepted']],
    [{ prefixMatch: true }, ['TK-KEY-003:accepted', 'TK-REV-001:accepted', 'TK-LEAK-002:accepted']],
    [{ echoesKey: true }, ['TK-LEAK-001:leaked', 'TK-LEAK-002:leaked']],
    [{ revealsRevoked: true }, ['TK-LEAK-002:leaked']],
  ] as const)('catches a server with %j as a security failure, never merely a wire difference', async (flaws, expected) => {
    const results = await runProfile(templateKeyScheme.profile, (await inProcessDriver(flaws)).driver);
    expect(failuresOf(results)).toEqual(expected);
  });

  it('stops at once when the server throttles the key routes', async () => {
    await expect(inProcessDriver({ throttles: true })).rejects.toMatchObject({ name: 'ServerThrottledError', message: expect.stringContaining('HTTP 429 on POST /keys') });
  });
});

// ---- through the built CLI --------------------------------------------------------------------------------------

/** The newest modification time of the files the `./conformance` entry is built from. */
function newestSource(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '__fixtures__') newest = Math.max(newest, newestSource(path));
    } else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function node(args: readonly string[], cwd = PACKAGE): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...args], { cwd, timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

const DIST_SCHEME = join(PACKAGE, 'dist', 'conformance.js');
/** Whether the package's own build (`dist/conformance.js`) is newer than its sources. */
const distIsFresh = existsSync(DIST_SCHEME) && statSync(DIST_SCHEME).mtimeMs >= newestSource(join(PACKAGE, 'src'));

describe('gatehouse-conformance run --scheme <the template\'s built ./conformance entry>', () => {
  let scheme = DIST_SCHEME;
  let privateBuild: string | null = null;
  const reports = mkdtempSync(join(tmpdir(), 'template-conformance-'));

  beforeAll(async () => {
    expect(existsSync(CLI), `${CLI}: build @gatehouse/conformance first`).toBe(true);
    if (distIsFresh) return;
    // dist/ is missing or older than src/: build the entry into a folder of our own (never racing the package's
    // own build), inside the package so that it imports @gatehouse/conformance as dist/ would.
    privateBuild = join(PACKAGE, 'node_modules', '.cache', `conformance-scheme-${process.pid}`);
    const tsup = join(dirname(require.resolve('tsup/package.json')), 'dist', 'cli-default.js');
    const built = await node([tsup, '--entry.conformance', 'src/conformance-scheme.ts', '--format', 'esm', '--platform', 'neutral', '--target', 'es2022', '--external', '@gatehouse/conformance', '--out-dir', privateBuild, '--no-config', '--silent']);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    scheme = join(privateBuild, 'conformance.js');
  }, 120_000);

  afterAll(() => {
    rmSync(reports, { recursive: true, force: true });
    if (privateBuild !== null) rmSync(privateBuild, { recursive: true, force: true });
  });

  async function runAgainst(flaws: TemplateFlaws, args: readonly string[]): Promise<Outcome & { keysLeft: unknown }> {
    const server = await serveTemplateApp(flaws);
    try {
      const outcome = await node([CLI, 'run', '--scheme', scheme, '--profile', 'template-key@1', '--base-url', server.baseUrl, ...args]);
      const listing = flaws.throttles === true ? null : await (await fetch(`${server.baseUrl}/keys`, { headers: { authorization: `Bearer ${OWNER_TOKEN}` } })).json();
      return { ...outcome, keysLeft: listing };
    } finally {
      await server.close();
    }
  }

  it('runs every case against the template served on node:http: exit 0, every case in the JSON report, every key it made revoked', async () => {
    const report = join(reports, 'honest.json');
    const outcome = await runAgainst({}, ['--set', `owner_token=${OWNER_TOKEN}`, '--report-json', report]);
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain(`(scheme from ${scheme})`);
    expect(outcome.stdout).toContain('parameters: malformed_key_reply=400 (default)');
    expect(outcome.stdout).toContain('security: 7 passed, 0 failed, 0 skipped; wire: 0 cases differ from the documents');
    const json = JSON.parse(readFileSync(report, 'utf8')) as { profile: string; parameters: unknown; summary: unknown; results: { id: string; status: string; wire: string }[] };
    expect(json.profile).toBe('template-key@1');
    expect(json.parameters).toEqual({ malformed_key_reply: '400' });
    expect(json.results.map(({ id, status }) => `${id}:${status}`)).toEqual(templateKeyScheme.profile.cases.map((testCase) => `${testCase.id}:passed`));
    expect(json.results.find((result) => result.id === 'TK-ENV-001')?.wire).toBe('matches');
    expect(json.summary).toEqual({ security: { passed: 7, failed: 0, accepted: 0, leaked: 0, broken: 0 }, wire: { matches: 1, differs: 0, notChecked: 6 }, skipped: 0, unexpected: 0 });
    expect(outcome.keysLeft).toEqual({ data: [] });
  }, 120_000);

  it('takes the owner token from a fixtures command', async () => {
    const command = `${JSON.stringify(process.execPath)} -e "process.stdout.write(JSON.stringify({ owner_token: '${OWNER_TOKEN}' }))"`;
    const outcome = await runAgainst({}, ['--fixtures-command', command]);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain('security: 7 passed, 0 failed, 0 skipped');
  }, 120_000);

  it('a declared parameter the server does not follow is a wire difference: exit 0, or 1 with --strict-wire', async () => {
    const lenient = await runAgainst({}, ['--set', `owner_token=${OWNER_TOKEN}`, '--param', 'malformed_key_reply=401']);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/^✓ WIRE TK-ENV-001 .*\n {4}wire: a malformed key: HTTP 400, expected 401$/m);
    const strict = await runAgainst({}, ['--set', `owner_token=${OWNER_TOKEN}`, '--param', 'malformed_key_reply=401', '--strict-wire']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('1 unexpected: TK-ENV-001 (MUST, wire differs)');
    const variant = await runAgainst({ malformedIs401: true }, ['--set', `owner_token=${OWNER_TOKEN}`, '--param', 'malformed_key_reply=401', '--strict-wire']);
    expect(variant.code).toBe(0);
  }, 120_000);

  it('fails a server that keeps accepting revoked keys as ACCEPTED (exit 1), and says so in the report', async () => {
    const report = join(reports, 'cached.json');
    const outcome = await runAgainst({ cachesKeys: true }, ['--set', `owner_token=${OWNER_TOKEN}`, '--report-json', report]);
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toMatch(/^✗ ACCEPTED TK-REV-001 .* — a key revoked through the delete route was accepted: HTTP 200$/m);
    const json = JSON.parse(readFileSync(report, 'utf8')) as { results: { id: string; failureKind: string | null }[]; summary: { security: { accepted: number } } };
    expect(json.results.find((result) => result.id === 'TK-REV-001')?.failureKind).toBe('accepted');
    expect(json.summary.security.accepted).toBe(2);
  }, 120_000);

  it('reports a throttling server as such, and a wrong owner token as a failed start (exit 1)', async () => {
    const throttled = await runAgainst({ throttles: true }, ['--set', `owner_token=${OWNER_TOKEN}`]);
    expect(throttled.code).toBe(1);
    expect(throttled.stderr).toContain('gatehouse-conformance: the server throttled the run: HTTP 429 on POST /keys');
    const wrong = await runAgainst({}, ['--set', 'owner_token=someone-else']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('could not start template-key@1 against http://127.0.0.1:');
    expect(wrong.stderr).toContain('POST /keys could not issue a key: HTTP 401 {"error":"API key required"} (is owner_token right?)');
  }, 120_000);

  it.skipIf(!distIsFresh)('finds the scheme by package name from the package folder, and lists its cases and parameters', async () => {
    const listed = await node([CLI, 'list', '--scheme', '@gatehouse/strategy-template/conformance', '--profile', 'template-key@1']);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('template-key@1: Template API keys (template-key@1)');
    expect(listed.stdout).toContain('  malformed_key_reply = 400 | 401 (default 400)');
    const profiles = await node([CLI, 'profiles', '--scheme', './dist/conformance.js']);
    expect(profiles.stdout).toMatch(/^template-key@1 +Template API keys \(template-key@1\) \(7 cases, 1 parameter; HTTP: gatehouse-conformance run\) from --scheme \.\/dist\/conformance\.js$/m);
  }, 120_000);
});
