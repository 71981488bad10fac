import { ConfigurationError } from './errors.js';
import { encodeHex, sha256Digest } from './secrets.js';
import type { EphemeralStore } from './stores.js';

/**
 * Failed password logins counted per client IP and per login name (NIST SP 800-63B §5.2.2: at most 100
 * consecutive failures per account): guessing one account's password from many addresses stops once the account
 * has had `maxFailures` failures in the window, through any login route that shares the throttle, and one address
 * stops once it has, whatever logins it tries. Attempts still being checked count as failures until they are
 * decided, so parallel requests cannot overshoot the limit. Like every per-account limit, anyone can lock an
 * account for one window by failing on purpose; the per-IP limit bounds each address.
 *
 * @example
 * ```ts
 * const tried = await throttle.attempt(request.clientIp, login, () => accounts.verify(login, password));
 * if (tried.throttled) return refuse('RATE_LIMITED');
 * ```
 */
export interface LoginThrottle {
  /**
   * Runs `check` (the password check: the account, or `null` for a failure) unless the client's IP or the login
   * has used up its failures, and counts a failure against both. `throttled` when it did not run.
   */
  attempt<T>(clientIp: string | null, login: string, check: () => Promise<T | null>): Promise<{ readonly throttled: true } | { readonly throttled: false; readonly account: T | null }>;
}

/**
 * Options of {@link createLoginThrottle}.
 *
 * @example
 * ```ts
 * const options: LoginThrottleOptions = { maxFailures: 100, windowInSeconds: 900 };
 * ```
 */
export interface LoginThrottleOptions {
  /** Failures per client IP, and per login, within the window. Default 100. */
  readonly maxFailures?: number;
  /** Default 900 (15 minutes). */
  readonly windowInSeconds?: number;
  /** Prefix of the counter keys. Default `login-failures:`. */
  readonly keyPrefix?: string;
}

const pendingByStore = new WeakMap<EphemeralStore, Map<string, number>>();

/**
 * Creates a {@link LoginThrottle} counting in `store` (share one throttle between every login route, so an
 * account has one budget whichever form is used; give every instance of a service the same shared store).
 *
 * @example
 * ```ts
 * import { createLoginThrottle, createMemoryEphemeralStore } from '@gatehouse/auth-core';
 * const loginThrottle = createLoginThrottle(createMemoryEphemeralStore(), { maxFailures: 100 });
 * ```
 */
export function createLoginThrottle(store: EphemeralStore, options: LoginThrottleOptions = {}): LoginThrottle {
  if (store === null || typeof store !== 'object' || typeof store.increment !== 'function' || typeof store.get !== 'function') {
    throw new ConfigurationError('store', 'must be an EphemeralStore');
  }
  const maxFailures = options.maxFailures ?? 100;
  if (!Number.isSafeInteger(maxFailures) || maxFailures < 1) throw new ConfigurationError('maxFailures', 'must be a positive integer');
  const windowInSeconds = options.windowInSeconds ?? 900;
  if (!(windowInSeconds > 0) || !Number.isFinite(windowInSeconds)) throw new ConfigurationError('windowInSeconds', 'must be a positive number');
  const prefix = options.keyPrefix ?? 'login-failures:';
  if (typeof prefix !== 'string') throw new ConfigurationError('keyPrefix', 'must be a string');
  // Logins are keyed by digest: the key length stays fixed and no login name is written to the store. An IP is
  // never spelled "login:", so the two kinds of key cannot meet.
  const keysOf = (clientIp: string | null, login: string): [string, string] => [
    `${prefix}ip:${clientIp ?? 'unknown'}`,
    `${prefix}login:${encodeHex(sha256Digest(login))}`,
  ];
  // Attempts of this process still being checked, per key, shared by every throttle counting in this store.
  let pending = pendingByStore.get(store);
  if (pending === undefined) {
    pending = new Map<string, number>();
    pendingByStore.set(store, pending);
  }
  const inFlight = pending;
  const adjust = (key: string, by: number): void => {
    const next = (inFlight.get(key) ?? 0) + by;
    if (next === 0) inFlight.delete(key);
    else inFlight.set(key, next);
  };
  // The attempt is reserved before the counters are read, so two requests interleaving at the `await`s below both
  // see each other; at the limit that refuses one too many rather than letting one too many through.
  const overLimit = async (key: string): Promise<boolean> => ((await store.get(key)) ?? 0) + (inFlight.get(key) ?? 0) > maxFailures;
  return {
    async attempt(clientIp, login, check) {
      const keys = keysOf(clientIp, login);
      for (const key of keys) adjust(key, 1);
      let account: Awaited<ReturnType<typeof check>>;
      try {
        for (const key of keys) if (await overLimit(key)) return { throttled: true };
        account = await check();
        if (account === null) for (const key of keys) await store.increment(key, windowInSeconds);
      } finally {
        for (const key of keys) adjust(key, -1);
      }
      return { throttled: false, account };
    },
  };
}
