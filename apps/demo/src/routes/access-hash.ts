import { createAuthGuard, renderSuccess, type JsonValue } from '@gatehouse/auth-core';
import { ACCESS_HASH_KIND, accessHashCookie, createAccessHashManager, formatAccessHashDate, type AccessHashManager } from '@gatehouse/strategy-access-hash-cookie';
import type { Hono } from 'hono';
import type { DemoEnv } from '../app.js';
import type { DemoContext } from '../context.js';
import type { VpnAccount } from '../vpn-accounts.js';
import { WEB_SESSION_ROUTES, type WebSessions } from '../web-session.js';
import { API_V1_BASE_PATH, envelopeError, matchesRoute, readJsonObject, type ApiRoute } from './api-v1.js';
import { answer, guarded, onRequest, refuse, type DemoContextOf, type Reply } from './reply.js';

/**
 * The API of the PUQ VPN control panel (PUQVPNCP) documentation, "API Access Hashs" (revision 8, 2023-10-16), on the
 * demo:
 * - management of the access hashes (create / list / delete) by the panel administrator, authenticated by the
 *   demo's web session cookie only, never by an access hash;
 * - `system/status` and the `accounts` resource, authenticated by an `access_hash` cookie that is valid only from
 *   the one IP address it was created for.
 */

/** Every access-hash route (relative to {@link API_V1_BASE_PATH}), with what it needs, for the index page. */
export const ACCESS_HASH_ROUTES: readonly ApiRoute[] = [
  { methods: ['GET'], path: '/access-hashes', needs: "panel administrator's session cookie -> [{id,name,ip,created,last_login}]" },
  { methods: ['POST'], path: '/access-hashes', needs: 'session cookie (panel), JSON {"name","ip"} -> hash, shown once' },
  { methods: ['DELETE'], path: '/access-hashes/:id', needs: 'session cookie (panel)' },
  { methods: ['GET'], path: '/system/status', needs: 'Cookie access_hash=<hash> from its own IP' },
  { methods: ['GET'], path: '/accounts', needs: 'access_hash; lists the VPN accounts' },
  { methods: ['POST'], path: '/accounts', needs: 'access_hash, JSON {"username","enabled"?}' },
  { methods: ['GET'], path: '/accounts/:id', needs: 'access_hash' },
  { methods: ['PUT'], path: '/accounts/:id', needs: 'access_hash, JSON {"username"?,"enabled"?}' },
  { methods: ['DELETE'], path: '/accounts/:id', needs: 'access_hash' },
];

/** What `system/status` reports as the product version. */
const VERSION = '1.0';
/** The demo's licence runs for a year from start-up. */
const LICENSE_DAYS = 365;
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ACCOUNT_FIELDS = new Set(['username', 'enabled']);

const showAccount = (account: VpnAccount) => ({
  id: account.id,
  username: account.username,
  enabled: account.enabled,
  created: formatAccessHashDate(account.createdAt),
  updated: formatAccessHashDate(account.updatedAt),
});

/** A numeric id from the path, or `null` (answered 404 like an unknown id). */
function parseId(text: string | undefined): number | null {
  if (text === undefined || !/^[1-9][0-9]{0,14}$/.test(text)) return null;
  return Number(text);
}

/** Validates a VPN account body: only `username` and `enabled`, each of the right type. */
function readAccountFields(
  body: { readonly [key: string]: JsonValue },
  mode: 'create' | 'update',
): { ok: true; username?: string; enabled?: boolean } | { ok: false } {
  const keys = Object.keys(body);
  if (keys.some((key) => !ACCOUNT_FIELDS.has(key))) return { ok: false };
  const { username, enabled } = body;
  if (username !== undefined && (typeof username !== 'string' || !USERNAME.test(username))) return { ok: false };
  if (enabled !== undefined && typeof enabled !== 'boolean') return { ok: false };
  if (mode === 'create' && username === undefined) return { ok: false };
  if (mode === 'update' && username === undefined && enabled === undefined) return { ok: false };
  return {
    ok: true,
    ...(username === undefined ? {} : { username: username as string }),
    ...(enabled === undefined ? {} : { enabled: enabled as boolean }),
  };
}

const NOT_FOUND = envelopeError(404, 'Not found');
const USERNAME_TAKEN = envelopeError(409, 'Username already exists');

/**
 * Mounts the access-hash management routes (session cookie, panel administrator) and the routes protected by the
 * `access_hash` cookie, then answers every other `/api/v1` path with a 404 (or 405 for a known path) envelope.
 * Returns the one access-hash manager (for the web interface).
 */
export function mountAccessHashRoutes(app: Hono<DemoEnv>, context: DemoContext, sessions: WebSessions): { readonly manager: AccessHashManager } {
  const { clock } = context;
  // One strategy instance for every protected route: one failure throttle per client IP.
  const strategy = accessHashCookie({ store: context.credentials, clock, failureThrottle: { store: context.ephemeral, maxFailures: context.config.maxFailuresPerIp } });
  const guard = createAuthGuard(strategy);
  const manager = createAccessHashManager({ store: context.credentials, clock });
  const licenseUntil = clock.now() + LICENSE_DAYS * 86_400_000;
  const path = (route: string): string => `${API_V1_BASE_PATH}${route}`;

  /**
   * Management: the CSRF rule for writes, then the web session (an access hash is not looked at: alone it is
   * 401), then the panel role (others 403). The hashes belong to the panel administrator's account.
   */
  const managed = (handler: (c: DemoContextOf, ownerId: string) => Promise<Reply>) => {
    const asPanel = guarded(sessions.guard, async (c, auth) => {
      const account = context.accounts.findById(Number(auth.principal.id));
      if (account === null) return refuse(sessions.envelope, 'CREDENTIALS_INVALID');
      if (account.role !== 'panel' || auth.principal.attributes.role !== 'panel') return refuse(strategy, 'OPERATION_NOT_PERMITTED');
      return handler(c, String(account.id));
    });
    return answer(sessions.envelope, 'access hashes', async (c) => sessions.checkCsrf(c) ?? asPanel(c));
  };

  /** Protected: the `access_hash` cookie, from its own IP; every refusal in the strategy's envelope. */
  const protectedRoute = (handler: (c: DemoContextOf) => Promise<Reply>) =>
    answer(
      strategy,
      'access hash api',
      guarded(onRequest(guard), async (c, auth) => {
        if (auth.credential.kind !== ACCESS_HASH_KIND) return refuse(strategy, 'CREDENTIALS_NOT_ACCEPTED_HERE');
        // Defence in depth: hashes are issued to the panel administrator; one whose owner is no longer that is refused.
        if (context.accounts.findById(Number(auth.principal.id))?.role !== 'panel') return refuse(strategy, 'CREDENTIALS_NOT_ACCEPTED_HERE');
        return handler(c);
      }),
    );

  // --- management of the access hashes ----------------------------------------------------------------------
  app.get(
    path('/access-hashes'),
    managed(async (_c, ownerId) => {
      const listed = await manager.list(ownerId);
      if (!listed.ok) return refuse(strategy, listed.error);
      return renderSuccess(
        strategy,
        listed.value.map((row) => ({ id: row.id, name: row.name, ip: row.ip, created: row.created, last_login: row.lastLogin })),
      );
    }),
  );

  app.post(
    path('/access-hashes'),
    managed(async (c, ownerId) => {
      const read = await readJsonObject(c, strategy);
      if (!read.ok) return read.reply;
      const issued = await manager.issue(ownerId, { name: read.value['name'], ip: read.value['ip'] });
      if (!issued.ok) return refuse(strategy, issued.error);
      const { id, name, ip, hash, created } = issued.value;
      return renderSuccess(strategy, { id, name, ip, hash, created }, { httpStatus: 201 });
    }),
  );

  app.delete(
    path('/access-hashes/:id'),
    managed(async (c, ownerId) => {
      const id = c.req.param('id') ?? '';
      // A malformed id (over 100 characters) is PARAMETER_INVALID (400); an unknown one CREDENTIAL_NOT_FOUND (404).
      const revoked = await manager.revoke(ownerId, { id });
      if (!revoked.ok) return refuse(strategy, revoked.error);
      return renderSuccess(strategy, { id });
    }),
  );

  // --- protected by the access hash -----------------------------------------------------------------------
  app.get(
    path('/system/status'),
    protectedRoute(async () => {
      const counts = await context.vpnAccounts.counts();
      const now = clock.now();
      return renderSuccess(strategy, {
        count_accounts: counts.total,
        count_accounts_available: counts.enabled,
        count_wireguard: counts.enabled,
        license: formatAccessHashDate(licenseUntil),
        license_valid: now < licenseUntil,
        status: 'Running',
        version: VERSION,
      });
    }),
  );

  app.get(
    path('/accounts'),
    protectedRoute(async () => renderSuccess(strategy, (await context.vpnAccounts.list()).map(showAccount))),
  );

  app.post(
    path('/accounts'),
    protectedRoute(async (c) => {
      const read = await readJsonObject(c, strategy);
      if (!read.ok) return read.reply;
      const fields = readAccountFields(read.value, 'create');
      if (!fields.ok) return refuse(strategy, 'PARAMETER_INVALID');
      const written = await context.vpnAccounts.create({ username: fields.username as string, enabled: fields.enabled ?? true }, clock.now());
      if (written.type === 'username-taken') return USERNAME_TAKEN;
      if (written.type === 'not-found') return NOT_FOUND;
      return renderSuccess(strategy, showAccount(written.account), { httpStatus: 201 });
    }),
  );

  app.get(
    path('/accounts/:id'),
    protectedRoute(async (c) => {
      const id = parseId(c.req.param('id'));
      const account = id === null ? null : await context.vpnAccounts.findById(id);
      return account === null ? NOT_FOUND : renderSuccess(strategy, showAccount(account));
    }),
  );

  app.put(
    path('/accounts/:id'),
    protectedRoute(async (c) => {
      const id = parseId(c.req.param('id'));
      if (id === null) return NOT_FOUND;
      const read = await readJsonObject(c, strategy);
      if (!read.ok) return read.reply;
      const fields = readAccountFields(read.value, 'update');
      if (!fields.ok) return refuse(strategy, 'PARAMETER_INVALID');
      const patch = {
        ...(fields.username === undefined ? {} : { username: fields.username }),
        ...(fields.enabled === undefined ? {} : { enabled: fields.enabled }),
      };
      const written = await context.vpnAccounts.update(id, patch, clock.now());
      if (written.type === 'username-taken') return USERNAME_TAKEN;
      if (written.type === 'not-found') return NOT_FOUND;
      return renderSuccess(strategy, showAccount(written.account));
    }),
  );

  app.delete(
    path('/accounts/:id'),
    protectedRoute(async (c) => {
      const id = parseId(c.req.param('id'));
      if (id === null || !(await context.vpnAccounts.delete(id))) return NOT_FOUND;
      return renderSuccess(strategy, { id });
    }),
  );

  // --- everything else under /api/v1 --------------------------------------------------------------------------
  const known = [...WEB_SESSION_ROUTES, ...ACCESS_HASH_ROUTES].map((route) => ({ ...route, path: path(route.path) }));
  const unknown = answer(strategy, 'api', async (c) => {
    const methods = [...new Set(known.filter((route) => matchesRoute(route.path, c.req.path)).flatMap((route) => route.methods))];
    if (methods.length === 0) return NOT_FOUND;
    if (methods.includes('GET')) methods.push('HEAD');
    return { ...envelopeError(405, 'Method not allowed'), headers: { ...NOT_FOUND.headers, allow: methods.join(', ') } };
  });
  app.all(API_V1_BASE_PATH, unknown);
  app.all(`${API_V1_BASE_PATH}/*`, unknown);
  return { manager };
}
