// The `--config file.json` of `run`, merged with the flags (flags win), and the fixtures checked against what the
// profile's HTTP driver takes. Values of fixtures are never repeated in a message: they are passwords and secrets.
import { dirname, resolve } from 'node:path';
import type { RunArguments } from './args.js';
import { parseTimeout } from './args.js';
import { type HttpFixtureSpec, UsageError } from './types.js';

/**
 * A config file, parsed: `{ "profile"?, "baseUrl"?, "fixtures"?, "parameters"?, "fixturesCommand"?, "schemes"?,
 * "strictWire"?, "expect"?, "disable"?, "timeout"? }`. `expect` is a path to an expectations file (relative to the
 * config file) or the expectations themselves; a `schemes` entry starting with `./` or `../` is relative to the
 * config file too.
 *
 * @example
 * ```ts
 * const config: ConfigFile = { profile: 'nvx-hash@2', fixtures: { login: 'demo' }, parameters: {}, schemes: [], disable: [] };
 * ```
 */
export interface ConfigFile {
  readonly profile?: string;
  readonly baseUrl?: string;
  readonly fixtures: Readonly<Record<string, string>>;
  /** The server's declared parameters. */
  readonly parameters: Readonly<Record<string, string>>;
  readonly fixturesCommand?: string;
  /** Scheme modules, relative paths already resolved against the config file's folder. */
  readonly schemes: readonly string[];
  readonly strictWire?: boolean;
  /** A path (already resolved against the config file's folder) or inline expectations. */
  readonly expect?: { readonly path: string } | { readonly inline: unknown; readonly source: string };
  readonly disable: readonly string[];
  readonly timeoutInMilliseconds?: number;
}

const CONFIG_KEYS = ['$schema', 'profile', 'baseUrl', 'fixtures', 'parameters', 'fixturesCommand', 'schemes', 'strictWire', 'expect', 'disable', 'timeout'];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses a config file's text. `path` names the file in messages and anchors a relative `expect` path.
 *
 * @example
 * ```ts
 * parseConfigFile('{"profile":"nvx-hash@2","fixtures":{"login":"demo"}}', 'conformance.json');
 * ```
 */
export function parseConfigFile(text: string, path: string): ConfigFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--config ${path}: not valid JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(raw)) throw new UsageError(`--config ${path}: expected a JSON object`);
  const unknown = Object.keys(raw).filter((key) => !CONFIG_KEYS.includes(key));
  if (unknown.length > 0) {
    throw new UsageError(`--config ${path}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((key) => JSON.stringify(key)).join(', ')} (valid: ${CONFIG_KEYS.slice(1).join(', ')})`);
  }
  const stringField = (key: 'profile' | 'baseUrl' | 'fixturesCommand'): string | undefined => {
    const value = raw[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--config ${path}: "${key}" must be a non-empty string`);
    return value;
  };

  const fixtures: Record<string, string> = Object.create(null) as Record<string, string>;
  if (raw['fixtures'] !== undefined) {
    if (!isPlainObject(raw['fixtures'])) throw new UsageError(`--config ${path}: "fixtures" must be an object of name → value`);
    for (const [name, value] of Object.entries(raw['fixtures'])) {
      if (typeof value === 'string') fixtures[name] = value;
      else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') fixtures[name] = String(value);
      else throw new UsageError(`--config ${path}: fixture "${name}" must be a string (or a number or boolean)`);
    }
  }

  const parameters: Record<string, string> = Object.create(null) as Record<string, string>;
  if (raw['parameters'] !== undefined) {
    if (!isPlainObject(raw['parameters'])) throw new UsageError(`--config ${path}: "parameters" must be an object of name → value`);
    for (const [name, value] of Object.entries(raw['parameters'])) {
      if (typeof value !== 'string') throw new UsageError(`--config ${path}: parameter "${name}" must be a string`);
      parameters[name] = value;
    }
  }

  const rawSchemes = raw['schemes'];
  let schemes: string[] = [];
  if (rawSchemes !== undefined) {
    const list: unknown[] = Array.isArray(rawSchemes) ? rawSchemes : [rawSchemes];
    if (!list.every((one): one is string => typeof one === 'string' && one.trim() !== '')) {
      throw new UsageError(`--config ${path}: "schemes" must be a module (a package name or a file path) or an array of them`);
    }
    schemes = list.map((one) => (/^\.\.?[\\/]/.test(one) ? resolve(dirname(path), one) : one));
  }

  const rawStrictWire = raw['strictWire'];
  if (rawStrictWire !== undefined && typeof rawStrictWire !== 'boolean') throw new UsageError(`--config ${path}: "strictWire" must be true or false`);

  let expect: ConfigFile['expect'];
  const rawExpect = raw['expect'];
  if (typeof rawExpect === 'string') {
    if (rawExpect.trim() === '') throw new UsageError(`--config ${path}: "expect" must not be empty`);
    expect = { path: resolve(dirname(path), rawExpect) };
  } else if (rawExpect !== undefined) {
    expect = { inline: rawExpect, source: `--config ${path} "expect"` };
  }

  const rawDisable = raw['disable'];
  let disable: string[] = [];
  if (rawDisable !== undefined) {
    if (!Array.isArray(rawDisable) || !rawDisable.every((id) => typeof id === 'string' && id.trim() !== '')) {
      throw new UsageError(`--config ${path}: "disable" must be an array of case ids`);
    }
    disable = rawDisable.map((id: string) => id.trim());
  }

  const rawTimeout = raw['timeout'];
  let timeoutInMilliseconds: number | undefined;
  if (rawTimeout !== undefined) {
    if (typeof rawTimeout !== 'number') throw new UsageError(`--config ${path}: "timeout" must be a number of milliseconds`);
    timeoutInMilliseconds = parseTimeout(String(rawTimeout), `--config ${path}: "timeout"`);
  }

  const profile = stringField('profile');
  const baseUrl = stringField('baseUrl');
  const fixturesCommand = stringField('fixturesCommand');
  return {
    ...(profile === undefined ? {} : { profile }),
    ...(baseUrl === undefined ? {} : { baseUrl }),
    fixtures,
    parameters,
    ...(fixturesCommand === undefined ? {} : { fixturesCommand }),
    schemes,
    ...(rawStrictWire === undefined ? {} : { strictWire: rawStrictWire }),
    ...(expect === undefined ? {} : { expect }),
    disable,
    ...(timeoutInMilliseconds === undefined ? {} : { timeoutInMilliseconds }),
  };
}

/**
 * The settings of one run: the flags over the config file.
 *
 * @example
 * ```ts
 * const settings: RunSettings = mergeSettings(args, config);
 * ```
 */
export interface RunSettings {
  readonly profile: string | undefined;
  readonly baseUrl: string | undefined;
  /** The config file's fixtures with the `--set` ones over them (a fixtures command's output goes in between). */
  readonly fixtures: Readonly<Record<string, string>>;
  /** The config file's fixtures alone. */
  readonly configFixtures: Readonly<Record<string, string>>;
  /** The `--set` fixtures alone. */
  readonly setFixtures: Readonly<Record<string, string>>;
  readonly parameters: Readonly<Record<string, string>>;
  readonly fixturesCommand: string | undefined;
  readonly schemes: readonly string[];
  readonly strictWire: boolean;
  readonly expect: ConfigFile['expect'] | undefined;
  readonly disable: readonly string[];
  readonly timeoutInMilliseconds: number | undefined;
  readonly reportJson: string | undefined;
  readonly reportJunit: string | undefined;
}

/**
 * Merges the flags over the config file: `--profile`, `--base-url`, `--expect`, `--fixtures-command` and
 * `--timeout` replace the file's values; `--set` and `--param` replace single fixtures and parameters (the last
 * of a name wins); `--disable` and `--scheme` add to the file's lists; `--strict-wire` turns strictness on.
 *
 * @example
 * ```ts
 * mergeSettings({ sets: [['login', 'demo']], params: [], schemes: [], strictWire: false, disable: [] }, { fixtures: { login: 'x', password: 'p' }, parameters: {}, schemes: [], disable: [] });
 * // fixtures: { login: 'demo', password: 'p' }
 * ```
 */
export function mergeSettings(args: RunArguments, config: ConfigFile | null): RunSettings {
  const configFixtures: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(config?.fixtures ?? {})) configFixtures[name] = value;
  const setFixtures: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of args.sets) setFixtures[name] = value;
  const parameters: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(config?.parameters ?? {})) parameters[name] = value;
  for (const [name, value] of args.params) parameters[name] = value;
  return {
    profile: args.profile ?? config?.profile,
    baseUrl: args.baseUrl ?? config?.baseUrl,
    fixtures: Object.assign(Object.create(null) as Record<string, string>, configFixtures, setFixtures),
    configFixtures,
    setFixtures,
    parameters,
    fixturesCommand: args.fixturesCommand ?? config?.fixturesCommand,
    schemes: [...new Set([...(config?.schemes ?? []), ...args.schemes])],
    strictWire: args.strictWire || config?.strictWire === true,
    expect: args.expect !== undefined ? { path: args.expect } : config?.expect,
    disable: [...new Set([...(config?.disable ?? []), ...args.disable])],
    timeoutInMilliseconds: args.timeoutInMilliseconds ?? config?.timeoutInMilliseconds,
    reportJson: args.reportJson,
    reportJunit: args.reportJunit,
  };
}

/**
 * Checks fixtures against the profile's HTTP fixtures: an unknown name is an error that lists the valid names, a
 * missing required fixture (one without a default) an error naming every missing one. Returns the fixtures as a
 * plain object. Never repeats a value.
 *
 * @example
 * ```ts
 * validateFixtures('nvx-hash@2', { login: 'demo' }, HTTP_FIXTURES['nvx-hash@2']); // throws: missing password, …
 * ```
 */
export function validateFixtures(
  profileId: string,
  fixtures: Readonly<Record<string, string>>,
  specs: readonly HttpFixtureSpec[],
): Record<string, string> {
  const known = new Map(specs.map((spec) => [spec.name, spec]));
  const unknown = Object.keys(fixtures).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new UsageError(
      `${profileId} has no fixture${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => JSON.stringify(name)).join(', ')}; valid fixtures: ${specs.map((spec) => spec.name).join(', ')}`,
    );
  }
  const missing = specs.filter((spec) => spec.required && spec.default === undefined && (fixtures[spec.name] === undefined || fixtures[spec.name] === ''));
  if (missing.length > 0) {
    throw new UsageError(
      `${profileId} needs the fixture${missing.length > 1 ? 's' : ''} ${missing.map((spec) => spec.name).join(', ')} (--set name=value or "fixtures" in --config)\n` +
        missing.map((spec) => `  ${spec.name}: ${spec.description}`).join('\n'),
    );
  }
  return { ...fixtures };
}

/**
 * Checks `--base-url`: an absolute http or https URL without credentials, query or fragment.
 *
 * @example
 * ```ts
 * validateBaseUrl('http://127.0.0.1:3000'); // 'http://127.0.0.1:3000'
 * ```
 */
export function validateBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--base-url must be an absolute URL such as http://127.0.0.1:3000, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--base-url must be http:// or https://, got ${JSON.stringify(url.protocol)}`);
  if (url.username !== '' || url.password !== '') throw new UsageError('--base-url must not carry a user name or password');
  if (url.search !== '' || url.hash !== '') throw new UsageError('--base-url must not have a query or a fragment');
  return text;
}
