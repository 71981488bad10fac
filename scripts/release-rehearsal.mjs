// Release rehearsal: versions a copy of the repository as the release pull request would, then packs and
// publishes it with --dry-run, and fails when the result differs from the versioning model that the README's
// "Releases" section describes (one version for every published package, 0.1.0 for the first release; private
// packages never versioned; every workspace: range packed as a range that accepts the version released with it).
// The working tree is copied as it is, uncommitted changes and new changesets included; nothing here is modified.
// `--keep` leaves the copy in place and prints where it is; REHEARSAL_VERBOSE=1 also prints pnpm publish's output.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const require = createRequire(join(root, 'package.json'));
const semver = require('semver');
const CHANGESET_BIN = require.resolve('@changesets/cli/bin.js');
const keep = process.argv.includes('--keep');
const started = performance.now();

const failures = [];
const fail = (message) => failures.push(message);
let phaseStarted = performance.now();
/** Prints how long the phase that just ended took, to keep the rehearsal's time in view. */
const phaseDone = (label) => {
  const now = performance.now();
  console.log(`  ${label}: ${((now - phaseStarted) / 1000).toFixed(1)} s`);
  phaseStarted = now;
};

/** Runs a command; a failure reports what it printed, and `timeoutSeconds` bounds a command that may wait on the network. */
const run = (command, args, cwd, timeoutSeconds = 120) => {
  try {
    return execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: timeoutSeconds * 1000 });
  } catch (error) {
    const why = error.code === 'ETIMEDOUT' ? `did not finish in ${timeoutSeconds} s` : 'failed';
    throw new Error(`${command} ${args.join(' ')} ${why} in ${cwd}:\n${error.stdout ?? ''}${error.stderr ?? ''}`, { cause: error });
  }
};
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
/**
 * The JSON `pnpm pack --json` printed (an array, or one object for one package), found among the lifecycle lines
 * around it: the first line-initial `[` or `{` from which the rest of a line-aligned slice parses.
 */
const packedJson = (output) => {
  const lines = output.split('\n');
  for (let start = 0; start < lines.length; start++) {
    if (!/^[[{]/.test(lines[start])) continue;
    for (let end = lines.length; end > start; end--) {
      if (!/^[\]}]\s*$/.test(lines[end - 1])) continue;
      try {
        const parsed = JSON.parse(lines.slice(start, end).join('\n'));
        return Array.isArray(parsed) ? parsed : [parsed];
      } catch {
        // not this slice
      }
    }
  }
  throw new Error(`pnpm pack --json printed no JSON:\n${output}`);
};
const readIfExists = (file) => (existsSync(file) ? readFileSync(file, 'utf8') : null);

// --- The workspace as it is -------------------------------------------------------------------------------------

const workspaceGlobs = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8')
  .split('\n')
  .map((line) => /^\s*-\s*["']?([^"'\s]+)\/\*["']?\s*$/.exec(line)?.[1])
  .filter((folder) => folder !== undefined);
/** Every workspace package: its folder (relative to the root) and manifest. */
const workspace = workspaceGlobs.flatMap((parent) =>
  readdirSync(join(root, parent), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, parent, entry.name, 'package.json')))
    .map((entry) => {
      const folder = `${parent}/${entry.name}`;
      return { folder, manifest: readJson(join(root, folder, 'package.json')) };
    }),
);
const byName = new Map(workspace.map((pkg) => [pkg.manifest.name, pkg]));
const published = workspace.filter((pkg) => pkg.folder.startsWith('packages/') && pkg.manifest.private !== true);
const publishedNames = published.map((pkg) => pkg.manifest.name).sort();
const unpublished = workspace.filter((pkg) => !published.includes(pkg));

// The model, as configured: one fixed group holding exactly the published packages, private packages left alone.
const config = readJson(join(root, '.changeset', 'config.json'));
const fixed = (config.fixed ?? []).find((group) => group.some((name) => publishedNames.includes(name))) ?? [];
const notFixed = publishedNames.filter((name) => !fixed.includes(name));
if (notFixed.length > 0) fail(`.changeset/config.json: published packages outside the fixed group: ${notFixed.join(', ')}`);
const strayFixed = fixed.filter((name) => !publishedNames.includes(name));
if (strayFixed.length > 0) fail(`.changeset/config.json: the fixed group names packages that are not published: ${strayFixed.join(', ')}`);
if (config.privatePackages?.version !== false || config.privatePackages?.tag !== false) {
  fail('.changeset/config.json: privatePackages must be { "version": false, "tag": false }');
}

const currentVersions = new Set(published.map((pkg) => pkg.manifest.version));
if (currentVersions.size !== 1) {
  fail(`published packages must share one version, found ${[...currentVersions].join(', ')}`);
}
const currentVersion = published[0].manifest.version;

/** The pending changesets: which packages each names, with which bump, and its first line of text. */
const changesetFolder = join(root, '.changeset');
const changesets = readdirSync(changesetFolder)
  .filter((file) => file.endsWith('.md') && file !== 'README.md')
  .sort()
  .map((file) => {
    const text = readFileSync(join(changesetFolder, file), 'utf8');
    const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n([\s\S]*)$/.exec(text);
    if (!match) throw new Error(`.changeset/${file} has no front matter`);
    const releases = match[1]
      .split(/\r?\n/)
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const release = /^\s*["']?([^"':]+)["']?\s*:\s*["']?(major|minor|patch|none)["']?\s*$/.exec(line);
        if (!release) throw new Error(`.changeset/${file}: cannot read "${line}"`);
        return { name: release[1], type: release[2] };
      });
    const firstLine = match[2].trim().split(/\r?\n/)[0] ?? '';
    return { file, releases, firstLine };
  });
for (const changeset of changesets) {
  for (const { name, type } of changeset.releases) {
    if (!byName.has(name)) fail(`.changeset/${changeset.file} names ${name}, which is not in the workspace`);
    else if (!publishedNames.includes(name)) fail(`.changeset/${changeset.file} names ${name}, which is not published`);
    if (type === 'major') fail(`.changeset/${changeset.file}: ${name} is "major"; every package is 0.x, use minor or patch`);
  }
}
const bumps = changesets.flatMap((changeset) => changeset.releases.map((release) => release.type));
const highest = ['major', 'minor', 'patch'].find((type) => bumps.includes(type));
/** What the model says the next version is: 0.1.0 for the first release, else the highest bump of the group. */
const expectedVersion =
  highest === undefined ? currentVersion : currentVersion === '0.0.0' ? '0.1.0' : semver.inc(currentVersion, highest);
if (currentVersion === '0.0.0' && highest === 'patch') {
  fail('the first release is 0.1.0: at least one pending changeset must be "minor"');
}

// --- A copy to version ------------------------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), 'gatehouse-release-'));
const copy = join(work, 'repo');
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);

/** Copies the symbolic links of a node_modules folder (never what they point to), so workspace links land in the copy. */
function linkNodeModules(from, to) {
  if (!existsSync(from)) return;
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    if (entry.isSymbolicLink()) symlinkSync(readlinkSync(source), join(to, entry.name));
    else if (entry.isDirectory() && entry.name.startsWith('@')) linkNodeModules(source, join(to, entry.name));
  }
}

try {
  const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root)
    .split('\0')
    .filter((file) => file !== '' && !file.split('/').includes('node_modules'))
    .filter((file) => existsSync(join(root, file)) && !lstatSync(join(root, file)).isDirectory());
  for (const file of new Set(files)) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(root, file), join(copy, file), { verbatimSymlinks: true });
  }
  // The root's packages (the changesets CLI, its changelog module) by reference; the store itself stays shared.
  mkdirSync(join(copy, 'node_modules'));
  for (const entry of readdirSync(join(root, 'node_modules'), { withFileTypes: true })) {
    if (entry.isDirectory() || entry.isSymbolicLink()) {
      symlinkSync(join(root, 'node_modules', entry.name), join(copy, 'node_modules', entry.name));
    }
  }
  for (const pkg of published) {
    const dist = join(root, pkg.folder, 'dist');
    if (!existsSync(dist)) throw new Error(`${pkg.folder}/dist is missing: build first (pnpm build)`);
    cpSync(dist, join(copy, pkg.folder, 'dist'), { recursive: true });
    linkNodeModules(join(root, pkg.folder, 'node_modules'), join(copy, pkg.folder, 'node_modules'));
  }

  phaseDone('copy');

  // --- changeset version ----------------------------------------------------------------------------------------

  const before = new Map(
    workspace.map((pkg) => [pkg.manifest.name, { version: pkg.manifest.version, changelog: readIfExists(join(copy, pkg.folder, 'CHANGELOG.md')) }]),
  );
  run(process.execPath, [CHANGESET_BIN, 'version'], copy);
  phaseDone('changeset version');
  const after = new Map(
    workspace.map((pkg) => [
      pkg.manifest.name,
      { manifest: readJson(join(copy, pkg.folder, 'package.json')), changelog: readIfExists(join(copy, pkg.folder, 'CHANGELOG.md')) },
    ]),
  );
  const nextVersion = (name) => after.get(name).manifest.version;

  for (const pkg of published) {
    const { name } = pkg.manifest;
    const { manifest, changelog } = after.get(name);
    if (manifest.version !== expectedVersion) {
      const hint =
        semver.major(manifest.version) > semver.major(expectedVersion)
          ? ' (changesets bumps a package major when a peer range on another Gatehouse package refuses that' +
            " package's next version, as `workspace:^` does in 0.x: spell it `workspace:0.x`)"
          : '';
      fail(`${name}: changeset version made ${manifest.version}, the model says ${expectedVersion}${hint}`);
    }
    if (highest === undefined) continue;
    if (changelog === null) {
      fail(`${name}: no CHANGELOG.md after changeset version`);
      continue;
    }
    if (!changelog.includes(`## ${expectedVersion}\n`)) {
      fail(`${name}: CHANGELOG.md has no "## ${expectedVersion}" section`);
      continue;
    }
    const section = changelog.slice(changelog.indexOf(`## ${expectedVersion}\n`)).split(/\n## \d/)[0];
    for (const changeset of changesets.filter((entry) => entry.releases.some((release) => release.name === name))) {
      if (!section.includes(changeset.firstLine)) {
        fail(`${name}: CHANGELOG.md ${expectedVersion} does not mention .changeset/${changeset.file} ("${changeset.firstLine}")`);
      }
    }
  }
  for (const pkg of unpublished) {
    const { name } = pkg.manifest;
    if (nextVersion(name) !== before.get(name).version) {
      fail(`${name} is private but changeset version changed its version to ${nextVersion(name)}`);
    }
    if (after.get(name).changelog !== before.get(name).changelog) fail(`${name} is private but changeset version wrote its CHANGELOG.md`);
  }
  const leftOver = readdirSync(join(copy, '.changeset')).filter((file) => file.endsWith('.md') && file !== 'README.md');
  if (leftOver.length > 0) fail(`changeset version left changesets behind: ${leftOver.join(', ')}`);

  // --- The tarballs ---------------------------------------------------------------------------------------------

  const RUNTIME_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies'];
  const filters = publishedNames.flatMap((name) => ['--filter', name]);
  // Each package's prepack check runs as in a real publish, and pnpm prints its lifecycle lines on stdout too.
  const packs = packedJson(run('pnpm', ['-r', ...filters, 'pack', '--pack-destination', tarballs, '--json'], copy));
  const tarballOf = new Map(packs.map((entry) => [entry.name, entry.filename]));
  for (const pkg of published) {
    const { name } = pkg.manifest;
    const tarball = tarballOf.get(name);
    if (tarball === undefined) {
      fail(`${name}: pnpm pack made no tarball`);
      continue;
    }
    const packed = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json'], tarballs));
    if (packed.version !== nextVersion(name)) fail(`${name}: the tarball says version ${packed.version}`);
    const source = after.get(name).manifest;
    for (const field of [...RUNTIME_FIELDS, 'devDependencies']) {
      for (const [dependency, range] of Object.entries(source[field] ?? {})) {
        if (!range.startsWith('workspace:')) continue;
        const resolved = packed[field]?.[dependency];
        const target = nextVersion(dependency);
        if (resolved === undefined || resolved.startsWith('workspace:')) {
          fail(`${name}: ${field} ${dependency} "${range}" is "${resolved}" in the tarball`);
        } else if (RUNTIME_FIELDS.includes(field) && !publishedNames.includes(dependency)) {
          fail(`${name}: ${field} ${dependency} is a package that is never published`);
        } else if (!semver.satisfies(target, resolved)) {
          fail(`${name}: ${field} ${dependency} "${range}" packs to "${resolved}", which refuses ${dependency}@${target} released with it`);
        } else if (field === 'peerDependencies') {
          console.log(`  ${name}: peer ${dependency} "${range}" packs to "${resolved}" (accepts ${target})`);
        }
      }
    }
  }

  phaseDone('pnpm pack');

  // --- pnpm publish --dry-run -----------------------------------------------------------------------------------

  // A recursive publish asks the npm registry which versions exist already (and skips those), so it needs the
  // registry; unreachable, pnpm and npm retry for minutes, so its absence is told at once.
  const registry = run('pnpm', ['config', 'get', 'registry'], copy).trim().replace(/\/?$/, '/');
  try {
    await fetch(`${registry}-/ping`, { signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    throw new Error(`the npm registry ${registry} is unreachable (${error.cause?.code ?? error.cause?.errors?.[0]?.code ?? error.message}): pnpm publish --dry-run needs it`);
  }
  const publishOutput = run(
    'pnpm',
    ['-r', '--filter', './packages/**', 'publish', '--dry-run', '--no-git-checks', '--report-summary'],
    copy,
    180,
  );
  const summaryFile = join(copy, 'pnpm-publish-summary.json');
  const summary = existsSync(summaryFile) ? readJson(summaryFile).publishedPackages : [];
  const wouldPublish = new Map(summary.map((entry) => [entry.name, entry.version]));
  for (const name of publishedNames) {
    if (wouldPublish.get(name) !== nextVersion(name)) {
      fail(`pnpm publish --dry-run would not publish ${name}@${nextVersion(name)}${wouldPublish.has(name) ? ` (it says ${wouldPublish.get(name)})` : ''}`);
    }
  }
  for (const name of wouldPublish.keys()) {
    if (!publishedNames.includes(name)) fail(`pnpm publish --dry-run would publish ${name}, which is private`);
  }
  phaseDone('pnpm publish --dry-run');
  if (process.env.REHEARSAL_VERBOSE) process.stdout.write(publishOutput);

  // --- A package that was never built ---------------------------------------------------------------------------

  // pnpm packs whatever `files` matches, so without its prepack check a package whose build did not run would
  // pack (and publish) as a README and a package.json whose exports point nowhere. An empty dist/ (a build that
  // failed half-way, or a cleaned one) must be refused as well as a missing one.
  for (const pkg of published) {
    const folder = join(copy, pkg.folder);
    rmSync(join(folder, 'dist'), { recursive: true, force: true });
    mkdirSync(join(folder, 'dist'));
    let packed = true;
    try {
      run('pnpm', ['pack', '--pack-destination', join(work, 'unbuilt')], folder);
    } catch (error) {
      packed = false;
      if (!String(error.message).includes('not built: ')) fail(`${pkg.manifest.name}: packing it unbuilt failed, but not with the prepack message:\n${error.message}`);
    }
    if (packed) fail(`${pkg.manifest.name}: pnpm pack made a tarball of the package with no dist/`);
  }
  phaseDone('packing without a build');

  for (const name of publishedNames) console.log(`would publish ${name}@${nextVersion(name)}`);
} finally {
  if (keep) console.log(`copy kept in ${copy}`);
  else rmSync(work, { recursive: true, force: true });
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  console.error(`release rehearsal failed (${seconds} s):\n${failures.map((message) => `  - ${message}`).join('\n')}`);
  process.exit(1);
}
console.log(`release rehearsal passed: ${publishedNames.length} packages at ${expectedVersion} (${seconds} s)`);
