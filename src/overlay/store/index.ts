/** Where the satellite keeps its node registry: memory, SQLite and PostgreSQL implementations of `OverlayStore`. */
export { MemoryOverlayStore } from './memory.js';
export { SqliteOverlayStore, OVERLAY_SQLITE_SCHEMA_VERSION } from './sqlite.js';
export { PostgresOverlayStore, OVERLAY_POSTGRES_SCHEMA_VERSION } from './postgres.js';
export type { SqliteStoreOptions } from '../../sql/sqlite.js';
export type { PostgresStoreOptions } from '../../sql/postgres.js';
export { SCHEMA_VERSIONS_TABLE } from '../../sql/migrations.js';
