// The four strategies and the Fetch adapter as a runtime without node:crypto gets them. Imported only through
// `loadPortableBuild()`, whose resolve hook makes @gatehouse/auth-core load its portable (`default`) build here.
import { createFetchRequestAdapter, createMemoryEphemeralStore, type AuthStrategy, type CredentialStore } from '@gatehouse/auth-core';
import { createSecretSealer } from '@gatehouse/auth-core/crypto';
import { accessHashCookie } from '@gatehouse/strategy-access-hash-cookie';
import { hmacSession, hmacSignature } from '@gatehouse/strategy-hmac-signature';
import { nvxHash } from '@gatehouse/strategy-nvx-hash';

export interface PortableBuild {
  readonly strategies: { readonly nvx: AuthStrategy; readonly 'access-hash': AuthStrategy; readonly hmac: AuthStrategy; readonly aptoken: AuthStrategy };
  readonly toAuthRequest: ReturnType<typeof createFetchRequestAdapter>;
}

export function createPortableBuild(store: CredentialStore, kek: Uint8Array): PortableBuild {
  const sealer = createSecretSealer([kek]);
  return {
    strategies: {
      nvx: nvxHash({ store }),
      'access-hash': accessHashCookie({ store }),
      hmac: hmacSignature({ store, sealer, noncePolicy: 'unique', ephemeralStore: createMemoryEphemeralStore() }),
      aptoken: hmacSession({ store }),
    },
    toAuthRequest: createFetchRequestAdapter(),
  };
}
