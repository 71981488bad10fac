import express, { type RequestHandler } from 'express';
import { createLoginThrottle, createMemoryCredentialStore, createMemoryEphemeralStore } from '@gatehouse/auth-core';
import { authenticate, errorBridge, notFound, routeKit } from '@gatehouse/express';
import { createNvxHashManager, createNvxRoutes, nvxHash } from '@gatehouse/strategy-nvx-hash';
import { checkPassword, panelAccounts, tariffs, trackers, users } from './data.js';

const store = createMemoryCredentialStore(); // API keys and sessions; @gatehouse/store-sqlite keeps them across restarts
const nvx = nvxHash({ store });
const kit = createNvxRoutes({
  strategy: nvx,
  manager: createNvxHashManager({ store }),
  verifyLogin: (login, password) => checkPassword(users, login, password),
  verifyPanelLogin: (login, password) => checkPassword(panelAccounts, login, password),
  loginThrottle: createLoginThrottle(createMemoryEphemeralStore()),
});

/** A Navixy list, for GET and POST alike; the strategy has already refused a hash of the wrong kind for the path. */
const listOf = (list: readonly object[]): RequestHandler[] => [
  authenticate(nvx),
  (_req, res) => {
    res.json({ success: true, list });
  },
];

const app = express();
app.use(routeKit(kit)); // /v2/user/auth, /v2/user/logout, /v2/api/key/create|list|delete, /v2/panel/account/auth …
app.route('/v2/tracker/list').get(listOf(trackers)).post(listOf(trackers)); // an API key
app.route('/v2/panel/tariff/list').get(listOf(tariffs)).post(listOf(tariffs)); // a panel session hash
app.use('/v2', notFound(nvx), errorBridge(nvx)); // 404, 412 (code 9), 500 … in Navixy's envelope

const port = Number(process.env['PORT'] ?? 3000);
app.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
