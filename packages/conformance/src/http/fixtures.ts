// Checking the fixtures a scheme's HTTP driver takes (its `fixtures` specs): for createHttpDriver, and helpers
// a scheme's HTTP driver uses to check values. Values are never repeated in a message: they are secrets.
import { ConfigurationError } from '@gatehouse/auth-core';
import type { HttpFixtureSpec } from '../scheme.js';

export type { HttpFixtureSpec };

/** The fixtures of one profile with defaults filled in; names not given and without a default are absent. */
export type ResolvedFixtureValues = Readonly<Record<string, string>>;

/** Checks fixture names and presence against a scheme's fixture specs, and fills in defaults. Never repeats a value. */
export function resolveFixtureValues(profileId: string, specs: readonly HttpFixtureSpec[], fixtures: unknown): ResolvedFixtureValues {
  if (fixtures === null || typeof fixtures !== 'object' || Array.isArray(fixtures)) {
    throw new ConfigurationError('fixtures', 'must be an object of fixture names to string values');
  }
  const known = new Set(specs.map((one) => one.name));
  const given = fixtures as Record<string, unknown>;
  const unknown = Object.keys(given).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      'fixtures',
      `${profileId} has no fixture${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => JSON.stringify(name)).join(', ')}; valid fixtures: ${specs.map((one) => one.name).join(', ')}`,
    );
  }
  const notText = Object.keys(given).filter((name) => given[name] !== undefined && typeof given[name] !== 'string');
  if (notText.length > 0) throw new ConfigurationError('fixtures', `fixture values must be strings: ${notText.join(', ')}`);
  const values: Record<string, string> = {};
  for (const one of specs) {
    const value = given[one.name] as string | undefined;
    if (value !== undefined && value !== '') values[one.name] = value;
    else if (one.default !== undefined) values[one.name] = one.default;
  }
  const missing = specs.filter((one) => one.required && values[one.name] === undefined);
  if (missing.length > 0) {
    throw new ConfigurationError(
      'fixtures',
      `${profileId} over HTTP needs the fixture${missing.length > 1 ? 's' : ''} ${missing.map((one) => one.name).join(', ')} (${missing.map((one) => `${one.name}: ${one.description}`).join('; ')})`,
    );
  }
  return Object.freeze(values);
}

/** Fails unless all or none of `names` are given. */
export function requireTogether(profileId: string, values: ResolvedFixtureValues, names: readonly string[], purpose: string): boolean {
  const present = names.filter((name) => values[name] !== undefined);
  if (present.length === 0) return false;
  if (present.length < names.length) {
    const absent = names.filter((name) => values[name] === undefined);
    throw new ConfigurationError('fixtures', `${profileId}: ${names.join(', ')} go together (${purpose}); missing ${absent.join(', ')}`);
  }
  return true;
}

/** Fails unless a fixture is one of `allowed`. */
export function requireOneOf<T extends string>(profileId: string, values: ResolvedFixtureValues, name: string, allowed: readonly T[]): T {
  const value = values[name];
  if (!allowed.includes(value as T)) {
    throw new ConfigurationError('fixtures', `${profileId}: fixture ${name} must be ${allowed.map((one) => `'${one}'`).join(' or ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** Fails unless a fixture is an absolute path (starting with one `/`, without a query). */
export function requirePath(profileId: string, values: ResolvedFixtureValues, name: string): string {
  const value = values[name] as string;
  if (!value.startsWith('/') || value.startsWith('//') || /[?#\s]/.test(value)) {
    throw new ConfigurationError('fixtures', `${profileId}: fixture ${name} must be an absolute path such as /v2/tracker/list, got ${JSON.stringify(value)}`);
  }
  return value;
}
