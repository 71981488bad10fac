import { AuthError, describeRouteKit, isJsonObject, renderSuccess, toFetchResponse, type AuthRequest, type RouteKit } from '@gatehouse/auth-core';
import { authenticate, errorBridge, notFound, routeKit } from '@gatehouse/hono';
import { createNvxHashManager, createNvxRoutes, nvxHash, type NvxHashManager } from '@gatehouse/strategy-nvx-hash';
import { Hono } from 'hono';
import type { DemoEnv } from '../app.js';
import type { DemoContext } from '../context.js';
import { DEMO_RETRANSLATORS, DEMO_TARIFFS, DEMO_TRACKERS } from '../demo-data.js';
import { NAVIXY_AUTHENTICATION, NAVIXY_ERRORS, NAVIXY_HASH_KINDS } from '../sources.js';
import { describeRoutes, limitBodies, methodNotAllowed, refuse, type DemoRoute, type GatehouseMountOptions } from './common.js';

/**
 * The Navixy API at `/v2` (Navixy API docs, "Authentication": https://www.navixy.com/docs/navixy-api/user-api/authentication),
 * wired from @gatehouse/strategy-nvx-hash and @gatehouse/hono: the package's route kit serves the session and
 * API-key routes, the demo's own resources sit behind `authenticate(nvx)`, every other `/v2` path is HTTP 404 with
 * Navixy code 5 (`notFound`), and errors answer in Navixy's envelope through the error bridge (a body over 64 KiB:
 * code 9, HTTP 412; Navixy API docs, "Errors": https://www.navixy.com/docs/navixy-api/user-api/backend-api/errors).
 */
export const NVX_BASE_PATH = '/v2';

/** The demo's own resources (below {@link NVX_BASE_PATH}, GET and POST), with who may call them and their data. */
const NVX_RESOURCES: readonly (DemoRoute & { readonly area: 'user' | 'panel'; readonly list: readonly unknown[] })[] = [
  { methods: ['GET', 'POST'], path: '/tracker/list', summary: 'API key', area: 'user', list: DEMO_TRACKERS },
  { methods: ['GET', 'POST'], path: '/retranslator/list', summary: 'API key', area: 'user', list: DEMO_RETRANSLATORS },
  { methods: ['GET', 'POST'], path: '/panel/tariff/list', summary: 'panel hash', area: 'panel', list: DEMO_TARIFFS },
];

/**
 * Parameters may come in a form or a JSON object body, as on Navixy: a body that is none of these (or too large)
 * is refused in the envelope by the error bridge (code 5, code 9), also on routes that take no parameters.
 */
async function requireParameterBody(request: AuthRequest): Promise<void> {
  const body = await request.body();
  if (body.type === 'too-large') throw new AuthError('REQUEST_TOO_LARGE');
  if (body.type === 'malformed' || body.type === 'unsupported' || (body.type === 'json' && !isJsonObject(body.value))) throw new AuthError('REQUEST_MALFORMED');
  if (body.type === 'unavailable') throw new Error('nvx resources: the request body was consumed before the route');
}

/** Mounts `/v2` on the app; returns the manager (for the web interface) and the route index lines. */
export function mountNvxApi(
  app: Hono<DemoEnv>,
  context: DemoContext,
  gatehouse: GatehouseMountOptions,
): { readonly manager: NvxHashManager; readonly kit: RouteKit; readonly indexLines: readonly string[] } {
  const { credentials: store, clock, accounts } = context;
  const strategy = nvxHash({
    store,
    basePath: NVX_BASE_PATH,
    allowQueryHash: true,
    clock,
    failureThrottle: { store: context.ephemeral, maxFailures: context.config.maxFailuresPerIp },
  });
  const manager = createNvxHashManager({ store, listing: { mode: 'revealable', sealer: context.sealer }, clock });
  const kit = createNvxRoutes({
    strategy,
    manager,
    basePath: NVX_BASE_PATH,
    // Wrong login, wrong password and an account of the other kind: code 4 alike, byte for byte.
    verifyLogin: async (login, password) => {
      const account = await accounts.verifyLogin(login, password);
      return account !== null && (account.role === 'master' || account.role === 'sub') ? { id: String(account.id), accountType: account.role } : null;
    },
    verifyPanelLogin: async (login, password) => {
      const account = await accounts.verifyLogin(login, password);
      return account?.role === 'panel' ? { id: String(account.id) } : null;
    },
    loginThrottle: context.loginThrottle,
  });

  context.notices.push(
    `NVX: query hashes are enabled (/v2/...?hash=<hash>), as ${NAVIXY_AUTHENTICATION} allows for testing only: URLs end up in logs.`,
    'NVX: the API key listing is revealable (api/key/list shows full hashes, Navixy parity); keys are stored sealed under the key-encryption key.',
  );

  const v2 = new Hono<DemoEnv>();
  const bridge = errorBridge(strategy);
  v2.onError(bridge);
  v2.use(limitBodies(bridge.bodyLimitError));
  v2.use(routeKit(kit, gatehouse));
  const guard = authenticate(strategy, gatehouse);
  for (const resource of NVX_RESOURCES) {
    v2.on(['GET', 'POST'], resource.path, guard, async (c) => {
      // Defence in depth: the strategy already refuses a hash of the wrong kind for the path with code 11.
      if ((c.get('auth').credential.kind === 'panel-session') !== (resource.area === 'panel')) {
        return toFetchResponse(refuse(strategy, 'CREDENTIALS_NOT_ACCEPTED_HERE'));
      }
      await requireParameterBody(c.get('request'));
      return toFetchResponse(renderSuccess(strategy, { list: resource.list }));
    });
    v2.all(resource.path, methodNotAllowed(strategy, resource.methods));
  }
  v2.all('*', notFound(strategy));
  app.route(NVX_BASE_PATH, v2);

  return {
    manager,
    kit,
    indexLines: [
      `Navixy hash API (${NAVIXY_AUTHENTICATION}; ${NAVIXY_HASH_KINDS}; ${NAVIXY_ERRORS}):`,
      'GET or POST; parameters in the query, a form or a JSON body; hash in Authorization: NVX <hash>, body field hash or query hash.',
      ...[...describeRouteKit(kit), ...describeRoutes(NVX_BASE_PATH, NVX_RESOURCES)].map((line) => `  ${line}`),
    ],
  };
}
