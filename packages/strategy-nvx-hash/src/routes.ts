import {
  AuthError,
  ConfigurationError,
  createAuthGuard,
  isJsonObject,
  refusalError,
  type AuthContext,
  type AuthRefusal,
  type AuthRequest,
  type AuthStrategy,
  type KitRoute,
  type LoginThrottle,
  type ManageResult,
  type RouteKit,
  type WireReply,
} from '@gatehouse/auth-core';
import { formatNvxDate, renderNvxError, renderNvxStatus, renderNvxSuccess } from './envelope.js';
import type { NvxApiKeyListing, NvxHashManager, NvxOwner, NvxSession } from './manage.js';
import { NVX_STRATEGY_ID } from './options.js';
import type { NvxPrincipal } from './verify.js';

/**
 * Options of {@link createNvxRoutes}.
 *
 * @example
 * ```ts
 * const options: NvxRoutesOptions = {
 *   strategy, // the nvxHash(...) your own routes use
 *   manager, // createNvxHashManager(...) over the same store
 *   verifyLogin: async (login, password) => {
 *     const account = await accounts.check(login, password); // your password check
 *     return account === null ? null : { id: account.id, accountType: account.isSubUser ? 'sub' : 'master' };
 *   },
 *   loginThrottle: createLoginThrottle(ephemeralStore, { maxFailures: 100 }),
 * };
 * ```
 */
export interface NvxRoutesOptions {
  /**
   * The application's `nvxHash(...)` strategy (or a wrapper of it), used on every route that needs a hash. It
   * already refuses a hash of the wrong kind for the route (code 11), so it must be built for the same
   * `basePath` as the kit.
   */
  readonly strategy: AuthStrategy<NvxPrincipal>;
  /** The application's `createNvxHashManager(...)`, over the store the strategy reads. */
  readonly manager: NvxHashManager;
  /** Where the routes live. Default `/v2`; must be the strategy's `basePath`. */
  readonly basePath?: string;
  /**
   * Checks a user's login and password for `user/auth`: the account (a master user or a sub-user), or `null`
   * for a wrong login or password. Wrong login, wrong password and an account of another kind all get code 4,
   * byte for byte the same. A store it cannot reach: throw `new AuthError('STORE_UNAVAILABLE')` (code 14); any
   * other throw is answered with code 6.
   */
  readonly verifyLogin: (
    login: string,
    password: string,
    request: AuthRequest,
  ) => Promise<{ readonly id: string; readonly accountType: 'master' | 'sub' } | null>;
  /**
   * Checks an admin panel login for `panel/account/auth`: the panel account, or `null`. Without it the kit does
   * not serve `panel/account/auth` at all (the request is left to the application).
   */
  readonly verifyPanelLogin?: (login: string, password: string, request: AuthRequest) => Promise<{ readonly id: string } | null>;
  /**
   * Core's `createLoginThrottle(...)`: failed logins counted per client IP and per login, shared by both login
   * routes; past the limit a login is answered with code 15 before the password is checked. Off unless given.
   */
  readonly loginThrottle?: LoginThrottle;
}

/** A parameter sent with different values in several places, or as a JSON value that is not a string. */
const INVALID = Symbol('invalid parameter');
type ParamValue = string | undefined | typeof INVALID;
type ParamReader = (name: string) => ParamValue;

const METHODS: readonly string[] = Object.freeze(['GET', 'POST']);
const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)*\/?$/;
const MANAGER_METHODS = ['startUserSession', 'startPanelSession', 'renewSession', 'endSession', 'issue', 'list', 'revoke', 'keyManager'] as const;

/** Why a login route cannot be answered when something consumed the body before the kit. */
const BODY_UNAVAILABLE_REASON =
  'nvx-hash routes: the request body was consumed before the route kit (by a body parser or middleware) and the ' +
  'request adapter found neither the parsed body nor its bytes, so `login` and `password` cannot be read. Mount ' +
  'the kit before the body parser, or leave what it read where the adapter finds it.';

/**
 * The request's parameters: the query, a urlencoded form body and a JSON object body together, as the Navixy API
 * accepts them. A name given in several places must have the same value everywhere, and a JSON value must be a
 * string; otherwise the parameter is {@link INVALID} (code 7 where it is used), never one of the values guessed.
 */
async function readParams(request: AuthRequest): Promise<{ readonly ok: true; readonly param: ParamReader } | { readonly ok: false; readonly reply: WireReply<unknown> }> {
  const body = await request.body();
  switch (body.type) {
    case 'too-large':
      return { ok: false, reply: renderNvxError(new AuthError('REQUEST_TOO_LARGE')) };
    case 'malformed':
    case 'unsupported':
      return { ok: false, reply: renderNvxError(new AuthError('REQUEST_MALFORMED')) };
    case 'unavailable':
      // Not the client's fault: thrown so the dispatcher reports why to the operator and answers code 6.
      throw new Error(BODY_UNAVAILABLE_REASON);
    case 'json':
      if (!isJsonObject(body.value)) return { ok: false, reply: renderNvxError(new AuthError('REQUEST_MALFORMED')) };
      break;
    default:
      break;
  }
  const param: ParamReader = (name) => {
    const values: unknown[] = [...request.queryValues(name)];
    if (body.type === 'form') values.push(...(body.fields.get(name) ?? []));
    if (body.type === 'json' && isJsonObject(body.value) && Object.prototype.hasOwnProperty.call(body.value, name)) values.push(body.value[name]);
    if (values.length === 0) return undefined;
    const first = values[0];
    if (typeof first !== 'string' || values.some((value) => value !== first)) return INVALID;
    return first;
  };
  return { ok: true, param };
}

/** The account a `verifyLogin` callback returned: `null` for none or one of another kind; a malformed answer throws. */
function readUserAccount(found: unknown): NvxOwner | null {
  if (found === null) return null;
  if (typeof found !== 'object') throw new TypeError('nvx-hash routes: verifyLogin must resolve to { id, accountType } or null');
  const { id, accountType } = found as { id?: unknown; accountType?: unknown };
  if (typeof id !== 'string' || id === '') throw new TypeError('nvx-hash routes: verifyLogin must resolve to an account with a non-empty string id');
  // A panel administrator (or anything else) at user/auth is a login of the wrong kind: like a wrong password.
  return accountType === 'master' || accountType === 'sub' ? { id, accountType } : null;
}

/** The panel account a `verifyPanelLogin` callback returned; a malformed answer throws. */
function readPanelAccount(found: unknown): { readonly id: string } | null {
  if (found === null) return null;
  const id = typeof found === 'object' ? (found as { id?: unknown }).id : undefined;
  if (typeof id !== 'string' || id === '') throw new TypeError('nvx-hash routes: verifyPanelLogin must resolve to { id } (a non-empty string) or null');
  return { id };
}

/** `replyOf(result, payload)`: a manager's value in Navixy's success envelope, or its error in the failure envelope. */
function replyOf<T>(result: ManageResult<T>, payload: (value: T) => object): WireReply<unknown> {
  return result.ok ? renderNvxSuccess(payload(result.value)) : renderNvxError(result.error);
}

/** An API key as `api/key/create` and `api/key/list` show it. */
function showKey(key: NvxApiKeyListing): { hash: string; create_date: string; title: string } {
  return { hash: key.hash, create_date: formatNvxDate(key.createdAt), title: key.title };
}

function renderNvxRefusal(refusal: AuthRefusal): WireReply<unknown> {
  return renderNvxError(refusalError(refusal));
}

function checkOptions(options: NvxRoutesOptions): string {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object');
  // `createAuthGuard` checks `strategy` too; checking here first keeps the message about this kit.
  const strategy: unknown = options.strategy;
  if (strategy === null || typeof strategy !== 'object' || typeof (strategy as AuthStrategy).authenticate !== 'function' || typeof (strategy as AuthStrategy).renderRefusal !== 'function') {
    throw new ConfigurationError('strategy', 'must be the nvxHash(...) strategy the application uses');
  }
  const manager: unknown = options.manager;
  if (manager === null || typeof manager !== 'object') throw new ConfigurationError('manager', 'must be a createNvxHashManager(...) manager');
  for (const method of MANAGER_METHODS) {
    if (typeof (manager as Record<string, unknown>)[method] !== 'function') throw new ConfigurationError('manager', `must be a createNvxHashManager(...) manager (no ${method}())`);
  }
  const basePath: unknown = options.basePath ?? '/v2';
  if (typeof basePath !== 'string' || !BASE_PATH.test(basePath)) throw new ConfigurationError('basePath', 'must be a path such as /v2 (the strategy\'s basePath)');
  if (typeof options.verifyLogin !== 'function') throw new ConfigurationError('verifyLogin', 'must be a function (login, password, request) => account or null');
  if (options.verifyPanelLogin !== undefined && typeof options.verifyPanelLogin !== 'function') {
    throw new ConfigurationError('verifyPanelLogin', 'must be a function (login, password, request) => panel account or null');
  }
  const throttle: unknown = options.loginThrottle;
  if (throttle !== undefined && (throttle === null || typeof throttle !== 'object' || typeof (throttle as LoginThrottle).attempt !== 'function')) {
    throw new ConfigurationError('loginThrottle', 'must be a LoginThrottle (createLoginThrottle from @gatehouse/auth-core)');
  }
  return basePath.replace(/\/+$/, '');
}

/**
 * The Navixy session and API-key routes as a route kit, for any framework adapter's `routeKit(kit)`: GET and
 * POST each, parameters from the query, a urlencoded form or a JSON body, every reply in Navixy's envelope (codes
 * from the Navixy API docs, "Errors": https://www.navixy.com/docs/navixy-api/user-api/backend-api/errors).
 *
 * | route | needs | reply |
 * |---|---|---|
 * | `user/auth` | `login`, `password` (master or sub-user) | `{"success":true,"hash":…}`; wrong login, password or kind: code 4; missing: code 7 |
 * | `user/session/renew`, `user/logout` | a user session hash | `{"success":true}` |
 * | `api/key/create` | a master user's session hash, `title` | `{"success":true,"value":{"hash","create_date","title"}}` |
 * | `api/key/list` | a master user's session hash | `{"success":true,"list":[{"hash","create_date","title"}]}` |
 * | `api/key/delete` | a master user's session hash, `key_hash` | `{"success":true}`; not the caller's live key: code 4 |
 * | `panel/account/auth` (with `verifyPanelLogin`) | `login`, `password` (panel administrator) | `{"success":true,"hash":…}` |
 *
 * Only a master user's session hash manages API keys: an API key or a sub-user's session is code 13 (Navixy API
 * docs, "Authentication": https://www.navixy.com/docs/navixy-api/user-api/authentication); a panel hash is code 11
 * on every route here (Navixy docs Q&A, "User session hash vs admin panel hash vs API key":
 * https://navixy.com/docs/qna/apis/user-session-hash-vs-admin-panel-hash-vs-api-key). Login routes ignore any
 * hash sent. Throttled logins are code 15, before the password is checked; a failing store is code 14 (HTTP 503).
 * Other paths are not the kit's (an adapter passes them on); a kit path with another method is HTTP 405, code 5.
 *
 * @example
 * ```ts
 * import { createLoginThrottle, createMemoryEphemeralStore } from '@gatehouse/auth-core';
 * import { routeKit } from '@gatehouse/express';
 * const strategy = nvxHash({ store });
 * const manager = createNvxHashManager({ store });
 * const kit = createNvxRoutes({
 *   strategy,
 *   manager,
 *   verifyLogin: async (login, password) => (await users.check(login, password)) ?? null, // { id, accountType } or null
 *   loginThrottle: createLoginThrottle(createMemoryEphemeralStore()),
 * });
 * app.use(routeKit(kit)); // GET /v2/user/auth?login=…&password=… → {"success":true,"hash":"…"}
 * ```
 */
export function createNvxRoutes(options: NvxRoutesOptions): RouteKit {
  const basePath = checkOptions(options);
  const { manager, verifyLogin, verifyPanelLogin, loginThrottle } = options;
  const guard = createAuthGuard(options.strategy);

  /**
   * Runs the password check under the throttle. A throw of the check itself reaches the dispatcher as it is; a
   * throttle that cannot reach its own store denies the login as every store failure does (code 14).
   */
  const attempt = async <A>(clientIp: string | null, login: string, check: () => Promise<A | null>): Promise<{ readonly throttled: true } | { readonly throttled: false; readonly account: A | null }> => {
    if (loginThrottle === undefined) return { throttled: false, account: await check() };
    let checkFailure: { readonly error: unknown } | undefined;
    try {
      return await loginThrottle.attempt(clientIp, login, async () => {
        try {
          return await check();
        } catch (error) {
          checkFailure = { error };
          throw error;
        }
      });
    } catch (error) {
      if (checkFailure !== undefined) throw checkFailure.error;
      throw new AuthError('STORE_UNAVAILABLE', { cause: error });
    }
  };

  /** A login route: `login` and `password` (code 7 without them), the throttle (code 15), the check (code 4), a session. */
  const loginRoute = <A>(
    path: string,
    summary: string,
    check: (login: string, password: string, request: AuthRequest) => Promise<A | null>,
    start: (account: A) => Promise<ManageResult<NvxSession>>,
  ): KitRoute => ({
    methods: METHODS,
    path,
    summary,
    async handle({ auth: request }) {
      const read = await readParams(request);
      if (!read.ok) return read.reply;
      const login = read.param('login');
      const password = read.param('password');
      if (typeof login !== 'string' || typeof password !== 'string' || login === '' || password === '') return renderNvxStatus(7);
      const tried = await attempt(request.clientIp, login, () => check(login, password, request));
      if (tried.throttled) return renderNvxStatus(15);
      if (tried.account === null) return renderNvxStatus(4);
      const session = await start(tried.account);
      return replyOf(session, (started) => ({ hash: started.hash }));
    },
  });

  /**
   * A route for a hash: the strategy decides (a refusal in its envelope), a panel hash is refused once more
   * (defence in depth: the strategy already refuses one off `/panel/` with code 11), then the parameters are read.
   */
  const protectedRoute = (
    path: string,
    summary: string,
    handler: (caller: AuthContext<NvxPrincipal>, param: ParamReader) => Promise<WireReply<unknown>>,
  ): KitRoute => ({
    methods: METHODS,
    path,
    summary,
    async handle({ auth: request }) {
      const decision = await guard(request);
      if (decision.type === 'refused') return decision.reply;
      const caller = decision.auth;
      // The guard is not optional: an allowed request always has a caller.
      if (caller === null) throw new TypeError('nvx-hash routes: the guard let a request through without credentials');
      if (caller.credential.kind === 'panel-session') return renderNvxError(new AuthError('CREDENTIALS_NOT_ACCEPTED_HERE'));
      const read = await readParams(request);
      if (!read.ok) return read.reply;
      return handler(caller, read.param);
    },
  });

  /** A key-management route: only a master user's session hash (code 13 for an API key or a sub-user). */
  const keyRoute = (path: string, summary: string, handler: (owner: NvxOwner, param: ParamReader) => Promise<WireReply<unknown>>): KitRoute =>
    protectedRoute(path, summary, async (caller, param) => {
      const owner = manager.keyManager(caller);
      return owner.ok ? handler(owner.value, param) : renderNvxError(owner.error);
    });

  const routes: KitRoute[] = [
    // No hash needed (any hash sent is ignored): this is where a session hash comes from.
    loginRoute(
      '/user/auth',
      'login, password (master or sub-user) -> session hash',
      async (login, password, request) => readUserAccount(await verifyLogin(login, password, request)),
      (account) => manager.startUserSession(account),
    ),
    protectedRoute('/user/session/renew', 'user session hash', async (caller) => replyOf(await manager.renewSession(caller.credential), () => ({}))),
    protectedRoute('/user/logout', 'user session hash', async (caller) => replyOf(await manager.endSession(caller.credential), () => ({}))),
    keyRoute('/api/key/create', "master user's session hash, title -> API key", async (owner, param) => {
      const title = param('title');
      if (title === INVALID) return renderNvxStatus(7);
      return replyOf(await manager.issue(owner, { title }), (key) => ({ value: showKey(key) }));
    }),
    keyRoute('/api/key/list', "master user's session hash", async (owner) => replyOf(await manager.list(owner), (keys) => ({ list: keys.map(showKey) }))),
    keyRoute('/api/key/delete', "master user's session hash, key_hash", async (owner, param) => {
      const keyHash = param('key_hash');
      if (keyHash === INVALID || keyHash === undefined) return renderNvxStatus(7);
      return replyOf(await manager.revoke(owner, { token: keyHash }), () => ({}));
    }),
  ];
  if (verifyPanelLogin !== undefined) {
    routes.push(
      loginRoute(
        '/panel/account/auth',
        'login, password (panel administrator) -> panel hash',
        async (login, password, request) => readPanelAccount(await verifyPanelLogin(login, password, request)),
        (account) => manager.startPanelSession(account.id),
      ),
    );
  }

  return Object.freeze({
    id: NVX_STRATEGY_ID,
    basePaths: Object.freeze([basePath]),
    routes: Object.freeze(routes),
    renderRefusal: renderNvxRefusal,
  });
}
