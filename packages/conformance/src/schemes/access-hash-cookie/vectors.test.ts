// The JSON vectors of vectors/access-hash-cookie/: each names a case of access-hash-cookie@2, gets its expected
// status from the reference under the default parameters, and its `must: "refused"` holds for every honest variant.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildWireRequest } from '../../profiles/wire-request.js';
import { createAccessHashReference, type AccessHashChoices } from './__fixtures__/reference.js';
import { freshHash } from './fixtures.js';
import { accessHashCookieV2, accessHashInProcessDriver, ACCESS_HASH_PARAMETERS } from './index.js';
import { isAccepted } from './wire.js';

interface CookieVector {
  readonly case: string;
  readonly description: string;
  readonly cookie: string | readonly string[] | null;
  readonly headers?: readonly (readonly [string, string])[];
  readonly expectedStatus: readonly number[];
  readonly must?: 'refused';
  readonly parameters?: readonly string[];
}

const file = JSON.parse(readFileSync(fileURLToPath(new URL('../../../vectors/access-hash-cookie/cookies.json', import.meta.url)), 'utf8')) as {
  source: string;
  request: { method: string; path: string };
  placeholders: Record<string, string>;
  vectors: CookieVector[];
};

function fill(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\{([A-Za-z]+)(\|upper)?\}/g, (_match, name: string, upper: string | undefined) => {
    const value = values[name] as string;
    return upper === undefined ? value : value.toUpperCase();
  });
}

async function replay(choices: AccessHashChoices): Promise<{ vector: CookieVector; status: number; accepted: boolean }[]> {
  const driver = accessHashInProcessDriver(createAccessHashReference({ choices }));
  const fixtures = await driver.setup();
  const values = {
    hash: fixtures.accessHash,
    foreignHash: fixtures.foreignAccessHash,
    foreignIp: fixtures.foreignIp,
    revokedHash: fixtures.revokedAccessHash as string,
    unknownHash: freshHash(fixtures.accessHash.length, [fixtures.accessHash]),
  };
  const replies = [];
  for (const vector of file.vectors) {
    const cookies = vector.cookie === null ? [] : typeof vector.cookie === 'string' ? [vector.cookie] : vector.cookie;
    const headers = [...cookies.map((cookie) => ['cookie', cookie] as const), ...(vector.headers ?? [])].map(([name, value]) => [name, fill(value, values)] as const);
    const reply = await driver.send(buildWireRequest({ method: file.request.method, path: file.request.path, headers }), { remoteAddress: fixtures.clientIp });
    replies.push({ vector, status: reply.status, accepted: isAccepted(reply) });
  }
  return replies;
}

describe('vectors/access-hash-cookie/cookies.json', () => {
  it('cites the document and access-hash-cookie@2; every vector names a case, known placeholders and parameters', () => {
    expect(file.source).toMatch(/PUQ VPN control panel \(PUQVPNCP\) documentation, "API Access Hashs".*access-hash-cookie@2/);
    const caseIds = new Set(accessHashCookieV2.cases.map((testCase) => testCase.id));
    const parameterNames = ACCESS_HASH_PARAMETERS.map((spec) => spec.name);
    for (const vector of file.vectors) {
      expect(caseIds.has(vector.case), vector.case).toBe(true);
      expect(vector.expectedStatus.length).toBeGreaterThan(0);
      for (const name of vector.parameters ?? []) expect(parameterNames).toContain(name);
      // A refusal's status is the server's declared choice: the document gives none.
      if (!vector.expectedStatus.includes(200)) expect(vector.parameters ?? []).toContain('refusal_status');
      for (const match of JSON.stringify([vector.cookie, vector.headers ?? []]).matchAll(/\{([A-Za-z]+)(?:\|upper)?\}/g)) {
        expect(Object.keys(file.placeholders), match[0]).toContain(`{${match[1]}}`);
      }
    }
  });

  it('every vector gets an expected status from the reference server under the default parameters', async () => {
    for (const { vector, status } of await replay({})) expect(vector.expectedStatus, `${vector.case} ${vector.description}: got ${status}`).toContain(status);
  });

  it('no honest variant lets in a vector marked must: "refused"; each answers the vectors no parameter touches as stated', async () => {
    const variants: AccessHashChoices[] = [
      { whitespace: 'trim', refusalStatus: 403 },
      { duplicates: 'first', hexCase: 'any', quotes: 'strip', foreignIpReply: 'same-as-invalid' },
      { duplicates: 'last', refusalStatus: 401, upperCaseStatus: true },
    ];
    for (const choices of variants) {
      for (const { vector, status, accepted } of await replay(choices)) {
        if (vector.must === 'refused') expect(accepted, `${vector.case} ${vector.description}`).toBe(false);
        if (vector.parameters === undefined) expect(vector.expectedStatus, `${vector.case} ${vector.description}`).toContain(status);
      }
    }
  });
});
