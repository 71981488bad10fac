export { templateKey } from './verify.js';
export { createTemplateKeyManager } from './manage.js';
export type { IssuedTemplateKey, TemplateKeyManager, TemplateKeyManagerOptions, TemplateKeySummary } from './manage.js';
export { signTemplateRequest } from './sign.js';
export { renderTemplateError, renderTemplateSuccess } from './envelope.js';
export type { TemplateErrorBody, TemplateSuccessBody } from './envelope.js';
export { TEMPLATE_WIRE_ERRORS } from './errors.js';
export { TEMPLATE_KEY_BYTES, TEMPLATE_STRATEGY_ID, resolveTemplateKeyOptions } from './options.js';
export type { ResolvedTemplateKeyOptions, TemplateKeyOptions } from './options.js';
