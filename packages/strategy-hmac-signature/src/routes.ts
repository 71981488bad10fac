import {
  AuthError,
  ConfigurationError,
  createAuthGuard,
  isJsonObject,
  renderSuccess,
  type AuthContext,
  type AuthErrorCode,
  type AuthRefusal,
  type AuthRequest,
  type AuthStrategy,
  type CredentialReference,
  type JsonValue,
  type KitRoute,
  type LoginThrottle,
  type RouteKit,
  type WireReply,
} from '@gatehouse/auth-core';
import { JSON_CONTENT_TYPE } from '@gatehouse/auth-core/strategy';
import { apexUserId, renderAuthenticateUserSuccess } from './envelope.js';
import type { HmacKeyManager } from './manage.js';
import { HMAC_STRATEGY_ID } from './options.js';
import { HMAC_KINDS, sessionKindsOf, type HmacPrincipal } from './verify.js';

/**
 * A user whose password `verifyLogin` accepted: the id their keys belong to (1 to 64 letters, digits, `_`, `-`;
 * a canonical decimal goes out as a JSON number) and the name `WebAuthenticateUser` and `AuthenticateUser` reply
 * with.
 *
 * @example
 * ```ts
 * const user: ApexLoginUser = { userId: '7', userName: 'alice' }; // replies carry "User":{"UserId":7,"UserName":"alice"}
 * ```
 */
export interface ApexLoginUser {
  /** The user's id: 1 to 64 letters, digits, `_` or `-`; the keys are issued to it. */
  readonly userId: string;
  /** The name the login replies carry as `UserName`. */
  readonly userName: string;
}

/**
 * Options of {@link createApexRoutes}.
 *
 * @example
 * ```ts
 * const options: ApexRoutesOptions = {
 *   authenticateUser: hmacSignature({ store, sealer, ephemeralStore }), // the same objects your own routes use
 *   sessions: hmacSession({ store, sessionKinds: ['api', 'web'] }),
 *   manager: createHmacKeyManager({ store, sealer }),
 *   verifyLogin: async (userName, password) => {
 *     const user = await users.check(userName, password); // your password check
 *     return user === null ? null : { userId: String(user.id), userName: user.name };
 *   },
 *   loginThrottle: createLoginThrottle(ephemeralStore),
 * };
 * ```
 */
export interface ApexRoutesOptions {
  /** The application's `hmacSignature(...)` verifier: `AuthenticateUser` checks the signed API key with it. */
  readonly authenticateUser: AuthStrategy<HmacPrincipal>;
  /**
   * The application's `hmacSession({ ..., sessionKinds: ['api', 'web'] })`: key routes need a web session and
   * `LogOut` takes either kind, so it must accept both (checked when it is the verifier itself, not a wrapper).
   * Guard the application's own routes (`GetUserInfo`, `SendOrder`) with an `hmacSession` of its own, with the
   * default `['api']`, so a web session (no permissions) never reaches them.
   */
  readonly sessions: AuthStrategy<HmacPrincipal>;
  /** The application's `createHmacKeyManager(...)`, over the store both strategies read. */
  readonly manager: HmacKeyManager;
  /**
   * Checks a user's name and password for `WebAuthenticateUser`: the user, or `null` for a wrong name or
   * password (both answered with the same bytes). Without it the kit does not serve `WebAuthenticateUser` (the
   * request is left to the application). A store it cannot reach: throw `new AuthError('STORE_UNAVAILABLE')`
   * (503 `Service unavailable`); any other throw is a bug, answered with `INTERNAL_ERROR` by the dispatcher.
   */
  readonly verifyLogin?: (userName: string, password: string, request: AuthRequest) => Promise<ApexLoginUser | null>;
  /**
   * Core's `createLoginThrottle(...)`: failed `WebAuthenticateUser` logins counted per client IP and per user
   * name; past the limit a login is answered 429 `Too many requests` before the password is checked. Off unless
   * given; only with `verifyLogin`.
   */
  readonly loginThrottle?: LoginThrottle;
  /** Where the routes live. Default `['', '/ap']`: `/AuthenticateUser` and `/ap/AuthenticateUser`. */
  readonly basePaths?: readonly string[];
}

type Reply = WireReply<unknown>;
type JsonObject = { readonly [key: string]: JsonValue };
type BodyRead = { readonly ok: true; readonly value: JsonObject } | { readonly ok: false; readonly reply: Reply };

const METHODS: readonly string[] = Object.freeze(['POST']);
const HEADERS = Object.freeze({ 'content-type': JSON_CONTENT_TYPE });
const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)*\/?$/;
const MANAGER_METHODS = ['issue', 'list', 'revoke', 'startSession', 'startWebSession', 'endSession'] as const;
const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const NUMERIC_USER_ID = /^(0|[1-9][0-9]{0,14})$/;
const SESSION_KINDS: readonly string[] = [HMAC_KINDS.session, HMAC_KINDS.webSession];
const OK = Object.freeze({ result: true, errormsg: null, errorcode: 0, detail: null });
const JSON_ONLY = 'Send the data as JSON (Content-Type: application/json)';
/** The `detail` texts of the kit's own refusals (the dispatcher's 405, an adapter's 404). */
const DETAILS: Partial<Record<AuthErrorCode, string>> = { METHOD_NOT_ALLOWED: 'Use POST', ROUTE_NOT_FOUND: 'No such endpoint' };

const BODY_UNAVAILABLE =
  'hmac-signature routes: the request body was consumed before the route kit (by a body parser or middleware) and ' +
  'the request adapter found neither the parsed body nor its bytes, so the JSON parameters cannot be read. Mount the ' +
  'kit before the body parser, or leave what it read where the adapter finds it.';

const rejection = (codeOrError: AuthErrorCode | AuthError): AuthRefusal => ({
  type: 'rejected',
  error: codeOrError instanceof AuthError ? codeOrError : new AuthError(codeOrError),
});

/** An APEX call failure with a `detail` text (and, where APEX differs from the code's own, another status). */
function withDetail(reply: Reply, httpStatus: number, detail: string): Reply {
  return { ...reply, httpStatus, body: { ...(reply.body as object), detail } };
}

/**
 * The body's `UserId`, as text: a JSON number or a string. A caller with a numeric id is matched by number, so a
 * `UserId` that is not a canonical decimal is malformed (400), not someone else's.
 */
function readUserId(value: JsonValue | undefined, callerId: string): string | null {
  if (typeof value === 'number') {
    const text = String(value);
    return Number.isSafeInteger(value) && NUMERIC_USER_ID.test(text) ? text : null;
  }
  if (typeof value !== 'string') return null;
  return (NUMERIC_USER_ID.test(callerId) ? NUMERIC_USER_ID : USER_ID).test(value) ? value : null;
}

/** The user a `verifyLogin` callback returned; a malformed answer is a bug and throws. */
function readLoginUser(found: unknown): ApexLoginUser | null {
  if (found === null) return null;
  const { userId, userName } = (typeof found === 'object' ? found : {}) as { userId?: unknown; userName?: unknown };
  if (typeof userId !== 'string' || typeof userName !== 'string') {
    throw new TypeError('hmac-signature routes: verifyLogin must resolve to { userId, userName } (strings) or null');
  }
  return { userId, userName };
}

function isStrategy(value: unknown): value is AuthStrategy<HmacPrincipal> {
  return value !== null && typeof value === 'object' && typeof (value as AuthStrategy).authenticate === 'function' && typeof (value as AuthStrategy).renderRefusal === 'function';
}

function checkOptions(options: ApexRoutesOptions): readonly string[] {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object');
  if (!isStrategy(options.authenticateUser)) throw new ConfigurationError('authenticateUser', 'must be the hmacSignature(...) verifier the application uses');
  if (!isStrategy(options.sessions)) throw new ConfigurationError('sessions', "must be an hmacSession({ ..., sessionKinds: ['api', 'web'] }) verifier");
  const kinds = sessionKindsOf(options.sessions);
  if (kinds !== null && !(kinds.includes('api') && kinds.includes('web'))) {
    throw new ConfigurationError('sessions', `accepts only ${kinds.join(', ')} sessions: key routes need web sessions and LogOut takes either, so build it with sessionKinds: ['api', 'web']`);
  }
  const manager: unknown = options.manager;
  if (manager === null || typeof manager !== 'object') throw new ConfigurationError('manager', 'must be a createHmacKeyManager(...) manager');
  for (const method of MANAGER_METHODS) {
    if (typeof (manager as Record<string, unknown>)[method] !== 'function') throw new ConfigurationError('manager', `must be a createHmacKeyManager(...) manager (no ${method}())`);
  }
  if (options.verifyLogin !== undefined && typeof options.verifyLogin !== 'function') {
    throw new ConfigurationError('verifyLogin', 'must be a function (userName, password, request) => { userId, userName } or null');
  }
  const throttle: unknown = options.loginThrottle;
  if (throttle !== undefined) {
    if (throttle === null || typeof throttle !== 'object' || typeof (throttle as LoginThrottle).attempt !== 'function') {
      throw new ConfigurationError('loginThrottle', 'must be a LoginThrottle (createLoginThrottle from @gatehouse/auth-core)');
    }
    if (options.verifyLogin === undefined) throw new ConfigurationError('loginThrottle', 'throttles WebAuthenticateUser, which is served only with verifyLogin');
  }
  const basePaths: unknown = options.basePaths ?? ['', '/ap'];
  if (!Array.isArray(basePaths) || basePaths.length === 0 || basePaths.some((path) => typeof path !== 'string' || !BASE_PATH.test(path))) {
    throw new ConfigurationError('basePaths', "must be a non-empty array of paths such as '/ap' ('' for the root)");
  }
  return Object.freeze(basePaths.map((path: string) => path.replace(/\/+$/, '')));
}

/**
 * The APEX login and key-management routes (KiiEx docs, "AuthenticateUser":
 * https://docs.kiiglobal.io/docs/kiiex/connect-to-kiiex-apis/users/authenticateuser, and "Authenticate with API
 * Key") as a route kit, for any framework adapter's `routeKit(kit)`. Every route is POST, at `/<Name>` and
 * `/ap/<Name>` by default:
 *
 * | route | needs | reply |
 * |---|---|---|
 * | `AuthenticateUser` | `APIKey`, `Signature`, `UserId`, `Nonce` (headers or JSON body) | `{"Authenticated":true,"SessionToken",…,"errormsg":null}` (an API session) |
 * | `WebAuthenticateUser` (with `verifyLogin`) | JSON `{"UserName","Password"}` | the same, with a web session token |
 * | `AddUserAPIKey` | web session, JSON `{"UserId","Permissions","AllowedIps"?}` | `{"APIKey","APISecret","Nonce","UserId","Permissions"}`, shown once |
 * | `GetUserAPIKeys` | web session, JSON `{"UserId"}` | `[{"ApiKeyId","APIKeyHint","UserId","Permissions","AllowedIps","Created","LastUsed"}]` |
 * | `RemoveUserAPIKey` | web session, JSON `{"UserId","APIKey"}` or `{"UserId","ApiKeyId"}` | `{"result":true,…}`; the key's sessions end |
 * | `LogOut` | a session of either kind | `{"result":true,"errormsg":null,"errorcode":0,"detail":null}` |
 *
 * `AuthenticateUser` and `WebAuthenticateUser` fail as `{"Authenticated":false,"errormsg":…}` (a wrong user name
 * and a wrong password with the same bytes, 401 `Invalid username or password`); every other route as
 * `{"result":false,"errormsg","errorcode","detail"}`. Key routes refuse an API-key session (401 Not Authorized)
 * and a `UserId` that is not the caller's own (403 Not Authorized); a body that is not JSON is 415. A failing
 * store is 503 in the route's shape. The application's own resources (`GetUserInfo`, `SendOrder`, …) are not in
 * the kit: guard them with `hmacSession`. Other paths are left to the application; a kit path with another
 * method is 405 `{"result":false,"errormsg":"Invalid Request","errorcode":100,"detail":"Use POST"}`.
 *
 * @example
 * ```ts
 * import { createLoginThrottle } from '@gatehouse/auth-core';
 * import { routeKit } from '@gatehouse/express';
 * const kit = createApexRoutes({
 *   authenticateUser: hmacSignature({ store, sealer, ephemeralStore }),
 *   sessions: hmacSession({ store, sessionKinds: ['api', 'web'] }),
 *   manager: createHmacKeyManager({ store, sealer, permissions: ['Trading'] }),
 *   verifyLogin: async (userName, password) => users.check(userName, password), // { userId, userName } or null
 *   loginThrottle: createLoginThrottle(ephemeralStore),
 * });
 * app.use(routeKit(kit)); // POST /ap/WebAuthenticateUser {"UserName":"alice","Password":"…"} → {"Authenticated":true,…}
 * ```
 */
export function createApexRoutes(options: ApexRoutesOptions): RouteKit {
  const basePaths = checkOptions(options);
  const { authenticateUser, sessions, manager, verifyLogin, loginThrottle } = options;
  const userGuard = createAuthGuard(authenticateUser);
  const sessionGuard = createAuthGuard(sessions);

  /** A refusal in the `AuthenticateUser` shape. */
  const loginRefusal = (codeOrError: AuthErrorCode | AuthError): Reply => authenticateUser.renderRefusal(rejection(codeOrError));
  /** A refusal in the shape of every other call. */
  const callRefusal = (codeOrError: AuthErrorCode | AuthError): Reply => sessions.renderRefusal(rejection(codeOrError));
  const callSuccess = (payload: unknown): Reply => renderSuccess(sessions, payload);

  /** The body as a JSON object (no body: an empty one), or the refusal in the route's shape. */
  const readJsonObject = async (request: AuthRequest, shape: 'login' | 'call'): Promise<BodyRead> => {
    const refuse = shape === 'login' ? loginRefusal : callRefusal;
    const body = await request.body();
    switch (body.type) {
      case 'none':
        return { ok: true, value: {} };
      case 'json':
        return isJsonObject(body.value) ? { ok: true, value: body.value } : { ok: false, reply: refuse('REQUEST_MALFORMED') };
      case 'too-large':
        return { ok: false, reply: refuse('REQUEST_TOO_LARGE') };
      case 'form':
      case 'unsupported':
        return {
          ok: false,
          reply:
            shape === 'login'
              ? { httpStatus: 415, headers: HEADERS, body: { Authenticated: false, errormsg: JSON_ONLY } }
              : withDetail(callRefusal('REQUEST_MALFORMED'), 415, JSON_ONLY),
        };
      case 'unavailable':
        // Not the client's fault. A call route throws, so the dispatcher reports why to the operator (its
        // INTERNAL_ERROR reply has the call shape already); a login answers in its own shape.
        if (shape === 'call') throw new Error(BODY_UNAVAILABLE);
        return { ok: false, reply: loginRefusal(new AuthError('INTERNAL_ERROR', { cause: new Error(BODY_UNAVAILABLE) })) };
      default:
        return { ok: false, reply: refuse('REQUEST_MALFORMED') };
    }
  };

  /**
   * Runs the password check under the throttle. A throw of the check itself goes on as it is; a throttle that
   * cannot reach its own store denies the login as every store failure does (503).
   */
  const attempt = async (clientIp: string | null, userName: string, check: () => Promise<ApexLoginUser | null>) => {
    if (loginThrottle === undefined) return { throttled: false, account: await check() } as const;
    let checkFailure: { readonly error: unknown } | undefined;
    try {
      return await loginThrottle.attempt(clientIp, userName, async () => {
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

  /** The caller of a route that needs a session, or the refusal (already in the call shape). */
  const sessionCaller = async (request: AuthRequest): Promise<{ readonly ok: true; readonly caller: AuthContext<HmacPrincipal> } | { readonly ok: false; readonly reply: Reply }> => {
    const decision = await sessionGuard(request);
    if (decision.type === 'refused') return { ok: false, reply: decision.reply };
    // The guard is not optional: an allowed request always has a caller.
    if (decision.auth === null) throw new TypeError('hmac-signature routes: the session guard let a request through without credentials');
    // Defence in depth: `sessions` only finds session records, but the kit may have been given a wrapper.
    if (!SESSION_KINDS.includes(decision.auth.credential.kind)) return { ok: false, reply: callRefusal('CREDENTIALS_NOT_ACCEPTED_HERE') };
    return { ok: true, caller: decision.auth };
  };

  /**
   * A key-management route: a web session only (an API-key session is CREDENTIALS_NOT_ACCEPTED_HERE), a JSON
   * body whose `UserId` is the caller's own.
   */
  const keyRoute = (
    path: string,
    summary: string,
    handler: (caller: AuthContext<HmacPrincipal>, userId: string, body: JsonObject) => Promise<Reply>,
  ): KitRoute => ({
    methods: METHODS,
    path,
    summary,
    async handle({ auth: request }) {
      const session = await sessionCaller(request);
      if (!session.ok) return session.reply;
      const { caller } = session;
      if (caller.credential.kind !== HMAC_KINDS.webSession) return callRefusal('CREDENTIALS_NOT_ACCEPTED_HERE');
      const read = await readJsonObject(request, 'call');
      if (!read.ok) return read.reply;
      const userId = readUserId(read.value['UserId'], caller.principal.id);
      if (userId === null) return withDetail(callRefusal('PARAMETER_INVALID'), 400, 'UserId is required');
      if (userId !== caller.principal.id) return callRefusal('OPERATION_NOT_PERMITTED');
      return handler(caller, userId, read.value);
    },
  });

  const routes: KitRoute[] = [
    {
      methods: METHODS,
      path: '/AuthenticateUser',
      summary: 'headers (or JSON body) APIKey, Signature, UserId, Nonce -> SessionToken for aptoken',
      async handle({ auth: request }) {
        const decision = await userGuard(request);
        if (decision.type === 'refused') return decision.reply;
        const caller = decision.auth;
        if (caller === null) throw new TypeError('hmac-signature routes: the AuthenticateUser guard let a request through without credentials');
        const started = await manager.startSession(caller);
        if (!started.ok) return loginRefusal(started.error);
        const userName = caller.principal.attributes?.['userName'];
        // A key issued without a user name answers with the user id in its place.
        return renderAuthenticateUserSuccess(started.value.token, { userId: caller.principal.id, userName: typeof userName === 'string' ? userName : caller.principal.id });
      },
    },
  ];

  if (verifyLogin !== undefined) {
    routes.push({
      methods: METHODS,
      path: '/WebAuthenticateUser',
      summary: 'JSON {"UserName","Password"} -> web SessionToken for aptoken',
      async handle({ auth: request }) {
        const read = await readJsonObject(request, 'login');
        if (!read.ok) return read.reply;
        const userName = read.value['UserName'];
        const password = read.value['Password'];
        if (typeof userName !== 'string' || typeof password !== 'string' || userName === '' || password === '') return loginRefusal('PARAMETER_INVALID');
        let tried: Awaited<ReturnType<typeof attempt>>;
        try {
          tried = await attempt(request.clientIp, userName, async () => readLoginUser(await verifyLogin(userName, password, request)));
        } catch (error) {
          if (error instanceof AuthError) return loginRefusal(error);
          throw error;
        }
        if (tried.throttled) return loginRefusal('RATE_LIMITED');
        const user = tried.account;
        // A wrong user name and a wrong password: the same bytes.
        if (user === null) return { httpStatus: 401, headers: HEADERS, body: { Authenticated: false, errormsg: 'Invalid username or password' } };
        const started = await manager.startWebSession(user);
        if (!started.ok) return loginRefusal(started.error);
        return renderAuthenticateUserSuccess(started.value.token, user);
      },
    });
  }

  routes.push(
    keyRoute('/AddUserAPIKey', 'aptoken (web session), JSON {"UserId","Permissions":[...],"AllowedIps"?:[...]} -> APIKey, APISecret, Nonce, shown once', async (caller, userId, body) => {
      const userName = caller.principal.attributes?.['userName'];
      // Values straight from the body: the manager checks them (PARAMETER_INVALID for unknown permissions or bad IPs).
      const issued = await manager.issue(userId, { permissions: body['Permissions'], allowedIps: body['AllowedIps'], ...(typeof userName === 'string' ? { userName } : {}) });
      if (!issued.ok) return callRefusal(issued.error);
      const { APIKey, APISecret, Nonce, Permissions } = issued.value;
      return callSuccess({ APIKey, APISecret, Nonce, UserId: apexUserId(userId), Permissions });
    }),
    keyRoute('/GetUserAPIKeys', 'aptoken (web session), JSON {"UserId"} -> keys, never secrets', async (_caller, userId) => {
      const listed = await manager.list(userId);
      if (!listed.ok) return callRefusal(listed.error);
      return callSuccess(
        listed.value.map((key) => ({
          ApiKeyId: key.id,
          APIKeyHint: key.apiKeyHint,
          UserId: apexUserId(userId),
          Permissions: key.permissions,
          AllowedIps: key.allowedIps,
          Created: new Date(key.createdAt).toISOString(),
          LastUsed: key.lastUsedAt === null ? null : new Date(key.lastUsedAt).toISOString(),
        })),
      );
    }),
    keyRoute('/RemoveUserAPIKey', 'aptoken (web session), JSON {"UserId","APIKey"} or {"UserId","ApiKeyId"}; ends its sessions', async (_caller, userId, body) => {
      const apiKey = body['APIKey'];
      const id = body['ApiKeyId'];
      if ((apiKey === undefined) === (id === undefined)) return withDetail(callRefusal('PARAMETER_INVALID'), 400, 'Send APIKey or ApiKeyId');
      // Values straight from the body: the manager checks them (PARAMETER_INVALID for anything but an APIKey or an id).
      const reference = (apiKey !== undefined ? { token: apiKey } : { id }) as CredentialReference;
      const revoked = await manager.revoke(userId, reference);
      return revoked.ok ? callSuccess(OK) : callRefusal(revoked.error);
    }),
    {
      methods: METHODS,
      path: '/LogOut',
      summary: 'aptoken (either kind); ends the session',
      async handle({ auth: request }) {
        const session = await sessionCaller(request);
        if (!session.ok) return session.reply;
        const ended = await manager.endSession(session.caller.credential);
        return ended.ok ? callSuccess(OK) : callRefusal(ended.error);
      },
    },
  );

  return Object.freeze({
    id: HMAC_STRATEGY_ID,
    basePaths,
    routes: Object.freeze(routes),
    renderRefusal(refusal: AuthRefusal): Reply {
      const reply = sessions.renderRefusal(refusal);
      const detail = refusal.type === 'rejected' ? DETAILS[refusal.error.code] : undefined;
      return detail === undefined ? reply : withDetail(reply, reply.httpStatus, detail);
    },
  });
}
