/**
 * The node exit store over SQL, shared by the SQLite and PostgreSQL stores: one set of
 * statements over `graceful_exit_status` (schema.ts), parameterised by dialect. Every change is
 * one statement, so each is atomic without a transaction: the counters' `state = 'exiting'`
 * guard and `finish`'s compare-and-swap live in the statements' WHERE clauses.
 */
import type { SqlDialect } from '../../sql/dialect.js';
import { millis, optionalMillis } from '../../sql/dialect.js';
import { sqlStatement, type SqlExecutor } from '../../sql/executor.js';
import { bufferOf, plainBytes } from '../../sql/migrations.js';
import { FULL_NODE_EXIT, type NodeExitFinish, type NodeExitStart, type NodeExitStore } from '../node-store.js';
import type { ExitBandwidthChoice, ExitKind, ExitPolicy, NodeExitState, NodeExitStatus } from '../types.js';
import { requireCount, requireId, requireNodeExitFinish, requireNodeExitStart } from '../store/validate.js';

/** This store's row in `handoff_schema_versions` (when it keeps its own database). */
export const NODE_EXIT_STORE_NAME = 'node_exit';

/** A status's columns, current or archived, in one order (what the archive copies). */
const STATUS_COLUMNS = `satellite_id, state, kind, target_bytes, policy, bandwidth, started_at, starting_bytes, bytes_transferred,
  pieces_transferred, pieces_failed, bytes_deleted, pieces_deleted, finished_at, failure_reason, receipt, wiped`;

function statements(d: SqlDialect) {
  const { text, time, bytes, count } = d.types;
  return {
    start: sqlStatement('node_exit_start', `
      INSERT INTO graceful_exit_status (satellite_id, state, started_at, starting_bytes, kind, target_bytes, policy, bandwidth)
      VALUES ($1, 'exiting', $2, $3, CAST($4 AS ${text}), CAST($5 AS ${count}), CAST($6 AS ${text}), CAST($7 AS ${text}))
      ON CONFLICT (satellite_id) DO NOTHING`),
    get: sqlStatement('node_exit_get', 'SELECT * FROM graceful_exit_status WHERE satellite_id = $1'),
    list: sqlStatement('node_exit_list', 'SELECT * FROM graceful_exit_status ORDER BY started_at, satellite_id'),
    history: sqlStatement('node_exit_history', `
      SELECT * FROM graceful_exit_history WHERE CAST($1 AS ${bytes}) IS NULL OR satellite_id = CAST($1 AS ${bytes})
      ORDER BY started_at, satellite_id, archived_at`),
    // Both guarded by the state: run in one transaction, they copy and remove a finished exit or nothing.
    archive: sqlStatement('node_exit_archive', `
      INSERT INTO graceful_exit_history (${STATUS_COLUMNS}, archived_at)
      SELECT ${STATUS_COLUMNS}, CAST($2 AS ${time}) FROM graceful_exit_status WHERE satellite_id = $1 AND state <> 'exiting'`),
    removeFinished: sqlStatement('node_exit_remove_finished', `DELETE FROM graceful_exit_status WHERE satellite_id = $1 AND state <> 'exiting'`),
    addTransferred: sqlStatement('node_exit_add_transferred', `
      UPDATE graceful_exit_status SET bytes_transferred = bytes_transferred + $2, pieces_transferred = pieces_transferred + 1
      WHERE satellite_id = $1 AND state = 'exiting'`),
    addFailed: sqlStatement('node_exit_add_failed', `
      UPDATE graceful_exit_status SET pieces_failed = pieces_failed + 1 WHERE satellite_id = $1 AND state = 'exiting'`),
    addDeleted: sqlStatement('node_exit_add_deleted', `
      UPDATE graceful_exit_status SET bytes_deleted = bytes_deleted + $2, pieces_deleted = pieces_deleted + 1 WHERE satellite_id = $1`),
    // The WHERE on the state is the compare-and-swap: the first finish wins.
    finish: sqlStatement('node_exit_finish', `
      UPDATE graceful_exit_status SET state = CAST($2 AS ${text}), failure_reason = CAST($3 AS ${text}),
        receipt = CAST($4 AS ${bytes}), finished_at = CAST($5 AS ${time})
      WHERE satellite_id = $1 AND state = 'exiting' RETURNING *`),
    markWiped: sqlStatement('node_exit_mark_wiped', `
      UPDATE graceful_exit_status SET wiped = 1 WHERE satellite_id = $1 AND state <> 'exiting'`),
  };
}

/** A row as either driver reads it: times are numbers in SQLite and Dates in PostgreSQL; a bigint comes as a string. */
interface Row {
  satellite_id: Uint8Array;
  state: string;
  kind: string;
  target_bytes: number | string | null;
  policy: string;
  bandwidth: string | null;
  archived_at?: number | Date;
  started_at: number | Date;
  starting_bytes: number | string;
  bytes_transferred: number | string;
  pieces_transferred: number | string;
  pieces_failed: number | string;
  bytes_deleted: number | string;
  pieces_deleted: number | string;
  finished_at: number | Date | null;
  failure_reason: string | null;
  receipt: Uint8Array | null;
  wiped: number;
}

/**
 * See the file comment; `SqliteNodeExitStore` and `PostgresNodeExitStore` open it.
 *
 * @example
 * ```ts
 * const exits: SqlNodeExitStore = await SqliteNodeExitStore.open({ path: ':memory:' });
 * await exits.start(satelliteId, bytesHeld, Date.now());
 * ```
 */
export abstract class SqlNodeExitStore implements NodeExitStore {
  readonly #sql: SqlExecutor;
  readonly #s: ReturnType<typeof statements>;

  protected constructor(executor: SqlExecutor) {
    this.#sql = executor;
    this.#s = statements(executor.dialect);
  }

  async start(satelliteId: Uint8Array, startingBytes: number, at: number, exit: NodeExitStart = FULL_NODE_EXIT): Promise<NodeExitStatus> {
    requireId(satelliteId, 'satelliteId');
    requireCount(startingBytes, 'startingBytes');
    requireCount(at, 'at');
    requireNodeExitStart(exit);
    const id = bufferOf(satelliteId);
    await this.#sql.run(this.#s.start, [id, this.#sql.dialect.time(at), startingBytes, exit.kind, exit.targetBytes, exit.policy, exit.bandwidth]);
    // The row exists from here on (this start's, or an earlier one's, unchanged).
    const rows = await this.#sql.rows<Row>(this.#s.get, [id]);
    return fromRow(rows[0]!);
  }

  async get(satelliteId: Uint8Array): Promise<NodeExitStatus | undefined> {
    requireId(satelliteId, 'satelliteId');
    const rows = await this.#sql.rows<Row>(this.#s.get, [bufferOf(satelliteId)]);
    return rows[0] && fromRow(rows[0]);
  }

  async list(): Promise<NodeExitStatus[]> {
    return (await this.#sql.rows<Row>(this.#s.list, [])).map(fromRow);
  }

  async history(satelliteId?: Uint8Array): Promise<NodeExitStatus[]> {
    if (satelliteId !== undefined) requireId(satelliteId, 'satelliteId');
    return (await this.#sql.rows<Row>(this.#s.history, [satelliteId === undefined ? null : bufferOf(satelliteId)])).map(fromRow);
  }

  async archive(satelliteId: Uint8Array, at: number): Promise<boolean> {
    requireId(satelliteId, 'satelliteId');
    requireCount(at, 'at');
    const id = bufferOf(satelliteId);
    const current = (await this.#sql.rows<Row>(this.#s.get, [id]))[0];
    if (current === undefined || current.state === 'exiting') return false;
    // A finished exit stays finished: the guarded statements below archive exactly what was read.
    await this.#sql.transaction([
      { statement: this.#s.archive, values: [id, this.#sql.dialect.time(at)] },
      { statement: this.#s.removeFinished, values: [id] },
    ]);
    return true;
  }

  async addTransferred(satelliteId: Uint8Array, bytes: number): Promise<void> {
    requireId(satelliteId, 'satelliteId');
    requireCount(bytes, 'bytes');
    await this.#sql.run(this.#s.addTransferred, [bufferOf(satelliteId), bytes]);
  }

  async addFailed(satelliteId: Uint8Array): Promise<void> {
    requireId(satelliteId, 'satelliteId');
    await this.#sql.run(this.#s.addFailed, [bufferOf(satelliteId)]);
  }

  async addDeleted(satelliteId: Uint8Array, bytes: number): Promise<void> {
    requireId(satelliteId, 'satelliteId');
    requireCount(bytes, 'bytes');
    await this.#sql.run(this.#s.addDeleted, [bufferOf(satelliteId), bytes]);
  }

  async finish(satelliteId: Uint8Array, finish: NodeExitFinish): Promise<NodeExitStatus | undefined> {
    requireId(satelliteId, 'satelliteId');
    requireNodeExitFinish(finish);
    const values = [bufferOf(satelliteId), finish.state, finish.failureReason, bufferOf(finish.receipt), this.#sql.dialect.time(finish.at)];
    const rows = await this.#sql.rows<Row>(this.#s.finish, values);
    return rows[0] && fromRow(rows[0]);
  }

  async markWiped(satelliteId: Uint8Array): Promise<void> {
    requireId(satelliteId, 'satelliteId');
    await this.#sql.run(this.#s.markWiped, [bufferOf(satelliteId)]);
  }

  async close(): Promise<void> {
    await this.#sql.close();
  }
}

function fromRow(row: Row): NodeExitStatus {
  return {
    satelliteId: plainBytes(row.satellite_id),
    state: row.state as NodeExitState,
    kind: row.kind as ExitKind,
    targetBytes: row.target_bytes === null ? null : Number(row.target_bytes),
    policy: row.policy as ExitPolicy,
    bandwidth: row.bandwidth as ExitBandwidthChoice | null,
    startedAt: millis(row.started_at),
    startingBytes: Number(row.starting_bytes),
    bytesTransferred: Number(row.bytes_transferred),
    piecesTransferred: Number(row.pieces_transferred),
    piecesFailed: Number(row.pieces_failed),
    bytesDeleted: Number(row.bytes_deleted),
    piecesDeleted: Number(row.pieces_deleted),
    finishedAt: optionalMillis(row.finished_at),
    failureReason: row.failure_reason,
    receipt: row.receipt === null ? null : plainBytes(row.receipt),
    wiped: Number(row.wiped) === 1,
    archivedAt: row.archived_at === undefined ? null : millis(row.archived_at),
  };
}
