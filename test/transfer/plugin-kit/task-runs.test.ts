/**
 * The task table both shipped plugins share, with a mover that only counts: the lifecycle rules
 * and the phase-to-state mapping, apart from rsync processes and pushes.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PluginTask } from '../../../src/transfer/plugin.js';
import { measuredTotalBytes, TaskRuns, type RunEntry } from '../../../src/transfer/plugin-kit/task-runs.js';

interface Run {
  readonly pid: number;
}
type Entry = RunEntry<Run>;

function task(taskId: number): PluginTask {
  return { taskId, sourcePath: `/src/${taskId}`, destinationProvider: 'b', destinationPath: '/dst', parameters: {}, verifyChecksums: false };
}

function table() {
  const calls: string[] = [];
  let pid = 100;
  const runs = new TaskRuns<Entry, Run>('test', {
    prepare: async (t) => {
      calls.push(`prepare ${t.taskId}`);
      return { task: t, phase: 'paused', run: null, floor: 0, status: undefined, outcome: undefined };
    },
    launch: async (entry) => {
      calls.push(`launch ${entry.task.taskId}`);
      entry.run = { pid: ++pid };
      entry.phase = 'running';
      return { pid: entry.run.pid };
    },
    stop: async (entry) => {
      if (entry.run) calls.push(`stop ${entry.task.taskId}`);
      entry.run = null;
    },
    pid: (run) => run.pid,
  });
  return { runs, calls };
}

describe('TaskRuns', () => {
  it('starts a task once, prepares it once, and reports the running pid again', async () => {
    const { runs, calls } = table();
    expect(await runs.start(task(1))).toEqual({ pid: 101 });
    expect(await runs.start(task(1))).toEqual({ pid: 101 });
    expect(await runs.resume(1)).toEqual({ pid: 101 });
    expect(calls).toEqual(['prepare 1', 'launch 1']);
  });

  it('pauses, resumes, and never resumes a canceled task', async () => {
    const { runs, calls } = table();
    await runs.start(task(2));
    await runs.pause(2);
    expect(runs.stateOf(runs.require(2))).toEqual({ state: 'PAUSED', progress: 0 });
    expect(await runs.resume(2)).toEqual({ pid: 102 });
    await runs.cancel(2);
    await runs.pause(2);
    expect(runs.stateOf(runs.require(2))).toEqual({ state: 'HALTED', progress: 0 });
    await expect(runs.resume(2)).rejects.toMatchObject({ name: 'InvalidArgumentError', message: 'task 2 was canceled; it cannot be resumed' });
    expect(calls).toEqual(['prepare 2', 'launch 2', 'stop 2', 'launch 2', 'stop 2']);
  });

  it('names the plugin for an unknown task, and cancels an unknown one as a no-op', async () => {
    const { runs } = table();
    expect(() => runs.require(9)).toThrow(expect.objectContaining({ name: 'NotFoundError', message: 'the test plugin knows no task 9' }));
    await expect(runs.pause(9)).rejects.toMatchObject({ name: 'NotFoundError' });
    await runs.cancel(9);
    expect(runs.get(9)).toBeUndefined();
  });

  it('forgets a task after stopping its run', async () => {
    const { runs, calls } = table();
    await runs.start(task(3));
    await runs.forget(3);
    expect(runs.get(3)).toBeUndefined();
    expect(runs.entries()).toEqual([]);
    expect(calls).toEqual(['prepare 3', 'launch 3', 'stop 3']);
  });

  it('maps each phase to the state the module reports', async () => {
    const { runs } = table();
    const entry = await runs.learn(task(4));
    entry.floor = 40;
    entry.phase = 'running';
    entry.status = '1 MB/s';
    expect(runs.stateOf(entry)).toEqual({ state: 'RUNNING', progress: 40, status: '1 MB/s' });
    entry.phase = 'ended';
    entry.outcome = null;
    expect(runs.stateOf(entry)).toEqual({ state: 'SUCCESS', progress: 100 });
    entry.outcome = { kind: 'retryable', reason: 'connection lost' };
    expect(runs.stateOf(entry)).toMatchObject({ state: 'PAUSED', progress: 40, status: 'connection lost' });
    entry.outcome = { kind: 'fatal', reason: 'no such file' };
    expect(runs.stateOf(entry)).toMatchObject({ state: 'FAILURE', progress: 40, interruption: { kind: 'fatal' } });
  });
});

describe('measuredTotalBytes', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('measures once per source path and keeps the total in a 0600 meta.json', async () => {
    dir = mkdtempSync(join(tmpdir(), 'handoff-task-runs-'));
    const measured: string[] = [];
    const measure = async (path: string) => (measured.push(path), { bytes: path.length });
    expect(await measuredTotalBytes(dir, '/a/tree', measure)).toBe(7);
    expect(await measuredTotalBytes(dir, '/a/tree', measure)).toBe(7);
    expect(await measuredTotalBytes(dir, '/another', measure)).toBe(8);
    expect(measured).toEqual(['/a/tree', '/another']);
    expect(JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'))).toEqual({ totalBytes: 8, sourcePath: '/another' });
    expect(statSync(join(dir, 'meta.json')).mode & 0o777).toBe(0o600);
  });
});
