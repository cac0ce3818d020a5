/**
 * `RepairService`: the satellite's repair, checker and repairer over one set of ports. The
 * satellite runs each on a chore; `checkOnce` and `repairOnce` run one pass now (a pass already
 * running finishes first), for tests and operators.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import type { Identity } from '../../crypto/identity.js';
import type { MetabaseStore } from '../../metainfo/metabase/port.js';
import type { SegmentPosition, SegmentRecord, StreamId } from '../../metainfo/metabase/types.js';
import type { OverlayStore } from '../../overlay/port.js';
import type { Transport } from '../../transport/types.js';
import { RepairChecker } from './checker-runner.js';
import type { RepairQueueStore } from './queue-store.js';
import { Repairer } from './repairer.js';
import { DEFAULT_REPAIR_CONFIG, type CheckerStats, type RepairConfig, type RepairOutcome, type RepairPieceFailure, type RepairRunStats } from './types.js';

export interface RepairServiceOptions {
  /** The satellite's identity: signs repair order limits. */
  readonly identity: Identity;
  readonly metabase: MetabaseStore;
  readonly overlay: OverlayStore;
  readonly queue: RepairQueueStore;
  /** Dials storage nodes (the satellite's transport). */
  readonly transport: Transport;
  readonly clock?: Clock;
  readonly config?: Partial<RepairConfig>;
  /** Pieces on nodes heard from within this window are healthy (the satellite's online window). */
  readonly onlineWindowMs: number;
  /** Best-effort signed DELETE of one piece on one node (the satellite's piece deleter). */
  readonly deletePiece: (nodeId: Uint8Array, pieceId: Uint8Array) => void;
  readonly onError?: (error: unknown, where: string) => void;
  /** Test seam: runs once a repair's new pieces are uploaded, before they are swapped in. */
  readonly beforeSwap?: (segment: SegmentRecord) => Promise<void>;
}

/**
 * @example
 * ```ts
 * const repair = new RepairService({ identity, metabase, overlay, queue, transport, onlineWindowMs, deletePiece });
 * const stop = repair.onPieceFailure((failure) => reputation.record(failure));
 * await repair.checkOnce();   // queue what needs repair
 * await repair.repairOnce();  // repair it
 * await repair.close();
 * ```
 */
export class RepairService {
  readonly config: RepairConfig;
  readonly checker: RepairChecker;
  readonly repairer: Repairer;
  readonly #listeners = new Set<(failure: RepairPieceFailure) => void>();
  #checking: Promise<unknown> = Promise.resolve();
  #repairing: Promise<unknown> = Promise.resolve();

  constructor(options: RepairServiceOptions) {
    this.config = { ...DEFAULT_REPAIR_CONFIG, ...options.config };
    const clock = options.clock ?? systemClock;
    this.checker = new RepairChecker({
      metabase: options.metabase,
      overlay: options.overlay,
      queue: options.queue,
      clock,
      onlineWindowMs: options.onlineWindowMs,
      batchSize: this.config.checkBatchSize,
      ranges: this.config.checkRanges,
    });
    this.repairer = new Repairer({
      identity: options.identity,
      metabase: options.metabase,
      overlay: options.overlay,
      queue: options.queue,
      transport: options.transport,
      clock,
      config: this.config,
      onlineWindowMs: options.onlineWindowMs,
      deletePiece: options.deletePiece,
      onPieceFailure: (failure) => {
        for (const listener of this.#listeners) listener(failure);
      },
      onError: options.onError,
      beforeSwap: options.beforeSwap,
    });
  }

  /** One checker pass over every segment, after any pass already running. */
  checkOnce(): Promise<CheckerStats> {
    const run = this.#checking.then(() => this.checker.checkOnce());
    this.#checking = run.catch(() => undefined);
    return run;
  }

  /** Repairs every queued segment that can be claimed, after any run already going. */
  repairOnce(): Promise<RepairRunStats> {
    const run = this.#repairing.then(() => this.repairer.repairOnce());
    this.#repairing = run.catch(() => undefined);
    return run;
  }

  /** Repairs one segment now, queued or not. */
  repairSegment(streamId: StreamId, position: SegmentPosition): Promise<RepairOutcome> {
    return this.repairer.repairSegment(streamId, position);
  }

  /**
   * Calls `listener` for each piece a node failed to serve for repair (corrupt, missing,
   * offline, timed out). Returns a function that removes it.
   */
  onPieceFailure(listener: (failure: RepairPieceFailure) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops a running checker pass after its batch and the repairer (transfers in flight are canceled). */
  async close(): Promise<void> {
    this.checker.close();
    await this.repairer.close();
    await this.#checking;
  }
}
