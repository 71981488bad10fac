import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Account } from '../accounts.js';
import type { DemoEnv } from '../app.js';
import type { DemoContext } from '../context.js';
import type { WebSessions } from '../web-session.js';
import { CSRF_FIELD, type CsrfTokens } from './csrf.js';
import { html, type HtmlValue } from './html.js';
import { PAGE_CSP, renderPage, type PageParts, type Viewer } from './layout.js';

/**
 * The pieces every page of the web interface shares: HTML responses with the security headers, the session check
 * for pages, and the Origin + session + CSRF-token check for forms.
 */

export type WebContext = Context<DemoEnv>;

/** A signed-in request. */
export interface SignedIn {
  readonly account: Account;
  /** The session's credential record id (what the CSRF token is bound to). */
  readonly sessionId: string;
  readonly viewer: Viewer;
}

/** The fields of an urlencoded form body. */
export interface FormFields {
  /** The value of a field sent exactly once; `null` when absent or sent more than once. */
  one(name: string): string | null;
  /** Every value of a field, in order (checkbox groups). */
  all(name: string): readonly string[];
}

/** Headers of every HTML page (on top of the app-wide `Cache-Control: no-store` and `nosniff`). */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': PAGE_CSP,
  'x-frame-options': 'DENY',
  // Not no-referrer: with it Chromium sends `Origin: null` on same-origin form posts, which the Origin check refuses.
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

/** The text of the CSRF refusal page. */
export const CSRF_REFUSED = 'Request refused (CSRF)';

export type PageHandler = (c: WebContext, user: SignedIn) => Promise<Response>;
export type FormHandler = (c: WebContext, user: SignedIn, form: FormFields) => Promise<Response>;

/** What the page modules get. */
export interface WebKit {
  readonly context: DemoContext;
  readonly sessions: WebSessions;
  readonly csrf: CsrfTokens;
  /** An HTML page. */
  page(c: WebContext, status: number, parts: PageParts): Response;
  /** A page with one message box (errors, refusals). */
  messagePage(c: WebContext, status: number, viewer: Viewer | null, title: string, message: HtmlValue, back?: { href: string; text: string }): Response;
  /** This server's origin as the client addressed it, for the "Try it" commands. */
  origin(c: WebContext): string;
  /** GET (and HEAD) for signed-in users; others are sent to `/login`. */
  get(path: string, handler: PageHandler): void;
  /** POST of a form: same-origin, signed in, valid CSRF token; else 403 (or `/login` without a session). */
  post(path: string, handler: FormHandler): void;
  /** The signed-in user, or `null` (no redirect; for pages anyone may see). */
  viewerOf(c: WebContext): Promise<SignedIn | null>;
  /** False for a request another site started (a foreign `Origin`, or `Sec-Fetch-Site` other than same-origin). */
  isSameOrigin(c: WebContext): boolean;
  /** The 403 CSRF page. */
  csrfRefused(c: WebContext, viewer: Viewer | null, back: string): Response;
  /** The urlencoded form of the request, or `'too-large'`, or `null` for any other body. */
  readForm(c: WebContext): Promise<FormFields | 'too-large' | null>;
}

/** Where a refused or failed form sends the user back to. */
function backFor(path: string): string {
  for (const section of ['/keys', '/access-hashes', '/hmac-keys', '/login']) {
    if (path === section || path.startsWith(`${section}/`)) return section;
  }
  return '/';
}

/** Creates the kit for one app. */
export function createWebKit(app: Hono<DemoEnv>, context: DemoContext, sessions: WebSessions, csrf: CsrfTokens): WebKit {
  const page = (c: WebContext, status: number, parts: PageParts): Response =>
    c.body(renderPage(parts), status as ContentfulStatusCode, PAGE_HEADERS);

  const messagePage: WebKit['messagePage'] = (c, status, viewer, title, message, back) =>
    page(c, status, {
      title,
      viewer,
      body: html`<h1>${title}</h1>
<div class="box ${status >= 400 ? 'error' : 'info'}"><p>${message}</p></div>
${back === undefined ? '' : html`<p><a href="${back.href}">${back.text}</a></p>`}`,
    });

  const unavailable = (c: WebContext, viewer: Viewer | null): Response =>
    messagePage(c, 503, viewer, 'Service unavailable', 'The demo cannot reach its database right now. Try again in a moment.');

  const csrfRefused: WebKit['csrfRefused'] = (c, viewer, back) =>
    messagePage(
      c,
      403,
      viewer,
      CSRF_REFUSED,
      'The form was not accepted: it came from another site, or it had no valid form token (for example after signing in again). Nothing was changed.',
      { href: back, text: 'Go back and try again' },
    );

  const isSameOrigin = (c: WebContext): boolean => {
    if (!sessions.isSameOrigin(c)) return false;
    const site = c.get('request').headerValues('sec-fetch-site');
    if (site.length > 1) return false;
    return site.length === 0 || site[0] === 'same-origin' || site[0] === 'none';
  };

  const toViewer = (account: Account, sessionId: string): SignedIn => ({
    account,
    sessionId,
    viewer: { login: account.login, csrf: csrf.forSession(sessionId) },
  });

  /** The session check: a user, or the response to send instead (redirect to /login, 429, 503). */
  const requireUser = async (c: WebContext): Promise<SignedIn | Response> => {
    const outcome = await sessions.authenticate(c);
    if (outcome.type === 'authenticated') {
      const account = await context.accounts.findById(Number(outcome.principal.id));
      if (account !== null && account.role === outcome.principal.attributes.role) return toViewer(account, outcome.credential.id);
    } else if (outcome.type === 'rejected') {
      if (outcome.error.code === 'RATE_LIMITED') {
        return messagePage(c, 429, null, 'Too many requests', 'Too many failed attempts from your address. Try again in a few minutes.');
      }
      if (outcome.error.code === 'STORE_UNAVAILABLE') return unavailable(c, null);
    }
    // No session, or one that ended: start over at the login form (and drop a stale cookie).
    if (outcome.type !== 'absent') c.header('set-cookie', sessions.clearCookie(c), { append: true });
    return c.redirect('/login', 303);
  };

  const readForm: WebKit['readForm'] = async (c) => {
    const body = await c.get('request').body();
    if (body.type === 'too-large') return 'too-large';
    if (body.type !== 'form') return null;
    const fields = body.fields;
    return {
      one(name) {
        const values = fields.get(name) ?? [];
        return values.length === 1 ? (values[0] as string) : null;
      },
      all: (name) => fields.get(name) ?? [],
    };
  };

  /** Runs a handler; anything thrown (a failing store) becomes the 503 page, never a half-done success. */
  const guarded = async (c: WebContext, viewer: Viewer | null, work: () => Promise<Response>): Promise<Response> => {
    try {
      return await work();
    } catch (error) {
      console.error('demo web: request failed', error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      return unavailable(c, viewer);
    }
  };

  const kit: WebKit = {
    context,
    sessions,
    csrf,
    page,
    messagePage,
    origin(c) {
      return sessions.ownOrigin(c) ?? `http://${context.config.host.includes(':') ? `[${context.config.host}]` : context.config.host}`;
    },
    get(path, handler) {
      app.get(path, async (c) =>
        guarded(c, null, async () => {
          const user = await requireUser(c);
          if (user instanceof Response) return user;
          return guarded(c, user.viewer, () => handler(c, user));
        }),
      );
    },
    post(path, handler) {
      app.post(path, async (c) =>
        guarded(c, null, async () => {
          const back = backFor(c.req.path);
          if (!isSameOrigin(c)) return csrfRefused(c, null, back);
          const user = await requireUser(c);
          if (user instanceof Response) return user;
          const form = await readForm(c);
          if (form === 'too-large') return messagePage(c, 413, user.viewer, 'Request too large', 'The form was too large.', { href: back, text: 'Go back' });
          if (form === null || !csrf.verifySession(user.sessionId, form.one(CSRF_FIELD))) return csrfRefused(c, user.viewer, back);
          return guarded(c, user.viewer, () => handler(c, user, form));
        }),
      );
    },
    async viewerOf(c) {
      const outcome = await sessions.authenticate(c);
      if (outcome.type !== 'authenticated') return null;
      const account = await context.accounts.findById(Number(outcome.principal.id));
      return account !== null && account.role === outcome.principal.attributes.role ? toViewer(account, outcome.credential.id) : null;
    },
    isSameOrigin,
    csrfRefused,
    readForm,
  };
  return kit;
}
