import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../src/core/errors.js';
import { CANCELED_BY_USER } from '../../../src/transfer/lifecycle.js';
import { createFixture, T0 } from './fixture.js';

const DAY = 86_400_000;

describe('a user following their tasks', () => {
  it('reads their own task, and cannot tell another user\'s task from a missing one', async () => {
    const f = createFixture();
    const id = await f.start();
    expect(await f.core.getTask('alice', id)).toMatchObject({ id, initiatedBy: 'alice', sourceProvider: 'hippo', destinationProvider: 'aau' });
    await expect(f.core.getTask('bob', id)).rejects.toMatchObject({ name: 'NotFoundError', message: `transfer task ${id} not found` });
    await expect(f.core.getTask('alice', id + 100)).rejects.toMatchObject({ name: 'NotFoundError', message: `transfer task ${id + 100} not found` });
    await expect(f.core.getTask('alice', -1)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  });

  it('browses running tasks and those finished within the last week by default, newest first', async () => {
    const f = createFixture();
    f.world.addFolder('/4123/a').addFolder('/4123/b').addFolder('/4123/c');
    const old = await f.start('/4123/a');
    await f.push({ taskId: old, newState: 'SUCCESS' });
    f.clock.advance(8 * DAY);
    const recent = await f.start('/4123/b');
    await f.push({ taskId: recent, newState: 'FAILURE' });
    const running = await f.start('/4123/c');
    await f.push({ taskId: running, newState: 'RUNNING' });
    const ids = async (o = {}) => (await f.core.browseTasks('alice', o)).tasks.map((t) => t.id);
    expect(await ids()).toEqual([running, recent]);
    expect(await ids({ since: 0 })).toEqual([running, recent, old]);
    expect(await ids({ since: 0, states: ['SUCCESS', 'FAILURE', 'HALTED'] })).toEqual([recent, old]);
    expect(await ids({ since: 0, until: T0 + DAY })).toEqual([running, old]);
    expect(await ids({ provider: 'sdu' })).toEqual([]);
    expect(await ids({ provider: 'aau' })).toEqual([running, recent]);
    expect((await f.core.browseTasks('bob')).tasks).toEqual([]);
  });

  it('pages through many tasks with a cursor', async () => {
    const f = createFixture();
    const created: number[] = [];
    for (let i = 0; i < 7; i++) {
      f.world.addFolder(`/4123/run-${i}`);
      created.push(await f.start(`/4123/run-${i}`));
    }
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof f.core.browseTasks>> = await f.core.browseTasks('alice', { limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.tasks.map((t) => t.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());
  });

  it('refuses malformed browse options', async () => {
    const f = createFixture();
    for (const options of [{ limit: 0 }, { limit: 501 }, { limit: 2.5 }, { cursor: 'abc' }, { cursor: '-3' }, { states: ['DONE'] }, { since: Number.NaN }]) {
      await expect(f.core.browseTasks('alice', options as never)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    }
  });
});

describe('a user canceling, pausing and resuming', () => {
  it('cancels through the source provider; the task is HALTED and nobody is bothered', async () => {
    const f = createFixture();
    const id = await f.start();
    await f.push({ taskId: id, newState: 'RUNNING', newProgress: 10 });
    const task = await f.core.cancel('alice', id);
    expect(f.gateway.controls).toEqual([{ provider: 'hippo', taskId: id, control: 'cancel' }]);
    expect(task).toMatchObject({ state: 'HALTED', failureReason: CANCELED_BY_USER, progress: 10 });
    expect(await f.core.getTask('alice', id)).toEqual(task);
    expect(f.notifier.notifications).toEqual([]);
    // The provider confirming it afterwards, as its integration module does, changes nothing.
    const events = f.events.length;
    expect(await f.push({ taskId: id, newState: 'HALTED' })).toEqual({ ok: true });
    expect(await f.push({ taskId: id, newState: 'HALTED', newStatus: 'canceled by the user' })).toEqual({ ok: true });
    expect(f.events.length).toBe(events);
    expect(await f.core.getTask('alice', id)).toEqual(task);
  });

  it('pauses and resumes through the source provider, which reports the new states', async () => {
    const f = createFixture();
    const id = await f.start();
    await f.push({ taskId: id, newState: 'RUNNING', newProgress: 10 });
    expect(await f.core.pause('alice', id)).toMatchObject({ state: 'RUNNING', pausedByUser: true });
    await f.push({ taskId: id, newState: 'PAUSED' });
    expect(await f.core.resume('alice', id)).toMatchObject({ state: 'PAUSED', pausedByUser: false });
    await f.push({ taskId: id, newState: 'RUNNING' });
    expect(f.gateway.controls.map((c) => c.control)).toEqual(['pause', 'resume']);
    // A pause the user asked for is not an interruption.
    expect(f.notifier.notifications).toEqual([]);
  });

  it('lets the user retry a task paused by an error right away', async () => {
    const f = createFixture();
    const id = await f.start();
    await f.push({ taskId: id, newState: 'PAUSED', newStatus: 'destination out of space' });
    await f.core.resume('alice', id);
    expect(f.gateway.controls.map((c) => c.control)).toEqual(['resume']);
  });

  it('refuses pause and resume when the provider\'s plugin cannot pause, without asking it', async () => {
    const f = createFixture();
    f.gateway.answer = () => ({ ok: true, capabilities: { canPause: false } });
    const id = await f.start();
    await f.push({ taskId: id, newState: 'RUNNING' });
    await expect(f.core.pause('alice', id)).rejects.toMatchObject({
      name: 'FailedPreconditionError', message: `the transfer plugin of provider "hippo" cannot pause or resume; task ${id} can only be canceled`,
    });
    await expect(f.core.resume('alice', id)).rejects.toMatchObject({ name: 'FailedPreconditionError' });
    expect(f.gateway.controls).toEqual([]);
    expect((await f.core.cancel('alice', id)).state).toBe('HALTED');
  });

  it('refuses to control a finished task or someone else\'s', async () => {
    const f = createFixture();
    const id = await f.start();
    await expect(f.core.cancel('bob', id)).rejects.toMatchObject({ name: 'NotFoundError' });
    await f.push({ taskId: id, newState: 'SUCCESS' });
    for (const op of ['cancel', 'pause', 'resume'] as const) {
      await expect(f.core[op]('alice', id)).rejects.toMatchObject({ name: 'FailedPreconditionError', message: expect.stringMatching(/terminal/) });
    }
    expect(f.gateway.controls).toEqual([]);
  });

  it('passes on the provider\'s error and changes nothing when the provider cannot carry it out', async () => {
    const f = createFixture();
    const id = await f.start();
    f.gateway.controlError = new UnavailableError('provider "hippo" is not reachable');
    const before = await f.core.getTask('alice', id);
    await expect(f.core.cancel('alice', id)).rejects.toMatchObject({ name: 'UnavailableError' });
    expect(await f.core.getTask('alice', id)).toEqual(before);
  });

  it('keeps the provider\'s report when the task finished while the cancel was on its way', async () => {
    const f = createFixture();
    const id = await f.start();
    f.gateway.duringControl = async () => {
      await f.push({ taskId: id, newState: 'SUCCESS' });
    };
    expect(await f.core.cancel('alice', id)).toMatchObject({ state: 'SUCCESS', progress: 100 });
  });
});

describe('notifications', () => {
  it('tell the user when a transfer is interrupted or succeeds, by email only if they asked', async () => {
    const f = createFixture();
    f.settings.enableEmail('alice', 'interrupted');
    const a = await f.start('/4123/results');
    const b = await f.start('/4123/results.csv');
    await f.core.updateTransferTask('hippo', [
      { taskId: a, newState: 'RUNNING' },
      { taskId: b, newState: 'RUNNING' },
    ]);
    await f.push({ taskId: a, newState: 'PAUSED', newStatus: 'connection reset' });
    await f.push({ taskId: a, newState: 'RUNNING' });
    await f.push({ taskId: a, newState: 'SUCCESS' });
    await f.push({ taskId: b, newState: 'HALTED', newStatus: 'paused longer than 7 days' });
    expect(f.notifier.notifications.map((n) => [n.task.id, n.kind, n.task.state, n.email, n.user])).toEqual([
      [a, 'interrupted', 'PAUSED', true, 'alice'],
      [a, 'succeeded', 'SUCCESS', false, 'alice'],
      [b, 'interrupted', 'HALTED', true, 'alice'],
    ]);
  });

  it('that fail are reported as errors and do not undo the change', async () => {
    const f = createFixture();
    const errors: unknown[] = [];
    f.core.events.on('error', (err) => errors.push(err));
    f.notifier.notify = async () => {
      throw new Error('mail queue full');
    };
    const id = await f.start();
    expect(await f.push({ taskId: id, newState: 'FAILURE' })).toEqual({ ok: true });
    expect(await f.core.getTask('alice', id)).toMatchObject({ state: 'FAILURE' });
    expect(errors).toEqual([new Error('mail queue full')]);
  });

  it('go nowhere, harmlessly, when a listener throws', async () => {
    const f = createFixture();
    const errors: unknown[] = [];
    f.core.events.on('error', (err) => errors.push(err));
    f.core.events.on('task', () => {
      throw new Error('UI crashed');
    });
    const id = await f.start();
    expect(await f.push({ taskId: id, newState: 'RUNNING' })).toEqual({ ok: true });
    expect(errors.length).toBeGreaterThan(0);
  });
});
