import { ConfigurationError, type AuthErrorCode } from './errors.js';

/**
 * What Gatehouse reports to an `onEvent` hook. Payloads hold ids, kinds, codes and addresses, never a secret,
 * a token, a digest or a signature.
 *
 * @example
 * ```ts
 * const onEvent = (event: AuthEvent) => {
 *   if (event.type === 'rejected') metrics.increment(`auth.rejected.${event.code}`);
 * };
 * ```
 */
export type AuthEvent =
  | {
      readonly type: 'authenticated';
      readonly strategyId: string;
      readonly at: number;
      readonly principalId: string;
      readonly credentialId: string;
      readonly credentialKind: string;
      readonly clientIp: string | null;
    }
  | {
      readonly type: 'rejected';
      readonly strategyId: string;
      readonly at: number;
      readonly code: AuthErrorCode;
      readonly clientIp: string | null;
      /** The credential that was identified and refused (e.g. a known key with a wrong signature), if any. */
      readonly credentialId?: string;
    }
  | {
      /** `credential-rotated`: the credential's secret was replaced in place (its id stays, e.g. an APEX key). */
      readonly type: 'credential-created' | 'credential-revoked' | 'credential-rotated';
      readonly strategyId: string;
      readonly at: number;
      readonly ownerId: string;
      readonly credentialId: string;
      readonly credentialKind: string;
    };

/**
 * A hook that receives {@link AuthEvent}s. It is called synchronously; errors it throws are swallowed, so a
 * broken logger can never turn a rejection into a crash or a success.
 *
 * @example
 * ```ts
 * const listener: AuthEventListener = (event) => console.log(event.type, event.strategyId);
 * ```
 */
export type AuthEventListener = (event: AuthEvent) => void;

/**
 * Wraps an optional listener into an `emit` function that never throws.
 *
 * @example
 * ```ts
 * const emit = createEventEmitter(options.onEvent);
 * emit({ type: 'credential-revoked', strategyId: 'nvx-hash', at: Date.now(), ownerId, credentialId, credentialKind: 'api-key' });
 * ```
 */
export function createEventEmitter(listener: AuthEventListener | undefined): (event: AuthEvent) => void {
  if (listener === undefined) return () => undefined;
  if (typeof listener !== 'function') throw new ConfigurationError('onEvent', 'must be a function');
  return (event) => {
    try {
      listener(Object.freeze(event));
    } catch {
      // A failing hook must not change the outcome.
    }
  };
}
