import { createHash } from 'node:crypto';
import { type NewCredentialRecord } from '@gatehouse/auth-core';
import { newCredentialId } from '@gatehouse/auth-core/strategy';
import { NVX_DEFAULT_MAX_API_KEYS, NVX_STRATEGY_ID } from '@gatehouse/strategy-nvx-hash';

/**
 * The NVX API key of index `i`: 32 hex characters, derived (so a million of them need not be kept to be
 * sampled later) but as unpredictable-looking as a real one.
 */
export function nvxTokenOf(i: number): string {
  return createHash('sha256').update(`gatehouse-bench:${i}`).digest('hex').slice(0, 32);
}

/**
 * The record `createNvxHashManager().issue(owner, { title })` stores for that key: same fields, same id,
 * digest and hint functions; only the hash is derived instead of random.
 */
export function nvxApiKeyRecord(i: number, token: string, digest: (secret: string) => string, perOwner: number, now: number): NewCredentialRecord {
  return {
    id: newCredentialId('nvx'),
    digest: digest(token),
    strategy: NVX_STRATEGY_ID,
    kind: 'api-key',
    ownerId: `user-${Math.floor(i / perOwner)}`,
    parentId: null,
    // A title arrives in a JSON request body: parsed, it is one flat string (a template literal would be a rope).
    label: JSON.parse(`"Integration key ${i}"`) as string,
    hint: token.slice(0, 4),
    scopes: [],
    allowedIps: [],
    sealedSecret: null,
    attributes: { accountType: 'master' },
    createdAt: now,
    expiresAt: null,
  };
}

export const MAX_KEYS_PER_OWNER = NVX_DEFAULT_MAX_API_KEYS;

/** `count` distinct indices from [0, total), spread uniformly (one random index per stride). */
export function sampleIndices(total: number, count: number, random: () => number = Math.random): number[] {
  const n = Math.min(total, count);
  const stride = total / n;
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(Math.min(total - 1, Math.floor(k * stride + random() * stride)));
  // Shuffle so consecutive lookups do not walk the store in insertion order.
  for (let k = out.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    [out[k], out[j]] = [out[j] as number, out[k] as number];
  }
  return out;
}

/**
 * `size` indices into a store of `total` records, in random order: distinct and uniform when the store is at
 * least that large, otherwise every record equally often.
 */
export function poolIndices(total: number, size: number, random: () => number = Math.random): number[] {
  if (total >= size) return sampleIndices(total, size, random);
  const out = Array.from({ length: size }, (_, k) => k % total);
  for (let k = out.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    [out[k], out[j]] = [out[j] as number, out[k] as number];
  }
  return out;
}
