import { AuthError, ConfigurationError, isJsonObject, type AuthRequest, type KitRoute, type RouteKit, type WireReply } from '@gatehouse/auth-core';
import { renderTemplateError, renderTemplateRefusal, renderTemplateSuccess } from './envelope.js';
import type { TemplateKeyManager } from './manage.js';
import { TEMPLATE_STRATEGY_ID } from './options.js';

/**
 * Options of {@link createTemplateRoutes}.
 *
 * @example
 * ```ts
 * const options: TemplateRoutesOptions = { manager, authorize: async (request) => (await currentUser(request)) ?? new AuthError('CREDENTIALS_MISSING') };
 * ```
 */
export interface TemplateRoutesOptions {
  /** The manager the application built. */
  readonly manager: TemplateKeyManager;
  /** Where the routes live: `GET` and `POST` at the base path, `DELETE` at `<basePath>/:id`. Default `/keys`. */
  readonly basePath?: string;
  /**
   * Who is asking: the owner id whose keys the request manages, or a refusal (an `AuthError` rendered in this
   * scheme's envelope, or a ready reply). Your own login decides; a key of this scheme never does.
   */
  readonly authorize: (request: AuthRequest) => Promise<string | AuthError | WireReply<unknown>>;
}

const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

/**
 * Creates this scheme's key-management routes as a route kit, which every framework adapter mounts in one line
 * (`app.use(routeKit(createTemplateRoutes(options)))`). Copy and replace the routes with the scheme's own: the
 * vendor's paths and reply shapes.
 *
 * | route | reply |
 * |---|---|
 * | `GET <basePath>` | 200 `{data:[{id,label,hint,createdAt,lastUsedAt}]}`, never a key |
 * | `POST <basePath>`, JSON `{"label"}` | 201 `{data:{…,key}}`: the only time the key is shown |
 * | `DELETE <basePath>/:id` | 200 `{data:{id}}` |
 *
 * @example
 * ```ts
 * import { routeKit } from '@gatehouse/hono';
 * app.use(routeKit(createTemplateRoutes({ manager, authorize })));
 * ```
 */
export function createTemplateRoutes(options: TemplateRoutesOptions): RouteKit {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object');
  const { manager, authorize } = options;
  if (manager === null || typeof manager !== 'object' || typeof manager.issue !== 'function') throw new ConfigurationError('manager', 'must be a TemplateKeyManager');
  if (typeof authorize !== 'function') throw new ConfigurationError('authorize', 'must be a function');
  const basePath = options.basePath ?? '/keys';
  if (typeof basePath !== 'string' || !BASE_PATH.test(basePath)) throw new ConfigurationError('basePath', 'must be a path such as /keys');

  /** Runs a route for the owner `authorize` names, or answers its refusal. */
  const owned =
    (handle: (ownerId: string, request: AuthRequest, params: Readonly<Record<string, string>>) => Promise<WireReply<unknown>>) =>
    async ({ auth, params }: { auth: AuthRequest; params: Readonly<Record<string, string>> }): Promise<WireReply<unknown>> => {
      const who = await authorize(auth);
      if (who instanceof AuthError) return renderTemplateError(who);
      if (typeof who !== 'string' || who === '') {
        if (who !== null && typeof who === 'object' && 'httpStatus' in who) return who;
        throw new TypeError('authorize() must return an owner id, an AuthError or a WireReply');
      }
      return handle(who, auth, params);
    };

  const routes: KitRoute[] = [
    {
      methods: ['GET'],
      path: '/',
      summary: 'your login -> {data:[keys]}, never a key',
      handle: owned(async (ownerId) => {
        const listed = await manager.list(ownerId);
        return listed.ok ? renderTemplateSuccess(listed.value) : renderTemplateError(listed.error);
      }),
    },
    {
      methods: ['POST'],
      path: '/',
      summary: 'your login, JSON {"label"} -> {data:{id,key,...}}, the key shown once',
      handle: owned(async (ownerId, request) => {
        const body = await request.body();
        if (body.type === 'unavailable') throw new AuthError('INTERNAL_ERROR', { cause: new Error('the body was read before the kit') });
        if (body.type === 'too-large') return renderTemplateError(new AuthError('REQUEST_TOO_LARGE'));
        if (body.type !== 'json' || !isJsonObject(body.value)) return renderTemplateError(new AuthError('REQUEST_MALFORMED'));
        const issued = await manager.issue(ownerId, { label: body.value['label'] });
        return issued.ok ? renderTemplateSuccess(issued.value, 201) : renderTemplateError(issued.error);
      }),
    },
    {
      methods: ['DELETE'],
      path: '/:id',
      summary: 'your login -> {data:{id}}',
      handle: owned(async (ownerId, _request, params) => {
        const id = params['id'] as string;
        const revoked = await manager.revoke(ownerId, { id });
        return revoked.ok ? renderTemplateSuccess({ id }) : renderTemplateError(revoked.error);
      }),
    },
  ];
  return { id: TEMPLATE_STRATEGY_ID, basePaths: [basePath], routes, renderRefusal: renderTemplateRefusal };
}
