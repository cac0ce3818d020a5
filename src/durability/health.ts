/**
 * What makes a piece healthy: the one rule every durability service (repair checker, repairer,
 * audits, garbage collection) judges nodes by, so a node counts the same everywhere.
 */
import type { NodeRecord } from '../overlay/types.js';

/**
 * True when a piece on `node` counts toward its segment's durability: the node is `active`
 * (not exiting, exited or disqualified), not suspended, not offline (its last contact attempt
 * did not fail — see `NodeRecord.offlineSince`), and was heard from within `onlineWindowMs`
 * before `now`. A piece on an exiting node is not healthy — it is leaving — though it still
 * serves downloads; so does a suspended node's.
 *
 * @example
 * ```ts
 * const healthy = segment.pieces.filter((p) => { const n = nodes.get(toHex(p.nodeId)); return n !== undefined && isHealthy(n, now, onlineWindowMs); }).length;
 * ```
 */
export function isHealthy(node: NodeRecord, now: number, onlineWindowMs: number): boolean {
  return node.status === 'active' && node.suspendedAt === null && node.offlineSince === null && node.lastContactAt >= now - onlineWindowMs;
}
