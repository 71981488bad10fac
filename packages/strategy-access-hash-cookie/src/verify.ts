import {
  absent,
  refusalError,
  rejected,
  rejectedCredential,
  type AuthStrategy,
  type Principal,
} from '@gatehouse/auth-core';
import {
  createBoundedMemo,
  createCredentialLookup,
  normalizeIpAddress,
  resolveCredentialOptions,
  withStrategyGuards,
} from '@gatehouse/auth-core/strategy';
import { renderAccessHashError, renderAccessHashSuccess } from './envelope.js';
import {
  ACCESS_HASH_BYTES,
  ACCESS_HASH_KIND,
  ACCESS_HASH_STRATEGY_ID,
  resolveCookieName,
  type AccessHashCookieOptions,
} from './options.js';

const HASH_LENGTH = ACCESS_HASH_BYTES * 2;
const KINDS: readonly string[] = [ACCESS_HASH_KIND];

/** Exactly 80 lower-case hex characters (a character loop: the anchored regular expression cost twice as much). */
function isAccessHash(text: string): boolean {
  if (text.length !== HASH_LENGTH) return false;
  for (let i = 0; i < HASH_LENGTH; i++) {
    const code = text.charCodeAt(i);
    if (!((code >= 48 && code <= 57) || (code >= 97 && code <= 102))) return false;
  }
  return true;
}
/** Distinct IP spellings whose canonical form a strategy remembers. */
const IP_CACHE_SIZE = 4096;

/**
 * Creates the verifying face: an `AuthStrategy` for access hashes sent only in the `access_hash` cookie, each
 * valid only from the one IP address it was created for (PUQ VPN control panel (PUQVPNCP) documentation, "API
 * Access Hashs" (revision 8, 2023-10-16): "Each API Access Hash only works from a specific IP address").
 *
 * - The hash is exactly 80 lower-case hex characters, as issued; quotes, spaces, upper case or other lengths are
 *   malformed and never reach the store.
 * - A second `access_hash` cookie, in one `Cookie` header or across two, is ambiguous.
 * - The client IP is `request.clientIp` (the socket address, or `X-Forwarded-For` behind configured trusted
 *   proxies), compared after normalisation (`::ffff:127.0.0.1` is `127.0.0.1`).
 * - A hash in a header or the query is not a credential of this scheme: the request is `absent`.
 * - The body is never read, so a request whose body a parser already consumed authenticates as any other.
 * - `renderRefusal` answers a refusal as {@link renderAccessHashError} does (an absence is `CREDENTIALS_MISSING`,
 *   401 "Access hash required"); `renderSuccess` wraps a payload as `{"error":"","msg":<payload>,"status":"success"}`
 *   with `options.httpStatus` (default 200).
 *
 * @example
 * ```ts
 * import { createAuthGuard, toFetchResponse } from '@gatehouse/auth-core';
 * import { accessHashCookie } from '@gatehouse/strategy-access-hash-cookie';
 * const guard = createAuthGuard(accessHashCookie({ store }));
 * const decision = await guard(toAuthRequest(request, { remoteAddress }));
 * if (decision.type === 'refused') return toFetchResponse(decision.reply);
 * ```
 */
export function accessHashCookie(options: AccessHashCookieOptions): AuthStrategy<Principal> {
  const { store, digest, clock } = resolveCredentialOptions(options);
  const cookieName = resolveCookieName(options.cookieName);
  const credentials = createCredentialLookup({ store, digest, clock, strategyId: ACCESS_HASH_STRATEGY_ID, kinds: KINDS });
  // The same few addresses come back on every request (each hash's own, its client's): each is parsed once.
  const normalizeIp = createBoundedMemo(normalizeIpAddress, IP_CACHE_SIZE);

  const strategy: AuthStrategy<Principal> = {
    id: ACCESS_HASH_STRATEGY_ID,
    async authenticate(request) {
      const values = request.cookieValues(cookieName);
      if (values.length === 0) return absent();
      if (values.length > 1) return rejected('CREDENTIALS_AMBIGUOUS');
      const hash = values[0] as string;
      if (!isAccessHash(hash)) return rejected('CREDENTIALS_MALFORMED');

      const found = await credentials.find(hash);
      if (found.type === 'rejected') return found;
      const { record } = found;
      const boundIp = record.allowedIps.length === 1 ? normalizeIp(record.allowedIps[0] as string) : null;
      const clientIp = request.clientIp;
      // Fail closed: a record without exactly one valid IP, or a request whose client IP is unknown, never passes.
      // Refused by id: a failure throttle then also counts a leaked hash tried from many IPs against the hash.
      if (boundIp === null || clientIp === null || normalizeIp(clientIp) !== boundIp) return rejectedCredential(record.id, 'IP_NOT_ALLOWED');

      return credentials.grant(found, { id: record.ownerId });
    },
    renderRefusal: (refusal) => renderAccessHashError(refusalError(refusal)),
    renderSuccess: (payload, renderOptions) => renderAccessHashSuccess(payload, renderOptions?.httpStatus ?? 200),
  };

  return withStrategyGuards(strategy, options);
}
