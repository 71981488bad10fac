import { refusalError, type AuthError, type AuthRefusal, type WireReply } from '@gatehouse/auth-core';
import { JSON_CONTENT_TYPE } from '@gatehouse/auth-core/strategy';
import { TEMPLATE_WIRE_ERRORS } from './errors.js';

/**
 * This scheme's failure body.
 *
 * @example
 * ```ts
 * const body: TemplateErrorBody = { error: 'Invalid API key' };
 * ```
 */
export interface TemplateErrorBody {
  readonly error: string;
}

/**
 * This scheme's success body.
 *
 * @example
 * ```ts
 * const body: TemplateSuccessBody<{ id: string }> = { data: { id: 'k1' } };
 * ```
 */
export interface TemplateSuccessBody<T> {
  readonly data: T;
}

const JSON_HEADERS = Object.freeze({ 'content-type': JSON_CONTENT_TYPE });

/**
 * Renders a failure in this scheme's envelope. The one place a failure becomes wire bytes, so the strategy's
 * `renderRefusal`, the route code and the conformance kit all agree.
 *
 * @example
 * ```ts
 * renderTemplateError(new AuthError('CREDENTIALS_INVALID')); // { httpStatus: 401, body: { error: 'Invalid API key' }, … }
 * ```
 */
export function renderTemplateError(error: AuthError): WireReply<TemplateErrorBody> {
  const wire = TEMPLATE_WIRE_ERRORS[error.code] ?? TEMPLATE_WIRE_ERRORS.INTERNAL_ERROR;
  const headers: Record<string, string> = { ...JSON_HEADERS };
  if (wire.httpStatus === 401) headers['www-authenticate'] = 'Template realm="api"';
  return { httpStatus: wire.httpStatus, headers, body: { error: wire.text } };
}

/**
 * Renders a refusal (a rejection, or no key at all) in this scheme's envelope: the strategy's `renderRefusal`.
 *
 * @example
 * ```ts
 * renderTemplateRefusal(absent()); // 401 { error: 'API key required' }
 * ```
 */
export function renderTemplateRefusal(refusal: AuthRefusal): WireReply<TemplateErrorBody> {
  return renderTemplateError(refusalError(refusal));
}

/**
 * Renders a success in this scheme's envelope.
 *
 * @example
 * ```ts
 * renderTemplateSuccess({ id: 'k1' }); // { httpStatus: 200, body: { data: { id: 'k1' } }, … }
 * ```
 */
export function renderTemplateSuccess<T>(data: T, httpStatus = 200): WireReply<TemplateSuccessBody<T>> {
  return { httpStatus, headers: JSON_HEADERS, body: { data } };
}
