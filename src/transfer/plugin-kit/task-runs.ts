/**
 * What every source-side transfer plugin does the same way, whatever moves the bytes: a table of
 * the tasks it knows, each in one of four phases, and the start/resume/pause/cancel rules over
 * them (a running task is not started twice, a canceled one is never resumed, pause and cancel
 * wait until the run has stopped); the mapping of a phase to the state the module reports; and
 * the task's total size, measured once and kept on disk so resumes and restarts share one
 * denominator. A plugin supplies only its mover: how to prepare a task, launch a run and stop it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../../core/errors.js';
import type { PluginRun, PluginTask, PluginTransferState, TransferInterruption } from '../plugin.js';
import type { TaskId } from '../types.js';

/** Where a task is in this process: moving, stopped by a pause, stopped for good, or finished. */
export type RunPhase = 'running' | 'paused' | 'canceled' | 'ended';

/** A task as a plugin keeps it; `R` is what one run of its mover is (a process, a push). */
export interface RunEntry<R> {
  readonly task: PluginTask;
  phase: RunPhase;
  /** The run in progress, if any. */
  run: R | null;
  /** Highest percentage computed for this task in this process: progress never goes back. */
  floor: number;
  status: string | undefined;
  /** Set once an ended run has been classified; null means it succeeded. */
  outcome: TransferInterruption | null | undefined;
}

/** The plugin's own part: its mover. */
export interface RunHooks<E extends RunEntry<R>, R> {
  /** Learns a task (parses its parameters, checks its key, measures it); the table keeps it. */
  prepare(task: PluginTask): Promise<E>;
  /** Starts a run of the entry, stopping an earlier one first, and sets its phase to running. */
  launch(entry: E): Promise<PluginRun>;
  /** Stops the entry's run, if it has one, and resolves once it has stopped. */
  stop(entry: E): Promise<void>;
  /** The process id a run reports to the module (null when it is no process of its own). */
  pid(run: R): number | null;
}

/**
 * The tasks a plugin knows, with the lifecycle rules both shipped plugins share.
 *
 * @example
 * ```ts
 * const runs = new TaskRuns<Entry, Push>('built-in', { prepare, launch, stop, pid: () => null });
 * await runs.start(task);      // prepare + launch, or nothing when it is already running
 * await runs.pause(task.taskId);
 * runs.stateOf(runs.require(task.taskId)); // { state: 'PAUSED', progress: … }
 * ```
 */
export class TaskRuns<E extends RunEntry<R>, R> {
  readonly #tasks = new Map<TaskId, E>();
  readonly #name: string;
  readonly #hooks: RunHooks<E, R>;

  /** `name` is how errors name the plugin ("the rsync plugin knows no task 7"). */
  constructor(name: string, hooks: RunHooks<E, R>) {
    this.#name = name;
    this.#hooks = hooks;
  }

  /** The task's entry, if known. */
  get(taskId: TaskId): E | undefined {
    return this.#tasks.get(taskId);
  }

  /** The task's entry; `NotFoundError` when this plugin does not know the task. */
  require(taskId: TaskId): E {
    const entry = this.#tasks.get(taskId);
    if (!entry) throw new NotFoundError(`the ${this.#name} plugin knows no task ${taskId}`);
    return entry;
  }

  /** The task's entry, prepared (and kept) when it is not known yet. */
  async learn(task: PluginTask): Promise<E> {
    const known = this.#tasks.get(task.taskId);
    if (known) return known;
    const entry = await this.#hooks.prepare(task);
    this.#tasks.set(task.taskId, entry);
    return entry;
  }

  /** Every known entry. */
  entries(): E[] {
    return [...this.#tasks.values()];
  }

  /** Starts the task, unless a run of it is already under way. */
  async start(task: PluginTask): Promise<PluginRun> {
    const known = this.#tasks.get(task.taskId);
    if (known?.phase === 'running' && known.run) return { pid: this.#hooks.pid(known.run) };
    return this.#hooks.launch(known ?? (await this.learn(task)));
  }

  /** Runs the task again; `InvalidArgumentError` once it was canceled. */
  async resume(taskId: TaskId): Promise<PluginRun> {
    const entry = this.require(taskId);
    if (entry.phase === 'canceled') throw new InvalidArgumentError(`task ${taskId} was canceled; it cannot be resumed`);
    if (entry.phase === 'running' && entry.run) return { pid: this.#hooks.pid(entry.run) };
    return this.#hooks.launch(entry);
  }

  /** Stops the run and keeps the task paused (a canceled task stays canceled). */
  async pause(taskId: TaskId): Promise<void> {
    const entry = this.require(taskId);
    if (entry.phase === 'canceled') return;
    entry.phase = 'paused';
    await this.#hooks.stop(entry);
  }

  /** Stops the run for good; a task this plugin does not know needs nothing. */
  async cancel(taskId: TaskId): Promise<void> {
    const entry = this.#tasks.get(taskId);
    if (!entry) return;
    entry.phase = 'canceled';
    await this.#hooks.stop(entry);
  }

  /** Stops the task's run, if any, and forgets the task. */
  async forget(taskId: TaskId): Promise<void> {
    const entry = this.#tasks.get(taskId);
    if (entry) await this.#hooks.stop(entry);
    this.#tasks.delete(taskId);
  }

  /** The state the module reports for an entry in its phase. */
  stateOf(entry: E): PluginTransferState {
    switch (entry.phase) {
      case 'canceled':
        return { state: 'HALTED', progress: entry.floor };
      case 'paused':
        return { state: 'PAUSED', progress: entry.floor };
      case 'running':
        return { state: 'RUNNING', progress: entry.floor, ...(entry.status ? { status: entry.status } : {}) };
      case 'ended': {
        const outcome = entry.outcome;
        if (!outcome) return { state: 'SUCCESS', progress: 100 };
        return { state: outcome.kind === 'fatal' ? 'FAILURE' : 'PAUSED', progress: entry.floor, status: outcome.reason, interruption: outcome };
      }
    }
  }
}

/**
 * The task's total bytes, measured once by `measure` and kept in `dir/meta.json` (0600) beside
 * its source path, so resumes and restarts share one denominator; measured again only when the
 * record is missing, unreadable or for another source path.
 */
export async function measuredTotalBytes(dir: string, sourcePath: string, measure: (path: string) => Promise<{ readonly bytes: number }>): Promise<number> {
  const metaPath = join(dir, 'meta.json');
  try {
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as { totalBytes?: unknown; sourcePath?: unknown };
    if (typeof meta.totalBytes === 'number' && meta.sourcePath === sourcePath) return meta.totalBytes;
  } catch {
    // not measured yet
  }
  const { bytes } = await measure(sourcePath);
  await writeFile(metaPath, JSON.stringify({ totalBytes: bytes, sourcePath }), { mode: 0o600 });
  return bytes;
}
