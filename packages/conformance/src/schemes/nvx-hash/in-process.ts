import {
  ConfigurationError,
  createFetchRequestAdapter,
  type AuthError,
  type AuthRequest,
  type AuthStrategy,
  type WireReply,
} from '@gatehouse/auth-core';
import { ConformanceFailure } from '../../case.js';
import { show } from '../../check.js';
import { checkRender, errorText, inProcessSender, replyOf } from '../../drivers/in-process.js';
import type { WireResponse, WireSender } from '../../drivers/wire.js';
import { DEFAULT_REMOTE_ADDRESS } from '../../profiles/garbage.js';
import type { ToAuthRequest } from '../../profiles/strategy-contract.js';
import type { NvxFixtures, NvxHashDriver } from './fixtures.js';

/**
 * Options of {@link nvxInProcessDriver}: the strategy under test (which renders its refusals into Navixy's envelope
 * with its own `renderRefusal`, unless a `render` function is given), a per-case `setup` that issues fresh hashes
 * into the strategy's store, and optionally the account routes and a failing store.
 *
 * @example
 * ```ts
 * const store = createMemoryCredentialStore();
 * const manager = createNvxHashManager({ store });
 * const strategy = nvxHash({ store });
 * const options: NvxInProcessDriverOptions = {
 *   strategy,
 *   setup: async () => issueHashes(manager),
 *   routes: createRouteKitHandler(createNvxRoutes({ strategy, manager, verifyLogin: async () => null })),
 *   storeFailure: async () => ({ strategy: nvxHash({ store: failingStore }) }),
 * };
 * ```
 */
export interface NvxInProcessDriverOptions {
  /** The verifying strategy, configured as the server would be. */
  readonly strategy: AuthStrategy;
  /**
   * Renders a rejection (and `CREDENTIALS_MISSING` for an absent outcome) as the server would reply. Default: the
   * strategy's own `renderRefusal`.
   */
  readonly render?: (error: AuthError) => WireReply<unknown>;
  /** Issues fresh hashes for one case (called at the start of every case). */
  readonly setup: () => Promise<NvxFixtures>;
  /** How the server turns a Fetch `Request` into an `AuthRequest`. Default `createFetchRequestAdapter()` (64 KiB body cap). */
  readonly toAuthRequest?: ToAuthRequest;
  /**
   * The same strategy over a credential store that fails on every lookup (rendered like `strategy`). Enables
   * capability `store-failure`.
   */
  readonly storeFailure?: () => Promise<{ readonly strategy: AuthStrategy }>;
  /**
   * The server's account routes (`api/key/create`, `api/key/list`, `api/key/delete`, …), e.g.
   * `createRouteKitHandler(createNvxRoutes(…))`: a request they answer gets their reply; `null` passes it on to the
   * strategy. Enables capability `key-routes`.
   */
  readonly routes?: (request: AuthRequest) => Promise<WireReply<unknown> | null>;
}

const SUCCESS: WireResponse = Object.freeze({ status: 200, body: Object.freeze({ success: true }) });

/**
 * Drives an NVX strategy in-process for the `nvx-hash@2` profile: each request goes through the request adapter,
 * the account routes when given, and `strategy.authenticate`, and comes back as the server's reply would:
 * authenticated → HTTP 200 `{"success":true}`; rejected → `strategy.renderRefusal(outcome)` (or `render(error)`);
 * absent → `strategy.renderRefusal(absent())` (or `render(CREDENTIALS_MISSING)`). Rendered bodies are serialized and
 * parsed again, as over the wire. Throws a `ConfigurationError` naming an option that is missing or of the wrong
 * type.
 *
 * @example
 * ```ts
 * import { nvxHashV2, nvxInProcessDriver, runProfile } from '@gatehouse/conformance';
 * const results = await runProfile(nvxHashV2, nvxInProcessDriver({ strategy: nvxHash({ store }), setup }));
 * ```
 */
export function nvxInProcessDriver(options: NvxInProcessDriverOptions): NvxHashDriver {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object');
  const { strategy, render, setup, storeFailure, routes } = options;
  if (strategy === null || typeof strategy !== 'object' || typeof strategy.authenticate !== 'function') {
    throw new ConfigurationError('strategy', 'must be an AuthStrategy');
  }
  checkRender(render, strategy);
  if (typeof setup !== 'function') throw new ConfigurationError('setup', 'must be a function returning Promise<NvxFixtures>');
  if (storeFailure !== undefined && typeof storeFailure !== 'function') {
    throw new ConfigurationError('storeFailure', 'must be a function returning Promise<{ strategy }>');
  }
  if (routes !== undefined && typeof routes !== 'function') {
    throw new ConfigurationError('routes', 'must be a function (request: AuthRequest) => Promise<WireReply | null>, e.g. createRouteKitHandler(kit)');
  }
  if (options.toAuthRequest !== undefined && typeof options.toAuthRequest !== 'function') {
    throw new ConfigurationError('toAuthRequest', 'must be a function (request, { remoteAddress }) => AuthRequest');
  }
  const adapter = options.toAuthRequest ?? createFetchRequestAdapter();
  // One AuthRequest per Fetch request: the routes and the strategy share its body, read once.
  const adapted = new WeakMap<Request, AuthRequest>();
  const toAuthRequest: ToAuthRequest = (request, context) => {
    let auth = adapted.get(request);
    if (auth === undefined) {
      auth = adapter(request, context);
      adapted.set(request, auth);
    }
    return auth;
  };
  const strategySender = inProcessSender(strategy, render, toAuthRequest, SUCCESS);
  const send: WireSender['send'] =
    routes === undefined
      ? (request, sendOptions) => strategySender.send(request, sendOptions)
      : async (request, sendOptions) => {
          let reply: WireReply<unknown> | null;
          try {
            reply = await routes(toAuthRequest(request, { remoteAddress: sendOptions?.remoteAddress ?? DEFAULT_REMOTE_ADDRESS }));
          } catch (thrown) {
            throw new ConformanceFailure(`routes threw ${errorText(thrown)}`);
          }
          return reply === null ? strategySender.send(request, sendOptions) : replyOf(reply, 'routes');
        };
  const capabilities = [...(storeFailure === undefined ? [] : ['store-failure']), ...(routes === undefined ? [] : ['key-routes'])];
  const driver: NvxHashDriver = { capabilities, setup: () => setup(), send };
  if (storeFailure === undefined) return driver;
  return {
    ...driver,
    async storeFailure() {
      const failing: unknown = await storeFailure();
      const failingStrategy = (failing as { strategy?: AuthStrategy } | null)?.strategy;
      if (typeof failingStrategy?.authenticate !== 'function' || (render === undefined && typeof failingStrategy.renderRefusal !== 'function')) {
        throw new ConformanceFailure(`storeFailure() resolved to ${show(failing)}, expected { strategy: AuthStrategy }${render === undefined ? ' with a renderRefusal() (or give the driver a render option)' : ''}`);
      }
      return inProcessSender(failingStrategy, render, adapter, SUCCESS);
    },
  };
}
