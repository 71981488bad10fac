import {
  absent,
  AuthError,
  createAuthGuard,
  refusalError,
  rejected,
  renderSuccess,
  toFetchResponse,
  withFailureThrottle,
  type AuthDecision,
  type AuthOutcome,
  type AuthStrategy,
  type Clock,
  type CredentialStore,
  type Principal,
} from '@gatehouse/auth-core';
import { authenticateSafely, createCredentialLookup, createIpMatcher, insertCredential, newCredentialId } from '@gatehouse/auth-core/strategy';
import { createSecretDigester, generateHexToken } from '@gatehouse/auth-core/crypto';
import { renderAccessHashError, renderAccessHashSuccess } from '@gatehouse/strategy-access-hash-cookie';
import type { Hono } from 'hono';
import type { Account, AccountRole } from './accounts.js';
import type { DemoEnv } from './app.js';
import type { DemoContext } from './context.js';
import { envelopeError, mediaTypeOf, readJsonObject } from './routes/api-v1.js';
import { refuse, withHeaders, type DemoContextOf, type DemoRoute, type Reply } from './routes/common.js';

/**
 * The demo's own browser/API session: `POST /api/v1/auth/login` with a demo login and password sets an HttpOnly,
 * SameSite=Strict cookie holding a random 32-byte token; the store keeps only its digest. The session is checked
 * by a small {@link AuthStrategy} ({@link webSessionCookie}) built on Gatehouse's verify skeleton, so it renders its
 * refusals like the Gatehouse strategies. The web interface and the access-hash management routes use it.
 */

/** Stored with every web session record. */
export const WEB_SESSION_STRATEGY_ID = 'demo-web-session';
export const WEB_SESSION_KIND = 'web-session';
/** The cookie over plain http. */
export const WEB_SESSION_COOKIE = 'gatehouse_session';
/** The cookie over https: `__Host-` makes the browser insist on Secure, Path=/ and no Domain. */
export const WEB_SESSION_SECURE_COOKIE = '__Host-gatehouse_session';
/** 32 random bytes, 64 lower-case hex characters. */
export const WEB_SESSION_TOKEN_BYTES = 32;
/** A session ends 12 hours after login (absolute) ... */
export const WEB_SESSION_ABSOLUTE_SECONDS = 12 * 3600;
/** ... or after 2 hours without a request (idle; last use is recorded at most once a minute). */
export const WEB_SESSION_IDLE_SECONDS = 2 * 3600;
/** Live sessions per account; a login beyond it ends the oldest one. */
export const MAX_SESSIONS_PER_ACCOUNT = 20;

const TOKEN_PATTERN = new RegExp(`^[0-9a-f]{${WEB_SESSION_TOKEN_BYTES * 2}}$`);
const ROLES: readonly string[] = ['master', 'sub', 'panel'] satisfies AccountRole[];
const digest = createSecretDigester();

/** Who a web session belongs to: the demo account id and its role. */
export interface WebSessionPrincipal extends Principal {
  readonly id: string;
  readonly attributes: { readonly role: AccountRole };
}

/** Options of {@link webSessionCookie}. */
export interface WebSessionCookieOptions {
  readonly store: CredentialStore;
  readonly clock: Clock;
  readonly cookieName: string;
  /** Default {@link WEB_SESSION_IDLE_SECONDS}. */
  readonly idleSeconds?: number;
}

/** Renders a failure of the session check in the panel API's envelope (the API's one wire format). */
export function renderSessionError(error: AuthError): Reply {
  switch (error.code) {
    case 'CREDENTIALS_MISSING':
    case 'CREDENTIALS_INVALID':
    case 'CREDENTIALS_EXPIRED':
    case 'CREDENTIALS_MALFORMED':
      return envelopeError(401, 'Login required');
    case 'CREDENTIALS_AMBIGUOUS':
      return envelopeError(400, 'Session cookie sent more than once');
    default:
      return renderAccessHashError(error);
  }
}

/**
 * The browser and API session as an AuthStrategy on core's verify skeleton (`createCredentialLookup`): `absent`
 * without the cookie, `CREDENTIALS_AMBIGUOUS` when it comes twice, `CREDENTIALS_MALFORMED` for anything but 64
 * lower-case hex characters, `CREDENTIALS_INVALID` for an unknown, revoked, expired or foreign token,
 * `CREDENTIALS_EXPIRED` after the idle timeout, `STORE_UNAVAILABLE` when the store fails; refusals and successes in
 * the `/api/v1` envelope.
 */
export function webSessionCookie(options: WebSessionCookieOptions): AuthStrategy<WebSessionPrincipal> {
  const credentials = createCredentialLookup({
    store: options.store,
    digest,
    clock: options.clock,
    strategyId: WEB_SESSION_STRATEGY_ID,
    kinds: [WEB_SESSION_KIND],
    foreignCode: 'CREDENTIALS_INVALID',
    idleTimeoutInSeconds: options.idleSeconds ?? WEB_SESSION_IDLE_SECONDS,
  });
  return {
    id: WEB_SESSION_STRATEGY_ID,
    async authenticate(request) {
      const values = request.cookieValues(options.cookieName);
      if (values.length === 0) return absent();
      if (values.length > 1) return rejected('CREDENTIALS_AMBIGUOUS');
      const token = values[0] as string;
      if (!TOKEN_PATTERN.test(token)) return rejected('CREDENTIALS_MALFORMED');
      const found = await credentials.find(token);
      if (found.type === 'rejected') return found;
      const role = found.record.attributes['role'];
      if (typeof role !== 'string' || !ROLES.includes(role)) return rejected('CREDENTIALS_INVALID');
      return credentials.grant(found, { id: found.record.ownerId, attributes: { role: role as AccountRole } });
    },
    renderRefusal: (refusal) => renderSessionError(refusalError(refusal)),
    renderSuccess: (payload, renderOptions) => renderAccessHashSuccess(payload, renderOptions?.httpStatus ?? 200),
  };
}

/** A call to the credential store; a failing store is `STORE_UNAVAILABLE` (503 in the envelope), not a bug. */
async function inStore<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw error instanceof AuthError ? error : new AuthError('STORE_UNAVAILABLE', { cause: error });
  }
}

/**
 * Stores a new session token for the account (only its digest; it ends {@link WEB_SESSION_ABSOLUTE_SECONDS} from
 * now) and returns the token. An account at the limit loses its oldest session; `null` when the store still cannot
 * take it. Store failures throw.
 */
async function issueSessionToken(store: CredentialStore, clock: Clock, account: Account): Promise<string | null> {
  const now = clock.now();
  const ownerId = String(account.id);
  const draw = () => {
    const token = generateHexToken(WEB_SESSION_TOKEN_BYTES);
    return {
      secret: token,
      record: {
        id: newCredentialId('ws'),
        digest: digest(token),
        strategy: WEB_SESSION_STRATEGY_ID,
        kind: WEB_SESSION_KIND,
        ownerId,
        parentId: null,
        label: 'web session',
        hint: token.slice(0, 4),
        scopes: [],
        allowedIps: [],
        sealedSecret: null,
        attributes: { role: account.role },
        createdAt: now,
        expiresAt: now + WEB_SESSION_ABSOLUTE_SECONDS * 1000,
      },
    };
  };
  const limit = { maxActivePerOwner: MAX_SESSIONS_PER_ACCOUNT, now };
  let inserted = await insertCredential(store, draw, limit);
  if (!inserted.ok && inserted.error.code === 'LIMIT_EXCEEDED') {
    const [oldest] = await store.listByOwner(ownerId, { strategy: WEB_SESSION_STRATEGY_ID, kind: WEB_SESSION_KIND, activeAt: now });
    if (oldest !== undefined) await store.revoke(oldest.id, now);
    inserted = await insertCredential(store, draw, limit);
  }
  return inserted.ok ? inserted.value.secret : null;
}

/** What the session gives the rest of the demo (the access-hash management routes, the web interface in web/). */
export interface WebSessions {
  /** True when the request reached the demo over https (see {@link DemoConfig.https}). */
  isHttps(c: DemoContextOf): boolean;
  /** The session check for this request: the `__Host-` cookie over https, the plain one over http. */
  authenticate(c: DemoContextOf): Promise<AuthOutcome<WebSessionPrincipal>>;
  /**
   * The same check as a guard (`createAuthGuard`) for API routes: the caller, or the refusal already rendered in
   * the `/api/v1` envelope (no or a bad session: 401 "Login required").
   */
  guard(c: DemoContextOf): Promise<AuthDecision<WebSessionPrincipal>>;
  /** How the session answers: the `/api/v1` envelope (`renderRefusal`, `renderSuccess`). */
  readonly envelope: AuthStrategy<WebSessionPrincipal>;
  /**
   * The CSRF rule for state-changing requests (anything but GET, HEAD, OPTIONS) that a session cookie
   * authenticates: `Content-Type: application/json` (a cross-site page cannot send it without a CORS preflight,
   * which the demo never grants), and an `Origin`, when sent, equal to the request's own origin (scheme + Host).
   * Returns the 403 reply, or `null` when the request passes.
   */
  checkCsrf(c: DemoContextOf): Reply | null;
  /** This server's own origin as the client addressed it (scheme + `Host`), or `null` for a missing or odd `Host`. */
  ownOrigin(c: DemoContextOf): string | null;
  /** False when the request carries an `Origin` (or several) other than {@link WebSessions.ownOrigin}; true without one. */
  isSameOrigin(c: DemoContextOf): boolean;
  /**
   * Checks a password under the shared login throttle (`context.loginThrottle`), counting a failure against the
   * client IP and the login: the account, `null` for a wrong login or password, or `'throttled'` when it was not
   * checked. A failing database or throttle store throws `AuthError('STORE_UNAVAILABLE')`.
   */
  tryLogin(c: DemoContextOf, login: string, password: string): Promise<Account | null | 'throttled'>;
  /**
   * Starts a session for the account (ending its oldest when it has too many) and returns the `Set-Cookie`
   * value to send, or `null` when the store cannot take it; a failing store throws `AuthError('STORE_UNAVAILABLE')`.
   */
  startSession(c: DemoContextOf, account: Account): Promise<string | null>;
  /** The `Set-Cookie` value that removes the session cookie. */
  clearCookie(c: DemoContextOf): string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const HOST_PATTERN = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/** Creates the session check, the cookie handling and the CSRF rule for one app. */
export function createWebSessions(context: DemoContext): WebSessions {
  const { config, clock } = context;
  const store = context.credentials;
  const trustedProxies = config.trustedProxies.length > 0 ? createIpMatcher(config.trustedProxies, 'GATEHOUSE_TRUSTED_PROXIES') : null;
  const strategies = {
    https: withFailureThrottle(webSessionCookie({ store, clock, cookieName: WEB_SESSION_SECURE_COOKIE }), context.ephemeral, { maxFailures: config.maxFailuresPerIp }),
    http: withFailureThrottle(webSessionCookie({ store, clock, cookieName: WEB_SESSION_COOKIE }), context.ephemeral, { maxFailures: config.maxFailuresPerIp }),
  };
  const guards = { https: createAuthGuard(strategies.https), http: createAuthGuard(strategies.http) };

  if (config.https) context.notices.push(`Sessions: GATEHOUSE_HTTPS is set: the session cookie is ${WEB_SESSION_SECURE_COOKIE}, Secure.`);

  const isHttps = (c: DemoContextOf): boolean => {
    if (config.https) return true;
    const socket = c.env.incoming.socket as { encrypted?: boolean; remoteAddress?: string } | null;
    if (socket?.encrypted === true) return true;
    // X-Forwarded-Proto only from a trusted proxy, and only the value that proxy itself added (the last one).
    const peer = socket?.remoteAddress;
    if (trustedProxies === null || peer === undefined || !trustedProxies.matches(peer)) return false;
    const protos = c.get('request').headerValues('x-forwarded-proto').join(',').split(',');
    return protos[protos.length - 1]?.trim().toLowerCase() === 'https';
  };
  const cookieAttributes = (secure: boolean, maxAgeSeconds: number): string =>
    `Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  const cookieName = (secure: boolean): string => (secure ? WEB_SESSION_SECURE_COOKIE : WEB_SESSION_COOKIE);

  const sessions: WebSessions = {
    isHttps,
    authenticate: (c) => authenticateSafely(isHttps(c) ? strategies.https : strategies.http, c.get('request')),
    guard: (c) => (isHttps(c) ? guards.https : guards.http)(c.get('request')),
    // Both cookies answer in the same envelope.
    envelope: strategies.http,
    checkCsrf(c) {
      if (SAFE_METHODS.has(c.get('request').method)) return null;
      const refused = envelopeError(403, 'Cross-site request refused');
      if (mediaTypeOf(c) !== 'application/json') return refused;
      return sessions.isSameOrigin(c) ? null : refused;
    },
    ownOrigin(c) {
      const hosts = c.get('request').headerValues('host');
      if (hosts.length !== 1 || !HOST_PATTERN.test(hosts[0] as string)) return null;
      try {
        const own = new URL(`${isHttps(c) ? 'https' : 'http'}://${hosts[0] as string}`).origin;
        return own === 'null' ? null : own;
      } catch {
        return null;
      }
    },
    isSameOrigin(c) {
      const origins = c.get('request').headerValues('origin');
      if (origins.length === 0) return true;
      const own = sessions.ownOrigin(c);
      if (origins.length > 1 || own === null) return false;
      try {
        return new URL(origins[0] as string).origin === own;
      } catch {
        return false;
      }
    },
    async tryLogin(c, login, password) {
      // As in the route kits: a throw of the password check goes on as it is, a failing throttle store is a 503.
      let checkFailure: { readonly error: unknown } | undefined;
      try {
        const tried = await context.loginThrottle.attempt(c.get('request').clientIp, login, async () => {
          try {
            return login === '' || password === '' ? null : await context.accounts.verifyLogin(login, password);
          } catch (error) {
            checkFailure = { error };
            throw error;
          }
        });
        return tried.throttled ? 'throttled' : tried.account;
      } catch (error) {
        if (checkFailure !== undefined) throw checkFailure.error;
        throw new AuthError('STORE_UNAVAILABLE', { cause: error });
      }
    },
    async startSession(c, account) {
      const token = await inStore(() => issueSessionToken(store, clock, account));
      if (token === null) return null;
      const secure = isHttps(c);
      return `${cookieName(secure)}=${token}; ${cookieAttributes(secure, WEB_SESSION_ABSOLUTE_SECONDS)}`;
    },
    clearCookie(c) {
      const secure = isHttps(c);
      return `${cookieName(secure)}=; ${cookieAttributes(secure, 0)}`;
    },
  };
  return sessions;
}

/** The session routes (below `/api/v1`), for the route index and for telling 404 from 405. */
export const WEB_SESSION_ROUTES: readonly DemoRoute[] = [
  { methods: ['POST'], path: '/auth/login', summary: 'JSON {"login","password"} (any demo login) -> session cookie' },
  { methods: ['POST'], path: '/auth/logout', summary: 'session cookie; ends the session' },
  { methods: ['GET'], path: '/auth/session', summary: 'session cookie -> {"login","role"}' },
];

/**
 * Mounts `auth/login`, `auth/logout` and `auth/session` on the `/api/v1` app. Errors they throw reach that app's
 * error bridge (`STORE_UNAVAILABLE`: 503 in the envelope).
 */
export function mountWebSessionRoutes(api: Hono<DemoEnv>, context: DemoContext, sessions: WebSessions): void {
  const { envelope } = sessions;

  api.post('/auth/login', async (c) => {
    const csrf = sessions.checkCsrf(c);
    if (csrf !== null) return toFetchResponse(csrf);
    const read = await readJsonObject(c.get('request'), envelope);
    if (!read.ok) return toFetchResponse(read.reply);
    const { login, password } = read.value;
    if (typeof login !== 'string' || typeof password !== 'string' || login === '' || password === '') return toFetchResponse(refuse(envelope, 'PARAMETER_INVALID'));
    const account = await sessions.tryLogin(c, login, password);
    if (account === 'throttled') return toFetchResponse(refuse(envelope, 'RATE_LIMITED'));
    if (account === null) return toFetchResponse(envelopeError(401, 'Invalid login or password'));
    const cookie = await sessions.startSession(c, account);
    if (cookie === null) return toFetchResponse(refuse(envelope, 'STORE_UNAVAILABLE'));
    return toFetchResponse(withHeaders(renderSuccess(envelope, { login: account.login, role: account.role }), { 'set-cookie': cookie }));
  });

  api.post('/auth/logout', async (c) => {
    const csrf = sessions.checkCsrf(c);
    if (csrf !== null) return toFetchResponse(csrf);
    const decision = await sessions.guard(c);
    // The browser's cookie is cleared whatever the outcome: a stale cookie is of no use to anyone.
    const clear = { 'set-cookie': sessions.clearCookie(c) };
    if (decision.type === 'refused') return toFetchResponse(withHeaders(decision.reply, clear));
    const caller = decision.auth;
    if (caller !== null) await inStore(() => context.credentials.revoke(caller.credential.id, context.clock.now()));
    return toFetchResponse(withHeaders(renderSuccess(envelope, ''), clear));
  });

  api.get('/auth/session', async (c) => {
    const decision = await sessions.guard(c);
    if (decision.type === 'refused') return toFetchResponse(decision.reply);
    const account = decision.auth === null ? null : await context.accounts.findById(Number(decision.auth.principal.id));
    if (account === null) return toFetchResponse(envelopeError(401, 'Login required'));
    return toFetchResponse(renderSuccess(envelope, { login: account.login, role: account.role }));
  });
}
