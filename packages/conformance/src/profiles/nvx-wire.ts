// The NVX wire scheme as the kit states it, from the seeds (000, 001, 002), seeds/README.md (Navixy's status
// codes) and DESIGN.md "NVX hash". Deliberately independent of @gatehouse/strategy-nvx-hash: the kit judges
// that package, it does not borrow its answers.
import { ConformanceFailure } from '../case.js';
import { show } from '../check.js';
import { CONFORMANCE_ORIGIN, type WireResponse, type WireSender } from '../drivers/wire.js';

/**
 * Navixy's status codes the profile expects, with the HTTP status and the description Navixy sends (seed 000
 * shows `"description": "Wrong hash"`; seeds/README.md lists the codes and their statuses).
 */
export const NVX_WIRE_STATUS = {
  3: { httpStatus: 400, description: 'Wrong hash' },
  9: { httpStatus: 412, description: 'Too large request' },
  11: { httpStatus: 403, description: 'Access denied' },
  14: { httpStatus: 503, description: 'Database unavailable' },
} as const;

export type NvxWireCode = keyof typeof NVX_WIRE_STATUS;

/** A hash: 16 random bytes as 32 hex characters (seed 000, DESIGN.md NVX hash). */
export const NVX_HASH_PATTERN = /^[0-9a-fA-F]{32}$/;

export type HeaderList = readonly (readonly [string, string])[];

/** One request of a case, described by its parts (so a failure message can say what was sent). */
export interface NvxRequestSpec {
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

export function targetOf(spec: NvxRequestSpec): string {
  let target = spec.path;
  for (const [name, value] of spec.query ?? []) {
    target += `${target.includes('?') ? '&' : '?'}${encodeQueryPart(name)}=${encodeQueryPart(value)}`;
  }
  return target;
}

function bodyOf(spec: NvxRequestSpec): { contentType: string; text: string } | null {
  if (spec.json !== undefined) {
    return { contentType: 'application/json', text: typeof spec.json === 'string' ? spec.json : JSON.stringify(spec.json) };
  }
  if (spec.form !== undefined) return { contentType: 'application/x-www-form-urlencoded', text: spec.form };
  return null;
}

/** Builds a fresh Fetch `Request` (a body can be read once) on the conformance origin. */
export function buildNvxRequest(spec: NvxRequestSpec): Request {
  const headers = new Headers();
  const body = bodyOf(spec);
  if (body !== null) headers.set('content-type', body.contentType);
  for (const [name, value] of spec.headers ?? []) headers.append(name, value);
  const init: RequestInit = { method: spec.method ?? (body === null ? 'GET' : 'POST'), headers };
  if (body !== null) init.body = body.text;
  return new Request(CONFORMANCE_ORIGIN + targetOf(spec), init);
}

/** Every string of the request that could carry a hash: target, header values, body. */
export function requestTexts(spec: NvxRequestSpec): string[] {
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

/** 32-character hex runs of the request (the first and last 32 of each longer run), lower-cased. */
export function presentedHexRuns(spec: NvxRequestSpec): string[] {
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

/** Tells whether a reply is Navixy's success: HTTP 200 and `success: true`. */
export function isSuccess(reply: WireResponse): boolean {
  const body = reply.body as { success?: unknown } | null;
  return reply.status === 200 && typeof body === 'object' && body !== null && body.success === true;
}

/** Tells whether a reply claims success in any way (status 200 or `success: true`). */
export function claimsSuccess(reply: WireResponse): boolean {
  const body = reply.body as { success?: unknown } | null;
  return reply.status === 200 || (typeof body === 'object' && body !== null && body.success === true);
}

/** Navixy's failure envelope for a code, exactly. */
export function failureBody(code: NvxWireCode): { success: false; status: { code: number; description: string } } {
  return { success: false, status: { code, description: NVX_WIRE_STATUS[code].description } };
}

export interface Exchange {
  readonly label: string;
  readonly spec: NvxRequestSpec;
  readonly reply: WireResponse;
}

export type Redact = (text: string) => string;

export function describeReply(reply: WireResponse, redact: Redact): string {
  return redact(`${reply.status} ${show(reply.body, 300)}`);
}

/** Sends one request, failing clearly when the driver throws or answers with something that is not a reply. */
export async function exchange(sender: WireSender, label: string, spec: NvxRequestSpec, redact: Redact, remoteAddress?: string): Promise<Exchange> {
  let reply: unknown;
  try {
    reply = await sender.send(buildNvxRequest(spec), remoteAddress === undefined ? {} : { remoteAddress });
  } catch (error) {
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
