import { createFetchRequestAdapter, createNodeRequestAdapterForTests } from './__fixtures__/node-request.js';
import { describe, expect, it } from 'vitest';
import vectors from '../test-vectors/extraction.json' with { type: 'json' };
import { classifyNvxPath, extractNvxHash } from './extract.js';

const toAuthRequest = createFetchRequestAdapter({ maxBodyBytes: 64 * 1024 });

describe('extractNvxHash: published extraction vectors', () => {
  for (const vector of vectors.vectors as Array<{
    name: string;
    url?: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    allowQueryHash?: boolean;
    expect: { type: string; sources?: string[]; code?: string };
  }>) {
    it(`${vector.expect.type === 'found' ? 'accepts' : vector.expect.type === 'none' ? 'finds no hash in' : 'refuses'} ${vector.name}`, async () => {
      const request = toAuthRequest(
        new Request(`http://x${vector.url ?? '/v2/tracker/list'}`, {
          method: vector.method ?? 'GET',
          headers: vector.headers ?? {},
          ...(vector.body === undefined ? {} : { body: vector.body }),
        }),
      );
      const result = await extractNvxHash(request, { allowQueryHash: vector.allowQueryHash ?? false });
      expect(result.type).toBe(vector.expect.type);
      if (result.type === 'found') {
        expect(result.hash).toBe(vectors.hash);
        expect(result.sources).toEqual(vector.expect.sources);
      }
      if (result.type === 'invalid') expect(result.code).toBe(vector.expect.code);
    });
  }
});

describe('extractNvxHash: attacks', () => {
  const hash = vectors.hash;

  it('rejects two Authorization header lines as ambiguous, even when they are equal', async () => {
    const request = await createNodeRequestAdapterForTests([
      ['Authorization', `NVX ${hash}`],
      ['Authorization', `NVX ${hash}`],
    ]);
    expect(await extractNvxHash(request, { allowQueryHash: false })).toEqual({ type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' });
  });

  it('rejects an NVX header next to an Authorization line of another scheme', async () => {
    const request = await createNodeRequestAdapterForTests([
      ['Authorization', 'Bearer abc'],
      ['Authorization', `NVX ${hash}`],
    ]);
    expect(await extractNvxHash(request, { allowQueryHash: false })).toEqual({ type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' });
  });

  it('refuses a 1 MB hash in the header without a store lookup', async () => {
    const request = toAuthRequest(new Request('http://x/v2/tracker/list', { headers: { authorization: `NVX ${'a'.repeat(1 << 20)}` } }));
    expect(await extractNvxHash(request, { allowQueryHash: false })).toEqual({ type: 'invalid', code: 'CREDENTIALS_MALFORMED' });
  });

  it('refuses a 1 MB body as too large rather than reading it', async () => {
    const request = toAuthRequest(
      new Request('http://x/v2/tracker/list', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hash: 'a'.repeat(1 << 20) }) }),
    );
    expect(await extractNvxHash(request, { allowQueryHash: false })).toEqual({ type: 'invalid', code: 'REQUEST_TOO_LARGE' });
  });

  it('refuses a body that is not valid JSON as a malformed request', async () => {
    const request = toAuthRequest(new Request('http://x/v2/tracker/list', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hash":' }));
    expect(await extractNvxHash(request, { allowQueryHash: false })).toEqual({ type: 'invalid', code: 'REQUEST_MALFORMED' });
  });

  it('refuses a body consumed before authentication with INTERNAL_ERROR and a cause, never as malformed or absent', async () => {
    for (const headers of [{ 'content-type': 'application/json' }, { 'content-type': 'application/json', authorization: `NVX ${hash}` }]) {
      const consumed = new Request('http://x/v2/tracker/list', { method: 'POST', headers, body: JSON.stringify({ hash }) });
      await consumed.json();
      const result = await extractNvxHash(toAuthRequest(consumed), { allowQueryHash: false });
      expect(result).toMatchObject({ type: 'invalid', code: 'INTERNAL_ERROR' });
      expect(result.type === 'invalid' && result.cause?.message).toMatch(/consumed before authentication/);
    }
  });

  it('rejects a query hash even next to a valid header when query hashes are off', async () => {
    const request = toAuthRequest(new Request(`http://x/v2/tracker/list?hash=${hash}`, { headers: { authorization: `NVX ${hash}` } }));
    expect(await extractNvxHash(request, { allowQueryHash: false })).toEqual({ type: 'invalid', code: 'CREDENTIALS_NOT_ACCEPTED_HERE' });
  });

  it('rejects a query hash sent twice with different values', async () => {
    const request = toAuthRequest(new Request(`http://x/v2/tracker/list?hash=${hash}&hash=${vectors.other}`));
    expect(await extractNvxHash(request, { allowQueryHash: true })).toEqual({ type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' });
  });

  it('does not pollute Object.prototype through a __proto__ body', async () => {
    const request = toAuthRequest(
      new Request('http://x/v2/tracker/list', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"__proto__":{"hash":"${hash}","polluted":true}}` }),
    );
    await extractNvxHash(request, { allowQueryHash: false });
    expect(({} as Record<string, unknown>)['hash']).toBeUndefined();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('classifyNvxPath', () => {
  const sessions = new Set(['/api/key/list']);
  it('treats every spelling of a panel path as a panel path', () => {
    for (const path of ['/v2/panel/tariff/list', '/v2//panel/tariff/list', '/V2/PANEL/tariff/list', '/v2/%70anel/tariff/list', '/v2/panel%2Ftariff%2Flist', '/v2/panel', '/other/panel/x']) {
      expect(classifyNvxPath(path, '/v2', sessions)).toBe('panel');
    }
  });

  it('recognises key-management paths exactly, with or without a trailing slash', () => {
    expect(classifyNvxPath('/v2/api/key/list', '/v2', sessions)).toBe('key-management');
    expect(classifyNvxPath('/v2/api/key/list/', '/v2', sessions)).toBe('key-management');
    expect(classifyNvxPath('/v2/api/key/list2', '/v2', sessions)).toBe('user');
    expect(classifyNvxPath('/v2/tracker/list', '/v2', sessions)).toBe('user');
  });

  it('returns null for a path that cannot be percent-decoded', () => {
    expect(classifyNvxPath('/v2/%zz', '/v2', sessions)).toBeNull();
  });

  it('returns null for dot segments or backslashes that appear only after decoding', () => {
    for (const path of ['/v2/tracker/..%2Fpanel/tariff/list', '/v2/tracker/%2e%2e/panel/x', '/v2/%2e/tracker/list', '/v2/tracker%5c..%5cpanel']) {
      expect(classifyNvxPath(path, '/v2', sessions)).toBeNull();
    }
  });
});

describe('a hash sent twice in one JSON body', () => {
  it('is ambiguous whether the two values differ or not, never judged by one and used as the other', async () => {
    const toAuthRequest = createFetchRequestAdapter();
    const key = 'c915157ac483e7319b0b257408bc04e1';
    for (const body of [`{"hash":"${'0'.repeat(32)}","hash":"${key}"}`, `{"hash":"${key}","hash":"${key}"}`]) {
      const request = toAuthRequest(new Request('http://x/v2/tracker/list', { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
      expect(await extractNvxHash(request, { allowQueryHash: false })).toMatchObject({ type: 'invalid', code: 'CREDENTIALS_AMBIGUOUS' });
    }
  });
});
