// hmac-signature@2 over HTTP. With a login and password the driver provisions its own keys through the APEX account
// routes (`WebAuthenticateUser`, then `AddUserAPIKey` for the main key, a key without the permission, an
// IP-restricted key and one fresh key per case that removes one) and removes them with `RemoveUserAPIKey` when the
// run ends; without them, it takes keys created by hand from the fixtures (shown once, at creation, as KiiEx docs,
// "Authenticate with API Key" says). The kit signs every request itself.
import { ConfigurationError } from '@gatehouse/auth-core';
import { randomBytes } from '@gatehouse/auth-core/crypto';
import { normalizeIpAddress } from '@gatehouse/auth-core/strategy';
import type { HttpDriverHandle, HttpFixtureSpec, HttpSchemeContext } from '../../scheme.js';
import type { HmacFixtures, HmacIpRestrictedKeyFixture, HmacKeyFixture, HmacSignatureDriver } from './fixtures.js';
import { parameterOf } from './parameters.js';
import { addKey, logOut, removeKey, webSignIn, type ApexAccount, type ApexWebSession } from './provision.js';

const SCHEME = 'hmac-signature@2';

/** The address the kit connects from when it binds its source addresses over loopback. */
export const HMAC_LOOPBACK_CLIENT_IP = '127.0.0.1';

/** A canonical IPv4 loopback address the kit can bind (127.0.0.0/8, no leading zeros, not the broadcast address). */
function isBindableLoopback(address: string): boolean {
  const octet = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
  return new RegExp(`^127\\.${octet}\\.${octet}\\.${octet}$`).test(address) && address !== '127.255.255.255';
}

/** The address the IP-restricted key allows by default: another loopback address, or a documentation address. */
const DEFAULT_ALLOWED_IP = { loopback: '127.0.0.2', remote: '198.51.100.23' } as const;

const spec = (name: string, description: string, fallback?: string): HttpFixtureSpec =>
  Object.freeze(fallback === undefined ? { name, required: false, description } : { name, required: false, default: fallback, description });

/**
 * The fixtures `hmac-signature@2` takes over HTTP (`--set name=value`). Give `login` and `password` for a server
 * with the APEX account routes (the kit makes and removes its own keys), or a key made by hand (`api_key`,
 * `api_secret`, `nonce`, `user_id`) for one without them.
 *
 * @example
 * ```ts
 * for (const { name, description } of HMAC_HTTP_FIXTURES) console.log(`--set ${name}=…  ${description}`);
 * ```
 */
export const HMAC_HTTP_FIXTURES: readonly HttpFixtureSpec[] = Object.freeze([
  spec('login', "a user's name for `WebAuthenticateUser`; with password the kit creates its own keys (`AddUserAPIKey`) and removes them when done (`RemoveUserAPIKey`)"),
  spec('password', "that user's password"),
  spec('account_base_path', 'where WebAuthenticateUser, AddUserAPIKey, RemoveUserAPIKey and LogOut live', '/ap'),
  spec('permission', 'a permission the main key gets and a second key lacks (e.g. Trading); with permission_path enables HMAC-PERM-001'),
  spec('permission_path', 'a call that needs that permission, e.g. /ap/SendOrder'),
  spec('ip_restricted_key', "'create' (the kit creates a key with AllowedIps: [allowed_ip]; HMAC-IP-001 and -003) or 'none' (a server whose AddUserAPIKey has no AllowedIps)", 'create'),
  spec('allowed_ip', "the address the IP-restricted key allows, never the kit's; default 127.0.0.2 with a loopback base URL (then HMAC-IP-002 runs too), else 198.51.100.23"),
  spec('api_key', 'without login: a live APIKey, shown once at creation'),
  spec('api_secret', "without login: that key's APISecret (the HMAC key)"),
  spec('nonce', "without login: that key's Nonce as shown at creation; under nonce_policy=increasing the kit counts up from it (give a larger nonce or a fresh key for another run)"),
  spec('user_id', 'the UserId the keys belong to (without login; with login when WebAuthenticateUser does not name it)'),
  spec('other_user_id', 'another real user, who does not own the keys'),
  spec('limited_api_key', 'without login: a key of user_id without the permission permission_path needs; with limited_api_secret, limited_nonce and permission_path enables HMAC-PERM-001'),
  spec('limited_api_secret', "the limited key's APISecret"),
  spec('limited_nonce', "the limited key's Nonce"),
  spec('ip_restricted_api_key', "without login: a key of user_id whose allowed IPs exclude the kit's address; with ip_restricted_api_secret and ip_restricted_nonce enables HMAC-IP-001"),
  spec('ip_restricted_api_secret', "the IP-restricted key's APISecret"),
  spec('ip_restricted_nonce', "the IP-restricted key's Nonce"),
  spec('resource', 'a call any session may make with POST and the `aptoken` header', '/ap/GetUserInfo'),
  spec('authenticate_path', 'the AuthenticateUser route', '/AuthenticateUser'),
]);

type Values = Readonly<Record<string, string>>;

function misconfigured(message: string): never {
  throw new ConfigurationError('fixtures', `${SCHEME}: ${message}`);
}

function together(values: Values, names: readonly string[], purpose: string): boolean {
  const present = names.filter((name) => values[name] !== undefined);
  if (present.length === 0) return false;
  if (present.length < names.length) misconfigured(`${names.join(', ')} go together (${purpose}); missing ${names.filter((name) => values[name] === undefined).join(', ')}`);
  return true;
}

function path(values: Values, name: string): string {
  const value = values[name] as string;
  if (!value.startsWith('/') || value.startsWith('//') || /[?#\s]/.test(value)) misconfigured(`fixture ${name} must be an absolute path such as /ap/GetUserInfo, got ${JSON.stringify(value)}`);
  return value;
}

/** A random 12-digit decimal: a fresh starting point for `unique` nonces of a hand-made key, so a second run replays none of the first's. */
function randomNonceBase(): string {
  let value = 0;
  for (const byte of randomBytes(6)) value = value * 256 + byte;
  return String(100_000_000_000 + (value % 800_000_000_000));
}

/** Keys made by hand, from the fixtures (servers without the account routes). */
function handMadeKeys(values: Values, unique: boolean): { main: HmacKeyFixture; limited: HmacKeyFixture | null; restricted: HmacKeyFixture | null } {
  const missing = ['api_key', 'api_secret', 'nonce', 'user_id'].filter((name) => values[name] === undefined);
  if (missing.length > 0) misconfigured(`give login and password (the kit creates its own keys), or a key made by hand: missing ${missing.join(', ')}`);
  const key = (prefix: string): HmacKeyFixture => ({
    apiKey: values[`${prefix}api_key`] as string,
    apiSecret: values[`${prefix}api_secret`] as string,
    userId: values['user_id'] as string,
    nonce: unique ? randomNonceBase() : (values[`${prefix}nonce`] as string),
  });
  const limited = together(values, ['limited_api_key', 'limited_api_secret', 'limited_nonce', 'permission_path'], 'the key without the permission');
  const restricted = together(values, ['ip_restricted_api_key', 'ip_restricted_api_secret', 'ip_restricted_nonce'], 'the IP-restricted key');
  return { main: key(''), limited: limited ? key('limited_') : null, restricted: restricted ? key('ip_restricted_') : null };
}

/**
 * Creates the `hmac-signature@2` driver against a live server: provisions keys (or reads them from the fixtures),
 * binds loopback source addresses when it can (capability `remote-address`), offers raw connections
 * (`raw-connection`) and, with provisioning, `revoke` through `RemoveUserAPIKey`. Throws a `ConfigurationError` for
 * fixtures that do not fit together, a `ServerThrottledError` on a 429 while provisioning, and an error saying what
 * the server answered when a provisioning step is refused (removing whatever it had made).
 *
 * @example
 * ```ts
 * const handle = await createHmacHttpDriver(context);
 * try { await runProfile(hmacSignatureV2, handle.driver, { capabilities: handle.capabilities, parameters: context.parameters }); } finally { await handle.cleanup(); }
 * ```
 */
export async function createHmacHttpDriver(context: HttpSchemeContext): Promise<HttpDriverHandle<HmacSignatureDriver>> {
  const values = context.fixtures;
  const resource = path(values, 'resource');
  const authenticatePath = path(values, 'authenticate_path');
  const accountBase = path(values, 'account_base_path').replace(/\/+$/, '');
  const provisioning = together(values, ['login', 'password'], 'the user whose keys the kit creates');
  const permissionPath = values['permission_path'] === undefined ? null : path(values, 'permission_path');
  const allowedIp = values['allowed_ip'] ?? (context.loopback ? DEFAULT_ALLOWED_IP.loopback : DEFAULT_ALLOWED_IP.remote);
  if (normalizeIpAddress(allowedIp) === null) misconfigured(`fixture allowed_ip must be an IPv4 or IPv6 address, got ${JSON.stringify(allowedIp)}`);
  const clientIp = context.loopback ? HMAC_LOOPBACK_CLIENT_IP : null;
  if (clientIp !== null && normalizeIpAddress(allowedIp) === normalizeIpAddress(clientIp)) misconfigured(`fixture allowed_ip must not be ${clientIp}, the address the kit connects from`);
  const ipRestriction = values['ip_restricted_key'] ?? 'create';
  if (ipRestriction !== 'create' && ipRestriction !== 'none') misconfigured(`fixture ip_restricted_key must be 'create' or 'none', got ${JSON.stringify(ipRestriction)}`);
  // Over loopback the kit connects from 127.0.0.1 and, for HMAC-IP-002, from allowed_ip when it can bind it.
  const binds = context.loopback && (values['allowed_ip'] === undefined || isBindableLoopback(allowedIp));
  const sender = context.createSender({ bindSourceAddress: binds });
  const unique = parameterOf(context.parameters, 'nonce_policy') === 'unique';

  let main: HmacKeyFixture;
  let limited: HmacKeyFixture | null = null;
  let restricted: HmacKeyFixture | null = null;
  let account: ApexAccount | null = null;
  let session: ApexWebSession | null = null;
  const created: string[] = [];
  const removed = new Set<string>();
  const cleanup = async (): Promise<void> => {
    try {
      if (account !== null && session !== null) {
        for (const apiKey of created) {
          if (removed.has(apiKey)) continue;
          try {
            await removeKey(account, session, apiKey);
            removed.add(apiKey);
          } catch {
            // Best effort: report nothing secret, leave the rest to the operator.
          }
        }
        await logOut(account, session);
      }
    } finally {
      sender.close();
    }
  };

  const permission = values['permission'];
  if (provisioning) {
    account = { sender, basePath: accountBase, login: values['login'] as string, password: values['password'] as string };
    try {
      session = await webSignIn(account, values['user_id']);
      const signedIn = account;
      const web = session;
      const permissions = permission === undefined ? [] : [permission];
      const make = async (options: Parameters<typeof addKey>[2]): Promise<HmacKeyFixture> => {
        const key = await addKey(signedIn, web, options);
        created.push(key.apiKey);
        return key;
      };
      main = await make({ permissions });
      if (permission !== undefined && permissionPath !== null) limited = await make({ permissions: [] });
      if (ipRestriction === 'create') restricted = await make({ permissions, allowedIps: [allowedIp] });
    } catch (error) {
      await cleanup();
      throw error;
    }
  } else {
    const keys = handMadeKeys(values, unique);
    main = keys.main;
    limited = keys.limited;
    restricted = keys.restricted;
    if (values['allowed_ip'] !== undefined && restricted === null) misconfigured('fixture allowed_ip goes with ip_restricted_api_key, ip_restricted_api_secret and ip_restricted_nonce');
  }

  const otherUserId = values['other_user_id'];
  // A hand-made key allows what its maker chose: only a given allowed_ip is known to be one of its addresses.
  const knownAllowedIp = provisioning ? allowedIp : values['allowed_ip'];
  const ipRestrictedKey: HmacIpRestrictedKeyFixture | null = restricted === null ? null : { ...restricted, ...(knownAllowedIp === undefined ? {} : { allowedIp: knownAllowedIp }) };
  const fixtures: HmacFixtures = Object.freeze({
    ...main,
    ...(otherUserId === undefined ? {} : { otherUserId }),
    ...(ipRestrictedKey === null ? {} : { ipRestrictedKey }),
    ...(limited === null || permissionPath === null ? {} : { limitedKey: limited, permissionPath }),
    resource,
    authenticatePath,
    ...(clientIp === null ? {} : { clientIp }),
  });

  const capabilities = ['raw-connection', ...(binds ? ['remote-address'] : []), ...(provisioning ? ['revoke'] : [])];
  const driver: HmacSignatureDriver = {
    capabilities,
    setup: async () => fixtures,
    send: (request, options) => sender.send(request, options),
    rawConnection: {
      host: context.baseUrl.host,
      basePath: context.baseUrl.pathname.replace(/\/+$/, ''),
      sendRaw: (bytes, options) => sender.sendRaw(bytes, options),
    },
    ...(account === null || session === null
      ? {}
      : {
          revokeKey: async (apiKey: string) => {
            await removeKey(account as ApexAccount, session as ApexWebSession, apiKey);
            removed.add(apiKey);
          },
          issueKey: async () => {
            const key = await addKey(account as ApexAccount, session as ApexWebSession, { permissions: permission === undefined ? [] : [permission] });
            created.push(key.apiKey);
            return key;
          },
        }),
  };
  const fixtureCapabilities = [
    ...(otherUserId === undefined ? [] : ['other-user']),
    ...(ipRestrictedKey === null ? [] : ['ip-restricted-key', ...(ipRestrictedKey.allowedIp === undefined ? [] : ['ip-allowed-address'])]),
    ...(fixtures.limitedKey === undefined ? [] : ['permission']),
  ];
  return { driver, capabilities: [...capabilities, ...fixtureCapabilities], cleanup };
}
