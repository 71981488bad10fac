// The choices an APEX-style server makes where KiiEx's documents are silent or disagree: each a declared
// parameter of hmac-signature@2, with Gatehouse's own choice as the default.
import type { ParameterSpec } from '../../case.js';
import { KIIEX_API_KEY, KIIEX_AUTHENTICATE_USER } from './wire.js';

/**
 * The declared server parameters of `hmac-signature@2` and their values.
 *
 * @example
 * ```ts
 * const declared: HmacParameters = { nonce_policy: 'increasing', login_reply_casing: 'camel' };
 * ```
 */
export interface HmacParameters {
  /** How nonces are checked: `unique` (default), `increasing`, or `issued` (the documented, replayable flow). */
  readonly nonce_policy?: 'unique' | 'increasing' | 'issued';
  /** The casing of the `AuthenticateUser` reply: `any` (default), `pascal` or `camel`. */
  readonly login_reply_casing?: 'any' | 'pascal' | 'camel';
  /** Whether the Signature's hex digits are accepted in `any` case (default) or `lower-only`. */
  readonly signature_hex_case?: 'any' | 'lower-only';
  /** Headers and a JSON body that disagree: `reject` (default), or the `headers` or the `body` win. */
  readonly source_conflict?: 'reject' | 'headers' | 'body';
  /** A name repeated in the JSON body: `reject` (default), or the `last` one counts. */
  readonly duplicate_json_keys?: 'reject' | 'last';
  /** The HTTP status of a refusal: a `4xx` (default), `200` with the refusal envelope, or `any` (not judged). */
  readonly refusal_status?: '4xx' | '200' | 'any';
  /** The reply to a proven key from an address it does not allow: `distinct` (default) or `same-as-invalid`. */
  readonly foreign_ip_reply?: 'distinct' | 'same-as-invalid';
}

const spec = (name: keyof HmacParameters, values: readonly string[], description: string, silence: string): ParameterSpec =>
  Object.freeze({ name, values: Object.freeze([...values]), default: values[0] as string, description, silence });

/**
 * The parameters of `hmac-signature@2`, defaults first in each list (Gatehouse's own choices).
 *
 * @example
 * ```ts
 * for (const { name, values, silence } of HMAC_PARAMETERS) console.log(name, values.join('|'), silence);
 * ```
 */
export const HMAC_PARAMETERS: readonly ParameterSpec[] = Object.freeze([
  spec(
    'nonce_policy',
    ['unique', 'increasing', 'issued'],
    "how nonces are checked: 'unique' (any value, each accepted once per key), 'increasing' (a decimal above the last one accepted for the key), or 'issued' (only the nonce shown when the key was created, again and again: the documented flow, whose signature is static and replayable, so the replay cases do not apply)",
    `${KIIEX_API_KEY} shows a NONCE once, at creation, and signs it, but says nothing about whether a nonce may be reused, must increase or must be new`,
  ),
  spec(
    'login_reply_casing',
    ['any', 'pascal', 'camel'],
    "the keys of the AuthenticateUser reply: 'pascal' (Authenticated, SessionToken, User, Locked, Requires2FA, errormsg), 'camel' (authenticated, user, locked, requires2FA, errormsg) or 'any' of the two; only the envelope cases judge it, every other case reads the session token in any casing",
    `${KIIEX_AUTHENTICATE_USER} shows the reply with lower-case keys, while other APEX pages and clients use Authenticated and SessionToken: the documents disagree`,
  ),
  spec(
    'signature_hex_case',
    ['any', 'lower-only'],
    "whether the Signature's hex digits are accepted in upper and mixed case ('any', as older AlphaPoint clients send them) or only in lower case",
    `${KIIEX_API_KEY} names HMAC-SHA256 and an online generator but not the case of the hex digits`,
  ),
  spec(
    'source_conflict',
    ['reject', 'headers', 'body'],
    "headers and a JSON body that carry different values: refused ('reject'), or one place wins consistently ('headers' or 'body')",
    `${KIIEX_API_KEY} puts the four values in the headers, ${KIIEX_AUTHENTICATE_USER} in a JSON body; neither says what two different sets mean`,
  ),
  spec(
    'duplicate_json_keys',
    ['reject', 'last'],
    "an AuthenticateUser JSON body that repeats a name (two UserId): refused ('reject'), or the last value counts ('last', as JSON.parse reads it), for the signature and for the session alike",
    `${KIIEX_AUTHENTICATE_USER} does not say; RFC 8259 §4 leaves repeated names to the implementation`,
  ),
  spec(
    'refusal_status',
    ['4xx', '200', 'any'],
    "the HTTP status of a refusal: a 4xx ('4xx'; which one is not judged), 200 with the refusal in the body ('200', as APEX gateways answer with \"result\":false), or not judged ('any')",
    `${KIIEX_API_KEY} and ${KIIEX_AUTHENTICATE_USER} give no HTTP status for any refusal`,
  ),
  spec(
    'foreign_ip_reply',
    ['distinct', 'same-as-invalid'],
    "the reply to a correctly signed key used from an address it does not allow: its own refusal ('distinct': the signature proved the secret, so the reply may say what to fix) or exactly the reply to a wrong signature ('same-as-invalid')",
    `${KIIEX_API_KEY} lets a key be restricted by IP address but says nothing of the refusal`,
  ),
]);

/** A declared parameter's value (defaults filled in by the runner). */
export function parameterOf<K extends keyof HmacParameters>(parameters: Readonly<Record<string, string>>, name: K): NonNullable<HmacParameters[K]> {
  const value = parameters[name] ?? HMAC_PARAMETERS.find((one) => one.name === name)?.default;
  return value as NonNullable<HmacParameters[K]>;
}
