import type { StoreHealth } from '@gatehouse/auth-core';
import { check, show } from '../check.js';

/**
 * Calls a store's `health()` and checks it resolves exactly `{ status: 'ok' }`: a working store must say so, and
 * a probe that rejects would turn a readiness check into a crash.
 *
 * @example
 * ```ts
 * await expectHealthy(store, 'after writes');
 * ```
 */
export async function expectHealthy(store: { health(): Promise<StoreHealth> }, when: string): Promise<void> {
  check(typeof store.health === 'function', 'the store has no health() method');
  let health: unknown;
  try {
    health = await store.health();
  } catch (error) {
    check(false, () => `health() ${when} rejected (${show(error instanceof Error ? error.message : error, 80)}); it must resolve`);
  }
  const status = (health as { status?: unknown } | null)?.status;
  check(status === 'ok', () => `health() ${when}: expected {"status":"ok"}, got ${show(health)}`);
}
