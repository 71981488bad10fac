// Command-line parsing for `gatehouse-conformance`: commands, flags (`--flag value` or `--flag=value`), repeatable
// flags, and usage errors that say what was wrong.
import { UsageError } from './types.js';

/** The arguments of `run`, as given on the command line (before the config file is merged in). */
export interface RunArguments {
  readonly profile?: string;
  readonly baseUrl?: string;
  readonly config?: string;
  /** `--set name=value`, in order. */
  readonly sets: readonly (readonly [string, string])[];
  /** `--param name=value`, in order: the server's declared parameters. */
  readonly params: readonly (readonly [string, string])[];
  /** `--scheme <module>`, in order: modules whose schemes are added to the kit's. */
  readonly schemes: readonly string[];
  /** `--fixtures-command <command>`: a shell command that prints fixtures as a JSON object. */
  readonly fixturesCommand?: string;
  /** `--strict-wire`: a case with wire differences counts as failed unless expected. */
  readonly strictWire: boolean;
  readonly expect?: string;
  readonly disable: readonly string[];
  readonly timeoutInMilliseconds?: number;
  readonly reportJson?: string;
  readonly reportJunit?: string;
}

/** A parsed command line. */
export type Command =
  | { readonly kind: 'help'; readonly topic: HelpTopic }
  | { readonly kind: 'version' }
  | { readonly kind: 'profiles'; readonly json: boolean; readonly schemes: readonly string[] }
  | { readonly kind: 'list'; readonly profile: string; readonly json: boolean; readonly schemes: readonly string[] }
  | { readonly kind: 'run'; readonly args: RunArguments };

export type HelpTopic = 'main' | 'run' | 'list' | 'profiles';

interface FlagSpec {
  /** Takes a value (`--flag value`); otherwise a switch. */
  readonly value: boolean;
  /** May be given more than once (values collected in order). */
  readonly repeatable?: boolean;
}

const RUN_FLAGS: Readonly<Record<string, FlagSpec>> = {
  '--profile': { value: true },
  '--base-url': { value: true },
  '--config': { value: true },
  '--set': { value: true, repeatable: true },
  '--param': { value: true, repeatable: true },
  '--scheme': { value: true, repeatable: true },
  '--fixtures-command': { value: true },
  '--strict-wire': { value: false },
  '--expect': { value: true },
  '--disable': { value: true, repeatable: true },
  '--timeout': { value: true },
  '--report-json': { value: true },
  '--report-junit': { value: true },
  '--help': { value: false },
};

const LIST_FLAGS: Readonly<Record<string, FlagSpec>> = {
  '--profile': { value: true },
  '--scheme': { value: true, repeatable: true },
  '--json': { value: false },
  '--help': { value: false },
};

const PROFILES_FLAGS: Readonly<Record<string, FlagSpec>> = {
  '--scheme': { value: true, repeatable: true },
  '--json': { value: false },
  '--help': { value: false },
};

/** The largest delay `setTimeout` honours (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMEOUT = 2_147_483_647;

type Parsed = Map<string, string[]>;

function parseFlags(command: string, argv: readonly string[], specs: Readonly<Record<string, FlagSpec>>): Parsed {
  const parsed: Parsed = new Map();
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    if (argument === '-h') {
      parsed.set('--help', ['']);
      continue;
    }
    if (!argument.startsWith('--')) {
      // `name=value` may carry a secret: show the name only.
      const equals = argument.indexOf('=');
      if (equals > 0) {
        const name = argument.slice(0, equals);
        throw new UsageError(`${command}: unexpected argument ${JSON.stringify(`${name}=…`)} (did you mean --set ${name}=…?)`);
      }
      throw new UsageError(`${command}: unexpected argument ${JSON.stringify(argument)}`);
    }
    const equals = argument.indexOf('=');
    const name = equals === -1 ? argument : argument.slice(0, equals);
    const spec = specs[name];
    if (spec === undefined) {
      throw new UsageError(`${command}: unknown option ${name} (valid: ${Object.keys(specs).join(', ')})`);
    }
    let value = '';
    if (spec.value) {
      if (equals !== -1) value = argument.slice(equals + 1);
      else {
        const next = argv[index + 1];
        if (next === undefined) throw new UsageError(`${command}: ${name} needs a value`);
        value = next;
        index++;
      }
    } else if (equals !== -1) {
      throw new UsageError(`${command}: ${name} takes no value`);
    }
    const values = parsed.get(name) ?? [];
    if (values.length > 0 && spec.repeatable !== true) throw new UsageError(`${command}: ${name} given more than once`);
    values.push(value);
    parsed.set(name, values);
  }
  return parsed;
}

function single(parsed: Parsed, name: string): string | undefined {
  return parsed.get(name)?.[0];
}

function nonEmpty(command: string, name: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw new UsageError(`${command}: ${name} must not be empty`);
  return value;
}

/**
 * Parses `--timeout`: a whole number of milliseconds from 1 to 2147483647.
 *
 * @example
 * ```ts
 * parseTimeout('5000', '--timeout'); // 5000
 * ```
 */
export function parseTimeout(text: string, name: string): number {
  const value = Number(text);
  if (!/^[1-9][0-9]*$/.test(text.trim()) || value > MAX_TIMEOUT) {
    throw new UsageError(`${name} must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/**
 * Splits `--set name=value` at the first `=`. The value is never repeated in an error message: it may be a
 * password or a secret.
 *
 * @example
 * ```ts
 * parseSet('login=demo'); // ['login', 'demo']
 * ```
 */
export function parseSet(text: string): [string, string] {
  const equals = text.indexOf('=');
  if (equals === -1) throw new UsageError('--set expects name=value (an argument without "=" was given)');
  const name = text.slice(0, equals).trim();
  if (name === '') throw new UsageError('--set expects name=value (a fixture name is missing before "=")');
  return [name, text.slice(equals + 1)];
}

/**
 * Splits `--param name=value` at the first `=`. Parameters are not secrets: messages may repeat them.
 *
 * @example
 * ```ts
 * parseParam('source_conflict=precedence'); // ['source_conflict', 'precedence']
 * ```
 */
export function parseParam(text: string): [string, string] {
  const equals = text.indexOf('=');
  const name = equals === -1 ? '' : text.slice(0, equals).trim();
  if (equals === -1 || name === '') throw new UsageError(`--param expects name=value (a declared parameter), got ${JSON.stringify(text)}`);
  return [name, text.slice(equals + 1).trim()];
}

function schemeList(command: string, parsed: Parsed): string[] {
  const schemes = parsed.get('--scheme') ?? [];
  if (schemes.some((one) => one.trim() === '')) throw new UsageError(`${command}: --scheme needs a module (a package name or a file path)`);
  return schemes;
}

/**
 * Parses the command line (without `node` and the script).
 *
 * @example
 * ```ts
 * parseArguments(['list', '--profile', 'nvx-hash@2', '--json']); // { kind: 'list', profile: 'nvx-hash@2', json: true, schemes: [] }
 * ```
 */
export function parseArguments(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '--help':
    case '-h':
      return { kind: 'help', topic: 'main' };
    case 'help': {
      const topic = rest[0];
      if (topic === undefined) return { kind: 'help', topic: 'main' };
      if (topic === 'run' || topic === 'list' || topic === 'profiles') return { kind: 'help', topic };
      throw new UsageError(`help: unknown command ${JSON.stringify(topic)} (commands: run, list, profiles)`);
    }
    case '--version':
    case '-v':
      return { kind: 'version' };
    case 'profiles': {
      const parsed = parseFlags('profiles', rest, PROFILES_FLAGS);
      if (parsed.has('--help')) return { kind: 'help', topic: 'profiles' };
      return { kind: 'profiles', json: parsed.has('--json'), schemes: schemeList('profiles', parsed) };
    }
    case 'list': {
      const parsed = parseFlags('list', rest, LIST_FLAGS);
      if (parsed.has('--help')) return { kind: 'help', topic: 'list' };
      const profile = nonEmpty('list', '--profile', single(parsed, '--profile'));
      if (profile === undefined) throw new UsageError('list: --profile <id> is required (see `gatehouse-conformance profiles`)');
      return { kind: 'list', profile, json: parsed.has('--json'), schemes: schemeList('list', parsed) };
    }
    case 'run': {
      const parsed = parseFlags('run', rest, RUN_FLAGS);
      if (parsed.has('--help')) return { kind: 'help', topic: 'run' };
      const timeout = single(parsed, '--timeout');
      type TextKey = 'profile' | 'baseUrl' | 'config' | 'expect' | 'reportJson' | 'reportJunit' | 'fixturesCommand';
      const optional = (flag: string, key: TextKey): Partial<Record<TextKey, string>> => {
        const value = nonEmpty('run', flag, single(parsed, flag));
        return value === undefined ? {} : { [key]: value };
      };
      const disable = (parsed.get('--disable') ?? []).flatMap((value) => value.split(',')).map((id) => id.trim());
      if (disable.some((id) => id === '')) throw new UsageError('run: --disable needs a case id');
      const args: RunArguments = {
        ...optional('--profile', 'profile'),
        ...optional('--base-url', 'baseUrl'),
        ...optional('--config', 'config'),
        ...optional('--expect', 'expect'),
        ...optional('--report-json', 'reportJson'),
        ...optional('--report-junit', 'reportJunit'),
        ...optional('--fixtures-command', 'fixturesCommand'),
        sets: (parsed.get('--set') ?? []).map(parseSet),
        params: (parsed.get('--param') ?? []).map(parseParam),
        schemes: schemeList('run', parsed),
        strictWire: parsed.has('--strict-wire'),
        disable,
        ...(timeout === undefined ? {} : { timeoutInMilliseconds: parseTimeout(timeout, '--timeout') }),
      };
      return { kind: 'run', args };
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)} (commands: run, list, profiles; see --help)`);
  }
}
