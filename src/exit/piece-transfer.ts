/**
 * One graceful-exit transfer on the exiting node: re-check the stored piece against its own
 * signed hash (bit rot is reported `NOT_FOUND`, never sent), upload it to the replacement node as
 * an ordinary piece upload under the satellite's `PUT_GRACEFUL_EXIT` limit, check the receiver's
 * signed hash, and build the report with the proof.
 */
import { equalBytes } from '../core/bytes.js';
import { isHandoffError } from '../core/errors.js';
import { getCryptoProvider } from '../crypto/select.js';
import type { Signer } from '../crypto/signing.js';
import { verifyPieceHashSignature } from '../orders/piece-hash.js';
import { uploadPiece } from '../piecestore/client.js';
import { createPieceHasher } from '../piecestore/hasher.js';
import type { PieceBufferPool } from '../piecestore/buffer-pool.js';
import { readWholePiece, type PieceStore, type ReadPieceOptions, type WholePiece } from '../piecestore/store.js';
import type { RpcClient } from '../rpc/client.js';
import type { NodeExitMessage } from './messages.js';
import type { TransferPieceMessage } from './worker.js';

/** What {@link transferPiece} needs: the piece store, a transport, the node's identity. */
export interface PieceTransferDeps {
  readonly satelliteId: Uint8Array;
  readonly pieces: PieceStore;
  /** A client for the replacement node at `address`, pinned to `nodeId`. */
  dialNode(address: string, nodeId: Uint8Array): RpcClient;
  /** Bytes per second every node is expected to manage: sets the upload's deadline. */
  readonly minBytesPerSecond: number;
  /** The deadline never drops below this. */
  readonly timeoutFloorMs: number;
  readonly signal?: AbortSignal;
  /**
   * Buffers for the piece reads, reused from one transfer to the next. A buffer goes back only
   * when nothing can still read it: after a rotten piece (never sent) or a transfer the receiver
   * signed for (every byte left); a failed upload's buffer is left to the garbage collector.
   */
  readonly buffers?: PieceBufferPool;
}

const failed = (originalPieceId: Uint8Array, error: 'NOT_FOUND' | 'STORAGE_NODE_UNAVAILABLE' | 'HASH_VERIFICATION' | 'UNKNOWN', detail: string): NodeExitMessage => ({
  type: 'transferFailed',
  originalPieceId,
  error,
  detail: detail.slice(0, 512),
});

/**
 * Signs with a piece private key as it is: the transfer never needs the key's public half, which
 * an `Identity` derives (a key export) before it can sign.
 */
function keySigner(privateKey: Uint8Array): Signer {
  return { sign: (message) => getCryptoProvider().ed25519Sign(privateKey, message) };
}

/**
 * Runs one transfer and returns what to report; never throws for a transfer that went wrong.
 *
 * @example
 * ```ts
 * const report = await transferPiece({ satelliteId, pieces, dialNode, minBytesPerSecond: 5000, timeoutFloorMs: 120_000 }, message);
 * await stream.send(report);
 * ```
 */
export async function transferPiece(deps: PieceTransferDeps, message: TransferPieceMessage): Promise<NodeExitMessage> {
  const pieceId = message.originalPieceId;
  let piece: WholePiece;
  try {
    // One read of the whole piece with its proof (its header): it is sent whole anyway.
    const pool = deps.buffers;
    const options: ReadPieceOptions = { ...(deps.signal ? { signal: deps.signal } : {}), ...(pool ? { allocate: (size: number) => pool.take(size) } : {}) };
    piece = await readWholePiece(deps.pieces, deps.satelliteId, pieceId, options);
  } catch (err) {
    if (isHandoffError(err, 'NotFound')) return failed(pieceId, 'NOT_FOUND', 'this node does not hold the piece');
    return failed(pieceId, 'UNKNOWN', `cannot read the piece: ${(err as Error).message}`);
  }
  const { header, data } = piece;
  const original = header.uplinkPieceHash;
  const hasher = createPieceHasher();
  hasher.update(data);
  const sha256 = hasher.digest();
  // The piece must still be what the uplink signed: rotten data is reported lost, never passed on.
  const intact =
    original.pieceSize === header.size &&
    equalBytes(sha256, original.hash) &&
    equalBytes(original.pieceId, pieceId) &&
    verifyPieceHashSignature(original, header.orderLimit.piecePublicKey);
  if (!intact) {
    deps.buffers?.give(data);
    return failed(pieceId, 'NOT_FOUND', 'the stored piece no longer matches its signed hash');
  }

  const timeoutMs = Math.max(deps.timeoutFloorMs, Math.ceil((header.size / deps.minBytesPerSecond) * 1000));
  try {
    const client = deps.dialNode(message.address, message.limit.storageNodeId);
    const receipt = await uploadPiece(client, {
      limit: message.limit,
      pieceKey: keySigner(message.piecePrivateKey),
      data,
      // Just checked against the uplink's signed hash: the upload need not hash it again.
      sha256,
      timeoutMs,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    // The receiver signed for every byte: none is still in a send queue.
    deps.buffers?.give(data);
    return { type: 'transferSucceeded', originalPieceId: pieceId, originalOrderLimit: header.orderLimit, originalPieceHash: original, replacementPieceHash: receipt };
  } catch (err) {
    const detail = (err as Error)?.message ?? String(err);
    if (isHandoffError(err, 'Unauthenticated')) return failed(pieceId, 'HASH_VERIFICATION', detail);
    if (isHandoffError(err, 'Unavailable') || isHandoffError(err, 'DeadlineExceeded') || isHandoffError(err, 'ResourceExhausted')) {
      return failed(pieceId, 'STORAGE_NODE_UNAVAILABLE', detail);
    }
    return failed(pieceId, 'UNKNOWN', detail);
  }
}
