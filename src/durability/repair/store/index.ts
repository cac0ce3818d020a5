/** Where the satellite keeps its repair queue: memory, SQLite and PostgreSQL implementations of `RepairQueueStore`. */
export { MemoryRepairQueueStore } from './memory.js';
export { SqliteRepairQueueStore, REPAIR_QUEUE_SQLITE_SCHEMA_VERSION } from './sqlite.js';
export { PostgresRepairQueueStore, REPAIR_QUEUE_POSTGRES_SCHEMA_VERSION } from './postgres.js';
export type { SqliteStoreOptions } from '../../../sql/sqlite.js';
export type { PostgresStoreOptions } from '../../../sql/postgres.js';
