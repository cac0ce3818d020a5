import { describe, expect, it } from 'vitest';
import type { ManualClock } from '../../../src/core/clock.js';
import { InternalError } from '../../../src/core/errors.js';
import { TransferCore } from '../../../src/transfer/core/index.js';
import { MemoryTransferTaskStore } from '../../../src/transfer/store/memory.js';
import type { TransferTaskStore } from '../../../src/transfer/store/port.js';
import { SqliteTransferTaskStore } from '../../../src/transfer/store/sqlite.js';
import { createFixture, T0 } from './fixture.js';

const inbox = '/5243/inbox';
const DAY = 86_400_000;
const HOUR = 3_600_000;

describe('transferring files between providers: the checks, in order', () => {
  it('refuses each failing item with the first check it fails, and creates tasks for the others', async () => {
    const f = createFixture();
    f.world
      .addDrive('7000', 'hippo').addFolder('/7000/private') // alice has no rights here
      .addDrive('8000', 'ucloud').grant('alice', '8000', 'read').addFolder('/8000/data') // no allocation at ucloud
      .addFolder('/4123/patients', { sensitivity: 'SENSITIVE' })
      .addFolder('/4123/trial', { dataAgreements: [{ id: 'DPA-17', providers: ['hippo'] }] })
      .addFolder('/4123/covered', { sensitivity: 'SENSITIVE', dataAgreements: [{ id: 'DPA-18', providers: ['hippo', 'aau'] }] });
    const results = await f.core.transferFilesBetweenProviders('alice', [
      { sourcePath: '/4123/results', destinationPath: inbox },
      { sourcePath: '/9999/nowhere', destinationPath: inbox },
      { sourcePath: '/7000/private', destinationPath: inbox },
      { sourcePath: '/8000/data', destinationPath: inbox },
      { sourcePath: '/4123/missing', destinationPath: inbox },
      { sourcePath: '/4123/patients', destinationPath: inbox },
      { sourcePath: '/4123/trial', destinationPath: inbox },
      { sourcePath: '/4123/covered', destinationPath: inbox },
      { sourcePath: '/5243/notes.txt', destinationPath: inbox },
      { sourcePath: '/4123/results', destinationPath: inbox },
      { sourcePath: '/4123/results.csv', destinationPath: inbox },
    ]);
    expect(results).toEqual([
      { ok: true, taskId: expect.any(Number) },
      { ok: false, check: 'drives', reason: 'the source drive of "/9999/nowhere" does not exist' },
      { ok: false, check: 'permissions', reason: 'no permission to read the source drive "7000"' },
      { ok: false, check: 'allocations', reason: 'no active allocation at provider "ucloud"' },
      { ok: false, check: 'source-metadata', reason: 'the source "/4123/missing" does not exist' },
      { ok: false, check: 'source-metadata', reason: 'sensitive data may leave provider "hippo" only under a data agreement that covers "aau"' },
      { ok: false, check: 'source-metadata', reason: 'data agreement "DPA-17" does not cover provider "aau"' },
      { ok: true, taskId: expect.any(Number) },
      { ok: false, check: 'providers', reason: 'source and destination are both at provider "aau"; a transfer goes between two providers' },
      { ok: false, check: 'already-active', reason: `an identical transfer is already active (task ${(results[0] as { taskId: number }).taskId})` },
      { ok: true, taskId: expect.any(Number) },
    ]);
    // Only accepted items were stored and forwarded, in one bulk call to the source provider.
    expect(f.gateway.forwarded).toHaveLength(1);
    expect(f.gateway.forwarded[0]!.requests.map((r) => r.sourcePath)).toEqual(['/4123/results', '/4123/covered', '/4123/results.csv']);
    expect((await f.store.browse({ initiatedBy: 'alice', limit: 50 })).length).toBe(3);
  });

  it('checks the destination drive, permission to edit it, and that it is a folder', async () => {
    const f = createFixture();
    f.world.revoke('alice', '6000').grant('alice', '6000', 'read');
    const to = async (destinationPath: string) => (await f.core.transferFilesBetweenProviders('alice', [{ sourcePath: '/4123/results', destinationPath }]))[0];
    expect(await to('/9999/inbox')).toEqual({ ok: false, check: 'drives', reason: 'the destination drive of "/9999/inbox" does not exist' });
    expect(await to('/6000/incoming')).toEqual({ ok: false, check: 'permissions', reason: 'no permission to edit the destination drive "6000"' });
    expect(await to('/5243/notes.txt')).toEqual({ ok: false, check: 'destination-folder', reason: 'the destination "/5243/notes.txt" is not a folder' });
    expect(await to('/5243/absent')).toEqual({ ok: false, check: 'destination-folder', reason: 'the destination "/5243/absent" does not exist' });
    f.world.endAllocation('alice', 'aau');
    expect(await to(inbox)).toEqual({ ok: false, check: 'allocations', reason: 'no active allocation at provider "aau"' });
  });

  it('refuses an identical transfer started by someone else without revealing their task', async () => {
    const f = createFixture();
    f.world.grant('bob', '4123', 'read').grant('bob', '5243', 'edit').allocate('bob', 'hippo').allocate('bob', 'aau');
    await f.start('/4123/results', 'bob');
    const [result] = await f.core.transferFilesBetweenProviders('alice', [{ sourcePath: '/4123/results', destinationPath: inbox }]);
    expect(result).toEqual({ ok: false, check: 'already-active', reason: 'an identical transfer is already active' });
  });

  it('allows the same transfer again once the first one has ended', async () => {
    const f = createFixture();
    const first = await f.start();
    await f.push({ taskId: first, newState: 'SUCCESS' });
    const second = await f.start();
    expect(second).not.toBe(first);
  });

  it('refuses an item whose check cannot be completed, and no other', async () => {
    const f = createFixture();
    const files = f.world.metadata.bind(f.world);
    f.world.metadata = async (path) => {
      if (path === '/4123/flaky') throw new InternalError('metadata database timeout');
      return files(path);
    };
    const results = await f.core.transferFilesBetweenProviders('alice', [
      { sourcePath: '/4123/flaky', destinationPath: inbox },
      { sourcePath: '/4123/results', destinationPath: inbox },
    ]);
    expect(results[0]).toEqual({ ok: false, check: 'source-metadata', reason: 'could not complete the "source-metadata" check: metadata database timeout' });
    expect(results[1]).toMatchObject({ ok: true });
  });

  it('treats differently spelled paths as the same transfer', async () => {
    const f = createFixture();
    await f.start('/4123/results');
    const [again] = await f.core.transferFilesBetweenProviders('alice', [{ sourcePath: '//4123/results/', destinationPath: '/5243//inbox/' }]);
    expect(again).toMatchObject({ ok: false, check: 'already-active' });
  });
});

describe('transfer requests that are malformed', () => {
  it('are refused whole, with the field named, before any task exists', async () => {
    const f = createFixture();
    const cases: [unknown, RegExp][] = [
      [[], /1 to 1000 items/],
      ['nope', /expected an array/],
      [[{ sourcePath: '/4123/results', destinationPath: inbox }, { sourcePath: '/4123/results.csv', destinationPath: '/6000/incoming' }], /one destination folder/],
      [[{ sourcePath: 'relative/path', destinationPath: inbox }], /"items\[0\]\.sourcePath" expected an absolute path/],
      [[{ sourcePath: '/4123/../5243/x', destinationPath: inbox }], /"\." or "\.\." segments/],
      [[{ sourcePath: '/4123/a\u0000b', destinationPath: inbox }], /NUL/],
      [[{ sourcePath: `/4123/${'a'.repeat(5000)}`, destinationPath: inbox }], /at most 4096/],
      [[{ sourcePath: '/', destinationPath: inbox }], /names no drive/],
      [[null], /expected an object/],
      [Array.from({ length: 1001 }, () => ({ sourcePath: '/4123/results', destinationPath: inbox })), /1 to 1000 items/],
    ];
    for (const [items, message] of cases) {
      await expect(f.core.transferFilesBetweenProviders('alice', items as never)).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringMatching(message) });
    }
    await expect(f.core.transferFilesBetweenProviders('', [{ sourcePath: '/4123/results', destinationPath: inbox }])).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(f.core.transferFilesBetweenProviders('alice', [{ sourcePath: '/4123/results', destinationPath: inbox }], { idempotencyKey: 'a\nb' })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    expect(f.gateway.forwarded).toEqual([]);
    expect(f.events).toEqual([]);
  });
});

describe('forwarding accepted items to the source provider', () => {
  it('sends the task id and destination provider, and records what the plugin can do', async () => {
    const f = createFixture();
    f.gateway.answer = () => ({ ok: true, capabilities: { canPause: false } });
    const id = await f.start();
    expect(f.gateway.forwarded).toEqual([{ provider: 'hippo', requests: [{ taskId: id, sourcePath: '/4123/results', destinationPath: inbox, destinationProvider: 'aau' }] }]);
    expect(await f.core.getTask('alice', id)).toMatchObject({ state: 'INITIATED', capabilities: { canPause: false }, createdAt: T0 });
  });

  it('groups items by source provider, one bulk call each', async () => {
    const f = createFixture();
    f.world.addFolder('/6000/shared');
    const results = await f.core.transferFilesBetweenProviders('alice', [
      { sourcePath: '/4123/results', destinationPath: inbox },
      { sourcePath: '/6000/shared', destinationPath: inbox },
      { sourcePath: '/4123/results.csv', destinationPath: inbox },
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    const calls = Object.fromEntries(f.gateway.forwarded.map((c) => [c.provider, c.requests.map((r) => r.sourcePath)]));
    expect(calls).toEqual({ hippo: ['/4123/results', '/4123/results.csv'], sdu: ['/6000/shared'] });
  });

  it('fails a task the provider refuses, with the provider\'s reason, and tells the user', async () => {
    const f = createFixture();
    f.gateway.answer = (_p, r) => (r.sourcePath.endsWith('.csv') ? { ok: false, reason: 'destination provider runs another transfer plugin' } : { ok: true, capabilities: { canPause: true } });
    const results = await f.core.transferFilesBetweenProviders('alice', [
      { sourcePath: '/4123/results', destinationPath: inbox },
      { sourcePath: '/4123/results.csv', destinationPath: inbox },
    ]);
    const refused = await f.core.getTask('alice', (results[1] as { taskId: number }).taskId);
    expect(refused).toMatchObject({ state: 'FAILURE', failureReason: 'provider "hippo" refused: destination provider runs another transfer plugin' });
    expect(await f.core.getTask('alice', (results[0] as { taskId: number }).taskId)).toMatchObject({ state: 'INITIATED' });
    expect(f.notifier.notifications.map((n) => [n.task.id, n.kind])).toEqual([[refused.id, 'interrupted']]);
  });

  it('fails every forwarded task when the provider cannot be reached', async () => {
    const f = createFixture();
    f.gateway.unreachable();
    const id = await f.start();
    expect(await f.core.getTask('alice', id)).toMatchObject({
      state: 'FAILURE', failureReason: 'provider "hippo" could not take the transfer: connection refused',
    });
    // The failed task no longer blocks a new attempt.
    f.gateway.forwardOutcome = undefined;
    expect(await f.start()).toBeGreaterThan(id);
  });

  it('fails tasks the provider answered badly or not at all', async () => {
    const f = createFixture();
    f.gateway.forwardOutcome = [{ ok: 'maybe' }];
    const results = await f.core.transferFilesBetweenProviders('alice', [
      { sourcePath: '/4123/results', destinationPath: inbox },
      { sourcePath: '/4123/results.csv', destinationPath: inbox },
    ]);
    for (const r of results) {
      expect(await f.core.getTask('alice', (r as { taskId: number }).taskId)).toMatchObject({
        state: 'FAILURE', failureReason: 'provider "hippo" gave no valid answer for this item',
      });
    }
  });

  it('keeps the provider\'s report when its answer arrives after the task already ran', async () => {
    const f = createFixture();
    let id = 0;
    f.gateway.forwardTransfers = async (_provider, requests) => {
      id = requests[0]!.taskId;
      await f.core.updateTransferTask('hippo', [{ taskId: id, newState: 'RUNNING', newProgress: 5 }]);
      throw new InternalError('response lost');
    };
    await f.start();
    expect(await f.core.getTask('alice', id)).toMatchObject({ state: 'RUNNING', progress: 5 });
  });
});

describe('a client retrying a request with an idempotency key', () => {
  const items = [
    { sourcePath: '/4123/results', destinationPath: inbox },
    { sourcePath: '/4123/nope', destinationPath: inbox },
    { sourcePath: '/4123/results.csv', destinationPath: inbox },
  ];

  it('gets the same task ids back and creates nothing new', async () => {
    const f = createFixture();
    const first = await f.core.transferFilesBetweenProviders('alice', items, { idempotencyKey: 'submit-1' });
    const again = await f.core.transferFilesBetweenProviders('alice', items, { idempotencyKey: 'submit-1' });
    expect(again).toEqual(first);
    expect(first[0]).toMatchObject({ ok: true });
    expect(f.gateway.forwarded).toHaveLength(1);
    expect((await f.store.browse({ initiatedBy: 'alice', limit: 50 })).length).toBe(2);
  });

  it('is refused when the key comes back with different items', async () => {
    const f = createFixture();
    await f.core.transferFilesBetweenProviders('alice', items, { idempotencyKey: 'submit-1' });
    await expect(f.core.transferFilesBetweenProviders('alice', items.slice(0, 2), { idempotencyKey: 'submit-1' }))
      .rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringMatching(/different request/) });
  });

  it('keeps keys apart per user', async () => {
    const f = createFixture();
    f.world.grant('bob', '4123', 'read').grant('bob', '6000', 'edit').allocate('bob', 'hippo').allocate('bob', 'sdu');
    await f.core.transferFilesBetweenProviders('alice', items, { idempotencyKey: 'k' });
    const bobs = await f.core.transferFilesBetweenProviders('bob', [{ sourcePath: '/4123/results', destinationPath: '/6000/incoming' }], { idempotencyKey: 'k' });
    expect(bobs[0]).toMatchObject({ ok: true });
  });

  it('forwards again the tasks a crashed attempt created but never forwarded', async () => {
    const store = new MemoryTransferTaskStore();
    const f = createFixture(store);
    // The first attempt dies between storing the task and forwarding it.
    const insert = store.insert.bind(store);
    let crash = true;
    store.insert = async (task) => {
      const stored = await insert(task);
      if (crash) throw new InternalError('core process died');
      return stored;
    };
    await expect(f.core.transferFilesBetweenProviders('alice', items.slice(0, 1), { idempotencyKey: 'k' })).rejects.toThrow('core process died');
    expect(f.gateway.forwarded).toEqual([]);
    crash = false;
    const [result] = await f.core.transferFilesBetweenProviders('alice', items.slice(0, 1), { idempotencyKey: 'k' });
    expect(result).toMatchObject({ ok: true });
    expect(f.gateway.forwarded.map((c) => c.requests[0]!.taskId)).toEqual([(result as { taskId: number }).taskId]);
    expect(await f.core.getTask('alice', (result as { taskId: number }).taskId)).toMatchObject({ capabilities: { canPause: true } });
  });

  it('gives concurrent copies of one request the same task ids, not already-active for each other\'s tasks', async () => {
    for (const store of [new MemoryTransferTaskStore(), await SqliteTransferTaskStore.open({ path: ':memory:' })]) {
      const f = createFixture(store);
      // Enough items for the copies to drift apart, so that one checks an item after another created its task.
      const more = ['a', 'b', 'c', 'd'].map((name) => `/4123/${name}`);
      for (const path of more) f.world.addFolder(path);
      const request = [...items, ...more.map((sourcePath) => ({ sourcePath, destinationPath: inbox }))];
      const answers = await Promise.all(Array.from({ length: 8 }, () => f.core.transferFilesBetweenProviders('alice', request, { idempotencyKey: 'again' })));
      expect(answers[0]!.map((r) => r.ok)).toEqual([true, false, true, true, true, true, true]);
      for (const answer of answers) expect(answer).toEqual(answers[0]);
      expect((await f.store.browse({ initiatedBy: 'alice', limit: 50 })).length).toBe(6);
      await store.close();
    }
  });
});

describe('idempotency keys, which expire after a day as payment APIs\' do', () => {
  const results = [{ sourcePath: '/4123/results', destinationPath: inbox }];
  const csv = [{ sourcePath: '/4123/results.csv', destinationPath: inbox }];
  const taskIdOf = (r: readonly unknown[]) => (r[0] as { taskId: number }).taskId;

  for (const [name, open] of [
    ['memory', async () => new MemoryTransferTaskStore()],
    ['SQLite', async () => SqliteTransferTaskStore.open({ path: ':memory:' })],
  ] as [string, () => Promise<TransferTaskStore>][]) {
    it(`give a retry within the day the same tasks, start anew after it, and are forgotten by the sweep (${name})`, async () => {
      const f = createFixture(await open());
      const first = await f.core.transferFilesBetweenProviders('alice', results, { idempotencyKey: 'nightly' });
      await f.core.transferFilesBetweenProviders('alice', csv, { idempotencyKey: 'once' });
      f.clock.advance(DAY);
      // Exactly a day old: still the same request.
      expect(await f.core.transferFilesBetweenProviders('alice', results, { idempotencyKey: 'nightly' })).toEqual(first);
      expect(f.gateway.forwarded).toHaveLength(2);
      expect(await f.push({ taskId: taskIdOf(first), newState: 'SUCCESS', newProgress: 100 })).toEqual({ ok: true });
      const finished = await f.core.getTask('alice', taskIdOf(first));

      f.clock.advance(1);
      // Older than a day: the key is free, so the same items are a new transfer with a new task.
      const later = await f.core.transferFilesBetweenProviders('alice', results, { idempotencyKey: 'nightly' });
      expect(later).toEqual([{ ok: true, taskId: expect.any(Number) }]);
      expect(taskIdOf(later)).not.toBe(taskIdOf(first));
      expect(f.gateway.forwarded).toHaveLength(3);
      expect(await f.core.getTask('alice', taskIdOf(first))).toEqual(finished);
      // ...and that new request is now what the key means, for its own day.
      expect(await f.core.transferFilesBetweenProviders('alice', results, { idempotencyKey: 'nightly' })).toEqual(later);

      // 'once' expired unused; 'nightly' was claimed anew a moment ago.
      expect(await f.store.findByIdempotencyKey('alice', 'once')).toHaveLength(1);
      expect(await f.core.sweepIdempotencyKeys()).toBe(1);
      expect(await f.store.findByIdempotencyKey('alice', 'once')).toEqual([]);
      expect((await f.store.findByIdempotencyKey('alice', 'nightly')).map((t) => t.id)).toEqual([taskIdOf(later)]);
      expect(await f.core.sweepIdempotencyKeys()).toBe(0);
    });
  }

  it('refuses different items under a key until the key has expired', async () => {
    const f = createFixture();
    await f.core.transferFilesBetweenProviders('alice', results, { idempotencyKey: 'k' });
    f.clock.advance(DAY);
    await expect(f.core.transferFilesBetweenProviders('alice', csv, { idempotencyKey: 'k' })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    f.clock.advance(1);
    expect(await f.core.transferFilesBetweenProviders('alice', csv, { idempotencyKey: 'k' })).toEqual([{ ok: true, taskId: expect.any(Number) }]);
  });

  it('keep as long as the core is configured to keep them', async () => {
    const f = createFixture();
    const core = new TransferCore({ ...ports(f), idempotencyKeyTtlMs: 60_000 });
    const first = await core.transferFilesBetweenProviders('alice', csv, { idempotencyKey: 'k' });
    f.clock.advance(60_000);
    expect(await core.transferFilesBetweenProviders('alice', csv, { idempotencyKey: 'k' })).toEqual(first);
    f.clock.advance(1);
    expect(await core.sweepIdempotencyKeys()).toBe(1);
    expect(() => new TransferCore({ ...ports(f), idempotencyKeyTtlMs: 0 })).toThrow(/idempotencyKeyTtlMs/);
    expect(() => new TransferCore({ ...ports(f), idempotencySweepIntervalMs: Number.NaN })).toThrow(/idempotencySweepIntervalMs/);
  });

  it('are swept every hour between start and stop; a failed sweep is reported and the next one runs', async () => {
    const f = createFixture();
    const core = new TransferCore({ ...ports(f), idempotencyKeyTtlMs: 2 * HOUR });
    const errors: unknown[] = [];
    core.events.on('error', (err) => errors.push(err));
    await core.transferFilesBetweenProviders('alice', csv, { idempotencyKey: 'k' });
    core.start();
    core.start(); // once is enough
    expect(f.clock.pending).toBe(1);

    f.clock.advance(HOUR);
    await sweepEnded(f.clock);
    expect(await f.store.findByIdempotencyKey('alice', 'k')).toHaveLength(1); // an hour old: kept

    const forget = f.store.forgetIdempotencyKeys.bind(f.store);
    f.store.forgetIdempotencyKeys = async () => {
      throw new InternalError('database restarting');
    };
    f.clock.advance(HOUR);
    await sweepEnded(f.clock);
    expect(errors).toEqual([expect.objectContaining({ message: 'database restarting' })]);

    f.store.forgetIdempotencyKeys = forget;
    f.clock.advance(HOUR);
    await sweepEnded(f.clock);
    expect(await f.store.findByIdempotencyKey('alice', 'k')).toEqual([]); // three hours old: forgotten

    await core.stop();
    expect(f.clock.pending).toBe(0);
  });
});

function ports(f: ReturnType<typeof createFixture>) {
  return { store: f.store, drives: f.world, permissions: f.world, allocations: f.world, files: f.world, gateway: f.gateway, clock: f.clock };
}

/** Waits for the sweep that a timer started to run to its end: the sweeper arms its next timer then. */
function sweepEnded(clock: ManualClock): Promise<void> {
  return clock.whenPending();
}
