/** Where a storage node keeps its graceful exits (`graceful_exit_status`): memory, SQLite and PostgreSQL implementations of `NodeExitStore`. */
export { MemoryNodeExitStore } from './memory.js';
export { SqliteNodeExitStore, NODE_EXIT_SQLITE_SCHEMA_VERSION } from './sqlite.js';
export { PostgresNodeExitStore, NODE_EXIT_POSTGRES_SCHEMA_VERSION } from './postgres.js';
