// The case context of nvx-hash@2: fresh fixtures, the declared parameters, and sending with its checks split in
// two. Security checks (`refuse`: never accepted; every failure reply: nothing echoed) stop the case; wire checks
// (codes, statuses, envelopes, documented successes) are recorded and the case goes on.
import { ConformanceSkip, type CaseContext, type ConformanceCase, type ConformanceLevel } from '../../case.js';
import { fail, neverAccepted, neverLeaked, show } from '../../check.js';
import { isConformanceSkip } from '../../run.js';
import type { WireResponse, WireSender } from '../../drivers/wire.js';
import {
  describeReply,
  exchange,
  presentedHexRuns,
  redactSecrets,
  replyText,
  targetOf,
  type Exchange as WireExchange,
  type HeaderList,
  type NamedSecret,
  type WireRequestSpec,
} from '../../profiles/wire-request.js';
import { nvxFixtureCapabilities, resolveNvxFixtures, type NvxCapability, type NvxHashDriver, type ResolvedNvxFixtures } from './fixtures.js';
import { nvxParameters, type NvxParameters } from './parameters.js';
import { envelopeDifferences, isAccepted, isNavixySuccess, replyDifferences } from './wire.js';

export type NvxRequestSpec = WireRequestSpec;
export type Exchange = WireExchange<NvxRequestSpec>;
export type { HeaderList };

export const MIB = 1024 * 1024;

export const authorization = (value: string): HeaderList => [['authorization', value]];
export const nvx = (hash: string): HeaderList => authorization(`NVX ${hash}`);

/** Alters the last hex digit of a hash, keeping it hex. */
export function otherHash(hash: string): string {
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

/**
 * What a refusal may look like on the wire: the Navixy code(s) it may carry (each with the HTTP status the Errors
 * page gives it), or `null` when the documents say nothing the case can check; `httpLayer` also allows the HTTP
 * layer's own 413 or 431 (an oversized request).
 */
export interface RefusalShape {
  readonly code: number | readonly number[] | null;
  readonly httpLayer?: boolean;
  /** Why this code: the document or the declared parameter, for the wire difference's message. */
  readonly why: string;
}

/** What a case works with: the driver, its fresh fixtures, the declared parameters, and assertions on the wire. */
export class NvxCaseContext {
  readonly secrets: NamedSecret[];
  readonly p: NvxParameters;

  constructor(
    readonly driver: NvxHashDriver,
    readonly fx: ResolvedNvxFixtures,
    readonly context: CaseContext,
  ) {
    const secrets: NamedSecret[] = [];
    for (const name of ['apiKey', 'userSessionHash', 'subUserSessionHash', 'panelSessionHash', 'revokedApiKey', 'endedSessionHash', 'unknownHash'] as const) {
      const value = fx[name];
      if (value !== null) secrets.push({ name, value });
    }
    this.secrets = secrets;
    this.p = nvxParameters(context.parameters);
  }

  /** Adds a hash the case obtained (a key it created) to those no message repeats. */
  addSecret(name: string, value: string): void {
    this.secrets.push({ name, value });
  }

  /** Names every fixture hash, and shortens every other run of 32 hex digits, so no message repeats a hash. */
  readonly redact = (text: string): string =>
    redactSecrets(text, this.secrets).replace(/[0-9a-fA-F]{32,}/g, (run) => `<${run.length} hex digits>`);

  /** Records a wire difference (redacted). */
  wire(condition: unknown, message: () => string): void {
    this.context.wire(condition, () => this.redact(message()));
  }

  /**
   * Sends one request. A reply that does not let the request in and repeats any hash (a fixture's, or one the
   * request carried) is a leak, wherever it happens.
   */
  async send(spec: NvxRequestSpec, sender: WireSender = this.driver): Promise<Exchange> {
    const sent = await exchange(sender, this.redact(labelOf(spec)), spec, this.redact);
    if (!isAccepted(sent.reply)) this.expectNoEcho(sent, presentedHexRuns(spec));
    return sent;
  }

  /** Security: a reply that refuses must not repeat a hash (a fixture's, or one of `presented`). */
  expectNoEcho(sent: { readonly label: string; readonly reply: WireResponse }, presented: readonly string[]): void {
    const text = replyText(sent.reply.body).toLowerCase();
    const leaked =
      this.secrets.find((secret) => text.includes(secret.value.toLowerCase()))?.name ?? (presented.some((run) => text.includes(run)) ? 'a hash the request carried' : undefined);
    neverLeaked(leaked === undefined, () => `${sent.label}: the refusal repeats ${leaked} (${this.describe(sent.reply)})`);
  }

  describe(reply: WireResponse): string {
    return describeReply(reply, this.redact);
  }

  /** Security: the request must not get in. Wire: the refusal has the expected shape. */
  expectRefused(sent: Exchange, shape: RefusalShape): void {
    neverAccepted(!isAccepted(sent.reply), () => `${sent.label}: must be refused, got ${this.describe(sent.reply)} (${shape.why})`);
    this.expectShape(sent, shape);
  }

  /** Wire only: the refusal has the expected shape. */
  expectShape(sent: Exchange, shape: RefusalShape): void {
    if (shape.code === null) return;
    if (shape.httpLayer === true && (sent.reply.status === 413 || sent.reply.status === 431)) return;
    const codes = typeof shape.code === 'number' ? [shape.code] : shape.code;
    const differences = codes.map((code) => envelopeDifferences(sent.reply, code));
    this.wire(
      differences.some((one) => one.length === 0),
      () =>
        `${sent.label}: expected Navixy's refusal with code ${codes.join(' or ')}${shape.httpLayer === true ? ' (or the HTTP layer\'s 413/431)' : ''} (${shape.why}), got ${this.describe(sent.reply)}: ${(differences[0] ?? []).join(', ')}`,
    );
  }

  /** Wire: the documents say this request succeeds (HTTP 200, `"success": true`). */
  expectSuccess(sent: Exchange, why: string): void {
    this.wire(isNavixySuccess(sent.reply), () => `${sent.label}: expected HTTP 200 with "success": true (${why}), got ${this.describe(sent.reply)}`);
  }

  async refuseAll(specs: readonly NvxRequestSpec[], shape: RefusalShape, sender?: WireSender): Promise<Exchange[]> {
    const sent: Exchange[] = [];
    for (const spec of specs) {
      const one = await this.send(spec, sender);
      this.expectRefused(one, shape);
      sent.push(one);
    }
    return sent;
  }

  async succeedAll(specs: readonly NvxRequestSpec[], why: string): Promise<void> {
    for (const spec of specs) this.expectSuccess(await this.send(spec), why);
  }

  /**
   * Security: every reply is the same as the first (status and body), apart from fields that vary between two
   * replies to the very same request; otherwise an attacker can tell the credentials apart.
   */
  async expectIndistinguishable(specs: readonly [NvxRequestSpec, ...NvxRequestSpec[]], what: string): Promise<Exchange[]> {
    const [first, ...rest] = specs;
    const baseline = await this.send(first);
    const noise = await this.send(first);
    const sent = [baseline];
    for (const spec of rest) {
      const other = await this.send(spec);
      const differences = replyDifferences(baseline.reply, noise.reply, other.reply);
      neverLeaked(
        differences.length === 0,
        () => `${other.label} got ${this.describe(other.reply)}, but ${baseline.label} got ${this.describe(baseline.reply)} (${differences.join(', ')}): ${what} must not be told apart`,
      );
      sent.push(other);
    }
    return sent;
  }
}

type Case = ConformanceCase<NvxHashDriver>;

/** One nvx-hash@2 case, described. */
export interface NvxCaseSpec {
  readonly id: string;
  readonly level: ConformanceLevel;
  readonly ref: string;
  readonly title: string;
  readonly requires?: readonly NvxCapability[];
  readonly parameters?: readonly string[];
  run(c: NvxCaseContext): Promise<void>;
}

/**
 * Builds a case: it calls the driver's `setup()`, checks the fixtures, skips itself when a capability it requires
 * is missing (from the driver or the fixtures), and runs with the case context.
 */
export function nvxCase(spec: NvxCaseSpec): Case {
  const { id, level, ref, title, requires, parameters } = spec;
  return {
    id,
    level,
    ref,
    title,
    ...(requires === undefined ? {} : { requires }),
    ...(parameters === undefined ? {} : { parameters }),
    async run(driver, context) {
      let raw: unknown;
      try {
        raw = await driver.setup();
      } catch (error) {
        if (isConformanceSkip(error)) throw error;
        fail(`setup() failed: ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`);
      }
      const fixtures = resolveNvxFixtures(raw);
      const capabilities = new Set<string>([...(driver.capabilities ?? []), ...nvxFixtureCapabilities(fixtures)]);
      const missing = (requires ?? []).filter((capability) => !capabilities.has(capability));
      if (missing.length > 0) throw new ConformanceSkip(`requires ${missing.join(', ')}`);
      await spec.run(new NvxCaseContext(driver, fixtures, context ?? { parameters: {}, wire: () => undefined }));
    },
  };
}

/** Skips the rest of a case when a declared parameter makes it moot. */
export function skipUnless(condition: boolean, reason: string): void {
  if (!condition) throw new ConformanceSkip(reason);
}
