/**
 * The storage node as one object: the piece store and its RPC service, check-ins with every
 * trusted satellite, settlement of the orders it served, collection of expired pieces, and its
 * graceful exits (`NodeExits`, in exits.ts).
 */
import { systemClock, type Clock, type TimerHandle } from '../core/clock.js';
import { toHex } from '../core/bytes.js';
import { isHandoffError } from '../core/errors.js';
import { Identity } from '../crypto/identity.js';
import { NodeId } from '../crypto/node-id.js';
import { CheckIn, type CheckInResponse } from '../overlay/checkin.js';
import { Ping } from '../durability/contact/methods.js';
import { registerPiecestore } from '../piecestore/service.js';
import { RetainService } from '../durability/gc/retain-service.js';
import type { PieceStore } from '../piecestore/store.js';
import { RpcClient } from '../rpc/client.js';
import { RpcServer } from '../rpc/server.js';
import type { Listener } from '../transport/types.js';
import type { NodeExitStatus } from '../exit/types.js';
import type { WorkerPhase } from '../exit/worker.js';
import { bandwidthStanding, type BandwidthStanding } from './bandwidth.js';
import { collectExpiredPieces, type CollectResult } from './collector.js';
import type { NodeDatabase } from './db/database.js';
import { NodeExits } from './exits.js';
import { SATELLITE_CALL_TIMEOUT_MS, settleOrders } from './satellite-calls.js';
import { NODE_VERSION, type ExitOptions, type NodeStopped, type StorageNodeOptions } from './storage-node-options.js';

export { NODE_VERSION, type ExitOptions, type NodeStopped, type SatelliteEntry, type StorageNodeOptions } from './storage-node-options.js';

/** The node's allocation, lowered by each partial exit (node_setting `allocation.bytes`). */
const ALLOCATION_SETTING = 'allocation.bytes';

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
  /** Clients for satellites (by satellite id, hex) and for exit replacement nodes (by `id@address`). */
  readonly #clients = new Map<string, RpcClient>();
  /** The graceful exits and their workers. */
  readonly #exits: NodeExits;
  readonly #timers = new Set<TimerHandle>();
  readonly #clock: Clock;
  /** Interrupts a collection still running when the node closes. */
  readonly #closing = new AbortController();
  #closed = false;
  #closeDone: Promise<void> | undefined;
  #stopReason: NodeStopped['reason'] = 'closed';
  #resolveStopped!: (stopped: NodeStopped) => void;
  /**
   * Resolves once the node has closed: by `close()` (`closed`), or by itself after exiting every
   * satellite it serves (`exited`, with `shutdownAfterExits`). A host awaits it to end the process.
   */
  readonly stopped: Promise<NodeStopped> = new Promise((resolve) => (this.#resolveStopped = resolve));

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
      // A full exit, in progress or over: that satellite's pieces leave by the exit protocol, never by
      // GC. A partial exit leaves the node serving the satellite, GC included.
      exiting: async (id) => (await options.db.exits.get(id))?.kind === 'full',
      clock: this.#clock,
      ...(options.gc === undefined ? {} : { config: options.gc }),
      onError: (err, where) => options.onError?.(err, where),
    });
    this.retain.register(server);
    this.#exits = new NodeExits({
      nodeId: identity.publicKey,
      db: options.db,
      pieces: options.storage,
      clock: this.#clock,
      satelliteClient: (satelliteId, address) => this.#client(satelliteId, address),
      nodeClient: (address, nodeId) => this.#peer(address, nodeId),
      retain: this.retain,
      bandwidth: () => this.bandwidth(),
      limitedBandwidth: options.bandwidthAllocation !== undefined,
      lowerAllocation: (bytes) => this.db.setSetting(ALLOCATION_SETTING, String(Math.max(0, this.allocatedBytes - bytes))),
      closing: this.#closing.signal,
      ...(options.shutdownAfterExits === true ? { onExitedAll: () => this.#closeExited() } : {}),
      ...(options.exit === undefined ? {} : { config: options.exit }),
      ...(options.onExitProgress === undefined ? {} : { onProgress: options.onExitProgress }),
      onError: (err, where) => options.onError?.(err, where),
    });
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
      await node.#exits.resume();
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

  /**
   * The bytes this node offers: its `capacity`, lowered for good by every partial exit (kept in the
   * node database, so a restart with the same `capacity` does not refill it). Check-ins report it.
   */
  get allocatedBytes(): number {
    const lowered = this.db.getSetting(ALLOCATION_SETTING);
    return lowered === undefined ? this.#options.capacity : Math.min(this.#options.capacity, Number(lowered));
  }

  /** The bandwidth allocation this month: how much is used, how much is left, when it renews. */
  bandwidth(): BandwidthStanding {
    const now = this.#clock.now();
    return bandwidthStanding(this.#options.bandwidthAllocation ?? null, this.db.bandwidthUsed(now), now);
  }

  /** Checks in with every trusted satellite now; a satellite that is down is retried at the next interval. */
  async checkInAll(): Promise<void> {
    await Promise.all(this.db.trustedSatellites().map((s) => this.#checkIn(s.id, s.address)));
  }

  /** Sends every unsettled order to its satellite; returns how many were accepted. */
  async settleOrders(): Promise<number> {
    return settleOrders(this.db, (satelliteId, address) => this.#client(satelliteId, address));
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
  exitSatellite(satelliteId: Uint8Array, options: ExitOptions = {}): Promise<NodeExitStatus> {
    return this.#exits.exitSatellite(satelliteId, options);
  }

  /**
   * Starts a partial graceful exit: asks the satellite to move `bytes` of what this node holds for
   * it to other nodes. The satellite chooses the pieces (those of its healthiest segments, until at
   * least `bytes`) and they move with the same proofs as a full exit; the node stays active and
   * keeps serving. The node's allocation is lowered by `bytes` at once and for good, so it does not
   * refill. Like a full exit it cannot be cancelled, and a failure (lost or forged pieces)
   * disqualifies the node. Calling it again while it runs returns its status.
   *
   * @example
   * ```ts
   * await node.exitPartially(satellite.id.bytes, 50e9); // move 50 GB off
   * const status = await node.exitFinished(satellite.id.bytes); // state 'completed', kind 'partial'
   * ```
   */
  exitPartially(satelliteId: Uint8Array, bytes: number, options: ExitOptions = {}): Promise<NodeExitStatus> {
    return this.#exits.exitPartially(satelliteId, bytes, options);
  }

  /**
   * Rejoins a satellite this node exited gracefully: the satellite records the rejoin, keeps this
   * node's id and reputation, and selects it for new pieces again; the escrow (held amount) period
   * starts over. Refused with a typed error naming why otherwise — a failed exit disqualified the
   * node. Returns when the satellite recorded the rejoin.
   *
   * @example
   * ```ts
   * const { rejoinedAt } = await node.rejoinSatellite(satellite.id.bytes);
   * ```
   */
  rejoinSatellite(satelliteId: Uint8Array): Promise<{ readonly rejoinedAt: number }> {
    return this.#exits.rejoinSatellite(satelliteId);
  }

  /** Every current exit (one per satellite, at most), with its progress and (once finished) its receipt. */
  exitStatuses(): Promise<NodeExitStatus[]> {
    return this.#exits.statuses();
  }

  /** Exits archived when a later one started or the node rejoined, oldest first. */
  exitHistory(satelliteId?: Uint8Array): Promise<NodeExitStatus[]> {
    return this.#exits.history(satelliteId);
  }

  /**
   * What the worker of the exit from `satelliteId` is doing now — `streaming`, `waiting` (for the
   * satellite, or after a broken stream), `paused` (out of bandwidth until the allocation renews)…
   * — or undefined when none runs.
   */
  exitPhase(satelliteId: Uint8Array): WorkerPhase | undefined {
    return this.#exits.phase(satelliteId);
  }

  /** Resolves when the exit from `satelliteId` has finished here (or the node closed). */
  exitFinished(satelliteId: Uint8Array): Promise<NodeExitStatus | undefined> {
    return this.#exits.finished(satelliteId);
  }

  /** Stops everything the node runs; a second call waits for the first. `stopped` resolves after. */
  close(): Promise<void> {
    this.#closeDone ??= this.#close();
    return this.#closeDone;
  }

  /** With `shutdownAfterExits`, once every satellite the node serves is exited: `stopped` says `exited`. */
  #closeExited(): Promise<void> {
    this.#stopReason = 'exited';
    return this.close();
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort();
    try {
      await this.retain.close();
      for (const timer of this.#timers) this.#clock.clearTimeout(timer);
      this.#timers.clear();
      await this.#exits.stop();
      await this.server.close();
      for (const client of this.#clients.values()) await client.close();
    } finally {
      this.#resolveStopped({ reason: this.#stopReason });
    }
  }

  /** A replacement node's client, during graceful exit. */
  #peer(address: string, nodeId: Uint8Array): RpcClient {
    return this.#cachedClient(`${toHex(nodeId)}@${address}`, address, nodeId);
  }

  async #checkIn(satelliteId: Uint8Array, address: string): Promise<void> {
    let response: CheckInResponse | undefined;
    try {
      response = await this.#client(satelliteId, address).call(
        CheckIn,
        { address: this.address, wallet: this.#options.wallet, freeBytes: Math.max(0, this.allocatedBytes - this.storage.usedBytes()), version: NODE_VERSION },
        { timeoutMs: SATELLITE_CALL_TIMEOUT_MS },
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

  /** A satellite's client, at the address it was first dialed at. */
  #client(satelliteId: Uint8Array, address: string): RpcClient {
    return this.#cachedClient(toHex(satelliteId), address, satelliteId);
  }

  #cachedClient(key: string, address: string, peerId: Uint8Array): RpcClient {
    let client = this.#clients.get(key);
    if (!client) {
      client = new RpcClient({ transport: this.#options.transport, address, identity: this.identity, expectedPeer: NodeId.fromPublicKey(peerId), maxIdleConnections: 2 });
      this.#clients.set(key, client);
    }
    return client;
  }
}
