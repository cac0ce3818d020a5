import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import { Identity } from '../../src/crypto/identity.js';
import {
  openSession,
  receiveTimeoutMs,
  transition,
  type CoordinatorEffect,
  type CoordinatorEvent,
  type CoordinatorSession,
} from '../../src/exit/coordinator.js';
import type { NodeExitMessage, SatelliteExitMessage } from '../../src/exit/messages.js';
import { signPieceHash } from '../../src/orders/piece-hash.js';
import { DEFAULT_EXIT_CONFIG, TRANSFER_ERRORS, type ExitConfig, type ExitQueueItem, type ExitRecord, type TransferError } from '../../src/exit/types.js';
import { derivePieceId } from '../../src/orders/piece-id.js';
import { generatePieceKey } from '../../src/orders/piece-key.js';
import type { NodeRecord } from '../../src/overlay/types.js';
import { buildChain, bytes, originalLimit } from './proof-chain.js';
import { DAY, NOW, exitRecord as exitRecordOf, nodeRecord } from './records.js';

const satellite = Identity.generate();
const exiting = Identity.generate();
const replacements = Array.from({ length: 4 }, () => Identity.generate());
const [r1, r2] = replacements as [Identity, Identity];

const CONFIG: ExitConfig = {
  ...DEFAULT_EXIT_CONFIG,
  minNodeAgeMs: 30 * DAY,
  transferWindow: 3,
  maxFailuresPerPiece: 3,
  maxOrderLimitSendCount: 5,
  overallMaxFailuresRatio: 0.1,
  notReadyRetryMs: 30_000,
};

const node = (changes: Partial<NodeRecord> = {}): NodeRecord =>
  nodeRecord(exiting.publicKey, { address: 'exiting.example:7777', status: 'exiting', exitStartedAt: NOW - DAY, ...changes });
const exitRecord = (changes: Partial<ExitRecord> = {}): ExitRecord => exitRecordOf(exiting.publicKey, changes);

/** A queued piece of the exiting node: piece `pieceNumber` of a fresh segment. */
function item(changes: Partial<ExitQueueItem> = {}): ExitQueueItem {
  const rootPieceId = changes.rootPieceId ?? bytes(32);
  const pieceNumber = changes.pieceNumber ?? 3;
  return {
    nodeId: exiting.publicKey,
    pieceId: derivePieceId(rootPieceId, exiting.publicKey, pieceNumber),
    rootPieceId,
    pieceNumber,
    streamId: bytes(16),
    position: { part: 0, index: 0 },
    pieceSize: 2_304,
    durability: 0.5,
    drop: false,
    queuedAt: NOW - DAY,
    failedCount: 0,
    sendCount: 0,
    lastFailedAt: null,
    lastFailedCode: null,
    triedNodes: [],
    ...changes,
  };
}

/** The TransferPiece the runner would send for `it` to `replacement`. */
function transferPiece(it: ExitQueueItem, replacement: Identity): SatelliteExitMessage {
  const pieceKey = generatePieceKey();
  const limit = originalLimit(
    { satellite, exiting: replacement, originalPieceId: derivePieceId(it.rootPieceId, replacement.publicKey, it.pieceNumber), pieceKey, pieceSize: it.pieceSize },
    { action: 'PUT_GRACEFUL_EXIT' },
  );
  return { type: 'transferPiece', originalPieceId: it.pieceId, piecePrivateKey: pieceKey.privateKey, limit, address: 'replacement.example:7777' };
}

/** A true TransferSucceeded for `it` handed to `replacement`: every link signed by its rightful key. */
function proof(it: ExitQueueItem, replacement: Identity): Extract<NodeExitMessage, { type: 'transferSucceeded' }> {
  return buildChain({ satellite, exiting, replacement, rootPieceId: it.rootPieceId, pieceNumber: it.pieceNumber, pieceSize: it.pieceSize }).message;
}

const failure = (it: ExitQueueItem, error: TransferError): NodeExitMessage => ({ type: 'transferFailed', originalPieceId: it.pieceId, error });

/** A session and every effect so far; `send` feeds one event. */
class Story {
  session: CoordinatorSession;
  effects: CoordinatorEffect[] = [];
  now = NOW;

  constructor(config: ExitConfig = CONFIG) {
    this.session = openSession(satellite.publicKey, exiting.publicKey, config);
  }

  /** Feeds `event` (stamped with the story's clock) and returns its effects. */
  on(event: DistributiveOmit<CoordinatorEvent, 'now'>): CoordinatorEffect[] {
    const step = transition(this.session, { ...event, now: this.now } as CoordinatorEvent);
    this.session = step.session;
    this.effects.push(...step.effects);
    return [...step.effects];
  }

  /** Opens a stream for a node whose exit was gathered: the session is transferring and asked for work. */
  static transferring(config: ExitConfig = CONFIG): Story {
    const story = new Story(config);
    story.on({ type: 'opened', node: node(), exit: exitRecord() });
    return story;
  }

  /**
   * Fetches `items`, prepares each with the given replacement and sends it. A follow-up fetch for
   * the rest of the window finds the queue empty, unless `queue` is `'still reading'`.
   */
  sent(pairs: readonly (readonly [ExitQueueItem, Identity])[], queue: 'empty' | 'still reading' = 'empty'): void {
    this.on({ type: 'fetched', items: pairs.map(([it]) => it) });
    for (const [it, replacement] of pairs) this.on({ type: 'prepared', item: it, replacementNodeId: replacement.publicKey, message: transferPiece(it, replacement) });
    if (queue === 'empty' && this.session.fetching) this.on({ type: 'fetched', items: [] });
  }

  busy(): number {
    return this.session.inflight.size + this.session.preparing.size;
  }
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

const fetchEffect = (limit: number, exclude: readonly ExitQueueItem[] = []) => ({ type: 'fetch', limit, exclude: exclude.map((i) => i.pieceId) });
const finishExit = (reason: string, detail: unknown = expect.any(String)) => ({ type: 'finishExit', outcome: 'failed', reason, detail });
const sorted = (ids: readonly Uint8Array[]) => ids.map(toHex).sort();

describe('the exit coordinator: a stream opens', () => {
  const open = (n: NodeRecord | undefined, exit: ExitRecord | undefined) => {
    const story = new Story();
    return { effects: story.on({ type: 'opened', node: n, exit }), session: story.session };
  };

  it('refuses a node the satellite does not know (it must check in first)', () => {
    const { effects, session } = open(undefined, undefined);
    expect(effects).toEqual([{ type: 'refuse', error: expect.objectContaining({ name: 'PermissionDeniedError', message: expect.stringMatching(/not known/) }) }]);
    expect(session.phase).toBe('closed');
  });

  it('refuses a disqualified node that never started an exit, naming why it was disqualified', () => {
    const { effects } = open(node({ status: 'disqualified', disqualifiedReason: 'failed audits' }), undefined);
    expect(effects).toEqual([{ type: 'refuse', error: expect.objectContaining({ name: 'PermissionDeniedError', message: expect.stringMatching(/disqualified node cannot exit \(failed audits\)/) }) }]);
  });

  it('refuses a node that has already exited', () => {
    const { effects } = open(node({ status: 'exited' }), undefined);
    expect(effects).toEqual([{ type: 'refuse', error: expect.objectContaining({ name: 'FailedPreconditionError', message: expect.stringMatching(/already exited/) }) }]);
  });

  it('refuses a node younger than the minimum age, naming the rule', () => {
    const { effects } = open(node({ status: 'active', joinedAt: NOW - 10 * DAY }), undefined);
    expect(effects).toEqual([{ type: 'refuse', error: expect.objectContaining({ name: 'FailedPreconditionError', message: 'a node may exit once it is 30 days old; this one joined 10 days ago' }) }]);
  });

  it('starts the exit of an eligible node and tells it to come back once its pieces are gathered', () => {
    const { effects, session } = open(node({ status: 'active', joinedAt: NOW - 30 * DAY }), undefined);
    expect(effects).toEqual([{ type: 'startExit' }, { type: 'send', message: { type: 'notReady', retryAfterMs: 30_000 } }, { type: 'end' }]);
    expect(session.phase).toBe('closed');
  });

  it('starts again (idempotently) an exit that was recorded before the node was marked exiting, whatever its age', () => {
    const { effects } = open(node({ status: 'active', joinedAt: NOW - DAY }), exitRecord({ gatheredAt: null }));
    expect(effects).toEqual([{ type: 'startExit' }, { type: 'send', message: { type: 'notReady', retryAfterMs: 30_000 } }, { type: 'end' }]);
  });

  it('says NotReady again while gathering, and counts the call as activity', () => {
    const { effects } = open(node(), exitRecord({ gatheredAt: null }));
    expect(effects).toEqual([{ type: 'touch' }, { type: 'send', message: { type: 'notReady', retryAfterMs: 30_000 } }, { type: 'end' }]);
  });

  it('re-sends the final receipt of a finished exit on every later call, even to a node since disqualified or unknown', () => {
    const finished = exitRecord({ finishedAt: NOW - 5000, outcome: 'failed', failureReason: 'VERIFICATION_FAILED', receipt: bytes(200) });
    for (const n of [node({ status: 'disqualified' }), node({ status: 'exited' }), undefined]) {
      const { effects, session } = open(n, finished);
      expect(effects).toEqual([{ type: 'resendFinal', exit: finished }]);
      expect(session.phase).toBe('closed');
    }
  });

  it('fails an exit the node neglected for longer than the inactivity window', () => {
    const { effects, session } = open(node(), exitRecord({ lastActivityAt: NOW - CONFIG.inactiveTimeframeMs - 1 }));
    expect(effects).toEqual([finishExit('INACTIVE_TIMEFRAME_EXCEEDED', 'no activity for more than 7 days')]);
    expect(session.phase).toBe('finishing');
    // Exactly at the window is still in time.
    expect(open(node(), exitRecord({ lastActivityAt: NOW - CONFIG.inactiveTimeframeMs })).effects[0]).toEqual({ type: 'touch' });
  });

  it('fails the exit of a node disqualified while exiting, keeping the disqualification\'s reason', () => {
    const { effects } = open(node({ status: 'disqualified', disqualifiedReason: 'failed audits' }), exitRecord());
    expect(effects).toEqual([finishExit('DISQUALIFIED', 'failed audits')]);
  });

  it('once gathered, asks for a full window of work', () => {
    const { effects, session } = open(node(), exitRecord());
    expect(effects).toEqual([{ type: 'touch' }, fetchEffect(3)]);
    expect(session.phase).toBe('transferring');
    expect(session.fetching).toBe(true);
  });
});

describe('the exit coordinator: a sliding window of transfers', () => {
  it('prepares every fetched piece (a replacement is chosen away from the nodes already tried) and drops the ones it may', () => {
    const story = Story.transferring();
    const tried = [r1.publicKey];
    const [a, b, c] = [item({ triedNodes: tried }), item(), item({ drop: true })];
    expect(story.on({ type: 'fetched', items: [a, b, c] })).toEqual([
      { type: 'prepare', item: a, excluded: tried },
      { type: 'prepare', item: b, excluded: [] },
      { type: 'drop', item: c },
    ]);
    expect(story.busy()).toBe(3);
  });

  it('asks for exactly the room left when the queue gave fewer pieces than asked for', () => {
    const story = Story.transferring();
    const a = item();
    expect(story.on({ type: 'fetched', items: [a] })).toEqual([{ type: 'prepare', item: a, excluded: [] }, fetchEffect(2, [a])]);
  });

  it('sends a prepared transfer and arms its timeout, scaled to the piece size with a floor', () => {
    const story = Story.transferring();
    const [small, big] = [item({ pieceSize: 2_304 }), item({ pieceSize: 10_000_000 })];
    story.on({ type: 'fetched', items: [small, big] });
    const message = transferPiece(small, r1);
    expect(story.on({ type: 'prepared', item: small, replacementNodeId: r1.publicKey, message })).toEqual([
      { type: 'send', message },
      { type: 'armTimer', pieceId: small.pieceId, at: NOW + CONFIG.receiveTimeoutFloorMs },
    ]);
    story.on({ type: 'prepared', item: big, replacementNodeId: r2.publicKey, message: transferPiece(big, r2) });
    expect(story.effects.at(-1)).toEqual({ type: 'armTimer', pieceId: big.pieceId, at: NOW + 2_000_000 });
    expect(receiveTimeoutMs(CONFIG, 10_000_000)).toBe(2_000_000);
    expect(receiveTimeoutMs(CONFIG, 0)).toBe(CONFIG.receiveTimeoutFloorMs);
    expect(story.session.inflight.get(toHex(small.pieceId))).toEqual({ item: small, replacementNodeId: r1.publicKey, deadline: NOW + CONFIG.receiveTimeoutFloorMs, swapping: false });
  });

  it('refills the window once half of it is free, while the others stay in flight: one slow piece never stalls the node', () => {
    const story = Story.transferring({ ...CONFIG, transferWindow: 4 });
    const [slow, also, quick, quicker] = [item(), item(), item(), item()];
    story.sent([[slow, r1], [also, r2], [quick, r1], [quicker, r2]]);
    expect(story.busy()).toBe(4);

    // One quick piece is proven and swapped: a quarter of the window is free, not worth a queue read yet.
    story.on({ type: 'received', message: proof(quicker, r2) });
    expect(story.on({ type: 'swapped', pieceId: quicker.pieceId, result: 'swapped' }).filter((e) => e.type === 'fetch')).toEqual([]);
    // The second one frees half the window: one read asks for both slots; the other two are still on their way.
    story.on({ type: 'received', message: proof(quick, r1) });
    const effects = story.on({ type: 'swapped', pieceId: quick.pieceId, result: 'swapped' });
    expect(effects.at(-1)).toEqual({ type: 'fetch', limit: 2, exclude: expect.any(Array) });
    const exclude = (effects.at(-1) as Extract<CoordinatorEffect, { type: 'fetch' }>).exclude;
    expect(sorted(exclude)).toEqual(sorted([slow.pieceId, also.pieceId]));
    // Nothing touched the two in flight: no timer disarmed, no piece re-sent.
    expect(effects.filter((e) => e.type === 'disarmTimer' || e.type === 'prepare')).toEqual([]);
    expect(sorted([...story.session.inflight.values()].map((f) => f.item.pieceId))).toEqual(sorted([slow.pieceId, also.pieceId]));

    // The next pieces fill the free slots at once; the window is full again, so no more fetching.
    const next = [item(), item()];
    expect(story.on({ type: 'fetched', items: next })).toEqual(next.map((it) => ({ type: 'prepare', item: it, excluded: [] })));
    expect(story.busy()).toBe(4);
  });

  it('never fetches twice at once: a slot freed while a fetch runs is filled by the fetch after it', () => {
    const story = Story.transferring();
    const [a, b] = [item(), item()];
    story.sent([[a, r1]], 'still reading'); // the follow-up fetch for 2 more is running
    expect(story.session.fetching).toBe(true);
    story.on({ type: 'received', message: failure(a, 'NOT_FOUND') });
    expect(story.effects.filter((e) => e.type === 'fetch')).toHaveLength(2); // the opening one and the follow-up
    expect(story.on({ type: 'fetched', items: [b] })).toEqual([{ type: 'prepare', item: b, excluded: [] }, fetchEffect(2, [b])]);
  });

  it('skips fetched pieces it is already working on', () => {
    const story = Story.transferring();
    const a = item();
    story.sent([[a, r1]]);
    expect(story.on({ type: 'fetched', items: [a] }).filter((e) => e.type === 'prepare')).toEqual([]);
  });

  it('fails, without sending, a fetched piece that already used up its order limits', () => {
    const story = Story.transferring();
    const spent = item({ sendCount: CONFIG.maxOrderLimitSendCount });
    const effects = story.on({ type: 'fetched', items: [spent] });
    expect(effects[0]).toEqual({ type: 'finishItem', pieceId: spent.pieceId, result: { kind: 'failed' } });
    expect(effects.filter((e) => e.type === 'prepare')).toEqual([]);
    expect(story.busy()).toBe(0);
  });
});

describe('the exit coordinator: a TransferSucceeded', () => {
  it('with a proof whose every link holds, stops the clock and swaps the replacement into the segment', () => {
    const story = Story.transferring();
    const a = item();
    story.sent([[a, r1]]);
    // No touch of its own: recording the swap (finishItem) records the node's activity.
    expect(story.on({ type: 'received', message: proof(a, r1) })).toEqual([
      { type: 'disarmTimer', pieceId: a.pieceId },
      { type: 'swap', item: a, replacementNodeId: r1.publicKey },
    ]);
    expect(story.session.inflight.get(toHex(a.pieceId))?.swapping).toBe(true);
    // The slot stays taken until the swap is recorded.
    expect(story.busy()).toBe(1);
  });

  it('an exiting node that forges the receiver\'s signature fails its exit at once (VERIFICATION_FAILED), and the other transfers\' clocks stop', () => {
    const story = Story.transferring();
    const [a, b] = [item(), item()];
    story.sent([[a, r1], [b, r2]]);
    const genuine = proof(a, r1);
    const forged = { ...genuine, replacementPieceHash: signPieceHash(exiting, genuine.replacementPieceHash) };
    const effects = story.on({ type: 'received', message: forged });
    expect(effects).toEqual([
      { type: 'disarmTimer', pieceId: a.pieceId },
      { type: 'disarmTimer', pieceId: b.pieceId },
      finishExit('VERIFICATION_FAILED', 'replacement piece hash is not signed by the replacement node'),
    ]);
    expect(story.session.phase).toBe('finishing');
    // Nothing the node says afterwards counts.
    expect(story.on({ type: 'received', message: proof(b, r2) })).toEqual([]);
    expect(story.on({ type: 'drained', exit: exitRecord() })).toEqual([]);
  });

  it('an exiting node that reports a transfer to a node it was not told to use fails its exit', () => {
    const story = Story.transferring();
    const a = item();
    story.sent([[a, r1]]);
    expect(story.on({ type: 'received', message: proof(a, r2) })).toContainEqual(finishExit('VERIFICATION_FAILED', 'replacement piece hash is not for the piece id derived for the replacement node'));
  });

  it('an honest node whose answer to a timed-out transfer arrives after the piece went to another replacement is not disqualified, nor credited', () => {
    const story = Story.transferring({ ...CONFIG, transferWindow: 1 });
    const a = item();
    const toR1 = { ...a, sendCount: 1, triedNodes: [r1.publicKey] };
    story.sent([[toR1, r1]]);
    story.now += CONFIG.receiveTimeoutFloorMs;
    story.on({ type: 'timedOut', pieceId: a.pieceId });
    // The satellite sends the piece again, to R2 (R1 is now among the nodes tried).
    const toR2 = { ...toR1, sendCount: 2, failedCount: 1, triedNodes: [r1.publicKey, r2.publicKey] };
    story.sent([[toR2, r2]]);
    // R1's upload finally finishes and the node reports it: a true proof, for a limit that is no longer current.
    expect(story.on({ type: 'received', message: proof(a, r1) })).toEqual([]);
    expect(story.session.phase).toBe('transferring');
    expect(story.session.inflight.get(toHex(a.pieceId))?.swapping).toBe(false);
    // R2's answer is the one that counts.
    expect(story.on({ type: 'received', message: proof(a, r2) })).toContainEqual({ type: 'swap', item: toR2, replacementNodeId: r2.publicKey });
  });

  it('a proof for a node this piece was never sent to is still a forgery, even while an earlier replacement is remembered', () => {
    const story = Story.transferring();
    const a = item({ sendCount: 2, triedNodes: [r1.publicKey, r2.publicKey] });
    story.sent([[a, r2]]);
    const stranger = replacements[3]!;
    expect(story.on({ type: 'received', message: proof(a, stranger) })).toContainEqual(finishExit('VERIFICATION_FAILED', 'replacement piece hash is not for the piece id derived for the replacement node'));
  });

  it('an exiting node that claims success for a piece it was never sent gains nothing (and loses nothing)', () => {
    const story = Story.transferring();
    const a = item();
    story.sent([[a, r1]]);
    const before = story.session;
    const never = item();
    expect(story.on({ type: 'received', message: proof(never, r1) })).toEqual([]);
    expect(story.on({ type: 'received', message: failure(never, 'UNKNOWN') })).toEqual([]);
    expect(story.session).toBe(before);
  });

  it('a replayed TransferSucceeded, during the swap or after it, counts nothing', () => {
    const story = Story.transferring();
    const a = item();
    story.sent([[a, r1]]);
    const message = proof(a, r1);
    story.on({ type: 'received', message });
    expect(story.on({ type: 'received', message })).toEqual([]);
    story.on({ type: 'swapped', pieceId: a.pieceId, result: 'swapped' });
    expect(story.on({ type: 'received', message })).toEqual([]);
    expect(story.on({ type: 'swapped', pieceId: a.pieceId, result: 'swapped' })).toEqual([]);
    expect(story.effects.filter((e) => e.type === 'finishItem')).toHaveLength(1);
  });

  it('once the swap is recorded: counts the bytes transferred, then tells the node to delete its piece', () => {
    const story = Story.transferring();
    const a = item({ pieceSize: 4_096 });
    story.sent([[a, r1]]);
    story.on({ type: 'received', message: proof(a, r1) });
    const effects = story.on({ type: 'swapped', pieceId: a.pieceId, result: 'swapped' });
    expect(effects.slice(0, 2)).toEqual([
      { type: 'finishItem', pieceId: a.pieceId, result: { kind: 'transferred', bytes: 4_096 } },
      { type: 'send', message: { type: 'deletePiece', originalPieceId: a.pieceId } },
    ]);
    expect(effects.filter((e) => e.type === 'deleteReplacement')).toEqual([]);
  });

  it('a segment deleted or repaired meanwhile drops the piece without penalty, and the unused replacement piece is deleted', () => {
    const story = Story.transferring();
    const a = item();
    story.sent([[a, r1]]);
    story.on({ type: 'received', message: proof(a, r1) });
    expect(story.on({ type: 'swapped', pieceId: a.pieceId, result: 'gone' }).slice(0, 3)).toEqual([
      { type: 'finishItem', pieceId: a.pieceId, result: { kind: 'dropped' } },
      { type: 'deleteReplacement', nodeId: r1.publicKey, pieceId: derivePieceId(a.rootPieceId, r1.publicKey, a.pieceNumber) },
      { type: 'send', message: { type: 'deletePiece', originalPieceId: a.pieceId } },
    ]);
  });

  it('a segment that cannot take this replacement keeps the piece queued for another, deletes the unused copy, and does not blame the node', () => {
    const story = Story.transferring();
    const a = item();
    story.sent([[a, r1]]);
    story.on({ type: 'received', message: proof(a, r1) });
    const effects = story.on({ type: 'swapped', pieceId: a.pieceId, result: 'retry' });
    expect(effects.slice(0, 3)).toEqual([
      { type: 'deleteReplacement', nodeId: r1.publicKey, pieceId: derivePieceId(a.rootPieceId, r1.publicKey, a.pieceNumber) },
      { type: 'touch' },
      { type: 'recordFailure', pieceId: a.pieceId, code: 'UNKNOWN', counts: false },
    ]);
    expect(effects.some((e) => e.type === 'send' || e.type === 'finishItem')).toBe(false);
    expect(effects.at(-1)).toEqual(fetchEffect(3));
  });
});

describe('the exit coordinator: a failed transfer', () => {
  const failedWith = (error: TransferError, changes: Partial<ExitQueueItem> = {}) => {
    const story = Story.transferring();
    const a = item(changes);
    story.sent([[a, r1]]);
    const effects = story.on({ type: 'received', message: failure(a, error) });
    return { a, effects, outcome: effects.find((e) => e.type === 'finishItem' || e.type === 'recordFailure'), story };
  };

  it('NOT_FOUND: the node lost the piece; it fails for good', () => {
    const { a, effects } = failedWith('NOT_FOUND');
    // finishItem records the node's activity itself: no separate touch.
    expect(effects.slice(0, 2)).toEqual([{ type: 'disarmTimer', pieceId: a.pieceId }, { type: 'finishItem', pieceId: a.pieceId, result: { kind: 'failed' } }]);
    expect(effects.filter((e) => e.type === 'touch')).toEqual([]);
  });

  it('STORAGE_NODE_UNAVAILABLE: the replacement\'s fault, not the node\'s; retried elsewhere without counting', () => {
    const { a, outcome } = failedWith('STORAGE_NODE_UNAVAILABLE', { sendCount: CONFIG.maxOrderLimitSendCount - 1, failedCount: CONFIG.maxFailuresPerPiece - 1 });
    expect(outcome).toEqual({ type: 'recordFailure', pieceId: a.pieceId, code: 'STORAGE_NODE_UNAVAILABLE', counts: false });
  });

  it('STORAGE_NODE_UNAVAILABLE forever is bounded by the order limits sent', () => {
    const { a, outcome } = failedWith('STORAGE_NODE_UNAVAILABLE', { sendCount: CONFIG.maxOrderLimitSendCount });
    expect(outcome).toEqual({ type: 'finishItem', pieceId: a.pieceId, result: { kind: 'failed' } });
  });

  it.each(['HASH_VERIFICATION', 'UNKNOWN'] as const)('%s counts against the piece until its retry budget is spent', (error) => {
    const counted = failedWith(error, { failedCount: CONFIG.maxFailuresPerPiece - 2 });
    expect(counted.outcome).toEqual({ type: 'recordFailure', pieceId: counted.a.pieceId, code: error, counts: true });
    const last = failedWith(error, { failedCount: CONFIG.maxFailuresPerPiece - 1 });
    expect(last.outcome).toEqual({ type: 'finishItem', pieceId: last.a.pieceId, result: { kind: 'failed' } });
    const outOfLimits = failedWith(error, { sendCount: CONFIG.maxOrderLimitSendCount });
    expect(outOfLimits.outcome).toEqual({ type: 'finishItem', pieceId: outOfLimits.a.pieceId, result: { kind: 'failed' } });
  });

  it('frees the slot: the window asks for more work', () => {
    const { effects } = failedWith('UNKNOWN');
    expect(effects.at(-1)).toEqual(fetchEffect(3));
  });

  it('a transfer not answered in time counts like UNKNOWN', () => {
    const story = Story.transferring();
    const a = item({ failedCount: 0 });
    story.sent([[a, r1]]);
    story.now += CONFIG.receiveTimeoutFloorMs;
    expect(story.on({ type: 'timedOut', pieceId: a.pieceId }).slice(0, 3)).toEqual([
      { type: 'disarmTimer', pieceId: a.pieceId },
      { type: 'touch' },
      { type: 'recordFailure', pieceId: a.pieceId, code: 'UNKNOWN', counts: true },
    ]);
    // The late answer to that limit counts for nothing.
    expect(story.on({ type: 'received', message: proof(a, r1) })).toEqual([]);
  });

  it('a timeout or a failure report after the proof verified is ignored: the swap decides', () => {
    const story = Story.transferring();
    const a = item();
    story.sent([[a, r1]]);
    story.on({ type: 'received', message: proof(a, r1) });
    expect(story.on({ type: 'timedOut', pieceId: a.pieceId })).toEqual([]);
    expect(story.on({ type: 'received', message: failure(a, 'UNKNOWN') })).toEqual([]);
    expect(story.on({ type: 'swapped', pieceId: a.pieceId, result: 'swapped' })[0]).toEqual({ type: 'finishItem', pieceId: a.pieceId, result: { kind: 'transferred', bytes: a.pieceSize } });
  });

  it('a timeout for a piece not in flight is ignored', () => {
    const story = Story.transferring();
    expect(story.on({ type: 'timedOut', pieceId: item().pieceId })).toEqual([]);
  });
});

describe('the exit coordinator: pieces with no replacement, and drops', () => {
  it('parks a piece no replacement node could be found for, retries it later, and works on the others meanwhile', () => {
    const story = Story.transferring();
    const [a, b] = [item(), item()];
    story.on({ type: 'fetched', items: [a, b] });
    story.now += 10;
    expect(story.on({ type: 'noReplacement', item: a })[0]).toEqual({ type: 'scheduleUnpark', at: NOW + 10 + CONFIG.notReadyRetryMs });
    expect(story.session.parked.has(toHex(a.pieceId))).toBe(true);
    // Only one unpark is scheduled however many pieces are parked.
    const effects = story.on({ type: 'noReplacement', item: b });
    expect(effects.filter((e) => e.type === 'scheduleUnpark')).toEqual([]);
    // The window has room again, but the parked pieces are not asked for.
    story.on({ type: 'fetched', items: [] });
    expect(story.effects.filter((e) => e.type === 'checkDrained')).toEqual([]);
    story.on({ type: 'unparked' });
    expect(story.effects.at(-1)).toEqual(fetchEffect(3));
    expect(story.on({ type: 'fetched', items: [a, b] }).filter((e) => e.type === 'prepare')).toHaveLength(2);
  });

  it('excludes parked pieces from the next fetch', () => {
    const story = Story.transferring();
    const [a, b] = [item(), item()];
    story.on({ type: 'fetched', items: [a, b] }); // window 3: one more fetch running
    story.on({ type: 'fetched', items: [] });
    const effects = story.on({ type: 'noReplacement', item: a });
    const fetch = effects.find((e) => e.type === 'fetch');
    expect(fetch).toEqual({ type: 'fetch', limit: 2, exclude: expect.any(Array) });
    expect(sorted((fetch as Extract<CoordinatorEffect, { type: 'fetch' }>).exclude)).toEqual(sorted([a.pieceId, b.pieceId]));
  });

  it('a drop that went through counts the piece dropped and tells the node to delete it', () => {
    const story = Story.transferring();
    const a = item({ drop: true });
    story.on({ type: 'fetched', items: [a] });
    expect(story.on({ type: 'dropped', item: a, result: 'dropped' }).slice(0, 2)).toEqual([
      { type: 'finishItem', pieceId: a.pieceId, result: { kind: 'dropped' } },
      { type: 'send', message: { type: 'deletePiece', originalPieceId: a.pieceId } },
    ]);
    expect(story.busy()).toBe(0);
  });

  it('a drop refused because the segment now needs the piece turns into a transfer', () => {
    const story = Story.transferring();
    const a = item({ drop: true });
    story.on({ type: 'fetched', items: [a] });
    expect(story.on({ type: 'dropped', item: a, result: 'keep' })).toEqual([{ type: 'prepare', item: { ...a, drop: false }, excluded: [] }]);
    expect(story.session.preparing.has(toHex(a.pieceId))).toBe(true);
  });
});

describe('the exit coordinator: the end of an exit', () => {
  it('checks whether it is done once the queue is empty and nothing is in flight', () => {
    const story = Story.transferring();
    expect(story.on({ type: 'fetched', items: [] })).toEqual([{ type: 'checkDrained' }]);
  });

  it('does not check while transfers are still in flight', () => {
    const story = Story.transferring();
    const a = item();
    story.sent([[a, r1]]);
    expect(story.on({ type: 'fetched', items: [] })).toEqual([]);
  });

  it('a transfer that fails while the queue is being read is not forgotten: the exit does not complete with the piece still queued', () => {
    const story = Story.transferring({ ...CONFIG, transferWindow: 2 });
    const [a, b] = [item(), item()];
    story.sent([[a, r1], [b, r2]]);
    story.on({ type: 'received', message: proof(a, r1) });
    // a is recorded; a fetch for its slot starts, skipping b (in flight).
    expect(story.on({ type: 'swapped', pieceId: a.pieceId, result: 'swapped' }).at(-1)).toEqual(fetchEffect(1, [b]));
    // Before that fetch answers, b fails and goes back to the queue.
    story.on({ type: 'received', message: failure(b, 'UNKNOWN') });
    // The fetch finds nothing (it skipped b): that does not mean the queue is empty.
    const effects = story.on({ type: 'fetched', items: [] });
    expect(effects).not.toContainEqual({ type: 'checkDrained' });
    expect(effects).toEqual([fetchEffect(2)]);
    const retried = { ...b, failedCount: 1 };
    expect(story.on({ type: 'fetched', items: [retried] })[0]).toEqual({ type: 'prepare', item: retried, excluded: [] });
  });

  it('a piece unparked while the queue is being read is not forgotten either', () => {
    const story = Story.transferring({ ...CONFIG, transferWindow: 1 });
    const a = item();
    story.on({ type: 'fetched', items: [a] });
    story.on({ type: 'noReplacement', item: a }); // fetch running, skipping a
    story.on({ type: 'unparked' });
    expect(story.on({ type: 'fetched', items: [] })).toEqual([fetchEffect(1)]);
    expect(story.on({ type: 'fetched', items: [] })).toEqual([{ type: 'checkDrained' }]);
  });

  it('completes when the failures stay within the allowed share', () => {
    const story = Story.transferring();
    story.on({ type: 'fetched', items: [] });
    const effects = story.on({ type: 'drained', exit: exitRecord({ piecesTransferred: 90, piecesFailed: 10, piecesDropped: 500 }) });
    expect(effects).toEqual([{ type: 'finishExit', outcome: 'completed', reason: null, detail: null }]);
    expect(story.session.phase).toBe('finishing');
  });

  it('completes an exit with nothing to transfer (every piece dropped)', () => {
    const story = Story.transferring();
    story.on({ type: 'fetched', items: [] });
    expect(story.on({ type: 'drained', exit: exitRecord({ piecesDropped: 7 }) })).toEqual([{ type: 'finishExit', outcome: 'completed', reason: null, detail: null }]);
  });

  it('fails when more than the allowed share of pieces failed, saying how many', () => {
    const story = Story.transferring();
    story.on({ type: 'fetched', items: [] });
    expect(story.on({ type: 'drained', exit: exitRecord({ piecesTransferred: 89, piecesFailed: 11 }) })).toEqual([
      finishExit('OVERALL_FAILURE_PERCENTAGE_EXCEEDED', '11 of 100 pieces failed (11.0%, at most 10.0% allowed)'),
    ]);
  });

  it('a stream that ends forgets its in-flight work (it stays queued) and stops every clock; nothing moves it after', () => {
    const story = Story.transferring();
    const [a, b] = [item(), item()];
    story.sent([[a, r1], [b, r2]]);
    story.on({ type: 'received', message: proof(b, r2) }); // b's clock already stopped
    expect(story.on({ type: 'ended' })).toEqual([{ type: 'disarmTimer', pieceId: a.pieceId }]);
    expect(story.session.phase).toBe('closed');
    const closed = story.session;
    for (const event of [
      { type: 'received', message: proof(a, r1) },
      { type: 'swapped', pieceId: b.pieceId, result: 'swapped' },
      { type: 'timedOut', pieceId: a.pieceId },
      { type: 'fetched', items: [item()] },
      { type: 'drained', exit: exitRecord() },
      { type: 'ended' },
    ] satisfies DistributiveOmit<CoordinatorEvent, 'now'>[]) {
      expect(story.on(event)).toEqual([]);
    }
    expect(story.session).toBe(closed);
  });

  it('ignores transfer events before the stream opened', () => {
    const story = new Story();
    expect(story.on({ type: 'fetched', items: [item()] })).toEqual([]);
    expect(story.on({ type: 'drained', exit: exitRecord() })).toEqual([]);
  });
});

/**
 * A simulated runner over a plain in-memory queue: it executes each effect as `ExitCoordinator`
 * does (queries answer from the queue at the moment they run; their results come back as events
 * in order), while the exiting node answers, times out, answers late or forges in any order.
 */
function simulate(window: number, queued: number, g: fc.GeneratorValue): void {
  const config: ExitConfig = { ...CONFIG, transferWindow: window, maxFailuresPerPiece: 3, maxOrderLimitSendCount: 4, overallMaxFailuresRatio: 0.5 };
  const pool = replacementPool;
  const queue = new Map<string, ExitQueueItem>();
  for (let i = 0; i < queued; i++) {
    const it = item({ drop: g(fc.nat, { max: 3 }) === 0, pieceSize: 256 * (1 + g(fc.nat, { max: 8 })) });
    queue.set(toHex(it.pieceId), it);
  }
  const finished = new Map<string, string>();
  const counts = { transferred: 0, failed: 0, dropped: 0 };
  const internal: CoordinatorEvent[] = [];
  const timers = new Set<string>();
  /** The latest request per piece the node has not answered yet; earlier ones may still be answered late. */
  const asked = new Map<string, { it: ExitQueueItem; replacement: Identity }>();
  const superseded: { it: ExitQueueItem; replacement: Identity }[] = [];
  let unparkScheduled = false;
  let fetchRunning = false;
  let forgedSent = false;
  let calm = false;
  let outcome: Extract<CoordinatorEffect, { type: 'finishExit' }> | undefined;
  let session = openSession(satellite.publicKey, exiting.publicKey, config);
  let now = NOW;

  const execute = (effect: CoordinatorEffect): void => {
    switch (effect.type) {
      case 'send': {
        const message = effect.message;
        if (message.type === 'transferPiece') {
          const key = toHex(message.originalPieceId);
          const it = queue.get(key);
          expect(it, 'a transfer sent for a piece no longer queued').toBeDefined();
          const replacement = pool.find((r) => toHex(r.publicKey) === toHex(message.limit.storageNodeId))!;
          const earlier = asked.get(key);
          if (earlier) superseded.push(earlier);
          asked.set(key, { it: it!, replacement });
        } else if (message.type === 'deletePiece') {
          expect(['transferred', 'dropped'], 'DeletePiece before the piece was recorded as moved or dropped').toContain(finished.get(toHex(message.originalPieceId)));
        } else {
          throw new Error(`unexpected ${message.type} while transferring`);
        }
        return;
      }
      case 'fetch': {
        expect(fetchRunning, 'two fetches at once').toBe(false);
        fetchRunning = true;
        const excluded = new Set(effect.exclude.map(toHex));
        const items = [...queue.values()].filter((i) => !excluded.has(toHex(i.pieceId))).slice(0, effect.limit);
        internal.push({ type: 'fetched', now, items });
        return;
      }
      case 'prepare': {
        const key = toHex(effect.item.pieceId);
        const it = queue.get(key);
        expect(it, 'preparing a piece no longer queued').toBeDefined();
        const roll = calm ? 99 : g(fc.nat, { max: 19 });
        if (roll === 0) {
          internal.push({ type: 'dropped', now, item: effect.item, result: 'dropped' }); // its segment was deleted meanwhile
          return;
        }
        const tried = new Set([...it!.triedNodes, ...effect.excluded].map(toHex));
        const candidates = pool.filter((r) => !tried.has(toHex(r.publicKey)));
        if (candidates.length === 0 || roll <= 2) {
          internal.push({ type: 'noReplacement', now, item: effect.item });
          return;
        }
        const replacement = candidates[g(fc.nat, { max: candidates.length - 1 })]!;
        const sent = { ...it!, sendCount: it!.sendCount + 1, triedNodes: [...it!.triedNodes, replacement.publicKey] };
        queue.set(key, sent);
        internal.push({ type: 'prepared', now, item: sent, replacementNodeId: replacement.publicKey, message: transferPiece(sent, replacement) });
        return;
      }
      case 'drop':
        internal.push({ type: 'dropped', now, item: effect.item, result: calm || g(fc.boolean) ? 'dropped' : 'keep' });
        return;
      case 'armTimer':
        timers.add(toHex(effect.pieceId));
        return;
      case 'disarmTimer':
        timers.delete(toHex(effect.pieceId));
        return;
      case 'scheduleUnpark':
        unparkScheduled = true;
        return;
      case 'recordFailure': {
        const it = queue.get(toHex(effect.pieceId));
        expect(it, 'a failure recorded for a piece no longer queued').toBeDefined();
        queue.set(toHex(effect.pieceId), { ...it!, failedCount: it!.failedCount + (effect.counts ? 1 : 0), lastFailedCode: effect.code });
        return;
      }
      case 'finishItem': {
        const key = toHex(effect.pieceId);
        expect(queue.has(key), `piece ${key.slice(0, 8)} finished twice`).toBe(true);
        queue.delete(key);
        finished.set(key, effect.result.kind);
        counts[effect.result.kind]++;
        return;
      }
      case 'swap': {
        const roll = calm ? 0 : g(fc.nat, { max: 9 });
        internal.push({ type: 'swapped', now, pieceId: effect.item.pieceId, result: roll < 7 ? 'swapped' : roll < 9 ? 'gone' : 'retry' });
        return;
      }
      case 'checkDrained':
        internal.push({ type: 'drained', now, exit: exitRecord({ piecesTransferred: counts.transferred, piecesFailed: counts.failed, piecesDropped: counts.dropped }) });
        return;
      case 'finishExit':
        expect(outcome, 'finished twice').toBeUndefined();
        outcome = effect;
        if (effect.outcome === 'completed') expect(queue.size, 'completed with pieces still queued').toBe(0);
        if (effect.reason === 'VERIFICATION_FAILED') expect(forgedSent, `an honest node failed verification: ${effect.detail}`).toBe(true);
        if (effect.reason === 'OVERALL_FAILURE_PERCENTAGE_EXCEEDED') expect(counts.failed / (counts.failed + counts.transferred)).toBeGreaterThan(config.overallMaxFailuresRatio);
        return;
      case 'touch':
      case 'deleteReplacement':
        return;
      default:
        throw new Error(`unexpected ${effect.type} while transferring`);
    }
  };

  const feed = (event: CoordinatorEvent): void => {
    if (event.type === 'fetched') fetchRunning = false;
    const step = transition(session, event);
    session = step.session;
    for (const effect of step.effects) execute(effect);
    expect(session.inflight.size + session.preparing.size, 'more transfers than the window').toBeLessThanOrEqual(window);
    for (const key of session.inflight.keys()) expect(session.preparing.has(key)).toBe(false);
  };

  const pick = <T>(list: readonly T[]): T => list[g(fc.nat, { max: list.length - 1 })]!;

  feed({ type: 'opened', now, node: node(), exit: exitRecord() });
  for (let steps = 0; steps < 3_000 && outcome === undefined && session.phase === 'transferring'; steps++) {
    if (steps === 150) calm = true; // from here on: no forgeries, no lost segments, answers come
    now += g(fc.nat, { max: 2_000 });
    const choices: string[] = [];
    if (internal.length > 0) choices.push('internal', 'internal', 'internal');
    if (asked.size > 0) choices.push('answer', 'answer');
    if (!calm && superseded.length > 0) choices.push('late');
    if (!calm && timers.size > 0) choices.push('timeout');
    if (!calm && unparkScheduled) choices.push('unpark');
    if (!calm && asked.size > 0 && g(fc.nat, { max: 29 }) === 0) choices.push('forge');
    if (calm && choices.length === 0) {
      if (unparkScheduled) choices.push('unpark');
      else if (timers.size > 0) choices.push('timeout');
    }
    if (choices.length === 0) break;
    switch (pick(choices)) {
      case 'internal':
        feed(internal.shift()!);
        break;
      case 'answer': {
        const key = pick([...asked.keys()]);
        const { it, replacement } = asked.get(key)!;
        asked.delete(key);
        const roll = calm ? 0 : g(fc.nat, { max: 9 });
        feed({ type: 'received', now, message: roll < 6 ? proof(it, replacement) : failure(it, TRANSFER_ERRORS[roll - 6]!) });
        break;
      }
      case 'late': {
        const { it, replacement } = superseded.splice(g(fc.nat, { max: superseded.length - 1 }), 1)[0]!;
        feed({ type: 'received', now, message: g(fc.boolean) ? proof(it, replacement) : failure(it, 'UNKNOWN') });
        break;
      }
      case 'timeout': {
        const key = pick([...timers]);
        timers.delete(key);
        feed({ type: 'timedOut', now, pieceId: asked.get(key)?.it.pieceId ?? [...session.inflight.values()].find((f) => toHex(f.item.pieceId) === key)!.item.pieceId });
        break;
      }
      case 'unpark':
        unparkScheduled = false;
        feed({ type: 'unparked', now });
        break;
      case 'forge': {
        const { it, replacement } = asked.get(pick([...asked.keys()]))!;
        const genuine = proof(it, replacement);
        forgedSent = true;
        feed({ type: 'received', now, message: { ...genuine, replacementPieceHash: signPieceHash(exiting, genuine.replacementPieceHash) } });
        break;
      }
    }
  }
  // Liveness: once the node answers everything, every exit ends.
  expect(outcome, `stalled with ${queue.size} queued, ${session.inflight.size} in flight, ${session.preparing.size} preparing, ${session.parked.size} parked`).toBeDefined();
}

const replacementPool = Array.from({ length: 6 }, () => Identity.generate());

describe('the exit coordinator under any interleaving of the node\'s answers and the runner\'s results', () => {
  it('never exceeds its window, never finishes a piece twice, deletes only what was recorded, fails only forgers, and completes only with an empty queue', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 7 }), fc.gen(), (window, queued, g) => simulate(window, queued, g)),
      { numRuns: 150 },
    );
  });
});
