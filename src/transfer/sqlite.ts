/**
 * `handoff/transfer/sqlite`: the transfer stores on SQLite (better-sqlite3) — the core's task store
 * and the integration module's store. Their own entry point, so `handoff/transfer` never loads
 * the native driver.
 */
export { SqliteTransferTaskStore, type SqliteTransferTaskStoreOptions } from './store/sqlite.js';
export { SqliteIntegrationStore, type SqliteIntegrationStoreOptions } from './integration/sqlite-store.js';
