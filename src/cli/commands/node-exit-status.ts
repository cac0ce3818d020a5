/** `handoff node exit-status`: where each graceful exit of a running node stands. */
import { required } from '../args.js';
import { defineCommand } from '../command.js';
import { formatTime } from '../format.js';
import { disqualifiedLine, exitStatusJson, exitStatusLines, satelliteName } from './exit-view.js';
import { adminCall, reachNode } from './reach.js';

export const nodeExitStatus = defineCommand<{ dir?: string; json: boolean }>({
  path: ['node', 'exit-status'],
  summary: 'where each graceful exit of a running node stands (percent, transfers, result, receipt)',
  define: (cmd) =>
    cmd
      .usage('--dir <dir> [--json]')
      .option('--dir <dir>', "the node's data directory (as given to handoff node run; required)")
      .option('--json', 'one JSON document: { nodeId, exits: [...], history: [...] }, times in ISO 8601, the receipt in base64 (receipt) and hex (receiptHex)', false),
  details: `Asks the node running on <dir> (its admin endpoint) about every exit it started; history
holds exits archived by a later exit or a rejoin.

Exit status: 0; 1 when a satellite disqualified the node (a failed exit), with the reason on
stderr.`,
  async run({ options: values }, { io }) {
    const dir = required(values.dir, 'dir');
    const { admin, identity } = await reachNode(dir);
    try {
      const { exits, history } = await adminCall(`the storage node in ${dir}`, () => admin.exitReport());
      const nodeId = identity.id.bytes;
      if (values.json) {
        io.out(JSON.stringify({ nodeId: identity.id.toString(), exits: exits.map((e) => exitStatusJson(e, nodeId)), history: history.map((e) => exitStatusJson(e, nodeId)) }, null, 2));
      } else if (exits.length === 0 && history.length === 0) {
        io.out(`storage node ${identity.id}: no graceful exit started (handoff node exit-satellite --dir ${dir} starts one)`);
      } else {
        io.out(`storage node ${identity.id}`);
        for (const exit of exits) io.out(['', ...exitStatusLines(exit, nodeId)].join('\n'));
        if (history.length > 0) {
          io.out('\nearlier exits (archived by a later exit or a rejoin):');
          for (const exit of history) io.out(`  satellite ${satelliteName(exit)}: ${exit.kind}, ${exit.state}${exit.failureReason ? ` (${exit.failureReason})` : ''}, ${formatTime(exit.startedAt)} to ${formatTime(exit.finishedAt)}, archived ${formatTime(exit.archivedAt)}`);
        }
      }
      const failed = exits.filter((e) => e.state === 'failed');
      for (const exit of failed) io.err(`handoff: ${disqualifiedLine(exit)}`);
      return failed.length > 0 ? 1 : 0;
    } finally {
      await admin.close();
    }
  },
});
