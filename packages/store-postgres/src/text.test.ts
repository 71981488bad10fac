import { describe, expect, it } from 'vitest';
import { newRecord, testPool, uniqueSchema } from './fixtures/helpers.js';
import { openPostgresStores } from './index.js';
import { storageKey } from './text.js';

const pool = testPool();

describe('strings PostgreSQL text cannot hold as given', () => {
  it('lookups with U+0000 or an unpaired surrogate find nothing (never a failing query: 404, not 503)', async () => {
    const { credentials } = await openPostgresStores(pool, { schema: uniqueSchema('nul') });
    const record = newRecord();
    await credentials.insert(record);
    for (const odd of ['\u0000', `${record.id}\u0000`, 'a\uD800', '\uDC00']) {
      expect(await credentials.findById(odd)).toBeNull();
      expect(await credentials.findByDigest(odd)).toBeNull();
      expect(await credentials.listByOwner(odd)).toEqual([]);
      expect(await credentials.update(odd, { label: 'x' })).toBeNull();
      expect(await credentials.revoke(odd, 1)).toBe(false);
      await credentials.touch(odd, 1);
    }
    expect((await credentials.findById(record.id))?.revokedAt).toBeNull();
  });

  it('a record whose text PostgreSQL would refuse or change is refused as the caller’s error (RangeError)', async () => {
    const { credentials } = await openPostgresStores(pool, { schema: uniqueSchema('refuse') });
    await expect(credentials.insert(newRecord({ label: 'bad\u0000label' }))).rejects.toThrow(RangeError);
    await expect(credentials.insert(newRecord({ ownerId: 'owner\uD800' }))).rejects.toThrow(/unpaired surrogate/);
    const record = newRecord();
    await credentials.insert(record);
    await expect(credentials.update(record.id, { label: '\u0000' })).rejects.toThrow(RangeError);
    // JSON columns keep such characters exactly (escaped).
    const odd = newRecord({ scopes: ['a\u0000b', 'c\uD800'], attributes: { 'k\u0000': 'v\uDFFF' } });
    await credentials.insert(odd);
    expect((await credentials.findById(odd.id))?.scopes).toEqual(['a\u0000b', 'c\uD800']);
    expect((await credentials.findById(odd.id))?.attributes).toEqual({ 'k\u0000': 'v\uDFFF' });
  });

  it('ephemeral keys of any length and content are distinct keys: long, U+0000, unpaired surrogates, the hashed form', async () => {
    const { ephemeral } = await openPostgresStores(pool, { schema: uniqueSchema('keys') });
    const long = 'k'.repeat(10_000);
    const keys = [long, `${long}!`, 'a\u0000', 'a\u0000b', 'a\uD800', 'a\uDBFF', 'a\uFFFD', storageKey(long), `\u0001${'0'.repeat(64)}`];
    for (const key of keys) expect(await ephemeral.setIfAbsent(key, 60), JSON.stringify(key.slice(0, 20))).toBe(true);
    for (const key of keys) expect(await ephemeral.setIfAbsent(key, 60)).toBe(false);
    expect(await ephemeral.increment(long, 60)).toBe(2);
    await ephemeral.delete('a\uD800');
    expect(await ephemeral.get('a\uD800')).toBeNull();
    expect(await ephemeral.get('a\uDBFF')).toBe(1);
  });

  it('times with fractions of a millisecond are stored as whole milliseconds', async () => {
    const { credentials, ephemeral } = await openPostgresStores(pool, { schema: uniqueSchema('fractions'), clock: { now: () => 1_000.6 } });
    const record = newRecord({ createdAt: 5.9, expiresAt: 10_000.5 });
    await credentials.insert(record, { maxActivePerOwner: 3, now: 7.25 });
    expect(await credentials.findById(record.id)).toMatchObject({ createdAt: 5, expiresAt: 10_000 });
    expect(await credentials.revoke(record.id, 20.5)).toBe(true);
    expect(await ephemeral.setIfAbsent('n', 0.5)).toBe(true);
  });
});
