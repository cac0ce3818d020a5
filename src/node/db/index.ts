/** The storage node's SQLite database: trusted satellites, used serials, unsettled orders, settings. */
export { NodeDatabase, type NodeDatabaseOptions } from './database.js';
export type { TrustedSatellite, UnsettledOrder, CleanupResult } from './records.js';
export { NODE_DB_MIGRATIONS } from './migrations.js';
