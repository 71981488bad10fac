export { applyPostgresMigrations, openPostgresStores } from './open.js';
export type { PostgresStores, PostgresStoresOptions } from './open.js';
export { POSTGRES_SCHEMA_VERSION } from './schema.js';
