import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthGuard, createMemoryCredentialStore, toFetchResponse, type AuthStrategy } from '@gatehouse/auth-core';
import { generateHexToken } from '@gatehouse/auth-core/crypto';
import { createNodeRequestAdapter, writeNodeReply } from '@gatehouse/auth-core/node';
import { serve, type HttpBindings } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import passport from 'passport';
import { HeaderAPIKeyStrategy } from 'passport-headerapikey';
import { createStrategies, provision, SCHEMES, type Credentials, type Scheme } from '../schemes.js';

/** Which server a child process runs. */
export type Framework = 'node' | 'hono' | 'express';
/** Its authentication: none, a Gatehouse strategy, or a peer's. */
export type ServerAuth = 'none' | Scheme | 'passport' | 'bearer' | 'noop';

export interface ServerSpec {
  readonly framework: Framework;
  readonly auth: ServerAuth;
  /** Credentials of the scheme to provision (Gatehouse and passport). */
  readonly credentials: number;
}

/** What the peers' clients hold. */
export interface PeerCredentials {
  /** passport-headerapikey: `X-API-Key` values. */
  readonly apiKeys?: readonly string[];
  /** hono/bearer-auth: the one configured token. */
  readonly bearerToken?: string;
}

export interface StartedServer {
  readonly port: number;
  readonly credentials: Partial<Credentials> & PeerCredentials;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function isGatehouse(auth: ServerAuth): auth is Scheme {
  return (SCHEMES as readonly string[]).includes(auth);
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

/**
 * Starts one server on 127.0.0.1 with an ephemeral port. Gatehouse runs as an application would use it: a
 * `createAuthGuard` around the strategy, fed by `createNodeRequestAdapter`; on node:http a refusal is written
 * with `writeNodeReply`; on Hono a middleware hands `c.env.incoming` (the Node `IncomingMessage` that
 * @hono/node-server exposes) to the same adapter (as apps/demo does) and guard, and returns a refusal as
 * `toFetchResponse(reply)`. Either way the refusal is the strategy's own `renderRefusal` envelope.
 */
export async function startServer(spec: ServerSpec): Promise<StartedServer> {
  const { framework, auth } = spec;
  if (framework === 'node') {
    if (auth === 'none') {
      // The same reply as the authenticated server's, built per request as a handler would.
      const server = createServer((_req, res) => send(res, 200, JSON.stringify({ ok: true, user: 'anonymous' })));
      return { port: await listen(server), credentials: {}, close: closer(server) };
    }
    if (!isGatehouse(auth)) throw new Error(`node:http has no ${auth}`);
    const { strategy, credentials } = await gatehouse(auth, spec.credentials);
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

  if (framework === 'hono') {
    const app = new Hono<{ Bindings: HttpBindings; Variables: { user: string } }>();
    let credentials: StartedServer['credentials'] = {};
    if (auth === 'noop') {
      // Reference: what any middleware costs on Hono (a single handler takes Hono's fast path; two are composed).
      app.use('*', async (_c, next) => {
        await next();
      });
    } else if (auth === 'bearer') {
      const token = generateHexToken(32);
      credentials = { bearerToken: token };
      app.use('*', bearerAuth({ token }));
    } else if (isGatehouse(auth)) {
      const provisioned = await gatehouse(auth, spec.credentials);
      credentials = provisioned.credentials;
      const { strategy } = provisioned;
      const guard = createAuthGuard(strategy);
      const toAuthRequest = createNodeRequestAdapter();
      app.use('*', async (c, next) => {
        const decision = await guard(toAuthRequest(c.env.incoming));
        // A refusal goes out in the scheme's own envelope, status and headers.
        if (decision.type === 'refused') return toFetchResponse(decision.reply);
        if (decision.auth !== null) c.set('user', decision.auth.principal.id);
        await next();
        return undefined;
      });
    } else if (auth !== 'none') {
      throw new Error(`hono has no ${auth}`);
    }
    app.all('*', (c) => c.json({ ok: true, user: c.get('user') ?? 'anonymous' }));
    const server = await new Promise<Server>((resolve, reject) => {
      const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started as Server));
      started.once('error', reject);
    });
    return { port: (server.address() as AddressInfo).port, credentials, close: closer(server) };
  }

  // Express 5, bare or with passport + passport-headerapikey (the verify callback is a Map lookup of the key).
  const app = express();
  let credentials: StartedServer['credentials'] = {};
  if (auth === 'passport') {
    const users = new Map<string, { id: string }>();
    const apiKeys: string[] = [];
    for (let i = 0; i < spec.credentials; i++) {
      const key = generateHexToken(16);
      apiKeys.push(key);
      users.set(key, { id: `user-${i}` });
    }
    credentials = { apiKeys };
    passport.use(
      new HeaderAPIKeyStrategy({ header: 'X-API-Key', prefix: '' }, false, (apiKey: string, done: (error: Error | null, user?: object | false) => void) => {
        done(null, users.get(apiKey) ?? false);
      }),
    );
    app.use(passport.initialize());
    app.get('/api/data', passport.authenticate('headerapikey', { session: false }), (req, res) => {
      res.json({ ok: true, user: (req.user as { id: string }).id });
    });
  } else if (auth === 'none') {
    app.get('/api/data', (_req, res) => {
      res.json({ ok: true, user: 'anonymous' });
    });
  } else {
    throw new Error(`express has no ${auth}`);
  }
  const server = createServer(app);
  return { port: await listen(server), credentials, close: closer(server) };
}
