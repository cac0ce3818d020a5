/** `handoff identity`, `handoff satellite run`, `handoff node run`: the long-running parties. */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Identity } from '../crypto/identity.js';
import { NodeDatabase } from '../node/db/database.js';
import { StorageNode } from '../node/storage-node.js';
import { FsPieceStore } from '../piecestore/fs-store.js';
import { Satellite } from '../satellite/satellite.js';
import { openSatelliteStore, type SatelliteStoreOptions } from '../satellite/store.js';
import { tcpTransport } from '../transport/tcp.js';
import { parseSatelliteRef, parseSize, required, untilStopped, UsageError } from './args.js';

type Out = (line: string) => void;

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

export async function satelliteCommand(argv: string[], out: Out, stop = untilStopped()): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      address: { type: 'string', default: '127.0.0.1:7777' },
      identity: { type: 'string', default: 'satellite-identity.pem' },
      store: { type: 'string', default: 'sqlite:satellite-data' },
      project: { type: 'string' },
    },
  });
  if (positionals[0] !== 'run') throw new UsageError('usage: handoff satellite run [--address host:port] [--identity file] [--store memory|sqlite:<dir>|postgres://…] [--project name]');
  const identity = await loadOrCreate(values.identity, out);
  const store = await openSatelliteStore(storeOption(values.store));
  const satellite = await Satellite.start({ transport: tcpTransport(), address: values.address, identity, store, onError: (err, where) => out(`error in ${where}: ${String(err)}`) });
  out(`satellite ${satellite.id}@${satellite.address} is running (store: ${values.store})`);
  if (values.project) {
    const { apiKey } = await satellite.createProject(values.project);
    out(`project ${JSON.stringify(values.project)} created; its API key: ${apiKey}`);
  }
  await stop;
  await satellite.close();
  await store.close();
  out('satellite stopped');
}

export async function nodeCommand(argv: string[], out: Out, stop = untilStopped()): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      address: { type: 'string', default: '127.0.0.1:0' },
      dir: { type: 'string' },
      satellite: { type: 'string', multiple: true },
      capacity: { type: 'string', default: '10GiB' },
      wallet: { type: 'string', default: '' },
    },
  });
  if (positionals[0] !== 'run') throw new UsageError('usage: handoff node run --dir <dir> --satellite <id>@<host:port> [--address host:port] [--capacity 10GiB] [--wallet addr]');
  const dir = required(values.dir, 'dir');
  mkdirSync(dir, { recursive: true });
  const satellites = (values.satellite ?? []).map(parseSatelliteRef);
  if (satellites.length === 0) throw new UsageError('--satellite <id>@<host:port> is required (repeat it for several)');
  const identity = await loadOrCreate(join(dir, 'identity.pem'), out);
  const db = await NodeDatabase.open({ path: join(dir, 'node.db') });
  const node = await StorageNode.start({
    transport: tcpTransport(),
    address: values.address,
    identity,
    satellites,
    storage: await FsPieceStore.open({ root: join(dir, 'pieces') }),
    db,
    wallet: values.wallet,
    capacity: parseSize(values.capacity),
    onError: (err, where) => out(`error in ${where}: ${String(err)}`),
  });
  out(`storage node ${node.id} is serving at ${node.address} for ${satellites.length} satellite(s)`);
  await stop;
  await node.close();
  db.close();
  out('storage node stopped');
}
