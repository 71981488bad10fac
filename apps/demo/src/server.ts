import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createLoginThrottle, systemClock, type Clock } from '@gatehouse/auth-core';
import { createSecretSealer } from '@gatehouse/auth-core/crypto';
import { openAccountDirectory } from './accounts.js';
import { createApp } from './app.js';
import { openBackends } from './backends.js';
import { loadConfig } from './config.js';
import type { DemoContext } from './context.js';
import { openVpnAccountStore } from './vpn-accounts.js';

/** A running demo server. */
export interface RunningDemo {
  readonly url: string;
  readonly port: number;
  readonly context: DemoContext;
  close(): Promise<void>;
}

/** Options of {@link startDemo}. */
export interface StartDemoOptions {
  readonly log?: (line: string) => void;
  readonly clock?: Clock;
}

/**
 * Starts the demo: reads the environment, opens (and migrates) its stores (the SQLite file, or PostgreSQL and
 * Redis), creates the demo accounts on first start, and listens.
 */
export async function startDemo(env: NodeJS.ProcessEnv = process.env, options: StartDemoOptions = {}): Promise<RunningDemo> {
  const log = options.log ?? ((line: string) => console.log(line));
  const clock = options.clock ?? systemClock;
  const config = loadConfig(env, log);
  const stores = await openBackends(config, clock);
  const listen = async () => {
    const accounts = await openAccountDirectory(stores.sql, config.passwordCostExponent);
    const context: DemoContext = {
      config,
      clock,
      credentials: stores.credentials,
      ephemeral: stores.ephemeral,
      sealer: createSecretSealer(config.keyEncryptionKeys),
      accounts,
      // Failed logins per client IP and per login in 15 minutes: GATEHOUSE_MAX_FAILURES (default 100, NIST SP 800-63B).
      loginThrottle: createLoginThrottle(stores.ephemeral, { maxFailures: config.maxFailuresPerIp }),
      vpnAccounts: await openVpnAccountStore(stores.sql),
      notices: [],
      log,
      async health() {
        const checks = await Promise.all([stores.credentials.health(), stores.ephemeral.health()]);
        return checks.find((check) => check.status !== 'ok') ?? { status: 'ok' };
      },
    };
    const created = await accounts.createDemoAccounts(config, clock.now());
    const app = createApp(context);

    const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const started = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(started));
      started.once('error', reject);
    });
    return { server, context, accounts, created };
  };
  let started: Awaited<ReturnType<typeof listen>>;
  try {
    started = await listen();
  } catch (error) {
    // Nothing half-started stays open: the pools and clients would keep the process alive.
    await stores.close();
    throw error;
  }
  const { server, context, accounts, created } = started;
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;

  // A key kept in a file beside the database travels with every copy of the folder: a backup, a stolen disk
  // image. Say so at every start, not only the first.
  const besideTheDatabase =
    `the key-encryption key is in ${config.keyFilePath}, beside the database: anyone with a copy of that folder can open every sealed secret ` +
    '(APEX API secrets, revealable NVX keys). Fine for a demo; in production set GATEHOUSE_KEK from the environment or a secret manager, and keep the key out of the folder and its backups.';
  if (config.keySource === 'generated') {
    log(`warning: GATEHOUSE_KEK is not set; generated a key-encryption key into ${config.keyFilePath} (mode 0600). Keep it: secrets sealed under it cannot be recovered without it.`);
    log(`warning: ${besideTheDatabase}`);
  } else if (config.keySource === 'file') {
    log(`warning: ${besideTheDatabase}`);
  }
  for (const line of stores.description) log(line);
  if (config.trustedProxies.length > 0) log(`Trusted proxies: ${config.trustedProxies.join(', ')}`);
  if (created.length > 0) {
    log('Demo accounts (created now):');
    const titles = { master: 'master user', sub: 'sub-user', panel: 'panel admin' } as const;
    for (const account of created) log(`  ${titles[account.role].padEnd(16)} ${account.login} / ${config.accounts[account.role].password}`);
  } else {
    log('Demo accounts (passwords as set on first start):');
    for (const account of await accounts.list()) log(`  ${account.role.padEnd(16)} ${account.login}`);
  }
  for (const notice of context.notices) log(notice);
  log(`Gatehouse demo listening on ${url}`);

  return {
    url,
    port,
    context,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          void stores.close().finally(resolve);
        });
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
