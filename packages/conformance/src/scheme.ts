// The one object a wire scheme registers with the kit: its profile, the fixtures and parameters a server declares,
// and how to drive a live server. The kit's built-in schemes are such objects; so is any scheme a strategy package
// ships from outside the kit.
import type { ConformanceProfile } from './case.js';
import type { WireSender } from './drivers/wire.js';

/**
 * One fixture a scheme's HTTP driver takes: its name (as in `--set name=value`), whether it must be given, its
 * default and what it is.
 *
 * @example
 * ```ts
 * const spec: HttpFixtureSpec = { name: 'login', required: true, description: "the master user's login" };
 * ```
 */
export interface HttpFixtureSpec {
  /** The fixture's name, as in `--set name=value`. */
  readonly name: string;
  /** Whether the run cannot start without it. A fixture with a default is never required. */
  readonly required: boolean;
  /** The value used when the fixture is not given. */
  readonly default?: string;
  /** What the fixture is, for the CLI's help. */
  readonly description: string;
}

/**
 * What raw bytes on one connection produced: each complete HTTP response the server sent, in order, and whether
 * the server closed the connection.
 *
 * @example
 * ```ts
 * const exchanged: RawExchange = { responses: [{ status: 413, headers: {}, body: '…' }], closed: true };
 * ```
 */
export interface RawExchange {
  /** Each complete response the server sent, in order: status, headers (lower-case names) and body text. */
  readonly responses: readonly { readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string }[];
  /** Whether the server closed the connection before the wait ran out. */
  readonly closed: boolean;
}

/**
 * A {@link WireSender} to a live server that can also write raw bytes on a fresh connection (capability
 * `raw-connection`), for the cases about how requests are framed (a pipelined request after an oversized body).
 *
 * @example
 * ```ts
 * const exchanged = await sender.sendRaw(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), { waitInMilliseconds: 2000 });
 * ```
 */
export interface RawWireSender extends WireSender {
  /** Writes `bytes` on a new connection and reads until the server closes it or `waitInMilliseconds` pass. */
  sendRaw(bytes: Uint8Array, options?: { readonly waitInMilliseconds?: number }): Promise<RawExchange>;
  /** Closes kept-alive connections. */
  close(): void;
}

/**
 * What a scheme's HTTP driver is made from: the checked base URL and fixtures, the declared parameters, and
 * senders to the server.
 *
 * @example
 * ```ts
 * async createHttpDriver(context: HttpSchemeContext) {
 *   const sender = context.createSender({ bindSourceAddress: context.loopback });
 *   return { driver: myDriver(sender, context.fixtures), capabilities: [], cleanup: async () => sender.close() };
 * }
 * ```
 */
export interface HttpSchemeContext {
  /** The server's base URL, checked; every route is resolved against it. */
  readonly baseUrl: URL;
  /** Every fixture of the scheme: as given, or its default; names without either are absent. */
  readonly fixtures: Readonly<Record<string, string>>;
  /** The fixtures exactly as given (to tell a given value from a default). */
  readonly given: Readonly<Record<string, string>>;
  /** The server's declared parameters, defaults filled in. */
  readonly parameters: Readonly<Record<string, string>>;
  /** Whether the base URL is a loopback address, so the kit can bind other loopback source addresses. */
  readonly loopback: boolean;
  /** The longest one request may take before it counts as failed. Default 10000. */
  readonly timeoutInMilliseconds: number;
  /** A sender to the base URL; with `bindSourceAddress`, a request's `remoteAddress` is bound as its source. */
  createSender(options: { readonly bindSourceAddress: boolean }): RawWireSender;
}

/**
 * A profile's driver over HTTP, with everything it made on the server to clean up.
 *
 * @example
 * ```ts
 * const handle: HttpDriverHandle<NvxHashDriver> = await scheme.createHttpDriver(context);
 * try { await runProfile(scheme.profile, handle.driver, { capabilities: handle.capabilities }); } finally { await handle.cleanup(); }
 * ```
 */
export interface HttpDriverHandle<D> {
  /** The driver the profile's cases run against. */
  readonly driver: D;
  /** Every capability the run has over HTTP (e.g. `remote-address`, `raw-connection`, what the fixtures imply). */
  readonly capabilities: readonly string[];
  /** Removes what the driver made on the server (keys, sessions) and closes its connections. */
  cleanup(): Promise<void>;
}

/**
 * A wire scheme as the kit runs it. The CLI and `describeConformance` take any such object: the kit's own
 * (`nvx-hash@2`, `access-hash-cookie@2`, `hmac-signature@2`) or one a strategy package exports (`--scheme
 * <module>`), so adding a scheme touches no kit file.
 *
 * @example
 * ```ts
 * export const conformanceScheme: ConformanceScheme<TemplateDriver> = { profile, fixtures, createHttpDriver };
 * ```
 */
export interface ConformanceScheme<D = unknown> {
  /** The cases the scheme runs, and their version. */
  readonly profile: ConformanceProfile<D>;
  /** The fixtures a server run takes (`--set`), validated before the driver starts. */
  readonly fixtures: readonly HttpFixtureSpec[];
  /** Drives a live server; a scheme without one runs in-process only. */
  createHttpDriver?(context: HttpSchemeContext): Promise<HttpDriverHandle<D>>;
}

/**
 * Thrown while a driver sets up or provisions when the server answers 429: the server throttled the run (its
 * failure throttle counts the kit's deliberate failures). The CLI says so rather than blame the fixtures.
 *
 * @example
 * ```ts
 * if (reply.status === 429) throw new ServerThrottledError('user/auth');
 * ```
 */
export class ServerThrottledError extends Error {
  /** Always `'ServerThrottledError'`. */
  override readonly name = 'ServerThrottledError';

  constructor(what: string) {
    super(`the server throttled the run (HTTP 429 on ${what}): raise its failure limits for conformance runs, or wait for its window to pass`);
  }
}
