// Several hashes on one request: two sources that disagree (declared source_conflict), one source given twice
// (declared duplicate_json_keys for JSON; for a form or a query, at most one order may get in).
import type { ConformanceCase } from '../../../case.js';
import { neverAccepted } from '../../../check.js';
import { nvx, nvxCase, skipUnless, type NvxCaseContext, type NvxRequestSpec } from '../context.js';
import type { NvxHashDriver } from '../fixtures.js';
import { GATEHOUSE_SECURITY, isAccepted, NAVIXY_AUTHENTICATION } from '../wire.js';

const PLACES = `${NAVIXY_AUTHENTICATION} (three places for one hash; nothing on two different ones)`;
const RFC_8259 = 'RFC 8259 §4 (the names within an object SHOULD be unique; a repeated name is read differently by different parsers)';

function ambiguous(c: NvxCaseContext): { readonly code: number; readonly why: string } {
  return { code: c.p.ambiguousCode, why: `declared ambiguous_code=${c.p.ambiguousCode}` };
}

/**
 * Two sources that disagree: with `reject` both orders are refused as ambiguous; with `precedence` the request whose
 * winning source holds the live hash may pass (wire) and the one whose winning source holds the unknown hash is
 * refused (security).
 */
async function conflict(c: NvxCaseContext, winnerLive: NvxRequestSpec, winnerUnknown: NvxRequestSpec): Promise<void> {
  if (c.p.sourceConflict === 'reject') {
    await c.refuseAll([winnerLive, winnerUnknown], ambiguous(c));
    return;
  }
  await c.refuseAll([winnerUnknown], { code: c.p.unknownHashCode, why: `the winning source holds an unknown hash (declared unknown_hash_code=${c.p.unknownHashCode})` });
  await c.succeedAll([winnerLive], 'declared source_conflict=precedence: the winning source holds a live hash');
}

/** One source given twice with a live and an unknown hash: never both orders let in; a refusal is ambiguous or unknown. */
export async function atMostOneOrder(c: NvxCaseContext, liveFirst: NvxRequestSpec, unknownFirst: NvxRequestSpec, what: string): Promise<void> {
  const first = await c.send(liveFirst);
  const second = await c.send(unknownFirst);
  neverAccepted(
    !(isAccepted(first.reply) && isAccepted(second.reply)),
    () => `${first.label} and ${second.label} were both accepted: ${what} with a live and an unknown hash got in whichever came first, so one value was checked and the other may be used`,
  );
  const shape = { code: [c.p.ambiguousCode, c.p.unknownHashCode], why: `ambiguous (declared ambiguous_code=${c.p.ambiguousCode}) or the value used is unknown` };
  for (const sent of [first, second]) if (!isAccepted(sent.reply)) c.expectShape(sent, shape);
}

export const sourceCases: readonly ConformanceCase<NvxHashDriver>[] = [
  nvxCase({
    id: 'NVX-SRC-001',
    level: 'MUST',
    ref: `${PLACES}; ${GATEHOUSE_SECURITY}`,
    title: 'a header and a JSON body that disagree: refused (reject), or the header wins (precedence) and a bad winning hash is never accepted',
    parameters: ['source_conflict', 'ambiguous_code', 'unknown_hash_code'],
    async run(c) {
      const { apiKey, unknownHash, resourcePath: path } = c.fx;
      await conflict(c, { path, headers: nvx(apiKey), json: { hash: unknownHash } }, { path, headers: nvx(unknownHash), json: { hash: apiKey } });
    },
  }),
  nvxCase({
    id: 'NVX-SRC-002',
    level: 'MUST',
    ref: `${PLACES}; ${GATEHOUSE_SECURITY}`,
    title: 'a header and a urlencoded body that disagree: as declared, and a live form hash never makes up for a bad header',
    parameters: ['source_conflict', 'form_body', 'ambiguous_code', 'unknown_hash_code'],
    async run(c) {
      const { apiKey, unknownHash, resourcePath: path } = c.fx;
      const winnerLive = { path, headers: nvx(apiKey), form: `hash=${unknownHash}` };
      const winnerUnknown = { path, headers: nvx(unknownHash), form: `hash=${apiKey}` };
      if (c.p.formBody === 'read') {
        await conflict(c, winnerLive, winnerUnknown);
        return;
      }
      // The form is not read: the header alone decides.
      await c.refuseAll([winnerUnknown], { code: c.p.unknownHashCode, why: 'declared form_body=ignored: the header alone, an unknown hash' });
      await c.succeedAll([winnerLive], 'declared form_body=ignored: the header alone, a live hash');
    },
  }),
  nvxCase({
    id: 'NVX-SRC-003',
    level: 'MUST',
    ref: `${PLACES}; ${GATEHOUSE_SECURITY}`,
    title: "two live hashes that disagree (an API key and a user session hash, on the key-management route): refused in either order (reject), or the header's taken (precedence)",
    parameters: ['source_conflict', 'ambiguous_code'],
    async run(c) {
      const { apiKey, userSessionHash, keyManagementPath: path } = c.fx;
      const sessionInHeader = { path, headers: nvx(userSessionHash), json: { hash: apiKey } };
      if (c.p.sourceConflict === 'reject') {
        await c.refuseAll([{ path, headers: nvx(apiKey), json: { hash: userSessionHash } }, sessionInHeader], ambiguous(c));
        if (c.p.formBody === 'read') await c.refuseAll([{ path, headers: nvx(userSessionHash), form: `hash=${apiKey}` }], ambiguous(c));
        return;
      }
      await c.succeedAll([sessionInHeader], "declared source_conflict=precedence: the header's user session hash on its route");
    },
  }),
  nvxCase({
    id: 'NVX-SRC-004',
    level: 'MUST',
    ref: `${PLACES}; ${GATEHOUSE_SECURITY}`,
    title: 'with query_hash=enabled, a query hash that disagrees with the header or the body is handled as declared; two query values never both get in',
    parameters: ['query_hash', 'source_conflict', 'ambiguous_code', 'unknown_hash_code'],
    async run(c) {
      skipUnless(c.p.queryHash === 'enabled', 'declared query_hash=disabled');
      const { apiKey, unknownHash, resourcePath: path } = c.fx;
      await conflict(c, { path, headers: nvx(apiKey), query: [['hash', unknownHash]] }, { path, headers: nvx(unknownHash), query: [['hash', apiKey]] });
      await conflict(c, { path, json: { hash: apiKey }, query: [['hash', unknownHash]] }, { path, json: { hash: unknownHash }, query: [['hash', apiKey]] });
      await atMostOneOrder(c, { path, query: [['hash', apiKey], ['hash', unknownHash]] }, { path, query: [['hash', unknownHash], ['hash', apiKey]] }, 'a query naming `hash` twice');
    },
  }),
  nvxCase({
    id: 'NVX-SRC-005',
    level: 'MUST',
    ref: PLACES,
    title: 'with query_hash=enabled, the same hash in the header, the body and the query is accepted',
    parameters: ['query_hash'],
    async run(c) {
      skipUnless(c.p.queryHash === 'enabled', 'declared query_hash=disabled');
      const { apiKey, resourcePath: path } = c.fx;
      await c.succeedAll(
        [
          { path, headers: nvx(apiKey), json: { hash: apiKey }, query: [['hash', apiKey]] },
          { path, headers: nvx(apiKey), query: [['hash', apiKey]] },
        ],
        'one hash, passed properly in every documented place',
      );
    },
  }),
  nvxCase({
    id: 'NVX-SRC-006',
    level: 'MUST',
    ref: `${PLACES}; ${GATEHOUSE_SECURITY}`,
    title: 'a urlencoded body naming `hash` twice with a live and an unknown hash never gets in in both orders',
    parameters: ['form_body', 'ambiguous_code', 'unknown_hash_code'],
    async run(c) {
      skipUnless(c.p.formBody === 'read', 'declared form_body=ignored');
      const { apiKey, unknownHash, resourcePath: path } = c.fx;
      await atMostOneOrder(c, { path, form: `hash=${apiKey}&hash=${unknownHash}` }, { path, form: `hash=${unknownHash}&hash=${apiKey}` }, 'a form naming `hash` twice');
    },
  }),
  nvxCase({
    id: 'NVX-DUP-001',
    level: 'MUST',
    ref: `${RFC_8259}; ${GATEHOUSE_SECURITY}`,
    title: 'a JSON body naming `hash` twice, a live hash first and an unknown one last, is never accepted (reject: ambiguous; last: the last is unknown)',
    parameters: ['duplicate_json_keys', 'ambiguous_code', 'unknown_hash_code'],
    async run(c) {
      const { apiKey, unknownHash, resourcePath: path } = c.fx;
      const shape =
        c.p.duplicateJsonKeys === 'reject'
          ? { code: c.p.ambiguousCode, why: `declared duplicate_json_keys=reject, ambiguous_code=${c.p.ambiguousCode}` }
          : { code: c.p.unknownHashCode, why: `declared duplicate_json_keys=last: the last hash is unknown (unknown_hash_code=${c.p.unknownHashCode})` };
      await c.refuseAll(
        [
          { path, json: `{"hash":"${apiKey}","hash":"${unknownHash}"}` },
          { path, json: `{"hash":"${apiKey}","param1":"value1","hash" : "${unknownHash}"}` },
          // The same name spelled with an escape: JSON.parse reads both as `hash`.
          { path, json: `{"hash":"${apiKey}","h\\u0061sh":"${unknownHash}"}` },
        ],
        shape,
      );
    },
  }),
  nvxCase({
    id: 'NVX-DUP-002',
    level: 'MUST',
    ref: `${RFC_8259}; ${GATEHOUSE_SECURITY}`,
    title: 'a JSON body naming `hash` twice, an unknown hash first and a live one last: refused (reject) or accepted with the last value (last)',
    parameters: ['duplicate_json_keys', 'ambiguous_code'],
    async run(c) {
      const { apiKey, unknownHash, resourcePath: path } = c.fx;
      const specs = [
        { path, json: `{"hash":"${unknownHash}","hash":"${apiKey}"}` },
        { path, json: `{"h\\u0061sh":"${unknownHash}","param1":"value1","hash":"${apiKey}"}` },
      ];
      if (c.p.duplicateJsonKeys === 'reject') await c.refuseAll(specs, { code: c.p.ambiguousCode, why: `declared duplicate_json_keys=reject, ambiguous_code=${c.p.ambiguousCode}` });
      else await c.succeedAll(specs, 'declared duplicate_json_keys=last: the last hash is live');
    },
  }),
];
