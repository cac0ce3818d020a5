import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import type { NodeExitMessage, SatelliteExitMessage } from '../../src/exit/messages.js';
import { signExitReceipt } from '../../src/exit/receipt.js';
import {
  backoffMs,
  initialWorkerState,
  workerTransition,
  type TransferPieceMessage,
  type WorkerConfig,
  type WorkerEffect,
  type WorkerEvent,
  type WorkerState,
} from '../../src/exit/worker.js';
import { buildChain, bytes, originalLimit } from './proof-chain.js';

const chain = buildChain();
const CONFIG: WorkerConfig = { concurrency: 2, minBackoffMs: 1_000, maxBackoffMs: 8_000, keepAliveIntervalMs: 86_400_000 };

/** A TransferPiece for a fresh piece (the worker only reads its id; the rest is realistic). */
function transferPiece(pieceId: Uint8Array = bytes(32)): TransferPieceMessage {
  return {
    type: 'transferPiece',
    originalPieceId: pieceId,
    piecePrivateKey: chain.pieceKey.privateKey,
    limit: originalLimit(chain, { action: 'PUT_GRACEFUL_EXIT', storageNodeId: chain.replacement.publicKey, pieceId: chain.replacementPieceId }),
    address: 'replacement.example:7777',
  };
}

function succeeded(pieceId: Uint8Array): NodeExitMessage {
  return { ...chain.message, originalPieceId: pieceId };
}

function failedReport(pieceId: Uint8Array): Extract<NodeExitMessage, { type: 'transferFailed' }> {
  return { type: 'transferFailed', originalPieceId: pieceId, error: 'STORAGE_NODE_UNAVAILABLE', detail: 'the replacement did not answer' };
}

const receipt = signExitReceipt(chain.satellite, { nodeId: chain.exiting.publicKey, satelliteId: chain.satellite.publicKey, outcome: 'completed', finishedAt: 1_700_000_000_000 });
const failedReceipt = signExitReceipt(chain.satellite, { nodeId: chain.exiting.publicKey, satelliteId: chain.satellite.publicKey, outcome: 'failed', reason: 'INACTIVE_TIMEFRAME_EXCEEDED', finishedAt: 1_700_000_000_000 });

/** Feeds `events` in order; returns the final state and every step's effects. */
function run(state: WorkerState, ...events: WorkerEvent[]): { state: WorkerState; effects: WorkerEffect[][] } {
  const effects: WorkerEffect[][] = [];
  for (const event of events) {
    const step = workerTransition(state, event);
    state = step.state;
    effects.push([...step.effects]);
  }
  return { state, effects };
}

function last<T>(list: readonly T[]): T {
  return list[list.length - 1]!;
}

const received = (message: SatelliteExitMessage): WorkerEvent => ({ type: 'received', message });

/** A worker whose stream to the satellite is open. */
function streaming(config: WorkerConfig = CONFIG): WorkerState {
  return run(initialWorkerState(config), { type: 'start' }, { type: 'connected' }).state;
}

describe('workerTransition: the storage node\'s side of an exit', () => {
  it('starts by dialing the satellite, and streams once connected', () => {
    const start = workerTransition(initialWorkerState(CONFIG), { type: 'start' });
    expect(start.state.phase).toBe('connecting');
    expect(start.effects).toEqual([{ type: 'connect' }]);
    // A second start while dialing does not dial twice.
    expect(workerTransition(start.state, { type: 'start' }).effects).toEqual([]);
    const connected = workerTransition(start.state, { type: 'connected' });
    expect(connected.state.phase).toBe('streaming');
    expect(connected.effects).toEqual([]);
  });

  it('fills in its defaults: five transfers at once, as Storj', () => {
    expect(initialWorkerState().config).toEqual({ concurrency: 10, minBackoffMs: 1_000, maxBackoffMs: 300_000, keepAliveIntervalMs: 86_400_000 });
    expect(initialWorkerState({ concurrency: 9 }).config.concurrency).toBe(9);
  });

  it('ignores messages that arrive when no stream is open', () => {
    const idle = initialWorkerState(CONFIG);
    expect(workerTransition(idle, received(transferPiece()))).toEqual({ state: idle, effects: [] });
    expect(workerTransition(idle, { type: 'connected' })).toEqual({ state: idle, effects: [] });
  });

  it('told NotReady, hangs up and asks again after the satellite\'s delay', () => {
    const notReady = workerTransition(streaming(), received({ type: 'notReady', retryAfterMs: 30_000 }));
    expect(notReady.state.phase).toBe('waiting');
    expect(notReady.effects).toEqual([{ type: 'closeStream' }, { type: 'scheduleRetry', afterMs: 30_000 }]);
    const retry = workerTransition(notReady.state, { type: 'retry' });
    expect(retry.state.phase).toBe('connecting');
    expect(retry.effects).toEqual([{ type: 'connect' }]);
  });

  describe('transfers', () => {
    it('runs up to `concurrency` transfers at once; the rest wait their turn, first come first served', () => {
      const [a, b, c, d] = [transferPiece(), transferPiece(), transferPiece(), transferPiece()];
      const { state, effects } = run(streaming(), received(a), received(b), received(c), received(d));
      expect(effects).toEqual([[{ type: 'transfer', message: a }], [{ type: 'transfer', message: b }], [], []]);
      expect(state.running.size).toBe(2);
      expect(state.pending).toEqual([c, d]);

      // One ends: it is recorded and reported, and the next waiting transfer starts in its slot.
      const report = succeeded(a.originalPieceId);
      const done = workerTransition(state, { type: 'transferred', pieceId: a.originalPieceId, report });
      expect(done.effects).toEqual([{ type: 'record', report }, { type: 'send', message: report }, { type: 'transfer', message: c }]);
      expect(done.state.pending).toEqual([d]);
      expect([...done.state.running].sort()).toEqual([toHex(b.originalPieceId), toHex(c.originalPieceId)].sort());
    });

    it('reports a failed transfer the same way (recorded, then sent)', () => {
      const a = transferPiece();
      const report = failedReport(a.originalPieceId);
      const { effects } = run(streaming(), received(a), { type: 'transferred', pieceId: a.originalPieceId, report });
      expect(last(effects)).toEqual([{ type: 'record', report }, { type: 'send', message: report }]);
    });

    it('ignores a TransferPiece for a piece it is already transferring or already has waiting', () => {
      const [a, b, c] = [transferPiece(), transferPiece(), transferPiece()];
      const { state, effects } = run(streaming(), received(a), received(b), received(c), received({ ...a }), received({ ...c }));
      expect(effects.slice(3)).toEqual([[], []]);
      expect(state.running.size).toBe(2);
      expect(state.pending).toEqual([c]);
    });

    it('deletes a piece only when the satellite says DeletePiece, never because a transfer succeeded', () => {
      const a = transferPiece();
      const report = succeeded(a.originalPieceId);
      const { effects } = run(streaming(), received(a), { type: 'transferred', pieceId: a.originalPieceId, report }, received({ type: 'deletePiece', originalPieceId: a.originalPieceId }));
      expect(effects.slice(0, 2).flat().some((e) => e.type === 'deletePiece')).toBe(false);
      expect(last(effects)).toEqual([{ type: 'deletePiece', pieceId: a.originalPieceId }]);
    });
  });

  describe('the end of the exit', () => {
    it('on ExitCompleted keeps the receipt and removes the satellite\'s pieces; waiting transfers are dropped', () => {
      const [a, b, c] = [transferPiece(), transferPiece(), transferPiece()];
      const { state, effects } = run(streaming(), received(a), received(b), received(c), received({ type: 'exitCompleted', receipt }));
      expect(last(effects)).toEqual([{ type: 'finish', outcome: 'completed', reason: null, receipt }]);
      expect(state.phase).toBe('finishing');
      expect(state.pending).toEqual([]);
      // A transfer still running has nobody to report to.
      expect(workerTransition(state, { type: 'transferred', pieceId: a.originalPieceId, report: succeeded(a.originalPieceId) }).effects).toEqual([]);
    });

    it('on ExitFailed keeps the receipt and the reason', () => {
      const step = workerTransition(streaming(), received({ type: 'exitFailed', reason: 'INACTIVE_TIMEFRAME_EXCEEDED', receipt: failedReceipt }));
      expect(step.effects).toEqual([{ type: 'finish', outcome: 'failed', reason: 'INACTIVE_TIMEFRAME_EXCEEDED', receipt: failedReceipt }]);
    });

    it('does not redial when the satellite hangs up after the final receipt; once finished, nothing moves it', () => {
      const finishing = workerTransition(streaming(), received({ type: 'exitCompleted', receipt })).state;
      expect(workerTransition(finishing, { type: 'streamEnded' }).effects).toEqual([]);
      const finished = workerTransition(finishing, { type: 'finished' });
      expect(finished.state.phase).toBe('finished');
      expect(finished.effects).toEqual([{ type: 'closeStream' }]);
      for (const event of [{ type: 'start' }, { type: 'retry' }, { type: 'streamEnded' }, received(transferPiece())] satisfies WorkerEvent[]) {
        expect(workerTransition(finished.state, event)).toEqual({ state: finished.state, effects: [] });
      }
    });
  });

  describe('a broken stream', () => {
    it('is closed and redialed after a backoff that doubles with each break in a row, up to its cap', () => {
      let state = streaming();
      const waits: number[] = [];
      for (let i = 0; i < 6; i++) {
        const broken = workerTransition(state, { type: 'streamEnded' });
        expect(broken.state.phase).toBe('waiting');
        expect(broken.effects[0]).toEqual({ type: 'closeStream' });
        const retry = broken.effects[1];
        expect(retry?.type).toBe('scheduleRetry');
        waits.push(retry?.type === 'scheduleRetry' ? retry.afterMs : -1);
        // The redial itself may fail: that is a break too.
        state = run(broken.state, { type: 'retry' }, ...(i % 2 === 0 ? [{ type: 'connected' } as const] : [])).state;
      }
      expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    });

    it('reports the error that broke it before hanging up', () => {
      const error = new Error('connection reset');
      expect(workerTransition(streaming(), { type: 'streamEnded', error }).effects).toEqual([
        { type: 'report', error },
        { type: 'closeStream' },
        { type: 'scheduleRetry', afterMs: 1_000 },
      ]);
    });

    it('starts the backoff over once the satellite answers again', () => {
      let { state } = run(streaming(), { type: 'streamEnded' }, { type: 'retry' }, { type: 'connected' }, { type: 'streamEnded' }, { type: 'retry' }, { type: 'connected' });
      expect(state.failures).toBe(2);
      state = workerTransition(state, received({ type: 'deletePiece', originalPieceId: bytes(32) })).state;
      expect(state.failures).toBe(0);
      expect(workerTransition(state, { type: 'streamEnded' }).effects).toContainEqual({ type: 'scheduleRetry', afterMs: 1_000 });
    });

    it('forgets the transfers that were waiting (the satellite asks again), and a transfer that ends meanwhile sends nothing', () => {
      const [a, b, c] = [transferPiece(), transferPiece(), transferPiece()];
      const { state } = run(streaming(), received(a), received(b), received(c), { type: 'streamEnded' });
      expect(state.pending).toEqual([]);
      const late = workerTransition(state, { type: 'transferred', pieceId: a.originalPieceId, report: succeeded(a.originalPieceId) });
      expect(late.effects).toEqual([]);
      expect(late.state.running.has(toHex(a.originalPieceId))).toBe(false);
    });

    it('a transfer that outlives its stream never reports on the next one: the satellite\'s new request for the piece runs after it', () => {
      // Stream 1 asks for piece a (to replacement R1); the stream breaks while it uploads.
      const a1 = transferPiece();
      let { state } = run(streaming(), received(a1), { type: 'streamEnded' }, { type: 'retry' }, { type: 'connected' });
      // Stream 2: the satellite sends the piece again, to another replacement R2.
      const a2: TransferPieceMessage = { ...transferPiece(a1.originalPieceId), address: 'r2.example:7777' };
      const asked = workerTransition(state, received(a2));
      expect(asked.effects).toEqual([]); // R1's upload still holds the piece's slot
      state = asked.state;
      // R1's upload ends: its proof names R1, which stream 2's satellite did not ask for (it would
      // read as "a transfer to a node it was not told to use"). It is not sent; R2's upload starts.
      const stale = workerTransition(state, { type: 'transferred', pieceId: a1.originalPieceId, report: succeeded(a1.originalPieceId) });
      expect(stale.effects).toEqual([{ type: 'transfer', message: a2 }]);
      // R2's upload ends and is reported on stream 2.
      const report = succeeded(a2.originalPieceId);
      expect(workerTransition(stale.state, { type: 'transferred', pieceId: a2.originalPieceId, report }).effects).toEqual([{ type: 'record', report }, { type: 'send', message: report }]);
    });

    it('a dial that fails is a break too', () => {
      const dialing = workerTransition(initialWorkerState(CONFIG), { type: 'start' }).state;
      const failed = workerTransition(dialing, { type: 'streamEnded', error: new Error('ECONNREFUSED') });
      expect(failed.state.phase).toBe('waiting');
      expect(failed.effects).toContainEqual({ type: 'scheduleRetry', afterMs: 1_000 });
      // A late end of the same stream while waiting does not schedule a second retry.
      expect(workerTransition(failed.state, { type: 'streamEnded' }).effects).toEqual([]);
    });
  });

  describe('within a bandwidth budget (the operator chose to wait)', () => {
    const size = (message: TransferPieceMessage) => message.limit.limitBytes;
    const limited = (remainingBytes: number | null) =>
      run(initialWorkerState(CONFIG, { limited: true }), { type: 'start' }, { type: 'budget', remainingBytes }, { type: 'connected' });

    it('reads what is left before every connect, and does not connect at all when nothing is', () => {
      const started = workerTransition(initialWorkerState(CONFIG, { limited: true }), { type: 'start' });
      expect(started.effects).toEqual([{ type: 'readBudget' }]);
      expect(workerTransition(started.state, { type: 'budget', remainingBytes: 1 }).effects).toEqual([{ type: 'connect' }]);
      const empty = workerTransition(started.state, { type: 'budget', remainingBytes: 0 });
      expect(empty.state.phase).toBe('paused');
      expect(empty.effects).toEqual([{ type: 'pause' }]);
      // No limit after all (the allocation was removed): it streams as usual.
      expect(limited(null).state).toMatchObject({ phase: 'streaming', remainingBytes: null });
    });

    it('transfers what fits; at the first piece that does not, it finishes and reports what it accepted, takes nothing new, then hangs up and pauses', () => {
      const [a, b, c, d] = [transferPiece(), transferPiece(), transferPiece(), transferPiece()];
      const budget = 2 * size(a) + size(a) / 2;
      const { state, effects } = run(limited(budget).state, received(a), received(b), received(c), received(d));
      expect(effects).toEqual([[{ type: 'transfer', message: a }], [{ type: 'transfer', message: b }], [], []]);
      expect(state).toMatchObject({ phase: 'draining', remainingBytes: budget - 2 * size(a) });
      const reportA = succeeded(a.originalPieceId);
      const first = workerTransition(state, { type: 'transferred', pieceId: a.originalPieceId, report: reportA });
      expect(first.effects).toEqual([{ type: 'record', report: reportA }, { type: 'send', message: reportA }]);
      // A DeletePiece for what was handed over is still acted on.
      const del = { type: 'deletePiece', originalPieceId: a.originalPieceId } as const;
      expect(workerTransition(first.state, received(del)).effects).toEqual([{ type: 'deletePiece', pieceId: a.originalPieceId }]);
      const reportB = failedReport(b.originalPieceId);
      const last = workerTransition(first.state, { type: 'transferred', pieceId: b.originalPieceId, report: reportB });
      expect(last.effects).toEqual([{ type: 'record', report: reportB }, { type: 'send', message: reportB }, { type: 'closeStream' }, { type: 'pause' }]);
      expect(last.state.phase).toBe('paused');
      // Paused: a broken stream or a stray message changes nothing.
      expect(workerTransition(last.state, { type: 'streamEnded', error: new Error('gone') }).effects).toEqual([]);
      expect(workerTransition(last.state, { type: 'retry' }).effects).toEqual([]);
      expect(workerTransition(last.state, received(d)).effects).toEqual([]);
    });

    it('counts transfers waiting for a slot against the budget, and finishes them before pausing', () => {
      const [a, b, c] = [transferPiece(), transferPiece(), transferPiece()];
      const { effects, state } = run(limited(3 * size(a)).state, received(a), received(b), received(c));
      expect(effects[2]).toEqual([]); // c waits its turn: it fits
      const draining = workerTransition(state, received(transferPiece()));
      expect(draining.state.phase).toBe('draining');
      const ranC = workerTransition(draining.state, { type: 'transferred', pieceId: a.originalPieceId, report: succeeded(a.originalPieceId) });
      expect(ranC.effects.at(-1)).toEqual({ type: 'transfer', message: c });
    });

    it('a piece that does not fit with nothing running pauses at once; a stream that breaks while draining pauses too', () => {
      const a = transferPiece();
      expect(workerTransition(limited(size(a) - 1).state, received(a))).toMatchObject({ state: { phase: 'paused' }, effects: [{ type: 'closeStream' }, { type: 'pause' }] });
      const [b, c] = [transferPiece(), transferPiece()];
      const draining = run(limited(size(b)).state, received(b), received(c)).state;
      expect(draining.phase).toBe('draining');
      const broke = workerTransition(draining, { type: 'streamEnded' });
      expect(broke).toMatchObject({ state: { phase: 'paused' }, effects: [{ type: 'closeStream' }, { type: 'pause' }] });
    });

    it('while paused sends keep-alives when due, and resumes (reading the renewed budget) when told', () => {
      const paused = run(initialWorkerState(CONFIG, { limited: true }), { type: 'start' }, { type: 'budget', remainingBytes: 0 }).state;
      expect(workerTransition(paused, { type: 'keepAliveDue' }).effects).toEqual([{ type: 'keepAlive' }]);
      const resumed = workerTransition(paused, { type: 'resume' });
      expect(resumed.state.phase).toBe('connecting');
      expect(resumed.effects).toEqual([{ type: 'unpause' }, { type: 'readBudget' }]);
      // Keep-alives and resumes mean nothing outside a pause.
      expect(workerTransition(streaming(), { type: 'keepAliveDue' }).effects).toEqual([]);
      expect(workerTransition(streaming(), { type: 'resume' }).effects).toEqual([]);
      // Shutdown while paused cancels the pause's timers.
      expect(workerTransition(paused, { type: 'stop' }).effects).toEqual([{ type: 'cancelRetry' }, { type: 'unpause' }, { type: 'closeStream' }]);
    });

    it('an unlimited worker never reads a budget and never pauses', () => {
      const a = transferPiece();
      expect(workerTransition(initialWorkerState(CONFIG), { type: 'start' }).effects).toEqual([{ type: 'connect' }]);
      expect(workerTransition(streaming(), received(a)).effects).toEqual([{ type: 'transfer', message: a }]);
    });
  });

  it('stops for good on shutdown: cancels the redial and hangs up', () => {
    const waiting = workerTransition(streaming(), { type: 'streamEnded' }).state;
    const stopped = workerTransition(waiting, { type: 'stop' });
    expect(stopped.state.phase).toBe('finished');
    expect(stopped.effects).toEqual([{ type: 'cancelRetry' }, { type: 'closeStream' }]);
    expect(workerTransition(stopped.state, { type: 'retry' }).effects).toEqual([]);
  });

  it('backoffMs: the minimum after one break, doubling, never above the cap, even after very many breaks', () => {
    expect(backoffMs(CONFIG, 0)).toBe(1_000);
    expect(backoffMs(CONFIG, 1)).toBe(1_000);
    expect(backoffMs(CONFIG, 3)).toBe(4_000);
    expect(backoffMs(CONFIG, 10_000)).toBe(8_000);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 0, max: 500 }), (min, extra, failures) => {
        const config = { concurrency: 1, minBackoffMs: min, maxBackoffMs: min + extra };
        const wait = backoffMs(config, failures);
        expect(wait).toBeGreaterThanOrEqual(min);
        expect(wait).toBeLessThanOrEqual(min + extra);
        expect(backoffMs(config, failures + 1)).toBeGreaterThanOrEqual(wait);
      }),
    );
  });

  it('for any sequence of events: never more than `concurrency` transfers, never one piece twice at once, and every report goes to the stream that asked for it', () => {
    const pieceIds = Array.from({ length: 5 }, () => bytes(32));
    const step = fc.oneof(
      fc.constant({ kind: 'start' as const }),
      fc.constant({ kind: 'connected' as const }),
      fc.constant({ kind: 'retry' as const }),
      fc.constant({ kind: 'streamEnded' as const }),
      fc.record({ kind: fc.constant('ask' as const), piece: fc.nat({ max: 4 }) }),
      fc.record({ kind: fc.constant('transferred' as const), pick: fc.nat() }),
      fc.constant({ kind: 'notReady' as const }),
      fc.record({ kind: fc.constant('delete' as const), piece: fc.nat({ max: 4 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.array(step, { minLength: 10, maxLength: 80, size: 'max' }), (concurrency, steps) => {
        let state = initialWorkerState({ ...CONFIG, concurrency });
        let stream = 0; // which stream is open (counts connects)
        /** Transfers the runner is executing: piece id → the stream whose request started it. */
        const executing = new Map<string, number>();
        /** What each stream asked for, by piece id. */
        const asked = new Map<string, Set<number>>();
        for (const s of steps) {
          let event: WorkerEvent;
          if (s.kind === 'ask') {
            if (state.phase !== 'streaming') continue;
            const message = transferPiece(pieceIds[s.piece]!);
            const key = toHex(message.originalPieceId);
            asked.set(key, new Set([...(asked.get(key) ?? []), stream]));
            event = received(message);
          } else if (s.kind === 'transferred') {
            const keys = [...executing.keys()];
            if (keys.length === 0) continue;
            const key = keys[s.pick % keys.length]!;
            const pieceId = pieceIds.find((p) => toHex(p) === key)!;
            event = { type: 'transferred', pieceId, report: { ...failedReport(pieceId), detail: `started on stream ${executing.get(key)}` } };
            executing.delete(key);
          } else if (s.kind === 'notReady') {
            event = received({ type: 'notReady', retryAfterMs: 10 });
          } else if (s.kind === 'delete') {
            event = received({ type: 'deletePiece', originalPieceId: pieceIds[s.piece]! });
          } else {
            event = { type: s.kind };
          }
          if (event.type === 'connected' && state.phase === 'connecting') stream++;
          const next = workerTransition(state, event);
          for (const effect of next.effects) {
            if (effect.type === 'transfer') {
              const key = toHex(effect.message.originalPieceId);
              expect(executing.has(key), 'one piece transferred twice at once').toBe(false);
              expect(next.state.phase).toBe('streaming');
              executing.set(key, stream);
            }
            if (effect.type === 'send' && effect.message.type === 'transferFailed') {
              expect(effect.message.detail, 'a report sent on a stream that did not ask for it').toBe(`started on stream ${stream}`);
              expect(asked.get(toHex(effect.message.originalPieceId))?.has(stream)).toBe(true);
            }
          }
          state = next.state;
          expect(executing.size).toBeLessThanOrEqual(concurrency);
          expect(state.running.size).toBe(executing.size);
        }
      }),
      { numRuns: 500 },
    );
  });
});
