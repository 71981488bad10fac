import { register } from 'node:module';
import type { CredentialStore } from '@gatehouse/auth-core';
import { PORTABLE_MARK } from './hooks.js';
import type { PortableBuild } from './strategies.js';

let registered = false;

/**
 * Loads the strategies with @gatehouse/auth-core's portable build (@noble/hashes) beside the native one, and
 * checks that it is that build: its digester must not be the native one's.
 */
export async function loadPortableBuild(store: CredentialStore, kek: Uint8Array): Promise<PortableBuild> {
  if (!registered) {
    register(new URL('./portable-hooks.js', import.meta.url));
    registered = true;
  }
  const module = (await import(`${new URL('./portable-strategies.js', import.meta.url).href}?${PORTABLE_MARK}`)) as typeof import('./strategies.js');
  const native = await import('@gatehouse/auth-core/crypto');
  const portable = (await import(`${new URL('./portable-probe.js', import.meta.url).href}?${PORTABLE_MARK}`)) as typeof import('./probe.js');
  if (portable.cryptoModule().createSecretDigester === native.createSecretDigester) {
    throw new Error('the portable build of @gatehouse/auth-core did not load: the resolve hook was not applied');
  }
  return module.createPortableBuild(store, kek);
}
