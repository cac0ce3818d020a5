/**
 * The storage node database schema. Each entry moves the schema one version up (tracked in
 * `PRAGMA user_version`); never edit one that has shipped, append instead.
 */
import type Database from 'better-sqlite3';
import { FailedPreconditionError } from '../../core/errors.js';
import { GRACEFUL_EXIT_STATUS_SQLITE, GRACEFUL_EXIT_V2_SQLITE } from '../../exit/node-store/schema.js';

export const NODE_DB_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE trusted_satellite (
    id BLOB PRIMARY KEY,
    address TEXT NOT NULL,
    added_at INTEGER NOT NULL
  );
  -- Serials of order limits this node accepted: a replayed limit is refused. Rows are dropped
  -- once the limit has expired, since an expired limit is refused anyway.
  CREATE TABLE used_serial (
    satellite_id BLOB NOT NULL,
    serial BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (satellite_id, serial)
  ) WITHOUT ROWID;
  CREATE INDEX used_serial_expiry ON used_serial (expires_at);
  -- The best (largest) uplink-signed order per serial, with its original limit, until settled.
  CREATE TABLE unsettled_order (
    satellite_id BLOB NOT NULL,
    serial BLOB NOT NULL,
    action TEXT NOT NULL,
    amount INTEGER NOT NULL,
    order_limit BLOB NOT NULL,
    uplink_order BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (satellite_id, serial)
  ) WITHOUT ROWID;
  CREATE INDEX unsettled_order_expiry ON unsettled_order (expires_at);
  CREATE TABLE node_setting (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  `
  -- When each piece uploaded with an expiration may be deleted (the PUT limit's pieceExpiration):
  -- the expiration collector reads it oldest first, so the index is on expires_at.
  CREATE TABLE piece_expiration (
    satellite_id BLOB NOT NULL,
    piece_id BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (satellite_id, piece_id)
  ) WITHOUT ROWID;
  CREATE INDEX piece_expiration_expiry ON piece_expiration (expires_at);
  `,
  // Graceful exit, one row per satellite the node is exiting or has exited: the same text a
  // standalone SqliteNodeExitStore migrates with (NodeDatabase.exits reads and writes it).
  GRACEFUL_EXIT_STATUS_SQLITE,
  // Graceful exit, step 2: partial and time-based exits, the bandwidth choice, and the archive of
  // finished exits (docs/exit.md, "More than the MVP").
  GRACEFUL_EXIT_V2_SQLITE,
  `
  -- Bandwidth used per month (UTC), satellite and action: what a monthly allocation is measured
  -- against (src/node/bandwidth.ts). Orders add what they grew by; an exit adds what it sent.
  CREATE TABLE bandwidth_usage (
    period_start INTEGER NOT NULL,
    satellite_id BLOB NOT NULL,
    action TEXT NOT NULL,
    bytes INTEGER NOT NULL CHECK (bytes >= 0),
    PRIMARY KEY (period_start, satellite_id, action)
  ) WITHOUT ROWID;
  `,
];

/** Brings `db` to the latest schema in one transaction. Refuses a database from a newer version. */
export function migrate(db: Database.Database): void {
  // IMMEDIATE takes the write lock first, so two processes opening one file migrate one at a time.
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > NODE_DB_MIGRATIONS.length) {
      throw new FailedPreconditionError(`node database has schema version ${version}, newer than this code (${NODE_DB_MIGRATIONS.length})`);
    }
    for (const sql of NODE_DB_MIGRATIONS.slice(version)) db.exec(sql);
    db.pragma(`user_version = ${NODE_DB_MIGRATIONS.length}`);
  }).immediate();
}
