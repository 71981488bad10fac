// Request framing: a body the server does not read (too large, or refused before it is read) must be skipped,
// never parsed as requests of its own that carry the live cookie.
import type { ConformanceCase } from '../../../case.js';
import { check } from '../../../check.js';
import { expectNoDesync, type DesyncProbe } from '../../../profiles/desync.js';
import { ahcCase, type AccessHashDriver, type AhcContext } from '../context.js';
import { REF_COOKIE, REF_SMUGGLING } from '../refs.js';

const KIB = 1024;

async function probe(c: AhcContext, options: Pick<DesyncProbe, 'bodyBytes' | 'firstCarriesCredential' | 'firstMethod'>): Promise<void> {
  const raw = c.driver.rawConnection;
  check(raw !== undefined, 'the driver offers capability raw-connection but has no rawConnection');
  await expectNoDesync(raw.sender, {
    host: raw.host,
    path: raw.basePath + c.fx.resourcePath,
    credential: [['Cookie', c.pair(c.fx.accessHash)]],
    ...options,
  });
}

export const desyncCases: readonly ConformanceCase<AccessHashDriver>[] = [
  ahcCase(
    'AHC-DESYNC-001',
    'MUST',
    `${REF_SMUGGLING}; ${REF_COOKIE}`,
    'a POST with a 2 MiB body (carrying the live cookie) and a request pipelined after it: no request is parsed out of the body',
    async (c) => {
      await probe(c, { bodyBytes: 2048 * KIB, firstCarriesCredential: true, firstMethod: 'POST' });
    },
    { requires: ['raw-connection'] },
  ),
  ahcCase(
    'AHC-DESYNC-002',
    'MUST',
    `${REF_SMUGGLING}; ${REF_COOKIE}`,
    'a GET or POST with a small body and no cookie (refused before its body is read), then a pipelined request: no request is parsed out of the body',
    async (c) => {
      await probe(c, { bodyBytes: 8 * KIB, firstCarriesCredential: false, firstMethod: 'GET' });
      await probe(c, { bodyBytes: 8 * KIB, firstCarriesCredential: false, firstMethod: 'POST' });
    },
    { requires: ['raw-connection'] },
  ),
];
