// The choices the Navixy documents leave to a server (or make twice, in contradiction), declared as parameters.
// Each default is what @gatehouse/strategy-nvx-hash does. A parameter never weakens a security rule: it says which
// of the documented-silent behaviours the cases expect.
import type { ParameterSpec } from '../../case.js';
import { NAVIXY_AUTHENTICATION, NAVIXY_ERRORS, NAVIXY_HASH_KINDS } from './wire.js';

/** The codes a server may declare for a refusal the Errors page has no code for. */
const REFUSAL_CODES = ['3', '4', '5', '7', '11', '13'] as const;

function codeSpec(name: string, fallback: (typeof REFUSAL_CODES)[number], description: string, silence: string): ParameterSpec {
  return Object.freeze({
    name,
    values: REFUSAL_CODES,
    default: fallback,
    description: `${description}: one of Navixy's codes 3, 4, 5, 7, 11 or 13, answered with the HTTP status the Errors page gives it (400 or 403)`,
    silence,
  });
}

/**
 * The parameters of `nvx-hash@2`, in the order a help text shows them.
 *
 * @example
 * ```ts
 * for (const { name, values, default: fallback } of NVX_PARAMETERS) console.log(name, values.join('|'), fallback);
 * ```
 */
export const NVX_PARAMETERS: readonly ParameterSpec[] = Object.freeze([
  Object.freeze({
    name: 'source_conflict',
    values: ['reject', 'precedence'],
    default: 'reject',
    description:
      "two sources (header, body, query) carry different hashes: 'reject' refuses the request as ambiguous; 'precedence' lets the header win over the body and the body over the query (a request whose winning hash is bad is still refused)",
    silence: `${NAVIXY_AUTHENTICATION} lists three places for the hash but says nothing of a request that uses two of them with different values`,
  }),
  Object.freeze({
    name: 'session_hash_on_user_api',
    values: ['refused', 'allowed'],
    default: 'refused',
    description:
      "a user session hash (user/auth) on a User API route other than key management: 'refused' (only api/key/* and the session routes take it) or 'allowed' (it works like an API key)",
    silence: `the documents contradict each other: ${NAVIXY_AUTHENTICATION} says work through the user's session "is deprecated and will be disabled" except for creating, reading and deleting API keys; ${NAVIXY_HASH_KINDS} says session hashes and API keys "are interchangeable for the User API"`,
  }),
  Object.freeze({
    name: 'query_hash',
    values: ['disabled', 'enabled'],
    default: 'disabled',
    description: "a hash in the query string (`?hash=`): 'disabled' (refused, never authenticates) or 'enabled'",
    silence: `${NAVIXY_AUTHENTICATION} shows the query parameter "for testing purposes only, do not use this in production": whether a server offers it is its choice`,
  }),
  Object.freeze({
    name: 'duplicate_json_keys',
    values: ['reject', 'last'],
    default: 'reject',
    description:
      "a JSON body naming `hash` twice (`{\"hash\":A,\"hash\":B}`): 'reject' refuses it as ambiguous; 'last' authenticates with the last value, as JSON.parse reads it (so a bad last value is refused whatever comes first)",
    silence: `${NAVIXY_AUTHENTICATION} shows a JSON body with one \`hash\`; RFC 8259 §4 says names SHOULD be unique and leaves a repeated name's meaning to the parser`,
  }),
  Object.freeze({
    name: 'form_body',
    values: ['read', 'ignored'],
    default: 'read',
    description: "a urlencoded body's `hash` field: 'read' like the JSON body's, or 'ignored' (only JSON bodies carry a hash)",
    silence: `${NAVIXY_AUTHENTICATION} shows the hash "in the JSON body of your request" and says nothing of urlencoded bodies`,
  }),
  Object.freeze({
    name: 'hex_case',
    values: ['any', 'lower'],
    default: 'any',
    description: "a hash sent in upper or mixed case: 'any' (hex is hex) or 'lower' (only the lower case the server issued is accepted)",
    silence: `${NAVIXY_AUTHENTICATION} shows hashes in lower case and says nothing of other casings`,
  }),
  Object.freeze({
    name: 'unknown_hash_code',
    values: ['3', '4'],
    default: '3',
    description:
      'the code for a well-formed hash that is not live (unknown, deleted, logged out): 3 "Wrong hash" or 4 "User or API key not found or session ended"; both HTTP 400, and the same for all three',
    silence: `${NAVIXY_ERRORS} has both code 3 "Wrong hash" and code 4 "User or API key not found or session ended", and no rule for which a server sends for an unknown hash`,
  }),
  codeSpec(
    'wrong_kind_code',
    '11',
    'the code for a live hash of a kind the route does not take (an API key or a user session under /panel/, a panel hash elsewhere, a user session on a resource route when refused)',
    `${NAVIXY_HASH_KINDS} says which hash works where but gives no code for the wrong one; ${NAVIXY_ERRORS} has several that fit`,
  ),
  codeSpec(
    'ambiguous_code',
    '3',
    'the code for an ambiguous credential (two hashes that disagree, two Authorization lines, a duplicate key when refused)',
    `${NAVIXY_ERRORS} gives no code for a request carrying two different hashes`,
  ),
  codeSpec(
    'query_refused_code',
    '11',
    'the code for a query hash when query hashes are disabled',
    `${NAVIXY_AUTHENTICATION} discourages the query parameter but gives no code for refusing it`,
  ),
  codeSpec(
    'key_refusal_code',
    '13',
    'the code for a key-management call the caller may not make: an API key or a sub-user creating an API key, or a 21st live key',
    `${NAVIXY_AUTHENTICATION} says keys are created with a session hash, at most 20 per user, none for sub-users, but gives no code for a refusal`,
  ),
]);

/** The declared parameters, typed. */
export interface NvxParameters {
  readonly sourceConflict: 'reject' | 'precedence';
  readonly sessionHashOnUserApi: 'refused' | 'allowed';
  readonly queryHash: 'disabled' | 'enabled';
  readonly duplicateJsonKeys: 'reject' | 'last';
  readonly formBody: 'read' | 'ignored';
  readonly hexCase: 'any' | 'lower';
  readonly unknownHashCode: number;
  readonly wrongKindCode: number;
  readonly ambiguousCode: number;
  readonly queryRefusedCode: number;
  readonly keyRefusalCode: number;
}

/** Reads the declared parameters (defaults filled in by the runner; a missing one takes its default here too). */
export function nvxParameters(declared: Readonly<Record<string, string>>): NvxParameters {
  const value = (name: string): string => declared[name] ?? (NVX_PARAMETERS.find((spec) => spec.name === name) as ParameterSpec).default;
  return {
    sourceConflict: value('source_conflict') as NvxParameters['sourceConflict'],
    sessionHashOnUserApi: value('session_hash_on_user_api') as NvxParameters['sessionHashOnUserApi'],
    queryHash: value('query_hash') as NvxParameters['queryHash'],
    duplicateJsonKeys: value('duplicate_json_keys') as NvxParameters['duplicateJsonKeys'],
    formBody: value('form_body') as NvxParameters['formBody'],
    hexCase: value('hex_case') as NvxParameters['hexCase'],
    unknownHashCode: Number(value('unknown_hash_code')),
    wrongKindCode: Number(value('wrong_kind_code')),
    ambiguousCode: Number(value('ambiguous_code')),
    queryRefusedCode: Number(value('query_refused_code')),
    keyRefusalCode: Number(value('key_refusal_code')),
  };
}
