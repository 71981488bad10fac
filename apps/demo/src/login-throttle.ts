import { type EphemeralStore } from '@gatehouse/auth-core';
import { encodeHex, sha256Digest } from '@gatehouse/auth-core/crypto';

/** Failed logins are counted in fixed windows of this length (15 minutes). */
export const LOGIN_WINDOW_SECONDS = 900;

/** Where every login form counts failures per login: one account, one budget, whichever form is used. */
const LOGIN_KEY_PREFIX = 'login-failures:login:';

/**
 * Failed password logins counted per client IP and per login name (NIST SP 800-63B §5.2.2: at most 100
 * failures per account): guessing one account's password from many addresses stops once the account has had
 * `maxFailures` failures in the window, through any of the demo's login forms, and one address stops once it
 * has, whatever logins it tries. Attempts still being checked count as failures until they are decided, so
 * parallel requests cannot overshoot the limit. Like every per-account limit, anyone can lock an account for
 * one window by failing on purpose; the per-IP limit bounds each address.
 */
export interface LoginThrottle {
  /**
   * Runs `check` (the password check: the account, or `null` for a failure) unless the client's IP or the
   * login has used up its failures, and counts a failure against both. `throttled` when it did not run.
   */
  attempt<T>(clientIp: string | null, login: string, check: () => Promise<T | null>): Promise<{ throttled: true } | { throttled: false; account: T | null }>;
}

const pendingByStore = new WeakMap<EphemeralStore, Map<string, number>>();

/**
 * Creates a {@link LoginThrottle}; `ipPrefix` names the login form's per-IP counters in `store`.
 *
 * @example
 * ```ts
 * const throttle = createLoginThrottle(context.ephemeral, 'nvx-login-failures:', 100);
 * const tried = await throttle.attempt(request.clientIp, login, () => accounts.verifyLogin(login, password));
 * ```
 */
export function createLoginThrottle(store: EphemeralStore, ipPrefix: string, maxFailures: number): LoginThrottle {
  // Logins are keyed by digest: the key length stays fixed and no login name is written to the store. An IP is
  // never spelled "login-failures:login:", so the two kinds of key cannot meet.
  const keysOf = (clientIp: string | null, login: string): [string, string] => [
    `${ipPrefix}${clientIp ?? 'unknown'}`,
    `${LOGIN_KEY_PREFIX}${encodeHex(sha256Digest(login))}`,
  ];
  // Attempts of this process still being checked, per key, shared by every form counting in this store.
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
  // The attempt is reserved before the counters are read, so two requests interleaving at the `await`s below
  // both see each other; at the limit that refuses one too many rather than letting one too many through.
  const overLimit = async (key: string): Promise<boolean> => ((await store.get(key)) ?? 0) + (inFlight.get(key) ?? 0) > maxFailures;
  return {
    async attempt(clientIp, login, check) {
      const keys = keysOf(clientIp, login);
      for (const key of keys) adjust(key, 1);
      let account: Awaited<ReturnType<typeof check>>;
      try {
        for (const key of keys) if (await overLimit(key)) return { throttled: true };
        account = await check();
        if (account === null) for (const key of keys) await store.increment(key, LOGIN_WINDOW_SECONDS);
      } finally {
        for (const key of keys) adjust(key, -1);
      }
      return { throttled: false, account };
    },
  };
}
