// A dudect-style timing test of the constant-time comparisons (Reparaz, Balasch, Verbauwhede, "Dude, is my code
// constant time?", DATE 2017): time many comparisons of a secret against a value wrong in its first byte (class 0)
// and against one wrong in its last byte (class 1), interleaved in random order, and test the two timing
// distributions for a difference with Welch's t. An early-exit comparison, measured the same way, is the positive
// control: it must show a leak, or the measurement is blind and proves nothing.
//
// What is asserted is only what is stable on a noisy 2-core machine shared with other test files: the control's
// |t| is large, and the constant-time functions' |t| stays under a generous absolute bound and far under the
// control's, or else their difference in mean time is under 1% of the control's. The t values and means are
// printed so CI logs show them.
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, constantTimeEqualStrings, encodeHex, randomBytes } from './secrets.js';

/** Timed measurements per function, after the warm-up; each times a batch of comparisons. */
const SAMPLES = 200_000;
const WARM_UP = 20_000;
/** Comparisons per timed batch: enough that the batch, not the clock read (~40 ns), dominates a measurement. */
const BATCH = 8;
/** dudect crops the slowest measurements (interrupts, GC, the other test workers): t is taken below this percentile. */
const CROP_PERCENTILE = 0.9;

/** |t| the leaky control must exceed: 4.5 is dudect's threshold for "leaks"; the control measures in the thousands. */
const CONTROL_MIN_T = 100;
/** |t| a constant-time function must stay under (observed: see the report in the hardening issue). */
const CONSTANT_TIME_MAX_T = 10;
/** And its |t| must be at most this fraction of the control's. */
const MAX_RATIO_TO_CONTROL = 0.05;
/**
 * Or, when |t| is over the bound, the difference in mean time must be under this fraction of the control's. With
 * 180,000 measurements, t also grows with differences far too small to be a leak (a nanosecond in 3 µs, from where
 * two strings or arrays sit in memory on a loaded machine); a leak of the kind the control has (an exit at the first
 * difference) makes the difference as large as the control's.
 */
const MAX_EFFECT_RATIO_TO_CONTROL = 0.01;

/** Welch's t of two samples, by Welford's running mean and variance. */
class Welch {
  readonly #n = [0, 0];
  readonly #mean = [0, 0];
  readonly #m2 = [0, 0];

  push(group: 0 | 1, value: number): void {
    const n = ++(this.#n[group] as number);
    const delta = value - (this.#mean[group] as number);
    this.#mean[group] = (this.#mean[group] as number) + delta / n;
    this.#m2[group] = (this.#m2[group] as number) + delta * (value - (this.#mean[group] as number));
  }

  get t(): number {
    const [n0, n1] = this.#n as [number, number];
    const variance0 = (this.#m2[0] as number) / (n0 - 1);
    const variance1 = (this.#m2[1] as number) / (n1 - 1);
    return ((this.#mean[0] as number) - (this.#mean[1] as number)) / Math.sqrt(variance0 / n0 + variance1 / n1);
  }

  get means(): [number, number] {
    return [this.#mean[0] as number, this.#mean[1] as number];
  }
}

interface Measurement {
  /** Welch's t over the measurements below the crop percentile. */
  readonly t: number;
  /** Welch's t over every measurement. */
  readonly rawT: number;
  /** Mean nanoseconds per batch of each class, cropped. */
  readonly means: [number, number];
}

/** The difference of the two classes' mean times, in nanoseconds per batch. */
const effect = ({ means }: Measurement): number => Math.abs(means[0] - means[1]);

/**
 * The constant-time function's verdict against the control measured beside it: no detectable difference, or one
 * far too small to be a leak of the control's kind.
 */
function expectNoLeak(constantTime: Measurement, control: Measurement): void {
  expect(Math.abs(control.t)).toBeGreaterThan(CONTROL_MIN_T);
  const undetected = Math.abs(constantTime.t) < CONSTANT_TIME_MAX_T && Math.abs(constantTime.t) < MAX_RATIO_TO_CONTROL * Math.abs(control.t);
  if (!undetected) expect(effect(constantTime)).toBeLessThan(MAX_EFFECT_RATIO_TO_CONTROL * effect(control));
}

/** Uniformly random classes, one per measurement (getRandomValues fills at most 65,536 bytes a call). */
function randomClasses(count: number): Uint8Array {
  const classes = new Uint8Array(count);
  for (let offset = 0; offset < count; offset += 65_536) crypto.getRandomValues(classes.subarray(offset, Math.min(count, offset + 65_536)));
  for (let i = 0; i < count; i++) classes[i] = (classes[i] as number) & 1;
  return classes;
}

/**
 * Times `runBatch(group)` (BATCH comparisons of the secret against the group's value) SAMPLES times in random
 * group order, and returns Welch's t between the groups. `prepare(group)` and `restore(group)` run outside the
 * timed region.
 */
function measure(runBatch: (group: 0 | 1) => number, prepare: (group: 0 | 1) => void = () => undefined, restore: (group: 0 | 1) => void = () => undefined): Measurement {
  const total = WARM_UP + SAMPLES;
  const classes = randomClasses(total);
  const times = new Float64Array(total);
  let sink = 0;
  for (let i = 0; i < total; i++) {
    const group = classes[i] as 0 | 1;
    prepare(group);
    const start = process.hrtime.bigint();
    sink += runBatch(group);
    const end = process.hrtime.bigint();
    restore(group);
    times[i] = Number(end - start);
  }
  // Every comparison was false: the sink keeps the calls from being optimised away, and checks it.
  expect(sink).toBe(0);
  const measured = times.subarray(WARM_UP);
  const crop = Float64Array.from(measured).sort()[Math.floor(CROP_PERCENTILE * (measured.length - 1))] as number;
  const cropped = new Welch();
  const raw = new Welch();
  for (let i = 0; i < measured.length; i++) {
    const group = classes[WARM_UP + i] as 0 | 1;
    const time = measured[i] as number;
    raw.push(group, time);
    if (time <= crop) cropped.push(group, time);
  }
  return { t: cropped.t, rawT: raw.t, means: cropped.means };
}

/** The positive control: returns at the first differing byte. */
function leakyEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The positive control for strings: returns at the first differing UTF-16 unit. */
function leakyEqualStrings(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return false;
  return true;
}

/**
 * Byte comparisons: a 32-byte secret (a SHA-256 digest's size) against one probe array, changed in its first or
 * its last byte before each batch and restored after, so both classes compare the very same memory.
 */
function measureBytes(compare: (a: Uint8Array, b: Uint8Array) => boolean): Measurement {
  const secret = randomBytes(32);
  const probe = secret.slice();
  const indexOf = (group: 0 | 1): number => (group === 0 ? 0 : probe.length - 1);
  return measure(
    () => {
      let equal = 0;
      for (let k = 0; k < BATCH; k++) equal += compare(secret, probe) ? 1 : 0;
      return equal;
    },
    (group) => {
      probe[indexOf(group)] = (probe[indexOf(group)] as number) ^ 1;
    },
    (group) => {
      probe[indexOf(group)] = (probe[indexOf(group)] as number) ^ 1;
    },
  );
}

/** String comparisons: a 64-character hex digest against a copy wrong in its first or its last character. */
function measureStrings(compare: (a: string, b: string) => boolean): Measurement {
  const secret = encodeHex(randomBytes(32));
  const flip = (char: string): string => (char === '0' ? '1' : '0');
  // Both built the same way, as flat strings of their own: a concatenation would give each another representation
  // in V8 (one a cons string over a slice), whose access costs differ by more than any comparison.
  const flat = (text: string): string => String.fromCharCode(...Array.from(text, (char) => char.charCodeAt(0)));
  const wrong = [flat(`${flip(secret[0] as string)}${secret.slice(1)}`), flat(`${secret.slice(0, -1)}${flip(secret.at(-1) as string)}`)] as const;
  return measure((group) => {
    const other = wrong[group];
    let equal = 0;
    for (let k = 0; k < BATCH; k++) equal += compare(secret, other) ? 1 : 0;
    return equal;
  });
}

const report = (name: string, { t, rawT, means }: Measurement): string =>
  `${name}: t = ${t.toFixed(2)} (cropped at p${CROP_PERCENTILE * 100}; uncropped ${rawT.toFixed(2)}), mean ns per ${BATCH} comparisons: wrong first byte ${means[0].toFixed(1)}, wrong last byte ${means[1].toFixed(1)}`;

describe('constant-time comparison: dudect timing test (Welch t, wrong first byte vs wrong last byte)', () => {
  it(
    'constantTimeEqual shows no timing difference while an early-exit comparison measured the same way does',
    () => {
      const control = measureBytes(leakyEqual);
      const constantTime = measureBytes(constantTimeEqual);
      console.log(`[dudect] ${report('early-exit control (bytes)', control)}`);
      console.log(`[dudect] ${report('constantTimeEqual', constantTime)}`);
      expectNoLeak(constantTime, control);
    },
    30_000,
  );

  it(
    'constantTimeEqualStrings shows no timing difference while an early-exit comparison measured the same way does',
    () => {
      const control = measureStrings(leakyEqualStrings);
      const constantTime = measureStrings(constantTimeEqualStrings);
      console.log(`[dudect] ${report('early-exit control (strings)', control)}`);
      console.log(`[dudect] ${report('constantTimeEqualStrings', constantTime)}`);
      expectNoLeak(constantTime, control);
    },
    30_000,
  );
});
