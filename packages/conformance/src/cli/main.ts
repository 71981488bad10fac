// `gatehouse-conformance`: the commands, wired to injected I/O so that tests drive them without a server.
import type { ConformanceProfile } from '../case.js';
import { profiles as kitProfiles } from '../profiles/index.js';
import { resolveParameters, runProfile } from '../run.js';
import type { ConformanceScheme, HttpDriverHandle } from '../scheme.js';
import { describeSchemeProblem, schemes as kitSchemes } from '../schemes/index.js';
import { parseArguments, type RunArguments } from './args.js';
import { mergeSettings, parseConfigFile, validateBaseUrl, validateFixtures, type ConfigFile, type RunSettings } from './config.js';
import { checkCaseIds, judge, parseExpectations, parseExpectationsText, type Expectations, type JudgedResult } from './expectations.js';
import { caseListing, formatCaseTable, formatProgressLines, formatRunSummary, formatUnexpected } from './output.js';
import { buildJsonReport, renderJunit, type RunRecord } from './report.js';
import { RunError, TOOL, UsageError, type CliContext, type CliIo, type HttpDrivers } from './types.js';
import { usage } from './usage.js';

export type { CliContext, CliIo, CommandOutcome, HttpDriverHandle, HttpDriverOptions, HttpDrivers, HttpFixtureSpec } from './types.js';

/** The exit codes of the CLI. */
export const EXIT = { ok: 0, unexpected: 1, usage: 2 } as const;

type Profiles = Readonly<Record<string, ConformanceProfile<unknown>>>;

interface Resolved {
  readonly io: CliIo;
  readonly context: CliContext;
  readonly http: HttpDrivers | undefined;
  readonly version: string;
}

/** A scheme the run knows, and where it came from: `null` for the kit's own, else the `--scheme` module. */
interface RegisteredScheme {
  readonly scheme: ConformanceScheme<unknown>;
  readonly module: string | null;
}

/** Every profile a command knows: the schemes (built in and loaded) and the in-process-only profiles. */
interface Registry {
  readonly schemes: ReadonlyMap<string, RegisteredScheme>;
  readonly inProcess: Profiles;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch() says only "fetch failed"; the reason (ECONNREFUSED, …) is its cause.
  const cause: unknown = error.cause;
  return cause instanceof Error && cause.message !== '' && !error.message.includes(cause.message) ? `${error.message} (${cause.message})` : error.message;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The schemes a `--scheme` module exports: its default export and its `conformanceSchemes`, each a scheme or an array. */
function schemesOfModule(namespace: unknown, module: string): ConformanceScheme<unknown>[] {
  const exports = isObject(namespace) ? namespace : {};
  const found: ConformanceScheme<unknown>[] = [];
  let exported = 0;
  for (const name of ['conformanceSchemes', 'default'] as const) {
    const value = exports[name];
    if (value === undefined) continue;
    // A CommonJS module's default export is its whole `module.exports`, `conformanceSchemes` included.
    if (name === 'default' && isObject(value) && 'conformanceSchemes' in value && !('profile' in value)) continue;
    exported++;
    const list: unknown[] = Array.isArray(value) ? value : [value];
    for (const [index, one] of list.entries()) {
      const problem = describeSchemeProblem(one);
      const where = name === 'default' ? 'its default export' : '`conformanceSchemes`';
      if (problem !== null) throw new UsageError(`--scheme ${module}: ${where}${Array.isArray(value) ? `[${index}]` : ''} is not a ConformanceScheme: ${problem}`);
      if (!found.includes(one as ConformanceScheme<unknown>)) found.push(one as ConformanceScheme<unknown>);
    }
  }
  if (exported === 0) {
    throw new UsageError(`--scheme ${module}: exports no scheme (export a ConformanceScheme, or an array of them, as the default export or as \`conformanceSchemes\`)`);
  }
  if (found.length === 0) throw new UsageError(`--scheme ${module}: exports an empty list of schemes`);
  return found;
}

async function buildRegistry(resolved: Resolved, modules: readonly string[]): Promise<Registry> {
  const builtIn = resolved.context.schemes ?? (Object.values(kitSchemes) as ConformanceScheme<unknown>[]);
  const registered = new Map<string, RegisteredScheme>();
  for (const scheme of builtIn) registered.set(scheme.profile.id, { scheme, module: null });
  const inProcess: Record<string, ConformanceProfile<unknown>> = {};
  for (const [id, profile] of Object.entries(resolved.context.profiles ?? (kitProfiles as unknown as Profiles))) {
    if (!registered.has(id)) inProcess[id] = profile;
  }
  for (const module of modules) {
    const load = resolved.context.loadModule;
    if (load === undefined) throw new UsageError(`--scheme ${module}: loading scheme modules is not available here`);
    let namespace: unknown;
    try {
      namespace = await load(module);
    } catch (error) {
      throw new UsageError(`--scheme ${module}: cannot load (${describeError(error)})`);
    }
    for (const scheme of schemesOfModule(namespace, module)) {
      const id = scheme.profile.id;
      const existing = registered.get(id);
      if (existing?.scheme === scheme) continue;
      if (existing !== undefined || Object.hasOwn(inProcess, id)) {
        const owner = existing === undefined || existing.module === null ? 'the kit' : `--scheme ${existing.module}`;
        throw new UsageError(`--scheme ${module}: profile ${JSON.stringify(id)} is already registered by ${owner}`);
      }
      registered.set(id, { scheme, module });
    }
  }
  return { schemes: registered, inProcess };
}

function allIds(registry: Registry): string[] {
  return [...registry.schemes.keys(), ...Object.keys(registry.inProcess)].sort();
}

function findProfile(registry: Registry, id: string): { profile: ConformanceProfile<unknown>; registered: RegisteredScheme | null } {
  const registered = registry.schemes.get(id);
  if (registered !== undefined) return { profile: registered.scheme.profile, registered };
  const profile = Object.hasOwn(registry.inProcess, id) ? registry.inProcess[id] : undefined;
  if (profile === undefined) throw new UsageError(`unknown profile ${JSON.stringify(id)} (profiles: ${allIds(registry).join(', ')})`);
  return { profile, registered: null };
}

function runsOverHttp(resolved: Resolved, registered: RegisteredScheme | null | undefined): boolean {
  return resolved.http !== undefined && registered !== null && registered !== undefined && typeof registered.scheme.createHttpDriver === 'function';
}

async function listProfiles(resolved: Resolved, json: boolean, modules: readonly string[]): Promise<number> {
  const registry = await buildRegistry(resolved, modules);
  const rows = allIds(registry).map((id) => {
    const { profile, registered } = findProfile(registry, id);
    return {
      id,
      title: profile.title,
      cases: profile.cases.length,
      parameters: (profile.parameters ?? []).length,
      http: runsOverHttp(resolved, registered),
      module: registered?.module ?? null,
    };
  });
  if (json) {
    resolved.io.out(JSON.stringify(rows, null, 2));
    return EXIT.ok;
  }
  const width = Math.max(...rows.map((row) => row.id.length));
  for (const row of rows) {
    const how = row.http ? 'HTTP: gatehouse-conformance run' : 'in-process only: @gatehouse/conformance/vitest';
    const parameters = row.parameters > 0 ? `, ${row.parameters} parameter${row.parameters === 1 ? '' : 's'}` : '';
    resolved.io.out(`${row.id.padEnd(width)}  ${row.title} (${row.cases} cases${parameters}; ${how})${row.module === null ? '' : ` from --scheme ${row.module}`}`);
  }
  return EXIT.ok;
}

async function listCases(resolved: Resolved, profileId: string, json: boolean, modules: readonly string[]): Promise<number> {
  const { profile } = findProfile(await buildRegistry(resolved, modules), profileId);
  if (json) resolved.io.out(JSON.stringify(caseListing(profile), null, 2));
  else for (const line of formatCaseTable(profile)) resolved.io.out(line);
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

/** Everything `run` has checked before it contacts the server or runs the fixtures command. */
interface PreparedRun {
  readonly scheme: ConformanceScheme<unknown>;
  readonly module: string | null;
  readonly http: HttpDrivers;
  readonly settings: RunSettings;
  readonly baseUrl: string;
  /** Every parameter with the value the run uses. */
  readonly parameters: Readonly<Record<string, string>>;
  readonly expectations: Expectations;
}

async function prepareRun(resolved: Resolved, args: RunArguments): Promise<PreparedRun> {
  let config: ConfigFile | null = null;
  if (args.config !== undefined) config = parseConfigFile(await readText(resolved.io, args.config, '--config'), args.config);
  const settings = mergeSettings(args, config);
  const registry = await buildRegistry(resolved, settings.schemes);

  if (settings.profile === undefined) throw new UsageError('run: --profile <id> is required (or "profile" in --config)');
  const { profile, registered } = findProfile(registry, settings.profile);
  const http = resolved.http;
  if (registered === null || http === undefined || !runsOverHttp(resolved, registered)) {
    const httpIds = [...registry.schemes.values()].filter((one) => runsOverHttp(resolved, one)).map((one) => one.scheme.profile.id);
    throw new UsageError(
      `run: ${profile.id} runs in-process only, not over HTTP: use describeConformance({ profile: '${profile.id}', … }) ` +
        `from @gatehouse/conformance/vitest, or runProfile() from @gatehouse/conformance` +
        (httpIds.length > 0 ? `. Profiles that run over HTTP: ${httpIds.join(', ')}` : ''),
    );
  }
  if (settings.baseUrl === undefined) throw new UsageError('run: --base-url <url> is required (or "baseUrl" in --config)');
  const baseUrl = validateBaseUrl(settings.baseUrl);
  let parameters: Readonly<Record<string, string>>;
  try {
    parameters = resolveParameters(profile.parameters ?? [], settings.parameters);
  } catch (error) {
    const message = describeError(error).replace(/^Invalid option `parameters`: /, '');
    throw new UsageError(`run: ${profile.id}: ${message} (--param name=value or "parameters" in --config; see \`${TOOL} list --profile ${profile.id}\`)`);
  }
  // Fixture names are checked before the fixtures command runs; required ones once its output is in.
  const scheme = registered.scheme;
  validateFixtures(profile.id, settings.fixtures, scheme.fixtures.map((spec) => ({ ...spec, required: false })));
  const { expectations, source } = await loadExpectations(resolved.io, settings.expect);
  checkCaseIds(expectations.keys(), profile, source);
  checkCaseIds(settings.disable, profile, '--disable');
  return { scheme, module: registered.module, http, settings, baseUrl, parameters, expectations };
}

/** Runs the fixtures command and reads the JSON object it prints. Never repeats a value. */
async function fixturesFromCommand(resolved: Resolved, command: string, baseUrl: string, profileId: string): Promise<Record<string, string>> {
  const runCommand = resolved.context.runCommand;
  if (runCommand === undefined) throw new UsageError('--fixtures-command is not available here');
  let outcome;
  try {
    outcome = await runCommand(command, { GATEHOUSE_BASE_URL: baseUrl, GATEHOUSE_PROFILE: profileId });
  } catch (error) {
    throw new RunError(`--fixtures-command could not run: ${describeError(error)}`);
  }
  const stderr = outcome.stderr.trim();
  const stderrText = stderr === '' ? ' (it wrote nothing to stderr)' : `; its stderr:\n${stderr.length > 4000 ? `…${stderr.slice(-4000)}` : stderr}`;
  if (outcome.timedOut === true) throw new RunError(`--fixtures-command took too long and was stopped${stderrText}`);
  if (outcome.exitCode !== 0) {
    const how = outcome.exitCode === null ? `was ended by ${outcome.signal ?? 'a signal'}` : `exited with code ${outcome.exitCode}`;
    throw new RunError(`--fixtures-command failed: it ${how}${stderrText}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(outcome.stdout);
  } catch (error) {
    throw new RunError(`--fixtures-command did not print JSON (${(error as Error).message}); it must print one object of fixture names to values${stderrText}`);
  }
  if (!isObject(value) || Array.isArray(value)) throw new RunError('--fixtures-command must print one JSON object of fixture names to values');
  const fixtures: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, one] of Object.entries(value)) {
    if (typeof one === 'string') fixtures[name] = one;
    else if ((typeof one === 'number' && Number.isFinite(one)) || typeof one === 'boolean') fixtures[name] = String(one);
    else throw new RunError(`--fixtures-command: fixture "${name}" must be a string (or a number or boolean)`);
  }
  return fixtures;
}

async function writeReport(io: CliIo, path: string, text: string, flag: string): Promise<void> {
  try {
    await io.writeFile(path, text);
  } catch (error) {
    throw new UsageError(`${flag} ${path}: cannot write (${describeError(error)})`);
  }
}

const isThrottled = (error: unknown): boolean => error instanceof Error && error.name === 'ServerThrottledError';

/** `the server throttled the run: …`, without saying so twice when the error already does. */
function throttledMessage(error: Error): string {
  const detail = error.message.replace(/^the server throttled the run\s*(?:\(([^)]*)\))?\s*:?\s*/, (_match, what: string | undefined) => (what === undefined ? '' : `${what}: `));
  return `the server throttled the run: ${detail}`;
}

async function run(resolved: Resolved, args: RunArguments): Promise<number> {
  const { io } = resolved;
  const prepared = await prepareRun(resolved, args);
  const { scheme, settings, baseUrl, expectations, parameters } = prepared;
  const { profile } = scheme;
  const disabled = new Set(settings.disable);
  const colour = io.color ?? io.isTTY ?? false;
  const now = (): Date => io.now?.() ?? new Date();
  const timeout = settings.timeoutInMilliseconds === undefined ? {} : { timeoutInMilliseconds: settings.timeoutInMilliseconds };

  let fixtures: Record<string, string> = { ...settings.fixtures };
  if (settings.fixturesCommand !== undefined) {
    const fromCommand = await fixturesFromCommand(resolved, settings.fixturesCommand, baseUrl, profile.id);
    fixtures = { ...settings.configFixtures, ...fromCommand, ...settings.setFixtures };
  }
  fixtures = validateFixtures(profile.id, fixtures, scheme.fixtures);

  const startedAt = now();
  let handle: HttpDriverHandle<unknown>;
  try {
    handle = await prepared.http.createHttpDriver(scheme, { baseUrl, fixtures, parameters: settings.parameters, ...timeout });
  } catch (error) {
    // The driver refuses options it finds wrong with a ConfigurationError naming the option: a usage error.
    if (error instanceof Error && error.name === 'ConfigurationError') throw new UsageError(`run: ${describeError(error)}`);
    if (isThrottled(error)) throw new RunError(throttledMessage(error as Error));
    throw new RunError(`could not start ${profile.id} against ${baseUrl}: ${describeError(error)}`);
  }

  io.out(`${TOOL} ${resolved.version}: ${profile.id} against ${baseUrl}${prepared.module === null ? '' : ` (scheme from ${prepared.module})`}`);
  const declared = Object.keys(parameters);
  if (declared.length > 0) {
    io.out(`parameters: ${declared.map((name) => `${name}=${parameters[name]}${Object.hasOwn(settings.parameters, name) ? '' : ' (default)'}`).join(', ')}`);
  }
  const judged: JudgedResult[] = [];
  let crashed: unknown = null;
  try {
    // The driver's own capabilities, with those the profile derives from it (fixture capabilities are settled
    // per case by the cases themselves).
    const capabilities = [...new Set([...(profile.capabilitiesOf?.(handle.driver) ?? []), ...handle.capabilities])];
    await runProfile(profile, handle.driver, {
      disable: settings.disable,
      capabilities,
      parameters: settings.parameters,
      ...timeout,
      onResult(result) {
        const judgedResult = judge(result, expectations, disabled, { strictWire: settings.strictWire });
        judged.push(judgedResult);
        for (const line of formatProgressLines(judgedResult, colour)) io.out(line);
      },
    });
  } catch (error) {
    crashed = error;
  } finally {
    try {
      await handle.cleanup();
    } catch (error) {
      io.err(`${TOOL}: clean-up after the run failed: ${isThrottled(error) ? throttledMessage(error as Error) : describeError(error)}`);
    }
  }
  if (crashed !== null) throw new RunError(isThrottled(crashed) ? throttledMessage(crashed as Error) : `the run stopped: ${describeError(crashed)}`);
  const finishedAt = now();

  io.out('');
  io.out(formatRunSummary(judged, settings.strictWire));
  const unexpectedLine = formatUnexpected(judged);
  if (unexpectedLine !== null) io.out(unexpectedLine);
  const throttledCases = judged.filter((result) => result.status === 'failed' && (result.message ?? '').includes('ServerThrottledError')).length;
  if (throttledCases > 0) {
    io.err(`${TOOL}: the server throttled the run: ${throttledCases} case${throttledCases === 1 ? '' : 's'} got HTTP 429; raise its failure limits for the address the kit runs from`);
  }

  const record: RunRecord = {
    version: resolved.version,
    profile: profile.id,
    profileTitle: profile.title,
    baseUrl,
    parameters,
    strictWire: settings.strictWire,
    startedAt,
    finishedAt,
    results: judged,
  };
  if (settings.reportJson !== undefined) await writeReport(io, settings.reportJson, `${JSON.stringify(buildJsonReport(record), null, 2)}\n`, '--report-json');
  if (settings.reportJunit !== undefined) await writeReport(io, settings.reportJunit, renderJunit(record), '--report-junit');
  return judged.some((result) => result.unexpected) ? EXIT.unexpected : EXIT.ok;
}

/**
 * Runs `gatehouse-conformance` with its arguments (without `node` and the script) and resolves to the exit
 * code: 0 without unexpected results, 1 with unexpected results (or a run that could not complete), 2 for a
 * usage error. Never throws for a usage error; it is printed on `io.err`.
 *
 * @example
 * ```ts
 * const code = await runCli(['run', '--profile', 'nvx-hash@2', '--base-url', 'http://127.0.0.1:3000', '--set', 'login=demo'], io, { http });
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo, context: CliContext = {}): Promise<number> {
  const resolved: Resolved = { io, context, http: context.http, version: context.version ?? '0.0.0' };
  try {
    const command = parseArguments(argv);
    switch (command.kind) {
      case 'help': {
        const builtIn = context.schemes ?? (Object.values(kitSchemes) as ConformanceScheme<unknown>[]);
        const fixtures = resolved.http === undefined ? undefined : Object.fromEntries(builtIn.filter((one) => one.createHttpDriver !== undefined).map((one) => [one.profile.id, one.fixtures]));
        io.out(usage(command.topic, fixtures));
        return EXIT.ok;
      }
      case 'version':
        io.out(resolved.version);
        return EXIT.ok;
      case 'profiles':
        return await listProfiles(resolved, command.json, command.schemes);
      case 'list':
        return await listCases(resolved, command.profile, command.json, command.schemes);
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
