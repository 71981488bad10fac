import {
  absent,
  authenticated,
  isCredentialActive,
  isHexString,
  rejected,
  touchQuietly,
  withOutcomeEvents,
  type AuthStrategy,
  type CredentialRecord,
  type Principal,
} from '@gatehouse/auth-core';
import { resolveTemplateKeyOptions, TEMPLATE_KEY_BYTES, TEMPLATE_STRATEGY_ID, type TemplateKeyOptions } from './options.js';

/**
 * Creates the verifying strategy: a key in one header, looked up by digest.
 *
 * @example
 * ```ts
 * const strategy = templateKey({ store });
 * const outcome = await strategy.authenticate(toAuthRequest(request));
 * ```
 */
export function templateKey(options: TemplateKeyOptions): AuthStrategy<Principal> {
  const resolved = resolveTemplateKeyOptions(options);
  const { store, digest, headerName, clock } = resolved;
  const strategy: AuthStrategy<Principal> = {
    id: TEMPLATE_STRATEGY_ID,
    async authenticate(request) {
      const values = request.headerValues(headerName);
      if (values.length === 0) return absent();
      if (values.length > 1) return rejected('CREDENTIALS_AMBIGUOUS');
      const key = (values[0] as string).trim();
      // Malformed keys never reach the store: no lookup cost, no digest of attacker-chosen garbage.
      if (!isHexString(key, TEMPLATE_KEY_BYTES * 2)) return rejected('CREDENTIALS_MALFORMED');
      let record: CredentialRecord | null;
      try {
        record = await store.findByDigest(digest(key.toLowerCase()));
      } catch (error) {
        return rejected('STORE_UNAVAILABLE', error);
      }
      const now = clock.now();
      if (record === null || record.strategy !== TEMPLATE_STRATEGY_ID || !isCredentialActive(record, now)) {
        return rejected('CREDENTIALS_INVALID');
      }
      touchQuietly(store, record.id, now);
      return authenticated({ id: record.ownerId }, { id: record.id, kind: record.kind, scopes: record.scopes, expiresAt: record.expiresAt });
    },
  };
  return resolved.onEvent === undefined ? strategy : withOutcomeEvents(strategy, { onEvent: resolved.onEvent, clock });
}
