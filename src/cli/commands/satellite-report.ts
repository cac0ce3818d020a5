/** `handoff satellite report graceful-exit`: the exits that finished in a window, for escrow payouts. */
import { NodeId } from '../../crypto/node-id.js';
import { exitReportCsv } from '../../exit/report.js';
import { parseDate, required, UsageError } from '../args.js';
import { defineCommand } from '../command.js';
import { formatTime, isoTime as iso, table } from '../format.js';
import { adminCall, reachSatellite } from './reach.js';
import { exitKind, satelliteIdentity, satelliteIdentityOptions } from './satellite-exits.js';

const nodeText = (id: Uint8Array): string => NodeId.fromPublicKey(id).toString();

export const satelliteReportGracefulExit = defineCommand<{ from?: string; to?: string; csv: boolean; json: boolean; dir?: string; identity?: string }>({
  path: ['satellite', 'report', 'graceful-exit'],
  summary: 'every node that finished a graceful exit in a window: wallet, dates, GB transferred, result',
  details: `Lists every exit that finished in [--from, --to) on the running satellite: node id, wallet,
joined, exit initiated, exit finished, GB transferred (the bytes really handed over, as the
satellite verified them), kind (full or partial, by transfer or time-based), result (completed, or
failed with its reason). What held amounts are paid from (a completed full exit) or kept for
(failed); a completed partial exit pays nothing, the node stays.`,
  define: (cmd) =>
    satelliteIdentityOptions(
      cmd
        .usage('--from <date> --to <date> [--csv | --json] [options]')
        .option('--from <date>', 'start of the window, included: 2026-11-01 (midnight UTC) or ISO 8601 (required)')
        .option('--to <date>', 'end of the window, excluded (required)')
        .option('--csv', 'CSV with a header row (GB in decimal gigabytes, 9 decimals)', false)
        .option('--json', 'one JSON document: { from, to, rows: [...] }', false),
    ),
  async run({ options: values }, { io }) {
    const from = parseDate(required(values.from, 'from'), 'from');
    const to = parseDate(required(values.to, 'to'), 'to');
    if (to <= from) throw new UsageError('--to must be after --from');
    if (values.csv && values.json) throw new UsageError('--csv and --json exclude each other');
    const admin = await reachSatellite(satelliteIdentity(values));
    try {
      const rows = await adminCall('the satellite', () => admin.exitReport({ from, to }));
      if (values.csv) {
        io.out(exitReportCsv(rows, nodeText).trimEnd());
      } else if (values.json) {
        io.out(
          JSON.stringify(
            {
              from: iso(from),
              to: iso(to),
              rows: rows.map((r) => ({
                nodeId: nodeText(r.nodeId),
                wallet: r.wallet,
                joinedAt: iso(r.joinedAt),
                initiatedAt: iso(r.initiatedAt),
                finishedAt: iso(r.finishedAt),
                bytesTransferred: r.bytesTransferred,
                gbTransferred: r.bytesTransferred / 1e9,
                piecesTransferred: r.piecesTransferred,
                piecesFailed: r.piecesFailed,
                result: r.outcome,
                failureReason: r.failureReason,
                failureDetail: r.failureDetail,
                kind: r.kind ?? 'full',
                policy: r.policy ?? 'transfer',
                escrowStartedAt: iso(r.escrowStartedAt ?? null),
              })),
            },
            null,
            2,
          ),
        );
      } else if (rows.length === 0) {
        io.out(`no graceful exit finished between ${formatTime(from)} and ${formatTime(to)}`);
      } else {
        const lines = rows.map((r) => [
          nodeText(r.nodeId),
          r.wallet || '-',
          formatTime(r.joinedAt),
          formatTime(r.initiatedAt),
          formatTime(r.finishedAt),
          (r.bytesTransferred / 1e9).toFixed(9),
          exitKind(r),
          r.outcome === 'completed' ? 'completed' : `failed: ${r.failureReason ?? ''}${r.failureDetail ? ` (${r.failureDetail})` : ''}`,
        ]);
        for (const line of table([['node', 'wallet', 'joined', 'exit initiated', 'exit finished', 'GB transferred', 'kind', 'result'], ...lines])) io.out(line);
      }
      return 0;
    } finally {
      await admin.close();
    }
  },
});
