import {
  ConfigurationError,
  createFetchRequestAdapter,
  type AuthError,
  type AuthStrategy,
  type WireReply,
} from '@gatehouse/auth-core';
import { ConformanceFailure } from '../case.js';
import { show } from '../check.js';
import type { NvxFixtures, NvxHashDriver } from '../profiles/nvx-hash.js';
import type { ToAuthRequest } from '../profiles/strategy-contract.js';
import { checkRender, inProcessSender } from './in-process.js';
import type { WireResponse } from './wire.js';

/**
 * Options of {@link nvxInProcessDriver}: the strategy under test (which renders its refusals into Navixy's
 * envelope with its own `renderRefusal`, unless a `render` function is given), and a per-case `setup` that
 * issues fresh hashes into the strategy's store.
 *
 * @example
 * ```ts
 * const store = createMemoryCredentialStore();
 * const manager = createNvxHashManager({ store });
 * const options: NvxInProcessDriverOptions = {
 *   strategy: nvxHash({ store }),
 *   setup: async () => ({ ...(await issueHashes(manager)), queryHash: 'disabled' }),
 *   storeFailure: async () => ({ strategy: nvxHash({ store: failingStore }) }),
 * };
 * ```
 */
export interface NvxInProcessDriverOptions {
  /** The verifying strategy, configured as the server would be. */
  readonly strategy: AuthStrategy;
  /**
   * Renders a rejection (and `CREDENTIALS_MISSING` for an absent outcome) as the server would reply. Default: the
   * strategy's own `renderRefusal` (given the rejected outcome, or `absent()`).
   */
  readonly render?: (error: AuthError) => WireReply<unknown>;
  /** Issues fresh hashes for one case (called at the start of every case) and says how the server is set up. */
  readonly setup: () => Promise<NvxFixtures>;
  /** How the server turns a Fetch `Request` into an `AuthRequest`. Default `createFetchRequestAdapter()` (64 KiB body cap). */
  readonly toAuthRequest?: ToAuthRequest;
  /**
   * The same strategy over a credential store that fails on every lookup (rendered like `strategy`: with `render`
   * when given, else with its own `renderRefusal`). Enables capability `store-failure`.
   */
  readonly storeFailure?: () => Promise<{ readonly strategy: AuthStrategy }>;
}

const SUCCESS: WireResponse = Object.freeze({ status: 200, body: Object.freeze({ success: true }) });

/**
 * Drives an NVX strategy in-process for the `nvx-hash@1` profile: each request goes through the request
 * adapter and `strategy.authenticate`, and comes back as the server's reply would: authenticated → HTTP 200
 * `{"success":true}`; rejected → `strategy.renderRefusal(outcome)`; absent → `strategy.renderRefusal(absent())`
 * (with a `render` option: `render(error)` and `render(new AuthError('CREDENTIALS_MISSING'))`). Rendered bodies
 * are serialized and parsed again, as over the wire. Throws a `ConfigurationError` naming the option when an
 * option is missing or of the wrong type.
 *
 * @example
 * ```ts
 * import { nvxHashV1, nvxInProcessDriver, runProfile } from '@gatehouse/conformance';
 * const driver = nvxInProcessDriver({ strategy: nvxHash({ store }), setup });
 * const results = await runProfile(nvxHashV1, driver);
 * ```
 */
export function nvxInProcessDriver(options: NvxInProcessDriverOptions): NvxHashDriver {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object');
  const { strategy, render, setup, storeFailure } = options;
  if (strategy === null || typeof strategy !== 'object' || typeof strategy.authenticate !== 'function') {
    throw new ConfigurationError('strategy', 'must be an AuthStrategy');
  }
  checkRender(render, strategy);
  if (typeof setup !== 'function') throw new ConfigurationError('setup', 'must be a function returning Promise<NvxFixtures>');
  if (storeFailure !== undefined && typeof storeFailure !== 'function') {
    throw new ConfigurationError('storeFailure', 'must be a function returning Promise<{ strategy }>');
  }
  if (options.toAuthRequest !== undefined && typeof options.toAuthRequest !== 'function') {
    throw new ConfigurationError('toAuthRequest', 'must be a function (request, { remoteAddress }) => AuthRequest');
  }
  const toAuthRequest = options.toAuthRequest ?? createFetchRequestAdapter();
  const sender = inProcessSender(strategy, render, toAuthRequest, SUCCESS);
  const driver: NvxHashDriver = {
    capabilities: storeFailure === undefined ? [] : ['store-failure'],
    setup: () => setup(),
    send: (request, sendOptions) => sender.send(request, sendOptions),
  };
  if (storeFailure === undefined) return driver;
  return {
    ...driver,
    async storeFailure() {
      const failing: unknown = await storeFailure();
      const failingStrategy = (failing as { strategy?: AuthStrategy } | null)?.strategy;
      if (typeof failingStrategy?.authenticate !== 'function' || (render === undefined && typeof failingStrategy.renderRefusal !== 'function')) {
        throw new ConformanceFailure(`storeFailure() resolved to ${show(failing)}, expected { strategy: AuthStrategy }${render === undefined ? ' with a renderRefusal() (or give the driver a render option)' : ''}`);
      }
      return inProcessSender(failingStrategy, render, toAuthRequest, SUCCESS);
    },
  };
}
