/**
 * Boundary checks the exit stores (satellite queue and node status, every implementation) run
 * before touching data, so they all refuse the same inputs with the same `InvalidArgumentError`
 * naming the field, and a refused call changes nothing.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { SegmentCursor } from '../../metainfo/metabase/types.js';
import { requirePosition } from '../../metainfo/metabase/position.js';
import { ID_LENGTH, PIECE_ID_LENGTH, requireBytes, requireCount } from '../../metainfo/metabase/validate.js';
import type { FinishedItem, FinishExit, ListExits, NewExit, NewExitQueueItem } from '../queue-store.js';
import type { NodeExitFinish, NodeExitStart } from '../node-store.js';
import { EXIT_FAILURE_REASONS, EXIT_KINDS, EXIT_POLICIES, TRANSFER_ERRORS, type TransferError } from '../types.js';

export { requireCount };

/** A node, satellite or piece id: 32 bytes. */
export function requireId(value: unknown, field: string): Uint8Array {
  return requireBytes(value, field, PIECE_ID_LENGTH);
}

/** Piece ids to skip (`exclude`), node ids to record: each 32 bytes. */
export function requireIds(values: readonly Uint8Array[], field: string): void {
  if (!Array.isArray(values)) throw new InvalidArgumentError(`"${field}" expected an array of ids`);
  values.forEach((id, i) => requireId(id, `${field}[${i}]`));
}

export function requireCursor(cursor: SegmentCursor, field = 'cursor'): void {
  if (typeof cursor !== 'object' || cursor === null) throw new InvalidArgumentError(`"${field}" expected {streamId, position}`);
  requireBytes(cursor.streamId, `${field}.streamId`, ID_LENGTH);
  requirePosition(cursor.position, `${field}.position`);
}

export function requireDurability(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`"${field}" expected a finite non-negative number, got ${String(value)}`);
  }
  return value;
}

export function requireNewItem(item: NewExitQueueItem, field: string): void {
  if (typeof item !== 'object' || item === null) throw new InvalidArgumentError(`"${field}" expected a queue item`);
  requireId(item.pieceId, `${field}.pieceId`);
  requireId(item.rootPieceId, `${field}.rootPieceId`);
  requireCount(item.pieceNumber, `${field}.pieceNumber`);
  requireCursor({ streamId: item.streamId, position: item.position }, field);
  requireCount(item.pieceSize, `${field}.pieceSize`);
  requireDurability(item.durability, `${field}.durability`);
  if (typeof item.drop !== 'boolean') throw new InvalidArgumentError(`"${field}.drop" expected a boolean`);
  requireCount(item.queuedAt, `${field}.queuedAt`);
}

export function requireNewItems(items: readonly NewExitQueueItem[]): void {
  if (!Array.isArray(items)) throw new InvalidArgumentError('"items" expected an array');
  items.forEach((item, i) => requireNewItem(item, `items[${i}]`));
}

export function requireTransferError(value: unknown, field: string): TransferError {
  if (!(TRANSFER_ERRORS as readonly unknown[]).includes(value)) {
    throw new InvalidArgumentError(`"${field}" expected one of ${TRANSFER_ERRORS.join(', ')}, got ${String(value)}`);
  }
  return value as TransferError;
}

export function requireFinishedItem(result: FinishedItem): void {
  if (typeof result !== 'object' || result === null) throw new InvalidArgumentError('"result" expected {kind}');
  if (result.kind === 'transferred') requireCount(result.bytes, 'result.bytes');
  else if (result.kind !== 'dropped' && result.kind !== 'failed') {
    throw new InvalidArgumentError(`"result.kind" expected transferred, dropped or failed, got ${String((result as { kind: unknown }).kind)}`);
  }
}

export function requireFinishExit(finish: FinishExit): void {
  if (typeof finish !== 'object' || finish === null) throw new InvalidArgumentError('"finish" expected an object');
  if (finish.outcome !== 'completed' && finish.outcome !== 'failed') {
    throw new InvalidArgumentError(`"finish.outcome" expected completed or failed, got ${String(finish.outcome)}`);
  }
  if (finish.reason !== null && !(EXIT_FAILURE_REASONS as readonly unknown[]).includes(finish.reason)) {
    throw new InvalidArgumentError(`"finish.reason" expected null or one of ${EXIT_FAILURE_REASONS.join(', ')}, got ${String(finish.reason)}`);
  }
  if (finish.detail !== null && typeof finish.detail !== 'string') throw new InvalidArgumentError('"finish.detail" expected a string or null');
  requireBytes(finish.receipt, 'finish.receipt');
  requireCount(finish.at, 'finish.at');
}

/** What kind of exit to start: a full one (any policy, no target) or a partial one (a positive target, by transfer). */
export function requireNewExit(exit: NewExit): void {
  if (typeof exit !== 'object' || exit === null) throw new InvalidArgumentError('"exit" expected {kind, targetBytes, policy}');
  if (!(EXIT_KINDS as readonly unknown[]).includes(exit.kind)) throw new InvalidArgumentError(`"exit.kind" expected full or partial, got ${String(exit.kind)}`);
  if (!(EXIT_POLICIES as readonly unknown[]).includes(exit.policy)) {
    throw new InvalidArgumentError(`"exit.policy" expected one of ${EXIT_POLICIES.join(', ')}, got ${String(exit.policy)}`);
  }
  if (exit.kind === 'full') {
    if (exit.targetBytes !== null) throw new InvalidArgumentError('"exit.targetBytes" expected null for a full exit');
    return;
  }
  if (!Number.isSafeInteger(exit.targetBytes) || (exit.targetBytes as number) < 1) {
    throw new InvalidArgumentError(`"exit.targetBytes" expected a positive integer for a partial exit, got ${String(exit.targetBytes)}`);
  }
  if (exit.policy !== 'transfer') throw new InvalidArgumentError('"exit.policy" expected transfer for a partial exit (the satellite chooses pieces to move)');
}

export function requireListExits(options: ListExits): void {
  if (options.unfinished !== undefined && typeof options.unfinished !== 'boolean') {
    throw new InvalidArgumentError('"unfinished" expected a boolean');
  }
  if (options.nodeId !== undefined) requireId(options.nodeId, 'nodeId');
  if (options.finishedFrom !== undefined) requireCount(options.finishedFrom, 'finishedFrom');
  if (options.finishedTo !== undefined) requireCount(options.finishedTo, 'finishedTo');
}

export function requireNodeExitFinish(finish: NodeExitFinish): void {
  if (typeof finish !== 'object' || finish === null) throw new InvalidArgumentError('"finish" expected an object');
  if (finish.state !== 'completed' && finish.state !== 'failed') {
    throw new InvalidArgumentError(`"finish.state" expected completed or failed, got ${String(finish.state)}`);
  }
  if (finish.failureReason !== null && typeof finish.failureReason !== 'string') {
    throw new InvalidArgumentError('"finish.failureReason" expected a string or null');
  }
  requireBytes(finish.receipt, 'finish.receipt');
  requireCount(finish.at, 'finish.at');
}

/** A node exit's kind, target, policy and bandwidth choice, as {@link requireNewExit} plus the choice. */
export function requireNodeExitStart(exit: NodeExitStart): void {
  requireNewExit(exit);
  if (exit.bandwidth !== null && exit.bandwidth !== 'exceed' && exit.bandwidth !== 'wait') {
    throw new InvalidArgumentError(`"exit.bandwidth" expected exceed, wait or null, got ${String(exit.bandwidth)}`);
  }
}
