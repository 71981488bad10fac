// What an hmac-signature@2 case works with: the driver, its fixtures, the declared parameters, and assertions
// split into security (a bad credential never let in, nothing secret echoed, nothing told apart) and wire fidelity
// (statuses and envelopes, recorded through the case context, never failing the case).
import { ConformanceSkip, type CaseContext, type ConformanceCase, type ConformanceLevel } from '../../case.js';
import { check, deepEqual, fail, neverAccepted, neverLeaked, show } from '../../check.js';
import type { WireSender } from '../../drivers/wire.js';
import { describeReply, exchange, redactHashes, replyText, targetOf, type Exchange, type HeaderList, type NamedSecret, type WireRequestSpec } from '../../profiles/wire-request.js';
import {
  fixtureCapabilities,
  resolveFixtures,
  type HmacCapability,
  type HmacKeyFixture,
  type HmacSignatureDriver,
  type ResolvedHmacFixtures,
  type ResolvedKey,
} from './fixtures.js';
import { parameterOf, type HmacParameters } from './parameters.js';
import { apexSignature, APTOKEN_HEADER, callAccepted, HMAC_FIELDS, isDecimal, loginAccepted, sessionTokenOf, type HmacField, type HmacValues } from './wire.js';

/** One request of a case: a wire request and the socket address it comes from (default the fixture `clientIp`). */
export interface HmacRequestSpec extends WireRequestSpec {
  readonly from?: string;
}

export type HmacExchange = Exchange<HmacRequestSpec>;

export type PartialValues = Partial<Record<HmacField, string>>;

export type NoncePolicy = NonNullable<HmacParameters['nonce_policy']>;

/** The four values as header fields, in the order KiiEx lists them, leaving out those not given. */
export function headersOf(values: PartialValues): HeaderList {
  return HMAC_FIELDS.filter((field) => values[field] !== undefined).map((field) => [field, values[field] as string] as const);
}

function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, Math.floor(max * 0.8))}…(${text.length} chars)` : text;
}

/** The values of one named field a request carries (headers, and JSON body members in any casing). */
function presented(spec: WireRequestSpec, field: string): string[] {
  const out: string[] = [];
  for (const [name, value] of spec.headers ?? []) if (name.toLowerCase() === field.toLowerCase()) out.push(value);
  if (typeof spec.json === 'object' && spec.json !== null) {
    const value = (spec.json as Record<string, unknown>)[field];
    if (typeof value === 'string') out.push(value);
  }
  return out.filter((value) => value.length >= 16);
}

/**
 * The last nonce the kit used per driver and API key, so a driver whose `setup()` hands out the same key again
 * still gets nonces above every one it has seen.
 */
const usedNonces = new WeakMap<object, Map<string, bigint>>();

/** The driver, its fresh fixtures, the declared parameters, and assertions stated on the wire. */
export class HmacCaseContext {
  readonly #secrets: NamedSecret[] = [];
  readonly #keys: ResolvedKey[];

  constructor(
    readonly driver: HmacSignatureDriver,
    readonly fx: ResolvedHmacFixtures,
    readonly context: CaseContext,
  ) {
    this.#keys = [fx, ...(fx.ipRestrictedKey === null ? [] : [fx.ipRestrictedKey]), ...(fx.limitedKey === null ? [] : [fx.limitedKey])];
    const named: [ResolvedKey | null, string][] = [
      [fx, ''],
      [fx.ipRestrictedKey, 'ipRestrictedKey.'],
      [fx.limitedKey, 'limitedKey.'],
    ];
    for (const [key, prefix] of named) if (key !== null) this.#remember(key, prefix);
  }

  #remember(key: ResolvedKey, prefix: string): void {
    this.#secrets.push({ name: `${prefix}apiSecret`, value: key.apiSecret }, { name: `${prefix}apiKey`, value: key.apiKey });
    // Longer values first, so a secret that contains another is named as itself.
    this.#secrets.sort((a, b) => b.value.length - a.value.length);
  }

  /** A declared parameter. */
  parameter<K extends keyof HmacParameters>(name: K): NonNullable<HmacParameters[K]> {
    return parameterOf(this.context.parameters, name);
  }

  get policy(): NoncePolicy {
    return this.parameter('nonce_policy');
  }

  /** Records a wire difference when `condition` is false (never fails the case). */
  wire(condition: unknown, message: string | (() => string)): void {
    this.context.wire(condition, () => this.redact(typeof message === 'string' ? message : message()));
  }

  /** Names a session token the server issued, so failure messages never print it. */
  rememberToken(token: string): void {
    if (token.length >= 8 && !this.#secrets.some((secret) => secret.value === token)) {
      this.#secrets.push({ name: `sessionToken#${this.#secrets.filter((secret) => secret.name.startsWith('sessionToken')).length + 1}`, value: token });
      this.#secrets.sort((a, b) => b.value.length - a.value.length);
    }
  }

  readonly redact = (text: string): string => redactHashes(text, this.#secrets);

  /** The next nonce for a key: the issued one under `issued`, otherwise one above every nonce used so far. */
  nextNonce(key: ResolvedKey = this.fx): string {
    if (this.policy === 'issued') return key.nonce;
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

  /** Values signed with the key's secret over `userId` (which need not own the key). */
  valuesFor(userId: string, key: ResolvedKey = this.fx): HmacValues {
    const nonce = this.nextNonce(key);
    return { APIKey: key.apiKey, Signature: apexSignature(key.apiSecret, nonce, userId, key.apiKey), UserId: userId, Nonce: nonce };
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
    if (spec.from !== undefined) parts.push(`from ${spec.from}`);
    return parts.join(', ');
  }

  /**
   * Sends one request. A reply that repeats an API secret or echoes a Signature the request carried, or a refusal
   * that echoes the `aptoken` it was sent, fails the case as a leak wherever it happens.
   */
  async send(spec: HmacRequestSpec, sender: WireSender = this.driver): Promise<HmacExchange> {
    const from = spec.from ?? this.fx.clientIp ?? undefined;
    const sent = await exchange(sender, this.redact(this.#labelOf(spec)), spec, this.redact, from);
    const text = replyText(sent.reply.body).toLowerCase();
    neverLeaked(!this.#keys.some((key) => text.includes(key.apiSecret.toLowerCase())), () => `${sent.label}: the reply repeats an API secret (${this.describe(sent)})`);
    neverLeaked(
      !presented(spec, 'Signature').some((signature) => text.includes(signature.toLowerCase())),
      () => `${sent.label}: the reply echoes the Signature it was sent (${this.describe(sent)})`,
    );
    const token = sessionTokenOf(sent.reply);
    if (token !== null) this.rememberToken(token);
    if (!callAccepted(sent.reply) && token === null) {
      neverLeaked(
        !presented(spec, APTOKEN_HEADER).some((value) => text.includes(value.toLowerCase())),
        () => `${sent.label}: the refusal echoes the aptoken it was sent (${this.describe(sent)})`,
      );
    }
    return sent;
  }

  describe(sent: HmacExchange): string {
    return describeReply(sent.reply, this.redact);
  }

  /**
   * The status a refusal uses, as a wire check against the declared `refusal_status`. `layer`: the request is one
   * an HTTP layer refuses on its size (413 and 431 always conform).
   */
  refusalStatus(sent: HmacExchange, layer = false): void {
    const status = sent.reply.status;
    if (layer && (status === 413 || status === 431)) return;
    const declared = this.parameter('refusal_status');
    if (declared === '4xx') this.wire(status >= 400 && status <= 499, () => `${sent.label}: refused with HTTP ${status}; the declared refusal_status=4xx wants a 4xx`);
    else if (declared === '200') this.wire(status === 200, () => `${sent.label}: refused with HTTP ${status}; the declared refusal_status=200 wants 200 with the refusal in the body`);
  }

  /** Security: an AuthenticateUser reply that must be a refusal lets nobody in; wire: its status. */
  refusedLogin(sent: HmacExchange, why: string, layer = false): void {
    neverAccepted(!loginAccepted(sent.reply), () => `${sent.label}: ${why}, yet it was accepted: ${this.describe(sent)}`);
    this.refusalStatus(sent, layer);
  }

  /** Sends each request and expects each refused (see {@link refusedLogin}). */
  async refusedLogins(specs: readonly HmacRequestSpec[], why: string, options: { readonly sender?: WireSender; readonly layer?: boolean } = {}): Promise<HmacExchange[]> {
    const sent: HmacExchange[] = [];
    for (const spec of specs) {
      const one = await this.send(spec, options.sender);
      this.refusedLogin(one, why, options.layer ?? false);
      sent.push(one);
    }
    return sent;
  }

  /** Security: a call that must be refused lets nobody in; wire: its status. */
  refusedCall(sent: HmacExchange, why: string, layer = false): void {
    neverAccepted(!callAccepted(sent.reply), () => `${sent.label}: ${why}, yet the call was let through: ${this.describe(sent)}`);
    this.refusalStatus(sent, layer);
  }

  /**
   * A precondition: the documented sign-in (the four values as headers) gives a session token, read in any casing
   * without judging the envelope. Fails as `broken`, saying what the server answered, when it does not.
   */
  async login(key: ResolvedKey = this.fx, from?: string): Promise<string> {
    const sent = await this.send(this.loginHeaders(this.values(key), [], from));
    return this.tokenOf(sent);
  }

  /** The session token of a sign-in that must succeed (a precondition: `broken` when there is none). */
  tokenOf(sent: HmacExchange): string {
    const token = sessionTokenOf(sent.reply);
    if (token === null || !loginAccepted(sent.reply)) {
      fail(`precondition not met: ${sent.label} should sign in (documented in KiiEx docs, "Authenticate with API Key"), but the server answered ${this.describe(sent)} without a session token`);
    }
    return token;
  }

  /** A precondition: a call with a live session works (`broken` when it does not). */
  callWorks(sent: HmacExchange): void {
    check(callAccepted(sent.reply), () => `precondition not met: ${sent.label} should be let through with a live session token, but the server answered ${this.describe(sent)}`);
  }

  /** Security: all exchanges got the same status and body, so an attacker cannot tell the situations apart. */
  identical(sent: readonly HmacExchange[], what: string): void {
    const [reference, ...rest] = sent as [HmacExchange, ...HmacExchange[]];
    for (const other of rest) {
      neverLeaked(
        other.reply.status === reference.reply.status && deepEqual(other.reply.body, reference.reply.body),
        () => `${other.label} got ${this.describe(other)}, but ${reference.label} got ${this.describe(reference)}: ${what}`,
      );
    }
  }

  /** Removes a live key through the driver's `revokeKey` (the server's own management). */
  async revokeKey(key: ResolvedKey): Promise<void> {
    const { driver } = this;
    check(typeof driver.revokeKey === 'function', 'the driver offers capability revoke but has no revokeKey()');
    try {
      await driver.revokeKey(key.apiKey);
    } catch (error) {
      fail(this.redact(`revokeKey(<apiKey>) failed: ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`));
    }
  }

  /** A key this case may remove: a fresh one from the driver's `issueKey()`, else the fixtures' own (fresh per case). */
  async disposableKey(): Promise<ResolvedKey> {
    if (typeof this.driver.issueKey !== 'function') return this.fx;
    let issued: HmacKeyFixture;
    try {
      issued = await this.driver.issueKey();
    } catch (error) {
      fail(this.redact(`issueKey() failed: ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`));
    }
    const key: ResolvedKey = { apiKey: issued.apiKey, apiSecret: issued.apiSecret, userId: issued.userId, nonce: issued.nonce };
    this.#keys.push(key);
    this.#remember(key, 'issuedKey.');
    return key;
  }
}

/** What a case declares besides its body. */
export interface HmacCaseOptions {
  readonly requires?: readonly HmacCapability[];
  /** The declared parameters the case reads (besides `refusal_status`, which every refusal reads). */
  readonly parameters?: readonly (keyof HmacParameters)[];
  /** The nonce policies the case applies to; under another it is skipped. */
  readonly policies?: readonly NoncePolicy[];
}

export type HmacCase = ConformanceCase<HmacSignatureDriver>;

/**
 * Builds one case: it calls the driver's `setup()`, checks the fixtures, derives the capabilities they imply,
 * skips itself when one it requires is missing or the declared nonce policy is not one it applies to, and runs
 * its body with the case context.
 */
export function hmacCase(
  id: string,
  level: ConformanceLevel,
  ref: string,
  title: string,
  body: (c: HmacCaseContext) => Promise<void>,
  options: HmacCaseOptions = {},
): HmacCase {
  const parameters = [...new Set<string>([...(options.parameters ?? []), ...(options.policies === undefined ? [] : ['nonce_policy'])])];
  return {
    id,
    level,
    ref,
    title,
    ...(options.requires === undefined ? {} : { requires: options.requires }),
    ...(parameters.length === 0 ? {} : { parameters }),
    async run(driver, context) {
      const policy = parameterOf(context.parameters, 'nonce_policy');
      if (options.policies !== undefined && !options.policies.includes(policy)) {
        throw new ConformanceSkip(`does not apply under nonce_policy=${policy} (applies under ${options.policies.join(', ')})`);
      }
      let raw: unknown;
      try {
        raw = await driver.setup();
      } catch (error) {
        fail(`setup() failed: ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`);
      }
      const fixtures = resolveFixtures(raw, policy === 'increasing');
      const capabilities = new Set<string>([...(driver.capabilities ?? []), ...fixtureCapabilities(fixtures)]);
      if (driver.rawConnection !== undefined) capabilities.add('raw-connection');
      const missing = (options.requires ?? []).filter((capability) => !capabilities.has(capability));
      if (missing.length > 0) throw new ConformanceSkip(`requires ${missing.join(', ')}`);
      await body(new HmacCaseContext(driver, fixtures, context));
    },
  };
}
