/**
 * Rows ↔ records for the SQL exit queue store: an exit (`exit_nodes` or `exit_history`) and a
 * queued item (`exit_queue`), whichever driver read them.
 */
import { millis, optionalMillis } from '../../sql/dialect.js';
import { plainBytes } from '../../sql/migrations.js';
import type { ExitFailureReason, ExitKind, ExitOutcome, ExitPolicy, ExitQueueItem, ExitRecord, TransferError } from '../types.js';
import type { SqlRow } from '../../sql/plan.js';

const ID_BYTES = 32;

// PostgreSQL hands bigints back as strings, and times as Dates; SQLite numbers for both.
export const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value as string));
const time = (value: unknown): number => millis(value as number | Date);
const optionalTime = (value: unknown): number | null => optionalMillis(value as number | Date | null);
const bytesOf = (value: unknown): Uint8Array => plainBytes(value as Uint8Array);

export function recordFromRow(row: SqlRow): ExitRecord {
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

/** An item read with `ITEM_READ` (statements.ts), of the exit of `nodeId` (copied: the caller keeps its bytes). */
export function itemFromRow(row: SqlRow, nodeId: Uint8Array): ExitQueueItem {
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
