import { JSON_CONTENT_TYPE, type AuthError, type WireReply } from '@gatehouse/auth-core';
import { TEMPLATE_WIRE_ERRORS } from './errors.js';

/** This scheme's failure body. */
export interface TemplateErrorBody {
  readonly error: string;
}

/** This scheme's success body. */
export interface TemplateSuccessBody<T> {
  readonly data: T;
}

const JSON_HEADERS = Object.freeze({ 'content-type': JSON_CONTENT_TYPE });

/**
 * Renders a rejection in this scheme's envelope. The one place a failure becomes wire bytes, so the demo,
 * adapters and the conformance kit all agree.
 *
 * @example
 * ```ts
 * renderTemplateError(new AuthError('CREDENTIALS_INVALID')); // { httpStatus: 401, body: { error: 'Invalid API key' }, … }
 * ```
 */
export function renderTemplateError(error: AuthError): WireReply<TemplateErrorBody> {
  const wire = TEMPLATE_WIRE_ERRORS[error.code];
  const headers: Record<string, string> = { ...JSON_HEADERS };
  if (wire.httpStatus === 401) headers['www-authenticate'] = 'Template realm="api"';
  return { httpStatus: wire.httpStatus, headers, body: { error: wire.text } };
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
