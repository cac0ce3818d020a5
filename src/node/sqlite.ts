/**
 * `handoff/node/sqlite`: the storage node's own database (`NodeDatabase`: trusted satellites,
 * serials, orders, bandwidth, piece expirations) and its graceful-exit store, on SQLite
 * (better-sqlite3, a native module) — hence an entry point of their own.
 */
export { NodeDatabase, type NodeDatabaseOptions } from './db/database.js';
export type { TrustedSatellite, UnsettledOrder, CleanupResult } from './db/records.js';
export { SqliteNodeExitStore } from '../exit/node-store/sqlite.js';
export type { SqliteStoreOptions } from '../sql/sqlite.js';
