import { describeConformance } from '@gatehouse/conformance/vitest';
import { afterAll } from 'vitest';
import { openSqliteStores, type SqliteStores } from './index.js';

// A fresh, empty ':memory:' database for every case (each createStore call).
const opened: SqliteStores[] = [];
afterAll(() => {
  for (const stores of opened.splice(0)) stores.close();
});
function open(...args: Parameters<typeof openSqliteStores>): SqliteStores {
  const stores = openSqliteStores(...args);
  opened.push(stores);
  return stores;
}

describeConformance({ profile: 'credential-store@1', createStore: () => open(':memory:').credentials });
describeConformance({ profile: 'ephemeral-store@1', createStore: ({ clock }) => open(':memory:', { clock }).ephemeral });
