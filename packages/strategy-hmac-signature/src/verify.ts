import {
  absent,
  ConfigurationError,
  refusalError,
  rejected,
  rejectedCredential,
  type AuthOutcome,
  type AuthRefusal,
  type AuthRequest,
  type AuthStrategy,
  type CredentialRecord,
  type Principal,
  type RenderSuccessOptions,
  type WireReply,
} from '@gatehouse/auth-core';
import { createCredentialLookup, createIpMatcher, resolveCredentialOptions, withStrategyGuards } from '@gatehouse/auth-core/strategy';
import { createHmacSha256 } from '@gatehouse/auth-core/crypto';
import { renderApexError, renderApexSuccess, renderAuthenticateUserError } from './envelope.js';
import {
  HMAC_API_KEY_BYTES,
  HMAC_DEFAULT_SECRET_CACHE_SIZE,
  HMAC_SESSION_TOKEN_BYTES,
  HMAC_STRATEGY_ID,
  positiveSeconds,
  requireSealer,
  type HmacNoncePolicy,
  type HmacSessionKind,
  type HmacSessionOptions,
  type HmacSignatureOptions,
} from './options.js';
import { readAuthenticateUser } from './read.js';
import { signatureMatchesWith } from './signature.js';

const SESSION_TOKEN = new RegExp(`^[0-9a-f]{${HMAC_SESSION_TOKEN_BYTES * 2}}$`);
const DECIMAL_NONCE = /^(0|[1-9][0-9]{0,15})$/;
const UNIX_SECONDS = /^(0|[1-9][0-9]{0,11})$/;

// Character classes of the AuthenticateUser fields, checked by table (they run on every request; a table scan
// costs a fraction of a regular expression on strings this short).
const charClass = (chars: string): Uint8Array => {
  const table = new Uint8Array(128);
  for (const char of chars) table[char.charCodeAt(0)] = 1;
  return table;
};
const DIGITS_AND_LETTERS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const LOWER_HEX = charClass('0123456789abcdef');
const ANY_HEX = charClass('0123456789abcdefABCDEF');
const USER_ID_CHARS = charClass(`${DIGITS_AND_LETTERS}_-`);
const TOKEN_NONCE_CHARS = charClass(`${DIGITS_AND_LETTERS}._~-`);

/** `text` has `min` to `max` characters, all in `table`. */
function consistsOf(text: string, table: Uint8Array, min: number, max: number): boolean {
  if (text.length < min || text.length > max) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || table[code] === 0) return false;
  }
  return true;
}

const isApiKey = (text: string): boolean => consistsOf(text, LOWER_HEX, HMAC_API_KEY_BYTES * 2, HMAC_API_KEY_BYTES * 2);
const isSignature = (text: string): boolean => consistsOf(text, ANY_HEX, 64, 64);
const isUserId = (text: string): boolean => consistsOf(text, USER_ID_CHARS, 1, 64);
const isTokenNonce = (text: string): boolean => consistsOf(text, TOKEN_NONCE_CHARS, 1, 128);

/**
 * The record kinds this package stores: API keys, the sessions `AuthenticateUser` starts (`session`) and the
 * sessions a password login starts (`web-session`). An authenticated `aptoken` call's credential kind is one of
 * the two session kinds.
 *
 * @example
 * ```ts
 * if (outcome.type === 'authenticated' && outcome.credential.kind === HMAC_KINDS.webSession) showKeyManagement();
 * ```
 */
export const HMAC_KINDS = { apiKey: 'api-key', session: 'session', webSession: 'web-session' } as const;

/** The record kind of each session kind a {@link hmacSession} verifier can accept. */
const SESSION_RECORD_KINDS: Readonly<Record<HmacSessionKind, string>> = { api: HMAC_KINDS.session, web: HMAC_KINDS.webSession };

/** The session kinds each verifier built by {@link hmacSession} accepts, so a route kit can check it was given the right one. */
const acceptedSessionKinds = new WeakMap<object, readonly HmacSessionKind[]>();

/**
 * The session kinds a strategy built by {@link hmacSession} accepts; `null` for any other strategy (including a
 * wrapper around one, which cannot be looked into).
 */
export function sessionKindsOf(strategy: object): readonly HmacSessionKind[] | null {
  return acceptedSessionKinds.get(strategy) ?? null;
}

/**
 * Who an API key or session belongs to: the user id.
 *
 * @example
 * ```ts
 * if (outcome.type === 'authenticated') console.log(outcome.principal.id);
 * ```
 */
export type HmacPrincipal = Principal;

/** An API secret prepared as an HMAC key, with the sealed value it was opened from. */
interface OpenedKey {
  readonly sealed: string;
  readonly mac: (message: string) => Uint8Array;
}

/**
 * Prepared HMAC keys of recently used API keys, by record id, so a signature check neither decrypts the sealed
 * secret (AES-256-GCM) nor hashes the key's pads again. An entry is used only for the exact sealed value it was
 * opened from, so a rotated secret (a new sealed value) is opened afresh, and a revoked or expired key is
 * refused before its entry is looked at. At most `size` entries; the oldest goes first. `size` 0 keeps none.
 */
function createKeyCache(size: number, open: (sealed: string, recordId: string) => string | null) {
  const entries = new Map<string, OpenedKey>();
  return (recordId: string, sealed: string): OpenedKey['mac'] | null => {
    const cached = entries.get(recordId);
    if (cached !== undefined && cached.sealed === sealed) return cached.mac;
    const secret = open(sealed, recordId);
    if (secret === null) return null;
    const mac = createHmacSha256(secret);
    if (size > 0) {
      if (cached === undefined && entries.size >= size) entries.delete(entries.keys().next().value as string);
      entries.set(recordId, { sealed, mac });
    }
    return mac;
  };
}

/**
 * When a key's previous secret stops verifying (epoch milliseconds), while a rotation overlap is running; `null`
 * when there is no previous secret, or its overlap has ended.
 */
function previousSecretEnd(record: CredentialRecord, now: number): number | null {
  const previousUntil = record.attributes['previousSecretExpiresAt'];
  return typeof record.attributes['previousSealedSecret'] === 'string' && typeof previousUntil === 'number' && previousUntil > now ? previousUntil : null;
}

/** The principal of a key or session record: its owner, with the user name when the key has one. */
function principalOf(record: CredentialRecord): HmacPrincipal {
  const userName = record.attributes['userName'];
  return { id: record.ownerId, ...(typeof userName === 'string' ? { attributes: { userName } } : {}) };
}

/** Whether the request may use the record: it has no address restriction, or the client IP is one it allows (read only then). */
function ipAllowed(record: CredentialRecord, request: AuthRequest): boolean {
  if (record.allowedIps.length === 0) return true;
  const clientIp = request.clientIp;
  return clientIp !== null && createIpMatcher(record.allowedIps).matches(clientIp);
}

/** The APEX success reply: the payload itself, as JSON. */
const renderPlainSuccess = (payload: unknown, options?: RenderSuccessOptions): WireReply<unknown> => renderApexSuccess(payload, options?.httpStatus);

/**
 * Creates the `AuthenticateUser` verifier: an `AuthStrategy` that checks `APIKey`, `Signature`, `UserId` and
 * `Nonce` (headers or JSON body) and, on success, authenticates the key's owner with the key as credential and
 * the key's permissions as scopes. Exchange the outcome for a session token with
 * `manager.startSession(outcome)`.
 *
 * Order of checks: format (before any lookup), timestamp window (hardened mode), key lookup, key owner =
 * `UserId`, signature (constant time, either hex case, current or overlapping previous secret), allowed IPs,
 * then the nonce policy, so nonces are spent only by requests that proved the secret. A request signed with the
 * previous secret of a rotation overlap is authenticated with the credential's `expiresAt` at the end of that
 * overlap, so a session `manager.startSession` starts from it ends with the overlap too.
 *
 * The strategy renders its refusals as `AuthenticateUser` failures (`renderAuthenticateUserError`:
 * `{"Authenticated":false,"errormsg":…}`, and `CREDENTIALS_MISSING` for a request without the four values), and a
 * success payload as APEX does, as the payload itself (`renderApexSuccess`).
 *
 * @example
 * ```ts
 * const verifier = hmacSignature({ store, sealer, ephemeralStore, noncePolicy: 'unique' });
 * const outcome = await verifier.authenticate(toAuthRequest(req));
 * if (outcome.type !== 'authenticated') return toFetchResponse(verifier.renderRefusal(outcome));
 * ```
 */
export function hmacSignature(options: HmacSignatureOptions): AuthStrategy<HmacPrincipal> {
  const { store, digest, clock } = resolveCredentialOptions(options);
  const sealer = requireSealer(options.sealer);
  const policy: HmacNoncePolicy = options.noncePolicy ?? 'unique';
  if (policy !== 'issued' && policy !== 'increasing' && policy !== 'unique') {
    throw new ConfigurationError('noncePolicy', "must be 'unique', 'increasing' or 'issued'");
  }
  const ephemeral = options.ephemeralStore;
  if (policy !== 'issued' && (ephemeral === undefined || typeof ephemeral.setIfAbsent !== 'function')) {
    throw new ConfigurationError('ephemeralStore', `is required by noncePolicy '${policy}'${options.noncePolicy === undefined ? ' (the default)' : ''}`);
  }
  const toleranceInSeconds = options.timestamp === undefined ? null : positiveSeconds(options.timestamp.toleranceInSeconds, 300, 'timestamp.toleranceInSeconds');
  const retentionInSeconds = positiveSeconds(options.nonceRetentionInSeconds, 86_400, 'nonceRetentionInSeconds');
  if (toleranceInSeconds !== null && retentionInSeconds < 2 * toleranceInSeconds) {
    // A nonce forgotten while its timestamp is still acceptable could be replayed.
    throw new ConfigurationError('nonceRetentionInSeconds', 'must be at least twice timestamp.toleranceInSeconds');
  }

  const cacheSize = options.secretCacheSize ?? HMAC_DEFAULT_SECRET_CACHE_SIZE;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) throw new ConfigurationError('secretCacheSize', 'must be a non-negative integer');
  const open = (sealed: string, recordId: string): string | null => sealer.open(sealed, `${HMAC_STRATEGY_ID}:${recordId}`);
  const currentKeys = createKeyCache(cacheSize, open);
  const previousKeys = createKeyCache(cacheSize, open);
  // APIKey → its lookup digest, for keys that signed correctly. The APIKey travels in clear in every request
  // (KiiEx docs, "Authenticate with API Key"), so keying a `Map` by it reveals nothing; what stays secret
  // (APISecret) never enters this map. The record itself is still read on every request, so a revoked or
  // rotated key takes effect at once.
  const lookupDigests = new Map<string, string>();
  const lookupDigestOf = (apiKey: string): string => lookupDigests.get(apiKey) ?? digest(apiKey);
  const rememberLookupDigest = (apiKey: string, lookup: string): void => {
    if (cacheSize === 0 || lookupDigests.has(apiKey)) return;
    if (lookupDigests.size >= cacheSize) lookupDigests.delete(lookupDigests.keys().next().value as string);
    lookupDigests.set(apiKey, lookup);
  };
  // Unknown, revoked, expired and foreign records (another strategy's, or a session token) share one answer.
  const credentials = createCredentialLookup({ store, digest, clock, strategyId: HMAC_STRATEGY_ID, kinds: [HMAC_KINDS.apiKey] });

  const strategy: AuthStrategy<HmacPrincipal> = {
    id: HMAC_STRATEGY_ID,
    async authenticate(request): Promise<AuthOutcome<HmacPrincipal>> {
      const read = await readAuthenticateUser(request);
      if (read.type === 'none') return absent();
      if (read.type === 'invalid') return rejected(read.code, read.cause);
      const { apiKey, signature, userId, nonce, timestamp } = read.values;
      if (apiKey === undefined || signature === undefined || userId === undefined || nonce === undefined) return rejected('CREDENTIALS_MALFORMED');
      if (!isApiKey(apiKey) || !isSignature(signature) || !isUserId(userId)) return rejected('CREDENTIALS_MALFORMED');
      if (!(policy === 'increasing' ? DECIMAL_NONCE.test(nonce) && Number.isSafeInteger(Number(nonce)) : isTokenNonce(nonce))) {
        return rejected('CREDENTIALS_MALFORMED');
      }
      if (toleranceInSeconds !== null) {
        if (timestamp === undefined || !UNIX_SECONDS.test(timestamp)) return rejected('CREDENTIALS_MALFORMED');
        if (Math.abs(Number(timestamp) * 1000 - clock.now()) > toleranceInSeconds * 1000) return rejected('TIMESTAMP_OUT_OF_RANGE');
      }

      const lookup = lookupDigestOf(apiKey);
      const found = await credentials.findByDigest(lookup);
      if (found.type === 'rejected') return found;
      const { record, now } = found;
      // Unknown key, another user's key, a revoked key and a wrong signature share one answer. A live key that
      // was named but not proven is refused by id, so a failure throttle also counts per key (the APIKey is
      // sent in clear, so that reveals nothing; the reply is the same).
      if (record.ownerId !== userId) return rejectedCredential(record.id, 'CREDENTIALS_INVALID');
      const mac = record.sealedSecret === null ? null : currentKeys(record.id, record.sealedSecret);
      if (mac === null) return rejected('INTERNAL_ERROR');
      // During a rotation overlap the previous secret verifies too (unless it cannot be opened: then only the
      // current one does).
      const previousUntil = previousSecretEnd(record, now);
      const previousMac = previousUntil === null ? null : previousKeys(record.id, record.attributes['previousSealedSecret'] as string);
      const values = toleranceInSeconds === null ? { apiKey, userId, nonce } : { apiKey, userId, nonce, timestamp: timestamp as string };
      // Every secret is checked, whichever matches, so the time taken does not tell which one did.
      const currentMatched = signatureMatchesWith(signature, mac, values);
      const previousMatched = previousMac !== null && signatureMatchesWith(signature, previousMac, values);
      if (!currentMatched && !previousMatched) return rejectedCredential(record.id, 'CREDENTIALS_INVALID');
      rememberLookupDigest(apiKey, lookup);

      if (!ipAllowed(record, request)) return rejectedCredential(record.id, 'IP_NOT_ALLOWED');

      try {
        if (policy === 'issued') {
          if (record.attributes['nonce'] !== nonce) return rejectedCredential(record.id, 'CREDENTIALS_INVALID');
        } else if (policy === 'increasing') {
          if (!(await ephemeral!.setIfGreater(`${HMAC_STRATEGY_ID}:nonce:${record.id}`, Number(nonce), null))) {
            return rejectedCredential(record.id, 'NONCE_REPLAYED');
          }
        } else if (!(await ephemeral!.setIfAbsent(`${HMAC_STRATEGY_ID}:nonce:${record.id}:${nonce}`, retentionInSeconds))) {
          return rejectedCredential(record.id, 'NONCE_REPLAYED');
        }
      } catch (error) {
        return rejected('STORE_UNAVAILABLE', error);
      }

      if (currentMatched || previousUntil === null) return credentials.grant(found, principalOf(record));
      // Signed with the previous secret: the credential ends when that secret does, and so does a session it starts
      // (`startSession` caps the session at the credential's `expiresAt`).
      const expiresAt = record.expiresAt === null ? previousUntil : Math.min(record.expiresAt, previousUntil);
      return credentials.grant({ type: 'found', record: { ...record, expiresAt }, now }, principalOf(record));
    },
    renderRefusal: (refusal: AuthRefusal): WireReply<unknown> => renderAuthenticateUserError(refusalError(refusal)),
    renderSuccess: renderPlainSuccess,
  };
  return withStrategyGuards(strategy, options);
}

/**
 * Creates the session verifier: an `AuthStrategy` for the `aptoken` header issued by a successful
 * `AuthenticateUser` (kind `api`) and, with `sessionKinds: ['api', 'web']`, by a password login (kind `web`,
 * `manager.startWebSession`). An API session carries its key's permissions as scopes, a web session none; the
 * credential kind of the outcome is `session` or `web-session`. A session ends after its absolute lifetime, after
 * `idleTimeoutInSeconds` without use, on `LogOut`, and an API session at once when its key is removed. A live
 * token of a kind not accepted is `CREDENTIALS_NOT_ACCEPTED_HERE`.
 *
 * The strategy renders its refusals as APEX call failures (`renderApexError`:
 * `{"result":false,"errormsg":"Not Authorized","errorcode":20,"detail":null}`, and `CREDENTIALS_MISSING` for a
 * call without a token), and a success payload as the payload itself (`renderApexSuccess`).
 *
 * @example
 * ```ts
 * const sessions = hmacSession({ store }); // API-key sessions only: a web session is refused
 * const outcome = await sessions.authenticate(toAuthRequest(req));
 * if (outcome.type !== 'authenticated') return toFetchResponse(sessions.renderRefusal(outcome));
 * ```
 */
export function hmacSession(options: HmacSessionOptions): AuthStrategy<HmacPrincipal> {
  const { store, digest, clock } = resolveCredentialOptions(options);
  const headerName = (options.headerName ?? 'aptoken').toLowerCase();
  if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(headerName)) throw new ConfigurationError('headerName', 'must be an HTTP header name');
  const idleTimeoutInSeconds = positiveSeconds(options.idleTimeoutInSeconds, 1_800, 'idleTimeoutInSeconds', 120);
  const sessionKinds: unknown = options.sessionKinds ?? ['api'];
  if (!Array.isArray(sessionKinds) || sessionKinds.length === 0 || sessionKinds.some((kind) => kind !== 'api' && kind !== 'web')) {
    throw new ConfigurationError('sessionKinds', "must be a non-empty array of 'api' and 'web'");
  }
  const accepted: readonly HmacSessionKind[] = Object.freeze([...new Set(sessionKinds as HmacSessionKind[])]);
  const acceptedRecordKinds = new Set(accepted.map((kind) => SESSION_RECORD_KINDS[kind]));
  // Both session kinds are looked up whatever is accepted, so a live token of the other kind is told apart
  // (CREDENTIALS_NOT_ACCEPTED_HERE) from an unknown one. Unknown, ended, expired and foreign records (an API key
  // sent as a token) share one answer; a session unused for `idleTimeoutInSeconds` is CREDENTIALS_EXPIRED.
  const credentials = createCredentialLookup({
    store,
    digest,
    clock,
    strategyId: HMAC_STRATEGY_ID,
    kinds: [HMAC_KINDS.session, HMAC_KINDS.webSession],
    idleTimeoutInSeconds,
  });

  const strategy: AuthStrategy<HmacPrincipal> = {
    id: `${HMAC_STRATEGY_ID}:session`,
    async authenticate(request): Promise<AuthOutcome<HmacPrincipal>> {
      const values = request.headerValues(headerName);
      if (values.length === 0) return absent();
      if (values.length > 1) return rejected('CREDENTIALS_AMBIGUOUS');
      const token = (values[0] as string).trim();
      if (!SESSION_TOKEN.test(token)) return rejected('CREDENTIALS_MALFORMED');
      const found = await credentials.find(token);
      if (found.type === 'rejected') return found;
      const { record } = found;
      if (!acceptedRecordKinds.has(record.kind)) return rejected('CREDENTIALS_NOT_ACCEPTED_HERE');
      if (!ipAllowed(record, request)) return rejectedCredential(record.id, 'IP_NOT_ALLOWED');
      return credentials.grant(found, principalOf(record));
    },
    renderRefusal: (refusal: AuthRefusal): WireReply<unknown> => renderApexError(refusalError(refusal)),
    renderSuccess: renderPlainSuccess,
  };
  const guarded = withStrategyGuards(strategy, options);
  acceptedSessionKinds.set(guarded, accepted);
  return guarded;
}

/**
 * Narrows an authenticated outcome to one whose credential carries `permission` (e.g. `Trading` for
 * `SendOrder`); otherwise a `SCOPE_DENIED` rejection. Other outcomes pass through.
 *
 * @example
 * ```ts
 * const outcome = requirePermission(await sessions.authenticate(request), 'Trading');
 * ```
 */
export function requirePermission<P extends Principal>(outcome: AuthOutcome<P>, permission: string): AuthOutcome<P> {
  if (outcome.type !== 'authenticated') return outcome;
  return outcome.credential.scopes.includes(permission) ? outcome : rejected('SCOPE_DENIED');
}
