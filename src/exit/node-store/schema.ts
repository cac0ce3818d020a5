/**
 * The `graceful_exit_status` table as each database spells it. The SQLite texts are also steps
 * of the storage node database's migrations (src/node/db/migrations.ts: 3, then 4), so the table a
 * `NodeDatabase` holds and the one a standalone `SqliteNodeExitStore` creates are the same by
 * construction. Texts that have shipped are never edited; change the schema by appending steps.
 */

/** SQLite: times are epoch milliseconds, `wiped` is 0 or 1. */
export const GRACEFUL_EXIT_STATUS_SQLITE = `
  CREATE TABLE IF NOT EXISTS graceful_exit_status (
    satellite_id BLOB PRIMARY KEY CHECK (length(satellite_id) = 32),
    state TEXT NOT NULL CHECK (state IN ('exiting', 'completed', 'failed')),
    started_at INTEGER NOT NULL,
    starting_bytes INTEGER NOT NULL CHECK (starting_bytes >= 0),
    bytes_transferred INTEGER NOT NULL DEFAULT 0,
    pieces_transferred INTEGER NOT NULL DEFAULT 0,
    pieces_failed INTEGER NOT NULL DEFAULT 0,
    bytes_deleted INTEGER NOT NULL DEFAULT 0,
    pieces_deleted INTEGER NOT NULL DEFAULT 0,
    finished_at INTEGER,
    failure_reason TEXT,
    receipt BLOB,
    wiped INTEGER NOT NULL DEFAULT 0 CHECK (wiped IN (0, 1))
  ) WITHOUT ROWID;
  `;

/** PostgreSQL (and CockroachDB). */
export const GRACEFUL_EXIT_STATUS_POSTGRES = `
  CREATE TABLE IF NOT EXISTS graceful_exit_status (
    satellite_id bytea PRIMARY KEY CHECK (length(satellite_id) = 32),
    state text NOT NULL CHECK (state IN ('exiting', 'completed', 'failed')),
    started_at timestamptz NOT NULL,
    starting_bytes bigint NOT NULL CHECK (starting_bytes >= 0),
    bytes_transferred bigint NOT NULL DEFAULT 0,
    pieces_transferred bigint NOT NULL DEFAULT 0,
    pieces_failed bigint NOT NULL DEFAULT 0,
    bytes_deleted bigint NOT NULL DEFAULT 0,
    pieces_deleted bigint NOT NULL DEFAULT 0,
    finished_at timestamptz,
    failure_reason text,
    receipt bytea,
    wiped INTEGER NOT NULL DEFAULT 0 CHECK (wiped IN (0, 1))
  );
  `;

/** The second step, both databases: an exit's kind, policy and bandwidth choice, and the archive of finished exits. */
function gracefulExitV2(d: { readonly bytes: string; readonly time: string; readonly count: string; readonly ifMissing: string }): string {
  return `
  ALTER TABLE graceful_exit_status ADD COLUMN${d.ifMissing} kind TEXT NOT NULL DEFAULT 'full' CHECK (kind IN ('full', 'partial'));
  ALTER TABLE graceful_exit_status ADD COLUMN${d.ifMissing} target_bytes ${d.count} CHECK (target_bytes > 0);
  ALTER TABLE graceful_exit_status ADD COLUMN${d.ifMissing} policy TEXT NOT NULL DEFAULT 'transfer' CHECK (policy IN ('transfer', 'time-based'));
  ALTER TABLE graceful_exit_status ADD COLUMN${d.ifMissing} bandwidth TEXT CHECK (bandwidth IN ('exceed', 'wait'));
  CREATE TABLE IF NOT EXISTS graceful_exit_history (
    satellite_id ${d.bytes} NOT NULL CHECK (length(satellite_id) = 32),
    state TEXT NOT NULL,
    kind TEXT NOT NULL,
    target_bytes ${d.count},
    policy TEXT NOT NULL,
    bandwidth TEXT,
    started_at ${d.time} NOT NULL,
    starting_bytes ${d.count} NOT NULL,
    bytes_transferred ${d.count} NOT NULL,
    pieces_transferred ${d.count} NOT NULL,
    pieces_failed ${d.count} NOT NULL,
    bytes_deleted ${d.count} NOT NULL,
    pieces_deleted ${d.count} NOT NULL,
    finished_at ${d.time},
    failure_reason TEXT,
    receipt ${d.bytes},
    wiped INTEGER NOT NULL,
    archived_at ${d.time} NOT NULL
  );
  CREATE INDEX IF NOT EXISTS graceful_exit_history_by_satellite ON graceful_exit_history (satellite_id);
  `;
}

/** SQLite, step 2 (step 4 of the node database). */
export const GRACEFUL_EXIT_V2_SQLITE = gracefulExitV2({ bytes: 'BLOB', time: 'INTEGER', count: 'INTEGER', ifMissing: '' });

/** PostgreSQL, step 2. One column per statement, `IF NOT EXISTS` (CockroachDB, retried migrations). */
export const GRACEFUL_EXIT_V2_POSTGRES = gracefulExitV2({ bytes: 'bytea', time: 'timestamptz', count: 'bigint', ifMissing: ' IF NOT EXISTS' });
