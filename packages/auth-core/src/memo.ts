/**
 * Memoizes a pure function of a string for values that repeat across requests but come from clients (request
 * paths, peer addresses): results are kept in a `Map` that is emptied once it holds `maxEntries`, so memory stays
 * bounded whatever clients send. A result of `undefined` is never kept.
 *
 * @example
 * ```ts
 * const canonicalIp = createBoundedMemo(normalizeIpAddress, 4096);
 * canonicalIp('::ffff:127.0.0.1'); // '127.0.0.1', computed once
 * ```
 */
export function createBoundedMemo<T>(compute: (key: string) => T, maxEntries: number): (key: string) => T {
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError('createBoundedMemo: maxEntries must be a positive integer');
  const results = new Map<string, T>();
  return (key) => {
    let result = results.get(key);
    if (result === undefined) {
      result = compute(key);
      if (results.size >= maxEntries) results.clear();
      results.set(key, result);
    }
    return result;
  };
}
