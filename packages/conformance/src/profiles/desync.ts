// A request framing probe shared by the scheme profiles: a request with a body the server will not read whole (an
// oversized body, or one sent to a route that refuses before reading it), then, on the same connection, a second
// request. Its bytes must never be parsed as requests of their own (request desync, "HTTP request smuggling").
import { fail } from '../check.js';
import type { RawWireSender } from '../scheme.js';

/** What the probe sends: where, the headers that carry a live credential, and how large the first body is. */
export interface DesyncProbe {
  readonly host: string;
  /** A route the credential is accepted on, requested with GET by the second request. */
  readonly path: string;
  /** The header lines that carry a live credential (e.g. `Authorization: NVX <key>`). */
  readonly credential: readonly (readonly [string, string])[];
  /** The first request's body size: over the server's limit for the oversized probe, small for the unread one. */
  readonly bodyBytes: number;
  /** Whether the first request carries the credential too (false: refused before its body is read). */
  readonly firstCarriesCredential: boolean;
  /** The first request's method: POST, or GET (a body many servers ignore, but must still skip). Default POST. */
  readonly firstMethod?: 'POST' | 'GET';
}

/** Every smuggled request is padded to this many bytes, so one starts at every multiple of it in the body. */
const SLOT_BYTES = 1024;

const encoder = new TextEncoder();

function requestText(method: string, path: string, host: string, lines: readonly (readonly [string, string])[], extra: string): string {
  return `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${lines.map(([name, value]) => `${name}: ${value}\r\n`).join('')}${extra}\r\n`;
}

/**
 * Sends the probe and fails the case (as a security failure: smuggled requests would pass the server's
 * authentication with the credential they carry) when the server answers more requests than the two the kit
 * framed. The first body is filled with complete requests of its own, each carrying the live credential, so a
 * server that resumes parsing inside it answers some of them. A server may answer the first request and close
 * the connection, or answer both.
 *
 * @example
 * ```ts
 * await expectNoDesync(sender, { host, path: '/v2/tracker/list', credential: [['Authorization', `NVX ${key}`]], bodyBytes: 2 * 1024 * 1024, firstCarriesCredential: true });
 * ```
 */
export async function expectNoDesync(sender: RawWireSender, probe: DesyncProbe): Promise<void> {
  // Servers that stop reading a body stop at their limit or at a read boundary, both multiples of 1 KiB in
  // practice: a smuggled request starts at every such offset, so one that resumes parsing there finds one.
  const target = `${probe.path}${probe.path.includes('?') ? '&' : '?'}gatehouse-desync-probe=1`;
  const unpadded = requestText('GET', target, probe.host, [...probe.credential, ['X-Gatehouse-Padding', '']], '');
  if (unpadded.length > SLOT_BYTES) fail(`the desync probe's request does not fit in ${SLOT_BYTES} bytes`);
  const smuggled = requestText('GET', target, probe.host, [...probe.credential, ['X-Gatehouse-Padding', 'a'.repeat(SLOT_BYTES - unpadded.length)]], '');
  const body = smuggled.repeat(Math.max(1, Math.round(probe.bodyBytes / SLOT_BYTES)));
  const method = probe.firstMethod ?? 'POST';
  const first =
    requestText(method, probe.path, probe.host, probe.firstCarriesCredential ? probe.credential : [], `Content-Type: text/plain\r\nContent-Length: ${body.length}\r\n`) + body;
  const second = requestText('GET', probe.path, probe.host, probe.credential, 'Connection: close\r\n');
  const exchanged = await sender.sendRaw(encoder.encode(first + second), { waitInMilliseconds: 4_000 });
  const statuses = exchanged.responses.map((response) => response.status);
  if (exchanged.responses.length > 2) {
    fail(
      `one connection carried 2 requests, the first a ${method} with a ${body.length}-byte body made of requests; the server answered ${exchanged.responses.length} ` +
        `(HTTP ${statuses.join(', ')}): it parsed requests out of a body`,
      'accepted',
    );
  }
}
