/**
 * Where a benchmark case takes its inputs from. A `cycle` reuses prepared inputs; a `fresh` source makes new
 * ones (a unique nonce, a request whose body is consumed) ahead of time, outside the timed window.
 */
export interface Source<T> {
  next(): T;
  /** Makes sure `count` inputs are ready; called before each timed batch, untimed. */
  prepare(count: number): void;
}

export function cycle<T>(items: readonly T[]): Source<T> {
  if (items.length === 0) throw new RangeError('cycle: no items');
  let index = 0;
  return {
    next() {
      const item = items[index] as T;
      index = index + 1 === items.length ? 0 : index + 1;
      return item;
    },
    prepare() {},
  };
}

/**
 * Inputs made just ahead of use, `prepare(count)` at a time (one timed batch): few are alive at once, so the
 * garbage collector has little of the benchmark's own to copy while a batch is timed.
 */
export function fresh<T>(make: () => T, chunk = 0): Source<T> {
  let pool: T[] = [];
  let index = 0;
  return {
    next() {
      if (index >= pool.length) throw new RangeError('fresh: prepare() was not called for enough inputs');
      return pool[index++] as T;
    },
    prepare(count) {
      if (pool.length - index >= count) return;
      const kept = pool.slice(index);
      const size = Math.max(count, chunk);
      for (let i = kept.length; i < size; i++) kept.push(make());
      pool = kept;
      index = 0;
    },
  };
}
