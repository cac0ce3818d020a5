import { concatBytes } from '../core/bytes.js';
import { InvalidArgumentError } from '../core/errors.js';
import { getCryptoProvider } from '../crypto/select.js';

/**
 * The piece id node `nodeId` stores piece `pieceNumber` of a segment under: the first 32 bytes
 * of HMAC-SHA512(key = rootPieceId, nodeId ‖ u16be(pieceNumber)). No two nodes hold the same
 * piece id, and a node cannot guess the ids of other pieces of the segment.
 */
export function derivePieceId(rootPieceId: Uint8Array, nodeId: Uint8Array, pieceNumber: number): Uint8Array {
  if (rootPieceId.length !== 32) throw new InvalidArgumentError(`"rootPieceId" expected 32 bytes, got ${rootPieceId.length}`);
  if (nodeId.length !== 32) throw new InvalidArgumentError(`"nodeId" expected 32 bytes, got ${nodeId.length}`);
  if (!Number.isInteger(pieceNumber) || pieceNumber < 0 || pieceNumber > 0xffff) {
    throw new InvalidArgumentError(`"pieceNumber" expected an integer in [0, 65535], got ${pieceNumber}`);
  }
  const n = new Uint8Array([pieceNumber >> 8, pieceNumber & 0xff]);
  return getCryptoProvider().hmacSha512(rootPieceId, concatBytes(nodeId, n)).subarray(0, 32);
}
