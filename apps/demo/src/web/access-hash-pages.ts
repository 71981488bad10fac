import {
  bindableIp,
  isValidAccessHashName,
  type AccessHashListing,
  type AccessHashManager,
  type CreatedAccessHash,
} from '@gatehouse/strategy-access-hash-cookie';
import { html, type SafeHtml } from './html.js';
import type { SignedIn, WebContext, WebKit } from './kit.js';
import { copyable, csrfInput, scrollingTable } from './layout.js';

/** The texts of the access-hash page that callers (and tests) rely on. */
export const ACCESS_HASH_TEXTS = {
  onlyPanel: 'Only the panel administrator manages access hashes.',
  created: 'Everything went well. Please save the hash. It has only been shown once.',
  badName: 'Enter a name of 1 to 255 printable characters.',
  badIp: 'Enter one IPv4 or IPv6 address, e.g. 203.0.113.9 (not a range).',
  limit: 'You have reached the limit of access hashes; delete one to create another.',
  deleted: 'Access hash deleted.',
  notFound: 'This access hash does not exist or was already deleted.',
} as const;

interface AccessHashView {
  readonly rows: readonly AccessHashListing[];
  readonly name?: string;
  readonly ip?: string;
  readonly nameError?: string;
  readonly ipError?: string;
  readonly error?: string;
  readonly notice?: string;
  readonly created?: CreatedAccessHash;
}

/**
 * `/access-hashes`: the PUQ control panel's API access hashes (as in the PUQ VPN control panel (PUQVPNCP)
 * documentation, "API Access Hashs", revision 8, 2023-10-16: Name and IP, the hash shown once with
 * "Everything went well...", the table Name / IP / Created / Last login / Delete). Panel administrator only.
 */
export function mountAccessHashPages(kit: WebKit, manager: AccessHashManager): void {
  const refuse = (c: WebContext, user: SignedIn): Response =>
    kit.page(c, 403, {
      title: 'Access hashes',
      viewer: user.viewer,
      section: 'access-hashes',
      body: html`<h1>Access hashes</h1>
<div class="box error" data-testid="refused"><p>${ACCESS_HASH_TEXTS.onlyPanel}</p></div>`,
    });

  /** The panel administrator's owner id, or `null` for anyone else. */
  const ownerOf = (user: SignedIn): string | null => (user.account.role === 'panel' ? String(user.account.id) : null);

  const list = async (ownerId: string): Promise<readonly AccessHashListing[]> => {
    const listed = await manager.list(ownerId);
    if (!listed.ok) throw listed.error;
    return listed.value;
  };

  const field = (id: string, label: string, value: string, error: string | undefined, hint: SafeHtml | '' = ''): SafeHtml => {
    const described = [hint === '' ? '' : `${id}-hint`, error === undefined ? '' : `${id}-error`].filter((part) => part !== '').join(' ');
    return html`<label for="${id}">${label}</label>
${hint}
${error === undefined ? '' : html`<span class="field-error" id="${id}-error">${error}</span>`}
<input type="text" id="${id}" name="${id}" required value="${value}"${described === '' ? '' : html` aria-describedby="${described}"`}${error === undefined ? '' : html` aria-invalid="true"`}>`;
  };

  const accessPage = (c: WebContext, user: SignedIn, status: number, view: AccessHashView): Response => {
    const clientIp = c.get('request').clientIp ?? '';
    const created = view.created;
    const success: SafeHtml | '' =
      created === undefined
        ? ''
        : html`<section class="box success" aria-labelledby="created-heading" data-testid="created">
<h2 id="created-heading" tabindex="-1" data-autofocus>Access hash created</h2>
<p><strong data-testid="created-message">${ACCESS_HASH_TEXTS.created}</strong></p>
<p>Access hash <strong>${created.name}</strong>, from ${created.ip} only:</p>
<p>${copyable('new-secret', created.hash, 'new-secret', 'access hash')}</p>
</section>
<section class="box try-it" aria-labelledby="try-heading" data-testid="try-it">
<h2 id="try-heading">Try it</h2>
<pre><code id="try-it-command">curl -b "access_hash=${created.hash}" -X GET ${kit.origin(c)}/api/v1/system/status</code></pre>
<button type="button" class="secondary small" data-copy="try-it-command" aria-label="Copy command" hidden>Copy</button> <span class="copy-status" id="try-it-command-copy-status" role="status"></span>
</section>`;
    const rows =
      view.rows.length === 0
        ? html`<tr><td colspan="5" class="empty">No access hashes yet.</td></tr>`
        : view.rows.map(
            (row) => html`<tr>
<td>${row.name}</td>
<td>${row.ip}</td>
<td>${row.created}</td>
<td>${row.lastLogin ?? 'Never'}</td>
<td><form method="get" action="/access-hashes/${encodeURIComponent(row.id)}/delete" class="inline"><button type="submit" class="danger small">Delete<span class="visually-hidden"> ${row.name}</span></button></form></td>
</tr>`,
          );
    return kit.page(c, status, {
      title: 'Access hashes',
      viewer: user.viewer,
      section: 'access-hashes',
      ...(created === undefined ? {} : { replaceUrl: '/access-hashes' }),
      body: html`<h1>Access hashes</h1>
<p class="muted">API access hashes of the control panel API (<code>/api/v1</code>). Each hash works only from its IP address, sent as the <code>access_hash</code> cookie, and is shown only once, when it is created.</p>
${view.notice === undefined ? '' : html`<div class="box success" role="status"><p>${view.notice}</p></div>`}
${view.error === undefined ? '' : html`<div class="box error" role="alert" data-testid="form-error"><p>${view.error}</p></div>`}
${success}
<section aria-labelledby="create-heading">
<h2 id="create-heading">New access hash</h2>
<form method="post" action="/access-hashes" class="stack" novalidate>
${csrfInput(user.viewer.csrf)}
${field('name', 'Name', view.name ?? '', view.nameError)}
${field('ip', 'IP', view.ip ?? clientIp, view.ipError, html`<span class="hint" id="ip-hint">The one address the hash will work from; prefilled with your address as this server sees it${clientIp === '' ? '' : html` (<span class="mono">${clientIp}</span>)`}.</span>`)}
<div class="actions"><button type="submit">Create</button></div>
</form>
</section>
<h2>Your access hashes</h2>
${scrollingTable(
  'Access hashes',
  html`<table data-testid="access-hashes-table">
<thead><tr><th scope="col">Name</th><th scope="col">IP</th><th scope="col">Created</th><th scope="col">Last login</th><th scope="col">Delete</th></tr></thead>
<tbody>${rows}</tbody>
</table>`,
)}`,
    });
  };

  kit.get('/access-hashes', async (c, user) => {
    const ownerId = ownerOf(user);
    if (ownerId === null) return refuse(c, user);
    return accessPage(c, user, 200, { rows: await list(ownerId), ...(c.req.query('deleted') === '1' ? { notice: ACCESS_HASH_TEXTS.deleted } : {}) });
  });

  kit.post('/access-hashes', async (c, user, form) => {
    const ownerId = ownerOf(user);
    if (ownerId === null) return refuse(c, user);
    const name = form.one('name') ?? '';
    const ip = form.one('ip') ?? '';
    const nameError = isValidAccessHashName(name) ? undefined : ACCESS_HASH_TEXTS.badName;
    const ipError = bindableIp(ip) === null ? ACCESS_HASH_TEXTS.badIp : undefined;
    if (nameError !== undefined || ipError !== undefined) {
      return accessPage(c, user, 400, {
        rows: await list(ownerId),
        name,
        ip,
        ...(nameError === undefined ? {} : { nameError }),
        ...(ipError === undefined ? {} : { ipError }),
      });
    }
    const issued = await manager.issue(ownerId, { name, ip });
    if (!issued.ok) {
      if (issued.error.code === 'LIMIT_EXCEEDED') return accessPage(c, user, 409, { rows: await list(ownerId), name, ip, error: ACCESS_HASH_TEXTS.limit });
      throw issued.error;
    }
    return accessPage(c, user, 200, { rows: await list(ownerId), created: issued.value });
  });

  const notFound = (c: WebContext, user: SignedIn): Response =>
    kit.messagePage(c, 404, user.viewer, 'Access hash not found', ACCESS_HASH_TEXTS.notFound, { href: '/access-hashes', text: 'Back to access hashes' });

  kit.get('/access-hashes/:id/delete', async (c, user) => {
    const ownerId = ownerOf(user);
    if (ownerId === null) return refuse(c, user);
    const id = c.req.param('id');
    const row = (await list(ownerId)).find((candidate) => candidate.id === id);
    if (row === undefined) return notFound(c, user);
    return kit.page(c, 200, {
      title: 'Delete access hash',
      viewer: user.viewer,
      section: 'access-hashes',
      body: html`<h1>Delete access hash ${row.name}?</h1>
<p>Clients that use this hash (from ${row.ip}) are refused at once. This cannot be undone.</p>
<form method="post" action="/access-hashes/${encodeURIComponent(row.id)}/delete">
${csrfInput(user.viewer.csrf)}
<div class="actions"><button type="submit" class="danger">Delete</button> <a href="/access-hashes">Cancel</a></div>
</form>`,
    });
  });

  kit.post('/access-hashes/:id/delete', async (c, user) => {
    const ownerId = ownerOf(user);
    if (ownerId === null) return refuse(c, user);
    const revoked = await manager.revoke(ownerId, { id: c.req.param('id') ?? '' });
    if (!revoked.ok) {
      // An id no listing could show (PARAMETER_INVALID) is just as much not found.
      if (revoked.error.code === 'CREDENTIAL_NOT_FOUND' || revoked.error.code === 'PARAMETER_INVALID') return notFound(c, user);
      throw revoked.error;
    }
    return c.redirect('/access-hashes?deleted=1', 303);
  });
}
