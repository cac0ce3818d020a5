/**
 * The built-in transfer plugin, source side: needs nothing outside the package. The source
 * provider pushes the tree to the destination provider over handoff's own authenticated RPC
 * (`push.ts`), with a per-task key the destination authorized in the key exchange. Pause and
 * cancel abort the run and wait until it has stopped; resume runs again and continues inside the
 * file the destination holds part of; progress is a percentage of a total measured once.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../core/clock.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { NodeId } from '../../crypto/node-id.js';
import type { Transport } from '../../transport/types.js';
import type { FileTransferPlugin, PluginRun, PluginTask, PluginTransferState, TransferParameters } from '../plugin.js';
import { measuredTotalBytes, TaskRuns, type RunEntry } from '../plugin-kit/task-runs.js';
import { transferPercentage } from '../rsync/progress.js';
import type { PluginCapabilities, TaskId } from '../types.js';
import { classifyPushError } from './interruption.js';
import { pushTree, type PushTarget } from './push.js';
import { TaskKeys, taskDir } from './task-key.js';
import { listTree, type TreeEntry } from './tree.js';

/** The plugin type both providers must run. */
export const BUILTIN_PLUGIN_TYPE = 'builtin';

/** Options of {@link builtinPlugin}. */
export interface BuiltinPluginOptions {
  /** Per-task keys and working files; one 0700 subfolder per task. */
  readonly stateDir: string;
  /** How this provider reaches other providers (the same transport its RPC uses). */
  readonly transport: Transport;
  /** Most KiB/s per transfer (default unlimited). */
  readonly bandwidthLimitKiBps?: number;
  readonly clock?: Clock;
}

type FileEntry = Extract<TreeEntry, { type: 'file' }>;

/** One push of the tree, and how to stop it. */
interface Push {
  readonly controller: AbortController;
  readonly ended: Promise<void>;
}

interface Entry extends RunEntry<Push> {
  readonly target: Omit<PushTarget, 'identity'>;
  readonly dir: string;
  readonly totalBytes: number;
  /** Files the destination confirmed: path → "size:mtime". */
  readonly stored: Map<string, string>;
}

/**
 * Creates the built-in plugin.
 *
 * @example
 * ```ts
 * const plugin = builtinPlugin({ stateDir: '/var/lib/handoff/builtin', transport: tcpTransport() });
 * ```
 */
export function builtinPlugin(options: BuiltinPluginOptions): BuiltinPlugin {
  return new BuiltinPlugin(options);
}

/** See {@link builtinPlugin}. */
export class BuiltinPlugin implements FileTransferPlugin {
  readonly type = BUILTIN_PLUGIN_TYPE;
  readonly capabilities: PluginCapabilities = { canPause: true };
  readonly #options: BuiltinPluginOptions;
  readonly #keys: TaskKeys;
  readonly #clock: Clock;
  readonly #runs: TaskRuns<Entry, Push>;

  constructor(options: BuiltinPluginOptions) {
    this.#options = options;
    this.#keys = new TaskKeys(options.stateDir);
    this.#clock = options.clock ?? systemClock;
    this.#runs = new TaskRuns<Entry, Push>('built-in', {
      prepare: (task) => this.#prepare(task),
      launch: (entry) => this.#launch(entry),
      stop: (entry) => this.#stopRun(entry),
      pid: () => null,
    });
  }

  issueTransferKey(taskId: TaskId): Promise<string> {
    return this.#keys.issue(taskId);
  }

  start(task: PluginTask): Promise<PluginRun> {
    return this.#runs.start(task);
  }

  resume(taskId: TaskId): Promise<PluginRun> {
    return this.#runs.resume(taskId);
  }

  pause(taskId: TaskId): Promise<void> {
    return this.#runs.pause(taskId);
  }

  cancel(taskId: TaskId): Promise<void> {
    return this.#runs.cancel(taskId);
  }

  async getState(taskId: TaskId): Promise<PluginTransferState> {
    return this.#runs.stateOf(this.#runs.require(taskId));
  }

  /** Nothing of a run outlives the process that ran it: re-learn the task, paused; the module resumes it. */
  async restore(task: PluginTask): Promise<PluginRun | null> {
    const entry = await this.#runs.learn(task);
    if (entry.run && entry.phase === 'running') return { pid: null };
    entry.phase = 'paused';
    return null;
  }

  async release(taskId: TaskId): Promise<void> {
    await this.#runs.forget(taskId);
    await this.#keys.discard(taskId);
  }

  /**
   * Stops every run of this process without deciding anything about the tasks: for a host that
   * shuts down. The module's next start finds them RUNNING and resumes them inside their files.
   */
  async close(): Promise<void> {
    await Promise.all(this.#runs.entries().map((entry) => this.#stopRun(entry)));
  }

  async #prepare(task: PluginTask): Promise<Entry> {
    const target = parseTarget(task.parameters, this.#options.transport);
    await this.#keys.require(task.taskId);
    const dir = taskDir(this.#options.stateDir, task.taskId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return {
      task,
      target,
      dir,
      totalBytes: await measuredTotalBytes(dir, task.sourcePath, listTree),
      stored: await readStored(join(dir, 'stored.jsonl')),
      phase: 'paused',
      run: null,
      floor: 0,
      status: undefined,
      outcome: undefined,
    };
  }

  async #launch(entry: Entry): Promise<PluginRun> {
    await this.#stopRun(entry);
    // Both can fail fast and typed (no source, no key): the module classifies what start throws.
    const identity = await this.#keys.require(entry.task.taskId);
    const tree = await listTree(entry.task.sourcePath);
    const controller = new AbortController();
    entry.phase = 'running';
    entry.outcome = undefined;
    entry.status = tree.skipped > 0 ? `${tree.skipped} links or special files are not sent` : undefined;
    const startedAt = this.#clock.now();
    let sent = 0;
    const limit = this.#options.bandwidthLimitKiBps;
    const ended = pushTree({
      taskId: entry.task.taskId,
      target: { ...entry.target, identity },
      entries: tree.entries,
      isStored: (f) => entry.stored.get(f.path) === storedKey(f),
      onStored: async (f) => {
        entry.stored.set(f.path, storedKey(f));
        await appendFile(join(entry.dir, 'stored.jsonl'), `${JSON.stringify({ path: f.path, key: storedKey(f) })}\n`, { mode: 0o600 });
      },
      onProgress: (bytes) => {
        entry.floor = transferPercentage(bytes, entry.totalBytes, entry.floor);
      },
      pace: async (bytes, signal) => {
        sent += bytes;
        if (limit === undefined) return;
        const due = startedAt + (sent / (limit * 1024)) * 1000;
        const wait = due - this.#clock.now();
        if (wait > 0) await sleep(this.#clock, wait, signal);
      },
      signal: controller.signal,
    }).then(
      () => {
        if (entry.run?.controller !== controller || entry.phase !== 'running') return;
        entry.phase = 'ended';
        entry.outcome = null;
        entry.run = null;
      },
      (err: unknown) => {
        // Our own pause or cancel aborted it: the phase already says what happened.
        if (controller.signal.aborted || entry.run?.controller !== controller || entry.phase !== 'running') return;
        entry.phase = 'ended';
        entry.outcome = classifyPushError(err);
        entry.run = null;
      },
    );
    entry.run = { controller, ended };
    return { pid: null };
  }

  async #stopRun(entry: Entry): Promise<void> {
    const run = entry.run;
    if (!run) return;
    run.controller.abort();
    await run.ended;
    if (entry.run === run) entry.run = null;
  }
}

/** The negotiated parameters: the destination's RPC address and node id. */
function parseTarget(parameters: TransferParameters, transport: Transport): Omit<PushTarget, 'identity'> {
  const { address, nodeId } = parameters;
  if (typeof address !== 'string' || address === '') throw new InvalidArgumentError(`"address" expected the destination's RPC address, got ${JSON.stringify(address)}`);
  if (typeof nodeId !== 'string') throw new InvalidArgumentError(`"nodeId" expected the destination's node id, got ${JSON.stringify(nodeId)}`);
  return { transport, address, nodeId: NodeId.parse(nodeId) };
}

function storedKey(f: FileEntry): string {
  return `${f.size}:${f.mtimeMs}`;
}

async function readStored(path: string): Promise<Map<string, string>> {
  const stored = new Map<string, string>();
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return stored;
  }
  for (const line of text.split('\n')) {
    try {
      const { path: p, key } = JSON.parse(line) as { path: string; key: string };
      if (typeof p === 'string' && typeof key === 'string') stored.set(p, key);
    } catch {
      // a line cut by a crash: that file is simply sent again
    }
  }
  return stored;
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
