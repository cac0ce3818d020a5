import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { outgoingTaskFor } from '../../../src/transfer/integration/forwarded-task.js';
import { SqliteIntegrationStore } from '../../../src/transfer/integration/sqlite-store.js';
import type { OutgoingTask } from '../../../src/transfer/integration/store.js';

/** A task as the source stores it when the core forwards a transfer of /home/u/run to "b". */
const task: OutgoingTask = outgoingTaskFor(
  { taskId: 1, sourcePath: '/home/u/run', destinationProvider: 'b', destinationPath: '/inbox' },
  { providerId: 'a', pluginType: 'rsync', resolveSource: (p) => `/data${p}`, verifyChecksums: true, now: 1000 },
);

describe('the integration module store', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'handoff-im-store-'));
    path = join(dir, 'im.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps tasks, with their process id and parameters, across a reopen', () => {
    const store = SqliteIntegrationStore.open({ path });
    expect(store.insertOutgoing(task, null)).toBe(true);
    expect(store.insertOutgoing({ ...task, sourcePath: '/other' }, null)).toBe(false);
    const running: OutgoingTask = { ...task, state: 'RUNNING', pid: 4242, parameters: { host: 'b', port: 22, ok: true }, progress: 12.5 };
    store.saveOutgoing(running, null, 0);
    store.close();

    const again = SqliteIntegrationStore.open({ path });
    expect(again.getOutgoing(1)).toEqual(running);
    expect(again.listOutgoing('active').map((t) => t.taskId)).toEqual([1]);
    again.saveOutgoing({ ...running, state: 'SUCCESS', releasePending: true }, null, 0);
    expect(again.listOutgoing('active')).toEqual([]);
    expect(again.listOutgoing('release-pending').map((t) => t.taskId)).toEqual([1]);
    again.close();
  });

  it('folds progress into one pending update but keeps every state change in order', () => {
    const store = SqliteIntegrationStore.open({ path: ':memory:' });
    store.insertOutgoing(task, null);
    store.saveOutgoing(task, { taskId: 1, newState: 'RUNNING', newStatus: 'started' }, 0);
    store.saveOutgoing(task, { taskId: 1, newProgress: 10 }, 0);
    store.saveOutgoing(task, { taskId: 1, newProgress: 20, newStatus: '5MB/s' }, 0);
    store.saveOutgoing(task, { taskId: 1, newState: 'PAUSED', newStatus: 'killed' }, 0);
    store.saveOutgoing(task, { taskId: 1, newProgress: 21 }, 0);
    store.saveOutgoing(task, { taskId: 1, newState: 'RUNNING' }, 0);
    expect(store.pendingUpdates(10).map((p) => p.update)).toEqual([
      { taskId: 1, newState: 'RUNNING', newProgress: 20, newStatus: '5MB/s' },
      { taskId: 1, newState: 'PAUSED', newProgress: 21, newStatus: 'killed' },
      { taskId: 1, newState: 'RUNNING' },
    ]);
    store.close();
  });

  it('never folds into an update that is being pushed, and drops only what was acknowledged', () => {
    const store = SqliteIntegrationStore.open({ path: ':memory:' });
    store.saveOutgoing(task, { taskId: 1, newProgress: 10 }, 0);
    const [inFlight] = store.pendingUpdates(10);
    store.saveOutgoing(task, { taskId: 1, newProgress: 30 }, inFlight?.seq ?? 0);
    store.acknowledgeUpdates(inFlight?.seq ?? 0);
    expect(store.pendingUpdates(10).map((p) => p.update)).toEqual([{ taskId: 1, newProgress: 30 }]);
    store.close();
  });

  it('remembers incoming tasks and their release', () => {
    const store = SqliteIntegrationStore.open({ path: ':memory:' });
    const incoming = { taskId: 9, sourceProvider: 'a', destinationPath: '/inbox', entryName: null, pluginType: 'rsync', createdAt: 5, releasedAt: null };
    store.putIncoming(incoming);
    store.putIncoming({ ...incoming, entryName: 'run', releasedAt: 7 });
    expect(store.getIncoming(9)).toEqual({ ...incoming, entryName: 'run', releasedAt: 7 });
    expect(store.getIncoming(10)).toBeUndefined();
    store.close();
  });
});
