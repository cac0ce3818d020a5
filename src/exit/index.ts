/**
 * `handoff/exit`: graceful exit (seeds 000 and 001, docs/exit.md). A storage node leaving a
 * satellite hands every piece it holds to other nodes, each transfer proven by the uplink's and
 * the receiver's signatures, and gets a signed receipt.
 *
 * - `ExitCoordinator` (satellite) and `ExitWorker` (storage node): runners over injected ports.
 * - `transition` / `workerTransition`: their pure machines, for hosts that drive them their own way.
 * - `ExitQueueStore` / `NodeExitStore`: the storage ports (memory implementations here; SQLite and
 *   PostgreSQL in `handoff/satellite/sqlite`, `handoff/satellite/postgres`, `handoff/node/sqlite`
 *   and `handoff/node/postgres`). Nothing here loads a driver or a Node built-in: browser-safe.
 * - `verifyExitReceipt`: checks a receipt offline.
 * - Beyond the first version (docs/exit.md, "More than the MVP"): partial exits, rejoins, the
 *   time-based policy, pausing for bandwidth — decided by `decideInitiate`, `decideRejoin`,
 *   `decideKeepAlive` and `judgeTimeBased`.
 */
export { ExitCoordinator, type ExitCoordinatorOptions } from './exit-coordinator.js';
export { ExitWorker, wipeSatellite, type ExitWorkerOptions } from './exit-worker.js';
export {
  transition, openSession, receiveTimeoutMs,
  type CoordinatorSession, type CoordinatorEvent, type CoordinatorEffect, type CoordinatorStep, type InFlight, type SessionPhase,
} from './coordinator.js';
export {
  workerTransition, initialWorkerState, backoffMs, DEFAULT_WORKER_CONFIG,
  type WorkerState, type WorkerEvent, type WorkerEffect, type WorkerStep, type WorkerConfig, type WorkerPhase, type TransferPieceMessage,
} from './worker.js';
export { verifyTransferProof, type ExpectedTransfer, type ProofCheck, type TransferSucceeded } from './proof.js';
export { gatherItems } from './gather.js';
export { exitReportCsv, progressRow, reportRows, escrowStartedAt, type ExitProgressRow, type ExitReportRow } from './report.js';
export { transferPiece, type PieceTransferDeps } from './piece-transfer.js';
export { signExitReceipt, verifyExitReceipt, encodeExitReceipt, decodeExitReceipt, type UnsignedExitReceipt } from './receipt.js';
export {
  GracefulExitProcess, NodeExitMessage, SatelliteExitMessage, ExitReceiptSchema, MAX_RECEIPT_BYTES, type ExitReceipt,
  GracefulExitInitiate, GracefulExitKeepAlive, GracefulExitRejoin, type ExitInitiateRequest, type ExitInitiateResponse,
} from './messages.js';
export {
  decideInitiate, decideKeepAlive, decideRejoin,
  type ExitRequest, type InitiateDecision, type KeepAliveDecision, type RejoinDecision,
} from './requests.js';
export { judgeTimeBased, timeBasedDueAt, TIME_BASED_MAX_RETRY_MS, type TimeBasedVerdict } from './time-based.js';
export { MemoryExitQueueStore } from './store/memory.js';
export { MemoryNodeExitStore } from './node-store/memory.js';
export { FULL_EXIT, type ExitQueueStore, type NewExit, type NewExitQueueItem, type FinishedItem, type FinishExit, type ListExits } from './queue-store.js';
export { FULL_NODE_EXIT, type NodeExitStore, type NodeExitFinish, type NodeExitStart } from './node-store.js';
export {
  DEFAULT_EXIT_CONFIG, TRANSFER_ERRORS, EXIT_FAILURE_REASONS, EXIT_KINDS, EXIT_POLICIES, exitPercent, needsWipe,
  type ExitConfig, type ExitRecord, type ExitQueueItem, type ExitFailureReason, type ExitOutcome, type TransferError,
  type ExitKind, type ExitPolicy, type ExitBandwidthChoice, type NodeExitStatus, type NodeExitState,
} from './types.js';
