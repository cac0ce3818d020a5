/**
 * `handoff/satellite`: the satellite, its stores and its configuration. `openSatelliteStore`
 * loads the SQLite or PostgreSQL driver only when asked for one; the single stores on them are
 * their own entry points, `handoff/satellite/sqlite` and `handoff/satellite/postgres`.
 */
export { Satellite, type SatelliteOptions, type SatelliteConfig } from './satellite.js';
export { openSatelliteStore, type SatelliteStore, type SatelliteStoreOptions } from './store.js';
export { Chore } from './chore.js';
export {
  GarbageCollector, BloomFilter, buildRetainFilters, DEFAULT_GC_CONFIG, PiecestoreRetain,
  type GcConfig, type GcReport, type GcNodeReport, type GcNodeDirectory, type RetainFilters,
} from '../durability/gc/index.js';
export { metainfoConfig, DEFAULT_METAINFO_CONFIG, DEV_REDUNDANCY, type MetainfoConfig } from '../metainfo/endpoint/config.js';
export * as metainfo from '../metainfo/methods.js';
export type { RedundancyScheme, EncryptionParameters, SegmentPosition, ObjectRecord, SegmentRecord } from '../metainfo/metabase/types.js';
export type { MetabaseStore } from '../metainfo/metabase/port.js';
export { MemoryExitQueueStore } from '../exit/store/memory.js';
export { MemoryRepairQueueStore } from '../durability/repair/store/memory.js';
export {
  RepairService, DEFAULT_REPAIR_CONFIG, needsRepair, checkSegments, planRepair, fitUploads, checkPiece,
  type RepairConfig, type RepairOutcome, type CheckerStats, type RepairRunStats, type RepairPieceFailure, type RepairFailureReason,
  type RepairQueueStore, type RepairQueueItem, type NewRepairItem,
} from '../durability/repair/index.js';
export type { NodeRecord, NodeStatus } from '../overlay/types.js';
export { ContactService, contactConfig, DEFAULT_CONTACT_CONFIG, OFFLINE_SUSPENSION_REASON, type ContactConfig, type ContactResult, type ContactPass } from '../durability/contact/index.js';
export {
  applyAuditOutcome,
  reputationConfig,
  DEFAULT_REPUTATION_CONFIG,
  AUDIT_DISQUALIFICATION_REASON,
  UNKNOWN_SUSPENSION_REASON,
  auditScore,
  unknownScore,
  type AuditOutcome,
  type ReputationConfig,
} from '../durability/reputation.js';
export { isHealthy } from '../durability/health.js';
export {
  AuditService, Auditor, stripeConsensus, correctableShares, classifyAuditError, Reservoir, MemoryContainmentStore, DEFAULT_AUDIT_CONFIG,
  type AuditServiceOptions, type ContainmentStore, type AuditConfig, type AuditVerdict, type PendingAudit, type NodeAuditResult, type SegmentAuditReport, type AuditRunStats,
} from '../durability/audit/index.js';
export { startSatelliteAdmin, SatelliteAdminClient, type SatelliteAdminOptions } from './admin/index.js';
export { adminAddressFile, AdminEndpointError } from '../admin/index.js';
