/**
 * The SQLite overlay store (better-sqlite3): the embedded satellite's node registry. Tables are
 * prefixed `overlay_` so the satellite's stores can share one file. The operations are
 * {@link SqlOverlayStore}'s; this file holds the SQLite schema.
 */
import { sqliteExecutor } from '../../sql/executor.js';
import { openMigratedSqlite, type SqliteStoreOptions } from '../../sql/sqlite.js';
import { OVERLAY_STORE_NAME, SqlOverlayStore } from './sql.js';

/**
 * Each entry moves the schema one version up; never edit one that has shipped, append instead.
 * Not shared with the PostgreSQL store's: the shipped texts differ by more than type names.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS overlay_nodes (
    id BLOB PRIMARY KEY CHECK (length(id) = 32),
    address TEXT NOT NULL,
    wallet TEXT NOT NULL,
    free_bytes INTEGER NOT NULL CHECK (free_bytes >= 0),
    version TEXT NOT NULL,
    joined_at INTEGER NOT NULL,
    last_contact_at INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'exiting', 'exited', 'disqualified')),
    exit_started_at INTEGER,
    exit_finished_at INTEGER,
    disqualified_at INTEGER,
    disqualified_reason TEXT
  ) WITHOUT ROWID;
  -- What selection filters on: status first (equality), then recency, then space.
  CREATE INDEX IF NOT EXISTS overlay_nodes_selection ON overlay_nodes (status, last_contact_at, free_bytes);
  `,
  // 2: contact and reputation (docs/durability.md): absence, suspension, the two beta scores,
  // and contacts counted per node per hour for the online score.
  `
  ALTER TABLE overlay_nodes ADD COLUMN last_contact_failure_at INTEGER;
  ALTER TABLE overlay_nodes ADD COLUMN offline_since INTEGER;
  ALTER TABLE overlay_nodes ADD COLUMN suspended_at INTEGER;
  ALTER TABLE overlay_nodes ADD COLUMN suspended_reason TEXT;
  ALTER TABLE overlay_nodes ADD COLUMN audit_alpha REAL NOT NULL DEFAULT 1;
  ALTER TABLE overlay_nodes ADD COLUMN audit_beta REAL NOT NULL DEFAULT 0;
  ALTER TABLE overlay_nodes ADD COLUMN unknown_alpha REAL NOT NULL DEFAULT 1;
  ALTER TABLE overlay_nodes ADD COLUMN unknown_beta REAL NOT NULL DEFAULT 0;
  ALTER TABLE overlay_nodes ADD COLUMN audit_success_count INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE overlay_nodes ADD COLUMN audit_total_count INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE overlay_nodes ADD COLUMN last_audit_at INTEGER;
  CREATE TABLE IF NOT EXISTS overlay_contact_windows (
    node_id BLOB NOT NULL CHECK (length(node_id) = 32),
    window_start INTEGER NOT NULL,
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    successes INTEGER NOT NULL CHECK (successes >= 0),
    PRIMARY KEY (node_id, window_start)
  ) WITHOUT ROWID;
  -- Pruning deletes by age across nodes.
  CREATE INDEX IF NOT EXISTS overlay_contact_windows_start ON overlay_contact_windows (window_start);
  `,
  // 3: a node that completed a graceful exit may rejoin (docs/exit.md): when it last did.
  `
  ALTER TABLE overlay_nodes ADD COLUMN rejoined_at INTEGER;
  `,
];

/** The overlay schema version this code writes. */
export const OVERLAY_SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * @example
 * ```ts
 * const overlay = await SqliteOverlayStore.open({ path: '/var/lib/satellite/satellite.db' });
 * const nodes = await overlay.selectForUpload({ count: 10, minFreeBytes: 1 << 30, onlineWindowMs: 4 * 3600_000, now: Date.now() });
 * ```
 */
export class SqliteOverlayStore extends SqlOverlayStore {
  /** Opens (creating if needed) the database and migrates the overlay tables to the current schema. */
  static async open(options: SqliteStoreOptions): Promise<SqliteOverlayStore> {
    return new SqliteOverlayStore(sqliteExecutor(openMigratedSqlite(options, OVERLAY_STORE_NAME, MIGRATIONS)));
  }
}
