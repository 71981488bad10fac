// access-hash-cookie@2 over HTTP. "API Access Hashs" shows hashes made in the panel's web interface and no route to
// make them: they come from the fixtures (`--set`, or a fixtures command). A server that has a management route
// (the demo's and the examples' `POST/DELETE /api/v1/access-hashes`) may name it: the kit then makes its own hashes,
// deletes one to check revocation, and removes them when done. With a loopback base URL the kit connects from
// client_ip and foreign_ip itself.
import { ConfigurationError } from '@gatehouse/auth-core';
import { normalizeIpAddress } from '@gatehouse/auth-core/strategy';
import { show } from '../../check.js';
import type { WireResponse } from '../../drivers/wire.js';
import { requireOneOf, requirePath, requireTogether, type ResolvedFixtureValues } from '../../http/fixtures.js';
import { buildWireRequest, redactHashes, type HeaderList } from '../../profiles/wire-request.js';
import { ServerThrottledError, type HttpDriverHandle, type HttpFixtureSpec, type HttpSchemeContext, type RawWireSender } from '../../scheme.js';
import type { AccessHashDriver, RevocableAccessHash } from './context.js';
import type { AccessHashFixtures } from './fixtures.js';
import { DEFAULT_COOKIE_NAME, DEFAULT_RESOURCE_PATH, FIXTURE_HASH_PATTERN } from './wire.js';

const PROFILE = 'access-hash-cookie@2';

const spec = (name: string, required: boolean, description: string, fallback?: string): HttpFixtureSpec =>
  Object.freeze(fallback === undefined ? { name, required, description } : { name, required, default: fallback, description });

/**
 * The fixtures `access-hash-cookie@2` takes over HTTP (`--set name=value`). `access_hash` and
 * `foreign_access_hash` are needed unless `management_path` lets the kit make its own.
 *
 * @example
 * ```ts
 * // gatehouse-conformance run --profile access-hash-cookie@2 --base-url http://127.0.0.1:3000 \
 * //   --set management_path=/api/v1/access-hashes --set admin_token=$ADMIN_TOKEN
 * for (const { name, description } of ACCESS_HASH_HTTP_FIXTURES) console.log(name, description);
 * ```
 */
export const ACCESS_HASH_HTTP_FIXTURES: readonly HttpFixtureSpec[] = Object.freeze([
  spec('access_hash', false, 'a live access hash (lower-case hex, as issued) bound to client_ip, the address the server sees the kit connect from; needed unless management_path is given'),
  spec('foreign_access_hash', false, 'another live access hash, bound to foreign_ip; needed unless management_path is given'),
  spec('client_ip', false, 'the address the server sees the kit connect from; with a loopback base URL and loopback client_ip and foreign_ip the kit binds them itself (capability remote-address)', '127.0.0.1'),
  spec('foreign_ip', false, 'the address foreign_access_hash is bound to; never client_ip', '127.0.0.2'),
  spec('revoked_access_hash', false, 'an access hash that was live and has been deleted; enables AHC-HASH-003 and widens AHC-LEAK-001 (made by the kit with management_path)'),
  spec('resource', false, 'a route an access hash authenticates with GET', DEFAULT_RESOURCE_PATH),
  spec('cookie_name', false, 'the cookie carrying the hash', DEFAULT_COOKIE_NAME),
  spec('trusted_proxies', false, "the server's trusted proxies: 'none' (the client IP is the socket address, X-Forwarded-For is never read) or 'configured'", 'none'),
  spec(
    'management_path',
    false,
    'for servers that have one (the PUQ document shows none): a route where POST with JSON {"name","ip"} makes a hash (replying with its "hash" and "id") and DELETE <management_path>/<id> deletes it, e.g. /api/v1/access-hashes. The kit then makes the hashes not given, checks revocation (AHC-REVOKE-001) and deletes what it made',
  ),
  spec('admin_header', false, 'the administrator\'s credential for management_path as one header line, e.g. "Cookie: gh_session=…" or "Authorization: Bearer …"'),
  spec('admin_token', false, "the administrator's bearer token for management_path, sent as `Authorization: Bearer <token>`"),
  spec('spare_access_hash', false, 'without management_path: a live hash bound to client_ip that the run deletes with revoke_command (AHC-REVOKE-001); use a fresh one for every run'),
  spec('revoke_command', false, 'without management_path: a shell command that deletes the hash in the environment variable GATEHOUSE_ACCESS_HASH (exit status 0 once it is deleted); with spare_access_hash enables AHC-REVOKE-001'),
]);

const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(\S(?:.*\S)?)[ \t]*$/;
const CANONICAL_IPV4 = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

/** Whether the kit can send from `address` over loopback (127.0.0.0/8 written as such). */
function isBindableLoopback(address: string): boolean {
  return CANONICAL_IPV4.test(address) && address.startsWith('127.') && address !== '127.255.255.255';
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A field of a reply read tolerantly: in `msg` (or `data`, or the body itself), any casing of the name. */
function fieldOf(body: unknown, names: readonly string[]): unknown {
  const places = isObject(body) ? [body['msg'], body['data'], body] : [];
  for (const place of places) {
    if (!isObject(place)) continue;
    for (const [key, value] of Object.entries(place)) if (names.includes(key.toLowerCase())) return value;
  }
  return undefined;
}

function checkHash(values: ResolvedFixtureValues, name: string): string | undefined {
  const value = values[name];
  if (value !== undefined && !FIXTURE_HASH_PATTERN.test(value)) {
    throw new ConfigurationError('fixtures', `${PROFILE}: fixture ${name} must be lower-case hex of 32 to 512 digits, as issued; got ${value.length} characters`);
  }
  return value;
}

/** Runs `command` through the shell with the hash in GATEHOUSE_ACCESS_HASH; rejects unless it exits with 0. */
async function runRevokeCommand(command: string, hash: string, timeoutInMilliseconds: number): Promise<void> {
  // Loaded on demand: only this fixture needs a child process, and the scheme stays importable elsewhere.
  const { spawn } = await import('node:child_process');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, { shell: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...globalThis.process.env, GATEHOUSE_ACCESS_HASH: hash } });
    let errors = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`revoke_command did not finish within ${timeoutInMilliseconds} ms`));
    }, timeoutInMilliseconds);
    child.stderr?.on('data', (chunk: Uint8Array) => (errors += new TextDecoder().decode(chunk)));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`revoke_command could not start: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`revoke_command exited with ${code ?? signal}${errors.trim() === '' ? '' : `: ${errors.trim().slice(0, 300)}`}`));
    });
  });
}

/** The management route: makes and deletes hashes as the administrator, remembering what it made. */
function managementOf(sender: RawWireSender, path: string, headers: HeaderList, redact: (text: string) => string) {
  const made = new Map<string, string>();
  let count = 0;
  const describe = (reply: WireResponse): string => redact(`HTTP ${reply.status} ${show(reply.body, 300)}`);
  return {
    async create(purpose: string, ip: string): Promise<{ readonly id: string; readonly hash: string }> {
      const name = `gatehouse-conformance-${purpose}-${++count}`;
      const reply = await sender.send(buildWireRequest({ method: 'POST', path, headers, json: { name, ip } }));
      if (reply.status === 429) throw new ServerThrottledError(`POST ${path}`);
      const hash = fieldOf(reply.body, ['hash', 'access_hash', 'accesshash']);
      const id = fieldOf(reply.body, ['id']);
      if (reply.status < 200 || reply.status >= 300 || typeof hash !== 'string' || (typeof id !== 'string' && typeof id !== 'number')) {
        throw new ConfigurationError('fixtures', `${PROFILE}: making an access hash with POST ${path} {"name","ip"} failed: ${describe(reply)} (expected a 2xx with the new "hash" and its "id")`);
      }
      if (!FIXTURE_HASH_PATTERN.test(hash)) throw new ConfigurationError('fixtures', `${PROFILE}: POST ${path} answered a hash that is not lower-case hex of 32 to 512 digits`);
      made.set(hash, String(id));
      return { id: String(id), hash };
    },
    async remove(hash: string, quiet = false): Promise<void> {
      const id = made.get(hash);
      if (id === undefined) return;
      const target = `${path}/${encodeURIComponent(id)}`;
      // JSON and `{}`: a server's CSRF rule may want JSON on every write, and some parsers refuse an empty JSON body.
      const reply = await sender.send(buildWireRequest({ method: 'DELETE', path: target, headers, json: {} }));
      if (reply.status === 429) throw new ServerThrottledError(`DELETE ${path}/<id>`);
      if ((reply.status >= 200 && reply.status < 300) || (quiet && reply.status === 404)) {
        made.delete(hash);
        return;
      }
      throw new Error(`deleting an access hash with DELETE ${path}/<id> failed: ${describe(reply)}`);
    },
    /** Deletes every hash it made and has not deleted; a hash already gone is fine. */
    async removeAll(): Promise<void> {
      const failures: string[] = [];
      for (const hash of [...made.keys()]) {
        try {
          await this.remove(hash, true);
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        }
      }
      if (failures.length > 0) throw new Error(`${PROFILE}: cleanup left ${failures.length} access hash(es) on the server: ${failures[0] as string}`);
    },
  };
}

/**
 * The `access-hash-cookie@2` driver over HTTP. Fixture names and defaults: {@link ACCESS_HASH_HTTP_FIXTURES}.
 * Capabilities: `raw-connection` always, `remote-address` when the base URL and both addresses are loopback,
 * `revoke` with `management_path` (or `revoke_command` and `spare_access_hash`), and what the fixtures imply.
 * Throws a `ConfigurationError` naming a fixture that is missing or malformed, or saying what the management
 * route answered; `ServerThrottledError` when it answers 429.
 *
 * @example
 * ```ts
 * const handle = await createAccessHashHttpDriver(context); // context: the kit's HttpSchemeContext
 * try { await runProfile(accessHashCookieV2, handle.driver, { capabilities: handle.capabilities }); } finally { await handle.cleanup(); }
 * ```
 */
export async function createAccessHashHttpDriver(context: HttpSchemeContext): Promise<HttpDriverHandle<AccessHashDriver>> {
  const values = context.fixtures;
  const ip = (name: string): string => {
    const value = values[name] as string;
    if (normalizeIpAddress(value) === null) throw new ConfigurationError('fixtures', `${PROFILE}: fixture ${name} must be an IPv4 or IPv6 address, got ${JSON.stringify(value)}`);
    return value;
  };
  const given = {
    accessHash: checkHash(values, 'access_hash'),
    foreignAccessHash: checkHash(values, 'foreign_access_hash'),
    revokedAccessHash: checkHash(values, 'revoked_access_hash'),
    spareAccessHash: checkHash(values, 'spare_access_hash'),
  };
  const clientIp = ip('client_ip');
  const foreignIp = ip('foreign_ip');
  if (normalizeIpAddress(clientIp) === normalizeIpAddress(foreignIp)) {
    throw new ConfigurationError('fixtures', `${PROFILE}: fixtures client_ip and foreign_ip must be different addresses, got ${clientIp} twice`);
  }
  const resourcePath = requirePath(PROFILE, values, 'resource');
  const trustedProxies = requireOneOf(PROFILE, values, 'trusted_proxies', ['none', 'configured'] as const);
  const cookieName = values['cookie_name'] as string;
  const managementPath = values['management_path'] === undefined ? undefined : requirePath(PROFILE, values, 'management_path');
  const adminHeaders: [string, string][] = [];
  if (values['admin_header'] !== undefined) {
    const line = HEADER_LINE.exec(values['admin_header']);
    if (line === null) throw new ConfigurationError('fixtures', `${PROFILE}: fixture admin_header must be one header line "Name: value"`);
    adminHeaders.push([line[1] as string, line[2] as string]);
  }
  if (values['admin_token'] !== undefined) adminHeaders.push(['authorization', `Bearer ${values['admin_token']}`]);
  if (managementPath === undefined) {
    for (const name of ['admin_header', 'admin_token']) {
      if (values[name] !== undefined) throw new ConfigurationError('fixtures', `${PROFILE}: fixture ${name} goes with management_path`);
    }
    const missing = ['access_hash', 'foreign_access_hash'].filter((name) => values[name] === undefined);
    if (missing.length > 0) {
      throw new ConfigurationError('fixtures', `${PROFILE} over HTTP needs the fixture${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (live hashes bound to client_ip and foreign_ip), or management_path for the kit to make its own`);
    }
  }
  const revokesByCommand = requireTogether(PROFILE, values, ['spare_access_hash', 'revoke_command'], 'a hash the run deletes, and how');
  const hashes = Object.values(given).filter((value): value is string => value !== undefined);
  if (new Set(hashes).size !== hashes.length) throw new ConfigurationError('fixtures', `${PROFILE}: the hash fixtures must all differ`);

  const secrets = () => [...hashes.map((value, index) => ({ name: `hash ${index + 1}`, value })), ...adminHeaders.map(([, value]) => ({ name: 'admin credential', value }))];
  const redact = (text: string): string => redactHashes(text, secrets());
  const binds = context.loopback && isBindableLoopback(clientIp) && isBindableLoopback(foreignIp);
  const sender = context.createSender({ bindSourceAddress: binds });
  const management = managementPath === undefined ? undefined : managementOf(context.createSender({ bindSourceAddress: false }), managementPath, adminHeaders, redact);

  let fixtures: AccessHashFixtures;
  try {
    const make = async (purpose: string, at: string): Promise<string> => {
      const made = await (management as NonNullable<typeof management>).create(purpose, at);
      hashes.push(made.hash);
      return made.hash;
    };
    const accessHash = given.accessHash ?? (await make('client', clientIp));
    const foreignAccessHash = given.foreignAccessHash ?? (await make('foreign', foreignIp));
    let revokedAccessHash = given.revokedAccessHash;
    if (revokedAccessHash === undefined && management !== undefined) {
      revokedAccessHash = await make('revoked', clientIp);
      await management.remove(revokedAccessHash);
    }
    fixtures = Object.freeze({
      accessHash,
      clientIp,
      foreignAccessHash,
      foreignIp,
      ...(revokedAccessHash === undefined ? {} : { revokedAccessHash }),
      resourcePath,
      cookieName,
      trustedProxies,
    });
  } catch (error) {
    await management?.removeAll().catch(() => undefined);
    throw error;
  }

  let spareUsed = false;
  const revocable = async (): Promise<RevocableAccessHash> => {
    if (management !== undefined) {
      const made = await management.create('revocation', clientIp);
      hashes.push(made.hash);
      return { accessHash: made.hash, revoke: () => management.remove(made.hash) };
    }
    if (spareUsed) throw new Error('spare_access_hash was deleted already: one run checks revocation once');
    spareUsed = true;
    const spare = given.spareAccessHash as string;
    return { accessHash: spare, revoke: () => runRevokeCommand(values['revoke_command'] as string, spare, context.timeoutInMilliseconds) };
  };

  const driverCapabilities = ['raw-connection', ...(binds ? ['remote-address'] : []), ...(management !== undefined || revokesByCommand ? ['revoke'] : [])];
  const capabilities = [...driverCapabilities];
  if (fixtures.revokedAccessHash !== undefined) capabilities.push('revoked-hash');
  if (trustedProxies === 'none') capabilities.push('no-trusted-proxies');
  const normalized = normalizeIpAddress(clientIp);
  if (normalized !== null && !normalized.includes(':')) capabilities.push('ipv4-client');
  const driver: AccessHashDriver = {
    capabilities: driverCapabilities,
    setup: async () => fixtures,
    // Without remote-address the server sees wherever the kit connects from: the fixture client_ip says where.
    send: (request, options) => sender.send(request, options),
    rawConnection: { sender, host: context.baseUrl.host, basePath: context.baseUrl.pathname.replace(/\/+$/, '') },
    ...(driverCapabilities.includes('revoke') ? { revocable } : {}),
  };
  return {
    driver,
    capabilities,
    cleanup: async () => {
      await management?.removeAll();
    },
  };
}
