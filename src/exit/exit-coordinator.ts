/**
 * `ExitCoordinator`: the satellite's side of graceful exit. It serves `GracefulExit.Process`
 * (one stream per node at a time) and the unary `Initiate`, `KeepAlive` and `Rejoin`, gathers each
 * exiting node's pieces, runs the inactivity rule and the time-based policy, and finishes exits
 * with signed receipts. Everything it needs is injected.
 */
import { toHex } from '../core/bytes.js';
import { systemClock, type Clock } from '../core/clock.js';
import { AbortedError, FailedPreconditionError, InternalError } from '../core/errors.js';
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
import {
  GracefulExitInitiate,
  GracefulExitKeepAlive,
  GracefulExitProcess,
  GracefulExitRejoin,
  type ExitInitiateResponse,
  type SatelliteExitMessage,
} from './messages.js';
import type { ExitQueueStore } from './queue-store.js';
import { progressRow, reportRows, type ExitProgressRow, type ExitReportRow } from './report.js';
import { decodeExitReceipt, encodeExitReceipt, signExitReceipt } from './receipt.js';
import { decideInitiate, decideKeepAlive, decideRejoin, type ExitRequest } from './requests.js';
import { judgeTimeBased, timeBasedDueAt } from './time-based.js';
import { DEFAULT_EXIT_CONFIG, type ExitConfig, type ExitFailureReason, type ExitOutcome, type ExitRecord } from './types.js';

/** The ports and rules of an {@link ExitCoordinator}. */
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

  /** Serves `GracefulExit.Process`, `Initiate`, `KeepAlive` and `Rejoin` on `server`. */
  register(server: RpcServer): void {
    server.unary(GracefulExitInitiate, (request, ctx) => this.initiate(ctx.peer.bytes, request));
    server.unary(GracefulExitKeepAlive, (_request, ctx) => this.keepAlive(ctx.peer.bytes));
    server.unary(GracefulExitRejoin, (_request, ctx) => this.rejoin(ctx.peer.bytes));
    server.stream(GracefulExitProcess, async (stream, ctx) => {
      if (this.#closed) throw new FailedPreconditionError('the satellite is shutting down');
      const nodeId = ctx.peer.bytes;
      const key = toHex(nodeId);
      if (this.#sessions.has(key)) throw new FailedPreconditionError('this node already has a graceful exit stream open; one at a time');
      const runner = new CoordinatorSessionRunner(openSession(this.#options.identity.publicKey, nodeId, this.config, this.#options.identity), this.#ports, stream);
      this.#sessions.set(key, runner);
      const onAbort = () => runner.close();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      try {
        const [node, exit] = await Promise.all([this.#options.overlay.get(nodeId), this.#options.store.getExit(nodeId)]);
        const onlineScore = await this.#timeBasedScore(exit);
        runner.dispatch({ type: 'opened', now: this.#clock.now(), node, exit, ...(onlineScore === undefined ? {} : { onlineScore }) });
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

  /** Resumes gathering for exits that were being gathered, and checks the clock's rules now ({@link checkDue}). */
  async start(): Promise<void> {
    void this.#gatherer.kick();
    await this.checkDue();
  }

  /**
   * Starts an exit of the kind `request` asks for, for the authenticated node `nodeId` (what
   * `GracefulExit.Initiate` does): a full exit marks the node `exiting` and follows the
   * satellite's policy; a partial one leaves it `active` and transfers the pieces the satellite
   * chooses. Idempotent; a refusal is a typed error and changes nothing.
   *
   * @example
   * ```ts
   * const started = await satellite.exits.initiate(nodeId, { kind: 'partial', targetBytes: 5e9 });
   * ```
   */
  async initiate(nodeId: Uint8Array, request: ExitRequest): Promise<ExitInitiateResponse> {
    if (this.#closed) throw new FailedPreconditionError('the satellite is shutting down');
    const { overlay, store } = this.#options;
    const now = this.#clock.now();
    const [node, exit] = await Promise.all([overlay.get(nodeId), store.getExit(nodeId)]);
    const decision = decideInitiate({ node, exit, request, now, config: this.config });
    if (decision.type === 'refuse') throw decision.error;
    if (decision.type === 'existing') return this.#initiated(decision.exit);
    if (decision.archive) await store.archiveExit(nodeId, now);
    const { record, created } = await store.startExit(nodeId, now, decision.exit);
    if (!created && (record.kind !== decision.exit.kind || record.targetBytes !== decision.exit.targetBytes || record.finishedAt !== null)) {
      throw new AbortedError('another exit of this node started at the same time; ask again');
    }
    if (record.kind === 'full') await overlay.setStatus({ id: nodeId, from: 'active', to: 'exiting', at: now });
    if (record.policy === 'transfer') void this.#gatherer.kick();
    return this.#initiated(record);
  }

  /** Records activity for an exit the node paused (what `GracefulExit.KeepAlive` does); `finished` when it ended meanwhile. */
  async keepAlive(nodeId: Uint8Array): Promise<{ finished: boolean }> {
    const decision = decideKeepAlive(await this.#options.store.getExit(nodeId));
    if (decision.type === 'refuse') throw decision.error;
    if (decision.type === 'finished') return { finished: true };
    await this.#options.store.touch(nodeId, this.#clock.now());
    return { finished: false };
  }

  /**
   * Brings back a node whose full exit completed (what `GracefulExit.Rejoin` does): `active` and
   * selectable again with its id and reputation, `rejoinedAt` recorded — its escrow period starts
   * over from there — and its exit archived, so it may exit again later. A node whose exit failed
   * was disqualified: refused, naming why.
   */
  async rejoin(nodeId: Uint8Array): Promise<{ rejoinedAt: number }> {
    const { overlay, store } = this.#options;
    const now = this.#clock.now();
    const [node, exit] = await Promise.all([overlay.get(nodeId), store.getExit(nodeId)]);
    const decision = decideRejoin(node, exit);
    if (decision.type === 'refuse') throw decision.error;
    if (decision.type === 'rejoined') return { rejoinedAt: decision.rejoinedAt };
    let rejoinedAt = node?.rejoinedAt ?? now;
    if (decision.overlay) {
      const back = await overlay.rejoin(nodeId, now);
      if (back === undefined) throw new AbortedError("the node's status changed meanwhile; ask again");
      rejoinedAt = now;
    }
    if (decision.archive) await store.archiveExit(nodeId, now);
    return { rejoinedAt };
  }

  /** Checks unfinished exits against the clock: the inactivity rule ({@link checkInactive}), then time-based exits whose period is over ({@link checkTimeBased}). */
  async checkDue(): Promise<{ readonly inactive: number; readonly timeBased: number }> {
    const inactive = await this.checkInactive();
    return { inactive, timeBased: await this.checkTimeBased() };
  }

  /**
   * Finishes every time-based exit whose period is over (and has no stream open), by its node's
   * online score over the period: completed, or failed with `ONLINE_SCORE_TOO_LOW`. Returns how
   * many it finished. A node polling its exit gets the same verdict on its next call.
   */
  async checkTimeBased(): Promise<number> {
    const now = this.#clock.now();
    let finished = 0;
    for (const exit of await this.#options.store.listExits({ unfinished: true })) {
      if (exit.policy !== 'time-based' || this.#sessions.has(toHex(exit.nodeId))) continue;
      if (now < timeBasedDueAt(exit, this.config)) continue;
      const node = await this.#options.overlay.get(exit.nodeId);
      if (node?.status === 'disqualified') {
        await this.#finishExit(exit.nodeId, { outcome: 'failed', reason: 'DISQUALIFIED', detail: node.disqualifiedReason ?? 'disqualified while exiting', at: now });
        finished++;
        continue;
      }
      const score = await this.#options.overlay.onlineScore(exit.nodeId, { since: exit.initiatedAt });
      const verdict = judgeTimeBased(exit, now, score, this.config);
      if (verdict.type === 'wait') continue;
      if (node?.status === 'active') await this.#options.overlay.setStatus({ id: exit.nodeId, from: 'active', to: 'exiting', at: now });
      await this.#finishExit(exit.nodeId, verdict.type === 'completed'
        ? { outcome: 'completed', reason: null, detail: null, at: now }
        : { outcome: 'failed', reason: verdict.reason, detail: verdict.detail, at: now });
      finished++;
    }
    return finished;
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
    const timeBased = { now: this.#clock.now(), periodMs: this.config.timeBasedPeriodMs };
    for (const exit of await this.unfinished()) rows.push(progressRow(exit, await this.#options.store.queueLength(exit.nodeId), timeBased));
    return rows;
  }

  /**
   * Every exit that finished in [`from`, `to`) — archived ones too — with the node's wallet, join
   * date, the exit's kind and policy and when its escrow period began: what escrow payouts are made
   * from (completed full exits) or withheld for (failed, with the reason).
   *
   * @example
   * ```ts
   * const rows = await satellite.exits.report({ from: Date.parse('2026-11-01'), to: Date.parse('2026-12-01') });
   * ```
   */
  async report(window: { readonly from: number; readonly to: number }): Promise<ExitReportRow[]> {
    const exits = await this.#options.store.listExits({ finishedFrom: window.from, finishedTo: window.to });
    const nodes = await this.#options.overlay.getMany(exits.map((e) => e.nodeId));
    // Only a node that rejoined has an escrow period that did not start when it joined.
    const history: ExitRecord[] = [];
    for (const node of nodes) if (node.rejoinedAt !== null) history.push(...(await this.#options.store.listExits({ nodeId: node.id })));
    return reportRows(exits, nodes, history);
  }

  /**
   * Fails every unfinished exit by transfer whose node has not worked on it (streamed, or sent a
   * keep-alive) for longer than `inactiveTimeframeMs` (and has no stream open). A time-based exit
   * is judged by its online score instead. Returns how many it failed.
   */
  async checkInactive(): Promise<number> {
    const now = this.#clock.now();
    let failed = 0;
    for (const exit of await this.#options.store.listExits({ unfinished: true })) {
      if (exit.policy === 'time-based' || this.#sessions.has(toHex(exit.nodeId))) continue;
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
      kind: (await this.#options.store.getExit(nodeId))?.kind,
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
    // A partial exit that completed leaves the node as it was: active, serving, selectable.
    if (exit.kind === 'partial' && exit.outcome === 'completed') return;
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

  /** The node's online score since its time-based exit began, for a stream to judge it; undefined otherwise. */
  async #timeBasedScore(exit: ExitRecord | undefined): Promise<number | undefined> {
    if (exit === undefined || exit.policy !== 'time-based' || exit.finishedAt !== null) return undefined;
    if (this.#clock.now() < timeBasedDueAt(exit, this.config)) return undefined;
    return this.#options.overlay.onlineScore(exit.nodeId, { since: exit.initiatedAt });
  }

  #initiated(exit: ExitRecord): ExitInitiateResponse {
    return {
      kind: exit.kind,
      ...(exit.targetBytes === null ? {} : { targetBytes: exit.targetBytes }),
      policy: exit.policy,
      initiatedAt: exit.initiatedAt,
      ...(exit.policy === 'time-based' ? { dueAt: timeBasedDueAt(exit, this.config) } : {}),
    };
  }

  async #healthyPieces(segment: SegmentRecord): Promise<number> {
    const nodes = await this.#options.overlay.getMany(segment.pieces.map((p) => p.nodeId));
    const active = new Set(nodes.filter((n) => n.status === 'active').map((n) => toHex(n.id)));
    return segment.pieces.filter((p) => active.has(toHex(p.nodeId))).length;
  }
}
