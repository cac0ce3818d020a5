/**
 * A real graceful-exit proof chain with real keys, for the pure tests of `verifyTransferProof`
 * and the coordinator: the satellite signed the original PUT limit for the exiting node's piece,
 * the uplink signed the piece's hash with the segment's piece key, and the replacement node
 * signed its receipt for the same bytes under its own derived piece id.
 */
import { randomBytes } from 'node:crypto';
import { Identity } from '../../src/crypto/identity.js';
import type { ExpectedTransfer, TransferSucceeded } from '../../src/exit/proof.js';
import { signOrderLimit, type OrderLimit, type UnsignedOrderLimit } from '../../src/orders/order-limit.js';
import { signPieceHash, type PieceHash } from '../../src/orders/piece-hash.js';
import { derivePieceId } from '../../src/orders/piece-id.js';
import { generatePieceKey, pieceSigner, type PieceKeyPair } from '../../src/orders/piece-key.js';

export function bytes(n: number): Uint8Array {
  return Uint8Array.from(randomBytes(n));
}

export interface ProofChain {
  readonly satellite: Identity;
  readonly exiting: Identity;
  readonly replacement: Identity;
  readonly rootPieceId: Uint8Array;
  readonly pieceNumber: number;
  readonly pieceSize: number;
  readonly pieceKey: PieceKeyPair;
  readonly originalPieceId: Uint8Array;
  readonly replacementPieceId: Uint8Array;
  readonly contentHash: Uint8Array;
  readonly limit: OrderLimit;
  readonly originalHash: PieceHash;
  readonly replacementHash: PieceHash;
  readonly expected: ExpectedTransfer;
  readonly message: TransferSucceeded;
}

export interface ChainParties {
  readonly satellite?: Identity;
  readonly exiting?: Identity;
  readonly replacement?: Identity;
  readonly rootPieceId?: Uint8Array;
  readonly pieceNumber?: number;
  readonly pieceSize?: number;
}

/** The original PUT limit of `chain`'s piece, changed by `changes` and signed by `signer` (the satellite by default). */
export function originalLimit(chain: Pick<ProofChain, 'satellite' | 'exiting' | 'originalPieceId' | 'pieceKey' | 'pieceSize'>, changes: Partial<UnsignedOrderLimit> = {}, signer: Identity = chain.satellite): OrderLimit {
  return signOrderLimit(signer, {
    serialNumber: bytes(16),
    satelliteId: chain.satellite.publicKey,
    storageNodeId: chain.exiting.publicKey,
    pieceId: chain.originalPieceId,
    action: 'PUT',
    limitBytes: chain.pieceSize,
    orderExpiration: 1_700_000_000_000 + 3_600_000,
    piecePublicKey: chain.pieceKey.publicKey,
    createdAt: 1_700_000_000_000,
    ...changes,
  });
}

/** A valid chain: every link holds. */
export function buildChain(parties: ChainParties = {}): ProofChain {
  const satellite = parties.satellite ?? Identity.generate();
  const exiting = parties.exiting ?? Identity.generate();
  const replacement = parties.replacement ?? Identity.generate();
  const rootPieceId = parties.rootPieceId ?? bytes(32);
  const pieceNumber = parties.pieceNumber ?? 7;
  const pieceSize = parties.pieceSize ?? 2_304;
  const pieceKey = generatePieceKey();
  const originalPieceId = derivePieceId(rootPieceId, exiting.publicKey, pieceNumber);
  const replacementPieceId = derivePieceId(rootPieceId, replacement.publicKey, pieceNumber);
  const contentHash = bytes(32);
  const limit = originalLimit({ satellite, exiting, originalPieceId, pieceKey, pieceSize });
  const originalHash = signPieceHash(pieceSigner(pieceKey.privateKey), { pieceId: originalPieceId, hash: contentHash, pieceSize, timestamp: 1_700_000_000_500 });
  const replacementHash = signPieceHash(replacement, { pieceId: replacementPieceId, hash: contentHash, pieceSize, timestamp: 1_700_000_900_000 });
  return {
    satellite,
    exiting,
    replacement,
    rootPieceId,
    pieceNumber,
    pieceSize,
    pieceKey,
    originalPieceId,
    replacementPieceId,
    contentHash,
    limit,
    originalHash,
    replacementHash,
    expected: { satelliteId: satellite.publicKey, exitingNodeId: exiting.publicKey, rootPieceId, pieceNumber, replacementNodeId: replacement.publicKey },
    message: { type: 'transferSucceeded', originalPieceId, originalOrderLimit: limit, originalPieceHash: originalHash, replacementPieceHash: replacementHash },
  };
}

/** `bytes` with one bit of byte `at` flipped (a copy). */
export function flipped(bytes: Uint8Array, at = 0): Uint8Array {
  const copy = bytes.slice();
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}
