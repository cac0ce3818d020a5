/**
 * Gathering, the pure part: which pieces of one batch of segments an exiting node must hand over
 * (or may simply drop), and how urgent each is. Gathering iterates segments, never object keys
 * (invariant 4), so an object moved or copied meanwhile cannot hide a piece.
 */
import { equalBytes } from '../core/bytes.js';
import type { Piece, SegmentRecord } from '../metainfo/metabase/types.js';
import { pieceSizeFor } from '../metainfo/redundancy.js';
import { derivePieceId } from '../orders/piece-id.js';
import type { NewExitQueueItem } from './queue-store.js';

/**
 * The queue items for `exitingNodeId` in `segments`. A piece counts as healthy when `healthy`
 * says its node is (active: not exiting, exited or disqualified); the exiting node's own piece
 * never counts, even if `healthy` still calls it active. Durability is healthy pieces over the
 * scheme's total; a segment that keeps at least its success threshold of healthy pieces without
 * the exiting node's piece needs no transfer: its item is a drop.
 *
 * @example
 * ```ts
 * const items = gatherItems(await metabase.iterateSegments({ cursor, limit: 1000 }), nodeId, (id) => statusOf(id) === 'active', now);
 * ```
 */
export function gatherItems(segments: readonly SegmentRecord[], exitingNodeId: Uint8Array, healthy: (nodeId: Uint8Array) => boolean, now: number): NewExitQueueItem[] {
  const items: NewExitQueueItem[] = [];
  for (const segment of segments) {
    if (segment.redundancy === undefined) continue;
    const mine = pieceOf(segment, exitingNodeId);
    if (mine === undefined) continue;
    let healthyCount = 0;
    // Leaving, whatever the overlay says: a pass can run between recording the exit and marking the node exiting.
    for (const piece of segment.pieces) if (piece !== mine && healthy(piece.nodeId)) healthyCount++;
    items.push({
      pieceId: derivePieceId(segment.rootPieceId, exitingNodeId, mine.number),
      rootPieceId: segment.rootPieceId,
      pieceNumber: mine.number,
      streamId: segment.streamId,
      position: segment.position,
      pieceSize: pieceSizeFor(segment.encryptedSize, segment.redundancy),
      durability: healthyCount / segment.redundancy.total,
      drop: healthyCount >= segment.redundancy.success,
      queuedAt: now,
    });
  }
  return items;
}

/**
 * The piece `nodeId` holds in `segment`, if any. Most segments hold none of a given node's
 * pieces: one byte is compared before all 32.
 */
export function pieceOf(segment: SegmentRecord, nodeId: Uint8Array): Piece | undefined {
  const first = nodeId[0];
  for (const piece of segment.pieces) if (piece.nodeId[0] === first && equalBytes(piece.nodeId, nodeId)) return piece;
  return undefined;
}
