/** Where the satellite keeps graceful exits and their transfer queues: memory, SQLite and PostgreSQL implementations of `ExitQueueStore`. */
export { MemoryExitQueueStore } from './memory.js';
export { SqliteExitQueueStore, EXIT_QUEUE_SQLITE_SCHEMA_VERSION } from './sqlite.js';
export { PostgresExitQueueStore, EXIT_QUEUE_POSTGRES_SCHEMA_VERSION } from './postgres.js';
export type { SqliteStoreOptions } from '../../sql/sqlite.js';
export type { PostgresStoreOptions } from '../../sql/postgres.js';
