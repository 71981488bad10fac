/**
 * How binding a case is: `MUST` cases state the contract; `SHOULD` cases state strong advice an adopter may
 * opt out of (by disabling the case id).
 *
 * @example
 * ```ts
 * const level: ConformanceLevel = 'MUST';
 * ```
 */
export type ConformanceLevel = 'MUST' | 'SHOULD';

/**
 * One conformance rule as data: a stable id, its level, where the rule comes from, and a check that throws a
 * {@link ConformanceFailure} when the driver breaks the rule. Cases never import a test runner.
 *
 * @example
 * ```ts
 * const unknownId: ConformanceCase<CredentialStoreDriver> = {
 *   id: 'CS-FIND-002',
 *   level: 'MUST',
 *   ref: '@gatehouse/auth-core CredentialStore',
 *   title: 'findById returns null for an unknown id',
 *   async run(driver) {
 *     const store = await driver.createStore();
 *     if ((await store.findById('missing')) !== null) throw new ConformanceFailure('expected null');
 *   },
 * };
 * ```
 */
export interface ConformanceCase<D> {
  /** Stable across releases, e.g. `CS-INSERT-001`; adopters disable cases by id. */
  readonly id: string;
  readonly level: ConformanceLevel;
  /**
   * The rule's source, e.g. `RFC 6265 §5.2`, a vendor's public document by title and address, or the
   * `@gatehouse/auth-core` API that states it.
   */
  readonly ref: string;
  /** The rule, phrased as what a conforming implementation does. */
  readonly title: string;
  /** Capabilities the driver must offer; without them the case is skipped, not failed. */
  readonly requires?: readonly string[];
  run(driver: D): Promise<void>;
}

/**
 * A versioned set of cases for one kind of driver. A new MUST case goes into a new version (`@2`), so an
 * adopter's CI never breaks on a patch release of the kit.
 *
 * @example
 * ```ts
 * const profile: ConformanceProfile<CredentialStoreDriver> = credentialStoreV1;
 * console.log(profile.id, profile.cases.length); // 'credential-store@1' 34
 * ```
 */
export interface ConformanceProfile<D> {
  /** `<name>@<version>`, e.g. `credential-store@1`. */
  readonly id: string;
  readonly title: string;
  readonly cases: readonly ConformanceCase<D>[];
  /** The capabilities a driver offers, derived from what it provides (e.g. `credentialed`). */
  capabilitiesOf?(driver: D): readonly string[];
}

/**
 * Thrown by a case when the implementation under test breaks the case's rule. The message says what was
 * expected and what happened, and never repeats a secret.
 *
 * @example
 * ```ts
 * throw new ConformanceFailure('insert #21 returned {"type":"inserted"}, expected limit-exceeded');
 * ```
 */
export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure';
}

/**
 * Thrown by a case that learns only when it runs (for example from fixtures a driver's `setup()` returned)
 * that the driver lacks a capability the case needs. Runners report the case as skipped with this message,
 * never as failed. Cases whose needs are known up front declare them in `requires` instead.
 *
 * @example
 * ```ts
 * if (fixtures.queryHash !== 'enabled') throw new ConformanceSkip('requires query-hash');
 * ```
 */
export class ConformanceSkip extends Error {
  override readonly name = 'ConformanceSkip';
}
