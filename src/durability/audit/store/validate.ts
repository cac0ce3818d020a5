/** Checks the containment stores share, so every store refuses the same input the same way. */
import { InvalidArgumentError } from '../../../core/errors.js';
import { toHex } from '../../../core/bytes.js';
import type { SegmentPosition } from '../../../metainfo/metabase/types.js';
import type { PendingAudit } from '../types.js';

function bytes(value: unknown, length: number | undefined, field: string): void {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`"${field}" expected bytes`);
  if (length !== undefined && value.length !== length) throw new InvalidArgumentError(`"${field}" expected ${length} bytes, got ${value.length}`);
}

function count(value: unknown, field: string): void {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) throw new InvalidArgumentError(`"${field}" expected a non-negative integer, got ${String(value)}`);
}

export function requireKey(nodeId: Uint8Array, streamId: Uint8Array, position: SegmentPosition): void {
  bytes(nodeId, 32, 'nodeId');
  bytes(streamId, 16, 'streamId');
  count(position?.part, 'position.part');
  count(position?.index, 'position.index');
}

export function requirePending(pending: PendingAudit): void {
  requireKey(pending.nodeId, pending.streamId, pending.position);
  bytes(pending.rootPieceId, undefined, 'rootPieceId');
  count(pending.pieceNumber, 'pieceNumber');
  count(pending.reverifyCount, 'reverifyCount');
  count(pending.containedAt, 'containedAt');
}

export function requireLimit(limit: number): void {
  if (!(Number.isSafeInteger(limit) && limit > 0)) throw new InvalidArgumentError(`"limit" expected a positive integer, got ${String(limit)}`);
}

export const pendingKey = (nodeId: Uint8Array, streamId: Uint8Array, position: SegmentPosition): string =>
  `${toHex(nodeId)}/${toHex(streamId)}/${position.part}/${position.index}`;
