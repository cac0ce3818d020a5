/** `handoff satellite exits`: the nodes exiting a running satellite now. */
import { NodeId } from '../../crypto/node-id.js';
import { parseFlags, type Command } from '../command.js';
import { formatBytes, formatDuration, formatPercent, formatTime, isoTime as iso, table } from '../format.js';
import { adminCall, reachSatellite } from './reach.js';

export const SATELLITE_IDENTITY_DEFAULT = 'satellite-identity.pem';

export const satelliteExits: Command = {
  path: ['satellite', 'exits'],
  summary: 'the nodes gracefully exiting a running satellite: progress, queue, failures, age',
  usage: 'handoff satellite exits [--identity <file>] [--json]',
  details: `Asks the running satellite (its admin endpoint, found beside its identity file) about every
exit in progress, oldest first.

  --identity <file>   the satellite's identity, as given to handoff satellite run
                      (default ${SATELLITE_IDENTITY_DEFAULT})
  --json              one JSON document: { exits: [...] }, times in ISO 8601`,
  async run(argv, { io }) {
    const { values } = parseFlags(argv, { identity: { type: 'string', default: SATELLITE_IDENTITY_DEFAULT }, json: { type: 'boolean', default: false } });
    const admin = await reachSatellite(values.identity);
    try {
      const exits = await adminCall('the satellite', () => admin.exits());
      const now = Date.now();
      if (values.json) {
        io.out(JSON.stringify({ exits: exits.map((e) => ({ ...e, nodeId: NodeId.fromPublicKey(e.nodeId).toString(), initiatedAt: iso(e.initiatedAt), gatheredAt: iso(e.gatheredAt), lastActivityAt: iso(e.lastActivityAt), ageMs: now - e.initiatedAt })) }, null, 2));
        return 0;
      }
      if (exits.length === 0) {
        io.out('no node is exiting this satellite');
        return 0;
      }
      const rows = exits.map((e) => [
        NodeId.fromPublicKey(e.nodeId).toString(),
        exitKind(e),
        formatTime(e.initiatedAt),
        formatDuration(now - e.initiatedAt),
        e.policy === 'time-based' ? `${formatPercent(e.percent)} of its period` : e.gatheredAt === null ? 'gathering' : formatPercent(e.percent),
        String(e.queueLength),
        `${e.piecesTransferred} (${formatBytes(e.bytesTransferred)})`,
        String(e.piecesDropped),
        String(e.piecesFailed),
        `${formatDuration(now - e.lastActivityAt)} ago`,
      ]);
      for (const line of table([['node', 'kind', 'initiated', 'age', 'progress', 'queue', 'transferred', 'dropped', 'failed', 'last activity'], ...rows])) io.out(line);
      return 0;
    } finally {
      await admin.close();
    }
  },
};

/** `full`, `partial (1.20 GiB)`, `full, time-based`: what kind of exit a row is. */
export function exitKind(row: { readonly kind?: 'full' | 'partial'; readonly targetBytes?: number | null; readonly policy?: 'transfer' | 'time-based' }): string {
  const kind = row.kind === 'partial' ? `partial (${formatBytes(row.targetBytes ?? 0)})` : 'full';
  return row.policy === 'time-based' ? `${kind}, time-based` : kind;
}
