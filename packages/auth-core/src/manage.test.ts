import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  findOwnedCredential,
  guardStore,
  insertCredential,
  isPrintableText,
  manageSuccess,
  readCredentialReference,
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
