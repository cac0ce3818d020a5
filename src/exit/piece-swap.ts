/**
 * What the coordinator does to segments: hand a piece over (swap the exiting node for the
 * replacement in every segment that references the piece — a segment and its copies) or drop it
 * (remove it from segments that stay above their success threshold without it). Every change is
 * a compare-and-swap against the list just read (invariant 2); a lost race re-reads and decides
 * again, so a repair, delete, re-upload or copy racing the exit is never overwritten.
 */
import { equalBytes } from '../core/bytes.js';
import type { MetabaseStore } from '../metainfo/metabase/port.js';
import type { Piece, SegmentRecord } from '../metainfo/metabase/types.js';

/** Rounds of read-and-swap before giving up on a segment that keeps changing. */
const MAX_ROUNDS = 8;

function holds(segment: SegmentRecord, nodeId: Uint8Array, pieceNumber: number): boolean {
  return segment.pieces.some((p) => p.number === pieceNumber && equalBytes(p.nodeId, nodeId));
}

/** The segments that still reference piece `pieceNumber` of `rootPieceId` on `nodeId`. */
export async function referencingSegments(metabase: MetabaseStore, rootPieceId: Uint8Array, nodeId: Uint8Array, pieceNumber: number): Promise<SegmentRecord[]> {
  return (await metabase.segmentsByRootPieceId(rootPieceId)).filter((s) => holds(s, nodeId, pieceNumber));
}

/**
 * Replaces (`pieceNumber`, `exitingNodeId`) with (`pieceNumber`, `replacementNodeId`) in every
 * segment referencing it, re-reading until none does (a copy made meanwhile is caught too).
 * `swapped` when at least one segment now names the replacement (a copy that already holds a
 * piece on the replacement node just loses the exiting node's piece); `gone` when no segment
 * referenced the piece; `retry` when every segment that needs it already holds a piece on the
 * replacement node (the exiting node's piece then stays where it is, to go elsewhere).
 *
 * `lastRead`: the segments as the caller last read them (when it sent the transfer). They serve
 * as the first round's expected piece lists, sparing a read: each write is a compare-and-swap, so
 * a segment changed since fails it, and only a fresh read can end the swapping — a copy made
 * meanwhile is still caught.
 */
export async function swapPiece(
  metabase: MetabaseStore,
  args: { rootPieceId: Uint8Array; pieceNumber: number; exitingNodeId: Uint8Array; replacementNodeId: Uint8Array; lastRead?: readonly SegmentRecord[] | undefined },
): Promise<'swapped' | 'gone' | 'retry'> {
  const { rootPieceId, pieceNumber, exitingNodeId, replacementNodeId } = args;
  let hint = args.lastRead?.filter((s) => holds(s, exitingNodeId, pieceNumber));
  let swappedAny = false;
  let blocked = false;
  /** The segments still referencing the piece, as last read when nothing was written since. */
  let left: SegmentRecord[] | undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const segments = hint ?? (await referencingSegments(metabase, rootPieceId, exitingNodeId, pieceNumber));
    const hinted = hint !== undefined;
    hint = undefined;
    const open = segments.filter((s) => !s.pieces.some((p) => equalBytes(p.nodeId, replacementNodeId)));
    blocked = open.length < segments.length;
    if (open.length === 0) {
      // An old read proves nothing about now: only a fresh one may end the swapping.
      if (hinted) continue;
      left = segments;
      break;
    }
    for (const segment of open) {
      const next: Piece[] = segment.pieces.map((p) => (p.number === pieceNumber && equalBytes(p.nodeId, exitingNodeId) ? { number: pieceNumber, nodeId: replacementNodeId } : p));
      if (await metabase.swapSegmentPieces(segment.streamId, segment.position, segment.pieces, next)) swappedAny = true;
    }
  }
  if (!swappedAny) return blocked ? 'retry' : 'gone';
  // Copies that already hold a piece on the replacement node cannot take this one: they lose the
  // exiting node's piece (which is about to be deleted) rather than keep naming a piece that is gone.
  // The read that ended the swapping already says which those are: no need to read them again.
  for (let round = 0; round < MAX_ROUNDS; round++) {
    left ??= await referencingSegments(metabase, rootPieceId, exitingNodeId, pieceNumber);
    if (left.length === 0) break;
    for (const segment of left) {
      const next = segment.pieces.filter((p) => !(p.number === pieceNumber && equalBytes(p.nodeId, exitingNodeId)));
      await metabase.swapSegmentPieces(segment.streamId, segment.position, segment.pieces, next);
    }
    left = undefined;
  }
  return 'swapped';
}

/**
 * Removes (`pieceNumber`, `exitingNodeId`) from every segment referencing it, provided each
 * keeps at least its success threshold of healthy pieces without it. `keep` as soon as one
 * segment would fall below (that piece must be transferred instead).
 */
export async function dropPiece(
  metabase: MetabaseStore,
  args: { rootPieceId: Uint8Array; pieceNumber: number; exitingNodeId: Uint8Array; healthy: (segment: SegmentRecord) => Promise<number> },
): Promise<'dropped' | 'keep'> {
  const { rootPieceId, pieceNumber, exitingNodeId } = args;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const segments = await referencingSegments(metabase, rootPieceId, exitingNodeId, pieceNumber);
    if (segments.length === 0) return 'dropped';
    let lost = false;
    for (const segment of segments) {
      if ((await args.healthy(segment)) < segment.redundancy!.success) return 'keep';
      const next = segment.pieces.filter((p) => !(p.number === pieceNumber && equalBytes(p.nodeId, exitingNodeId)));
      if (!(await metabase.swapSegmentPieces(segment.streamId, segment.position, segment.pieces, next))) lost = true;
    }
    if (!lost) return 'dropped';
  }
  return 'keep';
}
