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

/** Runs a command; a failure reports what the command printed (tsc, for one, writes its errors to stdout). */
const run = (command, args, cwd) => {
  try {
    return execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${error.stdout ?? ''}${error.stderr ?? ''}`, { cause: error });
  }
};

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

/** The workspace's TypeScript compiler, run against an installed project (nothing is installed for it). */
const TSC = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
// `--no-type-check` leaves the compile steps out: the types do not depend on the Node version, so a run on another
// Node (scripts/node-versions.mjs) checks only what runs.
const TYPE_CHECK = !process.argv.includes('--no-type-check');

/**
 * Installs `names` alone into a fresh project and runs `script` there (`names`: workspace packages, installed from
 * their tarballs, or registry specs such as `express@^5`). With `typeCheck`, that TypeScript source is
 * first compiled (strict, NodeNext resolution, so the package's `exports` and its .d.ts files are what resolve).
 */
function installAndRun(label, names, script, typeCheck) {
  const project = join(work, label);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `smoke-${label}`, private: true, type: 'module' }));
  // Workspace packages come from their tarballs, anything else (a framework, its types) from the npm registry.
  const specs = names.map((name) => (published.includes(name) ? tarballOf(name) : name));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...specs], project);
  if (typeCheck !== undefined && TYPE_CHECK) {
    writeFileSync(join(project, 'check.ts'), typeCheck);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          types: [],
          skipLibCheck: false,
        },
        files: ['check.ts'],
      }),
    );
    run(process.execPath, [TSC, '-p', 'tsconfig.json'], project);
  }
  writeFileSync(join(project, 'smoke.mjs'), script);
  const output = run(process.execPath, ['smoke.mjs'], project);
  process.stdout.write(`${label}: ${output}`);
}

// The four entries of @gatehouse/auth-core and what each must export (the split of the plug-in unit refactor);
// the adapter internals must not leak from any of them.
const AUTH_CORE_ENTRIES = {
  '@gatehouse/auth-core': [
    'AuthError', 'ConfigurationError', 'AUTH_ERROR_CODES', 'isAuthErrorCode', 'absent', 'authenticated', 'rejected',
    'rejectedCredential', 'refusalError', 'firstOf', 'allOf', 'createAuthGuard', 'renderSuccess', 'withFailureThrottle',
    'createFetchRequestAdapter', 'isJsonObject', 'toFetchResponse', 'createMemoryCredentialStore',
    'createMemoryEphemeralStore', 'createManualClock', 'systemClock',
  ],
  '@gatehouse/auth-core/strategy': [
    'withStrategyGuards', 'authenticateSafely', 'withOutcomeEvents', 'createCredentialLookup',
    'manageSuccess', 'manageFailure', 'guardStore', 'resolveCredentialOptions', 'newCredentialId', 'touchQuietly',
    'insertCredential', 'findOwnedCredential', 'readCredentialReference', 'rotationOverlapMs', 'isPrintableText',
    'isCredentialActive', 'ttlToMilliseconds', 'JSON_CONTENT_TYPE', 'parseAuthorizationHeader', 'parseCookieHeader',
    'parseJsonSafely', 'parseFormSafely', 'createIpMatcher', 'normalizeIpAddress', 'createBoundedMemo', 'createEventEmitter',
    'renderingOf', 'compileClientIpSource', 'assertKnownOptions', 'authErrorForThrown',
  ],
  '@gatehouse/auth-core/crypto': [
    'generateHexToken', 'randomBytes', 'createSecretDigester', 'createHmacSha256', 'hmacSha256', 'sha256Digest',
    'constantTimeEqual', 'constantTimeEqualStrings', 'encodeHex', 'decodeHex', 'encodeBase64Url', 'decodeBase64Url',
    'isHexString', 'createSecretSealer', 'parseKeyEncryptionKeys', 'hashPassword', 'verifyPassword',
  ],
  '@gatehouse/auth-core/node': ['createNodeRequestAdapter', 'writeNodeReply'],
};
// (`renderingOf` is public in /strategy: what a wrapper copies so it answers in the wrapped strategy's envelopes.)
const AUTH_CORE_INTERNALS = ['LazyAuthRequest', 'compileAdapterOptions', 'assertStrategy', 'wrapperOf'];

installAndRun(
  'auth-core',
  ['@gatehouse/auth-core'],
  `
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import * as core from '@gatehouse/auth-core';
import * as strategyKit from '@gatehouse/auth-core/strategy';
import * as crypto from '@gatehouse/auth-core/crypto';
import * as node from '@gatehouse/auth-core/node';

// Every entry imports from the tarball, with what it documents and without the adapter internals.
const entries = { '@gatehouse/auth-core': core, '@gatehouse/auth-core/strategy': strategyKit, '@gatehouse/auth-core/crypto': crypto, '@gatehouse/auth-core/node': node };
const expected = ${JSON.stringify(AUTH_CORE_ENTRIES)};
for (const [entry, names] of Object.entries(expected)) {
  for (const name of names) assert.notEqual(entries[entry][name], undefined, entry + ' does not export ' + name);
  for (const name of ${JSON.stringify(AUTH_CORE_INTERNALS)}) assert.ok(!(name in entries[entry]), entry + ' exports ' + name);
}
// The split holds: the root is for applications, the tools live in their entries.
for (const name of ['generateHexToken', 'createSecretDigester', 'createCredentialLookup', 'newCredentialId', 'createNodeRequestAdapter', 'writeNodeReply']) {
  assert.ok(!(name in core), '@gatehouse/auth-core (root) exports ' + name);
}
// Nothing but the four entries (and package.json) can be imported: the chunks that hold the internals are private.
const distFiles = readdirSync('node_modules/@gatehouse/auth-core/dist').filter((name) => name.endsWith('.js'));
assert.ok(distFiles.length >= 4);
for (const file of distFiles) {
  await assert.rejects(import('@gatehouse/auth-core/dist/' + file), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' }, 'dist/' + file + ' is importable');
}

// /crypto
const token = crypto.generateHexToken(16);
assert.match(token, /^[0-9a-f]{32}$/);
const sealer = crypto.createSecretSealer([crypto.randomBytes(32)]);
assert.equal(sealer.open(sealer.seal('s', 'ctx'), 'ctx'), 's');
assert.equal(crypto.encodeHex(crypto.hmacSha256('key', 'The quick brown fox jumps over the lazy dog')), 'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
assert.ok(crypto.constantTimeEqualStrings(token, token.slice()));
// Node resolves the native build (node:crypto; the \`node\` condition); any runtime without the node, bun or deno
// condition gets the portable one (@noble/hashes; \`default\`), loaded here from the file the manifest names. Both
// give the same digests and MACs.
assert.equal(crypto.CRYPTO_BACKEND, 'node');
assert.match(import.meta.resolve('@gatehouse/auth-core/crypto'), /\\/dist\\/native\\/crypto\\.js$/);
const manifest = JSON.parse(readFileSync('node_modules/@gatehouse/auth-core/package.json', 'utf8'));
for (const [entry, conditions] of Object.entries(manifest.exports)) {
  if (typeof conditions === 'string') continue;
  for (const runtime of ['node', 'bun', 'deno']) assert.match(conditions[runtime], /^\\.\\/dist\\/native\\//, entry + ' ' + runtime);
  assert.match(conditions.default, /^\\.\\/dist\\/[a-z]+\\.js$/, entry + ' default');
}
const portable = await import(new URL(manifest.exports['./crypto'].default, new URL('node_modules/@gatehouse/auth-core/', 'file://' + process.cwd() + '/')).href);
assert.equal(portable.CRYPTO_BACKEND, 'portable');
assert.equal(portable.encodeHex(portable.hmacSha256('key', 'The quick brown fox jumps over the lazy dog')), 'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
const pepper = crypto.randomBytes(32);
for (const secret of [token, '', 'é\\ud800', 'x'.repeat(3000)]) {
  assert.equal(crypto.createSecretDigester()(secret), portable.createSecretDigester()(secret));
  assert.equal(crypto.createSecretDigester({ pepper })(secret), portable.createSecretDigester({ pepper })(secret));
  assert.equal(crypto.encodeHex(crypto.createHmacSha256(token)(secret)), portable.encodeHex(portable.hmacSha256(token, secret)));
}

// /strategy: a strategy built on the verify skeleton, with its own refusal envelope.
const digest = crypto.createSecretDigester();
const store = core.createMemoryCredentialStore();
const id = strategyKit.newCredentialId('smoke');
const inserted = await store.insert({ id, digest: digest(token), strategy: 'smoke', kind: 'api-key', ownerId: 'u1',
  parentId: null, label: 'smoke', hint: token.slice(0, 4), scopes: ['read'], allowedIps: [], sealedSecret: null, attributes: {},
  createdAt: Date.now(), expiresAt: null });
assert.equal(inserted.type, 'inserted');
const credentials = strategyKit.createCredentialLookup({ store, digest, clock: core.systemClock, strategyId: 'smoke', kinds: ['api-key'] });
const strategy = {
  id: 'smoke',
  async authenticate(request) {
    const value = request.header('x-key');
    if (value === null) return core.absent();
    const found = await credentials.find(value);
    if (found.type === 'rejected') return found;
    return credentials.grant(found, { id: found.record.ownerId });
  },
  renderRefusal(refusal) {
    const error = core.refusalError(refusal);
    return { httpStatus: error.httpStatus, headers: { 'x-smoke': '1' }, body: { error: error.code } };
  },
};
assert.throws(() => core.createAuthGuard({ id: 'bare', authenticate: async () => core.absent() }), core.ConfigurationError);

// The root: the Fetch adapter, the guard, and toFetchResponse.
const toAuthRequest = core.createFetchRequestAdapter();
const events = [];
const guarded = strategyKit.withStrategyGuards(strategy, { onEvent: (event) => events.push(event.type) });
assert.equal((await guarded.authenticate(toAuthRequest(new Request('http://x/', { headers: { 'x-key': 'nope' } })))).type, 'rejected');
assert.deepEqual(events, ['rejected']);
assert.equal(guarded.renderRefusal(core.absent()).body.error, 'CREDENTIALS_MISSING');
const guard = core.createAuthGuard(strategy, { require: 'read' });
const allowed = await guard(toAuthRequest(new Request('http://x/', { headers: { 'x-key': token } })));
assert.equal(allowed.type, 'allowed');
assert.equal(allowed.auth.principal.id, 'u1');
assert.equal(allowed.auth.credential.id, id);
const refused = await guard(toAuthRequest(new Request('http://x/', { headers: { 'x-key': 'nope' } })));
assert.equal(refused.type, 'refused');
const response = core.toFetchResponse(refused.reply);
assert.equal(response.status, 401);
assert.equal(response.headers.get('x-smoke'), '1');
assert.deepEqual(await response.json(), { error: 'CREDENTIALS_INVALID' });
const scoped = await core.createAuthGuard(strategy, { require: 'write' })(toAuthRequest(new Request('http://x/', { headers: { 'x-key': token } })));
assert.equal(scoped.type === 'refused' && scoped.reply.body.error, 'SCOPE_DENIED');

// /node: the Node adapter and writeNodeReply on a real server.
const adapt = node.createNodeRequestAdapter();
const server = createServer(async (req, res) => {
  const decision = await guard(adapt(req));
  if (decision.type === 'refused') return node.writeNodeReply(res, decision.reply);
  res.end('hello ' + decision.auth.principal.id);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = 'http://127.0.0.1:' + server.address().port + '/';
const ok = await fetch(base, { headers: { 'x-key': token } });
assert.equal(await ok.text(), 'hello u1');
const missing = await fetch(base);
assert.equal(missing.status, 401);
assert.equal(missing.headers.get('x-smoke'), '1');
assert.match(missing.headers.get('content-type'), /^application\\/json/);
assert.deepEqual(await missing.json(), { error: 'CREDENTIALS_MISSING' });
server.close();
const counts = Object.entries(entries).map(([entry, namespace]) => entry.replace('@gatehouse/auth-core', '.') + ' ' + Object.keys(namespace).length);
console.log('installed alone from its tarball; the four entries imported and exercised (' + counts.join(', ') + ' exports), ' +
  ${JSON.stringify(AUTH_CORE_INTERNALS.join(' and '))} + ' not exported, none of the ' + distFiles.length + ' dist files importable by path; ' +
  'Node resolves the native crypto build, the default condition the portable one, with the same digests and MACs');
`,
  // The same, at the type level: the four entries resolve to their .d.ts under strict TypeScript, and the internals
  // are not exported from any of them (each @ts-expect-error fails the check if the name resolves).
  `
import { createAuthGuard, createMemoryCredentialStore, refusalError, systemClock, toFetchResponse, type AuthStrategy, type ManageResult, type WireReply } from '@gatehouse/auth-core';
import { createCredentialLookup, newCredentialId } from '@gatehouse/auth-core/strategy';
import { createSecretDigester, generateHexToken } from '@gatehouse/auth-core/crypto';
import { createNodeRequestAdapter, writeNodeReply, type NodeIncomingMessage, type NodeServerResponse } from '@gatehouse/auth-core/node';
${Object.keys(AUTH_CORE_ENTRIES)
  .flatMap((entry, e) => AUTH_CORE_INTERNALS.map((name, n) => `// @ts-expect-error ${name} is internal\nimport { ${name} as internal${e}${n} } from '${entry}';`))
  .join('\n')}

const store = createMemoryCredentialStore();
const credentials = createCredentialLookup({ store, digest: createSecretDigester(), clock: systemClock, strategyId: 'smoke', kinds: ['api-key'] });
const strategy: AuthStrategy = {
  id: 'smoke',
  async authenticate(request) {
    const found = await credentials.find(request.header('x-key') ?? '');
    return found.type === 'rejected' ? found : credentials.grant(found, { id: found.record.ownerId });
  },
  renderRefusal: (refusal): WireReply<unknown> => ({ httpStatus: refusalError(refusal).httpStatus, headers: {}, body: { error: refusalError(refusal).code } }),
};
const guard = createAuthGuard(strategy);
export async function handle(request: NodeIncomingMessage, response: NodeServerResponse): Promise<void> {
  const decision = await guard(createNodeRequestAdapter()(request));
  if (decision.type === 'refused') writeNodeReply(response, decision.reply);
}
export const fetchReply = (reply: WireReply<unknown>): Response => toFetchResponse(reply);
export const result: ManageResult<string> = { ok: true, value: newCredentialId('smoke') + generateHexToken(4) };
`,
);

installAndRun(
  'strategy-nvx-hash',
  ['@gatehouse/auth-core', '@gatehouse/strategy-nvx-hash'],
  `
import assert from 'node:assert/strict';
import { createAuthGuard, createFetchRequestAdapter, createMemoryCredentialStore, toFetchResponse } from '@gatehouse/auth-core';
import { createNvxHashManager, nvxAuthorization, nvxHash, renderNvxError } from '@gatehouse/strategy-nvx-hash';

const store = createMemoryCredentialStore();
const strategy = nvxHash({ store });
const manager = createNvxHashManager({ store });
const owner = { id: '1', accountType: 'master' };
const issued = await manager.issue(owner, { title: 'Integration Key' });
assert.ok(issued.ok);
const toAuthRequest = createFetchRequestAdapter();
const requestWith = (hash) => toAuthRequest(new Request('http://x/v2/tracker/list', { headers: { authorization: nvxAuthorization(hash) } }));
assert.equal((await strategy.authenticate(requestWith(issued.value.hash))).type, 'authenticated');
const wrong = await strategy.authenticate(requestWith('882fb333405d006df0d5a3f410115e92'));
assert.equal(wrong.type, 'rejected');
const WRONG_HASH = '{"success":false,"status":{"code":3,"description":"Wrong hash"}}';
assert.equal(JSON.stringify(renderNvxError(wrong.error).body), WRONG_HASH);
assert.equal(JSON.stringify(strategy.renderRefusal(wrong).body), WRONG_HASH);
const refused = await createAuthGuard(strategy)(requestWith('882fb333405d006df0d5a3f410115e92'));
assert.equal(refused.type, 'refused');
assert.equal(await toFetchResponse(refused.reply).text(), WRONG_HASH);

const rotated = await manager.rotate(owner, { id: issued.value.id });
assert.ok(rotated.ok);
assert.equal((await strategy.authenticate(requestWith(issued.value.hash))).type, 'rejected');
assert.equal((await strategy.authenticate(requestWith(rotated.value.hash))).type, 'authenticated');
const listed = await manager.list(owner);
assert.ok(listed.ok);
assert.deepEqual(listed.value.map((key) => key.id), [rotated.value.id]);
assert.ok((await manager.revoke(owner, { token: rotated.value.hash })).ok);
assert.equal((await strategy.authenticate(requestWith(rotated.value.hash))).type, 'rejected');
console.log('installed alone with auth-core from tarballs; issued, rotated, listed and revoked a key, rendered "Wrong hash" through renderRefusal');
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
const issued = await createAccessHashManager({ store }).issue('admin', { name: 'smoke', ip: '127.0.0.1' });
assert.ok(issued.ok);
const strategy = accessHashCookie({ store });
const toAuthRequest = createFetchRequestAdapter();
const request = new Request('http://x/api/v1/system/status', { headers: withAccessHashCookie({}, issued.value.hash) });
assert.equal((await strategy.authenticate(toAuthRequest(request, { remoteAddress: '::ffff:127.0.0.1' }))).type, 'authenticated');
const elsewhere = await strategy.authenticate(toAuthRequest(request.clone(), { remoteAddress: '127.0.0.2' }));
assert.equal(elsewhere.type, 'rejected');
assert.equal(renderAccessHashError(elsewhere.error).httpStatus, 403);
assert.deepEqual(strategy.renderRefusal(elsewhere), renderAccessHashError(elsewhere.error));
console.log('installed alone with auth-core from tarballs, bound a hash to an IP and refused another (403 through renderRefusal)');
`,
);

installAndRun(
  'strategy-hmac-signature',
  ['@gatehouse/auth-core', '@gatehouse/strategy-hmac-signature'],
  `
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createFetchRequestAdapter, createMemoryCredentialStore, createMemoryEphemeralStore } from '@gatehouse/auth-core';
import { createSecretSealer, randomBytes } from '@gatehouse/auth-core/crypto';
import { createHmacKeyManager, hmacSession, hmacSignature, renderApexError, signAuthenticateUser } from '@gatehouse/strategy-hmac-signature';

const store = createMemoryCredentialStore();
const sealer = createSecretSealer([randomBytes(32)]);
const manager = createHmacKeyManager({ store, sealer });
const issued = await manager.issue('1', { permissions: ['Trading'] });
assert.ok(issued.ok);
const verifier = hmacSignature({ store, sealer, ephemeralStore: createMemoryEphemeralStore() });
const signed = signAuthenticateUser({ apiKey: issued.value.APIKey, apiSecret: issued.value.APISecret, userId: 1, nonce: 42 });
const cli = execFileSync('npx', ['--no-install', 'gatehouse-hmac', 'sign', '--key', issued.value.APIKey, '--secret', issued.value.APISecret, '--user', '1', '--nonce', '42'], { encoding: 'utf8' }).trim();
assert.equal(cli, signed.signature);
const toAuthRequest = createFetchRequestAdapter();
const outcome = await verifier.authenticate(toAuthRequest(new Request('http://x/AuthenticateUser', { method: 'POST', headers: signed.headers })));
assert.equal(outcome.type, 'authenticated');
const session = await manager.startSession(outcome);
assert.ok(session.ok);
const sessions = hmacSession({ store });
const later = await sessions.authenticate(toAuthRequest(new Request('http://x/ap/GetUserInfo', { method: 'POST', headers: { aptoken: session.value.token } })));
assert.equal(later.type, 'authenticated');
const stale = await sessions.authenticate(toAuthRequest(new Request('http://x/ap/GetUserInfo', { method: 'POST', headers: { aptoken: '0'.repeat(64) } })));
assert.equal(stale.type, 'rejected');
assert.deepEqual(sessions.renderRefusal(stale), renderApexError(stale.error));
assert.equal(typeof verifier.renderRefusal(stale).body.Authenticated, 'boolean');
console.log('installed alone with auth-core from tarballs; the gatehouse-hmac bin signed, AuthenticateUser and aptoken verified, refusals rendered');
`,
);

installAndRun(
  'conformance-cli',
  ['@gatehouse/auth-core', '@gatehouse/conformance'],
  `
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import signatures from '@gatehouse/conformance/vectors/hmac-signature/signatures.json' with { type: 'json' };
import { encodeHex, hmacSha256 } from '@gatehouse/auth-core/crypto';

const listing = JSON.parse(execFileSync('npx', ['--no-install', 'gatehouse-conformance', 'list', '--profile', 'nvx-hash@2', '--json'], { encoding: 'utf8' }));
assert.equal(listing.profile, 'nvx-hash@2');
assert.ok(listing.cases.length > 30);
const usage = spawnSync('npx', ['--no-install', 'gatehouse-conformance', 'run', '--profile', 'credential-store@1', '--base-url', 'http://127.0.0.1:1'], { encoding: 'utf8' });
assert.equal(usage.status, 2);
assert.match(usage.stderr, /in-process only/);
for (const vector of signatures.vectors) assert.equal(encodeHex(hmacSha256(vector.apiSecret, vector.message)), vector.signature);
console.log('installed with auth-core from tarballs; the gatehouse-conformance bin listed nvx-hash@2 and the shipped HMAC vectors verify');
`,
);

// The framework adapters: each installed alone from its tarball with auth-core and the NVX strategy (tarballs) and
// its framework from the npm registry, serving the same application: the NVX route kit (user/auth with the
// application's verifyLogin, then api/key/create with that session hash) and a route of its own behind
// `authenticate`, over real HTTP on 127.0.0.1 port 0 (Next.js: its exported route handlers called with Web Requests).
const NVX_APPLICATION = `
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AuthError, createMemoryCredentialStore } from '@gatehouse/auth-core';
import { createNvxHashManager, createNvxRoutes, nvxHash } from '@gatehouse/strategy-nvx-hash';

const store = createMemoryCredentialStore();
const strategy = nvxHash({ store });
const manager = createNvxHashManager({ store });
const verifyLogin = async (login, password) => (login === 'demo' && password === 'secret' ? { id: '1', accountType: 'master' } : null);
const kit = createNvxRoutes({ strategy, manager, verifyLogin });

const WRONG_HASH = '{"success":false,"status":{"code":3,"description":"Wrong hash"}}';
const WRONG_LOGIN = '{"success":false,"status":{"code":4,"description":"User or API key not found or session ended"}}';
const rendered = (code) => strategy.renderRefusal({ type: 'rejected', error: new AuthError(code) });
const json = (body, headers = {}) => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const form = (body, headers = {}) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });

async function expectWire(response, httpStatus, body) {
  assert.equal(response.status, httpStatus);
  assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(await response.text(), body);
}

/** The same conversation with every adapter; send(path, init) answers a request the framework's way. */
async function converse(send) {
  const login = await send('/v2/user/auth', json({ login: 'demo', password: 'secret' }));
  assert.equal(login.status, 200);
  const { success, hash: session } = await login.json();
  assert.equal(success, true);
  assert.match(session, /^[0-9a-f]{32}$/);
  await expectWire(await send('/v2/user/auth', json({ login: 'demo', password: 'wrong' })), 400, WRONG_LOGIN);
  const created = await send('/v2/api/key/create', form('title=Smoke', { authorization: 'NVX ' + session }));
  assert.equal(created.status, 200);
  const key = await created.json();
  assert.equal(key.success, true);
  assert.equal(key.value.title, 'Smoke');

  // The application's own route: the new key passes (the handler reads the body after authenticate did).
  const ok = await send('/v2/tracker/list', json({ labels: ['smoke'] }, { authorization: 'NVX ' + key.value.hash }));
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { success: true, list: [], user_id: '1', labels: ['smoke'] });
  await expectWire(await send('/v2/tracker/list', json({ labels: [] }, { authorization: 'NVX 882fb333405d006df0d5a3f410115e92' })), 400, WRONG_HASH);
  await expectWire(await send('/v2/tracker/list', json({ labels: [] })), 400, WRONG_HASH);
  const notFound = rendered('ROUTE_NOT_FOUND');
  await expectWire(await send('/v2/no/such/call', { method: 'POST' }), notFound.httpStatus, JSON.stringify(notFound.body));
  const notAllowed = await send('/v2/user/auth', { method: 'DELETE' });
  assert.equal(notAllowed.status, rendered('METHOD_NOT_ALLOWED').httpStatus);
  assert.match(notAllowed.headers.get('allow'), /POST/);
  return '200 for a kit-issued key, ' + WRONG_HASH + ' for a wrong one';
}

/** For the servers: send() over real HTTP to base. */
const over = (base) => (path, init) => fetch(base + path, init);
const versionOf = (name) => JSON.parse(readFileSync('node_modules/' + name + '/package.json', 'utf8')).version;
`;

/** A type-level check next to each run: the adapter's .d.ts resolve under strict TypeScript and type its auth. */
const TYPED_STRATEGY = `
import { createMemoryCredentialStore, type ClientIpSource } from '@gatehouse/auth-core';
import { createNvxHashManager, createNvxRoutes, nvxHash } from '@gatehouse/strategy-nvx-hash';
const store = createMemoryCredentialStore();
const strategy = nvxHash({ store });
const kit = createNvxRoutes({ strategy, manager: createNvxHashManager({ store }), verifyLogin: async () => null });
const fromCore: ClientIpSource = { header: 'x-real-ip' };
`;

for (const [label, express, types] of [['express', 'express@^5', '@types/express@^5'], ['express-4', 'express@^4.21.2', '@types/express@^4.17.21']]) {
  installAndRun(
    label,
    ['@gatehouse/auth-core', '@gatehouse/strategy-nvx-hash', '@gatehouse/express', express, types],
    `${NVX_APPLICATION}
import express from 'express';
import { authenticate, errorBridge, notFound, routeKit } from '@gatehouse/express';

const app = express();
app.use(routeKit(kit));
app.post('/v2/tracker/list', authenticate(strategy), express.json(), (req, res) => {
  res.json({ success: true, list: [], user_id: req.auth.principal.id, labels: req.body.labels });
});
app.use('/v2', notFound(strategy), errorBridge(strategy));
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const said = await converse(over('http://127.0.0.1:' + server.address().port));
server.closeAllConnections();
server.close();
console.log('@gatehouse/express with express@' + versionOf('express') + ' from npm: routeKit served user/auth and api/key/create; ' + said);
`,
    `${TYPED_STRATEGY}
import express from 'express';
import { authenticate, errorBridge, notFound, routeKit, type GatehouseOptions, type RefusalRenderer } from '@gatehouse/express';
const options: GatehouseOptions = { clientIp: fromCore, require: [] };
const renderer: RefusalRenderer = strategy;
const app = express();
app.use(routeKit(kit));
app.post('/v2/tracker/list', authenticate(strategy, options), (req, res) => {
  const userId: string | undefined = req.auth?.principal.id;
  res.json({ userId });
});
app.use('/v2', notFound(renderer), errorBridge(renderer, { onError: (error: unknown) => console.error(error) }));
`,
  );
}

installAndRun(
  'fastify',
  ['@gatehouse/auth-core', '@gatehouse/strategy-nvx-hash', '@gatehouse/fastify', 'fastify@^5', '@types/node@^20'],
  `${NVX_APPLICATION}
import Fastify from 'fastify';
import gatehouse, { authenticate, errorBridge, routeKit } from '@gatehouse/fastify';

const app = Fastify();
await app.register(gatehouse);
await app.register(routeKit(kit));
await app.register(async (v2) => {
  await v2.register(errorBridge(strategy));
  v2.post('/tracker/list', { preHandler: authenticate(strategy) }, async (request) => ({ success: true, list: [], user_id: request.auth.principal.id, labels: request.body.labels }));
}, { prefix: '/v2' });
const said = await converse(over(await app.listen({ port: 0, host: '127.0.0.1' })));
await app.close();
console.log('@gatehouse/fastify with fastify@' + versionOf('fastify') + ' from npm: routeKit served user/auth and api/key/create; ' + said);
`,
  `${TYPED_STRATEGY}
import Fastify from 'fastify';
import gatehouse, { authenticate, errorBridge, notFound, routeKit, type GatehouseOptions } from '@gatehouse/fastify';
const options: GatehouseOptions = { clientIp: fromCore, optional: true };
const app = Fastify();
await app.register(gatehouse);
await app.register(routeKit(kit));
await app.register(async (v2) => {
  await v2.register(errorBridge(strategy));
  v2.setNotFoundHandler(notFound(strategy));
  v2.get('/tracker/list', { preHandler: authenticate(strategy, options) }, async (request) => ({ userId: request.auth?.principal.id ?? null }));
}, { prefix: '/v2' });
`,
);

installAndRun(
  'hono',
  ['@gatehouse/auth-core', '@gatehouse/strategy-nvx-hash', '@gatehouse/hono', 'hono@^4', '@hono/node-server@^1'],
  `${NVX_APPLICATION}
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { authenticate, errorBridge, notFound, routeKit } from '@gatehouse/hono';

const app = new Hono();
app.onError(errorBridge(strategy));
app.use(routeKit(kit, { getConnInfo }));
app.post('/v2/tracker/list', authenticate(strategy, { getConnInfo }), async (c) => {
  const { labels } = await c.req.json();
  return c.json({ success: true, list: [], user_id: c.get('auth').principal.id, labels });
});
app.all('/v2/*', notFound(strategy));
const server = await new Promise((resolve) => {
  const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
});
const said = await converse(over('http://127.0.0.1:' + server.address().port));
server.closeAllConnections();
server.close();
console.log('@gatehouse/hono with hono@' + versionOf('hono') + ' on @hono/node-server from npm: routeKit served user/auth and api/key/create; ' + said);
`,
  `${TYPED_STRATEGY}
import { Hono } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { authenticate, errorBridge, notFound, routeKit, type GatehouseOptions } from '@gatehouse/hono';
const options: GatehouseOptions = { clientIp: fromCore };
const app = new Hono();
app.onError(errorBridge(strategy));
app.use(routeKit(kit, { getConnInfo }));
app.get('/v2/tracker/list', authenticate(strategy, { clientIp: fromCore }), (c) => c.json({ userId: c.get('auth').principal.id }));
// Options whose optional is only known as a boolean: auth may be null.
app.get('/v2/news', authenticate(strategy, options), (c) => c.json({ userId: c.get('auth')?.principal.id ?? null }));
app.all('/v2/*', notFound(strategy));
`,
);

installAndRun(
  'next',
  ['@gatehouse/auth-core', '@gatehouse/strategy-nvx-hash', '@gatehouse/next', 'next@^16'],
  `${NVX_APPLICATION}
import { NextResponse } from 'next/server.js';
import { redirect } from 'next/navigation.js';
import { errorBridge, routeKit, withAuth } from '@gatehouse/next';

// What two route files would export: app/v2/tracker/list/route.ts and the catch-all app/v2/[...path]/route.ts.
const trackerList = {
  POST: withAuth(strategy, async (request, { auth }) => {
    const { labels } = await request.json();
    return NextResponse.json({ success: true, list: [], user_id: auth.principal.id, labels });
  }),
};
const catchAll = routeKit(kit);
const send = (path, init) => {
  const file = path === '/v2/tracker/list' ? trackerList : catchAll;
  const handler = file[init.method];
  if (handler === undefined) return new Response(null, { status: 405, headers: { allow: Object.keys(file).join(', ') } });
  return handler(new Request('http://127.0.0.1:3000' + path, init), { params: Promise.resolve({ path: path.split('/').slice(2) }) });
};
const said = await converse(send);
// Next's own control flow (redirect(), notFound()) is Next's: the bridge lets it through.
await assert.rejects(errorBridge(strategy)(async () => redirect('/login'))(new Request('http://127.0.0.1:3000/v2/x')), (error) => String(error.digest).startsWith('NEXT_REDIRECT'));
console.log('@gatehouse/next with next@' + versionOf('next') + ' from npm (route handlers called with Web Requests): routeKit served user/auth and api/key/create; ' + said);
`,
  `${TYPED_STRATEGY}
// Nothing from next: the package's types need none (next's own .d.ts want @types/react and @types/node).
import { authenticate, notFound, routeKit, withAuth, type GatehouseOptions, type RouteHandlers } from '@gatehouse/next';
const options: GatehouseOptions = { clientIp: fromCore };
export const POST = withAuth(strategy, async (_request, { auth }) => Response.json({ userId: auth.principal.id }), { clientIp: fromCore });
// Options whose optional is only known as a boolean: auth may be null.
export const PUT = withAuth(strategy, async (_request, { auth }) => Response.json({ userId: auth?.principal.id ?? null }), options);
export const GET = authenticate(strategy, { optional: true })(async (_request, { auth }) => Response.json({ signedIn: auth !== null }));
export const kitRoutes: RouteHandlers = routeKit(kit, options);
export const { DELETE } = notFound(strategy);
`,
);

// The networked stores, each installed alone with its client from npm, against real servers started here
// (the test-servers workspace package: Debian's PostgreSQL and Redis on free ports of 127.0.0.1).
const { startPostgres, startRedis } = await import(join(root, 'tests', 'servers', 'dist', 'index.js'));
const [postgresServer, redisServer] = await Promise.all([startPostgres(), startRedis()]);
try {
  installAndRun(
    'store-postgres',
    ['@gatehouse/auth-core', '@gatehouse/store-postgres', 'pg@^8', '@types/node@^20'],
    `
import assert from 'node:assert/strict';
import { createSecretDigester } from '@gatehouse/auth-core/crypto';
import { applyPostgresMigrations, openPostgresStores, POSTGRES_SCHEMA_VERSION } from '@gatehouse/store-postgres';

const url = ${JSON.stringify(postgresServer.url)};
await applyPostgresMigrations(url, { schema: 'smoke' });
const stores = await openPostgresStores(url, { schema: 'smoke', migrations: 'verify' });
const digest = createSecretDigester();
const record = { id: 'k1', digest: digest('token'), strategy: 'nvx-hash', kind: 'api-key', ownerId: 'u1', parentId: null, label: 'Key', hint: 'toke',
  scopes: [], allowedIps: [], sealedSecret: null, attributes: { accountType: 'master' }, createdAt: Date.now(), expiresAt: null };
assert.deepEqual(await stores.credentials.insert(record, { maxActivePerOwner: 1, now: Date.now() }), { type: 'inserted' });
assert.deepEqual(await stores.credentials.insert({ ...record, id: 'k2', digest: digest('other') }, { maxActivePerOwner: 1, now: Date.now() }), { type: 'limit-exceeded', limit: 1 });
assert.equal((await stores.credentials.findByDigest(digest('token')))?.id, 'k1');
assert.equal(await stores.credentials.revoke('k1', Date.now()), true);
assert.equal(await stores.ephemeral.setIfAbsent('nonce:1', 60), true);
assert.equal(await stores.ephemeral.setIfAbsent('nonce:1', 60), false);
assert.deepEqual(await stores.credentials.health(), { status: 'ok' });
await stores.close();
console.log('installed alone with auth-core and pg from npm: schema version ' + POSTGRES_SCHEMA_VERSION + ' applied, the limit held, a nonce counted once, health ok');
`,
    `
import { openPostgresStores, type PostgresStores, type PostgresStoresOptions } from '@gatehouse/store-postgres';
import type { CredentialStore, EphemeralStore } from '@gatehouse/auth-core';
import pg from 'pg';
const options: PostgresStoresOptions = { schema: 'gatehouse', queryTimeoutInMilliseconds: 1000 };
const stores: PostgresStores = await openPostgresStores(new pg.Pool({ connectionString: 'postgres://localhost/app' }), options);
export const credentials: CredentialStore = stores.credentials;
export const ephemeral: EphemeralStore = stores.ephemeral;
`,
  );

  installAndRun(
    'store-redis',
    // ioredis's own declarations import redis-errors, which has no types: with skipLibCheck off, a project needs them.
    ['@gatehouse/auth-core', '@gatehouse/store-redis', 'ioredis@^6', '@types/node@^20', '@types/redis-errors'],
    `
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createRedisEphemeralStore, openRedisEphemeralStore } from '@gatehouse/store-redis';

const url = ${JSON.stringify(redisServer.url)};
const ephemeral = await openRedisEphemeralStore(url, { keyPrefix: 'smoke:' });
assert.equal(await ephemeral.setIfAbsent('nonce:1', 60), true);
assert.equal(await ephemeral.setIfAbsent('nonce:1', 60), false);
assert.equal(await ephemeral.increment('failures', 900), 1);
assert.equal(await ephemeral.setIfGreater('high-water', 1_700_000_000_123, null), true);
assert.deepEqual(await ephemeral.health(), { status: 'ok' });
await ephemeral.close();
const own = new Redis(url);
assert.equal(await createRedisEphemeralStore(own, { keyPrefix: 'smoke:' }).get('nonce:1'), 1);
own.disconnect();
console.log('installed alone with auth-core and ioredis from npm: a nonce counted once across two clients, health ok');
`,
    `
import { Cluster, Redis } from 'ioredis';
import type { EphemeralStore } from '@gatehouse/auth-core';
import { createRedisEphemeralStore, type RedisEphemeralStoreOptions } from '@gatehouse/store-redis';
const options: RedisEphemeralStoreOptions = { keyPrefix: 'api:auth:', commandTimeoutInMilliseconds: 500 };
export const single: EphemeralStore = createRedisEphemeralStore(new Redis('redis://127.0.0.1:6379', { lazyConnect: true }), options);
export const cluster: EphemeralStore = createRedisEphemeralStore(new Cluster([{ host: '127.0.0.1', port: 7000 }], { lazyConnect: true }), options);
`,
  );
} finally {
  await Promise.all([postgresServer.close(), redisServer.close()]);
}

rmSync(work, { recursive: true, force: true });
console.log(`packed ${published.length} packages: ${published.join(', ')}`);
