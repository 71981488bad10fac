// The JSON test vectors shipped in `vectors/`: every file parses and has its `source` first; the HMAC vectors are
// right by three independent implementations (auth-core, Node's crypto, the openssl command) plus Web Crypto; the
// NVX and access-hash vectors are replayed against the kit's reference servers and get the expected replies, and
// each names a case of its profile.
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeHex, generateHexToken, hmacSha256 } from '@gatehouse/auth-core/crypto';
import { describe, expect, it } from 'vitest';
import { createAccessHashReference } from '../__fixtures__/access-hash-reference.js';
import { createNvxReference } from '../__fixtures__/nvx-reference.js';
import { accessHashInProcessDriver } from '../drivers/access-hash-in-process.js';
import { nvxInProcessDriver } from '../drivers/nvx-in-process.js';
import { accessHashCookieV1 } from '../profiles/access-hash-cookie.js';
import { hmacSignatureV1 } from '../profiles/hmac-signature.js';
import { nvxHashV1 } from '../profiles/nvx-hash.js';
import { buildWireRequest, type WireRequestSpec } from '../profiles/wire-request.js';

const VECTORS = fileURLToPath(new URL('../../vectors/', import.meta.url));

function jsonFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return jsonFiles(path);
    return entry.name.endsWith('.json') ? [path] : [];
  });
}

const read = <T>(path: string): T => JSON.parse(readFileSync(join(VECTORS, path), 'utf8')) as T;

/** Replaces `{name}` and `{name|upper}` in every string of a JSON value. */
function fill<T>(value: T, values: Readonly<Record<string, string>>): T {
  if (typeof value === 'string') {
    return value.replace(/\{([A-Za-z]+)(\|upper)?\}/g, (match, name: string, upper: string | undefined) => {
      const replacement = values[name];
      if (replacement === undefined) throw new Error(`unknown placeholder ${match}`);
      return upper === undefined ? replacement : replacement.toUpperCase();
    }) as T;
  }
  if (Array.isArray(value)) return value.map((item: unknown) => fill(item, values)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, fill(inner, values)])) as T;
  }
  return value;
}

const opensslAvailable = ((): boolean => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('vectors/', () => {
  const files = jsonFiles(VECTORS).map((path) => relative(VECTORS, path).split('\\').join('/'));

  it('holds the three vector files and a README', () => {
    expect(files.sort()).toEqual(['access-hash-cookie/cookies.json', 'hmac-signature/signatures.json', 'nvx-hash/requests.json']);
    expect(readFileSync(join(VECTORS, 'README.md'), 'utf8')).toContain('# Test vectors');
  });

  it.each(files)('%s parses, names its source first, describes its format and has vectors', (file) => {
    const parsed = read<Record<string, unknown>>(file);
    expect(Object.keys(parsed)[0]).toBe('source');
    expect(typeof parsed['source']).toBe('string');
    expect((parsed['source'] as string).length).toBeGreaterThan(20);
    expect(typeof parsed['format']).toBe('string');
    expect(Array.isArray(parsed['vectors'])).toBe(true);
    expect((parsed['vectors'] as unknown[]).length).toBeGreaterThanOrEqual(5);
  });
});

interface HmacVector {
  readonly description: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly userId: string;
  readonly nonce: string;
  readonly message: string;
  readonly signature: string;
  readonly signatureUpperCase: string;
}

describe('vectors/hmac-signature/signatures.json', () => {
  const file = read<{ notes: string[]; reproduce: string; vectors: HmacVector[] }>('hmac-signature/signatures.json');

  it('has at least 5 vectors with string inputs, a note on upper-case signatures and the openssl recipe', () => {
    expect(file.vectors.length).toBeGreaterThanOrEqual(5);
    for (const vector of file.vectors) {
      for (const key of ['description', 'apiKey', 'apiSecret', 'userId', 'nonce', 'message', 'signature', 'signatureUpperCase'] as const) {
        expect(typeof vector[key]).toBe('string');
      }
    }
    expect(file.notes.some((note) => /upper case/i.test(note) && /case-insensitive/i.test(note))).toBe(true);
    expect(file.reproduce).toBe('printf %s "$NONCE$USERID$APIKEY" | openssl dgst -sha256 -hmac "$APISECRET"');
    for (const id of ['HMAC-SIG-001', 'HMAC-SIG-003', 'HMAC-SIG-004', 'HMAC-USER-001', 'HMAC-USER-002']) {
      expect(hmacSignatureV1.cases.some((testCase) => testCase.id === id)).toBe(true);
      expect(file.notes.join(' ')).toContain(id);
    }
  });

  it.each(file.vectors.map((vector, index) => [index, vector] as const))('vector %i: message = Nonce + UserId + APIKey', (_index, vector) => {
    expect(vector.message).toBe(vector.nonce + vector.userId + vector.apiKey);
  });

  it.each(file.vectors.map((vector, index) => [index, vector] as const))('vector %i: the signature is right by auth-core, node:crypto and Web Crypto', async (_index, vector) => {
    expect(vector.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(vector.signatureUpperCase).toBe(vector.signature.toUpperCase());
    expect(encodeHex(hmacSha256(vector.apiSecret, vector.message))).toBe(vector.signature);
    expect(createHmac('sha256', Buffer.from(vector.apiSecret, 'utf8')).update(vector.message, 'utf8').digest('hex')).toBe(vector.signature);
    const encoder = new TextEncoder();
    const key = await crypto.subtle.importKey('raw', encoder.encode(vector.apiSecret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    expect(encodeHex(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(vector.message))))).toBe(vector.signature);
  });

  it.skipIf(!opensslAvailable).each(file.vectors.map((vector, index) => [index, vector] as const))(
    'vector %i: the signature is what `openssl dgst -sha256 -hmac` computes',
    (_index, vector) => {
      const output = execFileSync('openssl', ['dgst', '-sha256', '-hmac', vector.apiSecret], { input: vector.message, encoding: 'utf8' });
      expect(output.trim().split(/\s+/).at(-1)).toBe(vector.signature);
    },
  );

  it('shows the Nonce + UserId ambiguity: two vectors, one message, one signature', () => {
    const byMessage = new Map<string, HmacVector[]>();
    for (const vector of file.vectors) byMessage.set(vector.message, [...(byMessage.get(vector.message) ?? []), vector]);
    const shared = [...byMessage.values()].find((vectors) => vectors.length === 2);
    expect(shared?.[0]?.userId).not.toBe(shared?.[1]?.userId);
    expect(shared?.[0]?.signature).toBe(shared?.[1]?.signature);
  });
});

interface NvxVector {
  readonly case: string;
  readonly description: string;
  readonly when?: 'query-hash-enabled' | 'query-hash-disabled';
  readonly request: WireRequestSpec & { readonly method: string };
  readonly expect: { readonly status: number; readonly success?: true; readonly code?: number; readonly description?: string; readonly body?: unknown };
}

describe('vectors/nvx-hash/requests.json', () => {
  const file = read<{ placeholders: Record<string, string>; vectors: NvxVector[] }>('nvx-hash/requests.json');
  const caseIds = new Set(nvxHashV1.cases.map((testCase) => testCase.id));

  it('names a case of nvx-hash@1 in every vector, and every placeholder it uses is documented', () => {
    for (const vector of file.vectors) {
      expect(caseIds.has(vector.case), vector.case).toBe(true);
      for (const match of JSON.stringify(vector.request).matchAll(/\{([A-Za-z]+)(?:\|upper)?\}/g)) {
        expect(Object.keys(file.placeholders), match[0]).toContain(`{${match[1]}}`);
      }
    }
  });

  it.each(['enabled', 'disabled'] as const)('every vector gets the expected reply from the reference server (query hashes %s)', async (queryHash) => {
    const driver = nvxInProcessDriver(createNvxReference({ queryHash }));
    const fixtures = await driver.setup();
    const values = {
      apiKey: fixtures.apiKey,
      userSessionHash: fixtures.userSessionHash,
      panelSessionHash: fixtures.panelSessionHash,
      revokedApiKey: fixtures.revokedApiKey,
      unknownHash: generateHexToken(16),
      resource: '/v2/tracker/list',
      panelResource: '/v2/panel/tariff/list',
      keyManagement: '/v2/api/key/list',
    };
    let replayed = 0;
    for (const vector of file.vectors) {
      if (vector.when !== undefined && vector.when !== `query-hash-${queryHash}`) continue;
      const reply = await driver.send(buildWireRequest(fill(vector.request, values)));
      const label = `${vector.case} ${vector.description}`;
      expect(reply.status, label).toBe(vector.expect.status);
      const body = reply.body as { success?: unknown; status?: { code?: unknown; description?: unknown } };
      if (vector.expect.success === true) expect(body.success, label).toBe(true);
      else {
        expect(body.success, label).toBe(false);
        expect(body.status?.code, label).toBe(vector.expect.code);
        expect(body.status?.description, label).toBe(vector.expect.description);
      }
      if (vector.expect.body !== undefined) expect(reply.body, label).toEqual(vector.expect.body);
      replayed++;
    }
    expect(replayed).toBeGreaterThanOrEqual(30);
  });
});

interface CookieVector {
  readonly case: string;
  readonly description: string;
  readonly cookie: string | readonly string[] | null;
  readonly headers?: readonly (readonly [string, string])[];
  readonly expectedStatus: readonly number[];
}

describe('vectors/access-hash-cookie/cookies.json', () => {
  const file = read<{ request: { method: string; path: string }; placeholders: Record<string, string>; vectors: CookieVector[] }>('access-hash-cookie/cookies.json');
  const caseIds = new Set(accessHashCookieV1.cases.map((testCase) => testCase.id));

  it('names a case of access-hash-cookie@1 in every vector, with a list of statuses', () => {
    for (const vector of file.vectors) {
      expect(caseIds.has(vector.case), vector.case).toBe(true);
      expect(vector.expectedStatus.length).toBeGreaterThan(0);
      for (const match of JSON.stringify([vector.cookie, vector.headers ?? []]).matchAll(/\{([A-Za-z]+)(?:\|upper)?\}/g)) {
        expect(Object.keys(file.placeholders), match[0]).toContain(`{${match[1]}}`);
      }
    }
  });

  it('every vector gets an expected status from the reference server', async () => {
    const driver = accessHashInProcessDriver(createAccessHashReference());
    const fixtures = await driver.setup();
    const values = {
      hash: fixtures.accessHash,
      foreignHash: fixtures.foreignAccessHash,
      foreignIp: fixtures.foreignIp,
      revokedHash: fixtures.revokedAccessHash as string,
      unknownHash: generateHexToken(40),
    };
    for (const vector of file.vectors) {
      const cookies = vector.cookie === null ? [] : typeof vector.cookie === 'string' ? [vector.cookie] : vector.cookie;
      const headers = [...cookies.map((cookie) => ['cookie', cookie] as const), ...(vector.headers ?? [])];
      const request = buildWireRequest({ method: file.request.method, path: file.request.path, headers: fill(headers, values) });
      const reply = await driver.send(request, { remoteAddress: fixtures.clientIp });
      expect(vector.expectedStatus, `${vector.case} ${vector.description}: got ${reply.status}`).toContain(reply.status);
    }
  });
});
