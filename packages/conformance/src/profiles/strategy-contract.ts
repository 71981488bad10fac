import {
  AUTH_ERROR_CODES,
  createFetchRequestAdapter,
  isAuthErrorCode,
  type AuthEvent,
  type AuthOutcome,
  type AuthRequest,
  type AuthStrategy,
} from '@gatehouse/auth-core';
import type { ConformanceCase, ConformanceProfile } from '../case.js';
import { check, fail, show } from '../check.js';
import {
  addressGarbage,
  allGarbage,
  authorizationGarbage,
  buildRequest,
  cookieGarbage,
  DEFAULT_REMOTE_ADDRESS,
  formBodyGarbage,
  headerGarbage,
  hugeBodyGarbage,
  jsonBodyGarbage,
  methodGarbage,
  nonUtf8BodyGarbage,
  prototypePollutionPayloads,
  queryGarbage,
  type RequestSpec,
} from './garbage.js';
import { alterSecret, disassemble, findSecret, reassemble, replaceSecret } from './secrets.js';
import { AUTH_CORE_CONTRACT, AUTH_CORE_SECURITY } from './sources.js';

/**
 * A request that carries valid credentials, made by the adopter for the kit, and the secret strings in it that
 * must never appear in an outcome, an error or an event.
 *
 * @example
 * ```ts
 * const credentialed = async (): Promise<CredentialedRequest> => ({
 *   request: new Request('https://api.example/v2/tracker/list', { headers: { authorization: `NVX ${hash}` } }),
 *   remoteAddress: '203.0.113.7',
 *   secrets: [hash],
 * });
 * ```
 */
export interface CredentialedRequest {
  /** A request with valid credentials of the strategy's scheme. */
  readonly request: Request;
  /** The socket address the request comes from. Default `192.0.2.10`. */
  readonly remoteAddress?: string;
  /**
   * Every secret string the request carries (tokens, signatures), and any the server holds for it. They are
   * searched for case-insensitively as substrings (raw, percent-encoded, JSON-escaped), so list long random
   * values, not short ones that could occur by chance. At least one must appear in the request, so the kit
   * can alter it.
   */
  readonly secrets: readonly string[];
}

/**
 * Turns a Fetch `Request` into the {@link AuthRequest} a strategy reads, the way the adopter's server does.
 *
 * @example
 * ```ts
 * const toAuthRequest: ToAuthRequest = createFetchRequestAdapter({ trustedProxies: ['10.0.0.1'] });
 * ```
 */
export type ToAuthRequest = (request: Request, context: { readonly remoteAddress: string }) => AuthRequest;

/**
 * What the `strategy-contract@1` profile needs. Only `strategy` is required; `credentialed` and `events` turn
 * on the cases that require them (capabilities `credentialed` and `events`).
 *
 * @example
 * ```ts
 * const events: AuthEvent[] = [];
 * const driver: StrategyContractDriver = {
 *   strategy: withOutcomeEvents(myStrategy, { onEvent: (event) => events.push(event) }),
 *   credentialed: async () => ({ request: new Request('https://api.example/', { headers: { 'x-api-key': key } }), secrets: [key] }),
 *   events: () => events,
 * };
 * ```
 */
export interface StrategyContractDriver {
  /** The strategy under test. */
  readonly strategy: AuthStrategy;
  /** Default: `createFetchRequestAdapter()` from auth-core. */
  readonly toAuthRequest?: ToAuthRequest;
  /**
   * Makes a request with valid credentials. Called once per use: return a fresh request every time (sign
   * anew if the scheme refuses replayed nonces).
   */
  readonly credentialed?: () => Promise<CredentialedRequest>;
  /** Every event the strategy has emitted so far (wire its `onEvent` to an array). */
  readonly events?: () => readonly AuthEvent[];
}

const REF_CONTRACT = AUTH_CORE_CONTRACT;
const REF_SECURITY = AUTH_CORE_SECURITY;
const OUTCOME_TYPES = ['authenticated', 'rejected', 'absent'] as const;
const EVENT_TYPES = ['authenticated', 'rejected', 'credential-created', 'credential-revoked'] as const;

let defaultAdapter: ToAuthRequest | undefined;

function adapterOf(driver: StrategyContractDriver): ToAuthRequest {
  if (driver.toAuthRequest !== undefined) return driver.toAuthRequest;
  return (defaultAdapter ??= createFetchRequestAdapter());
}

/** Secret strings that must not leak, each with the name failure messages use instead of its value. */
interface Secrets {
  readonly values: readonly string[];
  readonly names: readonly string[];
}

const NO_SECRETS: Secrets = { values: [], names: [] };

function nameSecrets(values: readonly string[]): Secrets {
  return { values, names: values.map((_, index) => `secret #${index + 1}`) };
}

function mergeSecrets(a: Secrets, b: Secrets): Secrets {
  return { values: [...a.values, ...b.values], names: [...a.names, ...b.names] };
}

/** The name of the first secret found in `text`, or `null`. */
function leakedSecret(text: string, secrets: Secrets): string | null {
  const index = findSecret(text, secrets.values);
  return index === -1 ? null : (secrets.names[index] as string);
}

/** Replaces every secret in a message with its name, so failure output never repeats one. */
function redact(text: string, secrets: Secrets): string {
  let out = text;
  for (;;) {
    const index = findSecret(out, secrets.values);
    if (index === -1) return out;
    const secret = secrets.values[index] as string;
    const name = secrets.names[index] as string;
    const at = out.toLowerCase().indexOf(secret.toLowerCase());
    // An encoded spelling matched but not the raw one: give up on precision and hide the whole text.
    if (at === -1) return `[text containing ${name} hidden]`;
    out = `${out.slice(0, at)}[${name}]${out.slice(at + secret.length)}`;
  }
}

function errorSummary(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return show(error);
}

/** JSON of any value, tolerating cycles and bigints, as a logger would produce it. */
function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(value, (_key, inner: unknown) => {
        if (typeof inner === 'bigint') return inner.toString();
        if (typeof inner === 'object' && inner !== null) {
          if (seen.has(inner)) return '[Circular]';
          seen.add(inner);
        }
        return inner;
      }) ?? ''
    );
  } catch (error) {
    return `[unserializable: ${errorSummary(error)}]`;
  }
}

function describeOutcome(outcome: AuthOutcome): string {
  if (outcome.type === 'rejected') {
    const code = (outcome.error as { code?: unknown } | null)?.code;
    return `rejected ${typeof code === 'string' ? code : show(code)}`;
  }
  return outcome.type;
}

/** Sends one request through the adapter and the strategy; fails on a throw or an outcome of no known type. */
async function attempt(
  driver: StrategyContractDriver,
  request: Request,
  remoteAddress: string,
  label: string,
  secrets: Secrets = NO_SECRETS,
): Promise<AuthOutcome> {
  let outcome: unknown;
  try {
    outcome = await driver.strategy.authenticate(adapterOf(driver)(request, { remoteAddress }));
  } catch (error) {
    fail(redact(`authenticate threw for ${label}: ${errorSummary(error)}`, secrets));
  }
  const type = (outcome as { type?: unknown } | null)?.type;
  check(
    typeof outcome === 'object' && outcome !== null && OUTCOME_TYPES.includes(type as (typeof OUTCOME_TYPES)[number]),
    () => redact(`${label}: authenticate returned ${show(outcome)}, which is not an outcome (type authenticated, rejected or absent)`, secrets),
  );
  return outcome as AuthOutcome;
}

function checkGenericError(outcome: AuthOutcome, label: string, secrets: Secrets = NO_SECRETS): void {
  if (outcome.type !== 'rejected') return;
  const error: unknown = outcome.error;
  check(typeof error === 'object' && error !== null, () => `${label}: rejected with error ${show(error)}, not an AuthError`);
  const { code, httpStatus, message } = error as { code?: unknown; httpStatus?: unknown; message?: unknown };
  check(isAuthErrorCode(code), () => `${label}: rejected with code ${redact(show(code), secrets)}, which is not an AuthErrorCode`);
  check(
    typeof httpStatus === 'number' && Number.isInteger(httpStatus) && httpStatus >= 400 && httpStatus <= 599,
    () => `${label}: rejected ${code} with httpStatus ${show(httpStatus)}, expected an integer from 400 to 599`,
  );
  const generic = AUTH_ERROR_CODES[code].message;
  check(
    message === generic,
    () => `${label}: rejected ${code} with message ${redact(show(message), secrets)}, expected the generic ${show(generic)}`,
  );
}

type PrototypeSnapshot = Map<object, Map<string | symbol, PropertyDescriptor>>;

const GUARDED_PROTOTYPES: readonly object[] = [
  Object.prototype,
  Array.prototype,
  Function.prototype,
  String.prototype,
  Number.prototype,
  Boolean.prototype,
];

function snapshotPrototypes(): PrototypeSnapshot {
  const snapshot: PrototypeSnapshot = new Map();
  for (const proto of GUARDED_PROTOTYPES) {
    const descriptors = new Map<string | symbol, PropertyDescriptor>();
    for (const key of Reflect.ownKeys(proto)) descriptors.set(key, Reflect.getOwnPropertyDescriptor(proto, key) as PropertyDescriptor);
    snapshot.set(proto, descriptors);
  }
  return snapshot;
}

function sameDescriptor(a: PropertyDescriptor, b: PropertyDescriptor): boolean {
  return (
    Object.is(a.value, b.value) &&
    a.get === b.get &&
    a.set === b.set &&
    a.writable === b.writable &&
    a.enumerable === b.enumerable &&
    a.configurable === b.configurable
  );
}

/** Restores every guarded prototype to the snapshot and names what had changed. */
function restorePrototypes(snapshot: PrototypeSnapshot): string[] {
  const changes: string[] = [];
  const names = ['Object', 'Array', 'Function', 'String', 'Number', 'Boolean'];
  GUARDED_PROTOTYPES.forEach((proto, index) => {
    const before = snapshot.get(proto) as Map<string | symbol, PropertyDescriptor>;
    for (const key of Reflect.ownKeys(proto)) {
      const original = before.get(key);
      const current = Reflect.getOwnPropertyDescriptor(proto, key) as PropertyDescriptor;
      if (original === undefined) {
        changes.push(`${names[index]}.prototype.${String(key)} was added`);
        Reflect.deleteProperty(proto, key);
      } else if (!sameDescriptor(original, current)) {
        changes.push(`${names[index]}.prototype.${String(key)} was changed`);
        Reflect.defineProperty(proto, key, original);
      }
    }
    for (const [key, original] of before) {
      if (!Reflect.getOwnPropertyDescriptor(proto, key)) {
        changes.push(`${names[index]}.prototype.${String(key)} was deleted`);
        Reflect.defineProperty(proto, key, original);
      }
    }
  });
  return changes;
}

/** Runs `action`, then undoes any prototype pollution it caused and fails if there was some. */
export async function guardingPrototypes(action: () => Promise<void>): Promise<void> {
  const snapshot = snapshotPrototypes();
  let failure: unknown = null;
  try {
    await action();
  } catch (error) {
    failure = error;
  }
  const changes = restorePrototypes(snapshot);
  if (changes.length > 0) fail(`prototype pollution while authenticating: ${changes.join('; ')} (restored by the kit)`);
  if (failure !== null) throw failure;
}

async function credentialedOf(
  driver: StrategyContractDriver,
): Promise<{ request: Request; remoteAddress: string; secrets: Secrets }> {
  const made: unknown = await (driver.credentialed as () => Promise<CredentialedRequest>)();
  const { request, remoteAddress, secrets } = (made ?? {}) as Partial<CredentialedRequest>;
  check(
    typeof request === 'object' && request !== null && typeof (request as Request).headers?.get === 'function',
    'credentialed() must resolve to { request: Request, secrets: string[] }; `request` is not a Request',
  );
  check(
    Array.isArray(secrets) && secrets.every((secret) => typeof secret === 'string'),
    'credentialed() must resolve to { request, secrets: string[] }; `secrets` is not an array of strings',
  );
  return {
    request,
    remoteAddress: remoteAddress ?? DEFAULT_REMOTE_ADDRESS,
    secrets: nameSecrets([...new Set(secrets.filter((secret) => secret !== ''))]),
  };
}

interface AlteredRequest {
  readonly label: string;
  readonly make: () => Request;
  readonly remoteAddress: string;
  /** The original secrets and their altered values, none of which may leak. */
  readonly secrets: Secrets;
}

/** Requests from `credentialed()` with one secret altered (first or last character) wherever it appears. */
async function alteredRequests(driver: StrategyContractDriver): Promise<AlteredRequest[]> {
  const { request, remoteAddress, secrets } = await credentialedOf(driver);
  const parts = await disassemble(request);
  const altered: AlteredRequest[] = [];
  const values = [...secrets.values];
  const names = [...secrets.names];
  const forbidden: Secrets = { values, names };
  secrets.values.forEach((secret, index) => {
    for (const where of secret.length === 1 ? (['last'] as const) : (['first', 'last'] as const)) {
      const changed = alterSecret(secret, where);
      const changedParts = replaceSecret(parts, secret, changed);
      if (changedParts === null) continue;
      values.push(changed);
      names.push(`secret #${index + 1} with its ${where} character changed`);
      altered.push({
        label: `the credentialed request with the ${where} character of secret #${index + 1} changed`,
        make: () => reassemble(changedParts),
        remoteAddress,
        secrets: forbidden,
      });
    }
  });
  if (altered.length === 0) {
    fail(
      'none of the secrets from credentialed() appears in its request (raw, percent-encoded or JSON-escaped), so the kit cannot alter one; list the token or signature the request carries in `secrets`',
    );
  }
  return altered;
}

function leakIn(outcome: AuthOutcome, secrets: Secrets): string | null {
  const places: [string, string][] = [['the outcome JSON', safeJson(outcome)]];
  if (outcome.type === 'rejected' && typeof outcome.error === 'object' && outcome.error !== null) {
    const error = outcome.error as unknown as Record<string, unknown>;
    places.push(['error.message', String(error['message'])]);
    places.push(['String(error)', String(error)]);
    const ownFields: Record<string, unknown> = {};
    for (const key of Object.keys(error)) if (key !== 'cause' && key !== 'stack') ownFields[key] = error[key];
    places.push(["the error's own fields", safeJson(ownFields)]);
  }
  for (const [place, text] of places) {
    const name = leakedSecret(text, secrets);
    if (name !== null) return `${place} contains ${name}`;
  }
  return null;
}

type Case = ConformanceCase<StrategyContractDriver>;

function contractCase(
  id: string,
  level: Case['level'],
  ref: string,
  title: string,
  run: Case['run'],
  requires?: readonly string[],
): Case {
  return requires === undefined ? { id, level, ref, title, run } : { id, level, ref, title, requires, run };
}

async function sendAll(driver: StrategyContractDriver, specs: readonly RequestSpec[], each: (outcome: AuthOutcome, spec: RequestSpec) => void): Promise<void> {
  for (const spec of specs) {
    const outcome = await attempt(driver, buildRequest(spec), spec.remoteAddress ?? DEFAULT_REMOTE_ADDRESS, spec.label);
    each(outcome, spec);
  }
}

function garbageCase(id: string, title: string, specs: () => RequestSpec[]): Case {
  return contractCase(id, 'MUST', REF_SECURITY, title, (driver) =>
    guardingPrototypes(() =>
      sendAll(driver, specs(), (outcome, spec) => {
        check(outcome.type !== 'authenticated', `${spec.label}: authenticated a request that carries no valid credentials`);
      }),
    ),
  );
}

const NEVER_THROWS = 'never throws and returns an outcome other than authenticated';

const cases: readonly Case[] = [
  contractCase('SC-ID-001', 'MUST', REF_CONTRACT, 'the strategy has a non-empty string id', async (driver) => {
    const id: unknown = driver.strategy.id;
    check(typeof id === 'string' && id.trim() !== '', `strategy.id is ${show(id)}, expected a non-empty string`);
  }),

  contractCase('SC-ABSENT-001', 'MUST', REF_CONTRACT, 'GET / with no headers at all is absent', async (driver) => {
    const outcome = await attempt(driver, buildRequest({ label: 'GET /' }), DEFAULT_REMOTE_ADDRESS, 'GET / with no headers');
    check(outcome.type === 'absent', `GET / with no headers: expected absent, got ${describeOutcome(outcome)}`);
  }),

  contractCase('SC-ABSENT-002', 'MUST', REF_CONTRACT, 'ordinary requests without credentials (browser headers, an unrelated JSON body) are absent', async (driver) => {
    const specs: RequestSpec[] = [
      {
        label: 'GET /v2/tracker/list with browser headers',
        target: '/v2/tracker/list?page=2',
        headers: [
          ['accept', 'application/json, text/plain, */*'],
          ['accept-language', 'en-GB,en;q=0.9'],
          ['user-agent', 'Mozilla/5.0 (X11; Linux x86_64) Gatehouse-Conformance'],
          ['cache-control', 'no-cache'],
        ],
      },
      { label: 'POST / with an unrelated JSON body', headers: [['content-type', 'application/json']], body: '{"name":"tracker","page":1}' },
      { label: 'POST / with an unrelated form body', headers: [['content-type', 'application/x-www-form-urlencoded']], body: 'name=tracker&page=1' },
      { label: 'POST / with an empty body', body: '' },
    ];
    await sendAll(driver, specs, (outcome, spec) => {
      check(outcome.type === 'absent', `${spec.label}: expected absent, got ${describeOutcome(outcome)}`);
    });
  }),

  garbageCase('SC-GARBAGE-001', `${NEVER_THROWS} for empty, 64 KiB, repeated and control-character credential headers`, headerGarbage),
  garbageCase('SC-GARBAGE-002', `${NEVER_THROWS} for malformed Authorization headers`, authorizationGarbage),
  garbageCase('SC-GARBAGE-003', `${NEVER_THROWS} for malformed and hostile Cookie headers`, cookieGarbage),
  garbageCase('SC-GARBAGE-004', `${NEVER_THROWS} for invalid, deeply nested and oddly typed JSON bodies`, jsonBodyGarbage),
  garbageCase('SC-GARBAGE-005', `${NEVER_THROWS} for __proto__ / constructor payloads, and never pollutes a prototype`, prototypePollutionPayloads),
  garbageCase('SC-GARBAGE-006', `${NEVER_THROWS} for bodies that are not UTF-8`, nonUtf8BodyGarbage),
  garbageCase('SC-GARBAGE-007', `${NEVER_THROWS} for 1 MiB bodies`, hugeBodyGarbage),
  garbageCase('SC-GARBAGE-008', `${NEVER_THROWS} for malformed urlencoded bodies (%zz, truncated escapes)`, formBodyGarbage),
  garbageCase('SC-GARBAGE-009', `${NEVER_THROWS} for malformed and oversized query strings and paths`, queryGarbage),
  garbageCase('SC-GARBAGE-010', `${NEVER_THROWS} for unusual methods`, methodGarbage),
  garbageCase('SC-GARBAGE-011', `${NEVER_THROWS} for invalid client addresses`, addressGarbage),

  contractCase('SC-ERROR-001', 'MUST', REF_CONTRACT, 'every rejection of a garbage request carries a known code, a 4xx/5xx status and the generic message', (driver) =>
    guardingPrototypes(() => sendAll(driver, allGarbage(), (outcome, spec) => checkGenericError(outcome, spec.label))),
  ),

  contractCase(
    'SC-CRED-001',
    'MUST',
    REF_CONTRACT,
    'the credentialed request is authenticated, with a principal id and a credential id, kind and scopes',
    async (driver) => {
      const { request, remoteAddress, secrets } = await credentialedOf(driver);
      const outcome = await attempt(driver, request, remoteAddress, 'the credentialed request', secrets);
      check(outcome.type === 'authenticated', `the credentialed request: expected authenticated, got ${describeOutcome(outcome)}`);
      const { principal, credential } = outcome as { principal?: unknown; credential?: unknown };
      const principalId = (principal as { id?: unknown } | null)?.id;
      check(typeof principalId === 'string' && principalId !== '', () => `principal.id is ${redact(show(principalId), secrets)}, expected a non-empty string`);
      const { id, kind, scopes } = (credential ?? {}) as { id?: unknown; kind?: unknown; scopes?: unknown };
      check(typeof id === 'string' && id !== '', () => `credential.id is ${redact(show(id), secrets)}, expected a non-empty string`);
      check(typeof kind === 'string' && kind !== '', () => `credential.kind is ${redact(show(kind), secrets)}, expected a non-empty string`);
      check(
        Array.isArray(scopes) && scopes.every((scope) => typeof scope === 'string'),
        () => `credential.scopes is ${redact(show(scopes), secrets)}, expected an array of strings`,
      );
    },
    ['credentialed'],
  ),

  contractCase(
    'SC-CRED-002',
    'MUST',
    REF_SECURITY,
    'the outcome of the credentialed request contains none of the secrets',
    async (driver) => {
      const { request, remoteAddress, secrets } = await credentialedOf(driver);
      const outcome = await attempt(driver, request, remoteAddress, 'the credentialed request', secrets);
      const leak = leakIn(outcome, secrets);
      check(leak === null, () => `the credentialed request, ${describeOutcome(outcome)}: ${leak}`);
    },
    ['credentialed'],
  ),

  contractCase(
    'SC-CRED-003',
    'MUST',
    REF_CONTRACT,
    'authentication is stable: three more credentialed requests are each authenticated, as the same principal',
    async (driver) => {
      let firstPrincipalId: unknown;
      for (let round = 1; round <= 3; round++) {
        const { request, remoteAddress, secrets } = await credentialedOf(driver);
        const outcome = await attempt(driver, request, remoteAddress, `credentialed request #${round}`, secrets);
        check(outcome.type === 'authenticated', `credentialed request #${round} of 3: expected authenticated, got ${describeOutcome(outcome)}`);
        const principalId = (outcome.principal as { id?: unknown } | null)?.id;
        if (round === 1) firstPrincipalId = principalId;
        check(principalId === firstPrincipalId, `credentialed request #${round} authenticated another principal than #1`);
      }
    },
    ['credentialed'],
  ),

  contractCase(
    'SC-TAMPER-001',
    'MUST',
    REF_SECURITY,
    'a credentialed request with a secret altered by one character is not authenticated',
    async (driver) => {
      for (const altered of await alteredRequests(driver)) {
        const outcome = await attempt(driver, altered.make(), altered.remoteAddress, altered.label, altered.secrets);
        check(outcome.type !== 'authenticated', `${altered.label}: authenticated`);
      }
    },
    ['credentialed'],
  ),

  contractCase(
    'SC-TAMPER-002',
    'SHOULD',
    REF_CONTRACT,
    'a credentialed request with a secret altered by one character is rejected, not absent',
    async (driver) => {
      for (const altered of await alteredRequests(driver)) {
        const outcome = await attempt(driver, altered.make(), altered.remoteAddress, altered.label, altered.secrets);
        check(outcome.type === 'rejected', `${altered.label}: expected rejected, got ${describeOutcome(outcome)}`);
      }
    },
    ['credentialed'],
  ),

  contractCase(
    'SC-ERROR-002',
    'MUST',
    REF_CONTRACT,
    'every rejection of an altered credential carries a known code, a 4xx/5xx status and the generic message',
    async (driver) => {
      for (const altered of await alteredRequests(driver)) {
        const outcome = await attempt(driver, altered.make(), altered.remoteAddress, altered.label, altered.secrets);
        checkGenericError(outcome, altered.label, altered.secrets);
      }
    },
    ['credentialed'],
  ),

  contractCase(
    'SC-LEAK-001',
    'MUST',
    REF_SECURITY,
    'the outcome of an altered credential (message, JSON, error fields without cause) contains neither the secret nor the altered value',
    async (driver) => {
      for (const altered of await alteredRequests(driver)) {
        const outcome = await attempt(driver, altered.make(), altered.remoteAddress, altered.label, altered.secrets);
        const leak = leakIn(outcome, altered.secrets);
        check(leak === null, () => `${altered.label}, ${describeOutcome(outcome)}: ${leak}`);
      }
    },
    ['credentialed'],
  ),

  contractCase(
    'SC-EVENT-001',
    'MUST',
    REF_SECURITY,
    'no event contains a secret, after valid, altered and garbage requests',
    async (driver) => {
      const events = driver.events as () => readonly AuthEvent[];
      const { request, remoteAddress, secrets } = await credentialedOf(driver);
      await attempt(driver, request, remoteAddress, 'the credentialed request', secrets);
      let forbidden = secrets;
      for (const altered of await alteredRequests(driver)) {
        await attempt(driver, altered.make(), altered.remoteAddress, altered.label, altered.secrets);
        forbidden = mergeSecrets(forbidden, altered.secrets);
      }
      await sendAll(driver, authorizationGarbage().slice(0, 8), () => undefined);
      for (const [index, event] of events().entries()) {
        const leak = leakedSecret(safeJson(event), forbidden);
        check(leak === null, () => `event #${index + 1} (type ${show((event as { type?: unknown } | null)?.type)}) contains ${leak}`);
      }
    },
    ['credentialed', 'events'],
  ),

  contractCase(
    'SC-EVENT-002',
    'SHOULD',
    'auth-core AuthEvent',
    'events are well formed: a known type, the strategy id, a finite time, a known code on rejections',
    async (driver) => {
      const events = driver.events as () => readonly AuthEvent[];
      await sendAll(driver, [{ label: 'GET /' }, ...authorizationGarbage().slice(0, 8), ...cookieGarbage().slice(0, 4)], () => undefined);
      for (const [index, event] of events().entries()) {
        const { type, strategyId, at } = (event ?? {}) as { type?: unknown; strategyId?: unknown; at?: unknown };
        const where = `event #${index + 1}`;
        check(EVENT_TYPES.includes(type as (typeof EVENT_TYPES)[number]), () => `${where} has type ${show(type)}`);
        check(typeof strategyId === 'string' && strategyId !== '', () => `${where} has strategyId ${show(strategyId)}`);
        check(typeof at === 'number' && Number.isFinite(at), () => `${where} has at ${show(at)}, expected epoch milliseconds`);
        if (event.type === 'rejected') check(isAuthErrorCode(event.code), () => `${where} has code ${show(event.code)}`);
      }
    },
    ['events'],
  ),

  contractCase(
    'SC-EVENT-003',
    'SHOULD',
    'auth-core withOutcomeEvents',
    'authenticating the credentialed request emits an authenticated event naming its principal and credential',
    async (driver) => {
      const events = driver.events as () => readonly AuthEvent[];
      const { request, remoteAddress, secrets } = await credentialedOf(driver);
      const before = events().length;
      const outcome = await attempt(driver, request, remoteAddress, 'the credentialed request', secrets);
      check(outcome.type === 'authenticated', `the credentialed request: expected authenticated, got ${describeOutcome(outcome)}`);
      const principalId = (outcome.principal as { id?: unknown } | null)?.id;
      const credentialId = (outcome.credential as { id?: unknown } | null)?.id;
      const emitted = events().slice(before);
      check(
        emitted.some(
          (event) => event?.type === 'authenticated' && event.principalId === principalId && event.credentialId === credentialId,
        ),
        () =>
          redact(
            `expected an authenticated event for principal ${show(principalId)} and credential ${show(credentialId)}; got ${emitted.length} new events: ${show(emitted.map((event) => event?.type))}`,
            secrets,
          ),
      );
    },
    ['credentialed', 'events'],
  ),
];

/**
 * The `strategy-contract@1` profile, for any {@link AuthStrategy}: a non-empty id, `absent` without
 * credentials, no throw and no success for a battery of hostile requests (huge and control-character headers,
 * cookie and Authorization garbage, invalid and `__proto__` JSON, non-UTF-8 and 1 MiB bodies, `%zz`
 * queries), generic errors, and — with `credentialed` and `events` — success, stability, tamper resistance
 * and no secret in outcomes, errors or events.
 *
 * @example
 * ```ts
 * import { runProfile, strategyContractV1 } from '@gatehouse/conformance';
 * const results = await runProfile(strategyContractV1, { strategy: myStrategy });
 * ```
 */
export const strategyContractV1: ConformanceProfile<StrategyContractDriver> = Object.freeze({
  id: 'strategy-contract@1',
  title: 'AuthStrategy contract conformance (strategy-contract@1)',
  cases,
  capabilitiesOf(driver: StrategyContractDriver): readonly string[] {
    const capabilities: string[] = [];
    if (typeof driver.credentialed === 'function') capabilities.push('credentialed');
    if (typeof driver.events === 'function') capabilities.push('events');
    return capabilities;
  },
});
