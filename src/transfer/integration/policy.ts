/**
 * The integration module's decisions, as pure functions of a stored task, what the plugin says
 * and the time: what to do next with a task, how a plugin state changes it, how long to wait
 * before retrying, and what the core must be told. No clock, store or process here.
 */
import type { TransferTaskUpdate } from '../types.js';
import type { InterruptionKind, PluginTransferState } from '../plugin.js';
import type { OutgoingTask } from './store.js';

/** The module's retry and patience settings. */
export interface IntegrationPolicy {
  /** First retry delay (default 4 s, as UCloud's module does). */
  readonly retryInitialMs: number;
  /** Retry delay cap (default 5 min). */
  readonly retryMaxMs: number;
  /** A task PAUSED (or waiting to start) longer than this is stopped: HALTED (default 3 days). */
  readonly maxPausedMs: number;
  /** Consecutive retryable failures without any progress before giving up: FAILURE (default 20). */
  readonly maxAttemptsWithoutProgress: number;
}

/** The integration module's defaults: retry backoff, update batching, pause handling. */
export const DEFAULT_POLICY: IntegrationPolicy = {
  retryInitialMs: 4_000,
  retryMaxMs: 300_000,
  maxPausedMs: 3 * 24 * 3600_000,
  maxAttemptsWithoutProgress: 20,
};

/** Longest status the core accepts. */
export const MAX_STATUS = 1024;

/** What a task needs now. */
export type DueAction = 'none' | 'poll' | 'launch' | 'halt';

/**
 * `poll` a running task; `launch` a task that should run and whose retry time has come
 * (negotiate if needed, then start or resume); `halt` a task that waited longer than allowed.
 */
export function dueAction(task: OutgoingTask, now: number, policy: IntegrationPolicy): DueAction {
  switch (task.state) {
    case 'RUNNING':
      return 'poll';
    case 'INITIATED':
      if (now - task.createdAt >= policy.maxPausedMs) return 'halt';
      return task.nextAttemptAt === null || task.nextAttemptAt <= now ? 'launch' : 'none';
    case 'PAUSED':
      if (task.pausedAt !== null && now - task.pausedAt >= policy.maxPausedMs) return 'halt';
      if (task.pauseCause === 'user') return 'none';
      return task.nextAttemptAt === null || task.nextAttemptAt <= now ? 'launch' : 'none';
    default:
      return 'none';
  }
}

/** Capped exponential backoff: attempt 1 waits `retryInitialMs`, each next one twice as long. */
export function backoffDelay(attempt: number, policy: IntegrationPolicy): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  return Math.min(policy.retryMaxMs, policy.retryInitialMs * 2 ** exponent);
}

/** The task after the plugin reported `reported` on a running task. */
export function applyPluginState(task: OutgoingTask, reported: PluginTransferState, now: number, policy: IntegrationPolicy): OutgoingTask {
  const progress = reported.progress >= 0 ? Math.max(task.progress, Math.min(100, roundDown(reported.progress))) : task.progress;
  const base = { ...task, progress, updatedAt: now };
  switch (reported.state) {
    case 'RUNNING':
    case 'INITIATED':
      return { ...base, state: 'RUNNING', attempts: progress > task.progress ? 0 : task.attempts, status: reported.status ?? task.status };
    case 'SUCCESS':
      return end({ ...base, progress: 100 }, 'SUCCESS', 'transfer complete', now);
    case 'FAILURE':
      return end(base, 'FAILURE', reported.interruption?.reason ?? reported.status ?? 'the transfer failed', now);
    case 'HALTED':
      return end(base, 'HALTED', reported.status ?? 'the transfer was stopped', now);
    case 'PAUSED': {
      const interruption = reported.interruption;
      if (!interruption) return { ...base, state: 'PAUSED', pauseCause: 'user', pausedAt: task.pausedAt ?? now, pid: null };
      return interrupted(base, interruption.kind, interruption.reason, now, policy);
    }
  }
}

/** The task after a run (or an attempt to launch one) stopped with a classified interruption. */
export function interrupted(task: OutgoingTask, kind: InterruptionKind, reason: string, now: number, policy: IntegrationPolicy): OutgoingTask {
  if (kind === 'fatal') return end(task, 'FAILURE', reason, now);
  const attempts = task.attempts + 1;
  if (kind === 'retryable' && attempts > policy.maxAttemptsWithoutProgress) {
    return end(task, 'FAILURE', `gave up after ${attempts - 1} attempts without progress: ${reason}`, now);
  }
  const delay = backoffDelay(attempts, policy);
  const status = `${reason}; retrying in ${formatDuration(delay)}`;
  const waiting = {
    ...task,
    attempts,
    nextAttemptAt: now + delay,
    lastError: reason,
    status: clip(status),
    pid: null,
    updatedAt: now,
  };
  // A task that never started keeps waiting in INITIATED; one that ran is PAUSED while it waits.
  if (task.state === 'INITIATED') return waiting;
  return { ...waiting, state: 'PAUSED', pauseCause: kind === 'out-of-space' ? 'out-of-space' : 'error', pausedAt: task.state === 'PAUSED' ? (task.pausedAt ?? now) : now };
}

/**
 * A task that has not started yet and whose destination is not ready (typically: the client has
 * not delivered the key yet). Not an error: it asks again soon, then less and less often, until
 * `maxPausedMs` after its creation (see {@link dueAction}).
 */
export function waitingForDestination(task: OutgoingTask, reason: string, now: number, firstDelayMs: number, policy: IntegrationPolicy): OutgoingTask {
  const attempts = task.attempts + 1;
  const delay = Math.min(policy.retryMaxMs, firstDelayMs * 2 ** Math.min(attempts - 1, 30));
  return { ...task, attempts, nextAttemptAt: now + delay, lastError: reason, status: clip(`${reason}; asking again in ${formatDuration(delay)}`), updatedAt: now };
}

/** The task moved to a terminal state, with its clean-up still to do. */
export function end(task: OutgoingTask, state: 'SUCCESS' | 'FAILURE' | 'HALTED', status: string, now: number): OutgoingTask {
  return {
    ...task,
    state,
    status: clip(status),
    lastError: state === 'SUCCESS' ? task.lastError : clip(status),
    pid: null,
    nextAttemptAt: null,
    releasePending: true,
    updatedAt: now,
  };
}

/** What the core must be told about the change from `before` to `after`, or null for nothing. */
export function updateFor(before: OutgoingTask | null, after: OutgoingTask): TransferTaskUpdate | null {
  const stateChanged = before === null || before.state !== after.state;
  const progressChanged = after.progress > (before?.progress ?? 0) || (before === null && after.progress > 0);
  const statusChanged = after.status !== null && after.status !== (before?.status ?? null);
  if (!stateChanged && !progressChanged && !statusChanged) return null;
  return {
    taskId: after.taskId,
    ...(stateChanged ? { newState: after.state } : {}),
    ...(progressChanged ? { newProgress: after.progress } : {}),
    ...(statusChanged || (stateChanged && after.status !== null) ? { newStatus: after.status as string } : {}),
  };
}

/** `3 s`, `4 min`, `2 h`, `3 days`. */
export function formatDuration(ms: number): string {
  if (ms < 10_000 && ms % 1000 !== 0) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 48 * 3600_000) return `${Math.round(ms / 3600_000)} h`;
  return `${Math.round(ms / (24 * 3600_000))} days`;
}

/** Cuts a status to what the core accepts. */
export function clip(text: string): string {
  return text.length <= MAX_STATUS ? text : `${text.slice(0, MAX_STATUS - 3)}...`;
}

function roundDown(percent: number): number {
  return Math.floor(percent * 100) / 100;
}
