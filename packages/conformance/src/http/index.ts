// `@gatehouse/conformance/http`: the scheme profiles against a live server, by URL, in any language. Node-only
// (node:http, node:https); the rest of the kit stays runtime-neutral.
import { ConfigurationError } from '@gatehouse/auth-core';
import type { DriverOf } from '../profiles/index.js';
import { accessHashBindsAddresses, createAccessHashHttpDriver } from './access-hash.js';
import { HTTP_FIXTURES, resolveFixtureValues, type HttpFixtureSpec, type SchemeProfileId } from './fixtures.js';
import { createHmacHttpDriver, hmacBindsAddresses } from './hmac.js';
import { createNvxHttpDriver } from './nvx.js';
import { createHttpSender, isLoopbackBase, parseBaseUrl } from './sender.js';

export { HTTP_FIXTURES };
export type { HttpFixtureSpec, SchemeProfileId };

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
  /** The profile's fixtures by name (see {@link HTTP_FIXTURES}); unknown names and missing required ones throw. */
  readonly fixtures: Readonly<Record<string, string>>;
  /** A request without a complete reply after this long fails its case. Default 10,000. */
  readonly timeoutInMilliseconds?: number;
}

/**
 * What {@link createHttpDriver} resolves to.
 *
 * @example
 * ```ts
 * const { driver, capabilities, cleanup }: HttpDriverHandle<'nvx-hash@1'> = await createHttpDriver('nvx-hash@1', options);
 * ```
 */
export interface HttpDriverHandle<Id extends SchemeProfileId = SchemeProfileId> {
  /** The profile's driver, talking to the server. */
  readonly driver: DriverOf<Id>;
  /**
   * Every capability the run has over HTTP: the driver's own (`remote-address` with a loopback base URL) and those
   * the fixtures imply. Never `store-failure` or `revoke`. Pass it as `runProfile(…, { capabilities })`.
   */
  readonly capabilities: readonly string[];
  /** Removes what the driver made on the server (NVX: its API keys and sessions) and closes its connections. */
  cleanup(): Promise<void>;
}

const DEFAULT_TIMEOUT_IN_MILLISECONDS = 10_000;

/**
 * Creates the HTTP driver of a scheme profile against a live server. Every request a case builds is sent with
 * node:http / node:https to `baseUrl` (method, path and query, each header field line as the case wrote it —
 * two `Authorization` lines stay two lines — and the body); redirects are never followed; a reply body is parsed
 * as JSON when it can be, else kept as text; what the server's HTTP layer does to an oversized request is a
 * reply, not an error: its 431 or 413, or a connection reset without a reply, taken as 431 (over 8 KiB of
 * headers) or 413 (a body over 64 KiB); any other reset is status 0. With a loopback base URL (127.0.0.0/8 or `localhost`) the driver
 * binds the source addresses a case asks for (capability `remote-address`): 127.0.0.0/8 addresses written as
 * such, skipping a case that wants any other. `store-failure` and `revoke` are never offered over HTTP.
 *
 * Throws a `ConfigurationError` for an unknown profile, a bad base URL or timeout, an unknown fixture name, or
 * missing, malformed or incomplete fixtures (naming them, never repeating a secret). The NVX driver signs in on
 * the first case's `setup()`; a failure there fails the cases with the server's reply.
 *
 * @example
 * ```ts
 * import { profiles, runProfile } from '@gatehouse/conformance';
 * import { createHttpDriver } from '@gatehouse/conformance/http';
 * const { driver, capabilities, cleanup } = await createHttpDriver('access-hash-cookie@1', {
 *   baseUrl: 'http://127.0.0.1:3000',
 *   fixtures: { access_hash: hash, foreign_access_hash: foreignHash },
 * });
 * try {
 *   const results = await runProfile(profiles['access-hash-cookie@1'], driver, { capabilities });
 * } finally {
 *   await cleanup();
 * }
 * ```
 */
export async function createHttpDriver<Id extends SchemeProfileId>(profileId: Id, options: HttpDriverOptions): Promise<HttpDriverHandle<Id>> {
  if (!Object.prototype.hasOwnProperty.call(HTTP_FIXTURES, profileId)) {
    throw new ConfigurationError('profileId', `must be one of ${Object.keys(HTTP_FIXTURES).join(', ')}, got ${JSON.stringify(profileId)}`);
  }
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object { baseUrl, fixtures }');
  const baseUrl = parseBaseUrl(options.baseUrl);
  const timeoutInMilliseconds = options.timeoutInMilliseconds ?? DEFAULT_TIMEOUT_IN_MILLISECONDS;
  if (!(typeof timeoutInMilliseconds === 'number' && Number.isFinite(timeoutInMilliseconds) && timeoutInMilliseconds > 0)) {
    throw new ConfigurationError('timeoutInMilliseconds', 'must be a positive number');
  }
  const values = resolveFixtureValues(profileId, options.fixtures);
  const loopback = isLoopbackBase(baseUrl);
  const senderFor = (bindSourceAddress: boolean) => createHttpSender({ baseUrl, timeoutInMilliseconds, bindSourceAddress });

  let handle: { driver: unknown; capabilities: readonly string[]; cleanup(): Promise<void> };
  let close: () => void;
  switch (profileId as SchemeProfileId) {
    case 'nvx-hash@1': {
      const sender = senderFor(false);
      close = () => sender.close();
      handle = createNvxHttpDriver(sender, values, options.fixtures);
      break;
    }
    case 'access-hash-cookie@1': {
      const binds = loopback && accessHashBindsAddresses(values);
      const sender = senderFor(binds);
      close = () => sender.close();
      handle = createAccessHashHttpDriver(sender, values, binds);
      break;
    }
    case 'hmac-signature@1': {
      const sender = senderFor(hmacBindsAddresses(values, loopback));
      close = () => sender.close();
      handle = createHmacHttpDriver(sender, values, loopback);
      break;
    }
  }
  const inner = handle;
  return {
    driver: inner.driver as DriverOf<Id>,
    capabilities: Object.freeze([...inner.capabilities]),
    async cleanup() {
      try {
        await inner.cleanup();
      } finally {
        close();
      }
    },
  };
}
