// `template-key@1`: this scheme's conformance cases, shipped from the strategy package itself as a
// ConformanceScheme (its `./conformance` entry). The conformance kit knows nothing of it: the CLI loads it with
// `--scheme`, and `describeConformance({ scheme, … })` runs it. Copy it with the package and replace the cases
// with the scheme's own rules.
import {
  CONFORMANCE_ORIGIN,
  ConformanceFailure,
  ServerThrottledError,
  type CaseContext,
  type ConformanceCase,
  type ConformanceScheme,
  type HttpFixtureSpec,
  type ParameterSpec,
  type WireResponse,
  type WireSender,
} from '@gatehouse/conformance';
import { ConfigurationError } from '@gatehouse/auth-core';
import { TEMPLATE_WIRE_ERRORS } from './errors.js';
import { TEMPLATE_KEY_BYTES } from './options.js';

/** The profile's id: the scheme and the version of its cases. */
export const TEMPLATE_CONFORMANCE_PROFILE = 'template-key@1';

/**
 * What the cases drive: a server (or an in-process stand-in) that verifies keys on `resource` and issues, lists
 * and revokes them through its own routes.
 *
 * @example
 * ```ts
 * const reply = await driver.send(new Request(`${CONFORMANCE_ORIGIN}${driver.resource}`, { headers: { [driver.headerName]: await driver.liveKey() } }));
 * ```
 */
export interface TemplateKeyDriver {
  /** The route a key authenticates with GET. */
  readonly resource: string;
  /** The header that carries the key. */
  readonly headerName: string;
  /** Sends a request built on `CONFORMANCE_ORIGIN` (only its method, path, headers and body count). */
  send(request: Request): Promise<WireResponse>;
  /** A live key made for the run. */
  liveKey(): Promise<string>;
  /** Issues a fresh key through the server's route. */
  issueKey(): Promise<{ readonly id: string; readonly key: string }>;
  /** Revokes a key through the server's route. */
  revokeKey(id: string): Promise<void>;
  /** The server's listing of the owner's keys, as it came. */
  listKeys(): Promise<WireResponse>;
}

const REFS = {
  bearer: 'RFC 6750 §3.1 (a refused token is `invalid_token`, 401) and RFC 9110 §15.5.2',
  oracle: 'RFC 6750 §5.1 and OWASP Authentication Cheat Sheet, "Authentication and Error Messages"',
  echo: 'OWASP Logging Cheat Sheet and RFC 6750 §5.1: a credential is never repeated back',
  envelope: 'the template\'s error table (src/errors.ts, TEMPLATE_WIRE_ERRORS): `{"error": "…"}` with RFC 9110 §15.5.2 and §15.5.1 statuses',
} as const;

const PARAMETERS: readonly ParameterSpec[] = [
  {
    name: 'malformed_key_reply',
    values: ['400', '401'],
    default: '400',
    description: 'the status of a key that is not 64 hex digits at all: 400 (a malformed request) or 401 (a refused credential)',
    silence: 'RFC 9110 §15.5.1 (400) and §15.5.2 (401) both fit a credential that is not a key at all; RFC 6750 §3.1 gives 400 for a malformed request and 401 for an invalid token',
  },
];

const FIXTURES: readonly HttpFixtureSpec[] = [
  { name: 'owner_token', required: true, description: 'what the key routes accept as `Authorization: Bearer <owner_token>` (your own login); the kit issues its keys with it and revokes them when done' },
  { name: 'keys_path', required: false, default: '/keys', description: 'the route kit base path: GET and POST there, DELETE at <keys_path>/<id>' },
  { name: 'resource', required: false, default: '/resource', description: 'a route a key authenticates with GET' },
  { name: 'header_name', required: false, default: 'x-template-key', description: 'the header that carries the key' },
];

const hex = (bytes: Uint8Array): string => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
const randomKey = (): string => hex(crypto.getRandomValues(new Uint8Array(TEMPLATE_KEY_BYTES)));
const accepted = (reply: WireResponse): boolean => reply.status >= 200 && reply.status < 300;
const shown = (reply: WireResponse): string => `HTTP ${reply.status} ${JSON.stringify(reply.body)?.slice(0, 200) ?? ''}`;

/** A key with its last hex digit changed. */
function altered(key: string): string {
  const last = key.slice(-1);
  return key.slice(0, -1) + (last === '0' ? '1' : '0');
}

function withKey(driver: TemplateKeyDriver, key: string | null): Request {
  return new Request(`${CONFORMANCE_ORIGIN}${driver.resource}`, { headers: key === null ? {} : { [driver.headerName]: key } });
}

function neverAccepted(reply: WireResponse, what: string): void {
  if (accepted(reply)) throw new ConformanceFailure(`${what} was accepted: HTTP ${reply.status}`, { kind: 'accepted' });
}

function neverEchoed(reply: WireResponse, secret: string, what: string): void {
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body) ?? '';
  if (text.toLowerCase().includes(secret.toLowerCase())) throw new ConformanceFailure(`${what}: the reply repeats the key (HTTP ${reply.status})`, { kind: 'leaked' });
}

async function liveKeyWorks(driver: TemplateKeyDriver): Promise<string> {
  const key = await driver.liveKey();
  const reply = await driver.send(withKey(driver, key));
  if (!accepted(reply)) throw new ConformanceFailure(`a live key, just issued through the server's route, was refused on GET ${driver.resource}: ${shown(reply)}`);
  return key;
}

type TemplateCase = ConformanceCase<TemplateKeyDriver>;

const cases: readonly TemplateCase[] = [
  {
    id: 'TK-KEY-001',
    level: 'MUST',
    ref: REFS.bearer,
    title: 'a live key, issued through the server\'s route, is accepted on the resource',
    async run(driver) {
      await liveKeyWorks(driver);
    },
  },
  {
    id: 'TK-KEY-002',
    level: 'MUST',
    ref: REFS.bearer,
    title: 'a wrong key (64 hex digits, never issued) is never accepted',
    async run(driver) {
      neverAccepted(await driver.send(withKey(driver, randomKey())), 'a key that was never issued');
    },
  },
  {
    id: 'TK-KEY-003',
    level: 'MUST',
    ref: REFS.bearer,
    title: 'a live key with one hex digit changed, cut short, lengthened or in upper case with a digit changed is never accepted',
    async run(driver) {
      const key = await liveKeyWorks(driver);
      neverAccepted(await driver.send(withKey(driver, altered(key))), 'the live key with its last digit changed');
      neverAccepted(await driver.send(withKey(driver, key.slice(0, -1))), 'the live key without its last digit');
      neverAccepted(await driver.send(withKey(driver, `${key}0`)), 'the live key with a digit added');
      neverAccepted(await driver.send(withKey(driver, altered(key).toUpperCase())), 'the live key in upper case with its last digit changed');
    },
  },
  {
    id: 'TK-REV-001',
    level: 'MUST',
    ref: REFS.bearer,
    title: 'a key revoked through the server\'s own delete route is refused on the next request',
    async run(driver) {
      const { id, key } = await driver.issueKey();
      const before = await driver.send(withKey(driver, key));
      if (!accepted(before)) throw new ConformanceFailure(`a key just issued was refused before its revocation: ${shown(before)}`);
      await driver.revokeKey(id);
      neverAccepted(await driver.send(withKey(driver, key)), 'a key revoked through the delete route');
    },
  },
  {
    id: 'TK-LEAK-001',
    level: 'MUST',
    ref: REFS.echo,
    title: 'the key is never echoed: not in refusals, not in a success, not in the key listing',
    async run(driver) {
      const key = await liveKeyWorks(driver);
      neverEchoed(await driver.send(withKey(driver, key)), key, 'a success');
      const wrong = randomKey();
      neverEchoed(await driver.send(withKey(driver, wrong)), wrong, 'the refusal of a wrong key');
      const malformed = `${wrong.slice(0, 40)}zz`;
      neverEchoed(await driver.send(withKey(driver, malformed)), malformed, 'the refusal of a malformed key');
      neverEchoed(await driver.send(withKey(driver, altered(key))), altered(key).slice(0, 32), 'the refusal of an altered key');
      neverEchoed(await driver.listKeys(), key, 'the key listing');
    },
  },
  {
    id: 'TK-LEAK-002',
    level: 'MUST',
    ref: REFS.oracle,
    title: 'an unknown key, a key revoked after use and an altered live key get one identical reply',
    async run(driver) {
      const live = await liveKeyWorks(driver);
      // A key in use, then revoked: what an attacker holding a leaked key would try.
      const { id, key } = await driver.issueKey();
      const used = await driver.send(withKey(driver, key));
      if (!accepted(used)) throw new ConformanceFailure(`a key just issued was refused before its revocation: ${shown(used)}`);
      await driver.revokeKey(id);
      const replies = [
        ['an unknown key', await driver.send(withKey(driver, randomKey()))],
        ['a revoked key', await driver.send(withKey(driver, key))],
        ['an altered live key', await driver.send(withKey(driver, altered(live)))],
      ] as const;
      for (const [what, reply] of replies) neverAccepted(reply, what);
      const [first, ...rest] = replies;
      for (const [what, reply] of rest) {
        if (reply.status !== first[1].status || JSON.stringify(reply.body) !== JSON.stringify(first[1].body)) {
          throw new ConformanceFailure(`${first[0]} and ${what} get different replies (HTTP ${first[1].status} and ${reply.status}): an attacker tells a revoked or real key from an unknown one`, { kind: 'leaked' });
        }
      }
    },
  },
  {
    id: 'TK-ENV-001',
    level: 'MUST',
    ref: REFS.envelope,
    title: 'refusals use the template envelope: 401 {"error":"API key required"} without a key, 401 {"error":"Invalid API key"} for a wrong one, the declared status {"error":"Malformed API key"} for a malformed one',
    parameters: ['malformed_key_reply'],
    async run(driver, context: CaseContext) {
      const expectations: readonly [string, string | null, number, string][] = [
        ['no key', null, 401, TEMPLATE_WIRE_ERRORS.CREDENTIALS_MISSING.text],
        ['a wrong key', randomKey(), 401, TEMPLATE_WIRE_ERRORS.CREDENTIALS_INVALID.text],
        ['a malformed key', 'not-a-key', Number(context.parameters['malformed_key_reply']), TEMPLATE_WIRE_ERRORS.CREDENTIALS_MALFORMED.text],
      ];
      for (const [what, key, status, text] of expectations) {
        const reply = await driver.send(withKey(driver, key));
        neverAccepted(reply, what === 'no key' ? 'a request without a key' : what);
        context.wire(reply.status === status, () => `${what}: HTTP ${reply.status}, expected ${status}`);
        context.wire(JSON.stringify(reply.body) === JSON.stringify({ error: text }), () => `${what}: ${JSON.stringify(reply.body)?.slice(0, 200)}, expected {"error":${JSON.stringify(text)}}`);
      }
    },
  },
];

/** Reads `{ data: { id, key } }` (or `{ id, key }`) from a creation reply, in any casing; `null` otherwise. */
function issuedFrom(body: unknown): { id: string; key: string } | null {
  const object = (value: unknown): Record<string, unknown> | null => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null);
  const top = object(body);
  const data = object(Object.entries(top ?? {}).find(([name]) => name.toLowerCase() === 'data')?.[1]) ?? top;
  const field = (name: string): unknown => Object.entries(data ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];
  const id = field('id');
  const key = field('key');
  return typeof id === 'string' && typeof key === 'string' ? { id, key } : null;
}

function requirePath(value: string | undefined, name: string): string {
  if (value === undefined || !value.startsWith('/') || value.startsWith('//') || /[?#\s]/.test(value)) {
    throw new ConfigurationError('fixtures', `${TEMPLATE_CONFORMANCE_PROFILE}: fixture ${name} must be an absolute path such as /keys`);
  }
  return value.replace(/\/+$/, '');
}

/**
 * Options of {@link createTemplateKeyDriver}.
 *
 * @example
 * ```ts
 * const options: TemplateKeyDriverOptions = { ownerToken: 'owner-1', keysPath: '/keys', resource: '/resource', headerName: 'x-template-key' };
 * ```
 */
export interface TemplateKeyDriverOptions {
  readonly ownerToken: string;
  readonly keysPath: string;
  readonly resource: string;
  readonly headerName: string;
}

/**
 * The driver of `template-key@1` over any sender (the kit's HTTP sender, or an in-process one): it issues one key
 * for the run through `POST <keysPath>` with `Authorization: Bearer <ownerToken>` at once (so a wrong token or a
 * throttling server stops the run before any case), revokes through `DELETE <keysPath>/<id>`, and `cleanup()`
 * revokes every key it made that is still live.
 *
 * @example
 * ```ts
 * const { driver, cleanup } = await createTemplateKeyDriver(sender, { ownerToken, keysPath: '/keys', resource: '/resource', headerName: 'x-template-key' });
 * ```
 */
export async function createTemplateKeyDriver(
  sender: WireSender,
  options: TemplateKeyDriverOptions,
): Promise<{ readonly driver: TemplateKeyDriver; cleanup(): Promise<void> }> {
  const { ownerToken, keysPath, resource, headerName } = options;
  const made = new Map<string, string>();

  async function call(method: string, path: string, json?: unknown): Promise<WireResponse> {
    const headers: Record<string, string> = { authorization: `Bearer ${ownerToken}` };
    if (json !== undefined) headers['content-type'] = 'application/json';
    const reply = await sender.send(new Request(`${CONFORMANCE_ORIGIN}${path}`, { method, headers, ...(json === undefined ? {} : { body: JSON.stringify(json) }) }));
    if (reply.status === 429) throw new ServerThrottledError(`${method} ${path}`);
    return reply;
  }

  async function issueKey(): Promise<{ id: string; key: string }> {
    const reply = await call('POST', keysPath, { label: 'gatehouse-conformance' });
    const issued = accepted(reply) ? issuedFrom(reply.body) : null;
    if (issued === null) {
      // Never the body of a success: it may hold a key.
      const why = accepted(reply) ? `HTTP ${reply.status} without {data:{id,key}}` : `${shown(reply)} (is owner_token right?)`;
      throw new ConformanceFailure(`POST ${keysPath} could not issue a key: ${why}`);
    }
    made.set(issued.id, issued.key);
    return issued;
  }

  async function revokeKey(id: string): Promise<void> {
    const reply = await call('DELETE', `${keysPath}/${encodeURIComponent(id)}`);
    if (!accepted(reply)) throw new ConformanceFailure(`DELETE ${keysPath}/<id> could not revoke a key it issued: ${shown(reply)}`);
    made.delete(id);
  }

  const live = await issueKey();
  const driver: TemplateKeyDriver = {
    resource,
    headerName,
    send: (request) => sender.send(request),
    liveKey: async () => live.key,
    issueKey,
    revokeKey,
    listKeys: () => call('GET', keysPath),
  };
  return {
    driver,
    async cleanup() {
      const failures: string[] = [];
      for (const id of [...made.keys()]) {
        try {
          await revokeKey(id);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
      if (failures.length > 0) throw new Error(`${failures.length} key(s) the run made are still live: ${failures[0] ?? ''}`);
    },
  };
}

/**
 * `template-key@1` as a ConformanceScheme: the profile, the fixtures a server run takes, and an HTTP driver that
 * provisions keys through the template's route kit with the `owner_token` fixture and removes every key it made
 * when the run is over (see {@link createTemplateKeyDriver}).
 *
 * @example
 * ```sh
 * gatehouse-conformance run --scheme @gatehouse/strategy-template/conformance --profile template-key@1 \
 *   --base-url http://127.0.0.1:3000 --set owner_token=owner-1
 * ```
 */
export const templateKeyScheme: ConformanceScheme<TemplateKeyDriver> = {
  profile: {
    id: TEMPLATE_CONFORMANCE_PROFILE,
    title: 'Template API keys (template-key@1)',
    cases,
    parameters: PARAMETERS,
  },
  fixtures: FIXTURES,
  async createHttpDriver(context) {
    const options: TemplateKeyDriverOptions = {
      ownerToken: context.fixtures['owner_token'] as string,
      keysPath: requirePath(context.fixtures['keys_path'], 'keys_path'),
      resource: requirePath(context.fixtures['resource'], 'resource'),
      headerName: context.fixtures['header_name'] as string,
    };
    const { driver, cleanup } = await createTemplateKeyDriver(context.createSender({ bindSourceAddress: false }), options);
    return { driver, capabilities: [], cleanup };
  },
};

/** The schemes this module adds to the conformance CLI (`--scheme`). */
export const conformanceSchemes = [templateKeyScheme];

export default templateKeyScheme;
