// What the CLI needs from the outside world, passed in so that every piece runs in tests without a server, a
// terminal or a file system. `src/cli.ts` wires in the real ones (Node's fs, process.stdout, the HTTP drivers).
import type { ConformanceProfile } from '../case.js';

/** One fixture a scheme profile's HTTP driver takes (`HTTP_FIXTURES` of `@gatehouse/conformance/http`). */
export interface HttpFixtureSpec {
  readonly name: string;
  readonly required: boolean;
  readonly default?: string;
  readonly description: string;
}

/** Options of `createHttpDriver`. */
export interface HttpDriverOptions {
  readonly baseUrl: string;
  readonly fixtures: Readonly<Record<string, string>>;
  readonly timeoutInMilliseconds?: number;
}

/** What `createHttpDriver` resolves to: a driver for the profile, its capabilities and a clean-up step. */
export interface HttpDriverHandle {
  readonly driver: unknown;
  readonly capabilities: readonly string[];
  cleanup(): Promise<void>;
}

/**
 * The HTTP drivers (`@gatehouse/conformance/http`), as the CLI uses them. Tests pass a fake; the bin passes the
 * real module.
 */
export interface HttpDrivers {
  // Method syntax on purpose: the real function takes the narrower `SchemeProfileId`.
  createHttpDriver(profileId: string, options: HttpDriverOptions): Promise<HttpDriverHandle>;
  /** The fixtures of every profile that runs over HTTP, keyed by profile id. */
  readonly HTTP_FIXTURES: Readonly<Record<string, readonly HttpFixtureSpec[]>>;
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
  /** The HTTP drivers. Without them `run` cannot run a scheme profile (exit 2). */
  readonly http?: HttpDrivers;
  /** Default: the kit's `profiles`. */
  readonly profiles?: Readonly<Record<string, ConformanceProfile<unknown>>>;
  /** The package version, for `--version` and the reports. Default `0.0.0`. */
  readonly version?: string;
}

/** The tool name, in reports and messages. */
export const TOOL = 'gatehouse-conformance';

/**
 * A mistake in how the CLI was called (arguments, config file, fixtures, expectations): reported on stderr,
 * exit code 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
