// Another process holding the database's write lock must not freeze this one: writes fail fast, and what depends
// on them fails closed (a failure that cannot be counted is answered STORE_UNAVAILABLE), while reads go on.
import { absent, createFetchRequestAdapter, withFailureThrottle, type AuthStrategy } from '@gatehouse/auth-core';
import { createCredentialLookup } from '@gatehouse/auth-core/strategy';
import { createSecretDigester } from '@gatehouse/auth-core/crypto';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { newRecord, removeTemporaryFolders, temporaryDatabasePath } from './fixtures/helpers.js';
import { openSqliteStores } from './index.js';

afterAll(removeTemporaryFolders);

const digest = createSecretDigester();
const toAuthRequest = createFetchRequestAdapter();

describe('a database another connection holds the write lock of', () => {
  it('answers reads, refuses writes within the busy timeout, and a throttled strategy fails closed instead of stalling', async () => {
    const path = temporaryDatabasePath();
    const stores = openSqliteStores(path);
    const record = newRecord();
    await stores.credentials.insert({ ...record, digest: digest('the-key') });
    const lookup = createCredentialLookup({ store: stores.credentials, digest, clock: { now: () => Date.now() }, strategyId: record.strategy, kinds: [record.kind] });
    const inner: AuthStrategy = {
      id: 'locked-test',
      async authenticate(request) {
        const key = request.header('x-key');
        if (key === null) return absent();
        const found = await lookup.find(key);
        return found.type === 'found' ? lookup.grant(found, { id: found.record.ownerId }) : found;
      },
      renderRefusal: () => ({ httpStatus: 401, headers: {}, body: null }),
    };
    const strategy = withFailureThrottle(inner, stores.ephemeral, { maxFailures: 5 });
    const send = (key: string) => strategy.authenticate(toAuthRequest(new Request('http://x/', { headers: { 'x-key': key } }), { remoteAddress: '192.0.2.1' }));

    const writer = new Database(path);
    writer.exec('BEGIN IMMEDIATE');
    try {
      // The valid key is read and granted; its last-use write fails quietly and changes nothing.
      expect((await send('the-key')).type).toBe('authenticated');
      // A wrong key's failure cannot be counted: refused as unavailable, never a throttle that silently stops.
      expect(await send('a-wrong-key')).toMatchObject({ type: 'rejected', error: { code: 'STORE_UNAVAILABLE' } });
      await expect(stores.credentials.insert(newRecord())).rejects.toThrow(/locked|busy/i);
      expect(stores.database.pragma('busy_timeout', { simple: true })).toBe(25);
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
    // Lock released: counting works again.
    expect(await send('a-wrong-key')).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
    stores.close();
  });
});
