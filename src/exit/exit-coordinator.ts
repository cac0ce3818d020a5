/**
 * `ExitCoordinator`: the satellite's side of graceful exit. It serves `GracefulExit.Process`
 * (one stream per node at a time), gathers each exiting node's pieces, runs the inactivity
 * rule, and finishes exits with signed receipts. Everything it needs is injected.
 */
import { toHex } from '../core/bytes.js';
import { systemClock, type Clock } from '../core/clock.js';
import { FailedPreconditionError, InternalError } from '../core/errors.js';
import type { Identity } from '../crypto/identity.js';
import type { MetabaseStore } from '../metainfo/metabase/port.js';
import type { SegmentRecord } from '../metainfo/metabase/types.js';
import type { OverlayStore } from '../overlay/port.js';
import type { NodeStatus } from '../overlay/types.js';
import type { RpcServer } from '../rpc/server.js';
import { openSession } from './coordinator.js';
import type { CoordinatorPorts } from './coordinator-ports.js';
import { CoordinatorSessionRunner } from './coordinator-session.js';
import { ExitGatherer } from './gatherer.js';
import { GracefulExitProcess, type SatelliteExitMessage } from './messages.js';
import type { ExitQueueStore } from './queue-store.js';
import { progressRow, reportRows, type ExitProgressRow, type ExitReportRow } from './report.js';
import { decodeExitReceipt, encodeExitReceipt, signExitReceipt } from './receipt.js';
import { DEFAULT_EXIT_CONFIG, type ExitConfig, type ExitFailureReason, type ExitOutcome, type ExitRecord } from './types.js';

export interface ExitCoordinatorOptions {
  readonly identity: Identity;
  readonly store: ExitQueueStore;
  readonly metabase: MetabaseStore;
  readonly overlay: OverlayStore;
  readonly clock?: Clock;
  readonly config?: Partial<ExitConfig>;
  /** Replacement nodes must have been heard from within this window (the satellite's online window). */
  readonly onlineWindowMs: number;
  /** Sends a signed DELETE for one piece to one node, best effort (the satellite's piece deleter). */
  readonly deletePiece: (nodeId: Uint8Array, pieceId: Uint8Array) => void;
  readonly onError?: (error: unknown, where: string) => void;
}

/**
 * @example
 * ```ts
 * const exits = new ExitCoordinator({ identity, store: satelliteStore.exits, metabase, overlay, onlineWindowMs: 4 * 3600_000, deletePiece });
 * exits.register(server);          // serves GracefulExit.Process
 * await exits.start();             // resumes gathering; runs the inactivity rule
 * const record = await exits.status(nodeId);
 * await exits.close();
 * ```
 */
export class ExitCoordinator {
  readonly config: ExitConfig;
  readonly #options: ExitCoordinatorOptions;
  readonly #clock: Clock;
  readonly #gatherer: ExitGatherer;
  readonly #sessions = new Map<string, CoordinatorSessionRunner>();
  readonly #ports: CoordinatorPorts;
  #closed = false;

  constructor(options: ExitCoordinatorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.config = { ...DEFAULT_EXIT_CONFIG, ...options.config };
    this.#gatherer = new ExitGatherer({ store: options.store, metabase: options.metabase, overlay: options.overlay, clock: this.#clock, batchSize: this.config.gatherBatchSize, onError: options.onError });
    this.#ports = {
      identity: options.identity,
      store: options.store,
      metabase: options.metabase,
      overlay: options.overlay,
      clock: this.#clock,
      config: this.config,
      onlineWindowMs: options.onlineWindowMs,
      startExit: (nodeId, at) => this.#startExit(nodeId, at),
      finishExit: (nodeId, finish) => this.#finishExit(nodeId, finish),
      finalMessage: (exit) => this.#finalMessage(exit),
      healthyPieces: (segment) => this.#healthyPieces(segment),
      deletePiece: options.deletePiece,
      onError: options.onError,
    };
  }

  /** Serves `GracefulExit.Process` on `server`. */
  register(server: RpcServer): void {
    server.stream(GracefulExitProcess, async (stream, ctx) => {
      if (this.#closed) throw new FailedPreconditionError('the satellite is shutting down');
      const nodeId = ctx.peer.bytes;
      const key = toHex(nodeId);
      if (this.#sessions.has(key)) throw new FailedPreconditionError('this node already has a graceful exit stream open; one at a time');
      const runner = new CoordinatorSessionRunner(openSession(this.#options.identity.publicKey, nodeId, this.config), this.#ports, stream);
      this.#sessions.set(key, runner);
      const onAbort = () => runner.close();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      try {
        const [node, exit] = await Promise.all([this.#options.overlay.get(nodeId), this.#options.store.getExit(nodeId)]);
        runner.dispatch({ type: 'opened', now: this.#clock.now(), node, exit });
        const reading = (async () => {
          try {
            for await (const message of stream) runner.dispatch({ type: 'received', now: this.#clock.now(), message });
          } catch {
            // The connection broke or the call was canceled: the session ends below.
          }
          runner.close();
        })();
        const error = await runner.done;
        void reading;
        if (error !== undefined) throw error;
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
        runner.close();
        this.#sessions.delete(key);
      }
    });
  }

  /** Resumes gathering for exits that were being gathered, and checks the inactivity rule now. */
  async start(): Promise<void> {
    void this.#gatherer.kick();
    await this.checkInactive();
  }

  /** Waits until every exit waiting to be gathered has been gathered (tests and tools use it). */
  gather(): Promise<void> {
    return this.#gatherer.kick();
  }

  /** The exit record of a node, if it ever started one. */
  status(nodeId: Uint8Array): Promise<ExitRecord | undefined> {
    return this.#options.store.getExit(nodeId);
  }

  /** Exits not finished yet (for operators' `satellite exits`). */
  unfinished(): Promise<ExitRecord[]> {
    return this.#options.store.listExits({ unfinished: true });
  }

  /** The exits in progress with their queue size and percent done, oldest first. */
  async progress(): Promise<ExitProgressRow[]> {
    const rows: ExitProgressRow[] = [];
    for (const exit of await this.unfinished()) rows.push(progressRow(exit, await this.#options.store.queueLength(exit.nodeId)));
    return rows;
  }

  /**
   * Every exit that finished in [`from`, `to`) with the node's wallet and join date: what escrow
   * payouts are made from (completed) or withheld for (failed, with the reason).
   *
   * @example
   * ```ts
   * const rows = await satellite.exits.report({ from: Date.parse('2026-11-01'), to: Date.parse('2026-12-01') });
   * ```
   */
  async report(window: { readonly from: number; readonly to: number }): Promise<ExitReportRow[]> {
    const exits = await this.#options.store.listExits({ finishedFrom: window.from, finishedTo: window.to });
    const nodes = await this.#options.overlay.getMany(exits.map((e) => e.nodeId));
    return reportRows(exits, nodes);
  }

  /**
   * Fails every unfinished exit whose node has not worked on it for longer than
   * `inactiveTimeframeMs` (and has no stream open). Returns how many it failed.
   */
  async checkInactive(): Promise<number> {
    const now = this.#clock.now();
    let failed = 0;
    for (const exit of await this.#options.store.listExits({ unfinished: true })) {
      if (this.#sessions.has(toHex(exit.nodeId))) continue;
      if (now - exit.lastActivityAt <= this.config.inactiveTimeframeMs) continue;
      await this.#finishExit(exit.nodeId, { outcome: 'failed', reason: 'INACTIVE_TIMEFRAME_EXCEEDED', detail: 'no activity within the inactivity window', at: now });
      failed++;
    }
    return failed;
  }

  /** Ends open streams (their exits stay unfinished: a shutdown never finishes an exit) and stops gathering. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const session of this.#sessions.values()) session.close();
    await this.#gatherer.close();
  }

  async #startExit(nodeId: Uint8Array, at: number): Promise<void> {
    await this.#options.store.startExit(nodeId, at);
    await this.#options.overlay.setStatus({ id: nodeId, from: 'active', to: 'exiting', at });
    void this.#gatherer.kick();
  }

  async #finishExit(nodeId: Uint8Array, finish: { outcome: ExitOutcome; reason: ExitFailureReason | null; detail: string | null; at: number }): Promise<SatelliteExitMessage> {
    const receipt = signExitReceipt(this.#options.identity, {
      nodeId,
      satelliteId: this.#options.identity.publicKey,
      outcome: finish.outcome,
      ...(finish.reason === null ? {} : { reason: finish.reason }),
      finishedAt: finish.at,
    });
    // Persist first (the first finish wins), then change the node's status, then announce.
    const finished = await this.#options.store.finishExit(nodeId, { outcome: finish.outcome, reason: finish.reason, detail: finish.detail, receipt: encodeExitReceipt(receipt), at: finish.at });
    const record = finished ?? (await this.#options.store.getExit(nodeId));
    if (record === undefined) throw new InternalError('exit record vanished while finishing');
    return this.#finalMessage(record);
  }

  async #finalMessage(exit: ExitRecord): Promise<SatelliteExitMessage> {
    if (exit.receipt === null || exit.outcome === null) throw new InternalError('a finished exit has no receipt');
    await this.#applyStatus(exit);
    const receipt = decodeExitReceipt(exit.receipt);
    return exit.outcome === 'completed' ? { type: 'exitCompleted', receipt } : { type: 'exitFailed', reason: exit.failureReason ?? 'VERIFICATION_FAILED', receipt };
  }

  /** Brings the node's overlay status in line with its finished exit (idempotent: safe after a crash in between). */
  async #applyStatus(exit: ExitRecord): Promise<void> {
    const overlay = this.#options.overlay;
    const node = await overlay.get(exit.nodeId);
    if (node === undefined || node.status === 'exited' || node.status === 'disqualified') return;
    const at = exit.finishedAt ?? this.#clock.now();
    const from: NodeStatus = node.status;
    if (exit.outcome === 'completed') {
      if (from === 'active') await overlay.setStatus({ id: exit.nodeId, from, to: 'exiting', at });
      await overlay.setStatus({ id: exit.nodeId, from: 'exiting', to: 'exited', at });
    } else {
      const reason = `graceful exit failed: ${exit.failureReason}${exit.failureDetail ? ` (${exit.failureDetail})` : ''}`;
      await overlay.setStatus({ id: exit.nodeId, from, to: 'disqualified', at, reason });
    }
  }

  async #healthyPieces(segment: SegmentRecord): Promise<number> {
    const nodes = await this.#options.overlay.getMany(segment.pieces.map((p) => p.nodeId));
    const active = new Set(nodes.filter((n) => n.status === 'active').map((n) => toHex(n.id)));
    return segment.pieces.filter((p) => active.has(toHex(p.nodeId))).length;
  }
}
