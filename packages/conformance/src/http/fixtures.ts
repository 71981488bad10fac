// The fixtures each scheme profile takes over HTTP: documented once here, for createHttpDriver, the CLI's
// `--set` validation and its help.
import { ConfigurationError } from '@gatehouse/auth-core';

/**
 * The versioned ids of the profiles that run against a live server over HTTP.
 *
 * @example
 * ```ts
 * const id: SchemeProfileId = 'nvx-hash@1';
 * ```
 */
export type SchemeProfileId = 'nvx-hash@1' | 'access-hash-cookie@1' | 'hmac-signature@1';

/**
 * One fixture an HTTP driver takes: its name (as in `--set name=value`), whether it must be given, its default
 * and what it is.
 *
 * @example
 * ```ts
 * const spec: HttpFixtureSpec = { name: 'login', required: true, description: "the master user's login" };
 * ```
 */
export interface HttpFixtureSpec {
  readonly name: string;
  /** Whether the run cannot start without it. A fixture with a default is never required. */
  readonly required: boolean;
  /** The value used when the fixture is not given. */
  readonly default?: string;
  readonly description: string;
}

const spec = (name: string, required: boolean, description: string, fallback?: string): HttpFixtureSpec =>
  Object.freeze(fallback === undefined ? { name, required, description } : { name, required, default: fallback, description });

/**
 * The fixtures of every scheme profile's HTTP driver, keyed by profile id, in the order a help text shows them.
 * Values are strings; a fixture with a `default` may be left out, a `required` one may not.
 *
 * @example
 * ```ts
 * import { HTTP_FIXTURES } from '@gatehouse/conformance/http';
 * for (const { name, required, description } of HTTP_FIXTURES['nvx-hash@1']) console.log(name, required, description);
 * ```
 */
export const HTTP_FIXTURES: Readonly<Record<SchemeProfileId, readonly HttpFixtureSpec[]>> = Object.freeze({
  'nvx-hash@1': Object.freeze([
    spec('login', true, "the master user's login; the kit signs in with it (`<base_path>/user/auth`), creates its own API keys (`api/key/create`) and deletes them and signs out when done"),
    spec('password', true, "the master user's password"),
    spec('panel_login', true, "an admin panel account's login (`<base_path>/panel/account/auth`), for the panel session hash"),
    spec('panel_password', true, "the admin panel account's password"),
    spec('sub_login', false, "a sub-user's login (`<base_path>/user/auth`); with sub_password enables the sub-user case (NVX-KIND-007)"),
    spec('sub_password', false, "the sub-user's password"),
    spec('resource', false, 'a user route an API key may call (GET and POST); default `<base_path>/tracker/list`', '/v2/tracker/list'),
    spec('panel_resource', false, 'an admin panel route (must contain `/panel/`); default `<base_path>/panel/tariff/list`', '/v2/panel/tariff/list'),
    spec('base_path', false, 'the API base path: the account routes (user/auth, api/key/create, api/key/list, api/key/delete, user/logout, panel/account/auth) live under it', '/v2'),
    spec('query_hash', false, "whether the server accepts `?hash=` ('enabled') or refuses it with code 11 ('disabled', the secure default)", 'disabled'),
  ]),
  'access-hash-cookie@1': Object.freeze([
    spec('access_hash', true, 'a live access hash (80 lower-case hex characters) bound to client_ip, the address the server sees the kit connect from'),
    spec('foreign_access_hash', true, 'another live access hash, bound to foreign_ip'),
    spec('client_ip', false, 'the address the server sees the kit connect from; with a loopback base URL and loopback client_ip and foreign_ip the kit binds them itself (capability remote-address)', '127.0.0.1'),
    spec('foreign_ip', false, 'the address foreign_access_hash is bound to; never client_ip', '127.0.0.2'),
    spec('revoked_access_hash', false, 'an access hash that was live and has been deleted; enables AHC-HASH-003 and widens AHC-LEAK-001'),
    spec('resource', false, 'a route an access hash authenticates with GET', '/api/v1/system/status'),
    spec('cookie_name', false, 'the cookie carrying the hash', 'access_hash'),
    spec('trusted_proxies', false, "the server's trusted proxies: 'none' (the client IP is the socket address, X-Forwarded-For is never read) or 'configured'", 'none'),
  ]),
  'hmac-signature@1': Object.freeze([
    spec('api_key', true, 'a live APIKey, shown once at creation'),
    spec('api_secret', true, "that key's APISecret (the HMAC key)"),
    spec('nonce', true, "that key's Nonce as shown at creation; under 'increasing' the kit counts up from it (a key's counter only goes up: give a larger nonce or a fresh key for another run)"),
    spec('user_id', true, 'the UserId the key belongs to (also of the limited and IP-restricted keys)'),
    spec('nonce_policy', true, "how the server checks nonces: 'issued' (only the nonce shown at creation, replayable), 'increasing' or 'unique'"),
    spec('resource', false, 'a call any session may make with POST and the `aptoken` header', '/ap/GetUserInfo'),
    spec('authenticate_path', false, 'the AuthenticateUser route', '/AuthenticateUser'),
    spec('other_user_id', false, 'another real user, who does not own api_key'),
    spec('limited_api_key', false, 'a key of user_id without the permission permission_path needs; with limited_api_secret, limited_nonce and permission_path enables HMAC-PERM-001'),
    spec('limited_api_secret', false, "the limited key's APISecret"),
    spec('limited_nonce', false, "the limited key's Nonce"),
    spec('permission_path', false, 'a call that needs a permission api_key has and limited_api_key lacks, e.g. /ap/SendOrder'),
    spec('ip_restricted_api_key', false, "a key of user_id whose allowed IPs exclude the kit's address; with ip_restricted_api_secret and ip_restricted_nonce enables HMAC-IP-001"),
    spec('ip_restricted_api_secret', false, "the IP-restricted key's APISecret"),
    spec('ip_restricted_nonce', false, "the IP-restricted key's Nonce"),
    spec('allowed_ip', false, 'an address the IP-restricted key allows (not the kit\'s); enables HMAC-IP-003, and HMAC-IP-002 when it is a loopback address and the base URL is loopback'),
  ]),
});

/** The fixtures of one profile with defaults filled in; names not given and without a default are absent. */
export type ResolvedFixtureValues = Readonly<Record<string, string>>;

/** Checks fixture names and presence against {@link HTTP_FIXTURES}, and fills in defaults. Never repeats a value. */
export function resolveFixtureValues(profileId: SchemeProfileId, fixtures: unknown): ResolvedFixtureValues {
  if (fixtures === null || typeof fixtures !== 'object' || Array.isArray(fixtures)) {
    throw new ConfigurationError('fixtures', 'must be an object of fixture names to string values');
  }
  const specs = HTTP_FIXTURES[profileId];
  const known = new Set(specs.map((one) => one.name));
  const given = fixtures as Record<string, unknown>;
  const unknown = Object.keys(given).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      'fixtures',
      `${profileId} has no fixture${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => JSON.stringify(name)).join(', ')}; valid fixtures: ${specs.map((one) => one.name).join(', ')}`,
    );
  }
  const notText = Object.keys(given).filter((name) => given[name] !== undefined && typeof given[name] !== 'string');
  if (notText.length > 0) throw new ConfigurationError('fixtures', `fixture values must be strings: ${notText.join(', ')}`);
  const values: Record<string, string> = {};
  for (const one of specs) {
    const value = given[one.name] as string | undefined;
    if (value !== undefined && value !== '') values[one.name] = value;
    else if (one.default !== undefined) values[one.name] = one.default;
  }
  const missing = specs.filter((one) => one.required && values[one.name] === undefined);
  if (missing.length > 0) {
    throw new ConfigurationError(
      'fixtures',
      `${profileId} over HTTP needs the fixture${missing.length > 1 ? 's' : ''} ${missing.map((one) => one.name).join(', ')} (${missing.map((one) => `${one.name}: ${one.description}`).join('; ')})`,
    );
  }
  return Object.freeze(values);
}

/** Fails unless all or none of `names` are given. */
export function requireTogether(profileId: SchemeProfileId, values: ResolvedFixtureValues, names: readonly string[], purpose: string): boolean {
  const present = names.filter((name) => values[name] !== undefined);
  if (present.length === 0) return false;
  if (present.length < names.length) {
    const absent = names.filter((name) => values[name] === undefined);
    throw new ConfigurationError('fixtures', `${profileId}: ${names.join(', ')} go together (${purpose}); missing ${absent.join(', ')}`);
  }
  return true;
}

/** Fails unless a fixture is one of `allowed`. */
export function requireOneOf<T extends string>(profileId: SchemeProfileId, values: ResolvedFixtureValues, name: string, allowed: readonly T[]): T {
  const value = values[name];
  if (!allowed.includes(value as T)) {
    throw new ConfigurationError('fixtures', `${profileId}: fixture ${name} must be ${allowed.map((one) => `'${one}'`).join(' or ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** Fails unless a fixture is an absolute path (starting with one `/`, without a query). */
export function requirePath(profileId: SchemeProfileId, values: ResolvedFixtureValues, name: string): string {
  const value = values[name] as string;
  if (!value.startsWith('/') || value.startsWith('//') || /[?#\s]/.test(value)) {
    throw new ConfigurationError('fixtures', `${profileId}: fixture ${name} must be an absolute path such as /v2/tracker/list, got ${JSON.stringify(value)}`);
  }
  return value;
}
