// End-to-end: the demo's web interface in Debian's headless Chromium (driven by playwright-core, never a
// downloaded browser), against the demo started on a free port with a fresh database. Each credential created
// on a page is read from the page, used with a real HTTP request, deleted on the page, and refused afterwards.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type RunningDemo } from '../server.js';

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const screenshots = join(repositoryRoot, '.artifacts', 'screenshots');
const chromiumPath = process.env['CHROMIUM_PATH'] || '/usr/bin/chromium';

let demo: RunningDemo;
let browser: Browser;
let directory: string;
const secretsShown: string[] = [];

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  directory = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
  demo = await startDemo({ PORT: '0', GATEHOUSE_DB: join(directory, 'demo.db'), GATEHOUSE_PASSWORD_COST: '10' }, { log: () => undefined });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  rmSync(directory, { recursive: true, force: true });
});

async function signIn(login: string, password: string, viewport = { width: 1100, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${demo.url}/login`);
  await page.getByLabel('Login').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/keys$/);
  return { context, page };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

/** A real HTTP request from the test (not the browser). */
async function api(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${demo.url}${path}`, init);
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

async function confirmDelete(page: Page, rowText: string): Promise<void> {
  await page.getByRole('row').filter({ hasText: rowText }).getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Delete' }).click();
}

describe('the demo web interface in headless Chromium', () => {
  it('refuses wrong credentials without saying which field was wrong', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${demo.url}/login`);
    await shot(page, '01-login');
    await page.getByLabel('Login').fill('demo');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.textContent('body')).toContain('Wrong login or password.');
    await shot(page, '02-login-failed');
    await context.close();
  }, 60_000);

  it('creates an NVX API key, which works on tracker/list until it is deleted on the page', async () => {
    const { context, page } = await signIn('demo', 'demo-password');
    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.getByLabel('Title').fill('Browser Key');
    await page.getByRole('button', { name: 'Save' }).click();
    const hash = (await page.getByRole('row').filter({ hasText: 'Browser Key' }).innerText()).match(/[0-9a-f]{32}/)?.[0];
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    expect(await page.textContent('body')).toContain(`Authorization: NVX ${hash}`);
    await shot(page, '03-nvx-created');
    expect((await api('/v2/tracker/list', { headers: { authorization: `NVX ${hash}` } })).body).toMatchObject({ success: true });

    await confirmDelete(page, 'Browser Key');
    await expect.poll(() => page.getByRole('row').filter({ hasText: 'Browser Key' }).count()).toBe(0);
    await shot(page, '04-nvx-deleted');
    expect(await api('/v2/tracker/list', { headers: { authorization: `NVX ${hash}` } })).toMatchObject({ status: 400, body: { success: false, status: { code: 3 } } });
    await context.close();
  }, 60_000);

  it('tells a sub-user that sub-users have no API keys', async () => {
    const { context, page } = await signIn('demo-sub', 'demo-password');
    expect(await page.textContent('body')).toContain('Sub-users have no API keys.');
    await shot(page, '05-nvx-sub-user');
    await context.close();
  }, 60_000);

  it('creates an access hash shown once, which works on system/status until it is deleted', async () => {
    const { context, page } = await signIn('admin', 'admin-password');
    await page.goto(`${demo.url}/access-hashes`);
    expect(await page.getByLabel('IP').inputValue()).toBe('127.0.0.1');
    await page.getByLabel('Name').fill('browser-hash');
    await page.getByRole('button', { name: 'Create' }).click();
    expect(await page.textContent('body')).toContain('Everything went well. Please save the hash. It has only been shown once.');
    const hash = (await page.getByTestId('new-secret').innerText()).trim();
    expect(hash).toMatch(/^[0-9a-f]{80}$/);
    secretsShown.push(hash);
    await shot(page, '06-access-hash-created');
    expect(await api('/api/v1/system/status', { headers: { cookie: `access_hash=${hash}` } })).toMatchObject({ status: 200, body: { status: 'success' } });

    await page.goto(`${demo.url}/access-hashes`);
    expect(await page.content()).not.toContain(hash);
    await confirmDelete(page, 'browser-hash');
    await expect.poll(() => page.getByRole('row').filter({ hasText: 'browser-hash' }).count()).toBe(0);
    await shot(page, '07-access-hash-deleted');
    expect((await api('/api/v1/system/status', { headers: { cookie: `access_hash=${hash}` } })).status).toBe(401);
    await context.close();
  }, 60_000);

  it('creates an HMAC key shown once in a dialog, which signs AuthenticateUser and reaches GetUserInfo until deleted', async () => {
    const { context, page } = await signIn('demo', 'demo-password');
    await page.goto(`${demo.url}/hmac-keys`);
    await page.getByLabel('Trading').check();
    await page.getByRole('button', { name: 'Create API key' }).click();
    const dialog = page.getByRole('dialog');
    const apiKey = (await dialog.getByTestId('hmac-api-key').innerText()).trim();
    const apiSecret = (await dialog.getByTestId('hmac-api-secret').innerText()).trim();
    const nonce = (await dialog.getByTestId('hmac-nonce').innerText()).trim();
    const userId = (await dialog.getByTestId('hmac-user-id').innerText()).trim();
    secretsShown.push(apiSecret);
    expect(await dialog.getByRole('button', { name: 'Close' }).isDisabled()).toBe(true);
    const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('link', { name: 'Export to JSON' }).click()]);
    expect(download.suggestedFilename()).toBe('api-key.json');
    expect(await dialog.textContent()).toContain('openssl dgst -sha256 -hmac');
    await shot(page, '08-hmac-created');

    // The signature as the page's "try it" box computes it: openssl over Nonce + UserId + APIKey.
    const signature = execFileSync('openssl', ['dgst', '-sha256', '-hmac', apiSecret], { input: `${nonce}${userId}${apiKey}`, encoding: 'utf8' }).trim().split(/\s+/).at(-1) as string;
    const authenticated = await api('/AuthenticateUser', { method: 'POST', headers: { APIKey: apiKey, Signature: signature, UserId: userId, Nonce: nonce } });
    expect(authenticated).toMatchObject({ status: 200, body: { Authenticated: true } });
    const token = (authenticated.body as { SessionToken: string }).SessionToken;
    expect(await api('/ap/GetUserInfo', { method: 'POST', headers: { aptoken: token } })).toMatchObject({ status: 200 });

    await dialog.getByLabel('I have stored these').check();
    await dialog.getByRole('button', { name: 'Close' }).click();
    expect(await page.content()).not.toContain(apiSecret);
    await confirmDelete(page, 'Trading');
    await shot(page, '09-hmac-deleted');
    expect((await api('/ap/GetUserInfo', { method: 'POST', headers: { aptoken: token } })).status).toBe(401);
    expect((await api('/AuthenticateUser', { method: 'POST', headers: { APIKey: apiKey, Signature: signature, UserId: userId, Nonce: nonce } })).status).toBe(401);
    await context.close();
  }, 60_000);

  it('never shows a secret again on any page or listing after its creation page', async () => {
    expect(secretsShown.length).toBeGreaterThanOrEqual(2);
    for (const [login, password] of [['admin', 'admin-password'], ['demo', 'demo-password']] as const) {
      const { context, page } = await signIn(login, password);
      for (const path of ['/keys', '/access-hashes', '/hmac-keys']) {
        await page.goto(`${demo.url}${path}`);
        const html = await page.content();
        for (const secret of secretsShown) expect(html).not.toContain(secret);
      }
      await context.close();
    }
    const listed = JSON.stringify((await api('/api/v1/access-hashes')).body);
    for (const secret of secretsShown) expect(listed).not.toContain(secret);
  }, 60_000);

  it('works at phone width and with the keyboard alone', async () => {
    const { context, page } = await signIn('demo', 'demo-password', { width: 375, height: 800 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await shot(page, '10-phone-width');
    await page.goto(`${demo.url}/login`);
    await context.clearCookies();
    await page.goto(`${demo.url}/login`);
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
    expect(focused.length).toBeGreaterThan(0);
    await context.close();
  }, 60_000);
});
