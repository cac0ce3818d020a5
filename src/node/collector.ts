/**
 * The piece expiration collector: pieces uploaded with an expiration (the PUT limit's
 * `pieceExpiration`) are deleted by the node itself once it has passed, so they stop holding
 * disk even if the satellite never sends a delete. Storj's storage node calls this chore the
 * collector; here it is one function over two ports, so every branch is testable without a timer.
 */
import { throwIfAborted } from '../core/abort.js';
import { InvalidArgumentError, isHandoffError } from '../core/errors.js';
import type { PieceStore } from '../piecestore/store.js';
import type { PieceExpiration } from './db/records.js';

/** What the collector needs of the node database (`NodeDatabase` provides it). */
export interface PieceExpirationIndex {
  /** Up to `max` pieces expired at or before `now`, oldest first, continuing after `after`. */
  expiredPieces(now: number, max: number, after?: PieceExpiration): PieceExpiration[] | Promise<PieceExpiration[]>;
  /** Forgets a piece's expiration once the piece is gone. */
  deletePieceExpiration(satelliteId: Uint8Array, pieceId: Uint8Array): boolean | Promise<boolean>;
}

/** Options of {@link collectExpiredPieces}: when "now" is and how many per batch. */
export interface CollectExpiredPiecesOptions {
  readonly db: PieceExpirationIndex;
  readonly storage: Pick<PieceStore, 'delete'>;
  /** Pieces whose expiration is at or before this instant (ms since the epoch) are collected. */
  readonly now: number;
  /** Expirations read per query (default {@link DEFAULT_COLLECT_BATCH_SIZE}). */
  readonly batchSize?: number;
  /** Told of each piece that could not be deleted; its expiration stays, so the next run retries it. */
  readonly onError?: (error: unknown, piece: PieceExpiration) => void;
  /** Stops between pieces (rejects with `CanceledError`); what was collected so far stays collected. */
  readonly signal?: AbortSignal;
}

/** What one collection did. */
export interface CollectResult {
  /** Pieces deleted from the store. */
  readonly deleted: number;
  /** Pieces already gone (deleted on the satellite's request, or never committed); their expirations are dropped too. */
  readonly missing: number;
  /** Pieces that failed to delete; their expirations stay for the next run. */
  readonly failed: number;
}

/** Expirations read per query unless told otherwise. */
export const DEFAULT_COLLECT_BATCH_SIZE = 1000;

/**
 * Deletes every piece expired at `now` from `storage`, then its expiration from `db`, batch by
 * batch. One piece failing to delete does not stop the others.
 *
 * @example
 * ```ts
 * const { deleted, missing, failed } = await collectExpiredPieces({
 *   db,                       // a NodeDatabase
 *   storage: pieces,          // the node's PieceStore
 *   now: clock.now(),
 *   onError: (err, piece) => log.warn('cannot delete expired piece', piece, err),
 * });
 * ```
 */
export async function collectExpiredPieces(options: CollectExpiredPiecesOptions): Promise<CollectResult> {
  const { db, storage, now, onError, signal } = options;
  const batchSize = options.batchSize ?? DEFAULT_COLLECT_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new InvalidArgumentError(`"batchSize" expected a positive integer, got ${batchSize}`);
  let deleted = 0;
  let missing = 0;
  let failed = 0;
  // Paging by cursor, not by re-reading the head: a piece that failed keeps its row, and would
  // otherwise come back in every batch and stall the pass once `batchSize` of them pile up.
  let after: PieceExpiration | undefined;
  for (;;) {
    throwIfAborted(signal);
    const batch = await db.expiredPieces(now, batchSize, after);
    for (const piece of batch) {
      throwIfAborted(signal);
      let existed: boolean;
      try {
        existed = await storage.delete(piece.satelliteId, piece.pieceId);
      } catch (err) {
        // A store that reports a missing piece by throwing means the same as one returning false.
        if (isHandoffError(err, 'NotFound')) {
          existed = false;
        } else {
          failed++;
          onError?.(err, piece);
          continue;
        }
      }
      await db.deletePieceExpiration(piece.satelliteId, piece.pieceId);
      if (existed) deleted++;
      else missing++;
    }
    if (batch.length < batchSize) break;
    after = batch[batch.length - 1];
  }
  return { deleted, missing, failed };
}
