/**
 * A source of the current time in epoch milliseconds. Inject one wherever time matters, so tests can move it.
 *
 * @example
 * ```ts
 * const clock: Clock = { now: () => Date.now() };
 * ```
 */
export interface Clock {
  /** The current time in epoch milliseconds. */
  now(): number;
}

/**
 * The real clock (`Date.now()`).
 *
 * @example
 * ```ts
 * systemClock.now(); // 1795000000000
 * ```
 */
export const systemClock: Clock = Object.freeze({ now: (): number => Date.now() });

/**
 * A clock that only moves when told to, for tests.
 *
 * @example
 * ```ts
 * const clock = createManualClock(Date.UTC(2026, 0, 1));
 * clock.advanceBySeconds(31 * 24 * 3600);
 * ```
 */
export interface ManualClock extends Clock {
  /** Moves the clock to a time, in epoch milliseconds (backwards too). */
  set(epochMilliseconds: number): void;
  /** Moves the clock forward by a number of seconds. */
  advanceBySeconds(seconds: number): void;
}

/**
 * Creates a {@link ManualClock} starting at `startEpochMilliseconds` (default: now).
 *
 * @example
 * ```ts
 * const clock = createManualClock(0);
 * clock.advanceBySeconds(1);
 * clock.now(); // 1000
 * ```
 */
export function createManualClock(startEpochMilliseconds: number = Date.now()): ManualClock {
  let current = startEpochMilliseconds;
  return {
    now: () => current,
    set(epochMilliseconds) {
      current = epochMilliseconds;
    },
    advanceBySeconds(seconds) {
      current += seconds * 1000;
    },
  };
}
