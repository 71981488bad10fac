// The crypto backend the source imports. This file is the portable one; the Node build replaces the import of
// `./backend/index.js` with ./node.ts (tsup.config.ts).
export { CRYPTO_BACKEND, createHmacSha256, hmacSha256, scrypt, sha256, sha256Hex } from './portable.js';
export type { PreparedHmacSha256 } from './portable.js';
