/** Where the satellite keeps pending audits: memory, SQLite and PostgreSQL implementations of `ContainmentStore`. */
export { MemoryContainmentStore } from './memory.js';
export { SqliteContainmentStore, CONTAINMENT_SQLITE_SCHEMA_VERSION } from './sqlite.js';
export { PostgresContainmentStore, CONTAINMENT_POSTGRES_SCHEMA_VERSION } from './postgres.js';
