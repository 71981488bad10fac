// What the CLI needs from the outside world, passed in so that every piece runs in tests without a server, a
// terminal or a file system. `src/cli.ts` wires in the real ones (Node's fs, process.stdout, the HTTP drivers,
// module loading, a shell for the fixtures command).
import type { ConformanceProfile } from '../case.js';
import type { ConformanceScheme, HttpDriverHandle, HttpFixtureSpec } from '../scheme.js';

export type { HttpDriverHandle, HttpFixtureSpec };

/** Options of `createHttpDriver`. */
export interface HttpDriverOptions {
  readonly baseUrl: string;
  readonly fixtures: Readonly<Record<string, string>>;
  readonly parameters?: Readonly<Record<string, string>>;
  readonly timeoutInMilliseconds?: number;
}

/**
 * The HTTP drivers (`@gatehouse/conformance/http`), as the CLI uses them. Tests may pass a fake; the bin passes
 * the real module.
 */
export interface HttpDrivers {
  /** Checks the base URL, fixtures and parameters, and starts the scheme's HTTP driver. */
  createHttpDriver(scheme: ConformanceScheme<unknown>, options: HttpDriverOptions): Promise<HttpDriverHandle<unknown>>;
}

/** What a finished `--fixtures-command` left behind. */
export interface CommandOutcome {
  /** The exit code, or `null` when a signal ended it. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Whether the command was stopped for taking too long. */
  readonly timedOut?: boolean;
}

/** Output, files and the clock. */
export interface CliIo {
  /** Writes one line (without its newline) to standard output. */
  out(line: string): void;
  /** Writes one line (without its newline) to standard error. */
  err(line: string): void;
  /** Whether standard output is a terminal: progress lines get colours. Default false. */
  readonly isTTY?: boolean;
  /** Overrides colours (e.g. `false` when `NO_COLOR` is set). Default: `isTTY`. */
  readonly color?: boolean;
  readFile(path: string): Promise<string>;
  writeFile(path: string, text: string): Promise<void>;
  /** Default `() => new Date()`. */
  now?(): Date;
}

/** Everything else the CLI runs with. */
export interface CliContext {
  /** The HTTP drivers. Without them `run` cannot run a scheme (exit 2). */
  readonly http?: HttpDrivers;
  /** The schemes `run` knows before `--scheme` adds any. Default: the kit's built-in schemes. */
  readonly schemes?: readonly ConformanceScheme<unknown>[];
  /** Profiles listed but run in-process only. Default: the kit's store and contract profiles. */
  readonly profiles?: Readonly<Record<string, ConformanceProfile<unknown>>>;
  /**
   * Loads a `--scheme` module: a file path or a package name, resolved from the current directory. Without it
   * `--scheme` is a usage error.
   */
  loadModule?(specifier: string): Promise<unknown>;
  /**
   * Runs a `--fixtures-command` in a shell with `env` added to the environment. Without it `--fixtures-command`
   * is a usage error.
   */
  runCommand?(command: string, env: Readonly<Record<string, string>>): Promise<CommandOutcome>;
  /** The package version, for `--version` and the reports. Default `0.0.0`. */
  readonly version?: string;
}

/** The tool name, in reports and messages. */
export const TOOL = 'gatehouse-conformance';

/**
 * A mistake in how the CLI was called (arguments, config file, fixtures, parameters, expectations, a scheme
 * module): reported on stderr, exit code 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The run could not start or complete (a fixtures command failed, the server throttled the run): exit code 1. */
export class RunError extends Error {
  override readonly name = 'RunError';
}
