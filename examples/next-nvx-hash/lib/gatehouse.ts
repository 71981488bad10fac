import { createLoginThrottle, createMemoryCredentialStore, createMemoryEphemeralStore } from '@gatehouse/auth-core';
import { createNvxHashManager, createNvxRoutes, nvxHash } from '@gatehouse/strategy-nvx-hash';
import { checkPassword, panelAccounts, users } from './data';

const store = createMemoryCredentialStore(); // API keys and sessions; @gatehouse/store-sqlite keeps them across restarts

/** The strategy every /v2 route file uses, and the kit the catch-all route serves. */
export const nvx = nvxHash({ store });
export const kit = createNvxRoutes({
  strategy: nvx,
  manager: createNvxHashManager({ store }),
  verifyLogin: (login, password) => checkPassword(users, login, password),
  verifyPanelLogin: (login, password) => checkPassword(panelAccounts, login, password),
  loginThrottle: createLoginThrottle(createMemoryEphemeralStore()), // per client IP and per login
});

// Route handlers get no socket address: name the header your platform sets (x-real-ip on Vercel). Without one the
// client IP is unknown, and the login throttle counts every client's failures together.
const clientIpHeader = process.env['CLIENT_IP_HEADER'];
export const adapterOptions = clientIpHeader ? { clientIp: { header: clientIpHeader } } : {};
