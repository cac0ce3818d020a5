/**
 * `handoff/satellite/sqlite`: the satellite's queue stores on SQLite (better-sqlite3), for hosts
 * that assemble a satellite store themselves; `openSatelliteStore({ kind: 'sqlite' })` opens
 * them all at once.
 */
export { SqliteExitQueueStore } from '../exit/store/sqlite.js';
export { SqliteRepairQueueStore } from '../durability/repair/store/sqlite.js';
export { SqliteContainmentStore } from '../durability/audit/store/sqlite.js';
export type { SqliteStoreOptions } from '../sql/sqlite.js';
