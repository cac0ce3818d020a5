/**
 * The SQLite project store (better-sqlite3). Tables `projects` and `api_keys`; keys are stored
 * only as their SHA-256. The schema and operations are {@link SqlProjectStore}'s, in SQLite's
 * dialect.
 */
import { SQLITE } from '../../sql/dialect.js';
import { sqliteExecutor } from '../../sql/executor.js';
import { openMigratedSqlite, type SqliteStoreOptions } from '../../sql/sqlite.js';
import { projectMigrations, PROJECTS_STORE_NAME, SqlProjectStore } from './sql.js';

const MIGRATIONS = projectMigrations(SQLITE);

/** The projects schema version this code writes. */
export const PROJECTS_SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * @example
 * ```ts
 * const projects = await SqliteProjectStore.open({ path: '/var/lib/satellite/satellite.db' });
 * ```
 */
export class SqliteProjectStore extends SqlProjectStore {
  /** Opens (creating if needed) the database and migrates the project tables to the current schema. */
  static async open(options: SqliteStoreOptions): Promise<SqliteProjectStore> {
    return new SqliteProjectStore(sqliteExecutor(openMigratedSqlite(options, PROJECTS_STORE_NAME, MIGRATIONS)));
  }
}
