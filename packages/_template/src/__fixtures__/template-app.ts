// A small application serving the template: its strategy on GET /resource and its route kit at /keys (owner
// `owner-1` behind `Authorization: Bearer owner-1`), in-process or on node:http. Flaws turn it into the servers
// the conformance scheme must catch.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError, createAuthGuard, createFetchRequestAdapter, createMemoryCredentialStore, createRouteKitHandler, renderSuccess, type AuthRequest, type WireReply } from '@gatehouse/auth-core';
import { createNodeRequestAdapter, writeNodeReply } from '@gatehouse/auth-core/node';
import type { WireSender } from '@gatehouse/conformance';
import { createTemplateKeyManager, createTemplateRoutes, templateKey } from '../index.js';

export const OWNER_TOKEN = 'owner-1';

/** What a flawed server gets wrong. */
export interface TemplateFlaws {
  /** Accepts any 64-hex key. */
  readonly acceptAnyKey?: boolean;
  /** Caches keys it accepted once and keeps accepting them after their revocation. */
  readonly cachesKeys?: boolean;
  /** Accepts a key that a live key starts with, or that starts with one (truncation). */
  readonly prefixMatch?: boolean;
  /** Repeats the presented key in refusals. */
  readonly echoesKey?: boolean;
  /** Tells a revoked key ("API key revoked") from an unknown one. */
  readonly revealsRevoked?: boolean;
  /** Refuses malformed keys with 401 instead of the template's 400. */
  readonly malformedIs401?: boolean;
  /** Answers every key route with 429. */
  readonly throttles?: boolean;
}

/** The template application: one handler for every request. */
export function createTemplateApp(flaws: TemplateFlaws = {}): (request: AuthRequest) => Promise<WireReply<unknown>> {
  const store = createMemoryCredentialStore();
  const strategy = templateKey({ store });
  const guard = createAuthGuard(strategy);
  const routes = createRouteKitHandler(
    createTemplateRoutes({
      manager: createTemplateKeyManager({ store, maxKeysPerOwner: 1000 }),
      authorize: async (request) => (request.header('authorization') === `Bearer ${OWNER_TOKEN}` ? 'owner-1' : new AuthError('CREDENTIALS_MISSING')),
    }),
  );
  const seen = new Set<string>();
  return async (request) => {
    if (flaws.throttles === true && request.path.startsWith('/keys')) return { httpStatus: 429, headers: {}, body: { error: 'Too many requests' } };
    const kitReply = await routes(request);
    if (kitReply !== null) return kitReply;
    if (request.path !== '/resource') return strategy.renderRefusal({ type: 'rejected', error: new AuthError('ROUTE_NOT_FOUND') });
    const presented = request.header('x-template-key') ?? '';
    const decision = await guard(request);
    if (decision.type === 'allowed') {
      seen.add(presented.toLowerCase());
      return renderSuccess(strategy, { owner: decision.auth?.principal.id ?? null });
    }
    const lower = presented.toLowerCase();
    if (flaws.acceptAnyKey === true && /^[0-9a-f]{64}$/.test(lower)) return renderSuccess(strategy, { owner: 'anyone' });
    if (flaws.cachesKeys === true && seen.has(lower)) return renderSuccess(strategy, { owner: 'cached' });
    if (flaws.prefixMatch === true && lower.length >= 32 && [...seen].some((key) => key.startsWith(lower) || lower.startsWith(key))) return renderSuccess(strategy, { owner: 'prefix' });
    if (flaws.revealsRevoked === true && seen.has(lower)) return { ...decision.reply, body: { error: 'API key revoked' } };
    if (flaws.echoesKey === true) return { ...decision.reply, body: { ...(decision.reply.body as object), key: presented } };
    if (flaws.malformedIs401 === true && decision.reply.httpStatus === 400) return { ...decision.reply, httpStatus: 401 };
    return decision.reply;
  };
}

/** A sender that hands requests to the application in-process, bodies through JSON as on the wire. */
export function inProcessSender(app: (request: AuthRequest) => Promise<WireReply<unknown>>): WireSender {
  const toAuthRequest = createFetchRequestAdapter();
  return {
    async send(request) {
      const reply = await app(toAuthRequest(request, { remoteAddress: '127.0.0.1' }));
      return { status: reply.httpStatus, body: JSON.parse(JSON.stringify(reply.body ?? null)) as unknown };
    },
  };
}

/** Serves the application on 127.0.0.1 (a free port). */
export async function serveTemplateApp(flaws: TemplateFlaws = {}): Promise<{ readonly baseUrl: string; close(): Promise<void> }> {
  const app = createTemplateApp(flaws);
  const toAuthRequest = createNodeRequestAdapter();
  const server: Server = createServer((req, res) => {
    app(toAuthRequest(req)).then(
      (reply) => writeNodeReply(res, reply),
      () => {
        res.statusCode = 500;
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
