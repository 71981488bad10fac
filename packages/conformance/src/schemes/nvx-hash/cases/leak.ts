// Telling nothing: hashes that are not live get one reply, and no refusal repeats a hash.
import type { ConformanceCase } from '../../../case.js';
import { authorization, nvx, nvxCase, type NvxRequestSpec } from '../context.js';
import type { NvxHashDriver } from '../fixtures.js';
import { GATEHOUSE_SECURITY, NAVIXY_AUTHENTICATION, NAVIXY_ERRORS } from '../wire.js';

export const leakCases: readonly ConformanceCase<NvxHashDriver>[] = [
  nvxCase({
    id: 'NVX-LEAK-001',
    level: 'MUST',
    ref: `${GATEHOUSE_SECURITY}; ${NAVIXY_ERRORS}`,
    title: 'unknown, deleted and logged-out hashes all get one reply (apart from fields that vary by themselves, such as a request id)',
    async run(c) {
      const { fx } = c;
      const specs: [NvxRequestSpec, ...NvxRequestSpec[]] = [
        { path: fx.resourcePath, headers: nvx(fx.unknownHash) },
        { path: fx.resourcePath, headers: nvx(fx.revokedApiKey) },
      ];
      if (fx.endedSessionHash !== null) specs.push({ path: fx.resourcePath, headers: nvx(fx.endedSessionHash) }, { path: fx.keyManagementPath, headers: nvx(fx.endedSessionHash) });
      specs.push({ path: fx.keyManagementPath, headers: nvx(fx.unknownHash) });
      const [unknown] = await c.expectIndistinguishable(specs, 'an unknown hash, a deleted key and an ended session');
      // With code 3 for hashes that are not live, the Errors table gives a malformed hash the same answer.
      if (unknown !== undefined && c.p.unknownHashCode === 3) {
        for (const spec of [{ path: fx.resourcePath }, { path: fx.resourcePath, headers: nvx(fx.apiKey.slice(0, 31)) }]) {
          const sent = await c.send(spec);
          c.wire(
            sent.reply.status === unknown.reply.status && JSON.stringify(sent.reply.body) === JSON.stringify(unknown.reply.body),
            () => `${sent.label} got ${c.describe(sent.reply)}, but an unknown hash got ${c.describe(unknown.reply)}: with unknown_hash_code=3 both are code 3 "Wrong hash" (${NAVIXY_AUTHENTICATION})`,
          );
        }
      }
    },
  }),
  nvxCase({
    id: 'NVX-LEAK-002',
    level: 'MUST',
    ref: GATEHOUSE_SECURITY,
    title: 'no refusal repeats the hash it was sent, or any other hash',
    async run(c) {
      const { fx } = c;
      const specs: NvxRequestSpec[] = [
        { path: fx.resourcePath, headers: nvx(fx.unknownHash) },
        { path: fx.resourcePath, headers: nvx(fx.revokedApiKey) },
        { path: fx.resourcePath, headers: nvx(`${fx.apiKey}0`) },
        { path: fx.resourcePath, headers: authorization(`NVX ${fx.apiKey} extra`) },
        { path: fx.resourcePath, json: { hash: fx.unknownHash } },
        { path: fx.panelResourcePath, headers: nvx(fx.userSessionHash) },
        { path: fx.panelResourcePath, headers: nvx(fx.apiKey) },
        { path: fx.resourcePath, headers: nvx(fx.apiKey), json: { hash: fx.unknownHash } },
        { path: fx.resourcePath, query: [['hash', fx.unknownHash]] },
      ];
      // NvxCaseContext.send fails the case (leaked) on any refusal that repeats a hash.
      for (const spec of specs) await c.send(spec);
    },
  }),
];
