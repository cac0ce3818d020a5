/**
 * A network for graceful-exit stories whose parties can be killed and restarted with their
 * identity and data: a satellite on a fixed address over a store that outlives it, and nodes
 * whose piece store and database outlive them (files on disk over TCP, objects in memory over
 * the memory transport).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity } from '../../src/crypto/identity.js';
import type { ExitConfig } from '../../src/exit/types.js';
import type { WorkerConfig } from '../../src/exit/worker.js';
import { NodeDatabase } from '../../src/node/db/database.js';
import { StorageNode, type StorageNodeOptions } from '../../src/node/storage-node.js';
import type { Clock } from '../../src/core/clock.js';
import { FsPieceStore } from '../../src/piecestore/fs-store.js';
import { MemoryPieceStore } from '../../src/piecestore/memory-store.js';
import type { PieceStore } from '../../src/piecestore/store.js';
import { Satellite, type SatelliteConfig } from '../../src/satellite/satellite.js';
import { openSatelliteStore, type SatelliteStore } from '../../src/satellite/store.js';
import { TEST_KDF, TEST_REDUNDANCY, TEST_SEGMENT_SIZE } from '../../src/testing/network.js';
import { memoryNetwork, type MemoryNetwork } from '../../src/transport/memory.js';
import { tcpTransport } from '../../src/transport/tcp.js';
import type { Transport } from '../../src/transport/types.js';
import { Uplink } from '../../src/uplink/uplink.js';
import type { RedundancyScheme } from '../../src/metainfo/metabase/types.js';

/** Fast rules for tests: NotReady answers come back within milliseconds. */
export const FAST_EXIT: Partial<ExitConfig> = { notReadyRetryMs: 20, receiveTimeoutFloorMs: 10_000 };
export const FAST_WORKER: Partial<WorkerConfig> = { minBackoffMs: 20, maxBackoffMs: 200 };

export interface ExitNodeHandle {
  readonly index: number;
  readonly identity: Identity;
  readonly pieces: PieceStore;
  db: NodeDatabase;
  node: StorageNode | undefined;
}

export interface ExitNetworkOptions {
  readonly transport: 'memory' | 'tcp';
  readonly nodes?: number;
  readonly redundancy?: RedundancyScheme;
  readonly exit?: Partial<ExitConfig>;
  readonly worker?: Partial<WorkerConfig>;
  /** Wraps node `index`'s piece store (corrupt reads, forge receipts…). */
  readonly wrapStorage?: (pieces: PieceStore, index: number) => PieceStore;
  readonly satelliteStore?: SatelliteStore;
  /** One clock for the satellite and every node (default: the system's). */
  readonly clock?: Clock;
  /** More satellite settings (chores, repair, contact…); `exit` goes in {@link exit}. */
  readonly satellite?: Partial<Omit<SatelliteConfig, 'exit' | 'metainfo'>>;
  /** More options for node `index` (bandwidth allocation, shutdown after exits…). */
  readonly node?: (index: number) => Partial<Pick<StorageNodeOptions, 'bandwidthAllocation' | 'shutdownAfterExits' | 'capacity'>>;
}

export class ExitNetwork {
  satellite!: Satellite;
  readonly nodes: ExitNodeHandle[] = [];
  readonly errors: Array<{ error: unknown; where: string }> = [];
  readonly #uplinks: Uplink[] = [];
  #apiKey: string | undefined;
  #satelliteAddress = '';
  readonly satelliteIdentity = Identity.generate();
  readonly net: MemoryNetwork | undefined;
  store!: SatelliteStore;
  #dir = '';

  private constructor(readonly options: ExitNetworkOptions) {
    this.net = options.transport === 'memory' ? memoryNetwork() : undefined;
  }

  static async start(options: ExitNetworkOptions): Promise<ExitNetwork> {
    const network = new ExitNetwork(options);
    network.#dir = await mkdtemp(join(tmpdir(), 'handoff-exit-'));
    network.store = options.satelliteStore ?? (await openSatelliteStore({ kind: 'memory' }));
    await network.startSatellite();
    for (let i = 0; i < (options.nodes ?? 8); i++) await network.addNode();
    return network;
  }

  transport(host: string): Transport {
    return this.net ? this.net.transport({ host }) : tcpTransport();
  }

  async startSatellite(): Promise<void> {
    const address = this.#satelliteAddress || (this.net ? 'satellite:7777' : '127.0.0.1:0');
    this.satellite = await Satellite.start({
      transport: this.transport('satellite'),
      address,
      identity: this.satelliteIdentity,
      store: this.store,
      config: { ...this.options.satellite, metainfo: { redundancy: this.options.redundancy ?? TEST_REDUNDANCY }, exit: { ...FAST_EXIT, ...this.options.exit } },
      ...(this.options.clock === undefined ? {} : { clock: this.options.clock }),
      onError: (error, where) => this.errors.push({ error, where }),
    });
    this.#satelliteAddress = this.satellite.address;
  }

  async addNode(): Promise<ExitNodeHandle> {
    const index = this.nodes.length;
    const dir = join(this.#dir, `node-${index}`);
    const raw = this.net ? new MemoryPieceStore() : await FsPieceStore.open({ root: join(dir, 'pieces'), fsync: false });
    const pieces = this.options.wrapStorage ? this.options.wrapStorage(raw, index) : raw;
    const db = await NodeDatabase.open({ path: this.net ? ':memory:' : join(dir, 'node.db') });
    const handle: ExitNodeHandle = { index, identity: Identity.generate(), pieces, db, node: undefined };
    this.nodes.push(handle);
    await this.startNode(index);
    return handle;
  }

  async startNode(index: number): Promise<StorageNode> {
    const handle = this.nodes[index]!;
    handle.node = await StorageNode.start({
      transport: this.transport(`node-${index}`),
      address: this.net ? `node-${index}:0` : '127.0.0.1:0',
      identity: handle.identity,
      satellites: [{ id: this.satellite.id, address: this.#satelliteAddress }],
      storage: handle.pieces,
      db: handle.db,
      wallet: `0x${index.toString(16).padStart(40, '0')}`,
      capacity: 2 ** 40,
      exit: { ...FAST_WORKER, ...this.options.worker },
      ...(this.options.clock === undefined ? {} : { clock: this.options.clock }),
      ...this.options.node?.(index),
      onError: (error, where) => this.errors.push({ error, where }),
    });
    return handle.node;
  }

  /** Stops a node as a crash would leave it: the process is gone, its files stay. */
  async stopNode(index: number): Promise<void> {
    const handle = this.nodes[index]!;
    await handle.node?.close();
    handle.node = undefined;
  }

  /** Stops and starts a node with the same identity, pieces and database (reopened from disk over TCP). */
  async restartNode(index: number): Promise<StorageNode> {
    await this.stopNode(index);
    const handle = this.nodes[index]!;
    if (!this.net) {
      handle.db.close();
      handle.db = await NodeDatabase.open({ path: join(this.#dir, `node-${index}`, 'node.db') });
    }
    return this.startNode(index);
  }

  async restartSatellite(): Promise<void> {
    await this.satellite.close();
    await this.startSatellite();
  }

  async uplink(): Promise<Uplink> {
    this.#apiKey ??= (await this.satellite.createProject('exit')).apiKey;
    const uplink = await Uplink.connect({
      transport: this.transport(`uplink-${this.#uplinks.length}`),
      satelliteAddress: this.#satelliteAddress,
      satelliteId: this.satellite.id,
      apiKey: this.#apiKey,
      passphrase: 'exit test',
      kdf: TEST_KDF,
      segmentSize: TEST_SEGMENT_SIZE,
    });
    this.#uplinks.push(uplink);
    return uplink;
  }

  /** The node holding the most pieces (the one worth exiting). */
  busiest(): ExitNodeHandle {
    return [...this.nodes].sort((a, b) => b.pieces.usedBytes() - a.pieces.usedBytes())[0]!;
  }

  async close(): Promise<void> {
    for (const uplink of this.#uplinks.splice(0)) await uplink.close();
    for (const handle of this.nodes) {
      await handle.node?.close();
      handle.node = undefined;
      handle.db.close();
    }
    await this.satellite.close();
    if (this.options.satelliteStore === undefined) await this.store.close();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
