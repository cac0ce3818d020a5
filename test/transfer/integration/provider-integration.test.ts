import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { MemoryCoreLink, MemoryPeerNetwork } from '../../../src/transfer/integration/memory.js';
import type { IntegrationPolicy } from '../../../src/transfer/integration/policy.js';
import { ProviderIntegration } from '../../../src/transfer/integration/provider-integration.js';
import { SqliteIntegrationStore } from '../../../src/transfer/integration/sqlite-store.js';
import type { FileTransferPlugin } from '../../../src/transfer/plugin.js';
import type { TaskId } from '../../../src/transfer/types.js';
import { FakePlugin, FakeReceiver, RestorablePlugin } from './fakes.js';
import { keepsUpdatesWhileCoreIsDown } from './stories.js';

const SECOND = 1000;
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

interface Options {
  plugin?: FakePlugin;
  receiverType?: string;
  policy?: Partial<IntegrationPolicy>;
  storePath?: string;
}

async function providers(options: Options = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const core = new MemoryCoreLink();
  const network = new MemoryPeerNetwork();
  const plugin = options.plugin ?? new FakePlugin();
  const receiver = new FakeReceiver(options.receiverType);
  const errors: string[] = [];
  const openA = async (p: FileTransferPlugin = plugin) => {
    const store = SqliteIntegrationStore.open({ path: options.storePath ?? ':memory:' });
    const im = await ProviderIntegration.open({
      providerId: 'a',
      store,
      core,
      peers: network.linkFor('a'),
      plugin: p,
      clock,
      policy: { maxPausedMs: 3 * 24 * 3600 * SECOND, ...options.policy },
      onError: (_err, context) => void errors.push(context),
    });
    network.register('a', im);
    closers.push(() => store.close(), () => im.close());
    return im;
  };
  const a = await openA();
  const bStore = SqliteIntegrationStore.open({ path: ':memory:' });
  const b = await ProviderIntegration.open({ providerId: 'b', store: bStore, core: new MemoryCoreLink(), peers: network.linkFor('b'), receiver, clock });
  network.register('b', b);
  closers.push(() => bStore.close(), () => b.close());

  const w = {
    clock,
    core,
    network,
    plugin,
    receiver,
    errors,
    a,
    b,
    openA,
    /** The core forwards the transfer to "a"; the client delivers the key from "a" to "b". */
    async forward(taskId: TaskId, deliverKey = true) {
      const [answer] = await w.a.acceptTransfers([{ taskId, sourcePath: '/home/u/run-17', destinationPath: '/inbox', destinationProvider: 'b' }]);
      expect(answer).toEqual({ ok: true, capabilities: { canPause: true } });
      if (deliverKey) await w.deliverKey(taskId);
    },
    async deliverKey(taskId: TaskId) {
      const publicKey = await w.a.issueTransferKey(taskId);
      await w.b.authorizeTransferKey({ taskId, publicKey, sourceProvider: 'a', destinationPath: '/inbox' });
    },
    /** Lets `ms` pass and runs a full round of "a". */
    async after(ms: number) {
      clock.advance(ms);
      await w.a.tick();
    },
    states: (taskId: TaskId) => core.updatesFor(taskId).flatMap((u) => (u.newState ? [u.newState] : [])),
    last: (taskId: TaskId) => core.updatesFor(taskId).at(-1),
  };
  return w;
}

describe('the integration module as a source', () => {
  it('negotiates, starts, polls and reports a transfer in bulk until it succeeds', async () => {
    const w = await providers();
    await w.forward(1);
    await w.after(0);
    expect(w.a.getTask(1)).toMatchObject({ state: 'RUNNING', pid: 1000, parameters: { host: 'b.example.org', port: 22 } });
    expect(w.core.updatesFor(1)).toEqual([{ taskId: 1, newState: 'RUNNING', newStatus: 'transfer started' }]);

    w.plugin.report(1, { state: 'RUNNING', progress: 40.123, status: '10MB/s, 0:00:06 left' });
    await w.after(500);
    expect(w.last(1)).toEqual({ taskId: 1, newProgress: 40.12, newStatus: '10MB/s, 0:00:06 left' });

    w.plugin.report(1, { state: 'SUCCESS', progress: 100 });
    await w.after(500);
    expect(w.last(1)).toEqual({ taskId: 1, newState: 'SUCCESS', newProgress: 100, newStatus: 'transfer complete' });
    expect(w.receiver.released).toEqual([{ taskId: 1, outcome: 'SUCCESS', target: { destinationPath: '/inbox', entryName: 'run-17' } }]);
    expect(w.plugin.calls).toEqual(['start 1', 'release 1']);
    expect(w.a.getTask(1)?.releasePending).toBe(false);
  });

  it('waits in INITIATED until the client has delivered the key to the destination', async () => {
    const w = await providers();
    await w.forward(2, false);
    await w.after(0);
    expect(w.a.getTask(2)?.state).toBe('INITIATED');
    expect(w.last(2)?.newStatus).toBe('the transfer key of task 2 has not been delivered to the destination yet; asking again in 0.5 s');
    await w.after(500);
    expect(w.last(2)?.newStatus).toBe('the transfer key of task 2 has not been delivered to the destination yet; asking again in 1 s');

    await w.deliverKey(2);
    await w.after(SECOND);
    expect(w.a.getTask(2)?.state).toBe('RUNNING');
    expect(w.states(2)).toEqual(['RUNNING']);
  });

  it('fails the task with a clear reason when the providers run different plugins', async () => {
    const w = await providers({ receiverType: 'scp' });
    await w.forward(3, false);
    await w.after(0);
    expect(w.a.getTask(3)?.state).toBe('FAILURE');
    expect(w.last(3)).toEqual({
      taskId: 3,
      newState: 'FAILURE',
      newStatus: 'the providers run different transfer plugins: the source "a" runs "rsync", the destination "b" runs "scp"',
    });
    expect(w.plugin.calls).toEqual(['release 3']);
  });

  it('retries recoverable errors in PAUSED, waiting 4 s and doubling up to 5 min', async () => {
    const w = await providers({ policy: { maxAttemptsWithoutProgress: 100 } });
    await w.forward(4);
    await w.after(0);
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      w.plugin.report(4, { state: 'PAUSED', progress: 10, interruption: { kind: 'retryable', reason: 'rsync stopped with exit 12' } });
      await w.after(500);
      const task = w.a.getTask(4);
      expect(task?.state).toBe('PAUSED');
      const wait = (task?.nextAttemptAt ?? 0) - w.clock.now();
      waits.push(wait / SECOND);
      await w.after(wait - 1);
      expect(w.a.getTask(4)?.state).toBe('PAUSED');
      await w.after(1);
      expect(w.a.getTask(4)?.state).toBe('RUNNING');
    }
    expect(waits).toEqual([4, 8, 16, 32, 64, 128, 256, 300, 300]);
    expect(w.plugin.calls.filter((c) => c === 'resume 4')).toHaveLength(9);
    expect(w.last(4)).toEqual({ taskId: 4, newState: 'RUNNING', newStatus: 'transfer resumed (attempt 10)' });

    // Progress resets the count: the next failure waits 4 s again.
    w.plugin.report(4, { state: 'RUNNING', progress: 50 });
    await w.after(500);
    w.plugin.report(4, { state: 'PAUSED', progress: 50, interruption: { kind: 'retryable', reason: 'rsync was killed by SIGKILL' } });
    await w.after(500);
    expect(w.last(4)).toEqual({ taskId: 4, newState: 'PAUSED', newStatus: 'rsync was killed by SIGKILL; retrying in 4 s' });
  });

  it('gives up on an error that keeps coming back without progress', async () => {
    const w = await providers({ policy: { maxAttemptsWithoutProgress: 2 } });
    await w.forward(5);
    await w.after(0);
    for (let i = 0; i < 3; i++) {
      w.plugin.report(5, { state: 'PAUSED', progress: 0, interruption: { kind: 'retryable', reason: 'rsync stopped with exit 23' } });
      await w.after(500);
      await w.after(300 * SECOND);
    }
    expect(w.a.getTask(5)?.state).toBe('FAILURE');
    expect(w.last(5)?.newStatus).toBe('gave up after 2 attempts without progress: rsync stopped with exit 23');
  });

  it('fails at once on an unrecoverable error and tells the destination', async () => {
    const w = await providers();
    await w.forward(6);
    await w.after(0);
    w.plugin.report(6, { state: 'FAILURE', progress: 12, interruption: { kind: 'fatal', reason: 'the destination refused the SSH connection: Permission denied (publickey).' } });
    await w.after(500);
    expect(w.states(6)).toEqual(['RUNNING', 'FAILURE']);
    expect(w.last(6)?.newStatus).toBe('the destination refused the SSH connection: Permission denied (publickey).');
    expect(w.receiver.released.map((r) => r.outcome)).toEqual(['FAILURE']);
  });

  it('pauses while the destination is out of space, however long, and continues when there is room', async () => {
    const w = await providers({ policy: { maxAttemptsWithoutProgress: 2 } });
    await w.forward(7);
    await w.after(0);
    for (let i = 0; i < 5; i++) {
      w.plugin.report(7, { state: 'PAUSED', progress: 30, interruption: { kind: 'out-of-space', reason: 'the destination is out of space: No space left on device (28)' } });
      await w.after(500);
      expect(w.a.getTask(7)).toMatchObject({ state: 'PAUSED', pauseCause: 'out-of-space' });
      await w.after(300 * SECOND);
    }
    w.plugin.report(7, { state: 'SUCCESS', progress: 100 });
    await w.after(500);
    expect(w.a.getTask(7)?.state).toBe('SUCCESS');
    const paused = w.core.updatesFor(7).find((u) => u.newState === 'PAUSED');
    expect(paused?.newStatus).toMatch(/^the destination is out of space: .*; retrying in 4 s$/);
  });

  it('halts and cancels a task paused longer than the provider allows', async () => {
    const w = await providers({ policy: { maxPausedMs: 3600 * SECOND } });
    await w.forward(8);
    await w.after(0);
    await w.a.control(8, 'pause');
    await w.after(3599 * SECOND);
    expect(w.a.getTask(8)?.state).toBe('PAUSED');
    await w.after(SECOND);
    expect(w.a.getTask(8)?.state).toBe('HALTED');
    expect(w.plugin.calls).toEqual(['start 8', 'pause 8', 'cancel 8', 'release 8']);
    expect(w.last(8)).toEqual({ taskId: 8, newState: 'HALTED', newStatus: 'paused for longer than 1 h; stopped by the provider' });
  });

  it('carries out user pause, resume and cancel through the plugin', async () => {
    const w = await providers();
    await w.forward(9);
    await w.after(0);
    await w.a.control(9, 'pause');
    expect(w.a.getTask(9)).toMatchObject({ state: 'PAUSED', pauseCause: 'user', pid: null });
    await w.after(300 * SECOND); // a user's pause is never retried
    expect(w.a.getTask(9)?.state).toBe('PAUSED');
    await w.a.control(9, 'resume');
    expect(w.a.getTask(9)).toMatchObject({ state: 'RUNNING', pid: 1001 });
    await w.a.control(9, 'cancel');
    await w.a.control(9, 'cancel'); // idempotent
    await expect(w.a.control(9, 'pause')).rejects.toMatchObject({ name: 'FailedPreconditionError' });
    await w.a.tick();
    expect(w.states(9)).toEqual(['RUNNING', 'PAUSED', 'RUNNING', 'HALTED']);
    expect(w.last(9)?.newStatus).toBe('canceled by the user');
    expect(w.plugin.calls).toEqual(['start 9', 'pause 9', 'resume 9', 'cancel 9', 'release 9']);
    expect(w.receiver.released.map((r) => r.outcome)).toEqual(['HALTED']);
  });

  it('refuses pause and resume when its plugin cannot pause', async () => {
    const plugin = new FakePlugin();
    const startOnly: FileTransferPlugin = {
      type: 'rsync',
      capabilities: { canPause: false },
      start: (t) => plugin.start(t),
      cancel: (id) => plugin.cancel(id),
      getState: (id) => plugin.getState(id),
    };
    const w = await providers();
    const a = await w.openA(startOnly);
    const [answer] = await a.acceptTransfers([{ taskId: 10, sourcePath: '/x', destinationPath: '/inbox', destinationProvider: 'b' }]);
    expect(answer).toEqual({ ok: true, capabilities: { canPause: false } });
    await expect(a.control(10, 'pause')).rejects.toThrow('the transfer plugin "rsync" cannot pause or resume');
  });

  it('keeps every update while the core is down and delivers them in order later, even across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'handoff-im-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const w = await providers({ storePath: join(dir, 'a.db'), plugin: new RestorablePlugin() });
    await keepsUpdatesWhileCoreIsDown(w, () => expect(w.errors.filter((e) => e.includes('retrying later')).length).toBeGreaterThan(0));
  });

  it('after a restart adopts a transfer whose process still runs and resumes one whose process is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'handoff-im-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const plugin = new RestorablePlugin();
    const w = await providers({ storePath: join(dir, 'a.db'), plugin });
    await w.forward(12);
    await w.forward(13);
    await w.after(0);
    const [pid12, pid13] = [w.a.getTask(12)?.pid, w.a.getTask(13)?.pid];
    await w.a.close();
    plugin.alive.delete(pid13 as number); // task 13's process died while the module was down

    const a2 = await w.openA();
    expect(a2.getTask(12)).toMatchObject({ state: 'RUNNING', pid: pid12 });
    expect(a2.getTask(13)).toMatchObject({ state: 'RUNNING', status: 'resumed after the integration module restarted' });
    expect(a2.getTask(13)?.pid).not.toBe(pid13);
    expect(plugin.calls.slice(-3)).toEqual([`restore 12 ${pid12} true`, `restore 13 ${pid13} true`, 'resume 13']);
  });

  it('accepts a re-delivered forward once and refuses a different transfer under the same id', async () => {
    const w = await providers();
    await w.forward(14);
    await w.forward(14);
    const [other] = await w.a.acceptTransfers([{ taskId: 14, sourcePath: '/other', destinationPath: '/inbox', destinationProvider: 'b' }]);
    expect(other).toEqual({ ok: false, reason: 'task id 14 is already used for another transfer' });
    const [same] = await w.a.acceptTransfers([{ taskId: 15, sourcePath: '/x', destinationPath: '/inbox', destinationProvider: 'a' }]);
    expect(same).toEqual({ ok: false, reason: 'source and destination are the same provider' });
  });

  it('drops an update the core refuses and goes on with the rest', async () => {
    const w = await providers();
    w.core.refuse = (u) => (u.taskId === 16 ? 'task 16 is unknown' : undefined);
    await w.forward(16);
    await w.forward(17);
    await w.after(0);
    expect(w.core.updates.map((u) => u.taskId)).toEqual([17]);
    expect(w.errors).toContain('the core refused an update of task 16');
  });
});

describe('the integration module as a destination', () => {
  it('lets only the provider the key was granted for negotiate or release the task', async () => {
    const w = await providers();
    await w.forward(20);
    const request = { taskId: 20, pluginType: 'rsync', destinationPath: '/inbox', entryName: 'run-17' };
    expect(await w.b.handlePeerNegotiation('c', request)).toEqual({ ok: false, retryable: false, reason: 'task 20 belongs to source provider "a", not "c"' });
    expect(await w.b.handlePeerNegotiation('a', { ...request, destinationPath: '/elsewhere' })).toMatchObject({ ok: false, retryable: false });
    await expect(w.b.handlePeerRelease('c', { taskId: 20, outcome: 'HALTED' })).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    await expect(w.b.handlePeerRelease('a', { taskId: 20, outcome: 'RUNNING' })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    expect(w.receiver.released).toEqual([]);
  });

  it('refuses a key for a task already granted to another source', async () => {
    const w = await providers();
    await w.forward(21);
    await expect(
      w.b.authorizeTransferKey({ taskId: 21, publicKey: await w.a.issueTransferKey(21), sourceProvider: 'c', destinationPath: '/inbox' }),
    ).rejects.toMatchObject({ name: 'PermissionDeniedError' });
  });
});

describe('plugin registration', () => {
  const base = new FakePlugin();
  const make = (change: Partial<FileTransferPlugin>): FileTransferPlugin => ({
    type: 'rsync',
    capabilities: { canPause: true },
    start: (t) => base.start(t),
    cancel: (id) => base.cancel(id),
    getState: (id) => base.getState(id),
    pause: (id) => base.pause(id),
    resume: (id) => base.resume(id),
    ...change,
  });
  const open = (plugin: FileTransferPlugin) =>
    ProviderIntegration.open({ providerId: 'x', store: SqliteIntegrationStore.open({ path: ':memory:' }), core: new MemoryCoreLink(), peers: new MemoryPeerNetwork().linkFor('x'), plugin });

  it.each([
    ['pause without resume', { resume: undefined }, /pause\(\) but not resume\(\): pause implies resume/],
    ['canPause without pause', { capabilities: { canPause: true }, pause: undefined, resume: undefined }, /canPause is true but pause\(\) is not implemented/],
    ['pause while claiming it cannot', { capabilities: { canPause: false } }, /canPause is false but pause\(\) is implemented/],
    ['no start', { start: undefined }, /must implement start\(\)/],
    ['a type that is not a name', { type: 'Rsync Plugin' }, /"type" expected a short lowercase name/],
  ])('refuses a plugin with %s', async (_, change, message) => {
    await expect(open(make(change as Partial<FileTransferPlugin>))).rejects.toThrow(message);
  });
});
