/**
 * `ExitWorker`: the storage node's runner for its exit from one satellite. It drives the pure
 * {@link workerTransition} with the stream, the piece store and the node's exit status, and
 * keeps going across broken streams and restarts until the satellite sends the final receipt.
 */

import { toHex } from '../core/bytes.js';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.js';
import type { PieceStore } from '../piecestore/store.js';
import type { RpcClient } from '../rpc/client.js';
import type { ClientStream } from '../rpc/client-stream.js';
import type { NodeExitMessage, SatelliteExitMessage } from './messages.js';
import type { NodeExitStore } from './node-store.js';
import { transferPiece } from './piece-transfer.js';
import { PieceBufferPool } from '../piecestore/buffer-pool.js';
import { encodeExitReceipt, verifyExitReceipt } from './receipt.js';
import { DEFAULT_EXIT_CONFIG, needsWipe, type NodeExitStatus } from './types.js';
import { EventQueue } from './event-queue.js';
import { initialWorkerState, workerTransition, type WorkerConfig, type WorkerEffect, type WorkerEvent, type WorkerState } from './worker.js';

/** The ports and settings of an {@link ExitWorker}. */
export interface ExitWorkerOptions {
  readonly satelliteId: Uint8Array;
  /** This node's id (receipts must name it). */
  readonly nodeId: Uint8Array;
  readonly store: NodeExitStore;
  readonly pieces: PieceStore;
  /** Opens `GracefulExit.Process` to the satellite. */
  openStream(): Promise<ClientStream<NodeExitMessage, SatelliteExitMessage>>;
  /** A client for a replacement node, pinned to its id. */
  dialNode(address: string, nodeId: Uint8Array): RpcClient;
  readonly clock?: Clock;
  readonly config?: Partial<WorkerConfig>;
  /** Called after each change of the node's exit status (progress, the end). */
  readonly onProgress?: (status: NodeExitStatus) => void;
  /**
   * Transfer within a bandwidth budget (the operator chose to wait): what is left of the
   * allocation now (null: no limit), and when it renews. Absent: no limit.
   */
  readonly budget?: { remaining(): number | null; renewsAt(): number };
  /** Tells the satellite a paused exit is alive (`GracefulExit.KeepAlive`); `finished` when it ended meanwhile. */
  keepAlive?(): Promise<{ readonly finished: boolean }>;
  /** Called with the bytes each transfer sent (its whole piece, unless it never got to send), for the node's bandwidth usage. */
  readonly onSent?: (bytes: number) => void;
  readonly onError?: (error: unknown, where: string) => void;
}

/**
 * @example
 * ```ts
 * const worker = new ExitWorker({ satelliteId, nodeId, store: db.exits, pieces, openStream, dialNode });
 * worker.start();
 * await worker.finished; // the receipt is stored and the satellite's pieces are gone
 * ```
 */
export class ExitWorker {
  #state: WorkerState;
  readonly #options: ExitWorkerOptions;
  readonly #clock: Clock;
  readonly #events = new EventQueue<WorkerEvent>((event) => this.#step(event));
  #stream: ClientStream<NodeExitMessage, SatelliteExitMessage> | undefined;
  #generation = 0;
  #retry: TimerHandle | undefined;
  /** While paused for bandwidth: when to resume, and when to send the next keep-alive. */
  #resume: TimerHandle | undefined;
  #keepAlive: TimerHandle | undefined;
  readonly #stopping = new AbortController();
  readonly #transfers = new Set<Promise<void>>();
  /**
   * Sizes of pieces sent and checked against their headers, by piece id (hex), until the
   * satellite says to delete them: the delete then need not read the piece's header again.
   */
  readonly #sentSizes = new Map<string, number>();
  /** Piece buffers shared by this worker's transfers (see `PieceTransferDeps.buffers`). */
  readonly #buffers: PieceBufferPool;
  #resolveFinished!: () => void;
  /** Resolves once the exit has finished here (receipt stored, pieces removed) or the worker stopped. */
  readonly finished: Promise<void>;

  constructor(options: ExitWorkerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#state = initialWorkerState(options.config, { limited: options.budget !== undefined });
    // One per transfer that can run at once: the pool then never holds more than they use.
    this.#buffers = new PieceBufferPool(this.#state.config.concurrency);
    this.finished = new Promise((resolve) => (this.#resolveFinished = resolve));
  }

  get phase(): WorkerState['phase'] {
    return this.#state.phase;
  }

  start(): void {
    this.#dispatch({ type: 'start' });
  }

  /** Stops dialing and transferring (the exit goes on at the next start). */
  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#dispatch({ type: 'stop' });
    await Promise.allSettled([...this.#transfers]);
    while (this.#events.busy) await new Promise((resolve) => setImmediate(resolve));
  }

  #dispatch(event: WorkerEvent): void {
    this.#events.dispatch(event);
  }

  async #step(event: WorkerEvent): Promise<void> {
    const step = workerTransition(this.#state, event);
    this.#state = step.state;
    for (const effect of step.effects) {
      try {
        await this.#run(effect);
      } catch (err) {
        this.#options.onError?.(err, 'graceful exit worker');
        if (effect.type === 'send') this.#dispatch({ type: 'streamEnded', error: err });
      }
    }
    if (this.#state.phase === 'finished') this.#resolveFinished();
  }

  async #run(effect: WorkerEffect): Promise<void> {
    const { store, satelliteId } = this.#options;
    switch (effect.type) {
      case 'connect':
        this.#connect();
        return;
      case 'readBudget':
        this.#dispatch({ type: 'budget', remainingBytes: this.#options.budget?.remaining() ?? null });
        return;
      case 'pause': {
        this.#clearPause();
        const renewsAt = this.#options.budget?.renewsAt() ?? this.#clock.now();
        this.#resume = this.#clock.setTimeout(() => {
          this.#resume = undefined;
          this.#dispatch({ type: 'resume' });
        }, Math.max(0, renewsAt - this.#clock.now()));
        this.#scheduleKeepAlive();
        return;
      }
      case 'keepAlive': {
        this.#scheduleKeepAlive();
        const answer = await this.#options.keepAlive?.();
        // The exit ended meanwhile (e.g. the satellite disqualified the node): connect for the receipt.
        if (answer?.finished) this.#dispatch({ type: 'resume' });
        return;
      }
      case 'unpause':
        this.#clearPause();
        return;
      case 'closeStream': {
        this.#generation++;
        const stream = this.#stream;
        this.#stream = undefined;
        stream?.cancel();
        return;
      }
      case 'send':
        if (this.#stream === undefined) return;
        await this.#stream.send(effect.message);
        return;
      case 'transfer': {
        const message = effect.message;
        const running = transferPiece(
          {
            satelliteId,
            pieces: this.#options.pieces,
            dialNode: this.#options.dialNode,
            minBytesPerSecond: DEFAULT_EXIT_CONFIG.minTransferBytesPerSecond,
            timeoutFloorMs: DEFAULT_EXIT_CONFIG.receiveTimeoutFloorMs,
            signal: this.#stopping.signal,
            buffers: this.#buffers,
          },
          message,
        ).then((report) => {
          // A transfer that failed before sending (lost piece, unreachable replacement) used no bandwidth.
          const sent = report.type === 'transferFailed' && (report.error === 'NOT_FOUND' || report.error === 'STORAGE_NODE_UNAVAILABLE') ? 0 : message.limit.limitBytes;
          if (sent > 0) this.#options.onSent?.(sent);
          if (report.type === 'transferSucceeded') this.#sentSizes.set(toHex(message.originalPieceId), report.originalPieceHash.pieceSize);
          this.#dispatch({ type: 'transferred', pieceId: message.originalPieceId, report });
        });
        this.#transfers.add(running);
        void running.finally(() => this.#transfers.delete(running));
        return;
      }
      case 'deletePiece': {
        const key = toHex(effect.pieceId);
        const sent = this.#sentSizes.get(key);
        this.#sentSizes.delete(key);
        const size = sent ?? (await this.#options.pieces.header(satelliteId, effect.pieceId).then((h) => h.size, () => undefined));
        if (size !== undefined && (await this.#options.pieces.delete(satelliteId, effect.pieceId, size))) {
          await store.addDeleted(satelliteId, size);
          await this.#progress();
        }
        return;
      }
      case 'record':
        if (effect.report.type === 'transferSucceeded') await store.addTransferred(satelliteId, effect.report.originalPieceHash.pieceSize);
        else await store.addFailed(satelliteId);
        await this.#progress();
        return;
      case 'scheduleRetry':
        if (this.#retry !== undefined) this.#clock.clearTimeout(this.#retry);
        this.#retry = this.#clock.setTimeout(() => {
          this.#retry = undefined;
          this.#dispatch({ type: 'retry' });
        }, effect.afterMs);
        return;
      case 'cancelRetry':
        if (this.#retry !== undefined) this.#clock.clearTimeout(this.#retry);
        this.#retry = undefined;
        return;
      case 'finish': {
        if (!verifyExitReceipt(effect.receipt, satelliteId, { nodeId: this.#options.nodeId })) {
          this.#options.onError?.(new Error('the satellite sent an exit receipt that does not verify; kept anyway'), 'graceful exit worker');
        }
        this.#sentSizes.clear();
        await store.finish(satelliteId, { state: effect.outcome, failureReason: effect.reason, receipt: encodeExitReceipt(effect.receipt), at: this.#clock.now() });
        const status = await store.get(satelliteId);
        if (status !== undefined) this.#options.onProgress?.(status);
        // A completed partial exit keeps the rest: the node stays.
        if (status === undefined || needsWipe(status)) {
          await wipeSatellite(store, this.#options.pieces, satelliteId);
          await this.#progress();
        }
        this.#dispatch({ type: 'finished' });
        return;
      }
      case 'report':
        this.#options.onError?.(effect.error, 'graceful exit stream');
        return;
    }
  }

  #scheduleKeepAlive(): void {
    if (this.#keepAlive !== undefined) this.#clock.clearTimeout(this.#keepAlive);
    this.#keepAlive = this.#clock.setTimeout(() => {
      this.#keepAlive = undefined;
      this.#dispatch({ type: 'keepAliveDue' });
    }, this.#state.config.keepAliveIntervalMs);
  }

  #clearPause(): void {
    if (this.#resume !== undefined) this.#clock.clearTimeout(this.#resume);
    if (this.#keepAlive !== undefined) this.#clock.clearTimeout(this.#keepAlive);
    this.#resume = undefined;
    this.#keepAlive = undefined;
  }

  #connect(): void {
    const generation = ++this.#generation;
    void (async () => {
      let stream: ClientStream<NodeExitMessage, SatelliteExitMessage>;
      try {
        stream = await this.#options.openStream();
      } catch (error) {
        if (generation === this.#generation) this.#dispatch({ type: 'streamEnded', error });
        return;
      }
      if (generation !== this.#generation) {
        stream.cancel();
        return;
      }
      this.#stream = stream;
      this.#dispatch({ type: 'connected' });
      let error: unknown;
      try {
        for (;;) {
          const message = await stream.receive();
          if (message === undefined) break;
          if (generation !== this.#generation) return;
          this.#dispatch({ type: 'received', message });
        }
      } catch (err) {
        error = err;
      }
      if (generation === this.#generation) this.#dispatch(error === undefined ? { type: 'streamEnded' } : { type: 'streamEnded', error });
    })();
  }

  async #progress(): Promise<void> {
    if (this.#options.onProgress === undefined) return;
    const status = await this.#options.store.get(this.#options.satelliteId);
    if (status !== undefined) this.#options.onProgress(status);
  }
}

/**
 * Removes every piece still held for `satelliteId` after its exit finished, counting each as
 * deleted, then marks the exit wiped. Safe to run again after a crash (the startup sweep does).
 */
export async function wipeSatellite(store: NodeExitStore, pieces: PieceStore, satelliteId: Uint8Array): Promise<number> {
  let removed = 0;
  const entries = [];
  for await (const entry of pieces.list(satelliteId)) entries.push(entry);
  for (const entry of entries) {
    if (await pieces.delete(satelliteId, entry.pieceId)) {
      await store.addDeleted(satelliteId, entry.size);
      removed++;
    }
  }
  await store.markWiped(satelliteId);
  return removed;
}

