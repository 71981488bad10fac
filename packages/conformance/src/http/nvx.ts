// nvx-hash@1 over HTTP: the kit signs in through Navixy's account routes (user/auth, panel/account/auth), makes
// its own API keys, a deleted key and an ended session, and removes what it made when the run is over.
import { ConfigurationError } from '@gatehouse/auth-core';
import { encodeHex, randomBytes } from '@gatehouse/auth-core/crypto';
import { show } from '../check.js';
import type { WireResponse } from '../drivers/wire.js';
import type { NvxFixtures, NvxHashDriver } from '../profiles/nvx-hash.js';
import { NVX_HASH_PATTERN } from '../profiles/nvx-wire.js';
import { buildWireRequest } from '../profiles/wire-request.js';
import { requireOneOf, requirePath, requireTogether, type ResolvedFixtureValues } from './fixtures.js';
import type { HttpSender } from './sender.js';

const PROFILE = 'nvx-hash@1';

/** API keys the kit holds at once (Navixy allows 20 per master user); cases take them in turn. */
const KEY_POOL_SIZE = 3;

/** A reply body for an error message: hex runs of 32 or more digits (hashes) replaced by their length. */
function redacted(reply: WireResponse): string {
  return `HTTP ${reply.status} ${show(reply.body, 200).replace(/[0-9a-fA-F]{32,}/g, (run) => `<${run.length} hex digits>`)}`;
}

function isNavixySuccess(reply: WireResponse): reply is { status: 200; body: Record<string, unknown> } {
  const body = reply.body as { success?: unknown } | null;
  return reply.status === 200 && typeof body === 'object' && body !== null && body.success === true;
}

interface Session {
  readonly userSessionHash: string;
  readonly panelSessionHash: string;
  readonly subUserSessionHash: string | null;
  readonly apiKeys: readonly string[];
  readonly revokedApiKey: string;
  readonly endedSessionHash: string;
}

export interface NvxHttpDriver {
  readonly driver: NvxHashDriver;
  readonly capabilities: readonly string[];
  cleanup(): Promise<void>;
}

/** The NVX driver over HTTP. Fixture names and defaults: `HTTP_FIXTURES['nvx-hash@1']`. */
export function createNvxHttpDriver(sender: HttpSender, values: ResolvedFixtureValues, given: Readonly<Record<string, unknown>>): NvxHttpDriver {
  const basePath = requirePath(PROFILE, values, 'base_path').replace(/\/+$/, '');
  const resourcePath = given['resource'] === undefined || given['resource'] === '' ? `${basePath}/tracker/list` : requirePath(PROFILE, values, 'resource');
  const panelResourcePath =
    given['panel_resource'] === undefined || given['panel_resource'] === '' ? `${basePath}/panel/tariff/list` : requirePath(PROFILE, values, 'panel_resource');
  if (!panelResourcePath.toLowerCase().includes('/panel/')) {
    throw new ConfigurationError('fixtures', `${PROFILE}: fixture panel_resource must contain /panel/, got ${JSON.stringify(panelResourcePath)}`);
  }
  const queryHash = requireOneOf(PROFILE, values, 'query_hash', ['enabled', 'disabled'] as const);
  const withSubUser = requireTogether(PROFILE, values, ['sub_login', 'sub_password'], 'the sub-user account');
  const route = (path: string): string => `${basePath}/${path}`;

  // Everything the kit made, so cleanup removes it even after a failed start.
  const liveKeys: string[] = [];
  const liveSessions: { readonly hash: string; readonly what: string }[] = [];
  let userSessionHash: string | null = null;

  async function call(path: string, what: string, init: { hash?: string; json: Record<string, string> }): Promise<Record<string, unknown>> {
    const request = buildWireRequest({
      method: 'POST',
      path: route(path),
      headers: init.hash === undefined ? [] : [['authorization', `NVX ${init.hash}`]],
      json: init.json,
    });
    let reply: WireResponse;
    try {
      reply = await sender.send(request);
    } catch (error) {
      throw new Error(`${PROFILE} over HTTP: ${what} (POST ${route(path)}) failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!isNavixySuccess(reply)) throw new Error(`${PROFILE} over HTTP: ${what} (POST ${route(path)}) failed: ${redacted(reply)}`);
    return reply.body;
  }

  const hashOf = (value: unknown, what: string, path: string): string => {
    if (typeof value !== 'string' || !NVX_HASH_PATTERN.test(value)) {
      throw new Error(`${PROFILE} over HTTP: ${what} (POST ${route(path)}) answered success without a 32-hex-digit hash`);
    }
    return value;
  };

  async function signIn(path: 'user/auth' | 'panel/account/auth', login: string, password: string, what: string): Promise<string> {
    const body = await call(path, `${what} sign-in (login ${JSON.stringify(login)})`, { json: { login, password } });
    return hashOf(body['hash'], `${what} sign-in`, path);
  }

  async function createKey(sessionHash: string): Promise<string> {
    const title = `gatehouse-conformance ${encodeHex(randomBytes(4))}`;
    let body: Record<string, unknown>;
    try {
      body = await call('api/key/create', 'creating an API key', { hash: sessionHash, json: { title } });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`${message} (the kit holds ${KEY_POOL_SIZE + 1} keys at most; the master user may already have close to 20)`);
    }
    const value = body['value'] as { hash?: unknown } | null | undefined;
    const hash = hashOf(typeof value === 'object' && value !== null ? value.hash : undefined, 'creating an API key', 'api/key/create');
    liveKeys.push(hash);
    return hash;
  }

  async function deleteKey(sessionHash: string, key: string): Promise<void> {
    await call('api/key/delete', 'deleting an API key', { hash: sessionHash, json: { key_hash: key } });
    liveKeys.splice(liveKeys.indexOf(key), 1);
  }

  async function logout(hash: string, what: string): Promise<void> {
    await call('user/logout', `signing out ${what}`, { hash, json: {} });
    const at = liveSessions.findIndex((session) => session.hash === hash);
    if (at !== -1) liveSessions.splice(at, 1);
  }

  async function start(): Promise<Session> {
    const user = await signIn('user/auth', values['login'] as string, values['password'] as string, "the master user's");
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
    const endedSessionHash = await signIn('user/auth', values['login'] as string, values['password'] as string, "the master user's second");
    liveSessions.push({ hash: endedSessionHash, what: "the master user's second session" });
    await logout(endedSessionHash, "the master user's second session");
    return { userSessionHash: user, panelSessionHash: panel, subUserSessionHash: sub, apiKeys, revokedApiKey, endedSessionHash };
  }

  let started: Promise<Session> | undefined;
  let cases = 0;
  const capabilities = [queryHash === 'enabled' ? 'query-hash' : 'query-hash-refused', 'ended-session', ...(withSubUser ? ['sub-user'] : [])];

  const driver: NvxHashDriver = {
    capabilities: [],
    async setup(): Promise<NvxFixtures> {
      started ??= start();
      const session = await started;
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
        keyManagementPath: route('api/key/list'),
        queryHash,
      };
    },
    send: (request, options) => sender.send(request, options),
  };

  return {
    driver,
    capabilities,
    async cleanup() {
      const problems: string[] = [];
      if (started !== undefined) await started.catch(() => undefined);
      for (const key of [...liveKeys]) {
        if (userSessionHash === null) break;
        try {
          await deleteKey(userSessionHash, key);
        } catch (error) {
          problems.push(error instanceof Error ? error.message : String(error));
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
      if (problems.length > 0) {
        throw new Error(`${PROFILE} over HTTP: cleanup left ${liveKeys.length} API key(s) titled "gatehouse-conformance …" or session(s) behind:\n  ${problems.join('\n  ')}`);
      }
    },
  };
}
