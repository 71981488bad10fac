// @gatehouse/auth-core/crypto: random tokens, digests, HMAC, constant-time comparison, hex and base64url,
// sealing of recoverable secrets, and password hashes.
export {
  constantTimeEqual,
  constantTimeEqualStrings,
  createHmacSha256,
  createPasswordHasher,
  createSecretDigester,
  createSecretSealer,
  decodeBase64Url,
  decodeHex,
  encodeBase64Url,
  encodeHex,
  generateHexToken,
  hashPassword,
  hmacSha256,
  isHexString,
  parseKeyEncryptionKeys,
  randomBytes,
  sha256Digest,
  verifyPassword,
} from '../secrets.js';
export type { HashPasswordOptions, PasswordHasher, PasswordHasherOptions, SecretDigesterOptions, SecretSealer } from '../secrets.js';
export { CRYPTO_BACKEND } from '../backend/index.js';
