import { AuthError, type AuthErrorCode } from './errors.js';

/**
 * Who was authenticated. `id` is stable; `attributes` are whatever the strategy knows (never a secret).
 *
 * @example
 * ```ts
 * const principal: Principal = { id: 'user-42', attributes: { kind: 'master' } };
 * ```
 */
export interface Principal {
  /** A stable identifier of who it is (a user or account id), the same on every request. */
  readonly id: string;
  /** Whatever else the strategy knows about the principal (never a secret). */
  readonly attributes?: Readonly<Record<string, string | number | boolean | null>>;
}

/**
 * What authenticated the request: its public id, its kind and its scopes. Never the secret itself.
 *
 * @example
 * ```ts
 * const credential: CredentialInfo = { id: 'c_1', kind: 'api-key', scopes: ['Trading'] };
 * ```
 */
export interface CredentialInfo {
  /** The credential's public id (never its secret): what logs and management calls name it by. */
  readonly id: string;
  /** The strategy's kind of credential, e.g. `api-key` or `user-session`. */
  readonly kind: string;
  /** The permissions the credential carries; `require` options are checked against them. */
  readonly scopes: readonly string[];
  /** Epoch milliseconds after which the credential is no longer valid, or `null` when it never expires. */
  readonly expiresAt?: number | null;
}

/**
 * The three-way result of {@link AuthStrategy.authenticate}.
 * - `authenticated`: the credentials are good;
 * - `rejected`: credentials of this scheme were present but are not acceptable;
 * - `absent`: no credentials of this scheme are on the request, so another strategy may try.
 *
 * @example
 * ```ts
 * const outcome = await strategy.authenticate(request);
 * if (outcome.type === 'authenticated') console.log(outcome.principal.id);
 * else if (outcome.type === 'rejected') console.log(outcome.error.code);
 * ```
 */
export type AuthOutcome<P extends Principal = Principal> =
  | {
      readonly type: 'authenticated';
      readonly principal: P;
      readonly credential: CredentialInfo;
      /**
       * Which strategy of a composition (`firstOf`, `allOf`) answered. A single strategy's own outcomes leave it
       * out: they are that strategy's. {@link AuthContext.strategyId} is always set.
       */
      readonly strategyId?: string;
    }
  | {
      readonly type: 'rejected';
      readonly error: AuthError;
      /**
       * The public id of the credential that was identified and refused (found, but its signature, client IP
       * or nonce failed); absent when no credential was identified. Failure throttles count it per credential.
       */
      readonly credentialId?: string;
      /** Which strategy of a composition refused, so its envelope answers. */
      readonly strategyId?: string;
    }
  | { readonly type: 'absent' };

/**
 * An outcome that lets nobody in: a rejection, or no credentials at all. A strategy renders it into its own wire
 * envelope with {@link AuthStrategy.renderRefusal}.
 *
 * @example
 * ```ts
 * const refusal: AuthRefusal = rejected('CREDENTIALS_INVALID');
 * const reply = strategy.renderRefusal(refusal);
 * ```
 */
export type AuthRefusal = Exclude<AuthOutcome<never>, { readonly type: 'authenticated' }>;

/**
 * Who and what an accepted request was authenticated as, as the framework adapters hand it to a handler.
 *
 * @example
 * ```ts
 * const auth: AuthContext = { principal: { id: 'user-1' }, credential: { id: 'c_1', kind: 'api-key', scopes: [] }, strategyId: 'nvx-hash' };
 * ```
 */
export interface AuthContext<P extends Principal = Principal> {
  /** Who was authenticated. */
  readonly principal: P;
  /** What authenticated the request. */
  readonly credential: CredentialInfo;
  /** The id of the strategy that accepted the credential (a member's id behind `firstOf`). */
  readonly strategyId: string;
}

/**
 * Builds an `authenticated` outcome.
 *
 * @example
 * ```ts
 * return authenticated({ id: 'user-1' }, { id: 'c_1', kind: 'api-key', scopes: [] });
 * ```
 */
export function authenticated<P extends Principal>(principal: P, credential: CredentialInfo): AuthOutcome<P> {
  return { type: 'authenticated', principal, credential };
}

/**
 * Builds a `rejected` outcome from a code (or an existing {@link AuthError}).
 *
 * @example
 * ```ts
 * return rejected('CREDENTIALS_MALFORMED');
 * ```
 */
export function rejected(codeOrError: AuthErrorCode | AuthError, cause?: unknown): AuthOutcome<never> {
  const error = codeOrError instanceof AuthError ? codeOrError : outcomeError(codeOrError, cause);
  return { type: 'rejected', error };
}

/**
 * Builds a `rejected` outcome for a credential the strategy found but refused because the proof that came with
 * it failed: a wrong signature for a known API key, a known key or hash used from an IP it is not bound to, a
 * replayed nonce. The credential's public id travels with the outcome (never to the client), so
 * {@link withFailureThrottle} can count failures per credential as well as per client IP. Use plain
 * {@link rejected} when nothing identified a credential (an unknown, revoked or malformed one).
 *
 * @example
 * ```ts
 * if (!signatureMatches) return rejectedCredential(record.id, 'CREDENTIALS_INVALID');
 * ```
 */
export function rejectedCredential(credentialId: string, code: AuthErrorCode): AuthOutcome<never> {
  return { type: 'rejected', error: outcomeError(code, undefined), credentialId };
}

/**
 * An `AuthError` for an outcome, built without capturing a stack trace: a rejection is an answer, not a fault,
 * and capturing the stack cost more than the whole verification of a wrong credential. Its `stack` is the
 * `AuthError: <message>` line alone; a `cause` keeps its own stack.
 */
function outcomeError(code: AuthErrorCode, cause: unknown): AuthError {
  const options = cause === undefined ? {} : { cause };
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 0;
  } catch {
    // Frozen intrinsics (e.g. a hardened realm): build it with the stack.
    return new AuthError(code, options);
  }
  try {
    return new AuthError(code, options);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

const ABSENT: AuthOutcome<never> = Object.freeze({ type: 'absent' });

/**
 * The error a refusal stands for: a rejection's own error, or `CREDENTIALS_MISSING` when no credentials were
 * sent. Renderers start here.
 *
 * @example
 * ```ts
 * renderRefusal: (refusal) => renderMyError(refusalError(refusal)),
 * ```
 */
export function refusalError(refusal: AuthRefusal): AuthError {
  // A fresh error each time: loggers annotate errors, and one shared instance would carry one request's notes to the next.
  return refusal.type === 'rejected' ? refusal.error : outcomeError('CREDENTIALS_MISSING', undefined);
}

/**
 * The `absent` outcome (a shared frozen object).
 *
 * @example
 * ```ts
 * if (request.header('authorization') === null) return absent();
 * ```
 */
export function absent(): AuthOutcome<never> {
  return ABSENT;
}
