import { generateHexToken } from '@gatehouse/auth-core/crypto';
import type { ConformanceCase, ConformanceProfile } from '../case.js';
import { check, deepEqual, fail, show } from '../check.js';
import type { WireSender } from '../drivers/wire.js';
import {
  claimsSuccess,
  describeReply,
  exchange,
  failureBody,
  isSuccess,
  NVX_HASH_PATTERN,
  NVX_WIRE_STATUS,
  presentedHexRuns,
  redactSecrets,
  replyText,
  targetOf,
  type Exchange,
  type HeaderList,
  type NamedSecret,
  type NvxRequestSpec,
  type NvxWireCode,
} from './nvx-wire.js';
import { AUTH_CORE_SECURITY, NAVIXY_AUTHENTICATION, NAVIXY_ERRORS, NAVIXY_HASH_KINDS } from './sources.js';
import { guardingPrototypes } from './strategy-contract.js';
import { storeFailureSender, wireCaseFactory } from './wire-case.js';

/**
 * The hashes and routes one `nvx-hash@1` case works with, made fresh for every case by the driver's `setup()`.
 * Every hash is 32 hex characters and all of them differ. The optional members turn on the cases that need
 * them (capabilities `sub-user` and `ended-session`); `queryHash` says whether the server accepts `?hash=`
 * (capability `query-hash`) or refuses it (capability `query-hash-refused`).
 *
 * @example
 * ```ts
 * const fixtures: NvxFixtures = {
 *   apiKey: 'c915157ac483e7319b0b257408bc04e1',
 *   userSessionHash: '882fb333405d006df0d5a3f410115e92',
 *   panelSessionHash: 'a6aa75587e5c59c32d347da438505fc3',
 *   revokedApiKey: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
 *   queryHash: 'disabled',
 * };
 * ```
 */
export interface NvxFixtures {
  /** A live API key of a master user: valid on every user route, never under `/panel/`. */
  readonly apiKey: string;
  /** A live session hash of a master user (`user/auth`): valid on the key-management routes only. */
  readonly userSessionHash: string;
  /** A live session hash of a sub-user (no API keys). Enables capability `sub-user`. */
  readonly subUserSessionHash?: string;
  /** A live admin panel session hash (`panel/account/auth`): valid only under `/panel/`. */
  readonly panelSessionHash: string;
  /** An API key that existed and was deleted. */
  readonly revokedApiKey: string;
  /** A user session hash ended by `user/logout`. Enables capability `ended-session`. */
  readonly endedSessionHash?: string;
  /** A user route an API key may call. Default `/v2/tracker/list`. */
  readonly resourcePath?: string;
  /** An Admin Panel route; must contain `/panel/`. Default `/v2/panel/tariff/list`. */
  readonly panelResourcePath?: string;
  /** A key-management route that accepts a master user's session hash. Default `/v2/api/key/list`. */
  readonly keyManagementPath?: string;
  /** Whether `?hash=` is accepted (`enabled`) or refused with code 11 (`disabled`, the secure default). */
  readonly queryHash: 'enabled' | 'disabled';
}

/**
 * The capabilities `nvx-hash@1` cases may require. `query-hash`, `query-hash-refused`, `sub-user` and
 * `ended-session` follow from the fixtures of each case; `store-failure` from the driver.
 *
 * @example
 * ```ts
 * const capability: NvxCapability = 'store-failure';
 * ```
 */
export type NvxCapability = 'query-hash' | 'query-hash-refused' | 'sub-user' | 'ended-session' | 'store-failure';

/**
 * What the `nvx-hash@1` profile drives: something that exchanges Fetch requests for wire replies (a strategy
 * in-process through {@link nvxInProcessDriver}, or a live server over HTTP), makes fresh fixtures per case,
 * and says what else it can do. Cases build requests on `http://gatehouse.test`; only method, path, query,
 * headers and body count.
 *
 * @example
 * ```ts
 * const driver: NvxHashDriver = nvxInProcessDriver({ strategy, setup });
 * const fixtures = await driver.setup();
 * const reply = await driver.send(new Request('http://gatehouse.test/v2/tracker/list', { headers: { authorization: `NVX ${fixtures.apiKey}` } }));
 * // { status: 200, body: { success: true } }
 * ```
 */
export interface NvxHashDriver extends WireSender {
  /** Fresh fixtures for one case; called once at the start of every case. */
  setup(): Promise<NvxFixtures>;
  /** Capabilities beyond those the fixtures imply, e.g. `['store-failure']`. */
  readonly capabilities: readonly string[];
  /**
   * With capability `store-failure`: a sender to the same scheme whose credential store fails on every lookup
   * (down, timing out). Called once per case that needs it.
   */
  storeFailure?(): Promise<WireSender>;
}

const REF_OBTAINING = `${NAVIXY_AUTHENTICATION} (obtaining a session hash and an API key hash)`;
const REF_USING = `${NAVIXY_AUTHENTICATION} (sending the hash: Authorization header, body, query)`;
const REF_KEYS = `${NAVIXY_AUTHENTICATION} (API keys compared with session hashes)`;
const REF_KINDS = NAVIXY_HASH_KINDS;
const REF_SCHEME = `${NAVIXY_AUTHENTICATION}, as nvx-hash@1 reads it`;
const REF_CODES = NAVIXY_ERRORS;
const REF_SECURITY = AUTH_CORE_SECURITY;

const FIXTURE_CAPABILITIES: readonly NvxCapability[] = ['query-hash', 'query-hash-refused', 'sub-user', 'ended-session'];

const MIB = 1024 * 1024;

interface ResolvedNvxFixtures {
  readonly apiKey: string;
  readonly userSessionHash: string;
  readonly subUserSessionHash: string | null;
  readonly panelSessionHash: string;
  readonly revokedApiKey: string;
  readonly endedSessionHash: string | null;
  readonly resourcePath: string;
  readonly panelResourcePath: string;
  readonly keyManagementPath: string;
  readonly queryHash: 'enabled' | 'disabled';
  /** Made by the kit: a well-formed hash no server has issued. */
  readonly unknownHash: string;
}

const HASH_FIELDS = ['apiKey', 'userSessionHash', 'panelSessionHash', 'revokedApiKey'] as const;
const OPTIONAL_HASH_FIELDS = ['subUserSessionHash', 'endedSessionHash'] as const;
const PATH_FIELDS = [
  ['resourcePath', '/v2/tracker/list'],
  ['panelResourcePath', '/v2/panel/tariff/list'],
  ['keyManagementPath', '/v2/api/key/list'],
] as const;

function resolveFixtures(raw: unknown): ResolvedNvxFixtures {
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
      check(typeof value === 'string' && value.startsWith('/') && !value.startsWith('//'), () => `setup(): fixture ${field} must be an absolute path such as ${fallback}, got ${show(value)}`);
      return [field, value];
    }),
  ) as Record<(typeof PATH_FIELDS)[number][0], string>;
  check(paths.panelResourcePath.toLowerCase().includes('/panel/'), () => `setup(): fixture panelResourcePath must contain /panel/, got ${show(paths.panelResourcePath)}`);
  const queryHash = fixtures['queryHash'];
  check(queryHash === 'enabled' || queryHash === 'disabled', () => `setup(): fixture queryHash must be 'enabled' or 'disabled', got ${show(queryHash)}`);
  let unknownHash = generateHexToken(16);
  while (hashes.includes(unknownHash)) unknownHash = generateHexToken(16);
  return { ...required, ...optional, ...paths, queryHash, unknownHash };
}

function fixtureCapabilities(fixtures: ResolvedNvxFixtures): NvxCapability[] {
  const capabilities: NvxCapability[] = [fixtures.queryHash === 'enabled' ? 'query-hash' : 'query-hash-refused'];
  if (fixtures.subUserSessionHash !== null) capabilities.push('sub-user');
  if (fixtures.endedSessionHash !== null) capabilities.push('ended-session');
  return capabilities;
}

const authorization = (value: string): HeaderList => [['authorization', value]];
const nvx = (hash: string): HeaderList => authorization(`NVX ${hash}`);

/** Alters the last hex digit of a hash, keeping it hex. */
function otherHash(hash: string): string {
  const last = hash.charAt(hash.length - 1).toLowerCase();
  return hash.slice(0, -1) + (last === 'f' ? '0' : (parseInt(last, 16) + 1).toString(16));
}

/** Labels a request without repeating a hash or a megabyte. */
function labelOf(spec: NvxRequestSpec): string {
  const clip = (text: string): string => (text.length > 90 ? `${text.slice(0, 70)}…(${text.length} chars)` : text);
  const parts = [`${spec.method ?? (spec.json !== undefined || spec.form !== undefined ? 'POST' : 'GET')} ${clip(targetOf(spec))}`];
  for (const [name, value] of spec.headers ?? []) parts.push(`${name}: ${show(clip(value))}`);
  if (spec.json !== undefined) parts.push(`JSON body ${clip(typeof spec.json === 'string' ? spec.json : JSON.stringify(spec.json))}`);
  if (spec.form !== undefined) parts.push(`form body ${show(clip(spec.form))}`);
  return parts.join(', ');
}

/** What a case works with: the driver, its fresh fixtures, and assertions stated on the wire. */
class NvxCaseContext {
  readonly secrets: readonly NamedSecret[];

  constructor(
    readonly driver: NvxHashDriver,
    readonly fx: ResolvedNvxFixtures,
  ) {
    const secrets: NamedSecret[] = [];
    for (const name of ['apiKey', 'userSessionHash', 'subUserSessionHash', 'panelSessionHash', 'revokedApiKey', 'endedSessionHash', 'unknownHash'] as const) {
      const value = fx[name];
      if (value !== null) secrets.push({ name, value });
    }
    this.secrets = secrets;
  }

  readonly redact = (text: string): string => redactSecrets(text, this.secrets);

  /** Sends one request; a failure reply that repeats any hash fails the case wherever it happens. */
  async send(spec: NvxRequestSpec, sender: WireSender = this.driver): Promise<Exchange> {
    const sent = await exchange(sender, this.redact(labelOf(spec)), spec, this.redact);
    if (!isSuccess(sent.reply)) {
      const text = replyText(sent.reply.body).toLowerCase();
      const presented = presentedHexRuns(spec);
      const leaked =
        this.secrets.find((secret) => text.includes(secret.value.toLowerCase()))?.name ??
        (presented.some((run) => text.includes(run)) ? 'a hash the request carried' : undefined);
      check(leaked === undefined, () => `${sent.label}: the failure reply repeats ${leaked} (${describeReply(sent.reply, this.redact)})`);
    }
    return sent;
  }

  expectSuccess(sent: Exchange): void {
    check(isSuccess(sent.reply), () => `${sent.label}: expected HTTP 200 with "success": true, got ${describeReply(sent.reply, this.redact)}`);
  }

  expectNotSuccess(sent: Exchange): void {
    check(!claimsSuccess(sent.reply), () => `${sent.label}: expected a refusal, got ${describeReply(sent.reply, this.redact)}`);
  }

  /** Navixy's failure envelope with this code, its HTTP status and its description; extra fields allowed. */
  expectFailure(sent: Exchange, code: NvxWireCode): void {
    const { httpStatus, description } = NVX_WIRE_STATUS[code];
    const body = sent.reply.body as { success?: unknown; status?: { code?: unknown; description?: unknown } } | null;
    const ok =
      sent.reply.status === httpStatus &&
      typeof body === 'object' &&
      body !== null &&
      body.success === false &&
      typeof body.status === 'object' &&
      body.status !== null &&
      body.status.code === code &&
      body.status.description === description;
    check(ok, () => `${sent.label}: expected HTTP ${httpStatus} ${show(failureBody(code))}, got ${describeReply(sent.reply, this.redact)}`);
  }

  async expectAll(code: NvxWireCode | 'success', specs: readonly NvxRequestSpec[], sender?: WireSender): Promise<void> {
    for (const spec of specs) {
      const sent = await this.send(spec, sender);
      if (code === 'success') this.expectSuccess(sent);
      else this.expectFailure(sent, code);
    }
  }
}

type Case = ConformanceCase<NvxHashDriver>;

const nvxCase = wireCaseFactory<NvxHashDriver, ReturnType<typeof resolveFixtures>, NvxCaseContext, NvxCapability>(
  resolveFixtures,
  fixtureCapabilities,
  (driver, fixtures) => new NvxCaseContext(driver, fixtures),
);


/** The panel route with its `/panel/` segment disguised in ways a lenient router may still route. */
function panelLookAlikes(panelPath: string): string[] {
  const at = panelPath.toLowerCase().indexOf('/panel/');
  const before = panelPath.slice(0, at);
  const after = panelPath.slice(at + '/panel/'.length);
  return [`${before}//panel/${after}`, `${before}/PANEL/${after}`, `${before}/%70anel/${after}`, `${before}/Panel/${after}/`];
}

const cases: readonly Case[] = [
  // ---- Authorization header (Navixy "Authentication": "Authorization: NVX your_api_key_hash", preferable) ----
  nvxCase('NVX-HDR-001', 'MUST', REF_USING, '`Authorization: NVX <api key>` on a user route is accepted: HTTP 200 with "success": true', async (c) => {
    await c.expectAll('success', [{ path: c.fx.resourcePath, headers: nvx(c.fx.apiKey) }]);
  }),
  nvxCase('NVX-HDR-002', 'MUST', REF_SCHEME, 'the scheme is case-insensitive: `nvx`, `Nvx` and `nVX` are accepted', async (c) => {
    await c.expectAll(
      'success',
      ['nvx', 'Nvx', 'nVX'].map((scheme) => ({ path: c.fx.resourcePath, headers: authorization(`${scheme} ${c.fx.apiKey}`) })),
    );
  }),
  nvxCase('NVX-HDR-003', 'MUST', REF_SCHEME, 'a hash is hex in either case: the API key in upper case and in mixed case is accepted', async (c) => {
    const key = c.fx.apiKey.toLowerCase();
    const mixed = [...key].map((ch, index) => (index % 2 === 0 ? ch.toUpperCase() : ch)).join('');
    await c.expectAll('success', [
      { path: c.fx.resourcePath, headers: nvx(key.toUpperCase()) },
      { path: c.fx.resourcePath, headers: nvx(mixed) },
      { path: c.fx.resourcePath, json: { hash: key.toUpperCase() } },
    ]);
  }),
  nvxCase('NVX-HDR-004', 'MUST', REF_SCHEME, 'extra spaces or a tab between the scheme and the hash are tolerated', async (c) => {
    await c.expectAll(
      'success',
      ['NVX  ', 'NVX\t', 'NVX \t ', `NVX${' '.repeat(8)}`].map((prefix) => ({ path: c.fx.resourcePath, headers: authorization(prefix + c.fx.apiKey) })),
    );
  }),
  nvxCase('NVX-HDR-005', 'MUST', REF_SCHEME, 'whitespace around the header value is tolerated', async (c) => {
    await c.expectAll(
      'success',
      [` NVX ${c.fx.apiKey}`, `NVX ${c.fx.apiKey} `, `\tNVX ${c.fx.apiKey}\t `].map((value) => ({ path: c.fx.resourcePath, headers: authorization(value) })),
    );
  }),
  nvxCase('NVX-HDR-006', 'MUST', REF_SCHEME, 'anything after the hash (a word, a comma, a second hash, a parameter) is code 3 "Wrong hash"', async (c) => {
    const key = c.fx.apiKey;
    await c.expectAll(
      3,
      [`NVX ${key} extra`, `NVX ${key},`, `NVX ${key} ${key}`, `NVX ${key};realm=x`, `NVX ${key}, Bearer x`, `NVX ${key}"`].map((value) => ({
        path: c.fx.resourcePath,
        headers: authorization(value),
      })),
    );
  }),
  nvxCase(
    'NVX-HDR-007',
    'MUST',
    REF_USING,
    'another scheme (`Bearer`, `Basic`, `Token`, `NVX2`, `NVX` glued to the hash) is not NVX: with no other source the hash is missing, code 3',
    async (c) => {
      const key = c.fx.apiKey;
      await c.expectAll(
        3,
        [`Bearer ${key}`, `Basic ${btoa(`${key}:`)}`, `Token ${key}`, `NVX2 ${key}`, `NVX${key}`, `NVX:${key}`, `X-NVX ${key}`, key].map((value) => ({
          path: c.fx.resourcePath,
          headers: authorization(value),
        })),
      );
    },
  ),
  nvxCase('NVX-HDR-008', 'MUST', REF_OBTAINING, '`Authorization: NVX` without a hash, and an empty Authorization, are code 3', async (c) => {
    await c.expectAll(
      3,
      ['NVX', 'NVX ', 'nvx\t', ''].map((value) => ({ path: c.fx.resourcePath, headers: authorization(value) })),
    );
  }),
  nvxCase(
    'NVX-HDR-009',
    'MUST',
    REF_SCHEME,
    'two Authorization header fields (the same hash twice, two different hashes, NVX beside Bearer) are code 3',
    async (c) => {
      const { apiKey, unknownHash } = c.fx;
      const pairs: [string, string][] = [
        [`NVX ${apiKey}`, `NVX ${apiKey}`],
        [`NVX ${apiKey}`, `NVX ${unknownHash}`],
        [`NVX ${unknownHash}`, `NVX ${apiKey}`],
        ['Bearer abc.def.ghi', `NVX ${apiKey}`],
        [`NVX ${apiKey}`, 'Bearer abc.def.ghi'],
      ];
      await c.expectAll(
        3,
        pairs.map(([first, second]) => ({ path: c.fx.resourcePath, headers: [['authorization', first], ['authorization', second]] as const })),
      );
    },
  ),
  nvxCase('NVX-HDR-010', 'MUST', REF_USING, 'the header works on a POST whose JSON body has no `hash` (as in Navixy\'s "HTTP POST Example with JSON")', async (c) => {
    await c.expectAll('success', [{ path: c.fx.resourcePath, headers: nvx(c.fx.apiKey), json: { param1: 'value1' } }]);
  }),

  // ---- What a hash is ----
  nvxCase('NVX-HASH-001', 'MUST', REF_OBTAINING, 'a request with no hash anywhere is code 3 "Wrong hash" (HTTP 400)', async (c) => {
    await c.expectAll(3, [
      { path: c.fx.resourcePath },
      { path: c.fx.resourcePath, json: { param1: 'value1' } },
      { path: c.fx.resourcePath, form: 'param1=value1' },
      { path: c.fx.keyManagementPath },
      { path: c.fx.panelResourcePath },
    ]);
  }),
  nvxCase('NVX-HASH-002', 'MUST', REF_SECURITY, 'a hash of 31, 33, 63 or 64 characters is code 3, never truncated or padded into a valid one', async (c) => {
    const key = c.fx.apiKey;
    const values = [key.slice(0, 31), key.slice(1), `${key}0`, `0${key}`, key + key.slice(0, 31), key + key];
    await c.expectAll(3, [
      ...values.map((value) => ({ path: c.fx.resourcePath, headers: nvx(value) })),
      ...values.map((value) => ({ path: c.fx.resourcePath, json: { hash: value } })),
      { path: c.fx.resourcePath, form: `hash=${key}0` },
    ]);
  }),
  nvxCase('NVX-HASH-003', 'MUST', REF_SCHEME, '32 characters that are not all hex (g, x, -, é, +) are code 3', async (c) => {
    const key = c.fx.apiKey;
    const values = [`${key.slice(0, 31)}g`, `0x${key.slice(2)}`, `${key.slice(0, 16)}-${key.slice(17)}`, `${key.slice(0, 31)}\u00e9`, `${key.slice(0, 31)}+`];
    await c.expectAll(3, [
      ...values.map((value) => ({ path: c.fx.resourcePath, headers: nvx(value) })),
      ...values.map((value) => ({ path: c.fx.resourcePath, json: { hash: value } })),
    ]);
  }),
  nvxCase(
    'NVX-HASH-004',
    'MUST',
    REF_SECURITY,
    'a 1 MiB hash value is code 3 (or refused by the HTTP layer with 413/431), never truncated to its valid first 32 characters',
    async (c) => {
      const sent = await c.send({ path: c.fx.resourcePath, headers: nvx(c.fx.apiKey + 'a'.repeat(MIB)) });
      if ((sent.reply.status === 413 || sent.reply.status === 431) && !claimsSuccess(sent.reply)) return;
      c.expectFailure(sent, 3);
    },
  ),
  nvxCase(
    'NVX-HASH-005',
    'MUST',
    REF_SECURITY,
    'an unknown, well-formed hash is code 3 "Wrong hash" (not code 4, which would tell unknown hashes from malformed ones)',
    async (c) => {
      await c.expectAll(3, [
        { path: c.fx.resourcePath, headers: nvx(c.fx.unknownHash) },
        { path: c.fx.resourcePath, headers: nvx(otherHash(c.fx.apiKey)) },
        { path: c.fx.resourcePath, json: { hash: c.fx.unknownHash } },
        { path: c.fx.keyManagementPath, headers: nvx(c.fx.unknownHash) },
        { path: c.fx.panelResourcePath, headers: nvx(c.fx.unknownHash) },
      ]);
    },
  ),
  nvxCase('NVX-HASH-006', 'MUST', REF_KEYS, 'a deleted (revoked) API key is code 3, in the header and in the body', async (c) => {
    await c.expectAll(3, [
      { path: c.fx.resourcePath, headers: nvx(c.fx.revokedApiKey) },
      { path: c.fx.resourcePath, json: { hash: c.fx.revokedApiKey } },
    ]);
  }),
  nvxCase(
    'NVX-HASH-007',
    'MUST',
    `${REF_CODES}; ${REF_SCHEME}`,
    'a user session hash ended by logout is code 3, also on the key-management route',
    async (c) => {
      const ended = c.fx.endedSessionHash as string;
      await c.expectAll(3, [
        { path: c.fx.keyManagementPath, headers: nvx(ended) },
        { path: c.fx.resourcePath, headers: nvx(ended) },
      ]);
    },
    ['ended-session'],
  ),

  // ---- The body field `hash` ----
  nvxCase('NVX-BODY-001', 'MUST', REF_USING, 'the JSON body field `hash` (`{"hash":…,"param1":"value1"}`) is accepted', async (c) => {
    await c.expectAll('success', [
      { path: c.fx.resourcePath, json: { hash: c.fx.apiKey, param1: 'value1' } },
      { path: c.fx.resourcePath, json: { param1: 'value1', hash: c.fx.apiKey } },
    ]);
  }),
  nvxCase('NVX-BODY-002', 'MUST', REF_SCHEME, 'the urlencoded body field `hash` is accepted', async (c) => {
    await c.expectAll('success', [
      { path: c.fx.resourcePath, form: `hash=${c.fx.apiKey}&param1=value1` },
      { path: c.fx.resourcePath, form: `param1=value1&hash=${c.fx.apiKey}` },
    ]);
  }),
  nvxCase(
    'NVX-BODY-003',
    'MUST',
    REF_SCHEME,
    'a JSON `hash` that is a number, an object, an array, a boolean or null is code 3, alone or beside a valid header',
    async (c) => {
      const key = c.fx.apiKey;
      const odd: readonly string[] = ['123', '1.5e31', `{"hash":"${key}"}`, `["${key}"]`, '[]', 'true', 'null'];
      await c.expectAll(3, [
        ...odd.map((value) => ({ path: c.fx.resourcePath, json: `{"hash":${value}}` })),
        ...odd.map((value) => ({ path: c.fx.resourcePath, headers: nvx(key), json: `{"hash":${value}}` })),
      ]);
    },
  ),
  nvxCase(
    'NVX-BODY-004',
    'MUST',
    REF_SECURITY,
    '`__proto__` / `constructor` bodies neither pollute a prototype nor authenticate, then or on later requests without a hash',
    async (c) => {
      const key = c.fx.apiKey;
      const path = c.fx.resourcePath;
      const hostile: NvxRequestSpec[] = [
        { path, json: `{"__proto__":{"hash":"${key}"}}` },
        { path, json: `{"constructor":{"prototype":{"hash":"${key}"}}}` },
        { path, json: `{"param1":{"__proto__":{"hash":"${key}"}}}` },
        { path, form: `__proto__[hash]=${key}` },
        { path, form: `__proto__.hash=${key}` },
        { path, form: `constructor[prototype][hash]=${key}` },
        { path, form: `hash[__proto__]=${key}` },
      ];
      await guardingPrototypes(async () => {
        for (const spec of hostile) c.expectNotSuccess(await c.send(spec));
        // A server whose Object.prototype now carries `hash` would authenticate these.
        await c.expectAll(3, [{ path }, { path, json: {} }, { path, json: { param1: 'value1' } }, { path, form: 'param1=value1' }]);
      });
    },
  ),
  nvxCase('NVX-BODY-005', 'MUST', REF_SCHEME, 'the same hash in the header and the body (JSON or form) is accepted', async (c) => {
    await c.expectAll('success', [
      { path: c.fx.resourcePath, headers: nvx(c.fx.apiKey), json: { hash: c.fx.apiKey } },
      { path: c.fx.resourcePath, headers: nvx(c.fx.apiKey), form: `hash=${c.fx.apiKey}` },
    ]);
  }),
  nvxCase(
    'NVX-BODY-006',
    'MUST',
    `${REF_CODES}; ${REF_SECURITY}`,
    'a 1 MiB body is code 9 "Too large request" (HTTP 412), even with a valid hash at its start',
    async (c) => {
      const pad = 'x'.repeat(MIB);
      await c.expectAll(9, [
        { path: c.fx.resourcePath, json: `{"hash":"${c.fx.apiKey}","pad":"${pad}"}` },
        { path: c.fx.resourcePath, form: `hash=${c.fx.apiKey}&pad=${pad}` },
      ]);
    },
  ),
  nvxCase(
    'NVX-BODY-007',
    'SHOULD',
    `${REF_CODES}; ${REF_SCHEME}`,
    'a valid header with a 1 MiB body is code 9 too: the body may hold a disagreeing hash, so it cannot be skipped',
    async (c) => {
      await c.expectAll(9, [{ path: c.fx.resourcePath, headers: nvx(c.fx.apiKey), json: `{"pad":"${'x'.repeat(MIB)}"}` }]);
    },
  ),

  // ---- The query parameter `hash` (Navixy "Authentication": "For testing purposes only") ----
  nvxCase(
    'NVX-QUERY-001',
    'MUST',
    REF_USING,
    '`?hash=<api key>` is accepted when the server accepts query hashes',
    async (c) => {
      await c.expectAll('success', [
        { path: c.fx.resourcePath, query: [['hash', c.fx.apiKey]] },
        { path: c.fx.resourcePath, query: [['page', '2'], ['hash', c.fx.apiKey]] },
      ]);
    },
    ['query-hash'],
  ),
  nvxCase(
    'NVX-QUERY-002',
    'MUST',
    `${REF_SCHEME}; OWASP ASVS 5.0 14.2.1`,
    'when query hashes are off, `?hash=` is refused with code 11 "Access denied" (HTTP 403) and never authenticates',
    async (c) => {
      await c.expectAll(11, [
        { path: c.fx.resourcePath, query: [['hash', c.fx.apiKey]] },
        { path: c.fx.keyManagementPath, query: [['hash', c.fx.userSessionHash]] },
        { path: c.fx.panelResourcePath, query: [['hash', c.fx.panelSessionHash]] },
        { method: 'POST', path: c.fx.resourcePath, query: [['hash', c.fx.apiKey]], json: { param1: 'value1' } },
      ]);
    },
    ['query-hash-refused'],
  ),
  nvxCase(
    'NVX-QUERY-003',
    'SHOULD',
    `${REF_SCHEME}; OWASP ASVS 5.0 14.2.1`,
    'when query hashes are off, a query hash is refused (code 11) even beside the same valid hash in the header: refused, not ignored',
    async (c) => {
      await c.expectAll(11, [{ path: c.fx.resourcePath, headers: nvx(c.fx.apiKey), query: [['hash', c.fx.apiKey]] }]);
    },
    ['query-hash-refused'],
  ),
  nvxCase(
    'NVX-QUERY-004',
    'MUST',
    REF_SCHEME,
    'a malformed query hash (empty, 31 or 33 characters, not hex) is code 3',
    async (c) => {
      const key = c.fx.apiKey;
      await c.expectAll(
        3,
        ['', key.slice(0, 31), `${key}0`, `${key.slice(0, 31)}g`].map((value) => ({ path: c.fx.resourcePath, query: [['hash', value]] as const })),
      );
    },
    ['query-hash'],
  ),
  nvxCase(
    'NVX-QUERY-005',
    'MUST',
    REF_SCHEME,
    'an unknown or revoked query hash is code 3',
    async (c) => {
      await c.expectAll(3, [
        { path: c.fx.resourcePath, query: [['hash', c.fx.unknownHash]] },
        { path: c.fx.resourcePath, query: [['hash', c.fx.revokedApiKey]] },
      ]);
    },
    ['query-hash'],
  ),
  nvxCase(
    'NVX-QUERY-006',
    'MUST',
    REF_KINDS,
    'the route rules hold for query hashes: a user session on a resource route and an API key on /panel/ are code 11',
    async (c) => {
      await c.expectAll(11, [
        { path: c.fx.resourcePath, query: [['hash', c.fx.userSessionHash]] },
        { path: c.fx.panelResourcePath, query: [['hash', c.fx.apiKey]] },
      ]);
    },
    ['query-hash'],
  ),

  // ---- Several sources on one request ----
  nvxCase('NVX-SRC-001', 'MUST', REF_SCHEME, 'a header and a JSON body that disagree are code 3, whichever holds the valid hash', async (c) => {
    const { apiKey, unknownHash, resourcePath: path } = c.fx;
    await c.expectAll(3, [
      { path, headers: nvx(apiKey), json: { hash: unknownHash } },
      { path, headers: nvx(unknownHash), json: { hash: apiKey } },
    ]);
  }),
  nvxCase('NVX-SRC-002', 'MUST', REF_SCHEME, 'a header and a urlencoded body that disagree are code 3, whichever holds the valid hash', async (c) => {
    const { apiKey, unknownHash, resourcePath: path } = c.fx;
    await c.expectAll(3, [
      { path, headers: nvx(apiKey), form: `hash=${unknownHash}` },
      { path, headers: nvx(unknownHash), form: `hash=${apiKey}` },
    ]);
  }),
  nvxCase(
    'NVX-SRC-003',
    'MUST',
    REF_SCHEME,
    'two valid hashes that disagree (an API key and a user session hash, on the key-management route) are code 3 in either order',
    async (c) => {
      const { apiKey, userSessionHash, keyManagementPath: path } = c.fx;
      await c.expectAll(3, [
        { path, headers: nvx(apiKey), json: { hash: userSessionHash } },
        { path, headers: nvx(userSessionHash), json: { hash: apiKey } },
        { path, headers: nvx(userSessionHash), form: `hash=${apiKey}` },
      ]);
    },
  ),
  nvxCase(
    'NVX-SRC-004',
    'MUST',
    REF_SCHEME,
    'a query hash that disagrees with the header or the body is code 3, and so are two different query values',
    async (c) => {
      const { apiKey, unknownHash, resourcePath: path } = c.fx;
      await c.expectAll(3, [
        { path, headers: nvx(apiKey), query: [['hash', unknownHash]] },
        { path, headers: nvx(unknownHash), query: [['hash', apiKey]] },
        { path, json: { hash: apiKey }, query: [['hash', unknownHash]] },
        { path, json: { hash: unknownHash }, query: [['hash', apiKey]] },
        { path, query: [['hash', apiKey], ['hash', unknownHash]] },
        { path, query: [['hash', unknownHash], ['hash', apiKey]] },
      ]);
    },
    ['query-hash'],
  ),
  nvxCase(
    'NVX-SRC-005',
    'MUST',
    REF_SCHEME,
    'the same hash in the header, the body and the query is accepted',
    async (c) => {
      const { apiKey, resourcePath: path } = c.fx;
      await c.expectAll('success', [
        { path, headers: nvx(apiKey), json: { hash: apiKey }, query: [['hash', apiKey]] },
        { path, headers: nvx(apiKey), query: [['hash', apiKey]] },
      ]);
    },
    ['query-hash'],
  ),
  nvxCase('NVX-SRC-006', 'MUST', REF_SCHEME, 'a urlencoded body with two different `hash` values is code 3, in either order', async (c) => {
    const { apiKey, unknownHash, resourcePath: path } = c.fx;
    await c.expectAll(3, [
      { path, form: `hash=${apiKey}&hash=${unknownHash}` },
      { path, form: `hash=${unknownHash}&hash=${apiKey}` },
    ]);
  }),

  // ---- Which kind of hash on which route (Navixy "Authentication" and its Q&A on the kinds of hash) ----
  nvxCase('NVX-KIND-001', 'MUST', REF_OBTAINING, "a master user's session hash is accepted on the key-management route (header and body)", async (c) => {
    await c.expectAll('success', [
      { path: c.fx.keyManagementPath, headers: nvx(c.fx.userSessionHash) },
      { path: c.fx.keyManagementPath, json: { hash: c.fx.userSessionHash } },
    ]);
  }),
  nvxCase('NVX-KIND-002', 'MUST', REF_OBTAINING, 'a user session hash on a resource route is code 11 "Access denied" (HTTP 403), in the header or the body', async (c) => {
    await c.expectAll(11, [
      { path: c.fx.resourcePath, headers: nvx(c.fx.userSessionHash) },
      { path: c.fx.resourcePath, json: { hash: c.fx.userSessionHash } },
    ]);
  }),
  nvxCase('NVX-KIND-003', 'MUST', REF_KINDS, 'a user session hash on a /panel/ route is code 11, in the header or the body', async (c) => {
    await c.expectAll(11, [
      { path: c.fx.panelResourcePath, headers: nvx(c.fx.userSessionHash) },
      { path: c.fx.panelResourcePath, json: { hash: c.fx.userSessionHash } },
    ]);
  }),
  nvxCase('NVX-KIND-004', 'MUST', REF_KINDS, 'an API key on a /panel/ route is code 11 ("There are no API keys for the Admin Panel API")', async (c) => {
    await c.expectAll(11, [
      { path: c.fx.panelResourcePath, headers: nvx(c.fx.apiKey) },
      { path: c.fx.panelResourcePath, form: `hash=${c.fx.apiKey}` },
    ]);
  }),
  nvxCase('NVX-KIND-005', 'MUST', REF_KINDS, 'a panel session hash is accepted on a /panel/ route', async (c) => {
    await c.expectAll('success', [
      { path: c.fx.panelResourcePath, headers: nvx(c.fx.panelSessionHash) },
      { path: c.fx.panelResourcePath, json: { hash: c.fx.panelSessionHash } },
    ]);
  }),
  nvxCase('NVX-KIND-006', 'MUST', REF_KINDS, 'a panel session hash on a user resource route or on the key-management route is code 11', async (c) => {
    await c.expectAll(11, [
      { path: c.fx.resourcePath, headers: nvx(c.fx.panelSessionHash) },
      { path: c.fx.keyManagementPath, headers: nvx(c.fx.panelSessionHash) },
      { path: c.fx.resourcePath, json: { hash: c.fx.panelSessionHash } },
    ]);
  }),
  nvxCase(
    'NVX-KIND-007',
    'MUST',
    `${REF_KEYS}; ${REF_KINDS}`,
    "a sub-user's session hash is code 11 on a resource route and on a /panel/ route",
    async (c) => {
      const hash = c.fx.subUserSessionHash as string;
      await c.expectAll(11, [
        { path: c.fx.resourcePath, headers: nvx(hash) },
        { path: c.fx.panelResourcePath, headers: nvx(hash) },
      ]);
    },
    ['sub-user'],
  ),
  nvxCase(
    'NVX-KIND-008',
    'SHOULD',
    `${REF_KINDS}; ${REF_SECURITY}`,
    'look-alike panel paths (`//panel/`, `/PANEL/`, `/%70anel/`, a trailing slash) do not let a user session hash or an API key through',
    async (c) => {
      for (const path of panelLookAlikes(c.fx.panelResourcePath)) {
        for (const hash of [c.fx.apiKey, c.fx.userSessionHash]) c.expectNotSuccess(await c.send({ path, headers: nvx(hash) }));
      }
    },
  ),

  // ---- The envelope (Navixy "Authentication", "Errors") ----
  nvxCase(
    'NVX-ENV-001',
    'MUST',
    REF_OBTAINING,
    'a missing hash gets exactly `{"success":false,"status":{"code":3,"description":"Wrong hash"}}` with HTTP 400',
    async (c) => {
      const sent = await c.send({ path: c.fx.resourcePath });
      check(
        sent.reply.status === 400 && deepEqual(sent.reply.body, failureBody(3)),
        () => `${sent.label}: expected exactly 400 ${show(failureBody(3))}, got ${describeReply(sent.reply, c.redact)}`,
      );
    },
  ),
  nvxCase(
    'NVX-ENV-002',
    'MUST',
    REF_CODES,
    'a hash of the wrong kind gets exactly `{"success":false,"status":{"code":11,"description":"Access denied"}}` with HTTP 403',
    async (c) => {
      const sent = await c.send({ path: c.fx.panelResourcePath, headers: nvx(c.fx.apiKey) });
      check(
        sent.reply.status === 403 && deepEqual(sent.reply.body, failureBody(11)),
        () => `${sent.label}: expected exactly 403 ${show(failureBody(11))}, got ${describeReply(sent.reply, c.redact)}`,
      );
    },
  ),
  nvxCase('NVX-ENV-003', 'MUST', REF_OBTAINING, 'a success has HTTP 200 and `"success": true` (the boolean), for every kind of hash on its route', async (c) => {
    for (const spec of [
      { path: c.fx.resourcePath, headers: nvx(c.fx.apiKey) },
      { path: c.fx.keyManagementPath, headers: nvx(c.fx.userSessionHash) },
      { path: c.fx.panelResourcePath, headers: nvx(c.fx.panelSessionHash) },
    ]) {
      const sent = await c.send(spec);
      const success = (sent.reply.body as { success?: unknown } | null)?.success;
      check(sent.reply.status === 200 && success === true, () => `${sent.label}: expected 200 with "success": true, got ${describeReply(sent.reply, c.redact)}`);
    }
  }),

  // ---- A failing store (fail closed) ----
  nvxCase(
    'NVX-STORE-001',
    'MUST',
    REF_SECURITY,
    'with the credential store failing, no hash of any kind, in any source, succeeds',
    async (c) => {
      const sender = await storeFailureSender(c.driver);
      for (const spec of storeFailureRequests(c)) c.expectNotSuccess(await c.send(spec, sender));
    },
    ['store-failure'],
  ),
  nvxCase(
    'NVX-STORE-002',
    'MUST',
    `${REF_CODES}; ${REF_SCHEME}`,
    'with the credential store failing, a well-formed hash is code 14 "Database unavailable" (HTTP 503)',
    async (c) => {
      await c.expectAll(14, storeFailureRequests(c), await storeFailureSender(c.driver));
    },
    ['store-failure'],
  ),

  // ---- Telling nothing ----
  nvxCase(
    'NVX-LEAK-001',
    'MUST',
    `${REF_SECURITY}; ${REF_OBTAINING}`,
    'missing, malformed, unknown, revoked and ended hashes all get one identical reply',
    async (c) => {
      const { fx } = c;
      const specs: NvxRequestSpec[] = [
        { path: fx.resourcePath },
        { path: fx.resourcePath, headers: nvx(fx.apiKey.slice(0, 31)) },
        { path: fx.resourcePath, headers: nvx(`${fx.apiKey.slice(0, 31)}g`) },
        { path: fx.resourcePath, headers: nvx(fx.unknownHash) },
        { path: fx.resourcePath, headers: nvx(fx.revokedApiKey) },
        { path: fx.resourcePath, headers: nvx(fx.apiKey), json: { hash: fx.unknownHash } },
      ];
      if (fx.endedSessionHash !== null) specs.push({ path: fx.resourcePath, headers: nvx(fx.endedSessionHash) });
      const sent: Exchange[] = [];
      for (const spec of specs) sent.push(await c.send(spec));
      const [reference, ...rest] = sent as [Exchange, ...Exchange[]];
      for (const other of rest) {
        check(
          other.reply.status === reference.reply.status && deepEqual(other.reply.body, reference.reply.body),
          () => `${other.label} got ${describeReply(other.reply, c.redact)}, but ${reference.label} got ${describeReply(reference.reply, c.redact)}; they must not be told apart`,
        );
      }
    },
  ),
  nvxCase('NVX-LEAK-002', 'MUST', REF_SECURITY, 'no failure reply repeats the hash it was sent, or any other hash', async (c) => {
    const { fx } = c;
    const specs: NvxRequestSpec[] = [
      { path: fx.resourcePath, headers: nvx(fx.unknownHash) },
      { path: fx.resourcePath, headers: nvx(fx.revokedApiKey) },
      { path: fx.resourcePath, headers: nvx(`${fx.apiKey}0`) },
      { path: fx.resourcePath, headers: authorization(`NVX ${fx.apiKey} extra`) },
      { path: fx.resourcePath, json: { hash: fx.unknownHash } },
      { path: fx.resourcePath, headers: nvx(fx.userSessionHash) },
      { path: fx.panelResourcePath, headers: nvx(fx.apiKey) },
      { path: fx.resourcePath, query: [['hash', fx.unknownHash]] },
    ];
    // NvxCaseContext.send fails the case on any failure reply that repeats a hash.
    for (const spec of specs) await c.send(spec);
  }),
];

function storeFailureRequests(c: NvxCaseContext): NvxRequestSpec[] {
  const { fx } = c;
  return [
    { path: fx.resourcePath, headers: nvx(fx.apiKey) },
    { path: fx.resourcePath, json: { hash: fx.apiKey } },
    { path: fx.resourcePath, form: `hash=${fx.apiKey}` },
    { path: fx.keyManagementPath, headers: nvx(fx.userSessionHash) },
    { path: fx.panelResourcePath, headers: nvx(fx.panelSessionHash) },
    { path: fx.resourcePath, headers: nvx(fx.unknownHash) },
  ];
}

/**
 * The `nvx-hash@1` profile: Navixy's hash scheme on the wire (Navixy API docs, "Authentication":
 * https://www.navixy.com/docs/navixy-api/user-api/authentication; Navixy docs Q&A, "User session hash vs admin panel
 * hash vs API key": https://navixy.com/docs/qna/apis/user-session-hash-vs-admin-panel-hash-vs-api-key; Navixy API docs,
 * "Errors": https://www.navixy.com/docs/navixy-api/user-api/backend-api/errors), judged only through requests and
 * replies, so the same cases run in-process and against a live server. It checks the three sources (`Authorization:
 * NVX`, body `hash`, query `hash` when enabled) and their disagreements, what a hash is (32 hex characters, never
 * truncated), which kind of hash each route takes (API keys and user sessions never under `/panel/`, user sessions only
 * for key management, panel hashes only under `/panel/`), Navixy's envelope and codes (3 "Wrong hash", 11 "Access
 * denied", 9, 14), failing closed on a store failure, and that no reply tells one bad hash from another or repeats one.
 *
 * @example
 * ```ts
 * import { nvxHashV1, nvxInProcessDriver, runProfile } from '@gatehouse/conformance';
 * const results = await runProfile(nvxHashV1, nvxInProcessDriver({ strategy, setup }));
 * ```
 */
export const nvxHashV1: ConformanceProfile<NvxHashDriver> = Object.freeze({
  id: 'nvx-hash@1',
  title: 'NVX hash wire conformance (nvx-hash@1)',
  cases,
  /**
   * The driver's own capabilities, plus those the fixtures may imply: those are settled per case, from the
   * fixtures `setup()` returns, and a case whose fixture is missing reports itself skipped.
   */
  capabilitiesOf(driver: NvxHashDriver): readonly string[] {
    return [...new Set([...(driver.capabilities ?? []), ...FIXTURE_CAPABILITIES])];
  },
});
