import { createFetchRequestAdapter, createManualClock, createMemoryCredentialStore, createMemoryEphemeralStore } from '@gatehouse/auth-core';
import { createSecretSealer } from '@gatehouse/auth-core/crypto';
import { describe, expect, it, vi } from 'vitest';
import { createHmacKeyManager, hmacSignature, signAuthenticateUser } from './index.js';

// Counts the signature comparisons the verifier makes, without changing what they answer.
const checks = vi.hoisted(() => ({ count: 0 }));
vi.mock('./signature.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('./signature.js')>();
  return {
    ...original,
    signatureMatchesWith: (...args: Parameters<typeof original.signatureMatchesWith>) => {
      checks.count++;
      return original.signatureMatchesWith(...args);
    },
  };
});

const toAuthRequest = createFetchRequestAdapter();
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('hmacSignature: every secret of a key is checked, whichever matches', () => {
  it('compares the signature with the current and the previous secret during an overlap, with the current one alone otherwise', async () => {
    const store = createMemoryCredentialStore();
    const clock = createManualClock(NOW);
    const sealer = createSecretSealer([new Uint8Array(32).fill(5)]);
    const verifier = hmacSignature({ store, sealer, clock, ephemeralStore: createMemoryEphemeralStore({ clock }) });
    const manager = createHmacKeyManager({ store, sealer, clock });
    const created = await manager.issue('1', {});
    if (!created.ok) throw created.error;
    const key = created.value;
    /** How many comparisons one AuthenticateUser signed with `apiSecret` costs, and its outcome. */
    const attempt = async (apiSecret: string, nonce: string) => {
      checks.count = 0;
      const { headers } = signAuthenticateUser({ apiKey: key.APIKey, apiSecret, userId: '1', nonce });
      const outcome = await verifier.authenticate(toAuthRequest(new Request('http://x/AuthenticateUser', { method: 'POST', headers }), { remoteAddress: '127.0.0.1' }));
      return [outcome.type, checks.count];
    };
    expect(await attempt(key.APISecret, 'n-1')).toEqual(['authenticated', 1]);
    const rotated = await manager.rotate('1', { id: key.id }, { overlapInSeconds: 600 });
    if (!rotated.ok) throw rotated.error;
    expect(await attempt(rotated.value.APISecret, 'n-2')).toEqual(['authenticated', 2]);
    expect(await attempt(key.APISecret, 'n-3')).toEqual(['authenticated', 2]);
    expect(await attempt('0'.repeat(64), 'n-4')).toEqual(['rejected', 2]);
    clock.advanceBySeconds(600);
    expect(await attempt(rotated.value.APISecret, 'n-5')).toEqual(['authenticated', 1]);
  });
});
