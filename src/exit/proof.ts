/**
 * The proof a `TransferSucceeded` must carry, checked link by link (invariant 5: a satellite never
 * trusts a node's claim). Pure: the satellite's own id, what it queued and whom it sent the
 * piece to are all it needs.
 */
import { equalBytes } from '../core/bytes.js';
import type { Signer } from '../crypto/signing.js';
import { PUT_ACTIONS, verifyOrderLimitSignature, verifyOwnOrderLimitSignature } from '../orders/order-limit.js';
import { verifyPieceHashSignature } from '../orders/piece-hash.js';
import { derivePieceId } from '../orders/piece-id.js';
import type { NodeExitMessage } from './messages.js';

/** An exiting node's report of one finished transfer, with its proof. */
export type TransferSucceeded = Extract<NodeExitMessage, { type: 'transferSucceeded' }>;

/** The satellite's signing identity (an `Identity` is one). */
export type SatelliteSigner = Signer & { readonly publicKey: Uint8Array };

/** What the satellite knows about the transfer it asked for. */
export interface ExpectedTransfer {
  readonly satelliteId: Uint8Array;
  /**
   * The satellite's own signer (its public key must be `satelliteId`). Optional: with it, the
   * original limit's signature is checked by signing the limit again and comparing (Ed25519 is
   * deterministic), which costs a third of a verification; a mismatch still gets the full
   * verification, so the verdict is the same.
   */
  readonly satellite?: SatelliteSigner | undefined;
  readonly exitingNodeId: Uint8Array;
  readonly rootPieceId: Uint8Array;
  readonly pieceNumber: number;
  /** The node the `PUT_GRACEFUL_EXIT` limit was addressed to. */
  readonly replacementNodeId: Uint8Array;
}

/** The verdict on a transfer's proof: the piece size, or what is wrong. */
export type ProofCheck = { readonly ok: true; readonly pieceSize: number } | { readonly ok: false; readonly detail: string };

/**
 * Checks every link: the original limit is this satellite's, signed, for the exiting node and
 * this piece; the original hash is signed by that limit's piece key for this piece; the
 * replacement hash is for the piece id derived for the replacement node, signed by that node,
 * and names the same hash and size.
 *
 * @example
 * ```ts
 * const check = verifyTransferProof(expected, message);
 * if (!check.ok) failExit('VERIFICATION_FAILED', check.detail);
 * ```
 */
export function verifyTransferProof(expected: ExpectedTransfer, message: TransferSucceeded): ProofCheck {
  const originalPieceId = derivePieceId(expected.rootPieceId, expected.exitingNodeId, expected.pieceNumber);
  const replacementPieceId = derivePieceId(expected.rootPieceId, expected.replacementNodeId, expected.pieceNumber);
  const limit = message.originalOrderLimit;
  const original = message.originalPieceHash;
  const replacement = message.replacementPieceHash;
  const fail = (detail: string): ProofCheck => ({ ok: false, detail });

  if (!equalBytes(message.originalPieceId, originalPieceId)) return fail('originalPieceId is not the piece that was asked for');
  if (!equalBytes(limit.satelliteId, expected.satelliteId)) return fail('original order limit is from another satellite');
  const ownSignature = expected.satellite !== undefined && equalBytes(expected.satellite.publicKey, expected.satelliteId)
    ? verifyOwnOrderLimitSignature(limit, expected.satellite)
    : verifyOrderLimitSignature(limit);
  if (!ownSignature) return fail('original order limit is not signed by this satellite');
  if (!equalBytes(limit.storageNodeId, expected.exitingNodeId)) return fail('original order limit is for another node');
  if (!equalBytes(limit.pieceId, originalPieceId)) return fail('original order limit is for another piece');
  if (!PUT_ACTIONS.includes(limit.action)) return fail(`original order limit is a ${limit.action}, not an upload`);
  if (!equalBytes(original.pieceId, originalPieceId)) return fail('original piece hash is for another piece');
  if (!verifyPieceHashSignature(original, limit.piecePublicKey)) return fail('original piece hash is not signed by the piece key of its order limit');
  if (!equalBytes(replacement.pieceId, replacementPieceId)) return fail('replacement piece hash is not for the piece id derived for the replacement node');
  if (!verifyPieceHashSignature(replacement, expected.replacementNodeId)) return fail('replacement piece hash is not signed by the replacement node');
  if (!equalBytes(replacement.hash, original.hash)) return fail('replacement piece hash differs from the original hash');
  if (replacement.pieceSize !== original.pieceSize) return fail('replacement piece size differs from the original size');
  return { ok: true, pieceSize: original.pieceSize };
}
