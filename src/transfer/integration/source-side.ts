/**
 * The integration module as a source: accepts transfers forwarded by the core, agrees on the
 * plugin with the destination, runs its plugin and polls it; it retries recoverable errors in
 * PAUSED with capped exponential backoff, fails unrecoverable ones, waits out a full
 * destination, halts tasks paused too long, and after a restart reconciles its stored tasks
 * with the processes still running. Every change is saved with what the core must hear (the
 * outbox delivers it); the decisions themselves are policy.ts.
 */
import type { Clock } from '../../core/clock.js';
import { FailedPreconditionError, isHandoffError, NotFoundError } from '../../core/errors.js';
import type { FileTransferPlugin, PluginTask } from '../plugin.js';
import { isTerminal, type ProviderId, type ProviderTransferRequest, type ProviderTransferResponse, type TaskControl, type TaskId } from '../types.js';
import type { CoreOutbox } from './core-outbox.js';
import { negotiate, outgoingTaskFor, sameTransfer } from './forwarded-task.js';
import { applyPluginState, backoffDelay, dueAction, end, formatDuration, interrupted, updateFor, waitingForDestination, type IntegrationPolicy } from './policy.js';
import type { PeerProvider } from './ports.js';
import type { IntegrationStore, OutgoingTask } from './store.js';
import { TaskLocks } from './task-locks.js';

export interface SourceSideOptions {
  readonly providerId: ProviderId;
  readonly store: IntegrationStore;
  readonly plugin: FileTransferPlugin;
  readonly peers: PeerProvider;
  /** Whose in-flight entries a saved update must not be merged into. */
  readonly outbox: CoreOutbox;
  readonly clock: Clock;
  readonly policy: IntegrationPolicy;
  /** The poll interval: the first wait for a destination that is not ready yet. */
  readonly pollIntervalMs: number;
  readonly resolveSource: (sourcePath: string) => string;
  readonly verifyChecksums: boolean;
  readonly onError: (error: unknown, context: string) => void;
}

/**
 * See the file comment; {@link ProviderIntegration} owns one when it has a plugin.
 *
 * @example
 * ```ts
 * const source = new SourceSide({ providerId: 'a', store, plugin, peers, outbox, clock, policy: DEFAULT_POLICY,
 *   pollIntervalMs: 500, resolveSource: (p) => p, verifyChecksums: false, onError: console.error });
 * await source.reconcile();
 * await source.round();
 * ```
 */
export class SourceSide {
  readonly #o: SourceSideOptions;
  readonly #store: IntegrationStore;
  readonly #plugin: FileTransferPlugin;
  readonly #clock: Clock;
  readonly #policy: IntegrationPolicy;
  /** Tasks the plugin knows in this process (started or restored), so `resume` applies. */
  readonly #known = new Set<TaskId>();
  readonly #locks = new TaskLocks();

  constructor(options: SourceSideOptions) {
    this.#o = options;
    this.#store = options.store;
    this.#plugin = options.plugin;
    this.#clock = options.clock;
    this.#policy = options.policy;
  }

  /** Stores a forwarded transfer as a new INITIATED task (idempotent per task id). */
  accept(item: ProviderTransferRequest): ProviderTransferResponse {
    try {
      const task = outgoingTaskFor(item, {
        providerId: this.#o.providerId,
        pluginType: this.#plugin.type,
        resolveSource: this.#o.resolveSource,
        verifyChecksums: this.#o.verifyChecksums,
        now: this.#clock.now(),
      });
      const existing = this.#store.getOutgoing(item.taskId);
      if (existing && !sameTransfer(existing, task)) throw new FailedPreconditionError(`task id ${item.taskId} is already used for another transfer`);
      if (!existing) this.#store.insertOutgoing(task, null);
      return { ok: true, capabilities: this.#plugin.capabilities };
    } catch (err) {
      return { ok: false, reason: messageOf(err) };
    }
  }

  /** A user's cancel, pause or resume. Resolves once it has taken effect. */
  control(taskId: TaskId, control: TaskControl): Promise<void> {
    const plugin = this.#plugin;
    return this.#locks.run(taskId, async () => {
      const task = this.#requireTask(taskId);
      if (isTerminal(task.state)) {
        if (control === 'cancel') return;
        throw new FailedPreconditionError(`task ${taskId} is ${task.state}, a terminal state`);
      }
      const now = this.#clock.now();
      if (control === 'cancel') {
        if (this.#known.has(taskId) || task.pid !== null) await plugin.cancel(taskId);
        await this.#settle(task, end(task, 'HALTED', 'canceled by the user', now));
        return;
      }
      if (!plugin.pause || !plugin.capabilities.canPause) {
        throw new FailedPreconditionError(`the transfer plugin "${plugin.type}" cannot pause or resume`);
      }
      if (control === 'pause') {
        if (task.state === 'PAUSED' && task.pauseCause === 'user') return;
        if (task.state === 'RUNNING') await plugin.pause(taskId);
        const pausedAt = task.state === 'PAUSED' ? (task.pausedAt ?? now) : now;
        await this.#settle(task, { ...task, state: 'PAUSED', pauseCause: 'user', pausedAt, pid: null, nextAttemptAt: null, status: 'paused by the user', updatedAt: now });
        return;
      }
      if (task.state === 'PAUSED') await this.#launch(task, { ...task, attempts: 0 }, 'resumed by the user');
    });
  }

  /** Key exchange, source side: the task's public key. */
  async issueTransferKey(taskId: TaskId): Promise<string> {
    const task = this.#requireTask(taskId);
    if (isTerminal(task.state)) throw new FailedPreconditionError(`task ${taskId} is ${task.state}, a terminal state`);
    if (!this.#plugin.issueTransferKey) throw new FailedPreconditionError(`the transfer plugin "${this.#plugin.type}" uses no key exchange`);
    return this.#plugin.issueTransferKey(taskId);
  }

  /** One pass over the stored tasks: poll, launch, retry or halt the active ones, release the ended ones. */
  async round(): Promise<void> {
    for (const task of this.#store.listOutgoing('active')) await this.#guard(task.taskId, () => this.#step(task.taskId));
    for (const task of this.#store.listOutgoing('release-pending')) await this.#guard(task.taskId, () => this.#release(task.taskId));
  }

  /** After a restart: adopt what still runs, re-run what should run, re-teach the plugin the rest. */
  async reconcile(): Promise<void> {
    const plugin = this.#plugin;
    for (const task of this.#store.listOutgoing('active')) {
      if (task.parameters === null) continue;
      await this.#guard(task.taskId, async () => {
        const now = this.#clock.now();
        const running = task.state === 'RUNNING';
        const adopted = plugin.restore ? await plugin.restore(pluginTask(task), task.pid, running) : null;
        if (plugin.restore) this.#known.add(task.taskId);
        if (!running) {
          if (task.pid !== null) this.#save(task, { ...task, pid: null, updatedAt: now });
          return;
        }
        if (adopted) {
          if (adopted.pid !== task.pid) this.#save(task, { ...task, pid: adopted.pid, updatedAt: now });
          return;
        }
        try {
          const run = this.#known.has(task.taskId) && plugin.resume ? await plugin.resume(task.taskId) : await plugin.start(pluginTask(task));
          this.#known.add(task.taskId);
          this.#save(task, { ...task, pid: run.pid, status: 'resumed after the integration module restarted', updatedAt: now });
        } catch (err) {
          await this.#settle(task, interrupted(task, isFatal(err) ? 'fatal' : 'retryable', messageOf(err), now, this.#policy));
        }
      });
    }
  }

  async #step(taskId: TaskId): Promise<void> {
    const task = this.#store.getOutgoing(taskId);
    const plugin = this.#plugin;
    if (!task) return;
    const now = this.#clock.now();
    switch (dueAction(task, now, this.#policy)) {
      case 'poll': {
        let reported;
        try {
          reported = await plugin.getState(taskId);
        } catch (err) {
          if (!isHandoffError(err, 'NotFound')) throw err;
          // The plugin lost the task (it cannot restore after a restart): run it again.
          this.#known.delete(taskId);
          await this.#launch(task, task, 'the transfer process was lost; started again');
          return;
        }
        await this.#settle(task, applyPluginState(task, reported, now, this.#policy));
        return;
      }
      case 'launch':
        await this.#launch(task, task, undefined);
        return;
      case 'halt': {
        if (this.#known.has(taskId) || task.pid !== null) await plugin.cancel(taskId);
        const limit = formatDuration(this.#policy.maxPausedMs);
        const reason =
          task.state === 'INITIATED'
            ? `the transfer could not start within ${limit}${task.lastError ? `: ${task.lastError}` : ''}`
            : `paused for longer than ${limit}; stopped by the provider`;
        await this.#settle(task, end(task, 'HALTED', reason, now));
        return;
      }
      case 'none':
        return;
    }
  }

  /** Negotiates when needed, then starts or resumes the plugin; `before` is the stored task. */
  async #launch(before: OutgoingTask, task: OutgoingTask, note: string | undefined): Promise<void> {
    const plugin = this.#plugin;
    let t = task;
    const now = this.#clock.now();
    if (t.parameters === null) {
      const negotiated = await negotiate(this.#o.peers, plugin.type, t);
      if ('reason' in negotiated) {
        const next = negotiated.fatal
          ? end(t, 'FAILURE', negotiated.reason, now)
          : t.state === 'INITIATED'
            ? waitingForDestination(t, negotiated.reason, now, this.#o.pollIntervalMs, this.#policy)
            : interrupted(t, 'retryable', negotiated.reason, now, this.#policy);
        await this.#settle(before, next);
        return;
      }
      t = { ...t, parameters: negotiated.parameters };
    }
    try {
      const run = this.#known.has(t.taskId) && plugin.resume ? await plugin.resume(t.taskId) : await plugin.start(pluginTask(t));
      this.#known.add(t.taskId);
      const status = t.state === 'INITIATED' ? 'transfer started' : (note ?? `transfer resumed (attempt ${t.attempts + 1})`);
      // Waiting for the destination before the start was not a failure of the transfer.
      const attempts = t.state === 'INITIATED' ? 0 : t.attempts;
      await this.#settle(before, { ...t, state: 'RUNNING', attempts, pid: run.pid, pausedAt: null, pauseCause: null, nextAttemptAt: null, status, updatedAt: now });
    } catch (err) {
      await this.#settle(before, interrupted(t, isFatal(err) ? 'fatal' : 'retryable', messageOf(err), now, this.#policy));
    }
  }

  /** Tells the plugin and the destination that a terminal task is over (revoke, clean up). */
  async #release(taskId: TaskId): Promise<void> {
    const task = this.#store.getOutgoing(taskId);
    const now = this.#clock.now();
    if (!task?.releasePending || (task.nextAttemptAt !== null && task.nextAttemptAt > now)) return;
    try {
      await this.#plugin.release?.(taskId);
      this.#known.delete(taskId);
      await this.#o.peers.release(task.destinationProvider, { taskId, outcome: task.state });
      this.#save(task, { ...task, releasePending: false, nextAttemptAt: null, updatedAt: now });
    } catch (err) {
      this.#o.onError(err, `releasing task ${taskId} failed; retrying later`);
      const attempts = task.attempts + 1;
      this.#save(task, { ...task, attempts, nextAttemptAt: now + backoffDelay(attempts, this.#policy), updatedAt: now });
    }
  }

  /** Persists `after` (and what the core must hear) and, when it just ended, releases it. */
  async #settle(before: OutgoingTask, after: OutgoingTask): Promise<void> {
    this.#save(before, after);
    if (after.releasePending && !before.releasePending) await this.#release(after.taskId);
  }

  #save(before: OutgoingTask, after: OutgoingTask): void {
    this.#store.saveOutgoing(after, updateFor(before, after), this.#o.outbox.inFlightSeq);
  }

  #requireTask(taskId: TaskId): OutgoingTask {
    const task = this.#store.getOutgoing(taskId);
    if (!task) throw new NotFoundError(`no transfer task ${taskId} at provider "${this.#o.providerId}"`);
    return task;
  }

  /** Runs `fn` under the task's lock and reports (instead of throwing) what goes wrong. */
  #guard(taskId: TaskId, fn: () => Promise<void>): Promise<void> {
    return this.#locks.run(taskId, fn).catch((err: unknown) => this.#o.onError(err, `task ${taskId}`));
  }
}

function pluginTask(task: OutgoingTask): PluginTask {
  return {
    taskId: task.taskId,
    sourcePath: task.localSourcePath,
    destinationProvider: task.destinationProvider,
    destinationPath: task.destinationPath,
    parameters: task.parameters ?? {},
    verifyChecksums: task.verifyChecksums,
  };
}

const FATAL_CODES = new Set(['InvalidArgument', 'NotFound', 'FailedPrecondition', 'PermissionDenied', 'Unauthenticated']);

function isFatal(err: unknown): boolean {
  return isHandoffError(err) && FATAL_CODES.has(err.code);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
