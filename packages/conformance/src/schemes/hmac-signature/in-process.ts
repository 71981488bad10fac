import {
  AuthError,
  ConfigurationError,
  createFetchRequestAdapter,
  type AuthOutcome,
  type AuthRefusal,
  type AuthStrategy,
  type WireReply,
} from '@gatehouse/auth-core';
import { ConformanceFailure } from '../../case.js';
import { show } from '../../check.js';
import { checkRender, errorText, refusalReplier, replyOf } from '../../drivers/in-process.js';
import { CONFORMANCE_ORIGIN, type WireResponse, type WireSender } from '../../drivers/wire.js';
import { DEFAULT_REMOTE_ADDRESS } from '../../profiles/garbage.js';
import type { ToAuthRequest } from '../../profiles/strategy-contract.js';
import type { HmacFixtures, HmacSignatureDriver } from './fixtures.js';
import { DEFAULT_HMAC_AUTHENTICATE_PATH } from './wire.js';

/**
 * An `authenticated` outcome, as the AuthenticateUser verifier or the session strategy returns it.
 *
 * @example
 * ```ts
 * const outcome: HmacAuthenticatedOutcome = { type: 'authenticated', principal: { id: '101' }, credential: { id: 'hk_1', kind: 'api-key', scopes: [] } };
 * ```
 */
export type HmacAuthenticatedOutcome = Extract<AuthOutcome, { readonly type: 'authenticated' }>;

/**
 * The `AuthenticateUser` endpoint of {@link hmacInProcessDriver}: the verifier strategy, how a verified caller
 * gets a session token, and how the server renders success and failure.
 *
 * @example
 * ```ts
 * const authenticate: HmacAuthenticateEndpoint = {
 *   strategy: hmacSignature({ store, sealer, ephemeralStore, noncePolicy: 'unique' }),
 *   startSession: async (outcome) => {
 *     const started = await manager.startSession(outcome);
 *     return started.ok ? started.value.token : started.error;
 *   },
 *   renderSuccess: (token, outcome) => renderAuthenticateUserSuccess(token, { userId: outcome.principal.id, userName: 'demo' }),
 * };
 * ```
 */
export interface HmacAuthenticateEndpoint {
  /** Verifies `APIKey`, `Signature`, `UserId` and `Nonce` (headers or JSON body). */
  readonly strategy: AuthStrategy;
  /**
   * Renders a refusal (and `CREDENTIALS_MISSING` for an absent outcome) as `{"Authenticated":false,"errormsg":…}`.
   * Default: the strategy's own `renderRefusal` (given the rejected outcome, or `absent()`).
   */
  readonly render?: (error: AuthError) => WireReply<unknown>;
  /**
   * Exchanges an authenticated outcome for a session token; an `AuthError` (e.g. a failing store) is rendered
   * with `render`, or without it with `strategy.renderRefusal({ type: 'rejected', error })`.
   */
  readonly startSession: (outcome: HmacAuthenticatedOutcome) => Promise<string | AuthError>;
  /** Renders the success reply, `{"Authenticated":true,"SessionToken":token,…}`. */
  readonly renderSuccess: (sessionToken: string, outcome: HmacAuthenticatedOutcome) => WireReply<unknown>;
}

/**
 * Every other call of {@link hmacInProcessDriver}: the session strategy (`aptoken`), its APEX error renderer and,
 * for the fixture `permissionPath`, the permission check.
 *
 * @example
 * ```ts
 * const session: HmacSessionEndpoint = {
 *   strategy: hmacSession({ store }),
 *   authorize: (outcome) => requirePermission(outcome, 'Trading'),
 * };
 * ```
 */
export interface HmacSessionEndpoint {
  /** Verifies the `aptoken` header. */
  readonly strategy: AuthStrategy;
  /**
   * Renders a refusal (and `CREDENTIALS_MISSING` for an absent outcome) as
   * `{"result":false,"errormsg":…,"errorcode":…,"detail":…}`. Default: the strategy's own `renderRefusal` (given
   * the rejected outcome, or `absent()`).
   */
  readonly render?: (error: AuthError) => WireReply<unknown>;
  /**
   * Decides whether an authenticated session may make the call at the fixture `permissionPath` (e.g.
   * `requirePermission(outcome, 'Trading')`): an authenticated outcome lets it through, a refusal is rendered
   * (with `render`, or with the strategy's `renderRefusal`).
   * Needed when the fixtures name a `permissionPath`.
   */
  readonly authorize?: (outcome: HmacAuthenticatedOutcome, path: string) => AuthOutcome | Promise<AuthOutcome>;
}

/**
 * Options of {@link hmacInProcessDriver}.
 *
 * @example
 * ```ts
 * const options: HmacInProcessDriverOptions = {
 *   authenticate: { strategy: verifier, startSession, renderSuccess },
 *   session: { strategy: hmacSession({ store }), authorize: (outcome) => requirePermission(outcome, 'Trading') },
 *   setup: async () => issueKey(manager, '101'),
 *   storeFailure: async () => ({ authenticate: { strategy: failingVerifier }, session: { strategy: failingSessions } }),
 *   revokeKey: async (apiKey) => void (await manager.revoke(ownerOf(apiKey), { token: apiKey })),
 * };
 * ```
 */
export interface HmacInProcessDriverOptions {
  /** The `AuthenticateUser` endpoint (requests to the fixture `authenticatePath`). */
  readonly authenticate: HmacAuthenticateEndpoint;
  /** Every other call (the fixture `resource`, `permissionPath`, any other path). */
  readonly session: HmacSessionEndpoint;
  /** Issues fresh keys for one case (called at the start of every case) and says how the server is set up. */
  readonly setup: () => Promise<HmacFixtures>;
  /**
   * How the server turns a Fetch `Request` and its socket address into an `AuthRequest`. Default
   * `createFetchRequestAdapter()` (no trusted proxies, 64 KiB body cap).
   */
  readonly toAuthRequest?: ToAuthRequest;
  /**
   * The same two strategies over stores that fail on every lookup (and every nonce write, if you like), rendered
   * like the endpoints' strategies (with their `render` when given, else with their own `renderRefusal`). Enables
   * capability `store-failure`.
   */
  readonly storeFailure?: () => Promise<{
    readonly authenticate: { readonly strategy: AuthStrategy };
    readonly session: { readonly strategy: AuthStrategy };
  }>;
  /** Removes a live key (by its APIKey) as the server's management would. Enables capability `revoke`. */
  readonly revokeKey?: (apiKey: string) => Promise<void>;
}

/** The reply the in-process driver gives an authenticated call: an APEX-style success object. */
const CALL_SUCCESS: WireResponse = Object.freeze({ status: 200, body: Object.freeze({ result: true, errormsg: null, errorcode: 0, detail: null }) });

interface Routes {
  authenticatePath: string;
  permissionPath: string | null;
}

async function outcomeOf(strategy: AuthStrategy, request: Parameters<AuthStrategy['authenticate']>[0], name: string): Promise<AuthOutcome> {
  let outcome: unknown;
  try {
    outcome = await strategy.authenticate(request);
  } catch (thrown) {
    throw new ConformanceFailure(`${name}.strategy.authenticate threw ${errorText(thrown)}`);
  }
  const type = (outcome as { type?: unknown } | null)?.type;
  if (type !== 'authenticated' && type !== 'rejected' && type !== 'absent') {
    throw new ConformanceFailure(`${name}.strategy.authenticate returned ${show(outcome)}, which is not an outcome`);
  }
  return outcome as AuthOutcome;
}

function createSender(
  options: HmacInProcessDriverOptions,
  strategies: { readonly authenticate: AuthStrategy; readonly session: AuthStrategy },
  toAuthRequest: ToAuthRequest,
  routes: Routes,
): WireSender {
  const { authenticate, session } = options;
  const refuseSignIn = refusalReplier(strategies.authenticate, authenticate.render, 'authenticate.render', 'authenticate.strategy');
  const refuseCall = refusalReplier(strategies.session, session.render, 'session.render', 'session.strategy');

  async function signIn(outcome: AuthOutcome): Promise<WireResponse> {
    if (outcome.type !== 'authenticated') return refuseSignIn(outcome);
    let started: unknown;
    try {
      started = await authenticate.startSession(outcome);
    } catch (thrown) {
      throw new ConformanceFailure(`authenticate.startSession threw ${errorText(thrown)}`);
    }
    if (started instanceof AuthError) return refuseSignIn({ type: 'rejected', error: started });
    if (typeof started !== 'string' || started === '') {
      throw new ConformanceFailure(`authenticate.startSession resolved to ${typeof started === 'string' ? 'an empty string' : show(started)}, expected a session token or an AuthError`);
    }
    let rendered: unknown;
    try {
      rendered = authenticate.renderSuccess(started, outcome);
    } catch (thrown) {
      throw new ConformanceFailure(`authenticate.renderSuccess threw ${errorText(thrown)}`);
    }
    return replyOf(rendered, 'authenticate.renderSuccess');
  }

  async function call(outcome: AuthOutcome, path: string): Promise<WireResponse> {
    if (outcome.type !== 'authenticated') return refuseCall(outcome);
    if (routes.permissionPath === null || path !== routes.permissionPath) return CALL_SUCCESS;
    if (session.authorize === undefined) {
      throw new ConformanceFailure('the fixtures name a permissionPath, but the driver has no session.authorize to check the permission');
    }
    let authorized: unknown;
    try {
      authorized = await session.authorize(outcome, path);
    } catch (thrown) {
      throw new ConformanceFailure(`session.authorize threw ${errorText(thrown)}`);
    }
    const type = (authorized as { type?: unknown } | null)?.type;
    if (type === 'authenticated') return CALL_SUCCESS;
    if (type === 'rejected' || type === 'absent') return refuseCall(authorized as AuthRefusal);
    throw new ConformanceFailure(`session.authorize returned ${show(authorized)}, which is not an outcome`);
  }

  return {
    async send(request, sendOptions = {}) {
      const path = new URL(request.url, CONFORMANCE_ORIGIN).pathname;
      const authRequest = toAuthRequest(request, { remoteAddress: sendOptions.remoteAddress ?? DEFAULT_REMOTE_ADDRESS });
      if (path === routes.authenticatePath) return signIn(await outcomeOf(strategies.authenticate, authRequest, 'authenticate'));
      return call(await outcomeOf(strategies.session, authRequest, 'session'), path);
    },
  };
}

function checkEndpoint(value: unknown, name: 'authenticate' | 'session'): void {
  if (value === null || typeof value !== 'object') throw new ConfigurationError(name, 'must be an object { strategy, … }');
  const endpoint = value as Record<string, unknown>;
  const strategy = endpoint['strategy'] as { authenticate?: unknown; renderRefusal?: unknown } | null | undefined;
  if (strategy === null || typeof strategy !== 'object' || typeof strategy.authenticate !== 'function') {
    throw new ConfigurationError(`${name}.strategy`, 'must be an AuthStrategy');
  }
  checkRender(endpoint['render'], strategy, `${name}.render`);
  if (name === 'authenticate') {
    if (typeof endpoint['startSession'] !== 'function') {
      throw new ConfigurationError('authenticate.startSession', 'must be a function (outcome) => Promise<string | AuthError>');
    }
    if (typeof endpoint['renderSuccess'] !== 'function') {
      throw new ConfigurationError('authenticate.renderSuccess', 'must be a function (sessionToken, outcome) => WireReply');
    }
  } else if (endpoint['authorize'] !== undefined && typeof endpoint['authorize'] !== 'function') {
    throw new ConfigurationError('session.authorize', 'must be a function (outcome, path) => AuthOutcome');
  }
}

function routesOf(fixtures: unknown, routes: Routes): void {
  const raw = (typeof fixtures === 'object' && fixtures !== null ? fixtures : {}) as Record<string, unknown>;
  routes.authenticatePath = typeof raw['authenticatePath'] === 'string' ? raw['authenticatePath'] : DEFAULT_HMAC_AUTHENTICATE_PATH;
  routes.permissionPath = typeof raw['permissionPath'] === 'string' ? raw['permissionPath'] : null;
}

/**
 * Drives the two faces of an HMAC signature server in-process for the `hmac-signature@2` profile, routing by
 * path as the server would: a request to the fixture `authenticatePath` (default `/AuthenticateUser`) runs
 * `authenticate.strategy`; authenticated → `authenticate.startSession(outcome)` and
 * `authenticate.renderSuccess(token, outcome)`; rejected or absent → `authenticate.strategy.renderRefusal(outcome)`
 * (with an `authenticate.render` option: `render(error)`, and `render(new AuthError('CREDENTIALS_MISSING'))` when
 * absent). Any other path (the fixture `resource`, `permissionPath`, …) runs `session.strategy`; authenticated →
 * HTTP 200 `{"result":true,"errormsg":null,"errorcode":0,"detail":null}` (at `permissionPath` only if
 * `session.authorize` lets it through); rejected or absent → `session.strategy.renderRefusal(outcome)` (or
 * `session.render(…)` when given). The routes come from the
 * fixtures of the last `setup()`. Each request goes through the request adapter with the socket address the
 * case gives (default `192.0.2.10`); rendered bodies are serialized and parsed again, as over the wire. The driver
 * offers capability `remote-address`, plus `store-failure` and `revoke` when those options are given. Throws a
 * `ConfigurationError` naming the option when an option is missing or of the wrong type.
 *
 * @example
 * ```ts
 * import { hmacInProcessDriver, hmacSignatureV2, runProfile } from '@gatehouse/conformance';
 * const driver = hmacInProcessDriver({
 *   authenticate: { strategy: hmacSignature({ store, sealer, ephemeralStore }), startSession, renderSuccess },
 *   session: { strategy: hmacSession({ store }) },
 *   setup,
 * });
 * const results = await runProfile(hmacSignatureV2, driver, { parameters: { nonce_policy: 'unique' } });
 * ```
 */
export function hmacInProcessDriver(options: HmacInProcessDriverOptions): HmacSignatureDriver {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object');
  checkEndpoint(options.authenticate, 'authenticate');
  checkEndpoint(options.session, 'session');
  const { setup, storeFailure, revokeKey } = options;
  if (typeof setup !== 'function') throw new ConfigurationError('setup', 'must be a function returning Promise<HmacFixtures>');
  if (storeFailure !== undefined && typeof storeFailure !== 'function') {
    throw new ConfigurationError('storeFailure', 'must be a function returning Promise<{ authenticate: { strategy }, session: { strategy } }>');
  }
  if (revokeKey !== undefined && typeof revokeKey !== 'function') {
    throw new ConfigurationError('revokeKey', 'must be a function (apiKey: string) => Promise<void>');
  }
  if (options.toAuthRequest !== undefined && typeof options.toAuthRequest !== 'function') {
    throw new ConfigurationError('toAuthRequest', 'must be a function (request, { remoteAddress }) => AuthRequest');
  }
  const toAuthRequest = options.toAuthRequest ?? createFetchRequestAdapter();
  const routes: Routes = { authenticatePath: DEFAULT_HMAC_AUTHENTICATE_PATH, permissionPath: null };
  const sender = createSender(options, { authenticate: options.authenticate.strategy, session: options.session.strategy }, toAuthRequest, routes);
  const capabilities = ['remote-address'];
  if (storeFailure !== undefined) capabilities.push('store-failure');
  if (revokeKey !== undefined) capabilities.push('revoke');
  const driver: HmacSignatureDriver = {
    capabilities,
    async setup() {
      const fixtures = await setup();
      routesOf(fixtures, routes);
      return fixtures;
    },
    send: (request, sendOptions) => sender.send(request, sendOptions),
  };
  const withStore: HmacSignatureDriver =
    storeFailure === undefined
      ? driver
      : {
          ...driver,
          async storeFailure() {
            const failing: unknown = await storeFailure();
            const pick = (name: 'authenticate' | 'session'): AuthStrategy => {
              const strategy = ((failing as Record<string, { strategy?: AuthStrategy } | undefined> | null)?.[name] ?? {}).strategy;
              const needsRenderer = options[name].render === undefined;
              if (typeof strategy?.authenticate !== 'function' || (needsRenderer && typeof strategy.renderRefusal !== 'function')) {
                throw new ConformanceFailure(
                  `storeFailure() resolved to ${show(failing)}, expected { authenticate: { strategy }, session: { strategy } }${needsRenderer ? ` (${name}.strategy with a renderRefusal(), or give ${name}.render)` : ''}`,
                );
              }
              return strategy;
            };
            return createSender(options, { authenticate: pick('authenticate'), session: pick('session') }, toAuthRequest, routes);
          },
        };
  if (revokeKey === undefined) return withStore;
  return { ...withStore, revokeKey: (apiKey) => revokeKey(apiKey) };
}
