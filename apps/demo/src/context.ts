import type { AuthRequest, Clock, CredentialStore, EphemeralStore, LoginThrottle, StoreHealth } from '@gatehouse/auth-core';
import type { SecretSealer } from '@gatehouse/auth-core/crypto';
import type { AccountDirectory } from './accounts.js';
import type { DemoConfig } from './config.js';
import type { VpnAccountStore } from './vpn-accounts.js';

/** What every route of the demo may use. */
export interface DemoContext {
  readonly config: DemoConfig;
  readonly clock: Clock;
  readonly credentials: CredentialStore;
  readonly ephemeral: EphemeralStore;
  readonly sealer: SecretSealer;
  readonly accounts: AccountDirectory;
  /**
   * Failed password logins per client IP and per login, shared by every login form (the web sign-in,
   * `/api/v1/auth/login`, Navixy `user/auth` and `panel/account/auth`, APEX `WebAuthenticateUser`): one account has
   * one budget whichever form is used.
   */
  readonly loginThrottle: LoginThrottle;
  /** The control panel's VPN accounts (the `/api/v1/accounts` resource). */
  readonly vpnAccounts: VpnAccountStore;
  /** Lines for the start-up log that routes want to add (e.g. which compatibility modes are on). */
  readonly notices: string[];
  /** The demo's log (standard output unless the embedder gave another). */
  readonly log: (line: string) => void;
  /** Whether every store can write now (each store's `health()`); the first failure's reason when not. */
  health(): Promise<StoreHealth>;
}

/** Hono variables set per request. */
export interface DemoVariables {
  /**
   * The request as Gatehouse reads it, for the demo's own code (the web interface, its session routes, bodies of
   * its resources); built on first use. The `auth` variable is `@gatehouse/hono`'s, set by `authenticate()`.
   */
  request: AuthRequest;
}
