import {
  absent,
  authenticateSafely,
  AuthError,
  createSecretDigester,
  generateHexToken,
  isJsonObject,
  JSON_CONTENT_TYPE,
  newCredentialId,
  rejected,
  withFailureThrottle,
  type AuthErrorCode,
  type AuthOutcome,
  type AuthStrategy,
  type Clock,
  type CredentialInfo,
  type CredentialStore,
  type JsonValue,
  type Principal,
  type WireReply,
} from '@gatehouse/auth-core';
import {
  createHmacKeyManager,
  HMAC_KINDS,
  hmacSession,
  hmacSignature,
  renderApexError,
  renderApexSuccess,
  renderAuthenticateUserError,
  renderAuthenticateUserSuccess,
  requirePermission,
  type HmacKeyManager,
  type HmacNoncePolicy,
} from '@gatehouse/strategy-hmac-signature';
import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Account } from '../accounts.js';
import type { DemoEnv } from '../app.js';
import type { DemoContext } from '../context.js';
import { createLoginThrottle } from '../login-throttle.js';
import { sessionTokenStrategy, WEB_SESSION_ABSOLUTE_SECONDS, WEB_SESSION_IDLE_SECONDS, WEB_SESSION_TOKEN_BYTES } from '../web-session.js';

/**
 * The KiiEx exchange API of seed 004 (AlphaPoint APEX) on the demo:
 * - `AuthenticateUser`: `APIKey`, `Signature`, `UserId`, `Nonce` as headers (the seed) or as a JSON body (APEX
 *   docs), Signature = hex(HMAC-SHA256(key = APISecret, message = Nonce + UserId + APIKey)); success gives a
 *   session token that later requests carry in the `aptoken` header;
 * - `WebAuthenticateUser`: a demo login and password give a web session token (also sent as `aptoken`), the only
 *   credential that may create, list and remove API keys (`AddUserAPIKey`, `GetUserAPIKeys`, `RemoveUserAPIKey`);
 * - `GetUserInfo`, `SendOrder` (the `Trading` permission) and `LogOut` with the `aptoken` of an API-key session.
 *
 * Every route is POST, at `/<Name>` and `/ap/<Name>`. `AuthenticateUser` and `WebAuthenticateUser` answer in the
 * `{"Authenticated",...,"errormsg"}` shape; every other call's failure is `{"result":false,"errormsg","errorcode",
 * "detail"}` (renderApexError); a store failure is a 503 of that shape, never a success.
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
    `KiiEx / AlphaPoint APEX API keys (seed 004): every route is POST at /<Name> and ${HMAC_AP_PREFIX}/<Name>; replies are APEX JSON.`,
    '  Signature = hex(HMAC-SHA256(key = APISecret, message = Nonce + UserId + APIKey)), either hex case:',
    '    printf %s "$NONCE$USERID$APIKEY" | openssl dgst -sha256 -hmac "$SECRET"',
    `  Nonce policy (GATEHOUSE_HMAC_NONCE = issued | increasing | unique): ${policy}. ${NONCE_POLICY_TEXT[policy]}`,
    `  Permissions: ${HMAC_PERMISSIONS.join(', ')}.`,
    ...HMAC_ROUTES.map((route) => `  POST   ${`${HMAC_AP_PREFIX}${route.path}`.padEnd(26)} ${route.needs}`),
  ];
}

const NONCE_POLICY_TEXT: Readonly<Record<HmacNoncePolicy, string>> = {
  issued:
    'The nonce shown when the key was created, reused as in the seed: the signature never changes, so anyone who sees one AuthenticateUser request can replay it.',
  increasing: 'A decimal integer above the last one accepted for the key (e.g. unix time); a repeated or lower nonce is refused.',
  unique: 'Any nonce (letters, digits, ._~-), each accepted once per key within a day; a replayed request is refused.',
};

/** Stored with every web session record (a separate scheme from the demo's cookie session). */
export const APEX_WEB_SESSION_STRATEGY_ID = 'demo-apex-web-session';
export const APEX_WEB_SESSION_KIND = 'web-session';
/** The header that carries both kinds of session token. */
const APTOKEN = 'aptoken';
/** Live web sessions per account; a login beyond it ends the oldest one. */
const MAX_WEB_SESSIONS_PER_ACCOUNT = 20;
const TOKEN_PATTERN = new RegExp(`^[0-9a-f]{${WEB_SESSION_TOKEN_BYTES * 2}}$`);
const ACCOUNT_ID = /^[1-9][0-9]{0,14}$/;
const digest = createSecretDigester();

type Reply = WireReply<unknown>;
type DemoContextOf = Context<DemoEnv>;
type JsonObject = { readonly [key: string]: JsonValue };
type Caller = { readonly principal: Principal; readonly credential: CredentialInfo };

const apexFail = (code: AuthErrorCode): Reply => renderApexError(new AuthError(code));
const authFail = (code: AuthErrorCode): Reply => renderAuthenticateUserError(new AuthError(code));
const OK = { result: true, errormsg: null, errorcode: 0, detail: null } as const;

/** An APEX failure with a detail text of the demo's own. */
function apexFailWithDetail(code: AuthErrorCode, httpStatus: number, detail: string): Reply {
  const reply = apexFail(code);
  return { ...reply, httpStatus, body: { ...(reply.body as object), detail } };
}

/** Writes a rendered reply (status, headers, JSON body). */
function send(c: DemoContextOf, reply: Reply, extraHeaders: Record<string, string> = {}): Response {
  return c.body(JSON.stringify(reply.body), reply.httpStatus as ContentfulStatusCode, { ...reply.headers, ...extraHeaders });
}

/** Wraps a handler so that anything thrown (a database error, a bug) becomes a 503 failure in the route's shape. */
function handle(shape: 'apex' | 'authenticate', handler: (c: DemoContextOf) => Promise<Reply>) {
  return async (c: DemoContextOf): Promise<Response> => {
    try {
      return send(c, await handler(c));
    } catch (error) {
      console.error('demo apex: request failed', error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      return send(c, shape === 'apex' ? apexFail('STORE_UNAVAILABLE') : authFail('STORE_UNAVAILABLE'));
    }
  };
}

/** Who a web session belongs to: the demo account id. */
export type ApexWebPrincipal = Principal;

/**
 * The web session as an AuthStrategy on the `aptoken` header: `absent` without the header, `CREDENTIALS_AMBIGUOUS`
 * when sent twice, `CREDENTIALS_MALFORMED` for anything but 64 lower-case hex characters,
 * `CREDENTIALS_NOT_ACCEPTED_HERE` for a token of another kind (an API-key session), `CREDENTIALS_INVALID` for an
 * unknown, revoked or expired one, `CREDENTIALS_EXPIRED` after the idle timeout, `STORE_UNAVAILABLE` when the store
 * fails.
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
  /** API-key sessions only (GetUserInfo's and SendOrder's credential). */
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
  });

  context.notices.push(
    noncePolicy === 'issued'
      ? 'HMAC: nonce policy issued (GATEHOUSE_HMAC_NONCE): AuthenticateUser takes the nonce shown at key creation, as in seed 004; signatures are static and replayable. Set GATEHOUSE_HMAC_NONCE=unique or increasing to refuse replays.'
      : `HMAC: nonce policy ${noncePolicy} (GATEHOUSE_HMAC_NONCE): ${NONCE_POLICY_TEXT[noncePolicy]}`,
  );

  const routes = new Set<string>();
  const on = (path: string, shape: 'apex' | 'authenticate', handler: (c: DemoContextOf) => Promise<Reply>): void => {
    for (const full of [path, `${HMAC_AP_PREFIX}${path}`]) {
      app.post(full, handle(shape, handler));
      routes.add(full);
    }
  };

  /** The request body as a JSON object; no body is an empty object. Failures in the route's shape. */
  const readBody = async (c: DemoContextOf, shape: 'apex' | 'authenticate'): Promise<{ ok: true; value: JsonObject } | { ok: false; reply: Reply }> => {
    const body = await c.get('auth').body();
    const fail = shape === 'apex' ? apexFail : authFail;
    switch (body.type) {
      case 'none':
        return { ok: true, value: {} };
      case 'json':
        return isJsonObject(body.value) ? { ok: true, value: body.value } : { ok: false, reply: fail('REQUEST_MALFORMED') };
      case 'too-large':
        return { ok: false, reply: fail('REQUEST_TOO_LARGE') };
      case 'form':
      case 'unsupported': {
        const text = 'Send the data as JSON (Content-Type: application/json)';
        return {
          ok: false,
          reply:
            shape === 'apex'
              ? apexFailWithDetail('REQUEST_MALFORMED', 415, text)
              : { httpStatus: 415, headers: { 'content-type': JSON_CONTENT_TYPE }, body: { Authenticated: false, errormsg: text } },
        };
      }
      default:
        return { ok: false, reply: fail('REQUEST_MALFORMED') };
    }
  };

  /** The demo account behind a principal, or `null`. */
  const accountOf = (principal: Principal): Account | null => (ACCOUNT_ID.test(principal.id) ? context.accounts.findById(Number(principal.id)) : null);

  /** A route that needs a session: every failure through renderApexError. */
  const sessionRoute = (
    path: string,
    strategy: AuthStrategy<Principal>,
    handler: (c: DemoContextOf, caller: Caller, account: Account) => Promise<Reply>,
  ): void => {
    on(path, 'apex', async (c) => {
      const outcome = await authenticateSafely(strategy, c.get('auth'));
      if (outcome.type === 'absent') return apexFail('CREDENTIALS_MISSING');
      if (outcome.type === 'rejected') return renderApexError(outcome.error);
      const account = accountOf(outcome.principal);
      if (account === null) return apexFail('CREDENTIALS_INVALID');
      return handler(c, outcome, account);
    });
  };

  /**
   * Key management: the web session only (an API-key session is refused), a JSON body whose `UserId` is the
   * caller's own account id.
   */
  const managed = (path: string, handler: (account: Account, body: JsonObject) => Promise<Reply>): void => {
    sessionRoute(path, webSessions, async (c, caller, account) => {
      // Defence in depth: the web session check already refuses every other kind of token.
      if (caller.credential.kind !== APEX_WEB_SESSION_KIND) return apexFail('CREDENTIALS_NOT_ACCEPTED_HERE');
      const read = await readBody(c, 'apex');
      if (!read.ok) return read.reply;
      const userId = readUserId(read.value['UserId']);
      if (userId === null) return apexFailWithDetail('PARAMETER_INVALID', 400, 'UserId is required');
      if (userId !== String(account.id)) return apexFail('OPERATION_NOT_PERMITTED');
      return handler(account, read.value);
    });
  };

  // --- AuthenticateUser: the signed API key -> an API-key session --------------------------------------------
  on('/AuthenticateUser', 'authenticate', async (c) => {
    const outcome = await authenticateSafely(verifier, c.get('auth'));
    if (outcome.type === 'absent') return renderAuthenticateUserError(new AuthError('CREDENTIALS_MISSING'));
    if (outcome.type === 'rejected') return renderAuthenticateUserError(outcome.error);
    const account = accountOf(outcome.principal);
    if (account === null) return authFail('CREDENTIALS_INVALID');
    const started = await manager.startSession(outcome);
    if (!started.ok) return renderAuthenticateUserError(started.error);
    const carried = outcome.principal.attributes?.['userName'];
    return renderAuthenticateUserSuccess(started.value.token, {
      userId: outcome.principal.id,
      userName: typeof carried === 'string' ? carried : account.login,
    });
  });

  // --- WebAuthenticateUser: a demo login -> a web session ------------------------------------------------------
  const startWebSession = async (account: Account): Promise<string | null> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = generateHexToken(WEB_SESSION_TOKEN_BYTES);
      const now = clock.now();
      const result = await store.insert(
        {
          id: newCredentialId('aw'),
          digest: digest(token),
          strategy: APEX_WEB_SESSION_STRATEGY_ID,
          kind: APEX_WEB_SESSION_KIND,
          ownerId: String(account.id),
          parentId: null,
          label: 'apex web session',
          hint: token.slice(0, 4),
          scopes: [],
          allowedIps: [],
          sealedSecret: null,
          attributes: {},
          createdAt: now,
          expiresAt: now + WEB_SESSION_ABSOLUTE_SECONDS * 1000,
        },
        { maxActivePerOwner: MAX_WEB_SESSIONS_PER_ACCOUNT, now },
      );
      if (result.type === 'inserted') return token;
      if (result.type === 'conflict') continue;
      const live = await store.listByOwner(String(account.id), { strategy: APEX_WEB_SESSION_STRATEGY_ID, kind: APEX_WEB_SESSION_KIND, activeAt: now });
      const oldest = live[0];
      if (oldest !== undefined) await store.revoke(oldest.id, now);
    }
    return null;
  };

  const loginThrottle = createLoginThrottle(context.ephemeral, 'apex-login-failures:', context.config.maxFailuresPerIp);
  on('/WebAuthenticateUser', 'authenticate', async (c) => {
    const read = await readBody(c, 'authenticate');
    if (!read.ok) return read.reply;
    const userName = read.value['UserName'];
    const password = read.value['Password'];
    if (typeof userName !== 'string' || typeof password !== 'string' || userName === '' || password === '') return authFail('PARAMETER_INVALID');
    const clientIp = c.get('auth').clientIp;
    const tried = await loginThrottle.attempt(clientIp, userName, () => context.accounts.verifyLogin(userName, password));
    if (tried.throttled) return authFail('RATE_LIMITED');
    const { account } = tried;
    if (account === null) {
      // Unknown login and wrong password: the same bytes.
      return { httpStatus: 401, headers: { 'content-type': JSON_CONTENT_TYPE }, body: { Authenticated: false, errormsg: 'Invalid username or password' } };
    }
    const token = await startWebSession(account);
    if (token === null) return authFail('STORE_UNAVAILABLE');
    return renderAuthenticateUserSuccess(token, { userId: String(account.id), userName: account.login });
  });

  // --- key management: the web session only ------------------------------------------------------------------
  managed('/AddUserAPIKey', async (account, body) => {
    const created = await manager.createKey(String(account.id), {
      permissions: body['Permissions'],
      allowedIps: body['AllowedIps'],
      userName: account.login,
    });
    if (!created.ok) return renderApexError(created.error);
    const { APIKey, APISecret, Nonce, Permissions } = created.value;
    return renderApexSuccess({ APIKey, APISecret, Nonce, UserId: account.id, Permissions });
  });

  managed('/GetUserAPIKeys', async (account) => {
    const listed = await manager.listKeys(String(account.id));
    if (!listed.ok) return renderApexError(listed.error);
    return renderApexSuccess(
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
    if ((apiKey === undefined) === (id === undefined)) return apexFailWithDetail('PARAMETER_INVALID', 400, 'Send APIKey or ApiKeyId');
    const removed = await manager.removeKey(String(account.id), apiKey !== undefined ? { apiKey } : { id });
    return removed.ok ? renderApexSuccess(OK) : renderApexError(removed.error);
  });

  // --- with an aptoken -------------------------------------------------------------------------------------------
  sessionRoute('/GetUserInfo', anySession, async (_c, _caller, account) =>
    renderApexSuccess({
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
  on('/SendOrder', 'apex', async (c) => {
    const outcome = requirePermission(await authenticateSafely(apiSessions, c.get('auth')), 'Trading');
    if (outcome.type === 'absent') return apexFail('CREDENTIALS_MISSING');
    if (outcome.type === 'rejected') return renderApexError(outcome.error);
    if (accountOf(outcome.principal) === null) return apexFail('CREDENTIALS_INVALID');
    const read = await readBody(c, 'apex');
    if (!read.ok) return read.reply;
    // A demo: the order is accepted and goes nowhere.
    return renderApexSuccess({ ...OK, OrderId: nextOrderId++ });
  });

  sessionRoute('/LogOut', anySession, async (_c, caller) => {
    if (caller.credential.kind === HMAC_KINDS.session) {
      const ended = await manager.endSession(caller.credential);
      return ended.ok ? renderApexSuccess(OK) : renderApexError(ended.error);
    }
    if (caller.credential.kind === APEX_WEB_SESSION_KIND) {
      return (await store.revoke(caller.credential.id, clock.now())) ? renderApexSuccess(OK) : apexFail('CREDENTIALS_INVALID');
    }
    return apexFail('CREDENTIALS_NOT_ACCEPTED_HERE');
  });

  // --- everything else: another method on a known route is 405, an unknown /ap path 404 -----------------------
  const notAllowed = handle('apex', async () => ({ ...apexFailWithDetail('REQUEST_MALFORMED', 405, 'Use POST'), headers: { 'content-type': JSON_CONTENT_TYPE, allow: 'POST' } }));
  for (const path of routes) app.all(path, notAllowed);
  const unknown = handle('apex', async () => apexFailWithDetail('CREDENTIAL_NOT_FOUND', 404, 'No such endpoint'));
  app.all(HMAC_AP_PREFIX, unknown);
  app.all(`${HMAC_AP_PREFIX}/*`, unknown);
  return { manager };
}
