import { serve } from '@hono/node-server';
import { createLoginThrottle, createMemoryCredentialStore, createMemoryEphemeralStore } from '@gatehouse/auth-core';
import { createSecretSealer, randomBytes } from '@gatehouse/auth-core/crypto';
import { authenticate, errorBridge, notFound, routeKit } from '@gatehouse/hono';
import { createApexRoutes, createHmacKeyManager, hmacSession, hmacSignature } from '@gatehouse/strategy-hmac-signature';
import { Hono } from 'hono';
import { checkPassword, placeOrder, userInfo } from './data.js';

const store = createMemoryCredentialStore(); // API keys and sessions; @gatehouse/store-sqlite keeps them across restarts
const ephemeralStore = createMemoryEphemeralStore(); // spent nonces, failed logins
// API secrets are kept sealed under a key-encryption key: in production parseKeyEncryptionKeys(process.env.GATEHOUSE_KEK).
// Memory stores forget every key on exit anyway, so a fresh KEK per start will do here.
const sealer = createSecretSealer([randomBytes(32)]);
const kit = createApexRoutes({
  authenticateUser: hmacSignature({ store, sealer, ephemeralStore, noncePolicy: 'unique' }), // each nonce once per key
  sessions: hmacSession({ store, sessionKinds: ['api', 'web'] }), // key management needs a password (web) session
  manager: createHmacKeyManager({ store, sealer, permissions: ['Trading', 'Deposit', 'Withdraw'] }),
  verifyLogin: checkPassword,
  loginThrottle: createLoginThrottle(ephemeralStore),
});
const apiSession = hmacSession({ store }); // your own calls: API-key sessions only, never a web session

const app = new Hono();
app.use(routeKit(kit)); // AuthenticateUser, WebAuthenticateUser, AddUserAPIKey, GetUserAPIKeys, RemoveUserAPIKey, LogOut
app.post('/ap/GetUserInfo', authenticate(apiSession), (c) => c.json(userInfo(c.get('auth').principal.id) ?? null));
app.post('/ap/SendOrder', authenticate(apiSession, { require: 'Trading' }), (c) => c.json(placeOrder()));
app.notFound(notFound(kit)); // {"result":false,"errormsg":"Resource Not Found","errorcode":104,…}
app.onError(errorBridge(kit)); // what a handler throws, in APEX's shape too

const port = Number(process.env['PORT'] ?? 3000);
serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, () => console.log(`listening on http://127.0.0.1:${port}`));
