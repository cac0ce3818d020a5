/** Which task changes the console notifies: interruptions and successes, not user pauses or old news. */
import { expect, it } from 'vitest';
import { notificationsFor, remember } from '../../src/console/ui/notifications.js';
import type { TaskState, TransferTask } from '../../src/transfer/types.js';

function task(id: number, state: TaskState, extra: Partial<TransferTask> = {}): TransferTask {
  return {
    id,
    initiatedBy: 'alice',
    sourceProvider: 'a',
    sourcePath: `/1001/p${id}`,
    destinationProvider: 'b',
    destinationPath: '/2002/inbox',
    state,
    progress: 10,
    status: null,
    failureReason: null,
    capabilities: { canPause: true },
    pausedByUser: false,
    idempotencyKey: null,
    requestIndex: null,
    createdAt: 1_000,
    lastUpdate: 2_000,
    revision: 1,
    ...extra,
  } as TransferTask;
}

it('notifies a running task that fails, is halted, pauses by error or succeeds, with the reason', () => {
  const seen = remember(new Map(), [task(1, 'RUNNING'), task(2, 'RUNNING'), task(3, 'RUNNING'), task(4, 'RUNNING'), task(5, 'RUNNING')]);
  const now = [task(1, 'FAILURE', { failureReason: 'no such folder' }), task(2, 'HALTED'), task(3, 'PAUSED', { status: 'connection lost' }), task(4, 'SUCCESS'), task(5, 'PAUSED', { pausedByUser: true })];
  expect(notificationsFor(seen, now, 0)).toEqual([
    { taskId: 1, kind: 'interrupted', text: 'Task 1 failure: /1001/p1 → /2002/inbox (no such folder)' },
    { taskId: 2, kind: 'interrupted', text: 'Task 2 halted: /1001/p2 → /2002/inbox' },
    { taskId: 3, kind: 'interrupted', text: 'Task 3 paused: /1001/p3 → /2002/inbox (connection lost)' },
    { taskId: 4, kind: 'succeeded', text: 'Task 4 succeeded: /1001/p4 → /2002/inbox' },
  ]);
  // Nothing again for the same states.
  expect(notificationsFor(remember(seen, now), now, 0)).toEqual([]);
});

it('a task first seen already ended is notified only when it ended after the page started watching', () => {
  expect(notificationsFor(new Map(), [task(1, 'FAILURE', { lastUpdate: 500 })], 1_000)).toEqual([]);
  expect(notificationsFor(new Map(), [task(1, 'FAILURE', { lastUpdate: 1_500 })], 1_000).map((n) => n.kind)).toEqual(['interrupted']);
  expect(notificationsFor(new Map(), [task(1, 'RUNNING', { lastUpdate: 1_500 })], 1_000)).toEqual([]);
});
