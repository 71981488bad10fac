import { absent, rejected, type AuthStrategy, type Principal } from '@gatehouse/auth-core';
import { createCredentialLookup, resolveCredentialOptions, withStrategyGuards } from '@gatehouse/auth-core/strategy';
import { isHexString } from '@gatehouse/auth-core/crypto';
import { renderTemplateRefusal, renderTemplateSuccess } from './envelope.js';
import { resolveHeaderName, TEMPLATE_KEY_BYTES, TEMPLATE_KEY_KIND, TEMPLATE_STRATEGY_ID, type TemplateKeyOptions } from './options.js';

/**
 * Creates the verifying face: an `AuthStrategy` for a 64-hex key in one header, looked up by its digest, that
 * answers refusals in this scheme's own envelope.
 *
 * @example
 * ```ts
 * const strategy = templateKey({ store });
 * const outcome = await strategy.authenticate(toAuthRequest(request));
 * if (outcome.type !== 'authenticated') return toFetchResponse(strategy.renderRefusal(outcome));
 * ```
 */
export function templateKey(options: TemplateKeyOptions): AuthStrategy<Principal> {
  const { store, digest, clock } = resolveCredentialOptions(options);
  const headerName = resolveHeaderName(options.headerName);
  const credentials = createCredentialLookup({ store, digest, clock, strategyId: TEMPLATE_STRATEGY_ID, kinds: [TEMPLATE_KEY_KIND] });

  const strategy: AuthStrategy<Principal> = {
    id: TEMPLATE_STRATEGY_ID,
    async authenticate(request) {
      const values = request.headerValues(headerName);
      if (values.length === 0) return absent();
      if (values.length > 1) return rejected('CREDENTIALS_AMBIGUOUS');
      const key = (values[0] as string).trim();
      // Malformed keys never reach the store: no lookup cost, no digest of attacker-chosen garbage.
      if (!isHexString(key, TEMPLATE_KEY_BYTES * 2)) return rejected('CREDENTIALS_MALFORMED');
      const found = await credentials.find(key.toLowerCase());
      if (found.type === 'rejected') return found;
      return credentials.grant(found, { id: found.record.ownerId });
    },
    renderRefusal: renderTemplateRefusal,
    renderSuccess: (payload, renderOptions) => renderTemplateSuccess(payload, renderOptions?.httpStatus),
  };
  return withStrategyGuards(strategy, options);
}
