/** `handoff identity`, `handoff satellite run`, `handoff node run`: the long-running parties. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Identity } from '../crypto/identity.js';
import { NodeDatabase } from '../node/db/database.js';
import { StorageNode } from '../node/storage-node.js';
import { FsPieceStore } from '../piecestore/fs-store.js';
import { Satellite } from '../satellite/satellite.js';
import { openSatelliteStore, type SatelliteStoreOptions } from '../satellite/store.js';
import { tcpTransport } from '../transport/tcp.js';
import { adminAddressFile } from '../admin/address-file.js';
import { ExitProgressFeed } from '../node/admin/progress-feed.js';
import { startNodeAdmin } from '../node/admin/index.js';
import { startSatelliteAdmin } from '../satellite/admin/index.js';
import { EXIT_POLICIES, type ExitPolicy } from '../exit/types.js';
import { parseDuration, parseFraction, parseRedundancy, parseSatelliteRef, parseSize, required, UsageError } from './args.js';
import { lockDataDirectory, makeDirectory } from './data-dir.js';

type Out = (line: string) => void;

/** Runs `body`; the `closers` it registers run in reverse order when it ends, however it ends. */
async function withClosers(body: (closers: Array<() => unknown>) => Promise<void>): Promise<void> {
  const closers: Array<() => unknown> = [];
  try {
    await body(closers);
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

/**
 * Runs `body` {@link withClosers} with `dir` created and locked for this process; the lock goes
 * last (or with the process).
 */
async function withDataDirectory(dir: string, command: string, body: (closers: Array<() => unknown>) => Promise<void>): Promise<void> {
  makeDirectory(dir);
  const lock = lockDataDirectory(dir, command);
  const release = (): void => lock.release();
  process.once('exit', release); // a process that exits without closing (a second Ctrl-C) leaves no lock
  try {
    await withClosers(body);
  } finally {
    process.off('exit', release);
    release();
  }
}

/** Loads the identity at `path`, creating it (and saying so) when it does not exist yet. */
async function loadOrCreate(path: string, out: Out): Promise<Identity> {
  if (existsSync(path)) return Identity.load(path);
  const identity = Identity.generate();
  await identity.save(path);
  out(`created identity ${identity.id} in ${path} (back this file up: it is who you are on the network)`);
  return identity;
}

export async function identityCommand(argv: string[], out: Out): Promise<void> {
  const [action, path] = argv;
  if (action === 'new' && path) {
    const identity = Identity.generate();
    await identity.save(path);
    out(identity.id.toString());
  } else if (action === 'show' && path) {
    out((await Identity.load(path)).id.toString());
  } else {
    throw new UsageError('usage: handoff identity new <file> | handoff identity show <file>');
  }
}

function storeOption(spec: string): SatelliteStoreOptions {
  if (spec === 'memory') return { kind: 'memory' };
  if (spec.startsWith('sqlite:')) return { kind: 'sqlite', dir: spec.slice('sqlite:'.length) };
  if (spec.startsWith('postgres://') || spec.startsWith('postgresql://')) return { kind: 'postgres', connectionString: spec };
  throw new UsageError(`--store is memory, sqlite:<dir> or a postgres:// URL, got ${JSON.stringify(spec)}`);
}

function exitPolicy(text: string): ExitPolicy {
  if (!(EXIT_POLICIES as readonly string[]).includes(text)) throw new UsageError(`--exit-policy is ${EXIT_POLICIES.join(' or ')}, got ${JSON.stringify(text)}`);
  return text as ExitPolicy;
}

/** `handoff satellite run`: runs until `stop` resolves (the first Ctrl-C or SIGTERM), then closes everything. */
export async function satelliteCommand(argv: string[], out: Out, stop: Promise<unknown>): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      address: { type: 'string', default: '127.0.0.1:7777' },
      identity: { type: 'string', default: 'satellite-identity.pem' },
      store: { type: 'string', default: 'sqlite:satellite-data' },
      project: { type: 'string' },
      redundancy: { type: 'string' },
      'exit-not-ready-retry': { type: 'string' },
      'exit-policy': { type: 'string' },
      'exit-period': { type: 'string' },
      'exit-min-online': { type: 'string' },
    },
  });
  if (positionals[0] !== 'run') throw new UsageError('usage: handoff satellite run [--address host:port] [--identity file] [--store memory|sqlite:<dir>|postgres://…] [--project name]');
  const storeOptions = storeOption(values.store);
  const redundancy = values.redundancy === undefined ? undefined : parseRedundancy(values.redundancy);
  const exit = {
    ...(values['exit-not-ready-retry'] === undefined ? {} : { notReadyRetryMs: parseDuration(values['exit-not-ready-retry']) }),
    ...(values['exit-policy'] === undefined ? {} : { policy: exitPolicy(values['exit-policy']) }),
    ...(values['exit-period'] === undefined ? {} : { timeBasedPeriodMs: parseDuration(values['exit-period']) }),
    ...(values['exit-min-online'] === undefined ? {} : { timeBasedMinOnlineScore: parseFraction(values['exit-min-online'], 'exit-min-online') }),
  };
  const run = async (closers: Array<() => unknown>): Promise<void> => {
    const identity = await loadOrCreate(values.identity, out);
    const store = await openSatelliteStore(storeOptions);
    closers.push(() => store.close());
    const config = {
      ...(redundancy === undefined ? {} : { metainfo: { redundancy } }),
      ...(Object.keys(exit).length === 0 ? {} : { exit }),
    };
    const satellite = await Satellite.start({ transport: tcpTransport(), address: values.address, identity, store, config, onError: (err, where) => out(`error in ${where}: ${String(err)}`) });
    closers.push(() => satellite.close());
    // Local commands (satellite exits, report) reach it here, as the satellite itself.
    const admin = await startSatelliteAdmin({ satellite, addressFile: adminAddressFile(values.identity), onError: (err, method) => out(`error in ${method}: ${String(err)}`) });
    closers.push(() => admin.close());
    out(`satellite ${satellite.id}@${satellite.address} is running (store: ${values.store})`);
    if (values.project) {
      const { apiKey } = await satellite.createProject(values.project);
      out(`project ${JSON.stringify(values.project)} created; its API key: ${apiKey}`);
    }
    await stop;
  };
  // A SQLite store is a data directory of its own: one satellite at a time.
  if (storeOptions.kind === 'sqlite') await withDataDirectory(storeOptions.dir, 'handoff satellite run', run);
  else await withClosers(run);
  out('satellite stopped');
}

/** `handoff node run`: runs until `stop` resolves (the first Ctrl-C or SIGTERM), then closes everything. */
export async function nodeCommand(argv: string[], out: Out, stop: Promise<unknown>): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      address: { type: 'string', default: '127.0.0.1:0' },
      dir: { type: 'string' },
      satellite: { type: 'string', multiple: true },
      capacity: { type: 'string', default: '10GiB' },
      wallet: { type: 'string', default: '' },
      bandwidth: { type: 'string' },
      'shutdown-after-exits': { type: 'boolean', default: false },
    },
  });
  if (positionals[0] !== 'run') throw new UsageError('usage: handoff node run --dir <dir> --satellite <id>@<host:port> [--address host:port] [--capacity 10GiB] [--wallet addr]');
  const bandwidthAllocation = values.bandwidth === undefined ? undefined : parseSize(values.bandwidth);
  const dir = required(values.dir, 'dir');
  const satellites = (values.satellite ?? []).map(parseSatelliteRef);
  if (satellites.length === 0) throw new UsageError('--satellite <id>@<host:port> is required (repeat it for several)');
  const capacity = parseSize(values.capacity);
  // Locked before anything else: a second node on this directory must not check in as this one.
  await withDataDirectory(dir, 'handoff node run', async (closers) => {
    const identityPath = join(dir, 'identity.pem');
    const identity = await loadOrCreate(identityPath, out);
    const progress = new ExitProgressFeed();
    const db = await NodeDatabase.open({ path: join(dir, 'node.db') });
    closers.push(() => db.close());
    const node = await StorageNode.start({
      transport: tcpTransport(),
      address: values.address,
      identity,
      satellites,
      storage: await FsPieceStore.open({ root: join(dir, 'pieces') }),
      db,
      wallet: values.wallet,
      capacity,
      ...(bandwidthAllocation === undefined ? {} : { bandwidthAllocation }),
      shutdownAfterExits: values['shutdown-after-exits'],
      onExitProgress: progress.publish,
      onError: (err, where) => out(`error in ${where}: ${String(err)}`),
    });
    closers.push(() => node.close());
    // Local commands (exit-satellite, exit-status) reach it here, as the node itself.
    const admin = await startNodeAdmin({ node, progress, addressFile: adminAddressFile(identityPath), onError: (err, method) => out(`error in ${method}: ${String(err)}`) });
    closers.push(() => admin.close());
    out(`storage node ${node.id} is serving at ${node.address} for ${satellites.length} satellite(s)`);
    const ended = await Promise.race([stop.then(() => 'stop' as const), node.stopped.then((s) => s.reason)]);
    if (ended === 'exited') {
      out('storage node exited every satellite it served: shutting down (--shutdown-after-exits)');
      await admin.idle(5_000); // a watching exit-satellite gets the last status first
    }
  });
  out('storage node stopped');
}
