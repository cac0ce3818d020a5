/**
 * The satellite's side of one `GracefulExit.Process` stream as a pure machine:
 * `transition(session, event) → { session, effects }`. The runner (`ExitCoordinator`) does the
 * I/O each effect names — store, metabase, overlay, the stream, timers — and feeds results back
 * as events, one at a time. No clock, store or network here: every rule is testable on plain data.
 *
 * ```text
 * opened ──► refuse | notReady+end | resend final receipt+end | transferring
 * transferring: keep up to `transferWindow` pieces in flight (a sliding window, refilled once half of it is free)
 *   fetch ─► prepare (replacement + limit) ─► send TransferPiece ─► TransferSucceeded ─► verify ─► swap ─► DeletePiece
 *                                                              └─► TransferFailed / timeout ─► retry or fail the piece
 *   queue empty ─► completed, or failed when too many pieces failed
 * any broken proof ─► failed (VERIFICATION_FAILED) at once
 * a time-based exit: notReady until its period is over, then completed or failed by its online score
 * ```
 */
import { equalBytes, fromHex, toHex } from '../core/bytes.js';
import { FailedPreconditionError, PermissionDeniedError, type HandoffError } from '../core/errors.js';
import type { NodeRecord } from '../overlay/types.js';
import { derivePieceId } from '../orders/piece-id.js';
import type { NodeExitMessage, SatelliteExitMessage } from './messages.js';
import { verifyTransferProof, type SatelliteSigner } from './proof.js';
import { days, tooYoungToExit } from './requests.js';
import type { FinishedItem } from './queue-store.js';
import { judgeTimeBased } from './time-based.js';
import type { ExitConfig, ExitFailureReason, ExitOutcome, ExitQueueItem, ExitRecord, TransferError } from './types.js';

/** A transfer the node was told to make and has not answered yet. */
export interface InFlight {
  readonly item: ExitQueueItem;
  readonly replacementNodeId: Uint8Array;
  /** When it counts as failed if still unanswered. */
  readonly deadline: number;
  /** Its proof verified; the swap is being recorded (timeouts no longer apply). */
  readonly swapping: boolean;
}

/** Where a coordinator session is. */
export type SessionPhase = 'opening' | 'transferring' | 'finishing' | 'closed';

/** One exiting node's `GracefulExit.Process` session, as the coordinator's machine sees it. */
export interface CoordinatorSession {
  readonly satelliteId: Uint8Array;
  /**
   * The satellite's own signer, when the session has it: its limits in a proof are then checked by
   * signing them again (a third of a verification's cost; see `verifyTransferProof`).
   */
  readonly satellite?: SatelliteSigner | undefined;
  readonly nodeId: Uint8Array;
  readonly config: ExitConfig;
  readonly phase: SessionPhase;
  /** By piece id (hex). */
  readonly inflight: ReadonlyMap<string, InFlight>;
  /** Fetched items waiting for a replacement node or a drop decision, by piece id (hex). */
  readonly preparing: ReadonlySet<string>;
  /** Items no replacement node could be found for; skipped until the next unpark. */
  readonly parked: ReadonlySet<string>;
  readonly fetching: boolean;
  /**
   * The running fetch skipped pieces (in flight, preparing, parked). If one of them went back to
   * the queue meanwhile, an empty answer does not mean the queue is empty: fetch again first.
   */
  readonly fetchExcluded: boolean;
}

/** What happens to a coordinator session: a node message, a store answer, a timeout. */
export type CoordinatorEvent =
  /**
   * The stream opened: the node as the overlay knows it and its exit record, if any; for an
   * unfinished time-based exit, the node's online score since it began.
   */
  | { readonly type: 'opened'; readonly now: number; readonly node: NodeRecord | undefined; readonly exit: ExitRecord | undefined; readonly onlineScore?: number }
  | { readonly type: 'fetched'; readonly now: number; readonly items: readonly ExitQueueItem[] }
  /** A replacement was chosen and a limit signed (the send is recorded): `message` is the TransferPiece. */
  | { readonly type: 'prepared'; readonly now: number; readonly item: ExitQueueItem; readonly replacementNodeId: Uint8Array; readonly message: SatelliteExitMessage }
  | { readonly type: 'noReplacement'; readonly now: number; readonly item: ExitQueueItem }
  | { readonly type: 'received'; readonly now: number; readonly message: NodeExitMessage }
  /**
   * The swap was tried: `swapped` — every segment that referenced the piece now names the
   * replacement; `gone` — no segment references the exiting node's piece any more (deleted,
   * re-uploaded or repaired meanwhile); `retry` — a segment still needs the piece but cannot
   * take this replacement (it already holds a piece of it).
   */
  | { readonly type: 'swapped'; readonly now: number; readonly pieceId: Uint8Array; readonly result: 'swapped' | 'gone' | 'retry' }
  /** A drop was tried: `dropped` — removed from every segment; `keep` — a segment now needs it: transfer instead. */
  | { readonly type: 'dropped'; readonly now: number; readonly item: ExitQueueItem; readonly result: 'dropped' | 'keep' }
  | { readonly type: 'timedOut'; readonly now: number; readonly pieceId: Uint8Array }
  | { readonly type: 'unparked'; readonly now: number }
  /** The queue is empty; the exit record with its final counters. */
  | { readonly type: 'drained'; readonly now: number; readonly exit: ExitRecord }
  /** The stream ended (the node went away, or the server is closing). */
  | { readonly type: 'ended'; readonly now: number };

/** What the coordinator's machine asks its runner to do: send, persist, verify, close. */
export type CoordinatorEffect =
  /** End the stream with this error (the node is not allowed to exit, or not now). */
  | { readonly type: 'refuse'; readonly error: HandoffError }
  /** Record the exit's start, mark the node exiting, start gathering. */
  | { readonly type: 'startExit' }
  | { readonly type: 'send'; readonly message: SatelliteExitMessage }
  /** End the stream normally. */
  | { readonly type: 'end' }
  | { readonly type: 'fetch'; readonly limit: number; readonly exclude: readonly Uint8Array[] }
  /** Choose a replacement node (never one in `excluded` nor in the segment, nor an exiting one), sign the limit, record the send. */
  | { readonly type: 'prepare'; readonly item: ExitQueueItem; readonly excluded: readonly Uint8Array[] }
  /** Remove the exiting node's piece from its segments if they stay at or above their success threshold. */
  | { readonly type: 'drop'; readonly item: ExitQueueItem }
  | { readonly type: 'armTimer'; readonly pieceId: Uint8Array; readonly at: number }
  | { readonly type: 'disarmTimer'; readonly pieceId: Uint8Array }
  | { readonly type: 'scheduleUnpark'; readonly at: number }
  | { readonly type: 'recordFailure'; readonly pieceId: Uint8Array; readonly code: TransferError; readonly counts: boolean }
  | { readonly type: 'finishItem'; readonly pieceId: Uint8Array; readonly result: FinishedItem }
  /** Compare-and-swap every segment referencing the piece from the exiting node to the replacement. */
  | { readonly type: 'swap'; readonly item: ExitQueueItem; readonly replacementNodeId: Uint8Array }
  /** Ask the replacement node to delete a piece no segment will reference (signed DELETE). */
  | { readonly type: 'deleteReplacement'; readonly nodeId: Uint8Array; readonly pieceId: Uint8Array }
  | { readonly type: 'touch' }
  /** Load the exit record to decide the outcome (the queue is empty). */
  | { readonly type: 'checkDrained' }
  /** Mark the node exited (or disqualified), sign and persist the receipt, then send it and end. */
  | { readonly type: 'finishExit'; readonly outcome: ExitOutcome; readonly reason: ExitFailureReason | null; readonly detail: string | null }
  /** Send the stored final message again and end. */
  | { readonly type: 'resendFinal'; readonly exit: ExitRecord };

/** One step of the coordinator's machine: the next session and the effects to run. */
export interface CoordinatorStep {
  readonly session: CoordinatorSession;
  readonly effects: readonly CoordinatorEffect[];
}

/** A fresh session for the authenticated node `nodeId`; `satellite` is this satellite's signer (optional: it only makes proofs cheaper to check). */
export function openSession(satelliteId: Uint8Array, nodeId: Uint8Array, config: ExitConfig, satellite?: SatelliteSigner): CoordinatorSession {
  return { satelliteId, satellite, nodeId, config, phase: 'opening', inflight: new Map(), preparing: new Set(), parked: new Set(), fetching: false, fetchExcluded: false };
}

/** How long the node has to answer a transfer of `pieceSize` bytes. */
export function receiveTimeoutMs(config: ExitConfig, pieceSize: number): number {
  return Math.max(config.receiveTimeoutFloorMs, Math.ceil((pieceSize / config.minTransferBytesPerSecond) * 1000));
}

/**
 * Decides what `event` does to `session`.
 *
 * @example
 * ```ts
 * let session = openSession(satelliteId, nodeId, DEFAULT_EXIT_CONFIG);
 * const step = transition(session, { type: 'opened', now, node, exit });
 * session = step.session;
 * for (const effect of step.effects) await run(effect); // in order
 * ```
 */
export function transition(session: CoordinatorSession, event: CoordinatorEvent): CoordinatorStep {
  if (session.phase === 'closed') return { session, effects: [] };
  if (event.type === 'ended') return { session: { ...session, phase: 'closed' }, effects: disarmAll(session) };
  if (session.phase === 'finishing') return { session, effects: [] };
  switch (event.type) {
    case 'opened':
      return open(session, event.now, event.node, event.exit, event.onlineScore);
    case 'drained':
      return drained(session, event.exit);
    default:
      if (session.phase !== 'transferring') return { session, effects: [] };
      return transfer(session, event);
  }
}

function open(session: CoordinatorSession, now: number, node: NodeRecord | undefined, exit: ExitRecord | undefined, onlineScore: number | undefined): CoordinatorStep {
  const refuse = (error: HandoffError): CoordinatorStep => ({ session: { ...session, phase: 'closed' }, effects: [{ type: 'refuse', error }] });
  if (exit?.finishedAt != null) return { session: { ...session, phase: 'closed' }, effects: [{ type: 'resendFinal', exit }] };
  if (node === undefined) return refuse(new PermissionDeniedError('this node is not known to the satellite: check in first'));
  if (node.status === 'disqualified') {
    if (exit !== undefined) return fail(session, 'DISQUALIFIED', node.disqualifiedReason ?? 'disqualified while exiting');
    return refuse(new PermissionDeniedError(`a disqualified node cannot exit${node.disqualifiedReason ? ` (${node.disqualifiedReason})` : ''}`));
  }
  if (node.status === 'exited') return refuse(new FailedPreconditionError('this node has already exited'));
  if (exit?.policy === 'time-based') return timeBased(session, now, node, exit, onlineScore);
  // A partial exit leaves the node active: only a full one is (re)marked exiting here.
  if (exit === undefined || (node.status === 'active' && exit.kind === 'full')) {
    const young = exit === undefined ? tooYoungToExit(node, now, session.config) : undefined;
    if (young !== undefined) return refuse(young);
    return {
      session: { ...session, phase: 'closed' },
      effects: [{ type: 'startExit' }, { type: 'send', message: { type: 'notReady', retryAfterMs: session.config.notReadyRetryMs } }, { type: 'end' }],
    };
  }
  if (now - exit.lastActivityAt > session.config.inactiveTimeframeMs) {
    return fail(session, 'INACTIVE_TIMEFRAME_EXCEEDED', `no activity for more than ${days(session.config.inactiveTimeframeMs)}`);
  }
  if (exit.gatheredAt === null) {
    return {
      session: { ...session, phase: 'closed' },
      effects: [{ type: 'touch' }, { type: 'send', message: { type: 'notReady', retryAfterMs: session.config.notReadyRetryMs } }, { type: 'end' }],
    };
  }
  const started: CoordinatorSession = { ...session, phase: 'transferring' };
  const refill = refillEffects(started);
  return { session: refill.session, effects: [{ type: 'touch' }, ...refill.effects] };
}

/** A time-based exit: nothing to transfer; wait out its period, then judge the node's online score. */
function timeBased(session: CoordinatorSession, now: number, node: NodeRecord, exit: ExitRecord, onlineScore: number | undefined): CoordinatorStep {
  // Recorded but not yet marked exiting (a crash in between): mark it now.
  const mark: CoordinatorEffect[] = node.status === 'active' ? [{ type: 'startExit' }] : [];
  const judged = judgeTimeBased(exit, now, onlineScore ?? 0, session.config);
  // Never judged without the score (a runner that did not read it): ask again shortly instead.
  const verdict = judged.type !== 'wait' && onlineScore === undefined ? { type: 'wait' as const, retryAfterMs: session.config.notReadyRetryMs } : judged;
  if (verdict.type === 'wait') {
    return { session: { ...session, phase: 'closed' }, effects: [...mark, { type: 'touch' }, { type: 'send', message: { type: 'notReady', retryAfterMs: verdict.retryAfterMs } }, { type: 'end' }] };
  }
  if (verdict.type === 'completed') {
    return { session: { ...session, phase: 'finishing' }, effects: [...mark, { type: 'finishExit', outcome: 'completed', reason: null, detail: null }] };
  }
  const failed = fail(session, verdict.reason, verdict.detail);
  return { session: failed.session, effects: [...mark, ...failed.effects] };
}

function transfer(session: CoordinatorSession, event: Exclude<CoordinatorEvent, { type: 'opened' | 'drained' | 'ended' }>): CoordinatorStep {
  switch (event.type) {
    case 'fetched':
      return fetched(session, event.items);
    case 'prepared': {
      const key = toHex(event.item.pieceId);
      const preparing = without(session.preparing, key);
      const deadline = event.now + receiveTimeoutMs(session.config, event.item.pieceSize);
      const inflight = new Map(session.inflight).set(key, { item: event.item, replacementNodeId: event.replacementNodeId, deadline, swapping: false });
      return {
        session: { ...session, preparing, inflight },
        effects: [{ type: 'send', message: event.message }, { type: 'armTimer', pieceId: event.item.pieceId, at: deadline }],
      };
    }
    case 'noReplacement': {
      const key = toHex(event.item.pieceId);
      const first = session.parked.size === 0;
      const next = { ...session, preparing: without(session.preparing, key), parked: new Set(session.parked).add(key) };
      const refill = refillEffects(next);
      const unpark: CoordinatorEffect[] = first ? [{ type: 'scheduleUnpark', at: event.now + session.config.notReadyRetryMs }] : [];
      return { session: refill.session, effects: [...unpark, ...refill.effects] };
    }
    case 'unparked':
      return refillEffects({ ...session, parked: new Set() });
    case 'received':
      return event.message.type === 'transferSucceeded' ? succeeded(session, event.message) : failed(session, event.message.originalPieceId, event.message.error);
    case 'timedOut': {
      const flight = session.inflight.get(toHex(event.pieceId));
      if (flight === undefined || flight.swapping) return { session, effects: [] };
      return failed(session, event.pieceId, 'UNKNOWN');
    }
    case 'swapped':
      return swapped(session, event.pieceId, event.result);
    case 'dropped': {
      const key = toHex(event.item.pieceId);
      if (event.result === 'keep') {
        return { session, effects: [{ type: 'prepare', item: { ...event.item, drop: false }, excluded: event.item.triedNodes }] };
      }
      const next = { ...session, preparing: without(session.preparing, key) };
      const refill = refillEffects(next);
      return {
        session: refill.session,
        effects: [
          { type: 'finishItem', pieceId: event.item.pieceId, result: { kind: 'dropped' } },
          { type: 'send', message: { type: 'deletePiece', originalPieceId: event.item.pieceId } },
          ...refill.effects,
        ],
      };
    }
  }
}

function fetched(session: CoordinatorSession, items: readonly ExitQueueItem[]): CoordinatorStep {
  let next: CoordinatorSession = { ...session, fetching: false };
  const effects: CoordinatorEffect[] = [];
  const preparing = new Set(next.preparing);
  for (const item of items) {
    const key = toHex(item.pieceId);
    if (preparing.has(key) || next.inflight.has(key) || next.parked.has(key)) continue;
    if (!item.drop && item.sendCount >= next.config.maxOrderLimitSendCount) {
      effects.push({ type: 'finishItem', pieceId: item.pieceId, result: { kind: 'failed' } });
      continue;
    }
    preparing.add(key);
    effects.push(item.drop ? { type: 'drop', item } : { type: 'prepare', item, excluded: item.triedNodes });
  }
  next = { ...next, preparing };
  if (items.length === 0) {
    const idle = next.inflight.size === 0 && next.preparing.size === 0 && next.parked.size === 0;
    if (!idle) return { session: next, effects: [] };
    // Only a fetch that skipped nothing proves the queue empty.
    return session.fetchExcluded ? refillEffects(next) : { session: next, effects: [{ type: 'checkDrained' }] };
  }
  const refill = refillEffects(next);
  return { session: refill.session, effects: [...effects, ...refill.effects] };
}

function succeeded(session: CoordinatorSession, message: Extract<NodeExitMessage, { type: 'transferSucceeded' }>): CoordinatorStep {
  const key = toHex(message.originalPieceId);
  const flight = session.inflight.get(key);
  // Not in flight: a late answer to a timed-out or superseded limit, or a replay. It counts for nothing.
  if (flight === undefined || flight.swapping) return { session, effects: [] };
  // A late answer to an earlier limit for this piece (it timed out and went elsewhere): not a forgery, and not this transfer.
  if (answersEarlierLimit(flight, message)) return { session, effects: [] };
  const check = verifyTransferProof(
    { satelliteId: session.satelliteId, satellite: session.satellite, exitingNodeId: session.nodeId, rootPieceId: flight.item.rootPieceId, pieceNumber: flight.item.pieceNumber, replacementNodeId: flight.replacementNodeId },
    message,
  );
  if (!check.ok) return fail(session, 'VERIFICATION_FAILED', check.detail);
  const inflight = new Map(session.inflight).set(key, { ...flight, swapping: true });
  return {
    session: { ...session, inflight },
    // No touch here: the swap's finishItem records the node's activity (a 'retry' touches instead).
    effects: [{ type: 'disarmTimer', pieceId: flight.item.pieceId }, { type: 'swap', item: flight.item, replacementNodeId: flight.replacementNodeId }],
  };
}

function swapped(session: CoordinatorSession, pieceId: Uint8Array, result: 'swapped' | 'gone' | 'retry'): CoordinatorStep {
  const key = toHex(pieceId);
  const flight = session.inflight.get(key);
  if (flight === undefined) return { session, effects: [] };
  const inflight = new Map(session.inflight);
  inflight.delete(key);
  const refill = refillEffects({ ...session, inflight });
  const deleteOriginal: CoordinatorEffect = { type: 'send', message: { type: 'deletePiece', originalPieceId: pieceId } };
  if (result === 'swapped') {
    const finish: CoordinatorEffect = { type: 'finishItem', pieceId, result: { kind: 'transferred', bytes: flight.item.pieceSize } };
    return { session: refill.session, effects: [finish, deleteOriginal, ...refill.effects] };
  }
  // The replacement's copy is of no use: derived (an HMAC) only now, not for every swap that worked.
  const replacementPieceId = derivePieceId(flight.item.rootPieceId, flight.replacementNodeId, flight.item.pieceNumber);
  const unused: CoordinatorEffect = { type: 'deleteReplacement', nodeId: flight.replacementNodeId, pieceId: replacementPieceId };
  const head: CoordinatorEffect[] =
    result === 'gone'
      ? [{ type: 'finishItem', pieceId, result: { kind: 'dropped' } }, unused, deleteOriginal]
      : [unused, { type: 'touch' }, { type: 'recordFailure', pieceId, code: 'UNKNOWN', counts: false }];
  return { session: refill.session, effects: [...head, ...refill.effects] };
}

function failed(session: CoordinatorSession, pieceId: Uint8Array, code: TransferError): CoordinatorStep {
  const key = toHex(pieceId);
  const flight = session.inflight.get(key);
  if (flight === undefined || flight.swapping) return { session, effects: [] };
  const inflight = new Map(session.inflight);
  inflight.delete(key);
  const refill = refillEffects({ ...session, inflight });
  const { config } = session;
  const item = flight.item;
  let outcome: CoordinatorEffect;
  if (code === 'NOT_FOUND') {
    // The node lost the piece (or it rotted): nothing to retry; it counts as failed data.
    outcome = { type: 'finishItem', pieceId, result: { kind: 'failed' } };
  } else if (code === 'STORAGE_NODE_UNAVAILABLE') {
    // Not the exiting node's fault, but bounded: a node claiming it forever runs out of limits.
    outcome = item.sendCount >= config.maxOrderLimitSendCount
      ? { type: 'finishItem', pieceId, result: { kind: 'failed' } }
      : { type: 'recordFailure', pieceId, code, counts: false };
  } else {
    outcome = item.failedCount + 1 >= config.maxFailuresPerPiece || item.sendCount >= config.maxOrderLimitSendCount
      ? { type: 'finishItem', pieceId, result: { kind: 'failed' } }
      : { type: 'recordFailure', pieceId, code, counts: true };
  }
  // finishItem records the node's activity itself; only a recorded failure needs a touch.
  const touch: CoordinatorEffect[] = outcome.type === 'finishItem' ? [] : [{ type: 'touch' }];
  return { session: refill.session, effects: [{ type: 'disarmTimer', pieceId }, ...touch, outcome, ...refill.effects] };
}

function drained(session: CoordinatorSession, exit: ExitRecord): CoordinatorStep {
  if (session.phase !== 'transferring') return { session, effects: [] };
  const attempted = exit.piecesTransferred + exit.piecesFailed;
  const ratio = attempted === 0 ? 0 : exit.piecesFailed / attempted;
  if (ratio > session.config.overallMaxFailuresRatio) {
    return fail(session, 'OVERALL_FAILURE_PERCENTAGE_EXCEEDED', `${exit.piecesFailed} of ${attempted} pieces failed (${(ratio * 100).toFixed(1)}%, at most ${(session.config.overallMaxFailuresRatio * 100).toFixed(1)}% allowed)`);
  }
  return { session: { ...session, phase: 'finishing' }, effects: [{ type: 'finishExit', outcome: 'completed', reason: null, detail: null }] };
}

function fail(session: CoordinatorSession, reason: ExitFailureReason, detail: string): CoordinatorStep {
  return { session: { ...session, phase: 'finishing' }, effects: [...disarmAll(session), { type: 'finishExit', outcome: 'failed', reason, detail }] };
}

/**
 * Asks for more work when at least half the window is free and no fetch is running: one queue
 * read then fills several slots instead of one read per finished piece. A slow piece holds one
 * slot, never the others, so it still cannot stall the node.
 */
function refillEffects(session: CoordinatorSession): CoordinatorStep {
  if (session.phase !== 'transferring' || session.fetching) return { session, effects: [] };
  const busy = session.inflight.size + session.preparing.size;
  const room = session.config.transferWindow - busy;
  if (room <= 0 || room < Math.ceil(session.config.transferWindow / 2)) return { session, effects: [] };
  const exclude = [...session.inflight.values()].map((f) => f.item.pieceId);
  for (const key of [...session.preparing, ...session.parked]) exclude.push(fromHex(key));
  return { session: { ...session, fetching: true, fetchExcluded: exclude.length > 0 }, effects: [{ type: 'fetch', limit: room, exclude }] };
}

/** True when the proof's receiver is a replacement this piece was sent to before the current one. */
function answersEarlierLimit(flight: InFlight, message: Extract<NodeExitMessage, { type: 'transferSucceeded' }>): boolean {
  const { rootPieceId, pieceNumber, triedNodes } = flight.item;
  const receiverPieceId = message.replacementPieceHash.pieceId;
  return triedNodes.some((node) => !equalBytes(node, flight.replacementNodeId) && equalBytes(derivePieceId(rootPieceId, node, pieceNumber), receiverPieceId));
}

function disarmAll(session: CoordinatorSession): CoordinatorEffect[] {
  return [...session.inflight.values()].filter((f) => !f.swapping).map((f) => ({ type: 'disarmTimer', pieceId: f.item.pieceId }) as const);
}

function without(set: ReadonlySet<string>, key: string): Set<string> {
  const next = new Set(set);
  next.delete(key);
  return next;
}
