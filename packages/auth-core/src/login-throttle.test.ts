import { describe, expect, it } from 'vitest';
import { createManualClock } from './clock.js';
import { createLoginThrottle } from './login-throttle.js';
import { createMemoryEphemeralStore } from './memory-stores.js';

const wrong = async (): Promise<null> => null;
const right = async (): Promise<{ id: number }> => ({ id: 1 });

describe('createLoginThrottle', () => {
  it('stops one login after maxFailures failures from many addresses, the right password included, until the window ends', async () => {
    const clock = createManualClock(0);
    const throttle = createLoginThrottle(createMemoryEphemeralStore({ clock }), { maxFailures: 3, windowInSeconds: 60 });
    for (let i = 1; i <= 3; i++) expect(await throttle.attempt(`198.51.100.${i}`, 'admin', wrong)).toEqual({ throttled: false, account: null });
    expect(await throttle.attempt('198.51.100.9', 'admin', right)).toEqual({ throttled: true });
    expect(await throttle.attempt('198.51.100.9', 'demo', right)).toEqual({ throttled: false, account: { id: 1 } });
    clock.advanceBySeconds(61);
    expect(await throttle.attempt('198.51.100.9', 'admin', right)).toEqual({ throttled: false, account: { id: 1 } });
  });

  it('stops one address after maxFailures failures, whatever logins it tries', async () => {
    const throttle = createLoginThrottle(createMemoryEphemeralStore(), { maxFailures: 2 });
    await throttle.attempt('203.0.113.1', 'a', wrong);
    await throttle.attempt('203.0.113.1', 'b', wrong);
    expect(await throttle.attempt('203.0.113.1', 'c', right)).toEqual({ throttled: true });
    expect((await throttle.attempt('203.0.113.2', 'c', right)).throttled).toBe(false);
  });

  it('checks at most maxFailures of many parallel guesses', async () => {
    const throttle = createLoginThrottle(createMemoryEphemeralStore(), { maxFailures: 3 });
    let checked = 0;
    const slowWrong = async (): Promise<null> => {
      checked++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return null;
    };
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => throttle.attempt(`192.0.2.${i}`, 'admin', slowWrong)));
    expect(checked).toBeLessThanOrEqual(3);
    expect(results.filter((result) => result.throttled)).toHaveLength(12 - checked);
  });

  it('keeps no login name in the store', async () => {
    const keys: string[] = [];
    const store = createMemoryEphemeralStore();
    const recording = { ...store, increment: (key: string, ttl: number) => (keys.push(key), store.increment(key, ttl)) };
    await createLoginThrottle(recording).attempt('192.0.2.1', 'secret-login-name', wrong);
    expect(keys).toHaveLength(2);
    expect(keys.join(' ')).not.toContain('secret-login-name');
  });

  it('refuses bad options with a ConfigurationError naming them', () => {
    expect(() => createLoginThrottle({} as never)).toThrow(/`store`/);
    expect(() => createLoginThrottle(createMemoryEphemeralStore(), { maxFailures: 0 })).toThrow(/`maxFailures`/);
    expect(() => createLoginThrottle(createMemoryEphemeralStore(), { windowInSeconds: -1 })).toThrow(/`windowInSeconds`/);
  });
});
