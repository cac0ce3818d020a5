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
 *
 * This file holds the session, its events and effects, and `transition`, which hands each event
 * to its phase: coordinator-opening.ts (the `opened` event), coordinator-transfers.ts (the
 * transfer window) and coordinator-finishing.ts (the exit's outcome).
 */
import type { HandoffError } from '../core/errors.js';
import type { NodeRecord } from '../overlay/types.js';
import { disarmAll, drained } from './coordinator-finishing.js';
import { open } from './coordinator-opening.js';
import { transfer } from './coordinator-transfers.js';
import type { NodeExitMessage, SatelliteExitMessage } from './messages.js';
import type { SatelliteSigner } from './proof.js';
import type { FinishedItem } from './queue-store.js';
import type { ExitConfig, ExitFailureReason, ExitOutcome, ExitQueueItem, ExitRecord, TransferError } from './types.js';

export { receiveTimeoutMs } from './coordinator-transfers.js';

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
