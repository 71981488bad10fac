import { encodeHex, sha256Digest, type EphemeralStore } from '@gatehouse/auth-core';

/** Failed logins are counted in fixed windows of this length (15 minutes). */
export const LOGIN_WINDOW_SECONDS = 900;

/**
 * Failed password logins counted per client IP and per login name (DESIGN: throttling per key and per IP; NIST
 * SP 800-63B §5.2.2 allows at most 100 failures): guessing one account's password from many addresses stops
 * once the account has had `maxFailures` failures in the window, and one address stops once it has, whatever
 * logins it tries. Like every per-account limit, anyone can lock an account for one window by failing on
 * purpose; the per-IP limit bounds each address.
 */
export interface LoginThrottle {
  /** True when the client's IP or the login has used up its failures in the current window. */
  isThrottled(clientIp: string | null, login: string): Promise<boolean>;
  /** Counts one failed login against both. */
  recordFailure(clientIp: string | null, login: string): Promise<void>;
}

/**
 * Creates a {@link LoginThrottle} whose counters live in `store` under `prefix` (one prefix per login form).
 *
 * @example
 * ```ts
 * const throttle = createLoginThrottle(context.ephemeral, 'nvx-login-failures:', 100);
 * if (await throttle.isThrottled(request.clientIp, login)) return fail(15);
 * ```
 */
export function createLoginThrottle(store: EphemeralStore, prefix: string, maxFailures: number): LoginThrottle {
  const ipKey = (clientIp: string | null): string => `${prefix}${clientIp ?? 'unknown'}`;
  // Logins are keyed by digest: the key length stays fixed and no login name is written to the store. An IP is
  // never spelled "login:", so the two kinds of key cannot meet.
  const loginKey = (login: string): string => `${prefix}login:${encodeHex(sha256Digest(login))}`;
  const exhausted = async (key: string): Promise<boolean> => {
    const failures = await store.get(key);
    return failures !== null && failures >= maxFailures;
  };
  return {
    async isThrottled(clientIp, login) {
      return (await exhausted(ipKey(clientIp))) || (await exhausted(loginKey(login)));
    },
    async recordFailure(clientIp, login) {
      await store.increment(ipKey(clientIp), LOGIN_WINDOW_SECONDS);
      await store.increment(loginKey(login), LOGIN_WINDOW_SECONDS);
    },
  };
}
