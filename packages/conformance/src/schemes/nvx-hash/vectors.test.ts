// vectors/nvx-hash/requests.json read as nvx-hash@2 states it: every vector names a case and parameters of the
// profile; the reference gives `expect` under the default parameters; every honest variant refuses the vectors
// marked `must: "refused"`, whatever it declares.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateHexToken } from '@gatehouse/auth-core/crypto';
import { describe, expect, it } from 'vitest';
import { buildWireRequest, type WireRequestSpec } from '../../profiles/wire-request.js';
import { createNvxReference, type NvxChoices } from './__fixtures__/reference.js';
import { nvxHashV2, nvxInProcessDriver, NVX_PARAMETERS } from './index.js';
import { isAccepted } from './wire.js';

interface NvxVector {
  readonly case: string;
  readonly description: string;
  readonly when?: 'query-hash-enabled' | 'query-hash-disabled';
  readonly must?: 'refused';
  readonly parameters?: readonly string[];
  readonly request: WireRequestSpec & { readonly method: string };
  readonly expect: { readonly status: number; readonly success?: true; readonly code?: number; readonly description?: string; readonly body?: unknown };
}

const file = JSON.parse(readFileSync(fileURLToPath(new URL('../../../vectors/nvx-hash/requests.json', import.meta.url)), 'utf8')) as { vectors: NvxVector[] };

function fill<T>(value: T, values: Readonly<Record<string, string>>): T {
  if (typeof value === 'string') {
    return value.replace(/\{([A-Za-z]+)(\|upper)?\}/g, (match, name: string, upper: string | undefined) => {
      const replacement = values[name];
      if (replacement === undefined) throw new Error(`unknown placeholder ${match}`);
      return upper === undefined ? replacement : replacement.toUpperCase();
    }) as T;
  }
  if (Array.isArray(value)) return value.map((item: unknown) => fill(item, values)) as T;
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, fill(inner, values)])) as T;
  return value;
}

async function replay(choices: NvxChoices, check: (vector: NvxVector, reply: { status: number; body: unknown }) => void): Promise<number> {
  const driver = nvxInProcessDriver(createNvxReference({ choices }));
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
    if (vector.when !== undefined && vector.when !== `query-hash-${choices.queryHash ?? 'disabled'}`) continue;
    check(vector, await driver.send(buildWireRequest(fill(vector.request, values))));
    replayed++;
  }
  return replayed;
}

describe('vectors/nvx-hash/requests.json under nvx-hash@2', () => {
  it('names a case and parameters of nvx-hash@2 in every vector', () => {
    const ids = new Set(nvxHashV2.cases.map((testCase) => testCase.id));
    const names = new Set(NVX_PARAMETERS.map((spec) => spec.name));
    for (const vector of file.vectors) {
      expect(ids.has(vector.case), vector.case).toBe(true);
      for (const name of vector.parameters ?? []) expect(names.has(name), `${vector.case}: ${name}`).toBe(true);
    }
  });

  it.each(['enabled', 'disabled'] as const)('every vector gets `expect` from the reference under the defaults (query hashes %s)', async (queryHash) => {
    const replayed = await replay({ queryHash }, (vector, reply) => {
      const label = `${vector.case} ${vector.description}`;
      expect(reply.status, label).toBe(vector.expect.status);
      const body = reply.body as { success?: unknown; status?: { code?: unknown; description?: unknown } };
      if (vector.expect.success === true) expect(body.success, label).toBe(true);
      else expect([body.success, body.status?.code, body.status?.description], label).toEqual([false, vector.expect.code, vector.expect.description]);
      if (vector.expect.body !== undefined) expect(reply.body, label).toEqual(vector.expect.body);
    });
    expect(replayed).toBeGreaterThanOrEqual(30);
  });

  it.each([
    ['codes 4/13/5, forms ignored', { unknownHashCode: 4, wrongKindCode: 13, ambiguousCode: 5, queryRefusedCode: 3, formBody: 'ignored' }],
    ['precedence, session hashes allowed, query on, lower-case hex', { sourceConflict: 'precedence', sessionHashOnUserApi: 'allowed', duplicateJsonKeys: 'last', queryHash: 'enabled', hexCase: 'lower' }],
  ] as const)('every `must: "refused"` vector is refused by an honest variant (%s)', async (_name, choices) => {
    await replay(choices, (vector, reply) => {
      if (vector.must === 'refused') expect(isAccepted(reply), `${vector.case} ${vector.description}`).toBe(false);
    });
  });
});
