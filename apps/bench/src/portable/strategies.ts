// The four strategies and the Fetch adapter as a runtime without node:crypto gets them. Imported only through
// `loadPortableBuild()`, whose resolve hook makes @gatehouse/auth-core load its portable (`default`) build here.
import {
  createFetchRequestAdapter,
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  type AuthStrategy,
  type CredentialStore,
} from '@gatehouse/auth-core';
import { createSecretSealer } from '@gatehouse/auth-core/crypto';
import { accessHashCookie } from '@gatehouse/strategy-access-hash-cookie';
import { hmacSession, hmacSignature } from '@gatehouse/strategy-hmac-signature';
import { nvxHash } from '@gatehouse/strategy-nvx-hash';

export interface PortableBuild {
  /** A memory store of the portable build, for the strategies below: provision it before use. */
  readonly store: CredentialStore;
  readonly strategies: { readonly nvx: AuthStrategy; readonly 'access-hash': AuthStrategy; readonly hmac: AuthStrategy; readonly aptoken: AuthStrategy };
  readonly toAuthRequest: ReturnType<typeof createFetchRequestAdapter>;
}

export function createPortableBuild(kek: Uint8Array): PortableBuild {
  const sealer = createSecretSealer([kek]);
  // A store of the same build as the strategies, as a worker would have: one build's debounced touch is
  // recognised by the same build's verify skeleton only.
  const store = createMemoryCredentialStore();
  return {
    store,
    strategies: {
      nvx: nvxHash({ store }),
      'access-hash': accessHashCookie({ store }),
      hmac: hmacSignature({ store, sealer, noncePolicy: 'unique', ephemeralStore: createMemoryEphemeralStore() }),
      aptoken: hmacSession({ store }),
    },
    toAuthRequest: createFetchRequestAdapter(),
  };
}
