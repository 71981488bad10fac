export { openSqliteStores } from './open.js';
export type { SqliteStores, SqliteStoresOptions } from './open.js';
export { SQLITE_SCHEMA_VERSION } from './schema.js';
