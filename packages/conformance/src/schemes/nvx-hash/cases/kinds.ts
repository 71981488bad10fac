// Which kind of hash on which route: API keys and user sessions for the User API, panel hashes only under /panel/.
import type { ConformanceCase } from '../../../case.js';
import { nvx, nvxCase, type NvxCaseContext } from '../context.js';
import type { NvxHashDriver } from '../fixtures.js';
import { GATEHOUSE_SECURITY, NAVIXY_AUTHENTICATION, NAVIXY_HASH_KINDS } from '../wire.js';

const KEYS_ONLY = `${NAVIXY_AUTHENTICATION} ("The only thing that API calls with a user session will work for is creating, reading, and deleting API keys")`;
const PANEL = `${NAVIXY_HASH_KINDS} ("There are no API keys for the Admin Panel API"; the admin panel hash is "used only for Admin Panel API")`;
const INTERCHANGEABLE = `${NAVIXY_HASH_KINDS} ("interchangeable for the User API")`;

/** The refusal of a live hash of the wrong kind for the route: the declared code. */
export function wrongKind(c: NvxCaseContext): { readonly code: number; readonly why: string } {
  return { code: c.p.wrongKindCode, why: `declared wrong_kind_code=${c.p.wrongKindCode}` };
}

/** The panel route with its `/panel/` segment disguised in ways a lenient router may still route. */
function panelLookAlikes(panelPath: string): string[] {
  const at = panelPath.toLowerCase().indexOf('/panel/');
  const before = panelPath.slice(0, at);
  const after = panelPath.slice(at + '/panel/'.length);
  return [`${before}//panel/${after}`, `${before}/PANEL/${after}`, `${before}/%70anel/${after}`, `${before}/Panel/${after}/`];
}

export const kindCases: readonly ConformanceCase<NvxHashDriver>[] = [
  nvxCase({
    id: 'NVX-KIND-001',
    level: 'MUST',
    ref: KEYS_ONLY,
    title: "a master user's session hash is accepted on the key-management route (header and body)",
    async run(c) {
      await c.succeedAll(
        [
          { path: c.fx.keyManagementPath, headers: nvx(c.fx.userSessionHash) },
          { path: c.fx.keyManagementPath, json: { hash: c.fx.userSessionHash } },
        ],
        KEYS_ONLY,
      );
    },
  }),
  nvxCase({
    id: 'NVX-KIND-002',
    level: 'MUST',
    ref: `${KEYS_ONLY}; ${INTERCHANGEABLE}`,
    title: 'a user session hash on a resource route is never accepted when session_hash_on_user_api=refused, and accepted when allowed',
    parameters: ['session_hash_on_user_api', 'wrong_kind_code'],
    async run(c) {
      const specs = [
        { path: c.fx.resourcePath, headers: nvx(c.fx.userSessionHash) },
        { path: c.fx.resourcePath, json: { hash: c.fx.userSessionHash } },
      ];
      if (c.p.sessionHashOnUserApi === 'allowed') await c.succeedAll(specs, 'declared session_hash_on_user_api=allowed');
      else await c.refuseAll(specs, wrongKind(c));
    },
  }),
  nvxCase({
    id: 'NVX-KIND-003',
    level: 'MUST',
    ref: PANEL,
    title: 'a user session hash under /panel/ is never accepted, in the header or the body',
    parameters: ['wrong_kind_code'],
    async run(c) {
      await c.refuseAll(
        [
          { path: c.fx.panelResourcePath, headers: nvx(c.fx.userSessionHash) },
          { path: c.fx.panelResourcePath, json: { hash: c.fx.userSessionHash } },
        ],
        wrongKind(c),
      );
    },
  }),
  nvxCase({
    id: 'NVX-KIND-004',
    level: 'MUST',
    ref: PANEL,
    title: 'an API key under /panel/ is never accepted',
    parameters: ['wrong_kind_code'],
    async run(c) {
      await c.refuseAll(
        [
          { path: c.fx.panelResourcePath, headers: nvx(c.fx.apiKey) },
          { path: c.fx.panelResourcePath, json: { hash: c.fx.apiKey } },
        ],
        wrongKind(c),
      );
    },
  }),
  nvxCase({
    id: 'NVX-KIND-005',
    level: 'MUST',
    ref: PANEL,
    title: 'a panel session hash is accepted under /panel/',
    async run(c) {
      await c.succeedAll(
        [
          { path: c.fx.panelResourcePath, headers: nvx(c.fx.panelSessionHash) },
          { path: c.fx.panelResourcePath, json: { hash: c.fx.panelSessionHash } },
        ],
        PANEL,
      );
    },
  }),
  nvxCase({
    id: 'NVX-KIND-006',
    level: 'MUST',
    ref: PANEL,
    title: 'a panel session hash on a user resource route or on the key-management route is never accepted',
    parameters: ['wrong_kind_code'],
    async run(c) {
      await c.refuseAll(
        [
          { path: c.fx.resourcePath, headers: nvx(c.fx.panelSessionHash) },
          { path: c.fx.keyManagementPath, headers: nvx(c.fx.panelSessionHash) },
          { path: c.fx.resourcePath, json: { hash: c.fx.panelSessionHash } },
        ],
        wrongKind(c),
      );
    },
  }),
  nvxCase({
    id: 'NVX-KIND-007',
    level: 'MUST',
    ref: `${PANEL}; ${KEYS_ONLY}`,
    title: "a sub-user's session hash is never accepted under /panel/, nor on a resource route when session_hash_on_user_api=refused",
    requires: ['sub-user'],
    parameters: ['session_hash_on_user_api', 'wrong_kind_code'],
    async run(c) {
      const hash = c.fx.subUserSessionHash as string;
      await c.refuseAll([{ path: c.fx.panelResourcePath, headers: nvx(hash) }], wrongKind(c));
      const onResource = { path: c.fx.resourcePath, headers: nvx(hash) };
      if (c.p.sessionHashOnUserApi === 'allowed') await c.succeedAll([onResource], 'declared session_hash_on_user_api=allowed');
      else await c.refuseAll([onResource], wrongKind(c));
    },
  }),
  nvxCase({
    id: 'NVX-KIND-008',
    level: 'SHOULD',
    ref: `${PANEL}; ${GATEHOUSE_SECURITY}`,
    title: 'look-alike panel paths (`//panel/`, `/PANEL/`, `/%70anel/`, a trailing slash) do not let a user session hash or an API key through',
    async run(c) {
      for (const path of panelLookAlikes(c.fx.panelResourcePath)) {
        await c.refuseAll(
          [c.fx.apiKey, c.fx.userSessionHash].map((hash) => ({ path, headers: nvx(hash) })),
          { code: null, why: 'a route the documents do not name' },
        );
      }
    },
  }),
];
