import { register } from 'node:module';
import { PORTABLE_MARK } from './hooks.js';
import type { PortableBuild } from './strategies.js';

let registered = false;

/**
 * Loads the strategies with @gatehouse/auth-core's portable build (@noble/hashes) beside the native one, on a
 * memory store of that build, and checks that it is that build.
 */
export async function loadPortableBuild(kek: Uint8Array): Promise<PortableBuild> {
  if (!registered) {
    register(new URL('./portable-hooks.js', import.meta.url));
    registered = true;
  }
  const probe = (await import(`${new URL('./portable-probe.js', import.meta.url).href}?${PORTABLE_MARK}`)) as typeof import('./probe.js');
  if (probe.cryptoBackend() !== 'portable') {
    throw new Error(`the portable build of @gatehouse/auth-core did not load (crypto backend: ${probe.cryptoBackend()}): the resolve hook was not applied`);
  }
  const module = (await import(`${new URL('./portable-strategies.js', import.meta.url).href}?${PORTABLE_MARK}`)) as typeof import('./strategies.js');
  return module.createPortableBuild(kek);
}
