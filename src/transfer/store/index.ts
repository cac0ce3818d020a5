/** Where the core keeps transfer tasks: the port and its memory, SQLite and PostgreSQL implementations. */
export { ACTIVE_STATES, type BrowseQuery, type TaskChange, type TransferRoute, type TransferTaskStore } from './port.js';
export { MemoryTransferTaskStore } from './memory.js';
export { SqliteTransferTaskStore, SQLITE_SCHEMA_VERSION, type SqliteTransferTaskStoreOptions } from './sqlite.js';
export { PostgresTransferTaskStore, POSTGRES_SCHEMA, POSTGRES_SCHEMA_VERSION, type PostgresTransferTaskStoreOptions } from './postgres.js';
