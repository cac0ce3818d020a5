import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { TASK_STATES } from '../../../src/transfer/lifecycle.js';
import { MemoryTransferTaskStore } from '../../../src/transfer/store/memory.js';
import type { TransferTaskStore } from '../../../src/transfer/store/port.js';
import { SqliteTransferTaskStore } from '../../../src/transfer/store/sqlite.js';
import { isTerminal, type TransferTask } from '../../../src/transfer/types.js';
import { createFixture } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'handoff-core-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the source provider pushing state and progress', () => {
  it('moves a task through its life, and every change is announced in order', async () => {
    const f = createFixture();
    const id = await f.start();
    for (const item of [
      { newState: 'RUNNING', newProgress: 0, newStatus: 'scanning' },
      { newProgress: 12.5, newStatus: '80 MB/s' },
      { newState: 'PAUSED', newStatus: 'connection reset; retrying in 4 s' },
      { newState: 'RUNNING', newProgress: 60 },
      { newState: 'SUCCESS' },
    ]) {
      expect(await f.push({ taskId: id, ...item })).toEqual({ ok: true });
    }
    expect(f.events.map((e) => [e.task.state, e.task.progress])).toEqual([
      ['INITIATED', 0], ['INITIATED', 0], ['RUNNING', 0], ['RUNNING', 12.5], ['PAUSED', 12.5], ['RUNNING', 60], ['SUCCESS', 100],
    ]);
    expect(f.events[0]!.previous).toBeUndefined();
    for (const [i, e] of f.events.entries()) if (i > 0) expect(e.previous).toEqual(f.events[i - 1]!.task);
    expect(await f.core.getTask('alice', id)).toEqual(f.events.at(-1)!.task);
  });

  it('refuses updates from any provider but the task\'s source, and changes nothing', async () => {
    const f = createFixture();
    const id = await f.start();
    const before = await f.core.getTask('alice', id);
    const eventsBefore = f.events.length;
    for (const provider of ['aau', 'sdu']) {
      expect(await f.push({ taskId: id, newState: 'SUCCESS' }, provider)).toEqual({
        ok: false, code: 'PermissionDenied', reason: `provider "${provider}" is not the source provider of task ${id}`,
      });
    }
    expect(await f.core.getTask('alice', id)).toEqual(before);
    expect(f.events.length).toBe(eventsBefore);
  });

  it('applies each item of a bulk on its own: one bad item spoils nothing else', async () => {
    const f = createFixture();
    const a = await f.start('/4123/results');
    const b = await f.start('/4123/results.csv');
    await f.core.updateTransferTask('hippo', [{ taskId: a, newState: 'RUNNING', newProgress: 50 }, { taskId: b, newState: 'SUCCESS' }]);
    const results = await f.core.updateTransferTask('hippo', [
      { taskId: a, newProgress: 40 },
      { taskId: a, newProgress: Number.NaN },
      { taskId: a, newProgress: 101 },
      { taskId: a, newState: 'FINISHED' },
      { taskId: a, newStatus: 'x'.repeat(100_000) },
      { taskId: b, newState: 'RUNNING' },
      { taskId: 999_999, newProgress: 1 },
      { taskId: '12', newProgress: 1 },
      { newProgress: 1 },
      'garbage',
      { taskId: a, newProgress: 75, newStatus: 'ok' },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual([
      'FailedPrecondition', 'InvalidArgument', 'InvalidArgument', 'InvalidArgument', 'InvalidArgument',
      'FailedPrecondition', 'NotFound', 'InvalidArgument', 'InvalidArgument', 'InvalidArgument', 'ok',
    ]);
    expect(results[0]).toMatchObject({ reason: expect.stringMatching(/backwards/) });
    expect(results[5]).toMatchObject({ reason: expect.stringMatching(/terminal/) });
    expect(await f.core.getTask('alice', a)).toMatchObject({ state: 'RUNNING', progress: 75, status: 'ok' });
    expect(await f.core.getTask('alice', b)).toMatchObject({ state: 'SUCCESS', progress: 100 });
  });

  it('accepts a re-delivered update without announcing anything', async () => {
    const f = createFixture();
    const id = await f.start();
    const item = { taskId: id, newState: 'RUNNING', newProgress: 20, newStatus: 'copying' };
    await f.push(item);
    const count = f.events.length;
    expect(await f.push(item)).toEqual({ ok: true });
    expect(await f.push({ taskId: id, newState: null, newProgress: null, newStatus: null })).toEqual({ ok: true });
    expect(f.events.length).toBe(count);
  });

  it('applies several items for one task in the order they came', async () => {
    const f = createFixture();
    const id = await f.start();
    const results = await f.core.updateTransferTask('hippo', [
      { taskId: id, newState: 'RUNNING', newProgress: 10 },
      { taskId: id, newProgress: 20 },
      { taskId: id, newProgress: 15 },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    expect(await f.core.getTask('alice', id)).toMatchObject({ progress: 20, revision: 3 });
  });

  it('refuses a malformed request as a whole', async () => {
    const f = createFixture();
    await expect(f.core.updateTransferTask('', [{ taskId: 1 }])).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(f.core.updateTransferTask('hippo', 'x' as never)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(f.core.updateTransferTask('hippo', new Array(1001).fill({ taskId: 1 }))).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  });
});

describe('persisted before announced', () => {
  for (const [name, open] of [
    ['memory', async () => new MemoryTransferTaskStore()],
    ['SQLite', async () => SqliteTransferTaskStore.open({ path: join(dir, 'announce.db') })],
  ] as [string, () => Promise<TransferTaskStore>][]) {
    it(`a listener reading the ${name} store sees the change it is told about`, async () => {
      const store = await open();
      const f = createFixture(store);
      const reads: Promise<[TransferTask, TransferTask | undefined]>[] = [];
      f.core.events.on('task', (task) => reads.push(store.get(task.id).then((stored) => [task, stored])));
      const id = await f.start();
      await f.push({ taskId: id, newState: 'RUNNING', newProgress: 33 });
      await f.push({ taskId: id, newState: 'FAILURE', newStatus: 'disk error' });
      await f.core.transferFilesBetweenProviders('alice', [{ sourcePath: '/4123/results.csv', destinationPath: '/5243/inbox' }]);
      expect(reads.length).toBe(6);
      for (const [announced, stored] of await Promise.all(reads)) expect(stored).toEqual(announced);
      await store.close();
    });
  }
});

describe('racing changes to one task', () => {
  it('retries from a fresh read when another writer changed the task in between', async () => {
    const store = new MemoryTransferTaskStore();
    const f = createFixture(store);
    const id = await f.start();
    const getMany = store.getMany.bind(store);
    let interfere = true;
    store.getMany = async (ids) => {
      const read = await getMany(ids);
      if (interfere) {
        interfere = false;
        // Another core instance applies a change after our read.
        const t = (await store.get(id))!;
        await store.update({ task: { ...t, state: 'RUNNING', progress: 40, revision: t.revision + 1 }, expectedRevision: t.revision });
      }
      return read;
    };
    expect(await f.push({ taskId: id, newProgress: 30 })).toMatchObject({ ok: false, code: 'FailedPrecondition' });
    interfere = true;
    expect(await f.push({ taskId: id, newProgress: 45 })).toEqual({ ok: true });
    expect(await f.core.getTask('alice', id)).toMatchObject({ state: 'RUNNING', progress: 45 });
    expect(f.events.at(-1)!.previous).toMatchObject({ progress: 40 });
  });

  it('gives up with Aborted when the task never stops changing', async () => {
    const store = new MemoryTransferTaskStore();
    const f = createFixture(store);
    const id = await f.start();
    store.updateMany = async (changes) => changes.map(() => false);
    expect(await f.push({ taskId: id, newProgress: 1 })).toMatchObject({ ok: false, code: 'Aborted' });
  });
});

describe('invariants under random bulk updates', () => {
  // Task 0 and 1 exist; 2 does not.
  const item = fc.record({
    task: fc.constantFrom(0, 1, 2),
    newState: fc.option(fc.oneof(fc.constantFrom(...TASK_STATES), fc.constant('BOGUS')), { nil: undefined }),
    newProgress: fc.option(fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constantFrom(-5, 150, Number.NaN)), { nil: undefined }),
    newStatus: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
  });
  const bulk = fc.record({ provider: fc.constantFrom('hippo', 'hippo', 'hippo', 'aau'), items: fc.array(item, { minLength: 1, maxLength: 8 }) });

  it('never break the lifecycle, whoever sends them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(bulk, { minLength: 1, maxLength: 10 }), async (bulks) => {
        const f = createFixture();
        const ids = [await f.start('/4123/results'), await f.start('/4123/results.csv'), 424_242];
        for (const { provider, items } of bulks) {
          const before = f.events.length;
          const results = await f.core.updateTransferTask(provider, items.map(({ task, ...rest }) => ({ taskId: ids[task], ...rest })));
          expect(results).toHaveLength(items.length);
          if (provider !== 'hippo') {
            expect(results.every((r) => !r.ok)).toBe(true);
            expect(f.events.length).toBe(before);
          }
          expect(f.events.length - before).toBeLessThanOrEqual(results.filter((r) => r.ok).length);
        }
        for (const id of ids.slice(0, 2)) {
          const history = f.events.filter((e) => e.task.id === id).map((e) => e.task);
          for (let i = 1; i < history.length; i++) {
            const [prev, next] = [history[i - 1]!, history[i]!];
            expect(next.revision).toBe(prev.revision + 1);
            expect(next.progress).toBeGreaterThanOrEqual(prev.progress);
            expect(next.progress >= 0 && next.progress <= 100).toBe(true);
            if (isTerminal(prev.state)) expect(next.state).toBe(prev.state);
            if (next.state === 'SUCCESS') expect(next.progress).toBe(100);
          }
          expect(await f.core.getTask('alice', id!)).toEqual(history.at(-1));
        }
      }),
      { numRuns: 60 },
    );
  });
});
