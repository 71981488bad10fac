// The kit's built-in wire schemes: the one list of them. `profiles`, `HTTP_FIXTURES`, `createHttpDriver`,
// `describeConformance` and the CLI all read it, and take any other ConformanceScheme passed in the same way (a
// strategy package's own, loaded with `--scheme`), so adding a scheme outside the kit touches no kit file.
import type { ConformanceScheme } from '../scheme.js';
import { accessHashCookieScheme } from './access-hash-cookie/index.js';
import { nvxHashScheme } from './nvx-hash/index.js';
import { hmacSignatureScheme } from './hmac-signature/index.js';

/**
 * Every built-in wire scheme, keyed by its profile's versioned id (the key is always `scheme.profile.id`).
 *
 * @example
 * ```ts
 * import { schemes } from '@gatehouse/conformance';
 * for (const [id, scheme] of Object.entries(schemes)) console.log(id, scheme.fixtures.map((fixture) => fixture.name));
 * ```
 */
export const schemes = Object.freeze({
  'nvx-hash@2': nvxHashScheme,
  'access-hash-cookie@2': accessHashCookieScheme,
  'hmac-signature@2': hmacSignatureScheme,
});

/**
 * The id of a built-in scheme (see {@link schemes}).
 *
 * @example
 * ```ts
 * const id: SchemeId = 'nvx-hash@2';
 * ```
 */
export type SchemeId = keyof typeof schemes;

/**
 * The driver a built-in scheme's profile takes.
 *
 * @example
 * ```ts
 * const driver: SchemeDriverOf<'nvx-hash@2'> = nvxInProcessDriver({ strategy, setup });
 * ```
 */
export type SchemeDriverOf<Id extends SchemeId> = (typeof schemes)[Id] extends ConformanceScheme<infer D> ? D : never;

/**
 * The built-in scheme with this profile id, or `undefined`.
 *
 * @example
 * ```ts
 * findScheme('nvx-hash@2')?.fixtures;
 * ```
 */
export function findScheme(id: string): ConformanceScheme<unknown> | undefined {
  return Object.hasOwn(schemes, id) ? (schemes[id as SchemeId] as ConformanceScheme<unknown>) : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Says what is wrong with a value that should be a {@link ConformanceScheme} (a profile with an id, a title and
 * cases; fixtures; an optional `createHttpDriver`; parameters whose default is one of their values), or `null` when
 * nothing is. Used where schemes come from outside the kit.
 *
 * @example
 * ```ts
 * const problem = describeSchemeProblem(loaded); // e.g. 'profile.cases must be an array of cases'
 * ```
 */
export function describeSchemeProblem(value: unknown): string | null {
  if (!isObject(value)) return 'not an object { profile, fixtures, createHttpDriver? }';
  const { profile, fixtures, createHttpDriver } = value;
  if (!isObject(profile)) return 'profile must be a ConformanceProfile { id, title, cases }';
  if (typeof profile['id'] !== 'string' || !/^\S+@\d+$/.test(profile['id'])) return 'profile.id must be a versioned id such as my-scheme@1';
  if (typeof profile['title'] !== 'string' || profile['title'] === '') return 'profile.title must be a non-empty string';
  const cases = profile['cases'];
  if (!Array.isArray(cases)) return 'profile.cases must be an array of cases';
  const ids = new Set<string>();
  for (const [index, testCase] of cases.entries()) {
    if (!isObject(testCase) || typeof testCase['id'] !== 'string' || typeof testCase['title'] !== 'string' || typeof testCase['run'] !== 'function') {
      return `profile.cases[${index}] must be a case { id, level, ref, title, run }`;
    }
    if (testCase['level'] !== 'MUST' && testCase['level'] !== 'SHOULD') return `case ${testCase['id']}: level must be MUST or SHOULD`;
    if (ids.has(testCase['id'])) return `case ${testCase['id']} is listed twice`;
    ids.add(testCase['id']);
  }
  const parameters = profile['parameters'];
  if (parameters !== undefined) {
    if (!Array.isArray(parameters)) return 'profile.parameters must be an array of { name, values, default, description, silence }';
    for (const [index, parameter] of parameters.entries()) {
      if (!isObject(parameter) || typeof parameter['name'] !== 'string' || !Array.isArray(parameter['values']) || !parameter['values'].every((one) => typeof one === 'string')) {
        return `profile.parameters[${index}] must be { name, values, default, description, silence }`;
      }
      if (!(parameter['values'] as unknown[]).includes(parameter['default'])) return `parameter ${parameter['name']}: default must be one of its values`;
    }
  }
  if (!Array.isArray(fixtures) || !fixtures.every((one) => isObject(one) && typeof one['name'] === 'string' && typeof one['required'] === 'boolean' && typeof one['description'] === 'string')) {
    return 'fixtures must be an array of { name, required, default?, description }';
  }
  if (createHttpDriver !== undefined && typeof createHttpDriver !== 'function') return 'createHttpDriver must be a function';
  return null;
}
