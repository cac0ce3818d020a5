/**
 * Repair's shared vocabulary: its tunables and their defaults (docs/durability.md explains each),
 * what one repair ended in, the counts a checker pass or a repair run returns, and the event a
 * node that fails to serve a repair download raises.
 */
import type { SegmentPosition, StreamId } from '../../metainfo/metabase/types.js';

/** Settings of the satellite's repair checker and repairer. */
export interface RepairConfig {
  /** How often the checker walks every segment (default 5 min). */
  readonly checkIntervalMs: number;
  /** How often the repairer drains the queue (default 1 min). */
  readonly repairIntervalMs: number;
  /** Segments read per metabase batch by the checker (default 1000). */
  readonly checkBatchSize: number;
  /** Ranges of stream ids the checker reads at once, each batch by batch (default 4). */
  readonly checkRanges: number;
  /** Segments repaired at once (default 4). */
  readonly concurrency: number;
  /**
   * How long a claimed segment stays with its repairer (default 30 min). A repair that failed
   * (too few pieces could be downloaded, no node took a piece) is tried again after it.
   */
  readonly leaseMs: number;
  /** A piece download that takes longer fails, and another piece is fetched (default 5 min). */
  readonly downloadTimeoutMs: number;
  /** A piece upload that takes longer fails, and another node is tried (default 5 min). */
  readonly uploadTimeoutMs: number;
  /** Nodes tried for each new piece before the repair makes do without it (default 3). */
  readonly uploadAttempts: number;
  /** How long the repairer's order limits stay valid (default 1 h). */
  readonly orderTtlMs: number;
}

/** Repair's defaults: how often to check, batch sizes, concurrency. */
export const DEFAULT_REPAIR_CONFIG: RepairConfig = Object.freeze({
  checkIntervalMs: 5 * 60_000,
  repairIntervalMs: 60_000,
  checkBatchSize: 1000,
  checkRanges: 4,
  concurrency: 4,
  leaseMs: 30 * 60_000,
  downloadTimeoutMs: 5 * 60_000,
  uploadTimeoutMs: 5 * 60_000,
  uploadAttempts: 3,
  orderTtlMs: 3_600_000,
});

/**
 * How one segment's repair ended.
 * - `repaired`: back at its success threshold (and every segment sharing its pieces with it);
 * - `partial`: better, not whole (too few nodes took pieces); the next checker pass queues it again;
 * - `healthy`: nothing to do (it recovered, or another repair got there first);
 * - `gone`: deleted (or re-uploaded) meanwhile; the new pieces were deleted;
 * - `irreparable`: fewer than `required` pieces can be downloaded now;
 * - `failed`: too few pieces downloaded, or none uploaded; tried again after the lease.
 */
export type RepairOutcome = 'repaired' | 'partial' | 'healthy' | 'gone' | 'irreparable' | 'failed';

/** One checker pass. */
export interface CheckerStats {
  readonly segments: number;
  /** Segments with pieces (not inline). */
  readonly remote: number;
  /** Segments queued (or re-queued) for repair. */
  readonly queued: number;
  /** Queued segments fewer than `required` of whose pieces can be downloaded. */
  readonly irreparable: number;
  /** Queue items removed because the pass no longer found their segment unhealthy. */
  readonly cleaned: number;
}

/** One repair run (every item that could be claimed). */
export type RepairRunStats = Readonly<Record<RepairOutcome, number>>;

/** Why a piece could not serve a repair. */
export type RepairFailureReason =
  /** The bytes, the hash or the original limit did not check out. */
  | 'corrupt'
  /** The node says it does not have the piece. */
  | 'missing'
  /** The node could not be reached. */
  | 'offline'
  /** The node was reached but did not finish in time. */
  | 'timeout'
  /** Anything else (e.g. a refusal, a broken stream). */
  | 'unknown';

/**
 * A node failed to serve a piece for repair: Storj counts `corrupt` and `missing` as failed
 * audits. The satellite's audit reputation listens for these.
 */
export interface RepairPieceFailure {
  readonly nodeId: Uint8Array;
  readonly pieceId: Uint8Array;
  readonly pieceNumber: number;
  readonly streamId: StreamId;
  readonly position: SegmentPosition;
  readonly rootPieceId: Uint8Array;
  readonly reason: RepairFailureReason;
  readonly detail: string;
  readonly at: number;
}
