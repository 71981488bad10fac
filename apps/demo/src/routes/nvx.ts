import { createAuthGuard, isJsonObject, renderSuccess, toFetchResponse, type AuthContext, type AuthStrategy, type ManageResult } from '@gatehouse/auth-core';
import {
  createNvxHashManager,
  formatNvxDate,
  nvxHash,
  renderNvxStatus,
  type NvxApiKeyListing,
  type NvxHashManager,
  type NvxPrincipal,
  type NvxSession,
  type NvxStatusCode,
} from '@gatehouse/strategy-nvx-hash';
import type { Hono } from 'hono';
import type { DemoEnv } from '../app.js';
import type { DemoContext } from '../context.js';
import { createLoginThrottle } from '../login-throttle.js';
import { NAVIXY_AUTHENTICATION } from '../sources.js';
import { answer, guarded, onRequest, refuse, type DemoContextOf, type Reply, type RouteHandler } from './reply.js';

/** The Navixy API's base path. */
export const NVX_BASE_PATH = '/v2';

/** Every Navixy route of the demo (relative to {@link NVX_BASE_PATH}), with what it needs, for the index page. */
export const NVX_ROUTES: readonly { readonly path: string; readonly needs: string }[] = [
  { path: '/user/auth', needs: 'login, password (master or sub-user) -> session hash' },
  { path: '/user/session/renew', needs: 'user session hash' },
  { path: '/user/logout', needs: 'user session hash' },
  { path: '/api/key/create', needs: "master user's session hash, title -> API key" },
  { path: '/api/key/list', needs: "master user's session hash" },
  { path: '/api/key/delete', needs: "master user's session hash, key_hash" },
  { path: '/tracker/list', needs: 'API key' },
  { path: '/retranslator/list', needs: 'API key' },
  { path: '/panel/account/auth', needs: 'login, password (panel administrator) -> panel hash' },
  { path: '/panel/tariff/list', needs: 'panel hash' },
];

const fail = (code: NvxStatusCode): Reply => renderNvxStatus(code);

/** A parameter that was sent twice with different values, or as a JSON value that is not a string. */
const INVALID = Symbol('invalid parameter');
type ParamValue = string | undefined | typeof INVALID;

/** The request's parameters: query, urlencoded form body and JSON body together. */
interface Params {
  get(name: string): ParamValue;
}

/**
 * Reads the parameters of a request from the query and the (cached) body. A name given in several places must
 * have one value everywhere; a JSON value must be a string.
 */
async function readParams(c: DemoContextOf, strategy: AuthStrategy<NvxPrincipal>): Promise<{ ok: true; params: Params } | { ok: false; reply: Reply }> {
  const request = c.get('auth');
  const body = await request.body();
  switch (body.type) {
    case 'too-large':
      return { ok: false, reply: refuse(strategy, 'REQUEST_TOO_LARGE') };
    case 'malformed':
    case 'unsupported':
      return { ok: false, reply: refuse(strategy, 'REQUEST_MALFORMED') };
    case 'json':
      if (!isJsonObject(body.value)) return { ok: false, reply: refuse(strategy, 'REQUEST_MALFORMED') };
      break;
    default:
      break;
  }
  const get = (name: string): ParamValue => {
    const values: unknown[] = [...request.queryValues(name)];
    if (body.type === 'form') values.push(...(body.fields.get(name) ?? []));
    if (body.type === 'json' && isJsonObject(body.value) && Object.prototype.hasOwnProperty.call(body.value, name)) {
      values.push(body.value[name]);
    }
    if (values.length === 0) return undefined;
    const first = values[0];
    if (typeof first !== 'string' || values.some((value) => value !== first)) return INVALID;
    return first;
  };
  return { ok: true, params: { get } };
}

/**
 * Mounts the Navixy routes (`/v2/...`, GET and POST) on the demo app: one `nvxHash` strategy, one manager (returned,
 * for the web interface).
 *
 * Unknown paths under `/v2` answer HTTP 404 with Navixy code 5 ("Wrong request format"), and a known path with
 * another method than GET or POST answers HTTP 405 with code 5: Navixy has no code for "no such resource",
 * and 5 is what a client gets for a request it must change.
 */
export function mountNvxRoutes(app: Hono<DemoEnv>, context: DemoContext): { readonly manager: NvxHashManager } {
  const store = context.credentials;
  const clock = context.clock;
  const strategy = nvxHash({
    store,
    basePath: NVX_BASE_PATH,
    allowQueryHash: true,
    clock,
    failureThrottle: { store: context.ephemeral, maxFailures: context.config.maxFailuresPerIp },
  });
  const manager = createNvxHashManager({ store, listing: { mode: 'revealable', sealer: context.sealer }, clock });
  const guard = onRequest(createAuthGuard(strategy));

  context.notices.push(
    `NVX: query hashes are enabled (/v2/...?hash=<hash>), as ${NAVIXY_AUTHENTICATION} allows for testing only: URLs end up in logs.`,
    'NVX: the API key listing is revealable (api/key/list shows full hashes, Navixy parity); keys are stored sealed under the key-encryption key.',
  );

  const on = (path: string, handler: RouteHandler): void => {
    app.on(['GET', 'POST'], `${NVX_BASE_PATH}${path}`, answer(strategy, 'nvx', handler));
  };

  /**
   * Authenticates with the strategy (a refusal in Navixy's envelope), then checks the credential kind once more for
   * the route's area (defence in depth: the strategy already refuses a hash of the wrong kind with code 11), then
   * reads the parameters.
   */
  const protectedRoute = (
    path: string,
    area: 'user' | 'panel',
    handler: (caller: AuthContext<NvxPrincipal>, params: Params) => Promise<Reply>,
  ): void => {
    on(
      path,
      guarded(guard, async (c, auth) => {
        const isPanelHash = auth.credential.kind === 'panel-session';
        if (isPanelHash !== (area === 'panel')) return refuse(strategy, 'CREDENTIALS_NOT_ACCEPTED_HERE');
        const read = await readParams(c, strategy);
        if (!read.ok) return read.reply;
        return handler(auth, read.params);
      }),
    );
  };

  /**
   * Checks a login and password for one kind of account. Wrong login, wrong password and an account of the
   * wrong kind all get code 4, byte for byte the same; failures are counted per client IP (code 15 beyond the
   * limit).
   */
  const loginThrottle = createLoginThrottle(context.ephemeral, 'nvx-login-failures:', context.config.maxFailuresPerIp);
  const login = async (
    c: DemoContextOf,
    roles: readonly string[],
    start: (accountId: number, role: 'master' | 'sub' | 'panel') => Promise<ManageResult<NvxSession>>,
  ): Promise<Reply> => {
    const read = await readParams(c, strategy);
    if (!read.ok) return read.reply;
    const loginName = read.params.get('login');
    const password = read.params.get('password');
    if (typeof loginName !== 'string' || typeof password !== 'string' || loginName === '' || password === '') return fail(7);
    const clientIp = c.get('auth').clientIp;
    // Failed logins per client IP and per login in 15 minutes before code 15: `config.maxFailuresPerIp`
    // (GATEHOUSE_MAX_FAILURES, default 100).
    const tried = await loginThrottle.attempt(clientIp, loginName, async () => {
      const found = await context.accounts.verifyLogin(loginName, password);
      return found !== null && roles.includes(found.role) ? found : null;
    });
    if (tried.throttled) return fail(15);
    const { account } = tried;
    if (account === null) return fail(4);
    const session = await start(account.id, account.role);
    return session.ok ? renderSuccess(strategy, { hash: session.value.hash }) : refuse(strategy, session.error);
  };

  const showKey = (key: NvxApiKeyListing): { hash: string; create_date: string; title: string } => ({
    hash: key.hash,
    create_date: formatNvxDate(key.createdAt),
    title: key.title,
  });
  /** A manager's answer: its value in Navixy's success envelope, or its error in the failure envelope. */
  const reply = <T>(result: ManageResult<T>, payload: (value: T) => object): Reply =>
    result.ok ? renderSuccess(strategy, payload(result.value)) : refuse(strategy, result.error);

  // --- user sessions -------------------------------------------------------------------------------------
  // No hash needed (and any hash sent is ignored): this is where a session hash comes from.
  on('/user/auth', (c) =>
    login(c, ['master', 'sub'], (id, role) => manager.startUserSession({ id: String(id), accountType: role === 'master' ? 'master' : 'sub' })),
  );
  protectedRoute('/user/session/renew', 'user', async (caller) => reply(await manager.renewSession(caller.credential), () => ({})));
  protectedRoute('/user/logout', 'user', async (caller) => reply(await manager.endSession(caller.credential), () => ({})));

  // --- API keys: a master user's session hash only ------------------------------------------------------
  protectedRoute('/api/key/create', 'user', async (caller, params) => {
    const owner = manager.keyManager(caller);
    if (!owner.ok) return refuse(strategy, owner.error);
    const title = params.get('title');
    if (title === INVALID) return fail(7);
    return reply(await manager.issue(owner.value, { title }), (key) => ({ value: showKey(key) }));
  });

  protectedRoute('/api/key/list', 'user', async (caller) => {
    const owner = manager.keyManager(caller);
    if (!owner.ok) return refuse(strategy, owner.error);
    return reply(await manager.list(owner.value), (keys) => ({ list: keys.map(showKey) }));
  });

  protectedRoute('/api/key/delete', 'user', async (caller, params) => {
    const owner = manager.keyManager(caller);
    if (!owner.ok) return refuse(strategy, owner.error);
    const keyHash = params.get('key_hash');
    if (keyHash === INVALID || keyHash === undefined) return fail(7);
    return reply(await manager.revoke(owner.value, { token: keyHash }), () => ({}));
  });

  // --- user resources: an API key (a session hash only where the strategy allows it) --------------------
  protectedRoute('/tracker/list', 'user', async () => renderSuccess(strategy, { list: DEMO_TRACKERS }));
  protectedRoute('/retranslator/list', 'user', async () => renderSuccess(strategy, { list: DEMO_RETRANSLATORS }));

  // --- admin panel: the panel administrator's panel hash only -------------------------------------------
  on('/panel/account/auth', (c) => login(c, ['panel'], (id) => manager.startPanelSession(String(id))));
  protectedRoute('/panel/tariff/list', 'panel', async () => renderSuccess(strategy, { list: DEMO_TARIFFS }));

  // --- everything else under /v2 ------------------------------------------------------------------------
  const known = new Set(NVX_ROUTES.map((route) => `${NVX_BASE_PATH}${route.path}`));
  const wrongFormat = fail(5);
  const unknown = (c: DemoContextOf): Response =>
    toFetchResponse(
      known.has(c.req.path)
        ? { ...wrongFormat, httpStatus: 405, headers: { ...wrongFormat.headers, allow: 'GET, POST' } }
        : { ...wrongFormat, httpStatus: 404 },
    );
  app.all(NVX_BASE_PATH, unknown);
  app.all(`${NVX_BASE_PATH}/*`, unknown);
  return { manager };
}

/** Demo data of `tracker/list` (shaped like Navixy's, trimmed). */
const DEMO_TRACKERS = [
  {
    id: 123451,
    label: 'Delivery van 1',
    group_id: 0,
    clone: false,
    source: { id: 65431, device_id: '356173065441111', model: 'telfmb920', blocked: false, tariff_id: 2, phone: '+15550100001', creation_date: '2024-03-01 09:15:00' },
  },
  {
    id: 123452,
    label: 'Delivery van 2',
    group_id: 0,
    clone: false,
    source: { id: 65432, device_id: '356173065442222', model: 'telfmb920', blocked: false, tariff_id: 2, phone: '+15550100002', creation_date: '2024-03-01 09:20:00' },
  },
  {
    id: 123453,
    label: 'Trailer 7',
    group_id: 1,
    clone: false,
    source: { id: 65433, device_id: '862531040733333', model: 'qlgv300', blocked: true, tariff_id: 1, phone: '+15550100003', creation_date: '2024-05-12 14:02:11' },
  },
];

/** Demo data of `retranslator/list`. */
const DEMO_RETRANSLATORS = [
  { id: 201, name: 'Fleet archive', protocol_id: 3, address: 'retranslator.example.com', port: 20180, enabled: true },
];

/** Demo data of `panel/tariff/list`. */
const DEMO_TARIFFS = [
  { id: 1, name: 'Basic', group_id: 1, active: true, type: 'monitoring', price: 5, device_type: 'tracker', max_trackers: 10 },
  { id: 2, name: 'Fleet', group_id: 1, active: true, type: 'monitoring', price: 9, device_type: 'tracker', max_trackers: 500 },
];
