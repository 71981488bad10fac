// Navixy's envelope: what a refusal and a success look like (wire only, apart from "never accepted").
import type { ConformanceCase } from '../../../case.js';
import { deepEqual, show } from '../../../check.js';
import { nvx, nvxCase } from '../context.js';
import type { NvxHashDriver } from '../fixtures.js';
import { failureBody, httpStatusOf, isAccepted, memberOf, NAVIXY_AUTHENTICATION, NAVIXY_CODES, NAVIXY_ERRORS } from '../wire.js';

export const envelopeCases: readonly ConformanceCase<NvxHashDriver>[] = [
  nvxCase({
    id: 'NVX-ENV-001',
    level: 'MUST',
    ref: NAVIXY_AUTHENTICATION,
    title: 'a missing hash gets exactly `{"success":false,"status":{"code":3,"description":"Wrong hash"}}` with HTTP 400',
    async run(c) {
      const [sent] = await c.refuseAll([{ path: c.fx.resourcePath }], { code: null, why: 'checked exactly below' });
      if (sent === undefined) return;
      c.wire(
        sent.reply.status === 400 && deepEqual(sent.reply.body, failureBody(3)),
        () => `${sent.label}: expected exactly 400 ${show(failureBody(3))} (${NAVIXY_AUTHENTICATION}), got ${c.describe(sent.reply)}`,
      );
    },
  }),
  nvxCase({
    id: 'NVX-ENV-002',
    level: 'MUST',
    ref: NAVIXY_ERRORS,
    title: 'every refusal is Navixy\'s envelope: `"success": false`, a code of the Errors table with its description, and the HTTP status the table gives that code',
    async run(c) {
      const { fx } = c;
      const specs = [
        { path: fx.resourcePath },
        { path: fx.resourcePath, headers: nvx(fx.apiKey.slice(0, 31)) },
        { path: fx.resourcePath, headers: nvx(fx.unknownHash) },
        { path: fx.resourcePath, headers: nvx(fx.revokedApiKey) },
        { path: fx.panelResourcePath, headers: nvx(fx.apiKey) },
        { path: fx.resourcePath, headers: nvx(fx.panelSessionHash) },
        { path: fx.resourcePath, headers: nvx(fx.apiKey), json: { hash: fx.unknownHash } },
      ];
      for (const spec of specs) {
        const sent = await c.send(spec);
        if (isAccepted(sent.reply)) continue; // judged by the cases about that request
        const code = memberOf(memberOf(sent.reply.body, 'status'), 'code');
        const known = typeof code === 'number' ? NAVIXY_CODES[code] : undefined;
        const body = sent.reply.body as { success?: unknown; status?: { description?: unknown } } | null;
        c.wire(
          known !== undefined &&
            body?.success === false &&
            body.status?.description === known.description &&
            sent.reply.status === httpStatusOf(code as number),
          () => `${sent.label}: expected Navixy's failure envelope with a code of the Errors table and its HTTP status (${NAVIXY_ERRORS}), got ${c.describe(sent.reply)}`,
        );
      }
    },
  }),
  nvxCase({
    id: 'NVX-ENV-003',
    level: 'MUST',
    ref: NAVIXY_AUTHENTICATION,
    title: 'a success has HTTP 200 and `"success": true` (the boolean), for every kind of hash on its route',
    async run(c) {
      await c.succeedAll(
        [
          { path: c.fx.resourcePath, headers: nvx(c.fx.apiKey) },
          { path: c.fx.keyManagementPath, headers: nvx(c.fx.userSessionHash) },
          { path: c.fx.panelResourcePath, headers: nvx(c.fx.panelSessionHash) },
        ],
        `${NAVIXY_AUTHENTICATION}: {"success": true, …}`,
      );
    },
  }),
];
