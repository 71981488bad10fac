import { AuthError, createFetchRequestAdapter, createMemoryCredentialStore, createRouteKitHandler, type AuthRequest } from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import { createTemplateKeyManager, createTemplateRoutes, templateKey } from './index.js';

const toAuthRequest = createFetchRequestAdapter();
const ADMIN = { authorization: 'Bearer owner-1' };

function setup() {
  const store = createMemoryCredentialStore();
  const manager = createTemplateKeyManager({ store });
  const authorize = async (request: AuthRequest) => (request.header('authorization') === 'Bearer owner-1' ? 'owner-1' : new AuthError('CREDENTIALS_MISSING'));
  const answer = createRouteKitHandler(createTemplateRoutes({ manager, authorize }));
  const send = async (method: string, path: string, init: { headers?: Record<string, string>; json?: unknown } = {}) => {
    const headers = { ...init.headers, ...(init.json === undefined ? {} : { 'content-type': 'application/json' }) };
    const request = new Request(`http://x${path}`, { method, headers, ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }) });
    return answer(toAuthRequest(request));
  };
  return { store, send };
}

describe('template route kit', () => {
  it('issues a key shown once, lists it without the key, and revokes it: the key then stops working', async () => {
    const { store, send } = setup();
    const issued = await send('POST', '/keys', { headers: ADMIN, json: { label: 'CI' } });
    expect(issued).toMatchObject({ httpStatus: 201, body: { data: { label: 'CI' } } });
    const { id, key } = (issued?.body as { data: { id: string; key: string } }).data;
    const listed = await send('GET', '/keys', { headers: ADMIN });
    expect(listed?.body).toEqual({ data: [expect.objectContaining({ id, label: 'CI' })] });
    expect(JSON.stringify(listed?.body)).not.toContain(key);
    const strategy = templateKey({ store });
    const use = () => strategy.authenticate(toAuthRequest(new Request('http://x/', { headers: { 'x-template-key': key } })));
    expect((await use()).type).toBe('authenticated');
    expect(await send('DELETE', `/keys/${id}`, { headers: ADMIN })).toMatchObject({ httpStatus: 200, body: { data: { id } } });
    expect((await use()).type).toBe('rejected');
    expect(await send('DELETE', `/keys/${id}`, { headers: ADMIN })).toMatchObject({ httpStatus: 404, body: { error: 'API key not found' } });
  });

  it('answers authorize refusals, bad bodies and other methods in the scheme envelope', async () => {
    const { send } = setup();
    expect(await send('GET', '/keys')).toMatchObject({ httpStatus: 401, body: { error: 'API key required' } });
    expect(await send('POST', '/keys', { headers: ADMIN, json: ['not', 'an object'] })).toMatchObject({ httpStatus: 400, body: { error: 'Malformed request' } });
    expect(await send('POST', '/keys', { headers: ADMIN, json: { label: '\u202e' } })).toMatchObject({ httpStatus: 400, body: { error: 'Invalid parameter' } });
    expect(await send('PUT', '/keys', { headers: ADMIN })).toMatchObject({ httpStatus: 405, headers: { allow: 'GET, POST, HEAD' } });
    expect(await send('GET', '/elsewhere', { headers: ADMIN })).toBeNull();
  });

  it('refuses bad options with a ConfigurationError naming them', () => {
    const manager = createTemplateKeyManager({ store: createMemoryCredentialStore() });
    expect(() => createTemplateRoutes({ manager, authorize: 'no' as never })).toThrow(/`authorize`/);
    expect(() => createTemplateRoutes({ manager, authorize: async () => 'x', basePath: 'keys' })).toThrow(/`basePath`/);
    expect(() => createTemplateRoutes({ manager: {} as never, authorize: async () => 'x' })).toThrow(/`manager`/);
  });
});
