/**
 * The exit queue store over SQL, shared by the SQLite and PostgreSQL stores: one schema and one
 * set of statements, parameterised by dialect (see sql/dialect.ts), and each multi-statement
 * operation written once as a plan — a generator that yields statements and receives their
 * results — which the SQLite runner drives synchronously inside one better-sqlite3 transaction
 * and the PostgreSQL runner inside BEGIN … COMMIT (retried from the start on a serialization
 * failure, as CockroachDB asks).
 *
 * Tables: `exit_nodes` (one row per exiting or exited node), `exit_queue` (one row per piece
 * still to hand over, keyed by (node_id, piece_id)) and `exit_history` (finished exits archived
 * when a newer one started or the node rejoined). Transactions that touch both lock the
 * `exit_nodes` row first, so they never wait on each other in opposite orders.
 */
import { toHex } from '../../core/bytes.js';
import { millis, optionalMillis, type SqlDialect } from '../../sql/dialect.js';
import { sqlStatement, type SqlStatement, type SqlStep } from '../../sql/executor.js';
import { bufferOf, plainBytes } from '../../sql/migrations.js';
import type { SegmentCursor } from '../../metainfo/metabase/types.js';
import { FULL_EXIT, type ExitQueueStore, type FinishedItem, type FinishExit, type ListExits, type NewExit, type NewExitQueueItem } from '../queue-store.js';
import type { ExitFailureReason, ExitKind, ExitOutcome, ExitPolicy, ExitQueueItem, ExitRecord, TransferError } from '../types.js';
import {
  requireCount,
  requireCursor,
  requireFinishedItem,
  requireFinishExit,
  requireId,
  requireIds,
  requireListExits,
  requireNewExit,
  requireNewItems,
  requireTransferError,
} from './validate.js';

/** This store's row in `handoff_schema_versions`. */
export const EXIT_QUEUE_STORE_NAME = 'exit_queue';

const ID_BYTES = 32;

const emptyBytes = (d: SqlDialect): string => (d.name === 'sqlite' ? "X''" : "'\\x'::bytea");
/**
 * `a || b` over byte strings. SQLite's `||` joins two BLOBs' bytes as they are but calls the
 * result TEXT; the cast makes it a BLOB again without touching a byte (a round trip through hex
 * cost two conversions of the whole list per send).
 */
const concatBytes = (d: SqlDialect, a: string, b: string): string =>
  d.name === 'sqlite' ? `CAST(${a} || ${b} AS BLOB)` : `${a} || CAST(${b} AS bytea)`;
/** A row lock for the rest of the transaction: PostgreSQL's; SQLite's write transactions run one at a time. */
const forUpdate = (d: SqlDialect): string => (d.name === 'postgres' ? ' FOR UPDATE' : '');

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

/** `ADD COLUMN IF NOT EXISTS` where the database has it (PostgreSQL, CockroachDB), so a retried migration is harmless. */

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

function statements(d: SqlDialect) {
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

type Statements = ReturnType<typeof statements>;

/** A result row as a driver returns it. */
export type SqlRow = Readonly<Record<string, unknown>>;

export interface PlanStepResult {
  readonly rows: readonly SqlRow[];
  /** Rows a write changed, or rows a query returned. */
  readonly count: number;
}

/** An operation written once for both dialects, one {@link SqlStep} at a time; see the file comment. */
export type Plan<T> = Generator<SqlStep, T, PlanStepResult>;

function* exec(statement: SqlStatement, values: readonly unknown[]): Generator<SqlStep, PlanStepResult, PlanStepResult> {
  return yield { statement, values };
}

/** What the store asks of its database; `SqliteExitQueueStore` and `PostgresExitQueueStore` provide one. */
export interface ExitSqlRunner {
  readonly dialect: SqlDialect;
  /** One statement on its own. */
  query(statement: SqlStatement, values: readonly unknown[]): Promise<PlanStepResult>;
  /** Runs a plan as one transaction; the factory may be called again to retry it from the start. */
  transact<T>(plan: () => Plan<T>): Promise<T>;
  /** Closes the connection or pool if the store opened it itself. */
  close(): Promise<void>;
}

/** Drives `plan`, executing each step with `execute`, synchronously (for better-sqlite3). */
export function drivePlan<T>(plan: Plan<T>, execute: (step: SqlStep) => PlanStepResult): T {
  let next = plan.next();
  while (!next.done) next = plan.next(execute(next.value));
  return next.value;
}

/** Drives `plan` with an asynchronous `execute` (for pg). */
export async function drivePlanAsync<T>(plan: Plan<T>, execute: (step: SqlStep) => Promise<PlanStepResult>): Promise<T> {
  let next = plan.next();
  while (!next.done) next = plan.next(await execute(next.value));
  return next.value;
}

/**
 * See the file comment; `SqliteExitQueueStore` and `PostgresExitQueueStore` open it.
 *
 * @example
 * ```ts
 * const exits: SqlExitQueueStore = await SqliteExitQueueStore.open({ path: ':memory:' });
 * await exits.startExit(nodeId, Date.now());
 * ```
 */
export abstract class SqlExitQueueStore implements ExitQueueStore {
  readonly #sql: ExitSqlRunner;
  readonly #s: Statements;

  protected constructor(runner: ExitSqlRunner) {
    this.#sql = runner;
    this.#s = statements(runner.dialect);
  }

  async startExit(nodeId: Uint8Array, at: number, exit: NewExit = FULL_EXIT): Promise<{ readonly record: ExitRecord; readonly created: boolean }> {
    requireId(nodeId, 'nodeId');
    requireCount(at, 'at');
    requireNewExit(exit);
    const id = bufferOf(nodeId);
    const gatheredAt = exit.policy === 'time-based' ? this.#time(at) : null;
    const inserted = await this.#sql.query(this.#s.start, [id, this.#time(at), exit.kind, exit.targetBytes, exit.policy, gatheredAt]);
    if (inserted.rows[0]) return { record: recordFromRow(inserted.rows[0]), created: true };
    // Someone else's start (or an earlier one) won; the row exists from here on.
    const known = await this.#sql.query(this.#s.get, [id]);
    return { record: recordFromRow(known.rows[0]!), created: false };
  }

  async getExit(nodeId: Uint8Array): Promise<ExitRecord | undefined> {
    requireId(nodeId, 'nodeId');
    const { rows } = await this.#sql.query(this.#s.get, [bufferOf(nodeId)]);
    return rows[0] && recordFromRow(rows[0]);
  }

  async listExits(options: ListExits = {}): Promise<ExitRecord[]> {
    requireListExits(options);
    const optionalTime = (ms: number | undefined) => (ms === undefined ? null : this.#time(ms));
    const node = options.nodeId === undefined ? null : bufferOf(options.nodeId);
    const values = [options.unfinished ? 1 : 0, optionalTime(options.finishedFrom), optionalTime(options.finishedTo), node];
    const { rows } = await this.#sql.query(this.#s.list, values);
    return rows.map(recordFromRow);
  }

  async archiveExit(nodeId: Uint8Array, at: number): Promise<ExitRecord | undefined> {
    requireId(nodeId, 'nodeId');
    requireCount(at, 'at');
    return this.#sql.transact(() => this.#archive(bufferOf(nodeId), at));
  }

  async enqueue(nodeId: Uint8Array, items: readonly NewExitQueueItem[], cursor: SegmentCursor): Promise<void> {
    requireId(nodeId, 'nodeId');
    requireNewItems(items);
    requireCursor(cursor);
    const batch = distinctItems(items);
    await this.#sql.transact(() => this.#enqueue(bufferOf(nodeId), batch, cursor));
  }

  async finishGathering(nodeId: Uint8Array, at: number): Promise<void> {
    requireId(nodeId, 'nodeId');
    requireCount(at, 'at');
    await this.#sql.transact(() => this.#finishGathering(bufferOf(nodeId), at));
  }

  async nextItems(nodeId: Uint8Array, limit: number, exclude: readonly Uint8Array[]): Promise<ExitQueueItem[]> {
    requireId(nodeId, 'nodeId');
    requireCount(limit, 'limit');
    requireIds(exclude, 'exclude');
    if (limit === 0) return [];
    const { rows } = await this.#sql.query(this.#s.nextItems, [bufferOf(nodeId), this.#sql.dialect.bytesList(exclude), limit]);
    return rows.map((row) => itemFromRow(row, nodeId));
  }

  async getItem(nodeId: Uint8Array, pieceId: Uint8Array): Promise<ExitQueueItem | undefined> {
    requireId(nodeId, 'nodeId');
    requireId(pieceId, 'pieceId');
    const { rows } = await this.#sql.query(this.#s.getItem, [bufferOf(nodeId), bufferOf(pieceId)]);
    return rows[0] && itemFromRow(rows[0], nodeId);
  }

  async queueLength(nodeId: Uint8Array): Promise<number> {
    requireId(nodeId, 'nodeId');
    const { rows } = await this.#sql.query(this.#s.queueLength, [bufferOf(nodeId)]);
    return Number(rows[0]?.n ?? 0);
  }

  async recordSend(nodeId: Uint8Array, pieceId: Uint8Array, replacementNodeId: Uint8Array): Promise<ExitQueueItem | undefined> {
    requireId(nodeId, 'nodeId');
    requireId(pieceId, 'pieceId');
    requireId(replacementNodeId, 'replacementNodeId');
    const { rows } = await this.#sql.query(this.#s.recordSend, [bufferOf(nodeId), bufferOf(pieceId), bufferOf(replacementNodeId)]);
    return rows[0] && itemFromRow(rows[0], nodeId);
  }

  async recordFailure(
    nodeId: Uint8Array,
    pieceId: Uint8Array,
    failure: { readonly code: TransferError; readonly at: number; readonly counts: boolean },
  ): Promise<ExitQueueItem | undefined> {
    requireId(nodeId, 'nodeId');
    requireId(pieceId, 'pieceId');
    requireTransferError(failure?.code, 'failure.code');
    requireCount(failure.at, 'failure.at');
    const values = [bufferOf(nodeId), bufferOf(pieceId), this.#time(failure.at), failure.code, failure.counts ? 1 : 0];
    const { rows } = await this.#sql.query(this.#s.recordFailure, values);
    return rows[0] && itemFromRow(rows[0], nodeId);
  }

  async finishItem(nodeId: Uint8Array, pieceId: Uint8Array, result: FinishedItem, at: number): Promise<boolean> {
    requireId(nodeId, 'nodeId');
    requireId(pieceId, 'pieceId');
    requireFinishedItem(result);
    requireCount(at, 'at');
    return this.#sql.transact(() => this.#finishItem(bufferOf(nodeId), bufferOf(pieceId), result, at));
  }

  async touch(nodeId: Uint8Array, at: number): Promise<void> {
    requireId(nodeId, 'nodeId');
    requireCount(at, 'at');
    await this.#sql.query(this.#s.touch, [bufferOf(nodeId), this.#time(at)]);
  }

  async finishExit(nodeId: Uint8Array, finish: FinishExit): Promise<ExitRecord | undefined> {
    requireId(nodeId, 'nodeId');
    requireFinishExit(finish);
    return this.#sql.transact(() => this.#finishExit(bufferOf(nodeId), finish));
  }

  async close(): Promise<void> {
    await this.#sql.close();
  }

  #time(ms: number): unknown {
    return this.#sql.dialect.time(ms);
  }

  *#enqueue(id: Buffer, items: readonly NewExitQueueItem[], cursor: SegmentCursor): Plan<void> {
    const s = this.#s;
    if ((yield* exec(s.lockUnfinished, [id])).count === 0) return; // unknown or finished: ignored
    let added = 0;
    let bytes = 0;
    if (this.#sql.dialect.name === 'postgres') {
      if (items.length > 0) {
        const inserted = yield* exec(s.insertItems, [
          id,
          items.map((i) => bufferOf(i.pieceId)),
          items.map((i) => bufferOf(i.rootPieceId)),
          items.map((i) => i.pieceNumber),
          items.map((i) => bufferOf(i.streamId)),
          items.map((i) => i.position.part),
          items.map((i) => i.position.index),
          items.map((i) => i.pieceSize),
          items.map((i) => i.durability),
          items.map((i) => (i.drop ? 1 : 0)),
          items.map((i) => this.#time(i.queuedAt)),
        ]);
        const fresh = new Set(inserted.rows.map((r) => toHex(r.piece_id as Uint8Array)));
        for (const item of items) {
          if (!fresh.has(toHex(item.pieceId))) continue;
          added++;
          bytes += item.pieceSize;
        }
        if (fresh.size < items.length) {
          const known = items.filter((i) => !fresh.has(toHex(i.pieceId)));
          yield* exec(s.lowerDurabilities, [id, known.map((i) => bufferOf(i.pieceId)), known.map((i) => i.durability)]);
        }
      }
    } else {
      for (const item of items) {
        const pieceId = bufferOf(item.pieceId);
        const { count } = yield* exec(s.insertItem, [
          id, pieceId, bufferOf(item.rootPieceId), item.pieceNumber, bufferOf(item.streamId), item.position.part,
          item.position.index, item.pieceSize, item.durability, item.drop ? 1 : 0, this.#time(item.queuedAt),
        ]);
        if (count === 1) {
          added++;
          bytes += item.pieceSize;
        } else {
          yield* exec(s.lowerDurability, [id, pieceId, item.durability]);
        }
      }
    }
    yield* exec(s.advanceCursor, [id, bufferOf(cursor.streamId), cursor.position.part, cursor.position.index, bytes, added]);
  }

  *#archive(id: Buffer, at: number): Plan<ExitRecord | undefined> {
    const s = this.#s;
    if ((yield* exec(s.lockExit, [id])).count === 0) return undefined;
    const { rows } = yield* exec(s.archive, [id, this.#time(at)]);
    if (!rows[0]) return undefined; // unfinished: stays
    yield* exec(s.deleteExit, [id]);
    yield* exec(s.clearQueue, [id]);
    return recordFromRow(rows[0]);
  }

  *#finishGathering(id: Buffer, at: number): Plan<void> {
    const s = this.#s;
    const { rows } = yield* exec(s.lockGathering, [id]);
    const exit = rows[0];
    if (!exit) return; // unknown, or gathered already
    if (exit.kind === 'partial' && (exit.finished_at === null || exit.finished_at === undefined)) {
      yield* exec(s.keepHealthiest, [id, num(exit.target_bytes)]);
      yield* exec(s.transferAll, [id]);
      yield* exec(s.recountQueued, [id]);
    }
    yield* exec(s.finishGathering, [id, this.#time(at)]);
  }

  *#finishItem(id: Buffer, pieceId: Buffer, result: FinishedItem, at: number): Plan<boolean> {
    const s = this.#s;
    // PostgreSQL: the exit row is locked first, as every transaction touching both tables does.
    // SQLite's IMMEDIATE transaction holds the database's one write lock already, and a queued
    // item always has its exit row (archiving and finishing an exit clear its queue in the same
    // transaction), so there the delete alone answers — one statement fewer per piece.
    if (this.#sql.dialect.name === 'postgres' && (yield* exec(s.lockExit, [id])).count === 0) return false;
    if ((yield* exec(s.deleteItem, [id, pieceId])).count === 0) return false; // already finished (or no exit): count nothing
    const transferred = result.kind === 'transferred';
    yield* exec(s.countFinished, [
      id, transferred ? 1 : 0, transferred ? result.bytes : 0, result.kind === 'dropped' ? 1 : 0, result.kind === 'failed' ? 1 : 0, this.#time(at),
    ]);
    return true;
  }

  *#finishExit(id: Buffer, finish: FinishExit): Plan<ExitRecord | undefined> {
    const s = this.#s;
    const { rows } = yield* exec(s.finishExit, [
      id, this.#time(finish.at), finish.outcome, finish.reason, finish.detail, bufferOf(finish.receipt),
    ]);
    if (!rows[0]) return undefined;
    yield* exec(s.clearQueue, [id]);
    return recordFromRow(rows[0]);
  }
}

/**
 * One item per piece id, in piece id order (a fixed order, so concurrent batches lock rows the
 * same way): the first occurrence, with the lowest durability any occurrence gave — what the
 * memory store ends with when a batch names a piece twice.
 */
function distinctItems(items: readonly NewExitQueueItem[]): NewExitQueueItem[] {
  const byPiece = new Map<string, NewExitQueueItem>();
  for (const item of items) {
    const key = toHex(item.pieceId);
    const seen = byPiece.get(key);
    if (!seen) byPiece.set(key, item);
    else if (item.durability < seen.durability) byPiece.set(key, { ...seen, durability: item.durability });
  }
  return [...byPiece.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, item]) => item);
}

// PostgreSQL hands bigints back as strings, and times as Dates; SQLite numbers for both.
const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value as string));
const time = (value: unknown): number => millis(value as number | Date);
const optionalTime = (value: unknown): number | null => optionalMillis(value as number | Date | null);
const bytesOf = (value: unknown): Uint8Array => plainBytes(value as Uint8Array);

function recordFromRow(row: SqlRow): ExitRecord {
  return {
    nodeId: bytesOf(row.node_id),
    kind: row.kind as ExitKind,
    targetBytes: row.target_bytes === null || row.target_bytes === undefined ? null : num(row.target_bytes),
    policy: row.policy as ExitPolicy,
    initiatedAt: time(row.initiated_at),
    startingBytes: num(row.starting_bytes),
    gatherCursor:
      row.gather_stream_id === null || row.gather_stream_id === undefined
        ? undefined
        : { streamId: bytesOf(row.gather_stream_id), position: { part: num(row.gather_part), index: num(row.gather_index) } },
    gatheredAt: optionalTime(row.gathered_at),
    piecesQueued: num(row.pieces_queued),
    piecesTransferred: num(row.pieces_transferred),
    piecesDropped: num(row.pieces_dropped),
    piecesFailed: num(row.pieces_failed),
    bytesTransferred: num(row.bytes_transferred),
    lastActivityAt: time(row.last_activity_at),
    finishedAt: optionalTime(row.finished_at),
    outcome: (row.outcome as ExitOutcome | null) ?? null,
    failureReason: (row.failure_reason as ExitFailureReason | null) ?? null,
    failureDetail: (row.failure_detail as string | null) ?? null,
    receipt: row.receipt === null || row.receipt === undefined ? null : bytesOf(row.receipt),
    archivedAt: row.archived_at === null || row.archived_at === undefined ? null : time(row.archived_at),
  };
}

/** An item read with {@link ITEM_READ}, of the exit of `nodeId` (copied: the caller keeps its bytes). */
function itemFromRow(row: SqlRow, nodeId: Uint8Array): ExitQueueItem {
  const tried = row.tried_nodes as Uint8Array;
  const triedNodes: Uint8Array[] = [];
  for (let at = 0; at + ID_BYTES <= tried.length; at += ID_BYTES) triedNodes.push(plainBytes(tried.subarray(at, at + ID_BYTES)));
  return {
    nodeId: plainBytes(nodeId),
    pieceId: bytesOf(row.piece_id),
    rootPieceId: bytesOf(row.root_piece_id),
    pieceNumber: num(row.piece_number),
    streamId: bytesOf(row.stream_id),
    position: { part: num(row.position_part), index: num(row.position_index) },
    pieceSize: num(row.piece_size),
    durability: num(row.durability),
    drop: num(row.drop_piece) === 1,
    queuedAt: time(row.queued_at),
    failedCount: num(row.failed_count),
    sendCount: num(row.send_count),
    lastFailedAt: optionalTime(row.last_failed_at),
    lastFailedCode: (row.last_failed_code as TransferError | null) ?? null,
    triedNodes,
  };
}
