/**
 * The `IntegrationStore` contract (the provider integration module's store) as a test suite. The
 * SQLite and PostgreSQL stores run it, and so should a store you write:
 *
 * ```ts
 * import { integrationStoreSuite } from 'handoff/testing/suites';
 * integrationStoreSuite({
 *   name: 'my store',
 *   open: async () => MyStore.open(freshDatabase()),
 *   reopen: async (store) => { await store.close(); return MyStore.open(sameDatabase()); },
 * });
 * ```
 *
 * It checks round-trips of outgoing and incoming tasks, insert-once, the active and
 * release-pending lists, the outbox's merge rule (progress folds into one pending update, state
 * changes keep their order, an update being pushed is never merged into) and acknowledgement,
 * and, when `reopen` is given, that all of it survives a restart with sequence numbers that keep
 * growing. A store with {@link IntegrationStore.flush} is flushed before each reopen, as the
 * module flushes before it announces anything.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { outgoingTaskFor } from '../transfer/integration/forwarded-task.js';
import type { IncomingTask, IntegrationStore, OutgoingTask } from '../transfer/integration/store.js';

/** How {@link integrationStoreSuite} opens the store under test. */
export interface IntegrationStoreSuiteSetup {
  /** Names the `describe` block, e.g. `'SQLite'`. */
  readonly name: string;
  /** A new, empty store for one test. The suite closes it. */
  open(): Promise<IntegrationStore>;
  /** Closes `store` and opens the same data again; omit for stores that keep nothing. */
  reopen?(store: IntegrationStore): Promise<IntegrationStore>;
}

/** A task as the source stores it when the core forwards a transfer of /home/u/run-N to "b". */
function outgoing(taskId: number): OutgoingTask {
  return outgoingTaskFor(
    { taskId, sourcePath: `/home/u/run-${taskId}`, destinationProvider: 'b', destinationPath: '/inbox' },
    { providerId: 'a', pluginType: 'rsync', resolveSource: (p) => `/data${p}`, verifyChecksums: true, now: 1000 + taskId },
  );
}

const incoming: IncomingTask = { taskId: 9, sourceProvider: 'a', destinationPath: '/inbox', entryName: null, pluginType: 'rsync', createdAt: 5, releasedAt: null };

/** Declares the contract's tests for the store `setup` opens. */
export function integrationStoreSuite(setup: IntegrationStoreSuiteSetup): void {
  describe(`integration store contract: ${setup.name}`, () => {
    let current: IntegrationStore | undefined;
    afterEach(async () => {
      await current?.close();
      current = undefined;
    });
    const open = async (): Promise<IntegrationStore> => (current = await setup.open());
    const reopen = async (store: IntegrationStore): Promise<IntegrationStore> => {
      await store.flush?.();
      current = undefined;
      return (current = await setup.reopen!(store));
    };

    it('inserts a task once and reads back every field', async () => {
      const store = await open();
      const task = outgoing(1);
      expect(store.insertOutgoing(task, null)).toBe(true);
      expect(store.insertOutgoing({ ...task, sourcePath: '/other' }, { taskId: 1, newState: 'FAILURE' })).toBe(false);
      expect(store.getOutgoing(1)).toEqual(task);
      expect(store.getOutgoing(2)).toBeUndefined();
      expect(store.pendingUpdates(10)).toEqual([]);
    });

    it('lists active, release-pending and all tasks in task id order', async () => {
      const store = await open();
      for (const id of [3, 1, 2, 4]) store.insertOutgoing(outgoing(id), null);
      store.saveOutgoing({ ...outgoing(2), state: 'SUCCESS', releasePending: true, progress: 100 }, null, 0);
      store.saveOutgoing({ ...outgoing(4), state: 'FAILURE', releasePending: false }, null, 0);
      store.saveOutgoing({ ...outgoing(3), state: 'PAUSED', pauseCause: 'out-of-space', pausedAt: 7 }, null, 0);
      expect(store.listOutgoing('active').map((t) => t.taskId)).toEqual([1, 3]);
      expect(store.listOutgoing('release-pending').map((t) => t.taskId)).toEqual([2]);
      expect(store.listOutgoing('all').map((t) => t.taskId)).toEqual([1, 2, 3, 4]);
    });

    it('enqueues the update given with an insert', async () => {
      const store = await open();
      store.insertOutgoing(outgoing(1), { taskId: 1, newState: 'RUNNING', newStatus: 'started' });
      expect(store.pendingUpdates(10).map((p) => p.update)).toEqual([{ taskId: 1, newState: 'RUNNING', newStatus: 'started' }]);
    });

    it('folds progress into one pending update but keeps every state change in order', async () => {
      const store = await open();
      const task = outgoing(1);
      store.insertOutgoing(task, null);
      store.saveOutgoing(task, { taskId: 1, newState: 'RUNNING', newStatus: 'started' }, 0);
      store.saveOutgoing(task, { taskId: 1, newProgress: 10 }, 0);
      store.saveOutgoing(task, { taskId: 1, newProgress: 20, newStatus: '5MB/s' }, 0);
      store.saveOutgoing(task, { taskId: 1, newState: 'PAUSED', newStatus: 'killed' }, 0);
      store.saveOutgoing(task, { taskId: 1, newProgress: 21 }, 0);
      store.saveOutgoing(task, { taskId: 1, newState: 'RUNNING' }, 0);
      const pending = store.pendingUpdates(10);
      expect(pending.map((p) => p.update)).toEqual([
        { taskId: 1, newState: 'RUNNING', newProgress: 20, newStatus: '5MB/s' },
        { taskId: 1, newState: 'PAUSED', newProgress: 21, newStatus: 'killed' },
        { taskId: 1, newState: 'RUNNING' },
      ]);
      const seqs = pending.map((p) => p.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(3);
      expect(store.pendingUpdates(2).map((p) => p.seq)).toEqual(seqs.slice(0, 2));
    });

    it('never folds into an update that is being pushed, and drops only what was acknowledged', async () => {
      const store = await open();
      const task = outgoing(1);
      store.insertOutgoing(task, null);
      store.saveOutgoing(task, { taskId: 1, newProgress: 10 }, 0);
      store.saveOutgoing(outgoing(2), { taskId: 2, newProgress: 5 }, 0);
      const inFlight = store.pendingUpdates(10).at(-1)!;
      store.saveOutgoing(task, { taskId: 1, newProgress: 30 }, inFlight.seq);
      store.acknowledgeUpdates(inFlight.seq);
      expect(store.pendingUpdates(10).map((p) => p.update)).toEqual([{ taskId: 1, newProgress: 30 }]);
      store.acknowledgeUpdates(inFlight.seq); // again: nothing more goes
      expect(store.pendingUpdates(10)).toHaveLength(1);
    });

    it('remembers incoming tasks; later puts change only the entry name and the release', async () => {
      const store = await open();
      store.putIncoming(incoming);
      store.putIncoming({ ...incoming, sourceProvider: 'mallory', entryName: 'run', releasedAt: 7 });
      expect(store.getIncoming(9)).toEqual({ ...incoming, entryName: 'run', releasedAt: 7 });
      expect(store.getIncoming(10)).toBeUndefined();
    });

    // A store that cannot be reopened (SQLite :memory:) has no such test rather than a skipped one.
    if (setup.reopen) it('keeps tasks, their process id and parameters, the outbox and incoming tasks across a reopen', async () => {
      const store = await open();
      const task = outgoing(1);
      store.insertOutgoing(task, null);
      const running: OutgoingTask = { ...task, state: 'RUNNING', pid: 4242, parameters: { host: 'b', port: 22, ok: true, label: 'x' }, progress: 12.5, attempts: 2, nextAttemptAt: 1_700_000_000_123 };
      store.saveOutgoing(running, { taskId: 1, newState: 'RUNNING', newProgress: 12.5 }, 0);
      store.saveOutgoing(running, { taskId: 1, newState: 'PAUSED' }, 0);
      store.acknowledgeUpdates(store.pendingUpdates(1)[0]!.seq);
      store.putIncoming({ ...incoming, entryName: 'run' });
      const pendingBefore = store.pendingUpdates(10);

      const again = await reopen(store);
      expect(again.getOutgoing(1)).toEqual(running);
      expect(again.listOutgoing('active').map((t) => t.taskId)).toEqual([1]);
      expect(again.pendingUpdates(10)).toEqual(pendingBefore);
      expect(again.getIncoming(9)).toEqual({ ...incoming, entryName: 'run' });
      // Sequence numbers go on growing, so the new entry is pushed after the old one.
      again.saveOutgoing(running, { taskId: 1, newState: 'RUNNING' }, Number.MAX_SAFE_INTEGER);
      const after = again.pendingUpdates(10);
      expect(after).toHaveLength(2);
      expect(after[1]!.seq).toBeGreaterThan(after[0]!.seq);
      again.saveOutgoing({ ...running, state: 'SUCCESS', releasePending: true }, null, 0);
      again.acknowledgeUpdates(after[1]!.seq);

      const third = await reopen(again);
      expect(third.listOutgoing('active')).toEqual([]);
      expect(third.listOutgoing('release-pending').map((t) => t.taskId)).toEqual([1]);
      expect(third.pendingUpdates(10)).toEqual([]);
    });
  });
}
