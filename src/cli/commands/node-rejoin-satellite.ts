/** `handoff node rejoin-satellite`: come back to a satellite the node left gracefully. */
import { NodeId } from '../../crypto/node-id.js';
import { required } from '../args.js';
import { defineCommand } from '../command.js';
import { ask, matchSatellite } from './prompt.js';
import { adminCall, CommandError, reachNode } from './reach.js';

const CONSEQUENCES = `Rejoining a satellite this node left with a completed graceful exit:
  - the satellite selects this node for new data again; it keeps its node id and reputation, with
    no new vetting;
  - the escrow (held amount) period starts over from today;
  - a node whose exit failed was disqualified: it cannot rejoin.`;

export const nodeRejoinSatellite = defineCommand<{ dir?: string; satellite?: string; yes: boolean; json: boolean }>({
  path: ['node', 'rejoin-satellite'],
  summary: 'come back to a satellite this node exited gracefully (same id and reputation; escrow starts over)',
  define: (cmd) =>
    cmd
      .usage('--dir <dir> --satellite <id>|<host:port> [options]')
      .option('--dir <dir>', "the node's data directory (as given to handoff node run; required)")
      .option('--satellite <id|addr>', 'the satellite to rejoin (required)')
      .option('--yes', 'do not ask (for scripts); without it a command whose standard input is not a terminal refuses', false)
      .option('--json', 'print { satelliteId, rejoinedAt } when done', false),
  details: `Asks the satellite to take the node running on <dir> back after a completed graceful exit,
once you have typed the satellite's id or address again.`,
  async run({ options: values }, { io }) {
    const dir = required(values.dir, 'dir');
    const named = required(values.satellite, 'satellite');
    if (!values.yes && io.stdin.isTTY !== true) throw new CommandError('refusing to rejoin without confirmation: standard input is not a terminal (add --yes)');
    const { admin } = await reachNode(dir);
    const what = `the storage node in ${dir}`;
    try {
      const satellites = await adminCall(what, () => admin.listSatellites());
      const satellite = matchSatellite(named, satellites);
      if (satellite === undefined) throw new CommandError(`this node does not serve a satellite ${JSON.stringify(named)} (give its id or its host:port)`);
      const name = NodeId.fromPublicKey(satellite.id).toString();
      if (satellite.exit === null || satellite.exit.kind !== 'full' || satellite.exit.state === 'exiting') {
        throw new CommandError(`this node has not exited satellite ${name}${satellite.exit?.state === 'exiting' ? ' yet (its exit is in progress)' : ''}: there is nothing to rejoin`);
      }
      if (!values.yes) {
        io.out(CONSEQUENCES);
        io.out('');
        const answer = await ask(io, `Type the id or address of satellite ${satellite.address} to rejoin it: `);
        const typed = answer === undefined ? undefined : matchSatellite(answer, [satellite]);
        if (typed === undefined) {
          io.err(`handoff: ${answer === undefined ? 'no answer' : `${JSON.stringify(answer.trim())} does not match satellite ${satellite.address}`}: nothing was done`);
          return 1;
        }
      }
      const { rejoinedAt } = await adminCall(what, () => admin.rejoin(satellite.id));
      if (values.json) io.out(JSON.stringify({ satelliteId: name, rejoinedAt: new Date(rejoinedAt).toISOString() }));
      else io.out(`Rejoined satellite ${name} at ${new Date(rejoinedAt).toISOString()}: it selects this node for new data again, and the escrow period starts over.`);
      return 0;
    } finally {
      await admin.close();
    }
  },
});
