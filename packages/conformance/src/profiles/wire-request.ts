// Requests described by their parts, built into Fetch `Request`s and exchanged through a WireSender. Shared by
// the per-scheme wire profiles (`nvx-hash@2`, `access-hash-cookie@2`, `hmac-signature@2`); internal to the package.
import { ConformanceFailure } from '../case.js';
import { show } from '../check.js';
import { attachFieldLines, CONFORMANCE_ORIGIN, type WireResponse, type WireSender } from '../drivers/wire.js';
import { isConformanceSkip } from '../run.js';

export type HeaderList = readonly (readonly [string, string])[];

/** One request of a case, described by its parts (so a failure message can say what was sent). */
export interface WireRequestSpec {
  /** Default `GET`, or `POST` when there is a body. */
  readonly method?: string;
  /** Absolute path, possibly with a query already. */
  readonly path: string;
  /** Query parameters appended to the path, in order (repeats allowed). */
  readonly query?: HeaderList;
  /** Header fields, in order; a name given twice is appended twice. */
  readonly headers?: HeaderList;
  /** A JSON body: serialized with `JSON.stringify` unless it is already a string, sent as application/json. */
  readonly json?: unknown;
  /** An `application/x-www-form-urlencoded` body, as sent. */
  readonly form?: string;
}

function encodeQueryPart(value: string): string {
  return encodeURIComponent(value);
}

export function targetOf(spec: WireRequestSpec): string {
  let target = spec.path;
  for (const [name, value] of spec.query ?? []) {
    target += `${target.includes('?') ? '&' : '?'}${encodeQueryPart(name)}=${encodeQueryPart(value)}`;
  }
  return target;
}

function bodyOf(spec: WireRequestSpec): { contentType: string; text: string } | null {
  if (spec.json !== undefined) {
    return { contentType: 'application/json', text: typeof spec.json === 'string' ? spec.json : JSON.stringify(spec.json) };
  }
  if (spec.form !== undefined) return { contentType: 'application/x-www-form-urlencoded', text: spec.form };
  return null;
}

/**
 * Builds a fresh Fetch `Request` (a body can be read once) on the conformance origin. A header given twice is
 * appended twice: a Fetch runtime joins the values (`Cookie` with `; `, as undici does; others with `, `), and
 * an HTTP driver sends them as separate field lines.
 */
export function buildWireRequest(spec: WireRequestSpec): Request {
  const headers = new Headers();
  const lines: [string, string][] = [];
  const body = bodyOf(spec);
  if (body !== null) {
    headers.set('content-type', body.contentType);
    lines.push(['content-type', body.contentType]);
  }
  for (const [name, value] of spec.headers ?? []) {
    headers.append(name, value);
    lines.push([name, value]);
  }
  const init: RequestInit = { method: spec.method ?? (body === null ? 'GET' : 'POST'), headers };
  if (body !== null) init.body = body.text;
  // The HTTP driver reads the lines back to send a repeated header as separate field lines.
  return attachFieldLines(new Request(CONFORMANCE_ORIGIN + targetOf(spec), init), lines);
}

/** Every string of the request that could carry a secret: target, header values, body. */
export function requestTexts(spec: WireRequestSpec): string[] {
  const texts = [targetOf(spec), ...(spec.headers ?? []).map(([, value]) => value)];
  const body = bodyOf(spec);
  if (body !== null) texts.push(body.text);
  return texts;
}

/** Named secrets: failure messages show the name (`<apiKey>`), never the value. */
export interface NamedSecret {
  readonly name: string;
  readonly value: string;
}

/** Replaces every named secret in a text with its name (case-insensitively: hex is hex in either case). */
export function redactSecrets(text: string, secrets: readonly NamedSecret[]): string {
  let out = text;
  for (const { name, value } of secrets) {
    if (value === '') continue;
    const pattern = new RegExp(value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
    out = out.replace(pattern, `<${name}>`);
  }
  return out;
}

/** A reply body as text, for leak searches. */
export function replyText(body: unknown): string {
  if (typeof body === 'string') return body;
  try {
    return JSON.stringify(body) ?? String(body);
  } catch {
    return String(body);
  }
}

export interface Exchange<S extends WireRequestSpec = WireRequestSpec> {
  readonly label: string;
  readonly spec: S;
  readonly reply: WireResponse;
}

export type Redact = (text: string) => string;

export function describeReply(reply: WireResponse, redact: Redact): string {
  return redact(`${reply.status} ${show(reply.body, 300)}`);
}

/** Sends one request, failing clearly when the driver throws or answers with something that is not a reply. */
export async function exchange<S extends WireRequestSpec>(
  sender: WireSender,
  label: string,
  spec: S,
  redact: Redact,
  remoteAddress?: string,
): Promise<Exchange<S>> {
  let reply: unknown;
  try {
    reply = await sender.send(buildWireRequest(spec), remoteAddress === undefined ? {} : { remoteAddress });
  } catch (error) {
    // A driver that cannot send this request at all (e.g. over HTTP, from an address it cannot bind) skips the case.
    if (isConformanceSkip(error)) throw error;
    if (error instanceof ConformanceFailure) throw new ConformanceFailure(redact(`${label}: ${error.message}`));
    const what = error instanceof Error ? `${error.name}: ${error.message}` : show(error);
    throw new ConformanceFailure(redact(`${label}: the driver threw ${what}`));
  }
  const status = (reply as { status?: unknown } | null)?.status;
  if (typeof reply !== 'object' || reply === null || typeof status !== 'number' || !Number.isInteger(status)) {
    throw new ConformanceFailure(redact(`${label}: the driver returned ${show(reply)}, not { status, body }`));
  }
  return { label, spec, reply: reply as WireResponse };
}

/** 32-character windows (the first and last of each run of 32 or more hex digits) of a request, lower-cased. */
export function presentedHexRuns(spec: WireRequestSpec): string[] {
  const runs = new Set<string>();
  for (const text of requestTexts(spec)) {
    for (const match of text.matchAll(/[0-9a-fA-F]{32,}/g)) {
      const run = match[0].toLowerCase();
      runs.add(run.slice(0, 32));
      runs.add(run.slice(-32));
    }
  }
  return [...runs];
}

/**
 * Replaces every named secret with its name, saying when it was sent in another case (`<accessHash, upper
 * case>`), then every other run of 32 or more hex digits with its length, so a failure message never repeats
 * a hash or most of one.
 */
export function redactHashes(text: string, secrets: readonly NamedSecret[]): string {
  let out = text;
  for (const { name, value } of secrets) {
    if (value === '') continue;
    const pattern = new RegExp(value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
    out = out.replace(pattern, (match) => {
      if (match === value) return `<${name}>`;
      return match === value.toUpperCase() ? `<${name}, upper case>` : `<${name}, case changed>`;
    });
  }
  return out.replace(/[0-9a-fA-F]{32,}/g, (run) => `<${run.length} hex digits>`);
}
