/**
 * The coordinator's machine while transferring: the sliding window of pieces in flight — fetch,
 * prepare, send, verify the proof, swap or drop — and what a failed or timed-out transfer does
 * to its piece.
 */
import { equalBytes, fromHex, toHex } from '../core/bytes.js';
import { derivePieceId } from '../orders/piece-id.js';
import type { CoordinatorEffect, CoordinatorEvent, CoordinatorSession, CoordinatorStep, InFlight } from './coordinator.js';
import { fail } from './coordinator-finishing.js';
import type { NodeExitMessage } from './messages.js';
import { verifyTransferProof } from './proof.js';
import type { ExitConfig, ExitQueueItem, TransferError } from './types.js';

/** How long the node has to answer a transfer of `pieceSize` bytes. */
export function receiveTimeoutMs(config: ExitConfig, pieceSize: number): number {
  return Math.max(config.receiveTimeoutFloorMs, Math.ceil((pieceSize / config.minTransferBytesPerSecond) * 1000));
}

export function transfer(session: CoordinatorSession, event: Exclude<CoordinatorEvent, { type: 'opened' | 'drained' | 'ended' }>): CoordinatorStep {
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

/**
 * Asks for more work when at least half the window is free and no fetch is running: one queue
 * read then fills several slots instead of one read per finished piece. A slow piece holds one
 * slot, never the others, so it still cannot stall the node.
 */
export function refillEffects(session: CoordinatorSession): CoordinatorStep {
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

function without(set: ReadonlySet<string>, key: string): Set<string> {
  const next = new Set(set);
  next.delete(key);
  return next;
}
