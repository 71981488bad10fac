import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  findOwnedCredential,
  guardStore,
  insertCredential,
  isPrintableText,
  manageSuccess,
  readCredentialReference,
  replaceCredential,
  rotationOverlapMs,
} from './manage.js';
import { createMemoryCredentialStore } from './memory-stores.js';
import { createSecretDigester } from './secrets.js';
import type { CredentialStore, NewCredentialRecord } from './stores.js';

const digest = createSecretDigester();
const base = (id: string, secret: string): NewCredentialRecord => ({
  id,
  digest: digest(secret),
  strategy: 'scheme',
  kind: 'api-key',
  ownerId: 'owner-1',
  parentId: null,
  label: 'key',
  hint: secret.slice(0, 4),
  scopes: [],
  allowedIps: [],
  sealedSecret: null,
  attributes: {},
  createdAt: 0,
  expiresAt: null,
});

describe('readCredentialReference', () => {
  it('accepts exactly one of id or token, and nothing else', () => {
    expect(readCredentialReference({ id: 'c_1' })).toEqual({ id: 'c_1' });
    expect(readCredentialReference({ token: 'abcd' })).toEqual({ token: 'abcd' });
    for (const bad of [null, 'c_1', {}, { id: 'a', token: 'b' }, { id: '' }, { id: 'x'.repeat(101) }, { id: 7 }, { token: ['a'] }]) {
      expect(readCredentialReference(bad)).toBeNull();
    }
  });
});

describe('findOwnedCredential', () => {
  it('finds the owner live record by id or by token, and nobody else', async () => {
    const store = createMemoryCredentialStore();
    await store.insert(base('c_1', 'secret-1'));
    await store.insert({ ...base('c_2', 'secret-2'), ownerId: 'owner-2' });
    await store.insert({ ...base('c_3', 'secret-3'), kind: 'session' });
    const query = { store, digest, strategyId: 'scheme', kinds: ['api-key'], ownerId: 'owner-1', now: 10 };
    expect((await findOwnedCredential({ id: 'c_1' }, query))?.id).toBe('c_1');
    expect((await findOwnedCredential({ token: 'secret-1' }, query))?.id).toBe('c_1');
    expect(await findOwnedCredential({ id: 'c_2' }, query)).toBeNull();
    expect(await findOwnedCredential({ id: 'c_3' }, query)).toBeNull();
    await store.revoke('c_1', 5);
    expect(await findOwnedCredential({ id: 'c_1' }, query)).toBeNull();
  });
});

describe('insertCredential', () => {
  it('draws a fresh secret after a collision, and gives up with INTERNAL_ERROR after three', async () => {
    const store = createMemoryCredentialStore();
    await store.insert(base('c_taken', 'taken'));
    let draws = 0;
    const secrets = ['taken', 'fresh'];
    const inserted = await insertCredential(store, () => {
      const secret = secrets[Math.min(draws++, 1)] as string;
      return { secret, record: base(`c_${secret}`, secret) };
    });
    expect(inserted).toMatchObject({ ok: true, value: { secret: 'fresh', record: { id: 'c_fresh', lastUsedAt: null, revokedAt: null } } });
    expect(draws).toBe(2);
    const stuck = await insertCredential(store, () => ({ secret: 'taken', record: base('c_taken', 'taken') }));
    expect(stuck).toMatchObject({ ok: false, error: { code: 'INTERNAL_ERROR' } });
  });

  it('answers the per-owner limit with LIMIT_EXCEEDED, and a failing store throws into guardStore', async () => {
    const store = createMemoryCredentialStore();
    await store.insert(base('c_1', 'one'));
    expect(await insertCredential(store, () => ({ secret: 'two', record: base('c_2', 'two') }), { maxActivePerOwner: 1, now: 1 })).toMatchObject({
      ok: false,
      error: { code: 'LIMIT_EXCEEDED' },
    });
    const broken = { ...store, insert: async () => { throw new Error('down'); } } as CredentialStore;
    const guarded = await guardStore(async () => {
      const inserted = await insertCredential(broken, () => ({ secret: 's', record: base('c_s', 's') }));
      return inserted.ok ? manageSuccess(inserted.value.secret) : inserted;
    });
    expect(guarded).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
  });
});

describe('rotationOverlapMs', () => {
  it('reads whole seconds from 0 to 30 days, and nothing else', () => {
    expect(rotationOverlapMs(undefined)).toBe(0);
    expect(rotationOverlapMs({ overlapInSeconds: 60 })).toBe(60_000);
    expect(rotationOverlapMs({ overlapInSeconds: 30 * 86_400 })).toBe(30 * 86_400_000);
    for (const bad of [-1, 1.5, 30 * 86_400 + 1, Number.NaN]) expect(rotationOverlapMs({ overlapInSeconds: bad })).toBeNull();
    expect(rotationOverlapMs(3600 as never)).toBeNull();
    expect(rotationOverlapMs(null as never)).toBeNull();
  });
});

describe('isPrintableText', () => {
  it('takes printable names and emoji sequences, refuses controls, format characters and blanks', () => {
    expect(isPrintableText('Integration Key', { maxLength: 255 })).toBe(true);
    expect(isPrintableText('👩‍💻 team', { maxLength: 255 })).toBe(true);
    for (const bad of ['', '   ', 'a\nb', 'a\u202eb', 'a\u200bb', '\ud800', 'x'.repeat(256), 7]) {
      expect(isPrintableText(bad, { maxLength: 255 })).toBe(false);
    }
    expect(isPrintableText('', { minLength: 0, maxLength: 255 })).toBe(true);
  });

  it('counts code points, not UTF-16 units', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'é', '😀'), { minLength: 1, maxLength: 300 }), (chars) => {
        expect(isPrintableText(chars.join(''), { maxLength: 255 })).toBe(chars.length <= 255);
      }),
    );
  });
});

describe('replaceCredential', () => {
  async function setup() {
    const store = createMemoryCredentialStore();
    await store.insert(base('c_old', 'old'));
    const old = (await store.findById('c_old'))!;
    let n = 0;
    const insert = async (beyondLimitBy: 0 | 1) =>
      insertCredential(store, () => ({ secret: `new-${++n}`, record: base(`c_new${n}`, `new-${n}`) }), { maxActivePerOwner: 1 + beyondLimitBy, now: 10 });
    const revoke = async (record: { id: string }, now: number) => store.revoke(record.id, now);
    return { store, old, insert, revoke };
  }

  it('without an overlap: inserts past the limit by one, then revokes the old one', async () => {
    const { store, old, insert, revoke } = await setup();
    const replaced = await replaceCredential({ store, old, overlapMs: 0, now: 10, insert, revoke });
    expect(replaced).toMatchObject({ ok: true, value: { secret: 'new-1' } });
    expect((await store.findById('c_old'))?.revokedAt).toBe(10);
  });

  it('with an overlap: the old one ends when the overlap does, never later than it already would', async () => {
    const { store, old, revoke } = await setup();
    const insertAny = async () => insertCredential(store, () => ({ secret: 's', record: base('c_a', 'a') }));
    expect((await replaceCredential({ store, old, overlapMs: 60_000, now: 10, insert: insertAny, revoke })).ok).toBe(true);
    expect((await store.findById('c_old'))?.expiresAt).toBe(60_010);
    const shorter = (await store.findById('c_old'))!;
    const insertOther = async () => insertCredential(store, () => ({ secret: 't', record: base('c_b', 'b') }));
    expect((await replaceCredential({ store, old: shorter, overlapMs: 3_600_000, now: 20, insert: insertOther, revoke })).ok).toBe(true);
    expect((await store.findById('c_old'))?.expiresAt).toBe(60_010);
  });

  it('revokes the unseen replacement when the old one was revoked meanwhile, answering CREDENTIAL_NOT_FOUND', async () => {
    const { store, old, insert, revoke } = await setup();
    await store.revoke('c_old', 5);
    expect(await replaceCredential({ store, old, overlapMs: 0, now: 10, insert, revoke })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_NOT_FOUND' } });
    expect(await replaceCredential({ store, old, overlapMs: 60_000, now: 10, insert, revoke })).toMatchObject({ ok: false });
    expect(await store.listByOwner('owner-1', { activeAt: 10 })).toEqual([]);
  });

  it('revokes the unseen replacement and throws on when the store fails half-way', async () => {
    const { store, old, insert } = await setup();
    let calls = 0;
    const flaky = async (record: { id: string }, now: number) => {
      if (++calls === 1) throw new Error('down');
      return store.revoke(record.id, now);
    };
    await expect(replaceCredential({ store, old, overlapMs: 0, now: 10, insert, revoke: flaky })).rejects.toThrow('down');
    expect((await store.findById('c_new1'))?.revokedAt).toBe(10);
  });
});
