// Gives the kit's own test strategies (references, mutants, ad-hoc ones) the `renderRefusal` every AuthStrategy
// carries. Only the kit's own tests use this.
import { refusalError, type AuthError, type AuthStrategy, type Principal, type WireReply } from '@gatehouse/auth-core';
import { JSON_CONTENT_TYPE } from '@gatehouse/auth-core/strategy';

/** A plain JSON reply for a scheme without an envelope of its own: the error's status, code and generic message. */
export function renderPlainError(error: AuthError): WireReply<unknown> {
  return { httpStatus: error.httpStatus, headers: { 'content-type': JSON_CONTENT_TYPE }, body: { error: { code: error.code, message: error.message } } };
}

/**
 * `{ id, authenticate }` made a full AuthStrategy: its `renderRefusal` renders `refusalError(refusal)` (so an
 * absence is `CREDENTIALS_MISSING`) with `render`, giving exactly the reply `render` gives for that error.
 */
export function withRenderer<P extends Principal = Principal>(
  strategy: Pick<AuthStrategy<P>, 'id' | 'authenticate'>,
  render: (error: AuthError) => WireReply<unknown> = renderPlainError,
): AuthStrategy<P> {
  return {
    id: strategy.id,
    authenticate: (request) => strategy.authenticate(request),
    renderRefusal: (refusal) => render(refusalError(refusal)),
  };
}

/** In-process driver options of a reference server, whose `render` is always given (as the strategy's refusals render). */
export interface WithRender {
  readonly render: (error: AuthError) => WireReply<unknown>;
}
