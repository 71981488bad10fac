// A small, self-contained HMAC signature server (AuthenticateUser + aptoken) for the kit's own tests: a correct
// reference and flawed variants of it (mutants). It deliberately does not import
// @gatehouse/strategy-hmac-signature: the kit must be able to judge an implementation it was not built from.
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
import {
  constantTimeEqualStrings,
  encodeHex,
  generateHexToken,
  hmacSha256,
  randomBytes,
} from '@gatehouse/auth-core/crypto';
import type { HmacFixtures, HmacInProcessDriverOptions, HmacKeyFixture } from '../index.js';
import { withRenderer } from './refusal.js';

export type NoncePolicy = HmacFixtures['noncePolicy'];

export interface HmacFlaws {
  /** Never remembers nonces: a replayed request is accepted (under `unique` and `increasing`). */
  readonly acceptsReplayedNonce?: boolean;
  /** Checks, then records a `unique` nonce with an await in between: parallel replays race through. */
  readonly racyNonceCheck?: boolean;
  /** Compares `increasing` nonces as text (`"9" > "10"`). */
  readonly comparesNoncesAsText?: boolean;
  /** Under `issued`, accepts any nonce the signature covers. */
  readonly anyNonceWhenIssued?: boolean;
  /** Compares the hex signature case-sensitively (rejects upper case). */
  readonly caseSensitiveSignature?: boolean;
  /** Compares only as many characters as were sent (`expected.startsWith(presented)`). */
  readonly prefixCompare?: boolean;
  /** Also accepts a signature over `UserId + APIKey` (the nonce left out of the message). */
  readonly nonceNotSigned?: boolean;
  /** Never checks that the key belongs to the claimed UserId. */
  readonly ignoresUserOwnership?: boolean;
  /** Takes body values over header values without noticing that they disagree. */
  readonly bodyWinsOverHeaders?: boolean;
  /** Also reads the four values from the query string. */
  readonly readsQuery?: boolean;
  /** Says which part was wrong: "Unknown API key", "API key removed", "Wrong user", "Invalid signature". */
  readonly leaksWhichPart?: boolean;
  /** Puts the presented Signature into refusals. */
  readonly echoesSignature?: boolean;
  /** Answers a store failure with success. */
  readonly storeFailureSucceeds?: boolean;
  /** Looks sessions up without checking that their key is still live. */
  readonly sessionSurvivesRevocation?: boolean;
  /** Also reads the session token from `?aptoken=`. */
  readonly readsTokenFromQuery?: boolean;
  /** Derives the session token from the key, so every sign-in gets the same one. */
  readonly staticSessionToken?: boolean;
  /** Never checks a key's allowed IPs. */
  readonly ignoresAllowedIps?: boolean;
  /** Believes X-Forwarded-For from anyone. */
  readonly trustsForwardedFor?: boolean;
  /** Never checks the permission of the permission-gated call. */
  readonly ignoresPermissions?: boolean;
}

export interface HmacReferenceOptions {
  readonly policy?: NoncePolicy;
  /** The address the kit's requests come from. Default {@link REFERENCE_CLIENT_IP}. */
  readonly clientIp?: string;
  /** The one address the IP-restricted key allows. Default {@link REFERENCE_ALLOWED_IP}. */
  readonly allowedIp?: string;
  readonly flaws?: HmacFlaws;
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

interface SessionEntry {
  readonly key: KeyEntry;
}

export const REFERENCE_CLIENT_IP = '203.0.113.7';
export const REFERENCE_ALLOWED_IP = '198.51.100.23';
export const REFERENCE_PERMISSION_PATH = '/ap/SendOrder';

const FIELDS = ['APIKey', 'Signature', 'UserId', 'Nonce'] as const;
type Field = (typeof FIELDS)[number];

const LOGIN_TEXTS: Partial<Record<AuthErrorCode, { readonly httpStatus: number; readonly text: string }>> = {
  CREDENTIALS_MISSING: { httpStatus: 401, text: 'APIKey, Signature, UserId and Nonce are required' },
  CREDENTIALS_MALFORMED: { httpStatus: 400, text: 'Malformed APIKey, Signature, UserId or Nonce' },
  CREDENTIALS_AMBIGUOUS: { httpStatus: 400, text: 'Headers and body disagree' },
  CREDENTIALS_INVALID: { httpStatus: 401, text: 'Invalid API key, user or signature' },
  NONCE_REPLAYED: { httpStatus: 401, text: 'Nonce already used' },
  IP_NOT_ALLOWED: { httpStatus: 403, text: 'Not allowed from this address' },
  REQUEST_TOO_LARGE: { httpStatus: 413, text: 'Request too large' },
  REQUEST_MALFORMED: { httpStatus: 400, text: 'Malformed request' },
  STORE_UNAVAILABLE: { httpStatus: 503, text: 'Service unavailable' },
};

const CALL_STATUS: Partial<Record<AuthErrorCode, number>> = {
  CREDENTIALS_MISSING: 401,
  CREDENTIALS_INVALID: 401,
  CREDENTIALS_MALFORMED: 400,
  CREDENTIALS_AMBIGUOUS: 400,
  SCOPE_DENIED: 403,
  STORE_UNAVAILABLE: 503,
};

const hex = (secret: string, message: string): string => encodeHex(hmacSha256(secret, message));

type Read = { type: 'none' } | { type: 'invalid'; code: AuthErrorCode } | { type: 'found'; values: Partial<Record<Field, string>> };

async function readValues(request: AuthRequest, flaws: HmacFlaws): Promise<Read> {
  const values: Partial<Record<Field, string>> = {};
  for (const field of FIELDS) {
    const sent = request.headerValues(field);
    if (sent.length > 1) return { type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' };
    if (sent[0] !== undefined) values[field] = sent[0];
    if (flaws.readsQuery && values[field] === undefined) {
      const fromQuery = request.query(field);
      if (fromQuery !== null) values[field] = fromQuery;
    }
  }
  const body = await request.body();
  if (body.type === 'too-large') return { type: 'invalid', code: 'REQUEST_TOO_LARGE' };
  if (body.type === 'malformed') return { type: 'invalid', code: 'REQUEST_MALFORMED' };
  if (body.type === 'json' && isJsonObject(body.value)) {
    for (const field of FIELDS) {
      if (!Object.prototype.hasOwnProperty.call(body.value, field)) continue;
      const raw = body.value[field];
      const value = typeof raw === 'string' ? raw : typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0 ? String(raw) : null;
      if (value === null) return { type: 'invalid', code: 'CREDENTIALS_MALFORMED' };
      if (!flaws.bodyWinsOverHeaders && values[field] !== undefined && values[field] !== value) return { type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' };
      values[field] = value;
    }
  }
  if (FIELDS.every((field) => values[field] === undefined)) return { type: 'none' };
  return { type: 'found', values };
}

function invalid(part: string, signature?: string): AuthOutcome {
  return rejected(new AuthError('CREDENTIALS_INVALID', { cause: { part, ...(signature === undefined ? {} : { signature }) } }));
}

/**
 * The in-process driver options of a reference HMAC signature server (or a flawed one): keys and sessions in
 * memory, the APEX envelopes, a `setup` that issues a key, another user, an IP-restricted key and a key without
 * the `Trading` permission, a failing store and `revokeKey`.
 */
export function createHmacReference(options: HmacReferenceOptions = {}): HmacInProcessDriverOptions {
  const flaws = options.flaws ?? {};
  const policy = options.policy ?? 'unique';
  const keys = new Map<string, KeyEntry>();
  const keysById = new Map<string, KeyEntry>();
  const sessions = new Map<string, SessionEntry>();
  const uniqueNonces = new Set<string>();
  const lastNonce = new Map<string, string>();

  const issueKey = (userId: string, scopes: readonly string[], allowedIps: readonly string[] = []): HmacKeyFixture => {
    const apiKey = generateHexToken(16);
    const secret = generateHexToken(32);
    const nonce = String(100_000_000_000 + (parseInt(encodeHex(randomBytes(5)), 16) % 800_000_000_000));
    const entry: KeyEntry = { id: `hk_${keys.size + 1}`, apiKey, secret, userId, nonce, scopes, allowedIps: allowedIps.map((ip) => normalizeIpAddress(ip) as string), active: true };
    keys.set(apiKey, entry);
    keysById.set(entry.id, entry);
    options.onIssued?.([apiKey, secret]);
    return { apiKey, apiSecret: secret, userId, nonce };
  };

  async function spendNonce(entry: KeyEntry, nonce: string): Promise<boolean> {
    if (policy === 'issued') return flaws.anyNonceWhenIssued === true || nonce === entry.nonce;
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

  function verifier(storeFails: boolean): AuthStrategy {
    return withRenderer({
      id: 'hmac-reference',
      async authenticate(request) {
        const read = await readValues(request, flaws);
        if (read.type === 'none') return absent();
        if (read.type === 'invalid') return rejected(read.code);
        const { APIKey: apiKey, Signature: signature, UserId: userId, Nonce: nonce } = read.values;
        if (apiKey === undefined || signature === undefined || userId === undefined || nonce === undefined) return rejected('CREDENTIALS_MALFORMED');
        const signaturePattern = flaws.prefixCompare ? /^[0-9a-fA-F]{1,64}$/ : /^[0-9a-fA-F]{64}$/;
        const noncePattern = policy === 'increasing' ? /^(0|[1-9][0-9]{0,15})$/ : /^[A-Za-z0-9._~-]{1,128}$/;
        if (!/^[0-9a-f]{32}$/.test(apiKey) || !signaturePattern.test(signature) || !/^[0-9]{1,15}$/.test(userId) || !noncePattern.test(nonce)) {
          return rejected(new AuthError('CREDENTIALS_MALFORMED', { cause: { signature } }));
        }
        if (storeFails) {
          if (flaws.storeFailureSucceeds) return authenticated({ id: userId }, { id: 'unknown', kind: 'api-key', scopes: [] });
          return rejected('STORE_UNAVAILABLE');
        }
        const entry = keys.get(apiKey);
        if (entry === undefined) return invalid('key', signature);
        if (!entry.active) return invalid('revoked', signature);
        if (!flaws.ignoresUserOwnership && entry.userId !== userId) return invalid('user', signature);
        const expected = hex(entry.secret, `${nonce}${userId}${apiKey}`);
        let matches: boolean;
        if (flaws.caseSensitiveSignature) matches = signature === expected;
        else if (flaws.prefixCompare) matches = expected.startsWith(signature.toLowerCase());
        else matches = constantTimeEqualStrings(signature.toLowerCase(), expected);
        if (!matches && flaws.nonceNotSigned) matches = constantTimeEqualStrings(signature.toLowerCase(), hex(entry.secret, `${userId}${apiKey}`));
        if (!matches) return invalid('signature', signature);
        if (entry.allowedIps.length > 0 && !flaws.ignoresAllowedIps) {
          const clientIp = request.clientIp === null ? null : normalizeIpAddress(request.clientIp);
          if (clientIp === null || !entry.allowedIps.includes(clientIp)) return rejected('IP_NOT_ALLOWED');
        }
        if (!(await spendNonce(entry, nonce))) return policy === 'issued' ? invalid('nonce', signature) : rejected('NONCE_REPLAYED');
        return authenticated({ id: entry.userId }, { id: entry.id, kind: 'api-key', scopes: entry.scopes });
      },
    }, renderLogin);
  }

  function sessionStrategy(storeFails: boolean): AuthStrategy {
    return withRenderer({
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
        const session = sessions.get(token);
        if (session === undefined) return rejected('CREDENTIALS_INVALID');
        if (!session.key.active && !flaws.sessionSurvivesRevocation) return rejected('CREDENTIALS_INVALID');
        return authenticated({ id: session.key.userId }, { id: `hs_${token.slice(0, 6)}`, kind: 'session', scopes: session.key.scopes });
      },
    }, renderCall);
  }

  const renderLogin = (error: AuthError): WireReply<unknown> => {
    const entry = LOGIN_TEXTS[error.code] ?? { httpStatus: 500, text: 'Internal error' };
    const cause = (error.cause ?? {}) as { part?: string; signature?: string };
    let text = entry.text;
    if (flaws.leaksWhichPart && cause.part !== undefined) {
      text = { key: 'Unknown API key', revoked: 'API key removed', user: 'Wrong user', signature: 'Invalid signature', nonce: 'Wrong nonce' }[cause.part] ?? text;
    }
    if (flaws.echoesSignature && cause.signature !== undefined) text += ` (got ${cause.signature})`;
    return { httpStatus: entry.httpStatus, headers: { 'content-type': 'application/json' }, body: { Authenticated: false, errormsg: text } };
  };

  const renderCall = (error: AuthError): WireReply<unknown> => {
    const httpStatus = CALL_STATUS[error.code] ?? 500;
    const failed = httpStatus >= 500;
    return {
      httpStatus,
      headers: { 'content-type': 'application/json' },
      body: { result: false, errormsg: failed ? 'Operation Failed' : 'Not Authorized', errorcode: failed ? 100 : 20, detail: null },
    };
  };

  let users = 0;
  const toAuthRequest = flaws.trustsForwardedFor ? createFetchRequestAdapter({ trustedProxies: ['0.0.0.0/0', '::/0'] }) : undefined;
  return {
    authenticate: {
      strategy: verifier(false),
      render: renderLogin,
      async startSession(outcome) {
        const entry = keysById.get(outcome.credential.id);
        if (entry === undefined) return new AuthError('CREDENTIALS_INVALID');
        const token = flaws.staticSessionToken ? hex(entry.secret, 'session') : generateHexToken(32);
        sessions.set(token, { key: entry });
        options.onIssued?.([token]);
        return token;
      },
      renderSuccess: (token, outcome) => ({
        httpStatus: 200,
        headers: { 'content-type': 'application/json' },
        body: { Authenticated: true, SessionToken: token, User: { UserId: Number(outcome.principal.id), UserName: `user${outcome.principal.id}` }, Locked: false, Requires2FA: false, errormsg: null },
      }),
    },
    session: {
      strategy: sessionStrategy(false),
      render: renderCall,
      authorize: (outcome) => (flaws.ignoresPermissions || outcome.credential.scopes.includes('Trading') ? outcome : rejected('SCOPE_DENIED')),
    },
    ...(toAuthRequest === undefined ? {} : { toAuthRequest }),
    async setup(): Promise<HmacFixtures> {
      users++;
      const userId = String(1000 + users);
      const otherUserId = String(5000 + users);
      const main = issueKey(userId, ['Trading']);
      issueKey(otherUserId, ['Trading']);
      const allowedIp = options.allowedIp ?? REFERENCE_ALLOWED_IP;
      const ipRestrictedKey = { ...issueKey(userId, ['Trading'], [allowedIp]), allowedIp };
      const limitedKey = issueKey(userId, []);
      return {
        ...main,
        noncePolicy: policy,
        otherUserId,
        ipRestrictedKey,
        limitedKey,
        permissionPath: REFERENCE_PERMISSION_PATH,
        clientIp: options.clientIp ?? REFERENCE_CLIENT_IP,
      };
    },
    storeFailure: async () => ({ authenticate: { strategy: verifier(true) }, session: { strategy: sessionStrategy(true) } }),
    async revokeKey(apiKey) {
      const entry = keys.get(apiKey);
      if (entry === undefined || !entry.active) throw new Error('no such live key');
      entry.active = false;
    },
  };
}
