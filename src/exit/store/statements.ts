/**
 * Every statement of the SQL exit queue store, one text per dialect: the names and helpers of
 * {@link SqlDialect} fill in what SQLite and PostgreSQL (and CockroachDB) spell differently.
 */
import type { SqlDialect } from '../../sql/dialect.js';
import { sqlStatement } from '../../sql/executor.js';

/**
 * `a || b` over byte strings. SQLite's `||` joins two BLOBs' bytes as they are but calls the
 * result TEXT; the cast makes it a BLOB again without touching a byte (a round trip through hex
 * cost two conversions of the whole list per send).
 */
const concatBytes = (d: SqlDialect, a: string, b: string): string =>
  d.name === 'sqlite' ? `CAST(${a} || ${b} AS BLOB)` : `${a} || CAST(${b} AS bytea)`;
/** A row lock for the rest of the transaction: PostgreSQL's; SQLite's write transactions run one at a time. */
const forUpdate = (d: SqlDialect): string => (d.name === 'postgres' ? ' FOR UPDATE' : '');

/** An exit record's columns, current or archived, in one order (what the archive copies and listing unions). */
const RECORD_COLUMNS = `node_id, kind, target_bytes, policy, initiated_at, starting_bytes, gather_stream_id, gather_part, gather_index,
  gathered_at, pieces_queued, pieces_transferred, pieces_dropped, pieces_failed, bytes_transferred, last_activity_at, finished_at,
  outcome, failure_reason, failure_detail, receipt`;

const ITEM_COLUMNS = 'node_id, piece_id, root_piece_id, piece_number, stream_id, position_part, position_index, piece_size, durability, drop_piece, queued_at';
/**
 * What an item is read back as: every column but `node_id`, which the caller named. The driver
 * builds a value per column per row, the largest part of a read's cost (about a microsecond a
 * column on SQLite; a byte string more).
 */
const ITEM_READ = `piece_id, root_piece_id, piece_number, stream_id, position_part, position_index, piece_size, durability, drop_piece, queued_at,
  failed_count, send_count, last_failed_at, last_failed_code, tried_nodes`;

export function statements(d: SqlDialect) {
  const { text, time, bytes } = d.types;
  return {
    // A time-based exit has nothing to gather: gathered at once ($6, null otherwise).
    start: sqlStatement('exit_queue_start', `
      INSERT INTO exit_nodes (node_id, initiated_at, last_activity_at, kind, target_bytes, policy, gathered_at)
      VALUES ($1, $2, $2, CAST($3 AS ${text}), CAST($4 AS ${d.types.count}), CAST($5 AS ${text}), CAST($6 AS ${time}))
      ON CONFLICT (node_id) DO NOTHING RETURNING *`),
    get: sqlStatement('exit_queue_get_exit', 'SELECT * FROM exit_nodes WHERE node_id = $1'),
    // Archived records are all finished: `unfinished` ($1) leaves them out.
    list: sqlStatement('exit_queue_list_exits', `
      SELECT ${RECORD_COLUMNS}, CAST(NULL AS ${time}) AS archived_at FROM exit_nodes
      WHERE (CAST($1 AS INTEGER) = 0 OR finished_at IS NULL)
        AND (CAST($2 AS ${time}) IS NULL OR finished_at >= CAST($2 AS ${time}))
        AND (CAST($3 AS ${time}) IS NULL OR finished_at < CAST($3 AS ${time}))
        AND (CAST($4 AS ${bytes}) IS NULL OR node_id = CAST($4 AS ${bytes}))
      UNION ALL
      SELECT ${RECORD_COLUMNS}, archived_at FROM exit_history
      WHERE CAST($1 AS INTEGER) = 0
        AND (CAST($2 AS ${time}) IS NULL OR finished_at >= CAST($2 AS ${time}))
        AND (CAST($3 AS ${time}) IS NULL OR finished_at < CAST($3 AS ${time}))
        AND (CAST($4 AS ${bytes}) IS NULL OR node_id = CAST($4 AS ${bytes}))
      ORDER BY initiated_at, node_id`),
    archive: sqlStatement('exit_queue_archive', `
      INSERT INTO exit_history (${RECORD_COLUMNS}, archived_at)
      SELECT ${RECORD_COLUMNS}, CAST($2 AS ${time}) FROM exit_nodes WHERE node_id = $1 AND finished_at IS NOT NULL
      RETURNING *`),
    deleteExit: sqlStatement('exit_queue_delete_exit', 'DELETE FROM exit_nodes WHERE node_id = $1'),
    lockGathering: sqlStatement('exit_queue_lock_gathering', `
      SELECT kind, target_bytes, finished_at FROM exit_nodes WHERE node_id = $1 AND gathered_at IS NULL${forUpdate(d)}`),
    // A partial exit keeps the healthiest segments' pieces until their sizes reach the target:
    // a piece goes when the ones ranked before it already reach it.
    keepHealthiest: sqlStatement('exit_queue_keep_healthiest', `
      DELETE FROM exit_queue WHERE node_id = $1 AND piece_id IN (
        SELECT piece_id FROM (
          SELECT piece_id, SUM(piece_size) OVER (ORDER BY durability DESC, piece_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - piece_size AS before
          FROM exit_queue WHERE node_id = $1
        ) AS ranked WHERE before >= $2)`),
    transferAll: sqlStatement('exit_queue_transfer_all', 'UPDATE exit_queue SET drop_piece = 0 WHERE node_id = $1 AND drop_piece = 1'),
    recountQueued: sqlStatement('exit_queue_recount_queued', `
      UPDATE exit_nodes SET pieces_queued = (SELECT count(*) FROM exit_queue WHERE node_id = $1),
        starting_bytes = (SELECT COALESCE(SUM(piece_size), 0) FROM exit_queue WHERE node_id = $1)
      WHERE node_id = $1`),
    lockUnfinished: sqlStatement('exit_queue_lock_unfinished', `SELECT node_id FROM exit_nodes WHERE node_id = $1 AND finished_at IS NULL${forUpdate(d)}`),
    lockExit: sqlStatement('exit_queue_lock_exit', `SELECT node_id FROM exit_nodes WHERE node_id = $1${forUpdate(d)}`),
    // One row at a time: SQLite runs in-process, so a statement per item costs no round trip.
    insertItem: sqlStatement('exit_queue_insert_item', `
      INSERT INTO exit_queue (${ITEM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
      ON CONFLICT (node_id, piece_id) DO NOTHING`),
    lowerDurability: sqlStatement('exit_queue_lower_durability', `
      UPDATE exit_queue SET durability = $3 WHERE node_id = $1 AND piece_id = $2 AND durability > $3`),
    // A whole batch per statement: PostgreSQL is a round trip away. RETURNING names the new rows.
    insertItems: sqlStatement('exit_queue_insert_items', `
      INSERT INTO exit_queue (${ITEM_COLUMNS})
      SELECT CAST($1 AS bytea), u.* FROM unnest($2::bytea[], $3::bytea[], $4::integer[], $5::bytea[], $6::bigint[], $7::bigint[],
        $8::bigint[], $9::double precision[], $10::integer[], $11::timestamptz[]) AS u
      ON CONFLICT (node_id, piece_id) DO NOTHING RETURNING piece_id`),
    lowerDurabilities: sqlStatement('exit_queue_lower_durabilities', `
      UPDATE exit_queue AS q SET durability = v.durability
      FROM unnest($2::bytea[], $3::double precision[]) AS v (piece_id, durability)
      WHERE q.node_id = $1 AND q.piece_id = v.piece_id AND v.durability < q.durability`),
    advanceCursor: sqlStatement('exit_queue_advance_cursor', `
      UPDATE exit_nodes SET gather_stream_id = $2, gather_part = $3, gather_index = $4,
        starting_bytes = starting_bytes + $5, pieces_queued = pieces_queued + $6
      WHERE node_id = $1`),
    finishGathering: sqlStatement('exit_queue_finish_gathering', 'UPDATE exit_nodes SET gathered_at = $2 WHERE node_id = $1 AND gathered_at IS NULL'),
    nextItems: sqlStatement('exit_queue_next_items', `
      SELECT ${ITEM_READ} FROM exit_queue WHERE node_id = $1 AND NOT (piece_id ${d.inBytes('$2')})
      ORDER BY drop_piece DESC, durability, piece_id LIMIT $3`),
    getItem: sqlStatement('exit_queue_get_item', `SELECT ${ITEM_READ} FROM exit_queue WHERE node_id = $1 AND piece_id = $2`),
    // Counted as text: PostgreSQL's count(*) is a bigint, which pg reads as a string anyway.
    queueLength: sqlStatement('exit_queue_length', 'SELECT CAST(count(*) AS TEXT) AS n FROM exit_queue WHERE node_id = $1'),
    recordSend: sqlStatement('exit_queue_record_send', `
      UPDATE exit_queue SET send_count = send_count + 1, tried_nodes = ${concatBytes(d, 'tried_nodes', '$3')}
      WHERE node_id = $1 AND piece_id = $2 RETURNING ${ITEM_READ}`),
    recordFailure: sqlStatement('exit_queue_record_failure', `
      UPDATE exit_queue SET last_failed_at = $3, last_failed_code = CAST($4 AS ${text}), failed_count = failed_count + $5
      WHERE node_id = $1 AND piece_id = $2 RETURNING ${ITEM_READ}`),
    // No RETURNING: the count of deleted rows answers, and SQLite would buffer the returned row in a temporary table.
    deleteItem: sqlStatement('exit_queue_delete_item', 'DELETE FROM exit_queue WHERE node_id = $1 AND piece_id = $2'),
    countFinished: sqlStatement('exit_queue_count_finished', `
      UPDATE exit_nodes SET pieces_transferred = pieces_transferred + $2, bytes_transferred = bytes_transferred + $3,
        pieces_dropped = pieces_dropped + $4, pieces_failed = pieces_failed + $5,
        last_activity_at = ${d.greatest}(last_activity_at, CAST($6 AS ${time}))
      WHERE node_id = $1`),
    touch: sqlStatement('exit_queue_touch', `
      UPDATE exit_nodes SET last_activity_at = ${d.greatest}(last_activity_at, CAST($2 AS ${time})) WHERE node_id = $1`),
    // The WHERE on finished_at is the compare-and-swap: the first finish wins.
    finishExit: sqlStatement('exit_queue_finish_exit', `
      UPDATE exit_nodes SET finished_at = $2, outcome = CAST($3 AS ${text}), failure_reason = CAST($4 AS ${text}),
        failure_detail = CAST($5 AS ${text}), receipt = CAST($6 AS ${bytes})
      WHERE node_id = $1 AND finished_at IS NULL RETURNING *`),
    clearQueue: sqlStatement('exit_queue_clear', 'DELETE FROM exit_queue WHERE node_id = $1'),
  };
}

export type Statements = ReturnType<typeof statements>;
