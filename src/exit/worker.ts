/**
 * The storage node's side of graceful exit with one satellite, as a pure machine:
 * `transition(state, event) → { state, effects }`. The runner (`ExitWorker`) dials, transfers,
 * deletes and persists; time and backoff come in as events.
 *
 * ```text
 * idle ─start─► connecting ─connected─► streaming ─notReady─► waiting ─retry─► connecting …
 * streaming: TransferPiece ─► transfer (up to `concurrency` at once, the rest wait their turn) ─► report
 *            DeletePiece ─► delete;  ExitCompleted | ExitFailed ─► finishing ─► finished
 * a broken stream ─► waiting (capped exponential backoff) ─► connecting
 * with a bandwidth budget (the operator chose to wait): each connect first reads what is left;
 * a piece that does not fit ─► draining (what was accepted finishes and is reported, nothing new)
 *   ─► paused (keep-alives) ─► the allocation renews ─► connecting …
 * ```
 */
import { toHex } from '../core/bytes.js';
import type { ExitReceipt, NodeExitMessage, SatelliteExitMessage } from './messages.js';
import type { ExitFailureReason } from './types.js';

/** The satellite's order to transfer one piece to a replacement node. */
export type TransferPieceMessage = Extract<SatelliteExitMessage, { type: 'transferPiece' }>;

/** Settings of the exit worker: concurrency and backoff. */
export interface WorkerConfig {
  /** Transfers run at once (default 5, as Storj). */
  readonly concurrency: number;
  /** First backoff after a broken stream. */
  readonly minBackoffMs: number;
  /** Backoff never grows past this. */
  readonly maxBackoffMs: number;
  /**
   * While paused for bandwidth, the satellite hears from the node this often (`GracefulExit.KeepAlive`,
   * default 24 h): well within its inactivity window (168 h by default).
   */
  readonly keepAliveIntervalMs: number;
}

/** The exit worker's defaults: concurrency, backoff, keep-alive. */
export const DEFAULT_WORKER_CONFIG: WorkerConfig = Object.freeze({ concurrency: 10, minBackoffMs: 1_000, maxBackoffMs: 5 * 60_000, keepAliveIntervalMs: 24 * 3_600_000 });

/**
 * `draining`: out of bandwidth for this period — the transfers already accepted finish and are
 * reported, new ones are not taken; then `paused`: keep-alives until the allocation renews.
 */
export type WorkerPhase = 'idle' | 'connecting' | 'streaming' | 'draining' | 'waiting' | 'paused' | 'finishing' | 'finished';

/** The exit worker's machine between two events. */
export interface WorkerState {
  readonly config: WorkerConfig;
  readonly phase: WorkerPhase;
  /** Transfers the satellite asked for that wait for a free slot. */
  readonly pending: readonly TransferPieceMessage[];
  /** Piece ids (hex) being transferred. */
  readonly running: ReadonlySet<string>;
  /**
   * Running transfers asked for on a stream that has closed since: their reports name the
   * replacement that stream chose, so they are never sent on a later one (whose satellite
   * session may have sent the piece elsewhere and would read the proof as a forgery).
   */
  readonly orphaned: ReadonlySet<string>;
  /** Streams broken in a row (resets when the satellite answers). */
  readonly failures: number;
  /** The exit transfers within a bandwidth budget: each connect reads what is left first. */
  readonly limited: boolean;
  /** Bytes this connection may still send (null: no limit), less every transfer started on it. */
  readonly remainingBytes: number | null;
}

/** What happens to the exit worker: a satellite message, a transfer outcome, a timer. */
export type WorkerEvent =
  | { readonly type: 'start' }
  /** What is left of the bandwidth allocation this period (null: no limit after all), read before connecting. */
  | { readonly type: 'budget'; readonly remainingBytes: number | null }
  | { readonly type: 'connected' }
  | { readonly type: 'received'; readonly message: SatelliteExitMessage }
  /** A transfer finished with the report to send (`transferSucceeded` or `transferFailed`). */
  | { readonly type: 'transferred'; readonly pieceId: Uint8Array; readonly report: NodeExitMessage }
  /** The stream ended or could not be opened. */
  | { readonly type: 'streamEnded'; readonly error?: unknown }
  | { readonly type: 'retry' }
  /** The bandwidth allocation renewed (or the exit ended meanwhile): go on. */
  | { readonly type: 'resume' }
  /** Time for a keep-alive while paused. */
  | { readonly type: 'keepAliveDue' }
  /** The receipt is stored and the satellite's pieces are removed. */
  | { readonly type: 'finished' }
  /** The node is shutting down. */
  | { readonly type: 'stop' };

/** What the exit worker's machine asks its runner to do: transfer, send, delete, wait. */
export type WorkerEffect =
  | { readonly type: 'connect' }
  /** Read what is left of the bandwidth allocation; answer with a `budget` event. */
  | { readonly type: 'readBudget' }
  /** Out of bandwidth: schedule `resume` when the allocation renews, and `keepAliveDue` every `keepAliveIntervalMs`. */
  | { readonly type: 'pause' }
  /** Tell the satellite the exit is alive (`GracefulExit.KeepAlive`); its answer may `resume` the worker. */
  | { readonly type: 'keepAlive' }
  /** Cancel the pause's timers. */
  | { readonly type: 'unpause' }
  | { readonly type: 'closeStream' }
  | { readonly type: 'send'; readonly message: NodeExitMessage }
  | { readonly type: 'transfer'; readonly message: TransferPieceMessage }
  | { readonly type: 'deletePiece'; readonly pieceId: Uint8Array }
  /** Count a report in the node's exit status. */
  | { readonly type: 'record'; readonly report: NodeExitMessage }
  | { readonly type: 'scheduleRetry'; readonly afterMs: number }
  | { readonly type: 'cancelRetry' }
  /** Store the receipt, then remove every remaining piece of the satellite. */
  | { readonly type: 'finish'; readonly outcome: 'completed' | 'failed'; readonly reason: ExitFailureReason | null; readonly receipt: ExitReceipt }
  | { readonly type: 'report'; readonly error: unknown };

/** One step of the exit worker's machine: the next state and the effects to run. */
export interface WorkerStep {
  readonly state: WorkerState;
  readonly effects: readonly WorkerEffect[];
}

/** `limited`: the exit transfers within the node's bandwidth allocation (the operator chose to wait). */
export function initialWorkerState(config: Partial<WorkerConfig> = {}, options: { readonly limited?: boolean } = {}): WorkerState {
  return {
    config: { ...DEFAULT_WORKER_CONFIG, ...config },
    phase: 'idle',
    pending: [],
    running: new Set(),
    orphaned: new Set(),
    failures: 0,
    limited: options.limited ?? false,
    remainingBytes: null,
  };
}

/** The wait after `failures` broken streams in a row: doubling from the minimum, capped. */
export function backoffMs(config: Pick<WorkerConfig, 'minBackoffMs' | 'maxBackoffMs'>, failures: number): number {
  return Math.min(config.maxBackoffMs, config.minBackoffMs * 2 ** Math.max(0, Math.min(30, failures - 1)));
}

/**
 * @example
 * ```ts
 * let state = initialWorkerState({ concurrency: 10 });
 * const step = workerTransition(state, { type: 'start' }); // → connect
 * ```
 */
export function workerTransition(state: WorkerState, event: WorkerEvent): WorkerStep {
  if (state.phase === 'finished') return { state, effects: [] };
  switch (event.type) {
    case 'start':
    case 'retry':
      if (state.phase !== 'idle' && state.phase !== 'waiting') return { state, effects: [] };
      return { state: { ...state, phase: 'connecting' }, effects: [state.limited ? { type: 'readBudget' } : { type: 'connect' }] };
    case 'resume':
      if (state.phase !== 'paused') return { state, effects: [] };
      return { state: { ...state, phase: 'connecting' }, effects: [{ type: 'unpause' }, state.limited ? { type: 'readBudget' } : { type: 'connect' }] };
    case 'keepAliveDue':
      return state.phase === 'paused' ? { state, effects: [{ type: 'keepAlive' }] } : { state, effects: [] };
    case 'budget':
      if (state.phase !== 'connecting') return { state, effects: [] };
      // Nothing left this period: do not even connect (the satellite would send work to refuse).
      if (event.remainingBytes !== null && event.remainingBytes <= 0) return { state: { ...state, phase: 'paused', remainingBytes: 0 }, effects: [{ type: 'pause' }] };
      return { state: { ...state, remainingBytes: event.remainingBytes }, effects: [{ type: 'connect' }] };
    case 'connected':
      if (state.phase !== 'connecting') return { state, effects: [] };
      return { state: { ...state, phase: 'streaming' }, effects: [] };
    case 'received':
      if (state.phase !== 'streaming' && state.phase !== 'draining') return { state, effects: [] };
      return received(state, event.message);
    case 'transferred': {
      const key = toHex(event.pieceId);
      const running = new Set(state.running);
      running.delete(key);
      const orphaned = new Set(state.orphaned);
      // Asked for on a stream that broke: the report has nowhere to go; the satellite asks again after the redial.
      const stale = orphaned.delete(key);
      if (state.phase !== 'streaming' && state.phase !== 'draining') return { state: { ...state, running, orphaned }, effects: [] };
      const next = startPending({ ...state, running, orphaned });
      const report: WorkerEffect[] = stale ? [] : [{ type: 'record', report: event.report }, { type: 'send', message: event.report }];
      if (next.state.phase === 'draining' && drained(next.state)) return { state: { ...next.state, phase: 'paused' }, effects: [...report, { type: 'closeStream' }, { type: 'pause' }] };
      return { state: next.state, effects: [...report, ...next.effects] };
    }
    case 'streamEnded': {
      if (state.phase === 'finishing' || state.phase === 'waiting' || state.phase === 'idle' || state.phase === 'paused') return { state, effects: [] };
      if (state.phase === 'draining') {
        const effects: WorkerEffect[] = [{ type: 'closeStream' }, { type: 'pause' }];
        if (event.error !== undefined) effects.unshift({ type: 'report', error: event.error });
        return { state: { ...hangUp(state), phase: 'paused' }, effects };
      }
      const failures = state.failures + 1;
      const effects: WorkerEffect[] = [{ type: 'closeStream' }, { type: 'scheduleRetry', afterMs: backoffMs(state.config, failures) }];
      if (event.error !== undefined) effects.unshift({ type: 'report', error: event.error });
      return { state: { ...hangUp(state), phase: 'waiting', failures }, effects };
    }
    case 'finished':
      return { state: { ...state, phase: 'finished', pending: [] }, effects: [{ type: 'closeStream' }] };
    case 'stop':
      return {
        state: { ...state, phase: 'finished', pending: [] },
        effects: [{ type: 'cancelRetry' }, ...(state.phase === 'paused' ? [{ type: 'unpause' } as const] : []), { type: 'closeStream' }],
      };
  }
}

function received(state: WorkerState, message: SatelliteExitMessage): WorkerStep {
  const answered = { ...state, failures: 0 };
  switch (message.type) {
    case 'notReady':
      if (state.phase === 'draining') return { state: { ...hangUp(answered), phase: 'paused' }, effects: [{ type: 'closeStream' }, { type: 'pause' }] };
      return { state: { ...hangUp(answered), phase: 'waiting' }, effects: [{ type: 'closeStream' }, { type: 'scheduleRetry', afterMs: message.retryAfterMs }] };
    case 'transferPiece': {
      // Draining: nothing new. The satellite takes back what it sent when the stream closes, at no cost to the node.
      if (state.phase === 'draining') return { state: answered, effects: [] };
      const key = toHex(message.originalPieceId);
      // A piece still running for a closed stream is asked again: it waits for that run to end.
      const duplicate = (state.running.has(key) && !state.orphaned.has(key)) || state.pending.some((m) => toHex(m.originalPieceId) === key);
      if (duplicate) return { state: answered, effects: [] };
      // Out of bandwidth for this piece: finish and report what was accepted, then hang up until the next period.
      if (state.remainingBytes !== null && message.limit.limitBytes > state.remainingBytes - pendingBytes(state)) {
        const draining: WorkerState = { ...answered, phase: 'draining' };
        if (drained(draining)) return { state: { ...draining, phase: 'paused' }, effects: [{ type: 'closeStream' }, { type: 'pause' }] };
        return { state: draining, effects: [] };
      }
      return startPending({ ...answered, pending: [...state.pending, message] });
    }
    case 'deletePiece':
      return { state: answered, effects: [{ type: 'deletePiece', pieceId: message.originalPieceId }] };
    case 'exitCompleted':
      return { state: { ...answered, phase: 'finishing', pending: [] }, effects: [{ type: 'finish', outcome: 'completed', reason: null, receipt: message.receipt }] };
    case 'exitFailed':
      return { state: { ...answered, phase: 'finishing', pending: [] }, effects: [{ type: 'finish', outcome: 'failed', reason: message.reason, receipt: message.receipt }] };
  }
}

function startPending(state: WorkerState): WorkerStep {
  const running = new Set(state.running);
  const pending: TransferPieceMessage[] = [];
  const effects: WorkerEffect[] = [];
  let remainingBytes = state.remainingBytes;
  for (const message of state.pending) {
    const key = toHex(message.originalPieceId);
    if (running.size >= state.config.concurrency || running.has(key)) {
      pending.push(message);
      continue;
    }
    running.add(key);
    // Counted when it starts: a transfer sends its whole piece (or fails trying).
    if (remainingBytes !== null) remainingBytes -= message.limit.limitBytes;
    effects.push({ type: 'transfer', message });
  }
  return { state: { ...state, running, pending, remainingBytes }, effects };
}

/** Nothing accepted on this stream is left to run or report. */
function drained(state: WorkerState): boolean {
  if (state.pending.length > 0) return false;
  for (const key of state.running) if (!state.orphaned.has(key)) return false;
  return true;
}

/** Bytes of the transfers waiting for a slot (already accepted within the budget). */
function pendingBytes(state: WorkerState): number {
  let bytes = 0;
  for (const message of state.pending) bytes += message.limit.limitBytes;
  return bytes;
}

/** The stream is closing: waiting transfers are forgotten (the satellite asks again) and running ones lose their stream. */
function hangUp(state: WorkerState): WorkerState {
  return { ...state, pending: [], orphaned: new Set([...state.orphaned, ...state.running]) };
}
