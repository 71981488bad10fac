import { constantTimeEqualStrings, encodeBase64Url, generateHexToken, hmacSha256 } from '@gatehouse/auth-core/crypto';

/**
 * CSRF tokens of the web interface, without server-side state:
 * - signed in: the token of a session is HMAC-SHA256(csrfKey, "session" + session record id), so it changes with
 *   every login and dies with the session; a page cannot compute it without the key;
 * - before sign-in (the login form): a signed double-submit pair. `GET /login` sets a random nonce in an HttpOnly,
 *   SameSite=Strict cookie and puts HMAC-SHA256(csrfKey, "login" + nonce) in the form; `POST /login` needs both.
 *   An attacker who can plant a cookie still cannot produce the matching form value.
 * The key is derived from the current key-encryption key (HMAC-SHA256(KEK, label)), so it survives restarts and
 * never leaves the server.
 */

/** The pre-session cookie over plain http. */
export const LOGIN_CSRF_COOKIE = 'gatehouse_login_csrf';
/** The pre-session cookie over https (`__Host-`: Secure, Path=/, no Domain). */
export const LOGIN_CSRF_SECURE_COOKIE = '__Host-gatehouse_login_csrf';
/** How long a login form stays usable. */
export const LOGIN_CSRF_SECONDS = 2 * 3600;
/** The hidden form field on every form. */
export const CSRF_FIELD = 'csrf';

const NONCE_PATTERN = /^[0-9a-f]{64}$/;
const DERIVATION_LABEL = 'gatehouse-demo/web-ui/csrf-key/v1';

/** The token functions, bound to one server key. */
export interface CsrfTokens {
  /** The form token of a signed-in session (by its credential record id). */
  forSession(sessionId: string): string;
  /** True when `presented` is the form token of this session. */
  verifySession(sessionId: string, presented: string | null): boolean;
  /** A fresh nonce for the pre-session cookie. */
  newLoginNonce(): string;
  /** True when the nonce has the shape {@link newLoginNonce} gives. */
  isLoginNonce(nonce: string | null): nonce is string;
  /** The login form's token for a nonce. */
  forLogin(nonce: string): string;
  /** True when `presented` is the login form token of the cookie's nonce. */
  verifyLogin(nonce: string | null, presented: string | null): boolean;
}

/** Creates the token functions from the current key-encryption key. */
export function createCsrfTokens(keyEncryptionKey: Uint8Array): CsrfTokens {
  const key = hmacSha256(keyEncryptionKey, DERIVATION_LABEL);
  const tokenFor = (purpose: string, value: string): string => encodeBase64Url(hmacSha256(key, `${purpose}\u0000${value}`));
  const matches = (expected: string, presented: string | null): boolean =>
    typeof presented === 'string' && presented.length === expected.length && constantTimeEqualStrings(presented, expected);
  const isLoginNonce = (nonce: string | null): nonce is string => typeof nonce === 'string' && NONCE_PATTERN.test(nonce);
  return {
    forSession: (sessionId) => tokenFor('session', sessionId),
    verifySession: (sessionId, presented) => matches(tokenFor('session', sessionId), presented),
    newLoginNonce: () => generateHexToken(32),
    isLoginNonce,
    forLogin: (nonce) => tokenFor('login', nonce),
    verifyLogin: (nonce, presented) => isLoginNonce(nonce) && matches(tokenFor('login', nonce), presented),
  };
}
