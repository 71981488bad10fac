import {
  formatNvxDate,
  isValidNvxTitle,
  NVX_DEFAULT_MAX_API_KEYS,
  type NvxApiKey,
  type NvxApiKeyListing,
  type NvxHashManager,
  type NvxOwner,
} from '@gatehouse/strategy-nvx-hash';
import { html, type SafeHtml } from './html.js';
import type { SignedIn, WebContext, WebKit } from './kit.js';
import { copyable, csrfInput, scrollingTable } from './layout.js';

/** The texts of the NVX page that callers (and tests) rely on. */
export const NVX_TEXTS = {
  subUser: 'Sub-users have no API keys.',
  panel: 'The panel administrator has no API keys; API keys belong to master users.',
  limit: `You already have ${NVX_DEFAULT_MAX_API_KEYS} API keys; delete one to create another.`,
  badTitle: 'Enter a title of 1 to 255 printable characters.',
  revealable: "Full hashes are shown because the demo runs Navixy's revealable listing mode.",
  deleted: 'API key deleted.',
  notFound: 'This API key does not exist or was already deleted.',
} as const;

interface KeysView {
  readonly keys: readonly NvxApiKeyListing[];
  readonly showForm?: boolean;
  readonly title?: string;
  readonly titleError?: string;
  readonly error?: string;
  readonly notice?: string;
  readonly created?: NvxApiKey;
}

/**
 * `/keys`: the Navixy API keys of a master user, after Navixy API docs, "Authentication"
 * (https://www.navixy.com/docs/navixy-api/user-api/authentication): a plus button, a title, Save; the table shows
 * label, creation date and hash. Sub-users have none; the panel administrator neither.
 */
export function mountNvxPages(kit: WebKit, manager: NvxHashManager): void {
  /** The owner of the keys, or the refusal page. */
  const ownerOf = (c: WebContext, user: SignedIn): NvxOwner | Response => {
    if (user.account.role === 'master') return { id: String(user.account.id), accountType: 'master' };
    const text = user.account.role === 'sub' ? NVX_TEXTS.subUser : NVX_TEXTS.panel;
    return kit.page(c, 403, {
      title: 'API keys (NVX)',
      viewer: user.viewer,
      section: 'keys',
      body: html`<h1>API keys (NVX)</h1>
<div class="box info" data-testid="no-keys"><p>${text}</p></div>
<p class="muted">Navixy: every user account may have up to ${NVX_DEFAULT_MAX_API_KEYS} API keys; sub-users don't have API keys functionality.</p>`,
    });
  };

  /** The owner's keys; a failing store throws (the 503 page). */
  const list = async (owner: NvxOwner): Promise<readonly NvxApiKeyListing[]> => {
    const listed = await manager.list(owner);
    if (!listed.ok) throw listed.error;
    return listed.value;
  };

  const keysPage = (c: WebContext, user: SignedIn, status: number, view: KeysView): Response => {
    const origin = kit.origin(c);
    const created = view.created;
    const success: SafeHtml | '' =
      created === undefined
        ? ''
        : html`<section class="box success" aria-labelledby="created-heading" data-testid="created">
<h2 id="created-heading" tabindex="-1" data-autofocus>API key created</h2>
<p>Your new API key <strong>${created.title}</strong>. Use it in the <code>Authorization</code> header:</p>
<p>${copyable('new-secret', created.hash, 'new-secret', 'API key')}</p>
</section>
<section class="box try-it" aria-labelledby="try-heading" data-testid="try-it">
<h2 id="try-heading">Try it</h2>
<pre><code id="try-it-command">curl -H 'Authorization: NVX ${created.hash}' ${origin}/v2/tracker/list</code></pre>
<button type="button" class="secondary small" data-copy="try-it-command" aria-label="Copy command" hidden>Copy</button> <span class="copy-status" id="try-it-command-copy-status" role="status"></span>
</section>`;
    const form =
      view.showForm === true
        ? html`<section aria-labelledby="new-key-heading">
<h2 id="new-key-heading">New API key</h2>
<form method="post" action="/keys" class="stack" novalidate>
${csrfInput(user.viewer.csrf)}
<label for="title">Title</label>
<span class="hint" id="title-hint">A name to tell the key apart, e.g. the integration that uses it.</span>
${view.titleError === undefined ? '' : html`<span class="field-error" id="title-error">${view.titleError}</span>`}
<input type="text" id="title" name="title" required autofocus value="${view.title ?? ''}" aria-describedby="title-hint${view.titleError === undefined ? '' : ' title-error'}"${view.titleError === undefined ? '' : html` aria-invalid="true"`}>
<div class="actions"><button type="submit">Save</button> <a href="/keys">Cancel</a></div>
</form>
</section>`
        : '';
    const rows =
      view.keys.length === 0
        ? html`<tr><td colspan="4" class="empty">No API keys yet. Create one with the + button.</td></tr>`
        : view.keys.map(
            (key) => html`<tr>
<td>${key.title}</td>
<td>${formatNvxDate(key.createdAt)}</td>
<td><code>${key.hash}</code></td>
<td><form method="get" action="/keys/${encodeURIComponent(key.id)}/delete" class="inline"><button type="submit" class="danger small">Delete<span class="visually-hidden"> ${key.title}</span></button></form></td>
</tr>`,
          );
    return kit.page(c, status, {
      title: 'API keys (NVX)',
      viewer: user.viewer,
      section: 'keys',
      ...(created === undefined ? {} : { replaceUrl: '/keys' }),
      body: html`<h1>API keys (NVX)</h1>
<p class="muted">Navixy API keys of your account (up to ${NVX_DEFAULT_MAX_API_KEYS}). Send a key as <code>Authorization: NVX &lt;hash&gt;</code>.</p>
${view.notice === undefined ? '' : html`<div class="box success" role="status"><p>${view.notice}</p></div>`}
${view.error === undefined ? '' : html`<div class="box error" role="alert" data-testid="form-error"><p>${view.error}</p></div>`}
${success}
<div class="toolbar">
<form method="get" action="/keys"><input type="hidden" name="new" value="1"><button type="submit" class="plus" aria-label="Create API key">+</button></form>
</div>
${form}
<p class="box info" data-testid="revealable-note">${NVX_TEXTS.revealable}</p>
${scrollingTable(
  'API keys (NVX)',
  html`<table data-testid="keys-table">
<thead><tr><th scope="col">Label</th><th scope="col">Created</th><th scope="col">Hash</th><th scope="col">Delete</th></tr></thead>
<tbody>${rows}</tbody>
</table>`,
)}`,
    });
  };

  kit.get('/keys', async (c, user) => {
    const owner = ownerOf(c, user);
    if (owner instanceof Response) return owner;
    const keys = await list(owner);
    return keysPage(c, user, 200, {
      keys,
      showForm: c.req.query('new') === '1',
      ...(c.req.query('deleted') === '1' ? { notice: NVX_TEXTS.deleted } : {}),
    });
  });

  kit.post('/keys', async (c, user, form) => {
    const owner = ownerOf(c, user);
    if (owner instanceof Response) return owner;
    const title = form.one('title') ?? '';
    if (!isValidNvxTitle(title)) {
      return keysPage(c, user, 400, { keys: await list(owner), showForm: true, title, titleError: NVX_TEXTS.badTitle });
    }
    const created = await manager.issue(owner, { title });
    if (!created.ok) {
      if (created.error.code === 'LIMIT_EXCEEDED') {
        return keysPage(c, user, 409, { keys: await list(owner), error: NVX_TEXTS.limit });
      }
      if (created.error.code === 'PARAMETER_INVALID') {
        return keysPage(c, user, 400, { keys: await list(owner), showForm: true, title, titleError: NVX_TEXTS.badTitle });
      }
      throw created.error;
    }
    return keysPage(c, user, 200, { keys: await list(owner), created: created.value });
  });

  const notFound = (c: WebContext, user: SignedIn): Response =>
    kit.messagePage(c, 404, user.viewer, 'API key not found', NVX_TEXTS.notFound, { href: '/keys', text: 'Back to API keys' });

  kit.get('/keys/:id/delete', async (c, user) => {
    const owner = ownerOf(c, user);
    if (owner instanceof Response) return owner;
    const id = c.req.param('id');
    const key = (await list(owner)).find((candidate) => candidate.id === id);
    if (key === undefined) return notFound(c, user);
    return kit.page(c, 200, {
      title: 'Delete API key',
      viewer: user.viewer,
      section: 'keys',
      body: html`<h1>Delete API key ${key.title}?</h1>
<p>Integrations that use this key are refused at once. This cannot be undone.</p>
<form method="post" action="/keys/${encodeURIComponent(key.id)}/delete">
${csrfInput(user.viewer.csrf)}
<div class="actions"><button type="submit" class="danger">Delete</button> <a href="/keys">Cancel</a></div>
</form>`,
    });
  });

  kit.post('/keys/:id/delete', async (c, user) => {
    const owner = ownerOf(c, user);
    if (owner instanceof Response) return owner;
    const deleted = await manager.revoke(owner, { id: c.req.param('id') ?? '' });
    if (!deleted.ok) {
      if (deleted.error.code === 'CREDENTIAL_NOT_FOUND' || deleted.error.code === 'PARAMETER_INVALID') return notFound(c, user);
      throw deleted.error;
    }
    return c.redirect('/keys?deleted=1', 303);
  });
}
