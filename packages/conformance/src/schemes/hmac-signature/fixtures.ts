// What an hmac-signature@2 case works with: the driver it talks to and the keys its setup() hands out, checked
// before the case runs.
import { normalizeIpAddress } from '@gatehouse/auth-core/strategy';
import { check, show } from '../../check.js';
import type { WireSender } from '../../drivers/wire.js';
import type { RawExchange } from '../../scheme.js';
import { DEFAULT_HMAC_AUTHENTICATE_PATH, DEFAULT_HMAC_RESOURCE_PATH, isDecimal } from './wire.js';

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
  /** The `Nonce` shown when the key was created. Under `nonce_policy=increasing` a decimal of at most 15 digits. */
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
 * What one `hmac-signature@2` case works with, from the driver's `setup()`: a live API key (with its secret, user
 * and issued nonce) and optional keys and routes that turn on more cases. How the server checks nonces is not a
 * fixture but the declared parameter `nonce_policy`; the kit signs every request itself (under `issued` with the
 * issued nonce, otherwise with a fresh nonce counted up from it).
 *
 * @example
 * ```ts
 * const fixtures: HmacFixtures = {
 *   apiKey: '0123456789abcdef0123456789abcdef',
 *   apiSecret: 'a3f1c2d4e5f60718293a4b5c6d7e8f90a3f1c2d4e5f60718293a4b5c6d7e8f90',
 *   userId: '101',
 *   nonce: '482913004211',
 *   otherUserId: '102',
 *   ipRestrictedKey: { apiKey: '…', apiSecret: '…', userId: '101', nonce: '…', allowedIp: '198.51.100.23' },
 *   limitedKey: { apiKey: '…', apiSecret: '…', userId: '101', nonce: '…' },
 *   permissionPath: '/ap/SendOrder',
 *   clientIp: '203.0.113.7',
 * };
 * ```
 */
export interface HmacFixtures extends HmacKeyFixture {
  /** Another real user, who does not own `apiKey`. Enables capability `other-user`. */
  readonly otherUserId?: string;
  /** A key whose allowed IPs exclude the kit's address. Enables capability `ip-restricted-key`. */
  readonly ipRestrictedKey?: HmacIpRestrictedKeyFixture;
  /** A key without the permission `permissionPath` needs (which `apiKey` has). With `permissionPath`, enables capability `permission`. */
  readonly limitedKey?: HmacKeyFixture;
  /** A call that needs a permission `apiKey` has and `limitedKey` lacks, e.g. `/ap/SendOrder`. */
  readonly permissionPath?: string;
  /** A call any session may make with `POST` and the `aptoken` header. Default `/ap/GetUserInfo`. */
  readonly resource?: string;
  /** The `AuthenticateUser` route. Default `/AuthenticateUser`. */
  readonly authenticatePath?: string;
  /**
   * The address the kit's requests come from: in-process it is passed as the socket address; over HTTP it is the
   * address the server sees. Default: the driver's (in-process `192.0.2.10`).
   */
  readonly clientIp?: string;
}

/**
 * The capabilities `hmac-signature@2` cases may require. `other-user`, `ip-restricted-key`, `ip-allowed-address`
 * and `permission` follow from the fixtures of each case; `remote-address` (the driver sends from any socket
 * address it is given), `store-failure`, `revoke` (keys removed through the server's own management) and
 * `raw-connection` (raw bytes on a fresh connection) from the driver.
 *
 * @example
 * ```ts
 * const capability: HmacCapability = 'revoke';
 * ```
 */
export type HmacCapability =
  | 'other-user'
  | 'ip-restricted-key'
  | 'ip-allowed-address'
  | 'permission'
  | 'remote-address'
  | 'store-failure'
  | 'revoke'
  | 'raw-connection';

/**
 * Raw bytes to the server on a fresh connection, for the request framing cases: the `Host` to name and the base
 * path every route sits under.
 *
 * @example
 * ```ts
 * const raw: HmacRawConnection = { host: '127.0.0.1:3000', basePath: '', sendRaw: (bytes, options) => sender.sendRaw(bytes, options) };
 * ```
 */
export interface HmacRawConnection {
  /** The `Host` header value, e.g. `127.0.0.1:3000`. */
  readonly host: string;
  /** Put before every route's path (the base URL's path, without its trailing `/`). */
  readonly basePath: string;
  /** Writes `bytes` on a new connection and reads until the server closes it or `waitInMilliseconds` pass. */
  sendRaw(bytes: Uint8Array, options?: { readonly waitInMilliseconds?: number }): Promise<RawExchange>;
}

/**
 * What the `hmac-signature@2` profile drives: something that exchanges Fetch requests for wire replies (the verifier
 * and session strategies in-process through `hmacInProcessDriver`, or a live server over HTTP), hands out fixtures
 * per case, and says what else it can do. Cases build requests on `http://gatehouse.test`: a `POST` of the fixture
 * `authenticatePath` with the four signed values, and `POST`s of the fixture `resource` (and `permissionPath`) with
 * the `aptoken` header.
 *
 * @example
 * ```ts
 * const driver: HmacSignatureDriver = hmacInProcessDriver({ authenticate, session, setup, revokeKey });
 * const results = await runProfile(hmacSignatureV2, driver, { parameters: { nonce_policy: 'increasing' } });
 * ```
 */
export interface HmacSignatureDriver extends WireSender {
  /** Fixtures for one case; called once at the start of every case (fresh keys, or the same ones again). */
  setup(): Promise<HmacFixtures>;
  /** Capabilities beyond those the fixtures imply, e.g. `['remote-address', 'store-failure', 'revoke']`. */
  readonly capabilities: readonly string[];
  /** With capability `store-failure`: a sender to the same server whose stores fail on every lookup. */
  storeFailure?(): Promise<WireSender>;
  /**
   * With capability `revoke`: removes a live API key the way the server's own management does (over HTTP,
   * `RemoveUserAPIKey`), resolving once it is done.
   */
  revokeKey?(apiKey: string): Promise<void>;
  /**
   * A fresh key of the fixtures' user with the main key's permissions, for a case that removes it. Without it, such
   * a case removes the main key of its fixtures (which `setup()` must then make fresh for every case).
   */
  issueKey?(): Promise<HmacKeyFixture>;
  /** With capability `raw-connection`: raw bytes to the server. */
  readonly rawConnection?: HmacRawConnection;
}

const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/** One key of the fixtures, checked. */
export interface ResolvedKey {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly userId: string;
  readonly nonce: string;
}

/** The fixtures of one case, checked, with defaults filled in. */
export interface ResolvedHmacFixtures extends ResolvedKey {
  readonly otherUserId: string | null;
  readonly ipRestrictedKey: ResolvedKey | null;
  readonly allowedIp: string | null;
  readonly limitedKey: ResolvedKey | null;
  readonly permissionPath: string | null;
  readonly resource: string;
  readonly authenticatePath: string;
  readonly clientIp: string | null;
}

/** Checks one key of the fixtures (`field` names it in messages: '' for the main key). */
export function resolveKey(raw: unknown, field: string, increasing: boolean): ResolvedKey {
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
  if (increasing) {
    check(isDecimal(nonce) && nonce.length <= 15, () => `setup(): under nonce_policy=increasing fixture ${name('nonce')} must be a decimal integer of at most 15 digits, got ${show(nonce)}`);
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

/** Checks what `setup()` resolved to (every failure is `broken`, naming the fixture). */
export function resolveFixtures(raw: unknown, increasing: boolean): ResolvedHmacFixtures {
  check(typeof raw === 'object' && raw !== null, () => `setup() resolved to ${show(raw)}, expected HmacFixtures`);
  const fixtures = raw as Record<string, unknown>;
  const main = resolveKey(fixtures, '', increasing);
  const keys: ResolvedKey[] = [main];
  const optionalKey = (field: string): ResolvedKey | null => {
    if (fixtures[field] === undefined) return null;
    const key = resolveKey(fixtures[field], field, increasing);
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
  return { ...main, otherUserId: otherUserId as string | null, ipRestrictedKey, allowedIp, limitedKey, permissionPath, resource, authenticatePath, clientIp };
}

/** The capabilities the fixtures of one case imply. */
export function fixtureCapabilities(fx: ResolvedHmacFixtures): HmacCapability[] {
  const capabilities: HmacCapability[] = [];
  if (fx.otherUserId !== null) capabilities.push('other-user');
  if (fx.ipRestrictedKey !== null) capabilities.push('ip-restricted-key');
  if (fx.allowedIp !== null) capabilities.push('ip-allowed-address');
  if (fx.limitedKey !== null && fx.permissionPath !== null) capabilities.push('permission');
  return capabilities;
}

/** Every capability fixtures may imply: a profile offers them up front and each case settles them from its fixtures. */
export const FIXTURE_CAPABILITIES: readonly HmacCapability[] = ['other-user', 'ip-restricted-key', 'ip-allowed-address', 'permission'];
