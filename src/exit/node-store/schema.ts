/**
 * The `graceful_exit_status` table as each database spells it. The SQLite text is also step 3
 * of the storage node database's migrations (src/node/db/migrations.ts), so the table a
 * `NodeDatabase` holds and the one a standalone `SqliteNodeExitStore` creates are the same by
 * construction. Both texts have shipped: never edit them; change the schema by appending steps.
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
