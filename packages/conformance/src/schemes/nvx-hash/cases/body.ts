// The body field `hash`: JSON as the documents show it, urlencoded when the server reads it.
import type { ConformanceCase } from '../../../case.js';
import { guardingPrototypes } from '../../../profiles/strategy-contract.js';
import { MIB, nvx, nvxCase, type NvxRequestSpec } from '../context.js';
import type { NvxHashDriver } from '../fixtures.js';
import { GATEHOUSE_SECURITY, isAccepted, NAVIXY_AUTHENTICATION, NAVIXY_ERRORS } from '../wire.js';

const BODY = `${NAVIXY_AUTHENTICATION} ("In the Request Body": {"hash": "your_api_key_hash", "param1": "value1"})`;
const USING_BOTH = `${NAVIXY_AUTHENTICATION} (the header and the body are both ways to pass the hash)`;
const WRONG_HASH = { code: 3, why: `${NAVIXY_AUTHENTICATION}: code 3 "Wrong hash" when the hash is not passed properly` } as const;

export const bodyCases: readonly ConformanceCase<NvxHashDriver>[] = [
  nvxCase({
    id: 'NVX-BODY-001',
    level: 'MUST',
    ref: BODY,
    title: 'the JSON body field `hash` is accepted, before or after the other fields',
    async run(c) {
      await c.succeedAll(
        [
          { path: c.fx.resourcePath, json: { hash: c.fx.apiKey, param1: 'value1' } },
          { path: c.fx.resourcePath, json: { param1: 'value1', hash: c.fx.apiKey } },
        ],
        BODY,
      );
    },
  }),
  nvxCase({
    id: 'NVX-BODY-002',
    level: 'MUST',
    ref: BODY,
    title: 'the urlencoded body field `hash` is accepted (form_body=read) or ignored (form_body=ignored), as declared',
    parameters: ['form_body'],
    async run(c) {
      const specs = [
        { path: c.fx.resourcePath, form: `hash=${c.fx.apiKey}&param1=value1` },
        { path: c.fx.resourcePath, form: `param1=value1&hash=${c.fx.apiKey}` },
      ];
      if (c.p.formBody === 'read') {
        await c.succeedAll(specs, 'declared form_body=read');
        return;
      }
      for (const spec of specs) {
        const sent = await c.send(spec);
        c.wire(!isAccepted(sent.reply), () => `${sent.label}: declared form_body=ignored, but the form's hash was accepted`);
      }
    },
  }),
  nvxCase({
    id: 'NVX-BODY-003',
    level: 'MUST',
    ref: `${GATEHOUSE_SECURITY}; ${BODY}`,
    title: 'a JSON `hash` that is a number, an object, an array, a boolean or null is never accepted (never coerced into a hash)',
    async run(c) {
      const key = c.fx.apiKey;
      const odd: readonly string[] = ['123', '1.5e31', `{"hash":"${key}"}`, `["${key}"]`, '[]', 'true', 'null'];
      await c.refuseAll(
        odd.map((value) => ({ path: c.fx.resourcePath, json: `{"hash":${value}}` })),
        WRONG_HASH,
      );
    },
  }),
  nvxCase({
    id: 'NVX-BODY-004',
    level: 'MUST',
    ref: GATEHOUSE_SECURITY,
    title: '`__proto__` / `constructor` bodies neither pollute a prototype nor authenticate, then or on later requests without a hash',
    async run(c) {
      const key = c.fx.apiKey;
      const path = c.fx.resourcePath;
      const hostile: NvxRequestSpec[] = [
        { path, json: `{"__proto__":{"hash":"${key}"}}` },
        { path, json: `{"constructor":{"prototype":{"hash":"${key}"}}}` },
        { path, json: `{"param1":{"__proto__":{"hash":"${key}"}}}` },
        { path, form: `__proto__[hash]=${key}` },
        { path, form: `__proto__.hash=${key}` },
        { path, form: `constructor[prototype][hash]=${key}` },
        { path, form: `hash[__proto__]=${key}` },
      ];
      let inner: unknown = null;
      try {
        await guardingPrototypes(async () => {
          try {
            await c.refuseAll(hostile, { code: null, why: 'no hash field of its own' });
            // A server whose Object.prototype now carries `hash` would authenticate these.
            await c.refuseAll([{ path }, { path, json: {} }, { path, json: { param1: 'value1' } }, { path, form: 'param1=value1' }], WRONG_HASH);
          } catch (error) {
            inner = error;
            throw error;
          }
        });
      } catch (error) {
        // A request let in is the finding; the pollution that caused it comes second.
        throw inner ?? error;
      }
    },
  }),
  nvxCase({
    id: 'NVX-BODY-005',
    level: 'MUST',
    ref: USING_BOTH,
    title: 'the same hash in the header and the body is accepted',
    async run(c) {
      await c.succeedAll(
        [
          { path: c.fx.resourcePath, headers: nvx(c.fx.apiKey), json: { hash: c.fx.apiKey } },
          ...(c.p.formBody === 'read' ? [{ path: c.fx.resourcePath, headers: nvx(c.fx.apiKey), form: `hash=${c.fx.apiKey}` }] : []),
        ],
        'one hash, passed properly in two of the documented places',
      );
    },
  }),
  nvxCase({
    id: 'NVX-BODY-006',
    level: 'MUST',
    ref: `${GATEHOUSE_SECURITY}; ${NAVIXY_ERRORS} (code 9 "Too large request", HTTP 412)`,
    title: 'a 1 MiB body never lets a live hash at its start stand for a bad one at its end; a refusal for size is code 9 (HTTP 412) or the HTTP layer\'s 413',
    parameters: ['source_conflict', 'duplicate_json_keys'],
    async run(c) {
      const pad = 'x'.repeat(MIB);
      const { apiKey, unknownHash, resourcePath: path } = c.fx;
      const tooLarge = { code: 9, httpLayer: true, why: `${NAVIXY_ERRORS}: code 9 "Too large request"` } as const;
      // Refused whatever the server's size limit: reject and last both refuse a bad last `hash`.
      const twice = await c.send({ path, json: `{"hash":"${apiKey}","pad":"${pad}","hash":"${unknownHash}"}` });
      c.expectRefused(twice, { code: [9, c.p.ambiguousCode, c.p.unknownHashCode], httpLayer: true, why: 'too large, ambiguous, or its last hash is unknown' });
      if (c.p.sourceConflict === 'reject') {
        const split = await c.send({ path, headers: nvx(apiKey), json: `{"pad":"${pad}","hash":"${unknownHash}"}` });
        c.expectRefused(split, { code: [9, c.p.ambiguousCode], httpLayer: true, why: 'too large, or the header and the body disagree (declared source_conflict=reject)' });
      }
      // The size limit is the server's: only how it refuses is checked.
      for (const spec of [{ path, json: `{"hash":"${apiKey}","pad":"${pad}"}` }, { path, headers: nvx(apiKey), json: `{"pad":"${pad}"}` }]) {
        const sent = await c.send(spec);
        if (!isAccepted(sent.reply)) c.expectShape(sent, tooLarge);
      }
    },
  }),
];
