/**
 * A whole network in one process, for tests — ours and our users': a satellite, N storage nodes
 * and uplinks connected to them, over the memory transport (with fault injection), TCP or
 * WebSocket, with memory, SQLite or PostgreSQL stores.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { WorkerConfig } from '../exit/worker.js';
import type { AuditConfig } from '../durability/audit/types.js';
import type { RepairConfig } from '../durability/repair/types.js';
import type { RetainConfig } from '../durability/gc/retain-service.js';
import type { RedundancyScheme } from '../metainfo/metabase/types.js';
import type { NodeDatabase } from '../node/db/database.js';
import { StorageNode } from '../node/storage-node.js';
import { MemoryPieceStore } from '../piecestore/memory-store.js';
import type { PieceStore } from '../piecestore/store.js';
import { Satellite, type SatelliteConfig } from '../satellite/satellite.js';
import { openSatelliteStore, type SatelliteStore, type SatelliteStoreOptions } from '../satellite/store.js';
import { memoryNetwork, type MemoryNetwork } from '../transport/memory.js';
import { tcpTransport } from '../transport/tcp.js';
import type { Transport } from '../transport/types.js';
import { webSocketTransport } from '../transport/websocket.js';
import { Uplink } from '../uplink/uplink.js';
import type { UplinkOptions } from '../uplink/options.js';

/** 2 of 5, repair below 3, success at 4, 256-byte shares: small and quick, and a node can fail. */
export const TEST_REDUNDANCY: RedundancyScheme = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 4, total: 5 };
/** Small segments, so a test object of a few hundred KiB has several. */
export const TEST_SEGMENT_SIZE = 64 * 1024;
/** Argon2id at a token cost: tests derive many keys. Never use it for real data. */
export const TEST_KDF = Object.freeze({ memoryKiB: 64, iterations: 1, parallelism: 1 });

/** What {@link createTestNetwork} starts: how many nodes, which transport and storage, and settings. */
export interface TestNetworkOptions {
  /** Storage nodes to start (default 5; at least `redundancy.success` for uploads to work). */
  readonly nodes?: number;
  /**
   * How the parties talk (default memory). `tcp+websocket`: TCP, with every listener also taking
   * WebSocket clients on its port, as a browser uplink needs (it dials `ws://<address>/handoff`).
   */
  readonly transport?: 'memory' | 'tcp' | 'tcp+websocket' | 'websocket';
  /** memory: everything in memory; sqlite: SQLite + piece files in `dir`; postgres: the satellite in a fresh database, nodes as for sqlite. */
  readonly storage?: 'memory' | 'sqlite' | 'postgres';
  /** Where files go (default: a temporary directory, removed by `close`). */
  readonly dir?: string;
  /** The satellite's scheme (default {@link TEST_REDUNDANCY}). */
  readonly redundancy?: RedundancyScheme;
  /** Segment size of the uplinks made by `uplink()` (default {@link TEST_SEGMENT_SIZE}). */
  readonly segmentSize?: number;
  /** A PostgreSQL server URL for `storage: 'postgres'` (default `HANDOFF_PG_URL`); a database of its own is created and dropped. */
  readonly connectionString?: string;
  /** More satellite configuration. */
  readonly satellite?: Partial<SatelliteConfig>;
  /** Wraps each node's piece store (e.g. to corrupt reads); `index` counts nodes from 0. */
  readonly wrapStorage?: (storage: PieceStore, index: number) => PieceStore;
  /**
   * The clock of the satellite, the nodes and the uplinks (default the system clock; an uplink
   * may be given its own). A `ManualClock` makes chores, expirations and download hedging move
   * only when the test advances it; give it a start near `Date.now()` and derive `expires` from
   * it.
   */
  readonly clock?: Clock;
  /** The nodes' graceful-exit workers (e.g. `{ minBackoffMs: 10 }` so a test's exit never waits long). */
  readonly nodeExit?: Partial<WorkerConfig>;
  /**
   * The satellite's repair (on in every test network, with the satellite's defaults). A test that
   * drives it itself with `satellite.repair.checkOnce()` / `repairOnce()` may push the chores'
   * intervals out of its way.
   */
  readonly repair?: Partial<RepairConfig>;
  /** The satellite's audits (on in every test network; `satellite.audit.runOnce()` runs a round now). */
  readonly audit?: Partial<AuditConfig>;
  /** The nodes' garbage collection (e.g. `{ timeSkewMs: 0 }` so a test's garbage is collectable at once). */
  readonly nodeGc?: Partial<RetainConfig>;
}

/** A running test network: its satellite and nodes, uplinks on demand, and `close()`. */
export interface TestNetwork {
  readonly satellite: Satellite;
  readonly nodes: StorageNode[];
  /** The memory network (memory transport only): `net.faults.kill(node.address)`, `net.traffic(address)`. */
  readonly net: MemoryNetwork | undefined;
  /** The project's API key (one project, made on first use). */
  apiKey(): Promise<string>;
  /** An uplink for the network's project: test passphrase and KDF, small segments, unless overridden. */
  uplink(options?: Partial<UplinkOptions>): Promise<Uplink>;
  /** Starts one more storage node. */
  addNode(options?: { wrapStorage?: (storage: PieceStore, index: number) => PieceStore }): Promise<StorageNode>;
  /** Stops everything, in order, and removes what it created (temporary directory, database). */
  close(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const network = await createTestNetwork({ nodes: 5 });
 * const uplink = await network.uplink();
 * await uplink.createBucket('photos');
 * await uplink.upload('photos', 'a.txt', new TextEncoder().encode('hello'));
 * network.net!.faults.kill(network.nodes[0]!.address); // a node dies
 * await network.close();
 * ```
 */
export async function createTestNetwork(options: TestNetworkOptions = {}): Promise<TestNetwork> {
  const kind = options.transport ?? 'memory';
  const storage = options.storage ?? 'memory';
  const net = kind === 'memory' ? memoryNetwork() : undefined;
  const transportFor = (host: string): Transport =>
    net ? net.transport({ host }) : kind === 'websocket' ? webSocketTransport() : tcpTransport({ acceptWebSocket: kind === 'tcp+websocket' });
  const addressFor = (host: string): string => (net ? `${host}:0` : '127.0.0.1:0');
  const cleanups: Array<() => Promise<void> | void> = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };

  try {
    let dir: string | undefined;
    if (storage !== 'memory') {
      dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'handoff-net-')));
      if (options.dir === undefined) cleanups.push(() => rm(dir!, { recursive: true, force: true }));
      await mkdir(dir, { recursive: true });
    }
    const store = await openStore(storage, dir, options.connectionString, cleanups);
    cleanups.push(() => store.close());
    const satellite = await Satellite.start({
      transport: transportFor('satellite'),
      address: addressFor('satellite'),
      store,
      config: {
        ...options.satellite,
        metainfo: { redundancy: options.redundancy ?? TEST_REDUNDANCY, ...options.satellite?.metainfo },
        repair: { ...options.satellite?.repair, ...options.repair },
        audit: { ...options.satellite?.audit, ...options.audit },
      },
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    cleanups.push(() => satellite.close());

    const nodes: StorageNode[] = [];
    const addNode = async (extra: { wrapStorage?: (storage: PieceStore, index: number) => PieceStore } = {}): Promise<StorageNode> => {
      const index = nodes.length;
      const host = `node-${index}`;
      let pieces: PieceStore;
      let db: NodeDatabase;
      // The native SQLite module and the piece files load when a node starts, not on import, so
      // the rest of handoff/testing (memoryNetwork, ManualClock) costs neither.
      const { NodeDatabase } = await import('../node/db/database.js');
      if (dir === undefined) {
        pieces = new MemoryPieceStore();
        db = await NodeDatabase.open({ path: ':memory:' });
      } else {
        const nodeDir = join(dir, host);
        const { FsPieceStore } = await import('../piecestore/fs-store.js');
        pieces = await FsPieceStore.open({ root: join(nodeDir, 'pieces'), fsync: false });
        db = await NodeDatabase.open({ path: join(nodeDir, 'node.db') });
      }
      const wrap = extra.wrapStorage ?? options.wrapStorage;
      const node = await StorageNode.start({
        transport: transportFor(host),
        address: addressFor(host),
        satellites: [{ id: satellite.id, address: satellite.address }],
        storage: wrap ? wrap(pieces, index) : pieces,
        db,
        wallet: `0x${index.toString(16).padStart(40, '0')}`,
        capacity: 2 ** 40,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(options.nodeExit === undefined ? {} : { exit: options.nodeExit }),
        ...(options.nodeGc === undefined ? {} : { gc: options.nodeGc }),
      }).catch((err: unknown) => {
        db.close();
        throw err;
      });
      cleanups.push(async () => {
        await node.close();
        db.close();
      });
      nodes.push(node);
      return node;
    };
    for (let i = 0; i < (options.nodes ?? 5); i++) await addNode();

    let project: Promise<string> | undefined;
    const apiKey = (): Promise<string> => (project ??= satellite.createProject('test').then((p) => p.apiKey));
    let uplinks = 0;
    const uplink = async (overrides: Partial<UplinkOptions> = {}): Promise<Uplink> => {
      const host = `uplink-${uplinks++}`;
      const base = {
        transport: transportFor(host),
        satelliteAddress: satellite.address,
        satelliteId: satellite.id,
        apiKey: await apiKey(),
        kdf: TEST_KDF,
        segmentSize: options.segmentSize ?? TEST_SEGMENT_SIZE,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      };
      const secret = overrides.rootKey !== undefined ? { rootKey: overrides.rootKey } : { passphrase: overrides.passphrase ?? 'test passphrase' };
      const client = await Uplink.connect({ ...base, ...overrides, ...secret } as UplinkOptions);
      cleanups.push(() => client.close());
      return client;
    };

    return { satellite, nodes, net, apiKey, uplink, addNode, close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function openStore(storage: 'memory' | 'sqlite' | 'postgres', dir: string | undefined, connectionString: string | undefined, cleanups: Array<() => Promise<void> | void>): Promise<SatelliteStore> {
  let options: SatelliteStoreOptions;
  if (storage === 'memory') options = { kind: 'memory' };
  else if (storage === 'sqlite') options = { kind: 'sqlite', dir: join(dir!, 'satellite') };
  else {
    const server = connectionString ?? process.env.HANDOFF_PG_URL;
    if (!server) throw new InvalidArgumentError('storage "postgres" needs "connectionString" or HANDOFF_PG_URL');
    // pg loads only for a PostgreSQL network.
    const { createScratchDatabase } = await import('../sql/postgres.js');
    const database = await createScratchDatabase(server, 'handoff_net');
    cleanups.push(database.drop);
    options = { kind: 'postgres', connectionString: database.url, maxConnections: 4 };
  }
  return openSatelliteStore(options);
}
