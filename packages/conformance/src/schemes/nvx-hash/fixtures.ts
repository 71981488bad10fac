// What an nvx-hash@2 driver is and the fixtures it makes: per case (the hashes a case works with), and over HTTP
// (the accounts the kit signs in with).
import { generateHexToken } from '@gatehouse/auth-core/crypto';
import { check, show } from '../../check.js';
import type { WireSender } from '../../drivers/wire.js';
import type { HttpFixtureSpec, RawWireSender } from '../../scheme.js';
import { NVX_HASH_PATTERN } from './wire.js';

/**
 * The hashes and routes one `nvx-hash@2` case works with, made fresh for every case by the driver's `setup()`.
 * Every hash is 32 hex characters and all of them differ. The optional hashes turn on the cases that need them
 * (capabilities `sub-user` and `ended-session`). Whether the server takes query hashes is a declared parameter
 * (`query_hash`), not a fixture.
 *
 * @example
 * ```ts
 * const fixtures: NvxFixtures = {
 *   apiKey: 'c915157ac483e7319b0b257408bc04e1',
 *   userSessionHash: '882fb333405d006df0d5a3f410115e92',
 *   panelSessionHash: 'a6aa75587e5c59c32d347da438505fc3',
 *   revokedApiKey: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
 * };
 * ```
 */
export interface NvxFixtures {
  /** A live API key of a master user: valid on every user route, never under `/panel/`. */
  readonly apiKey: string;
  /** A live session hash of the same master user (`user/auth`): valid on the key-management routes. */
  readonly userSessionHash: string;
  /** A live session hash of a sub-user (no API keys). Enables capability `sub-user`. */
  readonly subUserSessionHash?: string;
  /** A live admin panel session hash (`panel/account/auth`): valid only under `/panel/`. */
  readonly panelSessionHash: string;
  /** An API key that existed and was deleted. */
  readonly revokedApiKey: string;
  /** A user session hash ended by `user/logout`. Enables capability `ended-session`. */
  readonly endedSessionHash?: string;
  /** A user route an API key may call with GET and POST. Default `/v2/tracker/list`. */
  readonly resourcePath?: string;
  /** An Admin Panel route; must contain `/panel/`. Default `/v2/panel/tariff/list`. */
  readonly panelResourcePath?: string;
  /** The API's base path: the key-management routes are `<apiBasePath>/api/key/list|create|delete`. Default `/v2`. */
  readonly apiBasePath?: string;
}

/**
 * A raw connection to the server under test (capability `raw-connection`), for the request-framing cases.
 *
 * @example
 * ```ts
 * const raw: NvxRawConnection = { sender, host: '127.0.0.1:3000', pathPrefix: '' };
 * ```
 */
export interface NvxRawConnection {
  /** Writes the raw bytes on a fresh connection. */
  readonly sender: RawWireSender;
  /** The `Host` header the server expects, e.g. `api.example.com`. */
  readonly host: string;
  /** What the base URL puts before every request path (`''` at the root, e.g. `/prefix`). */
  readonly pathPrefix: string;
}

/**
 * The capabilities `nvx-hash@2` cases may require: `sub-user` and `ended-session` follow from each case's
 * fixtures; `store-failure`, `key-routes` (the server answers Navixy's `api/key/create`, `api/key/list` and
 * `api/key/delete`) and `raw-connection` from the driver.
 *
 * @example
 * ```ts
 * const capability: NvxCapability = 'key-routes';
 * ```
 */
export type NvxCapability = 'sub-user' | 'ended-session' | 'store-failure' | 'key-routes' | 'raw-connection';

/**
 * What the `nvx-hash@2` profile drives: something that exchanges Fetch requests for wire replies (a strategy
 * in-process through `nvxInProcessDriver`, or a live server over HTTP), makes fresh fixtures per case, and says
 * what else it can do. Cases build requests on `http://gatehouse.test`; only method, path, query, headers and
 * body count.
 *
 * @example
 * ```ts
 * const driver: NvxHashDriver = nvxInProcessDriver({ strategy, setup });
 * const { apiKey } = await driver.setup();
 * await driver.send(new Request('http://gatehouse.test/v2/tracker/list', { headers: { authorization: `NVX ${apiKey}` } }));
 * ```
 */
export interface NvxHashDriver extends WireSender {
  /** Fresh fixtures for one case; called once at the start of every case. */
  setup(): Promise<NvxFixtures>;
  /** Capabilities beyond those the fixtures imply, e.g. `['store-failure', 'key-routes']`. */
  readonly capabilities: readonly string[];
  /** With capability `store-failure`: a sender to the same scheme whose credential store fails on every lookup. */
  storeFailure?(): Promise<WireSender>;
  /** With capability `raw-connection`: raw bytes to the server. */
  readonly raw?: NvxRawConnection;
}

/** The fixtures of one case, checked, with defaults and a hash no server has issued. */
export interface ResolvedNvxFixtures {
  readonly apiKey: string;
  readonly userSessionHash: string;
  readonly subUserSessionHash: string | null;
  readonly panelSessionHash: string;
  readonly revokedApiKey: string;
  readonly endedSessionHash: string | null;
  readonly resourcePath: string;
  readonly panelResourcePath: string;
  readonly apiBasePath: string;
  /** `<apiBasePath>/api/key/list`: a key-management route that takes a master user's session hash. */
  readonly keyManagementPath: string;
  /** Made by the kit: a well-formed hash no server has issued. */
  readonly unknownHash: string;
}

const HASH_FIELDS = ['apiKey', 'userSessionHash', 'panelSessionHash', 'revokedApiKey'] as const;
const OPTIONAL_HASH_FIELDS = ['subUserSessionHash', 'endedSessionHash'] as const;
const PATH_FIELDS = [
  ['resourcePath', '/v2/tracker/list'],
  ['panelResourcePath', '/v2/panel/tariff/list'],
  ['apiBasePath', '/v2'],
] as const;

/** Checks what `setup()` returned; a bad fixture fails the case naming it, never repeating its value. */
export function resolveNvxFixtures(raw: unknown): ResolvedNvxFixtures {
  check(typeof raw === 'object' && raw !== null, () => `setup() resolved to ${show(raw)}, expected NvxFixtures`);
  const fixtures = raw as Record<string, unknown>;
  const hashes: string[] = [];
  const hashOf = (field: string, optional: boolean): string | null => {
    const value = fixtures[field];
    if (value === undefined && optional) return null;
    check(typeof value === 'string' && NVX_HASH_PATTERN.test(value), () => `setup(): fixture ${field} must be 32 hex characters, got ${typeof value === 'string' ? `a string of ${value.length} characters` : show(value)}`);
    check(!hashes.includes(value.toLowerCase()), () => `setup(): fixture ${field} repeats another fixture's hash; every hash must be distinct`);
    hashes.push(value.toLowerCase());
    return value;
  };
  const required = Object.fromEntries(HASH_FIELDS.map((field) => [field, hashOf(field, false) as string])) as Record<(typeof HASH_FIELDS)[number], string>;
  const optional = Object.fromEntries(OPTIONAL_HASH_FIELDS.map((field) => [field, hashOf(field, true)])) as Record<(typeof OPTIONAL_HASH_FIELDS)[number], string | null>;
  const paths = Object.fromEntries(
    PATH_FIELDS.map(([field, fallback]) => {
      const value = fixtures[field] ?? fallback;
      check(typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !/[?#\s]/.test(value), () => `setup(): fixture ${field} must be an absolute path such as ${fallback}, got ${show(value)}`);
      return [field, field === 'apiBasePath' ? value.replace(/\/+$/, '') : value];
    }),
  ) as Record<(typeof PATH_FIELDS)[number][0], string>;
  check(paths.panelResourcePath.toLowerCase().includes('/panel/'), () => `setup(): fixture panelResourcePath must contain /panel/, got ${show(paths.panelResourcePath)}`);
  let unknownHash = generateHexToken(16);
  while (hashes.includes(unknownHash)) unknownHash = generateHexToken(16);
  return { ...required, ...optional, ...paths, keyManagementPath: `${paths.apiBasePath}/api/key/list`, unknownHash };
}

/** The capabilities a case's fixtures imply. */
export function nvxFixtureCapabilities(fixtures: ResolvedNvxFixtures): NvxCapability[] {
  const capabilities: NvxCapability[] = [];
  if (fixtures.subUserSessionHash !== null) capabilities.push('sub-user');
  if (fixtures.endedSessionHash !== null) capabilities.push('ended-session');
  return capabilities;
}

const spec = (name: string, required: boolean, description: string, fallback?: string): HttpFixtureSpec =>
  Object.freeze(fallback === undefined ? { name, required, description } : { name, required, default: fallback, description });

/**
 * The fixtures `nvx-hash@2` takes over HTTP (`--set name=value`). The kit signs in with them, makes its own API keys,
 * a deleted key and an ended session, and removes what it made when the run is over.
 *
 * @example
 * ```ts
 * NVX_HTTP_FIXTURES.filter((one) => one.required).map((one) => one.name); // ['login', 'password', 'panel_login', 'panel_password']
 * ```
 */
export const NVX_HTTP_FIXTURES: readonly HttpFixtureSpec[] = Object.freeze([
  spec('login', true, "the master user's login; the kit signs in with it (`<base_path>/user/auth`), creates its own API keys (`api/key/create`), deletes them and signs out when done"),
  spec('password', true, "the master user's password"),
  spec('panel_login', true, "an admin panel account's login (`<base_path>/panel/account/auth`), for the panel session hash"),
  spec('panel_password', true, "the admin panel account's password"),
  spec('sub_login', false, "a sub-user's login (`<base_path>/user/auth`); with sub_password enables the sub-user cases (NVX-KIND-007, NVX-KEYS-003)"),
  spec('sub_password', false, "the sub-user's password"),
  spec('resource', false, 'a user route an API key may call (GET and POST); default `<base_path>/tracker/list`', '/v2/tracker/list'),
  spec('panel_resource', false, 'an admin panel route (must contain `/panel/`); default `<base_path>/panel/tariff/list`', '/v2/panel/tariff/list'),
  spec('base_path', false, 'the API base path: the account routes (user/auth, api/key/create, api/key/list, api/key/delete, user/logout, panel/account/auth) live under it', '/v2'),
]);
