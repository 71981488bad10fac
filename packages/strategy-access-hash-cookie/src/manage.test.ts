import { createManualClock, createMemoryCredentialStore, type AuthEvent } from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import { createAccessHashManager, isValidAccessHashName } from './index.js';

function setup(maxHashesPerOwner?: number) {
  const store = createMemoryCredentialStore();
  const events: AuthEvent[] = [];
  const clock = createManualClock(Date.UTC(2022, 10, 18, 9, 38, 37));
  const manager = createAccessHashManager({ store, clock, onEvent: (event) => events.push(event), ...(maxHashesPerOwner === undefined ? {} : { maxHashesPerOwner }) });
  return { store, events, manager };
}

describe('createAccessHashManager', () => {
  it('creates an 80-hex hash bound to one normalised IP, and stores only its digest', async () => {
    const { manager, store } = setup();
    const created = await manager.create('admin', { name: 'test2', ip: ' ::ffff:1.1.1.1 ' });
    expect(created).toMatchObject({ ok: true, value: { name: 'test2', ip: '1.1.1.1', created: '2022-11-18T09:38:37+00:00' } });
    if (!created.ok) return;
    expect(created.value.hash).toMatch(/^[0-9a-f]{80}$/);
    const record = await store.findById(created.value.id);
    expect(JSON.stringify(record)).not.toContain(created.value.hash);
    expect(record?.allowedIps).toEqual(['1.1.1.1']);
  });

  it('lists name, IP, created and last login, never the hash', async () => {
    const { manager } = setup();
    const created = await manager.create('admin', { name: 'TEST', ip: '79.184.10.59' });
    const listed = await manager.list('admin');
    expect(listed).toEqual({ ok: true, value: [{ id: created.ok ? created.value.id : '', name: 'TEST', ip: '79.184.10.59', hint: created.ok ? created.value.hash.slice(0, 4) : '', created: '2022-11-18T09:38:37+00:00', lastLogin: null }] });
    expect(JSON.stringify(listed)).not.toContain(created.ok ? created.value.hash : '-');
  });

  it('refuses a bad IP, a CIDR, or a bad name with PARAMETER_INVALID', async () => {
    const { manager } = setup();
    for (const ip of ['', '1.1.1', '10.0.0.0/8', 'example.com', '1.2.3.4%eth0', '[127.0.0.1]', '0.0.0.0', '::', '255.255.255.255', '224.0.0.1', 'ff02::1', 42, null]) {
      expect(await manager.create('admin', { name: 'x', ip })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
    for (const name of ['', ' ', 'x'.repeat(256), 'a\nb', 'a\u202eb', 7]) {
      expect(isValidAccessHashName(name)).toBe(false);
      expect(await manager.create('admin', { name, ip: '1.1.1.1' })).toMatchObject({ ok: false, error: { code: 'PARAMETER_INVALID' } });
    }
  });

  it('refuses hashes past the per-owner limit, atomically', async () => {
    const { manager } = setup(5);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => manager.create('admin', { name: `h${i}`, ip: '1.1.1.1' })));
    expect(results.filter((result) => result.ok)).toHaveLength(5);
    expect(results.find((result) => !result.ok)).toMatchObject({ error: { code: 'LIMIT_EXCEEDED' } });
  });

  it("deletes only the owner's own live hashes", async () => {
    const { manager } = setup();
    const created = await manager.create('admin', { name: 'x', ip: '1.1.1.1' });
    if (!created.ok) throw created.error;
    expect(await manager.delete('someone-else', created.value.id)).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.delete('admin', created.value.id)).toEqual({ ok: true, value: undefined });
    expect(await manager.delete('admin', created.value.id)).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await manager.delete('admin', { id: 1 })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
  });

  it('reports a failing store as STORE_UNAVAILABLE, never as an empty list', async () => {
    const store = createMemoryCredentialStore();
    const fail = async (): Promise<never> => { throw new Error('down'); };
    const manager = createAccessHashManager({ store: { ...store, listByOwner: fail, insert: fail, findById: fail } });
    expect(await manager.list('admin')).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    expect(await manager.create('admin', { name: 'x', ip: '1.1.1.1' })).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    expect(await manager.delete('admin', 'ah_x')).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
  });

  it('reports created and revoked events without the hash', async () => {
    const { manager, events } = setup();
    const created = await manager.create('admin', { name: 'x', ip: '1.1.1.1' });
    if (!created.ok) throw created.error;
    await manager.delete('admin', created.value.id);
    expect(events.map((event) => event.type)).toEqual(['credential-created', 'credential-revoked']);
    expect(JSON.stringify(events)).not.toContain(created.value.hash);
  });

  it('refuses a bad limit at construction, naming the option', () => {
    expect(() => createAccessHashManager({ store: createMemoryCredentialStore(), maxHashesPerOwner: 0 })).toThrow(/`maxHashesPerOwner`/);
  });
});
