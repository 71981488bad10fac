// The machinery shared by the in-process wire drivers: a strategy, its renderer (the adopter's `render`, or the
// strategy's own `renderRefusal`) and a request adapter, answering as the adopter's server would. Internal to
// the package.
import {
  absent,
  AuthError,
  ConfigurationError,
  type AuthOutcome,
  type AuthRefusal,
  type AuthStrategy,
  type WireReply,
} from '@gatehouse/auth-core';
import { ConformanceFailure } from '../case.js';
import { show } from '../check.js';
import { DEFAULT_REMOTE_ADDRESS } from '../profiles/garbage.js';
import type { ToAuthRequest } from '../profiles/strategy-contract.js';
import type { WireResponse, WireSender } from './wire.js';

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : show(error);
}

/** A body as it would arrive over the wire: serialized and parsed again. */
function overTheWire(body: unknown): unknown {
  if (body === undefined) return null;
  const text = JSON.stringify(body);
  return text === undefined ? null : (JSON.parse(text) as unknown);
}

const ABSENT = absent() as AuthRefusal;

/** The error a refusal stands for, as the adopter's `render` is given it. */
function renderedErrorOf(refusal: AuthRefusal): AuthError {
  return refusal.type === 'rejected' ? refusal.error : new AuthError('CREDENTIALS_MISSING');
}

/** The code a refusal stands for, for failure messages; never a secret. */
function codeOf(refusal: AuthRefusal): string {
  if (refusal.type !== 'rejected') return 'CREDENTIALS_MISSING';
  const code = (refusal.error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : show(code);
}

/**
 * Checks that a driver option `render` is a function or left out, and that a strategy can render its refusals
 * without it. Throws a `ConfigurationError` naming the option.
 */
export function checkRender(render: unknown, strategy: { readonly renderRefusal?: unknown }, renderName = 'render'): void {
  if (render === undefined) {
    if (typeof strategy.renderRefusal !== 'function') {
      throw new ConfigurationError(renderName, 'must be a function (error: AuthError) => WireReply when the strategy has no renderRefusal()');
    }
    return;
  }
  if (typeof render !== 'function') {
    throw new ConfigurationError(renderName, 'must be a function (error: AuthError) => WireReply, or left out to use the strategy\'s renderRefusal()');
  }
}

/**
 * Checks what a render function returned and turns it into the reply as it would arrive over the wire (the body
 * serialized and parsed again). `what` names the call in failure messages.
 */
export function replyOf(rendered: unknown, what: string): WireResponse {
  const status = (rendered as { httpStatus?: unknown } | null)?.httpStatus;
  if (typeof status !== 'number' || !Number.isInteger(status)) {
    throw new ConformanceFailure(`${what} returned ${show(rendered)}, expected a WireReply { httpStatus, headers, body }`);
  }
  return { status, body: overTheWire((rendered as WireReply<unknown>).body) };
}

/**
 * The server's reply to a refusal: `render(error)` when `render` is given (`CREDENTIALS_MISSING` for an absent
 * outcome), else `strategy.renderRefusal(refusal)`. `renderName` and `strategyName` name the options in failure
 * messages (`render` / `strategy`, `session.render` / `session.strategy`, …); a throw or a reply that is no
 * WireReply becomes a {@link ConformanceFailure}.
 */
export function refusalReplier(
  strategy: AuthStrategy,
  render: ((error: AuthError) => WireReply<unknown>) | undefined,
  renderName = 'render',
  strategyName = 'strategy',
): (refusal: AuthRefusal) => WireResponse {
  const what = render === undefined ? `${strategyName}.renderRefusal` : renderName;
  return (refusal) => {
    if (render === undefined && typeof (strategy as { renderRefusal?: unknown }).renderRefusal !== 'function') {
      throw new ConformanceFailure(`${strategyName} has no renderRefusal() and no ${renderName} was given to render ${codeOf(refusal)}`);
    }
    let rendered: unknown;
    try {
      rendered = render === undefined ? strategy.renderRefusal(refusal) : render(renderedErrorOf(refusal));
    } catch (thrown) {
      throw new ConformanceFailure(`${what}(${codeOf(refusal)}) threw ${errorText(thrown)}`);
    }
    return replyOf(rendered, `${what}(${codeOf(refusal)})`);
  };
}

/**
 * A sender that authenticates each request in-process: authenticated → `success`; rejected → `render(error)`;
 * absent → `render(new AuthError('CREDENTIALS_MISSING'))`. Without `render`, the strategy's own
 * `renderRefusal` answers: rejected → `renderRefusal(outcome)`; absent → `renderRefusal(absent())`. The socket
 * address is `options.remoteAddress` (default `192.0.2.10`).
 */
export function inProcessSender(
  strategy: AuthStrategy,
  render: ((error: AuthError) => WireReply<unknown>) | undefined,
  toAuthRequest: ToAuthRequest,
  success: WireResponse,
): WireSender {
  const reply = refusalReplier(strategy, render);
  return {
    async send(request, options = {}) {
      let outcome: AuthOutcome;
      try {
        outcome = await strategy.authenticate(toAuthRequest(request, { remoteAddress: options.remoteAddress ?? DEFAULT_REMOTE_ADDRESS }));
      } catch (thrown) {
        throw new ConformanceFailure(`authenticate threw ${errorText(thrown)}`);
      }
      switch ((outcome as { type?: unknown } | null)?.type) {
        case 'authenticated':
          return success;
        case 'rejected':
          return reply(outcome.type === 'rejected' ? outcome : { type: 'rejected', error: new AuthError('INTERNAL_ERROR') });
        case 'absent':
          return reply(ABSENT);
        default:
          throw new ConformanceFailure(`authenticate returned ${show(outcome)}, which is not an outcome`);
      }
    },
  };
}
