/**
 * The core of provider-to-provider transfers (seed 004): authorizes transfer requests, keeps the
 * tasks, forwards them to source providers, accepts state pushes only from each task's source
 * provider, and lets users follow, cancel, pause and resume their transfers.
 */
import { EventEmitter } from 'eventemitter3';
import { systemClock, type Clock } from '../../core/clock.js';
import { NotFoundError, PermissionDeniedError, toWireError, type ErrorCode } from '../../core/errors.js';
import { checkControl, type LifecycleEffect } from '../lifecycle.js';
import type { TransferTaskStore } from '../store/port.js';
import type { ProviderId, TaskControl, TaskId, TransferTask, UserId } from '../types.js';
import { listDrives, listFolder, type BrowsingPorts } from './browsing.js';
import type { CheckPorts } from './checks.js';
import { IdempotencyKeySweeper } from './idempotency-sweeper.js';
import type { NotificationSettings, Notifier } from './notifications.js';
import type {
  AllocationLedger,
  DriveAccess,
  DriveCatalogue,
  DriveDirectory,
  DrivePermissions,
  FileMetadataSource,
  FolderPage,
  FolderPageRequest,
} from './ports.js';
import type { ProviderGateway } from './provider-gateway.js';
import { defaultReleasePolicy, type ReleasePolicy } from './release-policy.js';
import {
  checkBrowseOptions,
  checkBulk,
  checkId,
  checkIdempotencyKey,
  checkTaskId,
  checkTransferItems,
  parseUpdateItem,
  type BrowseOptions,
  type TransferItem,
} from './requests.js';
import { submitTransfers, type TransferItemResult } from './submission.js';
import { TaskWriter, type TaskEvent } from './task-writer.js';

/** The store, the host's ports, and the optional notification and policy hooks of a {@link TransferCore}. */
export interface TransferCoreOptions {
  readonly store: TransferTaskStore;
  readonly drives: DriveDirectory;
  readonly permissions: DrivePermissions;
  readonly allocations: AllocationLedger;
  readonly files: FileMetadataSource;
  readonly gateway: ProviderGateway;
  /** Lists the drives a user may have rights on, for `listDrives`; without it `listDrives` is refused. */
  readonly driveCatalogue?: DriveCatalogue;
  /** Told when a transfer is interrupted or succeeds; none by default. */
  readonly notifier?: Notifier;
  /** Whether each user also wants email; nobody does by default. */
  readonly notificationSettings?: NotificationSettings;
  /** Decides whether a file's metadata lets it leave its provider; {@link defaultReleasePolicy} by default. */
  readonly releasePolicy?: ReleasePolicy;
  readonly clock?: Clock;
  /** How far back `browseTasks` shows finished tasks when the user gives no `since` (default 7 days). */
  readonly finishedWindowMs?: number;
  /**
   * How long an idempotency key is kept (default 24 hours, as payment APIs do): a retry within it
   * gets the first request's tasks; after it the key is free and a request with it creates new tasks.
   */
  readonly idempotencyKeyTtlMs?: number;
  /** How often the sweep started by `start()` deletes expired idempotency keys (default 1 hour). */
  readonly idempotencySweepIntervalMs?: number;
}

/** Events of a {@link TransferCore}. */
export interface TransferCoreEvents {
  /** Every task change, after it was persisted; `previous` is undefined for a new task. */
  task: [task: TransferTask, previous: TransferTask | undefined];
  /** A listener or the notifier threw; the change itself stands. */
  error: [error: unknown];
}

/** Per item of `updateTransferTask`: applied (or already applied), or refused with a wire error. */
export type TaskUpdateResult = { readonly ok: true } | { readonly ok: false; readonly code: ErrorCode; readonly reason: string };

/** One page of `browseTasks`; pass `nextCursor` back for the next page (null on the last one). */
export interface TaskPage {
  readonly tasks: TransferTask[];
  readonly nextCursor: string | null;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * @example
 * ```ts
 * const core = new TransferCore({ store, drives: world, permissions: world, allocations: world, files: world, gateway });
 * core.events.on('task', (task) => console.log(task.id, task.state, task.progress));
 * const [result] = await core.transferFilesBetweenProviders('alice',
 *   [{ sourcePath: '/4123/results', destinationPath: '/5243/inbox' }], { idempotencyKey: 'submit-7f3a' });
 * if (result?.ok) await core.pause('alice', result.taskId);
 * core.start(); // background upkeep: forgets expired idempotency keys
 * // ... on shutdown:
 * await core.stop();
 * ```
 */
export class TransferCore {
  /** `core.events.on('task', (task, previous) => …)` follows every change live. */
  readonly events = new EventEmitter<TransferCoreEvents>();
  readonly #store: TransferTaskStore;
  readonly #gateway: ProviderGateway;
  readonly #clock: Clock;
  readonly #ports: CheckPorts;
  readonly #writer: TaskWriter;
  readonly #notifier: Notifier | undefined;
  readonly #settings: NotificationSettings | undefined;
  readonly #finishedWindowMs: number;
  readonly #idempotencyKeys: IdempotencyKeySweeper;
  readonly #browsing: BrowsingPorts;

  constructor(options: TransferCoreOptions) {
    this.#store = options.store;
    this.#gateway = options.gateway;
    this.#clock = options.clock ?? systemClock;
    this.#notifier = options.notifier;
    this.#settings = options.notificationSettings;
    this.#finishedWindowMs = options.finishedWindowMs ?? 7 * DAY;
    this.#ports = {
      drives: options.drives,
      permissions: options.permissions,
      allocations: options.allocations,
      files: options.files,
      releasePolicy: options.releasePolicy ?? defaultReleasePolicy,
      store: options.store,
    };
    this.#browsing = { drives: options.drives, permissions: options.permissions, catalogue: options.driveCatalogue, gateway: options.gateway };
    this.#writer = new TaskWriter(this.#store, this.#clock, {
      announce: (task, previous) => this.#announce(task, previous),
      notify: (effect) => this.#notify(effect),
    });
    this.#idempotencyKeys = new IdempotencyKeySweeper({
      store: this.#store,
      clock: this.#clock,
      ttlMs: options.idempotencyKeyTtlMs ?? DAY,
      intervalMs: options.idempotencySweepIntervalMs ?? HOUR,
      onError: (err) => this.#reportError(err),
    });
  }

  /**
   * Starts the core's background upkeep: every `idempotencySweepIntervalMs`, the idempotency keys
   * older than `idempotencyKeyTtlMs` are deleted. Failures go to the `error` event. Expired keys
   * are treated as absent whether or not this runs; it keeps the store from growing forever.
   */
  start(): void {
    this.#idempotencyKeys.start();
  }

  /** Stops the background upkeep, waiting for a sweep in progress to finish its current batch. */
  async stop(): Promise<void> {
    await this.#idempotencyKeys.stop();
  }

  /** Deletes every idempotency key older than the TTL now, in batches; returns how many. */
  async sweepIdempotencyKeys(): Promise<number> {
    return this.#idempotencyKeys.sweep();
  }

  /**
   * The seed's `TransferFilesBetweenProviders`: several sources, one destination folder. Each
   * item is checked in order (drives, permissions, allocations, source metadata, providers,
   * destination folder, no identical active transfer) and refused alone with a precise reason;
   * accepted items become tasks forwarded to their source providers. A retried request with the
   * same `idempotencyKey` returns the same task ids and creates nothing new; the same key with
   * different items is an `InvalidArgumentError`. A key older than `idempotencyKeyTtlMs` is free
   * again: a request with it creates new tasks and leaves the old ones as they are.
   */
  async transferFilesBetweenProviders(
    user: UserId,
    items: readonly TransferItem[],
    options: { idempotencyKey?: string } = {},
  ): Promise<TransferItemResult[]> {
    checkId('user', user);
    const checked = checkTransferItems(items);
    const key = options.idempotencyKey === undefined ? undefined : checkIdempotencyKey(options.idempotencyKey);
    const ctx = {
      ports: this.#ports,
      store: this.#store,
      gateway: this.#gateway,
      writer: this.#writer,
      clock: this.#clock,
      idempotencyKeysExpiredBefore: () => this.#idempotencyKeys.expiredBefore(),
      announceCreated: (task: TransferTask) => this.#announce(task, undefined),
    };
    return submitTransfers(ctx, user, checked, key);
  }

  /**
   * The seed's `UpdateTransferTask`, called by the transport for an authenticated `provider`
   * (never an id taken from the items). Each item is applied or refused on its own: unknown
   * task, not this provider's task, malformed values, illegal transition, backwards progress,
   * change after a terminal state. A re-delivered item that changes nothing succeeds.
   */
  async updateTransferTask(provider: ProviderId, items: readonly unknown[]): Promise<TaskUpdateResult[]> {
    checkId('provider', provider);
    const raw = checkBulk('items', items);
    const results: TaskUpdateResult[] = new Array(raw.length);
    const events: TaskEvent[] = [];
    const positions: number[] = [];
    const guard = (task: TransferTask) =>
      task.sourceProvider === provider
        ? undefined
        : new PermissionDeniedError(`provider "${provider}" is not the source provider of task ${task.id}`);
    raw.forEach((item, i) => {
      try {
        const { taskId, event } = parseUpdateItem(item, i);
        events.push({ taskId, event, guard });
        positions.push(i);
      } catch (err) {
        results[i] = refusedItem(err);
      }
    });
    const outcomes = await this.#writer.applyMany(events);
    outcomes.forEach((outcome, k) => {
      results[positions[k]!] = outcome.ok ? { ok: true } : refusedItem(outcome.error);
    });
    return results;
  }

  /** One of the user's tasks; `NotFoundError` for unknown tasks and for other users' tasks alike. */
  async getTask(user: UserId, id: TaskId): Promise<TransferTask> {
    checkId('user', user);
    checkTaskId('id', id);
    const task = await this.#store.get(id);
    if (!task || task.initiatedBy !== user) throw new NotFoundError(`transfer task ${id} not found`);
    return task;
  }

  /**
   * The user's tasks, newest first: every active one, plus those finished since `since`
   * (default: the core's window, 7 days) and before `until`; filtered by state and provider.
   */
  async browseTasks(user: UserId, options: BrowseOptions = {}): Promise<TaskPage> {
    checkId('user', user);
    const q = checkBrowseOptions(options);
    const since = q.since ?? this.#clock.now() - this.#finishedWindowMs;
    const found = await this.#store.browse({ ...q, since, initiatedBy: user, limit: q.limit + 1 });
    const tasks = found.slice(0, q.limit);
    return { tasks, nextCursor: found.length > q.limit ? String(tasks.at(-1)!.id) : null };
  }

  /**
   * The drives `user` may read or edit, with which of the two, sorted by id (at most 1000).
   * Needs the `driveCatalogue` option (`FailedPreconditionError` without it).
   */
  async listDrives(user: UserId): Promise<DriveAccess[]> {
    checkId('user', user);
    return listDrives(this.#browsing, user);
  }

  /**
   * One page of the folder `path` (`/<drive>/…`), names in order, for a user who may read or edit
   * its drive (`PermissionDeniedError` otherwise; `NotFoundError` for an unknown drive). The
   * drive's provider answers; pass `nextCursor` back as `cursor` for the next page.
   */
  async listFolder(user: UserId, path: string, page: FolderPageRequest = {}): Promise<FolderPage> {
    checkId('user', user);
    return listFolder(this.#browsing, user, path, page);
  }

  /** Asks the source provider to stop the transfer for good; the task is then `HALTED`. */
  async cancel(user: UserId, id: TaskId): Promise<TransferTask> {
    return this.#control(user, id, 'cancel');
  }

  /**
   * Asks the source provider to pause; the provider reports `PAUSED`. Refused when its plugin
   * cannot pause, the task has ended, or it is not the user's.
   */
  async pause(user: UserId, id: TaskId): Promise<TransferTask> {
    return this.#control(user, id, 'pause');
  }

  /** Asks the source provider to resume a paused transfer; the provider reports `RUNNING`. */
  async resume(user: UserId, id: TaskId): Promise<TransferTask> {
    return this.#control(user, id, 'resume');
  }

  async #control(user: UserId, id: TaskId, control: TaskControl): Promise<TransferTask> {
    const task = await this.getTask(user, id);
    const refused = checkControl(task, control);
    if (refused) throw refused;
    await this.#gateway.control(task.sourceProvider, id, control);
    const outcome = await this.#writer.apply({ taskId: id, event: { type: 'control', control } });
    if (outcome.ok) return outcome.task;
    // The provider's own report got there first (e.g. it finished meanwhile): that state stands.
    return (await this.#store.get(id)) ?? task;
  }

  #announce(task: TransferTask, previous: TransferTask | undefined): void {
    try {
      this.events.emit('task', task, previous);
    } catch (err) {
      this.#reportError(err);
    }
  }

  async #notify(effect: Extract<LifecycleEffect, { type: 'notify' }>): Promise<void> {
    if (!this.#notifier) return;
    const user = effect.task.initiatedBy;
    try {
      const email = (await this.#settings?.wantsEmail(user, effect.kind)) ?? false;
      await this.#notifier.notify({ user, kind: effect.kind, task: effect.task, email });
    } catch (err) {
      this.#reportError(err);
    }
  }

  #reportError(err: unknown): void {
    try {
      this.events.emit('error', err);
    } catch {
      // An error listener that throws has nobody left to tell.
    }
  }
}

function refusedItem(err: unknown): TaskUpdateResult {
  const { code, message } = toWireError(err);
  return { ok: false, code, reason: message };
}
