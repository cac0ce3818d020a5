/** The storage node's SQLite database: trusted satellites, used serials, unsettled orders, settings. */
export { NodeDatabase, type NodeDatabaseOptions, type TrustedSatellite, type UnsettledOrder, type CleanupResult } from './database.js';
export { NODE_DB_MIGRATIONS } from './migrations.js';
