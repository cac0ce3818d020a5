/**
 * The coordinator's machine when a session opens: refuse the node, tell it to come back later
 * (starting its exit, or while gathering or a time-based period runs), resend a finished exit's
 * final message, judge a time-based exit, or start transferring.
 */
import { FailedPreconditionError, PermissionDeniedError, type HandoffError } from '../core/errors.js';
import type { NodeRecord } from '../overlay/types.js';
import type { CoordinatorEffect, CoordinatorSession, CoordinatorStep } from './coordinator.js';
import { fail } from './coordinator-finishing.js';
import { refillEffects } from './coordinator-transfers.js';
import { days, tooYoungToExit } from './requests.js';
import { judgeTimeBased } from './time-based.js';
import type { ExitRecord } from './types.js';

export function open(session: CoordinatorSession, now: number, node: NodeRecord | undefined, exit: ExitRecord | undefined, onlineScore: number | undefined): CoordinatorStep {
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
