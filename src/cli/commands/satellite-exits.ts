/** `handoff satellite exits`: the nodes exiting a running satellite now. */
import { join } from 'node:path';
import { NodeId } from '../../crypto/node-id.js';
import { defineCommand, type Commander } from '../command.js';
import { formatBytes, formatDuration, formatPercent, formatTime, isoTime as iso, table } from '../format.js';
import { adminCall, reachSatellite } from './reach.js';

export const SATELLITE_IDENTITY_DEFAULT = 'satellite-identity.pem';

/** `--dir` and `--identity`: how a command finds the running satellite it asks. */
export function satelliteIdentityOptions(cmd: Commander): Commander {
  return cmd
    .option('--dir <dir>', 'the satellite\'s data directory, as given to handoff satellite run --dir')
    .option('--identity <file>', `the satellite's identity, as given to handoff satellite run (default <dir>/identity.pem, else ${SATELLITE_IDENTITY_DEFAULT})`);
}

/** The identity file `--dir`/`--identity` name. */
export function satelliteIdentity(options: { dir?: string | undefined; identity?: string | undefined }): string {
  return options.identity ?? (options.dir === undefined ? SATELLITE_IDENTITY_DEFAULT : join(options.dir, 'identity.pem'));
}

export const satelliteExits = defineCommand<{ dir?: string; identity?: string; json: boolean }>({
  path: ['satellite', 'exits'],
  summary: 'the nodes gracefully exiting a running satellite: progress, queue, failures, age',
  define: (cmd) => satelliteIdentityOptions(cmd).option('--json', 'one JSON document: { exits: [...] }, times in ISO 8601', false),
  details: `Asks the running satellite (its admin endpoint, found beside its identity file) about every
exit in progress, oldest first.`,
  async run({ options: values }, { io }) {
    const admin = await reachSatellite(satelliteIdentity(values));
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
});

/** `full`, `partial (1.20 GiB)`, `full, time-based`: what kind of exit a row is. */
export function exitKind(row: { readonly kind?: 'full' | 'partial'; readonly targetBytes?: number | null; readonly policy?: 'transfer' | 'time-based' }): string {
  const kind = row.kind === 'partial' ? `partial (${formatBytes(row.targetBytes ?? 0)})` : 'full';
  return row.policy === 'time-based' ? `${kind}, time-based` : kind;
}
