/**
 * The SQLite node exit store (better-sqlite3): `graceful_exit_status`, in the storage node's own
 * database (`NodeDatabase.exits`, whose migrations create the table) or in a file of its own.
 * The operations are {@link SqlNodeExitStore}'s; the schema is schema.ts's.
 */
import type Database from 'better-sqlite3';
import { sqliteExecutor } from '../../sql/executor.js';
import { openMigratedSqlite, type SqliteStoreOptions } from '../../sql/sqlite.js';
import { GRACEFUL_EXIT_STATUS_SQLITE, GRACEFUL_EXIT_V2_SQLITE } from './schema.js';
import { NODE_EXIT_STORE_NAME, SqlNodeExitStore } from './sql.js';

/** Each entry moves the schema one version up; never edit one that has shipped, append instead. */
const MIGRATIONS: readonly string[] = [GRACEFUL_EXIT_STATUS_SQLITE, GRACEFUL_EXIT_V2_SQLITE];

/** The node exit schema version this code writes (in a database of its own). */
export const NODE_EXIT_SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * @example
 * ```ts
 * const exits = await SqliteNodeExitStore.open({ path: '/var/lib/node/exits.db' });
 * // or, inside the node database: nodeDatabase.exits
 * const status = await exits.start(satelliteId, bytesHeld, Date.now());
 * ```
 */
export class SqliteNodeExitStore extends SqlNodeExitStore {
  /**
   * Opens (creating if needed) the database — its own connection to `{ path }`, or a connection
   * the host owns, `{ database }`, which `close()` leaves open — and migrates the table, keeping
   * its version in `handoff_schema_versions`.
   */
  static async open(options: SqliteStoreOptions): Promise<SqliteNodeExitStore> {
    return new SqliteNodeExitStore(sqliteExecutor(openMigratedSqlite(options, NODE_EXIT_STORE_NAME, MIGRATIONS)));
  }

  /**
   * Uses a connection whose schema already holds `graceful_exit_status` — the storage node's
   * database, which migrates it with its own steps — without migrating it; `close()` leaves the
   * connection open.
   */
  static attach(database: Database.Database): SqliteNodeExitStore {
    return new SqliteNodeExitStore(sqliteExecutor({ db: database, owned: false }));
  }
}
