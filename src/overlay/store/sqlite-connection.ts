/**
 * How the satellite's SQLite stores (overlay, projects, ledger) get their connection, so each
 * opens the same way: from `{ path }`, or from a connection the host owns, `{ database }`. A
 * store closes only what it opened itself.
 */
import Database from 'better-sqlite3';

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

/** @internal */
export function openSqlite(options: SqliteStoreOptions): SqliteHandle {
  if ('database' in options) return { db: options.database, owned: false };
  const db = new Database(options.path);
  try {
    db.pragma('journal_mode = WAL');
    // WAL + NORMAL: durable across process crashes; a power loss may drop the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
  } catch (err) {
    db.close();
    throw err;
  }
  return { db, owned: true };
}

