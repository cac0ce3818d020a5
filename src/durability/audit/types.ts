/** The audit service's settings, outcomes and records (docs/durability.md, "Audits"). */
import type { SegmentPosition, StreamId } from '../../metainfo/metabase/types.js';

/** Settings of the satellite's audits. */
export interface AuditConfig {
  /** How often the chore runs a round (default 30 s). */
  readonly intervalMs: number;
  /** Segments sampled and audited per round (default 4). */
  readonly segmentsPerRun: number;
  /** Segments read per metabase window while sampling (default 1000). */
  readonly iterateBatchSize: number;
  /** A share, or a reverified piece, that has not arrived by then counts as a timeout (default 10 s). */
  readonly timeoutMs: number;
  /** A contained node that times out this many reverifications in a row fails (default 3). */
  readonly maxReverifyCount: number;
  /** Candidate decodings tried per stripe before the audit declines to judge (default 2048). */
  readonly maxCandidates: number;
  /** Order limits live this long (default 1 h). */
  readonly orderTtlMs: number;
}

/** Audits' defaults: how often, how many segments, timeouts. */
export const DEFAULT_AUDIT_CONFIG: AuditConfig = Object.freeze({
  intervalMs: 30_000,
  segmentsPerRun: 4,
  iterateBatchSize: 1000,
  timeoutMs: 10_000,
  maxReverifyCount: 3,
  maxCandidates: 2048,
  orderTtlMs: 3_600_000,
});

/**
 * What an audit found about one node: its data was right (`success`), wrong or missing
 * (`failure`), it could not be dialed (`offline`), it connected but did not answer in time
 * (`contained`: re-verified later before judging), or something else went wrong (`unknown`).
 */
export type AuditVerdict = 'success' | 'failure' | 'offline' | 'contained' | 'unknown';

/** A contained node's pending audit: the exact piece it must still prove it holds. */
export interface PendingAudit {
  readonly nodeId: Uint8Array;
  readonly streamId: StreamId;
  readonly position: SegmentPosition;
  readonly pieceNumber: number;
  /** The segment's root piece id when contained: a re-upload of the segment ends the pending audit. */
  readonly rootPieceId: Uint8Array;
  /** Reverifications that timed out in a row. */
  readonly reverifyCount: number;
  readonly containedAt: number;
}

/** One node's result in an audit or a reverification. */
export interface NodeAuditResult {
  readonly nodeId: Uint8Array;
  readonly pieceNumber: number;
  readonly verdict: AuditVerdict;
  /** Why, for failures and unknown errors. */
  readonly detail?: string;
}

/** What one segment's audit found. */
export interface SegmentAuditReport {
  readonly streamId: StreamId;
  readonly position: SegmentPosition;
  /** `judged`: outcomes were applied; `declined`: too few shares agreed to judge; `skipped`: the segment is gone or inline. */
  readonly status: 'judged' | 'declined' | 'skipped';
  readonly stripe: number;
  readonly results: readonly NodeAuditResult[];
}

/** One round's totals. */
export interface AuditRunStats {
  readonly audited: number;
  readonly declined: number;
  readonly reverified: number;
  readonly success: number;
  readonly failure: number;
  readonly offline: number;
  readonly contained: number;
  readonly unknown: number;
}
