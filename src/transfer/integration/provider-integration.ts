/**
 * The integration module (IM) of one provider (seed 004 "UCloud/IM changes"). As a source it
 * accepts transfers forwarded by the core, agrees on the plugin with the destination, runs its
 * plugin, polls it and pushes every change to the core in bulk; it retries recoverable errors
 * in PAUSED with capped exponential backoff, fails unrecoverable ones, waits out a full
 * destination, halts tasks paused too long, and after a restart reconciles its stored tasks with
 * the processes still running. As a destination it takes keys and answers negotiations.
 */
import { systemClock, type Clock, type TimerHandle } from '../../core/clock.js';
import { FailedPreconditionError, isHandoffError, NotFoundError } from '../../core/errors.js';
import { validatePlugin, validateReceiver, type FileTransferPlugin, type FileTransferReceiver, type PluginTask, type TransferKeyGrant } from '../plugin.js';
import { isTerminal, type ProviderId, type ProviderTransferRequest, type ProviderTransferResponse, type TaskControl, type TaskId } from '../types.js';
import { CoreOutbox } from './core-outbox.js';
import { negotiate, outgoingTaskFor, sameTransfer } from './forwarded-task.js';
import { DestinationSide } from './destination-side.js';
import { applyPluginState, backoffDelay, DEFAULT_POLICY, dueAction, end, formatDuration, interrupted, updateFor, waitingForDestination, type IntegrationPolicy } from './policy.js';
import type { CoreLink, PeerHandler, PeerNegotiationRequest, PeerNegotiationResponse, PeerProvider, PeerReleaseRequest } from './ports.js';
import type { IntegrationStore, OutgoingTask } from './store.js';

export interface ProviderIntegrationOptions {
  readonly providerId: ProviderId;
  readonly store: IntegrationStore;
  readonly core: CoreLink;
  readonly peers: PeerProvider;
  /** The plugin this provider sends with; without one it refuses forwarded transfers. */
  readonly plugin?: FileTransferPlugin;
  /** The receiver this provider receives with; without one it refuses negotiations. */
  readonly receiver?: FileTransferReceiver;
  /** Maps a source path as the core names it to a local path (default: unchanged). */
  readonly resolveSource?: (sourcePath: string) => string;
  readonly clock?: Clock;
  /** How often running tasks are polled (default 500 ms). */
  readonly pollIntervalMs?: number;
  readonly policy?: Partial<IntegrationPolicy>;
  /** Ask plugins to compare content by checksum (default false). */
  readonly verifyChecksums?: boolean;
  /** Most updates per push to the core (default 1000). */
  readonly pushBatchSize?: number;
  /** Told about errors the module handles itself (unreachable core, failed clean-up). */
  readonly onError?: (error: unknown, context: string) => void;
}

/**
 * See the file comment.
 *
 * @example
 * ```ts
 * const im = await ProviderIntegration.open({ providerId: 'a', store, core, peers, plugin });
 * await im.acceptTransfers([{ taskId: 7, sourcePath: '/p/data', destinationPath: '/q/in', destinationProvider: 'b' }]);
 * const publicKey = await im.issueTransferKey(7);   // the client hands this to provider b
 * ```
 */
export class ProviderIntegration implements PeerHandler {
  readonly providerId: ProviderId;
  readonly #o: ProviderIntegrationOptions;
  readonly #store: IntegrationStore;
  readonly #plugin: FileTransferPlugin | undefined;
  readonly #clock: Clock;
  readonly #policy: IntegrationPolicy;
  readonly #outbox: CoreOutbox;
  readonly #destination: DestinationSide;
  readonly #onError: (error: unknown, context: string) => void;
  /** Tasks the plugin knows in this process (started or restored), so `resume` applies. */
  readonly #known = new Set<TaskId>();
  readonly #locks = new Map<TaskId, Promise<unknown>>();
  #tail: Promise<void> = Promise.resolve();
  #timer: TimerHandle | undefined;
  #closed = false;
  #nextSweepAt = 0;

  private constructor(options: ProviderIntegrationOptions) {
    if (options.plugin) validatePlugin(options.plugin);
    if (options.receiver) validateReceiver(options.receiver);
    this.#o = options;
    this.providerId = options.providerId;
    this.#store = options.store;
    this.#plugin = options.plugin;
    this.#clock = options.clock ?? systemClock;
    this.#policy = { ...DEFAULT_POLICY, ...options.policy };
    this.#onError = options.onError ?? (() => undefined);
    this.#outbox = new CoreOutbox({ store: this.#store, core: options.core, clock: this.#clock, policy: this.#policy, batchSize: options.pushBatchSize ?? 1000, onError: this.#onError });
    this.#destination = new DestinationSide(options.providerId, this.#store, options.receiver, this.#clock);
  }

  /** Validates the plugins, reconciles stored tasks with running processes and starts polling. */
  static async open(options: ProviderIntegrationOptions): Promise<ProviderIntegration> {
    const im = new ProviderIntegration(options);
    await im.#reconcile();
    im.#schedule();
    return im;
  }

  /** Core → source provider: accepts forwarded transfers (idempotent per task id). */
  async acceptTransfers(items: readonly ProviderTransferRequest[]): Promise<ProviderTransferResponse[]> {
    // No immediate round: the client is exchanging keys now; the next poll negotiates.
    return items.map((item) => this.#accept(item));
  }

  /** Core → source provider: a user's cancel, pause or resume. Resolves once it has taken effect. */
  async control(taskId: TaskId, control: TaskControl): Promise<void> {
    const plugin = this.#requirePlugin();
    await this.#withTask(taskId, async () => {
      const task = this.#store.getOutgoing(taskId);
      if (!task) throw new NotFoundError(`no transfer task ${taskId} at provider "${this.providerId}"`);
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
    void this.#outbox.flush();
  }

  /** Key exchange, source side (through the client's session): the task's public key. */
  async issueTransferKey(taskId: TaskId): Promise<string> {
    const plugin = this.#requirePlugin();
    const task = this.#store.getOutgoing(taskId);
    if (!task) throw new NotFoundError(`no transfer task ${taskId} at provider "${this.providerId}"`);
    if (isTerminal(task.state)) throw new FailedPreconditionError(`task ${taskId} is ${task.state}, a terminal state`);
    if (!plugin.issueTransferKey) throw new FailedPreconditionError(`the transfer plugin "${plugin.type}" uses no key exchange`);
    return plugin.issueTransferKey(taskId);
  }

  /** Key exchange, destination side (through the client's session): authorizes the source's key. */
  authorizeTransferKey(grant: TransferKeyGrant): Promise<void> {
    return this.#destination.authorizeTransferKey(grant);
  }

  handlePeerNegotiation(caller: ProviderId, request: PeerNegotiationRequest): Promise<PeerNegotiationResponse> {
    return this.#destination.negotiate(caller, request);
  }

  handlePeerRelease(caller: ProviderId, request: PeerReleaseRequest): Promise<void> {
    return this.#destination.release(caller, request);
  }

  /** A task this provider sends, as stored. */
  getTask(taskId: TaskId): OutgoingTask | undefined {
    return this.#store.getOutgoing(taskId);
  }

  /** Runs one full round now (after any round in progress): poll, retry, halt, release, push. */
  tick(): Promise<void> {
    const round = this.#tail.then(() => this.#round());
    this.#tail = round.catch(() => undefined);
    return round;
  }

  /** Stops polling; running transfers go on and are reconciled by the next module on this store. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    await this.#tail;
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.tick().finally(() => this.#schedule());
    }, this.#o.pollIntervalMs ?? 500);
  }

  async #round(): Promise<void> {
    if (this.#plugin) {
      for (const task of this.#store.listOutgoing('active')) await this.#guard(task.taskId, () => this.#step(task.taskId));
      for (const task of this.#store.listOutgoing('release-pending')) await this.#guard(task.taskId, () => this.#release(task.taskId));
    }
    await this.#outbox.flush();
    const now = this.#clock.now();
    if (now >= this.#nextSweepAt) {
      this.#nextSweepAt = now + 60_000;
      await this.#destination.sweep(now).catch((err: unknown) => this.#onError(err, 'sweeping expired authorizations failed'));
    }
  }

  async #step(taskId: TaskId): Promise<void> {
    const task = this.#store.getOutgoing(taskId);
    const plugin = this.#plugin;
    if (!task || !plugin) return;
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
    const plugin = this.#requirePlugin();
    let t = task;
    const now = this.#clock.now();
    if (t.parameters === null) {
      const negotiated = await negotiate(this.#o.peers, plugin.type, t);
      if ('reason' in negotiated) {
        const next = negotiated.fatal
          ? end(t, 'FAILURE', negotiated.reason, now)
          : t.state === 'INITIATED'
            ? waitingForDestination(t, negotiated.reason, now, this.#o.pollIntervalMs ?? 500, this.#policy)
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
      await this.#plugin?.release?.(taskId);
      this.#known.delete(taskId);
      await this.#o.peers.release(task.destinationProvider, { taskId, outcome: task.state });
      this.#save(task, { ...task, releasePending: false, nextAttemptAt: null, updatedAt: now });
    } catch (err) {
      this.#onError(err, `releasing task ${taskId} failed; retrying later`);
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
    this.#store.saveOutgoing(after, updateFor(before, after), this.#outbox.inFlightSeq);
  }

  #accept(item: ProviderTransferRequest): ProviderTransferResponse {
    const plugin = this.#plugin;
    if (!plugin) return { ok: false, reason: `provider "${this.providerId}" has no transfer plugin configured` };
    try {
      const task = outgoingTaskFor(item, {
        providerId: this.providerId,
        pluginType: plugin.type,
        resolveSource: this.#o.resolveSource ?? ((p: string) => p),
        verifyChecksums: this.#o.verifyChecksums ?? false,
        now: this.#clock.now(),
      });
      const existing = this.#store.getOutgoing(item.taskId);
      if (existing && !sameTransfer(existing, task)) throw new FailedPreconditionError(`task id ${item.taskId} is already used for another transfer`);
      if (!existing) this.#store.insertOutgoing(task, null);
      return { ok: true, capabilities: plugin.capabilities };
    } catch (err) {
      return { ok: false, reason: messageOf(err) };
    }
  }

  /** After a restart: adopt what still runs, re-run what should run, re-teach the plugin the rest. */
  async #reconcile(): Promise<void> {
    const plugin = this.#plugin;
    if (!plugin) return;
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

  /** Runs `fn` under the task's lock and reports (instead of throwing) what goes wrong. */
  #guard(taskId: TaskId, fn: () => Promise<void>): Promise<void> {
    return this.#withTask(taskId, fn).catch((err: unknown) => this.#onError(err, `task ${taskId}`));
  }

  #withTask<T>(taskId: TaskId, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(taskId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.#locks.set(taskId, next);
    void next.then(
      () => this.#locks.get(taskId) === next && this.#locks.delete(taskId),
      () => this.#locks.get(taskId) === next && this.#locks.delete(taskId),
    );
    return next;
  }

  #requirePlugin(): FileTransferPlugin {
    if (!this.#plugin) throw new FailedPreconditionError(`provider "${this.providerId}" has no transfer plugin configured`);
    return this.#plugin;
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
