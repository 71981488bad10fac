import { AuthError, describeRouteKit, renderSuccess, toFetchResponse, type Principal, type RouteKit } from '@gatehouse/auth-core';
import { authenticate, errorBridge, notFound, routeKit, type AuthEnv } from '@gatehouse/hono';
import {
  ACCESS_HASH_KIND,
  accessHashCookie,
  createAccessHashManager,
  createAccessHashRoutes,
  formatAccessHashDate,
  type AccessHashManager,
} from '@gatehouse/strategy-access-hash-cookie';
import { Hono, type MiddlewareHandler } from 'hono';
import { getContext } from 'hono/context-storage';
import type { DemoEnv } from '../app.js';
import type { DemoContext } from '../context.js';
import { PUQ_ACCESS_HASHES } from '../sources.js';
import { PANEL_LICENSE_DAYS, PANEL_VERSION } from '../demo-data.js';
import { parseVpnAccountId, readVpnAccountFields, showVpnAccount, type VpnAccountWrite } from '../vpn-accounts.js';
import { mountWebSessionRoutes, WEB_SESSION_ROUTES, type WebSessions } from '../web-session.js';
import { API_V1_BASE_PATH, envelopeError, matchesRoute, readJsonObject } from './api-v1.js';
import { describeRoutes, limitBodies, methodNotAllowed, refuse, type DemoContextOf, type DemoRoute, type GatehouseMountOptions, type Reply } from './common.js';

/**
 * `/api/v1`, the API of the PUQ VPN control panel (PUQVPNCP) documentation, "API Access Hashs" (revision 8,
 * 2023-10-16), wired from @gatehouse/strategy-access-hash-cookie and @gatehouse/hono:
 * - the package's route kit manages the access hashes, for the panel administrator signed in with the demo's web
 *   session cookie (`authorize` below), never for an access hash;
 * - the demo's own resources, `system/status` and the VPN `accounts`, sit behind `authenticate(accessHash)`: an
 *   `access_hash` cookie valid only from the one IP address it was created for;
 * - the demo's session routes (`auth/...`, web-session.ts); any other path is a 404 or 405 envelope, and errors
 *   (a body over 64 KiB, a failing store) answer in the envelope through the error bridge.
 */

/** The demo's own resources below {@link API_V1_BASE_PATH}, each behind the access hash. */
export const PANEL_RESOURCES: readonly DemoRoute[] = [
  { methods: ['GET'], path: '/system/status', summary: 'Cookie access_hash=<hash> from its own IP' },
  { methods: ['GET', 'POST'], path: '/accounts', summary: 'access_hash; the VPN accounts; POST JSON {"username","enabled"?}' },
  { methods: ['GET', 'PUT', 'DELETE'], path: '/accounts/:id', summary: 'access_hash; PUT JSON {"username"?,"enabled"?}' },
];

const NOT_FOUND = envelopeError(404, 'Not found');
const USERNAME_TAKEN = envelopeError(409, 'Username already exists');

/**
 * Mounts `/api/v1` on the app; returns the access-hash manager (for the web interface) and the route index lines.
 */
export function mountPanelApi(
  app: Hono<DemoEnv>,
  context: DemoContext,
  sessions: WebSessions,
  gatehouse: GatehouseMountOptions,
): { readonly manager: AccessHashManager; readonly kit: RouteKit; readonly indexLines: readonly string[] } {
  const { clock, accounts, vpnAccounts } = context;
  // One strategy instance for every protected route: one failure throttle per client IP.
  const strategy = accessHashCookie({ store: context.credentials, clock, failureThrottle: { store: context.ephemeral, maxFailures: context.config.maxFailuresPerIp } });
  const manager = createAccessHashManager({ store: context.credentials, clock });

  /**
   * Who manages access hashes: the CSRF rule for writes, then the web session (an access hash alone is 401 "Login
   * required"), then the panel role (others 403). The hashes belong to the panel administrator's account.
   */
  const authorize = async (): Promise<string | AuthError | Reply> => {
    // The session check needs the Hono context (is the request https?), which `hono/context-storage` keeps.
    const c = getContext<DemoEnv>();
    const csrf = sessions.checkCsrf(c);
    if (csrf !== null) return csrf;
    const decision = await sessions.guard(c);
    if (decision.type === 'refused') return decision.reply;
    const caller = decision.auth;
    const account = caller === null ? null : await accounts.findById(Number(caller.principal.id));
    if (caller === null || account === null) return refuse(sessions.envelope, 'CREDENTIALS_INVALID');
    if (account.role !== 'panel' || caller.principal.attributes.role !== 'panel') return new AuthError('OPERATION_NOT_PERMITTED');
    return String(account.id);
  };
  const kit = createAccessHashRoutes({ manager, basePath: `${API_V1_BASE_PATH}/access-hashes`, authorize });

  const api = new Hono<DemoEnv>();
  const bridge = errorBridge(strategy);
  api.onError(bridge);
  api.use(limitBodies(bridge.bodyLimitError));
  api.use(routeKit(kit, gatehouse));
  mountWebSessionRoutes(api, context, sessions);

  // Defence in depth: the strategy finds access hashes only, and they are issued to the panel administrator; a
  // hash whose owner is no longer that is refused.
  const panelHash: MiddlewareHandler<DemoEnv & AuthEnv<Principal>> = async (c, next) => {
    const { credential, principal } = c.get('auth');
    if (credential.kind !== ACCESS_HASH_KIND || (await accounts.findById(Number(principal.id)))?.role !== 'panel') {
      return toFetchResponse(refuse(strategy, 'CREDENTIALS_NOT_ACCEPTED_HERE'));
    }
    await next();
  };
  const guard = authenticate(strategy, gatehouse);
  const send = (reply: Reply): Response => toFetchResponse(reply);
  const written = (write: VpnAccountWrite, httpStatus = 200): Response => {
    if (write.type === 'username-taken') return send(USERNAME_TAKEN);
    if (write.type === 'not-found') return send(NOT_FOUND);
    return send(renderSuccess(strategy, showVpnAccount(write.account), { httpStatus }));
  };
  const licenseUntil = clock.now() + PANEL_LICENSE_DAYS * 86_400_000;

  api.get('/system/status', guard, panelHash, async () => {
    const counts = await vpnAccounts.counts();
    return send(
      renderSuccess(strategy, {
        count_accounts: counts.total,
        count_accounts_available: counts.enabled,
        count_wireguard: counts.enabled,
        license: formatAccessHashDate(licenseUntil),
        license_valid: clock.now() < licenseUntil,
        status: 'Running',
        version: PANEL_VERSION,
      }),
    );
  });

  api.get('/accounts', guard, panelHash, async () => send(renderSuccess(strategy, (await vpnAccounts.list()).map(showVpnAccount))));

  api.post('/accounts', guard, panelHash, async (c) => {
    const read = await readJsonObject(c.get('request'), strategy);
    if (!read.ok) return send(read.reply);
    const fields = readVpnAccountFields(read.value, 'create');
    if (fields === null) return send(refuse(strategy, 'PARAMETER_INVALID'));
    return written(await vpnAccounts.create({ username: fields.username as string, enabled: fields.enabled ?? true }, clock.now()), 201);
  });

  api.get('/accounts/:id', guard, panelHash, async (c) => {
    const id = parseVpnAccountId(c.req.param('id'));
    const account = id === null ? null : await vpnAccounts.findById(id);
    return send(account === null ? NOT_FOUND : renderSuccess(strategy, showVpnAccount(account)));
  });

  api.put('/accounts/:id', guard, panelHash, async (c) => {
    const id = parseVpnAccountId(c.req.param('id'));
    if (id === null) return send(NOT_FOUND);
    const read = await readJsonObject(c.get('request'), strategy);
    if (!read.ok) return send(read.reply);
    const fields = readVpnAccountFields(read.value, 'update');
    if (fields === null) return send(refuse(strategy, 'PARAMETER_INVALID'));
    return written(await vpnAccounts.update(id, fields, clock.now()));
  });

  api.delete('/accounts/:id', guard, panelHash, async (c) => {
    const id = parseVpnAccountId(c.req.param('id'));
    if (id === null || !(await vpnAccounts.delete(id))) return send(NOT_FOUND);
    return send(renderSuccess(strategy, { id }));
  });

  // Everything else under /api/v1 (the kit answers another method on its own paths): 405 with Allow for a known
  // path, else 404, both in the envelope.
  const known = [...WEB_SESSION_ROUTES, ...PANEL_RESOURCES].map((route) => ({ ...route, path: `${API_V1_BASE_PATH}${route.path}` }));
  const unknownPath = notFound(strategy);
  api.all('*', (c: DemoContextOf) => {
    const methods = [...new Set(known.filter((route) => matchesRoute(route.path, c.req.path)).flatMap((route) => route.methods))];
    return methods.length === 0 ? unknownPath(c) : methodNotAllowed(strategy, methods)(c);
  });
  app.route(API_V1_BASE_PATH, api);

  return {
    manager,
    kit,
    indexLines: [
      'Demo login session (JSON bodies; the session cookie is HttpOnly, SameSite=Strict, and Secure with the __Host- prefix over https;',
      "writes need Content-Type: application/json and, when an Origin is sent, this server's own origin):",
      ...describeRoutes(API_V1_BASE_PATH, WEB_SESSION_ROUTES).map((line) => `  ${line}`),
      '',
      `PUQ VPN panel API (${PUQ_ACCESS_HASHES}):`,
      '  every reply is {"error":"","msg":...,"status":"success"} or {"error":"<text>","msg":"","status":"error"}.',
      'Access hashes are managed by the panel administrator (admin) with the session cookie ("authorize" below; writes need the',
      'CSRF rule above); each hash works only from its own IP,',
      'sent as Cookie access_hash=<hash>, e.g.  curl -b "access_hash=<hash>" -X GET http://<host>:<port>/api/v1/system/status',
      ...[...describeRouteKit(kit), ...describeRoutes(API_V1_BASE_PATH, PANEL_RESOURCES)].map((line) => `  ${line}`),
    ],
  };
}
