import { describeRouteKit, isJsonObject, renderSuccess, toFetchResponse, type AuthRequest, type RouteKit } from '@gatehouse/auth-core';
import { authenticate, errorBridge, notFound, routeKit } from '@gatehouse/hono';
import { createApexRoutes, createHmacKeyManager, hmacSession, hmacSignature, type HmacKeyManager, type HmacNoncePolicy } from '@gatehouse/strategy-hmac-signature';
import { Hono } from 'hono';
import type { DemoEnv } from '../app.js';
import type { DemoContext } from '../context.js';
import { apexUserInfo } from '../demo-data.js';
import { KIIEX_API_KEY, KIIEX_AUTHENTICATE_USER } from '../sources.js';
import { describeRoutes, limitBodies, methodNotAllowed, refuse, type DemoRoute, type GatehouseMountOptions, type Reply } from './common.js';

/**
 * The KiiEx exchange API (AlphaPoint APEX) on the demo, after KiiEx docs, "Authenticate with API Key" and
 * "AuthenticateUser" (https://docs.kiiglobal.io/docs/kiiex/connect-to-kiiex-apis/users/authenticateuser), wired from
 * @gatehouse/strategy-hmac-signature and @gatehouse/hono. Every call is POST at `/<Name>` and `/ap/<Name>`:
 * - the package's route kit: `AuthenticateUser` (the signed API key -> an API-key session), `WebAuthenticateUser`
 *   (a demo login -> a web session, the only credential that manages keys), `AddUserAPIKey`, `GetUserAPIKeys`,
 *   `RemoveUserAPIKey`, `LogOut`; both kinds of session token travel as the `aptoken` header;
 * - the demo's own calls behind `authenticate()`: `GetUserInfo` (either kind of session) and `SendOrder` (an
 *   API-key session with the `Trading` permission);
 * - any other `/ap` path is a 404, another method a 405, both in the APEX call shape; errors answer in that shape
 *   through the error bridge.
 */

/** The permission names an API key may carry. */
export const HMAC_PERMISSIONS = ['Trading', 'Deposit', 'Withdraw'] as const;

/** The prefix every call is also served under. */
export const HMAC_AP_PREFIX = '/ap';

/**
 * The idle timeout of both kinds of `aptoken` session (one `hmacSession` checks both): 30 minutes, the package's
 * default and what API-key sessions always had. Web sessions also end 12 hours after login (the manager's
 * `webSessionMaxAgeInSeconds`).
 */
export const APEX_SESSION_IDLE_SECONDS = 1800;

/** The demo's own calls (each at `/<Name>` and `/ap/<Name>`). */
const APEX_RESOURCES: readonly DemoRoute[] = [
  { methods: ['POST'], path: '/GetUserInfo', summary: 'aptoken (either kind) -> {"UserId","UserName","Email","AccountId",...}' },
  { methods: ['POST'], path: '/SendOrder', summary: 'aptoken of an API key with the Trading permission -> a fake accepted order' },
];

const NONCE_POLICY_TEXT: Readonly<Record<HmacNoncePolicy, string>> = {
  issued:
    `The nonce shown when the key was created, reused as in ${KIIEX_API_KEY}: the signature never changes, so anyone who sees one AuthenticateUser request can replay it.`,
  increasing: 'A decimal integer above the last one accepted for the key (e.g. unix time); a repeated or lower nonce is refused.',
  unique: 'Any nonce (letters, digits, ._~-), each accepted once per key within a day; a replayed request is refused.',
};

/** The kit's logins, which answer in `AuthenticateUser`'s shape (`{"Authenticated":false,"errormsg"}`). */
const LOGIN_CALLS: ReadonlySet<string> = new Set(['/AuthenticateUser', '/WebAuthenticateUser']);
const OK = { result: true, errormsg: null, errorcode: 0, detail: null } as const;
const ACCOUNT_ID = /^[1-9][0-9]{0,14}$/;
const JSON_ONLY = 'Send the data as JSON (Content-Type: application/json)';

/** Mounts the APEX calls on the app; returns the key manager (for the web interface) and the route index lines. */
export function mountApexApi(
  app: Hono<DemoEnv>,
  context: DemoContext,
  gatehouse: GatehouseMountOptions,
): { readonly manager: HmacKeyManager; readonly kit: RouteKit; readonly indexLines: readonly string[] } {
  const { credentials: store, clock, accounts, config } = context;
  const noncePolicy = config.hmacNoncePolicy;
  const authenticateUser = hmacSignature({
    store,
    sealer: context.sealer,
    ephemeralStore: context.ephemeral,
    noncePolicy,
    clock,
    failureThrottle: { store: context.ephemeral, maxFailures: config.maxFailuresPerIp },
  });
  // Every aptoken check counts failures per client IP in one counter, whichever kind of session the call wants.
  const aptokenThrottle = { store: context.ephemeral, maxFailures: config.maxFailuresPerIp, keyPrefix: 'throttle:apex-aptoken:' };
  const sessions = hmacSession({ store, clock, sessionKinds: ['api', 'web'], idleTimeoutInSeconds: APEX_SESSION_IDLE_SECONDS, failureThrottle: aptokenThrottle });
  /** API-key sessions only: a web session carries no permissions and never reaches `SendOrder`. */
  const apiSessions = hmacSession({ store, clock, idleTimeoutInSeconds: APEX_SESSION_IDLE_SECONDS, failureThrottle: aptokenThrottle });
  const manager = createHmacKeyManager({ store, sealer: context.sealer, clock, permissions: [...HMAC_PERMISSIONS] });
  const kit = createApexRoutes({
    authenticateUser,
    sessions,
    manager,
    // Any demo login has its own keys; a wrong user name and a wrong password get the same bytes from the kit.
    verifyLogin: async (userName, password) => {
      const account = await accounts.verifyLogin(userName, password);
      return account === null ? null : { userId: String(account.id), userName: account.login };
    },
    loginThrottle: context.loginThrottle,
  });

  context.notices.push(
    noncePolicy === 'issued'
      ? `HMAC: nonce policy issued (GATEHOUSE_HMAC_NONCE): AuthenticateUser takes the nonce shown at key creation, as in ${KIIEX_API_KEY}; signatures are static and replayable. Set GATEHOUSE_HMAC_NONCE=unique or increasing to refuse replays.`
      : `HMAC: nonce policy ${noncePolicy} (GATEHOUSE_HMAC_NONCE): ${NONCE_POLICY_TEXT[noncePolicy]}`,
  );

  /** `SendOrder`'s body: none, or a JSON object (the order itself goes nowhere); the refusal otherwise. */
  const orderRefusal = async (request: AuthRequest): Promise<Reply | null> => {
    const body = await request.body();
    if (body.type === 'none' || (body.type === 'json' && isJsonObject(body.value))) return null;
    if (body.type === 'too-large') return refuse(kit, 'REQUEST_TOO_LARGE');
    if (body.type === 'unavailable') throw new Error('apex SendOrder: the request body was consumed before the route');
    const malformed = refuse(kit, 'REQUEST_MALFORMED');
    return body.type === 'form' || body.type === 'unsupported' ? { ...malformed, httpStatus: 415, body: { ...(malformed.body as object), detail: JSON_ONLY } } : malformed;
  };

  const apex = new Hono<DemoEnv>();
  const bridge = errorBridge(kit);
  apex.onError(bridge);
  // A body over the cap: the logins answer in AuthenticateUser's shape, as the kit itself does; every other call
  // in the call shape (the kit's renderer).
  const tooLargeLogin = (): Response => toFetchResponse(refuse(authenticateUser, 'REQUEST_TOO_LARGE'));
  for (const base of kit.basePaths) {
    for (const { path } of [...kit.routes, ...APEX_RESOURCES]) {
      apex.use(`${base}${path}`, limitBodies(LOGIN_CALLS.has(path) ? tooLargeLogin : bridge.bodyLimitError));
    }
  }
  apex.use(routeKit(kit, gatehouse));
  const eitherSession = authenticate(sessions, gatehouse);
  // SCOPE_DENIED (403 Not Authorized) without the Trading permission.
  const tradingSession = authenticate(apiSessions, { ...gatehouse, require: 'Trading' });
  let nextOrderId = 6_500;
  for (const base of kit.basePaths) {
    const [userInfo, sendOrder] = APEX_RESOURCES.map((resource) => `${base}${resource.path}`) as [string, string];
    apex.post(userInfo, eitherSession, async (c) => {
      const { id } = c.get('auth').principal;
      const account = ACCOUNT_ID.test(id) ? await accounts.findById(Number(id)) : null;
      return toFetchResponse(account === null ? refuse(kit, 'CREDENTIALS_INVALID') : renderSuccess(sessions, apexUserInfo(account)));
    });
    apex.post(sendOrder, tradingSession, async (c) => {
      const refused = await orderRefusal(c.get('request'));
      // A demo: the order is accepted and goes nowhere.
      return toFetchResponse(refused ?? renderSuccess(apiSessions, { ...OK, OrderId: nextOrderId++ }));
    });
    for (const path of [userInfo, sendOrder]) apex.all(path, methodNotAllowed(kit, ['POST']));
  }
  const unknownCall = notFound(kit);
  apex.all(HMAC_AP_PREFIX, unknownCall);
  apex.all(`${HMAC_AP_PREFIX}/*`, unknownCall);
  app.route('/', apex);

  return {
    manager,
    kit,
    indexLines: [
      `KiiEx / AlphaPoint APEX API keys (${KIIEX_API_KEY}; ${KIIEX_AUTHENTICATE_USER}): every call is POST at /<Name> and ${HMAC_AP_PREFIX}/<Name>; replies are APEX JSON.`,
      '  Signature = hex(HMAC-SHA256(key = APISecret, message = Nonce + UserId + APIKey)), either hex case:',
      '    printf %s "$NONCE$USERID$APIKEY" | openssl dgst -sha256 -hmac "$SECRET"',
      `  Nonce policy (GATEHOUSE_HMAC_NONCE = issued | increasing | unique): ${noncePolicy}. ${NONCE_POLICY_TEXT[noncePolicy]}`,
      `  Permissions: ${HMAC_PERMISSIONS.join(', ')}.`,
      ...[...describeRouteKit(kit), ...describeRoutes(HMAC_AP_PREFIX, APEX_RESOURCES)].map((line) => `  ${line}`),
    ],
  };
}
