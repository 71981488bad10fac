// The machinery shared by the in-process wire drivers: a strategy, its renderer and a request adapter,
// answering as the adopter's server would. Internal to the package.
import { AuthError, type AuthOutcome, type AuthStrategy, type WireReply } from '@gatehouse/auth-core';
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

/**
 * A sender that authenticates each request in-process: authenticated → `success`; rejected → `render(error)`;
 * absent → `render(new AuthError('CREDENTIALS_MISSING'))`. The socket address is `options.remoteAddress`
 * (default `192.0.2.10`).
 */
export function inProcessSender(
  strategy: AuthStrategy,
  render: (error: AuthError) => WireReply<unknown>,
  toAuthRequest: ToAuthRequest,
  success: WireResponse,
): WireSender {
  const reply = (error: AuthError): WireResponse => {
    let rendered: WireReply<unknown>;
    try {
      rendered = render(error);
    } catch (thrown) {
      throw new ConformanceFailure(`render(${error.code}) threw ${errorText(thrown)}`);
    }
    const status = (rendered as { httpStatus?: unknown } | null)?.httpStatus;
    if (typeof status !== 'number' || !Number.isInteger(status)) {
      throw new ConformanceFailure(`render(${error.code}) returned ${show(rendered)}, expected a WireReply { httpStatus, headers, body }`);
    }
    return { status, body: overTheWire(rendered.body) };
  };
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
          return reply(outcome.type === 'rejected' ? outcome.error : new AuthError('INTERNAL_ERROR'));
        case 'absent':
          return reply(new AuthError('CREDENTIALS_MISSING'));
        default:
          throw new ConformanceFailure(`authenticate returned ${show(outcome)}, which is not an outcome`);
      }
    },
  };
}
