import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { AuthError } from './errors.js';
import { createEventEmitter, type AuthEventListener } from './events.js';
import { absent, rejected, type AuthOutcome, type Principal } from './outcome.js';
import type { AuthRequest } from './request.js';

/**
 * The contract every Gatehouse strategy satisfies: a stable id and one method that never throws for expected
 * failures.
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
 * } satisfies AuthStrategy;
 * ```
 */
export interface AuthStrategy<P extends Principal = Principal> {
  readonly id: string;
  authenticate(request: AuthRequest): Promise<AuthOutcome<P>>;
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
    if (outcome === null || typeof outcome !== 'object' || !['authenticated', 'rejected', 'absent'].includes(outcome.type)) {
      return rejected('INTERNAL_ERROR', new TypeError(`strategy ${strategy.id} returned an invalid outcome`));
    }
    return outcome;
  } catch (error) {
    return rejected(error instanceof AuthError ? error : new AuthError('INTERNAL_ERROR', { cause: error }));
  }
}

function assertStrategies(strategies: readonly AuthStrategy<Principal>[], optionName: string): void {
  if (!Array.isArray(strategies) || strategies.length === 0) {
    throw new TypeError(`Invalid option \`${optionName}\`: must be a non-empty array of strategies`);
  }
  for (const strategy of strategies) {
    if (strategy === null || typeof strategy !== 'object' || typeof strategy.authenticate !== 'function') {
      throw new TypeError(`Invalid option \`${optionName}\`: every entry must have an authenticate() method`);
    }
  }
}

/**
 * Tries strategies in order; the first outcome that is not `absent` wins. When every strategy finds nothing,
 * the result is `absent`.
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
    id: `firstOf(${list.map((strategy) => strategy.id).join(',')})`,
    async authenticate(request) {
      for (const strategy of list) {
        const outcome = await authenticateSafely(strategy, request);
        if (outcome.type !== 'absent') return outcome;
      }
      return absent();
    },
  };
}

/**
 * Requires every strategy to authenticate the same principal (for example an access hash and a client
 * certificate). The first rejection wins; when only some strategies find credentials the request is rejected
 * with `CREDENTIALS_MISSING`; when none do it is `absent`; different principals are `CREDENTIALS_AMBIGUOUS`.
 * The result carries the first strategy's principal and credential.
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
    id: `allOf(${list.map((strategy) => strategy.id).join(',')})`,
    async authenticate(request) {
      const outcomes: AuthOutcome<P>[] = [];
      for (const strategy of list) {
        const outcome = await authenticateSafely(strategy, request);
        if (outcome.type === 'rejected') return outcome;
        outcomes.push(outcome);
      }
      const found = outcomes.filter((outcome) => outcome.type === 'authenticated');
      if (found.length === 0) return absent();
      if (found.length < outcomes.length) return rejected('CREDENTIALS_MISSING');
      const first = found[0] as Extract<AuthOutcome<P>, { type: 'authenticated' }>;
      for (const outcome of found) {
        if (outcome.type === 'authenticated' && outcome.principal.id !== first.principal.id) {
          return rejected('CREDENTIALS_AMBIGUOUS');
        }
      }
      return first;
    },
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
  readonly onEvent?: AuthEventListener;
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
