// A small, self-contained access hash cookie server for the kit's own tests: a correct reference whose
// documented-silent choices are configurable (honest variants), and flawed versions of it (mutants). It does not
// import @gatehouse/strategy-access-hash-cookie: the kit must judge an implementation it was not built from.
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
import { normalizeIpAddress } from '@gatehouse/auth-core/strategy';
import { withRenderer, type WithRender } from '../../../__fixtures__/refusal.js';
import type { ToAuthRequest } from '../../../profiles/strategy-contract.js';
import type { AccessHashFixtures } from '../fixtures.js';
import type { AccessHashInProcessDriverOptions } from '../in-process.js';

/** The documented-silent choices of an honest server (defaults: Gatehouse's). */
export interface AccessHashChoices {
  readonly whitespace?: 'reject' | 'trim';
  readonly quotes?: 'reject' | 'strip';
  readonly duplicates?: 'reject' | 'first' | 'last';
  readonly hexCase?: 'lower-only' | 'any';
  /** `same-as-invalid`: a foreign IP gets exactly the reply of an unknown hash. */
  readonly foreignIpReply?: 'distinct' | 'same-as-invalid';
  /** One status for every refusal (a store that is down: 500), or Gatehouse's by kind. */
  readonly refusalStatus?: 'by-kind' | number;
  /** The envelope's status words in upper case, as the document's prose writes them. */
  readonly upperCaseStatus?: boolean;
  /** The length of the hashes issued, in hex digits. Default 80. */
  readonly hashLength?: number;
}

export interface AccessHashFlaws {
  /** Never checks the client IP. */
  readonly ignoresIpBinding?: boolean;
  /** Believes X-Forwarded-For from anyone (every peer is a "trusted proxy"). */
  readonly trustsForwardedFor?: boolean;
  /** Matches the client IP when either address is a prefix of the other. */
  readonly prefixIpMatch?: boolean;
  /** Deleting a hash only marks it; the lookup never looks at the mark. */
  readonly acceptsRevoked?: boolean;
  /** Caches successful lookups, so a deletion takes effect only later. */
  readonly cachesLookups?: boolean;
  /** Reads only the first hash-length characters of a value. */
  readonly truncatesLongHashes?: boolean;
  /** URL-decodes cookie values, as many cookie libraries do. */
  readonly decodesPercent?: boolean;
  /** Also reads the hash from an `access_hash` / `X-Access-Hash` header or the `access_hash` query parameter. */
  readonly readsHeaderAndQuery?: boolean;
  /** Also reads `access_hash` from a JSON or urlencoded body. */
  readonly readsBody?: boolean;
  /** Of two access_hash cookies, lets the request in when any of them is live. */
  readonly anyLiveDuplicate?: boolean;
  /** Parses cookie names qs-style (`a[b]=c`) into nested plain objects, `__proto__` included. */
  readonly qsCookieNames?: boolean;
  /** Answers a store failure with success. */
  readonly storeFailureSucceeds?: boolean;
  /** Puts the presented value into failure replies. */
  readonly echoesHash?: boolean;
  /** Names the bound IP in the wrong-IP reply. */
  readonly namesBoundIp?: boolean;
  /** Says "expired" for a deleted hash, telling it apart from an unknown one. */
  readonly tellsRevokedApart?: boolean;
  /** A malformed value that starts with a live hash gets 401 "Invalid", others 400 "Malformed". */
  readonly tellsMalformedLiveApart?: boolean;
}

export interface AccessHashReferenceOptions {
  readonly choices?: AccessHashChoices;
  readonly flaws?: AccessHashFlaws;
  /** The address the kit connects from. Default `203.0.113.7`. */
  readonly clientIp?: string;
  /** The address the foreign hash is bound to. Default `198.51.100.23`. */
  readonly foreignIp?: string;
  /** The cookie name. Default `access_hash`. */
  readonly cookieName?: string;
  /** Called with every hash issued, so tests can check that no message repeats one. */
  readonly onIssued?: (hashes: readonly string[]) => void;
}

interface Entry {
  readonly id: string;
  readonly ownerId: string;
  readonly ip: string;
  readonly active: boolean;
}

/** The management the HTTP test server exposes: make and delete hashes by id. */
export interface AccessHashReferenceManagement {
  issue(ip: string): { readonly id: string; readonly hash: string };
  revokeId(id: string): boolean;
  /** Live hashes made through `issue`. */
  liveIssued(): number;
}

const TEXTS: Partial<Record<AuthErrorCode, { readonly httpStatus: number; readonly text: string }>> = {
  CREDENTIALS_MISSING: { httpStatus: 401, text: 'Access hash required' },
  CREDENTIALS_INVALID: { httpStatus: 401, text: 'Invalid access hash' },
  CREDENTIALS_EXPIRED: { httpStatus: 401, text: 'Access hash expired' },
  CREDENTIALS_MALFORMED: { httpStatus: 400, text: 'Malformed access hash' },
  CREDENTIALS_AMBIGUOUS: { httpStatus: 400, text: 'Access hash cookie sent more than once' },
  IP_NOT_ALLOWED: { httpStatus: 403, text: 'Access hash is not valid from this IP address' },
  STORE_UNAVAILABLE: { httpStatus: 503, text: 'Service unavailable' },
};

type Extraction = { type: 'none' } | { type: 'invalid'; code: AuthErrorCode; presented: string | null } | { type: 'found'; hash: string; others: readonly string[] };

/** qs-style nested parsing without any guard: `__proto__[access_hash]=x` writes into Object.prototype. */
function parseNested(header: string): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  for (const part of header.split(';')) {
    const equals = part.indexOf('=');
    if (equals <= 0) continue;
    const path = part.slice(0, equals).trim().split(/[[\].]+/).filter((segment) => segment !== '');
    const value = part.slice(equals + 1);
    let node: Record<string, unknown> = target;
    path.forEach((segment, index) => {
      if (index === path.length - 1) node[segment] = value;
      else node = (node[segment] ??= {}) as Record<string, unknown>;
    });
  }
  return target;
}

async function cookieValues(request: AuthRequest, name: string, flaws: AccessHashFlaws): Promise<string[]> {
  let values: string[];
  if (flaws.qsCookieNames) {
    // Reads the cookie the careless way: an inherited property counts.
    const value = parseNested(request.headerValues('cookie').join('; '))[name];
    values = typeof value === 'string' ? [value] : [];
  } else {
    values = [...request.cookieValues(name)];
  }
  if (flaws.readsHeaderAndQuery) {
    for (const value of [request.header(name), request.header('x-access-hash'), request.query(name)]) if (value !== null) values.push(value);
  }
  if (flaws.readsBody) {
    const body = await request.body();
    if (body.type === 'json' && isJsonObject(body.value) && typeof body.value[name] === 'string') values.push(body.value[name]);
    if (body.type === 'form') values.push(...(body.fields.get(name) ?? []));
  }
  return values;
}

function canonical(value: string, choices: Required<AccessHashChoices>, flaws: AccessHashFlaws): string | null {
  let text = value;
  if (flaws.decodesPercent) {
    try {
      text = decodeURIComponent(text);
    } catch {
      // kept as sent
    }
  }
  if (choices.whitespace === 'trim') {
    // RFC 6265 §5.2 strips spaces and tabs; a loop, as a regular expression is quadratic on a long run of them.
    let start = 0;
    let end = text.length;
    while (start < end && (text[start] === ' ' || text[start] === '\t')) start++;
    while (end > start && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
    text = text.slice(start, end);
  }
  if (choices.quotes === 'strip' && text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1);
  if (flaws.truncatesLongHashes) text = text.slice(0, choices.hashLength);
  const pattern = choices.hexCase === 'any' ? /^[0-9a-fA-F]+$/ : /^[0-9a-f]+$/;
  if (text.length !== choices.hashLength || !pattern.test(text)) return null;
  return text.toLowerCase();
}

async function extract(request: AuthRequest, name: string, choices: Required<AccessHashChoices>, flaws: AccessHashFlaws): Promise<Extraction> {
  const values = await cookieValues(request, name, flaws);
  if (values.length === 0) return { type: 'none' };
  let presented: string;
  let others: string[] = [];
  if (values.length > 1 && flaws.anyLiveDuplicate) {
    presented = values[0] as string;
    others = values.slice(1);
  } else if (values.length > 1 && choices.duplicates === 'reject') {
    return { type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS', presented: null };
  } else {
    presented = (choices.duplicates === 'last' ? values[values.length - 1] : values[0]) as string;
  }
  const hash = canonical(presented, choices, flaws);
  if (hash === null) return { type: 'invalid', code: 'CREDENTIALS_MALFORMED', presented };
  return { type: 'found', hash, others: others.map((other) => canonical(other, choices, flaws)).filter((other): other is string => other !== null) };
}

function sameAddress(clientIp: string | null, boundIp: string, flaws: AccessHashFlaws): boolean {
  if (clientIp === null) return false;
  const normalized = normalizeIpAddress(clientIp);
  if (flaws.prefixIpMatch) return normalized !== null && (normalized.startsWith(boundIp) || boundIp.startsWith(normalized));
  return normalized === boundIp;
}

function createStrategy(entries: ReadonlyMap<string, Entry>, cookieName: string, storeFails: boolean, choices: Required<AccessHashChoices>, flaws: AccessHashFlaws): AuthStrategy {
  const cache = new Map<string, Entry>();
  const reject = (code: AuthErrorCode, cause: Record<string, string> = {}): AuthOutcome => rejected(new AuthError(code, { cause }));
  const authenticateHash = (request: AuthRequest, hash: string): AuthOutcome => {
    if (storeFails) {
      if (flaws.storeFailureSucceeds) return authenticated({ id: 'unknown' }, { id: 'unknown', kind: 'access-hash', scopes: [] });
      return reject('STORE_UNAVAILABLE', { presented: hash });
    }
    const entry = (flaws.cachesLookups ? cache.get(hash) : undefined) ?? entries.get(hash);
    if (entry === undefined) return reject('CREDENTIALS_INVALID', { presented: hash });
    if (!entry.active && !flaws.acceptsRevoked) return reject(flaws.tellsRevokedApart ? 'CREDENTIALS_EXPIRED' : 'CREDENTIALS_INVALID', { presented: hash });
    if (!flaws.ignoresIpBinding && !sameAddress(request.clientIp, entry.ip, flaws)) return reject('IP_NOT_ALLOWED', { presented: hash, boundIp: entry.ip });
    if (flaws.cachesLookups) cache.set(hash, entry);
    return authenticated({ id: entry.ownerId }, { id: entry.id, kind: 'access-hash', scopes: [] });
  };
  return withRenderer(
    {
      id: 'access-hash-reference',
      async authenticate(request) {
        const extraction = await extract(request, cookieName, choices, flaws);
        if (extraction.type === 'none') return absent();
        if (extraction.type === 'invalid') {
          if (flaws.tellsMalformedLiveApart && extraction.presented !== null && [...entries.keys()].some((hash) => extraction.presented?.startsWith(hash))) {
            return reject('CREDENTIALS_INVALID', { presented: extraction.presented });
          }
          return reject(extraction.code, extraction.presented === null ? {} : { presented: extraction.presented });
        }
        const outcome = authenticateHash(request, extraction.hash);
        if (outcome.type === 'authenticated' || !flaws.anyLiveDuplicate) return outcome;
        for (const other of extraction.others) {
          const next = authenticateHash(request, other);
          if (next.type === 'authenticated') return next;
        }
        return outcome;
      },
    },
    createRender(choices, flaws),
  );
}

function createRender(choices: Required<AccessHashChoices>, flaws: AccessHashFlaws): (error: AuthError) => WireReply<unknown> {
  return (error) => {
    const code = error.code === 'IP_NOT_ALLOWED' && choices.foreignIpReply === 'same-as-invalid' ? 'CREDENTIALS_INVALID' : error.code;
    const entry = TEXTS[code] ?? { httpStatus: 500, text: 'Internal error' };
    const cause = (error.cause ?? {}) as { presented?: string; boundIp?: string };
    let text = entry.text;
    if (flaws.namesBoundIp && cause.boundIp !== undefined) text += ` (only from ${cause.boundIp})`;
    if (flaws.echoesHash && cause.presented !== undefined) text += `: ${cause.presented}`;
    const status = choices.refusalStatus === 'by-kind' ? entry.httpStatus : code === 'STORE_UNAVAILABLE' ? 500 : choices.refusalStatus;
    return {
      httpStatus: status,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: { error: text, msg: '', status: choices.upperCaseStatus ? 'ERROR' : 'error' },
    };
  };
}

/**
 * The in-process driver options of a reference access hash server (an honest variant, or a flawed one): one
 * strategy over an in-memory table of hashes, the panel's envelope, a `setup` that issues fresh hashes bound to the
 * client IP and to a foreign IP and a deleted one, a failing store, `revoke`, and the management the HTTP test
 * server exposes.
 */
export function createAccessHashReference(
  options: AccessHashReferenceOptions = {},
): AccessHashInProcessDriverOptions & WithRender & { readonly management: AccessHashReferenceManagement; readonly success: { readonly status: number; readonly body: unknown } } {
  const flaws = options.flaws ?? {};
  const choices: Required<AccessHashChoices> = {
    whitespace: 'reject',
    quotes: 'reject',
    duplicates: 'reject',
    hexCase: 'lower-only',
    foreignIpReply: 'distinct',
    refusalStatus: 'by-kind',
    upperCaseStatus: false,
    hashLength: 80,
    ...options.choices,
  };
  const clientIp = options.clientIp ?? '203.0.113.7';
  const foreignIp = options.foreignIp ?? '198.51.100.23';
  const cookieName = options.cookieName ?? 'access_hash';
  const entries = new Map<string, Entry>();
  const issuedIds = new Map<string, string>();
  let owners = 0;
  const issue = (ip: string, ownerId: string, active = true): string => {
    const hash = generateHexToken(Math.ceil(choices.hashLength / 2)).slice(0, choices.hashLength);
    entries.set(hash, { id: `ah-${entries.size + 1}`, ownerId, ip: normalizeIpAddress(ip) as string, active });
    return hash;
  };
  let toAuthRequest: ToAuthRequest | undefined;
  if (flaws.trustsForwardedFor) toAuthRequest = createFetchRequestAdapter({ trustedProxies: ['0.0.0.0/0', '::/0'] });
  const render = createRender(choices, flaws);
  return {
    strategy: createStrategy(entries, cookieName, false, choices, flaws),
    render,
    ...(toAuthRequest === undefined ? {} : { toAuthRequest }),
    success: { status: 200, body: { error: '', msg: { version: '1.0' }, status: choices.upperCaseStatus ? 'SUCCESS' : 'success' } },
    async setup(): Promise<AccessHashFixtures> {
      owners++;
      const fixtures = {
        accessHash: issue(clientIp, `owner-${owners}`),
        clientIp,
        foreignAccessHash: issue(foreignIp, `owner-${owners}`),
        foreignIp,
        revokedAccessHash: issue(clientIp, `owner-${owners}`, false),
        ...(cookieName === 'access_hash' ? {} : { cookieName }),
        trustedProxies: 'none',
      } satisfies AccessHashFixtures;
      options.onIssued?.([fixtures.accessHash, fixtures.foreignAccessHash, fixtures.revokedAccessHash]);
      return fixtures;
    },
    storeFailure: async () => ({ strategy: createStrategy(entries, cookieName, true, choices, flaws) }),
    async revoke(hash) {
      const entry = entries.get(hash);
      if (entry === undefined || !entry.active) throw new Error('no such live hash');
      entries.set(hash, { ...entry, active: false });
    },
    management: {
      issue(ip) {
        const hash = issue(ip, 'admin');
        const id = (entries.get(hash) as Entry).id;
        issuedIds.set(id, hash);
        options.onIssued?.([hash]);
        return { id, hash };
      },
      revokeId(id) {
        const hash = issuedIds.get(id);
        const entry = hash === undefined ? undefined : entries.get(hash);
        if (hash === undefined || entry === undefined || !entry.active) return false;
        entries.set(hash, { ...entry, active: false });
        return true;
      },
      liveIssued: () => [...issuedIds.values()].filter((hash) => entries.get(hash)?.active === true).length,
    },
  };
}
