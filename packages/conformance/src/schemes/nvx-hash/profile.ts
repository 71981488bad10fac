import type { ConformanceProfile } from '../../case.js';
import { bodyCases } from './cases/body.js';
import { desyncCases } from './cases/desync.js';
import { envelopeCases } from './cases/envelope.js';
import { hashCases } from './cases/hash.js';
import { headerCases } from './cases/header.js';
import { keyCases } from './cases/keys.js';
import { kindCases } from './cases/kinds.js';
import { leakCases } from './cases/leak.js';
import { queryCases } from './cases/query.js';
import { sourceCases } from './cases/sources.js';
import { storeCases } from './cases/store.js';
import type { NvxCapability, NvxHashDriver } from './fixtures.js';
import { NVX_PARAMETERS } from './parameters.js';

/** Capabilities settled per case from the fixtures `setup()` returns; a case whose fixture is missing skips itself. */
const FIXTURE_CAPABILITIES: readonly NvxCapability[] = ['sub-user', 'ended-session'];

/**
 * The `nvx-hash@2` profile: Navixy's hash scheme on the wire (Navixy API docs, "Authentication":
 * https://www.navixy.com/docs/navixy-api/user-api/authentication; Navixy docs Q&A, "User session hash vs admin panel
 * hash vs API key": https://navixy.com/docs/qna/apis/user-session-hash-vs-admin-panel-hash-vs-api-key; Navixy API
 * docs, "Errors": https://www.navixy.com/docs/navixy-api/user-api/backend-api/errors), judged only through requests
 * and replies, so the same cases run in-process and against a live server.
 *
 * Each case has two verdicts. Security (fails the case): a missing, malformed, truncated, unknown, deleted, ended,
 * ambiguous, oversized or wrong-kind hash never gets in, a query hash never does when query hashes are disabled,
 * no refusal repeats a hash or tells an unknown hash from a deleted or ended one, a deleted key is refused on the
 * next request, and a body is never parsed into requests of its own. Wire (reported, never failing): the codes,
 * statuses and envelopes the documents give, and the successes they describe. Where the documents are silent or
 * contradict each other, the server declares its choice as a parameter (`source_conflict`,
 * `session_hash_on_user_api`, `query_hash`, `duplicate_json_keys`, the refusal codes, …), defaulting to
 * Gatehouse's.
 *
 * @example
 * ```ts
 * import { nvxHashV2, nvxInProcessDriver, runProfile } from '@gatehouse/conformance';
 * const results = await runProfile(nvxHashV2, nvxInProcessDriver({ strategy, setup }), { parameters: { query_hash: 'enabled' } });
 * ```
 */
export const nvxHashV2: ConformanceProfile<NvxHashDriver> = Object.freeze({
  id: 'nvx-hash@2',
  title: 'NVX hash wire conformance (nvx-hash@2)',
  cases: Object.freeze([
    ...headerCases,
    ...hashCases,
    ...bodyCases,
    ...queryCases,
    ...sourceCases,
    ...kindCases,
    ...envelopeCases,
    ...storeCases,
    ...leakCases,
    ...keyCases,
    ...desyncCases,
  ]),
  parameters: NVX_PARAMETERS,
  capabilitiesOf(driver: NvxHashDriver): readonly string[] {
    return [...new Set([...(driver.capabilities ?? []), ...FIXTURE_CAPABILITIES])];
  },
});
