// nvx-hash@2 over HTTP: the kit signs in through Navixy's account routes (user/auth, panel/account/auth), makes its
// own API keys (api/key/create), a deleted key (api/key/delete) and an ended session (user/logout), and removes
// what it made (and any key a case made) when the run is over. Replies are read tolerantly; a 429 is the server
// throttling the run.
import { ConfigurationError } from '@gatehouse/auth-core';
import { encodeHex, randomBytes } from '@gatehouse/auth-core/crypto';
import { show } from '../../check.js';
import type { WireResponse } from '../../drivers/wire.js';
import { buildWireRequest } from '../../profiles/wire-request.js';
import { ServerThrottledError, type HttpDriverHandle, type HttpSchemeContext, type RawWireSender } from '../../scheme.js';
import type { NvxFixtures, NvxHashDriver } from './fixtures.js';
import { isAccepted, issuedHashOf } from './wire.js';

const PROFILE = 'nvx-hash@2';

/** API keys the kit holds at once (Navixy allows 20 per master user); cases take them in turn. */
const KEY_POOL_SIZE = 3;

/** A reply for an error message: runs of 32 or more hex digits (hashes) replaced by their length. */
function redacted(reply: WireResponse): string {
  return `HTTP ${reply.status} ${show(reply.body, 200).replace(/[0-9a-fA-F]{32,}/g, (run) => `<${run.length} hex digits>`)}`;
}

function pathFixture(values: Readonly<Record<string, string>>, name: string): string {
  const value = values[name] as string;
  if (!value.startsWith('/') || value.startsWith('//') || /[?#\s]/.test(value)) {
    throw new ConfigurationError('fixtures', `${PROFILE}: fixture ${name} must be an absolute path such as /v2/tracker/list, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The `key_hash` of an `api/key/delete` body (JSON or urlencoded), or `null`. */
function keyHashOf(body: string): string | null {
  try {
    const value = (JSON.parse(body) as { key_hash?: unknown } | null)?.key_hash;
    if (typeof value === 'string') return value;
  } catch {
    // not JSON
  }
  return new URLSearchParams(body).get('key_hash');
}

interface Session {
  readonly userSessionHash: string;
  readonly panelSessionHash: string;
  readonly subUserSessionHash: string | null;
  readonly apiKeys: readonly string[];
  readonly revokedApiKey: string;
  readonly endedSessionHash: string;
}

/**
 * Creates the `nvx-hash@2` HTTP driver: checks the fixtures, signs in and provisions (throwing the server's reply
 * when that fails, `ServerThrottledError` on a 429, after removing whatever it had made), and hands back the driver
 * with its capabilities (`key-routes`, `raw-connection`, `ended-session`, and `sub-user` with sub_login) and its
 * clean-up.
 *
 * @example
 * ```ts
 * const handle = await createNvxHttpDriver(context);
 * try { await runProfile(nvxHashV2, handle.driver, { capabilities: handle.capabilities }); } finally { await handle.cleanup(); }
 * ```
 */
export async function createNvxHttpDriver(context: HttpSchemeContext): Promise<HttpDriverHandle<NvxHashDriver>> {
  const values = context.fixtures;
  const given = (name: string): boolean => context.given[name] !== undefined && context.given[name] !== '';
  const basePath = pathFixture(values, 'base_path').replace(/\/+$/, '');
  const resourcePath = given('resource') ? pathFixture(values, 'resource') : `${basePath}/tracker/list`;
  const panelResourcePath = given('panel_resource') ? pathFixture(values, 'panel_resource') : `${basePath}/panel/tariff/list`;
  if (!panelResourcePath.toLowerCase().includes('/panel/')) {
    throw new ConfigurationError('fixtures', `${PROFILE}: fixture panel_resource must contain /panel/, got ${JSON.stringify(panelResourcePath)}`);
  }
  for (const name of ['login', 'password', 'panel_login', 'panel_password']) {
    if (values[name] === undefined) throw new ConfigurationError('fixtures', `${PROFILE} over HTTP needs the fixture ${name}`);
  }
  const subParts = ['sub_login', 'sub_password'].filter((name) => values[name] !== undefined && values[name] !== '');
  if (subParts.length === 1) throw new ConfigurationError('fixtures', `${PROFILE}: sub_login, sub_password go together (the sub-user account); missing ${subParts[0] === 'sub_login' ? 'sub_password' : 'sub_login'}`);
  const withSubUser = subParts.length === 2;
  const route = (path: string): string => `${basePath}/${path}`;
  const sender: RawWireSender = context.createSender({ bindSourceAddress: false });

  // Everything the kit made, so cleanup removes it even after a failed start.
  const kitKeys: string[] = [];
  const caseKeys = new Set<string>();
  const liveSessions: { readonly hash: string; readonly what: string }[] = [];
  let userSessionHash: string | null = null;

  async function call(path: string, what: string, init: { hash?: string; json: Record<string, string> }): Promise<unknown> {
    const request = buildWireRequest({ method: 'POST', path: route(path), headers: init.hash === undefined ? [] : [['authorization', `NVX ${init.hash}`]], json: init.json });
    let reply: WireResponse;
    try {
      reply = await sender.send(request);
    } catch (error) {
      throw new Error(`${PROFILE} over HTTP: ${what} (POST ${route(path)}) failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (reply.status === 429) throw new ServerThrottledError(`${what} (POST ${route(path)})`);
    if (!isAccepted(reply)) throw new Error(`${PROFILE} over HTTP: ${what} (POST ${route(path)}) failed: ${redacted(reply)}`);
    return reply.body;
  }

  const hashOf = (body: unknown, what: string, path: string): string => {
    const hash = issuedHashOf(body);
    if (hash === null) throw new Error(`${PROFILE} over HTTP: ${what} (POST ${route(path)}) answered success without a 32-hex-digit hash`);
    return hash;
  };

  async function signIn(path: 'user/auth' | 'panel/account/auth', login: string, password: string, what: string): Promise<string> {
    return hashOf(await call(path, `${what} sign-in (login ${JSON.stringify(login)})`, { json: { login, password } }), `${what} sign-in`, path);
  }

  async function createKey(sessionHash: string): Promise<string> {
    const title = `gatehouse-conformance ${encodeHex(randomBytes(4))}`;
    let body: unknown;
    try {
      body = await call('api/key/create', 'creating an API key', { hash: sessionHash, json: { title } });
    } catch (error) {
      if (error instanceof ServerThrottledError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`${message} (the kit holds ${KEY_POOL_SIZE + 1} keys at most; the master user may already have close to 20)`);
    }
    const hash = hashOf(body, 'creating an API key', 'api/key/create');
    kitKeys.push(hash);
    return hash;
  }

  async function deleteKey(sessionHash: string, key: string): Promise<void> {
    await call('api/key/delete', 'deleting an API key', { hash: sessionHash, json: { key_hash: key } });
    kitKeys.splice(kitKeys.indexOf(key), 1);
  }

  async function logout(hash: string, what: string): Promise<void> {
    await call('user/logout', `signing out ${what}`, { hash, json: {} });
    const at = liveSessions.findIndex((session) => session.hash === hash);
    if (at !== -1) liveSessions.splice(at, 1);
  }

  async function start(): Promise<Session> {
    const login = values['login'] as string;
    const password = values['password'] as string;
    const user = await signIn('user/auth', login, password, "the master user's");
    userSessionHash = user;
    liveSessions.push({ hash: user, what: "the master user's session" });
    const panel = await signIn('panel/account/auth', values['panel_login'] as string, values['panel_password'] as string, 'the admin panel');
    let sub: string | null = null;
    if (withSubUser) {
      sub = await signIn('user/auth', values['sub_login'] as string, values['sub_password'] as string, "the sub-user's");
      liveSessions.push({ hash: sub, what: "the sub-user's session" });
    }
    const apiKeys: string[] = [];
    for (let i = 0; i < KEY_POOL_SIZE; i++) apiKeys.push(await createKey(user));
    const revokedApiKey = await createKey(user);
    await deleteKey(user, revokedApiKey);
    const endedSessionHash = await signIn('user/auth', login, password, "the master user's second");
    liveSessions.push({ hash: endedSessionHash, what: "the master user's second session" });
    await logout(endedSessionHash, "the master user's second session");
    return { userSessionHash: user, panelSessionHash: panel, subUserSessionHash: sub, apiKeys, revokedApiKey, endedSessionHash };
  }

  async function cleanup(): Promise<void> {
    const problems: string[] = [];
    if (userSessionHash !== null) {
      // Keys the cases made and did not delete themselves (a refusal here means the case already did).
      for (const key of caseKeys) await call('api/key/delete', 'deleting a key a case made', { hash: userSessionHash, json: { key_hash: key } }).catch(() => undefined);
      for (const key of [...kitKeys]) {
        try {
          await deleteKey(userSessionHash, key);
        } catch (error) {
          problems.push(error instanceof Error ? error.message : String(error));
        }
      }
    }
    // The master user's session last: it deletes the keys.
    for (const session of [...liveSessions].reverse()) {
      try {
        await logout(session.hash, session.what);
      } catch (error) {
        problems.push(error instanceof Error ? error.message : String(error));
      }
    }
    sender.close();
    if (problems.length > 0) {
      throw new Error(`${PROFILE} over HTTP: cleanup left ${kitKeys.length} API key(s) titled "gatehouse-conformance …" or session(s) behind:\n  ${problems.join('\n  ')}`);
    }
  }

  let session: Session;
  try {
    session = await start();
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw error;
  }

  let cases = 0;
  const pathPrefix = context.baseUrl.pathname.replace(/\/+$/, '');
  const driver: NvxHashDriver = {
    capabilities: ['key-routes', 'raw-connection'],
    raw: { sender, host: context.baseUrl.host, pathPrefix },
    async setup(): Promise<NvxFixtures> {
      const apiKey = session.apiKeys[cases++ % session.apiKeys.length] as string;
      return {
        apiKey,
        userSessionHash: session.userSessionHash,
        ...(session.subUserSessionHash === null ? {} : { subUserSessionHash: session.subUserSessionHash }),
        panelSessionHash: session.panelSessionHash,
        revokedApiKey: session.revokedApiKey,
        endedSessionHash: session.endedSessionHash,
        resourcePath,
        panelResourcePath,
        apiBasePath: basePath,
      };
    },
    async send(request, options) {
      // Keys a case makes through api/key/create are deleted in cleanup unless the case deleted them itself.
      const path = new URL(request.url).pathname;
      const deleting = path.endsWith('/api/key/delete') ? keyHashOf(await request.clone().text()) : null;
      const reply = await sender.send(request, options);
      if (isAccepted(reply)) {
        const created = path.endsWith('/api/key/create') ? issuedHashOf(reply.body) : null;
        if (created !== null) caseKeys.add(created.toLowerCase());
        if (deleting !== null) caseKeys.delete(deleting.toLowerCase());
      }
      return reply;
    },
  };

  return {
    driver,
    capabilities: ['key-routes', 'raw-connection', 'ended-session', ...(withSubUser ? ['sub-user'] : [])],
    cleanup,
  };
}
