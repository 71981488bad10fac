import {
  absent,
  authenticated,
  authenticateSafely,
  createIpMatcher,
  createSecretDigester,
  generateHexToken,
  isCredentialActive,
  newCredentialId,
  rejected,
  touchQuietly,
  withFailureThrottle,
  type AuthError,
  type AuthOutcome,
  type AuthRequest,
  type AuthStrategy,
  type Clock,
  type CredentialRecord,
  type CredentialStore,
  type Principal,
} from '@gatehouse/auth-core';
import { renderAccessHashError, renderAccessHashSuccess } from '@gatehouse/strategy-access-hash-cookie';
import type { Hono } from 'hono';
import type { Account, AccountRole } from './accounts.js';
import type { DemoEnv } from './app.js';
import type { DemoContext } from './context.js';
import {
  API_V1_BASE_PATH,
  envelopeError,
  failWith,
  handle,
  mediaTypeOf,
  readJsonObject,
  send,
  type ApiRoute,
  type DemoContextOf,
  type Reply,
} from './routes/api-v1.js';
import { createLoginThrottle } from './login-throttle.js';

/**
 * The demo's own browser/API session: `POST /api/v1/auth/login` with a demo login and password sets an HttpOnly,
 * SameSite=Strict cookie holding a random 32-byte token; the store keeps only its digest. The session is checked
 * by a small {@link AuthStrategy} ({@link webSessionCookie}), so it composes like the Gatehouse strategies; a
 * server-rendered web UI can reuse it as is.
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
const MAX_SESSIONS_PER_ACCOUNT = 20;

const TOKEN_PATTERN = new RegExp(`^[0-9a-f]{${WEB_SESSION_TOKEN_BYTES * 2}}$`);
const ROLES: readonly string[] = ['master', 'sub', 'panel'] satisfies AccountRole[];

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

const digest = createSecretDigester();

/** What differs between the demo's session tokens: where the token travels and whose it is. */
export interface SessionTokenStrategyOptions<P extends Principal> {
  readonly id: string;
  readonly kind: string;
  readonly store: CredentialStore;
  readonly clock: Clock;
  readonly idleSeconds?: number;
  /** Every value of the token sent on the request (a cookie or a header). */
  readonly tokensOf: (request: AuthRequest) => readonly string[];
  /** The principal of a live record of this id and kind, or `null` when the record is unusable. */
  readonly principalOf: (record: CredentialRecord) => P | null;
  /** The code for a token of another strategy or kind. */
  readonly foreignCode: 'CREDENTIALS_INVALID' | 'CREDENTIALS_NOT_ACCEPTED_HERE';
}

/**
 * A session token as an AuthStrategy: `absent` without the token, `CREDENTIALS_AMBIGUOUS` when it comes twice,
 * `CREDENTIALS_MALFORMED` for anything but 64 lower-case hex characters, `foreignCode` for a token of another
 * kind, `CREDENTIALS_INVALID` for an unknown, revoked or expired one, `CREDENTIALS_EXPIRED` (and the session
 * ended) after the idle timeout, `STORE_UNAVAILABLE` when the store fails.
 */
export function sessionTokenStrategy<P extends Principal>(options: SessionTokenStrategyOptions<P>): AuthStrategy<P> {
  const { store, clock } = options;
  const idleMs = (options.idleSeconds ?? WEB_SESSION_IDLE_SECONDS) * 1000;
  return {
    id: options.id,
    async authenticate(request) {
      const values = options.tokensOf(request);
      if (values.length === 0) return absent();
      if (values.length > 1) return rejected('CREDENTIALS_AMBIGUOUS');
      const token = values[0] as string;
      if (!TOKEN_PATTERN.test(token)) return rejected('CREDENTIALS_MALFORMED');
      let record: CredentialRecord | null;
      try {
        record = await store.findByDigest(digest(token));
      } catch (error) {
        return rejected('STORE_UNAVAILABLE', error);
      }
      if (record === null) return rejected('CREDENTIALS_INVALID');
      if (record.strategy !== options.id || record.kind !== options.kind) return rejected(options.foreignCode);
      const now = clock.now();
      if (!isCredentialActive(record, now)) return rejected('CREDENTIALS_INVALID');
      if (now - (record.lastUsedAt ?? record.createdAt) >= idleMs) {
        const id = record.id;
        Promise.resolve()
          .then(() => store.revoke(id, now))
          .catch(() => undefined);
        return rejected('CREDENTIALS_EXPIRED');
      }
      const principal = options.principalOf(record);
      if (principal === null) return rejected('CREDENTIALS_INVALID');
      touchQuietly(store, record.id, now);
      return authenticated(principal, { id: record.id, kind: options.kind, scopes: [], expiresAt: record.expiresAt });
    },
  };
}

/** The browser and API session: the session cookie, with the account's role. */
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
  });
}

/** Renders a failure of the session check in the seed's envelope (the API's one wire format). */
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

/** What the session routes give the rest of the demo (the access-hash management routes, the web interface in web/). */
export interface WebSessions {
  /** True when the request reached the demo over https (see {@link DemoConfig.https}). */
  isHttps(c: DemoContextOf): boolean;
  /** The session check for this request: the `__Host-` cookie over https, the plain one over http. */
  authenticate(c: DemoContextOf): Promise<AuthOutcome<WebSessionPrincipal>>;
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
      const token = await startSession(account);
      if (typeof token !== 'string') return null;
      const secure = isHttps(c);
      return `${cookieName(secure)}=${token}; ${cookieAttributes(secure, WEB_SESSION_ABSOLUTE_SECONDS)}`;
    },
    clearCookie,
  };

  /** Stores a new session for the account (ending its oldest when it has too many) and returns the token. */
  const startSession = async (account: Account): Promise<string | Reply> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = generateHexToken(WEB_SESSION_TOKEN_BYTES);
      const now = clock.now();
      const result = await store.insert(
        {
          id: newCredentialId('ws'),
          digest: digest(token),
          strategy: WEB_SESSION_STRATEGY_ID,
          kind: WEB_SESSION_KIND,
          ownerId: String(account.id),
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
        { maxActivePerOwner: MAX_SESSIONS_PER_ACCOUNT, now },
      );
      if (result.type === 'inserted') return token;
      if (result.type === 'conflict') continue;
      const live = await store.listByOwner(String(account.id), { strategy: WEB_SESSION_STRATEGY_ID, kind: WEB_SESSION_KIND, activeAt: now });
      const oldest = live[0];
      if (oldest !== undefined) await store.revoke(oldest.id, now);
    }
    return failWith('STORE_UNAVAILABLE');
  };

  const path = (route: string): string => `${API_V1_BASE_PATH}${route}`;

  app.post(
    path('/auth/login'),
    handle('web session', async (c) => {
      const csrf = sessions.checkCsrf(c);
      if (csrf !== null) return csrf;
      const read = await readJsonObject(c);
      if (!read.ok) return read.reply;
      const { login, password } = read.value;
      if (typeof login !== 'string' || typeof password !== 'string' || login === '' || password === '') return failWith('PARAMETER_INVALID');
      const account = await sessions.tryLogin(c, login, password);
      if (account === 'throttled') return failWith('RATE_LIMITED');
      if (account === null) {
        return envelopeError(401, 'Invalid login or password');
      }
      const cookie = await sessions.startSession(c, account);
      if (cookie === null) return failWith('STORE_UNAVAILABLE');
      return send(c, renderAccessHashSuccess({ login: account.login, role: account.role }), { 'set-cookie': cookie });
    }),
  );

  app.post(
    path('/auth/logout'),
    handle('web session', async (c) => {
      const csrf = sessions.checkCsrf(c);
      if (csrf !== null) return csrf;
      const outcome = await sessions.authenticate(c);
      // The browser's cookie is cleared whatever the outcome: a stale cookie is of no use to anyone.
      const clear = { 'set-cookie': clearCookie(c) };
      if (outcome.type === 'absent') return send(c, envelopeError(401, 'Login required'), clear);
      if (outcome.type === 'rejected') return send(c, renderSessionError(outcome.error), clear);
      await store.revoke(outcome.credential.id, clock.now());
      return send(c, renderAccessHashSuccess(''), clear);
    }),
  );

  app.get(
    path('/auth/session'),
    handle('web session', async (c) => {
      const outcome = await sessions.authenticate(c);
      if (outcome.type === 'absent') return envelopeError(401, 'Login required');
      if (outcome.type === 'rejected') return renderSessionError(outcome.error);
      const account = context.accounts.findById(Number(outcome.principal.id));
      if (account === null) return envelopeError(401, 'Login required');
      return renderAccessHashSuccess({ login: account.login, role: account.role });
    }),
  );

  return sessions;
}
