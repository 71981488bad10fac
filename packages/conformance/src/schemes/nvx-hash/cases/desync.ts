// Request framing (capability raw-connection): a body the server does not read whole must never be parsed as
// requests of its own, each carrying a live API key.
import type { ConformanceCase } from '../../../case.js';
import { check } from '../../../check.js';
import { expectNoDesync } from '../../../profiles/desync.js';
import { nvxCase } from '../context.js';
import type { NvxHashDriver } from '../fixtures.js';
import { GATEHOUSE_SECURITY, RFC_9112_FRAMING } from '../wire.js';

/** Over the 1 MiB a server may take as a body, whatever its limit below that. */
const OVERSIZED_BYTES = 2 * 1024 * 1024;
const SMALL_BYTES = 8 * 1024;

export const desyncCases: readonly ConformanceCase<NvxHashDriver>[] = [
  nvxCase({
    id: 'NVX-DESYNC-001',
    level: 'MUST',
    ref: `${RFC_9112_FRAMING}; ${GATEHOUSE_SECURITY}`,
    title: 'a POST with an oversized body made of requests, then a second request on the same connection: the server answers at most those two',
    requires: ['raw-connection'],
    async run(c) {
      const raw = c.driver.raw;
      check(raw !== undefined, 'the driver offers raw-connection but has no raw connection');
      await expectNoDesync(raw.sender, {
        host: raw.host,
        path: raw.pathPrefix + c.fx.resourcePath,
        credential: [['Authorization', `NVX ${c.fx.apiKey}`]],
        bodyBytes: OVERSIZED_BYTES,
        firstCarriesCredential: true,
        firstMethod: 'POST',
      });
    },
  }),
  nvxCase({
    id: 'NVX-DESYNC-002',
    level: 'MUST',
    ref: `${RFC_9112_FRAMING}; ${GATEHOUSE_SECURITY}`,
    title: 'a GET without a hash whose small body is made of requests, then a second request on the same connection: the server answers at most those two',
    requires: ['raw-connection'],
    async run(c) {
      const raw = c.driver.raw;
      check(raw !== undefined, 'the driver offers raw-connection but has no raw connection');
      await expectNoDesync(raw.sender, {
        host: raw.host,
        path: raw.pathPrefix + c.fx.resourcePath,
        credential: [['Authorization', `NVX ${c.fx.apiKey}`]],
        bodyBytes: SMALL_BYTES,
        firstCarriesCredential: false,
        firstMethod: 'GET',
      });
    },
  }),
];
