import {
  AuthError,
  ConfigurationError,
  isJsonObject,
  refusalError,
  type AuthRequest,
  type KitRoute,
  type RouteKit,
  type WireReply,
} from '@gatehouse/auth-core';
import { JSON_CONTENT_TYPE } from '@gatehouse/auth-core/strategy';
import { renderAccessHashError, renderAccessHashSuccess, type AccessHashEnvelope } from './envelope.js';
import type { AccessHashManager } from './manage.js';
import { ACCESS_HASH_STRATEGY_ID } from './options.js';

/**
 * Options of {@link createAccessHashRoutes}.
 *
 * @example
 * ```ts
 * const options: AccessHashRoutesOptions = {
 *   manager,
 *   basePath: '/api/v1/access-hashes',
 *   // Your own login decides who manages hashes; an access hash itself never does.
 *   authorize: async (request) => (await isPanelAdmin(request)) ? 'admin' : new AuthError('OPERATION_NOT_PERMITTED'),
 * };
 * ```
 */
export interface AccessHashRoutesOptions {
  /** The manager the application built (the same one its own pages use). */
  readonly manager: AccessHashManager;
  /**
   * Where the routes live: `GET` and `POST` at the base path itself, `DELETE` at `<basePath>/:id`. Default
   * `/api/v1/access-hashes`, as on the PUQ VPN control panel.
   */
  readonly basePath?: string;
  /**
   * Recognises the administrator who manages access hashes (the PUQ documentation leaves this to the panel):
   * their owner id, or a refusal — an AuthError rendered in the PUQ envelope, or a ready WireReply (e.g. a
   * session layer's own "Login required" or a CSRF refusal). Runs first on every route, before the body is
   * read. A thrown `AuthError` is answered as that error (`STORE_UNAVAILABLE`: 503); anything else thrown, or
   * returned (an empty owner id included), is `INTERNAL_ERROR`.
   */
  readonly authorize: (request: AuthRequest) => Promise<string | AuthError | WireReply<unknown>>;
}

/** The default base path: the panel's `/api/v1` plus the resource. */
const DEFAULT_BASE_PATH = '/api/v1/access-hashes';
const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)+\/?$/;

// The panel's API takes JSON only; the PUQ documentation shows no reply for other bodies, so this text is ours.
const NOT_JSON: WireReply<AccessHashEnvelope<never>> = {
  httpStatus: 415,
  headers: Object.freeze({ 'content-type': JSON_CONTENT_TYPE }),
  body: { error: 'Send the data as JSON (Content-Type: application/json)', msg: '', status: 'error' },
};

type Authorized = { readonly ownerId: string } | { readonly reply: WireReply<unknown> };

/** Tells a ready reply from anything else an `authorize` callback might return. */
function isWireReply(value: unknown): value is WireReply<unknown> {
  if (value === null || typeof value !== 'object') return false;
  const { httpStatus, headers } = value as { httpStatus?: unknown; headers?: unknown };
  return Number.isInteger(httpStatus) && headers !== null && typeof headers === 'object' && 'body' in value;
}

/**
 * Creates the access-hash management routes of the PUQ VPN control panel (PUQVPNCP) documentation, "API Access
 * Hashs" (revision 8, 2023-10-16) as a route kit, in the panel's envelope `{"error","msg","status"}`:
 *
 * | route | reply |
 * |---|---|
 * | `GET <basePath>` | 200 `[{id,name,ip,created,last_login}]`, oldest first, never the hash |
 * | `POST <basePath>`, JSON `{"name","ip"}` | 201 `{id,name,ip,hash,created}`: the only time the hash is shown |
 * | `DELETE <basePath>/:id` | 200 `{id}`: the hash stops at once |
 *
 * `authorize` runs first on every route; its refusal is the reply. A body that is not JSON is 415, broken JSON
 * or not an object 400 `Malformed request`, over the adapter's cap 413, unreadable (a parser consumed it) 500
 * (and logged through the dispatcher's `onError`);
 * the manager's failures render as its codes (`PARAMETER_INVALID` 400, `LIMIT_EXCEEDED` 403,
 * `CREDENTIAL_NOT_FOUND` 404 for an unknown id or another owner's, `STORE_UNAVAILABLE` 503). Another method on
 * these paths is 405 with `Allow`. Throws a `ConfigurationError` naming a bad option.
 *
 * @example
 * ```ts
 * import { AuthError, createMemoryCredentialStore } from '@gatehouse/auth-core';
 * import { createAccessHashManager, createAccessHashRoutes } from '@gatehouse/strategy-access-hash-cookie';
 * import { routeKit } from '@gatehouse/express';
 *
 * const manager = createAccessHashManager({ store: createMemoryCredentialStore() });
 * const kit = createAccessHashRoutes({
 *   manager,
 *   authorize: async (request) => (request.cookie('admin_session') === adminSession ? 'admin' : new AuthError('CREDENTIALS_MISSING')),
 * });
 * app.use(routeKit(kit)); // GET/POST /api/v1/access-hashes, DELETE /api/v1/access-hashes/:id
 * ```
 */
export function createAccessHashRoutes(options: AccessHashRoutesOptions): RouteKit {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object with manager and authorize');
  const { manager, authorize } = options;
  if (manager === null || typeof manager !== 'object' || typeof manager.issue !== 'function' || typeof manager.list !== 'function' || typeof manager.revoke !== 'function') {
    throw new ConfigurationError('manager', 'must be an AccessHashManager (createAccessHashManager)');
  }
  if (typeof authorize !== 'function') throw new ConfigurationError('authorize', 'must be a function returning the owner id or a refusal');
  const basePath: unknown = options.basePath === undefined ? DEFAULT_BASE_PATH : options.basePath;
  // Not the root: `/:id` there would claim every one-segment path of the application.
  if (typeof basePath !== 'string' || !BASE_PATH.test(basePath)) throw new ConfigurationError('basePath', `${JSON.stringify(basePath)} is not a path such as ${DEFAULT_BASE_PATH}`);

  const refuse = (error: AuthError): WireReply<unknown> => renderAccessHashError(error);

  const authorized = async (request: AuthRequest): Promise<Authorized> => {
    const verdict: unknown = await authorize(request);
    if (typeof verdict === 'string' && verdict !== '') return { ownerId: verdict };
    if (verdict instanceof AuthError) return { reply: refuse(verdict) };
    if (isWireReply(verdict)) return { reply: verdict };
    // Fail closed: a callback bug must never manage someone's hashes (answered INTERNAL_ERROR by the dispatcher).
    throw new TypeError('authorize returned neither an owner id, an AuthError nor a WireReply');
  };

  /** A route that runs only for the administrator `authorize` recognises. */
  const managed =
    (work: (request: AuthRequest, ownerId: string, params: Readonly<Record<string, string>>) => Promise<WireReply<unknown>>): KitRoute['handle'] =>
    async ({ auth, params }) => {
      const who = await authorized(auth);
      return 'reply' in who ? who.reply : work(auth, who.ownerId, params);
    };

  const list = managed(async (_request, ownerId) => {
    const listed = await manager.list(ownerId);
    if (!listed.ok) return refuse(listed.error);
    // The panel's wire names (`last_login`); the hash itself is never part of a listing.
    return renderAccessHashSuccess(listed.value.map((row) => ({ id: row.id, name: row.name, ip: row.ip, created: row.created, last_login: row.lastLogin })));
  });

  const create = managed(async (request, ownerId) => {
    const body = await request.body();
    switch (body.type) {
      case 'json':
        break;
      case 'form':
      case 'unsupported':
        return NOT_JSON;
      case 'too-large':
        return refuse(new AuthError('REQUEST_TOO_LARGE'));
      case 'unavailable':
        // Not the client's fault but the mount's: thrown, so the dispatcher logs it and answers INTERNAL_ERROR.
        throw new Error('access-hash routes: the request body was consumed before the kit could read it (give the adapter the parsed body or the raw bytes)');
      default:
        return refuse(new AuthError('REQUEST_MALFORMED'));
    }
    if (!isJsonObject(body.value)) return refuse(new AuthError('REQUEST_MALFORMED'));
    const issued = await manager.issue(ownerId, { name: body.value['name'], ip: body.value['ip'] });
    if (!issued.ok) return refuse(issued.error);
    const { id, name, ip, hash, created } = issued.value;
    return renderAccessHashSuccess({ id, name, ip, hash, created }, 201);
  });

  const remove = managed(async (_request, ownerId, params) => {
    const id = params['id'] ?? '';
    // A malformed id (over 100 characters) is PARAMETER_INVALID (400); an unknown or foreign one CREDENTIAL_NOT_FOUND (404).
    const revoked = await manager.revoke(ownerId, { id });
    if (!revoked.ok) return refuse(revoked.error);
    return renderAccessHashSuccess({ id });
  });

  return {
    id: ACCESS_HASH_STRATEGY_ID,
    basePaths: [basePath.replace(/\/+$/, '')],
    routes: [
      { methods: ['GET'], path: '/', summary: 'authorize -> [{id,name,ip,created,last_login}], never the hash', handle: list },
      { methods: ['POST'], path: '/', summary: 'authorize, JSON {"name","ip"} -> 201 {id,name,ip,hash,created}, the hash shown once', handle: create },
      { methods: ['DELETE'], path: '/:id', summary: 'authorize -> {id}; the hash stops at once', handle: remove },
    ],
    renderRefusal: (refusal) => renderAccessHashError(refusalError(refusal)),
  };
}
