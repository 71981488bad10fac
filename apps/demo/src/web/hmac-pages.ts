import {
  computeAuthenticateUserSignature,
  exportHmacKeyJson,
  type HmacKeyExport,
  type HmacKeyListing,
  type HmacKeyManager,
  type HmacNoncePolicy,
} from '@gatehouse/strategy-hmac-signature';
import { HMAC_PERMISSIONS } from '../routes/hmac.js';
import { html, type SafeHtml } from './html.js';
import type { SignedIn, WebContext, WebKit } from './kit.js';
import { copyable, csrfInput, scrollingTable } from './layout.js';

/** The texts of the HMAC key page that callers (and tests) rely on. */
export const HMAC_TEXTS = {
  panel: 'The panel administrator has no HMAC API keys; they belong to master users and sub-users.',
  badPermissions: `Choose permissions from ${HMAC_PERMISSIONS.join(', ')}.`,
  badIps: 'Enter IP addresses or CIDR ranges separated by commas, e.g. 203.0.113.9, 10.0.0.0/8.',
  limit: 'You already have 20 API keys; delete one to create another.',
  deleted: 'API key deleted.',
  notFound: 'This API key does not exist or was already deleted.',
  allowedIpsLabel: 'Allowed IPs (optional, comma-separated)',
  stored: 'I have stored these',
} as const;

const NONCE_ADVICE: Readonly<Record<HmacNoncePolicy, string>> = {
  issued:
    'Nonce policy "issued" (GATEHOUSE_HMAC_NONCE): use the nonce shown here for every AuthenticateUser call, as in KiiEx docs, "Authenticate with API Key"; the signature never changes.',
  increasing:
    'Nonce policy "increasing" (GATEHOUSE_HMAC_NONCE): the nonce shown here works once; sign each later call with a larger number (e.g. the current unix time).',
  unique: 'Nonce policy "unique" (GATEHOUSE_HMAC_NONCE): the nonce shown here works once; sign each later call with a new nonce.',
};

interface HmacView {
  readonly keys: readonly HmacKeyListing[];
  readonly permissions?: readonly string[];
  readonly allowedIps?: string;
  readonly permissionsError?: string;
  readonly ipsError?: string;
  readonly error?: string;
  readonly notice?: string;
  readonly created?: HmacKeyExport;
}

const showPermissions = (permissions: readonly string[]): string => (permissions.length === 0 ? 'None' : permissions.join(', '));
const showIps = (ips: readonly string[]): string => (ips.length === 0 ? 'Any' : ips.join(', '));
const apiKeyHint = (key: HmacKeyListing): string => `${key.apiKeyHint}…`;

/**
 * `/hmac-keys`: KiiEx / AlphaPoint APEX API keys of the signed-in master user or sub-user, after KiiEx docs,
 * "Authenticate with API Key": permission checkboxes, allowed IPs, "Create API key"; a dialog shows API key, secret
 * and nonce once, "Export to JSON", and closes only after "I have stored these".
 */
export function mountHmacPages(kit: WebKit, manager: HmacKeyManager): void {
  const policy = kit.context.config.hmacNoncePolicy;

  const refuse = (c: WebContext, user: SignedIn): Response =>
    kit.page(c, 403, {
      title: 'API keys (HMAC)',
      viewer: user.viewer,
      section: 'hmac-keys',
      body: html`<h1>API keys (HMAC)</h1>
<div class="box error" data-testid="refused"><p>${HMAC_TEXTS.panel}</p></div>`,
    });

  const userIdOf = (user: SignedIn): string | null => (user.account.role === 'master' || user.account.role === 'sub' ? String(user.account.id) : null);

  const list = async (userId: string): Promise<readonly HmacKeyListing[]> => {
    const listed = await manager.list(userId);
    if (!listed.ok) throw listed.error;
    return listed.value;
  };

  const dialog = (c: WebContext, created: HmacKeyExport): SafeHtml => {
    const origin = kit.origin(c);
    const json = exportHmacKeyJson(created);
    const signature = computeAuthenticateUserSignature(created.APISecret, { apiKey: created.APIKey, userId: created.UserId, nonce: created.Nonce });
    const script = [
      '# 1. Signature = hex(HMAC-SHA256(key = API secret, message = Nonce + UserId + APIKey))',
      `NONCE='${created.Nonce}'`,
      `USERID='${created.UserId}'`,
      `APIKEY='${created.APIKey}'`,
      `SECRET='${created.APISecret}'`,
      'printf %s "$NONCE$USERID$APIKEY" | openssl dgst -sha256 -hmac "$SECRET"',
      `SIGNATURE=$(printf %s "$NONCE$USERID$APIKEY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')`,
      '',
      "# 2. AuthenticateUser: the reply's SessionToken is your aptoken",
      `curl -X POST ${origin}/AuthenticateUser -H "APIKey: ${created.APIKey}" -H "Signature: $SIGNATURE" -H "UserId: ${created.UserId}" -H "Nonce: ${created.Nonce}"`,
      '',
      '# 3. Call the API with the SessionToken from step 2',
      "APTOKEN='<SessionToken from step 2>'",
      `curl -X POST ${origin}/GetUserInfo -H "aptoken: $APTOKEN"`,
    ].join('\n');
    return html`<dialog open class="once" role="dialog" aria-labelledby="new-key-title" aria-describedby="new-key-description" data-testid="hmac-dialog">
<h2 id="new-key-title" tabindex="-1" data-autofocus>Your new API key</h2>
<p id="new-key-description"><strong>These values are shown only once.</strong> Store them in a safe place now: the API secret cannot be shown again (if it is lost, delete the key and create another).</p>
<dl class="values">
<dt>API key</dt><dd>${copyable('hmac-api-key', created.APIKey, 'hmac-api-key', 'API key')}</dd>
<dt>API secret</dt><dd>${copyable('hmac-api-secret', created.APISecret, 'hmac-api-secret', 'API secret')}</dd>
<dt>Nonce</dt><dd>${copyable('hmac-nonce', created.Nonce, 'hmac-nonce', 'nonce')}</dd>
<dt>UserId</dt><dd>${copyable('hmac-user-id', created.UserId, 'hmac-user-id', 'UserId')}</dd>
<dt>Permissions</dt><dd>${showPermissions(created.Permissions)}</dd>
<dt>Allowed IPs</dt><dd>${showIps(created.AllowedIps)}</dd>
</dl>
<p><a class="button secondary" download="api-key.json" href="data:application/json;charset=utf-8,${encodeURIComponent(json)}" data-testid="hmac-export">Export to JSON</a></p>
<section class="box try-it" aria-labelledby="try-heading" data-testid="try-it">
<h3 id="try-heading">Try it</h3>
<p>${NONCE_ADVICE[policy]}</p>
<pre><code id="try-it-command">${script}</code></pre>
<button type="button" class="secondary small" data-copy="try-it-command" aria-label="Copy commands" hidden>Copy</button> <span class="copy-status" id="try-it-command-copy-status" role="status"></span>
<p>The signature to expect:<br><code class="secret" data-testid="hmac-signature">${signature}</code></p>
</section>
<form method="get" action="/hmac-keys">
<div class="check"><input type="checkbox" id="stored-confirm" required><label for="stored-confirm">${HMAC_TEXTS.stored}</label></div>
<div class="actions"><button type="submit" id="dialog-close" disabled>Close</button><noscript><button type="submit">Close</button></noscript></div>
</form>
</dialog>`;
  };

  const hmacPage = (c: WebContext, user: SignedIn, status: number, view: HmacView): Response => {
    const chosen = new Set(view.permissions ?? []);
    const checks = HMAC_PERMISSIONS.map(
      (permission) =>
        html`<div class="check"><input type="checkbox" id="permission-${permission.toLowerCase()}" name="permissions" value="${permission}"${chosen.has(permission) ? html` checked` : ''}><label for="permission-${permission.toLowerCase()}">${permission}</label></div>`,
    );
    const ipsDescribed = `allowed-ips-hint${view.ipsError === undefined ? '' : ' allowed-ips-error'}`;
    const rows =
      view.keys.length === 0
        ? html`<tr><td colspan="6" class="empty">No API keys yet.</td></tr>`
        : view.keys.map(
            (key) => html`<tr>
<td><code>${apiKeyHint(key)}</code></td>
<td>${showPermissions(key.permissions)}</td>
<td>${showIps(key.allowedIps)}</td>
<td>${new Date(key.createdAt).toISOString()}</td>
<td>${key.lastUsedAt === null ? 'Never' : new Date(key.lastUsedAt).toISOString()}</td>
<td><form method="get" action="/hmac-keys/${encodeURIComponent(key.id)}/delete" class="inline"><button type="submit" class="danger small">Delete<span class="visually-hidden"> ${apiKeyHint(key)}</span></button></form></td>
</tr>`,
          );
    return kit.page(c, status, {
      title: 'API keys (HMAC)',
      viewer: user.viewer,
      section: 'hmac-keys',
      ...(view.created === undefined ? {} : { replaceUrl: '/hmac-keys' }),
      body: html`<h1>API keys (HMAC)</h1>
<p class="muted">KiiEx / AlphaPoint APEX API keys of your account. A key's secret signs <code>AuthenticateUser</code>; the session token it returns is sent as <code>aptoken</code>.</p>
${view.created === undefined ? '' : dialog(c, view.created)}
${view.notice === undefined ? '' : html`<div class="box success" role="status"><p>${view.notice}</p></div>`}
${view.error === undefined ? '' : html`<div class="box error" role="alert" data-testid="form-error"><p>${view.error}</p></div>`}
<section aria-labelledby="create-heading">
<h2 id="create-heading">New API key</h2>
<form method="post" action="/hmac-keys" class="stack" novalidate>
${csrfInput(user.viewer.csrf)}
<fieldset${view.permissionsError === undefined ? '' : html` aria-describedby="permissions-error"`}>
<legend>Permissions</legend>
${view.permissionsError === undefined ? '' : html`<span class="field-error" id="permissions-error">${view.permissionsError}</span>`}
${checks}
</fieldset>
<label for="allowed-ips">${HMAC_TEXTS.allowedIpsLabel}</label>
<span class="hint" id="allowed-ips-hint">Addresses or CIDR ranges the key may be used from, e.g. 203.0.113.9, 10.0.0.0/8. Empty: any address.</span>
${view.ipsError === undefined ? '' : html`<span class="field-error" id="allowed-ips-error">${view.ipsError}</span>`}
<input type="text" id="allowed-ips" name="allowed_ips" value="${view.allowedIps ?? ''}" aria-describedby="${ipsDescribed}"${view.ipsError === undefined ? '' : html` aria-invalid="true"`}>
<div class="actions"><button type="submit">Create API key</button></div>
</form>
</section>
<h2>Your API keys</h2>
${scrollingTable(
  'Your HMAC API keys',
  html`<table data-testid="hmac-keys-table">
<thead><tr><th scope="col">API key</th><th scope="col">Permissions</th><th scope="col">Allowed IPs</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Delete</th></tr></thead>
<tbody>${rows}</tbody>
</table>`,
)}`,
    });
  };

  kit.get('/hmac-keys', async (c, user) => {
    const userId = userIdOf(user);
    if (userId === null) return refuse(c, user);
    return hmacPage(c, user, 200, { keys: await list(userId), ...(c.req.query('deleted') === '1' ? { notice: HMAC_TEXTS.deleted } : {}) });
  });

  kit.post('/hmac-keys', async (c, user, form) => {
    const userId = userIdOf(user);
    if (userId === null) return refuse(c, user);
    const permissions = [...new Set(form.all('permissions'))];
    const allowedIps = form.one('allowed_ips') ?? '';
    const ips = allowedIps
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    const known: readonly string[] = HMAC_PERMISSIONS;
    if (permissions.some((permission) => !known.includes(permission))) {
      return hmacPage(c, user, 400, { keys: await list(userId), permissions, allowedIps, permissionsError: HMAC_TEXTS.badPermissions });
    }
    const created = await manager.issue(userId, { permissions, allowedIps: ips, userName: user.account.login });
    if (!created.ok) {
      if (created.error.code === 'PARAMETER_INVALID') return hmacPage(c, user, 400, { keys: await list(userId), permissions, allowedIps, ipsError: HMAC_TEXTS.badIps });
      if (created.error.code === 'LIMIT_EXCEEDED') return hmacPage(c, user, 409, { keys: await list(userId), permissions, allowedIps, error: HMAC_TEXTS.limit });
      throw created.error;
    }
    return hmacPage(c, user, 200, { keys: await list(userId), created: created.value });
  });

  const notFound = (c: WebContext, user: SignedIn): Response =>
    kit.messagePage(c, 404, user.viewer, 'API key not found', HMAC_TEXTS.notFound, { href: '/hmac-keys', text: 'Back to API keys' });

  kit.get('/hmac-keys/:id/delete', async (c, user) => {
    const userId = userIdOf(user);
    if (userId === null) return refuse(c, user);
    const id = c.req.param('id');
    const key = (await list(userId)).find((candidate) => candidate.id === id);
    if (key === undefined) return notFound(c, user);
    return kit.page(c, 200, {
      title: 'Delete API key',
      viewer: user.viewer,
      section: 'hmac-keys',
      body: html`<h1>Delete API key ${apiKeyHint(key)}?</h1>
<p>Permissions: ${showPermissions(key.permissions)}. Every session started with this key ends at once, and the key can no longer authenticate. This cannot be undone.</p>
<form method="post" action="/hmac-keys/${encodeURIComponent(key.id)}/delete">
${csrfInput(user.viewer.csrf)}
<div class="actions"><button type="submit" class="danger">Delete</button> <a href="/hmac-keys">Cancel</a></div>
</form>`,
    });
  });

  kit.post('/hmac-keys/:id/delete', async (c, user) => {
    const userId = userIdOf(user);
    if (userId === null) return refuse(c, user);
    const removed = await manager.revoke(userId, { id: c.req.param('id') ?? '' });
    if (!removed.ok) {
      if (removed.error.code === 'CREDENTIAL_NOT_FOUND' || removed.error.code === 'PARAMETER_INVALID') return notFound(c, user);
      throw removed.error;
    }
    return c.redirect('/hmac-keys?deleted=1', 303);
  });
}
