/**
 * The contact service's decisions, pure: whom to dial, and what a node's record calls for after
 * a contact — suspension after a long absence, disqualification after a longer one, and lifting
 * an absence's suspension once the node answers again.
 */
import type { NodeRecord, NodeStatus } from '../../overlay/types.js';
import type { ContactConfig } from './config.js';

/** The reason recorded when a long absence suspends a node. */
export const OFFLINE_SUSPENSION_REASON = 'offline';

/** What a contact's outcome calls for. */
export type ContactEffect =
  | { readonly type: 'suspend'; readonly reason: string }
  | { readonly type: 'unsuspend' }
  | { readonly type: 'disqualify'; readonly from: NodeStatus; readonly reason: string };

/**
 * Nodes the satellite keeps dialing: active ones, and exiting ones (seed 001: an exiting node
 * keeps its uptime checked and can still be disqualified). Exited and disqualified nodes are done.
 */
export function shouldContact(node: Pick<NodeRecord, 'status'>): boolean {
  return node.status === 'active' || node.status === 'exiting';
}

/**
 * What `node` (as recorded right after a contact) calls for at `now`: offline for more than
 * `disqualifyAfterMs` → disqualified; for more than `suspendAfterMs` → suspended (`offline`),
 * unless suspended already; online again while suspended for being offline → unsuspended.
 *
 * @example
 * ```ts
 * afterContact({ ...node, offlineSince: now - 25 * 3600_000 }, now, contactConfig()); // [{ type: 'suspend', reason: 'offline' }]
 * ```
 */
export function afterContact(node: NodeRecord, now: number, config: Pick<ContactConfig, 'suspendAfterMs' | 'disqualifyAfterMs'>): ContactEffect[] {
  if (!shouldContact(node)) return [];
  if (node.offlineSince === null) return node.suspendedReason === OFFLINE_SUSPENSION_REASON ? [{ type: 'unsuspend' }] : [];
  const absent = now - node.offlineSince;
  if (absent > config.disqualifyAfterMs) {
    const reason = `offline for more than ${duration(config.disqualifyAfterMs)} (since ${new Date(node.offlineSince).toISOString()})`;
    return [{ type: 'disqualify', from: node.status, reason }];
  }
  if (absent > config.suspendAfterMs && node.suspendedAt === null) return [{ type: 'suspend', reason: OFFLINE_SUSPENSION_REASON }];
  return [];
}

/** `30 days`, `24 h`, `5 min`, `1500 ms`: the largest whole unit. */
export function duration(ms: number): string {
  const units: Array<[number, string]> = [[86_400_000, ' days'], [3_600_000, ' h'], [60_000, ' min'], [1000, ' s']];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size}${ms === size && name === ' days' ? ' day' : name}`;
  }
  return `${ms} ms`;
}
