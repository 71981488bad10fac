// What an access-hash-cookie@2 case works with: the driver, its fixtures, the declared parameters, and checks split
// into security (never accepted, never leaked: these fail the case) and wire (how a refusal or success looks:
// recorded, never failing).
import { ConformanceSkip, type CaseContext, type ConformanceCase, type ConformanceLevel } from '../../case.js';
import { check, deepEqual, fail, neverAccepted, neverLeaked, show } from '../../check.js';
import type { WireSender } from '../../drivers/wire.js';
import { describeReply, exchange, presentedHexRuns, redactHashes, replyText, targetOf, type Exchange, type HeaderList, type NamedSecret, type WireRequestSpec } from '../../profiles/wire-request.js';
import type { RawWireSender } from '../../scheme.js';
import { fixtureCapabilities, resolveFixtures, type AccessHashCapability, type AccessHashFixtures, type ResolvedAccessHashFixtures } from './fixtures.js';
import { allowedStatuses, readParameters, type AccessHashParameters, type RefusalKind } from './parameters.js';
import { isAccepted } from './wire.js';

/**
 * A live hash a case may delete, and how the server's own management deletes it (PUQ VPN control panel
 * (PUQVPNCP) documentation, "API Access Hashs": "You can view/create/delete API Access Hashs").
 *
 * @example
 * ```ts
 * const revocable: RevocableAccessHash = { accessHash: hash, revoke: async () => void (await manager.revoke(owner, { token: hash })) };
 * ```
 */
export interface RevocableAccessHash {
  /** A live hash bound to the case's `clientIp`, used by no other case. */
  readonly accessHash: string;
  /** Deletes it the way the server's management does, resolving once that is done. */
  revoke(): Promise<void>;
}

/**
 * Raw bytes to the server (capability `raw-connection`), for the request-framing cases.
 *
 * @example
 * ```ts
 * const raw: AccessHashRawConnection = { sender, host: '127.0.0.1:3000', basePath: '' };
 * ```
 */
export interface AccessHashRawConnection {
  /** Writes the raw bytes on a fresh connection. */
  readonly sender: RawWireSender;
  /** The `Host` header value. */
  readonly host: string;
  /** Put before every path (the base URL's path), `''` for none. */
  readonly basePath: string;
}

/**
 * What `access-hash-cookie@2` drives: something that exchanges Fetch requests for wire replies (a strategy
 * in-process through `accessHashInProcessDriver`, or a live server over HTTP), makes fixtures per case, and says
 * what else it can do. Cases build requests on `http://gatehouse.test` and send them with `{ remoteAddress }`:
 * `clientIp` unless the case needs another address (capability `remote-address`).
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
  /** Fixtures for one case; called once at the start of every case. */
  setup(): Promise<AccessHashFixtures>;
  /** Capabilities beyond those the fixtures imply, e.g. `['remote-address', 'store-failure', 'revoke']`. */
  readonly capabilities: readonly string[];
  /** With capability `store-failure`: a sender to the same scheme whose credential store fails on every lookup. */
  storeFailure?(): Promise<WireSender>;
  /** With capability `revoke`: a fresh live hash, bound to `clientIp`, and how to delete it. */
  revocable?(): Promise<RevocableAccessHash>;
  /** With capability `raw-connection`: raw bytes to the server. */
  readonly rawConnection?: AccessHashRawConnection;
}

/** One request of a case: a wire request and the socket address it comes from (default the fixture `clientIp`). */
export interface AhcRequestSpec extends WireRequestSpec {
  readonly from?: string;
}

export type AhcExchange = Exchange<AhcRequestSpec>;

const clip = (text: string): string => (text.length > 200 ? `${text.slice(0, 160)}…(${text.length} chars)` : text);

/** A case's view of the driver, fixtures and parameters, with its checks. */
export class AhcContext {
  readonly params: AccessHashParameters;
  readonly #secrets: NamedSecret[];
  #unknown: { readonly reply: AhcExchange; readonly volatile: ReadonlySet<string> } | undefined;

  constructor(
    readonly driver: AccessHashDriver,
    readonly fx: ResolvedAccessHashFixtures,
    readonly caseContext: CaseContext,
  ) {
    this.params = readParameters(caseContext.parameters);
    const secrets: NamedSecret[] = [];
    for (const name of ['accessHash', 'foreignAccessHash', 'revokedAccessHash', 'unknownHash'] as const) {
      const value = fx[name];
      if (value !== null) secrets.push({ name, value });
    }
    this.#secrets = secrets;
  }

  /** Adds a hash a case got besides the fixtures (never shown in messages, never to be echoed). */
  addSecret(name: string, value: string): void {
    this.#secrets.push({ name, value });
  }

  readonly redact = (text: string): string => redactHashes(text, this.#secrets);

  /** Records a wire difference (never fails the case). */
  wire(condition: unknown, message: string | (() => string)): void {
    this.caseContext.wire(condition, () => this.redact(typeof message === 'string' ? message : message()));
  }

  /** `access_hash=<value>` (with the fixture's cookie name). */
  pair(value: string): string {
    return `${this.fx.cookieName}=${value}`;
  }

  /** A GET of the resource route with one `Cookie` field, from `from` (default the client IP). */
  get(cookie: string, from?: string): AhcRequestSpec {
    return { path: this.fx.resourcePath, headers: [['cookie', cookie]], ...(from === undefined ? {} : { from }) };
  }

  /** A GET of the resource route with these header fields. */
  withHeaders(headers: HeaderList, from?: string): AhcRequestSpec {
    return { path: this.fx.resourcePath, headers, ...(from === undefined ? {} : { from }) };
  }

  #labelOf(spec: AhcRequestSpec): string {
    const parts = [`${spec.method ?? (spec.json !== undefined || spec.form !== undefined ? 'POST' : 'GET')} ${clip(targetOf(spec))}`];
    for (const [name, value] of spec.headers ?? []) parts.push(`${name}: ${show(clip(value), 400)}`);
    if (spec.json !== undefined) parts.push(`JSON body ${clip(typeof spec.json === 'string' ? spec.json : JSON.stringify(spec.json))}`);
    if (spec.form !== undefined) parts.push(`form body ${show(clip(spec.form))}`);
    const from = spec.from ?? this.fx.clientIp;
    parts.push(from === this.fx.clientIp ? 'from clientIp' : `from ${from}`);
    return parts.join(', ');
  }

  describe(sent: AhcExchange): string {
    return describeReply(sent.reply, this.redact);
  }

  /**
   * Sends one request. Any reply that repeats a hash (a fixture's, or one the request carried) fails the case
   * as a leak: "API Access Hashs" shows a hash once, when it is created.
   */
  async send(spec: AhcRequestSpec, sender: WireSender = this.driver): Promise<AhcExchange> {
    const sent = await exchange(sender, this.redact(this.#labelOf(spec)), spec, this.redact, spec.from ?? this.fx.clientIp);
    const text = replyText(sent.reply.body).toLowerCase();
    const leaked =
      this.#secrets.find((secret) => text.includes(secret.value.toLowerCase()))?.name ??
      (presentedHexRuns(spec).some((run) => text.includes(run)) ? 'a hash the request carried' : undefined);
    neverLeaked(leaked === undefined, () => `${sent.label}: the reply repeats ${leaked} (${this.describe(sent)})`);
    return sent;
  }

  /** Whether the reply let the request in. */
  accepted(sent: AhcExchange): boolean {
    return isAccepted(sent.reply);
  }

  /** Security only: the request must not get in (how it is refused is not judged). */
  notAccepted(sent: AhcExchange, why?: string): void {
    neverAccepted(!this.accepted(sent), () => `${sent.label}: accepted (${this.describe(sent)})${why === undefined ? '' : `; ${why}`}`);
  }

  /** Security: the request must not get in. Wire: its status is one `kind` may have under the declared parameters. */
  refused(sent: AhcExchange, kind: RefusalKind, why?: string): void {
    this.notAccepted(sent, why);
    const allowed = allowedStatuses(this.params, kind);
    this.wire(allowed.test(sent.reply.status), () => `${sent.label}: HTTP ${sent.reply.status}, expected ${allowed.text} for ${kind.replace('-', ' ')} under refusal_status=${this.params.refusalStatus}${kind === 'foreign-ip' ? `, foreign_ip_reply=${this.params.foreignIpReply}` : ''} (${this.describe(sent)})`);
  }

  async refuseAll(kind: RefusalKind, specs: readonly AhcRequestSpec[], sender?: WireSender): Promise<AhcExchange[]> {
    const all: AhcExchange[] = [];
    for (const spec of specs) {
      const sent = await this.send(spec, sender);
      this.refused(sent, kind);
      all.push(sent);
    }
    return all;
  }

  /**
   * The request must get in. `broken`: the case fails (the scheme cannot work otherwise); `wire`: a difference
   * is recorded (refusing something valid is never a security failure).
   */
  admitted(sent: AhcExchange, how: 'broken' | 'wire', why = ''): void {
    const message = (): string => `${sent.label}: expected it to be accepted${why === '' ? '' : ` (${why})`}, got ${this.describe(sent)}`;
    if (how === 'broken') check(this.accepted(sent), message);
    else this.wire(this.accepted(sent), message);
  }

  async admitAll(how: 'broken' | 'wire', specs: readonly AhcRequestSpec[], why = ''): Promise<void> {
    for (const spec of specs) this.admitted(await this.send(spec), how, why);
  }

  /**
   * A form whose fate the server declares (a parameter) or a standard settles without a security stake: accepted
   * when `shouldAccept`, else refused as `kind`. A departure is a wire difference, never a security failure: the
   * request carries the live hash itself. `because` says where the expectation comes from.
   */
  expected(sent: AhcExchange, shouldAccept: boolean, kind: RefusalKind, because: string): void {
    if (shouldAccept) {
      this.wire(this.accepted(sent), () => `${sent.label}: refused (${this.describe(sent)}), but ${because}`);
      return;
    }
    this.wire(!this.accepted(sent), () => `${sent.label}: accepted, but ${because}`);
    if (!this.accepted(sent)) {
      const allowed = allowedStatuses(this.params, kind);
      this.wire(allowed.test(sent.reply.status), () => `${sent.label}: HTTP ${sent.reply.status}, expected ${allowed.text} for ${kind} under refusal_status=${this.params.refusalStatus} (${this.describe(sent)})`);
    }
  }

  /**
   * The reply an unknown, well-formed hash gets, sent twice with two unknown hashes: top-level body keys whose
   * values differ between the two (a request id, a time) are left out of every comparison.
   */
  async unknownReply(): Promise<{ readonly reply: AhcExchange; readonly volatile: ReadonlySet<string> }> {
    if (this.#unknown === undefined) {
      const first = await this.send(this.get(this.pair(this.fx.unknownHash)));
      const other = this.fx.unknownHash.slice(1) + (this.fx.unknownHash.startsWith('0') ? '1' : '0');
      const second = await this.send(this.get(this.pair(other)));
      const volatile = new Set<string>();
      const a = first.reply.body;
      const b = second.reply.body;
      if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
        for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
          if (!deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) volatile.add(key);
        }
      }
      this.#unknown = { reply: first, volatile };
    }
    return this.#unknown;
  }

  /** Whether two replies are the same to an attacker: status and body, volatile keys left out. */
  same(a: AhcExchange, b: AhcExchange, volatile: ReadonlySet<string>): boolean {
    const strip = (body: unknown): unknown => {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
      return Object.fromEntries(Object.entries(body).filter(([key]) => !volatile.has(key)));
    };
    return a.reply.status === b.reply.status && deepEqual(strip(a.reply.body), strip(b.reply.body));
  }

  /** Security: `sent` gets exactly the reply an unknown hash gets (so an attacker cannot tell the two apart). */
  async sameAsUnknown(sent: AhcExchange, why: string): Promise<void> {
    const unknown = await this.unknownReply();
    neverLeaked(
      this.same(sent, unknown.reply, unknown.volatile),
      () => `${sent.label} got ${this.describe(sent)}, but an unknown hash got ${this.describe(unknown.reply)}; ${why}`,
    );
  }
}

/**
 * Builds one case: it calls the driver's `setup()`, checks the fixtures, derives the capabilities they imply,
 * skips itself when one it requires is missing, and runs its body with an {@link AhcContext}.
 */
export function ahcCase(
  id: string,
  level: ConformanceLevel,
  ref: string,
  title: string,
  body: (c: AhcContext) => Promise<void>,
  options: { readonly requires?: readonly AccessHashCapability[]; readonly parameters?: readonly string[] } = {},
): ConformanceCase<AccessHashDriver> {
  return {
    id,
    level,
    ref,
    title,
    ...(options.requires === undefined ? {} : { requires: options.requires }),
    ...(options.parameters === undefined ? {} : { parameters: options.parameters }),
    async run(driver, context) {
      let raw: unknown;
      try {
        raw = await driver.setup();
      } catch (error) {
        fail(`setup() failed: ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`);
      }
      const fixtures = resolveFixtures(raw);
      const capabilities = new Set<string>([...(driver.capabilities ?? []), ...fixtureCapabilities(fixtures)]);
      const missing = (options.requires ?? []).filter((capability) => !capabilities.has(capability));
      if (missing.length > 0) throw new ConformanceSkip(`requires ${missing.join(', ')}`);
      await body(new AhcContext(driver, fixtures, context));
    },
  };
}
