/** Checks the containment stores share, so every store refuses the same input the same way. */
import { toHex } from '../../../core/bytes.js';
import { requirePosition } from '../../../metainfo/metabase/position.js';
import type { SegmentPosition } from '../../../metainfo/metabase/types.js';
import { ID_LENGTH, PIECE_ID_LENGTH, requireBytes, requireCount, requireLimit } from '../../../metainfo/metabase/validate.js';
import type { PendingAudit } from '../types.js';

export { requireLimit };

export function requireNodeId(nodeId: Uint8Array): void {
  requireBytes(nodeId, 'nodeId', PIECE_ID_LENGTH);
}

export function requireKey(nodeId: Uint8Array, streamId: Uint8Array, position: SegmentPosition): void {
  requireNodeId(nodeId);
  requireBytes(streamId, 'streamId', ID_LENGTH);
  requirePosition(position);
}

export function requirePending(pending: PendingAudit): void {
  requireKey(pending.nodeId, pending.streamId, pending.position);
  requireBytes(pending.rootPieceId, 'rootPieceId');
  requireCount(pending.pieceNumber, 'pieceNumber');
  requireCount(pending.reverifyCount, 'reverifyCount');
  requireCount(pending.containedAt, 'containedAt');
}

export const pendingKey = (nodeId: Uint8Array, streamId: Uint8Array, position: SegmentPosition): string =>
  `${toHex(nodeId)}/${toHex(streamId)}/${position.part}/${position.index}`;
