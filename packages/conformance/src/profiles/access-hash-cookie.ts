import { normalizeIpAddress } from '@gatehouse/auth-core/strategy';
import { generateHexToken } from '@gatehouse/auth-core/crypto';
import type { ConformanceCase, ConformanceProfile } from '../case.js';
import { check, deepEqual, fail, show } from '../check.js';
import type { WireSender } from '../drivers/wire.js';
import {
  ACCESS_HASH_PATTERN,
  ACCESS_HASH_STATUS,
  claimsSuccess,
  COOKIE_NAME_PATTERN,
  DEFAULT_ACCESS_HASH_COOKIE,
  DEFAULT_ACCESS_HASH_RESOURCE_PATH,
  envelopeKeys,
  forwardedFor,
  isEnvelopeSuccess,
  isFailureEnvelope,
  isIpv4,
  mappedHexForm,
  neighbouringAddresses,
  presentedHexRuns,
  redactHashes,
  type AccessHashFailureStatus,
} from './access-hash-wire.js';
import { AUTH_CORE_ERROR_CODES, AUTH_CORE_SECURITY, PUQ_ACCESS_HASHES } from './sources.js';
import { guardingPrototypes } from './strategy-contract.js';
import { storeFailureSender, wireCaseFactory } from './wire-case.js';
import { describeReply, exchange, replyText, targetOf, type Exchange, type HeaderList, type NamedSecret, type WireRequestSpec } from './wire-request.js';

/**
 * The hashes and addresses one `access-hash-cookie@1` case works with, made fresh for every case by the
 * driver's `setup()`. Every hash is exactly 80 lower-case hex characters, as issued, and all of them differ.
 *
 * `clientIp` is the address the kit's requests come from: in-process the kit passes it as the socket address
 * (`send(request, { remoteAddress: clientIp })`); over HTTP it is the address the server sees the kit connect
 * from. `accessHash` is bound to it, `foreignAccessHash` to `foreignIp`.
 *
 * @example
 * ```ts
 * const fixtures: AccessHashFixtures = {
 *   accessHash: '7effe99173b87e9cdebdab66d6fb23c9b244af250cb09b5dd36d8f80d14a8510b2d00bcba7290252',
 *   clientIp: '203.0.113.7',
 *   foreignAccessHash: '0c1d2e3f405162738495a6b7c8d9eafb0c1d2e3f405162738495a6b7c8d9eafb0c1d2e3f40516273',
 *   foreignIp: '198.51.100.23',
 *   revokedAccessHash: 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a59687',
 *   trustedProxies: 'none',
 * };
 * ```
 */
export interface AccessHashFixtures {
  /** A live access hash bound to `clientIp`. */
  readonly accessHash: string;
  /** The IP address the kit's requests come from, and the one `accessHash` is bound to. */
  readonly clientIp: string;
  /** A live access hash bound to `foreignIp`, an address other than `clientIp`. */
  readonly foreignAccessHash: string;
  /** The IP address `foreignAccessHash` is bound to; never the same address as `clientIp` (in any spelling). */
  readonly foreignIp: string;
  /** An access hash that was live and has been deleted. Enables capability `revoked-hash`. */
  readonly revokedAccessHash?: string;
  /** A route the access hash authenticates with `GET`. Default `/api/v1/system/status`. */
  readonly resourcePath?: string;
  /** The cookie carrying the hash. Default `access_hash`. */
  readonly cookieName?: string;
  /**
   * The server's trusted proxies: `'none'` (the profile's baseline: the client IP is the socket address and
   * `X-Forwarded-For` is never read; enables capability `no-trusted-proxies`) or `'configured'`.
   */
  readonly trustedProxies: 'none' | 'configured';
}

/**
 * The capabilities `access-hash-cookie@1` cases may require. `revoked-hash`, `no-trusted-proxies` and
 * `ipv4-client` (the fixture `clientIp` is IPv4) follow from the fixtures of each case; `remote-address` (the
 * driver sends from the socket addresses it is given: in-process any, over HTTP only from a loopback base URL,
 * binding 127.0.0.0/8 addresses and skipping a case that asks for another), `store-failure` and `revoke` from
 * the driver.
 *
 * @example
 * ```ts
 * const capability: AccessHashCapability = 'remote-address';
 * ```
 */
export type AccessHashCapability = 'remote-address' | 'store-failure' | 'revoke' | 'revoked-hash' | 'no-trusted-proxies' | 'ipv4-client';

/**
 * What the `access-hash-cookie@1` profile drives: something that exchanges Fetch requests for wire replies (a
 * strategy in-process through `accessHashInProcessDriver`, or a live server over HTTP), makes fresh fixtures
 * per case, and says what else it can do. Cases build requests on `http://gatehouse.test` and send them with
 * `{ remoteAddress }`: `clientIp` unless the case needs another address (capability `remote-address`; a driver
 * that cannot choose its source address ignores `remoteAddress` and does not claim it).
 *
 * @example
 * ```ts
 * const driver: AccessHashDriver = accessHashInProcessDriver({ strategy, setup });
 * const fixtures = await driver.setup();
 * const reply = await driver.send(
 *   new Request('http://gatehouse.test/api/v1/system/status', { headers: { cookie: `access_hash=${fixtures.accessHash}` } }),
 *   { remoteAddress: fixtures.clientIp },
 * );
 * // { status: 200, body: { error: '', msg: {}, status: 'success' } }
 * ```
 */
export interface AccessHashDriver extends WireSender {
  /** Fresh fixtures for one case; called once at the start of every case. */
  setup(): Promise<AccessHashFixtures>;
  /** Capabilities beyond those the fixtures imply, e.g. `['remote-address', 'store-failure', 'revoke']`. */
  readonly capabilities: readonly string[];
  /**
   * With capability `store-failure`: a sender to the same scheme whose credential store fails on every lookup
   * (down, timing out). Called once per case that needs it.
   */
  storeFailure?(): Promise<WireSender>;
  /**
   * With capability `revoke`: deletes a live access hash of this case's fixtures the way the server's
   * management does ("Delete" in the PUQ VPN control panel's "API Access Hashs"), resolving once it is done.
   */
  revoke?(accessHash: string): Promise<void>;
}

const REF_DOC = PUQ_ACCESS_HASHES;
const REF_COOKIE = `${PUQ_ACCESS_HASHES}: passed "as the value of the "access_hash" parameter in Cookies"`;
const REF_IP = `${PUQ_ACCESS_HASHES}: "Each API Access Hash only works from a specific IP address"`;
const REF_ENVELOPE = `${PUQ_ACCESS_HASHES}: "Response from the server in json format"`;
const REF_CODES = AUTH_CORE_ERROR_CODES;
const REF_CLIENT_IP = '@gatehouse/auth-core AuthRequest.clientIp (the socket address; X-Forwarded-For only from trusted proxies)';
const REF_SECURITY = AUTH_CORE_SECURITY;
const REF_RFC6265 = 'RFC 6265 §4.2.1, §5.4';
const REF_MAPPED = 'RFC 4291 §2.5.5.2';

const FIXTURE_CAPABILITIES: readonly AccessHashCapability[] = ['revoked-hash', 'no-trusted-proxies', 'ipv4-client'];

interface ResolvedAccessHashFixtures {
  readonly accessHash: string;
  readonly clientIp: string;
  readonly foreignAccessHash: string;
  readonly foreignIp: string;
  readonly revokedAccessHash: string | null;
  readonly resourcePath: string;
  readonly cookieName: string;
  readonly trustedProxies: 'none' | 'configured';
  /** Made by the kit: a well-formed hash no server has issued. */
  readonly unknownHash: string;
}

function resolveFixtures(raw: unknown): ResolvedAccessHashFixtures {
  check(typeof raw === 'object' && raw !== null, () => `setup() resolved to ${show(raw)}, expected AccessHashFixtures`);
  const fixtures = raw as Record<string, unknown>;
  const hashes: string[] = [];
  const hashOf = (field: string, optional: boolean): string | null => {
    const value = fixtures[field];
    if (value === undefined && optional) return null;
    check(
      typeof value === 'string' && ACCESS_HASH_PATTERN.test(value),
      () =>
        `setup(): fixture ${field} must be 80 lower-case hex characters, got ${typeof value === 'string' ? `a string of ${value.length} characters` : show(value)}`,
    );
    check(!hashes.includes(value), () => `setup(): fixture ${field} repeats another fixture's hash; every hash must be distinct`);
    hashes.push(value);
    return value;
  };
  const ipOf = (field: string): string => {
    const value = fixtures[field];
    check(typeof value === 'string' && normalizeIpAddress(value) !== null, () => `setup(): fixture ${field} must be an IPv4 or IPv6 address, got ${show(value)}`);
    return value;
  };
  const accessHash = hashOf('accessHash', false) as string;
  const foreignAccessHash = hashOf('foreignAccessHash', false) as string;
  const revokedAccessHash = hashOf('revokedAccessHash', true);
  const clientIp = ipOf('clientIp');
  const foreignIp = ipOf('foreignIp');
  check(normalizeIpAddress(clientIp) !== normalizeIpAddress(foreignIp), () => `setup(): fixture foreignIp must be another address than clientIp, got ${show(foreignIp)} and ${show(clientIp)}`);
  const resourcePath = fixtures['resourcePath'] ?? DEFAULT_ACCESS_HASH_RESOURCE_PATH;
  check(
    typeof resourcePath === 'string' && resourcePath.startsWith('/') && !resourcePath.startsWith('//'),
    () => `setup(): fixture resourcePath must be an absolute path such as ${DEFAULT_ACCESS_HASH_RESOURCE_PATH}, got ${show(resourcePath)}`,
  );
  const cookieName = fixtures['cookieName'] ?? DEFAULT_ACCESS_HASH_COOKIE;
  check(typeof cookieName === 'string' && COOKIE_NAME_PATTERN.test(cookieName), () => `setup(): fixture cookieName must be a cookie name (an RFC 6265 token), got ${show(cookieName)}`);
  const trustedProxies = fixtures['trustedProxies'];
  check(
    trustedProxies === 'none' || trustedProxies === 'configured',
    () => `setup(): fixture trustedProxies must be 'none' (the client IP is the socket address) or 'configured', got ${show(trustedProxies)}`,
  );
  let unknownHash = generateHexToken(40);
  while (hashes.includes(unknownHash)) unknownHash = generateHexToken(40);
  return { accessHash, clientIp, foreignAccessHash, foreignIp, revokedAccessHash, resourcePath, cookieName, trustedProxies, unknownHash };
}

function fixtureCapabilities(fixtures: ResolvedAccessHashFixtures): AccessHashCapability[] {
  const capabilities: AccessHashCapability[] = [];
  if (fixtures.revokedAccessHash !== null) capabilities.push('revoked-hash');
  if (fixtures.trustedProxies === 'none') capabilities.push('no-trusted-proxies');
  if (isIpv4(fixtures.clientIp)) capabilities.push('ipv4-client');
  return capabilities;
}

/** Alters one hex digit of a hash at `index`, keeping it lower-case hex. */
function alterDigit(hash: string, index: number): string {
  const digit = hash.charAt(index);
  return hash.slice(0, index) + (digit === 'f' ? '0' : (parseInt(digit, 16) + 1).toString(16)) + hash.slice(index + 1);
}

/** One request of a case: a wire request and the socket address it comes from (default the fixture `clientIp`). */
interface AhcRequestSpec extends WireRequestSpec {
  readonly from?: string;
}

type Expectation = 'success' | 'missing' | AccessHashFailureStatus;

/** What a case works with: the driver, its fresh fixtures, and assertions stated on the wire. */
class AccessHashCaseContext {
  readonly secrets: readonly NamedSecret[];
  #missing: Exchange<AhcRequestSpec> | undefined;

  constructor(
    readonly driver: AccessHashDriver,
    readonly fx: ResolvedAccessHashFixtures,
  ) {
    const secrets: NamedSecret[] = [];
    for (const name of ['accessHash', 'foreignAccessHash', 'revokedAccessHash', 'unknownHash'] as const) {
      const value = fx[name];
      if (value !== null) secrets.push({ name, value });
    }
    this.secrets = secrets;
  }

  readonly redact = (text: string): string => redactHashes(text, this.secrets);

  /** `access_hash=<value>` (with the fixture's cookie name). */
  pair(value: string): string {
    return `${this.fx.cookieName}=${value}`;
  }

  /** One `Cookie` field. */
  cookie(value: string): HeaderList {
    return [['cookie', value]];
  }

  /** A GET of the resource route with one `Cookie` field, from `from` (default the client IP). */
  get(cookie: string, from?: string): AhcRequestSpec {
    return { path: this.fx.resourcePath, headers: this.cookie(cookie), ...(from === undefined ? {} : { from }) };
  }

  #labelOf(spec: AhcRequestSpec): string {
    const clip = (text: string): string => (text.length > 200 ? `${text.slice(0, 160)}…(${text.length} chars)` : text);
    const parts = [`${spec.method ?? (spec.json !== undefined || spec.form !== undefined ? 'POST' : 'GET')} ${clip(targetOf(spec))}`];
    for (const [name, value] of spec.headers ?? []) parts.push(`${name}: ${show(clip(value), 400)}`);
    if (spec.json !== undefined) parts.push(`JSON body ${clip(typeof spec.json === 'string' ? spec.json : JSON.stringify(spec.json))}`);
    if (spec.form !== undefined) parts.push(`form body ${show(clip(spec.form))}`);
    const from = spec.from ?? this.fx.clientIp;
    parts.push(from === this.fx.clientIp ? 'from clientIp' : `from ${from}`);
    return parts.join(', ');
  }

  /** Sends one request; a failure reply that repeats any hash fails the case wherever it happens. */
  async send(spec: AhcRequestSpec, sender: WireSender = this.driver): Promise<Exchange<AhcRequestSpec>> {
    const sent = await exchange(sender, this.redact(this.#labelOf(spec)), spec, this.redact, spec.from ?? this.fx.clientIp);
    if (!isEnvelopeSuccess(sent.reply)) {
      const text = replyText(sent.reply.body).toLowerCase();
      const presented = presentedHexRuns(spec);
      const leaked =
        this.secrets.find((secret) => text.includes(secret.value.toLowerCase()))?.name ??
        (presented.some((run) => text.includes(run)) ? 'a hash the request carried' : undefined);
      check(leaked === undefined, () => `${sent.label}: the failure reply repeats ${leaked} (${describeReply(sent.reply, this.redact)})`);
    }
    return sent;
  }

  expectSuccess(sent: Exchange<AhcRequestSpec>): void {
    check(
      isEnvelopeSuccess(sent.reply),
      () => `${sent.label}: expected HTTP 200 {"error":"","msg":…,"status":"success"}, got ${describeReply(sent.reply, this.redact)}`,
    );
  }

  expectNotSuccess(sent: Exchange<AhcRequestSpec>): void {
    check(!claimsSuccess(sent.reply), () => `${sent.label}: expected a refusal, got ${describeReply(sent.reply, this.redact)}`);
  }

  /** The panel's failure envelope ("API Access Hashs") with this HTTP status; extra keys allowed. */
  expectFailure(sent: Exchange<AhcRequestSpec>, status: AccessHashFailureStatus | readonly AccessHashFailureStatus[]): void {
    const statuses: readonly number[] = typeof status === 'number' ? [status] : status;
    check(
      statuses.includes(sent.reply.status) && isFailureEnvelope(sent.reply),
      () =>
        `${sent.label}: expected HTTP ${statuses.join(' or ')} {"error":"<text>","msg":"","status":"error"}, got ${describeReply(sent.reply, this.redact)}`,
    );
  }

  /** The reply to a request without any cookie (the reference for "missing"): 401 with the failure envelope. */
  async missing(): Promise<Exchange<AhcRequestSpec>> {
    if (this.#missing === undefined) {
      const sent = await this.send({ path: this.fx.resourcePath });
      this.expectFailure(sent, ACCESS_HASH_STATUS.missing);
      this.#missing = sent;
    }
    return this.#missing;
  }

  /** 401 and exactly the reply a request without any cookie gets: the hash was not seen at all. */
  async expectMissing(sent: Exchange<AhcRequestSpec>): Promise<void> {
    const reference = await this.missing();
    check(
      sent.reply.status === reference.reply.status && deepEqual(sent.reply.body, reference.reply.body),
      () =>
        `${sent.label}: expected the reply of a request without any cookie (${describeReply(reference.reply, this.redact)}), got ${describeReply(sent.reply, this.redact)}`,
    );
  }

  async expectAll(expectation: Expectation, specs: readonly AhcRequestSpec[], sender?: WireSender): Promise<void> {
    for (const spec of specs) {
      const sent = await this.send(spec, sender);
      if (expectation === 'success') this.expectSuccess(sent);
      else if (expectation === 'missing') await this.expectMissing(sent);
      else this.expectFailure(sent, expectation);
    }
  }

  /** Sends every request and fails unless all replies are identical (status and body). */
  async expectIdentical(specs: readonly AhcRequestSpec[], what: string): Promise<Exchange<AhcRequestSpec>[]> {
    const sent: Exchange<AhcRequestSpec>[] = [];
    for (const spec of specs) sent.push(await this.send(spec));
    const [reference, ...rest] = sent as [Exchange<AhcRequestSpec>, ...Exchange<AhcRequestSpec>[]];
    for (const other of rest) {
      check(
        other.reply.status === reference.reply.status && deepEqual(other.reply.body, reference.reply.body),
        () =>
          `${other.label} got ${describeReply(other.reply, this.redact)}, but ${reference.label} got ${describeReply(reference.reply, this.redact)}; ${what}`,
      );
    }
    return sent;
  }
}

type Case = ConformanceCase<AccessHashDriver>;

const ahcCase = wireCaseFactory<AccessHashDriver, ReturnType<typeof resolveFixtures>, AccessHashCaseContext, AccessHashCapability>(
  resolveFixtures,
  fixtureCapabilities,
  (driver, fixtures) => new AccessHashCaseContext(driver, fixtures),
);


/** Headers a client may send to claim another address; a server without trusted proxies reads none of them. */
function spoofingHeaders(ip: string): HeaderList[] {
  return [
    [['x-forwarded-for', ip]],
    [['x-forwarded-for', `${ip}, ${ip}`]],
    [['x-forwarded-for', ip], ['x-forwarded-for', ip]],
    [['x-real-ip', ip]],
    [['forwarded', forwardedFor(ip)]],
    [['true-client-ip', ip]],
    [['cf-connecting-ip', ip]],
    [['x-client-ip', ip]],
    [
      ['x-forwarded-for', ip],
      ['x-real-ip', ip],
      ['forwarded', forwardedFor(ip)],
      ['x-cluster-client-ip', ip],
      ['fastly-client-ip', ip],
    ],
  ];
}

const MIB_SIXTEENTH = 64 * 1024;

const cases: readonly Case[] = [
  // ---- The cookie ("API Access Hashs": `curl -b "access_hash=<hash>"`) ----
  ahcCase(
    'AHC-COOKIE-001',
    'MUST',
    REF_COOKIE,
    '`Cookie: access_hash=<hash>` from the IP the hash is bound to is accepted: HTTP 200 with `{"error":"","msg":…,"status":"success"}`',
    async (c) => {
      await c.expectAll('success', [c.get(c.pair(c.fx.accessHash))]);
    },
  ),
  ahcCase(
    'AHC-COOKIE-002',
    'MUST',
    `${REF_COOKIE}; ${REF_RFC6265}; RFC 9113 §8.2.3`,
    'other cookies beside access_hash, in the same Cookie field or in another one (as HTTP/2 clients split them), do not matter: accepted',
    async (c) => {
      const pair = c.pair(c.fx.accessHash);
      await c.expectAll('success', [
        c.get(`theme=dark; ${pair}; lang=en`),
        c.get(`${pair}; PHPSESSID=0123abcd`),
        c.get(`_ga=GA1.2.3.4; ${pair}`),
        c.get(`token=a=b=c; ${pair}`),
        { path: c.fx.resourcePath, headers: [['cookie', 'theme=dark'], ['cookie', pair]] },
        { path: c.fx.resourcePath, headers: [['cookie', pair], ['cookie', 'lang=en']] },
      ]);
    },
  ),
  ahcCase(
    'AHC-COOKIE-003',
    'MUST',
    `${REF_COOKIE} (two access_hash cookies are refused); ${REF_CODES}`,
    'two access_hash cookies in one Cookie field are HTTP 400, in either order and even when both carry the same valid hash',
    async (c) => {
      const { accessHash, unknownHash, foreignAccessHash } = c.fx;
      await c.expectAll(ACCESS_HASH_STATUS.duplicated, [
        c.get(`${c.pair(accessHash)}; ${c.pair(accessHash)}`),
        c.get(`${c.pair(accessHash)}; ${c.pair(unknownHash)}`),
        c.get(`${c.pair(unknownHash)}; ${c.pair(accessHash)}`),
        c.get(`${c.pair(accessHash)}; theme=dark; ${c.pair(foreignAccessHash)}`),
        c.get(`${c.pair(foreignAccessHash)}; ${c.pair(accessHash)}`),
      ]);
    },
  ),
  ahcCase(
    'AHC-COOKIE-004',
    'MUST',
    `${REF_COOKIE} (two access_hash cookies are refused); ${REF_CODES}`,
    'access_hash in two Cookie fields is HTTP 400, in either order and even with the same valid hash twice',
    async (c) => {
      // Over HTTP these are two field lines. In-process, Fetch's Headers joins Cookie fields with "; " (undici),
      // so the strategy sees both cookies in one value: the rule is the same either way.
      const { accessHash, unknownHash } = c.fx;
      const twoFields = (first: string, second: string): AhcRequestSpec => ({
        path: c.fx.resourcePath,
        headers: [['cookie', c.pair(first)], ['cookie', c.pair(second)]],
      });
      await c.expectAll(ACCESS_HASH_STATUS.duplicated, [
        twoFields(accessHash, accessHash),
        twoFields(accessHash, unknownHash),
        twoFields(unknownHash, accessHash),
        { path: c.fx.resourcePath, headers: [['cookie', `theme=dark; ${c.pair(accessHash)}`], ['cookie', `lang=en; ${c.pair(c.fx.foreignAccessHash)}`]] },
      ]);
    },
  ),
  ahcCase(
    'AHC-COOKIE-005',
    'MUST',
    `${REF_COOKIE}; ${REF_RFC6265}`,
    'without an access_hash cookie (no Cookie field, other cookies only, names that merely contain access_hash, the hash without a name) the reply is HTTP 401',
    async (c) => {
      const { accessHash, cookieName: name } = c.fx;
      const lookAlikes = new Set([`${name}2`, `x${name}`, `${name}_`, `my_${name}`, name.replace('_', '-'), name.replace('_', '')]);
      lookAlikes.delete(name);
      await c.missing();
      await c.expectAll('missing', [
        c.get('theme=dark; lang=en'),
        ...[...lookAlikes].map((lookAlike) => c.get(`${lookAlike}=${accessHash}`)),
        c.get(accessHash),
        c.get(`=${accessHash}`),
        c.get(`theme=${name}=${accessHash}`),
      ]);
    },
  ),
  ahcCase(
    'AHC-COOKIE-006',
    'SHOULD',
    REF_RFC6265,
    'cookie names are case-sensitive: `ACCESS_HASH=<hash>` and `Access_Hash=<hash>` are not the access hash (HTTP 401)',
    async (c) => {
      const { cookieName: name, accessHash } = c.fx;
      const variants = new Set([name.toUpperCase(), name.charAt(0).toUpperCase() + name.slice(1).replace(/_(.)/g, (_m, ch: string) => `_${ch.toUpperCase()}`)]);
      variants.delete(name);
      await c.expectAll('missing', [...variants].map((variant) => c.get(`${variant}=${accessHash}`)));
    },
  ),
  ahcCase(
    'AHC-COOKIE-007',
    'SHOULD',
    REF_RFC6265,
    'cookie pairs separated by `;` without a space are accepted',
    async (c) => {
      const pair = c.pair(c.fx.accessHash);
      await c.expectAll('success', [c.get(`theme=dark;${pair}`), c.get(`${pair};lang=en`)]);
    },
  ),
  ahcCase(
    'AHC-COOKIE-008',
    'MUST',
    `${REF_DOC}; ${REF_CODES}`,
    'an empty access_hash value (`access_hash=`) is refused with HTTP 400 or 401, never accepted',
    async (c) => {
      const empty = c.pair('');
      for (const spec of [c.get(empty), c.get(`${empty}; theme=dark`), c.get(`theme=dark; ${empty}`)]) {
        c.expectFailure(await c.send(spec), [ACCESS_HASH_STATUS.malformed, ACCESS_HASH_STATUS.missing]);
      }
    },
  ),
  ahcCase(
    'AHC-COOKIE-009',
    'SHOULD',
    `${REF_COOKIE} (two access_hash cookies are refused)`,
    'an empty `access_hash=` beside the real one still counts as a second cookie: HTTP 400',
    async (c) => {
      const empty = c.pair('');
      const pair = c.pair(c.fx.accessHash);
      await c.expectAll(ACCESS_HASH_STATUS.duplicated, [c.get(`${empty}; ${pair}`), c.get(`${pair}; ${empty}`)]);
    },
  ),

  // ---- Cookie names that are JavaScript's own (auth-core "Security notes": cookie values live in Maps) ----
  ahcCase(
    'AHC-PROTO-001',
    'MUST',
    REF_SECURITY,
    'cookies named `__proto__`, `toString`, `constructor`, `hasOwnProperty` or `valueOf` alone neither crash, pollute nor authenticate: HTTP 401 as if missing',
    async (c) => {
      const hash = c.fx.accessHash;
      await guardingPrototypes(async () => {
        await c.missing();
        await c.expectAll('missing', [
          c.get(`__proto__=${hash}`),
          c.get(`toString=${hash}`),
          c.get(`constructor=${hash}`),
          c.get('hasOwnProperty=1'),
          c.get('valueOf=1'),
          c.get('__proto__=1; toString=2; constructor=3; __defineGetter__=4'),
          c.get('__proto__={"access_hash":1}'),
        ]);
      });
    },
  ),
  ahcCase(
    'AHC-PROTO-002',
    'MUST',
    REF_SECURITY,
    '`__proto__`, `toString` and `constructor` cookies beside the real access_hash do not disturb it: accepted, and nothing polluted',
    async (c) => {
      const pair = c.pair(c.fx.accessHash);
      await guardingPrototypes(async () => {
        await c.expectAll('success', [
          c.get(`__proto__=x; ${pair}`),
          c.get(`${pair}; toString=1`),
          c.get(`toString=1; __proto__=2; ${pair}; constructor=3; hasOwnProperty=4`),
          c.get(`__proto__=${c.fx.foreignAccessHash}; ${pair}`),
        ]);
      });
    },
  ),
  ahcCase(
    'AHC-PROTO-003',
    'MUST',
    REF_SECURITY,
    'qs-style cookie names (`__proto__[access_hash]=<hash>`, `constructor[prototype][access_hash]=…`) neither pollute nor authenticate, then or on later requests without a cookie',
    async (c) => {
      const { accessHash: hash, cookieName: name } = c.fx;
      await guardingPrototypes(async () => {
        for (const cookie of [`__proto__[${name}]=${hash}`, `constructor[prototype][${name}]=${hash}`, `__proto__.${name}=${hash}`, `${name}[__proto__]=${hash}`]) {
          c.expectNotSuccess(await c.send(c.get(cookie)));
        }
        // A server whose Object.prototype now carries the cookie name would authenticate these.
        await c.expectAll('missing', [{ path: c.fx.resourcePath }, c.get('theme=dark')]);
      });
    },
  ),

  // ---- What a hash is: exactly 80 lower-case hex characters ----
  ahcCase(
    'AHC-FMT-001',
    'MUST',
    `${REF_DOC}; ${REF_SECURITY} (non-canonical hex rejected)`,
    'a quoted hash (`access_hash="<hash>"`, single quotes, one quote) is HTTP 400',
    async (c) => {
      const hash = c.fx.accessHash;
      await c.expectAll(
        ACCESS_HASH_STATUS.malformed,
        [`"${hash}"`, `'${hash}'`, `"${hash}`, `${hash}"`].map((value) => c.get(c.pair(value))),
      );
    },
  ),
  ahcCase(
    'AHC-FMT-002',
    'MUST',
    `${REF_DOC}; ${REF_SECURITY} (non-canonical hex rejected)`,
    'whitespace around the hash inside the cookie (` <hash>`, a tab, `<hash> ;`) is HTTP 400, not trimmed away',
    async (c) => {
      const hash = c.fx.accessHash;
      await c.expectAll(ACCESS_HASH_STATUS.malformed, [
        c.get(c.pair(` ${hash}`)),
        c.get(c.pair(`  ${hash}`)),
        c.get(c.pair(`\t${hash}`)),
        c.get(`${c.pair(`${hash} `)}; lang=en`),
        c.get(`${c.pair(`${hash}\t`)}; lang=en`),
        c.get(`${c.pair(` ${hash} `)}; lang=en`),
      ]);
    },
  ),
  ahcCase(
    'AHC-FMT-003',
    'MUST',
    `${REF_DOC}; ${REF_SECURITY} (non-canonical hex rejected)`,
    'the hash in upper case or mixed case is HTTP 400: only the lower-case hex issued is a hash',
    async (c) => {
      const hash = c.fx.accessHash;
      const firstLetter = hash.search(/[a-f]/);
      const variants = [
        hash.toUpperCase(),
        [...hash].map((ch, index) => (index % 2 === 0 ? ch.toUpperCase() : ch)).join(''),
        firstLetter === -1 ? hash : hash.slice(0, firstLetter) + hash.charAt(firstLetter).toUpperCase() + hash.slice(firstLetter + 1),
      ].filter((variant) => variant !== hash);
      await c.expectAll(ACCESS_HASH_STATUS.malformed, variants.map((variant) => c.get(c.pair(variant))));
    },
  ),
  ahcCase(
    'AHC-FMT-004',
    'MUST',
    `${REF_DOC}; ${REF_SECURITY} (never silently truncated)`,
    'a hash of 79, 81, 64 or 160 characters is HTTP 400, never truncated or padded into a valid one',
    async (c) => {
      const hash = c.fx.accessHash;
      const values = [hash.slice(0, 79), hash.slice(1), `${hash}0`, `0${hash}`, hash.slice(0, 64), hash + hash, hash + c.fx.unknownHash.slice(0, 1)];
      await c.expectAll(ACCESS_HASH_STATUS.malformed, values.map((value) => c.get(c.pair(value))));
    },
  ),
  ahcCase(
    'AHC-FMT-005',
    'MUST',
    `${REF_DOC}; ${REF_SECURITY}`,
    '80 characters that are not all hex (`g`, a `0x` prefix, `-`, `+`, an inner space, `é`) are HTTP 400',
    async (c) => {
      const hash = c.fx.accessHash;
      const values = [
        `${hash.slice(0, 79)}g`,
        `0x${hash.slice(2)}`,
        `${hash.slice(0, 40)}-${hash.slice(41)}`,
        `${hash.slice(0, 79)}+`,
        `${hash.slice(0, 40)} ${hash.slice(41)}`,
        `${hash.slice(0, 79)}\u00e9`,
      ];
      await c.expectAll(ACCESS_HASH_STATUS.malformed, values.map((value) => c.get(c.pair(value))));
    },
  ),
  ahcCase(
    'AHC-FMT-006',
    'MUST',
    `${REF_SECURITY} (non-canonical hex rejected)`,
    'a percent-encoded hash (`%37eff…`, every character encoded) is HTTP 400: cookie values are not URL-decoded into a hash',
    async (c) => {
      const hash = c.fx.accessHash;
      const encode = (ch: string): string => `%${ch.charCodeAt(0).toString(16)}`;
      await c.expectAll(ACCESS_HASH_STATUS.malformed, [
        c.get(c.pair(encode(hash.charAt(0)) + hash.slice(1))),
        c.get(c.pair([...hash].map(encode).join(''))),
        c.get(c.pair(`${hash.slice(0, 79)}${encode(hash.charAt(79))}`)),
      ]);
    },
  ),
  ahcCase(
    'AHC-FMT-007',
    'MUST',
    `${REF_SECURITY} (never silently truncated; bounded header sizes)`,
    'a 64 KiB value starting with the valid hash is HTTP 400 (or refused by the HTTP layer with 413/431), never accepted',
    async (c) => {
      for (const value of [c.fx.accessHash + 'a'.repeat(MIB_SIXTEENTH), c.fx.accessHash + ' '.repeat(MIB_SIXTEENTH) + 'x']) {
        const sent = await c.send(c.get(c.pair(value)));
        if ((sent.reply.status === 413 || sent.reply.status === 431) && !claimsSuccess(sent.reply)) continue;
        c.expectFailure(sent, ACCESS_HASH_STATUS.malformed);
      }
    },
  ),

  // ---- The IP binding ("API Access Hashs": "Each API Access Hash only works from a specific IP address") ----
  ahcCase(
    'AHC-IP-001',
    'MUST',
    `${REF_IP}; ${REF_CODES}`,
    'a valid hash bound to another IP, sent from the client IP, is HTTP 403 (not 401: the hash is valid, the address is not)',
    async (c) => {
      await c.expectAll(ACCESS_HASH_STATUS.wrongIp, [
        c.get(c.pair(c.fx.foreignAccessHash)),
        c.get(`theme=dark; ${c.pair(c.fx.foreignAccessHash)}`),
      ]);
    },
  ),
  ahcCase(
    'AHC-IP-002',
    'MUST',
    REF_IP,
    'the binding holds both ways: the foreign hash is accepted from its own IP, and the client\'s hash is HTTP 403 from there',
    async (c) => {
      await c.expectAll('success', [c.get(c.pair(c.fx.foreignAccessHash), c.fx.foreignIp)]);
      await c.expectAll(ACCESS_HASH_STATUS.wrongIp, [c.get(c.pair(c.fx.accessHash), c.fx.foreignIp)]);
    },
    ['remote-address'],
  ),
  ahcCase(
    'AHC-IP-003',
    'MUST',
    REF_IP,
    'addresses near the bound one (next and previous, a digit more or less, the same /24, loopback, the other family) are HTTP 403',
    async (c) => {
      const pair = c.pair(c.fx.accessHash);
      await c.expectAll(
        ACCESS_HASH_STATUS.wrongIp,
        neighbouringAddresses(c.fx.clientIp).map((address) => c.get(pair, address)),
      );
    },
    ['remote-address'],
  ),
  ahcCase(
    'AHC-IP-004',
    'MUST',
    `${REF_IP} (an IPv4-mapped IPv6 address is its IPv4 address); ${REF_MAPPED}`,
    'the IPv4-mapped IPv6 address `::ffff:<client IPv4>` (as a dual-stack socket reports it) is the bound address: accepted',
    async (c) => {
      await c.expectAll('success', [
        c.get(c.pair(c.fx.accessHash), `::ffff:${normalizeIpAddress(c.fx.clientIp) as string}`),
        c.get(`theme=dark; ${c.pair(c.fx.accessHash)}`, `::ffff:${normalizeIpAddress(c.fx.clientIp) as string}`),
      ]);
    },
    ['remote-address', 'ipv4-client'],
  ),
  ahcCase(
    'AHC-IP-005',
    'MUST',
    `${REF_IP}; ${REF_MAPPED}`,
    'the IPv4-mapped form of another IPv4 address (the foreign IP, a neighbour) is HTTP 403',
    async (c) => {
      const pair = c.pair(c.fx.accessHash);
      const others = [...(isIpv4(c.fx.foreignIp) ? [normalizeIpAddress(c.fx.foreignIp) as string] : []), ...neighbouringAddresses(c.fx.clientIp).filter(isIpv4).slice(0, 3)];
      await c.expectAll(ACCESS_HASH_STATUS.wrongIp, others.map((address) => c.get(pair, `::ffff:${address}`)));
    },
    ['remote-address', 'ipv4-client'],
  ),
  ahcCase(
    'AHC-IP-006',
    'SHOULD',
    `${REF_IP}; ${REF_MAPPED}; RFC 5952`,
    'other spellings of the IPv4-mapped address (`::FFFF:`, `0:0:0:0:0:ffff:`, hex groups `::ffff:cb00:7107`) are the bound address too: accepted',
    async (c) => {
      const ip = normalizeIpAddress(c.fx.clientIp) as string;
      const pair = c.pair(c.fx.accessHash);
      await c.expectAll('success', [`::FFFF:${ip}`, `0:0:0:0:0:ffff:${ip}`, mappedHexForm(ip)].map((address) => c.get(pair, address)));
    },
    ['remote-address', 'ipv4-client'],
  ),
  ahcCase(
    'AHC-IP-007',
    'SHOULD',
    `${REF_IP}; RFC 4291 §2.5.5.1; RFC 6052`,
    'IPv4-compatible `::<IPv4>` and NAT64 `64:ff9b::<IPv4>` are other addresses than the IPv4 itself: HTTP 403',
    async (c) => {
      const ip = normalizeIpAddress(c.fx.clientIp) as string;
      const pair = c.pair(c.fx.accessHash);
      await c.expectAll(ACCESS_HASH_STATUS.wrongIp, [`::${ip}`, `64:ff9b::${ip}`].map((address) => c.get(pair, address)));
    },
    ['remote-address', 'ipv4-client'],
  ),
  ahcCase(
    'AHC-IP-008',
    'MUST',
    `${REF_CLIENT_IP}; ${REF_SECURITY}`,
    'X-Forwarded-For, X-Real-IP, Forwarded and similar headers naming the foreign hash\'s IP do not help it: HTTP 403 from the client IP',
    async (c) => {
      const pair = c.pair(c.fx.foreignAccessHash);
      await c.expectAll(
        ACCESS_HASH_STATUS.wrongIp,
        spoofingHeaders(c.fx.foreignIp).map((headers) => ({ path: c.fx.resourcePath, headers: [...c.cookie(pair), ...headers] })),
      );
    },
  ),
  ahcCase(
    'AHC-IP-009',
    'MUST',
    `${REF_CLIENT_IP}; ${REF_SECURITY}`,
    'without trusted proxies, the client\'s hash sent from another address with X-Forwarded-For (or X-Real-IP, Forwarded…) naming the bound IP is HTTP 403',
    async (c) => {
      const pair = c.pair(c.fx.accessHash);
      const from = [c.fx.foreignIp, ...neighbouringAddresses(c.fx.clientIp).slice(0, 1)];
      const specs: AhcRequestSpec[] = [];
      for (const address of from) {
        for (const headers of spoofingHeaders(c.fx.clientIp)) specs.push({ path: c.fx.resourcePath, headers: [...c.cookie(pair), ...headers], from: address });
      }
      await c.expectAll(ACCESS_HASH_STATUS.wrongIp, specs);
    },
    ['remote-address', 'no-trusted-proxies'],
  ),

  // ---- Unknown and revoked hashes ----
  ahcCase('AHC-HASH-001', 'MUST', `${REF_DOC}; ${REF_CODES}`, 'an unknown, well-formed hash is HTTP 401', async (c) => {
    await c.expectAll(ACCESS_HASH_STATUS.unknown, [c.get(c.pair(c.fx.unknownHash)), c.get(`theme=dark; ${c.pair(c.fx.unknownHash)}`)]);
  }),
  ahcCase(
    'AHC-HASH-002',
    'MUST',
    `${REF_SECURITY}; ${REF_CODES}`,
    'a valid hash with one digit changed (first, middle, last) is HTTP 401, also when the original is bound to another IP',
    async (c) => {
      const { accessHash, foreignAccessHash } = c.fx;
      await c.expectAll(
        ACCESS_HASH_STATUS.unknown,
        [alterDigit(accessHash, 0), alterDigit(accessHash, 40), alterDigit(accessHash, 79), alterDigit(foreignAccessHash, 79)].map((value) => c.get(c.pair(value))),
      );
    },
  ),
  ahcCase(
    'AHC-HASH-003',
    'MUST',
    `${REF_DOC} ("Delete"); ${REF_CODES}`,
    'a deleted (revoked) hash is HTTP 401, from the IP it was bound to',
    async (c) => {
      await c.expectAll(ACCESS_HASH_STATUS.unknown, [c.get(c.pair(c.fx.revokedAccessHash as string))]);
    },
    ['revoked-hash'],
  ),
  ahcCase(
    'AHC-HASH-004',
    'MUST',
    `${REF_DOC} ("Delete"); ${REF_SECURITY}`,
    'a hash deleted while in use is HTTP 401 on the very next request, with the reply an unknown hash gets',
    async (c) => {
      const spec = c.get(c.pair(c.fx.accessHash));
      c.expectSuccess(await c.send(spec));
      c.expectSuccess(await c.send(spec));
      const { driver } = c;
      check(typeof driver.revoke === 'function', 'the driver offers capability revoke but has no revoke()');
      try {
        await driver.revoke(c.fx.accessHash);
      } catch (error) {
        fail(c.redact(`revoke(<accessHash>) failed: ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`));
      }
      const after = await c.send(spec);
      c.expectFailure(after, ACCESS_HASH_STATUS.unknown);
      const unknown = await c.send(c.get(c.pair(c.fx.unknownHash)));
      check(
        after.reply.status === unknown.reply.status && deepEqual(after.reply.body, unknown.reply.body),
        () => `${after.label} got ${describeReply(after.reply, c.redact)} after revoke(), but an unknown hash got ${describeReply(unknown.reply, c.redact)}`,
      );
      c.expectFailure(await c.send(spec), ACCESS_HASH_STATUS.unknown);
    },
    ['revoke'],
  ),

  // ---- Only the cookie is a source ----
  ahcCase(
    'AHC-SRC-001',
    'MUST',
    REF_COOKIE,
    'the hash in a header (`access_hash: <hash>`, `X-Access-Hash`, `Access-Hash`, `X-API-Key`) instead of the cookie never authenticates: HTTP 401 as if missing',
    async (c) => {
      const { accessHash: hash, cookieName: name } = c.fx;
      const names = [...new Set([name, 'access_hash', 'x-access-hash', 'access-hash', `x-${name}`, 'x-api-key'])];
      await c.expectAll('missing', [
        ...names.map((header) => ({ path: c.fx.resourcePath, headers: [[header, hash]] as const })),
        { path: c.fx.resourcePath, headers: [['x-access-hash', hash], ['cookie', 'theme=dark']] },
      ]);
    },
  ),
  ahcCase(
    'AHC-SRC-002',
    'MUST',
    `${REF_COOKIE}; ${REF_SECURITY} (credentials in the URL off); OWASP ASVS 5.0 14.2.1`,
    'the hash as a query parameter (`?access_hash=`, `?hash=`) instead of the cookie never authenticates: HTTP 401 as if missing',
    async (c) => {
      const { accessHash: hash, cookieName: name } = c.fx;
      await c.expectAll('missing', [
        ...[...new Set([name, 'access_hash', 'hash', 'accessHash'])].map((parameter) => ({ path: c.fx.resourcePath, query: [[parameter, hash]] as const })),
        { path: c.fx.resourcePath, query: [['cookie', c.pair(hash)]] },
      ]);
    },
  ),
  ahcCase(
    'AHC-SRC-003',
    'MUST',
    REF_COOKIE,
    'the hash in `Authorization` (`Bearer <hash>`, `access_hash <hash>`, the bare hash, Basic) never authenticates: HTTP 401 as if missing',
    async (c) => {
      const { accessHash: hash, cookieName: name } = c.fx;
      await c.expectAll(
        'missing',
        [`Bearer ${hash}`, `${name} ${hash}`, hash, `Cookie ${c.pair(hash)}`, `Basic ${btoa(`${name}:${hash}`)}`].map((value) => ({
          path: c.fx.resourcePath,
          headers: [['authorization', value]] as const,
        })),
      );
    },
  ),
  ahcCase(
    'AHC-SRC-004',
    'MUST',
    REF_COOKIE,
    'an `access_hash` field in a POST body (JSON or urlencoded) never authenticates',
    async (c) => {
      const { accessHash: hash, cookieName: name } = c.fx;
      for (const spec of [
        { path: c.fx.resourcePath, json: { [name]: hash } },
        { path: c.fx.resourcePath, form: `${name}=${hash}` },
        { path: c.fx.resourcePath, form: `cookie=${encodeURIComponent(c.pair(hash))}` },
      ]) {
        c.expectNotSuccess(await c.send(spec));
      }
    },
  ),

  // ---- The envelope ("API Access Hashs": "Response from the server in json format") ----
  ahcCase(
    'AHC-ENV-001',
    'MUST',
    REF_ENVELOPE,
    'a success is HTTP 200 with `"error": ""`, `"status": "success"` (lower case, as in the panel\'s example) and a `msg`',
    async (c) => {
      const sent = await c.send(c.get(c.pair(c.fx.accessHash)));
      const body = sent.reply.body as Record<string, unknown> | null;
      check(
        sent.reply.status === 200 && typeof body === 'object' && body !== null && body['error'] === '' && body['status'] === 'success' && body['msg'] !== undefined,
        () => `${sent.label}: expected HTTP 200 {"error":"","msg":…,"status":"success"}, got ${describeReply(sent.reply, c.redact)}`,
      );
    },
  ),
  ahcCase(
    'AHC-ENV-002',
    'MUST',
    `${REF_ENVELOPE}; ${REF_CODES}`,
    'a request without the cookie gets HTTP 401 `{"error":"<non-empty text>","msg":"","status":"error"}`',
    async (c) => {
      const sent = await c.send({ path: c.fx.resourcePath });
      c.expectFailure(sent, ACCESS_HASH_STATUS.missing);
    },
  ),
  ahcCase(
    'AHC-ENV-003',
    'SHOULD',
    `${REF_ENVELOPE} ("Each response from the server will have the same structure")`,
    'success and failure replies have exactly the keys `error`, `msg` and `status`',
    async (c) => {
      const { accessHash, foreignAccessHash, unknownHash } = c.fx;
      for (const spec of [
        c.get(c.pair(accessHash)),
        { path: c.fx.resourcePath },
        c.get(c.pair(unknownHash)),
        c.get(c.pair(accessHash.toUpperCase())),
        c.get(`${c.pair(accessHash)}; ${c.pair(accessHash)}`),
        c.get(c.pair(foreignAccessHash)),
      ]) {
        const sent = await c.send(spec);
        const keys = envelopeKeys(sent.reply);
        check(deepEqual(keys, ['error', 'msg', 'status']), () => `${sent.label}: expected exactly error, msg, status, got ${describeReply(sent.reply, c.redact)}`);
      }
    },
  ),

  // ---- A failing store (fail closed) ----
  ahcCase(
    'AHC-STORE-001',
    'MUST',
    `${REF_SECURITY} (a store failure or timeout denies access)`,
    'with the credential store failing, no hash succeeds, not even the valid one from its own IP',
    async (c) => {
      const sender = await storeFailureSender(c.driver);
      for (const spec of [
        c.get(c.pair(c.fx.accessHash)),
        c.get(`theme=dark; ${c.pair(c.fx.accessHash)}`),
        c.get(c.pair(c.fx.foreignAccessHash)),
        c.get(c.pair(c.fx.unknownHash)),
      ]) {
        c.expectNotSuccess(await c.send(spec, sender));
      }
    },
    ['store-failure'],
  ),
  ahcCase(
    'AHC-STORE-002',
    'MUST',
    `${REF_CODES} (STORE_UNAVAILABLE: 503, never an accidental success)`,
    'with the credential store failing, a well-formed hash (valid, foreign or unknown) is HTTP 503 with the failure envelope',
    async (c) => {
      const sender = await storeFailureSender(c.driver);
      await c.expectAll(
        ACCESS_HASH_STATUS.storeDown,
        [c.fx.accessHash, c.fx.foreignAccessHash, c.fx.unknownHash].map((hash) => c.get(c.pair(hash))),
        sender,
      );
    },
    ['store-failure'],
  ),
  ahcCase(
    'AHC-STORE-003',
    'SHOULD',
    `${REF_DOC}; ${REF_CODES}`,
    'with the credential store failing, malformed and duplicated cookies are still HTTP 400 and a missing one 401: they never reach the store',
    async (c) => {
      const sender = await storeFailureSender(c.driver);
      const { accessHash } = c.fx;
      await c.expectAll(ACCESS_HASH_STATUS.malformed, [c.get(c.pair(accessHash.toUpperCase())), c.get(`${c.pair(accessHash)}; ${c.pair(accessHash)}`)], sender);
      await c.expectAll(ACCESS_HASH_STATUS.missing, [{ path: c.fx.resourcePath }], sender);
    },
    ['store-failure'],
  ),

  // ---- Telling nothing ----
  ahcCase(
    'AHC-LEAK-001',
    'MUST',
    `${REF_SECURITY} (one generic message and status for unknown, revoked and wrong credentials)`,
    'unknown, altered and revoked hashes all get one identical reply',
    async (c) => {
      const { fx } = c;
      const specs = [c.get(c.pair(fx.unknownHash)), c.get(c.pair(alterDigit(fx.accessHash, 79))), c.get(c.pair(alterDigit(fx.accessHash, 0)))];
      if (fx.revokedAccessHash !== null) specs.push(c.get(c.pair(fx.revokedAccessHash)));
      await c.expectIdentical(specs, 'an unknown and a revoked hash must not be told apart');
    },
  ),
  ahcCase('AHC-LEAK-002', 'MUST', `${REF_SECURITY} (secrets never in errors)`, 'no failure reply repeats the hash it was sent, or any other hash', async (c) => {
    const { fx } = c;
    const specs: AhcRequestSpec[] = [
      c.get(c.pair(fx.unknownHash)),
      c.get(c.pair(fx.foreignAccessHash)),
      c.get(c.pair(fx.accessHash.toUpperCase())),
      c.get(c.pair(`${fx.accessHash}0`)),
      c.get(c.pair(`"${fx.accessHash}"`)),
      c.get(`${c.pair(fx.accessHash)}; ${c.pair(fx.unknownHash)}`),
      { path: fx.resourcePath, headers: [['x-access-hash', fx.accessHash]] },
      { path: fx.resourcePath, query: [[fx.cookieName, fx.accessHash]] },
    ];
    if (fx.revokedAccessHash !== null) specs.push(c.get(c.pair(fx.revokedAccessHash)));
    // AccessHashCaseContext.send fails the case on any failure reply that repeats a hash.
    for (const spec of specs) await c.send(spec);
    if (c.driver.capabilities.includes('remote-address')) await c.send(c.get(c.pair(fx.accessHash), fx.foreignIp));
    if (c.driver.capabilities.includes('store-failure')) {
      const sender = await storeFailureSender(c.driver);
      await c.send(c.get(c.pair(fx.accessHash)), sender);
    }
  }),
  ahcCase(
    'AHC-LEAK-003',
    'MUST',
    `${REF_SECURITY}; ${REF_CODES} (a generic message that leaks nothing)`,
    'a wrong-IP reply does not name the IP the hash is bound to',
    async (c) => {
      const boundTexts = (ip: string): string[] => [...new Set([ip, normalizeIpAddress(ip) as string])];
      const checkNoIp = (sent: Exchange<AhcRequestSpec>, ip: string, name: string): void => {
        const text = replyText(sent.reply.body).toLowerCase();
        check(
          !boundTexts(ip).some((spelling) => text.includes(spelling.toLowerCase())),
          () => `${sent.label}: the reply names ${name}, the IP the hash is bound to (${describeReply(sent.reply, c.redact)})`,
        );
      };
      checkNoIp(await c.send(c.get(c.pair(c.fx.foreignAccessHash))), c.fx.foreignIp, 'foreignIp');
      if (c.driver.capabilities.includes('remote-address')) {
        checkNoIp(await c.send(c.get(c.pair(c.fx.accessHash), c.fx.foreignIp)), c.fx.clientIp, 'clientIp');
      }
    },
  ),
  ahcCase(
    'AHC-LEAK-004',
    'SHOULD',
    REF_SECURITY,
    'every wrong-IP reply is the same, whichever hash and whichever address',
    async (c) => {
      const specs = [c.get(c.pair(c.fx.foreignAccessHash)), c.get(`theme=dark; ${c.pair(c.fx.foreignAccessHash)}`)];
      if (c.driver.capabilities.includes('remote-address')) {
        specs.push(c.get(c.pair(c.fx.accessHash), c.fx.foreignIp));
        for (const address of neighbouringAddresses(c.fx.clientIp).slice(0, 2)) specs.push(c.get(c.pair(c.fx.accessHash), address));
      }
      await c.expectIdentical(specs, 'wrong-IP replies must be one generic reply');
    },
  ),
];

/**
 * The `access-hash-cookie@1` profile: the IP-bound access hashes of PUQ VPN control panel (PUQVPNCP) documentation,
 * "API Access Hashs" (revision 8, 2023-10-16), on the wire, judged only through requests and replies, so the same cases
 * run in-process and against a live server. It checks that the hash is read only from the `access_hash` cookie (never a
 * header, the query or the body), that a duplicated cookie is refused, what a hash is (exactly 80 lower-case hex
 * characters: no quotes, padding, upper case, other lengths or percent-escapes), the IP binding (403 from any other
 * address, IPv4-mapped IPv6 equal to its IPv4, `X-Forwarded-For` never believed without trusted proxies), unknown and
 * revoked hashes (401, alike, revocation at once), prototype-safe cookie parsing, the panel's envelope, failing closed
 * on a store failure (503), and that no reply repeats a hash or names the bound IP.
 *
 * @example
 * ```ts
 * import { accessHashCookieV1, accessHashInProcessDriver, runProfile } from '@gatehouse/conformance';
 * const results = await runProfile(accessHashCookieV1, accessHashInProcessDriver({ strategy, setup }));
 * ```
 */
export const accessHashCookieV1: ConformanceProfile<AccessHashDriver> = Object.freeze({
  id: 'access-hash-cookie@1',
  title: 'Access hash cookie wire conformance (access-hash-cookie@1)',
  cases,
  /**
   * The driver's own capabilities, plus those the fixtures may imply: those are settled per case, from the
   * fixtures `setup()` returns, and a case whose fixture is missing reports itself skipped.
   */
  capabilitiesOf(driver: AccessHashDriver): readonly string[] {
    return [...new Set([...(driver.capabilities ?? []), ...FIXTURE_CAPABILITIES])];
  },
});

