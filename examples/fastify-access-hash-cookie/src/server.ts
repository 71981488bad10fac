import Fastify from 'fastify';
import { createMemoryCredentialStore, type WireReply } from '@gatehouse/auth-core';
import gatehouse, { authenticate, errorBridge, routeKit } from '@gatehouse/fastify';
import { accessHashCookie, createAccessHashManager, createAccessHashRoutes } from '@gatehouse/strategy-access-hash-cookie';
import { isAdministrator, systemStatus } from './data.js';

const store = createMemoryCredentialStore(); // access hashes; @gatehouse/store-sqlite keeps them across restarts
const accessHash = accessHashCookie({ store });
const adminRequired: WireReply<unknown> = {
  httpStatus: 401,
  headers: { 'www-authenticate': 'Bearer' },
  body: { error: 'Administrator token required', msg: '', status: 'error' }, // the panel's envelope
};
const kit = createAccessHashRoutes({
  manager: createAccessHashManager({ store }),
  // The administrator's bearer token, never an access hash: a leaked hash must not mint more.
  authorize: async (request) => (isAdministrator(request.header('authorization')) ? 'admin' : adminRequired),
});

const app = Fastify();
await app.register(gatehouse); // request.auth, typed
await app.register(routeKit(kit)); // GET and POST /api/v1/access-hashes, DELETE /api/v1/access-hashes/:id
await app.register(
  async (api) => {
    await api.register(errorBridge(accessHash)); // 404s, bad bodies and errors under /api/v1 in the panel's envelope
    api.get('/system/status', { preHandler: authenticate(accessHash) }, async (request) => ({
      error: '',
      msg: { ...systemStatus(), access_hash_id: request.auth?.credential.id },
      status: 'success',
    }));
  },
  { prefix: '/api/v1' },
);
console.log(`listening on ${await app.listen({ host: '127.0.0.1', port: Number(process.env['PORT'] ?? 3000) })}`);
