// Only the cookie is a source: the hash in a header, the query, Authorization or the body never gets in.
import type { ConformanceCase } from '../../../case.js';
import { ahcCase, type AccessHashDriver } from '../context.js';
import { REF_COOKIE, REF_SECURITY } from '../refs.js';

export const sourceCases: readonly ConformanceCase<AccessHashDriver>[] = [
  ahcCase(
    'AHC-SRC-001',
    'MUST',
    REF_COOKIE,
    'the hash in a header (`access_hash: <hash>`, `X-Access-Hash`, `Access-Hash`, `X-API-Key`) instead of the cookie never gets in',
    async (c) => {
      const { accessHash: hash, cookieName: name } = c.fx;
      const names = [...new Set([name, 'access_hash', 'x-access-hash', 'access-hash', `x-${name}`, 'x-api-key'])];
      await c.refuseAll('missing', [...names.map((header) => c.withHeaders([[header, hash]])), c.withHeaders([['x-access-hash', hash], ['cookie', 'theme=dark']])]);
    },
    { parameters: ['refusal_status'] },
  ),
  ahcCase(
    'AHC-SRC-002',
    'MUST',
    `${REF_COOKIE}; ${REF_SECURITY} (credentials never in the URL)`,
    'the hash as a query parameter (`?access_hash=`, `?hash=`) instead of the cookie never gets in',
    async (c) => {
      const { accessHash: hash, cookieName: name } = c.fx;
      await c.refuseAll('missing', [
        ...[...new Set([name, 'access_hash', 'hash', 'accessHash'])].map((parameter) => ({ path: c.fx.resourcePath, query: [[parameter, hash]] as const })),
        { path: c.fx.resourcePath, query: [['cookie', c.pair(hash)]] },
      ]);
    },
    { parameters: ['refusal_status'] },
  ),
  ahcCase(
    'AHC-SRC-003',
    'MUST',
    REF_COOKIE,
    'the hash in `Authorization` (`Bearer <hash>`, `access_hash <hash>`, the bare hash, Basic) never gets in',
    async (c) => {
      const { accessHash: hash, cookieName: name } = c.fx;
      await c.refuseAll(
        'missing',
        [`Bearer ${hash}`, `${name} ${hash}`, hash, `Cookie ${c.pair(hash)}`, `Basic ${btoa(`${name}:${hash}`)}`].map((value) => c.withHeaders([['authorization', value]])),
      );
    },
    { parameters: ['refusal_status'] },
  ),
  ahcCase(
    'AHC-SRC-004',
    'MUST',
    REF_COOKIE,
    'an `access_hash` field in a POST body (JSON or urlencoded) never gets in',
    async (c) => {
      const { accessHash: hash, cookieName: name } = c.fx;
      for (const spec of [
        { path: c.fx.resourcePath, json: { [name]: hash } },
        { path: c.fx.resourcePath, form: `${name}=${hash}` },
        { path: c.fx.resourcePath, form: `cookie=${encodeURIComponent(c.pair(hash))}` },
      ]) {
        // The route may not take POST at all (404, 405): only that nothing gets in is checked.
        c.notAccepted(await c.send(spec), 'the hash is read only from the cookie');
      }
    },
  ),
];
