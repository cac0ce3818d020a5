/**
 * `RetainService`: the storage node's runner for garbage collection. It serves
 * `Piecestore.Retain` (only to satellites the node trusts, never one it is gracefully exiting),
 * queues at most one filter per satellite, runs one pass at a time in the background, empties
 * the trash after the retention period, and restores it on request.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import { toHex } from '../../core/bytes.js';
import { CanceledError, FailedPreconditionError, PermissionDeniedError, isHandoffError } from '../../core/errors.js';
import { checkId, hasTrash, type PieceStore, type PieceTrash } from '../../piecestore/store.js';
import type { RpcServer } from '../../rpc/server.js';
import { BloomFilter, DEFAULT_MAX_BLOOM_FILTER_BYTES } from './bloom-filter.js';
import { PiecestoreRetain } from './messages.js';
import { retainPieces, type RetainPassResult } from './retain.js';

/** The node's garbage-collection settings. */
export interface RetainConfig {
  /**
   * Pieces stored less than this before a filter's `createdAt` are kept even when absent from it
   * (default 72 h, as Storj's nodes do): it covers a satellite clock ahead of the node's, and a
   * repair or exit transfer whose piece landed here shortly before the filter's pass began but
   * whose segment was updated after the pass had read it.
   */
  readonly timeSkewMs: number;
  /** Trashed pieces are deleted for good this long after they were trashed (default 7 days). */
  readonly trashRetentionMs: number;
  /** How often the trash is emptied of what is past retention (default 24 h). */
  readonly trashIntervalMs: number;
  /** Largest filter accepted, in bytes of bits (default {@link DEFAULT_MAX_BLOOM_FILTER_BYTES}). */
  readonly maxFilterBytes: number;
}

/** The node's garbage-collection defaults: time skew allowed, batch sizes. */
export const DEFAULT_RETAIN_CONFIG: RetainConfig = {
  timeSkewMs: 72 * 3600_000,
  trashRetentionMs: 7 * 24 * 3600_000,
  trashIntervalMs: 24 * 3600_000,
  maxFilterBytes: DEFAULT_MAX_BLOOM_FILTER_BYTES,
};

/** The ports and settings of a node's {@link RetainService}. */
export interface RetainServiceOptions {
  readonly pieces: PieceStore;
  /** Whether the node serves this satellite. */
  trusted(satelliteId: Uint8Array): boolean | Promise<boolean>;
  /** True while (or once) the node exits this satellite: its pieces are handed over, never collected. */
  exiting(satelliteId: Uint8Array): boolean | Promise<boolean>;
  readonly clock?: Clock;
  readonly config?: Partial<RetainConfig>;
  /** Called when a pass ends (finished, stopped by an exit, or canceled). */
  readonly onPass?: (satelliteId: Uint8Array, result: RetainPassResult | undefined, error?: unknown) => void;
  readonly onError?: (error: unknown, where: string) => void;
}

interface Job {
  readonly satelliteId: Uint8Array;
  readonly filter: BloomFilter;
  readonly storedBefore: number;
}

interface Running {
  readonly satellite: string;
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

/**
 * @example
 * ```ts
 * const retain = new RetainService({ pieces, trusted: (id) => db.isTrusted(id), exiting: async (id) => (await db.exits.get(id)) !== undefined });
 * retain.register(server);
 * await retain.idle();                       // every queued pass has run
 * await retain.restoreTrash(satelliteId);    // bring back what was trashed
 * await retain.emptyTrash();                 // what the trash chore does
 * ```
 */
export class RetainService {
  readonly config: RetainConfig;
  readonly #options: RetainServiceOptions;
  readonly #clock: Clock;
  /** Satellite hex → the filter waiting to run (a newer one replaces it). */
  readonly #queued = new Map<string, Job>();
  #running: Running | undefined;
  readonly #results = new Map<string, RetainPassResult>();
  #closed = false;

  constructor(options: RetainServiceOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.config = { ...DEFAULT_RETAIN_CONFIG, ...options.config };
  }

  /** Registers `Piecestore.Retain` on `server`. */
  register(server: RpcServer): void {
    server.unary(PiecestoreRetain, async (request, ctx) => {
      const satelliteId = ctx.peer.bytes;
      if (!(await this.#options.trusted(satelliteId))) throw new PermissionDeniedError('only a satellite this node trusts may send a retain filter');
      const pieces = this.#pieces();
      if (await this.#options.exiting(satelliteId)) {
        throw new FailedPreconditionError('this node is exiting (or has exited) this satellite: its pieces are handed over, not collected');
      }
      // Decoded before anything is queued: a bad filter changes nothing.
      const filter = BloomFilter.decode(request.filter, { maxBytes: this.config.maxFilterBytes });
      // A filter cannot know pieces stored after it reached us, whatever the satellite's clock says.
      const storedBefore = Math.min(request.createdAt, this.#clock.now()) - this.config.timeSkewMs;
      this.submit({ satelliteId, filter, storedBefore }, pieces);
      return { queued: true };
    });
  }

  /**
   * Queues a pass for a satellite (replacing one still queued for it) and starts it when no
   * other pass runs. Meant for `Piecestore.Retain`; tests may call it directly.
   */
  submit(job: { readonly satelliteId: Uint8Array; readonly filter: BloomFilter; readonly storedBefore: number }, pieces = this.#pieces()): void {
    checkId(job.satelliteId, 'satelliteId');
    if (this.#closed) throw new FailedPreconditionError('the node is closing');
    this.#queued.set(toHex(job.satelliteId), { satelliteId: job.satelliteId.slice(), filter: job.filter, storedBefore: job.storedBefore });
    this.#pump(pieces);
  }

  /** The last finished pass for a satellite. */
  lastResult(satelliteId: Uint8Array): RetainPassResult | undefined {
    return this.#results.get(toHex(satelliteId));
  }

  /** Resolves once nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running.done;
  }

  /** Drops a queued pass for the satellite and stops a running one, then waits for it to end. */
  async cancel(satelliteId: Uint8Array): Promise<void> {
    const satellite = toHex(satelliteId);
    this.#queued.delete(satellite);
    const running = this.#running;
    if (running?.satellite === satellite) {
      running.controller.abort(new CanceledError('garbage collection for this satellite was canceled'));
      await running.done;
    }
  }

  /**
   * Brings back every piece trashed for a satellite (stopping its pass first, so nothing is
   * trashed again right after). Returns how many came back.
   */
  async restoreTrash(satelliteId: Uint8Array): Promise<number> {
    const pieces = this.#pieces();
    await this.cancel(satelliteId);
    return pieces.restoreTrash(satelliteId);
  }

  /** Deletes for good whatever was trashed more than the retention period before `now`; returns how many pieces. */
  async emptyTrash(now = this.#clock.now()): Promise<number> {
    const pieces = this.#options.pieces;
    if (!hasTrash(pieces)) return 0;
    let removed = 0;
    for (const satelliteId of pieces.trashedSatellites()) removed += await pieces.emptyTrash(satelliteId, Math.max(0, now - this.config.trashRetentionMs));
    return removed;
  }

  /** Stops the running pass and drops the queue. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#queued.clear();
    this.#running?.controller.abort(new CanceledError('the node is closing'));
    await this.idle();
  }

  #pieces(): PieceStore & PieceTrash {
    const pieces = this.#options.pieces;
    if (!hasTrash(pieces)) throw new FailedPreconditionError('this node’s piece store keeps no trash: garbage collection is off');
    return pieces;
  }

  #pump(pieces: PieceStore & PieceTrash): void {
    if (this.#running || this.#closed) return;
    const next = this.#queued.entries().next();
    if (next.done) return;
    const [satellite, job] = next.value;
    this.#queued.delete(satellite);
    const controller = new AbortController();
    const done = this.#run(pieces, job, controller.signal).finally(() => {
      this.#running = undefined;
      this.#pump(pieces);
    });
    this.#running = { satellite, controller, done };
  }

  async #run(pieces: PieceStore & PieceTrash, job: Job, signal: AbortSignal): Promise<void> {
    const { satelliteId } = job;
    try {
      const result = await retainPieces({
        pieces,
        satelliteId,
        filter: job.filter,
        storedBefore: job.storedBefore,
        trashedAt: this.#clock.now(),
        signal,
        shouldStop: () => this.#options.exiting(satelliteId),
        onError: (err) => this.#options.onError?.(err, 'garbage collection'),
      });
      this.#results.set(toHex(satelliteId), result);
      this.#options.onPass?.(satelliteId, result);
    } catch (err) {
      if (!isHandoffError(err, 'Canceled')) this.#options.onError?.(err, 'garbage collection');
      this.#options.onPass?.(satelliteId, undefined, err);
    }
  }
}
