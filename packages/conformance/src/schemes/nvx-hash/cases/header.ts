// The Authorization header: `Authorization: NVX <hash>`, the way Navixy calls "preferable".
import type { ConformanceCase } from '../../../case.js';
import { authorization, nvx, nvxCase } from '../context.js';
import type { NvxHashDriver } from '../fixtures.js';
import { isAccepted, NAVIXY_AUTHENTICATION, RFC_9110_CREDENTIALS, RFC_9110_FIELD_VALUES, RFC_9110_SINGLETON } from '../wire.js';

const USING = `${NAVIXY_AUTHENTICATION} ("Using the API Key Hash": the Authorization header, the body, the query)`;
const WRONG_HASH = { code: 3, why: `${NAVIXY_AUTHENTICATION}: code 3 "Wrong hash" when the hash is not passed properly` } as const;

export const headerCases: readonly ConformanceCase<NvxHashDriver>[] = [
  nvxCase({
    id: 'NVX-HDR-001',
    level: 'MUST',
    ref: USING,
    title: '`Authorization: NVX <api key>` on a user route is accepted: HTTP 200 with "success": true',
    async run(c) {
      await c.succeedAll([{ path: c.fx.resourcePath, headers: nvx(c.fx.apiKey) }], USING);
    },
  }),
  nvxCase({
    id: 'NVX-HDR-002',
    level: 'MUST',
    ref: RFC_9110_CREDENTIALS,
    title: 'the scheme is case-insensitive: `nvx`, `Nvx` and `nVX` are accepted',
    async run(c) {
      await c.succeedAll(
        ['nvx', 'Nvx', 'nVX'].map((scheme) => ({ path: c.fx.resourcePath, headers: authorization(`${scheme} ${c.fx.apiKey}`) })),
        'RFC 9110 §11.1: an authentication scheme is matched case-insensitively',
      );
    },
  }),
  nvxCase({
    id: 'NVX-HDR-003',
    level: 'MUST',
    ref: NAVIXY_AUTHENTICATION,
    title: 'a hash in upper or mixed case is accepted (hex_case=any) or refused (hex_case=lower), as declared',
    parameters: ['hex_case'],
    async run(c) {
      const key = c.fx.apiKey.toLowerCase();
      const mixed = [...key].map((ch, index) => (index % 2 === 0 ? ch.toUpperCase() : ch)).join('');
      const specs = [
        { path: c.fx.resourcePath, headers: nvx(key.toUpperCase()) },
        { path: c.fx.resourcePath, headers: nvx(mixed) },
        { path: c.fx.resourcePath, json: { hash: key.toUpperCase() } },
      ];
      if (c.p.hexCase === 'any') {
        await c.succeedAll(specs, 'declared hex_case=any');
        return;
      }
      // Not issued in this casing: refused like any hash that is not live, but no security rule is at stake.
      for (const spec of specs) {
        const sent = await c.send(spec);
        c.wire(!isAccepted(sent.reply), () => `${sent.label}: declared hex_case=lower, but it was accepted`);
      }
    },
  }),
  nvxCase({
    id: 'NVX-HDR-004',
    level: 'MUST',
    ref: RFC_9110_CREDENTIALS,
    title: 'several spaces between the scheme and the hash are accepted (1*SP)',
    async run(c) {
      await c.succeedAll(
        ['NVX  ', `NVX${' '.repeat(8)}`].map((prefix) => ({ path: c.fx.resourcePath, headers: authorization(prefix + c.fx.apiKey) })),
        'RFC 9110 §11.4: one or more spaces separate the scheme from the credentials',
      );
    },
  }),
  nvxCase({
    id: 'NVX-HDR-005',
    level: 'MUST',
    ref: RFC_9110_FIELD_VALUES,
    title: 'whitespace around the header value is accepted',
    async run(c) {
      await c.succeedAll(
        [` NVX ${c.fx.apiKey}`, `NVX ${c.fx.apiKey} `, `\tNVX ${c.fx.apiKey}\t `].map((value) => ({ path: c.fx.resourcePath, headers: authorization(value) })),
        'RFC 9110 §5.5: whitespace around a field value is not part of it',
      );
    },
  }),
  nvxCase({
    id: 'NVX-HDR-006',
    level: 'MUST',
    ref: `${NAVIXY_AUTHENTICATION}; ${RFC_9110_CREDENTIALS}`,
    title: 'anything after the hash (a word, a comma, a second hash, a parameter) is never accepted: the value is not a hash, nor cut down to one',
    async run(c) {
      const key = c.fx.apiKey;
      await c.refuseAll(
        [`NVX ${key} extra`, `NVX ${key},`, `NVX ${key} ${key}`, `NVX ${key};realm=x`, `NVX ${key}, Bearer x`, `NVX ${key}"`].map((value) => ({
          path: c.fx.resourcePath,
          headers: authorization(value),
        })),
        WRONG_HASH,
      );
    },
  }),
  nvxCase({
    id: 'NVX-HDR-007',
    level: 'MUST',
    ref: USING,
    title: 'another scheme (`Bearer`, `Basic`, `Token`, `NVX2`, `NVX` glued to the hash) is never read as NVX: with no other source there is no hash',
    async run(c) {
      const key = c.fx.apiKey;
      await c.refuseAll(
        [`Bearer ${key}`, `Basic ${btoa(`${key}:`)}`, `Token ${key}`, `NVX2 ${key}`, `NVX${key}`, `NVX:${key}`, `X-NVX ${key}`, key].map((value) => ({
          path: c.fx.resourcePath,
          headers: authorization(value),
        })),
        WRONG_HASH,
      );
    },
  }),
  nvxCase({
    id: 'NVX-HDR-008',
    level: 'MUST',
    ref: NAVIXY_AUTHENTICATION,
    title: '`Authorization: NVX` without a hash, and an empty Authorization, are refused (code 3)',
    async run(c) {
      await c.refuseAll(['NVX', 'NVX ', 'nvx\t', ''].map((value) => ({ path: c.fx.resourcePath, headers: authorization(value) })), WRONG_HASH);
    },
  }),
  nvxCase({
    id: 'NVX-HDR-009',
    level: 'MUST',
    ref: `${RFC_9110_SINGLETON}; ${NAVIXY_AUTHENTICATION}`,
    title: 'two Authorization lines with different NVX hashes are never accepted, in either order',
    parameters: ['ambiguous_code'],
    async run(c) {
      const { apiKey, unknownHash } = c.fx;
      await c.refuseAll(
        [
          [`NVX ${apiKey}`, `NVX ${unknownHash}`],
          [`NVX ${unknownHash}`, `NVX ${apiKey}`],
        ].map(([first, second]) => ({ path: c.fx.resourcePath, headers: [['authorization', first as string], ['authorization', second as string]] as const })),
        // A runtime or proxy that joins the lines makes one malformed value (code 3).
        { code: [c.p.ambiguousCode, 3], why: `declared ambiguous_code=${c.p.ambiguousCode}, or code 3 for the joined value` },
      );
    },
  }),
  nvxCase({
    id: 'NVX-HDR-010',
    level: 'MUST',
    ref: `${NAVIXY_AUTHENTICATION} ("HTTP POST Example with JSON")`,
    title: 'the header works on a POST whose JSON body has no `hash`',
    async run(c) {
      await c.succeedAll([{ path: c.fx.resourcePath, headers: nvx(c.fx.apiKey), json: { param1: 'value1' } }], 'the documented POST example');
    },
  }),
];
