import { createMemoryCredentialStore, type RouteKit } from '@gatehouse/auth-core';
import type { NodeRequestContext } from '@gatehouse/auth-core/node';
import { nvxHash, renderNvxSuccess } from '@gatehouse/strategy-nvx-hash';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { authenticate, routeKit } from './index.js';

// What the adapter hands core's Node adapter as the body, request by request: the one place where "the
// strategy sees the exact bytes" can be observed, since strategies only ever get the decoded body.
const handedBodies = vi.hoisted((): unknown[] => []);
vi.mock('@gatehouse/auth-core/node', async (importOriginal) => {
  const original = await importOriginal<typeof import('@gatehouse/auth-core/node')>();
  return {
    ...original,
    createNodeRequestAdapter: (...args: Parameters<typeof original.createNodeRequestAdapter>) => {
      const adapt = original.createNodeRequestAdapter(...args);
      return (incoming: Parameters<typeof adapt>[0], context?: NodeRequestContext) => {
        handedBodies.push(context?.body);
        return adapt(incoming, context);
      };
    },
  };
});

const apps: FastifyInstance[] = [];
afterEach(async () => {
  handedBodies.length = 0;
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

const strategy = nvxHash({ store: createMemoryCredentialStore() });
const kit: RouteKit = {
  id: 'nvx-hash',
  basePaths: ['/v2'],
  renderRefusal: (refusal) => strategy.renderRefusal(refusal),
  routes: [{ methods: ['POST'], path: '/user/auth', summary: 'reads the body', handle: async ({ auth }) => renderNvxSuccess({ body: (await auth.body()).type }) }],
};
// Ambiguous as JSON: two `hash` members, spacing a parser throws away.
const SENT = '{ "hash" : "00000000000000000000000000000000",\n  "hash" : "ffffffffffffffffffffffffffffffff" }';

describe('the body core is handed', () => {
  it('in routeKit is the bytes exactly as sent, repeated keys and spacing included', async () => {
    const app = Fastify();
    apps.push(app);
    await app.register(routeKit(kit));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const response = await fetch(`${url}/v2/user/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: SENT });
    expect(await response.json()).toEqual({ success: true, body: 'json' });
    expect(handedBodies).toHaveLength(1);
    const [handed] = handedBodies;
    expect(handed).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(handed as Uint8Array)).toBe(SENT);
  });

  it("under authenticate on an application route is what Fastify's JSON parser left: one value per key", async () => {
    const app = Fastify();
    apps.push(app);
    app.post('/v2/tracker/list', { preHandler: authenticate(strategy) }, async () => ({ ok: true }));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    await fetch(`${url}/v2/tracker/list`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: SENT });
    expect(handedBodies).toEqual([{ hash: 'ffffffffffffffffffffffffffffffff' }]);
  });

  it('is nothing for a request without a body', async () => {
    const app = Fastify();
    apps.push(app);
    app.get('/v2/tracker/list', { preHandler: authenticate(strategy, { optional: true }) }, async () => ({ ok: true }));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    expect(await (await fetch(`${url}/v2/tracker/list`)).json()).toEqual({ ok: true });
    expect(handedBodies).toEqual([undefined]);
  });
});
