import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CANCELED_BY_USER,
  MAX_STATUS_LENGTH,
  TASK_STATES,
  checkControl,
  newTask,
  transition,
  type LifecycleEvent,
  type TransitionResult,
} from '../../../src/transfer/lifecycle.js';
import { isTerminal, TERMINAL_STATES, type TaskState, type TransferTask } from '../../../src/transfer/types.js';

const T0 = 1_700_000_000_000;

function aTask(overrides: Partial<TransferTask> = {}): TransferTask {
  return {
    ...newTask({
      initiatedBy: 'alice', sourceProvider: 'hippo', sourcePath: '/4123/results', destinationProvider: 'aau',
      destinationPath: '/5243/inbox', idempotencyKey: null, requestIndex: null,
    }, T0),
    id: 7,
    ...overrides,
  };
}

function ok(result: TransitionResult): Extract<TransitionResult, { ok: true }> {
  if (!result.ok) throw result.error;
  return result;
}

function refusedWith(result: TransitionResult): string {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.task)}`);
  return result.error.name;
}

const update = (fields: Omit<Extract<LifecycleEvent, { type: 'update' }>, 'type'>): LifecycleEvent => ({ type: 'update', ...fields });
const notified = (r: TransitionResult) => (r.ok ? r.effects.filter((e) => e.type === 'notify').map((e) => e.kind) : []);

describe('a new transfer task', () => {
  it('starts INITIATED at 0%, without capabilities until the provider accepts it', () => {
    const t = aTask();
    expect(t).toMatchObject({ state: 'INITIATED', progress: 0, status: null, failureReason: null, capabilities: null, pausedByUser: false, revision: 0, createdAt: T0, lastUpdate: T0 });
  });
});

describe('the provider accepting or refusing a forwarded task', () => {
  it('records the plugin capabilities once the provider accepts', () => {
    const r = ok(transition(aTask(), { type: 'accepted', capabilities: { canPause: true } }, T0 + 5));
    expect(r.task).toMatchObject({ state: 'INITIATED', capabilities: { canPause: true }, revision: 1, lastUpdate: T0 + 5 });
    expect(r.effects.map((e) => e.type)).toEqual(['persist', 'announce']);
    expect(ok(transition(r.task, { type: 'accepted', capabilities: { canPause: true } }, T0 + 6)).effects).toEqual([]);
    expect(ok(transition(r.task, { type: 'accepted', capabilities: { canPause: false } }, T0 + 6)).task.capabilities).toEqual({ canPause: false });
  });

  it('ignores an acceptance that arrives after the provider already finished', () => {
    const done = aTask({ state: 'SUCCESS', progress: 100 });
    expect(ok(transition(done, { type: 'accepted', capabilities: { canPause: true } }, T0))).toEqual({ ok: true, task: done, effects: [] });
  });

  it('refuses malformed capabilities', () => {
    expect(refusedWith(transition(aTask(), { type: 'accepted', capabilities: { canPause: 'yes' as unknown as boolean } }, T0))).toBe('InvalidArgumentError');
  });

  it('fails the task with the provider\'s reason when it refuses, and tells the user', () => {
    const r = ok(transition(aTask(), { type: 'refused', reason: 'no rsync plugin configured' }, T0 + 1));
    expect(r.task).toMatchObject({ state: 'FAILURE', failureReason: 'no rsync plugin configured', progress: 0 });
    expect(r.effects.map((e) => e.type)).toEqual(['persist', 'announce', 'notify']);
    expect(notified(r)).toEqual(['interrupted']);
  });

  it('keeps a refusal reason storable: NULs removed, cut to the status limit, never empty', () => {
    expect(ok(transition(aTask(), { type: 'refused', reason: `a\u0000b${'x'.repeat(5000)}` }, T0)).task.failureReason).toHaveLength(MAX_STATUS_LENGTH);
    expect(ok(transition(aTask(), { type: 'refused', reason: '' }, T0)).task.failureReason).toBe('provider "hippo" refused the transfer');
  });

  it('ignores a late refusal once the provider has accepted or reported on the task', () => {
    expect(refusedWith(transition(aTask({ state: 'RUNNING' }), { type: 'refused', reason: 'timeout' }, T0))).toBe('FailedPreconditionError');
    expect(refusedWith(transition(aTask({ capabilities: { canPause: true } }), { type: 'refused', reason: 'timeout' }, T0))).toBe('FailedPreconditionError');
    expect(refusedWith(transition(aTask({ state: 'SUCCESS', progress: 100 }), { type: 'refused', reason: 'timeout' }, T0))).toBe('FailedPreconditionError');
  });
});

describe('state changes pushed by the source provider', () => {
  const allowed: Record<TaskState, TaskState[]> = {
    INITIATED: ['INITIATED', 'RUNNING', 'PAUSED', 'SUCCESS', 'FAILURE', 'HALTED'],
    RUNNING: ['RUNNING', 'PAUSED', 'SUCCESS', 'FAILURE', 'HALTED'],
    PAUSED: ['RUNNING', 'PAUSED', 'SUCCESS', 'FAILURE', 'HALTED'],
    SUCCESS: ['SUCCESS'],
    FAILURE: ['FAILURE'],
    HALTED: ['HALTED'],
  };
  for (const from of TASK_STATES) {
    for (const to of TASK_STATES) {
      const legal = allowed[from].includes(to);
      it(`${legal ? 'allows' : 'refuses'} ${from} → ${to}`, () => {
        const task = aTask({ state: from, progress: from === 'SUCCESS' ? 100 : 10 });
        const r = transition(task, update({ state: to }), T0 + 1);
        if (legal) expect(ok(r).task.state).toBe(to);
        else expect(refusedWith(r)).toBe('FailedPreconditionError');
      });
    }
  }

  it('moves progress forward and records the status', () => {
    const r = ok(transition(aTask({ state: 'RUNNING', progress: 10 }), update({ progress: 42.5, status: '12 MB/s, ETA 3:10' }), T0 + 1));
    expect(r.task).toMatchObject({ state: 'RUNNING', progress: 42.5, status: '12 MB/s, ETA 3:10', revision: 1 });
    expect(notified(r)).toEqual([]);
  });

  it('refuses progress that goes backwards, and changes nothing', () => {
    const task = aTask({ state: 'RUNNING', progress: 40 });
    const r = transition(task, update({ progress: 39.9 }), T0);
    expect(refusedWith(r)).toBe('FailedPreconditionError');
    expect(!r.ok && r.error.message).toMatch(/backwards/);
  });

  it('sets progress to 100 on SUCCESS, whatever the plugin last counted', () => {
    expect(ok(transition(aTask({ state: 'RUNNING', progress: 97 }), update({ state: 'SUCCESS' }), T0)).task.progress).toBe(100);
    expect(ok(transition(aTask({ state: 'RUNNING', progress: 97 }), update({ state: 'SUCCESS', progress: 96 }), T0)).task.progress).toBe(100);
  });

  for (const [what, fields] of [
    ['NaN progress', { progress: Number.NaN }],
    ['infinite progress', { progress: Number.POSITIVE_INFINITY }],
    ['progress 101', { progress: 101 }],
    ['progress -1', { progress: -1 }],
    ['progress given as a string', { progress: '50' as unknown as number }],
    ['an unknown state', { state: 'DONE' as TaskState }],
    ['a status of 1025 characters', { status: 'x'.repeat(MAX_STATUS_LENGTH + 1) }],
    ['a status with a NUL', { status: 'a\u0000b' }],
    ['a status that is not text', { status: 5 as unknown as string }],
  ] as const) {
    it(`refuses ${what} as an invalid argument, even on a finished task`, () => {
      expect(refusedWith(transition(aTask({ state: 'RUNNING', progress: 10 }), update(fields), T0))).toBe('InvalidArgumentError');
      expect(refusedWith(transition(aTask({ state: 'SUCCESS', progress: 100 }), update(fields), T0))).toBe('InvalidArgumentError');
    });
  }

  it('accepts a status of exactly the limit', () => {
    expect(ok(transition(aTask(), update({ status: 'x'.repeat(MAX_STATUS_LENGTH) }), T0)).task.status).toHaveLength(MAX_STATUS_LENGTH);
  });

  it('treats a re-delivered update as done, with no effects', () => {
    const running = aTask({ state: 'RUNNING', progress: 30, status: 'copying' });
    expect(ok(transition(running, update({ state: 'RUNNING', progress: 30, status: 'copying' }), T0 + 9))).toEqual({ ok: true, task: running, effects: [] });
    expect(ok(transition(running, update({}), T0 + 9)).effects).toEqual([]);
    const done = aTask({ state: 'SUCCESS', progress: 100, status: 'done' });
    expect(ok(transition(done, update({ state: 'SUCCESS', progress: 99 }), T0 + 9)).effects).toEqual([]);
  });

  it('refuses any change after a terminal state, the same way whichever it is', () => {
    for (const state of TERMINAL_STATES) {
      const task = aTask({ state, progress: state === 'SUCCESS' ? 100 : 50, status: 'last words' });
      const changes = [
        { progress: task.progress - 30 },
        { progress: task.progress - 30, status: 'last words' },
        { status: 'still here?' },
        { state: 'RUNNING' as const },
        { state: 'PAUSED' as const, progress: task.progress },
        ...TERMINAL_STATES.filter((other) => other !== state).map((other) => ({ state: other })),
        ...(state === 'SUCCESS' ? [] : [{ progress: 60 }]),
      ];
      for (const change of changes) {
        const r = transition(task, update(change), T0);
        expect(r).toEqual({ ok: false, error: expect.objectContaining({ name: 'FailedPreconditionError', message: `task 7 is ${state}, a terminal state: it can no longer change` }) });
      }
      // What the task already holds is a re-delivered push, accepted with no effects.
      expect(ok(transition(task, update({ state, progress: task.progress, status: 'last words' }), T0)).effects).toEqual([]);
    }
  });

  it('refuses a push that would lower a finished task\'s progress, though SUCCESS itself counts as 100', () => {
    const done = aTask({ state: 'SUCCESS', progress: 100 });
    expect(refusedWith(transition(done, update({ progress: 40 }), T0))).toBe('FailedPreconditionError');
    // The push that finished it, re-delivered with the plugin's own count, still changes nothing.
    expect(ok(transition(done, update({ state: 'SUCCESS', progress: 40 }), T0)).effects).toEqual([]);
  });

  it('records why a task failed or was halted by the provider', () => {
    expect(ok(transition(aTask({ state: 'RUNNING' }), update({ state: 'FAILURE', status: 'rsync exit 3: file selection error' }), T0)).task.failureReason)
      .toBe('rsync exit 3: file selection error');
    expect(ok(transition(aTask({ state: 'RUNNING' }), update({ state: 'FAILURE' }), T0)).task.failureReason).toBe('the provider reported a failure');
    expect(ok(transition(aTask({ state: 'PAUSED' }), update({ state: 'HALTED' }), T0)).task.failureReason).toBe('stopped by the provider');
  });

  it('never moves lastUpdate back, even when the clock does', () => {
    const t = aTask({ state: 'RUNNING', lastUpdate: T0 + 1000 });
    expect(ok(transition(t, update({ progress: 5 }), T0)).task.lastUpdate).toBe(T0 + 1000);
  });
});

describe('notifications decided by the lifecycle', () => {
  const cases: [string, Partial<TransferTask>, LifecycleEvent, string[]][] = [
    ['success', { state: 'RUNNING' }, update({ state: 'SUCCESS' }), ['succeeded']],
    ['failure', { state: 'RUNNING' }, update({ state: 'FAILURE' }), ['interrupted']],
    ['halted by the provider\'s policy', { state: 'PAUSED' }, update({ state: 'HALTED', status: 'paused for more than 7 days' }), ['interrupted']],
    ['paused by an error', { state: 'RUNNING' }, update({ state: 'PAUSED', status: 'connection reset; retrying in 4 s' }), ['interrupted']],
    ['paused at the user\'s request', { state: 'RUNNING', pausedByUser: true }, update({ state: 'PAUSED' }), []],
    ['still paused, more status', { state: 'PAUSED' }, update({ status: 'retrying in 8 s' }), []],
    ['running again', { state: 'PAUSED' }, update({ state: 'RUNNING' }), []],
    ['progress', { state: 'RUNNING' }, update({ progress: 50 }), []],
  ];
  for (const [what, from, event, kinds] of cases) {
    it(`${kinds.length ? `notifies ${kinds.join()}` : 'does not notify'} on ${what}`, () => {
      const r = ok(transition(aTask(from), event, T0));
      expect(notified(r)).toEqual(kinds);
      expect(r.effects.map((e) => e.type)).toEqual(['persist', 'announce', ...kinds.map(() => 'notify')]);
      for (const e of r.effects) expect(e.task).toBe(r.task);
    });
  }

  it('forgets the user\'s pause once the task runs again', () => {
    expect(ok(transition(aTask({ state: 'PAUSED', pausedByUser: true }), update({ state: 'RUNNING' }), T0)).task.pausedByUser).toBe(false);
  });
});

describe('a user\'s cancel, pause and resume', () => {
  const pausable = { capabilities: { canPause: true } };

  it('halts a canceled task without notifying the user who canceled it', () => {
    const r = ok(transition(aTask({ state: 'RUNNING', progress: 40, status: '12 MB/s' }), { type: 'control', control: 'cancel' }, T0));
    expect(r.task).toMatchObject({ state: 'HALTED', progress: 40, status: CANCELED_BY_USER, failureReason: CANCELED_BY_USER });
    expect(notified(r)).toEqual([]);
    // The provider's report of the cancel it carried out is then a re-delivery; anything more is a change.
    expect(ok(transition(r.task, update({ state: 'HALTED', status: CANCELED_BY_USER }), T0 + 1)).effects).toEqual([]);
    expect(refusedWith(transition(r.task, update({ state: 'HALTED', status: CANCELED_BY_USER, progress: 45 }), T0 + 1))).toBe('FailedPreconditionError');
  });

  it('cancels with any plugin, even before the provider accepted', () => {
    expect(checkControl(aTask(), 'cancel')).toBeUndefined();
    expect(checkControl(aTask({ state: 'PAUSED', capabilities: { canPause: false } }), 'cancel')).toBeUndefined();
  });

  it('refuses every control once the task has ended', () => {
    for (const control of ['cancel', 'pause', 'resume'] as const) {
      expect(checkControl(aTask({ state: 'FAILURE', ...pausable }), control)?.name).toBe('FailedPreconditionError');
      expect(refusedWith(transition(aTask({ state: 'HALTED', ...pausable }), { type: 'control', control }, T0))).toBe('FailedPreconditionError');
    }
  });

  it('refuses pause and resume when the provider\'s plugin cannot pause', () => {
    const task = aTask({ state: 'RUNNING', capabilities: { canPause: false } });
    expect(checkControl(task, 'pause')?.message).toMatch(/cannot pause or resume/);
    expect(checkControl({ ...task, state: 'PAUSED' }, 'resume')?.message).toMatch(/cannot pause or resume/);
  });

  it('refuses pause and resume before the provider has said what its plugin can do', () => {
    expect(checkControl(aTask(), 'pause')?.message).toMatch(/not been accepted/);
  });

  it('records a pause the provider acknowledged, and refuses a second one', () => {
    const r = ok(transition(aTask({ state: 'RUNNING', ...pausable }), { type: 'control', control: 'pause' }, T0));
    expect(r.task).toMatchObject({ state: 'RUNNING', pausedByUser: true });
    expect(checkControl(r.task, 'pause')?.message).toMatch(/already paused/);
  });

  it('resumes a task paused by the user or by an error, and nothing else', () => {
    expect(ok(transition(aTask({ state: 'PAUSED', pausedByUser: true, ...pausable }), { type: 'control', control: 'resume' }, T0)).task.pausedByUser).toBe(false);
    expect(checkControl(aTask({ state: 'PAUSED', ...pausable }), 'resume')).toBeUndefined();
    expect(checkControl(aTask({ state: 'RUNNING', ...pausable }), 'resume')?.message).toMatch(/nothing to resume/);
  });
});

describe('lifecycle invariants under random event sequences', () => {
  const progress = fc.oneof(
    fc.double({ min: 0, max: 100, noNaN: true }),
    fc.constantFrom(0, 100, -1, 101, Number.NaN, Number.POSITIVE_INFINITY, -0),
  );
  const state = fc.oneof(fc.constantFrom(...TASK_STATES), fc.constant('BOGUS' as TaskState));
  const event: fc.Arbitrary<LifecycleEvent> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ type: fc.constant('update' as const), state, progress, status: fc.string({ maxLength: 20 }) }, { requiredKeys: ['type'] }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('accepted' as const), capabilities: fc.record({ canPause: fc.boolean() }) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('refused' as const), reason: fc.string({ maxLength: 20 }) }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('control' as const), control: fc.constantFrom('cancel' as const, 'pause' as const, 'resume' as const) }) },
  );

  it('never leaves a terminal state, never loses progress, and persists before announcing', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(event, fc.integer({ min: -1000, max: 1000 })), { maxLength: 40 }), (steps) => {
        let task = aTask();
        let now = T0;
        for (const [e, dt] of steps) {
          now += dt;
          const before = task;
          const r = transition(task, e, now);
          if (!r.ok) {
            expect(['FailedPreconditionError', 'InvalidArgumentError']).toContain(r.error.name);
            continue;
          }
          task = r.task;
          if (r.effects.length === 0) {
            expect(task).toBe(before);
            continue;
          }
          expect(r.effects[0]).toEqual({ type: 'persist', task, previous: before });
          expect(r.effects[1]).toEqual({ type: 'announce', task, previous: before });
          expect(r.effects.slice(2).every((x) => x.type === 'notify')).toBe(true);
          expect(task.revision).toBe(before.revision + 1);
          expect(task.lastUpdate).toBeGreaterThanOrEqual(before.lastUpdate);
          if (isTerminal(before.state)) expect(task.state).toBe(before.state);
          if (before.state !== 'INITIATED') expect(task.state).not.toBe('INITIATED');
          expect(Number.isFinite(task.progress) && task.progress >= 0 && task.progress <= 100).toBe(true);
          expect(task.progress).toBeGreaterThanOrEqual(before.progress);
          if (task.state === 'SUCCESS') expect(task.progress).toBe(100);
          expect(TASK_STATES).toContain(task.state);
          // Notifications only when entering a state worth telling about.
          for (const n of r.effects.filter((x) => x.type === 'notify')) {
            expect(task.state).not.toBe(before.state);
            expect(n.kind).toBe(task.state === 'SUCCESS' ? 'succeeded' : 'interrupted');
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
