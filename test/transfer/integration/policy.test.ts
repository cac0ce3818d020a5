import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPluginState, backoffDelay, DEFAULT_POLICY, dueAction, updateFor } from '../../../src/transfer/integration/policy.js';
import type { OutgoingTask } from '../../../src/transfer/integration/store.js';
import type { TaskState } from '../../../src/transfer/types.js';

const running: OutgoingTask = {
  taskId: 1, pluginType: 'rsync', sourcePath: '/s', localSourcePath: '/s', destinationProvider: 'b', destinationPath: '/d', entryName: 's',
  verifyChecksums: false, parameters: { host: 'b', port: 22 }, state: 'RUNNING', progress: 40, status: null, pid: 7, attempts: 0,
  pausedAt: null, pauseCause: null, nextAttemptAt: null, lastError: null, releasePending: false, createdAt: 0, updatedAt: 0,
};

describe('the integration module policy', () => {
  it('backs off from 4 s, doubling, capped at 5 min', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 50].map((n) => backoffDelay(n, DEFAULT_POLICY) / 1000)).toEqual([4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
  });

  it('never lets progress go backwards, whatever the plugin reports', () => {
    const states: TaskState[] = ['RUNNING', 'PAUSED', 'FAILURE', 'HALTED', 'SUCCESS'];
    fc.assert(
      fc.property(fc.constantFrom(...states), fc.double({ min: -1, max: 150, noNaN: true }), (state, progress) => {
        const next = applyPluginState(running, { state, progress, ...(state === 'PAUSED' ? { interruption: { kind: 'retryable' as const, reason: 'x' } } : {}) }, 1, DEFAULT_POLICY);
        expect(next.progress).toBeGreaterThanOrEqual(running.progress);
        expect(next.progress).toBeLessThanOrEqual(100);
        const update = updateFor(running, next);
        if (update?.newProgress !== undefined) expect(update.newProgress).toBeGreaterThan(running.progress);
      }),
    );
  });

  it('polls running tasks, retries due ones, halts the ones waiting too long, leaves user pauses alone', () => {
    const day = 24 * 3600_000;
    expect(dueAction(running, 0, DEFAULT_POLICY)).toBe('poll');
    const paused: OutgoingTask = { ...running, state: 'PAUSED', pauseCause: 'error', pausedAt: 0, nextAttemptAt: 4000 };
    expect(dueAction(paused, 3999, DEFAULT_POLICY)).toBe('none');
    expect(dueAction(paused, 4000, DEFAULT_POLICY)).toBe('launch');
    expect(dueAction({ ...paused, pauseCause: 'user' }, 4000, DEFAULT_POLICY)).toBe('none');
    expect(dueAction({ ...paused, pauseCause: 'user' }, 3 * day, DEFAULT_POLICY)).toBe('halt');
    expect(dueAction({ ...running, state: 'INITIATED', nextAttemptAt: null }, 0, DEFAULT_POLICY)).toBe('launch');
    expect(dueAction({ ...running, state: 'INITIATED', nextAttemptAt: null }, 3 * day, DEFAULT_POLICY)).toBe('halt');
    expect(dueAction({ ...running, state: 'SUCCESS' }, 0, DEFAULT_POLICY)).toBe('none');
  });

  it('tells the core only what changed', () => {
    expect(updateFor(running, { ...running })).toBeNull();
    expect(updateFor(running, { ...running, progress: 41 })).toEqual({ taskId: 1, newProgress: 41 });
    expect(updateFor(running, { ...running, state: 'PAUSED', status: 'killed' })).toEqual({ taskId: 1, newState: 'PAUSED', newStatus: 'killed' });
  });
});
