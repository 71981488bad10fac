// The NVX wire scheme as the kit states it, from Navixy API docs, "Authentication"
// (https://www.navixy.com/docs/navixy-api/user-api/authentication), Navixy docs Q&A, "User session hash vs admin
// panel hash vs API key" (https://navixy.com/docs/qna/apis/user-session-hash-vs-admin-panel-hash-vs-api-key) and
// Navixy API docs, "Errors" (https://www.navixy.com/docs/navixy-api/user-api/backend-api/errors). Deliberately
// independent of @gatehouse/strategy-nvx-hash: the kit judges that package, it does not borrow its answers.
import type { WireResponse } from '../drivers/wire.js';
import { buildWireRequest, type Exchange as WireExchange, type WireRequestSpec } from './wire-request.js';

/**
 * Navixy's status codes the profile expects, with the HTTP status and the description Navixy sends (Navixy API
 * docs, "Errors": https://www.navixy.com/docs/navixy-api/user-api/backend-api/errors).
 */
export const NVX_WIRE_STATUS = {
  3: { httpStatus: 400, description: 'Wrong hash' },
  9: { httpStatus: 412, description: 'Too large request' },
  11: { httpStatus: 403, description: 'Access denied' },
  14: { httpStatus: 503, description: 'Database unavailable' },
} as const;

export type NvxWireCode = keyof typeof NVX_WIRE_STATUS;

/** A hash: 16 random bytes as 32 hex characters (the hashes of Navixy API docs, "Authentication"). */
export const NVX_HASH_PATTERN = /^[0-9a-fA-F]{32}$/;

export type { HeaderList, NamedSecret, Redact } from './wire-request.js';
export { describeReply, exchange, presentedHexRuns, redactSecrets, replyText, requestTexts, targetOf } from './wire-request.js';

/** One request of an `nvx-hash@1` case. */
export type NvxRequestSpec = WireRequestSpec;

/** Builds a fresh Fetch `Request` on the conformance origin. */
export const buildNvxRequest = buildWireRequest;

/** Tells whether a reply is Navixy's success: HTTP 200 and `success: true`. */
export function isSuccess(reply: WireResponse): boolean {
  const body = reply.body as { success?: unknown } | null;
  return reply.status === 200 && typeof body === 'object' && body !== null && body.success === true;
}

/** Tells whether a reply claims success in any way (status 200 or `success: true`). */
export function claimsSuccess(reply: WireResponse): boolean {
  const body = reply.body as { success?: unknown } | null;
  return reply.status === 200 || (typeof body === 'object' && body !== null && body.success === true);
}

/** Navixy's failure envelope for a code, exactly. */
export function failureBody(code: NvxWireCode): { success: false; status: { code: number; description: string } } {
  return { success: false, status: { code, description: NVX_WIRE_STATUS[code].description } };
}

export type Exchange = WireExchange<NvxRequestSpec>;
