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
 *
 * This file holds the store's operations; the schema is in schema.ts, the statements in
 * statements.ts, the runners' contract in runner.ts, row mapping in rows.ts.
 */
import { toHex } from '../../core/bytes.js';
import { bufferOf } from '../../sql/migrations.js';
import type { SegmentCursor } from '../../metainfo/metabase/types.js';
import { FULL_EXIT, type ExitQueueStore, type FinishedItem, type FinishExit, type ListExits, type NewExit, type NewExitQueueItem } from '../queue-store.js';
import type { ExitQueueItem, ExitRecord, TransferError } from '../types.js';
import { exec, type Plan } from '../../sql/plan.js';
import type { ExitSqlRunner } from './runner.js';
import { itemFromRow, num, recordFromRow } from './rows.js';
import { statements, type Statements } from './statements.js';
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
    if ((yield* exec(s.lockUnfinished, id)).count === 0) return; // unknown or finished: ignored
    let added = 0;
    let bytes = 0;
    if (this.#sql.dialect.name === 'postgres') {
      if (items.length > 0) {
        const inserted = yield* exec(
          s.insertItems,
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
        );
        const fresh = new Set(inserted.rows.map((r) => toHex(r.piece_id as Uint8Array)));
        for (const item of items) {
          if (!fresh.has(toHex(item.pieceId))) continue;
          added++;
          bytes += item.pieceSize;
        }
        if (fresh.size < items.length) {
          const known = items.filter((i) => !fresh.has(toHex(i.pieceId)));
          yield* exec(s.lowerDurabilities, id, known.map((i) => bufferOf(i.pieceId)), known.map((i) => i.durability));
        }
      }
    } else {
      for (const item of items) {
        const pieceId = bufferOf(item.pieceId);
        const { count } = yield* exec(
          s.insertItem,
          id, pieceId, bufferOf(item.rootPieceId), item.pieceNumber, bufferOf(item.streamId), item.position.part,
          item.position.index, item.pieceSize, item.durability, item.drop ? 1 : 0, this.#time(item.queuedAt),
        );
        if (count === 1) {
          added++;
          bytes += item.pieceSize;
        } else {
          yield* exec(s.lowerDurability, id, pieceId, item.durability);
        }
      }
    }
    yield* exec(s.advanceCursor, id, bufferOf(cursor.streamId), cursor.position.part, cursor.position.index, bytes, added);
  }

  *#archive(id: Buffer, at: number): Plan<ExitRecord | undefined> {
    const s = this.#s;
    if ((yield* exec(s.lockExit, id)).count === 0) return undefined;
    const { rows } = yield* exec(s.archive, id, this.#time(at));
    if (!rows[0]) return undefined; // unfinished: stays
    yield* exec(s.deleteExit, id);
    yield* exec(s.clearQueue, id);
    return recordFromRow(rows[0]);
  }

  *#finishGathering(id: Buffer, at: number): Plan<void> {
    const s = this.#s;
    const { rows } = yield* exec(s.lockGathering, id);
    const exit = rows[0];
    if (!exit) return; // unknown, or gathered already
    if (exit.kind === 'partial' && (exit.finished_at === null || exit.finished_at === undefined)) {
      yield* exec(s.keepHealthiest, id, num(exit.target_bytes));
      yield* exec(s.transferAll, id);
      yield* exec(s.recountQueued, id);
    }
    yield* exec(s.finishGathering, id, this.#time(at));
  }

  *#finishItem(id: Buffer, pieceId: Buffer, result: FinishedItem, at: number): Plan<boolean> {
    const s = this.#s;
    // PostgreSQL: the exit row is locked first, as every transaction touching both tables does.
    // SQLite's IMMEDIATE transaction holds the database's one write lock already, and a queued
    // item always has its exit row (archiving and finishing an exit clear its queue in the same
    // transaction), so there the delete alone answers — one statement fewer per piece.
    if (this.#sql.dialect.name === 'postgres' && (yield* exec(s.lockExit, id)).count === 0) return false;
    if ((yield* exec(s.deleteItem, id, pieceId)).count === 0) return false; // already finished (or no exit): count nothing
    const transferred = result.kind === 'transferred';
    yield* exec(
      s.countFinished,
      id, transferred ? 1 : 0, transferred ? result.bytes : 0, result.kind === 'dropped' ? 1 : 0, result.kind === 'failed' ? 1 : 0, this.#time(at),
    );
    return true;
  }

  *#finishExit(id: Buffer, finish: FinishExit): Plan<ExitRecord | undefined> {
    const s = this.#s;
    const { rows } = yield* exec(
      s.finishExit,
      id, this.#time(finish.at), finish.outcome, finish.reason, finish.detail, bufferOf(finish.receipt),
    );
    if (!rows[0]) return undefined;
    yield* exec(s.clearQueue, id);
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
