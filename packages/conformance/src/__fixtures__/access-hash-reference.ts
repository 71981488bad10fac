// A small, self-contained access hash cookie server for the kit's own tests: a correct reference and flawed
// variants of it (mutants). It deliberately does not import @gatehouse/strategy-access-hash-cookie: the kit must
// be able to judge an implementation it was not built from.
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
import { normalizeIpAddress } from '@gatehouse/auth-core/strategy';
import { generateHexToken } from '@gatehouse/auth-core/crypto';
import type { AccessHashFixtures, AccessHashInProcessDriverOptions, ToAuthRequest } from '../index.js';
import { withRenderer, type WithRender } from './refusal.js';

export interface AccessHashFlaws {
  /** Never checks the client IP. */
  readonly ignoresIpBinding?: boolean;
  /** Of two access_hash cookies, uses the first. */
  readonly firstCookieWins?: boolean;
  /** Its request adapter hands over the socket address as sent, and it compares addresses as raw strings. */
  readonly rawIpComparison?: boolean;
  /** Matches the client IP when either address is a prefix of the other (string `startsWith`). */
  readonly prefixIpMatch?: boolean;
  /** Believes X-Forwarded-For from anyone (every peer is a "trusted proxy"). */
  readonly trustsForwardedFor?: boolean;
  /** Lower-cases the hash before checking it. */
  readonly acceptsUpperCase?: boolean;
  /** Trims whitespace and strips double quotes around the value. */
  readonly trimsAndUnquotes?: boolean;
  /** URL-decodes cookie values, as many cookie libraries do. */
  readonly decodesPercent?: boolean;
  /** Reads only the first 80 characters of a value. */
  readonly truncatesLongHashes?: boolean;
  /** Also reads the hash from an `access_hash` / `X-Access-Hash` header or the `access_hash` query parameter. */
  readonly readsHeaderAndQuery?: boolean;
  /** Also reads `access_hash` from a JSON or urlencoded body. */
  readonly readsBody?: boolean;
  /** Finds the cookie with a regular expression over the raw Cookie header. */
  readonly substringCookieSearch?: boolean;
  /** Collects cookies into a plain object (`(jar[name] ??= []).push(value)`): `toString` and `__proto__` crash it. */
  readonly plainObjectCookies?: boolean;
  /** Parses cookie names qs-style (`a[b]=c`) into nested plain objects, `__proto__` included. */
  readonly qsCookieNames?: boolean;
  /** Answers a store failure with success. */
  readonly storeFailureSucceeds?: boolean;
  /** Answers a store failure with 401 "Invalid access hash" (fails closed, with the wrong status). */
  readonly storeFailureIsInvalid?: boolean;
  /** Answers a valid hash from a wrong IP with 401 instead of 403. */
  readonly wrongIpIs401?: boolean;
  /** Puts the presented value into failure replies. */
  readonly echoesHash?: boolean;
  /** Names the bound IP in the wrong-IP reply. */
  readonly namesBoundIp?: boolean;
  /** Says "expired" for a deleted hash, telling it apart from an unknown one. */
  readonly tellsRevokedApart?: boolean;
  /** Caches successful lookups, so a deletion takes effect only later. */
  readonly cachesLookups?: boolean;
}

export interface AccessHashReferenceOptions {
  readonly flaws?: AccessHashFlaws;
  /** The address the kit connects from. Default `203.0.113.7`. */
  readonly clientIp?: string;
  /** The address the foreign hash is bound to. Default `198.51.100.23`. */
  readonly foreignIp?: string;
  /** The cookie name. Default `access_hash`. */
  readonly cookieName?: string;
  /** Called with every fixture hash issued, so tests can check that no message repeats one. */
  readonly onIssued?: (hashes: readonly string[]) => void;
}

interface Entry {
  readonly id: string;
  readonly ownerId: string;
  readonly ip: string;
  readonly active: boolean;
}

const HASH = /^[0-9a-f]{80}$/;

const TEXTS: Partial<Record<AuthErrorCode, { readonly httpStatus: number; readonly text: string }>> = {
  CREDENTIALS_MISSING: { httpStatus: 401, text: 'Access hash required' },
  CREDENTIALS_INVALID: { httpStatus: 401, text: 'Invalid access hash' },
  CREDENTIALS_EXPIRED: { httpStatus: 401, text: 'Access hash expired' },
  CREDENTIALS_MALFORMED: { httpStatus: 400, text: 'Malformed access hash' },
  CREDENTIALS_AMBIGUOUS: { httpStatus: 400, text: 'Access hash cookie sent more than once' },
  IP_NOT_ALLOWED: { httpStatus: 403, text: 'Access hash is not valid from this IP address' },
  STORE_UNAVAILABLE: { httpStatus: 503, text: 'Service unavailable' },
};

type Extraction = { type: 'none' } | { type: 'invalid'; code: AuthErrorCode; presented: string | null } | { type: 'found'; hash: string };

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
  const header = request.header('cookie') ?? '';
  let values: string[];
  if (flaws.substringCookieSearch) {
    const match = new RegExp(`${name}=([^;]*)`).exec(header);
    values = match === null ? [] : [match[1] as string];
  } else if (flaws.plainObjectCookies) {
    const jar: Record<string, string[]> = {};
    for (const part of header.split(';')) {
      const equals = part.indexOf('=');
      if (equals <= 0) continue;
      (jar[part.slice(0, equals).trim()] ??= []).push(part.slice(equals + 1));
    }
    values = Object.prototype.hasOwnProperty.call(jar, name) ? (jar[name] as string[]) : [];
  } else if (flaws.qsCookieNames) {
    // Reads the cookie the careless way: an inherited property counts.
    const value = parseNested(header)[name];
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

async function extract(request: AuthRequest, name: string, flaws: AccessHashFlaws): Promise<Extraction> {
  const values = await cookieValues(request, name, flaws);
  if (values.length === 0) return { type: 'none' };
  if (values.length > 1 && !flaws.firstCookieWins) return { type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS', presented: null };
  const presented = values[0] as string;
  let value = presented;
  if (flaws.decodesPercent) {
    try {
      value = decodeURIComponent(value);
    } catch {
      // keep it as sent
    }
  }
  if (flaws.trimsAndUnquotes) value = value.trim().replace(/^"(.*)"$/, '$1');
  if (flaws.acceptsUpperCase) value = value.toLowerCase();
  if (flaws.truncatesLongHashes) value = value.slice(0, 80);
  if (!HASH.test(value)) return { type: 'invalid', code: 'CREDENTIALS_MALFORMED', presented };
  return { type: 'found', hash: value };
}

function sameAddress(clientIp: string | null, boundIp: string, flaws: AccessHashFlaws): boolean {
  if (clientIp === null) return false;
  if (flaws.prefixIpMatch) return clientIp.startsWith(boundIp) || boundIp.startsWith(clientIp);
  if (flaws.rawIpComparison) return clientIp === boundIp;
  return normalizeIpAddress(clientIp) === boundIp;
}

function createStrategy(entries: ReadonlyMap<string, Entry>, cookieName: string, storeFails: boolean, flaws: AccessHashFlaws): AuthStrategy {
  const cache = new Map<string, Entry>();
  const reject = (code: AuthErrorCode, cause: Record<string, string> = {}): AuthOutcome => rejected(new AuthError(code, { cause }));
  return withRenderer({
    id: 'access-hash-reference',
    async authenticate(request) {
      const extraction = await extract(request, cookieName, flaws);
      if (extraction.type === 'none') return absent();
      if (extraction.type === 'invalid') return reject(extraction.code, extraction.presented === null ? {} : { presented: extraction.presented });
      const { hash } = extraction;
      if (storeFails) {
        if (flaws.storeFailureSucceeds) return authenticated({ id: 'unknown' }, { id: 'unknown', kind: 'access-hash', scopes: [] });
        return reject(flaws.storeFailureIsInvalid ? 'CREDENTIALS_INVALID' : 'STORE_UNAVAILABLE', { presented: hash });
      }
      const entry = (flaws.cachesLookups ? cache.get(hash) : undefined) ?? entries.get(hash);
      if (entry === undefined) return reject('CREDENTIALS_INVALID', { presented: hash });
      if (!entry.active) return reject(flaws.tellsRevokedApart ? 'CREDENTIALS_EXPIRED' : 'CREDENTIALS_INVALID', { presented: hash });
      if (!flaws.ignoresIpBinding && !sameAddress(request.clientIp, entry.ip, flaws)) {
        return reject(flaws.wrongIpIs401 ? 'CREDENTIALS_INVALID' : 'IP_NOT_ALLOWED', { presented: hash, boundIp: entry.ip });
      }
      if (flaws.cachesLookups) cache.set(hash, entry);
      return authenticated({ id: entry.ownerId }, { id: entry.id, kind: 'access-hash', scopes: [] });
    },
  }, createRender(flaws));
}

function createRender(flaws: AccessHashFlaws): (error: AuthError) => WireReply<unknown> {
  return (error) => {
    const entry = TEXTS[error.code] ?? { httpStatus: 500, text: 'Internal error' };
    const cause = (error.cause ?? {}) as { presented?: string; boundIp?: string };
    let text = entry.text;
    if (flaws.namesBoundIp && cause.boundIp !== undefined) text += ` (only from ${cause.boundIp})`;
    if (flaws.echoesHash && cause.presented !== undefined) text += `: ${cause.presented}`;
    return { httpStatus: entry.httpStatus, headers: { 'content-type': 'application/json; charset=utf-8' }, body: { error: text, msg: '', status: 'error' } };
  };
}

/** An adapter that hands the socket address over as sent (`::ffff:203.0.113.7` stays so). */
function rawAddressAdapter(): ToAuthRequest {
  const inner = createFetchRequestAdapter();
  return (request, context) => {
    const adapted = inner(request, context);
    return {
      method: adapted.method,
      url: adapted.url,
      path: adapted.path,
      query: (name) => adapted.query(name),
      queryValues: (name) => adapted.queryValues(name),
      header: (name) => adapted.header(name),
      headerValues: (name) => adapted.headerValues(name),
      cookie: (name) => adapted.cookie(name),
      cookieValues: (name) => adapted.cookieValues(name),
      clientIp: context.remoteAddress,
      body: () => adapted.body(),
    };
  };
}

/**
 * The in-process driver options of a reference access hash server (or a flawed one): one strategy over an
 * in-memory table of hashes, the panel's envelope, a `setup` that issues fresh hashes bound to the client IP and
 * to a foreign IP, a deleted hash, a failing store and `revoke`.
 */
export function createAccessHashReference(options: AccessHashReferenceOptions = {}): AccessHashInProcessDriverOptions & WithRender {
  const flaws = options.flaws ?? {};
  const clientIp = options.clientIp ?? '203.0.113.7';
  const foreignIp = options.foreignIp ?? '198.51.100.23';
  const cookieName = options.cookieName ?? 'access_hash';
  const entries = new Map<string, Entry>();
  let owners = 0;
  const issue = (ip: string, ownerId: string, active = true): string => {
    const hash = generateHexToken(40);
    entries.set(hash, { id: `ah-${entries.size + 1}`, ownerId, ip: normalizeIpAddress(ip) as string, active });
    return hash;
  };
  let toAuthRequest: ToAuthRequest | undefined;
  if (flaws.rawIpComparison) toAuthRequest = rawAddressAdapter();
  else if (flaws.trustsForwardedFor) toAuthRequest = createFetchRequestAdapter({ trustedProxies: ['0.0.0.0/0', '::/0'] });
  return {
    strategy: createStrategy(entries, cookieName, false, flaws),
    render: createRender(flaws),
    ...(toAuthRequest === undefined ? {} : { toAuthRequest }),
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
    storeFailure: async () => ({ strategy: createStrategy(entries, cookieName, true, flaws) }),
    async revoke(hash) {
      const entry = entries.get(hash);
      if (entry === undefined || !entry.active) throw new Error('no such live hash');
      entries.set(hash, { ...entry, active: false });
    },
  };
}
