/** `handoff node status`: what a running node offers and holds, per satellite. */
import { NodeId } from '../../crypto/node-id.js';
import { required } from '../args.js';
import { defineCommand } from '../command.js';
import { formatBytes, formatPercent, formatTime, table } from '../format.js';
import { adminCall, reachNode } from './reach.js';

export const nodeStatus = defineCommand<{ dir?: string; json: boolean }>({
  path: ['node', 'status'],
  summary: 'a running node: its id, space offered and used, bandwidth this month, the satellites it serves',
  define: (cmd) =>
    cmd
      .usage('--dir <dir> [--json]')
      .option('--dir <dir>', "the node's data directory (as given to handoff node run; required)")
      .option('--json', 'print { nodeId, allocatedBytes, usedBytes, bandwidth, satellites: [...] }', false),
  async run({ options }, { io }) {
    const dir = required(options.dir, 'dir');
    const { admin } = await reachNode(dir);
    try {
      const overview = await adminCall(`the storage node in ${dir}`, () => admin.overview());
      const used = overview.satellites.reduce((sum, s) => sum + s.usedBytes, 0);
      const exitState = (s: (typeof overview.satellites)[number]): string => (s.exit === null ? 'serving' : s.exit.state === 'exiting' ? `exiting (${formatPercent(s.exit.percent)})` : `${s.exit.kind} exit ${s.exit.state}`);
      if (options.json) {
        io.out(
          JSON.stringify({
            nodeId: NodeId.fromPublicKey(overview.nodeId).toString(),
            allocatedBytes: overview.allocatedBytes,
            usedBytes: used,
            bandwidth: { ...overview.bandwidth, renewsAt: new Date(overview.bandwidth.renewsAt).toISOString() },
            satellites: overview.satellites.map((s) => ({ id: NodeId.fromPublicKey(s.id).toString(), address: s.address, usedBytes: s.usedBytes, trustedSince: new Date(s.trustedSince).toISOString(), state: exitState(s) })),
          }),
        );
        return 0;
      }
      const b = overview.bandwidth;
      io.out(`storage node ${NodeId.fromPublicKey(overview.nodeId)}`);
      io.out(`space      ${formatBytes(used)} used of ${formatBytes(overview.allocatedBytes)} offered`);
      io.out(`bandwidth  ${formatBytes(b.usedBytes)} used this month${b.allocationBytes === null ? ' (no limit)' : ` of ${formatBytes(b.allocationBytes)}`}; renews ${formatTime(b.renewsAt)}`);
      io.out('');
      for (const line of table([['satellite', 'address', 'used', 'since', 'state'], ...overview.satellites.map((s) => [NodeId.fromPublicKey(s.id).toString(), s.address, formatBytes(s.usedBytes), formatTime(s.trustedSince), exitState(s)])])) io.out(line);
      return 0;
    } finally {
      await admin.close();
    }
  },
});
