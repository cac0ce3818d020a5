/**
 * Scriptable stand-ins for a transfer plugin and receiver: the test says what the "transfer"
 * reports, and reads what the module asked of it.
 */
import { NotFoundError } from '../../../src/core/errors.js';
import type {
  FileTransferPlugin,
  FileTransferReceiver,
  PluginRun,
  PluginTask,
  PluginTransferState,
  ReceivePreparation,
  ReceiveRequest,
  ReleaseTarget,
  TransferKeyGrant,
} from '../../../src/transfer/plugin.js';
import type { TaskId, TaskState } from '../../../src/transfer/types.js';

export class FakePlugin implements FileTransferPlugin {
  readonly type: string;
  readonly capabilities = { canPause: true };
  readonly calls: string[] = [];
  readonly states = new Map<TaskId, PluginTransferState>();
  /** Processes "alive" for restore: pid → task. */
  readonly alive = new Map<number, TaskId>();
  startError: Error | undefined;
  #nextPid = 1000;

  constructor(type = 'rsync') {
    this.type = type;
  }

  /** Makes the transfer of `taskId` report `state` from now on. */
  report(taskId: TaskId, state: PluginTransferState): void {
    this.states.set(taskId, state);
  }

  async start(task: PluginTask): Promise<PluginRun> {
    this.calls.push(`start ${task.taskId}`);
    if (this.startError) throw this.startError;
    return this.#run(task.taskId);
  }

  async resume(taskId: TaskId): Promise<PluginRun> {
    this.calls.push(`resume ${taskId}`);
    return this.#run(taskId);
  }

  async pause(taskId: TaskId): Promise<void> {
    this.calls.push(`pause ${taskId}`);
    this.states.set(taskId, { state: 'PAUSED', progress: this.states.get(taskId)?.progress ?? 0 });
  }

  async cancel(taskId: TaskId): Promise<void> {
    this.calls.push(`cancel ${taskId}`);
    this.states.set(taskId, { state: 'HALTED', progress: this.states.get(taskId)?.progress ?? 0 });
  }

  async getState(taskId: TaskId): Promise<PluginTransferState> {
    const state = this.states.get(taskId);
    if (!state) throw new NotFoundError(`fake plugin knows no task ${taskId}`);
    return state;
  }

  async issueTransferKey(taskId: TaskId): Promise<string> {
    return `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${String(taskId).padStart(43, 'A')} handoff-task-${taskId}`;
  }

  async release(taskId: TaskId): Promise<void> {
    this.calls.push(`release ${taskId}`);
  }

  #run(taskId: TaskId): PluginRun {
    const pid = this.#nextPid++;
    this.alive.set(pid, taskId);
    this.states.set(taskId, { state: 'RUNNING', progress: this.states.get(taskId)?.progress ?? 0 });
    return { pid };
  }
}

/** A fake plugin that can also re-learn tasks after a restart. */
export class RestorablePlugin extends FakePlugin {
  async restore(task: PluginTask, pid: number | null, running: boolean): Promise<PluginRun | null> {
    this.calls.push(`restore ${task.taskId} ${pid} ${running}`);
    if (pid !== null && this.alive.get(pid) === task.taskId && running) {
      this.states.set(task.taskId, { state: 'RUNNING', progress: 0 });
      return { pid };
    }
    this.states.set(task.taskId, { state: 'PAUSED', progress: 0 });
    return null;
  }
}

export class FakeReceiver implements FileTransferReceiver {
  readonly type: string;
  readonly granted = new Map<TaskId, TransferKeyGrant>();
  readonly released: Array<{ taskId: TaskId; outcome: TaskState; target: ReleaseTarget }> = [];

  constructor(type = 'rsync') {
    this.type = type;
  }

  async authorizeTransferKey(grant: TransferKeyGrant): Promise<void> {
    this.granted.set(grant.taskId, grant);
  }

  async prepare(request: ReceiveRequest): Promise<ReceivePreparation> {
    if (!this.granted.has(request.taskId)) return { ready: false, retryable: true, reason: `the transfer key of task ${request.taskId} has not been delivered to the destination yet` };
    return { ready: true, parameters: { host: 'b.example.org', port: 22 } };
  }

  async release(taskId: TaskId, outcome: TaskState, target: ReleaseTarget): Promise<void> {
    this.released.push({ taskId, outcome, target });
  }
}
