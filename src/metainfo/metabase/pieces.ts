/**
 * A segment's piece list in its canonical form: sorted by piece number, one entry per number.
 * Stores keep it as one compact blob (34 bytes a piece: u16 big-endian number, 32-byte node id),
 * so the compare-and-swap of a piece list is one `UPDATE … WHERE pieces = $expected` on bytes.
 */
import { InternalError, InvalidArgumentError } from '../../core/errors.js';
import type { Piece } from './types.js';

const NODE_ID_LENGTH = 32;
const PIECE_BYTES = 2 + NODE_ID_LENGTH;
const MAX_PIECE_NUMBER = 0xffff;

/**
 * Validates `pieces` (numbers 0–65535 without repeats, 32-byte node ids) and returns copies
 * sorted by number — the order-insensitive form two lists are compared in.
 */
export function canonicalPieces(pieces: readonly Piece[], field: string): Piece[] {
  if (!Array.isArray(pieces)) throw new InvalidArgumentError(`"${field}" expected an array`);
  const out = pieces.map((piece, i) => {
    if (typeof piece !== 'object' || piece === null) throw new InvalidArgumentError(`"${field}[${i}]" expected {number, nodeId}`);
    const { number, nodeId } = piece;
    if (!Number.isInteger(number) || number < 0 || number > MAX_PIECE_NUMBER) {
      throw new InvalidArgumentError(`"${field}[${i}].number" expected an integer in [0, ${MAX_PIECE_NUMBER}], got ${String(number)}`);
    }
    if (!(nodeId instanceof Uint8Array) || nodeId.length !== NODE_ID_LENGTH) {
      throw new InvalidArgumentError(`"${field}[${i}].nodeId" expected ${NODE_ID_LENGTH} bytes`);
    }
    return { number, nodeId: new Uint8Array(nodeId) };
  });
  out.sort((a, b) => a.number - b.number);
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.number === out[i - 1]!.number) throw new InvalidArgumentError(`"${field}" has piece number ${out[i]!.number} twice`);
  }
  return out;
}

/** Encodes a canonical piece list (see {@link canonicalPieces}) into its stored blob. */
export function encodePieces(pieces: readonly Piece[]): Uint8Array {
  const out = new Uint8Array(pieces.length * PIECE_BYTES);
  pieces.forEach((piece, i) => {
    const at = i * PIECE_BYTES;
    out[at] = piece.number >>> 8;
    out[at + 1] = piece.number & 0xff;
    out.set(piece.nodeId, at + 2);
  });
  return out;
}

/** Decodes a stored piece blob; the node ids are views of `blob`. */
export function decodePieces(blob: Uint8Array): Piece[] {
  if (blob.length % PIECE_BYTES !== 0) throw new InternalError(`stored piece list has ${blob.length} bytes, not a multiple of ${PIECE_BYTES}`);
  const pieces: Piece[] = [];
  for (let at = 0; at < blob.length; at += PIECE_BYTES) {
    pieces.push({ number: (blob[at]! << 8) | blob[at + 1]!, nodeId: blob.subarray(at + 2, at + PIECE_BYTES) });
  }
  return pieces;
}
