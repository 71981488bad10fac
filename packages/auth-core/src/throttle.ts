import { ConfigurationError } from './errors.js';
import { rejected } from './outcome.js';
import type { AuthOutcome, Principal } from './outcome.js';
import type { EphemeralStore } from './stores.js';
import type { Clock } from './clock.js';
import type { AuthEventListener } from './events.js';
import type { AuthStrategy } from './strategy.js';
import { assertStrategy, authenticateSafely, renderingOf, withOutcomeEvents } from './strategy.js';

/**
 * Options of {@link withFailureThrottle}.
 *
 * @example
 * ```ts
 * const options: FailureThrottleOptions = { maxFailures: 100, windowInSeconds: 900 };
 * ```
 */
export interface FailureThrottleOptions {
  /** Failures allowed per client IP within the window before requests are refused. Default 100 (NIST SP 800-63B §5.2.2). */
  readonly maxFailures?: number;
  /**
   * Failures allowed per credential within the window (counted when a strategy identified the credential it
   * refused, see `rejectedCredential`), whatever IPs they came from; then every request with that credential is
   * refused until the window ends, the right one included. Off unless given: a per-credential limit guards
   * low-entropy secrets (NIST SP 800-63B §5.2.2 asks it of passwords and short codes), while every token and key
   * Gatehouse issues has at least 128 random bits, so for them it stops no guessing and lets whoever knows a
   * credential's identifier (an HMAC `APIKey` travels in clear) lock it out and tell live keys from unknown ones.
   */
  readonly maxFailuresPerCredential?: number;
  /** The length of the counting window. Default 900 (15 minutes). */
  readonly windowInSeconds?: number;
  /** Prefix of the counter keys in the store. Default `throttle:<strategy id>:`. */
  readonly keyPrefix?: string;
  /**
   * What an IP over `maxFailures` is refused: `refuse-unproven` (the default) refuses every credential that is not
   * valid with `RATE_LIMITED` but lets a valid one through, so junk from one address (behind a proxy: from every
   * user) cannot lock out the real users of that address; `refuse-all` refuses everything from it, the right
   * credential included. Gatehouse's tokens and keys carry at least 128 random bits: guessing one is hopeless
   * at any rate, so the per-IP limit sheds load rather than stops guessing, and `refuse-unproven` loses nothing.
   * Use `refuse-all` (and `maxFailuresPerCredential`) for low-entropy secrets such as passwords and PINs, which
   * NIST SP 800-63B §5.2.2 requires to be throttled per account, correct guesses included.
   */
  readonly ipLimit?: 'refuse-unproven' | 'refuse-all';
}

/**
 * Wraps a strategy so that a client IP with too many rejected attempts in a window gets `RATE_LIMITED` for every
 * credential of this scheme that is not valid (and, with `ipLimit: 'refuse-all'`, for the valid ones too). With
 * `maxFailuresPerCredential`, failures against one identified credential (a known API key with wrong
 * signatures, a known access hash from foreign IPs) are also counted per credential, so spreading them over
 * many IPs does not help either (per key and per IP; NIST SP 800-63B §5.2.2). Requests without such
 * credentials stay `absent`; successes are never counted. Counters are fixed windows. When credentials are present,
 * the throttle store fails (reading or counting) and its answer matters, access is denied (`STORE_UNAVAILABLE`),
 * as every store failure does; a valid credential that no limit applies to (`ipLimit: 'refuse-unproven'`, no
 * `maxFailuresPerCredential`) is granted without asking the store.
 *
 * @example
 * ```ts
 * const guarded = withFailureThrottle(nvxHash(options), ephemeralStore, { maxFailures: 100 });
 * ```
 */
export function withFailureThrottle<P extends Principal>(
  strategy: AuthStrategy<P>,
  store: EphemeralStore,
  options: FailureThrottleOptions = {},
): AuthStrategy<P> {
  const maxFailures = options.maxFailures ?? 100;
  const maxFailuresPerCredential = options.maxFailuresPerCredential;
  const windowInSeconds = options.windowInSeconds ?? 900;
  if (!Number.isSafeInteger(maxFailures) || maxFailures < 1) throw new ConfigurationError('maxFailures', 'must be a positive integer');
  if (maxFailuresPerCredential !== undefined && (!Number.isSafeInteger(maxFailuresPerCredential) || maxFailuresPerCredential < 1)) {
    throw new ConfigurationError('maxFailuresPerCredential', 'must be a positive integer');
  }
  if (!(windowInSeconds > 0) || !Number.isFinite(windowInSeconds)) {
    throw new ConfigurationError('windowInSeconds', 'must be a positive number');
  }
  if (store === null || typeof store !== 'object' || typeof store.increment !== 'function' || typeof store.get !== 'function') {
    throw new ConfigurationError('store', 'must be an EphemeralStore');
  }
  const ipLimit = options.ipLimit ?? 'refuse-unproven';
  if (ipLimit !== 'refuse-unproven' && ipLimit !== 'refuse-all') throw new ConfigurationError('ipLimit', "must be 'refuse-unproven' or 'refuse-all'");
  assertStrategy(strategy, 'strategy');
  const prefix = options.keyPrefix ?? `throttle:${strategy.id}:`;
  // A refusal of the throttle's own keeps the member that was answering, so a composition renders it right.
  const throttledLike = (outcome: AuthOutcome<P>, code: 'RATE_LIMITED' | 'STORE_UNAVAILABLE', cause?: unknown): AuthOutcome<P> => {
    const refusal = rejected(code, cause) as Extract<AuthOutcome<never>, { readonly type: 'rejected' }>;
    return outcome.type !== 'absent' && outcome.strategyId !== undefined ? { ...refusal, strategyId: outcome.strategyId } : refusal;
  };
  return {
    ...renderingOf(strategy),
    id: strategy.id,
    async authenticate(request) {
      // The inner strategy runs first so a request without credentials of this scheme stays `absent` (and a
      // later strategy in firstOf can still answer it); a throttled client then learns nothing from the
      // lookup, because every answer it gets is RATE_LIMITED.
      const outcome = await authenticateSafely(strategy, request);
      if (outcome.type === 'absent') return outcome;
      const ipKey = `${prefix}${request.clientIp ?? 'unknown'}`;
      // An IP is never spelled with "credential:" (no 'r', 'n', 't' or 'l' in IP text), so the keys cannot meet.
      const credentialId = outcome.type === 'authenticated' ? outcome.credential.id : outcome.credentialId;
      const credentialKey = credentialId === undefined || maxFailuresPerCredential === undefined ? undefined : `${prefix}credential:${credentialId}`;
      // A valid credential no limit applies to (the IP limit spares proven credentials, and there is no
      // per-credential limit) needs nothing from the store: nothing would be counted and nothing could refuse it,
      // so high-entropy tokens keep working while the store is down.
      if (outcome.type === 'authenticated' && ipLimit === 'refuse-unproven' && credentialKey === undefined) return outcome;
      try {
        // Read whenever the answer depends on it: a throttle that cannot count fails closed, it never silently
        // stops counting.
        const failures = await store.get(ipKey);
        const ipOverLimit = failures !== null && failures >= maxFailures;
        if (ipOverLimit && (outcome.type === 'rejected' || ipLimit === 'refuse-all')) return throttledLike(outcome, 'RATE_LIMITED');
        if (credentialKey !== undefined) {
          const credentialFailures = await store.get(credentialKey);
          if (credentialFailures !== null && credentialFailures >= (maxFailuresPerCredential as number)) return throttledLike(outcome, 'RATE_LIMITED');
        }
      } catch (error) {
        return throttledLike(outcome, 'STORE_UNAVAILABLE', error);
      }
      if (outcome.type === 'rejected' && outcome.error.code !== 'STORE_UNAVAILABLE' && outcome.error.code !== 'INTERNAL_ERROR') {
        try {
          await store.increment(ipKey, windowInSeconds);
          if (credentialKey !== undefined) await store.increment(credentialKey, windowInSeconds);
        } catch (error) {
          // A failure that could not be counted must not go uncounted quietly: the throttle would be off.
          return throttledLike(outcome, 'STORE_UNAVAILABLE', error);
        }
      }
      return outcome;
    },
  };
}

/**
 * The `failureThrottle` option of a strategy: where the counters live, and the limits of
 * {@link FailureThrottleOptions}.
 *
 * @example
 * ```ts
 * const failureThrottle: FailureThrottleSetting = { store: ephemeralStore, maxFailures: 100 };
 * ```
 */
export interface FailureThrottleSetting extends FailureThrottleOptions {
  /** Where the failure counters live: a store shared by every instance, so the limits hold across them. */
  readonly store: EphemeralStore;
}

/**
 * The options every strategy's verifying face takes besides its own: a failure throttle and an event hook.
 *
 * @example
 * ```ts
 * const guards: StrategyGuardOptions = { failureThrottle: { store: ephemeralStore }, onEvent: console.log };
 * ```
 */
export interface StrategyGuardOptions {
  /** Limits failed attempts per client IP (and, when asked, per credential). Default: no throttle. */
  readonly failureThrottle?: FailureThrottleSetting;
  /** Receives an event for every `authenticated` and `rejected` outcome, throttled answers included. */
  readonly onEvent?: AuthEventListener;
  /** The clock that stamps events (`at`). Default: the system clock. */
  readonly clock?: Clock;
}

/**
 * Wraps a strategy in what its options ask for: first the failure throttle, then the event hook, so events
 * report throttled answers too. With neither, the strategy itself is returned.
 *
 * @example
 * ```ts
 * return withStrategyGuards(strategy, options); // in a strategy factory, after building `strategy`
 * ```
 */
export function withStrategyGuards<P extends Principal>(strategy: AuthStrategy<P>, options: StrategyGuardOptions): AuthStrategy<P> {
  let guarded = strategy;
  if (options.failureThrottle !== undefined) {
    const { store, ...limits } = options.failureThrottle;
    guarded = withFailureThrottle(guarded, store, limits);
  }
  if (options.onEvent === undefined) return guarded;
  return withOutcomeEvents(guarded, options.clock === undefined ? { onEvent: options.onEvent } : { onEvent: options.onEvent, clock: options.clock });
}
