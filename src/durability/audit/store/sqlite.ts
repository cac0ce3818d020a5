/** The SQLite containment store (better-sqlite3), table `audit_pending`; the operations are {@link SqlContainmentStore}'s. */
import { SQLITE } from '../../../sql/dialect.js';
import { sqliteExecutor } from '../../../sql/executor.js';
import { openMigratedSqlite, type SqliteStoreOptions } from '../../../sql/sqlite.js';
import { CONTAINMENT_STORE_NAME, containmentMigrations, SqlContainmentStore } from './sql.js';

const MIGRATIONS = containmentMigrations(SQLITE);

/** The containment schema version this code writes. */
export const CONTAINMENT_SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * @example
 * ```ts
 * const containment = await SqliteContainmentStore.open({ path: '/var/lib/satellite/satellite.db' });
 * ```
 */
export class SqliteContainmentStore extends SqlContainmentStore {
  /** Opens `{ path }`, or a connection the host owns, `{ database }` (left open by `close()`), and migrates the table. */
  static async open(options: SqliteStoreOptions): Promise<SqliteContainmentStore> {
    return new SqliteContainmentStore(sqliteExecutor(openMigratedSqlite(options, CONTAINMENT_STORE_NAME, MIGRATIONS)));
  }
}
