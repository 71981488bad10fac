// Navixy's key routes over the reference's table (`api/key/create`, `api/key/list`, `api/key/delete` under /v2), for
// the in-process driver's `routes`, and the sign-in routes a test HTTP server adds (`user/auth`,
// `panel/account/auth`, `user/logout`).
import { createFetchRequestAdapter, isJsonObject, type AuthError, type AuthRequest, type AuthStrategy, type WireReply } from '@gatehouse/auth-core';
import type { WireResponse } from '../../../drivers/wire.js';
import type { WireHandler } from '../../../http/__fixtures__/wire-server.js';
import { navixyReply, type NvxChoices, type NvxFlaws, type NvxReferenceManagement } from './reference.js';

const MAX_KEYS = 20;

async function paramReader(request: AuthRequest): Promise<(name: string) => string | null> {
  const body = await request.body();
  return (name) => {
    if (body.type === 'json' && isJsonObject(body.value) && typeof body.value[name] === 'string') return body.value[name];
    if (body.type === 'form') return body.fields.get(name)?.[0] ?? null;
    return request.query(name);
  };
}

export interface KeyRoutesOptions {
  readonly strategy: AuthStrategy;
  readonly render: (error: AuthError) => WireReply<unknown>;
  readonly management: NvxReferenceManagement;
  readonly choices: Pick<Required<NvxChoices>, 'keyRefusalCode' | 'wrongKindCode'>;
  readonly flaws: NvxFlaws;
}

const ok = (body: Record<string, unknown> = {}): WireReply<unknown> => ({ httpStatus: 200, headers: {}, body: { success: true, ...body } });

/** The key routes: a request to another path is `null` (left to the strategy). */
export function createKeyRoutes(options: KeyRoutesOptions): (request: AuthRequest) => Promise<WireReply<unknown> | null> {
  const { strategy, render, management, choices, flaws } = options;
  return async (request) => {
    const route = /^\/v2\/api\/key\/(create|list|delete)$/.exec(request.path)?.[1];
    if (route === undefined) return null;
    const outcome = await strategy.authenticate(request);
    if (outcome.type === 'absent') return navixyReply(3);
    if (outcome.type === 'rejected') return render(outcome.error);
    const account = (outcome.principal.attributes as { account?: string } | undefined)?.account;
    const owner = outcome.principal.id;
    if (outcome.credential.kind === 'panel-session') return navixyReply(choices.wrongKindCode);
    const manages = (outcome.credential.kind === 'user-session' && account === 'master') || (flaws.apiKeyCreatesKeys === true && outcome.credential.kind === 'api-key');
    if (!manages) return navixyReply(choices.keyRefusalCode);
    const param = await paramReader(request);
    if (route === 'create') {
      if (management.count('api-key', owner) >= MAX_KEYS && flaws.unlimitedKeys !== true) return navixyReply(choices.keyRefusalCode);
      const title = param('title') ?? '';
      return ok({ value: { hash: management.issue('api-key', owner, 'master', title), create_date: '2025-01-01 00:00:00', title } });
    }
    if (route === 'list') return ok({ list: management.keys(owner).map(({ hash, entry }) => ({ hash, create_date: '2025-01-01 00:00:00', title: entry.title })) });
    const keyHash = param('key_hash');
    const entry = keyHash === null ? undefined : management.find(keyHash);
    if (keyHash === null || entry === undefined || entry.kind !== 'api-key' || entry.ownerId !== owner || !management.end(keyHash)) return navixyReply(4);
    return ok();
  };
}

/** Accounts of the test HTTP server's sign-in routes. */
export const NVX_TEST_ACCOUNTS = {
  master: { login: 'demo', password: 'demo-password', ownerId: 'http-master', account: 'master' },
  sub: { login: 'demo-sub', password: 'demo-sub-password', ownerId: 'http-sub', account: 'sub' },
  panel: { login: 'admin', password: 'admin-password', ownerId: 'http-panel', account: 'panel' },
} as const;

/** The fixtures the nvx-hash@2 HTTP driver takes for {@link NVX_TEST_ACCOUNTS}. */
export const NVX_TEST_FIXTURES: Readonly<Record<string, string>> = {
  login: NVX_TEST_ACCOUNTS.master.login,
  password: NVX_TEST_ACCOUNTS.master.password,
  sub_login: NVX_TEST_ACCOUNTS.sub.login,
  sub_password: NVX_TEST_ACCOUNTS.sub.password,
  panel_login: NVX_TEST_ACCOUNTS.panel.login,
  panel_password: NVX_TEST_ACCOUNTS.panel.password,
};

const asWire = (reply: WireReply<unknown>): WireResponse => ({ status: reply.httpStatus, body: reply.body });

/**
 * The sign-in routes under /v2 (`user/auth` and `panel/account/auth` issue session hashes for login and password as
 * JSON, form or query; `user/logout` ends a user session hash), answering before `next` (everything else).
 * `throttle` answers a sign-in with 429 when it returns true.
 */
export function signInRoutes(management: NvxReferenceManagement, next: WireHandler, throttle: () => boolean = () => false): WireHandler {
  const toAuthRequest = createFetchRequestAdapter();
  return async (request, remoteAddress) => {
    const path = new URL(request.url).pathname;
    if (path !== '/v2/user/auth' && path !== '/v2/panel/account/auth' && path !== '/v2/user/logout') return next(request, remoteAddress);
    const auth = toAuthRequest(request, { remoteAddress });
    const param = await paramReader(auth);
    if (path === '/v2/user/logout') {
      const value = /^NVX (\S+)$/i.exec(auth.header('authorization') ?? '')?.[1] ?? param('hash');
      const entry = value === null || value === undefined ? undefined : management.find(value);
      if (value === null || value === undefined || entry === undefined || entry.kind !== 'user-session' || !management.end(value)) return asWire(navixyReply(3));
      return { status: 200, body: { success: true } };
    }
    if (throttle()) return { status: 429, body: { success: false, status: { code: 15, description: 'Too many requests' } } };
    const accounts = path === '/v2/user/auth' ? [NVX_TEST_ACCOUNTS.master, NVX_TEST_ACCOUNTS.sub] : [NVX_TEST_ACCOUNTS.panel];
    const account = accounts.find((one) => one.login === param('login') && one.password === param('password'));
    if (account === undefined) return asWire(navixyReply(4));
    const hash = management.issue(path === '/v2/user/auth' ? 'user-session' : 'panel-session', account.ownerId, account.account);
    // Read tolerantly by the kit: another casing than the documents' `hash`.
    return { status: 200, body: { success: true, Hash: hash } };
  };
}
