import { CSRF_FIELD } from './csrf.js';
import { html, type HtmlValue, type SafeHtml } from './html.js';

/** The Content-Security-Policy of every HTML page: no inline script or style, nothing from elsewhere. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The sections of the signed-in interface, as the nav bar shows them. */
export type Section = 'keys' | 'access-hashes' | 'hmac-keys';

const SECTIONS: readonly { readonly id: Section; readonly href: string; readonly text: string }[] = [
  { id: 'keys', href: '/keys', text: 'API keys (NVX)' },
  { id: 'access-hashes', href: '/access-hashes', text: 'Access hashes' },
  { id: 'hmac-keys', href: '/hmac-keys', text: 'API keys (HMAC)' },
];

/** Who is signed in, as pages need it: the login for the nav bar, the CSRF token for forms. */
export interface Viewer {
  readonly login: string;
  readonly csrf: string;
}

/** What a page consists of. */
export interface PageParts {
  /** The `<title>` (before " – Gatehouse demo") and, unless `heading` says otherwise, the `<h1>`. */
  readonly title: string;
  readonly viewer?: Viewer | null;
  readonly section?: Section;
  readonly body: HtmlValue;
  /** Set on creation pages: the URL the script puts in the address bar, so a reload is a plain GET. */
  readonly replaceUrl?: string;
}

/** The hidden CSRF input of a form. */
export function csrfInput(token: string): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}

function navBar(viewer: Viewer | null | undefined, section: Section | undefined): SafeHtml {
  if (viewer === null || viewer === undefined) {
    return html`<header class="site"><nav aria-label="Main"><a class="brand" href="/">Gatehouse demo</a><a href="/login">Sign in</a></nav></header>`;
  }
  const links = SECTIONS.map(
    (entry) => html`<a href="${entry.href}"${entry.id === section ? html` aria-current="page"` : ''}>${entry.text}</a>`,
  );
  return html`<header class="site"><nav aria-label="Main"><a class="brand" href="/">Gatehouse demo</a>${links}<span class="account"><span>Signed in as <strong data-testid="signed-in-login">${viewer.login}</strong></span><form method="post" action="/logout">${csrfInput(viewer.csrf)}<button type="submit">Sign out</button></form></span></nav></header>`;
}

/** A whole HTML document. */
export function renderPage(parts: PageParts): string {
  const document = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${parts.title} – Gatehouse demo</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/app.css">
<script src="/static/app.js" defer></script>
</head>
<body${parts.replaceUrl === undefined ? '' : html` data-replace-url="${parts.replaceUrl}"`}>
<a class="skip-link" href="#main">Skip to main content</a>
${navBar(parts.viewer, parts.section)}
<main id="main" tabindex="-1">
${parts.body}
</main>
</body>
</html>
`;
  return document.value;
}

/** A table inside a horizontally scrolling, keyboard-reachable region (narrow screens). */
export function scrollingTable(label: string, table: SafeHtml): SafeHtml {
  return html`<div class="table-wrap" role="region" aria-label="${label}" tabindex="0">${table}</div>`;
}

/** A value shown once, with a Copy button (the button is hidden until the script runs). */
export function copyable(id: string, value: string, testId: string, label: string): SafeHtml {
  return html`<code class="secret" id="${id}" data-testid="${testId}">${value}</code> <button type="button" class="secondary small" data-copy="${id}" aria-label="Copy ${label}" hidden>Copy</button> <span class="copy-status" id="${id}-copy-status" role="status"></span>`;
}
