// What a hash is: present, 32 hex characters, live. Nothing else gets in.
import type { ConformanceCase } from '../../../case.js';
import { MIB, nvx, nvxCase, otherHash, type NvxCaseContext } from '../context.js';
import type { NvxHashDriver } from '../fixtures.js';
import { GATEHOUSE_SECURITY, NAVIXY_AUTHENTICATION, NAVIXY_ERRORS } from '../wire.js';

const WRONG_HASH = { code: 3, why: `${NAVIXY_AUTHENTICATION}: code 3 "Wrong hash" when the hash is not passed properly` } as const;

/** The refusal of a well-formed hash that is not live: the declared code (3 or 4), the same for all of them. */
export function notLive(c: NvxCaseContext): { readonly code: number; readonly why: string } {
  return { code: c.p.unknownHashCode, why: `declared unknown_hash_code=${c.p.unknownHashCode}` };
}

export const hashCases: readonly ConformanceCase<NvxHashDriver>[] = [
  nvxCase({
    id: 'NVX-HASH-001',
    level: 'MUST',
    ref: NAVIXY_AUTHENTICATION,
    title: 'a request with no hash anywhere is never accepted: code 3 "Wrong hash" (HTTP 400)',
    async run(c) {
      await c.refuseAll(
        [
          { path: c.fx.resourcePath },
          { path: c.fx.resourcePath, json: { param1: 'value1' } },
          { path: c.fx.resourcePath, form: 'param1=value1' },
          { path: c.fx.keyManagementPath },
          { path: c.fx.panelResourcePath },
        ],
        WRONG_HASH,
      );
    },
  }),
  nvxCase({
    id: 'NVX-HASH-002',
    level: 'MUST',
    ref: `${GATEHOUSE_SECURITY}; ${NAVIXY_AUTHENTICATION}`,
    title: 'a hash of 31, 33, 63 or 64 characters is never accepted: never truncated or padded into a valid one',
    async run(c) {
      const key = c.fx.apiKey;
      const values = [key.slice(0, 31), key.slice(1), `${key}0`, `0${key}`, key + key.slice(0, 31), key + key];
      const bodies = c.p.formBody === 'read' ? [{ path: c.fx.resourcePath, form: `hash=${key}0` }] : [];
      await c.refuseAll(
        [...values.map((value) => ({ path: c.fx.resourcePath, headers: nvx(value) })), ...values.map((value) => ({ path: c.fx.resourcePath, json: { hash: value } })), ...bodies],
        WRONG_HASH,
      );
    },
  }),
  nvxCase({
    id: 'NVX-HASH-003',
    level: 'MUST',
    ref: `${GATEHOUSE_SECURITY}; ${NAVIXY_AUTHENTICATION}`,
    title: '32 characters that are not all hex (g, x, -, é, +) are never accepted',
    async run(c) {
      const key = c.fx.apiKey;
      const values = [`${key.slice(0, 31)}g`, `0x${key.slice(2)}`, `${key.slice(0, 16)}-${key.slice(17)}`, `${key.slice(0, 31)}\u00e9`, `${key.slice(0, 31)}+`];
      await c.refuseAll(
        [...values.map((value) => ({ path: c.fx.resourcePath, headers: nvx(value) })), ...values.map((value) => ({ path: c.fx.resourcePath, json: { hash: value } }))],
        WRONG_HASH,
      );
    },
  }),
  nvxCase({
    id: 'NVX-HASH-004',
    level: 'MUST',
    ref: `${GATEHOUSE_SECURITY}; ${NAVIXY_ERRORS}`,
    title: 'a 1 MiB hash value starting with a live key is never accepted (code 3, or the HTTP layer\'s 413/431), never cut to its first 32 characters',
    async run(c) {
      await c.refuseAll([{ path: c.fx.resourcePath, headers: nvx(c.fx.apiKey + 'a'.repeat(MIB)) }], { ...WRONG_HASH, httpLayer: true });
    },
  }),
  nvxCase({
    id: 'NVX-HASH-005',
    level: 'MUST',
    ref: `${GATEHOUSE_SECURITY}; ${NAVIXY_ERRORS}`,
    title: 'an unknown, well-formed hash is never accepted, on any route: the declared unknown_hash_code (3 or 4)',
    parameters: ['unknown_hash_code'],
    async run(c) {
      await c.refuseAll(
        [
          { path: c.fx.resourcePath, headers: nvx(c.fx.unknownHash) },
          { path: c.fx.resourcePath, headers: nvx(otherHash(c.fx.apiKey)) },
          { path: c.fx.resourcePath, json: { hash: c.fx.unknownHash } },
          { path: c.fx.keyManagementPath, headers: nvx(c.fx.unknownHash) },
          { path: c.fx.panelResourcePath, headers: nvx(c.fx.unknownHash) },
        ],
        notLive(c),
      );
    },
  }),
  nvxCase({
    id: 'NVX-HASH-006',
    level: 'MUST',
    ref: `${NAVIXY_AUTHENTICATION} (an API key "can be deleted at any time if there is a suspicion of compromise")`,
    title: 'a deleted (revoked) API key is never accepted, in the header or the body',
    parameters: ['unknown_hash_code'],
    async run(c) {
      await c.refuseAll(
        [
          { path: c.fx.resourcePath, headers: nvx(c.fx.revokedApiKey) },
          { path: c.fx.resourcePath, json: { hash: c.fx.revokedApiKey } },
        ],
        notLive(c),
      );
    },
  }),
  nvxCase({
    id: 'NVX-HASH-007',
    level: 'MUST',
    ref: `${NAVIXY_AUTHENTICATION}; ${NAVIXY_ERRORS} (code 4: "session ended")`,
    title: 'a user session hash ended by logout is never accepted, also on the key-management route',
    requires: ['ended-session'],
    parameters: ['unknown_hash_code'],
    async run(c) {
      const ended = c.fx.endedSessionHash as string;
      await c.refuseAll(
        [
          { path: c.fx.keyManagementPath, headers: nvx(ended) },
          { path: c.fx.resourcePath, headers: nvx(ended) },
        ],
        notLive(c),
      );
    },
  }),
];
