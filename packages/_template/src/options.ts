import { ConfigurationError } from '@gatehouse/auth-core';
import type { CredentialOptions, StrategyGuardOptions } from '@gatehouse/auth-core/strategy';

/** The strategy id, stored with every credential this strategy issues. */
export const TEMPLATE_STRATEGY_ID = 'template-key';
/** The kind of credential it issues. */
export const TEMPLATE_KEY_KIND = 'api-key';
/** Random bytes per key: 32 bytes, 64 hex characters. */
export const TEMPLATE_KEY_BYTES = 32;
/** Live keys per owner unless `maxKeysPerOwner` says otherwise. */
export const TEMPLATE_DEFAULT_MAX_KEYS = 20;

/**
 * Options of the verifying face: the store, an optional pepper and clock, the `failureThrottle` and `onEvent`
 * every strategy takes, and where the key travels.
 *
 * @example
 * ```ts
 * const options: TemplateKeyOptions = { store: createMemoryCredentialStore(), failureThrottle: { store: ephemeral } };
 * ```
 */
export interface TemplateKeyOptions extends CredentialOptions, StrategyGuardOptions {
  /** The header that carries the key. Default `x-template-key`. */
  readonly headerName?: string;
}

/**
 * Options of the management face.
 *
 * @example
 * ```ts
 * const options: TemplateKeyManagerOptions = { store, maxKeysPerOwner: 5 };
 * ```
 */
export interface TemplateKeyManagerOptions extends CredentialOptions {
  /** Live keys an owner may have. Default {@link TEMPLATE_DEFAULT_MAX_KEYS}. */
  readonly maxKeysPerOwner?: number;
  readonly onEvent?: StrategyGuardOptions['onEvent'];
}

/** Checks the header name at construction. */
export function resolveHeaderName(headerName: unknown): string {
  const name = headerName ?? 'x-template-key';
  if (typeof name !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new ConfigurationError('headerName', 'must be an HTTP header name');
  return name.toLowerCase();
}

/** Checks the per-owner limit at construction. */
export function resolveMaxKeys(maxKeysPerOwner: number | undefined): number {
  const max = maxKeysPerOwner ?? TEMPLATE_DEFAULT_MAX_KEYS;
  if (!Number.isSafeInteger(max) || max < 1) throw new ConfigurationError('maxKeysPerOwner', 'must be a positive integer');
  return max;
}

