/** `handoff satellite nodes`: the storage nodes registered with a running satellite, and their state. */
import { NodeId } from '../../crypto/node-id.js';
import type { AdminNode } from '../../satellite/admin/index.js';
import { defineCommand } from '../command.js';
import { formatBytes, formatDuration, formatTime, isoTime, table } from '../format.js';
import { adminCall, reachSatellite } from './reach.js';
import { satelliteIdentity, satelliteIdentityOptions } from './satellite-exits.js';

/** One word for where a node stands: disqualified, exited, exiting, suspended, offline or online. */
export function nodeState(node: Pick<AdminNode, 'status' | 'offlineSince' | 'suspendedAt' | 'disqualifiedAt'>): string {
  if (node.disqualifiedAt !== null) return 'disqualified';
  if (node.status !== 'active') return node.status;
  if (node.suspendedAt !== null) return 'suspended';
  return node.offlineSince === null ? 'online' : 'offline';
}

export const satelliteNodes = defineCommand<{ dir?: string; identity?: string; json: boolean }>({
  path: ['satellite', 'nodes'],
  summary: 'the storage nodes registered with a running satellite: address, state, free space, last contact',
  define: (cmd) => satelliteIdentityOptions(cmd).option('--json', 'one JSON object per line: { id, address, state, … }', false),
  async run({ options }, { io }) {
    const admin = await reachSatellite(satelliteIdentity(options));
    try {
      const nodes: AdminNode[] = [];
      await adminCall('the satellite', async () => {
        for await (const node of admin.nodes()) nodes.push(node);
      });
      const now = Date.now();
      if (options.json) {
        for (const n of nodes) {
          io.out(JSON.stringify({ ...n, id: NodeId.fromPublicKey(n.id).toString(), state: nodeState(n), joinedAt: isoTime(n.joinedAt), lastContactAt: isoTime(n.lastContactAt), offlineSince: isoTime(n.offlineSince), suspendedAt: isoTime(n.suspendedAt), disqualifiedAt: isoTime(n.disqualifiedAt) }));
        }
        return 0;
      }
      if (nodes.length === 0) {
        io.out('no storage node has checked in yet');
        return 0;
      }
      const rows = nodes.map((n) => [NodeId.fromPublicKey(n.id).toString(), n.address, nodeState(n) + (n.disqualifiedReason ? ` (${n.disqualifiedReason})` : n.suspendedReason ? ` (${n.suspendedReason})` : ''), formatBytes(n.freeBytes), n.auditScore.toFixed(3), formatTime(n.joinedAt), `${formatDuration(now - n.lastContactAt)} ago`]);
      for (const line of table([['node', 'address', 'state', 'free', 'audit', 'joined', 'last contact'], ...rows])) io.out(line);
      return 0;
    } finally {
      await admin.close();
    }
  },
});
