// Which @gatehouse/auth-core/crypto module the portable graph got (compared with the native one by identity).
import * as crypto from '@gatehouse/auth-core/crypto';

export function cryptoModule(): typeof crypto {
  return crypto;
}
