import type { ConformanceCase, ConformanceProfile } from '../../case.js';
import { cookieCases } from './cases/cookie.js';
import { desyncCases } from './cases/desync.js';
import { envelopeCases } from './cases/envelope.js';
import { formatCases } from './cases/format.js';
import { hashCases } from './cases/hash.js';
import { ipCases } from './cases/ip.js';
import { leakCases } from './cases/leak.js';
import { sourceCases } from './cases/source.js';
import { storeCases } from './cases/store.js';
import type { AccessHashDriver } from './context.js';
import { FIXTURE_CAPABILITIES } from './fixtures.js';
import { ACCESS_HASH_PARAMETERS } from './parameters.js';

const cases: readonly ConformanceCase<AccessHashDriver>[] = Object.freeze([
  ...cookieCases,
  ...formatCases,
  ...ipCases,
  ...hashCases,
  ...sourceCases,
  ...envelopeCases,
  ...storeCases,
  ...leakCases,
  ...desyncCases,
]);

/**
 * The `access-hash-cookie@2` profile: the IP-bound access hashes of PUQ VPN control panel (PUQVPNCP)
 * documentation, "API Access Hashs" (revision 8, 2023-10-16), judged only through requests and replies, so the same
 * cases run in-process and against a live server.
 *
 * Its security checks (MUST: a failure is `accepted` or `leaked`): a hash from another IP address, an unknown,
 * revoked, altered, truncated, lengthened, percent-encoded or oversized one, a hash outside the cookie, a
 * duplicated cookie whose judged value is not the live hash, and requests smuggled in a body never get in;
 * `X-Forwarded-For` and its kin never change the client IP; no reply repeats a hash or names the bound IP; unknown,
 * revoked and altered hashes (and a foreign one under `foreign_ip_reply=same-as-invalid`) get one reply. What the
 * document leaves open (statuses, whitespace, quotes, duplicates, hex case, the foreign-IP reply) is a declared
 * parameter ({@link ACCESS_HASH_PARAMETERS}); a departure from it, or from the document's envelope, is a wire
 * difference.
 *
 * @example
 * ```ts
 * import { accessHashCookieV2, accessHashInProcessDriver, runProfile } from '@gatehouse/conformance';
 * const results = await runProfile(accessHashCookieV2, accessHashInProcessDriver({ strategy, setup }), {
 *   parameters: { duplicate_cookie: 'first', hex_case: 'any' },
 * });
 * ```
 */
export const accessHashCookieV2: ConformanceProfile<AccessHashDriver> = Object.freeze({
  id: 'access-hash-cookie@2',
  title: 'Access hash cookie wire conformance (access-hash-cookie@2)',
  cases,
  parameters: ACCESS_HASH_PARAMETERS,
  /**
   * The driver's own capabilities, plus those the fixtures may imply: those are settled per case, from the
   * fixtures `setup()` returns, and a case whose fixture is missing reports itself skipped.
   */
  capabilitiesOf(driver: AccessHashDriver): readonly string[] {
    return [...new Set([...(driver.capabilities ?? []), ...FIXTURE_CAPABILITIES])];
  },
});
