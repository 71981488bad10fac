// The crypto backend the source imports. This file is the portable one; the Node build replaces the import of
// `./backend/index.js` with ./node.ts (tsup.config.ts).
export { CRYPTO_BACKEND, scrypt } from './portable.js';
