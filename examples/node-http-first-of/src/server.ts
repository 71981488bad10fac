import { createServer } from 'node:http';
import { AuthError, createAuthGuard, createLoginThrottle, createMemoryCredentialStore, createMemoryEphemeralStore, createRouteKitHandler, firstOf, renderSuccess, type AuthStrategy } from '@gatehouse/auth-core';
import { createNodeRequestAdapter, writeNodeReply } from '@gatehouse/auth-core/node';
import { accessHashCookie, createAccessHashManager, createAccessHashRoutes } from '@gatehouse/strategy-access-hash-cookie';
import { createNvxHashManager, createNvxRoutes, nvxHash } from '@gatehouse/strategy-nvx-hash';
import { checkPassword, isAdministrator, panelAccounts, systemStatus, tariffs, trackers, users } from './data.js';

const store = createMemoryCredentialStore(); // both schemes' credentials; @gatehouse/store-sqlite keeps them across restarts
const nvx = nvxHash({ store });
const accessHash = accessHashCookie({ store });
const answerNvxRoutes = createRouteKitHandler(createNvxRoutes({
  strategy: nvx,
  manager: createNvxHashManager({ store }),
  verifyLogin: (login, password) => checkPassword(users, login, password),
  verifyPanelLogin: (login, password) => checkPassword(panelAccounts, login, password),
  loginThrottle: createLoginThrottle(createMemoryEphemeralStore()),
}));
const answerAccessHashRoutes = createRouteKitHandler(createAccessHashRoutes({
  manager: createAccessHashManager({ store }),
  authorize: async (request) => (isAdministrator(request.header('authorization')) ? 'admin' : new AuthError('OPERATION_NOT_PERMITTED')),
}));

const resource = (strategy: AuthStrategy, payload: object) => ({ strategy, payload, guard: createAuthGuard(strategy) });
const resources = new Map([
  ['/v2/tracker/list', resource(firstOf([nvx, accessHash]), { list: trackers })], // a Navixy API key or an access hash
  ['/v2/panel/tariff/list', resource(nvx, { list: tariffs })],
  ['/api/v1/system/status', resource(accessHash, systemStatus)],
]);

const toAuthRequest = createNodeRequestAdapter(); // the client IP is the socket's: give it trustedProxies behind a proxy
const port = Number(process.env['PORT'] ?? 3000);
createServer(async (req, res) => {
  const request = toAuthRequest(req);
  const kitReply = (await answerNvxRoutes(request)) ?? (await answerAccessHashRoutes(request));
  if (kitReply !== null) return writeNodeReply(res, kitReply);
  const found = resources.get(request.path);
  if (found === undefined) return writeNodeReply(res, (request.path.startsWith('/v2/') ? nvx : accessHash).renderRefusal({ type: 'rejected', error: new AuthError('ROUTE_NOT_FOUND') }));
  const decision = await found.guard(request);
  writeNodeReply(res, decision.type === 'refused' ? decision.reply : renderSuccess(found.strategy, found.payload, { strategyId: decision.auth?.strategyId ?? found.strategy.id }));
}).listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
