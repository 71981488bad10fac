import { createHmac } from 'node:crypto';
import {
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  type AuthRequest,
  type AuthStrategy,
  type CredentialStore,
  type EphemeralStore,
  type RequestBody,
} from '@gatehouse/auth-core';
import { createSecretSealer } from '@gatehouse/auth-core/crypto';
import { accessHashCookie, createAccessHashManager } from '@gatehouse/strategy-access-hash-cookie';
import { createHmacKeyManager, hmacSession, hmacSignature, type HmacNoncePolicy } from '@gatehouse/strategy-hmac-signature';
import { createNvxHashManager, nvxHash } from '@gatehouse/strategy-nvx-hash';

/** The four verifications the benchmark measures. */
export const SCHEMES = ['nvx', 'access-hash', 'hmac', 'aptoken'] as const;
export type Scheme = (typeof SCHEMES)[number];

export const SCHEME_TITLES: Record<Scheme, string> = {
  nvx: 'NVX API key (`Authorization: NVX <hash>`)',
  'access-hash': 'Access hash cookie (`Cookie: access_hash=…`, IP-bound)',
  hmac: 'HMAC `AuthenticateUser` (APIKey, Signature, UserId, Nonce)',
  aptoken: 'HMAC session (`aptoken` header)',
};

/** The client address every request comes from (access hashes are bound to it). */
export const CLIENT_IP = '127.0.0.1';
/** A fixed key-encryption key: the benchmark's secrets are throwaway. */
export const BENCH_KEK = new Uint8Array(32).fill(7);

/** The method and path a scheme's requests use. */
export const ROUTES: Record<Scheme, { readonly method: 'GET' | 'POST'; readonly path: string }> = {
  nvx: { method: 'GET', path: '/v2/tracker/list' },
  'access-hash': { method: 'GET', path: '/api/v1/system/status' },
  hmac: { method: 'POST', path: '/AuthenticateUser' },
  aptoken: { method: 'GET', path: '/ap/GetUserInfo' },
};

/** An HMAC API key as its holder knows it. */
export interface HmacKeyMaterial {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly userId: string;
  /** The nonce shown at creation (what the `issued` policy accepts). */
  readonly issuedNonce: string;
}

/** What clients hold after provisioning: the secrets of every credential, by scheme. */
export interface Credentials {
  readonly nvx: readonly string[];
  readonly accessHash: readonly string[];
  readonly hmac: readonly HmacKeyMaterial[];
  readonly aptoken: readonly string[];
}

/**
 * Creates `count` credentials of every scheme through the packages' own management faces (so the records are
 * exactly what an application stores) and returns what the clients were given.
 */
export async function provision(store: CredentialStore, count: number): Promise<Credentials> {
  const sealer = createSecretSealer([BENCH_KEK]);
  const nvxManager = createNvxHashManager({ store });
  const accessHashes = createAccessHashManager({ store, maxHashesPerOwner: count });
  const hmacKeys = createHmacKeyManager({ store, sealer, permissions: ['Trading', 'Deposit', 'Withdraw'] });
  const nvx: string[] = [];
  const accessHash: string[] = [];
  const hmac: HmacKeyMaterial[] = [];
  const aptoken: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = await nvxManager.issue({ id: `user-${i}`, accountType: 'master' }, { title: `Integration ${i}` });
    if (!key.ok) throw key.error;
    nvx.push(key.value.hash);

    const issuedHash = await accessHashes.issue('panel-admin', { name: `monitoring-${i}`, ip: CLIENT_IP });
    if (!issuedHash.ok) throw issuedHash.error;
    accessHash.push(issuedHash.value.hash);

    const userId = String(1000 + i);
    const hmacKey = await hmacKeys.issue(userId, { permissions: ['Trading'], label: `bot ${i}` });
    if (!hmacKey.ok) throw hmacKey.error;
    hmac.push({ apiKey: hmacKey.value.APIKey, apiSecret: hmacKey.value.APISecret, userId, issuedNonce: hmacKey.value.Nonce });
    const session = await hmacKeys.startSession({
      principal: { id: userId },
      credential: { id: hmacKey.value.id, kind: 'api-key', scopes: hmacKey.value.Permissions },
    });
    if (!session.ok) throw session.error;
    aptoken.push(session.value.token);
  }
  return { nvx, accessHash, hmac, aptoken };
}

/** Options of {@link createStrategies}. */
export interface StrategyOptions {
  /** The `AuthenticateUser` nonce policy. Default `unique` (each nonce once, remembered in `ephemeral`). */
  readonly noncePolicy?: HmacNoncePolicy;
  readonly ephemeral?: EphemeralStore;
}

/** The verifying strategies, each with its package's defaults. */
export function createStrategies(store: CredentialStore, options: StrategyOptions = {}): Record<Scheme, AuthStrategy> {
  const sealer = createSecretSealer([BENCH_KEK]);
  const noncePolicy = options.noncePolicy ?? 'unique';
  return {
    nvx: nvxHash({ store }),
    'access-hash': accessHashCookie({ store }),
    hmac:
      noncePolicy === 'issued'
        ? hmacSignature({ store, sealer, noncePolicy })
        : hmacSignature({ store, sealer, noncePolicy, ephemeralStore: options.ephemeral ?? createMemoryEphemeralStore() }),
    aptoken: hmacSession({ store }),
  };
}

/** A memory store with `count` credentials of every scheme. */
export async function createProvisionedMemoryStore(count: number): Promise<{ store: CredentialStore; credentials: Credentials }> {
  const store = createMemoryCredentialStore();
  const credentials = await provision(store, count);
  return { store, credentials };
}

/** The signature an APEX client sends: hex HMAC-SHA256(APISecret, Nonce + UserId + APIKey) (node:crypto). */
export function signAuthenticateUser(key: HmacKeyMaterial, nonce: string): string {
  return createHmac('sha256', key.apiSecret).update(`${nonce}${key.userId}${key.apiKey}`).digest('hex');
}

let nonceCounter = 0;
/** A nonce never used before in this process (the `unique` policy's charset). */
export function freshNonce(): string {
  return `n${process.pid}-${Date.now().toString(36)}-${(nonceCounter++).toString(36)}`;
}

/** The headers of an `AuthenticateUser` call with `nonce`, signed (or not, for the wrong-credential case). */
export function hmacHeaders(key: HmacKeyMaterial, nonce: string, wrongSignature = false): Record<string, string> {
  const signature = signAuthenticateUser(key, nonce);
  return {
    APIKey: key.apiKey,
    Signature: wrongSignature ? `${signature.slice(0, 63)}${signature.endsWith('0') ? '1' : '0'}` : signature,
    UserId: key.userId,
    Nonce: nonce,
  };
}

/** The credential headers of a request of `scheme` carrying `secret` (HMAC: see {@link hmacHeaders}). */
export function credentialHeaders(scheme: Exclude<Scheme, 'hmac'>, secret: string): Record<string, string> {
  switch (scheme) {
    case 'nvx':
      return { Authorization: `NVX ${secret}` };
    case 'access-hash':
      return { Cookie: `access_hash=${secret}` };
    case 'aptoken':
      return { aptoken: secret };
  }
}

/** Well-formed credentials that were never issued: the "wrong credential" of each scheme. */
export const UNKNOWN_SECRETS = {
  nvx: '0123456789abcdef0123456789abcdef',
  'access-hash': '0123456789abcdef'.repeat(5),
  aptoken: '0123456789abcdef'.repeat(4),
} as const;

/** The secret the primitive digests and looks up for a request of `scheme`, from its headers. */
export function secretOf(scheme: Exclude<Scheme, 'hmac'>, headers: Record<string, string>): string {
  switch (scheme) {
    case 'nvx':
      return (headers['Authorization'] as string).slice(4);
    case 'access-hash':
      return (headers['Cookie'] as string).slice('access_hash='.length);
    case 'aptoken':
      return headers['aptoken'] as string;
  }
}

// An empty POST body decodes to `none` too, as the adapters decode it.
const NO_BODY: Promise<RequestBody> = Promise.resolve({ type: 'none' });

/**
 * A prepared {@link AuthRequest}: every answer precomputed, so timing `strategy.authenticate` on it measures
 * the strategy alone (no header parsing, no URL parsing). What an adapter costs is measured separately.
 */
export function preparedAuthRequest(method: 'GET' | 'POST', path: string, headers: Record<string, string>): AuthRequest {
  const lower = new Map<string, readonly string[]>();
  for (const [name, value] of Object.entries(headers)) lower.set(name.toLowerCase(), [value]);
  const cookies = new Map<string, readonly string[]>();
  for (const value of lower.get('cookie') ?? []) {
    for (const pair of value.split(';')) {
      const equals = pair.indexOf('=');
      if (equals > 0) cookies.set(pair.slice(0, equals).trim(), [pair.slice(equals + 1)]);
    }
  }
  const none: readonly string[] = [];
  return {
    method,
    url: path,
    path,
    query: () => null,
    queryValues: () => none,
    header: (name) => lower.get(name.toLowerCase())?.[0] ?? null,
    headerValues: (name) => lower.get(name.toLowerCase()) ?? none,
    cookie: (name) => cookies.get(name)?.[0] ?? null,
    cookieValues: (name) => cookies.get(name) ?? none,
    clientIp: CLIENT_IP,
    body: () => NO_BODY,
  };
}

/** A Fetch `Request` as a Fetch server (Hono, Deno, Bun) hands it over. */
export function fetchRequest(method: 'GET' | 'POST', path: string, headers: Record<string, string>): Request {
  return new Request(`http://127.0.0.1:3000${path}`, { method, headers });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own listener type
type Listener = (...args: any[]) => void;

/**
 * The part of a Node `IncomingMessage` the Node adapter reads: `rawHeaders`, the socket address, and (for a
 * POST) an empty body that ends on `resume()`. One object per request, like Node's.
 */
export class FakeIncomingMessage {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly socket = { remoteAddress: CLIENT_IP };
  readableEnded = false;
  #listeners = new Map<string, Listener[]>();

  constructor(method: string, url: string, headers: Record<string, string>) {
    this.method = method;
    this.url = url;
    this.rawHeaders = ['Host', '127.0.0.1:3000', 'Connection', 'keep-alive'];
    for (const [name, value] of Object.entries(headers)) this.rawHeaders.push(name, value);
  }

  on(event: string, listener: Listener): this {
    const list = this.#listeners.get(event);
    if (list === undefined) this.#listeners.set(event, [listener]);
    else list.push(listener);
    return this;
  }

  off(event: string, listener: Listener): this {
    const list = this.#listeners.get(event);
    if (list !== undefined) this.#listeners.set(event, list.filter((entry) => entry !== listener));
    return this;
  }

  pause(): this {
    return this;
  }

  resume(): this {
    queueMicrotask(() => {
      this.readableEnded = true;
      for (const listener of this.#listeners.get('end') ?? []) listener();
    });
    return this;
  }
}
