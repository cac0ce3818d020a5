/** `handoff node run`: a storage node in this process until Ctrl-C. */
import { join } from 'node:path';
import { adminAddressFile } from '../../admin/address-file.js';
import { NodeDatabase } from '../../node/db/database.js';
import { serveNodeConsole, startNodeAdmin } from '../../node/admin/index.js';
import { ExitProgressFeed } from '../../node/admin/progress-feed.js';
import { StorageNode } from '../../node/storage-node.js';
import { FsPieceStore } from '../../piecestore/fs-store.js';
import { tcpTransport } from '../../transport/tcp.js';
import { parseSatelliteRef, parseSize, required, UsageError } from '../args.js';
import { defineCommand } from '../command.js';
import { loadOrCreate, withDataDirectory } from '../servers.js';

interface Options {
  dir?: string;
  satellite: string[];
  address: string;
  capacity: string;
  wallet: string;
  bandwidth?: string;
  shutdownAfterExits: boolean;
  console?: string;
}

/** Collects a repeatable option; a comma-separated value (from the environment) counts as several. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((v) => v.trim()).filter((v) => v !== '')];
}

export const nodeRun = defineCommand<Options>({
  path: ['node', 'run'],
  summary: 'run a storage node until Ctrl-C',
  define: (cmd) =>
    cmd
      .usage('--dir <dir> --satellite <id>@<host:port> [options]')
      .option('--dir <dir>', 'its data directory: identity.pem (created when missing), node.db, pieces/, and identity.admin.json while it runs (required)')
      .option('--satellite <id@host:port>', 'a satellite to serve, as satellite run prints it (repeat it for several; required)', collect, [])
      .option('--address <host:port>', 'where it listens', '127.0.0.1:0')
      .option('--capacity <size>', 'space offered, with its unit (10GB, 512GiB)', '10GiB')
      .option('--wallet <addr>', 'payout address reported to satellites', '')
      .option('--bandwidth <size>', 'bandwidth allowed per calendar month, ingress and egress (default: unlimited)')
      .option('--shutdown-after-exits', 'stop by itself (status 0) once it has exited every satellite', false)
      .option('--console <host:port>', "also serve the web console's exit page (static files; it talks to the admin endpoint over WebSocket, signed in with identity.pem)"),
  async run({ options }, { io, stop, log }) {
    const dir = required(options.dir, 'dir');
    const satellites = options.satellite.map(parseSatelliteRef);
    if (satellites.length === 0) throw new UsageError('--satellite <id>@<host:port> is required (repeat it for several)');
    const capacity = parseSize(options.capacity, 'capacity');
    const bandwidthAllocation = options.bandwidth === undefined ? undefined : parseSize(options.bandwidth, 'bandwidth');
    const out = io.out;
    const stopRequest = stop();
    try {
      // Locked before anything else: a second node on this directory must not check in as this one.
      await withDataDirectory(dir, 'handoff node run', async (closers) => {
        const identityPath = join(dir, 'identity.pem');
        const identity = await loadOrCreate(identityPath, out);
        const progress = new ExitProgressFeed();
        const db = await NodeDatabase.open({ path: join(dir, 'node.db') });
        closers.push(() => db.close());
        const node = await StorageNode.start({
          transport: tcpTransport(),
          address: options.address,
          identity,
          satellites,
          storage: await FsPieceStore.open({ root: join(dir, 'pieces') }),
          db,
          wallet: options.wallet,
          capacity,
          ...(bandwidthAllocation === undefined ? {} : { bandwidthAllocation }),
          shutdownAfterExits: options.shutdownAfterExits,
          onExitProgress: progress.publish,
          onError: (err, where) => log.error(`error in ${where}: ${String(err)}`),
        });
        closers.push(() => node.close());
        // Local commands (exit-satellite, exit-status, status) reach it here, as the node itself.
        const admin = await startNodeAdmin({
          node,
          progress,
          addressFile: adminAddressFile(identityPath),
          // The exit page is a browser: it can only dial the admin endpoint as a WebSocket client.
          ...(options.console === undefined ? {} : { transport: tcpTransport({ acceptWebSocket: true }) }),
          onError: (err, method) => log.error(`error in ${method}: ${String(err)}`),
        });
        closers.push(() => admin.close());
        if (options.console !== undefined) {
          const site = await serveNodeConsole({ address: options.console, nodeId: node.id.toString(), adminAddress: admin.address });
          closers.push(() => site.close());
          out(`exit page at ${site.url} (sign in with ${identityPath})`);
        }
        out(`storage node ${node.id} is serving at ${node.address} for ${satellites.length} satellite(s)`);
        const ended = await Promise.race([stopRequest.requested.then(() => 'stop' as const), node.stopped.then((s) => s.reason)]);
        if (ended === 'exited') {
          out('storage node exited every satellite it served: shutting down (--shutdown-after-exits)');
          await admin.idle(5_000); // a watching exit-satellite gets the last status first
        }
      });
    } finally {
      stopRequest.dispose();
    }
    out('storage node stopped');
    return 0;
  },
});
