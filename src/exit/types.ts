/**
 * Graceful exit's shared vocabulary: the satellite's per-node exit record and transfer queue,
 * the node's per-satellite exit status, the failure codes that travel on the wire, and the
 * rules' defaults (docs/exit.md explains each).
 */

/** Why one transfer failed, as the exiting node reports it. */
export const TRANSFER_ERRORS = ['NOT_FOUND', 'STORAGE_NODE_UNAVAILABLE', 'HASH_VERIFICATION', 'UNKNOWN'] as const;
/** Why one piece transfer failed; one of {@link TRANSFER_ERRORS}. */
export type TransferError = (typeof TRANSFER_ERRORS)[number];

/** Why a whole exit failed; persisted with the exit and re-sent unchanged on every reconnect. */
export const EXIT_FAILURE_REASONS = [
  /** A `TransferSucceeded` whose proof did not verify: a forgery, or a node sending bad data. */
  'VERIFICATION_FAILED',
  /** The node did not work on its exit for longer than the inactivity window. */
  'INACTIVE_TIMEFRAME_EXCEEDED',
  /** More than the allowed share of pieces could not be transferred (lost, or failed too often). */
  'OVERALL_FAILURE_PERCENTAGE_EXCEEDED',
  /** The node was disqualified (e.g. by audits) while exiting. */
  'DISQUALIFIED',
  /**
   * A time-based exit whose node was online less than the threshold over its period. Appended
   * (codes travel as strings): only nodes that asked with `GracefulExit.Initiate`, which know it,
   * ever get a time-based exit.
   */
  'ONLINE_SCORE_TOO_LOW',
] as const;
/** Why an exit failed; one of {@link EXIT_FAILURE_REASONS}. */
export type ExitFailureReason = (typeof EXIT_FAILURE_REASONS)[number];

/** How an exit ended. */
export type ExitOutcome = 'completed' | 'failed';

/** A `full` exit leaves the satellite; a `partial` one moves some bytes off and the node stays. */
export const EXIT_KINDS = ['full', 'partial'] as const;
/** A full or a partial exit; one of {@link EXIT_KINDS}. */
export type ExitKind = (typeof EXIT_KINDS)[number];

/**
 * How a full exit is judged: `transfer` — the node hands every piece over with proofs;
 * `time-based` — it stays online for a period with an online score above a threshold, and repair
 * moves data as needed (what Storj moved to in 2023). A partial exit always transfers.
 */
export const EXIT_POLICIES = ['transfer', 'time-based'] as const;
/** How an exit is judged; one of {@link EXIT_POLICIES}. */
export type ExitPolicy = (typeof EXIT_POLICIES)[number];

/** Tunables of the exit rules; every field has a default in {@link DEFAULT_EXIT_CONFIG}. */
export interface ExitConfig {
  /** A node younger than this (since it first checked in) may not exit (default 0: any age; Storj: 6 months). */
  readonly minNodeAgeMs: number;
  /** Transfers in flight per exiting node; refilled once half of it is free (a sliding window, not batches). */
  readonly transferWindow: number;
  /** Failed attempts (each to a different replacement node) before a piece counts as failed. */
  readonly maxFailuresPerPiece: number;
  /** Order limits sent for one piece, failures or not, before it counts as failed (default 10). */
  readonly maxOrderLimitSendCount: number;
  /** The exit fails when more than this fraction of its pieces failed (default 0.10). */
  readonly overallMaxFailuresRatio: number;
  /** No connection from the exiting node for this long fails the exit (default 168 h). */
  readonly inactiveTimeframeMs: number;
  /** A transfer not answered within max(floor, pieceSize / minTransferRate) counts as failed. */
  readonly receiveTimeoutFloorMs: number;
  /** Bytes per second every node is expected to manage (default 5 KB/s, as Storj). */
  readonly minTransferBytesPerSecond: number;
  /** How long a node told `NotReady` should wait before asking again. */
  readonly notReadyRetryMs: number;
  /** Segments read per gathering batch. */
  readonly gatherBatchSize: number;
  /** How long order limits for exit transfers stay valid. */
  readonly orderTtlMs: number;
  /** How this satellite judges a full exit a node asks for with `GracefulExit.Initiate` (default `transfer`). */
  readonly policy: ExitPolicy;
  /** A time-based exit lasts this long (default 30 days). */
  readonly timeBasedPeriodMs: number;
  /** …and completes when the node's online score over it is at least this (default 0.8). */
  readonly timeBasedMinOnlineScore: number;
}

/** The satellite's exit rules by default: failure budgets, timeouts, minimum node age. */
export const DEFAULT_EXIT_CONFIG: ExitConfig = Object.freeze({
  minNodeAgeMs: 0,
  transferWindow: 20,
  maxFailuresPerPiece: 5,
  maxOrderLimitSendCount: 10,
  overallMaxFailuresRatio: 0.1,
  inactiveTimeframeMs: 168 * 3_600_000,
  receiveTimeoutFloorMs: 2 * 60_000,
  minTransferBytesPerSecond: 5_000,
  notReadyRetryMs: 30_000,
  gatherBatchSize: 1_000,
  orderTtlMs: 2 * 3_600_000,
  policy: 'transfer',
  timeBasedPeriodMs: 30 * 86_400_000,
  timeBasedMinOnlineScore: 0.8,
});

/**
 * The satellite's record of one node's exit: one current record per node, and the archived ones
 * (a finished exit followed by a newer exit, or by a rejoin) that reports still list.
 */
export interface ExitRecord {
  readonly nodeId: Uint8Array;
  readonly kind: ExitKind;
  /** A partial exit's bytes to move (gathering keeps at least this much); null for a full exit. */
  readonly targetBytes: number | null;
  readonly policy: ExitPolicy;
  /** When the node's first `GracefulExit.Process` call started the exit. */
  readonly initiatedAt: number;
  /** Bytes the satellite believed the node held at initiation (sum of its pieces' sizes, filled by gathering). */
  readonly startingBytes: number;
  /** Where gathering will resume (the last segment it finished), undefined before the first batch. */
  readonly gatherCursor: { readonly streamId: Uint8Array; readonly position: { readonly part: number; readonly index: number } } | undefined;
  /** When gathering finished; transfers start only after it. */
  readonly gatheredAt: number | null;
  /** Pieces queued by gathering (transfers and drops). */
  readonly piecesQueued: number;
  readonly piecesTransferred: number;
  /** Pieces dropped without a transfer (their segment was above its success threshold, or went away). */
  readonly piecesDropped: number;
  /** Pieces that failed for good (lost, or out of attempts). */
  readonly piecesFailed: number;
  readonly bytesTransferred: number;
  /** Last time the node worked on its exit (connected, reported a result). */
  readonly lastActivityAt: number;
  readonly finishedAt: number | null;
  readonly outcome: ExitOutcome | null;
  readonly failureReason: ExitFailureReason | null;
  /** A human-readable detail kept with the reason (e.g. which link of a proof broke). */
  readonly failureDetail: string | null;
  /** The signed receipt, encoded, once finished. */
  readonly receipt: Uint8Array | null;
  /** When it was archived (a newer exit started, or the node rejoined); null for the current record. */
  readonly archivedAt: number | null;
}

/** One piece an exiting node must hand over (or drop), keyed by (nodeId, pieceId). */
export interface ExitQueueItem {
  readonly nodeId: Uint8Array;
  /** The piece id on the exiting node: derive(rootPieceId, nodeId, pieceNumber). */
  readonly pieceId: Uint8Array;
  readonly rootPieceId: Uint8Array;
  readonly pieceNumber: number;
  /** A segment that holds the piece (any, when copies share it): the source of its redundancy and size. */
  readonly streamId: Uint8Array;
  readonly position: { readonly part: number; readonly index: number };
  readonly pieceSize: number;
  /** Healthy pieces / total pieces of the segment at gathering: lowest goes first. */
  readonly durability: number;
  /** True when the segment was above its success threshold: drop the piece, no transfer. */
  readonly drop: boolean;
  readonly queuedAt: number;
  /** Failed attempts so far (each with another replacement node). */
  readonly failedCount: number;
  /** Order limits sent for this piece so far. */
  readonly sendCount: number;
  readonly lastFailedAt: number | null;
  readonly lastFailedCode: TransferError | null;
  /** Nodes already tried as replacements (never tried twice). */
  readonly triedNodes: readonly Uint8Array[];
}

/** Where an exit on the node side stands, per satellite. */
export type NodeExitState = 'exiting' | 'completed' | 'failed';

/**
 * What the operator chose when the node's monthly bandwidth allocation could not cover the exit:
 * `exceed` it, or `wait` for the next period whenever it runs out (docs/exit.md).
 */
export type ExitBandwidthChoice = 'exceed' | 'wait';

/** The node's record of its exit from one satellite (`graceful_exit_status`; archived ones in `graceful_exit_history`). */
export interface NodeExitStatus {
  readonly satelliteId: Uint8Array;
  readonly state: NodeExitState;
  readonly kind: ExitKind;
  /** A partial exit's bytes to move; null for a full exit. */
  readonly targetBytes: number | null;
  /** How the satellite judges it (it says so when the exit starts). */
  readonly policy: ExitPolicy;
  /** The operator's bandwidth choice, when one was made; null: no allocation limits this exit. */
  readonly bandwidth: ExitBandwidthChoice | null;
  readonly startedAt: number;
  /** Bytes held for the satellite when the exit started: progress is bytesDeleted / startingBytes. */
  readonly startingBytes: number;
  readonly bytesTransferred: number;
  readonly piecesTransferred: number;
  readonly piecesFailed: number;
  readonly bytesDeleted: number;
  readonly piecesDeleted: number;
  readonly finishedAt: number | null;
  readonly failureReason: string | null;
  /** The satellite's signed receipt, encoded, once finished. */
  readonly receipt: Uint8Array | null;
  /** True once every remaining piece of the satellite was removed after the exit finished. */
  readonly wiped: boolean;
  /** When it was archived (a newer exit started, or the node rejoined); null for the current status. */
  readonly archivedAt: number | null;
}

/**
 * True when a finished exit still has to remove what the node holds for the satellite: a full
 * exit (either outcome), or a failed partial one (the satellite disqualified the node). A partial
 * exit that completed keeps the rest: the node stays.
 */
export function needsWipe(status: Pick<NodeExitStatus, 'state' | 'kind' | 'wiped'>): boolean {
  return status.state !== 'exiting' && !status.wiped && !(status.kind === 'partial' && status.state === 'completed');
}

/** The percentage an exit has reached, from bytes deleted over starting bytes; never above 100. */
export function exitPercent(status: Pick<NodeExitStatus, 'state' | 'bytesDeleted' | 'startingBytes'>): number {
  if (status.state === 'completed') return 100;
  if (status.startingBytes <= 0) return 0;
  return Math.min(100, (100 * status.bytesDeleted) / status.startingBytes);
}
