/**
 * The coordinator's machine at the end of an exit: the outcome once the queue is drained, and a
 * failure at any point, which stops every transfer timer before the exit is finished.
 */
import type { CoordinatorEffect, CoordinatorSession, CoordinatorStep } from './coordinator.js';
import type { ExitFailureReason, ExitRecord } from './types.js';

export function drained(session: CoordinatorSession, exit: ExitRecord): CoordinatorStep {
  if (session.phase !== 'transferring') return { session, effects: [] };
  const attempted = exit.piecesTransferred + exit.piecesFailed;
  const ratio = attempted === 0 ? 0 : exit.piecesFailed / attempted;
  if (ratio > session.config.overallMaxFailuresRatio) {
    return fail(session, 'OVERALL_FAILURE_PERCENTAGE_EXCEEDED', `${exit.piecesFailed} of ${attempted} pieces failed (${(ratio * 100).toFixed(1)}%, at most ${(session.config.overallMaxFailuresRatio * 100).toFixed(1)}% allowed)`);
  }
  return { session: { ...session, phase: 'finishing' }, effects: [{ type: 'finishExit', outcome: 'completed', reason: null, detail: null }] };
}

export function fail(session: CoordinatorSession, reason: ExitFailureReason, detail: string): CoordinatorStep {
  return { session: { ...session, phase: 'finishing' }, effects: [...disarmAll(session), { type: 'finishExit', outcome: 'failed', reason, detail }] };
}

export function disarmAll(session: CoordinatorSession): CoordinatorEffect[] {
  return [...session.inflight.values()].filter((f) => !f.swapping).map((f) => ({ type: 'disarmTimer', pieceId: f.item.pieceId }) as const);
}
