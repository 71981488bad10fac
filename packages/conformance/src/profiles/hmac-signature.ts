import { normalizeIpAddress } from '@gatehouse/auth-core/strategy';
import {
  decodeHex,
  encodeBase64Url,
  encodeHex,
  generateHexToken,
  hmacSha256,
  isHexString,
  sha256Digest,
} from '@gatehouse/auth-core/crypto';
import { ConformanceSkip, type ConformanceCase, type ConformanceProfile } from '../case.js';
import { check, deepEqual, fail, show } from '../check.js';
import type { WireSender } from '../drivers/wire.js';
import {
  alterCharacter,
  APEX_NOT_AUTHORIZED,
  apexSignature,
  APTOKEN_HEADER,
  claimsCall,
  claimsLogin,
  DEFAULT_HMAC_AUTHENTICATE_PATH,
  DEFAULT_HMAC_RESOURCE_PATH,
  HMAC_FIELDS,
  HMAC_STATUS,
  hmacHex,
  hmacMessage,
  isApexError,
  isCallSuccess,
  isDecimal,
  isLoginFailureEnvelope,
  loginSuccessProblem,
  sessionTokenOf,
  userIdOf,
  type HmacField,
  type HmacValues,
} from './hmac-wire.js';
import { AUTH_CORE_ERROR_CODES, AUTH_CORE_SECURITY, KIIEX_API_KEY, KIIEX_AUTHENTICATE_USER } from './sources.js';
import { guardingPrototypes } from './strategy-contract.js';
import { storeFailureSender, wireCaseFactory } from './wire-case.js';
import {
  describeReply,
  exchange,
  presentedHexRuns,
  redactHashes,
  replyText,
  targetOf,
  type Exchange,
  type HeaderList,
  type NamedSecret,
  type WireRequestSpec,
} from './wire-request.js';

/**
 * One API key as its creator sees it once (KiiEx docs, "Authenticate with API Key": "your API KEY, API SECRET,
 * and NONCE displayed on screen only once"), with the user it belongs to.
 *
 * @example
 * ```ts
 * const key: HmacKeyFixture = {
 *   apiKey: '0123456789abcdef0123456789abcdef',
 *   apiSecret: 'a3f1c2d4e5f60718293a4b5c6d7e8f90a3f1c2d4e5f60718293a4b5c6d7e8f90',
 *   userId: '101',
 *   nonce: '482913004211',
 * };
 * ```
 */
export interface HmacKeyFixture {
  /** The `APIKey`: at least 16 visible ASCII characters. */
  readonly apiKey: string;
  /** The `APISecret`, the HMAC key (its text, UTF-8): at least 16 characters. */
  readonly apiSecret: string;
  /** The `UserId` the key belongs to. */
  readonly userId: string;
  /** The `Nonce` shown when the key was created. Under `noncePolicy: 'increasing'` a decimal of at most 15 digits. */
  readonly nonce: string;
}

/**
 * A live key whose allowed IPs exclude the address the kit's requests come from.
 *
 * @example
 * ```ts
 * const restricted: HmacIpRestrictedKeyFixture = { ...issuedKey, allowedIp: '198.51.100.23' };
 * ```
 */
export interface HmacIpRestrictedKeyFixture extends HmacKeyFixture {
  /** An address the key does allow (never the kit's). Enables capability `ip-allowed-address`. */
  readonly allowedIp?: string;
}

/**
 * What one `hmac-signature@1` case works with, made fresh for every case by the driver's `setup()`: a live API
 * key (with its secret, user and issued nonce), the nonce policy the server claims, and optional keys and
 * routes that turn on more cases.
 *
 * `noncePolicy`: `issued` — only the nonce shown at creation is accepted, again and again (the static, replayable
 * signature of KiiEx docs, "Authenticate with API Key"); `increasing` — a decimal integer strictly above the last one
 * accepted for the key; `unique` — any value, each accepted once. The kit signs every request itself: under
 * `issued` with the issued nonce, otherwise with a fresh nonce counted up from the issued one.
 *
 * @example
 * ```ts
 * const fixtures: HmacFixtures = {
 *   apiKey: '0123456789abcdef0123456789abcdef',
 *   apiSecret: 'a3f1c2d4e5f60718293a4b5c6d7e8f90a3f1c2d4e5f60718293a4b5c6d7e8f90',
 *   userId: '101',
 *   nonce: '482913004211',
 *   noncePolicy: 'unique',
 *   otherUserId: '102',
 *   ipRestrictedKey: { apiKey: '…', apiSecret: '…', userId: '101', nonce: '…', allowedIp: '198.51.100.23' },
 *   limitedKey: { apiKey: '…', apiSecret: '…', userId: '101', nonce: '…' },
 *   permissionPath: '/ap/SendOrder',
 *   clientIp: '203.0.113.7',
 * };
 * ```
 */
export interface HmacFixtures extends HmacKeyFixture {
  /** How the server checks nonces. Enables capabilities `issued-nonce`, or `replay-protection` with `increasing-nonce` / `unique-nonce`. */
  readonly noncePolicy: 'issued' | 'increasing' | 'unique';
  /** Another real user, who does not own `apiKey`. Enables capability `other-user`. */
  readonly otherUserId?: string;
  /** A key whose allowed IPs exclude the kit's address. Enables capability `ip-restricted-key`. */
  readonly ipRestrictedKey?: HmacIpRestrictedKeyFixture;
  /**
   * A key without the permission `permissionPath` needs (which `apiKey` has). With `permissionPath`, enables
   * capability `permission`.
   */
  readonly limitedKey?: HmacKeyFixture;
  /** A call that needs a permission `apiKey` has and `limitedKey` lacks, e.g. `/ap/SendOrder`. */
  readonly permissionPath?: string;
  /** A call any session may make with `POST` and the `aptoken` header. Default `/ap/GetUserInfo`. */
  readonly resource?: string;
  /** The `AuthenticateUser` route. Default `/AuthenticateUser`. */
  readonly authenticatePath?: string;
  /**
   * The address the kit's requests come from: in-process it is passed as the socket address; over HTTP it is
   * the address the server sees. Default: the driver's (in-process `192.0.2.10`).
   */
  readonly clientIp?: string;
}

/**
 * The capabilities `hmac-signature@1` cases may require. `replay-protection`, `issued-nonce`,
 * `increasing-nonce`, `unique-nonce`, `other-user`, `ip-restricted-key`, `ip-allowed-address`, `permission` and
 * `numeric-ids` follow from the fixtures of each case; `remote-address` (the driver sends from any socket address
 * it is given), `store-failure` and `revoke` from the driver.
 *
 * @example
 * ```ts
 * const capability: HmacCapability = 'replay-protection';
 * ```
 */
export type HmacCapability =
  | 'replay-protection'
  | 'issued-nonce'
  | 'increasing-nonce'
  | 'unique-nonce'
  | 'other-user'
  | 'ip-restricted-key'
  | 'ip-allowed-address'
  | 'permission'
  | 'numeric-ids'
  | 'remote-address'
  | 'store-failure'
  | 'revoke';

/**
 * What the `hmac-signature@1` profile drives: something that exchanges Fetch requests for wire replies (the
 * verifier and session strategies in-process through `hmacInProcessDriver`, or a live server over HTTP), makes
 * fresh fixtures per case, and says what else it can do. Cases build requests on `http://gatehouse.test`: a
 * `POST` of the fixture `authenticatePath` with the four signed values, and `POST`s of the fixture `resource`
 * (and `permissionPath`) with the `aptoken` header.
 *
 * @example
 * ```ts
 * const driver: HmacSignatureDriver = hmacInProcessDriver({ authenticate, session, setup });
 * const fx = await driver.setup();
 * const nonce = fx.nonce;
 * const signature = hex(hmacSha256(fx.apiSecret, nonce + fx.userId + fx.apiKey));
 * const reply = await driver.send(
 *   new Request('http://gatehouse.test/AuthenticateUser', {
 *     method: 'POST',
 *     headers: { APIKey: fx.apiKey, Signature: signature, UserId: fx.userId, Nonce: nonce },
 *   }),
 * );
 * // { status: 200, body: { Authenticated: true, SessionToken: '…', User: {…}, Locked: false, Requires2FA: false, errormsg: null } }
 * ```
 */
export interface HmacSignatureDriver extends WireSender {
  /** Fresh fixtures for one case; called once at the start of every case. */
  setup(): Promise<HmacFixtures>;
  /** Capabilities beyond those the fixtures imply, e.g. `['remote-address', 'store-failure', 'revoke']`. */
  readonly capabilities: readonly string[];
  /**
   * With capability `store-failure`: a sender to the same server whose stores fail on every lookup (down,
   * timing out). Called once per case that needs it.
   */
  storeFailure?(): Promise<WireSender>;
  /**
   * With capability `revoke`: removes a live API key of this case's fixtures the way the server's management
   * does (KiiEx docs, "Authenticate with API Key": "you can edit or delete it"), resolving once it is done.
   */
  revokeKey?(apiKey: string): Promise<void>;
}

const REF_DOC = KIIEX_API_KEY;
const REF_SIGNATURE = `${KIIEX_API_KEY} (the signature: Nonce + UserId + APIKey, HMAC-SHA256 keyed with the API Secret)`;
const REF_HEADERS = `${KIIEX_API_KEY} (APIKEY, Signature, UserId and Nonce in the request headers)`;
const REF_APTOKEN = `${KIIEX_API_KEY} ("include it in the headers as the value of aptoken")`;
const REF_CREATE = `${KIIEX_API_KEY} (creating a key: restrict by IP, permissions, delete)`;
const REF_APEX = `${KIIEX_AUTHENTICATE_USER} (the AuthenticateUser reply; APEX error replies)`;
const REF_READING = `${KIIEX_API_KEY}, as hmac-signature@1 reads it`;
const REF_CODES = AUTH_CORE_ERROR_CODES;
const REF_SECURITY = AUTH_CORE_SECURITY;

const FIXTURE_CAPABILITIES: readonly HmacCapability[] = [
  'replay-protection',
  'issued-nonce',
  'increasing-nonce',
  'unique-nonce',
  'other-user',
  'ip-restricted-key',
  'ip-allowed-address',
  'permission',
  'numeric-ids',
];

const MIB = 1024 * 1024;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
/** What a header value may carry as it is (no leading or trailing space, which HTTP strips). */
const HEADER_SAFE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

type NoncePolicy = HmacFixtures['noncePolicy'];

interface ResolvedKey {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly userId: string;
  readonly nonce: string;
}

interface ResolvedHmacFixtures extends ResolvedKey {
  readonly noncePolicy: NoncePolicy;
  readonly otherUserId: string | null;
  readonly ipRestrictedKey: ResolvedKey | null;
  readonly allowedIp: string | null;
  readonly limitedKey: ResolvedKey | null;
  readonly permissionPath: string | null;
  readonly resource: string;
  readonly authenticatePath: string;
  readonly clientIp: string | null;
}

function resolveKey(raw: unknown, field: string, policy: NoncePolicy): ResolvedKey {
  check(typeof raw === 'object' && raw !== null, () => `setup(): fixture ${field} must be an object { apiKey, apiSecret, userId, nonce }, got ${show(raw)}`);
  const key = raw as Record<string, unknown>;
  const name = (member: string): string => (field === '' ? member : `${field}.${member}`);
  const apiKey = key['apiKey'];
  check(
    typeof apiKey === 'string' && apiKey.length >= 16 && VISIBLE_ASCII.test(apiKey),
    () => `setup(): fixture ${name('apiKey')} must be at least 16 visible ASCII characters, got ${typeof apiKey === 'string' ? `a string of ${apiKey.length} characters` : show(apiKey)}`,
  );
  const apiSecret = key['apiSecret'];
  check(
    typeof apiSecret === 'string' && apiSecret.length >= 16,
    () => `setup(): fixture ${name('apiSecret')} must be a string of at least 16 characters, got ${typeof apiSecret === 'string' ? `a string of ${apiSecret.length} characters` : typeof apiSecret}`,
  );
  check(apiSecret !== apiKey, () => `setup(): fixture ${name('apiSecret')} must differ from ${name('apiKey')}`);
  const userId = key['userId'];
  check(typeof userId === 'string' && VISIBLE_ASCII.test(userId), () => `setup(): fixture ${name('userId')} must be a non-empty string of visible ASCII, got ${show(userId)}`);
  const nonce = key['nonce'];
  check(typeof nonce === 'string' && VISIBLE_ASCII.test(nonce), () => `setup(): fixture ${name('nonce')} must be a non-empty string of visible ASCII, got ${show(nonce)}`);
  if (policy === 'increasing') {
    check(isDecimal(nonce) && nonce.length <= 15, () => `setup(): under noncePolicy 'increasing' fixture ${name('nonce')} must be a decimal integer of at most 15 digits, got ${show(nonce)}`);
  }
  return { apiKey, apiSecret, userId, nonce };
}

function resolvePath(raw: unknown, field: string, fallback: string | null): string | null {
  const value = raw ?? fallback;
  if (value === null) return null;
  check(
    typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !/[?#\s]/.test(value),
    () => `setup(): fixture ${field} must be an absolute path such as ${fallback ?? '/ap/SendOrder'}, got ${show(value)}`,
  );
  return value;
}

function resolveIp(raw: unknown, field: string): string | null {
  if (raw === undefined) return null;
  check(typeof raw === 'string' && normalizeIpAddress(raw) !== null, () => `setup(): fixture ${field} must be an IPv4 or IPv6 address, got ${show(raw)}`);
  return raw;
}

function resolveFixtures(raw: unknown): ResolvedHmacFixtures {
  check(typeof raw === 'object' && raw !== null, () => `setup() resolved to ${show(raw)}, expected HmacFixtures`);
  const fixtures = raw as Record<string, unknown>;
  const noncePolicy = fixtures['noncePolicy'];
  check(
    noncePolicy === 'issued' || noncePolicy === 'increasing' || noncePolicy === 'unique',
    () => `setup(): fixture noncePolicy must be 'issued', 'increasing' or 'unique', got ${show(noncePolicy)}`,
  );
  const main = resolveKey(fixtures, '', noncePolicy);
  const keys: ResolvedKey[] = [main];
  const optionalKey = (field: string): ResolvedKey | null => {
    if (fixtures[field] === undefined) return null;
    const key = resolveKey(fixtures[field], field, noncePolicy);
    for (const other of keys) {
      check(key.apiKey !== other.apiKey, () => `setup(): fixture ${field}.apiKey repeats another key's apiKey; every key must be distinct`);
      check(key.apiSecret !== other.apiSecret, () => `setup(): fixture ${field}.apiSecret repeats another key's apiSecret; every key must be distinct`);
    }
    keys.push(key);
    return key;
  };
  const ipRestrictedKey = optionalKey('ipRestrictedKey');
  const limitedKey = optionalKey('limitedKey');
  const otherUserId = fixtures['otherUserId'] ?? null;
  check(
    otherUserId === null || (typeof otherUserId === 'string' && VISIBLE_ASCII.test(otherUserId) && otherUserId !== main.userId),
    () => `setup(): fixture otherUserId must be another user's id (visible ASCII, not userId), got ${show(otherUserId)}`,
  );
  const authenticatePath = resolvePath(fixtures['authenticatePath'], 'authenticatePath', DEFAULT_HMAC_AUTHENTICATE_PATH) as string;
  const resource = resolvePath(fixtures['resource'], 'resource', DEFAULT_HMAC_RESOURCE_PATH) as string;
  const permissionPath = resolvePath(fixtures['permissionPath'], 'permissionPath', null);
  check(authenticatePath !== resource, 'setup(): fixtures authenticatePath and resource must be different routes');
  check(permissionPath === null || (permissionPath !== authenticatePath && permissionPath !== resource), 'setup(): fixture permissionPath must be another route than authenticatePath and resource');
  check((limitedKey === null) === (permissionPath === null), 'setup(): fixtures limitedKey and permissionPath go together: give both or neither');
  const clientIp = resolveIp(fixtures['clientIp'], 'clientIp');
  const allowedIp = ipRestrictedKey === null ? null : resolveIp((fixtures['ipRestrictedKey'] as Record<string, unknown>)['allowedIp'], 'ipRestrictedKey.allowedIp');
  check(
    allowedIp === null || clientIp === null || normalizeIpAddress(allowedIp) !== normalizeIpAddress(clientIp),
    'setup(): fixture ipRestrictedKey.allowedIp must be another address than clientIp (the key must not allow the kit)',
  );
  return {
    ...main,
    noncePolicy,
    otherUserId: otherUserId as string | null,
    ipRestrictedKey,
    allowedIp,
    limitedKey,
    permissionPath,
    resource,
    authenticatePath,
    clientIp,
  };
}

function fixtureCapabilities(fx: ResolvedHmacFixtures): HmacCapability[] {
  const capabilities: HmacCapability[] = [];
  if (fx.noncePolicy === 'issued') capabilities.push('issued-nonce');
  else capabilities.push('replay-protection', fx.noncePolicy === 'unique' ? 'unique-nonce' : 'increasing-nonce');
  if (fx.otherUserId !== null) capabilities.push('other-user');
  if (fx.ipRestrictedKey !== null) capabilities.push('ip-restricted-key');
  if (fx.allowedIp !== null) capabilities.push('ip-allowed-address');
  if (fx.limitedKey !== null && fx.permissionPath !== null) capabilities.push('permission');
  if (isDecimal(fx.userId) && fx.userId.length <= 15) capabilities.push('numeric-ids');
  return capabilities;
}

/**
 * The last nonce the kit used per driver and API key, so a driver whose `setup()` hands out the same key again
 * still gets nonces above every one it has seen.
 */
const usedNonces = new WeakMap<object, Map<string, bigint>>();

/** One request of a case: a wire request and the socket address it comes from (default the fixture `clientIp`). */
interface HmacRequestSpec extends WireRequestSpec {
  readonly from?: string;
}

type PartialValues = Partial<Record<HmacField, string>>;

/** The four values as header fields, in the order KiiEx lists them, leaving out those not given. */
function headersOf(values: PartialValues): HeaderList {
  return HMAC_FIELDS.filter((field) => values[field] !== undefined).map((field) => [field, values[field] as string] as const);
}

function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, Math.floor(max * 0.8))}…(${text.length} chars)` : text;
}

/** The `Signature` values a request carries (headers and JSON body), for the echo check. */
function presentedSignatures(spec: WireRequestSpec): string[] {
  const out: string[] = [];
  for (const [name, value] of spec.headers ?? []) if (name.toLowerCase() === 'signature') out.push(value);
  if (typeof spec.json === 'object' && spec.json !== null) {
    const value = (spec.json as Record<string, unknown>)['Signature'];
    if (typeof value === 'string') out.push(value);
  }
  return out.filter((value) => value.length >= 16);
}

/** What a case works with: the driver, its fresh fixtures, and assertions stated on the wire. */
class HmacCaseContext {
  readonly #secrets: NamedSecret[] = [];
  readonly #keys: ResolvedKey[];
  #missingCall: Exchange<HmacRequestSpec> | undefined;

  constructor(
    readonly driver: HmacSignatureDriver,
    readonly fx: ResolvedHmacFixtures,
  ) {
    this.#keys = [fx, ...(fx.ipRestrictedKey === null ? [] : [fx.ipRestrictedKey]), ...(fx.limitedKey === null ? [] : [fx.limitedKey])];
    const prefixes = ['', 'ipRestrictedKey.', 'limitedKey.'];
    const named: [ResolvedKey | null, string][] = [
      [fx, prefixes[0] as string],
      [fx.ipRestrictedKey, prefixes[1] as string],
      [fx.limitedKey, prefixes[2] as string],
    ];
    for (const [key, prefix] of named) {
      if (key === null) continue;
      this.#secrets.push({ name: `${prefix}apiSecret`, value: key.apiSecret }, { name: `${prefix}apiKey`, value: key.apiKey });
    }
    this.#sortSecrets();
  }

  #sortSecrets(): void {
    // Longer values first, so a secret that contains another is named as itself.
    this.#secrets.sort((a, b) => b.value.length - a.value.length);
  }

  /** Names a session token the server issued, so failure messages never print it. */
  rememberToken(token: string): void {
    if (token.length >= 8 && !this.#secrets.some((secret) => secret.value === token)) {
      this.#secrets.push({ name: `sessionToken#${this.#secrets.filter((secret) => secret.name.startsWith('sessionToken')).length + 1}`, value: token });
      this.#sortSecrets();
    }
  }

  readonly redact = (text: string): string => redactHashes(text, this.#secrets);

  get keys(): readonly ResolvedKey[] {
    return this.#keys;
  }

  /** The next nonce for a key: the issued one under `issued`, otherwise one above every nonce used so far. */
  nextNonce(key: ResolvedKey = this.fx): string {
    if (this.fx.noncePolicy === 'issued') return key.nonce;
    let perDriver = usedNonces.get(this.driver);
    if (perDriver === undefined) usedNonces.set(this.driver, (perDriver = new Map()));
    const base = isDecimal(key.nonce) && key.nonce.length <= 15 ? BigInt(key.nonce) : 1_000_000_000_000n;
    const last = perDriver.get(key.apiKey);
    const next = (last === undefined || last < base ? base : last) + 1n;
    perDriver.set(key.apiKey, next);
    return String(next);
  }

  /** Records a nonce the case used out of order (e.g. a jump), so later nonces stay above it. */
  noteNonce(key: ResolvedKey, nonce: string): void {
    if (!isDecimal(nonce)) return;
    let perDriver = usedNonces.get(this.driver);
    if (perDriver === undefined) usedNonces.set(this.driver, (perDriver = new Map()));
    const value = BigInt(nonce);
    const last = perDriver.get(key.apiKey);
    if (last === undefined || value > last) perDriver.set(key.apiKey, value);
  }

  /** The four values of a correctly signed call for `key`, with a fresh nonce unless one is given. */
  values(key: ResolvedKey = this.fx, nonce: string = this.nextNonce(key)): HmacValues {
    return { APIKey: key.apiKey, Signature: apexSignature(key.apiSecret, nonce, key.userId, key.apiKey), UserId: key.userId, Nonce: nonce };
  }

  /** A `POST` of the AuthenticateUser route with the values as headers. */
  loginHeaders(values: PartialValues, extra: HeaderList = [], from?: string): HmacRequestSpec {
    return { method: 'POST', path: this.fx.authenticatePath, headers: [...headersOf(values), ...extra], ...(from === undefined ? {} : { from }) };
  }

  /** A `POST` of the AuthenticateUser route with the values as a JSON body (a string is sent as it is). */
  loginJson(body: unknown, headers: HeaderList = []): HmacRequestSpec {
    return { method: 'POST', path: this.fx.authenticatePath, json: body, headers };
  }

  /** A `POST` of a call (default the resource) with `aptoken: <token>`, or without the header for `null`. */
  call(token: string | null, path: string = this.fx.resource, from?: string): HmacRequestSpec {
    return { method: 'POST', path, headers: token === null ? [] : [[APTOKEN_HEADER, token]], ...(from === undefined ? {} : { from }) };
  }

  #labelOf(spec: HmacRequestSpec): string {
    const parts = [`${spec.method ?? 'GET'} ${clip(targetOf(spec))}`];
    for (const [name, value] of spec.headers ?? []) parts.push(`${name}: ${show(clip(value, 120), 400)}`);
    if (spec.json !== undefined) parts.push(`JSON body ${clip(typeof spec.json === 'string' ? spec.json : JSON.stringify(spec.json), 300)}`);
    if (spec.form !== undefined) parts.push(`form body ${show(clip(spec.form))}`);
    if (spec.from !== undefined) parts.push(`from ${spec.from}`);
    return parts.join(', ');
  }

  /**
   * Sends one request. Any reply that repeats an API secret or echoes a Signature the request carried, and any
   * refusal that repeats an API key or a long hex run of the request, fails the case wherever it happens.
   */
  async send(spec: HmacRequestSpec, sender: WireSender = this.driver): Promise<Exchange<HmacRequestSpec>> {
    const from = spec.from ?? this.fx.clientIp ?? undefined;
    const sent = await exchange(sender, this.redact(this.#labelOf(spec)), spec, this.redact, from);
    const text = replyText(sent.reply.body).toLowerCase();
    const secret = this.#keys.find((key) => text.includes(key.apiSecret.toLowerCase()));
    check(secret === undefined, () => `${sent.label}: the reply repeats an API secret (${describeReply(sent.reply, this.redact)})`);
    check(
      !presentedSignatures(spec).some((signature) => text.includes(signature.toLowerCase())),
      () => `${sent.label}: the reply echoes the Signature it was sent (${describeReply(sent.reply, this.redact)})`,
    );
    if (!(sent.reply.status >= 200 && sent.reply.status < 300)) {
      const leaked = this.#keys.some((key) => text.includes(key.apiKey.toLowerCase()))
        ? 'an APIKey'
        : presentedHexRuns(spec).some((run) => text.includes(run))
          ? 'a hex value the request carried'
          : undefined;
      check(leaked === undefined, () => `${sent.label}: the refusal repeats ${leaked} (${describeReply(sent.reply, this.redact)})`);
    }
    return sent;
  }

  /** APEX's AuthenticateUser success, in full; returns the session token (remembered as a secret). */
  expectLogin(sent: Exchange<HmacRequestSpec>): string {
    const problem = loginSuccessProblem(sent.reply);
    check(
      problem === null,
      () =>
        `${sent.label}: expected HTTP 200 {"Authenticated":true,"SessionToken":"<token>","User":{…},"Locked":false,"Requires2FA":false,"errormsg":null}, got ${describeReply(sent.reply, this.redact)} (${problem})`,
    );
    const token = sessionTokenOf(sent.reply) as string;
    this.rememberToken(token);
    return token;
  }

  /** A refusal of AuthenticateUser: one of `statuses`, no claim of success, and `{"Authenticated":false,"errormsg":"<text>"}`. */
  expectLoginRefused(sent: Exchange<HmacRequestSpec>, statuses: readonly number[]): void {
    const layer = (sent.reply.status === 413 || sent.reply.status === 431) && statuses.includes(sent.reply.status);
    check(
      statuses.includes(sent.reply.status) && !claimsLogin(sent.reply) && (layer || isLoginFailureEnvelope(sent.reply)),
      () =>
        `${sent.label}: expected HTTP ${statuses.join(' or ')} {"Authenticated":false,"errormsg":"<non-empty text>"}, got ${describeReply(sent.reply, this.redact)}`,
    );
  }

  /** Signs in with `key` (fresh values in headers) and returns the session token. */
  async login(key: ResolvedKey = this.fx, from?: string): Promise<string> {
    return this.expectLogin(await this.send(this.loginHeaders(this.values(key), [], from)));
  }

  async expectAllLoginRefused(statuses: readonly number[], specs: readonly HmacRequestSpec[], sender?: WireSender): Promise<Exchange<HmacRequestSpec>[]> {
    const sent: Exchange<HmacRequestSpec>[] = [];
    for (const spec of specs) {
      const one = await this.send(spec, sender);
      this.expectLoginRefused(one, statuses);
      sent.push(one);
    }
    return sent;
  }

  expectCallSuccess(sent: Exchange<HmacRequestSpec>): void {
    check(
      isCallSuccess(sent.reply),
      () => `${sent.label}: expected HTTP 200 with the call's reply (not {"result":false,…}), got ${describeReply(sent.reply, this.redact)}`,
    );
  }

  /**
   * A refusal of a call: one of `statuses`, no claim of success, and APEX's error object; `exact` also wants
   * exactly `{"result":false,"errormsg":"Not Authorized","errorcode":20,"detail":null}`.
   */
  expectCallRefused(sent: Exchange<HmacRequestSpec>, statuses: readonly number[], exact: boolean): void {
    const layer = (sent.reply.status === 413 || sent.reply.status === 431) && statuses.includes(sent.reply.status);
    const shape = exact ? deepEqual(sent.reply.body, APEX_NOT_AUTHORIZED) : isApexError(sent.reply);
    check(
      statuses.includes(sent.reply.status) && !claimsCall(sent.reply) && (layer || shape),
      () =>
        `${sent.label}: expected HTTP ${statuses.join(' or ')} ${exact ? show(APEX_NOT_AUTHORIZED) : '{"result":false,"errormsg":"<text>","errorcode":<integer>,"detail":null}'}, got ${describeReply(sent.reply, this.redact)}`,
    );
  }

  /** The reply to a call without `aptoken` (the reference for "not authenticated"): 401 with APEX's exact error. */
  async missingCall(): Promise<Exchange<HmacRequestSpec>> {
    if (this.#missingCall === undefined) {
      const sent = await this.send(this.call(null));
      this.expectCallRefused(sent, [401], true);
      this.#missingCall = sent;
    }
    return this.#missingCall;
  }

  /** Fails unless all exchanges got the same status and body. */
  expectIdentical(sent: readonly Exchange<HmacRequestSpec>[], what: string): void {
    const [reference, ...rest] = sent as [Exchange<HmacRequestSpec>, ...Exchange<HmacRequestSpec>[]];
    for (const other of rest) {
      check(
        other.reply.status === reference.reply.status && deepEqual(other.reply.body, reference.reply.body),
        () => `${other.label} got ${describeReply(other.reply, this.redact)}, but ${reference.label} got ${describeReply(reference.reply, this.redact)}; ${what}`,
      );
    }
  }

  /** Removes a live key through the driver's `revokeKey`. */
  async revokeKey(key: ResolvedKey): Promise<void> {
    const { driver } = this;
    check(typeof driver.revokeKey === 'function', 'the driver offers capability revoke but has no revokeKey()');
    try {
      await driver.revokeKey(key.apiKey);
    } catch (error) {
      fail(this.redact(`revokeKey(<apiKey>) failed: ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`));
    }
  }
}

type Case = ConformanceCase<HmacSignatureDriver>;

const hmacCase = wireCaseFactory<HmacSignatureDriver, ReturnType<typeof resolveFixtures>, HmacCaseContext, HmacCapability>(
  resolveFixtures,
  fixtureCapabilities,
  (driver, fixtures) => new HmacCaseContext(driver, fixtures),
);


/** Requests with a fresh nonce each, whose correct Signature is replaced by `transform(signature)`. */
function withSignatures(c: HmacCaseContext, transforms: readonly ((signature: string) => string)[]): HmacRequestSpec[] {
  return transforms.map((transform) => {
    const values = c.values();
    return c.loginHeaders({ ...values, Signature: transform(values.Signature) });
  });
}

/** Requests with a fresh nonce each, signed with the right secret over another message. */
function withMessages(c: HmacCaseContext, messages: readonly ((v: { nonce: string; userId: string; apiKey: string }) => string)[]): HmacRequestSpec[] {
  const specs: HmacRequestSpec[] = [];
  for (const message of messages) {
    const nonce = c.nextNonce();
    const parts = { nonce, userId: c.fx.userId, apiKey: c.fx.apiKey };
    const text = message(parts);
    if (text === hmacMessage(nonce, c.fx.userId, c.fx.apiKey)) continue;
    specs.push(c.loginHeaders({ APIKey: c.fx.apiKey, Signature: hmacHex(c.fx.apiSecret, text), UserId: c.fx.userId, Nonce: nonce }));
  }
  return specs;
}

/** A same-format session token no server issued: the token with its first and its last character changed. */
function alteredTokens(token: string): string[] {
  return [alterCharacter(token, 0), alterCharacter(token, -1)];
}

/** Headers a client may send to claim another address. */
function spoofingHeaders(ip: string): HeaderList[] {
  return [[['x-forwarded-for', ip]], [['x-real-ip', ip]], [['forwarded', ip.includes(':') ? `for="[${ip}]"` : `for=${ip}`]], [['true-client-ip', ip], ['x-client-ip', ip]]];
}

const cases: readonly Case[] = [
  // ---- The flow (KiiEx "Authenticate with API Key", "AuthenticateUser") ----
  hmacCase(
    'HMAC-AUTH-001',
    'MUST',
    `${REF_HEADERS}; ${REF_APEX}`,
    '`POST /AuthenticateUser` with `APIKey`, `Signature`, `UserId`, `Nonce` headers, signed as KiiEx documents it, is HTTP 200 `{"Authenticated":true,"SessionToken":"<token>","User":{…},"Locked":false,"Requires2FA":false,"errormsg":null}`',
    async (c) => {
      c.expectLogin(await c.send(c.loginHeaders(c.values())));
    },
  ),
  hmacCase(
    'HMAC-AUTH-002',
    'MUST',
    `${REF_APEX} (the four values in a JSON body as well); ${REF_READING}`,
    'the four values as a JSON body with the same names (and no such headers) are accepted the same way',
    async (c) => {
      c.expectLogin(await c.send(c.loginJson({ ...c.values() })));
    },
  ),
  hmacCase(
    'HMAC-AUTH-003',
    'SHOULD',
    `${REF_APEX} (APEX clients send UserId and Nonce as JSON numbers)`,
    'in a JSON body, a decimal `UserId` and `Nonce` sent as JSON numbers are accepted',
    async (c) => {
      const values = c.values();
      if (!(isDecimal(values.Nonce) && values.Nonce.length <= 15)) throw new ConformanceSkip('requires numeric-ids (a decimal nonce)');
      c.expectLogin(await c.send(c.loginJson(`{"APIKey":${JSON.stringify(values.APIKey)},"Signature":${JSON.stringify(values.Signature)},"UserId":${values.UserId},"Nonce":${values.Nonce}}`)));
    },
    ['numeric-ids'],
  ),
  hmacCase('HMAC-AUTH-004', 'SHOULD', REF_APEX, 'the success reply\'s `User.UserId` is the `UserId` that signed in (as a number or a string)', async (c) => {
    const sent = await c.send(c.loginHeaders(c.values()));
    c.expectLogin(sent);
    const userId = userIdOf(sent.reply);
    check(
      (typeof userId === 'string' || typeof userId === 'number') && String(userId) === c.fx.userId,
      () => `${sent.label}: expected User.UserId ${show(c.fx.userId)}, got ${show(userId)}`,
    );
  }),
  hmacCase(
    'HMAC-AUTH-005',
    'SHOULD',
    `${REF_HEADERS}; ${REF_APEX}`,
    'the same four values in the headers and in the JSON body at once agree, so the request is accepted',
    async (c) => {
      const values = c.values();
      c.expectLogin(await c.send(c.loginJson({ ...values }, headersOf(values))));
    },
  ),

  // ---- The signature (KiiEx "Authenticate with API Key") ----
  hmacCase(
    'HMAC-SIG-001',
    'MUST',
    `${REF_READING} (hex compared case-insensitively; older AlphaPoint clients send upper case); ${REF_APEX}`,
    'the Signature in upper-case and in mixed-case hex is accepted, in headers and in a JSON body',
    async (c) => {
      const mixed = (signature: string): string => [...signature].map((ch, index) => (index % 2 === 0 ? ch.toUpperCase() : ch)).join('');
      for (const spec of withSignatures(c, [(signature) => signature.toUpperCase(), mixed])) c.expectLogin(await c.send(spec));
      const values = c.values();
      c.expectLogin(await c.send(c.loginJson({ ...values, Signature: values.Signature.toUpperCase() })));
    },
  ),
  hmacCase(
    'HMAC-SIG-002',
    'MUST',
    `${REF_SIGNATURE}; ${REF_CODES}`,
    'a Signature with one hex digit changed (first, middle or last; also in upper case) is HTTP 401',
    async (c) => {
      await c.expectAllLoginRefused(
        HMAC_STATUS.invalid,
        withSignatures(c, [
          (signature) => alterCharacter(signature, 0),
          (signature) => alterCharacter(signature, 32),
          (signature) => alterCharacter(signature, -1),
          (signature) => alterCharacter(signature, -1).toUpperCase(),
        ]),
      );
    },
  ),
  hmacCase(
    'HMAC-SIG-003',
    'MUST',
    `${REF_SECURITY} (non-canonical hex rejected, never silently truncated)`,
    'a truncated (63, 62, 32, 1 digits), extended (65, 66 digits, twice) or odd-length Signature is refused (HTTP 400 or 401), never cut to its valid part',
    async (c) => {
      await c.expectAllLoginRefused(
        HMAC_STATUS.malformed,
        withSignatures(c, [
          (signature) => signature.slice(0, 63),
          (signature) => signature.slice(0, 62),
          (signature) => signature.slice(0, 32),
          (signature) => signature.slice(0, 1),
          (signature) => `${signature}0`,
          (signature) => `${signature}00`,
          (signature) => `0${signature}`,
          (signature) => signature + signature,
        ]),
      );
    },
  ),
  hmacCase(
    'HMAC-SIG-004',
    'MUST',
    `${REF_SECURITY} (non-canonical hex/base64 rejected)`,
    'a Signature that is not plain hex (a `g`, a `0x` or `sha256=` prefix, a `-` inside, the HMAC in base64 or base64url) is refused (HTTP 400 or 401)',
    async (c) => {
      const base64 = (signature: string): string => btoa(String.fromCharCode(...decodeHex(signature)));
      await c.expectAllLoginRefused(
        HMAC_STATUS.malformed,
        withSignatures(c, [
          (signature) => `${signature.slice(0, 63)}g`,
          (signature) => `${signature.slice(0, 63)}G`,
          (signature) => `0x${signature.slice(2)}`,
          (signature) => `0x${signature}`,
          (signature) => `sha256=${signature}`,
          (signature) => `${signature.slice(0, 32)}-${signature.slice(33)}`,
          base64,
          (signature) => encodeBase64Url(decodeHex(signature)),
        ]),
      );
    },
  ),
  hmacCase('HMAC-SIG-005', 'MUST', `${REF_SIGNATURE}; ${REF_CODES}`, 'an empty Signature, as a header or in a JSON body, is refused (HTTP 400 or 401)', async (c) => {
    await c.expectAllLoginRefused(HMAC_STATUS.malformed, [c.loginHeaders({ ...c.values(), Signature: '' }), c.loginJson({ ...c.values(), Signature: '' })]);
  }),
  hmacCase(
    'HMAC-SIG-006',
    'MUST',
    `${REF_SIGNATURE} ("the Key will be the API Secret"); ${REF_CODES}`,
    'a Signature computed with another secret (a random one, the secret with one character changed or in upper case, the APIKey, an empty key) is HTTP 401',
    async (c) => {
      const { apiKey, apiSecret, userId } = c.fx;
      const secrets = [generateHexToken(32), alterCharacter(apiSecret, 0), alterCharacter(apiSecret, -1), apiKey, ''];
      if (apiSecret.toUpperCase() !== apiSecret) secrets.push(apiSecret.toUpperCase());
      await c.expectAllLoginRefused(
        HMAC_STATUS.invalid,
        secrets.map((secret) => {
          const nonce = c.nextNonce();
          return c.loginHeaders({ APIKey: apiKey, Signature: apexSignature(secret, nonce, userId, apiKey), UserId: userId, Nonce: nonce });
        }),
      );
    },
  ),
  hmacCase(
    'HMAC-SIG-007',
    'MUST',
    `${REF_SIGNATURE} ("in that exact order with no spaces"); ${REF_READING}`,
    'a Signature over another message (other orders such as UserId+Nonce+APIKey, separators, a trailing newline, a part left out — the nonce included) is HTTP 401',
    async (c) => {
      const specs = withMessages(c, [
        ({ nonce, userId, apiKey }) => `${userId}${nonce}${apiKey}`,
        ({ nonce, userId, apiKey }) => `${apiKey}${userId}${nonce}`,
        ({ nonce, userId, apiKey }) => `${apiKey}${nonce}${userId}`,
        ({ nonce, userId, apiKey }) => `${nonce}${apiKey}${userId}`,
        ({ nonce, userId, apiKey }) => `${userId}${apiKey}${nonce}`,
        ...[':', ' ', ',', '\n', '|', '.', '&'].map((separator) => ({ nonce, userId, apiKey }: { nonce: string; userId: string; apiKey: string }) => [nonce, userId, apiKey].join(separator)),
        ({ nonce, userId, apiKey }) => `${nonce}${userId}${apiKey}\n`,
        ({ userId, apiKey }) => `${userId}${apiKey}`,
        ({ nonce, apiKey }) => `${nonce}${apiKey}`,
        ({ nonce, userId }) => `${nonce}${userId}`,
        ({ apiKey }) => apiKey,
        () => '',
      ]);
      await c.expectAllLoginRefused(HMAC_STATUS.invalid, specs);
    },
  ),
  hmacCase(
    'HMAC-SIG-008',
    'MUST',
    `${REF_SIGNATURE} (HMAC-SHA256, the secret's text as the key); ${REF_READING} (openssl dgst -sha256 -hmac "$SECRET")`,
    'a Signature made another way (plain SHA-256 of secret and message, HMAC with key and message swapped, keyed with the hex-decoded secret, HMAC-SHA256 in upper-case over a lower-cased message) is HTTP 401',
    async (c) => {
      const { apiKey, apiSecret, userId } = c.fx;
      const makers: ((nonce: string) => string)[] = [
        (nonce) => encodeHex(sha256Digest(apiSecret + hmacMessage(nonce, userId, apiKey))),
        (nonce) => encodeHex(sha256Digest(hmacMessage(nonce, userId, apiKey) + apiSecret)),
        (nonce) => hmacHex(hmacMessage(nonce, userId, apiKey), apiSecret),
      ];
      if (isHexString(apiSecret)) makers.push((nonce) => encodeHex(hmacSha256(decodeHex(apiSecret.toLowerCase()), hmacMessage(nonce, userId, apiKey))));
      const lowered = hmacMessage('', userId, apiKey).toLowerCase() !== hmacMessage('', userId, apiKey);
      if (lowered) makers.push((nonce) => hmacHex(apiSecret, hmacMessage(nonce, userId, apiKey).toLowerCase()).toUpperCase());
      await c.expectAllLoginRefused(
        HMAC_STATUS.invalid,
        makers.map((make) => {
          const nonce = c.nextNonce();
          return c.loginHeaders({ APIKey: apiKey, Signature: make(nonce), UserId: userId, Nonce: nonce });
        }),
      );
    },
  ),

  // ---- The key and the user ----
  hmacCase(
    'HMAC-KEY-001',
    'MUST',
    `${REF_DOC}; ${REF_CODES}`,
    'an unknown APIKey of the right shape (one character changed, first or last; a random one), signed with the real secret over itself, is HTTP 401',
    async (c) => {
      const { apiKey, apiSecret, userId } = c.fx;
      const unknown = [alterCharacter(apiKey, 0), alterCharacter(apiKey, -1)];
      if (/^[0-9a-f]+$/.test(apiKey) && apiKey.length % 2 === 0 && apiKey.length >= 32) unknown.push(generateHexToken(apiKey.length / 2));
      await c.expectAllLoginRefused(
        HMAC_STATUS.invalid,
        unknown.map((key) => {
          const nonce = c.nextNonce();
          return c.loginHeaders({ APIKey: key, Signature: apexSignature(apiSecret, nonce, userId, key), UserId: userId, Nonce: nonce });
        }),
      );
    },
  ),
  hmacCase(
    'HMAC-KEY-002',
    'MUST',
    `${REF_CREATE} ("you can edit or delete it"); ${REF_SECURITY} (one generic message for unknown, revoked and wrong credentials)`,
    'a removed key is refused at once, with HTTP 401 and exactly the reply an unknown key gets',
    async (c) => {
      await c.login();
      await c.revokeKey(c.fx);
      const [revoked] = await c.expectAllLoginRefused(HMAC_STATUS.invalid, [c.loginHeaders(c.values())]);
      const other = alterCharacter(c.fx.apiKey, -1);
      const nonce = c.nextNonce();
      const unknown = await c.send(c.loginHeaders({ APIKey: other, Signature: apexSignature(c.fx.apiSecret, nonce, c.fx.userId, other), UserId: c.fx.userId, Nonce: nonce }));
      c.expectIdentical([revoked as Exchange<HmacRequestSpec>, unknown], 'a removed key and an unknown key must not be told apart');
    },
    ['revoke'],
  ),
  hmacCase(
    'HMAC-USER-001',
    'MUST',
    `${REF_READING} (the key must belong to the claimed UserId)`,
    'a valid key with another UserId (one character changed, one appended; a real other user when the fixtures name one), correctly signed over that UserId, is HTTP 401',
    async (c) => {
      const { apiKey, apiSecret, userId, otherUserId } = c.fx;
      const users = [alterCharacter(userId, -1), `${userId}0`];
      if (otherUserId !== null) users.push(otherUserId);
      await c.expectAllLoginRefused(
        HMAC_STATUS.invalid,
        users.map((user) => {
          const nonce = c.nextNonce();
          return c.loginHeaders({ APIKey: apiKey, Signature: apexSignature(apiSecret, nonce, user, apiKey), UserId: user, Nonce: nonce });
        }),
      );
    },
  ),
  hmacCase(
    'HMAC-USER-002',
    'MUST',
    `${REF_READING} (this also closes the concatenation ambiguity of Nonce + UserId)`,
    'moving characters between Nonce and UserId (the same signed bytes, so the same Signature) is refused: the key belongs to one UserId only',
    async (c) => {
      const values = c.values();
      const { Nonce: nonce, UserId: userId } = values;
      const specs: HmacRequestSpec[] = [];
      if (nonce.length >= 2) specs.push(c.loginHeaders({ ...values, Nonce: nonce.slice(0, -1), UserId: nonce.slice(-1) + userId }));
      if (userId.length >= 2) specs.push(c.loginHeaders({ ...values, Nonce: nonce + userId.charAt(0), UserId: userId.slice(1) }));
      if (specs.length === 0) throw new ConformanceSkip('the fixture nonce and userId are one character each: nothing to move');
      await c.expectAllLoginRefused([...HMAC_STATUS.invalid, ...HMAC_STATUS.replayed], specs);
    },
  ),

  // ---- The request ----
  hmacCase('HMAC-REQ-001', 'MUST', `${REF_HEADERS}; ${REF_CODES}`, 'with any one of the four headers missing, the request is refused (HTTP 400 or 401)', async (c) => {
    await c.expectAllLoginRefused(
      HMAC_STATUS.missing,
      HMAC_FIELDS.map((field) => {
        const values: PartialValues = { ...c.values() };
        delete values[field];
        return c.loginHeaders(values);
      }),
    );
  }),
  hmacCase('HMAC-REQ-002', 'MUST', `${REF_APEX}; ${REF_CODES}`, 'with any one of the four JSON body fields missing, the request is refused (HTTP 400 or 401)', async (c) => {
    await c.expectAllLoginRefused(
      HMAC_STATUS.missing,
      HMAC_FIELDS.map((field) => {
        const values: PartialValues = { ...c.values() };
        delete values[field];
        return c.loginJson(values);
      }),
    );
  }),
  hmacCase(
    'HMAC-REQ-003',
    'MUST',
    `${REF_HEADERS}; ${REF_APEX}`,
    'an AuthenticateUser call with none of the four values (no body, `{}`, an unrelated JSON body, look-alike header names) is refused (HTTP 400 or 401)',
    async (c) => {
      const values = c.values();
      await c.expectAllLoginRefused(HMAC_STATUS.missing, [
        { method: 'POST', path: c.fx.authenticatePath },
        c.loginJson({}),
        c.loginJson({ param1: 'value1' }),
        c.loginHeaders({}, [
          ['X-APIKey', values.APIKey],
          ['X-Signature', values.Signature],
          ['X-UserId', values.UserId],
          ['X-Nonce', values.Nonce],
        ]),
      ]);
    },
  ),
  hmacCase(
    'HMAC-REQ-004',
    'MUST',
    `${REF_READING}; ${REF_CODES} (CREDENTIALS_AMBIGUOUS: two sources disagree)`,
    'headers and a JSON body that disagree (a valid set in one, a changed Signature, UserId, APIKey or Nonce in the other; two valid sets) are refused (HTTP 400 or 401), whichever side is valid',
    async (c) => {
      const specs: HmacRequestSpec[] = [];
      const changes: ((values: HmacValues) => HmacValues)[] = [
        (values) => ({ ...values, Signature: alterCharacter(values.Signature, -1) }),
        (values) => ({ ...values, UserId: alterCharacter(values.UserId, -1) }),
        (values) => ({ ...values, APIKey: alterCharacter(values.APIKey, -1) }),
        (values) => ({ ...values, Nonce: `${values.Nonce}1` }),
      ];
      for (const change of changes) {
        const valid = c.values();
        specs.push(c.loginJson({ ...valid }, headersOf(change(valid))));
        const other = c.values();
        specs.push(c.loginJson({ ...change(other) }, headersOf(other)));
      }
      const first = c.values();
      const second = c.values();
      if (first.Nonce !== second.Nonce) specs.push(c.loginJson({ ...second }, headersOf(first)), c.loginJson({ ...first }, headersOf(second)));
      await c.expectAllLoginRefused(HMAC_STATUS.ambiguous, specs);
    },
  ),
  hmacCase(
    'HMAC-REQ-005',
    'MUST',
    `${REF_SECURITY} (bounded header sizes; never silently truncated)`,
    'a 1 MiB value in any of the four headers (also a valid Signature followed by 1 MiB of zeros) is refused without a crash: HTTP 400 or 401, or 413/431 from the HTTP layer',
    async (c) => {
      const pad = 'x'.repeat(MIB);
      const specs = HMAC_FIELDS.map((field) => c.loginHeaders({ ...c.values(), [field]: pad }));
      const values = c.values();
      specs.push(c.loginHeaders({ ...values, Signature: values.Signature + '0'.repeat(MIB) }));
      await c.expectAllLoginRefused(HMAC_STATUS.tooLarge, specs);
    },
  ),
  hmacCase(
    'HMAC-REQ-006',
    'MUST',
    `${REF_READING}; ${REF_CODES} (CREDENTIALS_AMBIGUOUS)`,
    'any of the four headers sent twice (even with the same value) is refused (HTTP 400 or 401)',
    async (c) => {
      const specs = HMAC_FIELDS.map((field) => {
        const values = c.values();
        return c.loginHeaders(values, [[field, values[field]]]);
      });
      const values = c.values();
      specs.push(c.loginHeaders({ ...values, APIKey: alterCharacter(values.APIKey, 0) }, [['APIKey', values.APIKey]]));
      await c.expectAllLoginRefused(HMAC_STATUS.ambiguous, specs);
    },
  ),
  hmacCase(
    'HMAC-REQ-007',
    'MUST',
    `${REF_SECURITY} (prototype-safe body parsing)`,
    'JSON fields of the wrong type (array, object, boolean, null) are refused, and `__proto__` / `constructor` payloads neither authenticate nor pollute a prototype',
    async (c) => {
      await guardingPrototypes(async () => {
        const typed: HmacRequestSpec[] = [];
        for (const field of HMAC_FIELDS) {
          for (const wrong of [(value: string): unknown => [value], (value: string): unknown => ({ value }), (): unknown => true, (): unknown => null]) {
            const values = c.values();
            typed.push(c.loginJson({ ...values, [field]: wrong(values[field]) }));
          }
        }
        await c.expectAllLoginRefused(HMAC_STATUS.malformed, typed);
        const json = (values: HmacValues): string => JSON.stringify(values);
        const hostile: HmacRequestSpec[] = [];
        let values = c.values();
        hostile.push(c.loginJson(`{"__proto__":${json(values)}}`));
        values = c.values();
        hostile.push(c.loginJson(`{"constructor":{"prototype":${json(values)}}}`));
        values = c.values();
        hostile.push(c.loginJson(`{"APIKey":${JSON.stringify(values.APIKey)},"UserId":${JSON.stringify(values.UserId)},"Nonce":${JSON.stringify(values.Nonce)},"__proto__":{"Signature":${JSON.stringify(values.Signature)}}}`));
        values = c.values();
        hostile.push(c.loginJson(`{"__proto__":{"APIKey":${JSON.stringify(values.APIKey)},"UserId":${JSON.stringify(values.UserId)},"Nonce":${JSON.stringify(values.Nonce)}}}`, [['Signature', values.Signature]]));
        for (const spec of hostile) {
          const sent = await c.send(spec);
          check(!claimsLogin(sent.reply), () => `${sent.label}: expected a refusal, got ${describeReply(sent.reply, c.redact)}`);
        }
        // On the wire too: a later request without any value must still be refused.
        await c.expectAllLoginRefused(HMAC_STATUS.missing, [{ method: 'POST', path: c.fx.authenticatePath }, c.loginHeaders({ Signature: c.values().Signature })]);
      });
    },
  ),
  hmacCase(
    'HMAC-REQ-008',
    'MUST',
    `${REF_SECURITY} (bounded body sizes enforced on the bytes read)`,
    'a 1 MiB JSON body, even with the four valid values at its start, is refused without a crash (HTTP 400, 401, 413 or 431)',
    async (c) => {
      const values = c.values();
      const body = `${JSON.stringify(values).slice(0, -1)},"pad":"${'x'.repeat(MIB)}"}`;
      await c.expectAllLoginRefused(HMAC_STATUS.tooLarge, [c.loginJson(body)]);
    },
  ),
  hmacCase(
    'HMAC-REQ-009',
    'MUST',
    `${REF_SECURITY} (credentials in the URL off); OWASP ASVS 5.0 14.2.1`,
    'the four values as query parameters never authenticate: refused (HTTP 400 or 401)',
    async (c) => {
      const values = c.values();
      await c.expectAllLoginRefused(HMAC_STATUS.missing, [
        { method: 'POST', path: c.fx.authenticatePath, query: HMAC_FIELDS.map((field) => [field, values[field]] as const) },
      ]);
    },
  ),

  // ---- Nonces (the policies hmac-signature@1 knows: issued, increasing, unique) ----
  hmacCase(
    'HMAC-NONCE-001',
    'MUST',
    `${REF_READING} (increasing / unique nonce policies); ${REF_CODES} (NONCE_REPLAYED)`,
    'with replay protection, a signed request sent again is refused (HTTP 400, 401 or 403) — again as a JSON body, and with the Signature in upper case',
    async (c) => {
      const values = c.values();
      c.expectLogin(await c.send(c.loginHeaders(values)));
      await c.expectAllLoginRefused(HMAC_STATUS.replayed, [
        c.loginHeaders(values),
        c.loginJson({ ...values }),
        c.loginHeaders({ ...values, Signature: values.Signature.toUpperCase() }),
      ]);
    },
    ['replay-protection'],
  ),
  hmacCase(
    'HMAC-NONCE-002',
    'MUST',
    `${REF_READING} (EphemeralStore setIfAbsent: atomic); ${REF_CODES} (NONCE_REPLAYED)`,
    'with replay protection, 20 identical signed requests sent at once get exactly one success; the other 19 are refused',
    async (c) => {
      const values = c.values();
      const sent = await Promise.all(Array.from({ length: 20 }, () => c.send(c.loginHeaders(values))));
      const successes = sent.filter((one) => loginSuccessProblem(one.reply) === null);
      check(successes.length === 1, () => `20 parallel requests with one nonce: expected exactly 1 success, got ${successes.length}`);
      for (const one of sent) {
        if (one !== successes[0]) c.expectLoginRefused(one, HMAC_STATUS.replayed);
      }
    },
    ['replay-protection'],
  ),
  hmacCase(
    'HMAC-NONCE-003',
    'MUST',
    `${REF_READING} (increasing: an integer strictly above the last accepted one per key)`,
    'with increasing nonces, after a nonce is accepted a lower one, an equal one and the issued one are refused; a higher one is accepted',
    async (c) => {
      const accepted = c.nextNonce();
      c.expectLogin(await c.send(c.loginHeaders(c.values(c.fx, accepted))));
      const lower = String(BigInt(accepted) - 1n);
      const specs = [c.loginHeaders(c.values(c.fx, lower)), c.loginHeaders(c.values(c.fx, accepted))];
      if (c.fx.nonce !== lower && c.fx.nonce !== accepted) specs.push(c.loginHeaders(c.values(c.fx, c.fx.nonce)));
      await c.expectAllLoginRefused(HMAC_STATUS.replayed, specs);
      c.expectLogin(await c.send(c.loginHeaders(c.values())));
    },
    ['increasing-nonce'],
  ),
  hmacCase(
    'HMAC-NONCE-004',
    'MUST',
    `${REF_READING} (increasing: an integer strictly above the last accepted one)`,
    'with increasing nonces, nonces compare as integers, not as text: after 99…9 the longer 100…0 is accepted, and then 20…0 (greater as text, smaller as a number) is refused',
    async (c) => {
      const start = c.nextNonce();
      const nines = '9'.repeat(start.length);
      const power = `1${'0'.repeat(start.length)}`;
      if (nines !== start) c.expectLogin(await c.send(c.loginHeaders(c.values(c.fx, nines))));
      c.noteNonce(c.fx, power);
      c.expectLogin(await c.send(c.loginHeaders(c.values(c.fx, power))));
      await c.expectAllLoginRefused(HMAC_STATUS.replayed, [c.loginHeaders(c.values(c.fx, `2${'0'.repeat(start.length - 1)}`))]);
    },
    ['increasing-nonce'],
  ),
  hmacCase(
    'HMAC-NONCE-005',
    'MUST',
    `${REF_READING} (unique: any value, each accepted once)`,
    'with unique nonces, any unused nonce is accepted, even one lower than a nonce already accepted; each only once',
    async (c) => {
      const lower = c.nextNonce();
      const higher = c.nextNonce();
      c.expectLogin(await c.send(c.loginHeaders(c.values(c.fx, higher))));
      c.expectLogin(await c.send(c.loginHeaders(c.values(c.fx, lower))));
      await c.expectAllLoginRefused(HMAC_STATUS.replayed, [c.loginHeaders(c.values(c.fx, higher)), c.loginHeaders(c.values(c.fx, lower))]);
    },
    ['unique-nonce'],
  ),
  hmacCase(
    'HMAC-NONCE-006',
    'MUST',
    `${REF_DOC} (the NONCE shown once at creation); ${REF_READING} (issued: a static signature, replayable, documented as such)`,
    'with the issued nonce, a correctly signed request with any other nonce is HTTP 401, and the issued nonce\'s request is accepted again and again (replayable, as KiiEx documents it)',
    async (c) => {
      const issued = c.fx.nonce;
      const others = [`${issued}0`, alterCharacter(issued, -1), `0${issued}`];
      if (isDecimal(issued)) others.push(String(BigInt(issued) + 1n));
      if (isDecimal(issued) && issued !== '0') others.push(String(BigInt(issued) - 1n));
      await c.expectAllLoginRefused(
        HMAC_STATUS.invalid,
        [...new Set(others)].filter((nonce) => nonce !== issued).map((nonce) => c.loginHeaders(c.values(c.fx, nonce))),
      );
      const values = c.values(c.fx, issued);
      const first = c.expectLogin(await c.send(c.loginHeaders(values)));
      const second = c.expectLogin(await c.send(c.loginHeaders(values)));
      check(first !== second, 'two sign-ins with the issued nonce returned the same SessionToken');
    },
    ['issued-nonce'],
  ),
  hmacCase(
    'HMAC-NONCE-007',
    'SHOULD',
    `${REF_READING} (nonces are spent only by requests that proved the secret)`,
    'with replay protection, a request with a wrong Signature does not spend its nonce: the correctly signed request with that nonce is accepted after it',
    async (c) => {
      const values = c.values();
      await c.expectAllLoginRefused(HMAC_STATUS.invalid, [c.loginHeaders({ ...values, Signature: alterCharacter(values.Signature, -1) })]);
      c.expectLogin(await c.send(c.loginHeaders(values)));
    },
    ['replay-protection'],
  ),

  // ---- The session (aptoken) ----
  hmacCase(
    'HMAC-SESSION-001',
    'MUST',
    REF_APTOKEN,
    'the SessionToken in the `aptoken` header is accepted on the resource (HTTP 200, not an APEX error), again and again',
    async (c) => {
      const token = await c.login();
      for (let i = 0; i < 3; i++) c.expectCallSuccess(await c.send(c.call(token)));
    },
  ),
  hmacCase(
    'HMAC-SESSION-002',
    'MUST',
    `${REF_APTOKEN}; ${REF_SECURITY} (≥ 128-bit random tokens)`,
    'the SessionToken is neither the APIKey, the secret, the Signature nor the Nonce, contains none of them, and has at least 128 bits (32 hex or 22 base64url characters)',
    async (c) => {
      const values = c.values();
      const token = c.expectLogin(await c.send(c.loginHeaders(values)));
      const lower = token.toLowerCase();
      for (const [name, value] of [
        ['the APIKey', c.fx.apiKey],
        ['the API secret', c.fx.apiSecret],
        ['the Signature', values.Signature],
      ] as const) {
        check(!lower.includes(value.toLowerCase()) && !value.toLowerCase().includes(lower), `the SessionToken contains or is contained in ${name}`);
      }
      check(token !== values.Nonce && token !== c.fx.userId, 'the SessionToken is the Nonce or the UserId');
      check(/^[0-9a-fA-F]+$/.test(token) ? token.length >= 32 : token.length >= 22, () => `the SessionToken has ${token.length} characters: fewer than 128 bits`);
    },
  ),
  hmacCase(
    'HMAC-SESSION-003',
    'MUST',
    `${REF_APTOKEN}; ${REF_SECURITY}`,
    'two sign-ins with the same key give two different SessionTokens, and both work',
    async (c) => {
      const first = await c.login();
      const second = await c.login();
      check(first !== second, 'two sign-ins returned the same SessionToken');
      c.expectCallSuccess(await c.send(c.call(first)));
      c.expectCallSuccess(await c.send(c.call(second)));
    },
  ),
  hmacCase(
    'HMAC-SESSION-004',
    'MUST',
    `${REF_APTOKEN}; ${REF_APEX}`,
    'a call without `aptoken` is HTTP 401 `{"result":false,"errormsg":"Not Authorized","errorcode":20,"detail":null}`',
    async (c) => {
      await c.missingCall();
    },
  ),
  hmacCase(
    'HMAC-SESSION-005',
    'MUST',
    `${REF_APTOKEN}; ${REF_APEX}; ${REF_SECURITY}`,
    'garbage in `aptoken` (empty, `null`, `undefined`, a word, the APIKey, the secret, the Signature, the token cut short or lengthened) is HTTP 400 or 401 with exactly APEX\'s "Not Authorized" error',
    async (c) => {
      const values = c.values();
      const token = c.expectLogin(await c.send(c.loginHeaders(values)));
      const garbage = ['', 'null', 'undefined', 'garbage', '0', c.fx.apiKey, values.Signature, token.slice(0, -1), `${token}0`, token.slice(0, token.length / 2)];
      if (HEADER_SAFE.test(c.fx.apiSecret)) garbage.push(c.fx.apiSecret);
      for (const value of garbage) c.expectCallRefused(await c.send(c.call(value)), HMAC_STATUS.malformed, true);
      c.expectCallRefused(await c.send(c.call('x'.repeat(64 * 1024))), HMAC_STATUS.tooLarge, true);
    },
  ),
  hmacCase(
    'HMAC-SESSION-006',
    'MUST',
    `${REF_APTOKEN}; ${REF_APEX}; ${REF_CODES}`,
    'a session token of the right shape that was never issued (a live token with its first or last character changed) is HTTP 401 with exactly APEX\'s "Not Authorized" error',
    async (c) => {
      const token = await c.login();
      for (const value of alteredTokens(token)) c.expectCallRefused(await c.send(c.call(value)), HMAC_STATUS.invalid, true);
    },
  ),
  hmacCase(
    'HMAC-SESSION-007',
    'MUST',
    `${REF_READING} (a revoked key kills the session tokens derived from it)`,
    'removing the key ends its live sessions at once: the next call with their token is HTTP 401 with exactly APEX\'s "Not Authorized" error',
    async (c) => {
      const first = await c.login();
      const second = await c.login();
      c.expectCallSuccess(await c.send(c.call(first)));
      await c.revokeKey(c.fx);
      for (const token of [first, second, first]) c.expectCallRefused(await c.send(c.call(token)), HMAC_STATUS.invalid, true);
    },
    ['revoke'],
  ),
  hmacCase(
    'HMAC-SESSION-008',
    'MUST',
    `${REF_APTOKEN}; ${REF_SECURITY} (credentials in the URL off); OWASP ASVS 5.0 14.2.1`,
    'the session token as a query parameter (`?aptoken=`) never authenticates: exactly the reply to a call without `aptoken`',
    async (c) => {
      const token = await c.login();
      const reference = await c.missingCall();
      const sent = await c.send({ method: 'POST', path: c.fx.resource, query: [[APTOKEN_HEADER, token]] });
      c.expectIdentical([reference, sent], 'a token in the URL must be ignored');
    },
  ),
  hmacCase(
    'HMAC-SESSION-009',
    'SHOULD',
    `${REF_APTOKEN}; ${REF_CODES} (CREDENTIALS_AMBIGUOUS)`,
    'two `aptoken` header fields (the same live token twice, or a live and an unknown one) are refused with APEX\'s error',
    async (c) => {
      const token = await c.login();
      for (const other of [token, alterCharacter(token, -1)]) {
        c.expectCallRefused(await c.send({ method: 'POST', path: c.fx.resource, headers: [[APTOKEN_HEADER, token], [APTOKEN_HEADER, other]] }), HMAC_STATUS.malformed, false);
      }
    },
  ),

  // ---- Permissions and allowed IPs (KiiEx "Authenticate with API Key": creating a key) ----
  hmacCase(
    'HMAC-PERM-001',
    'MUST',
    `${REF_CREATE} ("add permissions"); ${REF_CODES} (SCOPE_DENIED: 403)`,
    'a session of a key without the permission a call needs is HTTP 403 with APEX\'s error there, while it works on the resource and the full key\'s session works on that call',
    async (c) => {
      const path = c.fx.permissionPath as string;
      const full = await c.login();
      c.expectCallSuccess(await c.send(c.call(full, path)));
      const limited = await c.login(c.fx.limitedKey as ResolvedKey);
      c.expectCallSuccess(await c.send(c.call(limited)));
      c.expectCallRefused(await c.send(c.call(limited, path)), HMAC_STATUS.permissionDenied, false);
    },
    ['permission'],
  ),
  hmacCase(
    'HMAC-IP-001',
    'MUST',
    `${REF_CREATE} ("restrict usage by IP address"); ${REF_CODES} (IP_NOT_ALLOWED)`,
    'a key restricted to other IP addresses, correctly signed, is refused from the kit\'s address (HTTP 401 or 403), and the reply does not name an allowed address',
    async (c) => {
      const key = c.fx.ipRestrictedKey as ResolvedKey;
      const [sent] = await c.expectAllLoginRefused(HMAC_STATUS.ipNotAllowed, [c.loginHeaders(c.values(key))]);
      const allowed = c.fx.allowedIp;
      if (allowed !== null) {
        const text = replyText((sent as Exchange<HmacRequestSpec>).reply.body).toLowerCase();
        const spellings = [...new Set([allowed, normalizeIpAddress(allowed) as string])];
        check(!spellings.some((ip) => text.includes(ip.toLowerCase())), () => `${(sent as Exchange<HmacRequestSpec>).label}: the refusal names the allowed address`);
      }
    },
    ['ip-restricted-key'],
  ),
  hmacCase(
    'HMAC-IP-002',
    'MUST',
    `${REF_CREATE} ("add the allowed IP in the designated field")`,
    'the IP-restricted key works from its allowed address, and its session works there',
    async (c) => {
      const key = c.fx.ipRestrictedKey as ResolvedKey;
      const from = c.fx.allowedIp as string;
      const token = await c.login(key, from);
      c.expectCallSuccess(await c.send(c.call(token, c.fx.resource, from)));
    },
    ['ip-restricted-key', 'ip-allowed-address', 'remote-address'],
  ),
  hmacCase(
    'HMAC-IP-003',
    'MUST',
    `${REF_SECURITY} (client IP from the socket unless trusted proxies are configured)`,
    'X-Forwarded-For, X-Real-IP, Forwarded or True-Client-IP naming the allowed address do not let the IP-restricted key in from the kit\'s address',
    async (c) => {
      const key = c.fx.ipRestrictedKey as ResolvedKey;
      const allowed = c.fx.allowedIp as string;
      await c.expectAllLoginRefused(
        HMAC_STATUS.ipNotAllowed,
        spoofingHeaders(allowed).map((headers) => c.loginHeaders(c.values(key), headers)),
      );
    },
    ['ip-restricted-key', 'ip-allowed-address'],
  ),

  // ---- A failing store (fail closed) ----
  hmacCase(
    'HMAC-STORE-001',
    'MUST',
    `${REF_SECURITY} (a store failure or timeout denies access); ${REF_CODES} (STORE_UNAVAILABLE: 503)`,
    'with the stores failing, a correctly signed AuthenticateUser is HTTP 5xx and never a success or a SessionToken',
    async (c) => {
      const sender = await storeFailureSender(c.driver);
      for (const spec of [c.loginHeaders(c.values()), c.loginJson({ ...c.values() })]) {
        const sent = await c.send(spec, sender);
        check(
          sent.reply.status >= 500 && sent.reply.status <= 599 && !claimsLogin(sent.reply),
          () => `${sent.label} with the store failing: expected HTTP 5xx without success, got ${describeReply(sent.reply, c.redact)}`,
        );
      }
    },
    ['store-failure'],
  ),
  hmacCase(
    'HMAC-STORE-002',
    'MUST',
    `${REF_SECURITY} (a store failure or timeout denies access); ${REF_CODES} (STORE_UNAVAILABLE: 503)`,
    'with the stores failing, a call with a live session token is HTTP 5xx and never a success',
    async (c) => {
      const token = await c.login();
      const sender = await storeFailureSender(c.driver);
      const sent = await c.send(c.call(token), sender);
      check(
        sent.reply.status >= 500 && sent.reply.status <= 599 && !claimsCall(sent.reply),
        () => `${sent.label} with the store failing: expected HTTP 5xx without success, got ${describeReply(sent.reply, c.redact)}`,
      );
    },
    ['store-failure'],
  ),
  hmacCase(
    'HMAC-STORE-003',
    'SHOULD',
    `${REF_CODES} (STORE_UNAVAILABLE: 503); ${REF_APEX}`,
    'with the stores failing, AuthenticateUser answers HTTP 503 `{"Authenticated":false,"errormsg":"<text>"}` and other calls HTTP 503 with APEX\'s error object',
    async (c) => {
      const token = await c.login();
      const sender = await storeFailureSender(c.driver);
      c.expectLoginRefused(await c.send(c.loginHeaders(c.values()), sender), [503]);
      c.expectCallRefused(await c.send(c.call(token), sender), [503], false);
    },
    ['store-failure'],
  ),

  // ---- Envelopes (APEX) ----
  hmacCase(
    'HMAC-ENV-001',
    'MUST',
    `${REF_APEX}; ${REF_READING}`,
    'every AuthenticateUser refusal is `{"Authenticated":false,"errormsg":"<non-empty text>"}` without a SessionToken: missing, malformed, wrong signature, unknown key, wrong user',
    async (c) => {
      const values = c.values();
      await c.expectAllLoginRefused(HMAC_STATUS.missing, [{ method: 'POST', path: c.fx.authenticatePath }, c.loginHeaders({ ...values, Signature: 'zz' })]);
      const fresh = (): HmacValues => c.values();
      const wrongUser = (): HmacValues => {
        const nonce = c.nextNonce();
        const user = alterCharacter(c.fx.userId, -1);
        return { APIKey: c.fx.apiKey, Signature: apexSignature(c.fx.apiSecret, nonce, user, c.fx.apiKey), UserId: user, Nonce: nonce };
      };
      const wrongSignature = fresh();
      await c.expectAllLoginRefused(HMAC_STATUS.invalid, [
        c.loginHeaders({ ...wrongSignature, Signature: alterCharacter(wrongSignature.Signature, 5) }),
        c.loginHeaders(wrongUser()),
        c.loginJson({ ...wrongUser() }),
      ]);
    },
  ),
  hmacCase(
    'HMAC-ENV-002',
    'SHOULD',
    REF_APEX,
    'an AuthenticateUser refusal has exactly the keys `Authenticated` and `errormsg`',
    async (c) => {
      const values = c.values();
      for (const spec of [{ method: 'POST', path: c.fx.authenticatePath }, c.loginHeaders({ ...values, Signature: alterCharacter(values.Signature, 0) })]) {
        const sent = await c.send(spec);
        const body = sent.reply.body;
        const keys = typeof body === 'object' && body !== null ? Object.keys(body).sort() : null;
        check(deepEqual(keys, ['Authenticated', 'errormsg']), () => `${sent.label}: expected exactly Authenticated and errormsg, got ${describeReply(sent.reply, c.redact)}`);
      }
    },
  ),
  hmacCase(
    'HMAC-ENV-003',
    'MUST',
    `${REF_APEX} (the APEX error reply {"result":false,"errormsg":"Not Authorized","errorcode":20,"detail":null})`,
    'a call refused for authentication (no token, an unknown token, an altered token) is HTTP 401 with exactly `{"result":false,"errormsg":"Not Authorized","errorcode":20,"detail":null}`',
    async (c) => {
      const token = await c.login();
      await c.missingCall();
      const unknown = /^[0-9a-f]+$/.test(token) && token.length % 2 === 0 && token.length >= 32 ? generateHexToken(token.length / 2) : alterCharacter(alterCharacter(token, 3), 7);
      for (const value of [unknown, ...alteredTokens(token)]) c.expectCallRefused(await c.send(c.call(value)), HMAC_STATUS.invalid, true);
    },
  ),

  // ---- Telling nothing ----
  hmacCase(
    'HMAC-LEAK-001',
    'MUST',
    `${REF_SECURITY} (one generic message and status for unknown, revoked and wrong credentials); ${REF_CODES} (which part of a credential was wrong is never revealed)`,
    'an unknown APIKey, a wrong Signature, another UserId and a wrong secret all get one identical reply',
    async (c) => {
      const { apiKey, apiSecret, userId } = c.fx;
      const specs: HmacRequestSpec[] = [];
      let nonce = c.nextNonce();
      const unknownKey = alterCharacter(apiKey, -1);
      specs.push(c.loginHeaders({ APIKey: unknownKey, Signature: apexSignature(apiSecret, nonce, userId, unknownKey), UserId: userId, Nonce: nonce }));
      const values = c.values();
      specs.push(c.loginHeaders({ ...values, Signature: alterCharacter(values.Signature, -1) }));
      nonce = c.nextNonce();
      const otherUser = c.fx.otherUserId ?? alterCharacter(userId, -1);
      specs.push(c.loginHeaders({ APIKey: apiKey, Signature: apexSignature(apiSecret, nonce, otherUser, apiKey), UserId: otherUser, Nonce: nonce }));
      nonce = c.nextNonce();
      specs.push(c.loginHeaders({ APIKey: apiKey, Signature: apexSignature(generateHexToken(32), nonce, userId, apiKey), UserId: userId, Nonce: nonce }));
      const sent: Exchange<HmacRequestSpec>[] = [];
      for (const spec of specs) sent.push(await c.send(spec));
      c.expectIdentical(sent, 'the reply must not tell which part was wrong');
      c.expectLoginRefused(sent[0] as Exchange<HmacRequestSpec>, HMAC_STATUS.invalid);
    },
  ),
  hmacCase(
    'HMAC-LEAK-002',
    'MUST',
    `${REF_SECURITY} (secrets never in errors)`,
    'no reply ever repeats the API secret or echoes the Signature, and no refusal repeats the APIKey (checked on every reply of every case)',
    async (c) => {
      const values = c.values();
      const specs: HmacRequestSpec[] = [
        c.loginHeaders(values),
        c.loginHeaders(values),
        c.loginHeaders({ ...c.values(), Signature: alterCharacter(values.Signature, 0) }),
        c.loginHeaders({ ...c.values(), Signature: values.Signature.slice(0, 40) }),
        c.loginJson({ ...c.values(), UserId: alterCharacter(c.fx.userId, -1) }),
        c.loginHeaders({ ...c.values(), APIKey: alterCharacter(c.fx.apiKey, 0) }),
        c.loginJson({ ...c.values(), APISecret: c.fx.apiSecret }),
        c.loginJson({ ...c.values(), Signature: c.fx.apiSecret }),
        c.call(c.fx.apiKey),
        c.call(values.Signature),
      ];
      // HmacCaseContext.send fails the case on any reply that repeats a secret or echoes a signature.
      for (const spec of specs) await c.send(spec);
      const token = await c.login();
      await c.send(c.call(token));
      await c.send(c.call(alterCharacter(token, 0)));
    },
  ),
  hmacCase(
    'HMAC-LEAK-003',
    'MUST',
    `${REF_SECURITY} (one generic message and status for unknown, revoked and wrong credentials)`,
    'an altered session token, a never-issued one and (with `revoke`) the token of a removed key all get one identical reply',
    async (c) => {
      const token = await c.login();
      const specs = alteredTokens(token).map((value) => c.call(value));
      if (/^[0-9a-f]+$/.test(token) && token.length % 2 === 0 && token.length >= 32) specs.push(c.call(generateHexToken(token.length / 2)));
      if (c.driver.capabilities.includes('revoke')) {
        await c.revokeKey(c.fx);
        specs.push(c.call(token));
      }
      const sent: Exchange<HmacRequestSpec>[] = [];
      for (const spec of specs) sent.push(await c.send(spec));
      c.expectIdentical(sent, 'an unknown and an ended session must not be told apart');
    },
  ),
];

/**
 * The `hmac-signature@1` profile: the signed API keys of KiiEx docs, "Authenticate with API Key", and
 * "AuthenticateUser" (https://docs.kiiglobal.io/docs/kiiex/connect-to-kiiex-apis/users/authenticateuser) on the wire,
 * judged only through requests and replies, so the same cases run in-process and against a live server. It signs every
 * request itself — hex of HMAC-SHA256 keyed with the API secret over `Nonce + UserId + APIKey` — and checks the
 * `AuthenticateUser` flow by headers and JSON body and its APEX replies, the signature (hex in either case; wrong,
 * truncated, extended, non-hex, other secrets, other messages and algorithms refused), that the key belongs to the
 * `UserId` (no shifting between Nonce and UserId), missing, duplicated, disagreeing, oversized and prototype-polluting
 * inputs, the claimed nonce policy (replays refused, exactly one of 20 parallel requests accepted, integers compared as
 * integers; the issued nonce documented as replayable), the `aptoken` session (distinct, strong, ended with its key,
 * never from the URL), permissions and allowed IPs, failing closed on a store failure, and that no reply leaks a secret
 * or tells which part of a credential was wrong.
 *
 * @example
 * ```ts
 * import { hmacInProcessDriver, hmacSignatureV1, runProfile } from '@gatehouse/conformance';
 * const results = await runProfile(hmacSignatureV1, hmacInProcessDriver({ authenticate, session, setup }));
 * ```
 */
export const hmacSignatureV1: ConformanceProfile<HmacSignatureDriver> = Object.freeze({
  id: 'hmac-signature@1',
  title: 'HMAC signature wire conformance (hmac-signature@1)',
  cases,
  /**
   * The driver's own capabilities, plus those the fixtures may imply: those are settled per case, from the
   * fixtures `setup()` returns, and a case whose fixture is missing reports itself skipped.
   */
  capabilitiesOf(driver: HmacSignatureDriver): readonly string[] {
    return [...new Set([...(driver.capabilities ?? []), ...FIXTURE_CAPABILITIES])];
  },
});
