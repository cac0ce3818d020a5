/**
 * The storage node's side of garbage collection, one pass: every piece held for a satellite that
 * is absent from the satellite's filter and was stored before the filter's cutoff moves to the
 * trash. A piece in the filter (kept, or a false positive) and a piece stored at or after the
 * cutoff (the filter cannot know it) stay. Nothing is deleted here: the trash is emptied after
 * its retention period, and restoring it undoes a pass.
 */
import { throwIfAborted } from '../../core/abort.js';
import { isHandoffError } from '../../core/errors.js';
import type { PieceStore, PieceTrash } from '../../piecestore/store.js';
import type { BloomFilter } from './bloom-filter.js';

export interface RetainPassOptions {
  readonly pieces: PieceStore & PieceTrash;
  readonly satelliteId: Uint8Array;
  /** The piece ids to keep. */
  readonly filter: BloomFilter;
  /** Only pieces stored before this (node time, ms) may be trashed. */
  readonly storedBefore: number;
  /** The trash time the pass stamps on what it trashes (one per pass). */
  readonly trashedAt: number;
  /** Stops between pieces (rejects with `CanceledError`); what was trashed stays trashed. */
  readonly signal?: AbortSignal;
  /**
   * Asked before the first piece and every `checkEvery` pieces: true stops the pass at once
   * (e.g. a graceful exit from the satellite started). It resolves with `stopped: true`.
   */
  readonly shouldStop?: () => boolean | Promise<boolean>;
  /** Pieces between two `shouldStop` questions (default 256). */
  readonly checkEvery?: number;
  /** Told of each piece that could not be examined or trashed; the pass goes on. */
  readonly onError?: (error: unknown, pieceId: Uint8Array) => void;
}

/** What one pass did. */
export interface RetainPassResult {
  /** Pieces looked at. */
  readonly checked: number;
  /** Pieces in the filter. */
  readonly kept: number;
  /** Pieces absent from the filter but stored at or after the cutoff. */
  readonly tooNew: number;
  /** Pieces moved to the trash, and their bytes. */
  readonly trashed: number;
  readonly trashedBytes: number;
  /** Pieces that failed to be examined or trashed (left in place). */
  readonly failed: number;
  /** True when `shouldStop` ended the pass early. */
  readonly stopped: boolean;
}

/**
 * @example
 * ```ts
 * const result = await retainPieces({ pieces, satelliteId, filter, storedBefore: createdAt - skew, trashedAt: Date.now() });
 * ```
 */
export async function retainPieces(options: RetainPassOptions): Promise<RetainPassResult> {
  const { pieces, satelliteId, filter, storedBefore, trashedAt, signal, shouldStop, onError } = options;
  const checkEvery = Math.max(1, options.checkEvery ?? 256);
  let checked = 0;
  let kept = 0;
  let tooNew = 0;
  let trashed = 0;
  let trashedBytes = 0;
  let failed = 0;
  const result = (stopped: boolean): RetainPassResult => ({ checked, kept, tooNew, trashed, trashedBytes, failed, stopped });
  throwIfAborted(signal);
  if (await shouldStop?.()) return result(true);
  for await (const entry of pieces.list(satelliteId)) {
    throwIfAborted(signal);
    if (checked > 0 && checked % checkEvery === 0 && (await shouldStop?.())) return result(true);
    checked++;
    if (filter.has(entry.pieceId)) {
      kept++;
      continue;
    }
    try {
      // The header (and its time) is read only for the few pieces the filter does not keep.
      const { storedAt } = await pieces.header(satelliteId, entry.pieceId);
      if (storedAt >= storedBefore) {
        tooNew++;
        continue;
      }
      if (await pieces.trash(satelliteId, entry.pieceId, trashedAt)) {
        trashed++;
        trashedBytes += entry.size;
      }
    } catch (err) {
      // Gone meanwhile (deleted by the satellite, expired): nothing to collect.
      if (isHandoffError(err, 'NotFound')) continue;
      failed++;
      onError?.(err, entry.pieceId);
    }
  }
  return result(false);
}
