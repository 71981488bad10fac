// Which crypto backend @gatehouse/auth-core gives the portable graph (`'portable'` when the resolve hook applied).
import { CRYPTO_BACKEND } from '@gatehouse/auth-core/crypto';

export function cryptoBackend(): string {
  return CRYPTO_BACKEND;
}
