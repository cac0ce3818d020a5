/**
 * The storage node as one object: the piece store and its RPC service, check-ins with every
 * trusted satellite, settlement of the orders it served, and collection of expired pieces.
 */
import { systemClock, type Clock, type TimerHandle } from '../core/clock.js';
import { toHex } from '../core/bytes.js';
import { NotFoundError, UnavailableError, isHandoffError } from '../core/errors.js';
import { Identity } from '../crypto/identity.js';
import { NodeId } from '../crypto/node-id.js';
import { SettleOrders } from '../orders/settlement.js';
import { CheckIn, type CheckInResponse } from '../overlay/checkin.js';
import { Ping } from '../durability/contact/methods.js';
import { registerPiecestore } from '../piecestore/service.js';
import { RetainService, type RetainConfig } from '../durability/gc/retain-service.js';
import type { PieceStore } from '../piecestore/store.js';
import { RpcClient } from '../rpc/client.js';
import { RpcServer } from '../rpc/server.js';
import type { Listener, Transport } from '../transport/types.js';
import { ExitWorker, wipeSatellite } from '../exit/exit-worker.js';
import { GracefulExitProcess } from '../exit/messages.js';
import type { NodeExitStatus } from '../exit/types.js';
import type { WorkerConfig } from '../exit/worker.js';
import { collectExpiredPieces, type CollectResult } from './collector.js';
import { NodeDatabase } from './db/database.js';

/** A satellite this node serves: its id (a NodeId or its printed form) and address. */
export interface SatelliteEntry {
  id: NodeId | string;
  address: string;
}

export interface StorageNodeOptions {
  transport: Transport;
  /** Where to listen, e.g. `127.0.0.1:0`. */
  address: string;
  identity?: Identity;
  satellites: SatelliteEntry[];
  /** Where pieces live (an `FsPieceStore` in production, `MemoryPieceStore` in tests). */
  storage: PieceStore;
  /** The node's own state (trusted satellites, used serials, orders to settle). */
  db: NodeDatabase;
  /** Payout address, reported at check-in. */
  wallet: string;
  /** Bytes this node offers. */
  capacity: number;
  /** The address satellites and uplinks should dial (default: the listener's). */
  externalAddress?: string;
  clock?: Clock;
  /** Orders are settled this often (default 1 h). */
  settleIntervalMs?: number;
  /** Pieces whose expiration has passed are deleted this often (default 1 h). */
  collectIntervalMs?: number;
  /** Graceful exit workers: transfers at once, backoff after a broken stream. */
  exit?: Partial<WorkerConfig>;
  /** Called as an exit makes progress (pieces transferred, deleted) and when it ends. */
  onExitProgress?: (status: NodeExitStatus) => void;
  /** Garbage collection: its clock-skew margin, the trash's retention and how often it is emptied (docs/durability.md). */
  gc?: Partial<RetainConfig>;
  onError?: (error: unknown, where: string) => void;
}

export const NODE_VERSION = '0.1.0';

/**
 * @example
 * ```ts
 * const node = await StorageNode.start({
 *   transport: tcpTransport(), address: '127.0.0.1:0', satellites: [{ id: satellite.id, address: satellite.address }],
 *   storage: await FsPieceStore.open({ root: dir }), db: await NodeDatabase.open({ path: `${dir}/node.db` }),
 *   wallet: '0xabc', capacity: 10 * 2 ** 30,
 * });
 * const { deleted } = await node.collectExpiredPieces(); // also runs every `collectIntervalMs`
 * ```
 */
export class StorageNode {
  readonly identity: Identity;
  readonly server: RpcServer;
  readonly storage: PieceStore;
  readonly db: NodeDatabase;
  /** Garbage collection: serves `Piecestore.Retain`, runs the passes, keeps the trash. */
  readonly retain: RetainService;
  readonly #options: StorageNodeOptions;
  readonly #listener: Listener;
  readonly #clients = new Map<string, RpcClient>();
  /** Clients for replacement nodes during graceful exit, by address and node id. */
  readonly #peers = new Map<string, RpcClient>();
  /** One exit worker per satellite being exited, by satellite id (hex). */
  readonly #exitWorkers = new Map<string, ExitWorker>();
  readonly #timers = new Set<TimerHandle>();
  readonly #clock: Clock;
  /** Interrupts a collection still running when the node closes. */
  readonly #closing = new AbortController();
  #closed = false;

  private constructor(options: StorageNodeOptions, identity: Identity, server: RpcServer, listener: Listener) {
    this.#options = options;
    this.identity = identity;
    this.server = server;
    this.storage = options.storage;
    this.db = options.db;
    this.#listener = listener;
    this.#clock = options.clock ?? systemClock;
    this.retain = new RetainService({
      pieces: options.storage,
      trusted: (id) => options.db.isTrusted(id),
      // Any exit, in progress or over: that satellite's pieces leave by the exit protocol, never by GC.
      exiting: async (id) => (await options.db.exits.get(id)) !== undefined,
      clock: this.#clock,
      ...(options.gc === undefined ? {} : { config: options.gc }),
      onError: (err, where) => options.onError?.(err, where),
    });
    this.retain.register(server);
  }

  static async start(options: StorageNodeOptions): Promise<StorageNode> {
    const identity = options.identity ?? Identity.generate();
    const clock = options.clock ?? systemClock;
    for (const satellite of options.satellites) {
      const id = typeof satellite.id === 'string' ? NodeId.parse(satellite.id) : satellite.id;
      if (!options.db.isTrusted(id.bytes)) options.db.trustSatellite({ id: id.bytes, address: satellite.address, addedAt: clock.now() });
    }
    const server = new RpcServer({ identity, onError: (err, method) => options.onError?.(err, method) });
    registerPiecestore(server, { identity, pieces: options.storage, db: options.db, trusted: (id) => options.db.isTrusted(id), clock });
    // The satellite's contact check: answering proves the node is up, as itself (the handshake).
    server.unary(Ping, () => ({}));
    const listener = await server.listen(options.transport, options.address);
    const node = new StorageNode(options, identity, server, listener);
    try {
      await node.checkInAll();
      await node.#resumeExits();
    } catch (err) {
      await node.close(); // a failed start leaves nothing listening
      throw err;
    }
    node.#every(options.settleIntervalMs ?? 3600_000, 'settlement', async () => {
      await node.settleOrders();
      options.db.cleanup(clock.now());
    });
    node.#every(options.collectIntervalMs ?? 3600_000, 'expiration collection', () => node.collectExpiredPieces());
    node.#every(node.retain.config.trashIntervalMs, 'trash', () => node.retain.emptyTrash());
    return node;
  }

  get id(): NodeId {
    return this.identity.id;
  }

  get address(): string {
    return this.#options.externalAddress ?? this.#listener.address;
  }

  /** Checks in with every trusted satellite now; a satellite that is down is retried at the next interval. */
  async checkInAll(): Promise<void> {
    await Promise.all(this.db.trustedSatellites().map((s) => this.#checkIn(s.id, s.address)));
  }

  /** Sends every unsettled order to its satellite; returns how many were accepted. */
  async settleOrders(): Promise<number> {
    let accepted = 0;
    for (const satelliteId of this.db.unsettledSatellites()) {
      const satellite = this.db.trustedSatellite(satelliteId);
      if (!satellite) continue;
      for (;;) {
        const batch = this.db.takeUnsettled(satelliteId, 1000);
        if (batch.length === 0) break;
        const { outcomes } = await this.#client(satelliteId, satellite.address).call(SettleOrders, { items: batch.map(({ limit, order }) => ({ limit, order })) }, { timeoutMs: 30_000 });
        // Every outcome is final (accepted, duplicate, expired, invalid, not ours): none is worth resending.
        this.db.markSettled(satelliteId, batch.map((item) => item.order.serialNumber));
        accepted += outcomes.filter((o) => o === 'accepted').length;
        if (batch.length < 1000) break;
      }
    }
    return accepted;
  }

  /**
   * Deletes every piece whose expiration has passed by the node's clock (or at `now`) and forgets
   * its expiration. A piece that fails to delete is reported to `onError` and retried next time.
   */
  async collectExpiredPieces(options: { readonly now?: number } = {}): Promise<CollectResult> {
    return collectExpiredPieces({
      db: this.db,
      storage: this.storage,
      now: options.now ?? this.#clock.now(),
      signal: this.#closing.signal,
      onError: (err) => this.#options.onError?.(err, 'expiration collection'),
    });
  }

  /**
   * Brings back every piece garbage collection trashed for a satellite and the trash still holds
   * (stopping that satellite's pass first); returns how many came back.
   */
  restoreTrash(satelliteId: Uint8Array): Promise<number> {
    return this.retain.restoreTrash(satelliteId);
  }

  /** Deletes for good what was trashed more than the retention period ago (the trash chore does it every `gc.trashIntervalMs`). */
  emptyTrash(): Promise<number> {
    return this.retain.emptyTrash();
  }

  /**
   * Starts a graceful exit from one satellite: the satellite is asked first (it refuses with a
   * typed error naming the rule — too young, disqualified, already exited), then the exit is
   * recorded with the bytes held for the satellite and a worker hands every piece over. It
   * cannot be cancelled. Calling it again for an exit in progress returns its status.
   *
   * @example
   * ```ts
   * const status = await node.exitSatellite(satellite.id.bytes);
   * await node.exitFinished(satellite.id.bytes); // the receipt is stored, the pieces are gone
   * ```
   */
  async exitSatellite(satelliteId: Uint8Array): Promise<NodeExitStatus> {
    const satellite = this.db.trustedSatellite(satelliteId);
    if (satellite === undefined) throw new NotFoundError('this node does not serve that satellite');
    const known = await this.db.exits.get(satelliteId);
    if (known !== undefined) {
      if (known.state === 'exiting') this.#startExitWorker(satelliteId);
      return known;
    }
    // The first Process call initiates the exit; its first answer (NotReady) says it was accepted.
    const stream = await this.#client(satelliteId, satellite.address).stream(GracefulExitProcess, { timeoutMs: 30_000 });
    try {
      const first = await stream.receive();
      if (first === undefined) throw new UnavailableError('the satellite ended the exit stream without an answer');
    } finally {
      stream.cancel();
    }
    const status = await this.db.exits.start(satelliteId, this.storage.usedBytes(satelliteId), this.#clock.now());
    await this.retain.cancel(satelliteId); // the exit hands these pieces over: no more GC from that satellite
    this.#startExitWorker(satelliteId);
    return status;
  }

  /** Every exit this node has started, with its progress and (once finished) its receipt. */
  exitStatuses(): Promise<NodeExitStatus[]> {
    return this.db.exits.list();
  }

  /** Resolves when the exit from `satelliteId` has finished here (or the node closed). */
  async exitFinished(satelliteId: Uint8Array): Promise<NodeExitStatus | undefined> {
    await this.#exitWorkers.get(toHex(satelliteId))?.finished;
    return this.db.exits.get(satelliteId);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort();
    await this.retain.close();
    for (const timer of this.#timers) this.#clock.clearTimeout(timer);
    this.#timers.clear();
    await Promise.all([...this.#exitWorkers.values()].map((w) => w.stop()));
    await this.server.close();
    for (const client of this.#clients.values()) await client.close();
    for (const client of this.#peers.values()) await client.close();
  }

  /** At startup: restart the worker of every exit in progress, and finish any interrupted wipe. */
  async #resumeExits(): Promise<void> {
    for (const status of await this.db.exits.list()) {
      if (status.state === 'exiting') this.#startExitWorker(status.satelliteId);
      else if (!status.wiped) {
        await wipeSatellite(this.db.exits, this.storage, status.satelliteId).catch((err: unknown) => this.#options.onError?.(err, 'exit wipe'));
      }
    }
  }

  #startExitWorker(satelliteId: Uint8Array): void {
    const key = toHex(satelliteId);
    if (this.#closed || this.#exitWorkers.has(key)) return;
    const satellite = this.db.trustedSatellite(satelliteId);
    if (satellite === undefined) return;
    const worker = new ExitWorker({
      satelliteId,
      nodeId: this.identity.publicKey,
      store: this.db.exits,
      pieces: this.storage,
      openStream: () => this.#client(satelliteId, satellite.address).stream(GracefulExitProcess),
      dialNode: (address, nodeId) => this.#peer(address, nodeId),
      clock: this.#clock,
      ...(this.#options.exit === undefined ? {} : { config: this.#options.exit }),
      ...(this.#options.onExitProgress === undefined ? {} : { onProgress: this.#options.onExitProgress }),
      onError: (err, where) => this.#options.onError?.(err, where),
    });
    this.#exitWorkers.set(key, worker);
    worker.start();
  }

  #peer(address: string, nodeId: Uint8Array): RpcClient {
    const key = `${toHex(nodeId)}@${address}`;
    let client = this.#peers.get(key);
    if (!client) {
      client = new RpcClient({ transport: this.#options.transport, address, identity: this.identity, expectedPeer: NodeId.fromPublicKey(nodeId), maxIdleConnections: 2 });
      this.#peers.set(key, client);
    }
    return client;
  }

  async #checkIn(satelliteId: Uint8Array, address: string): Promise<void> {
    let response: CheckInResponse | undefined;
    try {
      response = await this.#client(satelliteId, address).call(
        CheckIn,
        { address: this.address, wallet: this.#options.wallet, freeBytes: Math.max(0, this.#options.capacity - this.storage.usedBytes()), version: NODE_VERSION },
        { timeoutMs: 30_000 },
      );
    } catch (err) {
      // A check-in the node's own close() interrupted is no error.
      if (!this.#closed) this.#options.onError?.(err, 'check-in');
    }
    if (this.#closed) return;
    const next = response ? Math.max(1000, Math.floor(response.checkInIntervalMs * 0.9)) : 60_000;
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(timer);
      void this.#checkIn(satelliteId, address);
    }, next);
    this.#timers.add(timer);
  }

  #every(ms: number, where: string, work: () => Promise<unknown>): void {
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(timer);
      void work()
        .catch((err: unknown) => {
          // Unavailable: the satellite is down, retried next time; Canceled after close: we stopped it.
          if (isHandoffError(err, 'Unavailable') || (this.#closed && isHandoffError(err, 'Canceled'))) return;
          this.#options.onError?.(err, where);
        })
        .finally(() => {
          if (!this.#closed) this.#every(ms, where, work);
        });
    }, ms);
    this.#timers.add(timer);
  }

  #client(satelliteId: Uint8Array, address: string): RpcClient {
    const key = Buffer.from(satelliteId).toString('hex');
    let client = this.#clients.get(key);
    if (!client) {
      client = new RpcClient({ transport: this.#options.transport, address, identity: this.identity, expectedPeer: NodeId.fromPublicKey(satelliteId), maxIdleConnections: 2 });
      this.#clients.set(key, client);
    }
    return client;
  }
}
