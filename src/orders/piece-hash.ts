/**
 * Piece hashes: `{pieceId, hash, pieceSize, timestamp}` signed by the uplink with the segment's
 * piece key, and signed again by the node that stored the piece as its receipt. Together with
 * the original order limit, these two signatures prove a piece was stored (graceful exit).
 */
import { s, type Infer } from '../codec/index.js';
import type { Signer } from '../crypto/signing.js';
import { signStructure, verifyStructure } from '../crypto/signing.js';

const PIECE_HASH_TAG = 'handoff/piece-hash/v1';

export const PieceHashSchema = s.object({
  pieceId: s.bytes({ length: 32 }),
  /** SHA-256 of the piece's bytes. */
  hash: s.bytes({ length: 32 }),
  pieceSize: s.int({ min: 0 }),
  timestamp: s.int({ min: 0 }),
  signature: s.bytes({ length: 64 }),
});
export type PieceHash = Infer<typeof PieceHashSchema>;
export type UnsignedPieceHash = Omit<PieceHash, 'signature'>;

function fields(h: UnsignedPieceHash) {
  return [h.pieceId, h.hash, h.pieceSize, h.timestamp];
}

export function signPieceHash(signer: Signer, hash: UnsignedPieceHash): PieceHash {
  const unsigned: UnsignedPieceHash = { pieceId: hash.pieceId, hash: hash.hash, pieceSize: hash.pieceSize, timestamp: hash.timestamp };
  return { ...unsigned, signature: signStructure(signer, PIECE_HASH_TAG, fields(unsigned)) };
}

/** True when `hash` is signed by `publicKey` (a piece public key or a node id's key). */
export function verifyPieceHashSignature(hash: PieceHash, publicKey: Uint8Array): boolean {
  return verifyStructure(publicKey, PIECE_HASH_TAG, fields(hash), hash.signature);
}
