/**
 * The satellite's graceful-exit storage port: one {@link ExitRecord} per exiting (or exited)
 * node, and its transfer queue — one row per piece the node must hand over, keyed by
 * (nodeId, pieceId), so re-gathering after a restart never duplicates a row. Implementations:
 * memory, SQLite and PostgreSQL (`openSatelliteStore` in `handoff/satellite` opens the one beside the
 * other satellite stores); all pass
 * `exitQueueStoreSuite` from `handoff/testing`.
 *
 * Every method that changes counters changes them in one statement or transaction, so a crash
 * between two calls never counts a piece twice or loses one.
 */
import type { SegmentCursor } from '../metainfo/metabase/types.js';
import type { ExitFailureReason, ExitKind, ExitOutcome, ExitPolicy, ExitQueueItem, ExitRecord, TransferError } from './types.js';

/** What gathering queues for one piece; the store fills the counters. */
export type NewExitQueueItem = Omit<ExitQueueItem, 'nodeId' | 'failedCount' | 'sendCount' | 'lastFailedAt' | 'lastFailedCode' | 'triedNodes'>;

/** How a queue item left the queue. */
export type FinishedItem =
  /** Handed over with a verified proof: counts `bytes` as transferred. */
  | { readonly kind: 'transferred'; readonly bytes: number }
  /** Not needed any more (segment above its success threshold, deleted, or repaired meanwhile). */
  | { readonly kind: 'dropped' }
  /** Failed for good: lost (NOT_FOUND) or out of attempts. */
  | { readonly kind: 'failed' };

/** How an exit ends. */
export interface FinishExit {
  readonly outcome: ExitOutcome;
  readonly reason: ExitFailureReason | null;
  readonly detail: string | null;
  /** The encoded signed receipt. */
  readonly receipt: Uint8Array;
  readonly at: number;
}

/** What kind of exit {@link ExitQueueStore.startExit} records (default: a full exit by transfer). */
export interface NewExit {
  readonly kind: ExitKind;
  /** Required for a partial exit (a positive byte count), null for a full one. */
  readonly targetBytes: number | null;
  /** `time-based` only for a full exit. */
  readonly policy: ExitPolicy;
}

/** What an exit started without saying is: full, by transfer (a node that asks with the first `Process` call). */
export const FULL_EXIT: NewExit = Object.freeze({ kind: 'full', targetBytes: null, policy: 'transfer' });

/** Which exit records to list (archived ones included, unless `unfinished`). */
export interface ListExits {
  /** Only exits not finished yet. */
  readonly unfinished?: boolean;
  /** Only this node's exits. */
  readonly nodeId?: Uint8Array;
  /** Only exits that finished at or after this time. */
  readonly finishedFrom?: number;
  /** Only exits that finished before this time. */
  readonly finishedTo?: number;
}

/** The satellite's storage port for exits: each exiting node and its queue of pieces. */
export interface ExitQueueStore {
  /**
   * Records the start of a node's exit at `at`, unless it has one already. Returns the record
   * (the existing one when there was one) and whether this call created it. A time-based exit has
   * nothing to gather: it is recorded as gathered at `at`.
   */
  startExit(nodeId: Uint8Array, at: number, exit?: NewExit): Promise<{ readonly record: ExitRecord; readonly created: boolean }>;

  /** The node's current exit record (never an archived one). */
  getExit(nodeId: Uint8Array): Promise<ExitRecord | undefined>;

  /** Exit records, archived ones included, ordered by initiation time then node id. */
  listExits(options?: ListExits): Promise<ExitRecord[]>;

  /**
   * Moves the node's current record, if finished, to the archive at `at` (one step), so a new
   * exit can start; the archive keeps it for reports. Returns the archived record, or undefined
   * (changing nothing) when the node has no record or its exit is unfinished.
   */
  archiveExit(nodeId: Uint8Array, at: number): Promise<ExitRecord | undefined>;

  /**
   * Adds one gathering batch atomically: inserts `items` (an item whose (nodeId, pieceId) is
   * already queued keeps its row, taking the lower durability, and is not counted again), moves
   * the gather cursor to `cursor`, adds the newly queued pieces' sizes to `startingBytes` and
   * their number to `piecesQueued`. Ignored for a finished exit.
   */
  enqueue(nodeId: Uint8Array, items: readonly NewExitQueueItem[], cursor: SegmentCursor): Promise<void>;

  /**
   * Marks gathering done at `at` (idempotent). For a partial exit it first keeps, in one step,
   * only the pieces of the healthiest segments (highest durability, then piece id) until their
   * sizes reach `targetBytes`, turns them all into transfers (the node stays: the network must
   * not lose a piece because one node wants less space) and sets `piecesQueued` and
   * `startingBytes` to what is kept.
   */
  finishGathering(nodeId: Uint8Array, at: number): Promise<void>;

  /**
   * Up to `limit` queued items of the node, drops first, then lowest durability, then piece id;
   * skipping the piece ids in `exclude` (the ones in flight).
   */
  nextItems(nodeId: Uint8Array, limit: number, exclude: readonly Uint8Array[]): Promise<ExitQueueItem[]>;

  getItem(nodeId: Uint8Array, pieceId: Uint8Array): Promise<ExitQueueItem | undefined>;

  /** Number of items still queued for the node. */
  queueLength(nodeId: Uint8Array): Promise<number>;

  /**
   * Records that an order limit for the piece was sent to `replacementNodeId`: `sendCount` + 1
   * and the node added to `triedNodes`. Returns the updated item, or undefined if it is gone.
   */
  recordSend(nodeId: Uint8Array, pieceId: Uint8Array, replacementNodeId: Uint8Array): Promise<ExitQueueItem | undefined>;

  /**
   * Records a failed attempt: `lastFailedAt`/`lastFailedCode` always; `failedCount` + 1 only when
   * `counts` (an unreachable replacement node is not the exiting node's fault). Returns the
   * updated item, or undefined if it is gone.
   */
  recordFailure(nodeId: Uint8Array, pieceId: Uint8Array, failure: { readonly code: TransferError; readonly at: number; readonly counts: boolean }): Promise<ExitQueueItem | undefined>;

  /**
   * Removes the item and counts it (transferred with its bytes, dropped or failed) in one step.
   * Returns false (counting nothing) when the item was already gone, so a repeated call never
   * counts a piece twice.
   */
  finishItem(nodeId: Uint8Array, pieceId: Uint8Array, result: FinishedItem, at: number): Promise<boolean>;

  /** Sets `lastActivityAt` (never backwards). */
  touch(nodeId: Uint8Array, at: number): Promise<void>;

  /**
   * Finishes the exit if it is not finished yet (compare-and-swap): sets the outcome, reason,
   * detail, receipt and `finishedAt`, and drops whatever is left in its queue. Returns the
   * finished record, or undefined when it was already finished (or unknown) — the first finish wins.
   */
  finishExit(nodeId: Uint8Array, finish: FinishExit): Promise<ExitRecord | undefined>;

  close(): Promise<void>;
}
