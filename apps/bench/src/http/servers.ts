import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastifyBearerAuth from '@fastify/bearer-auth';
import { createAuthGuard, createMemoryCredentialStore, type AuthContext, type AuthStrategy } from '@gatehouse/auth-core';
import { generateHexToken } from '@gatehouse/auth-core/crypto';
import { createNodeRequestAdapter, writeNodeReply } from '@gatehouse/auth-core/node';
import { authenticate as expressAuthenticate } from '@gatehouse/express';
import gatehouseFastify, { authenticate as fastifyAuthenticate } from '@gatehouse/fastify';
import { authenticate as honoAuthenticate } from '@gatehouse/hono';
import { serve, type HttpBindings } from '@hono/node-server';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import Fastify, { type FastifyRequest, type preHandlerHookHandler } from 'fastify';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import passport from 'passport';
import { HeaderAPIKeyStrategy } from 'passport-headerapikey';
import { createStrategies, provision, ROUTES, SCHEMES, type Credentials, type Scheme } from '../schemes.js';

/** Which server a child process runs. */
export type Framework = 'node' | 'express' | 'fastify' | 'hono';
/** The authentication a user of each framework would otherwise pick. */
export type Peer = 'passport' | 'fastify-bearer' | 'hono-bearer';
/** A server's authentication: none, a middleware that does nothing, a Gatehouse strategy, or the framework's peer. */
export type ServerAuth = 'none' | 'noop' | Scheme | Peer;

export const PEER_OF: Record<Exclude<Framework, 'node'>, Peer> = { express: 'passport', fastify: 'fastify-bearer', hono: 'hono-bearer' };

export interface ServerSpec {
  readonly framework: Framework;
  readonly auth: ServerAuth;
  /** Credentials to provision (the Gatehouse scheme's, or the peer's API keys). */
  readonly credentials: number;
}

/** What the peers' clients hold: 32-hex API keys (the length of an NVX key), checked against a `Map`. */
export interface PeerCredentials {
  readonly apiKeys?: readonly string[];
}

export interface StartedServer {
  readonly port: number;
  readonly credentials: Partial<Credentials> & PeerCredentials;
  close(): Promise<void>;
}

/**
 * The header a peer's client sends: passport-headerapikey as its README configures it (`Authorization: Api-Key
 * <key>`), the two bearer-auth packages `Authorization: Bearer <key>` (RFC 6750), all beside `Authorization: NVX
 * <key>` of the same length.
 */
export function peerHeaders(peer: Peer, key: string): Record<string, string> {
  return { Authorization: peer === 'passport' ? `Api-Key ${key}` : `Bearer ${key}` };
}

export function isGatehouse(auth: ServerAuth): auth is Scheme {
  return (SCHEMES as readonly string[]).includes(auth);
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

/** Provisions a memory store with the scheme's credentials and returns the strategy and what clients hold. */
async function gatehouse(scheme: Scheme, count: number): Promise<{ strategy: AuthStrategy; credentials: Partial<Credentials> }> {
  const store = createMemoryCredentialStore();
  const all = await provision(store, count);
  const strategy = createStrategies(store, { noncePolicy: 'unique' })[scheme];
  const credentials: Partial<Credentials> =
    scheme === 'nvx'
      ? { nvx: all.nvx }
      : scheme === 'access-hash'
        ? { accessHash: all.accessHash }
        : scheme === 'hmac'
          ? { hmac: all.hmac }
          : { aptoken: all.aptoken };
  return { strategy, credentials };
}

/** The peers' key table: what a user of passport or a bearer-auth package with many keys writes. */
function peerKeys(count: number): { users: Map<string, string>; apiKeys: string[] } {
  const users = new Map<string, string>();
  const apiKeys: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = generateHexToken(16);
    apiKeys.push(key);
    users.set(key, `user-${i}`);
  }
  return { users, apiKeys };
}

/** The route a server answers: the scheme's own for Gatehouse, the NVX route for every other server. */
function routeOf(auth: ServerAuth): (typeof ROUTES)[Scheme] {
  return isGatehouse(auth) ? ROUTES[auth] : ROUTES.nvx;
}

/**
 * Starts one server on 127.0.0.1 with an ephemeral port. Every server answers the same JSON (`{ ok, user }`).
 * node:http has no middleware: Gatehouse runs as an application would use it there, `createAuthGuard` fed by
 * `createNodeRequestAdapter`, a refusal written with `writeNodeReply`. On Express, Fastify and Hono, Gatehouse is
 * the framework's own package (`authenticate(strategy)`), in the place where the no-op middleware and the peer
 * sit in the other servers of the framework.
 */
export async function startServer(spec: ServerSpec): Promise<StartedServer> {
  switch (spec.framework) {
    case 'node':
      return startNode(spec);
    case 'express':
      return startExpress(spec);
    case 'fastify':
      return startFastify(spec);
    case 'hono':
      return startHono(spec);
  }
}

async function startNode({ auth, credentials: count }: ServerSpec): Promise<StartedServer> {
  if (auth === 'none') {
    // The same reply as the authenticated server's, built per request as a handler would.
    const server = createServer((_req, res) => send(res, 200, JSON.stringify({ ok: true, user: 'anonymous' })));
    return { port: await listen(server), credentials: {}, close: closer(server) };
  }
  if (!isGatehouse(auth)) throw new Error(`node:http has no ${auth}`);
  const { strategy, credentials } = await gatehouse(auth, count);
  const guard = createAuthGuard(strategy);
  const toAuthRequest = createNodeRequestAdapter();
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const decision = await guard(toAuthRequest(req));
    // A refusal goes out in the scheme's own envelope, status and headers.
    if (decision.type === 'refused') writeNodeReply(res, decision.reply);
    else send(res, 200, JSON.stringify({ ok: true, user: decision.auth?.principal.id }));
  });
  return { port: await listen(server), credentials, close: closer(server) };
}

async function startExpress({ auth, credentials: count }: ServerSpec): Promise<StartedServer> {
  const app = express();
  const { method, path } = routeOf(auth);
  const handler = (req: Request, res: Response): void => {
    res.json({ ok: true, user: req.auth?.principal.id ?? (req.user as { id?: string } | undefined)?.id ?? 'anonymous' });
  };
  let credentials: StartedServer['credentials'] = {};
  let middleware: RequestHandler | undefined;
  if (auth === 'noop') {
    middleware = (_req: Request, _res: Response, next: NextFunction) => next();
  } else if (auth === 'passport') {
    const { users, apiKeys } = peerKeys(count);
    credentials = { apiKeys };
    // The package's README setup; `session: false` needs no `passport.initialize()` since passport 0.6.
    passport.use(
      new HeaderAPIKeyStrategy({ header: 'Authorization', prefix: 'Api-Key ' }, false, (apiKey: string, done: (error: Error | null, user?: object | false) => void) => {
        const id = users.get(apiKey);
        done(null, id === undefined ? false : { id });
      }),
    );
    middleware = passport.authenticate('headerapikey', { session: false }) as RequestHandler;
  } else if (isGatehouse(auth)) {
    const provisioned = await gatehouse(auth, count);
    credentials = provisioned.credentials;
    middleware = expressAuthenticate(provisioned.strategy);
  } else if (auth !== 'none') {
    throw new Error(`express has no ${auth}`);
  }
  const handlers: RequestHandler[] = middleware === undefined ? [handler] : [middleware, handler];
  if (method === 'GET') app.get(path, ...handlers);
  else app.post(path, ...handlers);
  const server = createServer(app);
  return { port: await listen(server), credentials, close: closer(server) };
}

async function startFastify({ auth, credentials: count }: ServerSpec): Promise<StartedServer> {
  const app = Fastify();
  const { method, path } = routeOf(auth);
  let credentials: StartedServer['credentials'] = {};
  let preHandler: preHandlerHookHandler | undefined;
  const userOf = (request: FastifyRequest): string | null => (request as unknown as { user: string | null }).user;
  if (auth === 'noop') {
    // The cheapest hook Fastify has: a callback that calls on at once (an async hook costs a promise more).
    preHandler = (_request, _reply, done) => done();
  } else if (auth === 'fastify-bearer') {
    const { users, apiKeys } = peerKeys(count);
    credentials = { apiKeys };
    app.decorateRequest('user', null);
    // With many keys, `auth` with a Map: the `keys` list would be compared one by one.
    await app.register(fastifyBearerAuth, {
      keys: [],
      auth: (key, request) => {
        const user = users.get(key);
        if (user === undefined) return false;
        (request as unknown as { user: string | null }).user = user;
        return true;
      },
    });
  } else if (isGatehouse(auth)) {
    const provisioned = await gatehouse(auth, count);
    credentials = provisioned.credentials;
    await app.register(gatehouseFastify);
    preHandler = fastifyAuthenticate(provisioned.strategy) as unknown as preHandlerHookHandler;
  } else if (auth !== 'none') {
    throw new Error(`fastify has no ${auth}`);
  }
  app.route({
    method,
    url: path,
    ...(preHandler === undefined ? {} : { preHandler }),
    handler: async (request) => ({ ok: true, user: request.auth?.principal.id ?? userOf(request) ?? 'anonymous' }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    port: (app.server.address() as AddressInfo).port,
    credentials,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}

type HonoEnv = { Bindings: HttpBindings; Variables: { user: string; auth: AuthContext | null } };

async function startHono({ auth, credentials: count }: ServerSpec): Promise<StartedServer> {
  const app = new Hono<HonoEnv>();
  const { method, path } = routeOf(auth);
  let credentials: StartedServer['credentials'] = {};
  if (auth === 'noop') {
    app.use(path, async (_c, next) => {
      await next();
    });
  } else if (auth === 'hono-bearer') {
    const { users, apiKeys } = peerKeys(count);
    credentials = { apiKeys };
    app.use(
      path,
      bearerAuth({
        verifyToken: (token, c) => {
          const user = users.get(token);
          if (user === undefined) return false;
          (c as unknown as Context<HonoEnv>).set('user', user);
          return true;
        },
      }),
    );
  } else if (isGatehouse(auth)) {
    const provisioned = await gatehouse(auth, count);
    credentials = provisioned.credentials;
    // The client IP comes from @hono/node-server's bindings (`c.env.incoming.socket`), the package's default.
    app.use(path, honoAuthenticate(provisioned.strategy) as unknown as MiddlewareHandler<HonoEnv>);
  } else if (auth !== 'none') {
    throw new Error(`hono has no ${auth}`);
  }
  app.on(method, path, (c) => c.json({ ok: true, user: c.get('auth')?.principal.id ?? c.get('user') ?? 'anonymous' }));
  const server = await new Promise<Server>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started as Server));
    started.once('error', reject);
  });
  return { port: (server.address() as AddressInfo).port, credentials, close: closer(server) };
}
