/**
 * Checking a piece a repairer downloaded, pure: the node must prove what it serves with what it
 * stored at upload — the satellite's own order limit and the uplink's signed hash ("repair with
 * hashes": an early Storj repairer trusted whatever bytes came back). A node cannot forge
 * either signature, so a piece that fails any link is corrupt, whoever is to blame.
 */
import { equalBytes } from '../../core/bytes.js';
import { PUT_ACTIONS, verifyOrderLimitSignature, type OrderLimit } from '../../orders/order-limit.js';
import { verifyPieceHashSignature } from '../../orders/piece-hash.js';
import type { PieceProof } from '../../piecestore/client.js';
import { verifyPiece } from '../../uplink/erasure/corruption.js';

/** What the repairer asked for. */
export interface ExpectedPiece {
  readonly satelliteId: Uint8Array;
  readonly nodeId: Uint8Array;
  /** The piece id derived for that node and piece number. */
  readonly pieceId: Uint8Array;
  readonly pieceSize: number;
}

export type PieceCheckResult = { readonly ok: true } | { readonly ok: false; readonly detail: string };

/**
 * Checks every link: the original limit is this satellite's, signed, an upload, for this node
 * and piece; the hash is signed by that limit's piece key, names this piece and its size; the
 * bytes hash to it.
 *
 * @example
 * ```ts
 * const check = checkPiece({ satelliteId, nodeId, pieceId, pieceSize }, proof, data);
 * if (!check.ok) reportCorrupt(check.detail);
 * ```
 */
export function checkPiece(
  expected: ExpectedPiece,
  proof: PieceProof,
  data: Uint8Array,
  /** Whether the limit carries this satellite's valid signature (default: verify it). */
  signedByUs: (limit: OrderLimit) => boolean = verifyOrderLimitSignature,
): PieceCheckResult {
  const { originalLimit: limit, pieceHash: hash } = proof;
  const fail = (detail: string): PieceCheckResult => ({ ok: false, detail });
  if (!equalBytes(limit.satelliteId, expected.satelliteId)) return fail('original order limit is from another satellite');
  if (!equalBytes(limit.storageNodeId, expected.nodeId)) return fail('original order limit is for another node');
  if (!equalBytes(limit.pieceId, expected.pieceId)) return fail('original order limit is for another piece');
  if (!PUT_ACTIONS.includes(limit.action)) return fail(`original order limit is a ${limit.action}, not an upload`);
  if (!signedByUs(limit)) return fail('original order limit is not signed by this satellite');
  if (!equalBytes(hash.pieceId, expected.pieceId)) return fail('piece hash is for another piece');
  if (hash.pieceSize !== expected.pieceSize || data.length !== expected.pieceSize) {
    return fail(`piece is ${data.length} bytes and its hash says ${hash.pieceSize}; the segment's pieces are ${expected.pieceSize}`);
  }
  if (!verifyPieceHashSignature(hash, limit.piecePublicKey)) return fail('piece hash is not signed by the piece key of its order limit');
  if (!verifyPiece(data, hash.hash)) return fail('piece bytes do not match their signed hash');
  return { ok: true };
}
