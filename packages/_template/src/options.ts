import {
  ConfigurationError,
  resolveCredentialOptions,
  type AuthEventListener,
  type Clock,
  type CredentialStore,
} from '@gatehouse/auth-core';

/**
 * Options shared by every face of the strategy.
 *
 * @example
 * ```ts
 * const options: TemplateKeyOptions = { store: createMemoryCredentialStore() };
 * ```
 */
export interface TemplateKeyOptions {
  /** Where credentials live (memory, SQLite, …). */
  readonly store: CredentialStore;
  /** A server pepper of at least 32 bytes for lookup digests (see `createSecretDigester`). */
  readonly pepper?: Uint8Array;
  /** The header that carries the key. Default `x-template-key`. */
  readonly headerName?: string;
  readonly clock?: Clock;
  readonly onEvent?: AuthEventListener;
}

/** Options after validation, with defaults applied. */
export interface ResolvedTemplateKeyOptions {
  readonly store: CredentialStore;
  readonly digest: (secret: string) => string;
  readonly headerName: string;
  readonly clock: Clock;
  readonly onEvent: AuthEventListener | undefined;
}

/**
 * Validates options once, at construction; misuse throws a ConfigurationError naming the option.
 *
 * @example
 * ```ts
 * const resolved = resolveTemplateKeyOptions({ store });
 * ```
 */
export function resolveTemplateKeyOptions(options: TemplateKeyOptions): ResolvedTemplateKeyOptions {
  const { store, digest, clock } = resolveCredentialOptions(options);
  const headerName = (options.headerName ?? 'x-template-key').toLowerCase();
  if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(headerName)) throw new ConfigurationError('headerName', 'must be an HTTP header name');
  return { store, digest, headerName, clock, onEvent: options.onEvent };
}

/** The strategy id, stored with every credential this strategy issues. */
export const TEMPLATE_STRATEGY_ID = 'template-key';
/** Random bytes per key: 32 bytes, 64 hex characters. */
export const TEMPLATE_KEY_BYTES = 32;
