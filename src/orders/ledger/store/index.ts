/** Where the satellite keeps its bandwidth ledger: memory, SQLite and PostgreSQL implementations of `LedgerStore`. */
export { MemoryLedgerStore } from './memory.js';
export { SqliteLedgerStore, LEDGER_SQLITE_SCHEMA_VERSION } from './sqlite.js';
export { PostgresLedgerStore, LEDGER_POSTGRES_SCHEMA_VERSION } from './postgres.js';
