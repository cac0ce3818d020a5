/**
 * The SQLite repair queue (better-sqlite3): the embedded satellite's repair queue, in table
 * `repair_queue`, which can share a file with the satellite's other stores. The operations are
 * {@link SqlRepairQueueStore}'s; this file holds the schema's dialect.
 */
import { SQLITE } from '../../../sql/dialect.js';
import { sqliteExecutor } from '../../../sql/executor.js';
import { openMigratedSqlite, type SqliteStoreOptions } from '../../../sql/sqlite.js';
import { REPAIR_QUEUE_STORE_NAME, repairQueueMigrations, SqlRepairQueueStore } from './sql.js';

const MIGRATIONS = repairQueueMigrations(SQLITE);

/** The repair queue schema version this code writes. */
export const REPAIR_QUEUE_SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * @example
 * ```ts
 * const queue = await SqliteRepairQueueStore.open({ path: '/var/lib/satellite/satellite.db' });
 * await queue.insert([{ streamId, position, healthy: 5 }], Date.now());
 * ```
 */
export class SqliteRepairQueueStore extends SqlRepairQueueStore {
  /**
   * Opens (creating if needed) the database — its own connection to `{ path }`, or a connection
   * the host owns, `{ database }`, which `close()` leaves open — and migrates the queue table.
   */
  static async open(options: SqliteStoreOptions): Promise<SqliteRepairQueueStore> {
    return new SqliteRepairQueueStore(sqliteExecutor(openMigratedSqlite(options, REPAIR_QUEUE_STORE_NAME, MIGRATIONS)));
  }
}
