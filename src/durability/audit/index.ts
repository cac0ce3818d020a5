/**
 * Audits (docs/durability.md, "Audits"): segments sampled uniformly from the metabase, one
 * random stripe fetched from every piece holder under `GET_AUDIT` limits, the erasure code's
 * consensus naming the shares that disagree, timeouts contained and re-verified against the
 * uplink-signed piece hash. Pure decisions (`stripeConsensus`, `classifyAuditError`,
 * `Reservoir`) and runners (`Auditor`, `AuditService`) over injected ports.
 */
export { AuditService, type AuditServiceOptions } from './service.js';
export { Auditor, type AuditorDeps, type ReverifyResult } from './auditor.js';
export { stripeConsensus, correctableShares, type StripeConsensus, type ConsensusOptions } from './consensus.js';
export { classifyAuditError } from './classify.js';
export { Reservoir } from './sample.js';
export type { ContainmentStore } from './containment-store.js';
export { MemoryContainmentStore } from './store/memory.js';
export {
  DEFAULT_AUDIT_CONFIG,
  type AuditConfig, type AuditVerdict, type PendingAudit, type NodeAuditResult, type SegmentAuditReport, type AuditRunStats,
} from './types.js';
