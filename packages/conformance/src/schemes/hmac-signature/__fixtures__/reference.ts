// A small, self-contained APEX-style server (AuthenticateUser + aptoken, and the account routes the HTTP driver
// provisions with) for the kit's own tests: honest variants that make different documented-silent choices, and
// flawed ones (security mutants). It deliberately does not import @gatehouse/strategy-hmac-signature: the kit must
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
import { constantTimeEqualStrings, encodeHex, generateHexToken, hmacSha256, randomBytes } from '@gatehouse/auth-core/crypto';
import { normalizeIpAddress } from '@gatehouse/auth-core/strategy';
import { withRenderer } from '../../../__fixtures__/refusal.js';
import type { HmacFixtures, HmacKeyFixture } from '../fixtures.js';
import type { HmacInProcessDriverOptions } from '../in-process.js';
import type { HmacParameters } from '../parameters.js';

export type NoncePolicy = NonNullable<HmacParameters['nonce_policy']>;

/** The documented-silent choices of one honest server. */
export interface HmacServerStyle {
  readonly policy?: NoncePolicy;
  /** The reply's keys: `pascal` (default) or `camel` (KiiEx's AuthenticateUser page). */
  readonly casing?: 'pascal' | 'camel';
  /** `gatehouse` (401/400/403/413/503, default), `all-400` (every refusal 400), `all-200` (every refusal HTTP 200). */
  readonly statuses?: 'gatehouse' | 'all-400' | 'all-200';
  readonly hexCase?: 'any' | 'lower-only';
  readonly sourceConflict?: 'reject' | 'headers' | 'body';
  readonly duplicateKeys?: 'reject' | 'last';
  readonly foreignIpReply?: 'distinct' | 'same-as-invalid';
}

/** The parameters a server of this style declares. */
export function declaredParameters(style: HmacServerStyle): Record<string, string> {
  return {
    nonce_policy: style.policy ?? 'unique',
    login_reply_casing: style.casing ?? 'pascal',
    signature_hex_case: style.hexCase ?? 'any',
    source_conflict: style.sourceConflict ?? 'reject',
    duplicate_json_keys: style.duplicateKeys ?? 'reject',
    refusal_status: style.statuses === 'all-200' ? '200' : '4xx',
    foreign_ip_reply: style.foreignIpReply ?? 'distinct',
  };
}

export interface HmacFlaws {
  /** Never remembers nonces: a replayed request is accepted (under `unique` and `increasing`). */
  readonly acceptsReplayedNonce?: boolean;
  /** Checks, then records a `unique` nonce with an await in between: parallel replays race through. */
  readonly racyNonceCheck?: boolean;
  /** Compares `increasing` nonces as text (`"9" > "10"`). */
  readonly comparesNoncesAsText?: boolean;
  /** An upper-case Signature is compared on its first 8 digits only. */
  readonly upperCasePrefixCompare?: boolean;
  /** Compares only as many characters as were sent (`expected.startsWith(presented)`). */
  readonly prefixCompare?: boolean;
  /** Also accepts a signature over `UserId + APIKey` (the nonce left out of the message). */
  readonly nonceNotSigned?: boolean;
  /** Never checks that the key belongs to the claimed UserId. */
  readonly ignoresUserOwnership?: boolean;
  /** Verifies the header values, but opens the session for the body's UserId when the body names one. */
  readonly bodyUserIdWins?: boolean;
  /** Verifies the first UserId of a JSON body that repeats it, but opens the session for the last one. */
  readonly checksFirstDuplicateUsesLast?: boolean;
  /** Also reads the four values from the query string. */
  readonly readsQuery?: boolean;
  /** Says which part was wrong: "Unknown API key", "Wrong user", "Invalid signature". */
  readonly leaksWhichPart?: boolean;
  /** Puts the presented Signature into refusals. */
  readonly echoesSignature?: boolean;
  /** Puts the key's secret into the refusal of a wrong signature ("expected HMAC keyed with …"). */
  readonly echoesSecret?: boolean;
  /** Answers a store failure with success. */
  readonly storeFailureSucceeds?: boolean;
  /** Still signs a removed key in. */
  readonly revokedKeySignsIn?: boolean;
  /** Looks sessions up without checking that their key is still live. */
  readonly sessionSurvivesRevocation?: boolean;
  /** Also reads the session token from `?aptoken=`. */
  readonly readsTokenFromQuery?: boolean;
  /** Never checks a key's allowed IPs. */
  readonly ignoresAllowedIps?: boolean;
  /** Believes X-Forwarded-For from anyone. */
  readonly trustsForwardedFor?: boolean;
  /** Never checks the permission of the permission-gated call. */
  readonly ignoresPermissions?: boolean;
}

export interface HmacReferenceOptions {
  readonly style?: HmacServerStyle;
  readonly flaws?: HmacFlaws;
  /** The address the kit's requests come from. Default {@link REFERENCE_CLIENT_IP}. */
  readonly clientIp?: string;
  /** The one address the IP-restricted key allows. Default {@link REFERENCE_ALLOWED_IP}. */
  readonly allowedIp?: string;
  /** Called with every secret value issued (API keys, secrets, session tokens), so tests can check messages. */
  readonly onIssued?: (values: readonly string[]) => void;
}

interface KeyEntry {
  readonly id: string;
  readonly apiKey: string;
  readonly secret: string;
  readonly userId: string;
  readonly nonce: string;
  readonly scopes: readonly string[];
  readonly allowedIps: readonly string[];
  active: boolean;
}

export const REFERENCE_CLIENT_IP = '203.0.113.7';
export const REFERENCE_ALLOWED_IP = '198.51.100.23';
export const REFERENCE_PERMISSION = 'Trading';
export const REFERENCE_PERMISSION_PATH = '/ap/SendOrder';

const FIELDS = ['APIKey', 'Signature', 'UserId', 'Nonce'] as const;
type Field = (typeof FIELDS)[number];
type Values = Partial<Record<Field, string>>;

const LOGIN: Partial<Record<AuthErrorCode, readonly [number, string]>> = {
  CREDENTIALS_MISSING: [401, 'APIKey, Signature, UserId and Nonce are required'],
  CREDENTIALS_MALFORMED: [400, 'Malformed APIKey, Signature, UserId or Nonce'],
  CREDENTIALS_AMBIGUOUS: [400, 'Headers and body disagree'],
  CREDENTIALS_INVALID: [401, 'Invalid API key, user or signature'],
  NONCE_REPLAYED: [401, 'Nonce already used'],
  IP_NOT_ALLOWED: [403, 'Not allowed from this address'],
  REQUEST_TOO_LARGE: [413, 'Request too large'],
  REQUEST_MALFORMED: [400, 'Malformed request'],
  STORE_UNAVAILABLE: [503, 'Service unavailable'],
};
const CALL: Partial<Record<AuthErrorCode, number>> = {
  CREDENTIALS_MISSING: 401,
  CREDENTIALS_INVALID: 401,
  CREDENTIALS_MALFORMED: 400,
  CREDENTIALS_AMBIGUOUS: 400,
  SCOPE_DENIED: 403,
  STORE_UNAVAILABLE: 503,
};

const hex = (secret: string, message: string): string => encodeHex(hmacSha256(secret, message));

type Read = { type: 'none' } | { type: 'invalid'; code: AuthErrorCode } | { type: 'found'; values: Values; principalUserId: string | undefined; checkedUserId: string | undefined };

/** The reference server: its in-process driver options, and what its account routes need. */
export interface HmacReference extends HmacInProcessDriverOptions {
  /** Issues a key as the account routes do. */
  issue(userId: string, scopes: readonly string[], allowedIps?: readonly string[]): HmacKeyFixture;
  /** Removes a key of `userId`; false when there is no such live key. */
  remove(userId: string, apiKey: string): boolean;
  /** Live keys of a user. */
  liveKeys(userId: string): number;
  /** A session token for a user's password sign-in (never accepted by the session strategy: it has no key). */
  startWebSession(userId: string): string;
  endWebSession(token: string): boolean;
  webSessionUser(token: string): string | null;
  readonly render: (error: AuthError) => WireReply<unknown>;
  readonly renderSuccess: HmacInProcessDriverOptions['authenticate']['renderSuccess'];
}

/**
 * A reference APEX server (or a flawed one): keys and sessions in memory, the APEX envelopes in the style's casing
 * and statuses, a `setup` that issues a key, another user, an IP-restricted key and a key without the `Trading`
 * permission, a failing store and `revokeKey`.
 */
export function createHmacReference(options: HmacReferenceOptions = {}): HmacReference {
  const style = options.style ?? {};
  const flaws = options.flaws ?? {};
  const policy = style.policy ?? 'unique';
  const keys = new Map<string, KeyEntry>();
  const keysById = new Map<string, KeyEntry>();
  const sessions = new Map<string, KeyEntry>();
  const webSessions = new Map<string, string>();
  const uniqueNonces = new Set<string>();
  const lastNonce = new Map<string, string>();
  const rawBodies = new WeakMap<AuthRequest, Promise<string>>();

  const issue = (userId: string, scopes: readonly string[], allowedIps: readonly string[] = []): HmacKeyFixture => {
    const apiKey = generateHexToken(16);
    const secret = generateHexToken(32);
    const nonce = String(100_000_000_000 + (parseInt(encodeHex(randomBytes(5)), 16) % 800_000_000_000));
    const entry: KeyEntry = { id: `hk_${keys.size + 1}`, apiKey, secret, userId, nonce, scopes, allowedIps: allowedIps.map((ip) => normalizeIpAddress(ip) as string), active: true };
    keys.set(apiKey, entry);
    keysById.set(entry.id, entry);
    options.onIssued?.([apiKey, secret]);
    return { apiKey, apiSecret: secret, userId, nonce };
  };

  async function readValues(request: AuthRequest): Promise<Read> {
    const headers: Values = {};
    for (const field of FIELDS) {
      const sent = request.headerValues(field);
      if (sent.length > 1) return { type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' };
      if (sent[0] !== undefined) headers[field] = sent[0];
      if (flaws.readsQuery && headers[field] === undefined) {
        const fromQuery = request.query(field);
        if (fromQuery !== null) headers[field] = fromQuery;
      }
    }
    const body = await request.body();
    if (body.type === 'too-large') return { type: 'invalid', code: 'REQUEST_TOO_LARGE' };
    if (body.type === 'malformed') return { type: 'invalid', code: 'REQUEST_MALFORMED' };
    const fromBody: Values = {};
    let firstUserId: string | undefined;
    if (body.type === 'json' && isJsonObject(body.value)) {
      const repeated = (body.duplicateKeys ?? []).filter((name) => (FIELDS as readonly string[]).includes(name));
      if (repeated.length > 0 && (style.duplicateKeys ?? 'reject') === 'reject' && !flaws.checksFirstDuplicateUsesLast) return { type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' };
      if (repeated.includes('UserId') && flaws.checksFirstDuplicateUsesLast) {
        firstUserId = /"UserId"\s*:\s*"([^"]*)"/.exec(await (rawBodies.get(request) ?? Promise.resolve('')))?.[1];
      }
      for (const field of FIELDS) {
        if (!Object.prototype.hasOwnProperty.call(body.value, field)) continue;
        const raw = body.value[field];
        const value = typeof raw === 'string' ? raw : typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0 ? String(raw) : null;
        if (value === null) return { type: 'invalid', code: 'CREDENTIALS_MALFORMED' };
        fromBody[field] = value;
      }
    }
    const conflict = style.sourceConflict ?? 'reject';
    const values: Values = {};
    for (const field of FIELDS) {
      const header = headers[field];
      const inBody = fromBody[field];
      if (header !== undefined && inBody !== undefined && header !== inBody && conflict === 'reject' && !flaws.bodyUserIdWins) return { type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' };
      const value = conflict === 'body' ? (inBody ?? header) : (header ?? inBody);
      if (value !== undefined) values[field] = value;
    }
    if (FIELDS.every((field) => values[field] === undefined)) return { type: 'none' };
    let principalUserId = values.UserId;
    let checkedUserId = values.UserId;
    if (flaws.bodyUserIdWins && fromBody.UserId !== undefined) principalUserId = fromBody.UserId;
    if (firstUserId !== undefined) checkedUserId = firstUserId;
    return { type: 'found', values, principalUserId, checkedUserId };
  }

  async function spendNonce(entry: KeyEntry, nonce: string): Promise<boolean> {
    if (policy === 'issued') return nonce === entry.nonce;
    if (flaws.acceptsReplayedNonce) return true;
    if (policy === 'increasing') {
      const last = lastNonce.get(entry.apiKey);
      const above = last === undefined || (flaws.comparesNoncesAsText ? nonce > last : BigInt(nonce) > BigInt(last));
      if (!above) return false;
      lastNonce.set(entry.apiKey, nonce);
      return true;
    }
    const slot = `${entry.apiKey}:${nonce}`;
    if (uniqueNonces.has(slot)) return false;
    if (flaws.racyNonceCheck) await new Promise((resolve) => setTimeout(resolve, 1));
    uniqueNonces.add(slot);
    return true;
  }

  const invalid = (part: string, extra: { signature?: string; secret?: string } = {}): AuthOutcome =>
    rejected(new AuthError('CREDENTIALS_INVALID', { cause: { part, ...extra } }));

  function signatureMatches(signature: string, expected: string): boolean {
    const lowerOnly = (style.hexCase ?? 'any') === 'lower-only';
    if (flaws.upperCasePrefixCompare && signature === signature.toUpperCase() && /[A-F]/.test(signature)) return signature.slice(0, 8).toLowerCase() === expected.slice(0, 8);
    if (flaws.prefixCompare) return expected.startsWith(signature.toLowerCase());
    return constantTimeEqualStrings(lowerOnly ? signature : signature.toLowerCase(), expected);
  }

  function verifier(storeFails: boolean): AuthStrategy {
    return withRenderer(
      {
        id: 'hmac-reference',
        async authenticate(request) {
          const read = await readValues(request);
          if (read.type === 'none') return absent();
          if (read.type === 'invalid') return rejected(read.code);
          const { APIKey: apiKey, Signature: signature, UserId: userId, Nonce: nonce } = read.values;
          if (apiKey === undefined || signature === undefined || userId === undefined || nonce === undefined) return rejected('CREDENTIALS_MALFORMED');
          const signaturePattern = flaws.prefixCompare || flaws.upperCasePrefixCompare ? /^[0-9a-fA-F]{1,64}$/ : /^[0-9a-fA-F]{64}$/;
          const noncePattern = policy === 'increasing' ? /^(0|[1-9][0-9]{0,15})$/ : /^[A-Za-z0-9._~-]{1,128}$/;
          if (!/^[0-9a-f]{32}$/.test(apiKey) || !signaturePattern.test(signature) || !/^[0-9]{1,15}$/.test(userId) || !noncePattern.test(nonce)) {
            return rejected(new AuthError('CREDENTIALS_MALFORMED', { cause: { signature } }));
          }
          if (storeFails) {
            if (flaws.storeFailureSucceeds) return authenticated({ id: userId }, { id: 'unknown', kind: 'api-key', scopes: [] });
            return rejected('STORE_UNAVAILABLE');
          }
          const checkedUserId = read.checkedUserId ?? userId;
          const entry = keys.get(apiKey);
          if (entry === undefined) return invalid('key', { signature });
          if (!entry.active && !flaws.revokedKeySignsIn) return invalid('revoked', { signature });
          if (!flaws.ignoresUserOwnership && entry.userId !== checkedUserId) return invalid('user', { signature });
          let matches = signatureMatches(signature, hex(entry.secret, `${nonce}${checkedUserId}${apiKey}`));
          if (!matches && flaws.nonceNotSigned) matches = constantTimeEqualStrings(signature.toLowerCase(), hex(entry.secret, `${checkedUserId}${apiKey}`));
          if (!matches) return invalid('signature', { signature, secret: entry.secret });
          if (entry.allowedIps.length > 0 && !flaws.ignoresAllowedIps) {
            const clientIp = request.clientIp === null ? null : normalizeIpAddress(request.clientIp);
            if (clientIp === null || !entry.allowedIps.includes(clientIp)) {
              return (style.foreignIpReply ?? 'distinct') === 'distinct' ? rejected('IP_NOT_ALLOWED') : invalid('ip');
            }
          }
          if (!(await spendNonce(entry, nonce))) return policy === 'issued' ? invalid('nonce', { signature }) : rejected('NONCE_REPLAYED');
          return authenticated({ id: read.principalUserId ?? entry.userId }, { id: entry.id, kind: 'api-key', scopes: entry.scopes });
        },
      },
      (error) => render(error),
    );
  }

  function sessionStrategy(storeFails: boolean): AuthStrategy {
    return withRenderer(
      {
        id: 'hmac-reference:session',
        async authenticate(request) {
          const values = [...request.headerValues('aptoken')];
          if (flaws.readsTokenFromQuery) {
            const fromQuery = request.query('aptoken');
            if (fromQuery !== null) values.push(fromQuery);
          }
          if (values.length === 0) return absent();
          if (values.length > 1) return rejected('CREDENTIALS_AMBIGUOUS');
          const token = values[0] as string;
          if (!/^[0-9a-f]{64}$/.test(token)) return rejected('CREDENTIALS_MALFORMED');
          if (storeFails) {
            if (flaws.storeFailureSucceeds) return authenticated({ id: 'unknown' }, { id: 'unknown', kind: 'session', scopes: [] });
            return rejected('STORE_UNAVAILABLE');
          }
          const key = sessions.get(token);
          if (key === undefined) return rejected('CREDENTIALS_INVALID');
          if (!key.active && !flaws.sessionSurvivesRevocation) return rejected('CREDENTIALS_INVALID');
          return authenticated({ id: key.userId }, { id: `hs_${token.slice(0, 6)}`, kind: 'session', scopes: key.scopes });
        },
      },
      (error) => renderCall(error),
    );
  }

  const camel = style.casing === 'camel';
  const statusOf = (status: number): number => (status >= 500 ? status : style.statuses === 'all-200' ? 200 : style.statuses === 'all-400' ? 400 : status);

  const render = (error: AuthError): WireReply<unknown> => {
    const [status, message] = LOGIN[error.code] ?? [500, 'Internal error'];
    const cause = (error.cause ?? {}) as { part?: string; signature?: string; secret?: string };
    let text = message;
    if (flaws.leaksWhichPart && cause.part !== undefined) {
      text = { key: 'Unknown API key', revoked: 'API key removed', user: 'Wrong user', signature: 'Invalid signature', nonce: 'Wrong nonce', ip: text }[cause.part] ?? text;
    }
    if (flaws.echoesSignature && cause.signature !== undefined) text += ` (got ${cause.signature})`;
    if (flaws.echoesSecret && cause.secret !== undefined) text += ` (expected an HMAC keyed with ${cause.secret})`;
    return { httpStatus: statusOf(status), headers: { 'content-type': 'application/json' }, body: camel ? { authenticated: false, errormsg: text } : { Authenticated: false, errormsg: text } };
  };

  const renderCall = (error: AuthError): WireReply<unknown> => {
    const status = CALL[error.code] ?? 500;
    const failed = status >= 500;
    return {
      httpStatus: statusOf(status),
      headers: { 'content-type': 'application/json' },
      body: { result: false, errormsg: failed ? 'Operation Failed' : 'Not Authorized', errorcode: failed ? 100 : 20, detail: null },
    };
  };

  const renderSuccess = (token: string, outcome: { readonly principal: { readonly id: string } }): WireReply<unknown> => {
    const user = { [camel ? 'userId' : 'UserId']: Number(outcome.principal.id), [camel ? 'userName' : 'UserName']: `user${outcome.principal.id}` };
    const body = camel
      ? { authenticated: true, sessionToken: token, user, locked: false, requires2FA: false, errormsg: null }
      : { Authenticated: true, SessionToken: token, User: user, Locked: false, Requires2FA: false, errormsg: null };
    return { httpStatus: 200, headers: { 'content-type': 'application/json' }, body };
  };

  const adapter = createFetchRequestAdapter(flaws.trustsForwardedFor ? { trustedProxies: ['0.0.0.0/0', '::/0'] } : {});
  let users = 0;
  return {
    render,
    renderSuccess,
    authenticate: {
      strategy: verifier(false),
      render,
      async startSession(outcome) {
        const entry = keysById.get(outcome.credential.id);
        if (entry === undefined) return new AuthError('CREDENTIALS_INVALID');
        const token = generateHexToken(32);
        // bodyUserIdWins and checksFirstDuplicateUsesLast open the session for the principal, not the key's owner.
        sessions.set(token, outcome.principal.id === entry.userId ? entry : { ...entry, userId: outcome.principal.id });
        options.onIssued?.([token]);
        return token;
      },
      renderSuccess,
    },
    session: {
      strategy: sessionStrategy(false),
      render: renderCall,
      authorize: (outcome) => (flaws.ignoresPermissions || outcome.credential.scopes.includes(REFERENCE_PERMISSION) ? outcome : rejected('SCOPE_DENIED')),
    },
    toAuthRequest(request, context) {
      const auth = adapter(request.clone(), context);
      if (flaws.checksFirstDuplicateUsesLast) rawBodies.set(auth, request.clone().text());
      return auth;
    },
    async setup(): Promise<HmacFixtures> {
      users++;
      const userId = String(1000 + users);
      const otherUserId = String(5000 + users);
      const main = issue(userId, [REFERENCE_PERMISSION]);
      issue(otherUserId, [REFERENCE_PERMISSION]);
      const allowedIp = options.allowedIp ?? REFERENCE_ALLOWED_IP;
      const ipRestrictedKey = { ...issue(userId, [REFERENCE_PERMISSION], [allowedIp]), allowedIp };
      const limitedKey = issue(userId, []);
      return { ...main, otherUserId, ipRestrictedKey, limitedKey, permissionPath: REFERENCE_PERMISSION_PATH, clientIp: options.clientIp ?? REFERENCE_CLIENT_IP };
    },
    storeFailure: async () => ({ authenticate: { strategy: verifier(true) }, session: { strategy: sessionStrategy(true) } }),
    async revokeKey(apiKey) {
      const entry = keys.get(apiKey);
      if (entry === undefined || !entry.active) throw new Error('no such live key');
      entry.active = false;
    },
    issue,
    remove(userId, apiKey) {
      const entry = keys.get(apiKey);
      if (entry === undefined || !entry.active || entry.userId !== userId) return false;
      entry.active = false;
      return true;
    },
    liveKeys: (userId) => [...keys.values()].filter((entry) => entry.active && entry.userId === userId).length,
    startWebSession(userId) {
      const token = generateHexToken(32);
      webSessions.set(token, userId);
      options.onIssued?.([token]);
      return token;
    },
    endWebSession: (token) => webSessions.delete(token),
    webSessionUser: (token) => webSessions.get(token) ?? null,
  };
}
