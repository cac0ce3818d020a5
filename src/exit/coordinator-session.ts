/**
 * The runner of one `GracefulExit.Process` stream on the satellite: feeds events to the pure
 * {@link transition} one at a time and executes the effects it returns, in order, against the
 * injected ports. Every state change is persisted before the node hears of it (invariant 6).
 */
import { toHex } from '../core/bytes.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { HandoffError, InternalError } from '../core/errors.js';
import { derivePieceId } from '../orders/piece-id.js';
import { sharedPieceExpiration, signPieceLimit } from '../orders/piece-limit.js';
import { generatePieceKey } from '../orders/piece-key.js';
import type { ServerStream } from '../rpc/context.js';
import { transition, type CoordinatorEffect, type CoordinatorEvent, type CoordinatorSession } from './coordinator.js';
import type { CoordinatorPorts } from './coordinator-ports.js';
import { EventQueue } from './event-queue.js';
import type { NodeExitMessage, SatelliteExitMessage } from './messages.js';
import { dropPiece, referencingSegments, swapPiece } from './piece-swap.js';
import type { FinishedItem } from './queue-store.js';
import type { ExitQueueItem } from './types.js';
import type { SegmentRecord } from '../metainfo/metabase/types.js';

export class CoordinatorSessionRunner {
  #session: CoordinatorSession;
  readonly #events = new EventQueue<CoordinatorEvent>((event) => this.#step(event));
  readonly #timers = new Map<string, TimerHandle>();
  #unpark: TimerHandle | undefined;
  /** The segments each piece in flight was sent with, by piece id (hex): its swap's first expected lists. */
  readonly #sentWith = new Map<string, SegmentRecord[]>();
  #finish!: (error: unknown) => void;
  /** Resolves when the stream should end: with undefined, or the error to end it with. */
  readonly done: Promise<unknown>;
  #ended = false;

  constructor(
    session: CoordinatorSession,
    private readonly ports: CoordinatorPorts,
    private readonly stream: ServerStream<NodeExitMessage, SatelliteExitMessage>,
  ) {
    this.#session = session;
    this.done = new Promise((resolve) => (this.#finish = resolve));
  }

  get session(): CoordinatorSession {
    return this.#session;
  }

  get #clock(): Clock {
    return this.ports.clock;
  }

  dispatch(event: CoordinatorEvent): void {
    this.#events.dispatch(event);
  }

  async #step(event: CoordinatorEvent): Promise<void> {
    try {
      const step = transition(this.#session, event);
      this.#session = step.session;
      for (const effect of step.effects) await this.#run(effect);
    } catch (err) {
      // A store or metabase failure: end the stream; the node reconnects and nothing is lost
      // (in-flight items are still queued).
      this.ports.onError?.(err, 'graceful exit');
      this.#events.clear();
      this.#session = transition(this.#session, { type: 'ended', now: this.#clock.now() }).session;
      this.#clearTimers();
      this.#end(err instanceof HandoffError ? err : new InternalError('graceful exit failed on the satellite; try again later', { cause: err }));
    }
  }

  #end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#finish(error);
  }

  /** The stream is gone: stop timers, forget in-flight work (it stays queued). */
  close(): void {
    this.dispatch({ type: 'ended', now: this.#clock.now() });
    this.#clearTimers();
    this.#end();
  }

  #clearTimers(): void {
    for (const timer of this.#timers.values()) this.#clock.clearTimeout(timer);
    this.#timers.clear();
    if (this.#unpark !== undefined) this.#clock.clearTimeout(this.#unpark);
    this.#unpark = undefined;
  }

  async #run(effect: CoordinatorEffect): Promise<void> {
    const { store, metabase, overlay } = this.ports;
    const nodeId = this.#session.nodeId;
    const now = this.#clock.now();
    switch (effect.type) {
      case 'refuse':
        this.#end(effect.error);
        return;
      case 'end':
        this.#end();
        return;
      case 'send':
        if (!this.#ended) await this.stream.send(effect.message);
        return;
      case 'startExit':
        await this.ports.startExit(nodeId, now);
        return;
      case 'fetch': {
        const items = await store.nextItems(nodeId, effect.limit, effect.exclude);
        this.dispatch({ type: 'fetched', now: this.#clock.now(), items });
        return;
      }
      case 'prepare':
        await this.#prepare(effect.item, effect.excluded);
        return;
      case 'drop': {
        const item = effect.item;
        const result = await dropPiece(metabase, { rootPieceId: item.rootPieceId, pieceNumber: item.pieceNumber, exitingNodeId: nodeId, healthy: (s) => this.ports.healthyPieces(s) });
        this.dispatch({ type: 'dropped', now: this.#clock.now(), item, result });
        return;
      }
      case 'armTimer': {
        const key = toHex(effect.pieceId);
        const pieceId = effect.pieceId;
        const old = this.#timers.get(key);
        if (old !== undefined) this.#clock.clearTimeout(old);
        this.#timers.set(key, this.#clock.setTimeout(() => {
          this.#timers.delete(key);
          this.dispatch({ type: 'timedOut', now: this.#clock.now(), pieceId });
        }, Math.max(0, effect.at - now)));
        return;
      }
      case 'disarmTimer': {
        const key = toHex(effect.pieceId);
        const timer = this.#timers.get(key);
        if (timer !== undefined) this.#clock.clearTimeout(timer);
        this.#timers.delete(key);
        return;
      }
      case 'scheduleUnpark':
        if (this.#unpark !== undefined) this.#clock.clearTimeout(this.#unpark);
        this.#unpark = this.#clock.setTimeout(() => {
          this.#unpark = undefined;
          this.dispatch({ type: 'unparked', now: this.#clock.now() });
        }, Math.max(0, effect.at - now));
        return;
      case 'recordFailure':
        await store.recordFailure(nodeId, effect.pieceId, { code: effect.code, at: now, counts: effect.counts });
        return;
      case 'finishItem':
        this.#sentWith.delete(toHex(effect.pieceId));
        await store.finishItem(nodeId, effect.pieceId, await this.#unlessUnreferenced(effect.pieceId, effect.result), now);
        return;
      case 'swap': {
        const { item, replacementNodeId } = effect;
        const key = toHex(item.pieceId);
        const lastRead = this.#sentWith.get(key);
        this.#sentWith.delete(key);
        const result = await swapPiece(metabase, { rootPieceId: item.rootPieceId, pieceNumber: item.pieceNumber, exitingNodeId: nodeId, replacementNodeId, lastRead });
        this.dispatch({ type: 'swapped', now: this.#clock.now(), pieceId: item.pieceId, result });
        return;
      }
      case 'deleteReplacement':
        this.ports.deletePiece(effect.nodeId, effect.pieceId);
        return;
      case 'touch':
        await store.touch(nodeId, now);
        return;
      case 'checkDrained': {
        const exit = await store.getExit(nodeId);
        if (exit === undefined) throw new InternalError('exit record vanished while transferring');
        this.dispatch({ type: 'drained', now: this.#clock.now(), exit });
        return;
      }
      case 'finishExit': {
        const message = await this.ports.finishExit(nodeId, { outcome: effect.outcome, reason: effect.reason, detail: effect.detail, at: now });
        this.#clearTimers();
        if (!this.#ended) await this.stream.send(message);
        this.#end();
        return;
      }
      case 'resendFinal': {
        const message = await this.ports.finalMessage(effect.exit);
        await this.stream.send(message);
        this.#end();
        return;
      }
    }
  }

  /**
   * A piece that failed for good counts against the node only if a segment still needs it: one
   * deleted, re-uploaded or repaired meanwhile (whose piece the node may rightly no longer hold,
   * and report `NOT_FOUND`) is dropped without penalty instead.
   */
  async #unlessUnreferenced(pieceId: Uint8Array, result: FinishedItem): Promise<FinishedItem> {
    if (result.kind !== 'failed') return result;
    const nodeId = this.#session.nodeId;
    const item = await this.ports.store.getItem(nodeId, pieceId);
    if (item === undefined) return result;
    const segments = await referencingSegments(this.ports.metabase, item.rootPieceId, nodeId, item.pieceNumber);
    return segments.length === 0 ? { kind: 'dropped' } : result;
  }

  /** Picks a replacement node, signs its `PUT_GRACEFUL_EXIT` limit and records the send. */
  async #prepare(item: ExitQueueItem, tried: readonly Uint8Array[]): Promise<void> {
    const { store, metabase, overlay, identity, config } = this.ports;
    const nodeId = this.#session.nodeId;
    const now = this.#clock.now();
    const segments = await referencingSegments(metabase, item.rootPieceId, nodeId, item.pieceNumber);
    if (segments.length === 0) {
      // Deleted or repaired before it could move: nothing to transfer, and the node may delete it.
      this.dispatch({ type: 'dropped', now, item, result: 'dropped' });
      return;
    }
    const excluded = [nodeId, ...tried, ...segments.flatMap((s) => s.pieces.map((p) => p.nodeId))];
    const [replacement] = await overlay.selectForUpload({ count: 1, excluded, minFreeBytes: item.pieceSize, onlineWindowMs: this.ports.onlineWindowMs, now });
    if (replacement === undefined) {
      this.dispatch({ type: 'noReplacement', now, item });
      return;
    }
    const pieceKey = generatePieceKey();
    const limit = signPieceLimit(identity, {
      action: 'PUT_GRACEFUL_EXIT',
      nodeId: replacement.id,
      pieceId: derivePieceId(item.rootPieceId, replacement.id, item.pieceNumber),
      limitBytes: item.pieceSize,
      piecePublicKey: pieceKey.publicKey,
      pieceExpiration: sharedPieceExpiration(segments.map((s) => s.expiresAt)),
    }, now, config.orderTtlMs);
    const sent = await store.recordSend(nodeId, item.pieceId, replacement.id);
    if (sent !== undefined) this.#sentWith.set(toHex(item.pieceId), segments);
    if (sent === undefined) {
      this.dispatch({ type: 'dropped', now, item, result: 'dropped' });
      return;
    }
    this.dispatch({
      type: 'prepared',
      now: this.#clock.now(),
      item: sent,
      replacementNodeId: replacement.id,
      message: { type: 'transferPiece', originalPieceId: item.pieceId, piecePrivateKey: pieceKey.privateKey, limit, address: replacement.address },
    });
  }
}
