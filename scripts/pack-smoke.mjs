// Packaging smoke test: packs every published workspace package, then installs chosen packages alone from
// their tarballs into an empty npm project outside the workspace and exercises them, as a user would.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const work = mkdtempSync(join(tmpdir(), 'gatehouse-pack-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);

const run = (command, args, cwd) => execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

const published = [];
for (const folder of readdirSync(join(root, 'packages'))) {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', folder, 'package.json'), 'utf8'));
  if (manifest.private) continue;
  run('pnpm', ['pack', '--pack-destination', tarballs], join(root, 'packages', folder));
  published.push(manifest.name);
}
const tarballOf = (name) => {
  const prefix = name.replace('@', '').replace('/', '-');
  const file = readdirSync(tarballs).find((entry) => entry.startsWith(`${prefix}-`) && entry.endsWith('.tgz'));
  if (!file) throw new Error(`no tarball for ${name}`);
  return join(tarballs, file);
};

for (const name of published) {
  const listing = run('tar', ['-tzf', tarballOf(name)], tarballs).trim().split('\n');
  // @gatehouse/conformance also ships its JSON test vectors (vectors/), for servers in other languages.
  const extra = name === '@gatehouse/conformance' ? /^package\/vectors\/[\w./-]+\.(json|md)$/ : null;
  const stray = listing.filter(
    (entry) => !/^package\/(dist\/|package\.json$|README\.md$|LICENSE$|CHANGELOG\.md$|bin\/)/.test(entry) && !(extra !== null && extra.test(entry)),
  );
  if (stray.length > 0) throw new Error(`${name} tarball ships unexpected files: ${stray.join(', ')}`);
  const manifest = JSON.parse(run('tar', ['-xzOf', tarballOf(name), 'package/package.json'], tarballs));
  if (JSON.stringify(manifest).includes('workspace:')) throw new Error(`${name} tarball still has workspace: ranges`);
}

/** Installs `names` alone into a fresh project and runs `script` there. */
function installAndRun(label, names, script) {
  const project = join(work, label);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `smoke-${label}`, private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...names.map(tarballOf)], project);
  writeFileSync(join(project, 'smoke.mjs'), script);
  const output = run(process.execPath, ['smoke.mjs'], project);
  process.stdout.write(`${label}: ${output}`);
}

installAndRun(
  'auth-core',
  ['@gatehouse/auth-core'],
  `
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import * as core from '@gatehouse/auth-core';
import { createNodeRequestAdapter } from '@gatehouse/auth-core/node';

const token = core.generateHexToken(16);
assert.match(token, /^[0-9a-f]{32}$/);
const digest = core.createSecretDigester();
const store = core.createMemoryCredentialStore();
const inserted = await store.insert({ id: 'c1', digest: digest(token), strategy: 'smoke', kind: 'api-key', ownerId: 'u1',
  parentId: null, label: 'smoke', hint: token.slice(0, 4), scopes: [], allowedIps: [], sealedSecret: null, attributes: {},
  createdAt: Date.now(), expiresAt: null });
assert.equal(inserted.type, 'inserted');

const strategy = {
  id: 'smoke',
  async authenticate(request) {
    const value = request.header('x-key');
    if (value === null) return core.absent();
    const record = await store.findByDigest(digest(value));
    return record ? core.authenticated({ id: record.ownerId }, { id: record.id, kind: record.kind, scopes: [] }) : core.rejected('CREDENTIALS_INVALID');
  },
};
const toAuthRequest = core.createFetchRequestAdapter();
assert.equal((await strategy.authenticate(toAuthRequest(new Request('http://x/', { headers: { 'x-key': token } })))).type, 'authenticated');
assert.equal((await strategy.authenticate(toAuthRequest(new Request('http://x/', { headers: { 'x-key': 'nope' } })))).type, 'rejected');

const sealer = core.createSecretSealer([core.randomBytes(32)]);
assert.equal(sealer.open(sealer.seal('s', 'ctx'), 'ctx'), 's');
assert.equal(core.encodeHex(core.hmacSha256('key', 'The quick brown fox jumps over the lazy dog')), 'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');

const adapt = createNodeRequestAdapter();
const server = createServer(async (req, res) => res.end((await strategy.authenticate(adapt(req))).type));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const reply = await fetch('http://127.0.0.1:' + server.address().port + '/', { headers: { 'x-key': token } });
assert.equal(await reply.text(), 'authenticated');
server.close();
console.log('installed alone from its tarball, imported and exercised (' + Object.keys(core).length + ' exports)');
`,
);

installAndRun(
  'strategy-nvx-hash',
  ['@gatehouse/auth-core', '@gatehouse/strategy-nvx-hash'],
  `
import assert from 'node:assert/strict';
import { createFetchRequestAdapter, createMemoryCredentialStore } from '@gatehouse/auth-core';
import { createNvxHashManager, nvxAuthorization, nvxHash, renderNvxError } from '@gatehouse/strategy-nvx-hash';

const store = createMemoryCredentialStore();
const strategy = nvxHash({ store });
const manager = createNvxHashManager({ store });
const created = await manager.createApiKey({ id: '1', accountType: 'master' }, 'Integration Key');
assert.ok(created.ok);
const toAuthRequest = createFetchRequestAdapter();
const ok = await strategy.authenticate(toAuthRequest(new Request('http://x/v2/tracker/list', { headers: { authorization: nvxAuthorization(created.value.hash) } })));
assert.equal(ok.type, 'authenticated');
const wrong = await strategy.authenticate(toAuthRequest(new Request('http://x/v2/tracker/list', { headers: { authorization: 'NVX 882fb333405d006df0d5a3f410115e92' } })));
assert.equal(wrong.type, 'rejected');
assert.equal(JSON.stringify(renderNvxError(wrong.error).body), '{"success":false,"status":{"code":3,"description":"Wrong hash"}}');
console.log('installed alone with auth-core from tarballs, verified a key and rendered "Wrong hash"');
`,
);

installAndRun(
  'strategy-access-hash-cookie',
  ['@gatehouse/auth-core', '@gatehouse/strategy-access-hash-cookie'],
  `
import assert from 'node:assert/strict';
import { createFetchRequestAdapter, createMemoryCredentialStore } from '@gatehouse/auth-core';
import { accessHashCookie, createAccessHashManager, renderAccessHashError, withAccessHashCookie } from '@gatehouse/strategy-access-hash-cookie';

const store = createMemoryCredentialStore();
const created = await createAccessHashManager({ store }).create('admin', { name: 'smoke', ip: '127.0.0.1' });
assert.ok(created.ok);
const strategy = accessHashCookie({ store });
const toAuthRequest = createFetchRequestAdapter();
const request = new Request('http://x/api/v1/system/status', { headers: withAccessHashCookie({}, created.value.hash) });
assert.equal((await strategy.authenticate(toAuthRequest(request, { remoteAddress: '::ffff:127.0.0.1' }))).type, 'authenticated');
const elsewhere = await strategy.authenticate(toAuthRequest(request.clone(), { remoteAddress: '127.0.0.2' }));
assert.equal(renderAccessHashError(elsewhere.error).httpStatus, 403);
console.log('installed alone with auth-core from tarballs, bound a hash to an IP and refused another');
`,
);

installAndRun(
  'strategy-hmac-signature',
  ['@gatehouse/auth-core', '@gatehouse/strategy-hmac-signature'],
  `
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createFetchRequestAdapter, createMemoryCredentialStore, createMemoryEphemeralStore, createSecretSealer, randomBytes } from '@gatehouse/auth-core';
import { createHmacKeyManager, hmacSession, hmacSignature, signAuthenticateUser } from '@gatehouse/strategy-hmac-signature';

const store = createMemoryCredentialStore();
const sealer = createSecretSealer([randomBytes(32)]);
const manager = createHmacKeyManager({ store, sealer });
const created = await manager.createKey('1', { permissions: ['Trading'] });
assert.ok(created.ok);
const verifier = hmacSignature({ store, sealer, ephemeralStore: createMemoryEphemeralStore() });
const signed = signAuthenticateUser({ apiKey: created.value.APIKey, apiSecret: created.value.APISecret, userId: 1, nonce: 42 });
const cli = execFileSync('npx', ['--no-install', 'gatehouse-hmac', 'sign', '--key', created.value.APIKey, '--secret', created.value.APISecret, '--user', '1', '--nonce', '42'], { encoding: 'utf8' }).trim();
assert.equal(cli, signed.signature);
const toAuthRequest = createFetchRequestAdapter();
const outcome = await verifier.authenticate(toAuthRequest(new Request('http://x/AuthenticateUser', { method: 'POST', headers: signed.headers })));
assert.equal(outcome.type, 'authenticated');
const session = await manager.startSession(outcome);
assert.ok(session.ok);
const later = await hmacSession({ store }).authenticate(toAuthRequest(new Request('http://x/ap/GetUserInfo', { method: 'POST', headers: { aptoken: session.value.token } })));
assert.equal(later.type, 'authenticated');
console.log('installed alone with auth-core from tarballs; the gatehouse-hmac bin signed, AuthenticateUser and aptoken verified');
`,
);

installAndRun(
  'conformance-cli',
  ['@gatehouse/auth-core', '@gatehouse/conformance'],
  `
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import signatures from '@gatehouse/conformance/vectors/hmac-signature/signatures.json' with { type: 'json' };
import { encodeHex, hmacSha256 } from '@gatehouse/auth-core';

const listing = JSON.parse(execFileSync('npx', ['--no-install', 'gatehouse-conformance', 'list', '--profile', 'nvx-hash@1', '--json'], { encoding: 'utf8' }));
assert.equal(listing.profile, 'nvx-hash@1');
assert.ok(listing.cases.length > 30);
const usage = spawnSync('npx', ['--no-install', 'gatehouse-conformance', 'run', '--profile', 'credential-store@1', '--base-url', 'http://127.0.0.1:1'], { encoding: 'utf8' });
assert.equal(usage.status, 2);
assert.match(usage.stderr, /in-process only/);
for (const vector of signatures.vectors) assert.equal(encodeHex(hmacSha256(vector.apiSecret, vector.message)), vector.signature);
console.log('installed with auth-core from tarballs; the gatehouse-conformance bin listed nvx-hash@1 and the shipped HMAC vectors verify');
`,
);

rmSync(work, { recursive: true, force: true });
console.log(`packed ${published.length} packages: ${published.join(', ')}`);
