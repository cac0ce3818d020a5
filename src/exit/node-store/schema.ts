/**
 * The `graceful_exit_status` table as each database spells it. The SQLite texts are also steps
 * of the storage node database's migrations (src/node/db/migrations.ts: 3, then 4), so the table a
 * `NodeDatabase` holds and the one a standalone `SqliteNodeExitStore` creates are the same by
 * construction. Texts that have shipped are never edited; change the schema by appending steps.
 */
import { POSTGRES, SQLITE, type SqlDialect } from '../../sql/dialect.js';

/** The first step, both databases: the table, differing only by type names. */
function gracefulExitV1(d: SqlDialect): string {
  const { bytes, text, time, count } = d.types;
  return `
  CREATE TABLE IF NOT EXISTS graceful_exit_status (
    satellite_id ${bytes} PRIMARY KEY CHECK (length(satellite_id) = 32),
    state ${text} NOT NULL CHECK (state IN ('exiting', 'completed', 'failed')),
    started_at ${time} NOT NULL,
    starting_bytes ${count} NOT NULL CHECK (starting_bytes >= 0),
    bytes_transferred ${count} NOT NULL DEFAULT 0,
    pieces_transferred ${count} NOT NULL DEFAULT 0,
    pieces_failed ${count} NOT NULL DEFAULT 0,
    bytes_deleted ${count} NOT NULL DEFAULT 0,
    pieces_deleted ${count} NOT NULL DEFAULT 0,
    finished_at ${time},
    failure_reason ${text},
    receipt ${bytes},
    wiped INTEGER NOT NULL DEFAULT 0 CHECK (wiped IN (0, 1))
  )${d.tableOptions};
  `;
}

/** SQLite, step 1 (step 3 of the node database). */
export const GRACEFUL_EXIT_STATUS_SQLITE = gracefulExitV1(SQLITE);

/** PostgreSQL, step 1. */
export const GRACEFUL_EXIT_STATUS_POSTGRES = gracefulExitV1(POSTGRES);

/** The second step, both databases: an exit's kind, policy and bandwidth choice, and the archive of finished exits. */
function gracefulExitV2(d: SqlDialect): string {
  const { bytes, time, count } = d.types;
  return `
  ALTER TABLE graceful_exit_status ADD COLUMN${d.addColumnIfMissing} kind TEXT NOT NULL DEFAULT 'full' CHECK (kind IN ('full', 'partial'));
  ALTER TABLE graceful_exit_status ADD COLUMN${d.addColumnIfMissing} target_bytes ${count} CHECK (target_bytes > 0);
  ALTER TABLE graceful_exit_status ADD COLUMN${d.addColumnIfMissing} policy TEXT NOT NULL DEFAULT 'transfer' CHECK (policy IN ('transfer', 'time-based'));
  ALTER TABLE graceful_exit_status ADD COLUMN${d.addColumnIfMissing} bandwidth TEXT CHECK (bandwidth IN ('exceed', 'wait'));
  CREATE TABLE IF NOT EXISTS graceful_exit_history (
    satellite_id ${bytes} NOT NULL CHECK (length(satellite_id) = 32),
    state TEXT NOT NULL,
    kind TEXT NOT NULL,
    target_bytes ${count},
    policy TEXT NOT NULL,
    bandwidth TEXT,
    started_at ${time} NOT NULL,
    starting_bytes ${count} NOT NULL,
    bytes_transferred ${count} NOT NULL,
    pieces_transferred ${count} NOT NULL,
    pieces_failed ${count} NOT NULL,
    bytes_deleted ${count} NOT NULL,
    pieces_deleted ${count} NOT NULL,
    finished_at ${time},
    failure_reason TEXT,
    receipt ${bytes},
    wiped INTEGER NOT NULL,
    archived_at ${time} NOT NULL
  );
  CREATE INDEX IF NOT EXISTS graceful_exit_history_by_satellite ON graceful_exit_history (satellite_id);
  `;
}

/** SQLite, step 2 (step 4 of the node database). */
export const GRACEFUL_EXIT_V2_SQLITE = gracefulExitV2(SQLITE);

/** PostgreSQL, step 2. One column per statement, `IF NOT EXISTS` (CockroachDB, retried migrations). */
export const GRACEFUL_EXIT_V2_POSTGRES = gracefulExitV2(POSTGRES);
