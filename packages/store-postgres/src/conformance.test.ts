import { describeConformance } from '@gatehouse/conformance/vitest';
import { afterAll } from 'vitest';
import { testPool, uniqueSchema } from './fixtures/helpers.js';
import { openPostgresStores, type PostgresStores } from './index.js';

// A fresh, empty schema for every case (each createStore call), on one shared pool.
const pool = testPool();
const opened: PostgresStores[] = [];
afterAll(async () => {
  for (const stores of opened.splice(0)) await stores.close();
});
async function open(options: Parameters<typeof openPostgresStores>[1] = {}): Promise<PostgresStores> {
  const stores = await openPostgresStores(pool, { schema: uniqueSchema('conformance'), ...options });
  opened.push(stores);
  return stores;
}

describeConformance({ profile: 'credential-store@1', createStore: async () => (await open()).credentials });
describeConformance({ profile: 'ephemeral-store@1', createStore: async ({ clock }) => (await open({ clock })).ephemeral });
