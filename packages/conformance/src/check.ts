// Internal assertion helpers shared by the profiles. Not exported from the package.
import { ConformanceFailure, type FailureKind } from './case.js';

export function fail(message: string, kind: FailureKind = 'broken'): never {
  throw new ConformanceFailure(message, { kind });
}

export function check(condition: unknown, message: string | (() => string), kind: FailureKind = 'broken'): asserts condition {
  if (!condition) fail(typeof message === 'string' ? message : message(), kind);
}

/** A security check: `condition` false means a credential that must be refused was let in. */
export function neverAccepted(condition: unknown, message: string | (() => string)): asserts condition {
  check(condition, message, 'accepted');
}

/** A security check: `condition` false means a reply leaked a secret or told credentials apart. */
export function neverLeaked(condition: unknown, message: string | (() => string)): asserts condition {
  check(condition, message, 'leaked');
}

/** A short, readable rendering of a value for failure messages. */
export function show(value: unknown, maxLength = 240): string {
  let text: string;
  if (value === undefined) text = 'undefined';
  else if (typeof value === 'number' && !Number.isFinite(value)) text = String(value);
  else if (typeof value === 'bigint') text = `${value}n`;
  else if (typeof value === 'function') text = '[function]';
  else {
    try {
      text =
        JSON.stringify(value, (_key, inner: unknown) => {
          if (inner === undefined) return '<undefined>';
          if (typeof inner === 'number' && !Number.isFinite(inner)) return String(inner);
          if (typeof inner === 'bigint') return `${inner}n`;
          return inner;
        }) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > maxLength ? `${text.slice(0, maxLength)}… (${text.length} chars)` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Structural equality of JSON-like values; object key order does not matter, array order does. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => deepEqual(item, b[index]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keysA = Object.keys(a).sort();
    const keysB = Object.keys(b).sort();
    return deepEqual(keysA, keysB) && keysA.every((key) => deepEqual(a[key], b[key]));
  }
  return false;
}

export function expectEqual(actual: unknown, expected: unknown, what: string): void {
  check(deepEqual(actual, expected), () => `${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Runs `action` and tells whether it threw or rejected; a synchronous throw counts as a rejection. */
export async function rejects(action: () => unknown): Promise<boolean> {
  try {
    await action();
    return false;
  } catch {
    return true;
  }
}
