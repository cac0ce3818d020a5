/**
 * Notifications from the task list the page polls: a task that was seen running and is now
 * interrupted (paused by an error, failed, halted) or finished. A pure function of two polls, so
 * the rules are tested without a browser.
 */
import type { TaskState, TransferTask } from '../../transfer/types.js';

/** One notification the console shows. */
export interface TaskNotification {
  readonly taskId: number;
  readonly kind: 'interrupted' | 'succeeded';
  readonly text: string;
}

/** What the page remembers of a task between polls. */
export type SeenStates = ReadonlyMap<number, TaskState>;

/**
 * The notifications for `tasks` given the states `seen` at the previous poll. A task first seen
 * already ended raises one only when it changed after `watchingSince` (the core's clock, ms):
 * a task can start and fail between two polls, but one that ended before the page opened is
 * old news. A pause the user asked for is no interruption.
 */
export function notificationsFor(seen: SeenStates, tasks: readonly TransferTask[], watchingSince: number): TaskNotification[] {
  const out: TaskNotification[] = [];
  for (const task of tasks) {
    const before = seen.get(task.id);
    if (before === task.state || (before === undefined && task.lastUpdate < watchingSince)) continue;
    const where = `${task.sourcePath} → ${task.destinationPath}`;
    if (task.state === 'SUCCESS') out.push({ taskId: task.id, kind: 'succeeded', text: `Task ${task.id} succeeded: ${where}` });
    else if (task.state === 'FAILURE' || task.state === 'HALTED' || (task.state === 'PAUSED' && !task.pausedByUser)) {
      const reason = task.failureReason ?? task.status;
      out.push({ taskId: task.id, kind: 'interrupted', text: `Task ${task.id} ${task.state.toLowerCase()}: ${where}${reason ? ` (${reason})` : ''}` });
    }
  }
  return out;
}

/** The states to remember after a poll of `tasks`. */
export function remember(seen: SeenStates, tasks: readonly TransferTask[]): Map<number, TaskState> {
  const next = new Map(seen);
  for (const task of tasks) next.set(task.id, task.state);
  return next;
}
