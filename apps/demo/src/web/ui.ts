import type { AccessHashManager } from '@gatehouse/strategy-access-hash-cookie';
import type { HmacKeyManager } from '@gatehouse/strategy-hmac-signature';
import type { NvxHashManager } from '@gatehouse/strategy-nvx-hash';
import type { Hono } from 'hono';
import type { DemoEnv } from '../app.js';
import type { DemoContext } from '../context.js';
import type { WebSessions } from '../web-session.js';
import { mountAccessHashPages } from './access-hash-pages.js';
import { APP_CSS, APP_JS } from './assets.js';
import { createCsrfTokens, CSRF_FIELD, LOGIN_CSRF_COOKIE, LOGIN_CSRF_SECONDS, LOGIN_CSRF_SECURE_COOKIE } from './csrf.js';
import { mountHmacPages } from './hmac-pages.js';
import { html, type HtmlValue } from './html.js';
import { createWebKit, type WebContext, type WebKit } from './kit.js';
import { csrfInput } from './layout.js';
import { mountNvxPages } from './nvx-pages.js';

/**
 * The demo's server-rendered web interface: `/login`, `/logout`, `/keys` (NVX API keys), `/access-hashes`
 * (PUQ access hashes), `/hmac-keys` (KiiEx HMAC keys), the landing page `/` and `/static/app.css|js`. It uses the
 * same session cookie as `/api/v1/auth/login` and the same managers as the API routes.
 */

/** What the web interface needs from the rest of the demo. */
export interface WebUiDependencies {
  readonly sessions: WebSessions;
  readonly nvx: NvxHashManager;
  readonly accessHashes: AccessHashManager;
  readonly hmac: HmacKeyManager;
  /** The plain-text list of API routes (also served at `GET /api`), for the landing page. */
  readonly routeIndex: string;
}

export const WRONG_LOGIN = 'Wrong login or password.';

/** Mounts every page of the web interface. */
export function mountWebUi(app: Hono<DemoEnv>, context: DemoContext, dependencies: WebUiDependencies): void {
  const { sessions } = dependencies;
  const currentKey = context.config.keyEncryptionKeys[0];
  if (currentKey === undefined) throw new Error('mountWebUi: no key-encryption key');
  const csrf = createCsrfTokens(currentKey);
  const kit = createWebKit(app, context, sessions, csrf);

  app.get('/static/app.css', (c) => c.body(APP_CSS, 200, { 'content-type': 'text/css; charset=utf-8' }));
  app.get('/static/app.js', (c) => c.body(APP_JS, 200, { 'content-type': 'text/javascript; charset=utf-8' }));

  mountLanding(app, kit, dependencies.routeIndex);
  mountLogin(app, kit);
  mountNvxPages(kit, dependencies.nvx);
  mountAccessHashPages(kit, dependencies.accessHashes);
  mountHmacPages(kit, dependencies.hmac);
}

function mountLanding(app: Hono<DemoEnv>, kit: WebKit, routeIndex: string): void {
  app.get('/', async (c) => {
    let user = null;
    try {
      user = await kit.viewerOf(c);
    } catch {
      user = null;
    }
    const start =
      user === null
        ? html`<p><a class="button" href="/login">Sign in</a></p><p class="muted">The demo accounts (a master user, a sub-user and the panel administrator) and their passwords are printed in the server log at first start.</p>`
        : html`<p>Signed in as <strong>${user.account.login}</strong>.</p>`;
    return kit.page(c, 200, {
      title: 'Home',
      viewer: user?.viewer ?? null,
      body: html`<h1>Gatehouse demo</h1>
<p>Pluggable API-authentication strategies, shown with three APIs and their credential screens:</p>
<ul>
<li><a href="/keys">API keys (NVX)</a>: Navixy API keys of a master user, sent as <code>Authorization: NVX &lt;hash&gt;</code>.</li>
<li><a href="/access-hashes">Access hashes</a>: the control panel's access hashes, each bound to one IP address, sent as the <code>access_hash</code> cookie (panel administrator only).</li>
<li><a href="/hmac-keys">API keys (HMAC)</a>: KiiEx / AlphaPoint APEX keys with a secret that signs <code>AuthenticateUser</code>.</li>
</ul>
${start}
<details class="routes">
<summary>API routes</summary>
<pre>${routeIndex}</pre>
<p>The same list as plain text: <a href="/api">/api</a>.</p>
</details>`,
    });
  });
}

function mountLogin(app: Hono<DemoEnv>, kit: WebKit): void {
  const { sessions, csrf, context } = kit;
  const cookieName = (c: WebContext): string => (sessions.isHttps(c) ? LOGIN_CSRF_SECURE_COOKIE : LOGIN_CSRF_COOKIE);
  const cookieAttributes = (c: WebContext, maxAge: number): string =>
    `Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${sessions.isHttps(c) ? '; Secure' : ''}`;
  /** The pre-session nonce the browser sent (exactly once), or `null`. */
  const sentNonce = (c: WebContext): string | null => {
    const values = c.get('request').cookieValues(cookieName(c));
    const nonce = values.length === 1 ? (values[0] as string) : null;
    return csrf.isLoginNonce(nonce) ? nonce : null;
  };

  const loginPage = (c: WebContext, status: number, nonce: string, options: { login?: string; message?: HtmlValue } = {}): Response =>
    kit.page(c, status, {
      title: 'Sign in',
      body: html`<h1>Sign in</h1>
${options.message === undefined ? '' : html`<div class="box error" role="alert"><p>${options.message}</p></div>`}
<form method="post" action="/login" class="stack">
${csrfInput(csrf.forLogin(nonce))}
<label for="login">Login</label>
<input type="text" id="login" name="login" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${options.login ?? ''}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="actions"><button type="submit">Sign in</button></div>
</form>
<p class="muted">The demo accounts and their passwords are printed in the server log at first start.</p>`,
    });

  app.get('/login', (c) => {
    let nonce = sentNonce(c);
    if (nonce === null) {
      nonce = csrf.newLoginNonce();
      c.header('set-cookie', `${cookieName(c)}=${nonce}; ${cookieAttributes(c, LOGIN_CSRF_SECONDS)}`, { append: true });
    }
    return loginPage(c, 200, nonce);
  });

  app.post('/login', async (c) => {
    if (!kit.isSameOrigin(c)) return kit.csrfRefused(c, null, '/login');
    const form = await kit.readForm(c);
    const nonce = sentNonce(c);
    if (form === 'too-large') return kit.messagePage(c, 413, null, 'Request too large', 'The form was too large.', { href: '/login', text: 'Go back' });
    if (form === null || nonce === null || !csrf.verifyLogin(nonce, form.one(CSRF_FIELD))) return kit.csrfRefused(c, null, '/login');
    const login = form.one('login') ?? '';
    const password = form.one('password') ?? '';
    try {
      const account = await sessions.tryLogin(c, login, password);
      if (account === 'throttled') {
        return loginPage(c, 429, nonce, { login, message: 'Too many failed sign-ins from your address or for this login. Try again in 15 minutes.' });
      }
      if (account === null) return loginPage(c, 401, nonce, { login, message: WRONG_LOGIN });
      const cookie = await sessions.startSession(c, account);
      if (cookie === null) throw new Error('the session could not be stored');
      c.header('set-cookie', cookie, { append: true });
      // The pre-session pair has done its job.
      c.header('set-cookie', `${cookieName(c)}=; ${cookieAttributes(c, 0)}`, { append: true });
      return c.redirect('/keys', 303);
    } catch (error) {
      console.error('demo web: login failed', error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      return kit.messagePage(c, 503, null, 'Service unavailable', 'The demo cannot reach its database right now. Try again in a moment.');
    }
  });

  app.post('/logout', async (c) => {
    if (!kit.isSameOrigin(c)) return kit.csrfRefused(c, null, '/');
    const outcome = await sessions.authenticate(c);
    if (outcome.type === 'authenticated') {
      const form = await kit.readForm(c);
      const token = form === null || form === 'too-large' ? null : form.one(CSRF_FIELD);
      if (!csrf.verifySession(outcome.credential.id, token)) {
        const account = await context.accounts.findById(Number(outcome.principal.id));
        return kit.csrfRefused(c, account === null ? null : { login: account.login, csrf: csrf.forSession(outcome.credential.id) }, '/');
      }
      try {
        await context.credentials.revoke(outcome.credential.id, context.clock.now());
      } catch (error) {
        console.error('demo web: logout failed', error instanceof Error ? `${error.name}: ${error.message}` : String(error));
        return kit.messagePage(c, 503, null, 'Service unavailable', 'The demo cannot reach its database right now; you are still signed in. Try again in a moment.');
      }
    }
    // Whatever the outcome, the browser's cookie goes: a stale one is of no use.
    c.header('set-cookie', sessions.clearCookie(c), { append: true });
    return c.redirect('/login', 303);
  });
}
