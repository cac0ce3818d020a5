/**
 * The time-based exit policy, pure: a node that asked to leave stays online for
 * `timeBasedPeriodMs` after it asked; then its online score over that period decides — at least
 * `timeBasedMinOnlineScore` completes the exit, less fails it (`ONLINE_SCORE_TOO_LOW`). No piece
 * moves: the node is `exiting`, so its pieces already count unhealthy and repair rebuilds what
 * needs it. What Storj moved to in 2023 (docs/exit.md).
 */
import type { ExitConfig, ExitRecord } from './types.js';

/** A node polling a time-based exit comes back at least this often (a disqualification or a config change is noticed within it). */
export const TIME_BASED_MAX_RETRY_MS = 6 * 3_600_000;

/** What the satellite does with a time-based exit now. */
export type TimeBasedVerdict =
  /** The period is not over: come back after `retryAfterMs`. */
  | { readonly type: 'wait'; readonly retryAfterMs: number }
  | { readonly type: 'completed' }
  | { readonly type: 'failed'; readonly reason: 'ONLINE_SCORE_TOO_LOW'; readonly detail: string };

/** When a time-based exit's period ends. */
export function timeBasedDueAt(exit: Pick<ExitRecord, 'initiatedAt'>, config: Pick<ExitConfig, 'timeBasedPeriodMs'>): number {
  return exit.initiatedAt + config.timeBasedPeriodMs;
}

/**
 * Judges a time-based exit at `now`. `onlineScore` is the node's score over the period (from its
 * initiation); only read once the period is over.
 *
 * @example
 * ```ts
 * judgeTimeBased(exit, now, await overlay.onlineScore(nodeId, { since: exit.initiatedAt }), config);
 * // { type: 'wait', retryAfterMs } | { type: 'completed' } | { type: 'failed', reason: 'ONLINE_SCORE_TOO_LOW', detail }
 * ```
 */
export function judgeTimeBased(
  exit: Pick<ExitRecord, 'initiatedAt'>,
  now: number,
  onlineScore: number,
  config: Pick<ExitConfig, 'timeBasedPeriodMs' | 'timeBasedMinOnlineScore' | 'notReadyRetryMs'>,
): TimeBasedVerdict {
  const left = timeBasedDueAt(exit, config) - now;
  if (left > 0) return { type: 'wait', retryAfterMs: Math.min(TIME_BASED_MAX_RETRY_MS, Math.max(config.notReadyRetryMs, left)) };
  if (onlineScore >= config.timeBasedMinOnlineScore) return { type: 'completed' };
  return {
    type: 'failed',
    reason: 'ONLINE_SCORE_TOO_LOW',
    detail: `online ${(onlineScore * 100).toFixed(1)}% of the exit period, at least ${(config.timeBasedMinOnlineScore * 100).toFixed(1)}% needed`,
  };
}
