// A small, self-contained NVX hash server for the kit's own tests: honest variants that make different
// documented-silent choices (each declared as nvx-hash@2 parameters), and flawed variants (mutants). It deliberately
// does not import @gatehouse/strategy-nvx-hash: the kit must judge an implementation it was not built from.
import { AuthError, authenticated, absent, createFetchRequestAdapter, isJsonObject, rejected, type AuthOutcome, type AuthRequest, type AuthStrategy, type WireReply } from '@gatehouse/auth-core';
import { generateHexToken } from '@gatehouse/auth-core/crypto';
import { withRenderer, type WithRender } from '../../../__fixtures__/refusal.js';
import type { ToAuthRequest } from '../../../profiles/strategy-contract.js';
import type { NvxFixtures } from '../fixtures.js';
import type { NvxInProcessDriverOptions } from '../in-process.js';
import { createKeyRoutes } from './key-routes.js';
import { jsonHashValues } from './json-keys.js';

/** The documented-silent choices of an honest server; each maps to an nvx-hash@2 parameter. */
export interface NvxChoices {
  readonly queryHash?: 'disabled' | 'enabled';
  readonly sourceConflict?: 'reject' | 'precedence';
  readonly sessionHashOnUserApi?: 'refused' | 'allowed';
  readonly duplicateJsonKeys?: 'reject' | 'last';
  readonly formBody?: 'read' | 'ignored';
  readonly hexCase?: 'any' | 'lower';
  readonly unknownHashCode?: 3 | 4;
  readonly wrongKindCode?: number;
  readonly ambiguousCode?: number;
  readonly queryRefusedCode?: number;
  readonly keyRefusalCode?: number;
  /** A real departure from RFC 9110 (a wire difference, not a security one): only `NVX` in upper case is the scheme. */
  readonly upperCaseSchemeOnly?: boolean;
}

/** The nvx-hash@2 parameters a server with these choices declares. */
export function parametersOf(choices: NvxChoices): Record<string, string> {
  const declared: Record<string, string> = {};
  const put = (name: string, value: string | number | undefined): void => {
    if (value !== undefined) declared[name] = String(value);
  };
  put('query_hash', choices.queryHash);
  put('source_conflict', choices.sourceConflict);
  put('session_hash_on_user_api', choices.sessionHashOnUserApi);
  put('duplicate_json_keys', choices.duplicateJsonKeys);
  put('form_body', choices.formBody);
  put('hex_case', choices.hexCase);
  put('unknown_hash_code', choices.unknownHashCode);
  put('wrong_kind_code', choices.wrongKindCode);
  put('ambiguous_code', choices.ambiguousCode);
  put('query_refused_code', choices.queryRefusedCode);
  put('key_refusal_code', choices.keyRefusalCode);
  return declared;
}

/** Security flaws: each mutant has one. */
export interface NvxFlaws {
  readonly acceptsQueryWhenOff?: boolean;
  readonly userSessionOnPanel?: boolean;
  readonly apiKeyOnPanel?: boolean;
  readonly panelHashEverywhere?: boolean;
  /** Declares source_conflict=reject but lets the first source found win. */
  readonly firstSourceWins?: boolean;
  /** Declares source_conflict=precedence but lets the body win over the header. */
  readonly bodyBeatsHeader?: boolean;
  /** Checks the first of two JSON `hash` keys (a streaming parser) while JSON.parse gives the app the last. */
  readonly firstJsonKeyWins?: boolean;
  readonly truncatesLongHashes?: boolean;
  readonly acceptsRevoked?: boolean;
  readonly acceptsEnded?: boolean;
  /** Answers a deleted key with code 4 and an unknown hash with code 3. */
  readonly revokedOracle?: boolean;
  readonly echoesHash?: boolean;
  readonly storeFailureSucceeds?: boolean;
  readonly pollutesPrototype?: boolean;
  readonly acceptsBearer?: boolean;
  readonly ignoresTrailingJunk?: boolean;
  readonly coercesBodyHash?: boolean;
  /** Remembers every hash it once accepted: a key deleted afterwards keeps working. */
  readonly cachesAcceptedHashes?: boolean;
  /** Lets an API key create API keys. */
  readonly apiKeyCreatesKeys?: boolean;
  /** No limit on API keys. */
  readonly unlimitedKeys?: boolean;
}

export interface NvxReferenceOptions {
  readonly choices?: NvxChoices;
  readonly flaws?: NvxFlaws;
  /** Called with every hash issued, so tests can check that no message repeats one. */
  readonly onIssued?: (hashes: readonly string[]) => void;
}

export type NvxReferenceKind = 'api-key' | 'user-session' | 'panel-session';
export type NvxAccount = 'master' | 'sub' | 'panel';

export interface NvxEntry {
  readonly id: string;
  readonly kind: NvxReferenceKind;
  readonly ownerId: string;
  readonly account: NvxAccount;
  readonly active: boolean;
  readonly title: string;
}

/** Direct access to the reference's table of hashes, for the account routes. */
export interface NvxReferenceManagement {
  issue(kind: NvxReferenceKind, ownerId: string, account: NvxAccount, title?: string): string;
  find(hash: string): NvxEntry | undefined;
  /** Ends a hash; false when it was not live. */
  end(hash: string): boolean;
  /** The live keys of an owner, with their hashes. */
  keys(ownerId: string): { readonly hash: string; readonly entry: NvxEntry }[];
  count(kind: NvxReferenceKind, ownerId: string): number;
}

const NAVIXY: Readonly<Record<number, { readonly httpStatus: number; readonly description: string }>> = {
  3: { httpStatus: 400, description: 'Wrong hash' },
  4: { httpStatus: 400, description: 'User or API key not found or session ended' },
  5: { httpStatus: 400, description: 'Wrong request format' },
  6: { httpStatus: 500, description: 'Unexpected error' },
  7: { httpStatus: 400, description: 'Invalid parameters' },
  9: { httpStatus: 412, description: 'Too large request' },
  11: { httpStatus: 403, description: 'Access denied' },
  13: { httpStatus: 403, description: 'Operation not permitted' },
  14: { httpStatus: 503, description: 'Database unavailable' },
};

/** A refusal with Navixy's code, and the hash presented (only echoed by the echoing mutant). */
export function refuse(code: number, presented: string | null = null): AuthOutcome<never> {
  return rejected(new AuthError(code === 14 ? 'STORE_UNAVAILABLE' : 'CREDENTIALS_INVALID', { cause: { navixyCode: code, presented } }));
}

export function navixyReply(code: number, echo: string | null = null): WireReply<unknown> {
  const entry = NAVIXY[code] ?? { httpStatus: 400, description: 'Unexpected error' };
  const body: Record<string, unknown> = { success: false, status: { code, description: entry.description } };
  if (echo !== null) body['hash'] = echo;
  return { httpStatus: entry.httpStatus, headers: { 'content-type': 'application/json; charset=utf-8' }, body };
}

function createRender(flaws: NvxFlaws): (error: AuthError) => WireReply<unknown> {
  return (error) => {
    const cause = error.cause as { navixyCode?: number; presented?: string | null } | undefined;
    const code = cause?.navixyCode ?? (error.code === 'REQUEST_TOO_LARGE' ? 9 : error.code === 'REQUEST_MALFORMED' ? 5 : 3);
    return navixyReply(code, flaws.echoesHash === true ? (cause?.presented ?? null) : null);
  };
}

const HEX32 = /^[0-9a-fA-F]{32}$/;
const BASE = '/v2';
const KEY_MANAGEMENT = new Set(['/api/key/create', '/api/key/list', '/api/key/delete', '/user/session/renew', '/user/logout']);

type Found = { type: 'none' } | { type: 'refused'; outcome: AuthOutcome<never> } | { type: 'found'; hash: string };

/** qs-style nested form parsing without any guard: `__proto__[hash]=x` writes into Object.prototype. */
function parseNested(fields: ReadonlyMap<string, readonly string[]>): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  for (const [name, values] of fields) {
    const path = name.split(/[[\].]+/).filter((part) => part !== '');
    let node: Record<string, unknown> = target;
    path.forEach((part, index) => {
      if (index === path.length - 1) node[part] = values[0];
      else node = (node[part] ??= {}) as Record<string, unknown>;
    });
  }
  return target;
}

interface Server {
  readonly choices: Required<Omit<NvxChoices, 'upperCaseSchemeOnly'>> & { readonly upperCaseSchemeOnly: boolean };
  readonly flaws: NvxFlaws;
  readonly rawText: (request: AuthRequest) => Promise<string>;
}

async function extract(server: Server, request: AuthRequest): Promise<Found> {
  const { choices, flaws } = server;
  const malformed = (): Found => ({ type: 'refused', outcome: refuse(3) });
  const ambiguous = (): Found => ({ type: 'refused', outcome: refuse(choices.ambiguousCode) });
  const normal = (value: string): string => (choices.hexCase === 'any' ? value.toLowerCase() : value);
  const sources: { readonly source: 'header' | 'body' | 'query'; readonly hash: string }[] = [];

  const header = request.header('authorization');
  if (header !== null) {
    const match = /^[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:[ \t]+([\s\S]*?))?[ \t]*$/.exec(header);
    const scheme = match?.[1] ?? '';
    const ours = (choices.upperCaseSchemeOnly ? scheme === 'NVX' : scheme.toLowerCase() === 'nvx') || (flaws.acceptsBearer === true && scheme.toLowerCase() === 'bearer');
    if (ours) {
      let value = match?.[2] ?? '';
      if (/,[ \t]*nvx[ \t]/i.test(value)) return ambiguous(); // two lines, joined
      if (flaws.ignoresTrailingJunk) value = value.split(/[\s,;"]/)[0] ?? '';
      if (flaws.truncatesLongHashes) value = value.slice(0, 32);
      if (!HEX32.test(value)) return malformed();
      sources.push({ source: 'header', hash: normal(value) });
    } else if (/(^|,)[ \t]*nvx([ \t]|$)/i.test(header)) {
      return ambiguous();
    }
  }

  const body = await request.body();
  if (body.type === 'too-large') return { type: 'refused', outcome: refuse(9) };
  if (body.type === 'malformed') return { type: 'refused', outcome: refuse(5) };
  const bodyValues: unknown[] = [];
  if (flaws.pollutesPrototype) {
    const params: Record<string, unknown> = body.type === 'form' ? parseNested(body.fields) : body.type === 'json' && isJsonObject(body.value) ? { ...body.value } : {};
    if (params['hash'] !== undefined) bodyValues.push(params['hash']);
  } else if (body.type === 'json' && isJsonObject(body.value) && Object.prototype.hasOwnProperty.call(body.value, 'hash')) {
    const all = jsonHashValues(await server.rawText(request));
    if (all.length > 1 && all.some((value) => JSON.stringify(value) !== JSON.stringify(all[0]))) {
      if (flaws.firstJsonKeyWins) bodyValues.push(all[0]);
      else if (choices.duplicateJsonKeys === 'reject') return ambiguous();
      else bodyValues.push(body.value['hash']);
    } else {
      bodyValues.push(body.value['hash']);
    }
  } else if (body.type === 'form' && choices.formBody === 'read') {
    const values = body.fields.get('hash') ?? [];
    if (values.some((value) => value.toLowerCase() !== values[0]?.toLowerCase())) return ambiguous();
    if (values.length > 0) bodyValues.push(values[0]);
  }
  for (let value of bodyValues) {
    if (typeof value !== 'string' && flaws.coercesBodyHash) value = value === null ? undefined : Array.isArray(value) ? value.join(',') : typeof value === 'object' ? JSON.stringify(value) : String(value);
    if (value === undefined) continue;
    if (typeof value !== 'string') return malformed();
    if (flaws.truncatesLongHashes) value = value.slice(0, 32);
    if (!HEX32.test(value as string)) return malformed();
    sources.push({ source: 'body', hash: normal(value as string) });
  }

  const query = request.queryValues('hash');
  if (query.length > 0) {
    if (choices.queryHash === 'disabled' && flaws.acceptsQueryWhenOff !== true) return { type: 'refused', outcome: refuse(choices.queryRefusedCode) };
    if (query.some((value) => value !== query[0])) return ambiguous();
    if (!HEX32.test(query[0] as string)) return malformed();
    sources.push({ source: 'query', hash: normal(query[0] as string) });
  }

  const first = sources[0];
  if (first === undefined) return { type: 'none' };
  if (sources.every((one) => one.hash === first.hash)) return { type: 'found', hash: first.hash };
  if (choices.sourceConflict === 'reject' && flaws.firstSourceWins !== true) return ambiguous();
  const order = flaws.bodyBeatsHeader ? ['body', 'header', 'query'] : ['header', 'body', 'query'];
  const winner = [...sources].sort((a, b) => order.indexOf(a.source) - order.indexOf(b.source))[0] as (typeof sources)[number];
  return { type: 'found', hash: winner.hash };
}

/** Which part of the API a path is: panel, key management or the rest of the User API; `null` when undecodable. */
export function areaOf(path: string): 'panel' | 'key-management' | 'user' | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  const normalized = decoded.replace(/\/{2,}/g, '/').replace(/\/+$/, '').toLowerCase();
  const relative = normalized.startsWith(`${BASE}/`) ? normalized.slice(BASE.length) : normalized;
  if (relative === '/panel' || relative.startsWith('/panel/')) return 'panel';
  return KEY_MANAGEMENT.has(relative) ? 'key-management' : 'user';
}

function accepts(server: Server, entry: NvxEntry, area: 'panel' | 'key-management' | 'user'): boolean {
  const { flaws } = server;
  if (area === 'panel') return entry.kind === 'panel-session' || (flaws.userSessionOnPanel === true && entry.kind === 'user-session') || (flaws.apiKeyOnPanel === true && entry.kind === 'api-key');
  if (entry.kind === 'api-key') return true;
  if (entry.kind === 'user-session') return area === 'key-management' || server.choices.sessionHashOnUserApi === 'allowed';
  return flaws.panelHashEverywhere === true;
}

/** The reference's strategy over its table: what the key routes authenticate with, too. */
function createStrategy(server: Server, entries: Map<string, NvxEntry>, storeFails: boolean): AuthStrategy {
  const { flaws, choices } = server;
  const accepted = new Map<string, NvxEntry>();
  return withRenderer(
    {
      id: 'nvx-reference',
      async authenticate(request) {
        const found = await extract(server, request);
        if (found.type === 'none') return absent();
        if (found.type === 'refused') return found.outcome;
        const area = areaOf(request.path);
        if (area === null) return refuse(5);
        if (storeFails) return flaws.storeFailureSucceeds ? authenticated({ id: 'unknown' }, { id: 'unknown', kind: 'api-key', scopes: [] }) : refuse(14, found.hash);
        let entry = entries.get(found.hash) ?? (flaws.cachesAcceptedHashes ? accepted.get(found.hash) : undefined);
        if (entry !== undefined && !entry.active) {
          const stillWorks = (flaws.acceptsRevoked === true && entry.kind === 'api-key') || (flaws.acceptsEnded === true && entry.kind === 'user-session') || (flaws.cachesAcceptedHashes === true && accepted.has(found.hash));
          if (!stillWorks) return refuse(flaws.revokedOracle && entry.kind === 'api-key' ? 4 : choices.unknownHashCode, found.hash);
          entry = { ...entry, active: true };
        }
        if (entry === undefined) return refuse(choices.unknownHashCode, found.hash);
        if (!accepts(server, entry, area)) return refuse(choices.wrongKindCode, found.hash);
        accepted.set(found.hash, entry);
        return authenticated({ id: entry.ownerId, attributes: { account: entry.account } }, { id: entry.id, kind: entry.kind, scopes: [] });
      },
    },
    createRender(flaws),
  );
}

/** Reads the raw body text of each request beside the adapter (for duplicate JSON keys), through a clone. */
function rawTextAdapter(base: ToAuthRequest): { toAuthRequest: ToAuthRequest; rawText: (request: AuthRequest) => Promise<string> } {
  const texts = new WeakMap<AuthRequest, Promise<string>>();
  return {
    toAuthRequest(request, context) {
      const auth = base(request, context);
      texts.set(auth, request.body === null ? Promise.resolve('') : request.clone().text().catch(() => ''));
      return auth;
    },
    rawText: (request) => texts.get(request) ?? Promise.resolve(''),
  };
}

export type NvxReference = NvxInProcessDriverOptions &
  WithRender & {
    readonly routes: NonNullable<NvxInProcessDriverOptions['routes']>;
    readonly toAuthRequest: ToAuthRequest;
    readonly management: NvxReferenceManagement;
    readonly parameters: Record<string, string>;
  };

/**
 * The in-process driver options of a reference NVX server (honest with `choices`, flawed with `flaws`), its declared
 * parameters, and management access to its table.
 */
export function createNvxReference(options: NvxReferenceOptions = {}): NvxReference {
  const given = options.choices ?? {};
  const flaws = options.flaws ?? {};
  const choices: Server['choices'] = {
    queryHash: given.queryHash ?? 'disabled',
    sourceConflict: given.sourceConflict ?? 'reject',
    sessionHashOnUserApi: given.sessionHashOnUserApi ?? 'refused',
    duplicateJsonKeys: given.duplicateJsonKeys ?? 'reject',
    formBody: given.formBody ?? 'read',
    hexCase: given.hexCase ?? 'any',
    unknownHashCode: given.unknownHashCode ?? 3,
    wrongKindCode: given.wrongKindCode ?? 11,
    ambiguousCode: given.ambiguousCode ?? 3,
    queryRefusedCode: given.queryRefusedCode ?? 11,
    keyRefusalCode: given.keyRefusalCode ?? 13,
    upperCaseSchemeOnly: given.upperCaseSchemeOnly === true,
  };
  const adapter = rawTextAdapter(createFetchRequestAdapter());
  const server: Server = { choices, flaws, rawText: adapter.rawText };
  const entries = new Map<string, NvxEntry>();
  const issue = (kind: NvxReferenceKind, ownerId: string, account: NvxAccount, title = '', active = true): string => {
    const hash = generateHexToken(16);
    entries.set(hash, { id: `cred-${entries.size + 1}`, kind, ownerId, account, active, title });
    options.onIssued?.([hash]);
    return hash;
  };
  const management: NvxReferenceManagement = {
    issue: (kind, ownerId, account, title) => issue(kind, ownerId, account, title),
    find: (hash) => entries.get(choices.hexCase === 'any' ? hash.toLowerCase() : hash),
    end(hash) {
      const key = choices.hexCase === 'any' ? hash.toLowerCase() : hash;
      const entry = entries.get(key);
      if (entry === undefined || !entry.active) return false;
      entries.set(key, { ...entry, active: false });
      return true;
    },
    keys: (ownerId) => [...entries].filter(([, entry]) => entry.active && entry.kind === 'api-key' && entry.ownerId === ownerId).map(([hash, entry]) => ({ hash, entry })),
    count: (kind, ownerId) => [...entries.values()].filter((entry) => entry.active && entry.kind === kind && entry.ownerId === ownerId).length,
  };
  const strategy = createStrategy(server, entries, false);
  let owners = 0;
  return {
    strategy,
    render: createRender(flaws),
    toAuthRequest: adapter.toAuthRequest,
    routes: createKeyRoutes({ strategy, management, choices, flaws, render: createRender(flaws) }),
    async setup(): Promise<NvxFixtures> {
      owners++;
      return {
        apiKey: issue('api-key', `user-${owners}`, 'master'),
        userSessionHash: issue('user-session', `user-${owners}`, 'master'),
        subUserSessionHash: issue('user-session', `sub-${owners}`, 'sub'),
        panelSessionHash: issue('panel-session', `panel-${owners}`, 'panel'),
        revokedApiKey: issue('api-key', `user-${owners}`, 'master', '', false),
        endedSessionHash: issue('user-session', `user-${owners}`, 'master', '', false),
      };
    },
    storeFailure: async () => ({ strategy: createStrategy(server, entries, true) }),
    management,
    parameters: parametersOf(given),
  };
}
