import {
  createAuthGuard,
  isJsonObject,
  refusalError,
  renderSuccess,
  toFetchResponse,
  withFailureThrottle,
  type AuthContext,
  type AuthOutcome,
  type AuthStrategy,
  type Clock,
  type CredentialReference,
  type CredentialStore,
  type JsonValue,
  type Principal,
} from '@gatehouse/auth-core';
import { authenticateSafely, JSON_CONTENT_TYPE } from '@gatehouse/auth-core/strategy';
import {
  createHmacKeyManager,
  HMAC_KINDS,
  hmacSession,
  hmacSignature,
  renderApexError,
  renderAuthenticateUserSuccess,
  type HmacKeyManager,
  type HmacNoncePolicy,
} from '@gatehouse/strategy-hmac-signature';
import type { Hono } from 'hono';
import type { Account } from '../accounts.js';
import type { DemoEnv } from '../app.js';
import type { DemoContext } from '../context.js';
import { createLoginThrottle } from '../login-throttle.js';
import { KIIEX_API_KEY, KIIEX_AUTHENTICATE_USER } from '../sources.js';
import { issueSessionToken, MAX_SESSIONS_PER_ACCOUNT, sessionTokenStrategy } from '../web-session.js';
import { answer, guarded, onRequest, refuse, type DemoContextOf, type RefusalRenderer, type Reply, type RouteGuard, type RouteHandler } from './reply.js';

/**
 * The KiiEx exchange API (AlphaPoint APEX) on the demo, after KiiEx docs, "Authenticate with API Key" and
 * "AuthenticateUser" (https://docs.kiiglobal.io/docs/kiiex/connect-to-kiiex-apis/users/authenticateuser):
 * - `AuthenticateUser`: `APIKey`, `Signature`, `UserId`, `Nonce` as headers ("Authenticate with API Key") or as a
 *   JSON body ("AuthenticateUser"), Signature = hex(HMAC-SHA256(key = APISecret, message = Nonce + UserId + APIKey));
 *   success gives a session token that later requests carry in the `aptoken` header;
 * - `WebAuthenticateUser`: a demo login and password give a web session token (also sent as `aptoken`), the only
 *   credential that may create, list and remove API keys (`AddUserAPIKey`, `GetUserAPIKeys`, `RemoveUserAPIKey`);
 * - `GetUserInfo`, `SendOrder` (the `Trading` permission) and `LogOut` with the `aptoken` of an API-key session.
 *
 * Every route is POST, at `/<Name>` and `/ap/<Name>`. `AuthenticateUser` and `WebAuthenticateUser` answer in the
 * `{"Authenticated",...,"errormsg"}` shape (the `hmacSignature` strategy's envelope); every other call's failure is
 * `{"result":false,"errormsg","errorcode","detail"}` (the `hmacSession` strategy's); a store failure is a 503 of
 * that shape, never a success.
 */

/** The permission names an API key may carry. */
export const HMAC_PERMISSIONS = ['Trading', 'Deposit', 'Withdraw'] as const;

/** Every APEX route of the demo (each at `/<path>` and `/ap/<path>`, POST only), with what it needs. */
export const HMAC_ROUTES: readonly { readonly path: string; readonly needs: string }[] = [
  { path: '/AuthenticateUser', needs: 'headers (or JSON body) APIKey, Signature, UserId, Nonce -> SessionToken for aptoken' },
  { path: '/WebAuthenticateUser', needs: 'JSON {"UserName","Password"} (a demo login) -> web SessionToken for aptoken' },
  { path: '/AddUserAPIKey', needs: 'aptoken (web session), JSON {"UserId","Permissions":[...],"AllowedIps"?:[...]} -> APIKey, APISecret, Nonce, shown once' },
  { path: '/GetUserAPIKeys', needs: 'aptoken (web session), JSON {"UserId"} -> keys, never secrets' },
  { path: '/RemoveUserAPIKey', needs: 'aptoken (web session), JSON {"UserId","APIKey"} or {"UserId","ApiKeyId"}; ends its sessions' },
  { path: '/GetUserInfo', needs: 'aptoken -> {"UserId","UserName","Email","AccountId",...}' },
  { path: '/SendOrder', needs: 'aptoken of an API key with the Trading permission -> a fake accepted order' },
  { path: '/LogOut', needs: 'aptoken; ends the session' },
];

/** The prefix every route is also served under. */
export const HMAC_AP_PREFIX = '/ap';

/** The index page lines of the APEX routes. */
export function hmacIndexLines(policy: HmacNoncePolicy): string[] {
  return [
    `KiiEx / AlphaPoint APEX API keys (${KIIEX_API_KEY}; ${KIIEX_AUTHENTICATE_USER}): every route is POST at /<Name> and ${HMAC_AP_PREFIX}/<Name>; replies are APEX JSON.`,
    '  Signature = hex(HMAC-SHA256(key = APISecret, message = Nonce + UserId + APIKey)), either hex case:',
    '    printf %s "$NONCE$USERID$APIKEY" | openssl dgst -sha256 -hmac "$SECRET"',
    `  Nonce policy (GATEHOUSE_HMAC_NONCE = issued | increasing | unique): ${policy}. ${NONCE_POLICY_TEXT[policy]}`,
    `  Permissions: ${HMAC_PERMISSIONS.join(', ')}.`,
    ...HMAC_ROUTES.map((route) => `  POST   ${`${HMAC_AP_PREFIX}${route.path}`.padEnd(26)} ${route.needs}`),
  ];
}

const NONCE_POLICY_TEXT: Readonly<Record<HmacNoncePolicy, string>> = {
  issued:
    `The nonce shown when the key was created, reused as in ${KIIEX_API_KEY}: the signature never changes, so anyone who sees one AuthenticateUser request can replay it.`,
  increasing: 'A decimal integer above the last one accepted for the key (e.g. unix time); a repeated or lower nonce is refused.',
  unique: 'Any nonce (letters, digits, ._~-), each accepted once per key within a day; a replayed request is refused.',
};

/** Stored with every web session record (a separate scheme from the demo's cookie session). */
export const APEX_WEB_SESSION_STRATEGY_ID = 'demo-apex-web-session';
export const APEX_WEB_SESSION_KIND = 'web-session';
/** The header that carries both kinds of session token. */
const APTOKEN = 'aptoken';
const ACCOUNT_ID = /^[1-9][0-9]{0,14}$/;
const OK = { result: true, errormsg: null, errorcode: 0, detail: null } as const;
const JSON_ONLY = 'Send the data as JSON (Content-Type: application/json)';

type JsonObject = { readonly [key: string]: JsonValue };

/** An APEX call failure with a detail text of the demo's own. */
function withDetail(reply: Reply, httpStatus: number, detail: string): Reply {
  return { ...reply, httpStatus, body: { ...(reply.body as object), detail } };
}

/** Who a web session belongs to: the demo account id. */
export type ApexWebPrincipal = Principal;

/**
 * The web session as an AuthStrategy on the `aptoken` header: `absent` without the header, `CREDENTIALS_AMBIGUOUS`
 * when sent twice, `CREDENTIALS_MALFORMED` for anything but 64 lower-case hex characters, `CREDENTIALS_INVALID` for
 * an unknown, revoked or expired one, `CREDENTIALS_NOT_ACCEPTED_HERE` for a live token of another kind (an API-key
 * session), `CREDENTIALS_EXPIRED` after the idle timeout, `STORE_UNAVAILABLE` when the store fails. Refusals are
 * APEX call failures (`renderApexError`).
 */
export function apexWebSession(options: { readonly store: CredentialStore; readonly clock: Clock }): AuthStrategy<ApexWebPrincipal> {
  return sessionTokenStrategy<ApexWebPrincipal>({
    id: APEX_WEB_SESSION_STRATEGY_ID,
    kind: APEX_WEB_SESSION_KIND,
    store: options.store,
    clock: options.clock,
    tokensOf: (request) => request.headerValues(APTOKEN),
    foreignCode: 'CREDENTIALS_NOT_ACCEPTED_HERE',
    principalOf: (record) => ({ id: record.ownerId }),
    renderRefusal: (refusal) => renderApexError(refusalError(refusal)),
  });
}

/** A demo account id as APEX sends it: a JSON number or a decimal string. */
function readUserId(value: JsonValue | undefined): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return String(value);
  if (typeof value === 'string' && ACCOUNT_ID.test(value)) return value;
  return null;
}

/**
 * Mounts the APEX routes: one `hmacSignature` verifier for `AuthenticateUser`, one `hmacSession` verifier for the
 * `aptoken` of API-key sessions, the web session for key management, one key manager (returned, for the web
 * interface).
 */
export function mountHmacRoutes(app: Hono<DemoEnv>, context: DemoContext): { readonly manager: HmacKeyManager } {
  const store = context.credentials;
  const { clock } = context;
  const noncePolicy = context.config.hmacNoncePolicy;

  /** `AuthenticateUser`; its envelope is also `WebAuthenticateUser`'s. */
  const verifier = hmacSignature({
    store,
    sealer: context.sealer,
    ephemeralStore: context.ephemeral,
    noncePolicy,
    clock,
    failureThrottle: { store: context.ephemeral, maxFailures: context.config.maxFailuresPerIp },
  });
  const apiSessionCheck = hmacSession({ store, clock });
  const webSessionCheck = apexWebSession({ store, clock });
  const manager = createHmacKeyManager({ store, sealer: context.sealer, clock, permissions: [...HMAC_PERMISSIONS] });

  // Every aptoken check shares one failure counter per client IP, whichever kind of session the route wants.
  const throttled = <P extends Principal>(strategy: AuthStrategy<P>): AuthStrategy<P> =>
    withFailureThrottle(strategy, context.ephemeral, { keyPrefix: 'throttle:apex-aptoken:' });
  /** API-key sessions only (SendOrder's credential); its envelope is every APEX call's. */
  const apiSessions = throttled(apiSessionCheck);
  /** Web sessions only (key management). */
  const webSessions = throttled(webSessionCheck);
  /** Either kind (GetUserInfo, LogOut): a token that is not a web session is tried as an API-key session. */
  const anySession = throttled<Principal>({
    id: 'apex-aptoken',
    async authenticate(request): Promise<AuthOutcome<Principal>> {
      const web = await authenticateSafely(webSessionCheck, request);
      if (web.type === 'rejected' && web.error.code === 'CREDENTIALS_NOT_ACCEPTED_HERE') return authenticateSafely(apiSessionCheck, request);
      return web;
    },
    renderRefusal: (refusal) => apiSessionCheck.renderRefusal(refusal),
  });
  const guards = {
    verifier: onRequest(createAuthGuard(verifier)),
    web: onRequest(createAuthGuard(webSessions)),
    any: onRequest(createAuthGuard(anySession)),
    trading: onRequest(createAuthGuard(apiSessions, { require: 'Trading' })),
  };

  context.notices.push(
    noncePolicy === 'issued'
      ? `HMAC: nonce policy issued (GATEHOUSE_HMAC_NONCE): AuthenticateUser takes the nonce shown at key creation, as in ${KIIEX_API_KEY}; signatures are static and replayable. Set GATEHOUSE_HMAC_NONCE=unique or increasing to refuse replays.`
      : `HMAC: nonce policy ${noncePolicy} (GATEHOUSE_HMAC_NONCE): ${NONCE_POLICY_TEXT[noncePolicy]}`,
  );

  const routes = new Set<string>();
  /** A POST route at `/<Name>` and `/ap/<Name>`, answering in `envelope`'s shape. */
  const on = (path: string, envelope: RefusalRenderer, handler: RouteHandler): void => {
    for (const full of [path, `${HMAC_AP_PREFIX}${path}`]) {
      app.post(full, answer(envelope, 'apex', handler));
      routes.add(full);
    }
  };

  /** The request body as a JSON object; no body is an empty object. Failures in `envelope`'s shape. */
  const readBody = async (c: DemoContextOf, envelope: RefusalRenderer): Promise<{ ok: true; value: JsonObject } | { ok: false; reply: Reply }> => {
    const body = await c.get('auth').body();
    switch (body.type) {
      case 'none':
        return { ok: true, value: {} };
      case 'json':
        return isJsonObject(body.value) ? { ok: true, value: body.value } : { ok: false, reply: refuse(envelope, 'REQUEST_MALFORMED') };
      case 'too-large':
        return { ok: false, reply: refuse(envelope, 'REQUEST_TOO_LARGE') };
      case 'form':
      case 'unsupported':
        return {
          ok: false,
          reply:
            envelope === verifier
              ? { httpStatus: 415, headers: { 'content-type': JSON_CONTENT_TYPE }, body: { Authenticated: false, errormsg: JSON_ONLY } }
              : withDetail(refuse(envelope, 'REQUEST_MALFORMED'), 415, JSON_ONLY),
        };
      default:
        return { ok: false, reply: refuse(envelope, 'REQUEST_MALFORMED') };
    }
  };

  /** The demo account behind a principal, or `null`. */
  const accountOf = (principal: Principal): Account | null => (ACCOUNT_ID.test(principal.id) ? context.accounts.findById(Number(principal.id)) : null);

  /** A route that needs a session (`guard`) of a live demo account: every failure an APEX call failure. */
  const sessionRoute = (
    path: string,
    guard: RouteGuard<Principal>,
    handler: (c: DemoContextOf, caller: AuthContext<Principal>, account: Account) => Promise<Reply>,
  ): void => {
    on(
      path,
      apiSessions,
      guarded(guard, async (c, auth) => {
        const account = accountOf(auth.principal);
        return account === null ? refuse(apiSessions, 'CREDENTIALS_INVALID') : handler(c, auth, account);
      }),
    );
  };

  /**
   * Key management: the web session only (an API-key session is refused), a JSON body whose `UserId` is the
   * caller's own account id.
   */
  const managed = (path: string, handler: (account: Account, body: JsonObject) => Promise<Reply>): void => {
    sessionRoute(path, guards.web, async (c, caller, account) => {
      // Defence in depth: the web session check already refuses every other kind of token.
      if (caller.credential.kind !== APEX_WEB_SESSION_KIND) return refuse(apiSessions, 'CREDENTIALS_NOT_ACCEPTED_HERE');
      const read = await readBody(c, apiSessions);
      if (!read.ok) return read.reply;
      const userId = readUserId(read.value['UserId']);
      if (userId === null) return withDetail(refuse(apiSessions, 'PARAMETER_INVALID'), 400, 'UserId is required');
      if (userId !== String(account.id)) return refuse(apiSessions, 'OPERATION_NOT_PERMITTED');
      return handler(account, read.value);
    });
  };

  // --- AuthenticateUser: the signed API key -> an API-key session --------------------------------------------
  on(
    '/AuthenticateUser',
    verifier,
    guarded(guards.verifier, async (_c, auth) => {
      const account = accountOf(auth.principal);
      if (account === null) return refuse(verifier, 'CREDENTIALS_INVALID');
      const started = await manager.startSession(auth);
      if (!started.ok) return refuse(verifier, started.error);
      const carried = auth.principal.attributes?.['userName'];
      return renderAuthenticateUserSuccess(started.value.token, {
        userId: auth.principal.id,
        userName: typeof carried === 'string' ? carried : account.login,
      });
    }),
  );

  // --- WebAuthenticateUser: a demo login -> a web session ------------------------------------------------------
  const webSessionIssuing = {
    store,
    clock,
    strategyId: APEX_WEB_SESSION_STRATEGY_ID,
    kind: APEX_WEB_SESSION_KIND,
    idPrefix: 'aw',
    label: 'apex web session',
    maxPerOwner: MAX_SESSIONS_PER_ACCOUNT,
  };
  const loginThrottle = createLoginThrottle(context.ephemeral, 'apex-login-failures:', context.config.maxFailuresPerIp);
  on('/WebAuthenticateUser', verifier, async (c) => {
    const read = await readBody(c, verifier);
    if (!read.ok) return read.reply;
    const userName = read.value['UserName'];
    const password = read.value['Password'];
    if (typeof userName !== 'string' || typeof password !== 'string' || userName === '' || password === '') return refuse(verifier, 'PARAMETER_INVALID');
    const clientIp = c.get('auth').clientIp;
    const tried = await loginThrottle.attempt(clientIp, userName, () => context.accounts.verifyLogin(userName, password));
    if (tried.throttled) return refuse(verifier, 'RATE_LIMITED');
    const { account } = tried;
    if (account === null) {
      // Unknown login and wrong password: the same bytes.
      return { httpStatus: 401, headers: { 'content-type': JSON_CONTENT_TYPE }, body: { Authenticated: false, errormsg: 'Invalid username or password' } };
    }
    const token = await issueSessionToken(webSessionIssuing, String(account.id));
    if (token === null) return refuse(verifier, 'STORE_UNAVAILABLE');
    return renderAuthenticateUserSuccess(token, { userId: String(account.id), userName: account.login });
  });

  // --- key management: the web session only ------------------------------------------------------------------
  managed('/AddUserAPIKey', async (account, body) => {
    const issued = await manager.issue(String(account.id), { permissions: body['Permissions'], allowedIps: body['AllowedIps'], userName: account.login });
    if (!issued.ok) return refuse(apiSessions, issued.error);
    const { APIKey, APISecret, Nonce, Permissions } = issued.value;
    return renderSuccess(apiSessions, { APIKey, APISecret, Nonce, UserId: account.id, Permissions });
  });

  managed('/GetUserAPIKeys', async (account) => {
    const listed = await manager.list(String(account.id));
    if (!listed.ok) return refuse(apiSessions, listed.error);
    return renderSuccess(
      apiSessions,
      listed.value.map((key) => ({
        ApiKeyId: key.id,
        APIKeyHint: key.apiKeyHint,
        UserId: account.id,
        Permissions: key.permissions,
        AllowedIps: key.allowedIps,
        Created: new Date(key.createdAt).toISOString(),
        LastUsed: key.lastUsedAt === null ? null : new Date(key.lastUsedAt).toISOString(),
      })),
    );
  });

  managed('/RemoveUserAPIKey', async (account, body) => {
    const apiKey = body['APIKey'];
    const id = body['ApiKeyId'];
    if ((apiKey === undefined) === (id === undefined)) return withDetail(refuse(apiSessions, 'PARAMETER_INVALID'), 400, 'Send APIKey or ApiKeyId');
    // Values straight from the body: the manager checks them (PARAMETER_INVALID for anything but an APIKey or an id).
    const reference = (apiKey !== undefined ? { token: apiKey } : { id }) as CredentialReference;
    const revoked = await manager.revoke(String(account.id), reference);
    return revoked.ok ? renderSuccess(apiSessions, OK) : refuse(apiSessions, revoked.error);
  });

  // --- with an aptoken -------------------------------------------------------------------------------------------
  sessionRoute('/GetUserInfo', guards.any, async (_c, _caller, account) =>
    renderSuccess(apiSessions, {
      UserId: account.id,
      UserName: account.login,
      Email: `${account.login}@example.com`,
      EmailVerified: true,
      AccountId: account.parentId ?? account.id,
      DateTimeCreated: new Date(account.createdAt).toISOString(),
      AffiliateId: 0,
      RefererId: 0,
      OMSId: 1,
      Use2FA: false,
      Locked: false,
      LockedTime: null,
      NumberOfFailedAttempt: 0,
      MarginBorrowerEnabled: false,
      MarginAcquisitionHalt: false,
      OperatorId: 1,
    }),
  );

  let nextOrderId = 6_500;
  // An API-key session with the Trading permission (SCOPE_DENIED otherwise, from the guard).
  sessionRoute('/SendOrder', guards.trading, async (c) => {
    const read = await readBody(c, apiSessions);
    if (!read.ok) return read.reply;
    // A demo: the order is accepted and goes nowhere.
    return renderSuccess(apiSessions, { ...OK, OrderId: nextOrderId++ });
  });

  sessionRoute('/LogOut', guards.any, async (_c, caller) => {
    if (caller.credential.kind === HMAC_KINDS.session) {
      const ended = await manager.endSession(caller.credential);
      return ended.ok ? renderSuccess(apiSessions, OK) : refuse(apiSessions, ended.error);
    }
    if (caller.credential.kind === APEX_WEB_SESSION_KIND) {
      return (await store.revoke(caller.credential.id, clock.now())) ? renderSuccess(apiSessions, OK) : refuse(apiSessions, 'CREDENTIALS_INVALID');
    }
    return refuse(apiSessions, 'CREDENTIALS_NOT_ACCEPTED_HERE');
  });

  // --- everything else: another method on a known route is 405, an unknown /ap path 404 -----------------------
  const notAllowed: Reply = { ...withDetail(refuse(apiSessions, 'REQUEST_MALFORMED'), 405, 'Use POST'), headers: { 'content-type': JSON_CONTENT_TYPE, allow: 'POST' } };
  for (const path of routes) app.all(path, () => toFetchResponse(notAllowed));
  const unknown = withDetail(refuse(apiSessions, 'CREDENTIAL_NOT_FOUND'), 404, 'No such endpoint');
  app.all(HMAC_AP_PREFIX, () => toFetchResponse(unknown));
  app.all(`${HMAC_AP_PREFIX}/*`, () => toFetchResponse(unknown));
  return { manager };
}
