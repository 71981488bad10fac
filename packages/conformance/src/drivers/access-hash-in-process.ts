import { ConfigurationError, createFetchRequestAdapter, type AuthError, type AuthStrategy, type WireReply } from '@gatehouse/auth-core';
import { ConformanceFailure } from '../case.js';
import { show } from '../check.js';
import type { AccessHashDriver, AccessHashFixtures } from '../profiles/access-hash-cookie.js';
import type { ToAuthRequest } from '../profiles/strategy-contract.js';
import { errorText, inProcessSender } from './in-process.js';
import type { WireResponse } from './wire.js';

/**
 * Options of {@link accessHashInProcessDriver}: the strategy under test, the function that renders its errors
 * into seed 003's envelope, and a per-case `setup` that issues fresh access hashes into the strategy's store.
 *
 * @example
 * ```ts
 * const store = createMemoryCredentialStore();
 * const manager = createAccessHashManager({ store });
 * const options: AccessHashInProcessDriverOptions = {
 *   strategy: accessHashCookie({ store }),
 *   render: renderAccessHashError,
 *   setup: async () => ({ ...(await issueHashes(manager, '203.0.113.7', '198.51.100.23')), trustedProxies: 'none' }),
 *   storeFailure: async () => ({ strategy: accessHashCookie({ store: failingStore }) }),
 *   revoke: async (hash) => void (await manager.delete(owner, idOf(hash))),
 * };
 * ```
 */
export interface AccessHashInProcessDriverOptions {
  /** The verifying strategy, configured as the server would be. */
  readonly strategy: AuthStrategy;
  /** Renders a rejection (and `CREDENTIALS_MISSING` for an absent outcome) as the server would reply. */
  readonly render: (error: AuthError) => WireReply<unknown>;
  /**
   * Issues fresh hashes for one case (called at the start of every case): `accessHash` bound to `clientIp`,
   * `foreignAccessHash` bound to `foreignIp`, optionally a deleted `revokedAccessHash`.
   */
  readonly setup: () => Promise<AccessHashFixtures>;
  /**
   * How the server turns a Fetch `Request` and its socket address into an `AuthRequest`. Default
   * `createFetchRequestAdapter()` (no trusted proxies: say `trustedProxies: 'configured'` in the fixtures
   * when yours has some).
   */
  readonly toAuthRequest?: ToAuthRequest;
  /**
   * The same strategy over a credential store that fails on every lookup. Enables capability
   * `store-failure`.
   */
  readonly storeFailure?: () => Promise<{ readonly strategy: AuthStrategy }>;
  /** Deletes a live access hash as the server's management would. Enables capability `revoke`. */
  readonly revoke?: (accessHash: string) => Promise<void>;
}

/** The reply the in-process driver gives an authenticated request: seed 003's success envelope. */
const SUCCESS: WireResponse = Object.freeze({ status: 200, body: Object.freeze({ error: '', msg: Object.freeze({}), status: 'success' }) });

/**
 * Drives an access hash strategy in-process for the `access-hash-cookie@1` profile: each request goes through
 * the request adapter, with the socket address the case gives (`send(request, { remoteAddress })`; the cases
 * pass the fixture `clientIp` unless they test another address), and `strategy.authenticate`, and comes back as
 * the server's reply would: authenticated → HTTP 200 `{"error":"","msg":{},"status":"success"}`; rejected →
 * `render(error)`; absent → `render(new AuthError('CREDENTIALS_MISSING'))`. Rendered bodies are serialized and
 * parsed again, as over the wire. The driver offers capability `remote-address`, plus `store-failure` and
 * `revoke` when those options are given. Throws a `ConfigurationError` naming the option when an option is
 * missing or of the wrong type.
 *
 * @example
 * ```ts
 * import { accessHashCookieV1, accessHashInProcessDriver, runProfile } from '@gatehouse/conformance';
 * const driver = accessHashInProcessDriver({ strategy: accessHashCookie({ store }), render: renderAccessHashError, setup });
 * const results = await runProfile(accessHashCookieV1, driver);
 * ```
 */
export function accessHashInProcessDriver(options: AccessHashInProcessDriverOptions): AccessHashDriver {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object');
  const { strategy, render, setup, storeFailure, revoke } = options;
  if (strategy === null || typeof strategy !== 'object' || typeof strategy.authenticate !== 'function') {
    throw new ConfigurationError('strategy', 'must be an AuthStrategy');
  }
  if (typeof render !== 'function') throw new ConfigurationError('render', 'must be a function (error: AuthError) => WireReply');
  if (typeof setup !== 'function') throw new ConfigurationError('setup', 'must be a function returning Promise<AccessHashFixtures>');
  if (storeFailure !== undefined && typeof storeFailure !== 'function') {
    throw new ConfigurationError('storeFailure', 'must be a function returning Promise<{ strategy }>');
  }
  if (revoke !== undefined && typeof revoke !== 'function') {
    throw new ConfigurationError('revoke', 'must be a function (accessHash: string) => Promise<void>');
  }
  if (options.toAuthRequest !== undefined && typeof options.toAuthRequest !== 'function') {
    throw new ConfigurationError('toAuthRequest', 'must be a function (request, { remoteAddress }) => AuthRequest');
  }
  const toAuthRequest = options.toAuthRequest ?? createFetchRequestAdapter();
  const sender = inProcessSender(strategy, render, toAuthRequest, SUCCESS);
  const capabilities = ['remote-address'];
  if (storeFailure !== undefined) capabilities.push('store-failure');
  if (revoke !== undefined) capabilities.push('revoke');
  const driver: AccessHashDriver = {
    capabilities,
    setup: () => setup(),
    send: (request, sendOptions) => sender.send(request, sendOptions),
  };
  return {
    ...driver,
    ...(storeFailure === undefined
      ? {}
      : {
          async storeFailure() {
            const failing: unknown = await storeFailure();
            const failingStrategy = (failing as { strategy?: AuthStrategy } | null)?.strategy;
            if (typeof failingStrategy?.authenticate !== 'function') {
              throw new ConformanceFailure(`storeFailure() resolved to ${show(failing)}, expected { strategy: AuthStrategy }`);
            }
            return inProcessSender(failingStrategy, render, toAuthRequest, SUCCESS);
          },
        }),
    ...(revoke === undefined
      ? {}
      : {
          async revoke(accessHash: string) {
            try {
              await revoke(accessHash);
            } catch (error) {
              throw new ConformanceFailure(`revoke(<hash>) failed: ${errorText(error)}`);
            }
          },
        }),
  };
}
