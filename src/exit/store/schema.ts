/**
 * The exit queue store's tables as each database spells them — `exit_nodes`, `exit_queue` and
 * `exit_history` — as migrations, one schema version per entry (see the store, sql.ts).
 */
import type { SqlDialect } from '../../sql/dialect.js';

/** This store's row in `handoff_schema_versions`. */
export const EXIT_QUEUE_STORE_NAME = 'exit_queue';

const emptyBytes = (d: SqlDialect): string => (d.name === 'sqlite' ? "X''" : "'\\x'::bytea");
/**
 * Each entry moves the schema one version up; never edit one that has shipped, append instead.
 * The text per dialect differs only by the names {@link SqlDialect} and the helpers above give.
 */
export function exitQueueMigrations(d: SqlDialect): readonly string[] {
  const { bytes, text, count, time } = d.types;
  return [
    `
  CREATE TABLE IF NOT EXISTS exit_nodes (
    node_id ${bytes} PRIMARY KEY CHECK (length(node_id) = 32),
    initiated_at ${time} NOT NULL,
    starting_bytes ${count} NOT NULL DEFAULT 0 CHECK (starting_bytes >= 0),
    gather_stream_id ${bytes},
    gather_part ${count},
    gather_index ${count},
    gathered_at ${time},
    pieces_queued ${count} NOT NULL DEFAULT 0,
    pieces_transferred ${count} NOT NULL DEFAULT 0,
    pieces_dropped ${count} NOT NULL DEFAULT 0,
    pieces_failed ${count} NOT NULL DEFAULT 0,
    bytes_transferred ${count} NOT NULL DEFAULT 0,
    last_activity_at ${time} NOT NULL,
    finished_at ${time},
    outcome ${text} CHECK (outcome IN ('completed', 'failed')),
    failure_reason ${text},
    failure_detail ${text},
    receipt ${bytes}
  )${d.tableOptions};
  CREATE INDEX IF NOT EXISTS exit_nodes_by_finish ON exit_nodes (finished_at);
  CREATE TABLE IF NOT EXISTS exit_queue (
    node_id ${bytes} NOT NULL,
    piece_id ${bytes} NOT NULL CHECK (length(piece_id) = 32),
    root_piece_id ${bytes} NOT NULL,
    piece_number INTEGER NOT NULL,
    stream_id ${bytes} NOT NULL,
    position_part ${count} NOT NULL,
    position_index ${count} NOT NULL,
    piece_size ${count} NOT NULL,
    durability ${d.types.real} NOT NULL,
    drop_piece INTEGER NOT NULL CHECK (drop_piece IN (0, 1)),
    queued_at ${time} NOT NULL,
    failed_count INTEGER NOT NULL DEFAULT 0,
    send_count INTEGER NOT NULL DEFAULT 0,
    last_failed_at ${time},
    last_failed_code ${text},
    tried_nodes ${bytes} NOT NULL DEFAULT ${emptyBytes(d)},
    PRIMARY KEY (node_id, piece_id)
  )${d.tableOptions};
  -- nextItems' order: drops first, then lowest durability, then piece id.
  CREATE INDEX IF NOT EXISTS exit_queue_next ON exit_queue (node_id, drop_piece DESC, durability, piece_id);
  `,
    // 2: exits of more than one kind (docs/exit.md, "More than the MVP"), and the archive of
    // finished exits a newer exit or a rejoin replaced. One column per statement (CockroachDB).
    `
  ALTER TABLE exit_nodes ADD COLUMN${d.addColumnIfMissing} kind ${text} NOT NULL DEFAULT 'full' CHECK (kind IN ('full', 'partial'));
  ALTER TABLE exit_nodes ADD COLUMN${d.addColumnIfMissing} target_bytes ${count} CHECK (target_bytes > 0);
  ALTER TABLE exit_nodes ADD COLUMN${d.addColumnIfMissing} policy ${text} NOT NULL DEFAULT 'transfer' CHECK (policy IN ('transfer', 'time-based'));
  CREATE TABLE IF NOT EXISTS exit_history (
    node_id ${bytes} NOT NULL CHECK (length(node_id) = 32),
    kind ${text} NOT NULL,
    target_bytes ${count},
    policy ${text} NOT NULL,
    initiated_at ${time} NOT NULL,
    starting_bytes ${count} NOT NULL,
    gather_stream_id ${bytes},
    gather_part ${count},
    gather_index ${count},
    gathered_at ${time},
    pieces_queued ${count} NOT NULL,
    pieces_transferred ${count} NOT NULL,
    pieces_dropped ${count} NOT NULL,
    pieces_failed ${count} NOT NULL,
    bytes_transferred ${count} NOT NULL,
    last_activity_at ${time} NOT NULL,
    finished_at ${time} NOT NULL,
    outcome ${text} NOT NULL,
    failure_reason ${text},
    failure_detail ${text},
    receipt ${bytes},
    archived_at ${time} NOT NULL
  );
  CREATE INDEX IF NOT EXISTS exit_history_by_node ON exit_history (node_id);
  CREATE INDEX IF NOT EXISTS exit_history_by_finish ON exit_history (finished_at);
  `,
  ];
}
