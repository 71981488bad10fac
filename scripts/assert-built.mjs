// Every published package's `prepack`: pnpm packs whatever `files` matches, so a package whose build did not run
// (or left dist/ empty) would pack as a README and a package.json whose exports point nowhere. Run from the
// package's folder; fails, naming what is missing, unless every file its `exports`, `bin` and `types` name exists.
import { existsSync, readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const missing = [];
const walk = (value) => {
  if (typeof value === 'string') {
    // Subpath patterns (`./vectors/*`) name no single file.
    if (value.startsWith('./') && !value.includes('*') && !existsSync(value)) missing.push(value);
  } else if (value !== null && typeof value === 'object') {
    Object.values(value).forEach(walk);
  }
};
walk([manifest.exports, manifest.bin, manifest.types]);
if (missing.length > 0) {
  console.error(`not built: ${missing.join(', ')} missing (build the package first: pnpm build)`);
  process.exit(1);
}
