import type { ConformanceProfile } from '../../case.js';
import { accessCases } from './cases/access.js';
import { desyncCases } from './cases/desync.js';
import { flowCases } from './cases/flow.js';
import { identityCases } from './cases/identity.js';
import { leakCases } from './cases/leak.js';
import { nonceCases } from './cases/nonce.js';
import { requestCases } from './cases/request.js';
import { sessionCases } from './cases/session.js';
import { signatureCases } from './cases/signature.js';
import { FIXTURE_CAPABILITIES, type HmacSignatureDriver } from './fixtures.js';
import { HMAC_PARAMETERS } from './parameters.js';

/**
 * The `hmac-signature@2` profile: the signed API keys of KiiEx docs, "Authenticate with API Key", and
 * "AuthenticateUser" (https://docs.kiiglobal.io/docs/kiiex/connect-to-kiiex-apis/users/authenticateuser) on the
 * wire, judged only through requests and replies, so the same cases run in-process and against a live server. The
 * kit signs every request itself — hex of HMAC-SHA256 keyed with the API secret over `Nonce + UserId + APIKey`.
 *
 * Each case has two verdicts. Security (fails the case as `accepted` or `leaked`): a wrong, cut, padded or
 * re-encoded signature, an unknown key, another user's key, a removed key or its sessions, a replayed nonce (under
 * `unique` and `increasing`), a key from an address it does not allow, a session without the permission, a token in
 * the URL, values that disagree (headers against body, two header lines, repeated JSON names) used inconsistently,
 * and a request smuggled inside another's body are never let in; a reply never repeats the API secret or a
 * signature, and unknown keys, wrong signatures and wrong users get one reply. Wire fidelity (recorded, never
 * failing a case): what the documents state (the envelopes, the JSON body form) and what the server declared where
 * they are silent or disagree (`nonce_policy`, `login_reply_casing`, `signature_hex_case`, `source_conflict`,
 * `duplicate_json_keys`, `refusal_status`, `foreign_ip_reply`). Preconditions (signing in, a session token) read
 * replies in any casing and fail as `broken` with the server's answer, never as a cascade of security failures.
 *
 * @example
 * ```ts
 * import { hmacInProcessDriver, hmacSignatureV2, runProfile } from '@gatehouse/conformance';
 * const results = await runProfile(hmacSignatureV2, hmacInProcessDriver({ authenticate, session, setup }), {
 *   parameters: { nonce_policy: 'increasing', login_reply_casing: 'camel' },
 * });
 * ```
 */
export const hmacSignatureV2: ConformanceProfile<HmacSignatureDriver> = Object.freeze({
  id: 'hmac-signature@2',
  title: 'HMAC signature wire conformance (hmac-signature@2)',
  cases: Object.freeze([
    ...flowCases,
    ...signatureCases,
    ...identityCases,
    ...requestCases,
    ...nonceCases,
    ...sessionCases,
    ...accessCases,
    ...leakCases,
    ...desyncCases,
  ]),
  parameters: HMAC_PARAMETERS,
  /**
   * The driver's own capabilities, plus those the fixtures may imply: those are settled per case, from the
   * fixtures `setup()` returns, and a case whose fixture is missing reports itself skipped.
   */
  capabilitiesOf(driver: HmacSignatureDriver): readonly string[] {
    return [...new Set([...(driver.capabilities ?? []), ...FIXTURE_CAPABILITIES, ...(driver.rawConnection === undefined ? [] : ['raw-connection'])])];
  },
});
