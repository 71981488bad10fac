import { AuthError, isJsonObject, type CredentialInfo, type WireReply } from '@gatehouse/auth-core';
import {
  createNvxHashManager,
  formatNvxDate,
  nvxHash,
  renderNvxError,
  renderNvxStatus,
  renderNvxSuccess,
  type NvxApiKeyListing,
  type NvxHashManager,
  type NvxPrincipal,
  type NvxStatusCode,
} from '@gatehouse/strategy-nvx-hash';
import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { DemoEnv } from '../app.js';
import type { DemoContext } from '../context.js';
import { createLoginThrottle } from '../login-throttle.js';

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


type Reply = WireReply<unknown>;
type DemoContextOf = Context<DemoEnv>;
type Caller = { readonly principal: NvxPrincipal; readonly credential: CredentialInfo };

/** Writes a rendered Navixy reply (status, headers, JSON body). */
function send(c: DemoContextOf, reply: Reply): Response {
  return c.body(JSON.stringify(reply.body), reply.httpStatus as ContentfulStatusCode, { ...reply.headers });
}

const fail = (code: NvxStatusCode): Reply => renderNvxStatus(code);
const failWith = (code: ConstructorParameters<typeof AuthError>[0]): Reply => renderNvxError(new AuthError(code));

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
async function readParams(c: DemoContextOf): Promise<{ ok: true; params: Params } | { ok: false; reply: Reply }> {
  const request = c.get('auth');
  const body = await request.body();
  switch (body.type) {
    case 'too-large':
      return { ok: false, reply: failWith('REQUEST_TOO_LARGE') };
    case 'malformed':
    case 'unsupported':
      return { ok: false, reply: failWith('REQUEST_MALFORMED') };
    case 'json':
      if (!isJsonObject(body.value)) return { ok: false, reply: failWith('REQUEST_MALFORMED') };
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

/** Turns anything thrown into a Navixy failure: a store or database error is code 14, never a success. */
function replyForThrown(error: unknown): Reply {
  if (error instanceof AuthError && error.code !== 'INTERNAL_ERROR') return renderNvxError(error);
  console.error('demo nvx: request failed', error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  return failWith('STORE_UNAVAILABLE');
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

  context.notices.push(
    'NVX: query hashes are enabled (/v2/...?hash=<hash>), as the Navixy seeds use them; for testing only: URLs end up in logs.',
    'NVX: the API key listing is revealable (api/key/list shows full hashes, Navixy parity); keys are stored sealed under the key-encryption key.',
  );

  const handle =
    (handler: (c: DemoContextOf) => Promise<Reply>) =>
    async (c: DemoContextOf): Promise<Response> => {
      try {
        return send(c, await handler(c));
      } catch (error) {
        return send(c, replyForThrown(error));
      }
    };

  const on = (path: string, handler: (c: DemoContextOf) => Promise<Reply>): void => {
    app.on(['GET', 'POST'], `${NVX_BASE_PATH}${path}`, handle(handler));
  };

  /**
   * Authenticates with the strategy, then checks the credential kind once more for the route's area (defence in
   * depth: the strategy already refuses a hash of the wrong kind with code 11), then reads the parameters.
   */
  const protectedRoute = (
    path: string,
    area: 'user' | 'panel',
    handler: (caller: Caller, params: Params) => Promise<Reply>,
  ): void => {
    on(path, async (c) => {
      const outcome = await strategy.authenticate(c.get('auth'));
      if (outcome.type === 'absent') return failWith('CREDENTIALS_MISSING');
      if (outcome.type === 'rejected') return renderNvxError(outcome.error);
      const isPanelHash = outcome.credential.kind === 'panel-session';
      if (isPanelHash !== (area === 'panel')) return failWith('CREDENTIALS_NOT_ACCEPTED_HERE');
      const read = await readParams(c);
      if (!read.ok) return read.reply;
      return handler(outcome, read.params);
    });
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
    start: (accountId: number, role: 'master' | 'sub' | 'panel') => Promise<{ hash: string }>,
  ): Promise<Reply> => {
    const read = await readParams(c);
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
    return renderNvxSuccess({ hash: session.hash });
  };

  const showKey = (key: NvxApiKeyListing): { hash: string; create_date: string; title: string } => ({
    hash: key.hash,
    create_date: formatNvxDate(key.createdAt),
    title: key.title,
  });

  // --- user sessions -------------------------------------------------------------------------------------
  // No hash needed (and any hash sent is ignored): this is where a session hash comes from.
  on('/user/auth', (c) =>
    login(c, ['master', 'sub'], (id, role) => manager.startUserSession({ id: String(id), accountType: role === 'master' ? 'master' : 'sub' })),
  );

  protectedRoute('/user/session/renew', 'user', async (caller) => {
    const renewed = await manager.renewSession(caller.credential);
    return renewed.ok ? renderNvxSuccess({}) : renderNvxError(renewed.error);
  });

  protectedRoute('/user/logout', 'user', async (caller) => {
    const ended = await manager.endSession(caller.credential);
    return ended.ok ? renderNvxSuccess({}) : renderNvxError(ended.error);
  });

  // --- API keys: a master user's session hash only ------------------------------------------------------
  protectedRoute('/api/key/create', 'user', async (caller, params) => {
    const owner = manager.keyManager(caller);
    if (!owner.ok) return renderNvxError(owner.error);
    const title = params.get('title');
    if (title === INVALID) return fail(7);
    const created = await manager.createApiKey(owner.value, title);
    return created.ok ? renderNvxSuccess({ value: showKey(created.value) }) : renderNvxError(created.error);
  });

  protectedRoute('/api/key/list', 'user', async (caller) => {
    const owner = manager.keyManager(caller);
    if (!owner.ok) return renderNvxError(owner.error);
    const keys = await manager.listApiKeys(owner.value);
    return renderNvxSuccess({ list: keys.map(showKey) });
  });

  protectedRoute('/api/key/delete', 'user', async (caller, params) => {
    const owner = manager.keyManager(caller);
    if (!owner.ok) return renderNvxError(owner.error);
    const keyHash = params.get('key_hash');
    if (keyHash === INVALID || keyHash === undefined) return fail(7);
    const deleted = await manager.deleteApiKey(owner.value, keyHash);
    return deleted.ok ? renderNvxSuccess({}) : renderNvxError(deleted.error);
  });

  // --- user resources: an API key (a session hash only where the strategy allows it) --------------------
  protectedRoute('/tracker/list', 'user', async () => renderNvxSuccess({ list: DEMO_TRACKERS }));
  protectedRoute('/retranslator/list', 'user', async () => renderNvxSuccess({ list: DEMO_RETRANSLATORS }));

  // --- admin panel: the panel administrator's panel hash only -------------------------------------------
  on('/panel/account/auth', (c) => login(c, ['panel'], (id) => manager.startPanelSession(String(id))));
  protectedRoute('/panel/tariff/list', 'panel', async () => renderNvxSuccess({ list: DEMO_TARIFFS }));

  // --- everything else under /v2 ------------------------------------------------------------------------
  const known = new Set(NVX_ROUTES.map((route) => `${NVX_BASE_PATH}${route.path}`));
  const unknown = handle(async (c) => {
    if (known.has(c.req.path)) return { ...fail(5), httpStatus: 405, headers: { ...fail(5).headers, allow: 'GET, POST' } };
    return { ...fail(5), httpStatus: 404 };
  });
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
