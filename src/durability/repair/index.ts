/**
 * Repair (docs/durability.md, "Repair"): the checker finds segments whose healthy pieces fell
 * to their repair threshold and queues them, least healthy first; the repairer rebuilds each
 * from verified pieces and swaps new pieces in by compare-and-swap, for a segment and every copy
 * sharing its pieces. Pure decisions (`needsRepair`, `checkSegments`, `planRepair`,
 * `fitUploads`, `checkPiece`) and runners over injected ports.
 */
export { RepairService, type RepairServiceOptions } from './service.js';
export { RepairChecker, type RepairCheckerDeps } from './checker-runner.js';
export { Repairer, type RepairerDeps } from './repairer.js';
export { needsRepair, segmentHealth, checkSegments, type SegmentHealth, type CheckedBatch } from './checker.js';
export { planRepair, fitUploads, type RepairPlan } from './plan.js';
export { pieceState, NodeTable, type PieceState } from './pieces.js';
export { checkPiece, type ExpectedPiece, type PieceCheckResult } from './proof.js';
export type { RepairQueueStore, RepairQueueItem, NewRepairItem } from './queue-store.js';
export { MemoryRepairQueueStore } from './store/memory.js';
export {
  DEFAULT_REPAIR_CONFIG,
  type RepairConfig, type RepairOutcome, type CheckerStats, type RepairRunStats, type RepairFailureReason, type RepairPieceFailure,
} from './types.js';
