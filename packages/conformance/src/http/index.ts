// `@gatehouse/conformance/http`: the scheme profiles against a live server, by URL, in any language. Node-only
// (node:http, node:https); the rest of the kit stays runtime-neutral.
import { ConfigurationError } from '@gatehouse/auth-core';
import { resolveParameters } from '../run.js';
import type { ConformanceScheme, HttpDriverHandle, HttpFixtureSpec, HttpSchemeContext, RawWireSender } from '../scheme.js';
import { describeSchemeProblem, findScheme, schemes, type SchemeDriverOf, type SchemeId } from '../schemes/index.js';
import { resolveFixtureValues } from './fixtures.js';
import { createHttpSender, isLoopbackBase, parseBaseUrl } from './sender.js';

export type { ConformanceScheme, HttpDriverHandle, HttpFixtureSpec, HttpSchemeContext, RawWireSender };
export { ServerThrottledError } from '../scheme.js';

/**
 * The versioned id of a built-in scheme, whose profile runs against a live server over HTTP.
 *
 * @example
 * ```ts
 * const id: SchemeProfileId = 'nvx-hash@2';
 * ```
 */
export type SchemeProfileId = SchemeId;

function collectFixtures(): Readonly<Record<SchemeId, readonly HttpFixtureSpec[]>> {
  const all: Record<string, readonly HttpFixtureSpec[]> = {};
  for (const [id, scheme] of Object.entries(schemes)) all[id] = scheme.fixtures;
  return Object.freeze(all) as Readonly<Record<SchemeId, readonly HttpFixtureSpec[]>>;
}

/**
 * The fixtures of every built-in scheme's HTTP driver, keyed by profile id, in the order a help text shows them
 * (each scheme's own `fixtures`). Values are strings; a fixture with a `default` may be left out, a `required`
 * one may not.
 *
 * @example
 * ```ts
 * import { HTTP_FIXTURES } from '@gatehouse/conformance/http';
 * for (const { name, required, description } of HTTP_FIXTURES['nvx-hash@2']) console.log(name, required, description);
 * ```
 */
export const HTTP_FIXTURES = collectFixtures();

/**
 * Options of {@link createHttpDriver}.
 *
 * @example
 * ```ts
 * const options: HttpDriverOptions = { baseUrl: 'http://127.0.0.1:3000', fixtures: { login: 'demo', password: 'demo-password', panel_login: 'admin', panel_password: 'admin-password' } };
 * ```
 */
export interface HttpDriverOptions {
  /** Where the server listens, e.g. `http://127.0.0.1:3000`. A path (`https://api.example.com/prefix`) is put before every request's path. */
  readonly baseUrl: string;
  /** The scheme's fixtures by name (its `fixtures`, see {@link HTTP_FIXTURES}); unknown names and missing required ones throw. */
  readonly fixtures: Readonly<Record<string, string>>;
  /**
   * The server's declared parameters (the profile's `parameters`), for the driver to provision accordingly; unknown
   * names and values outside a parameter's values throw. Pass the same to `runProfile`.
   */
  readonly parameters?: Readonly<Record<string, string>>;
  /** A request without a complete reply after this long fails its case. Default 10,000. */
  readonly timeoutInMilliseconds?: number;
}

const DEFAULT_TIMEOUT_IN_MILLISECONDS = 10_000;

function resolveScheme(schemeOrProfileId: unknown): ConformanceScheme<unknown> {
  if (typeof schemeOrProfileId === 'string') {
    const scheme = findScheme(schemeOrProfileId);
    if (scheme === undefined) {
      throw new ConfigurationError('profileId', `must be one of ${Object.keys(schemes).join(', ')} or a ConformanceScheme, got ${JSON.stringify(schemeOrProfileId)}`);
    }
    return scheme;
  }
  const problem = describeSchemeProblem(schemeOrProfileId);
  if (problem !== null) throw new ConfigurationError('scheme', `must be a built-in profile id or a ConformanceScheme: ${problem}`);
  return schemeOrProfileId as ConformanceScheme<unknown>;
}

/**
 * Creates the HTTP driver of a scheme against a live server: a built-in scheme by its profile id, or any
 * {@link ConformanceScheme} (a strategy package's own). The kit checks the base URL, the timeout, the fixtures
 * (names, required ones, defaults) and the declared parameters, then hands the scheme an {@link HttpSchemeContext}:
 * its senders send every request a case builds with node:http / node:https to `baseUrl` (method, path and query,
 * each header field line as the case wrote it — two `Authorization` lines stay two lines — and the body), never
 * follow a redirect, parse a reply body as JSON when they can (else keep it as text), and turn what the server's
 * HTTP layer does to an oversized request into a reply (its 431 or 413, or a connection reset without a reply,
 * taken as 431 over 8 KiB of headers or 413 for a body over 64 KiB; any other reset is status 0). With a loopback
 * base URL (127.0.0.0/8 or `localhost`) a sender can bind the source addresses a case asks for (capability
 * `remote-address`). `store-failure` and `revoke` are never offered over HTTP.
 *
 * Throws a `ConfigurationError` for an unknown profile, a bad base URL or timeout, an unknown fixture name,
 * missing or malformed fixtures (naming them, never repeating a secret), or an unknown parameter; a scheme's
 * driver throws `ServerThrottledError` when the server answers its provisioning with 429. `cleanup()` removes what
 * the driver made on the server and closes every connection the kit opened.
 *
 * @example
 * ```ts
 * import { profiles, runProfile } from '@gatehouse/conformance';
 * import { createHttpDriver } from '@gatehouse/conformance/http';
 * const { driver, capabilities, cleanup } = await createHttpDriver('access-hash-cookie@2', {
 *   baseUrl: 'http://127.0.0.1:3000',
 *   fixtures: { access_hash: hash, foreign_access_hash: foreignHash },
 *   parameters: { cookie_value_whitespace: 'trim' },
 * });
 * try {
 *   const results = await runProfile(profiles['access-hash-cookie@2'], driver, { capabilities, parameters: { cookie_value_whitespace: 'trim' } });
 * } finally {
 *   await cleanup();
 * }
 * ```
 */
export function createHttpDriver<Id extends SchemeId>(profileId: Id, options: HttpDriverOptions): Promise<HttpDriverHandle<SchemeDriverOf<Id>>>;
export function createHttpDriver<D>(scheme: ConformanceScheme<D>, options: HttpDriverOptions): Promise<HttpDriverHandle<D>>;
export function createHttpDriver(schemeOrProfileId: string | ConformanceScheme<unknown>, options: HttpDriverOptions): Promise<HttpDriverHandle<unknown>>;
export async function createHttpDriver(schemeOrProfileId: string | ConformanceScheme<unknown>, options: HttpDriverOptions): Promise<HttpDriverHandle<unknown>> {
  const scheme = resolveScheme(schemeOrProfileId);
  const { profile } = scheme;
  if (typeof scheme.createHttpDriver !== 'function') throw new ConfigurationError('scheme', `${profile.id} has no HTTP driver: it runs in-process only`);
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object { baseUrl, fixtures }');
  const baseUrl = parseBaseUrl(options.baseUrl);
  const timeoutInMilliseconds = options.timeoutInMilliseconds ?? DEFAULT_TIMEOUT_IN_MILLISECONDS;
  if (!(typeof timeoutInMilliseconds === 'number' && Number.isFinite(timeoutInMilliseconds) && timeoutInMilliseconds > 0)) {
    throw new ConfigurationError('timeoutInMilliseconds', 'must be a positive number');
  }
  const fixtures = resolveFixtureValues(profile.id, scheme.fixtures, options.fixtures);
  const given: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.fixtures)) if (typeof value === 'string') given[name] = value;
  const parameters = resolveParameters(profile.parameters ?? [], options.parameters);
  const senders: RawWireSender[] = [];
  const closeSenders = (): void => {
    for (const sender of senders.splice(0)) sender.close();
  };
  const context: HttpSchemeContext = {
    baseUrl,
    fixtures,
    given: Object.freeze(given),
    parameters,
    loopback: isLoopbackBase(baseUrl),
    timeoutInMilliseconds,
    createSender({ bindSourceAddress }) {
      const sender = createHttpSender({ baseUrl, timeoutInMilliseconds, bindSourceAddress });
      senders.push(sender);
      return sender;
    },
  };
  let inner: HttpDriverHandle<unknown>;
  try {
    inner = await scheme.createHttpDriver(context);
  } catch (error) {
    closeSenders();
    throw error;
  }
  return {
    driver: inner.driver,
    capabilities: Object.freeze([...inner.capabilities]),
    async cleanup() {
      try {
        await inner.cleanup();
      } finally {
        closeSenders();
      }
    },
  };
}
