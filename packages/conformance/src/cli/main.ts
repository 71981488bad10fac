// `gatehouse-conformance`: the commands, wired to injected I/O so that tests drive them without a server.
import type { ConformanceProfile } from '../case.js';
import { profiles as kitProfiles } from '../profiles/index.js';
import { formatSummary, runProfile } from '../run.js';
import { parseArguments, type RunArguments } from './args.js';
import { mergeSettings, parseConfigFile, validateBaseUrl, validateFixtures, type ConfigFile, type RunSettings } from './config.js';
import { checkCaseIds, judge, parseExpectations, parseExpectationsText, type Expectations, type JudgedResult } from './expectations.js';
import { caseListing, formatCaseTable, formatProgressLine, formatUnexpected } from './output.js';
import { buildJsonReport, renderJunit, type RunRecord } from './report.js';
import { TOOL, UsageError, type CliContext, type CliIo, type HttpDriverHandle, type HttpDrivers } from './types.js';
import { usage } from './usage.js';

export type { CliContext, CliIo, HttpDriverHandle, HttpDriverOptions, HttpDrivers, HttpFixtureSpec } from './types.js';

/** The exit codes of the CLI. */
export const EXIT = { ok: 0, unexpected: 1, usage: 2 } as const;

type Profiles = Readonly<Record<string, ConformanceProfile<unknown>>>;

interface Resolved {
  readonly io: CliIo;
  readonly http: HttpDrivers | undefined;
  readonly profiles: Profiles;
  readonly version: string;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch() says only "fetch failed"; the reason (ECONNREFUSED, …) is its cause.
  const cause: unknown = error.cause;
  return cause instanceof Error && cause.message !== '' && !error.message.includes(cause.message) ? `${error.message} (${cause.message})` : error.message;
}

function findProfile(profiles: Profiles, id: string): ConformanceProfile<unknown> {
  const profile = Object.hasOwn(profiles, id) ? profiles[id] : undefined;
  if (profile === undefined) throw new UsageError(`unknown profile ${JSON.stringify(id)} (profiles: ${Object.keys(profiles).join(', ')})`);
  return profile;
}

function httpProfileIds(context: Resolved): string[] {
  return context.http === undefined ? [] : Object.keys(context.http.HTTP_FIXTURES);
}

function listProfiles(context: Resolved, json: boolean): number {
  const httpIds = new Set(httpProfileIds(context));
  const rows = Object.values(context.profiles).map((profile) => ({
    id: profile.id,
    title: profile.title,
    cases: profile.cases.length,
    http: httpIds.has(profile.id),
  }));
  if (json) {
    context.io.out(JSON.stringify(rows, null, 2));
    return EXIT.ok;
  }
  const width = Math.max(...rows.map((row) => row.id.length));
  for (const row of rows) {
    context.io.out(`${row.id.padEnd(width)}  ${row.title} (${row.cases} cases; ${row.http ? 'HTTP: gatehouse-conformance run' : 'in-process only: @gatehouse/conformance/vitest'})`);
  }
  return EXIT.ok;
}

function listCases(context: Resolved, profileId: string, json: boolean): number {
  const profile = findProfile(context.profiles, profileId);
  if (json) context.io.out(JSON.stringify(caseListing(profile), null, 2));
  else for (const line of formatCaseTable(profile)) context.io.out(line);
  return EXIT.ok;
}

async function readText(io: CliIo, path: string, what: string): Promise<string> {
  try {
    return await io.readFile(path);
  } catch (error) {
    throw new UsageError(`${what} ${path}: cannot read (${describeError(error)})`);
  }
}

async function loadExpectations(io: CliIo, expect: RunSettings['expect']): Promise<{ expectations: Expectations; source: string }> {
  if (expect === undefined) return { expectations: new Map(), source: '' };
  if ('path' in expect) {
    const source = `--expect ${expect.path}`;
    return { expectations: parseExpectationsText(await readText(io, expect.path, '--expect'), source), source };
  }
  return { expectations: parseExpectations(expect.inline, expect.source), source: expect.source };
}

/** Everything `run` has checked before it contacts the server. */
interface PreparedRun {
  readonly profile: ConformanceProfile<unknown>;
  readonly http: HttpDrivers;
  readonly baseUrl: string;
  readonly fixtures: Record<string, string>;
  readonly expectations: Expectations;
  readonly disable: readonly string[];
  readonly timeoutInMilliseconds: number | undefined;
  readonly reportJson: string | undefined;
  readonly reportJunit: string | undefined;
}

async function prepareRun(context: Resolved, args: RunArguments): Promise<PreparedRun> {
  let config: ConfigFile | null = null;
  if (args.config !== undefined) config = parseConfigFile(await readText(context.io, args.config, '--config'), args.config);
  const settings = mergeSettings(args, config);

  if (settings.profile === undefined) throw new UsageError('run: --profile <id> is required (or "profile" in --config)');
  const profile = findProfile(context.profiles, settings.profile);
  const http = context.http;
  const specs = http !== undefined && Object.hasOwn(http.HTTP_FIXTURES, profile.id) ? http.HTTP_FIXTURES[profile.id] : undefined;
  if (http === undefined || specs === undefined) {
    const httpIds = httpProfileIds(context);
    throw new UsageError(
      `run: ${profile.id} runs in-process only, not over HTTP: use describeConformance({ profile: '${profile.id}', … }) ` +
        `from @gatehouse/conformance/vitest, or runProfile() from @gatehouse/conformance` +
        (httpIds.length > 0 ? `. Profiles that run over HTTP: ${httpIds.join(', ')}` : ''),
    );
  }
  if (settings.baseUrl === undefined) throw new UsageError('run: --base-url <url> is required (or "baseUrl" in --config)');
  const baseUrl = validateBaseUrl(settings.baseUrl);
  const fixtures = validateFixtures(profile.id, settings.fixtures, specs);
  const { expectations, source } = await loadExpectations(context.io, settings.expect);
  checkCaseIds(expectations.keys(), profile, source);
  checkCaseIds(settings.disable, profile, '--disable');
  return {
    profile,
    http,
    baseUrl,
    fixtures,
    expectations,
    disable: settings.disable,
    timeoutInMilliseconds: settings.timeoutInMilliseconds,
    reportJson: settings.reportJson,
    reportJunit: settings.reportJunit,
  };
}

async function writeReport(io: CliIo, path: string, text: string, flag: string): Promise<void> {
  try {
    await io.writeFile(path, text);
  } catch (error) {
    throw new UsageError(`${flag} ${path}: cannot write (${describeError(error)})`);
  }
}

async function run(context: Resolved, args: RunArguments): Promise<number> {
  const { io } = context;
  const prepared = await prepareRun(context, args);
  const { profile, baseUrl, expectations } = prepared;
  const disabled = new Set(prepared.disable);
  const colour = io.color ?? io.isTTY ?? false;
  const now = (): Date => io.now?.() ?? new Date();

  const startedAt = now();
  let handle: HttpDriverHandle;
  try {
    handle = await prepared.http.createHttpDriver(profile.id, {
      baseUrl,
      fixtures: prepared.fixtures,
      ...(prepared.timeoutInMilliseconds === undefined ? {} : { timeoutInMilliseconds: prepared.timeoutInMilliseconds }),
    });
  } catch (error) {
    // The driver refuses options it finds wrong with a ConfigurationError naming the option: a usage error.
    if (error instanceof Error && error.name === 'ConfigurationError') throw new UsageError(`run: ${describeError(error)}`);
    io.err(`${TOOL}: could not start ${profile.id} against ${baseUrl}: ${describeError(error)}`);
    return EXIT.unexpected;
  }

  io.out(`${TOOL} ${context.version}: ${profile.id} against ${baseUrl}`);
  const judged: JudgedResult[] = [];
  let crashed: unknown = null;
  try {
    // The driver's own capabilities, with those the profile derives from it (fixture capabilities are settled
    // per case by the cases themselves).
    const capabilities = [...new Set([...(profile.capabilitiesOf?.(handle.driver) ?? []), ...handle.capabilities])];
    await runProfile(profile, handle.driver, {
      disable: prepared.disable,
      capabilities,
      ...(prepared.timeoutInMilliseconds === undefined ? {} : { timeoutInMilliseconds: prepared.timeoutInMilliseconds }),
      onResult(result) {
        const judgedResult = judge(result, expectations, disabled);
        judged.push(judgedResult);
        io.out(formatProgressLine(judgedResult, colour));
      },
    });
  } catch (error) {
    crashed = error;
  } finally {
    try {
      await handle.cleanup();
    } catch (error) {
      io.err(`${TOOL}: clean-up after the run failed: ${describeError(error)}`);
    }
  }
  if (crashed !== null) {
    io.err(`${TOOL}: the run stopped: ${describeError(crashed)}`);
    return EXIT.unexpected;
  }
  const finishedAt = now();

  io.out('');
  io.out(formatSummary(judged));
  const unexpectedLine = formatUnexpected(judged);
  if (unexpectedLine !== null) io.out(unexpectedLine);

  const record: RunRecord = { version: context.version, profile: profile.id, profileTitle: profile.title, baseUrl, startedAt, finishedAt, results: judged };
  if (prepared.reportJson !== undefined) await writeReport(io, prepared.reportJson, `${JSON.stringify(buildJsonReport(record), null, 2)}\n`, '--report-json');
  if (prepared.reportJunit !== undefined) await writeReport(io, prepared.reportJunit, renderJunit(record), '--report-junit');
  return judged.some((result) => result.unexpected) ? EXIT.unexpected : EXIT.ok;
}

/**
 * Runs `gatehouse-conformance` with its arguments (without `node` and the script) and resolves to the exit
 * code: 0 without unexpected results, 1 with unexpected results (or a run that could not complete), 2 for a
 * usage error. Never throws for a usage error; it is printed on `io.err`.
 *
 * @example
 * ```ts
 * const code = await runCli(['run', '--profile', 'nvx-hash@1', '--base-url', 'http://127.0.0.1:3000', '--set', 'login=demo'], io, { http });
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo, context: CliContext = {}): Promise<number> {
  const resolved: Resolved = {
    io,
    http: context.http,
    profiles: context.profiles ?? (kitProfiles as unknown as Profiles),
    version: context.version ?? '0.0.0',
  };
  try {
    const command = parseArguments(argv);
    switch (command.kind) {
      case 'help':
        io.out(usage(command.topic, resolved.http?.HTTP_FIXTURES));
        return EXIT.ok;
      case 'version':
        io.out(resolved.version);
        return EXIT.ok;
      case 'profiles':
        return listProfiles(resolved, command.json);
      case 'list':
        return listCases(resolved, command.profile, command.json);
      case 'run':
        return await run(resolved, command.args);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${TOOL}: ${error.message}`);
      io.err(`Try: ${TOOL} ${argv[0] === 'run' || argv[0] === 'list' || argv[0] === 'profiles' ? `${argv[0]} ` : ''}--help`);
      return EXIT.usage;
    }
    io.err(`${TOOL}: ${describeError(error)}`);
    return EXIT.unexpected;
  }
}
