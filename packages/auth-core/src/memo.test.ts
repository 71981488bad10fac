import { describe, expect, it } from 'vitest';
import { createBoundedMemo } from './memo.js';

describe('createBoundedMemo', () => {
  it('computes each key once, and starts over once maxEntries keys are held', () => {
    const computed: string[] = [];
    const upper = createBoundedMemo((key) => (computed.push(key), key.toUpperCase()), 2);
    expect([upper('a'), upper('b'), upper('a'), upper('b')]).toEqual(['A', 'B', 'A', 'B']);
    expect(computed).toEqual(['a', 'b']);
    // A third key empties the map first: 'a' is computed again afterwards.
    expect(upper('c')).toBe('C');
    expect(upper('a')).toBe('A');
    expect(computed).toEqual(['a', 'b', 'c', 'a']);
  });

  it('keeps null results but never undefined ones', () => {
    let calls = 0;
    const nothing = createBoundedMemo(() => (calls++, null), 4);
    const missing = createBoundedMemo(() => (calls++, undefined), 4);
    nothing('x');
    nothing('x');
    missing('x');
    missing('x');
    expect(calls).toBe(3);
  });

  it('refuses a size that is not a positive integer', () => {
    for (const size of [0, -1, 1.5, Number.NaN]) expect(() => createBoundedMemo(String, size)).toThrow(RangeError);
  });
});
