/**
 * How handoff's SQLite stores get their connection, so each opens the same way: from
 * `{ path }`, or from a connection the host owns, `{ database }`. A store closes only what it
 * opened itself.
 */
import Database from 'better-sqlite3';
import { migrateSqlite } from './migrations.js';

/** Where a SQLite store keeps its data: its own connection to a file, or a connection the host owns. */
export type SqliteStoreOptions =
  | {
      /** A file path, or `':memory:'`. Several stores may open the same file. */
      readonly path: string;
    }
  | {
      /** A connection the host owns (e.g. shared by every store of a satellite); `close()` leaves it open. */
      readonly database: Database.Database;
    };

/** @internal An opened SQLite connection and whether the store must close it. */
export interface SqliteHandle {
  readonly db: Database.Database;
  readonly owned: boolean;
}

/**
 * Opens a SQLite file the way every handoff store does: WAL, a busy timeout, foreign keys on,
 * and `synchronous = NORMAL` (durable across process crashes; a power loss may drop the last
 * commits) unless `FULL` is asked for.
 */
export function openSqliteFile(path: string, options: { synchronous?: 'NORMAL' | 'FULL' } = {}): Database.Database {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** @internal */
export function openSqlite(options: SqliteStoreOptions): SqliteHandle {
  if ('database' in options) return { db: options.database, owned: false };
  return { db: openSqliteFile(options.path), owned: true };
}

/** @internal Opens (see {@link openSqlite}) and migrates `store`'s tables; closes what it opened if migrating fails. */
export function openMigratedSqlite(options: SqliteStoreOptions, store: string, migrations: readonly string[]): SqliteHandle {
  const handle = openSqlite(options);
  try {
    migrateSqlite(handle.db, store, migrations);
    return handle;
  } catch (err) {
    if (handle.owned) handle.db.close();
    throw err;
  }
}

