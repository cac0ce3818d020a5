/** Checking the pieces an uplink says it stored before a segment commits. */
import { equalBytes } from '../../core/bytes.js';
import { FailedPreconditionError, InvalidArgumentError } from '../../core/errors.js';
import { verifyPieceHashSignature } from '../../orders/piece-hash.js';
import { derivePieceId } from '../../orders/piece-id.js';
import type { Piece, RedundancyScheme } from '../metabase/types.js';
import { pieceSizeFor } from '../redundancy.js';
import type { SegmentCommit } from '../schemas.js';
import type { SegmentUpload } from '../upload-id.js';

/**
 * The pieces that count: each must be for a limit this segment was issued, for the piece id
 * derived for that node and number, of the size the segment implies, and carry the receiving
 * node's own signature. Anything else is dropped; fewer than `success` valid pieces fails.
 */
export function verifyUploadedPieces(segment: SegmentUpload, commit: SegmentCommit, redundancy: RedundancyScheme): Piece[] {
  if (commit.encryptedSize > segment.maxEncryptedSize) {
    throw new InvalidArgumentError(`"encryptedSize" ${commit.encryptedSize} is over the ${segment.maxEncryptedSize} bytes this segment was begun for`);
  }
  if (commit.plainSize > commit.encryptedSize) throw new InvalidArgumentError('"plainSize" cannot exceed "encryptedSize"');
  const pieceSize = pieceSizeFor(commit.encryptedSize, redundancy);
  const issued = new Map(segment.limits.map((l) => [l.pieceNumber, l.nodeId]));
  const seenNumbers = new Set<number>();
  const seenNodes = new Set<string>();
  const valid: Piece[] = [];
  for (const uploaded of commit.pieces) {
    const nodeId = issued.get(uploaded.pieceNumber);
    if (!nodeId || !equalBytes(nodeId, uploaded.nodeId)) continue;
    const nodeKey = Buffer.from(nodeId).toString('hex');
    if (seenNumbers.has(uploaded.pieceNumber) || seenNodes.has(nodeKey)) continue;
    const { hash } = uploaded;
    if (!equalBytes(hash.pieceId, derivePieceId(segment.rootPieceId, nodeId, uploaded.pieceNumber))) continue;
    if (hash.pieceSize !== pieceSize) continue;
    if (!verifyPieceHashSignature(hash, nodeId)) continue;
    seenNumbers.add(uploaded.pieceNumber);
    seenNodes.add(nodeKey);
    valid.push({ number: uploaded.pieceNumber, nodeId });
  }
  if (valid.length < redundancy.success) {
    throw new FailedPreconditionError(`segment has ${valid.length} valid pieces; ${redundancy.success} are needed to commit it`);
  }
  return valid.sort((a, b) => a.number - b.number);
}
