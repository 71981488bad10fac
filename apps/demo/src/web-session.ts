import {
  absent,
  createAuthGuard,
  refusalError,
  rejected,
  renderSuccess,
  withFailureThrottle,
  type AuthDecision,
  type AuthError,
  type AuthOutcome,
  type AuthRefusal,
  type AuthRequest,
  type AuthStrategy,
  type Clock,
  type CredentialRecord,
  type CredentialStore,
  type Principal,
  type RenderSuccessOptions,
  type WireReply,
} from '@gatehouse/auth-core';
import { authenticateSafely, createCredentialLookup, createIpMatcher, insertCredential, newCredentialId } from '@gatehouse/auth-core/strategy';
import { createSecretDigester, generateHexToken } from '@gatehouse/auth-core/crypto';
import { renderAccessHashError, renderAccessHashSuccess } from '@gatehouse/strategy-access-hash-cookie';
import type { Hono } from 'hono';
import type { Account, AccountRole } from './accounts.js';
import type { DemoEnv } from './app.js';
import type { DemoContext } from './context.js';
import { API_V1_BASE_PATH, envelopeError, mediaTypeOf, readJsonObject, type ApiRoute } from './routes/api-v1.js';
import { answer, guarded, refuse, withHeaders, type DemoContextOf, type Reply } from './routes/reply.js';
import { createLoginThrottle } from './login-throttle.js';

/**
 * The demo's own browser/API session: `POST /api/v1/auth/login` with a demo login and password sets an HttpOnly,
 * SameSite=Strict cookie holding a random 32-byte token; the store keeps only its digest. The session is checked
 * by a small {@link AuthStrategy} ({@link webSessionCookie}) built on Gatehouse's verify skeleton, so it composes
 * and renders its refusals like the Gatehouse strategies; a server-rendered web UI can reuse it as is.
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
  readonly idleSeconds?: number;
}

/** What differs between the demo's session tokens: where the token travels, whose it is, how refusals look. */
export interface SessionTokenStrategyOptions<P extends Principal> {
  readonly id: string;
  readonly kind: string;
  readonly store: CredentialStore;
  readonly clock: Clock;
  /** Default {@link WEB_SESSION_IDLE_SECONDS}. */
  readonly idleSeconds?: number;
  /** Every value of the token sent on the request (a cookie or a header). */
  readonly tokensOf: (request: AuthRequest) => readonly string[];
  /** The principal of a live record of this id and kind, or `null` when the record is unusable. */
  readonly principalOf: (record: CredentialRecord) => P | null;
  /** The code for a token of another strategy or kind. */
  readonly foreignCode: 'CREDENTIALS_INVALID' | 'CREDENTIALS_NOT_ACCEPTED_HERE';
  /** The wire format of the API the session belongs to. */
  readonly renderRefusal: (refusal: AuthRefusal) => WireReply<unknown>;
  readonly renderSuccess?: (payload: unknown, options?: RenderSuccessOptions) => WireReply<unknown>;
}

/**
 * A session token as an AuthStrategy, on core's verify skeleton (`createCredentialLookup`): `absent` without the
 * token, `CREDENTIALS_AMBIGUOUS` when it comes twice, `CREDENTIALS_MALFORMED` for anything but 64 lower-case hex
 * characters, `CREDENTIALS_INVALID` for an unknown, revoked or expired one, `foreignCode` for a live token of
 * another kind, `CREDENTIALS_EXPIRED` after the idle timeout, `STORE_UNAVAILABLE` when the store fails.
 */
export function sessionTokenStrategy<P extends Principal>(options: SessionTokenStrategyOptions<P>): AuthStrategy<P> {
  const credentials = createCredentialLookup({
    store: options.store,
    digest,
    clock: options.clock,
    strategyId: options.id,
    kinds: [options.kind],
    foreignCode: options.foreignCode,
    idleTimeoutInSeconds: options.idleSeconds ?? WEB_SESSION_IDLE_SECONDS,
  });
  return {
    id: options.id,
    async authenticate(request) {
      const values = options.tokensOf(request);
      if (values.length === 0) return absent();
      if (values.length > 1) return rejected('CREDENTIALS_AMBIGUOUS');
      const token = values[0] as string;
      if (!TOKEN_PATTERN.test(token)) return rejected('CREDENTIALS_MALFORMED');
      const found = await credentials.find(token);
      if (found.type === 'rejected') return found;
      const principal = options.principalOf(found.record);
      return principal === null ? rejected('CREDENTIALS_INVALID') : credentials.grant(found, principal);
    },
    renderRefusal: options.renderRefusal,
    ...(options.renderSuccess === undefined ? {} : { renderSuccess: options.renderSuccess }),
  };
}

/** Where {@link issueSessionToken} stores a session, and how many an account may hold. */
export interface SessionIssueOptions {
  readonly store: CredentialStore;
  readonly clock: Clock;
  readonly strategyId: string;
  readonly kind: string;
  /** The prefix of the record ids (`ws`, `aw`). */
  readonly idPrefix: string;
  readonly label: string;
  readonly maxPerOwner: number;
}

/**
 * Stores a new session token for `ownerId` (only its digest; it ends {@link WEB_SESSION_ABSOLUTE_SECONDS} from now)
 * and returns the token. An account at the limit loses its oldest session; `null` when the store still cannot take
 * it. Store failures throw.
 */
export async function issueSessionToken(
  options: SessionIssueOptions,
  ownerId: string,
  attributes: CredentialRecord['attributes'] = {},
): Promise<string | null> {
  const { store, strategyId, kind } = options;
  const now = options.clock.now();
  const draw = () => {
    const token = generateHexToken(WEB_SESSION_TOKEN_BYTES);
    return {
      secret: token,
      record: {
        id: newCredentialId(options.idPrefix),
        digest: digest(token),
        strategy: strategyId,
        kind,
        ownerId,
        parentId: null,
        label: options.label,
        hint: token.slice(0, 4),
        scopes: [],
        allowedIps: [],
        sealedSecret: null,
        attributes,
        createdAt: now,
        expiresAt: now + WEB_SESSION_ABSOLUTE_SECONDS * 1000,
      },
    };
  };
  const limit = { maxActivePerOwner: options.maxPerOwner, now };
  let inserted = await insertCredential(store, draw, limit);
  if (!inserted.ok && inserted.error.code === 'LIMIT_EXCEEDED') {
    const [oldest] = await store.listByOwner(ownerId, { strategy: strategyId, kind, activeAt: now });
    if (oldest !== undefined) await store.revoke(oldest.id, now);
    inserted = await insertCredential(store, draw, limit);
  }
  return inserted.ok ? inserted.value.secret : null;
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

/** The browser and API session: the session cookie, with the account's role, answering in the `/api/v1` envelope. */
export function webSessionCookie(options: WebSessionCookieOptions): AuthStrategy<WebSessionPrincipal> {
  return sessionTokenStrategy<WebSessionPrincipal>({
    id: WEB_SESSION_STRATEGY_ID,
    kind: WEB_SESSION_KIND,
    store: options.store,
    clock: options.clock,
    ...(options.idleSeconds === undefined ? {} : { idleSeconds: options.idleSeconds }),
    tokensOf: (request) => request.cookieValues(options.cookieName),
    foreignCode: 'CREDENTIALS_INVALID',
    principalOf: (record) => {
      const role = record.attributes['role'];
      return typeof role === 'string' && ROLES.includes(role) ? { id: record.ownerId, attributes: { role: role as AccountRole } } : null;
    },
    renderRefusal: (refusal) => renderSessionError(refusalError(refusal)),
    renderSuccess: (payload, renderOptions) => renderAccessHashSuccess(payload, renderOptions?.httpStatus ?? 200),
  });
}

/** What the session routes give the rest of the demo (the access-hash management routes, the web interface in web/). */
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
   * Checks a password unless the client IP or the login has had too many failed logins lately (both web
   * sign-in forms), counting a failure against both: the account, `null` for a wrong login or password, or
   * `'throttled'` when it was not checked.
   */
  tryLogin(c: DemoContextOf, login: string, password: string): Promise<Account | null | 'throttled'>;
  /**
   * Starts a session for the account (ending its oldest when it has too many) and returns the `Set-Cookie`
   * value to send, or `null` when the store cannot take it.
   */
  startSession(c: DemoContextOf, account: Account): Promise<string | null>;
  /** The `Set-Cookie` value that removes the session cookie. */
  clearCookie(c: DemoContextOf): string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const HOST_PATTERN = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/** Every session route (relative to {@link API_V1_BASE_PATH}), for the index page. */
export const WEB_SESSION_ROUTES: readonly ApiRoute[] = [
  { methods: ['POST'], path: '/auth/login', needs: 'JSON {"login","password"} (any demo login) -> session cookie' },
  { methods: ['POST'], path: '/auth/logout', needs: 'session cookie; ends the session' },
  { methods: ['GET'], path: '/auth/session', needs: 'session cookie -> {"login","role"}' },
];

/**
 * Mounts `/api/v1/auth/login`, `/api/v1/auth/logout` and `/api/v1/auth/session`, and returns the session check
 * for other routes.
 */
export function mountWebSession(app: Hono<DemoEnv>, context: DemoContext): WebSessions {
  const { config, clock } = context;
  const store = context.credentials;
  const trustedProxies = config.trustedProxies.length > 0 ? createIpMatcher(config.trustedProxies, 'GATEHOUSE_TRUSTED_PROXIES') : null;
  const strategies = {
    https: withFailureThrottle(webSessionCookie({ store, clock, cookieName: WEB_SESSION_SECURE_COOKIE }), context.ephemeral),
    http: withFailureThrottle(webSessionCookie({ store, clock, cookieName: WEB_SESSION_COOKIE }), context.ephemeral),
  };
  const guards = { https: createAuthGuard(strategies.https), http: createAuthGuard(strategies.http) };
  // Both cookies answer in the same envelope.
  const envelope = strategies.http;
  const issuing = {
    store,
    clock,
    strategyId: WEB_SESSION_STRATEGY_ID,
    kind: WEB_SESSION_KIND,
    idPrefix: 'ws',
    label: 'web session',
    maxPerOwner: MAX_SESSIONS_PER_ACCOUNT,
  };

  if (config.https) context.notices.push(`Sessions: GATEHOUSE_HTTPS is set: the session cookie is ${WEB_SESSION_SECURE_COOKIE}, Secure.`);

  const isHttps = (c: DemoContextOf): boolean => {
    if (config.https) return true;
    const socket = c.env.incoming.socket as { encrypted?: boolean; remoteAddress?: string } | null;
    if (socket?.encrypted === true) return true;
    // X-Forwarded-Proto only from a trusted proxy, and only the value that proxy itself added (the last one).
    const peer = socket?.remoteAddress;
    if (trustedProxies === null || peer === undefined || !trustedProxies.matches(peer)) return false;
    const protos = c.get('auth').headerValues('x-forwarded-proto').join(',').split(',');
    return protos[protos.length - 1]?.trim().toLowerCase() === 'https';
  };

  const cookieAttributes = (secure: boolean, maxAgeSeconds: number): string =>
    `Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  const cookieName = (secure: boolean): string => (secure ? WEB_SESSION_SECURE_COOKIE : WEB_SESSION_COOKIE);
  const clearCookie = (c: DemoContextOf): string => {
    const secure = isHttps(c);
    return `${cookieName(secure)}=; ${cookieAttributes(secure, 0)}`;
  };
  // Failed logins per client IP and per login in 15 minutes: `config.maxFailuresPerIp` (GATEHOUSE_MAX_FAILURES,
  // default 100, NIST SP 800-63B).
  const loginThrottle = createLoginThrottle(context.ephemeral, 'web-login-failures:', context.config.maxFailuresPerIp);

  const sessions: WebSessions = {
    isHttps,
    authenticate: (c) => authenticateSafely(isHttps(c) ? strategies.https : strategies.http, c.get('auth')),
    guard: (c) => (isHttps(c) ? guards.https : guards.http)(c.get('auth')),
    envelope,
    checkCsrf(c) {
      const request = c.get('auth');
      if (SAFE_METHODS.has(request.method)) return null;
      const refused = envelopeError(403, 'Cross-site request refused');
      if (mediaTypeOf(c) !== 'application/json') return refused;
      return sessions.isSameOrigin(c) ? null : refused;
    },
    ownOrigin(c) {
      const hosts = c.get('auth').headerValues('host');
      if (hosts.length !== 1 || !HOST_PATTERN.test(hosts[0] as string)) return null;
      try {
        const own = new URL(`${isHttps(c) ? 'https' : 'http'}://${hosts[0] as string}`).origin;
        return own === 'null' ? null : own;
      } catch {
        return null;
      }
    },
    isSameOrigin(c) {
      const origins = c.get('auth').headerValues('origin');
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
      const tried = await loginThrottle.attempt(c.get('auth').clientIp, login, () =>
        login === '' || password === '' ? Promise.resolve(null) : context.accounts.verifyLogin(login, password),
      );
      return tried.throttled ? 'throttled' : tried.account;
    },
    async startSession(c, account) {
      const token = await issueSessionToken(issuing, String(account.id), { role: account.role });
      if (token === null) return null;
      const secure = isHttps(c);
      return `${cookieName(secure)}=${token}; ${cookieAttributes(secure, WEB_SESSION_ABSOLUTE_SECONDS)}`;
    },
    clearCookie,
  };

  const path = (route: string): string => `${API_V1_BASE_PATH}${route}`;
  const route = (handler: (c: DemoContextOf) => Promise<Reply>) => answer(envelope, 'web session', handler);

  app.post(
    path('/auth/login'),
    route(async (c) => {
      const csrf = sessions.checkCsrf(c);
      if (csrf !== null) return csrf;
      const read = await readJsonObject(c, envelope);
      if (!read.ok) return read.reply;
      const { login, password } = read.value;
      if (typeof login !== 'string' || typeof password !== 'string' || login === '' || password === '') return refuse(envelope, 'PARAMETER_INVALID');
      const account = await sessions.tryLogin(c, login, password);
      if (account === 'throttled') return refuse(envelope, 'RATE_LIMITED');
      if (account === null) return envelopeError(401, 'Invalid login or password');
      const cookie = await sessions.startSession(c, account);
      if (cookie === null) return refuse(envelope, 'STORE_UNAVAILABLE');
      return withHeaders(renderSuccess(envelope, { login: account.login, role: account.role }), { 'set-cookie': cookie });
    }),
  );

  app.post(
    path('/auth/logout'),
    route(async (c) => {
      const csrf = sessions.checkCsrf(c);
      if (csrf !== null) return csrf;
      const decision = await sessions.guard(c);
      // The browser's cookie is cleared whatever the outcome: a stale cookie is of no use to anyone.
      const clear = { 'set-cookie': clearCookie(c) };
      if (decision.type === 'refused') return withHeaders(decision.reply, clear);
      if (decision.auth !== null) await store.revoke(decision.auth.credential.id, clock.now());
      return withHeaders(renderSuccess(envelope, ''), clear);
    }),
  );

  app.get(
    path('/auth/session'),
    route(
      guarded(sessions.guard, async (_c, auth) => {
        const account = context.accounts.findById(Number(auth.principal.id));
        if (account === null) return envelopeError(401, 'Login required');
        return renderSuccess(envelope, { login: account.login, role: account.role });
      }),
    ),
  );

  return sessions;
}
