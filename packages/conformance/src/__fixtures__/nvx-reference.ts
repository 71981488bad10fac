// A small, self-contained NVX hash server for the kit's own tests: a correct reference and flawed variants of
// it (mutants). It deliberately does not import @gatehouse/strategy-nvx-hash: the kit must be able to judge an
// implementation it was not built from.
import {
  absent,
  AuthError,
  authenticated,
  createFetchRequestAdapter,
  isJsonObject,
  rejected,
  type AuthErrorCode,
  type AuthOutcome,
  type AuthRequest,
  type AuthStrategy,
  type WireReply,
} from '@gatehouse/auth-core';
import { generateHexToken } from '@gatehouse/auth-core/crypto';
import type { NvxFixtures, NvxInProcessDriverOptions } from '../index.js';
import { withRenderer, type WithRender } from './refusal.js';

export interface NvxFlaws {
  /** Accepts `?hash=` although the fixtures say query hashes are disabled. */
  readonly acceptsQueryWhenOff?: boolean;
  /** Accepts a user session hash under `/panel/`. */
  readonly userSessionOnPanel?: boolean;
  /** Accepts an API key under `/panel/`. */
  readonly apiKeyOnPanel?: boolean;
  /** Accepts a panel hash on user routes too. */
  readonly panelHashEverywhere?: boolean;
  /** Accepts a user session hash on every user route. */
  readonly userSessionEverywhere?: boolean;
  /** When two sources disagree, the first one found (header, body, query) wins. */
  readonly firstSourceWins?: boolean;
  /** Answers a store failure with success. */
  readonly storeFailureSucceeds?: boolean;
  /** Answers a store failure with "Wrong hash" (fails closed, but with the wrong code). */
  readonly storeFailureIsWrongHash?: boolean;
  /** Recognises only `NVX` in upper case. */
  readonly caseSensitiveScheme?: boolean;
  /** Reads only the first 32 characters of a hash. */
  readonly truncatesLongHashes?: boolean;
  /** Answers an unknown hash with code 4 "User or API key not found", telling it apart from a malformed one. */
  readonly code4ForUnknown?: boolean;
  /** Requires exactly one space between the scheme and the hash. */
  readonly strictWhitespace?: boolean;
  /** Takes the first word after the scheme and ignores the rest of the header. */
  readonly ignoresTrailingJunk?: boolean;
  /** Treats `Bearer <hash>` as NVX. */
  readonly acceptsBearer?: boolean;
  /** Turns a non-string JSON `hash` into a string (`["…"]` → `"…"`) and ignores `null`. */
  readonly coercesBodyHash?: boolean;
  /** Parses form fields qs-style (`a[b]=c`) into a plain object and reads `hash` from it, prototype included. */
  readonly pollutesPrototype?: boolean;
  /** Renders the presented hash into failure replies. */
  readonly echoesHash?: boolean;
  /** Ignores urlencoded bodies. */
  readonly ignoresFormBody?: boolean;
  /** Describes code 3 as "Invalid API key" instead of Navixy's "Wrong hash". */
  readonly customDescription?: boolean;
  /** Reads bodies up to 4 MiB (a server configured without a sensible cap). */
  readonly uncappedBody?: boolean;
}

export interface NvxReferenceOptions {
  readonly queryHash: 'enabled' | 'disabled';
  readonly flaws?: NvxFlaws;
  /** Called with every fixture hash issued, so tests can check that no message repeats one. */
  readonly onIssued?: (hashes: readonly string[]) => void;
}

type Kind = 'api-key' | 'user-session' | 'panel-session';

interface Entry {
  readonly id: string;
  readonly kind: Kind;
  readonly ownerId: string;
  readonly active: boolean;
}

const HEX32 = /^[0-9a-fA-F]{32}$/;
const BASE = '/v2';
const KEY_MANAGEMENT = new Set(['/api/key/create', '/api/key/list', '/api/key/delete', '/user/session/renew', '/user/logout']);

const NAVIXY: Readonly<Record<number, { readonly httpStatus: number; readonly description: string }>> = {
  3: { httpStatus: 400, description: 'Wrong hash' },
  4: { httpStatus: 400, description: 'User or API key not found or session ended' },
  5: { httpStatus: 400, description: 'Wrong request format' },
  6: { httpStatus: 500, description: 'Unexpected error' },
  9: { httpStatus: 412, description: 'Too large request' },
  11: { httpStatus: 403, description: 'Access denied' },
  14: { httpStatus: 503, description: 'Database unavailable' },
};

function navixyCode(code: AuthErrorCode): number {
  switch (code) {
    case 'CREDENTIALS_MISSING':
    case 'CREDENTIALS_MALFORMED':
    case 'CREDENTIALS_INVALID':
    case 'CREDENTIALS_EXPIRED':
    case 'CREDENTIALS_AMBIGUOUS':
      return 3;
    case 'CREDENTIAL_NOT_FOUND':
      return 4;
    case 'REQUEST_MALFORMED':
      return 5;
    case 'REQUEST_TOO_LARGE':
      return 9;
    case 'CREDENTIALS_NOT_ACCEPTED_HERE':
      return 11;
    case 'STORE_UNAVAILABLE':
      return 14;
    default:
      return 6;
  }
}

type Extraction = { type: 'none' } | { type: 'invalid'; code: AuthErrorCode } | { type: 'found'; hash: string };

const invalid = (code: AuthErrorCode): Extraction => ({ type: 'invalid', code });

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

async function extract(request: AuthRequest, acceptQuery: boolean, flaws: NvxFlaws): Promise<Extraction> {
  const found: string[] = [];
  const authorization = request.header('authorization');
  if (authorization !== null) {
    const match = /^[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:[ \t]+([\s\S]*?))?[ \t]*$/.exec(authorization);
    const scheme = match?.[1] ?? '';
    const ours =
      (flaws.caseSensitiveScheme ? scheme === 'NVX' : scheme.toLowerCase() === 'nvx') ||
      (flaws.acceptsBearer === true && scheme.toLowerCase() === 'bearer');
    if (ours) {
      let value = match?.[2] ?? '';
      if (flaws.strictWhitespace && !/^[^ \t]+ [^ \t]/.test(authorization.trim())) return invalid('CREDENTIALS_MALFORMED');
      if (flaws.ignoresTrailingJunk) value = value.split(/[\s,;"]/)[0] ?? '';
      if (flaws.truncatesLongHashes) value = value.slice(0, 32);
      if (!HEX32.test(value)) return invalid('CREDENTIALS_MALFORMED');
      found.push(value.toLowerCase());
    } else if (/(^|,)[ \t]*nvx([ \t]|$)/i.test(authorization)) {
      // A Fetch runtime joins repeated headers with ", ": an NVX credential after another scheme's.
      return invalid('CREDENTIALS_AMBIGUOUS');
    }
  }

  const body = await request.body();
  if (body.type === 'too-large') return invalid('REQUEST_TOO_LARGE');
  if (body.type === 'malformed') return invalid('REQUEST_MALFORMED');
  if (flaws.pollutesPrototype) {
    const params: Record<string, unknown> =
      body.type === 'form' ? parseNested(body.fields) : body.type === 'json' && isJsonObject(body.value) ? { ...body.value } : {};
    // Reads `hash` the careless way: an inherited property counts.
    const value = params['hash'];
    if (value !== undefined) {
      if (typeof value !== 'string' || !HEX32.test(value)) return invalid('CREDENTIALS_MALFORMED');
      found.push(value.toLowerCase());
    }
  } else if (body.type === 'json' && isJsonObject(body.value) && Object.prototype.hasOwnProperty.call(body.value, 'hash')) {
    let value: unknown = body.value['hash'];
    if (typeof value !== 'string' && flaws.coercesBodyHash) value = value === null ? undefined : String(value);
    if (value !== undefined) {
      if (typeof value !== 'string') return invalid('CREDENTIALS_MALFORMED');
      if (flaws.truncatesLongHashes) value = value.slice(0, 32);
      if (!HEX32.test(value as string)) return invalid('CREDENTIALS_MALFORMED');
      found.push((value as string).toLowerCase());
    }
  } else if (body.type === 'form' && !flaws.ignoresFormBody) {
    for (const value of body.fields.get('hash') ?? []) {
      if (!HEX32.test(value)) return invalid('CREDENTIALS_MALFORMED');
      found.push(value.toLowerCase());
    }
  }

  const query = request.queryValues('hash');
  if (query.length > 0) {
    if (!acceptQuery) return invalid('CREDENTIALS_NOT_ACCEPTED_HERE');
    for (const value of query) {
      if (!HEX32.test(value)) return invalid('CREDENTIALS_MALFORMED');
      found.push(value.toLowerCase());
    }
  }

  if (found.length === 0) return { type: 'none' };
  const hash = found[0] as string;
  if (!flaws.firstSourceWins && found.some((value) => value !== hash)) return invalid('CREDENTIALS_AMBIGUOUS');
  return { type: 'found', hash };
}

function areaOf(path: string): 'panel' | 'key-management' | 'user' | null {
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

function accepts(kind: Kind, area: 'panel' | 'key-management' | 'user', flaws: NvxFlaws): boolean {
  if (area === 'panel') {
    return kind === 'panel-session' || (flaws.userSessionOnPanel === true && kind === 'user-session') || (flaws.apiKeyOnPanel === true && kind === 'api-key');
  }
  if (kind === 'api-key') return true;
  if (kind === 'user-session') return area === 'key-management' || flaws.userSessionEverywhere === true;
  return flaws.panelHashEverywhere === true;
}

function createStrategy(entries: ReadonlyMap<string, Entry>, acceptQuery: boolean, storeFails: boolean, flaws: NvxFlaws): AuthStrategy {
  const reject = (code: AuthErrorCode, presented: string | null): AuthOutcome =>
    rejected(new AuthError(code, flaws.echoesHash && presented !== null ? { cause: { presented } } : {}));
  return withRenderer({
    id: 'nvx-reference',
    async authenticate(request) {
      const extraction = await extract(request, acceptQuery, flaws);
      if (extraction.type === 'none') return absent();
      if (extraction.type === 'invalid') return reject(extraction.code, null);
      const area = areaOf(request.path);
      if (area === null) return rejected('REQUEST_MALFORMED');
      if (storeFails) {
        if (flaws.storeFailureSucceeds) return authenticated({ id: 'unknown' }, { id: 'unknown', kind: 'api-key', scopes: [] });
        return reject(flaws.storeFailureIsWrongHash ? 'CREDENTIALS_INVALID' : 'STORE_UNAVAILABLE', extraction.hash);
      }
      const entry = entries.get(extraction.hash);
      if (entry === undefined || !entry.active) return reject(flaws.code4ForUnknown ? 'CREDENTIAL_NOT_FOUND' : 'CREDENTIALS_INVALID', extraction.hash);
      if (!accepts(entry.kind, area, flaws)) return reject('CREDENTIALS_NOT_ACCEPTED_HERE', extraction.hash);
      return authenticated({ id: entry.ownerId }, { id: entry.id, kind: entry.kind, scopes: [] });
    },
  }, createRender(flaws));
}

function createRender(flaws: NvxFlaws): (error: AuthError) => WireReply<unknown> {
  return (error) => {
    const code = navixyCode(error.code);
    const entry = NAVIXY[code] ?? { httpStatus: 500, description: 'Unexpected error' };
    const description = flaws.customDescription && code === 3 ? 'Invalid API key' : entry.description;
    const body: Record<string, unknown> = { success: false, status: { code, description } };
    const presented = (error.cause as { presented?: unknown } | undefined)?.presented;
    if (flaws.echoesHash && typeof presented === 'string') body['hash'] = presented;
    return { httpStatus: entry.httpStatus, headers: { 'content-type': 'application/json; charset=utf-8' }, body };
  };
}

/** The kinds of hash the reference issues. */
export type NvxReferenceKind = Kind;

/**
 * Direct access to the reference's table of hashes, for a test server that serves Navixy's account routes
 * (`user/auth`, `api/key/create`, `api/key/delete`, `user/logout`, `panel/account/auth`) over HTTP.
 */
export interface NvxReferenceManagement {
  /** Issues a live hash of a kind for an owner. */
  issue(kind: NvxReferenceKind, ownerId: string): string;
  /** The entry of a live or ended hash, or `undefined`. */
  find(hash: string): { readonly id: string; readonly kind: NvxReferenceKind; readonly ownerId: string; readonly active: boolean } | undefined;
  /** Ends a hash (a deleted key, a logged-out session), found by its hash or its credential id; false when there is none. */
  end(hashOrId: string): boolean;
  /** How many live hashes of a kind an owner holds. */
  count(kind: NvxReferenceKind, ownerId: string): number;
}

/**
 * The in-process driver options of a reference NVX server (or a flawed one): one strategy over an in-memory
 * table of hashes, Navixy's renderer, a `setup` that issues fresh hashes of every kind, and a failing store.
 */
export function createNvxReference(options: NvxReferenceOptions): NvxInProcessDriverOptions & WithRender {
  const { management: _management, ...driverOptions } = createNvxReferenceWithManagement(options);
  return driverOptions;
}

/** {@link createNvxReference} plus {@link NvxReferenceManagement} over the same table. */
export function createNvxReferenceWithManagement(options: NvxReferenceOptions): NvxInProcessDriverOptions & WithRender & { readonly management: NvxReferenceManagement } {
  const flaws = options.flaws ?? {};
  const entries = new Map<string, Entry>();
  const acceptQuery = options.queryHash === 'enabled' || flaws.acceptsQueryWhenOff === true;
  let owners = 0;
  const issue = (kind: Kind, ownerId: string, active = true): string => {
    const hash = generateHexToken(16);
    entries.set(hash, { id: `cred-${entries.size + 1}`, kind, ownerId, active });
    return hash;
  };
  return {
    strategy: createStrategy(entries, acceptQuery, false, flaws),
    render: createRender(flaws),
    toAuthRequest: createFetchRequestAdapter(flaws.uncappedBody ? { maxBodyBytes: 4 * 1024 * 1024 } : {}),
    async setup(): Promise<NvxFixtures> {
      owners++;
      const fixtures = {
        apiKey: issue('api-key', `user-${owners}`),
        userSessionHash: issue('user-session', `user-${owners}`),
        subUserSessionHash: issue('user-session', `sub-${owners}`),
        panelSessionHash: issue('panel-session', `panel-${owners}`),
        revokedApiKey: issue('api-key', `user-${owners}`, false),
        endedSessionHash: issue('user-session', `user-${owners}`, false),
        queryHash: options.queryHash,
      } satisfies NvxFixtures;
      options.onIssued?.([fixtures.apiKey, fixtures.userSessionHash, fixtures.subUserSessionHash, fixtures.panelSessionHash, fixtures.revokedApiKey, fixtures.endedSessionHash]);
      return fixtures;
    },
    storeFailure: async () => ({ strategy: createStrategy(entries, acceptQuery, true, flaws) }),
    management: {
      issue: (kind, ownerId) => issue(kind, ownerId),
      find: (hash) => entries.get(hash.toLowerCase()),
      end(hashOrId) {
        for (const [hash, entry] of entries) {
          if ((hash === hashOrId.toLowerCase() || entry.id === hashOrId) && entry.active) {
            entries.set(hash, { ...entry, active: false });
            return true;
          }
        }
        return false;
      },
      count: (kind, ownerId) => [...entries.values()].filter((entry) => entry.active && entry.kind === kind && entry.ownerId === ownerId).length,
    },
  };
}
