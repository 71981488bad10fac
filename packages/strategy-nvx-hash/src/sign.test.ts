import { createFetchRequestAdapter, createMemoryCredentialStore } from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import { createNvxHashManager, nvxAuthorization, nvxHash, signNvxRequest, type NvxHashPlacement } from './index.js';

const toAuthRequest = createFetchRequestAdapter();

describe('signNvxRequest', () => {
  it('puts the hash in each of the three places, and the strategy accepts each', async () => {
    const store = createMemoryCredentialStore();
    const manager = createNvxHashManager({ store });
    const strategy = nvxHash({ store, allowQueryHash: true });
    const created = await manager.issue({ id: 'u', accountType: 'master' }, { title: 'CI' });
    if (!created.ok) throw created.error;
    for (const placement of ['header', 'body', 'query'] as NvxHashPlacement[]) {
      const signed = await signNvxRequest(new Request('http://x/v2/tracker/list'), created.value.hash, { placement });
      expect((await strategy.authenticate(toAuthRequest(signed))).type, placement).toBe('authenticated');
    }
  });

  it('prefers the header', async () => {
    const signed = await signNvxRequest(new Request('http://x/v2/tracker/list'), 'c915157ac483e7319b0b257408bc04e1');
    expect(signed.headers.get('authorization')).toBe('NVX c915157ac483e7319b0b257408bc04e1');
    expect(new URL(signed.url).search).toBe('');
  });

  it('merges the hash into an existing JSON body or form body', async () => {
    const hash = 'c915157ac483e7319b0b257408bc04e1';
    const json = await signNvxRequest(new Request('http://x/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"param1":"value1"}' }), hash, { placement: 'body' });
    expect(await json.json()).toEqual({ param1: 'value1', hash });
    const form = await signNvxRequest(new Request('http://x/', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'title=Integration+Key' }), hash, { placement: 'body' });
    expect(await form.text()).toBe(`title=Integration+Key&hash=${hash}`);
  });

  it("keeps every key of the caller's JSON body, constructor and __proto__ included", async () => {
    const hash = 'c915157ac483e7319b0b257408bc04e1';
    const signed = await signNvxRequest(new Request('http://x/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"constructor":"c","__proto__":{"p":1}}' }), hash, { placement: 'body' });
    expect(await signed.text()).toBe(`{"constructor":"c","__proto__":{"p":1},"hash":"${hash}"}`);
    expect(({} as Record<string, unknown>)['p']).toBeUndefined();
  });

  it('refuses a hash that is not 32 hex characters', async () => {
    expect(() => nvxAuthorization('abc')).toThrow(TypeError);
    await expect(signNvxRequest(new Request('http://x/'), 'abc')).rejects.toThrow(TypeError);
  });

  it('refuses to put a hash into a body that is neither JSON nor a form', async () => {
    const request = new Request('http://x/', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
    await expect(signNvxRequest(request, 'c915157ac483e7319b0b257408bc04e1', { placement: 'body' })).rejects.toThrow(/text\/plain/);
  });
});
