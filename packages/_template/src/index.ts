export { templateKey } from './verify.js';
export { createTemplateKeyManager } from './manage.js';
export type { IssuedTemplateKey, TemplateKeyManager, TemplateKeySummary } from './manage.js';
export { signTemplateRequest } from './sign.js';
export { renderTemplateError, renderTemplateSuccess } from './envelope.js';
export type { TemplateErrorBody, TemplateSuccessBody } from './envelope.js';
export { TEMPLATE_WIRE_ERRORS } from './errors.js';
export { TEMPLATE_DEFAULT_MAX_KEYS, TEMPLATE_KEY_BYTES, TEMPLATE_KEY_KIND, TEMPLATE_STRATEGY_ID } from './options.js';
export type { TemplateKeyManagerOptions, TemplateKeyOptions } from './options.js';
