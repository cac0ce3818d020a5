/**
 * The storage node's graceful exits: starting a full or partial exit with a satellite, rejoining
 * it, and one {@link ExitWorker} per exit in progress — started, resumed after a restart, stopped
 * when the node closes. `StorageNode` owns one and delegates its exit methods to it.
 */
import type { Clock } from '../core/clock.js';
import { toHex } from '../core/bytes.js';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../core/errors.js';
import type { RetainService } from '../durability/gc/retain-service.js';
import { ExitWorker, wipeSatellite } from '../exit/exit-worker.js';
import { GracefulExitKeepAlive, GracefulExitProcess, GracefulExitRejoin } from '../exit/messages.js';
import { needsWipe, type ExitBandwidthChoice, type NodeExitStatus } from '../exit/types.js';
import type { WorkerConfig, WorkerPhase } from '../exit/worker.js';
import type { PieceStore } from '../piecestore/store.js';
import type { RpcClient } from '../rpc/client.js';
import { bandwidthPeriod, exitBandwidthChoice, type BandwidthStanding } from './bandwidth.js';
import type { NodeDatabase } from './db/database.js';
import type { TrustedSatellite } from './db/records.js';
import { initiateExit, SATELLITE_CALL_TIMEOUT_MS } from './satellite-calls.js';
import type { ExitOptions } from './storage-node-options.js';

/** What an exit's own sends are counted as in the bandwidth usage. */
const EXIT_SENT_ACTION = 'GRACEFUL_EXIT_SENT';

/** What {@link NodeExits} works with: the node's state, its clients, its clock, and its settings. */
export interface NodeExitsDeps {
  /** This node's id (receipts must name it). */
  readonly nodeId: Uint8Array;
  /** The trusted satellites, the exits (`db.exits`) and the bandwidth an exit sends. */
  readonly db: NodeDatabase;
  readonly pieces: PieceStore;
  readonly clock: Clock;
  /** A satellite's client, at the address it was first dialed at. */
  satelliteClient(satelliteId: Uint8Array, address: string): RpcClient;
  /** A replacement node's client, pinned to its id. */
  nodeClient(address: string, nodeId: Uint8Array): RpcClient;
  /** Garbage collection: a full exit stops that satellite's passes (its pieces leave by the exit). */
  readonly retain: Pick<RetainService, 'cancel'>;
  /** The node's bandwidth standing this month (an exit that needs more asks exceed or wait). */
  bandwidth(): BandwidthStanding;
  /** Whether the node has a bandwidth allocation: only then can an exit wait for it to renew. */
  readonly limitedBandwidth: boolean;
  /** Lowers the node's allocation for good by what a partial exit moves off. */
  lowerAllocation(bytes: number): void;
  /** Aborted when the node starts closing: no worker starts after, and the node does not shut itself down. */
  readonly closing: AbortSignal;
  /** Called once every satellite the node serves has a finished full exit; absent, the node keeps running. */
  readonly onExitedAll?: () => Promise<void>;
  readonly config?: Partial<WorkerConfig>;
  readonly onProgress?: (status: NodeExitStatus) => void;
  readonly onError?: (error: unknown, where: string) => void;
}

/**
 * @example
 * ```ts
 * const exits = new NodeExits({ nodeId, db, pieces, clock, satelliteClient, nodeClient, retain, bandwidth, limitedBandwidth: false, lowerAllocation, closing });
 * await exits.resume(); // the workers of the exits a restart interrupted
 * await exits.exitSatellite(satelliteId);
 * await exits.stop(); // when the node closes
 * ```
 */
export class NodeExits {
  readonly #deps: NodeExitsDeps;
  /** One exit worker per satellite being exited, by satellite id (hex). */
  readonly #workers = new Map<string, ExitWorker>();

  constructor(deps: NodeExitsDeps) {
    this.#deps = deps;
  }

  get #closed(): boolean {
    return this.#deps.closing.aborted;
  }

  /** See `StorageNode.exitSatellite`. */
  async exitSatellite(satelliteId: Uint8Array, options: ExitOptions = {}): Promise<NodeExitStatus> {
    const { db, pieces } = this.#deps;
    const satellite = this.#trustedSatellite(satelliteId);
    const known = await db.exits.get(satelliteId);
    if (known?.kind === 'partial' && known.state === 'exiting') {
      throw new FailedPreconditionError('a partial exit from this satellite is in progress; a full exit can start once it has finished');
    }
    if (known !== undefined && known.kind === 'full') {
      if (known.state === 'exiting') this.#startWorker(satelliteId, known.bandwidth);
      return known;
    }
    const held = pieces.usedBytes(satelliteId);
    // Asked before the satellite is: an exit cannot be cancelled once it started.
    const bandwidth = exitBandwidthChoice(this.#deps.bandwidth(), held, options.bandwidth);
    const started = await initiateExit(this.#deps.satelliteClient(satelliteId, satellite.address), { kind: 'full' });
    const now = this.#deps.clock.now();
    if (known !== undefined) await db.exits.archive(satelliteId, now); // a finished partial exit
    const status = await db.exits.start(satelliteId, held, now, { kind: 'full', targetBytes: null, policy: started.policy, bandwidth });
    await this.#deps.retain.cancel(satelliteId); // the exit hands these pieces over: no more GC from that satellite
    this.#startWorker(satelliteId, status.bandwidth);
    return status;
  }

  /** See `StorageNode.exitPartially`. */
  async exitPartially(satelliteId: Uint8Array, bytes: number, options: ExitOptions = {}): Promise<NodeExitStatus> {
    if (!Number.isSafeInteger(bytes) || bytes < 1) throw new InvalidArgumentError(`"bytes" expected a positive integer, got ${String(bytes)}`);
    const { db, pieces } = this.#deps;
    const satellite = this.#trustedSatellite(satelliteId);
    const known = await db.exits.get(satelliteId);
    if (known?.state === 'exiting') {
      if (known.kind === 'partial' && known.targetBytes === bytes) {
        this.#startWorker(satelliteId, known.bandwidth);
        return known;
      }
      throw new FailedPreconditionError(`${known.kind === 'partial' ? `a partial exit of ${known.targetBytes} bytes` : 'a full exit'} from this satellite is in progress`);
    }
    if (known?.kind === 'full') throw new FailedPreconditionError('this node has exited that satellite; it may rejoin first');
    const held = pieces.usedBytes(satelliteId);
    if (bytes > held) throw new InvalidArgumentError(`this node holds ${held} bytes for that satellite: it cannot move ${bytes} off`);
    const bandwidth = exitBandwidthChoice(this.#deps.bandwidth(), bytes, options.bandwidth);
    await initiateExit(this.#deps.satelliteClient(satelliteId, satellite.address), { kind: 'partial', targetBytes: bytes });
    const now = this.#deps.clock.now();
    if (known !== undefined) await db.exits.archive(satelliteId, now); // an earlier partial exit
    const status = await db.exits.start(satelliteId, bytes, now, { kind: 'partial', targetBytes: bytes, policy: 'transfer', bandwidth });
    this.#deps.lowerAllocation(bytes);
    this.#startWorker(satelliteId, status.bandwidth);
    return status;
  }

  /** See `StorageNode.rejoinSatellite`. */
  async rejoinSatellite(satelliteId: Uint8Array): Promise<{ readonly rejoinedAt: number }> {
    const { db } = this.#deps;
    const satellite = this.#trustedSatellite(satelliteId);
    const known = await db.exits.get(satelliteId);
    // The worker must have its receipt first: a rejoin under it would look like a new exit to the satellite.
    if (known?.state === 'exiting') throw new FailedPreconditionError('the exit from this satellite is still in progress here: rejoin once it has finished');
    const answer = await this.#deps.satelliteClient(satelliteId, satellite.address).call(GracefulExitRejoin, {}, { timeoutMs: SATELLITE_CALL_TIMEOUT_MS });
    if (known !== undefined) await db.exits.archive(satelliteId, this.#deps.clock.now());
    return { rejoinedAt: answer.rejoinedAt };
  }

  /** Every current exit (one per satellite, at most). */
  statuses(): Promise<NodeExitStatus[]> {
    return this.#deps.db.exits.list();
  }

  /** Exits archived when a later one started or the node rejoined, oldest first. */
  history(satelliteId?: Uint8Array): Promise<NodeExitStatus[]> {
    return this.#deps.db.exits.history(satelliteId);
  }

  /** What the worker of the exit from `satelliteId` is doing now, or undefined when none runs. */
  phase(satelliteId: Uint8Array): WorkerPhase | undefined {
    return this.#workers.get(toHex(satelliteId))?.phase;
  }

  /** Resolves when the exit from `satelliteId` has finished here (or the node closed). */
  async finished(satelliteId: Uint8Array): Promise<NodeExitStatus | undefined> {
    await this.#workers.get(toHex(satelliteId))?.finished;
    return this.#deps.db.exits.get(satelliteId);
  }

  /**
   * At startup: restarts the worker of every exit in progress and finishes any interrupted wipe;
   * then, with `onExitedAll`, checks whether every exit is already over.
   */
  async resume(): Promise<void> {
    for (const status of await this.#deps.db.exits.list()) {
      if (status.state === 'exiting') this.#startWorker(status.satelliteId, status.bandwidth);
      else if (needsWipe(status)) {
        await wipeSatellite(this.#deps.db.exits, this.#deps.pieces, status.satelliteId).catch((err: unknown) => this.#deps.onError?.(err, 'exit wipe'));
      }
    }
    this.#checkExitedAll();
  }

  /** Stops every worker (their exits go on at the next start). Call it once `closing` is aborted. */
  async stop(): Promise<void> {
    await Promise.all([...this.#workers.values()].map((w) => w.stop()));
  }

  /** With `onExitedAll`: calls it once every satellite the node serves has a finished full exit. */
  #checkExitedAll(): void {
    const { onExitedAll, db } = this.#deps;
    if (onExitedAll === undefined || this.#closed) return;
    void (async () => {
      const satellites = db.trustedSatellites();
      if (satellites.length === 0) return;
      for (const satellite of satellites) {
        const status = await db.exits.get(satellite.id);
        if (status === undefined || status.kind !== 'full' || status.state === 'exiting' || needsWipe(status)) return;
      }
      if (this.#closed) return;
      await onExitedAll();
    })().catch((err: unknown) => this.#deps.onError?.(err, 'shutdown after exits'));
  }

  #startWorker(satelliteId: Uint8Array, choice: ExitBandwidthChoice | null): void {
    const key = toHex(satelliteId);
    if (this.#closed || this.#workers.has(key)) return;
    const { db, clock, config, onProgress, onError } = this.#deps;
    const satellite = db.trustedSatellite(satelliteId);
    if (satellite === undefined) return;
    const budget = this.#budget(choice);
    const client = (): RpcClient => this.#deps.satelliteClient(satelliteId, satellite.address);
    const worker = new ExitWorker({
      satelliteId,
      nodeId: this.#deps.nodeId,
      store: db.exits,
      pieces: this.#deps.pieces,
      openStream: () => client().stream(GracefulExitProcess),
      dialNode: (address, nodeId) => this.#deps.nodeClient(address, nodeId),
      clock,
      ...(config === undefined ? {} : { config }),
      ...(onProgress === undefined ? {} : { onProgress }),
      ...(budget === undefined ? {} : { budget }),
      keepAlive: () => client().call(GracefulExitKeepAlive, {}, { timeoutMs: SATELLITE_CALL_TIMEOUT_MS }),
      onSent: (bytes) => db.addBandwidth(satelliteId, EXIT_SENT_ACTION, bytes, clock.now()),
      onError: (err, where) => onError?.(err, where),
    });
    this.#workers.set(key, worker);
    worker.start();
    void worker.finished.then(() => {
      // Done here: a later exit of this satellite (after a partial one, or a rejoin) gets a new worker.
      if (this.#workers.get(key) === worker && worker.phase === 'finished' && !this.#closed) this.#workers.delete(key);
      this.#checkExitedAll();
    });
  }

  /** An exit within the bandwidth allocation, when the operator chose to wait and there is one. */
  #budget(choice: ExitBandwidthChoice | null): { remaining(): number | null; renewsAt(): number } | undefined {
    if (choice !== 'wait' || !this.#deps.limitedBandwidth) return undefined;
    return {
      remaining: () => this.#deps.bandwidth().remainingBytes,
      renewsAt: () => bandwidthPeriod(this.#deps.clock.now()).end,
    };
  }

  /** The satellite, if this node serves it; `NotFound` otherwise. */
  #trustedSatellite(satelliteId: Uint8Array): TrustedSatellite {
    const satellite = this.#deps.db.trustedSatellite(satelliteId);
    if (satellite === undefined) throw new NotFoundError('this node does not serve that satellite');
    return satellite;
  }
}
