/** Where the satellite keeps projects and API keys: memory, SQLite and PostgreSQL implementations of `ProjectStore`. */
export { MemoryProjectStore } from './memory.js';
export { SqliteProjectStore, PROJECTS_SQLITE_SCHEMA_VERSION } from './sqlite.js';
export { PostgresProjectStore, PROJECTS_POSTGRES_SCHEMA_VERSION } from './postgres.js';
