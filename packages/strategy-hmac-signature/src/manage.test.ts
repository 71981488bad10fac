import { AuthError, createMemoryCredentialStore, createSecretSealer, type AuthEvent } from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import { createHmacKeyManager, exportHmacKeyJson, renderApexError, renderAuthenticateUserSuccess, HMAC_WIRE_ERRORS } from './index.js';

const sealer = createSecretSealer([new Uint8Array(32).fill(3)]);

function setup() {
  const store = createMemoryCredentialStore();
  const events: AuthEvent[] = [];
  const manager = createHmacKeyManager({ store, sealer, permissions: ['Trading', 'Deposit', 'Withdraw'], onEvent: (event) => events.push(event) });
  return { store, events, manager };
}

describe('createHmacKeyManager', () => {
  it('returns APIKey, APISecret, Nonce and UserId once, and stores the secret only sealed', async () => {
    const { manager, store } = setup();
    const created = await manager.createKey('1', { permissions: ['Trading', 'Deposit'], allowedIps: ['203.0.113.0/24'] });
    if (!created.ok) throw created.error;
    expect(created.value).toMatchObject({ UserId: '1', Permissions: ['Trading', 'Deposit'], AllowedIps: ['203.0.113.0/24'] });
    expect(created.value.APIKey).toMatch(/^[0-9a-f]{32}$/);
    expect(created.value.APISecret).toMatch(/^[0-9a-f]{64}$/);
    expect(created.value.Nonce).toMatch(/^[1-9][0-9]{11}$/);
    const record = await store.findById(created.value.id);
    const stored = JSON.stringify(record);
    expect(stored).not.toContain(created.value.APISecret);
    expect(stored).not.toContain(created.value.APIKey);
    expect(record?.sealedSecret).toMatch(/^gh1\./);
  });

  it('exports the key as JSON for download', async () => {
    const { manager } = setup();
    const created = await manager.createKey('1', { permissions: ['Trading'] });
    if (!created.ok) throw created.error;
    expect(JSON.parse(exportHmacKeyJson(created.value))).toEqual({
      APIKey: created.value.APIKey,
      APISecret: created.value.APISecret,
      Nonce: created.value.Nonce,
      UserId: '1',
      Permissions: ['Trading'],
      AllowedIps: [],
    });
  });

  it('lists keys without secrets', async () => {
    const { manager } = setup();
    const created = await manager.createKey('1', { permissions: ['Withdraw'], label: 'bot' });
    if (!created.ok) throw created.error;
    const listed = await manager.listKeys('1');
    expect(listed).toMatchObject({ ok: true, value: [{ id: created.value.id, apiKeyHint: created.value.APIKey.slice(0, 4), label: 'bot', permissions: ['Withdraw'] }] });
    expect(JSON.stringify(listed)).not.toContain(created.value.APISecret);
    expect(JSON.stringify(listed)).not.toContain(created.value.APIKey);
  });

  it('refuses unknown permissions, bad IPs and bad labels with PARAMETER_INVALID', async () => {
    const { manager } = setup();
    for (const input of [
      { permissions: ['Admin'] },
      { permissions: 'Trading' },
      { allowedIps: ['not-an-ip'] },
      { allowedIps: ['10.0.0.0/33'] },
      { allowedIps: ['fe80::1%eth0'] },
      { label: 'a\u0000b' },
      { label: 'x'.repeat(256) },
    ]) {
      expect(await manager.createKey('1', input)).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    expect(await manager.createKey('no spaces', {})).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await manager.createKey('1', { userName: { name: 'x' } as never })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect(await manager.createKey('1', undefined as never)).toMatchObject({ ok: true });
  });

  it('refuses the 21st key of a user', async () => {
    const { manager } = setup();
    const results = await Promise.all(Array.from({ length: 25 }, () => manager.createKey('1', {})));
    expect(results.filter((result) => result.ok)).toHaveLength(20);
    expect(results.find((result) => !result.ok)).toMatchObject({ error: { code: 'LIMIT_EXCEEDED' } });
  });

  it("removes only the user's own keys, by APIKey or id", async () => {
    const { manager } = setup();
    const created = await manager.createKey('1', {});
    if (!created.ok) throw created.error;
    expect(await manager.removeKey('2', { apiKey: created.value.APIKey })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.removeKey('1', { apiKey: 'nope' })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    expect((await manager.removeKey('1', { apiKey: created.value.APIKey })).ok).toBe(true);
    expect(await manager.removeKey('1', { id: created.value.id })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
  });

  it('refuses a rotation overlap that is negative or longer than 30 days', async () => {
    const { manager } = setup();
    const created = await manager.createKey('1', {});
    if (!created.ok) throw created.error;
    for (const overlapInSeconds of [-1, 1.5, 31 * 86_400]) {
      expect(await manager.rotateSecret('1', created.value.id, { overlapInSeconds })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    expect(await manager.rotateSecret('2', created.value.id)).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    const rotated = await manager.rotateSecret('1', created.value.id, { overlapInSeconds: 60 });
    expect(rotated).toMatchObject({ ok: true, value: { id: created.value.id, UserId: '1' } });
    expect(rotated.ok && 'APIKey' in rotated.value).toBe(false);
  });

  it('reports a failing store as STORE_UNAVAILABLE', async () => {
    const fail = async (): Promise<never> => { throw new Error('down'); };
    const manager = createHmacKeyManager({ store: { ...createMemoryCredentialStore(), insert: fail, listByOwner: fail }, sealer });
    expect(await manager.createKey('1', {})).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    expect(await manager.listKeys('1')).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
  });

  it('reports created and revoked events without secrets', async () => {
    const { manager, events } = setup();
    const created = await manager.createKey('1', {});
    if (!created.ok) throw created.error;
    await manager.removeKey('1', { id: created.value.id });
    expect(events.map((event) => event.type)).toEqual(['credential-created', 'credential-revoked']);
    expect(JSON.stringify(events)).not.toContain(created.value.APISecret);
  });

  it('refuses bad options at construction, naming them', () => {
    const store = createMemoryCredentialStore();
    expect(() => createHmacKeyManager({ store } as never)).toThrow(/`sealer`/);
    expect(() => createHmacKeyManager({ store, sealer, permissions: ['bad name'] })).toThrow(/`permissions`/);
    expect(() => createHmacKeyManager({ store, sealer, maxKeysPerUser: 0 })).toThrow(/`maxKeysPerUser`/);
  });
});

describe('envelopes', () => {
  it('renders the APEX AuthenticateUser success, with a numeric UserId', () => {
    expect(JSON.stringify(renderAuthenticateUserSuccess('tok', { userId: '1', userName: 'demo' }).body)).toBe(
      '{"Authenticated":true,"SessionToken":"tok","User":{"UserId":1,"UserName":"demo"},"Locked":false,"Requires2FA":false,"errormsg":null}',
    );
  });

  it('renders other failures as {"result":false,"errormsg":"Not Authorized","errorcode":20,"detail":null}', () => {
    expect(JSON.stringify(renderApexError(new AuthError('CREDENTIALS_INVALID')).body)).toBe('{"result":false,"errormsg":"Not Authorized","errorcode":20,"detail":null}');
    expect(renderApexError(new AuthError('STORE_UNAVAILABLE')).httpStatus).toBe(503);
  });

  it('gives unknown keys, wrong signatures and wrong users one AuthenticateUser text', () => {
    expect(HMAC_WIRE_ERRORS.CREDENTIALS_INVALID.authenticateUser).toBe(HMAC_WIRE_ERRORS.CREDENTIALS_EXPIRED.authenticateUser);
  });
});
