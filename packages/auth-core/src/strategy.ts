import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { AuthError, ConfigurationError } from './errors.js';
import { createEventEmitter, type AuthEventListener } from './events.js';
import { absent, refusalError, rejected, type AuthContext, type AuthOutcome, type AuthRefusal, type Principal } from './outcome.js';
import { JSON_CONTENT_TYPE, type WireReply } from './reply.js';
import type { AuthRequest } from './request.js';

/**
 * Options of {@link AuthStrategy.renderSuccess}.
 *
 * @example
 * ```ts
 * strategy.renderSuccess?.({ id: 7 }, { httpStatus: 201 });
 * ```
 */
export interface RenderSuccessOptions {
  /** Default 200. */
  readonly httpStatus?: number;
  /** Which member of a composition accepted the request ({@link AuthContext.strategyId}), so its envelope is used. */
  readonly strategyId?: string;
}

/**
 * The contract every Gatehouse strategy satisfies: a stable id, one method that never throws for expected
 * failures, and the scheme's own wire rendering, so a framework adapter can answer any scheme in its own
 * envelope without knowing it.
 *
 * @example
 * ```ts
 * const strategy = {
 *   id: 'static-key',
 *   async authenticate(request) {
 *     const key = request.header('x-api-key');
 *     if (key === null) return absent();
 *     return key === expected ? authenticated({ id: 'svc' }, { id: 'k1', kind: 'api-key', scopes: [] }) : rejected('CREDENTIALS_INVALID');
 *   },
 *   renderRefusal: (refusal) => ({ httpStatus: refusalError(refusal).httpStatus, headers: {}, body: { error: refusalError(refusal).message } }),
 * } satisfies AuthStrategy;
 * ```
 */
export interface AuthStrategy<P extends Principal = Principal> {
  /** The strategy id, e.g. `nvx-hash`: stored with every credential it issues, and reported in events. */
  readonly id: string;
  /** Judges a request's credentials. Never throws for a bad credential: that is a `rejected` outcome. */
  authenticate(request: AuthRequest): Promise<AuthOutcome<P>>;
  /**
   * This scheme's reply to a refusal: the envelope, HTTP status and headers for a rejection's error, or for
   * `CREDENTIALS_MISSING` when the request carried no credentials of this scheme.
   */
  renderRefusal(refusal: AuthRefusal): WireReply<unknown>;
  /** This scheme's success envelope around a payload, where the scheme has one (e.g. Navixy's `{"success":true,…}`). */
  renderSuccess?(payload: unknown, options?: RenderSuccessOptions): WireReply<unknown>;
  /**
   * The strategies a composition (`firstOf`, `allOf`) is made of, so an enclosing composition can route a
   * member's refusal to the envelope of the member that refused. Set by compositions and kept by wrappers
   * (`withFailureThrottle`, `withOutcomeEvents`); a wrapper of your own should copy it (`...renderingOf(inner)`).
   */
  readonly members?: readonly AuthStrategy<P>[];
}

/**
 * Runs a strategy and turns an unexpected throw into a `rejected` outcome with code `INTERNAL_ERROR` (or the
 * thrown {@link AuthError}), so a bug fails closed instead of crashing the request or letting it through.
 *
 * @example
 * ```ts
 * const outcome = await authenticateSafely(strategy, request);
 * ```
 */
export async function authenticateSafely<P extends Principal>(
  strategy: AuthStrategy<P>,
  request: AuthRequest,
): Promise<AuthOutcome<P>> {
  try {
    const outcome = await strategy.authenticate(request);
    if (!isWellFormedOutcome(outcome)) return rejected('INTERNAL_ERROR', new TypeError(`strategy ${strategy.id} returned an invalid outcome`));
    return outcome;
  } catch (error) {
    return rejected(error instanceof AuthError ? error : new AuthError('INTERNAL_ERROR', { cause: error }));
  }
}

/**
 * Whether an outcome has the shape every reader relies on: an `authenticated` one a principal with a string id
 * and a credential with string id and kind and an array of string scopes (a string `scopes` would make
 * `scopes.includes('Trading')` a substring test), a `rejected` one an {@link AuthError}.
 */
function isWellFormedOutcome(outcome: unknown): outcome is AuthOutcome<never> {
  if (outcome === null || typeof outcome !== 'object') return false;
  const candidate = outcome as { type?: unknown; principal?: { id?: unknown }; credential?: { id?: unknown; kind?: unknown; scopes?: unknown }; error?: unknown };
  switch (candidate.type) {
    case 'absent':
      return true;
    case 'rejected':
      return candidate.error instanceof AuthError;
    case 'authenticated': {
      const { principal, credential } = candidate;
      return (
        typeof principal?.id === 'string' &&
        typeof credential?.id === 'string' &&
        typeof credential.kind === 'string' &&
        Array.isArray(credential.scopes) &&
        (credential.scopes as unknown[]).every((scope) => typeof scope === 'string')
      );
    }
    default:
      return false;
  }
}

/** Checks a strategy handed to a factory; throws a {@link ConfigurationError} naming the option. */
export function assertStrategy(strategy: unknown, optionName: string): void {
  if (strategy === null || typeof strategy !== 'object') throw new ConfigurationError(optionName, 'must be an AuthStrategy');
  const candidate = strategy as Partial<AuthStrategy<Principal>>;
  if (typeof candidate.id !== 'string' || candidate.id === '') throw new ConfigurationError(optionName, 'must have a non-empty string id');
  if (typeof candidate.authenticate !== 'function') throw new ConfigurationError(optionName, 'must have an authenticate() method');
  if (typeof candidate.renderRefusal !== 'function') {
    throw new ConfigurationError(optionName, 'must have a renderRefusal() method (the scheme\'s own reply to a refusal)');
  }
}

function assertStrategies(strategies: readonly AuthStrategy<Principal>[], optionName: string): void {
  if (!Array.isArray(strategies) || strategies.length === 0) throw new ConfigurationError(optionName, 'must be a non-empty array of strategies');
  strategies.forEach((strategy, index) => assertStrategy(strategy, `${optionName}[${index}]`));
}

/** Every strategy id a strategy answers for: its own, and (through `members`) those of nested compositions. */
function idsOf<P extends Principal>(strategy: AuthStrategy<P>, depth = 0): string[] {
  if (depth > 32 || !Array.isArray(strategy.members)) return [strategy.id];
  return [strategy.id, ...strategy.members.flatMap((member) => idsOf(member, depth + 1))];
}

/** Marks an outcome with the member that produced it, unless an inner composition already did. */
function attributed<P extends Principal>(outcome: AuthOutcome<P>, strategyId: string): AuthOutcome<P> {
  if (outcome.type === 'absent' || outcome.strategyId !== undefined) return outcome;
  return { ...outcome, strategyId };
}

/**
 * The rendering of a composition: a refusal or success goes to the member named by its `strategyId`; an absence
 * (no member found credentials) is answered by the first member.
 */
function composedRendering<P extends Principal>(list: readonly AuthStrategy<P>[]): Pick<AuthStrategy<P>, 'renderRefusal' | 'renderSuccess'> {
  const byId = new Map<string, AuthStrategy<P>>();
  // A nested composition renders for its own members: their ids route to it.
  for (const strategy of list) for (const id of idsOf(strategy)) if (!byId.has(id)) byId.set(id, strategy);
  const first = list[0] as AuthStrategy<P>;
  const memberFor = (strategyId: string | undefined): AuthStrategy<P> => (strategyId === undefined ? first : byId.get(strategyId) ?? first);
  return {
    renderRefusal: (refusal) => memberFor(refusal.type === 'rejected' ? refusal.strategyId : undefined).renderRefusal(refusal),
    renderSuccess: (payload, options = {}) => renderSuccessWith(memberFor(options.strategyId), payload, options),
  };
}

/**
 * Tries strategies in order; the first outcome that is not `absent` wins, and carries that member's id as
 * `strategyId` so the refusal or success is rendered in its envelope. When every strategy finds nothing, the
 * result is `absent`, rendered by the first member.
 *
 * @example
 * ```ts
 * const api = firstOf([nvxHash(nvxOptions), accessHashCookie(cookieOptions)]);
 * const outcome = await api.authenticate(request);
 * ```
 */
export function firstOf<P extends Principal>(strategies: readonly AuthStrategy<P>[]): AuthStrategy<P> {
  assertStrategies(strategies, 'strategies');
  const list = [...strategies];
  return {
    members: list,
    id: `firstOf(${list.map((strategy) => strategy.id).join(',')})`,
    async authenticate(request) {
      for (const strategy of list) {
        const outcome = await authenticateSafely(strategy, request);
        if (outcome.type !== 'absent') return attributed(outcome, strategy.id);
      }
      return absent();
    },
    ...composedRendering(list),
  };
}

/**
 * Requires every strategy to authenticate the same principal (for example an access hash and a client
 * certificate). The first rejection wins; when only some strategies find credentials the request is rejected
 * with `CREDENTIALS_MISSING` (in the envelope of a member whose credentials are missing); when none do it is
 * `absent`; different principals are `CREDENTIALS_AMBIGUOUS`. The result carries the first strategy's
 * principal and credential.
 *
 * @example
 * ```ts
 * const both = allOf([accessHashCookie(options), mutualTls(options)]);
 * ```
 */
export function allOf<P extends Principal>(strategies: readonly AuthStrategy<P>[]): AuthStrategy<P> {
  assertStrategies(strategies, 'strategies');
  const list = [...strategies];
  return {
    members: list,
    id: `allOf(${list.map((strategy) => strategy.id).join(',')})`,
    async authenticate(request) {
      let first: Extract<AuthOutcome<P>, { type: 'authenticated' }> | undefined;
      let missing: AuthStrategy<P> | undefined;
      for (const strategy of list) {
        const outcome = await authenticateSafely(strategy, request);
        if (outcome.type === 'rejected') return attributed(outcome, strategy.id);
        if (outcome.type === 'absent') {
          missing ??= strategy;
          continue;
        }
        if (first === undefined) first = attributed(outcome, strategy.id) as Extract<AuthOutcome<P>, { type: 'authenticated' }>;
        else if (outcome.principal.id !== first.principal.id) return attributed(rejected('CREDENTIALS_AMBIGUOUS'), strategy.id);
      }
      if (first === undefined) return absent();
      // Some credentials came and some did not: refused in the envelope of a member whose credentials are missing.
      if (missing !== undefined) return attributed(rejected('CREDENTIALS_MISSING'), missing.id);
      return first;
    },
    ...composedRendering(list),
  };
}

/**
 * Options of {@link withOutcomeEvents}.
 *
 * @example
 * ```ts
 * const options: OutcomeEventOptions = { onEvent: console.log };
 * ```
 */
export interface OutcomeEventOptions {
  /** Receives an event for every `authenticated` and `rejected` outcome. */
  readonly onEvent?: AuthEventListener;
  /** The clock that stamps events (`at`). Default: the system clock. */
  readonly clock?: Clock;
}

/**
 * Wraps a strategy so every `authenticated` and `rejected` outcome is reported to `onEvent` (ids, codes and
 * the client IP only). Throws inside the strategy become `INTERNAL_ERROR` rejections.
 *
 * @example
 * ```ts
 * const observed = withOutcomeEvents(strategy, { onEvent: (event) => log.info(event) });
 * ```
 */
export function withOutcomeEvents<P extends Principal>(
  strategy: AuthStrategy<P>,
  options: OutcomeEventOptions = {},
): AuthStrategy<P> {
  const emit = createEventEmitter(options.onEvent);
  const clock = options.clock ?? systemClock;
  return {
    ...renderingOf(strategy),
    id: strategy.id,
    async authenticate(request) {
      const outcome = await authenticateSafely(strategy, request);
      if (outcome.type === 'authenticated') {
        emit({
          type: 'authenticated',
          strategyId: strategy.id,
          at: clock.now(),
          principalId: outcome.principal.id,
          credentialId: outcome.credential.id,
          credentialKind: outcome.credential.kind,
          clientIp: request.clientIp,
        });
      } else if (outcome.type === 'rejected') {
        const { credentialId } = outcome;
        emit({
          type: 'rejected',
          strategyId: strategy.id,
          at: clock.now(),
          code: outcome.error.code,
          clientIp: request.clientIp,
          ...(credentialId === undefined ? {} : { credentialId }),
        });
      }
      return outcome;
    },
  };
}

/**
 * What a wrapper copies from the strategy it wraps so it answers in the same envelopes: `renderRefusal`,
 * `renderSuccess` and `members`.
 *
 * @example
 * ```ts
 * return { ...renderingOf(inner), id: inner.id, authenticate: wrapped };
 * ```
 */
export function renderingOf<P extends Principal>(strategy: AuthStrategy<P>): Pick<AuthStrategy<P>, 'renderRefusal' | 'renderSuccess' | 'members'> {
  const renderRefusal = (refusal: AuthRefusal): WireReply<unknown> => strategy.renderRefusal(refusal);
  const renderSuccess = typeof strategy.renderSuccess === 'function' ? strategy.renderSuccess.bind(strategy) : undefined;
  return {
    renderRefusal,
    ...(renderSuccess === undefined ? {} : { renderSuccess }),
    ...(Array.isArray(strategy.members) ? { members: strategy.members } : {}),
  };
}

const FALLBACK_HEADERS = Object.freeze({ 'content-type': JSON_CONTENT_TYPE });

/** A strategy's success envelope, or the payload itself as JSON when the scheme has none. */
function renderSuccessWith<P extends Principal>(strategy: AuthStrategy<P>, payload: unknown, options: RenderSuccessOptions): WireReply<unknown> {
  if (typeof strategy.renderSuccess === 'function') return strategy.renderSuccess(payload, options);
  return { httpStatus: options.httpStatus ?? 200, headers: FALLBACK_HEADERS, body: payload };
}

/**
 * Renders a success in a strategy's own envelope (Navixy's `{"success":true,…}`, the PUQ panel's
 * `{"error":"","msg":…,"status":"success"}`), or the payload as plain JSON for a scheme without one.
 *
 * @example
 * ```ts
 * const reply = renderSuccess(strategy, { list: trackers }, { strategyId: auth.strategyId });
 * return toFetchResponse(reply);
 * ```
 */
export function renderSuccess<P extends Principal>(strategy: AuthStrategy<P>, payload: unknown, options: RenderSuccessOptions = {}): WireReply<unknown> {
  return renderSuccessWith(strategy, payload, options);
}

/**
 * Options of {@link createAuthGuard}, the same in every framework adapter.
 *
 * @example
 * ```ts
 * const options: AuthGuardOptions = { require: 'Trading' };
 * ```
 */
export interface AuthGuardOptions {
  /**
   * When `true`, a request without credentials of the scheme passes with no `auth` (a wrong credential is
   * still refused). Default `false`.
   */
  readonly optional?: boolean;
  /**
   * Permissions (scopes) the credential must carry, e.g. `'Trading'`; a credential without every one of them is
   * refused with `SCOPE_DENIED` in the scheme's envelope.
   */
  readonly require?: string | readonly string[];
}

/**
 * What {@link createAuthGuard} decides about a request: let it through (with who it is, or `null` for an
 * optional route without credentials), or refuse it with the reply to send.
 *
 * @example
 * ```ts
 * const decision = await guard(request);
 * if (decision.type === 'refused') return toFetchResponse(decision.reply);
 * ```
 */
export type AuthDecision<P extends Principal = Principal> =
  | { readonly type: 'allowed'; readonly auth: AuthContext<P> | null }
  | { readonly type: 'refused'; readonly reply: WireReply<unknown>; readonly refusal: AuthRefusal };

const GUARD_OPTIONS: ReadonlySet<string> = new Set(['optional', 'require']);

const INTERNAL_ERROR_REPLY: WireReply<unknown> = Object.freeze({
  httpStatus: 500,
  headers: FALLBACK_HEADERS,
  body: Object.freeze({ error: 'Authentication could not be completed.' }),
});

/**
 * The one "answer this request" function every framework adapter is built on: authenticates with `strategy`,
 * applies `optional` and `require`, and for a refusal renders the strategy's own reply (envelope, status and
 * headers), so any scheme is answered in its own wire format without the adapter knowing it. Options are checked
 * here, once; a strategy that throws is refused with `INTERNAL_ERROR`, never let through.
 *
 * @example
 * ```ts
 * const guard = createAuthGuard(hmacSession({ store }), { require: 'Trading' });
 * const decision = await guard(toAuthRequest(request));
 * if (decision.type === 'refused') return toFetchResponse(decision.reply);
 * console.log(decision.auth?.principal.id);
 * ```
 */
export function createAuthGuard<P extends Principal>(
  strategy: AuthStrategy<P>,
  options: AuthGuardOptions = {},
): (request: AuthRequest) => Promise<AuthDecision<P>> {
  assertStrategy(strategy, 'strategy');
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object');
  // A misspelt option (`required: 'Trading'`) would silently turn a check off: refuse what is not an option.
  for (const name of Object.keys(options)) {
    if (!GUARD_OPTIONS.has(name)) throw new ConfigurationError(name, `is not an option here (known: ${[...GUARD_OPTIONS].join(', ')})`);
  }
  const optional = options.optional ?? false;
  if (typeof optional !== 'boolean') throw new ConfigurationError('optional', 'must be true or false');
  const required = options.require === undefined ? [] : typeof options.require === 'string' ? [options.require] : options.require;
  if (!Array.isArray(required) || required.some((scope) => typeof scope !== 'string' || scope === '')) {
    throw new ConfigurationError('require', 'must be a permission name or an array of them');
  }
  const requiredScopes: readonly string[] = [...required];

  const refuse = (refusal: AuthRefusal): AuthDecision<P> => {
    let reply: WireReply<unknown>;
    try {
      reply = strategy.renderRefusal(refusal);
    } catch {
      reply = INTERNAL_ERROR_REPLY;
    }
    return { type: 'refused', reply, refusal };
  };

  return async (request) => {
    const outcome = await authenticateSafely(strategy, request);
    if (outcome.type === 'absent') return optional ? { type: 'allowed', auth: null } : refuse(outcome);
    if (outcome.type === 'rejected') return refuse(outcome);
    const strategyId = outcome.strategyId ?? strategy.id;
    for (const scope of requiredScopes) {
      if (!outcome.credential.scopes.includes(scope)) {
        return refuse({ type: 'rejected', error: new AuthError('SCOPE_DENIED'), credentialId: outcome.credential.id, strategyId });
      }
    }
    return { type: 'allowed', auth: { principal: outcome.principal, credential: outcome.credential, strategyId } };
  };
}
