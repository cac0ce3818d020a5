/**
 * Node reputation, as Storj's satellite keeps it: two beta-distribution scores with a forgetting
 * factor, one moved by audits that succeed or fail (disqualification below a threshold), one by
 * audits that end in an unknown error (suspension below a threshold, lifted above it) — a
 * success counts for both, so a node suspended for unknown errors earns its way back. Offline
 * audits move neither: they are failed contacts, and long absence is the contact service's to
 * judge (see docs/durability.md). The score math is pure; {@link applyAuditOutcome} applies an
 * outcome to the overlay.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { OverlayStore } from '../overlay/port.js';
import type { NodeRecord, NodeStatus } from '../overlay/types.js';

/** How outcomes move the scores, and where they lead. */
export interface ReputationConfig {
  /** Forgetting factor λ in (0, 1]: how much the past keeps counting at each new outcome (default 0.999). */
  readonly lambda: number;
  /** How much one outcome counts, w > 0 (default 1). */
  readonly weight: number;
  /** A node whose audit score falls below this is disqualified (default 0.96). */
  readonly disqualificationThreshold: number;
  /** A node whose unknown-error score falls below this is suspended; above it, unsuspended (default 0.6). */
  readonly unknownSuspensionThreshold: number;
}

/**
 * Storj's current values. With λ = 0.999 and w = 1 alpha can reach w / (1 − λ) = 1000, so a
 * node with a long clean record survives a rare failed audit while a new node, or one failing
 * repeatedly, is disqualified. (λ = 0.95 caps alpha at 20: one failure would disqualify anyone.)
 */
export const DEFAULT_REPUTATION_CONFIG: ReputationConfig = Object.freeze({
  lambda: 0.999,
  weight: 1,
  disqualificationThreshold: 0.96,
  unknownSuspensionThreshold: 0.6,
});

/** The reason recorded when the audit score disqualifies a node. */
export const AUDIT_DISQUALIFICATION_REASON = 'audit score below threshold';
/** The reason recorded when the unknown-error score suspends a node. */
export const UNKNOWN_SUSPENSION_REASON = 'unknown audit score below threshold';

/**
 * The defaults with `overrides`, checked (`InvalidArgumentError` naming the field).
 *
 * @example
 * ```ts
 * const config = reputationConfig({ lambda: 0.999 });
 * ```
 */
export function reputationConfig(overrides: Partial<ReputationConfig> = {}): ReputationConfig {
  const config = { ...DEFAULT_REPUTATION_CONFIG, ...overrides };
  if (!(config.lambda > 0 && config.lambda <= 1)) throw new InvalidArgumentError(`"lambda" expected a number in (0, 1], got ${config.lambda}`);
  if (!(config.weight > 0 && Number.isFinite(config.weight))) throw new InvalidArgumentError(`"weight" expected a positive number, got ${config.weight}`);
  for (const field of ['disqualificationThreshold', 'unknownSuspensionThreshold'] as const) {
    const value = config[field];
    if (!(value >= 0 && value <= 1)) throw new InvalidArgumentError(`"${field}" expected a number in [0, 1], got ${value}`);
  }
  return config;
}

/** A beta distribution's two parameters: evidence for (alpha) and against (beta). */
export interface BetaReputation {
  readonly alpha: number;
  readonly beta: number;
}

/** Where every node starts: alpha 1, beta 0 (score 1). */
export const INITIAL_REPUTATION: BetaReputation = Object.freeze({ alpha: 1, beta: 0 });

/**
 * One outcome: `alpha' = λ·alpha + w·[success]`, `beta' = λ·beta + w·[failure]` (the stores
 * compute exactly this, in this order of operations).
 *
 * @example
 * ```ts
 * const after = nextReputation(INITIAL_REPUTATION, false, { lambda: 0.95, weight: 1 }); // { alpha: 0.95, beta: 1 }
 * ```
 */
export function nextReputation(reputation: BetaReputation, success: boolean, config: Pick<ReputationConfig, 'lambda' | 'weight'>): BetaReputation {
  const s = success ? 1 : 0;
  return { alpha: config.lambda * reputation.alpha + config.weight * s, beta: config.lambda * reputation.beta + config.weight * (1 - s) };
}

/** The score: the distribution's mean, `alpha / (alpha + beta)`, in [0, 1] (1 with no evidence at all). */
export function reputationScore(reputation: BetaReputation): number {
  const total = reputation.alpha + reputation.beta;
  return total > 0 ? reputation.alpha / total : 1;
}

/** A node's audit score. */
export function auditScore(node: Pick<NodeRecord, 'auditAlpha' | 'auditBeta'>): number {
  return reputationScore({ alpha: node.auditAlpha, beta: node.auditBeta });
}

/** A node's unknown-error score. */
export function unknownScore(node: Pick<NodeRecord, 'unknownAlpha' | 'unknownBeta'>): number {
  return reputationScore({ alpha: node.unknownAlpha, beta: node.unknownBeta });
}

/** What an audit found: the node's data was right, wrong, it could not be reached, or something else failed. */
export type AuditOutcome = 'success' | 'failure' | 'offline' | 'unknown';

/** What a node's scores call for. */
export type ReputationVerdict =
  | { readonly type: 'disqualify'; readonly from: NodeStatus; readonly reason: string }
  | { readonly type: 'suspend'; readonly reason: string }
  | { readonly type: 'unsuspend' }
  | { readonly type: 'none' };

/**
 * What `node`'s scores call for: disqualification below the audit threshold; else suspension
 * below the unknown-error threshold (unless already suspended), or lifting a suspension the
 * unknown-error score made once the score is back at or above it. Exited and disqualified
 * nodes are past judging.
 */
export function reputationVerdict(node: NodeRecord, config: ReputationConfig): ReputationVerdict {
  if (node.status !== 'active' && node.status !== 'exiting') return { type: 'none' };
  if (auditScore(node) < config.disqualificationThreshold) return { type: 'disqualify', from: node.status, reason: AUDIT_DISQUALIFICATION_REASON };
  const unknown = unknownScore(node);
  if (unknown < config.unknownSuspensionThreshold) return node.suspendedAt === null ? { type: 'suspend', reason: UNKNOWN_SUSPENSION_REASON } : { type: 'none' };
  if (node.suspendedReason === UNKNOWN_SUSPENSION_REASON) return { type: 'unsuspend' };
  return { type: 'none' };
}

/**
 * Applies one audit outcome to `nodeId`'s record: `success` raises both scores (the audit score
 * as an audit, the unknown-error score as evidence against unknown errors), `failure` lowers
 * the audit score, `unknown` the unknown-error score; then the verdict is carried out
 * (disqualification by status compare-and-swap, retried if the status moved meanwhile).
 * `offline` records a failed contact. Returns the record after all of it, or `undefined` for an
 * unknown node.
 *
 * @example
 * ```ts
 * const node = await applyAuditOutcome(overlay, nodeId, 'failure', reputationConfig(), Date.now());
 * if (node?.status === 'disqualified') console.log(node.disqualifiedReason); // 'audit score below threshold'
 * ```
 */
export async function applyAuditOutcome(
  overlay: OverlayStore,
  nodeId: Uint8Array,
  outcome: AuditOutcome,
  config: ReputationConfig,
  at: number,
): Promise<NodeRecord | undefined> {
  if (outcome === 'offline') return overlay.recordContact(nodeId, { at, success: false });
  const { lambda, weight } = config;
  let node = await overlay.updateReputation(nodeId, { kind: outcome === 'unknown' ? 'unknown' : 'audit', success: outcome === 'success', lambda, weight, at });
  if (node !== undefined && outcome === 'success') node = await overlay.updateReputation(nodeId, { kind: 'unknown', success: true, lambda, weight, at });
  // A status compare-and-swap can lose to another change (an exit starting); judge the fresh record again.
  for (let attempt = 0; node !== undefined && attempt < 3; attempt++) {
    const verdict = reputationVerdict(node, config);
    switch (verdict.type) {
      case 'none':
        return node;
      case 'suspend':
        return overlay.setSuspended(nodeId, { at, reason: verdict.reason });
      case 'unsuspend':
        return overlay.setSuspended(nodeId, null);
      case 'disqualify': {
        const changed = await overlay.setStatus({ id: nodeId, from: verdict.from, to: 'disqualified', at, reason: verdict.reason });
        if (changed) return changed;
        node = await overlay.get(nodeId);
      }
    }
  }
  return node;
}
