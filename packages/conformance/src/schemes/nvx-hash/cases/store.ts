// A credential store that fails: nothing gets in (fail closed), and the refusal says the database is unavailable.
import type { ConformanceCase } from '../../../case.js';
import { storeFailureSender } from '../../../profiles/wire-case.js';
import { nvx, nvxCase, type NvxCaseContext, type NvxRequestSpec } from '../context.js';
import type { NvxHashDriver } from '../fixtures.js';
import { GATEHOUSE_SECURITY, NAVIXY_ERRORS } from '../wire.js';

function storeFailureRequests(c: NvxCaseContext): NvxRequestSpec[] {
  const { fx } = c;
  return [
    { path: fx.resourcePath, headers: nvx(fx.apiKey) },
    { path: fx.resourcePath, json: { hash: fx.apiKey } },
    ...(c.p.formBody === 'read' ? [{ path: fx.resourcePath, form: `hash=${fx.apiKey}` }] : []),
    { path: fx.keyManagementPath, headers: nvx(fx.userSessionHash) },
    { path: fx.panelResourcePath, headers: nvx(fx.panelSessionHash) },
    { path: fx.resourcePath, headers: nvx(fx.unknownHash) },
  ];
}

export const storeCases: readonly ConformanceCase<NvxHashDriver>[] = [
  nvxCase({
    id: 'NVX-STORE-001',
    level: 'MUST',
    ref: `${GATEHOUSE_SECURITY}; ${NAVIXY_ERRORS} (code 14 "Database unavailable", HTTP 503)`,
    title: 'with the credential store failing, no hash of any kind, in any source, gets in; the refusal is code 14 "Database unavailable" (HTTP 503)',
    requires: ['store-failure'],
    async run(c) {
      const sender = await storeFailureSender(c.driver);
      await c.refuseAll(storeFailureRequests(c), { code: 14, why: `${NAVIXY_ERRORS}: code 14 "Database unavailable"` }, sender);
    },
  }),
];
