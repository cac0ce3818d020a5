/** `handoff satellite run`: a satellite in this process until Ctrl-C. */
import { join } from 'node:path';
import { adminAddressFile } from '../../admin/address-file.js';
import { startSatelliteAdmin } from '../../satellite/admin/index.js';
import { Satellite } from '../../satellite/satellite.js';
import { openSatelliteStore } from '../../satellite/store.js';
import { tcpTransport } from '../../transport/tcp.js';
import { parseDuration, parseFraction, parseRedundancy, UsageError } from '../args.js';
import { defineCommand } from '../command.js';
import { exitPolicy, loadOrCreate, redactStore, storeOption, withClosers, withDataDirectory } from '../servers.js';
import { erasureKernelName } from '../../uplink/erasure/kernel.js';

/** Works with the six nodes of the README's walk-through: 2 needed to read, 6 pieces written, 4 enough to commit. */
export const CLI_DEFAULT_REDUNDANCY = '2/3/4/6';

interface Options {
  dir?: string;
  address: string;
  identity?: string;
  store?: string;
  project?: string;
  redundancy: string;
  exitNotReadyRetry?: string;
  exitPolicy?: string;
  exitPeriod?: string;
  exitMinOnline?: string;
}

/** The satellite's identity file and store as the options give them (see `--dir`). */
export function satellitePlaces(options: { dir?: string | undefined; identity?: string | undefined; store?: string | undefined }): { identity: string; store: string } {
  if (options.dir !== undefined) return { identity: options.identity ?? join(options.dir, 'identity.pem'), store: options.store ?? `sqlite:${options.dir}` };
  if (options.identity !== undefined && options.store !== undefined) return { identity: options.identity, store: options.store };
  throw new UsageError('say where the satellite keeps its identity and data: --dir <dir> (or both --identity <file> and --store <spec>)');
}

export const satelliteRun = defineCommand<Options>({
  path: ['satellite', 'run'],
  summary: 'run a satellite until Ctrl-C',
  define: (cmd) =>
    cmd
      .usage('--dir <dir> [options]')
      .option('--dir <dir>', 'its data directory: identity.pem (created when missing) and its SQLite database')
      .option('--address <host:port>', 'where nodes and uplinks reach it', '127.0.0.1:7777')
      .option('--identity <file>', 'its identity, created when missing (default <dir>/identity.pem); its admin address is written beside it')
      .option('--store <spec>', 'memory, sqlite:<dir> (default sqlite:<dir> of --dir) or a postgres:// URL (PostgreSQL or CockroachDB)')
      .option('--project <name>', 'make sure a project of this name exists; a new one prints its API key')
      .option('--redundancy <k/m/o/n>', 'Reed–Solomon scheme of new segments: required/repair/success/total; needs at least <total> nodes', CLI_DEFAULT_REDUNDANCY)
      .option('--exit-not-ready-retry <duration>', 'how long an exiting node waits while its pieces are gathered (default 30s)')
      .option('--exit-policy <policy>', 'how full exits are judged: transfer (default) or time-based')
      .option('--exit-period <duration>', "a time-based exit's length (default 30d)")
      .option('--exit-min-online <fraction>', "a time-based exit's minimum online score, 0–1 (default 0.8)"),
  details: `A bare "handoff satellite run" does not start: it asks where to keep the identity and the
data, so nothing is written into the current directory by surprise. The usual start is
  handoff satellite run --dir ./satellite --project photos
The address printed as <id>@<host:port> is what node run --satellite and access new --satellite take.`,
  async run({ options }, { io, stop, log }) {
    const redundancy = parseRedundancy(options.redundancy);
    const exit = {
      ...(options.exitNotReadyRetry === undefined ? {} : { notReadyRetryMs: parseDuration(options.exitNotReadyRetry) }),
      ...(options.exitPolicy === undefined ? {} : { policy: exitPolicy(options.exitPolicy) }),
      ...(options.exitPeriod === undefined ? {} : { timeBasedPeriodMs: parseDuration(options.exitPeriod) }),
      ...(options.exitMinOnline === undefined ? {} : { timeBasedMinOnlineScore: parseFraction(options.exitMinOnline, 'exit-min-online') }),
    };
    const places = satellitePlaces(options);
    const storeOptions = storeOption(places.store);
    const stopRequest = stop();
    const out = io.out;
    const run = async (closers: Array<() => unknown>): Promise<void> => {
      const identity = await loadOrCreate(places.identity, out);
      const store = await openSatelliteStore(storeOptions);
      closers.push(() => store.close());
      const config = { metainfo: { redundancy }, ...(Object.keys(exit).length === 0 ? {} : { exit }) };
      const satellite = await Satellite.start({ transport: tcpTransport(), address: options.address, identity, store, config, onError: (err, where) => log.error(`error in ${where}: ${String(err)}`) });
      closers.push(() => satellite.close());
      // Local commands (satellite exits, projects, nodes) reach it here, as the satellite itself.
      const admin = await startSatelliteAdmin({ satellite, addressFile: adminAddressFile(places.identity), onError: (err, method) => log.error(`error in ${method}: ${String(err)}`) });
      closers.push(() => admin.close());
      log.debug(`admin endpoint at ${admin.address} (recorded in ${adminAddressFile(places.identity)})`);
      out(`satellite ${satellite.id}@${satellite.address} is running (store: ${redactStore(places.store)}; redundancy ${options.redundancy}, so at least ${redundancy.total} nodes; erasure kernel ${erasureKernelName()})`);
      if (options.project !== undefined) {
        const existing = (await store.projects.listProjects()).find((p) => p.name === options.project);
        if (existing !== undefined) {
          out(`project ${JSON.stringify(options.project)} exists (its API keys are shown only when made: handoff satellite keys create ${options.project})`);
        } else {
          const { apiKey } = await satellite.createProject(options.project);
          out(`project ${JSON.stringify(options.project)} created; its API key: ${apiKey}`);
        }
      }
      await stopRequest.requested;
    };
    try {
      // A SQLite store is a data directory of its own: one satellite at a time.
      if (storeOptions.kind === 'sqlite') await withDataDirectory(storeOptions.dir, 'handoff satellite run', run);
      else await withClosers(run);
    } finally {
      stopRequest.dispose();
    }
    out('satellite stopped');
    return 0;
  },
});
