// A credential store that is down: no hash gets in (fail closed), and requests that never reach the store keep
// their own replies.
import type { ConformanceCase } from '../../../case.js';
import { storeFailureSender } from '../../../profiles/wire-case.js';
import { ahcCase, type AccessHashDriver, type AhcRequestSpec } from '../context.js';
import { REF_DOC, REF_SECURITY } from '../refs.js';

export const storeCases: readonly ConformanceCase<AccessHashDriver>[] = [
  ahcCase(
    'AHC-STORE-001',
    'MUST',
    `${REF_SECURITY} (a store failure or timeout denies access)`,
    'with the credential store failing, no hash gets in, not even the live one from its own IP',
    async (c) => {
      const sender = await storeFailureSender(c.driver);
      const { accessHash, foreignAccessHash, unknownHash } = c.fx;
      await c.refuseAll('store-down', [c.get(c.pair(accessHash)), c.get(`theme=dark; ${c.pair(accessHash)}`), c.get(c.pair(foreignAccessHash)), c.get(c.pair(unknownHash))], sender);
    },
    { requires: ['store-failure'], parameters: ['refusal_status'] },
  ),
  ahcCase(
    'AHC-STORE-002',
    'SHOULD',
    `${REF_DOC}; ${REF_SECURITY}`,
    'with the credential store failing, a missing, malformed or duplicated cookie keeps its own reply: it never reaches the store',
    async (c) => {
      const sender = await storeFailureSender(c.driver);
      const { accessHash } = c.fx;
      await c.refuseAll('missing', [{ path: c.fx.resourcePath }], sender);
      await c.refuseAll('malformed', [c.get(c.pair(accessHash.slice(0, -1)))], sender);
      if (c.params.duplicateCookie === 'reject') {
        const twice: AhcRequestSpec = c.get(`${c.pair(accessHash)}; ${c.pair(accessHash)}`);
        await c.refuseAll('duplicate', [twice], sender);
      }
    },
    { requires: ['store-failure'], parameters: ['refusal_status', 'duplicate_cookie'] },
  ),
];
