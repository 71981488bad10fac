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
  /**
   * How binding the case's security checks are. A case's wire checks (see {@link CaseContext.wire}) never fail a
   * run by themselves: they report what differs from the vendor's documents.
   */
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
  /** The declared server parameters (see {@link ParameterSpec}) whose values change what the case checks. */
  readonly parameters?: readonly string[];
  /**
   * Runs the check: resolves when the implementation conforms, throws `ConformanceFailure` when it does not,
   * `ConformanceSkip` when it cannot be checked.
   */
  run(driver: D, context: CaseContext): Promise<void>;
}

/**
 * What a case gets besides its driver: the server's declared parameters, and where to record wire differences.
 *
 * @example
 * ```ts
 * async run(driver, context) {
 *   const reply = await driver.send(request);
 *   security(reply.status !== 200, 'a forged key was accepted', 'accepted');
 *   context.wire(reply.status === 400, () => `HTTP ${reply.status}, the Navixy "Errors" table says 400 for code 3`);
 * }
 * ```
 */
export interface CaseContext {
  /** Every parameter of the profile: the value the server declared, or the profile's default (Gatehouse's choice). */
  readonly parameters: Readonly<Record<string, string>>;
  /**
   * Records a difference from what the vendor's public documents state (an envelope, a status, a code), or from a
   * declared parameter, when `condition` is false. The case goes on: a wire difference never hides a security
   * check after it, and never fails the run unless the run is strict about wire fidelity.
   */
  wire(condition: unknown, message: string | (() => string)): void;
}

/**
 * A silent zone of the vendors' documents, or a point where they contradict each other, that a server decides
 * for itself: the server declares its choice as a parameter, and the cases check the choice it declared. The
 * default is Gatehouse's own choice. A parameter never weakens a security rule; it only says which of the
 * documented-silent behaviours to expect.
 *
 * @example
 * ```ts
 * const conflict: ParameterSpec = {
 *   name: 'source_conflict',
 *   values: ['reject', 'precedence'],
 *   default: 'reject',
 *   description: 'two sources carry different hashes: refused, or the header wins',
 *   silence: 'Navixy API docs, "Authentication" list three places for a hash but not what two different ones mean',
 * };
 * ```
 */
export interface ParameterSpec {
  /** The parameter's name, as a server declares it (`--param name=value`). */
  readonly name: string;
  /** The values a server may declare; `default` is one of them. */
  readonly values: readonly string[];
  /** The value assumed when the server declares none. */
  readonly default: string;
  /** What each value means for the server's behaviour. */
  readonly description: string;
  /** Why this is the server's choice: what the vendor's documents leave open, cited by title and address. */
  readonly silence: string;
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
  /** A one-line name for reports. */
  readonly title: string;
  /** The cases, in the order they run. */
  readonly cases: readonly ConformanceCase<D>[];
  /** The server parameters the profile's cases read. */
  readonly parameters?: readonly ParameterSpec[];
  /** The capabilities a driver offers, derived from what it provides (e.g. `credentialed`). */
  capabilitiesOf?(driver: D): readonly string[];
}

/**
 * What kind of failure a case found:
 * - `accepted`: a bad, foreign, replayed, revoked, ambiguous or oversized credential was let in (security);
 * - `leaked`: a reply echoed a secret, or told credentials apart (security);
 * - `broken`: the implementation broke a rule of the contract otherwise (a crash, a wrong store answer, a
 *   malformed reply where the contract states one).
 *
 * @example
 * ```ts
 * const kind: FailureKind = 'accepted';
 * ```
 */
export type FailureKind = 'accepted' | 'leaked' | 'broken';

/**
 * Thrown by a case when the implementation under test breaks the case's rule. The message says what was
 * expected and what happened, and never repeats a secret; `kind` says what sort of failure it is.
 *
 * @example
 * ```ts
 * throw new ConformanceFailure('a revoked key was accepted: HTTP 200', { kind: 'accepted' });
 * ```
 */
export class ConformanceFailure extends Error {
  /** Always `'ConformanceFailure'`. */
  override readonly name = 'ConformanceFailure';
  /** What sort of failure: `accepted` and `leaked` are security failures. Default `broken`. */
  readonly kind: FailureKind;

  constructor(message: string, options: { readonly kind?: FailureKind } = {}) {
    super(message);
    this.kind = options.kind ?? 'broken';
  }
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
  /** Always `'ConformanceSkip'`. */
  override readonly name = 'ConformanceSkip';
}
