// Test fixtures: the three schemes of this repository with live credentials, a small route kit built from core's
// RouteKit type, and the exact reply bytes the tests expect.
import {
  AuthError,
  createAuthGuard,
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  isJsonObject,
  type KitRequest,
  type ManageResult,
  type RouteKit,
  type WireReply,
} from '@gatehouse/auth-core';
import { createSecretSealer } from '@gatehouse/auth-core/crypto';
import { accessHashCookie, createAccessHashManager } from '@gatehouse/strategy-access-hash-cookie';
import { createHmacKeyManager, hmacSession, hmacSignature, signAuthenticateUser } from '@gatehouse/strategy-hmac-signature';
import {
  createNvxHashManager,
  nvxHash,
  renderNvxStatus,
  renderNvxSuccess,
  type NvxHashManager,
  type NvxHashOptions,
  type NvxPrincipal,
} from '@gatehouse/strategy-nvx-hash';
import type { AuthStrategy } from '@gatehouse/auth-core';

export function unwrap<T>(result: ManageResult<T>): T {
  if (!result.ok) throw result.error;
  return result.value;
}

/** Navixy: an API key, a master user's session hash and a panel hash, all live. */
export async function nvxScheme(options: Partial<NvxHashOptions> = {}) {
  const store = createMemoryCredentialStore();
  const strategy = nvxHash({ store, ...options });
  const manager = createNvxHashManager({ store });
  const master = { id: 'user-1', accountType: 'master' } as const;
  const session = unwrap(await manager.startUserSession(master));
  const key = unwrap(await manager.issue(master, { title: 'Integration Key' }));
  const panel = unwrap(await manager.startPanelSession('panel-1'));
  return { strategy, manager, apiKey: key.hash, sessionHash: session.hash, panelHash: panel.hash };
}

/** PUQ panel access hashes, each bound to one client IP. */
export async function accessHashScheme() {
  const store = createMemoryCredentialStore();
  const strategy = accessHashCookie({ store });
  const manager = createAccessHashManager({ store });
  const boundTo = async (ip: string): Promise<string> => unwrap(await manager.issue('admin', { name: `from ${ip}`, ip })).hash;
  return { strategy, manager, boundTo };
}

/** KiiEx / APEX: an API key with the Deposit permission only, its AuthenticateUser signer, and aptoken sessions. */
export async function hmacScheme() {
  const store = createMemoryCredentialStore();
  const sealer = createSecretSealer([new Uint8Array(32).fill(9)]);
  const verifier = hmacSignature({ store, sealer, ephemeralStore: createMemoryEphemeralStore() });
  const sessions = hmacSession({ store });
  const manager = createHmacKeyManager({ store, sealer, permissions: ['Trading', 'Deposit'] });
  const key = unwrap(await manager.issue('1', { permissions: ['Deposit'], userName: 'demo' }));
  let nonce = 1000;
  const signed = () => signAuthenticateUser({ apiKey: key.APIKey, apiSecret: key.APISecret, userId: key.UserId, nonce: nonce++ });
  return { verifier, sessions, manager, signed };
}

/** The replies the tests compare byte for byte, as the schemes' public documents show them. */
export const WIRE = {
  nvxWrongHash: '{"success":false,"status":{"code":3,"description":"Wrong hash"}}',
  nvxWrongFormat: '{"success":false,"status":{"code":5,"description":"Wrong request format"}}',
  nvxUnexpected: '{"success":false,"status":{"code":6,"description":"Unexpected error"}}',
  nvxInvalidParameters: '{"success":false,"status":{"code":7,"description":"Invalid parameters"}}',
  nvxTooLarge: '{"success":false,"status":{"code":9,"description":"Too large request"}}',
  nvxAccessDenied: '{"success":false,"status":{"code":11,"description":"Access denied"}}',
  nvxDatabaseUnavailable: '{"success":false,"status":{"code":14,"description":"Database unavailable"}}',
  accessHashRequired: '{"error":"Access hash required","msg":"","status":"error"}',
  accessHashWrongIp: '{"error":"Access hash is not valid from this IP address","msg":"","status":"error"}',
  accessHashNotFound: '{"error":"Not found","msg":"","status":"error"}',
  apexNotAuthorized: '{"result":false,"errormsg":"Not Authorized","errorcode":20,"detail":null}',
  apexOperationFailed: '{"result":false,"errormsg":"Operation Failed","errorcode":100,"detail":null}',
  authenticateUserMissing: '{"Authenticated":false,"errormsg":"APIKey, Signature, UserId and Nonce are required"}',
} as const;

/**
 * A small Navixy route kit built from core's RouteKit type, as a strategy package ships one: `user/auth` (login
 * and password from the query or the body) and `api/key/list` (a master user's session hash).
 */
export function nvxTestKit(strategy: AuthStrategy<NvxPrincipal>, manager: NvxHashManager, failing?: Error): RouteKit {
  const guard = createAuthGuard(strategy);
  const param = async ({ auth }: KitRequest, name: string): Promise<string | null> => {
    const body = await auth.body();
    if (body.type === 'json' && isJsonObject(body.value) && typeof body.value[name] === 'string') return body.value[name];
    if (body.type === 'form') return body.fields.get(name)?.[0] ?? null;
    return auth.query(name);
  };
  const listKeys = async (request: KitRequest): Promise<WireReply<unknown>> => {
    const decision = await guard(request.auth);
    if (decision.type === 'refused') return decision.reply;
    if (decision.auth === null) throw new AuthError('INTERNAL_ERROR');
    const owner = manager.keyManager(decision.auth);
    if (!owner.ok) return strategy.renderRefusal({ type: 'rejected', error: owner.error });
    const keys = unwrap(await manager.list(owner.value));
    return renderNvxSuccess({ list: keys.map((key) => ({ title: key.title })) });
  };
  return {
    id: strategy.id,
    basePaths: ['/v2'],
    renderRefusal: (refusal) => strategy.renderRefusal(refusal),
    routes: [
      {
        methods: ['GET', 'POST'],
        path: '/user/auth',
        summary: 'login, password -> session hash',
        async handle(request) {
          if (failing !== undefined) throw failing;
          const login = await param(request, 'login');
          const password = await param(request, 'password');
          if (login === null || password === null) return renderNvxStatus(7);
          if (login !== 'demo' || password !== 'secret') return renderNvxStatus(4);
          const session = unwrap(await manager.startUserSession({ id: 'user-1', accountType: 'master' }));
          return renderNvxSuccess({ hash: session.hash });
        },
      },
      { methods: ['GET'], path: '/api/key/list', summary: "a master user's session hash", handle: listKeys },
    ],
  };
}
