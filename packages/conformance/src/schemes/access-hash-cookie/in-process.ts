import { ConfigurationError, createFetchRequestAdapter, type AuthError, type AuthStrategy, type WireReply } from '@gatehouse/auth-core';
import { ConformanceFailure } from '../../case.js';
import { show } from '../../check.js';
import { checkRender, errorText, inProcessSender } from '../../drivers/in-process.js';
import type { WireResponse } from '../../drivers/wire.js';
import type { ToAuthRequest } from '../../profiles/strategy-contract.js';
import type { AccessHashDriver } from './context.js';
import type { AccessHashFixtures } from './fixtures.js';

/**
 * Options of {@link accessHashInProcessDriver}: the strategy under test (which renders its refusals in the PUQ VPN
 * control panel's envelope with its own `renderRefusal`, unless a `render` function is given), and a per-case
 * `setup` that issues fresh access hashes into the strategy's store.
 *
 * @example
 * ```ts
 * const store = createMemoryCredentialStore();
 * const manager = createAccessHashManager({ store });
 * const options: AccessHashInProcessDriverOptions = {
 *   strategy: accessHashCookie({ store }),
 *   setup: async () => ({ ...(await issueHashes(manager, '203.0.113.7', '198.51.100.23')), trustedProxies: 'none' }),
 *   storeFailure: async () => ({ strategy: accessHashCookie({ store: failingStore }) }),
 *   revoke: async (hash) => void (await manager.revoke(owner, { token: hash })),
 * };
 * ```
 */
export interface AccessHashInProcessDriverOptions {
  /** The verifying strategy, configured as the server would be. */
  readonly strategy: AuthStrategy;
  /**
   * Renders a rejection (and `CREDENTIALS_MISSING` for an absent outcome) as the server would reply. Default: the
   * strategy's own `renderRefusal` (given the rejected outcome, or `absent()`).
   */
  readonly render?: (error: AuthError) => WireReply<unknown>;
  /**
   * Issues fresh hashes for one case (called at the start of every case, and for each hash the revocation case
   * deletes): `accessHash` bound to `clientIp`, `foreignAccessHash` bound to `foreignIp`, optionally a deleted
   * `revokedAccessHash`.
   */
  readonly setup: () => Promise<AccessHashFixtures>;
  /**
   * How the server turns a Fetch `Request` and its socket address into an `AuthRequest`. Default
   * `createFetchRequestAdapter()` (no trusted proxies: say `trustedProxies: 'configured'` in the fixtures when
   * yours has some).
   */
  readonly toAuthRequest?: ToAuthRequest;
  /**
   * The same strategy over a credential store that fails on every lookup (rendered like `strategy`). Enables
   * capability `store-failure`.
   */
  readonly storeFailure?: () => Promise<{ readonly strategy: AuthStrategy }>;
  /** Deletes a live access hash as the server's management would. Enables capability `revoke`. */
  readonly revoke?: (accessHash: string) => Promise<void>;
}

/** The reply to an authenticated request: the success envelope of "API Access Hashs". */
const SUCCESS: WireResponse = Object.freeze({ status: 200, body: Object.freeze({ error: '', msg: Object.freeze({}), status: 'success' }) });

/**
 * Drives an access hash strategy in-process for `access-hash-cookie@2`: each request goes through the request
 * adapter, with the socket address the case gives, and `strategy.authenticate`, and comes back as the server's
 * reply would: authenticated → HTTP 200 `{"error":"","msg":{},"status":"success"}`; rejected →
 * `strategy.renderRefusal(outcome)`; absent → `strategy.renderRefusal(absent())` (with a `render` option:
 * `render(error)` and `render(new AuthError('CREDENTIALS_MISSING'))`). Rendered bodies are serialized and parsed
 * again, as over the wire. The driver offers capability `remote-address`, plus `store-failure` and `revoke` when
 * those options are given (the revocation case deletes the `accessHash` of a fresh `setup()`). Throws a
 * `ConfigurationError` naming the option when an option is missing or of the wrong type.
 *
 * @example
 * ```ts
 * import { accessHashCookieV2, accessHashInProcessDriver, runProfile } from '@gatehouse/conformance';
 * const driver = accessHashInProcessDriver({ strategy: accessHashCookie({ store }), setup, revoke });
 * const results = await runProfile(accessHashCookieV2, driver);
 * ```
 */
export function accessHashInProcessDriver(options: AccessHashInProcessDriverOptions): AccessHashDriver {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object');
  const { strategy, render, setup, storeFailure, revoke } = options;
  if (strategy === null || typeof strategy !== 'object' || typeof strategy.authenticate !== 'function') {
    throw new ConfigurationError('strategy', 'must be an AuthStrategy');
  }
  checkRender(render, strategy);
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
            if (typeof failingStrategy?.authenticate !== 'function' || (render === undefined && typeof failingStrategy.renderRefusal !== 'function')) {
              throw new ConformanceFailure(
                `storeFailure() resolved to ${show(failing)}, expected { strategy: AuthStrategy }${render === undefined ? ' with a renderRefusal() (or give the driver a render option)' : ''}`,
              );
            }
            return inProcessSender(failingStrategy, render, toAuthRequest, SUCCESS);
          },
        }),
    ...(revoke === undefined
      ? {}
      : {
          async revocable() {
            const { accessHash } = await setup();
            return {
              accessHash,
              async revoke() {
                try {
                  await revoke(accessHash);
                } catch (error) {
                  throw new ConformanceFailure(`revoke(<hash>) failed: ${errorText(error)}`);
                }
              },
            };
          },
        }),
  };
}
