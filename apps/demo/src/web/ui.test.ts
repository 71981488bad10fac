// The web interface over real HTTP: forms posted as a browser would (urlencoded, with Origin and cookies), the
// pages read back as HTML. The headless-browser tests live elsewhere; these pin the server's side of the contract.
import { request, type IncomingHttpHeaders } from 'node:http';
import { computeAuthenticateUserSignature, exportHmacKeyJson } from '@gatehouse/strategy-hmac-signature';
import { describe, expect, it } from 'vitest';
import { useTemporaryDemos } from '../__fixtures__/temporary-demos.js';
import type { RunningDemo } from '../server.js';

const demos = useTemporaryDemos('gatehouse-web-');
const start = (extra: Record<string, string> = {}): Promise<RunningDemo> => demos.start(demos.freshEnv(extra));


const CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const CSRF_REFUSED = 'Request refused (CSRF)';

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: IncomingHttpHeaders;
  readonly cookies: readonly string[];
}

interface RequestOptions {
  readonly form?: Record<string, string | readonly string[]>;
  readonly json?: unknown;
  readonly headers?: Record<string, string>;
  /** The Origin header of a POST: the page's own origin unless given; `null` sends none. */
  readonly origin?: string | null;
  /** Send no cookies from the jar. */
  readonly noCookies?: boolean;
}

/** A minimal browser: a cookie jar, same-origin form posts, one source address. */
class Client {
  readonly jar = new Map<string, string>();

  constructor(
    readonly demo: RunningDemo,
    readonly options: { readonly from?: string; readonly scheme?: 'http' | 'https' } = {},
  ) {}

  get origin(): string {
    return `${this.options.scheme ?? 'http'}://127.0.0.1:${this.demo.port}`;
  }

  send(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    let body: string | undefined;
    if (options.form !== undefined) {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(options.form)) {
        for (const one of typeof value === 'string' ? [value] : value) params.append(name, one);
      }
      body = params.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    if (method === 'POST' && options.origin !== null) headers['origin'] = options.origin ?? this.origin;
    if (!options.noCookies && this.jar.size > 0) headers['cookie'] = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    Object.assign(headers, options.headers);
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise((resolve, reject) => {
      const outgoing = request(
        { host: '127.0.0.1', port: this.demo.port, method, path, headers, localAddress: this.options.from ?? '127.0.0.1', agent: false },
        (incoming) => {
          let text = '';
          incoming.setEncoding('utf8');
          incoming.on('data', (chunk: string) => (text += chunk));
          incoming.on('end', () => {
            const cookies = incoming.headers['set-cookie'] ?? [];
            for (const cookie of cookies) {
              const [pair = ''] = cookie.split(';');
              const name = pair.slice(0, pair.indexOf('='));
              const value = pair.slice(pair.indexOf('=') + 1);
              if (/Max-Age=0(;|$)/.test(cookie)) this.jar.delete(name);
              else this.jar.set(name, value);
            }
            resolve({ status: incoming.statusCode ?? 0, text, headers: incoming.headers, cookies });
          });
          incoming.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  get(path: string, options: RequestOptions = {}): Promise<Answer> {
    return this.send('GET', path, options);
  }

  post(path: string, form: Record<string, string | readonly string[]>, options: RequestOptions = {}): Promise<Answer> {
    return this.send('POST', path, { ...options, form });
  }

  /** Signs in through the login form; returns the POST's answer. */
  async signIn(login: string, password: string): Promise<Answer> {
    const page = await this.get('/login');
    return this.post('/login', { csrf: csrfOf(page.text), login, password });
  }

  /** GETs a page and returns its CSRF token. */
  async csrf(path = '/keys'): Promise<string> {
    return csrfOf((await this.get(path)).text);
  }
}

function csrfOf(html: string): string {
  const match = /<input type="hidden" name="csrf" value="([^"]+)">/.exec(html);
  if (match === null) throw new Error(`no CSRF field in:\n${html.slice(0, 2000)}`);
  return match[1] as string;
}

function testId(html: string, id: string): string {
  const match = new RegExp(`data-testid="${id}"[^>]*>([^<]*)<`).exec(html);
  if (match === null) throw new Error(`no data-testid="${id}"`);
  return match[1] as string;
}

async function signedIn(demo: RunningDemo, login: string, password: string, options: ConstructorParameters<typeof Client>[1] = {}): Promise<Client> {
  const client = new Client(demo, options);
  const answer = await client.signIn(login, password);
  expect(answer.status, answer.text).toBe(303);
  return client;
}

const asMaster = (demo: RunningDemo) => signedIn(demo, 'demo', 'demo-password');
const asSub = (demo: RunningDemo) => signedIn(demo, 'demo-sub', 'demo-password');
const asPanel = (demo: RunningDemo, from?: string) => signedIn(demo, 'admin', 'admin-password', from === undefined ? {} : { from });

/** What every HTML page must have. */
function expectPage(answer: Answer): void {
  expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(answer.headers['content-security-policy']).toBe(CSP);
  expect(answer.headers['cache-control']).toBe('no-store');
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  expect(answer.text).toContain('<html lang="en">');
  expect(answer.text).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  expect(answer.text).toContain('<a class="skip-link" href="#main">Skip to main content</a>');
  expect(answer.text).toContain('<main id="main" tabindex="-1">');
  expect(answer.text).toContain('<link rel="stylesheet" href="/static/app.css">');
  // No inline script or style: the CSP would block it.
  expect(answer.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  expect(answer.text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  // Every input but hidden ones and checkboxes in a .check row has a <label for>.
  for (const match of answer.text.matchAll(/<input ([^>]*)>/g)) {
    const attributes = match[1] as string;
    if (attributes.includes('type="hidden"')) continue;
    const id = /id="([^"]+)"/.exec(attributes)?.[1];
    expect(id, attributes).toBeDefined();
    expect(answer.text, attributes).toContain(`<label for="${id}">`);
  }
}

/** The ids in the delete forms of a listing, in order. */
function deleteIds(html: string, section: string): string[] {
  return [...html.matchAll(new RegExp(`action="/${section}/([^"/]+)/delete"`, 'g'))].map((match) => decodeURIComponent(match[1] as string));
}

describe('web interface: sign-in', () => {
  it('GET /login shows a labelled form, the security headers and sets the pre-session CSRF cookie', async () => {
    const demo = await start();
    const client = new Client(demo);
    const page = await client.get('/login');
    expect(page.status).toBe(200);
    expectPage(page);
    expect(page.text).toContain('<label for="login">Login</label>');
    expect(page.text).toContain('<label for="password">Password</label>');
    expect(page.text).toContain('<input type="password" id="password" name="password"');
    expect(page.text).toContain('<button type="submit">Sign in</button>');
    expect(page.text).not.toContain('autofocus');
    expect(page.cookies).toHaveLength(1);
    expect(page.cookies[0]).toMatch(/^gatehouse_login_csrf=[0-9a-f]{64}; Path=\/; Max-Age=7200; HttpOnly; SameSite=Strict$/);
    // A second visit keeps the pair (several tabs may be open).
    const again = await client.get('/login');
    expect(again.cookies).toEqual([]);
    expect(csrfOf(again.text)).toBe(csrfOf(page.text));
  });

  it('wrong login or password: 401 and one message that never says which field was wrong', async () => {
    const demo = await start();
    for (const [login, password] of [['demo', 'wrong-password'], ['nobody', 'demo-password'], ['demo', '']]) {
      const client = new Client(demo);
      const page = await client.get('/login');
      const answer = await client.post('/login', { csrf: csrfOf(page.text), login: login as string, password: password as string });
      expect(answer.status, login).toBe(401);
      expectPage(answer);
      expect(answer.text).toContain('<div class="box error" role="alert"><p>Wrong login or password.</p></div>');
      expect(answer.text).not.toMatch(/unknown|no such|incorrect password|wrong password/i);
      expect(answer.cookies).toEqual([]);
      expect(client.jar.has('gatehouse_session')).toBe(false);
    }
  });

  it('success sets the session cookie of /api/v1/auth/login (HttpOnly, SameSite=Strict) and redirects to /keys', async () => {
    const demo = await start();
    const client = new Client(demo);
    const answer = await client.signIn('demo', 'demo-password');
    expect(answer.status).toBe(303);
    expect(answer.headers['location']).toBe('/keys');
    const session = answer.cookies.find((cookie) => cookie.startsWith('gatehouse_session='));
    expect(session).toMatch(/^gatehouse_session=[0-9a-f]{64}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    expect(answer.cookies).toContain('gatehouse_login_csrf=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict');
    // The same session as the JSON API's.
    const me = await client.get('/api/v1/auth/session');
    expect(JSON.parse(me.text)).toEqual({ error: '', msg: { login: 'demo', role: 'master' }, status: 'success' });
    const keys = await client.get('/keys');
    expect(keys.status).toBe(200);
    expect(keys.text).toContain('Signed in as <strong data-testid="signed-in-login">demo</strong>');
  });

  it('over https the cookies are __Host- and Secure', async () => {
    const demo = await start({ GATEHOUSE_HTTPS: '1' });
    const client = new Client(demo, { scheme: 'https' });
    const page = await client.get('/login');
    expect(page.cookies[0]).toMatch(/^__Host-gatehouse_login_csrf=[0-9a-f]{64}; Path=\/; Max-Age=7200; HttpOnly; SameSite=Strict; Secure$/);
    const answer = await client.post('/login', { csrf: csrfOf(page.text), login: 'demo', password: 'demo-password' });
    expect(answer.status).toBe(303);
    expect(answer.cookies.find((cookie) => cookie.startsWith('__Host-gatehouse_session='))).toMatch(
      /^__Host-gatehouse_session=[0-9a-f]{64}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure$/,
    );
    expect((await client.get('/keys')).status).toBe(200);
  });

  it('the login form is CSRF-protected: no cookie, a wrong token, a foreign Origin are refused (403)', async () => {
    const demo = await start();
    const client = new Client(demo);
    const token = csrfOf((await client.get('/login')).text);
    const credentials = { login: 'demo', password: 'demo-password' };
    const attempts: Answer[] = [
      await client.post('/login', credentials),
      await client.post('/login', { ...credentials, csrf: `${token}x` }),
      await client.post('/login', { ...credentials, csrf: token }, { noCookies: true }),
      await client.post('/login', { ...credentials, csrf: token }, { origin: 'http://evil.example' }),
      await client.post('/login', { ...credentials, csrf: token }, { origin: 'null' }),
      await client.post('/login', { ...credentials, csrf: token }, { headers: { 'sec-fetch-site': 'cross-site' }, origin: null }),
      // Another browser's pair does not fit this cookie.
      await client.post('/login', { ...credentials, csrf: csrfOf((await new Client(demo).get('/login')).text) }),
    ];
    for (const [index, answer] of attempts.entries()) {
      expect(answer.status, String(index)).toBe(403);
      expectPage(answer);
      expect(answer.text, String(index)).toContain(`<h1>${CSRF_REFUSED}</h1>`);
      expect(answer.cookies, String(index)).toEqual([]);
    }
    // Without an Origin (older clients) the token pair alone is enough.
    expect((await client.post('/login', { ...credentials, csrf: token }, { origin: null })).status).toBe(303);
  });

  it('POST /logout ends the session (with the form token only) and clears the cookie', async () => {
    const demo = await start();
    const client = await asMaster(demo);
    const token = await client.csrf();
    const refused = await client.post('/logout', {});
    expect(refused.status).toBe(403);
    expect(refused.text).toContain(CSRF_REFUSED);
    expect((await client.get('/keys')).status).toBe(200);

    const cookie = client.jar.get('gatehouse_session') as string;
    const answer = await client.post('/logout', { csrf: token });
    expect(answer.status).toBe(303);
    expect(answer.headers['location']).toBe('/login');
    expect(answer.cookies).toEqual(['gatehouse_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict']);
    // The old cookie is dead everywhere.
    const stale = await client.get('/keys', { headers: { cookie: `gatehouse_session=${cookie}` } });
    expect(stale.status).toBe(303);
    expect(stale.headers['location']).toBe('/login');
    expect((await client.get('/api/v1/auth/session', { headers: { cookie: `gatehouse_session=${cookie}` } })).status).toBe(401);
  });

  it('pages need a session: GET redirects to /login, a POST changes nothing', async () => {
    const demo = await start();
    const client = new Client(demo);
    for (const path of ['/keys', '/access-hashes', '/hmac-keys', '/keys/nvx_x/delete']) {
      const answer = await client.get(path);
      expect(answer.status, path).toBe(303);
      expect(answer.headers['location'], path).toBe('/login');
    }
    const post = await client.post('/keys', { title: 'sneaky', csrf: 'x' });
    expect(post.status).toBe(303);
    expect(await demo.context.credentials.listByOwner('1', { strategy: 'nvx-hash', kind: 'api-key' })).toEqual([]);
  });
});

describe('web interface: CSRF on signed-in forms', () => {
  it('refuses a form without the token, with another session token, from a foreign Origin or site', async () => {
    const demo = await start();
    const client = await asMaster(demo);
    const other = await asMaster(demo);
    const token = await client.csrf();
    const otherToken = await other.csrf();
    expect(otherToken).not.toBe(token);
    const attempts: [string, Answer][] = [
      ['no token', await client.post('/keys', { title: 'a' })],
      ['empty token', await client.post('/keys', { title: 'a', csrf: '' })],
      ['two tokens', await client.post('/keys', { title: 'a', csrf: [token, token] })],
      ["another session's token", await client.post('/keys', { title: 'a', csrf: otherToken })],
      ['foreign Origin', await client.post('/keys', { title: 'a', csrf: token }, { origin: 'http://evil.example' })],
      ['Origin of another port', await client.post('/keys', { title: 'a', csrf: token }, { origin: `http://127.0.0.1:${demo.port + 1}` })],
      ['Origin null', await client.post('/keys', { title: 'a', csrf: token }, { origin: 'null' })],
      ['cross-site fetch', await client.post('/keys', { title: 'a', csrf: token }, { origin: null, headers: { 'sec-fetch-site': 'cross-site' } })],
      ['JSON body', await client.send('POST', '/keys', { json: { title: 'a', csrf: token } })],
      ['HMAC form without token', await client.post('/hmac-keys', { permissions: 'Trading' })],
      ['delete without token', await client.post('/keys/nvx_x/delete', {})],
    ];
    for (const [name, answer] of attempts) {
      expect(answer.status, name).toBe(403);
      expect(answer.text, name).toContain(`<h1>${CSRF_REFUSED}</h1>`);
    }
    expect(await demo.context.credentials.listByOwner('1', { activeAt: Date.now(), strategy: 'nvx-hash', kind: 'api-key' })).toEqual([]);
    // The same form with the token from this session's page works.
    expect((await client.post('/keys', { title: 'a', csrf: token })).status).toBe(200);
  });

  it('a new login gets a new token; the old session token no longer works', async () => {
    const demo = await start();
    const client = await asMaster(demo);
    const first = await client.csrf();
    await client.post('/logout', { csrf: first });
    await client.signIn('demo', 'demo-password');
    const second = await client.csrf();
    expect(second).not.toBe(first);
    expect((await client.post('/keys', { title: 'a', csrf: first })).status).toBe(403);
  });
});

describe('web interface: /keys (NVX API keys)', () => {
  it('creates a key by form, shows it once in a success box with a ready curl, lists it, deletes it after confirmation', async () => {
    const demo = await start();
    const client = await asMaster(demo);
    const list = await client.get('/keys');
    expectPage(list);
    expect(list.text).toContain('<button type="submit" class="plus" aria-label="Create API key">+</button>');
    expect(list.text).not.toContain('<label for="title">Title</label>');
    expect(list.text).toContain('Full hashes are shown because the demo runs Navixy&#39;s revealable listing mode.');
    const form = await client.get('/keys?new=1');
    expectPage(form);
    expect(form.text).toContain('<label for="title">Title</label>');
    expect(form.text).toContain('<button type="submit">Save</button>');

    const created = await client.post('/keys', { title: 'Integration Key', csrf: csrfOf(form.text) });
    expect(created.status).toBe(200);
    expectPage(created);
    const hash = testId(created.text, 'new-secret');
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    expect(created.text).toContain(`curl -H 'Authorization: NVX ${hash}' ${client.origin}/v2/tracker/list`);
    expect(created.text).toContain('data-replace-url="/keys"');
    const tracker = await fetch(`${demo.url}/v2/tracker/list`, { headers: { authorization: `NVX ${hash}` } });
    expect(await tracker.json()).toMatchObject({ success: true });

    // The listing (revealable mode) shows label, creation date and the full hash.
    const listed = await client.get('/keys');
    expect(listed.text).toMatch(/<th scope="col">Label<\/th><th scope="col">Created<\/th><th scope="col">Hash<\/th>/);
    expect(listed.text).toMatch(new RegExp(`<td>Integration Key</td>\\s*<td>\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}</td>\\s*<td><code>${hash}</code></td>`));
    expect(listed.text).not.toContain('data-testid="new-secret"');

    const [id] = deleteIds(listed.text, 'keys');
    const confirm = await client.get(`/keys/${encodeURIComponent(id as string)}/delete`);
    expect(confirm.status).toBe(200);
    expectPage(confirm);
    expect(confirm.text).toContain('<h1>Delete API key Integration Key?</h1>');
    expect(confirm.text).toContain('<button type="submit" class="danger">Delete</button>');
    const deleted = await client.post(`/keys/${encodeURIComponent(id as string)}/delete`, { csrf: csrfOf(confirm.text) });
    expect(deleted.status).toBe(303);
    expect(deleted.headers['location']).toBe('/keys?deleted=1');
    const after = await client.get('/keys?deleted=1');
    expect(after.text).toContain('API key deleted.');
    expect(after.text).not.toContain(hash);
    const refused = await fetch(`${demo.url}/v2/tracker/list`, { headers: { authorization: `NVX ${hash}` } });
    expect(await refused.json()).toMatchObject({ success: false });
    // Deleting again: 404.
    expect((await client.post(`/keys/${encodeURIComponent(id as string)}/delete`, { csrf: csrfOf(confirm.text) })).status).toBe(404);
    expect((await client.get(`/keys/${encodeURIComponent(id as string)}/delete`)).status).toBe(404);
  });

  it('escapes a title like <script>alert(1)</script> everywhere', async () => {
    const demo = await start();
    const client = await asMaster(demo);
    const title = `<script>alert(1)</script>"'&`;
    const created = await client.post('/keys', { title, csrf: await client.csrf() });
    expect(created.status).toBe(200);
    const escaped = '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;';
    for (const page of [created, await client.get('/keys')]) {
      expect(page.text).toContain(escaped);
      expect(page.text).not.toContain('<script>alert(1)');
    }
    const [id] = deleteIds(created.text, 'keys');
    const confirm = await client.get(`/keys/${encodeURIComponent(id as string)}/delete`);
    expect(confirm.text).toContain(`<h1>Delete API key ${escaped}?</h1>`);
    expect(confirm.text).not.toContain('<script>alert(1)');
  });

  it('refuses an empty title (400) and the 21st key (409)', async () => {
    const demo = await start();
    const client = await asMaster(demo);
    const token = await client.csrf();
    const empty = await client.post('/keys', { title: '   ', csrf: token });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('Enter a title of 1 to 255 printable characters.');
    expect(empty.text).toContain('aria-invalid="true"');
    for (let index = 1; index <= 20; index++) expect((await client.post('/keys', { title: `Key ${index}`, csrf: token })).status).toBe(200);
    const over = await client.post('/keys', { title: 'Key 21', csrf: token });
    expect(over.status).toBe(409);
    expect(over.text).toContain('You already have 20 API keys; delete one to create another.');
    expect(over.text).not.toContain('data-testid="new-secret"');
  });

  it('a sub-user has no API keys and no form; the panel administrator neither', async () => {
    const demo = await start();
    const sub = await asSub(demo);
    const page = await sub.get('/keys');
    expect(page.status).toBe(403);
    expectPage(page);
    expect(page.text).toContain('Sub-users have no API keys.');
    expect(page.text).not.toContain('action="/keys"');
    expect(page.text).not.toContain('aria-label="Create API key"');
    const post = await sub.post('/keys', { title: 'x', csrf: csrfOf(page.text) });
    expect(post.status).toBe(403);
    expect(post.text).toContain('Sub-users have no API keys.');
    const panel = await asPanel(demo);
    const panelPage = await panel.get('/keys');
    expect(panelPage.status).toBe(403);
    expect(panelPage.text).toContain('The panel administrator has no API keys');
    const all = await demo.context.credentials.listByOwner('2', { strategy: 'nvx-hash', kind: 'api-key' });
    expect(all).toEqual([]);
  });
});

describe('web interface: /access-hashes', () => {
  it('the panel administrator creates a hash (IP prefilled with their own), sees it once, deletes it after confirmation', async () => {
    const demo = await start();
    const admin = await asPanel(demo, '127.0.0.2');
    const page = await admin.get('/access-hashes');
    expect(page.status).toBe(200);
    expectPage(page);
    expect(page.text).toContain('<label for="name">Name</label>');
    expect(page.text).toContain('<label for="ip">IP</label>');
    expect(page.text).toMatch(/<input type="text" id="ip" name="ip" required value="127\.0\.0\.2"/);
    expect(page.text).toContain('<button type="submit">Create</button>');

    const created = await admin.post('/access-hashes', { name: 'monitoring', ip: '127.0.0.2', csrf: csrfOf(page.text) });
    expect(created.status).toBe(200);
    expectPage(created);
    expect(created.text).toContain('Everything went well. Please save the hash. It has only been shown once.');
    const hash = testId(created.text, 'new-secret');
    expect(hash).toMatch(/^[0-9a-f]{80}$/);
    expect(created.text).toContain('data-copy="new-secret"');
    expect(created.text).toContain(`curl -b "access_hash=${hash}" -X GET ${admin.origin}/api/v1/system/status`);
    // The hash appears in the success box and the Try-it box only, never in the table.
    expect(created.text.split(hash)).toHaveLength(3);

    const status = await new Client(demo, { from: '127.0.0.2' }).get('/api/v1/system/status', { headers: { cookie: `access_hash=${hash}` } });
    expect(status.status).toBe(200);
    expect((await new Client(demo).get('/api/v1/system/status', { headers: { cookie: `access_hash=${hash}` } })).status).toBe(403);

    // Never shown again: the listing, the other pages, the JSON listing.
    const listed = await admin.get('/access-hashes');
    expect(listed.text).toMatch(
      /<th scope="col">Name<\/th><th scope="col">IP<\/th><th scope="col">Created<\/th><th scope="col">Last login<\/th><th scope="col">Delete<\/th>/,
    );
    expect(listed.text).toMatch(/<td>monitoring<\/td>\s*<td>127\.0\.0\.2<\/td>\s*<td>\d{4}-\d{2}-\d{2}T[^<]+<\/td>\s*<td>\d{4}-/);
    for (const path of ['/access-hashes', '/keys', '/hmac-keys', '/', '/api/v1/access-hashes']) {
      expect((await admin.get(path)).text, path).not.toContain(hash);
    }
    expect((await admin.get('/access-hashes')).text).not.toContain(hash.slice(0, 12));

    const [id] = deleteIds(listed.text, 'access-hashes');
    const confirm = await admin.get(`/access-hashes/${encodeURIComponent(id as string)}/delete`);
    expect(confirm.text).toContain('<h1>Delete access hash monitoring?</h1>');
    expect(confirm.text).not.toContain(hash);
    const deleted = await admin.post(`/access-hashes/${encodeURIComponent(id as string)}/delete`, { csrf: csrfOf(confirm.text) });
    expect(deleted.status).toBe(303);
    expect(deleted.headers['location']).toBe('/access-hashes?deleted=1');
    expect((await admin.get('/access-hashes?deleted=1')).text).toContain('Access hash deleted.');
    expect((await new Client(demo, { from: '127.0.0.2' }).get('/api/v1/system/status', { headers: { cookie: `access_hash=${hash}` } })).status).toBe(401);
  });

  it('checks the name and the IP and escapes what it shows', async () => {
    const demo = await start();
    const admin = await asPanel(demo);
    const token = await admin.csrf('/access-hashes');
    const badIp = await admin.post('/access-hashes', { name: 'ok', ip: '10.0.0.0/8', csrf: token });
    expect(badIp.status).toBe(400);
    expect(badIp.text).toContain('Enter one IPv4 or IPv6 address');
    const badName = await admin.post('/access-hashes', { name: '', ip: '127.0.0.1', csrf: token });
    expect(badName.status).toBe(400);
    expect(badName.text).toContain('Enter a name of 1 to 255 printable characters.');
    const xss = await admin.post('/access-hashes', { name: '<img src=x onerror=alert(1)>', ip: '127.0.0.1', csrf: token });
    expect(xss.status).toBe(200);
    expect(xss.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(xss.text).not.toContain('<img src=x');
  });

  it('only the panel administrator manages access hashes (others 403, nothing created)', async () => {
    const demo = await start();
    for (const client of [await asMaster(demo), await asSub(demo)]) {
      const page = await client.get('/access-hashes');
      expect(page.status).toBe(403);
      expectPage(page);
      expect(page.text).toContain('Only the panel administrator manages access hashes.');
      expect(page.text).not.toContain('action="/access-hashes"');
      const post = await client.post('/access-hashes', { name: 'x', ip: '127.0.0.1', csrf: csrfOf(page.text) });
      expect(post.status).toBe(403);
      expect(post.text).not.toContain('new-secret');
    }
    for (const owner of ['1', '2', '3']) {
      expect(await demo.context.credentials.listByOwner(owner, { strategy: 'access-hash-cookie' })).toEqual([]);
    }
  });
});

describe('web interface: /hmac-keys', () => {
  it('creates a key in a one-time dialog (export, try-it, stored checkbox) that signs AuthenticateUser; the listing never shows the secret', async () => {
    const demo = await start();
    const client = await asMaster(demo);
    const page = await client.get('/hmac-keys');
    expect(page.status).toBe(200);
    expectPage(page);
    for (const permission of ['Trading', 'Deposit', 'Withdraw']) {
      expect(page.text).toContain(`value="${permission}"><label for="permission-${permission.toLowerCase()}">${permission}</label>`);
    }
    expect(page.text).toContain('<label for="allowed-ips">Allowed IPs (optional, comma-separated)</label>');
    expect(page.text).toContain('<button type="submit">Create API key</button>');
    expect(page.text).not.toContain('<dialog');

    const created = await client.post('/hmac-keys', { permissions: ['Trading', 'Withdraw'], allowed_ips: '127.0.0.1, 10.0.0.0/8', csrf: csrfOf(page.text) });
    expect(created.status).toBe(200);
    expectPage(created);
    expect(created.text).toMatch(/<dialog open class="once" role="dialog" aria-labelledby="new-key-title"/);
    expect(created.text).toContain('<h2 id="new-key-title"');
    const apiKey = testId(created.text, 'hmac-api-key');
    const apiSecret = testId(created.text, 'hmac-api-secret');
    const nonce = testId(created.text, 'hmac-nonce');
    const userId = testId(created.text, 'hmac-user-id');
    expect(apiKey).toMatch(/^[0-9a-f]{32}$/);
    expect(apiSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(nonce).toMatch(/^[0-9]{12}$/);
    expect(userId).toBe('1');

    // Export to JSON: exportHmacKeyJson's content as a data: URL download.
    const exported = /<a class="button secondary" download="api-key\.json" href="data:application\/json;charset=utf-8,([^"]+)"[^>]*>Export to JSON<\/a>/.exec(created.text);
    expect(exported).not.toBeNull();
    const json = decodeURIComponent((exported?.[1] as string).replace(/&#39;/g, "'"));
    expect(json).toBe(exportHmacKeyJson({ APIKey: apiKey, APISecret: apiSecret, Nonce: nonce, UserId: userId, Permissions: ['Trading', 'Withdraw'], AllowedIps: ['127.0.0.1', '10.0.0.0/8'] }));

    // Close only after "I have stored these".
    expect(created.text).toContain('<input type="checkbox" id="stored-confirm" required><label for="stored-confirm">I have stored these</label>');
    expect(created.text).toContain('<button type="submit" id="dialog-close" disabled>Close</button>');

    // Try it: the openssl line with the values, the AuthenticateUser and GetUserInfo calls.
    expect(created.text).toContain(`NONCE=&#39;${nonce}&#39;`);
    expect(created.text).toContain(`SECRET=&#39;${apiSecret}&#39;`);
    expect(created.text).toContain('printf %s &quot;$NONCE$USERID$APIKEY&quot; | openssl dgst -sha256 -hmac &quot;$SECRET&quot;');
    expect(created.text).toContain(
      `curl -X POST ${client.origin}/AuthenticateUser -H &quot;APIKey: ${apiKey}&quot; -H &quot;Signature: $SIGNATURE&quot; -H &quot;UserId: ${userId}&quot; -H &quot;Nonce: ${nonce}&quot;`,
    );
    expect(created.text).toContain(`curl -X POST ${client.origin}/GetUserInfo -H &quot;aptoken: $APTOKEN&quot;`);
    const signature = computeAuthenticateUserSignature(apiSecret, { apiKey, userId, nonce });
    expect(testId(created.text, 'hmac-signature')).toBe(signature);

    // Under the `issued` policy the nonce shown is the one to use.
    const authenticated = await client.send('POST', '/AuthenticateUser', { noCookies: true, origin: null, headers: { APIKey: apiKey, Signature: signature, UserId: userId, Nonce: nonce } });
    expect(authenticated.status).toBe(200);
    const token = JSON.parse(authenticated.text).SessionToken as string;
    const info = await client.send('POST', '/GetUserInfo', { noCookies: true, origin: null, headers: { aptoken: token } });
    expect(info.status).toBe(200);
    expect(JSON.parse(info.text)).toMatchObject({ UserId: 1, UserName: 'demo' });

    // The listing: permissions, created, delete; never the secret nor the whole API key.
    const listed = await client.get('/hmac-keys');
    expect(listed.text).toContain('<th scope="col">Permissions</th>');
    expect(listed.text).toContain('<th scope="col">Created</th>');
    expect(listed.text).toContain('<th scope="col">Delete</th>');
    expect(listed.text).toContain('<td>Trading, Withdraw</td>');
    expect(listed.text).toContain('<td>127.0.0.1, 10.0.0.0/8</td>');
    for (const path of ['/hmac-keys', '/keys', '/']) {
      const text = (await client.get(path)).text;
      expect(text, path).not.toContain(apiSecret);
      expect(text, path).not.toContain(apiKey);
      expect(text, path).not.toContain('<dialog');
    }

    const [id] = deleteIds(listed.text, 'hmac-keys');
    const confirm = await client.get(`/hmac-keys/${encodeURIComponent(id as string)}/delete`);
    expect(confirm.text).toContain(`<h1>Delete API key ${apiKey.slice(0, 4)}…?</h1>`);
    expect(confirm.text).not.toContain(apiSecret);
    const deleted = await client.post(`/hmac-keys/${encodeURIComponent(id as string)}/delete`, { csrf: csrfOf(confirm.text) });
    expect(deleted.status).toBe(303);
    expect(deleted.headers['location']).toBe('/hmac-keys?deleted=1');
    expect((await client.send('POST', '/GetUserInfo', { noCookies: true, origin: null, headers: { aptoken: token } })).status).toBe(401);
    expect(
      (await client.send('POST', '/AuthenticateUser', { noCookies: true, origin: null, headers: { APIKey: apiKey, Signature: signature, UserId: userId, Nonce: nonce } })).status,
    ).toBe(401);
  });

  it('a sub-user has keys of their own; the panel administrator is refused', async () => {
    const demo = await start();
    const sub = await asSub(demo);
    const created = await sub.post('/hmac-keys', { csrf: await sub.csrf('/hmac-keys') });
    expect(created.status).toBe(200);
    expect(testId(created.text, 'hmac-user-id')).toBe('2');
    expect(created.text).toContain('<dt>Permissions</dt><dd>None</dd>');
    const master = await asMaster(demo);
    expect((await master.get('/hmac-keys')).text).toContain('No API keys yet.');

    const panel = await asPanel(demo);
    const page = await panel.get('/hmac-keys');
    expect(page.status).toBe(403);
    expect(page.text).toContain('The panel administrator has no HMAC API keys');
    expect((await panel.post('/hmac-keys', { permissions: 'Trading', csrf: csrfOf(page.text) })).status).toBe(403);
    // Another user's key cannot be deleted.
    const [subKey] = deleteIds((await sub.get('/hmac-keys')).text, 'hmac-keys');
    expect((await master.get(`/hmac-keys/${encodeURIComponent(subKey as string)}/delete`)).status).toBe(404);
    expect((await master.post(`/hmac-keys/${encodeURIComponent(subKey as string)}/delete`, { csrf: await master.csrf() })).status).toBe(404);
    expect(deleteIds((await sub.get('/hmac-keys')).text, 'hmac-keys')).toEqual([subKey]);
  });

  it('refuses a bad allowed-IP list or an unknown permission (400, nothing created)', async () => {
    const demo = await start();
    const client = await asMaster(demo);
    const token = await client.csrf('/hmac-keys');
    const badIps = await client.post('/hmac-keys', { permissions: 'Trading', allowed_ips: '127.0.0.1, not-an-ip', csrf: token });
    expect(badIps.status).toBe(400);
    expect(badIps.text).toContain('Enter IP addresses or CIDR ranges separated by commas');
    expect(badIps.text).toContain('value="127.0.0.1, not-an-ip"');
    const badPermission = await client.post('/hmac-keys', { permissions: ['Trading', 'Admin'], csrf: token });
    expect(badPermission.status).toBe(400);
    expect(badPermission.text).toContain('Choose permissions from Trading, Deposit, Withdraw.');
    expect((await client.get('/hmac-keys')).text).toContain('No API keys yet.');
  });
});

describe('web interface: landing page and assets', () => {
  it('GET / is the landing page with the API route list; GET /api is the plain-text list', async () => {
    const demo = await start();
    const client = new Client(demo);
    const landing = await client.get('/');
    expect(landing.status).toBe(200);
    expectPage(landing);
    expect(landing.text).toContain('<a class="button" href="/login">Sign in</a>');
    expect(landing.text).toContain('<summary>API routes</summary>');
    expect(landing.text).toContain('curl -b &quot;access_hash=&lt;hash&gt;&quot; -X GET');
    const text = await client.get('/api');
    expect(text.headers['content-type']).toMatch(/^text\/plain/);
    expect(text.text).toContain('/v2/user/auth');
    expect(text.text).toContain('/hmac-keys');
    const master = await asMaster(demo);
    expect((await master.get('/')).text).toContain('Signed in as <strong data-testid="signed-in-login">demo</strong>');
  });

  it('serves the stylesheet and the script as files, with the nav bar on every signed-in page', async () => {
    const demo = await start();
    const client = new Client(demo);
    const css = await client.get('/static/app.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.text).toContain(':focus-visible');
    expect(css.text).toContain('.table-wrap');
    const js = await client.get('/static/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.text).toContain('stored-confirm');

    const admin = await asPanel(demo);
    for (const path of ['/keys', '/access-hashes', '/hmac-keys']) {
      const page = await admin.get(path);
      expectPage(page);
      for (const [href, text] of [['/keys', 'API keys (NVX)'], ['/access-hashes', 'Access hashes'], ['/hmac-keys', 'API keys (HMAC)']] as const) {
        expect(page.text, path).toMatch(new RegExp(`<a href="${href}"( aria-current="page")?>${text.replace(/[()]/g, '\\$&')}</a>`));
      }
      expect(page.text, path).toContain(`<a href="${path}" aria-current="page">`);
      expect(page.text, path).toContain('<button type="submit">Sign out</button>');
      expect(page.text, path).toContain('data-testid="signed-in-login">admin</strong>');
    }
  });
});
