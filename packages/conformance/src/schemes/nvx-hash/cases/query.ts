// The query parameter `hash`: "for testing purposes only". Whether a server offers it is declared (query_hash).
import type { ConformanceCase } from '../../../case.js';
import { nvx, nvxCase, skipUnless } from '../context.js';
import type { NvxHashDriver } from '../fixtures.js';
import { NAVIXY_AUTHENTICATION, NAVIXY_HASH_KINDS, OWASP_QUERY } from '../wire.js';
import { notLive } from './hash.js';
import { wrongKind } from './kinds.js';

const QUERY = `${NAVIXY_AUTHENTICATION} ("As a Query Parameter": "For testing purposes only")`;
const WRONG_HASH = { code: 3, why: `${NAVIXY_AUTHENTICATION}: code 3 "Wrong hash" when the hash is not passed properly` } as const;

export const queryCases: readonly ConformanceCase<NvxHashDriver>[] = [
  nvxCase({
    id: 'NVX-QUERY-001',
    level: 'MUST',
    ref: QUERY,
    title: 'with query_hash=enabled, `?hash=<api key>` is accepted',
    parameters: ['query_hash'],
    async run(c) {
      skipUnless(c.p.queryHash === 'enabled', 'declared query_hash=disabled');
      await c.succeedAll(
        [
          { path: c.fx.resourcePath, query: [['hash', c.fx.apiKey]] },
          { path: c.fx.resourcePath, query: [['page', '2'], ['hash', c.fx.apiKey]] },
        ],
        QUERY,
      );
    },
  }),
  nvxCase({
    id: 'NVX-QUERY-002',
    level: 'MUST',
    ref: `${QUERY}; ${OWASP_QUERY}`,
    title: 'with query_hash=disabled, a query hash of any kind never authenticates (declared query_refused_code)',
    parameters: ['query_hash', 'query_refused_code'],
    async run(c) {
      skipUnless(c.p.queryHash === 'disabled', 'declared query_hash=enabled');
      // Refused loudly, or ignored (then there is no hash: code 3).
      const shape = { code: [c.p.queryRefusedCode, 3], why: `declared query_refused_code=${c.p.queryRefusedCode}, or code 3 for a request left without a hash` };
      await c.refuseAll(
        [
          { path: c.fx.resourcePath, query: [['hash', c.fx.apiKey]] },
          { path: c.fx.keyManagementPath, query: [['hash', c.fx.userSessionHash]] },
          { path: c.fx.panelResourcePath, query: [['hash', c.fx.panelSessionHash]] },
          { method: 'POST', path: c.fx.resourcePath, query: [['hash', c.fx.apiKey]], json: { param1: 'value1' } },
        ],
        shape,
      );
    },
  }),
  nvxCase({
    id: 'NVX-QUERY-003',
    level: 'MUST',
    ref: `${QUERY}; ${OWASP_QUERY}`,
    title: 'with query_hash=disabled, a live query hash never makes up for a bad hash in the header or the body',
    parameters: ['query_hash'],
    async run(c) {
      skipUnless(c.p.queryHash === 'disabled', 'declared query_hash=enabled');
      const { apiKey, unknownHash, resourcePath: path } = c.fx;
      await c.refuseAll(
        [
          { path, headers: nvx(unknownHash), query: [['hash', apiKey]] },
          { path, json: { hash: unknownHash }, query: [['hash', apiKey]] },
        ],
        { code: null, why: 'refused for the query hash or for the bad one' },
      );
    },
  }),
  nvxCase({
    id: 'NVX-QUERY-004',
    level: 'MUST',
    ref: QUERY,
    title: 'with query_hash=enabled, a malformed query hash (empty, 31 or 33 characters, not hex) is never accepted',
    parameters: ['query_hash'],
    async run(c) {
      skipUnless(c.p.queryHash === 'enabled', 'declared query_hash=disabled');
      const key = c.fx.apiKey;
      await c.refuseAll(
        ['', key.slice(0, 31), `${key}0`, `${key.slice(0, 31)}g`].map((value) => ({ path: c.fx.resourcePath, query: [['hash', value]] as const })),
        WRONG_HASH,
      );
    },
  }),
  nvxCase({
    id: 'NVX-QUERY-005',
    level: 'MUST',
    ref: QUERY,
    title: 'with query_hash=enabled, an unknown or deleted query hash is never accepted',
    parameters: ['query_hash', 'unknown_hash_code'],
    async run(c) {
      skipUnless(c.p.queryHash === 'enabled', 'declared query_hash=disabled');
      await c.refuseAll(
        [
          { path: c.fx.resourcePath, query: [['hash', c.fx.unknownHash]] },
          { path: c.fx.resourcePath, query: [['hash', c.fx.revokedApiKey]] },
        ],
        notLive(c),
      );
    },
  }),
  nvxCase({
    id: 'NVX-QUERY-006',
    level: 'MUST',
    ref: `${QUERY}; ${NAVIXY_HASH_KINDS}`,
    title: 'with query_hash=enabled, the route rules hold for query hashes: no API key or user session under /panel/, no panel hash elsewhere',
    parameters: ['query_hash', 'session_hash_on_user_api', 'wrong_kind_code'],
    async run(c) {
      skipUnless(c.p.queryHash === 'enabled', 'declared query_hash=disabled');
      const specs = [
        { path: c.fx.panelResourcePath, query: [['hash', c.fx.apiKey]] as const },
        { path: c.fx.panelResourcePath, query: [['hash', c.fx.userSessionHash]] as const },
        { path: c.fx.resourcePath, query: [['hash', c.fx.panelSessionHash]] as const },
      ];
      if (c.p.sessionHashOnUserApi === 'refused') specs.push({ path: c.fx.resourcePath, query: [['hash', c.fx.userSessionHash]] as const });
      await c.refuseAll(specs, wrongKind(c));
    },
  }),
];
